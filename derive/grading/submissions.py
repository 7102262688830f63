"""Submissions as a learning-management system exports them, read into (student, question, text).

* CSV, wide: a student column (``student``, ``id``, ``email``, ``name`` or ``sid``) and one column
  per question id; long: columns ``student``, ``question``, ``answer``.
* JSON lines: ``{"student": ..., "question": ..., "answer": ...}`` per line.
* A folder with a folder per student, each holding ``<question>.txt`` / ``.tex`` / ``.md`` — the
  layout an autograder receives (Gradescope gives one student's folder: then the student is the
  folder's name, or ``--student``).

Answers are kept as text, whatever they hold: reading them is ``answers.read_answer``'s job. The
reader never loses, merges or invents a grade silently: what it cannot read for sure (bytes that
are not UTF-8 unless an encoding is named, an unknown question, a blank student, two columns for
one question, an unclosed quote) raises ``SubmissionError`` naming the file and line; what it
reads with a choice made (a resubmission replacing an answer, an empty cell not replacing one, a
column read case-insensitively, a column ignored) is a warning in ``Submissions.warnings``, one
line each naming file and line, for the caller to show.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import json
import os
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DeriveError
from .grade import Submission

STUDENT_COLUMNS = ("student", "id", "email", "name", "sid")
ANSWER_SUFFIXES = (".txt", ".tex", ".md")
MAX_FILE = 64 * 1024 * 1024  # bytes; a larger export is refused rather than read into memory
# Characters str.splitlines() breaks on besides \n and \r: a word processor pastes them inside an
# answer (U+2028 line and U+2029 paragraph separators, NEL, form feed, vertical tab, the C0
# information separators). They never end a line or a record here; inside an answer they are spaces.
PASTED_SEPARATORS = "\u2028\u2029\x85\x0c\x0b\x1c\x1d\x1e"
_AS_SPACE = str.maketrans({c: " " for c in PASTED_SEPARATORS})
_LINE_END = re.compile(r"\r\n|\r|\n")

csv.field_size_limit(min(sys.maxsize, MAX_FILE))  # a 1 MB answer is an answer (too large), not a crash


class SubmissionError(DeriveError, ValueError):
    """A submissions file that cannot be read."""


@dataclass
class Submissions:
    """What a submissions file holds: one answer per (student, question), in the order first met,
    and the warnings about choices made while reading (each one line naming file and line).

    It iterates and has a length like the list of submissions, so code that took the list still works.
    """

    submissions: list[Submission] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __iter__(self):
        return iter(self.submissions)

    def __len__(self) -> int:
        return len(self.submissions)


def read_submissions(path: str | Path, questions: list[str], student: str | None = None,
                     encoding: str | None = None) -> Submissions:
    """Every (student, question, answer) in a CSV, a JSON-lines file or a folder.

    Text is UTF-8 (a leading byte-order mark is skipped) unless ``encoding`` names another
    (``--encoding`` of ``derive grade``); bytes it does not decode are an error naming the line.
    """
    path = Path(path)
    if encoding is not None:
        _check_encoding(encoding)
    if path.is_dir():
        return _folder(path, questions, student, encoding)
    if not path.exists():
        raise SubmissionError(f"{path}: no such file or folder")
    text = _read_text(path, encoding)
    if path.suffix in (".jsonl", ".ndjson") or (path.suffix != ".csv" and text.lstrip().startswith("{")):
        return _jsonl(path, text, questions)
    return _csv(path, text, questions)


# -- text -----------------------------------------------------------------------------------------
def clean_answer(text: str) -> str:
    """The answer with each pasted line separator (``PASTED_SEPARATORS``) made a space.

    A word processor's U+2028 or form feed inside an answer means a space to the student; the
    claim grammar reads it as one, and feedback and reports then show the answer on the lines
    it was written on. Newlines (\\n, \\r) are kept as they are.
    """
    return text.translate(_AS_SPACE)


def _check_encoding(encoding: str) -> None:
    """Refuse an encoding name Python does not know, before any file is read."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise SubmissionError(f"--encoding {encoding}: not an encoding name "
                              "(write e.g. utf-8, cp1252, latin-1, utf-16)") from None


def read_text(path: Path, encoding: str | None = None) -> str:
    """A text file a user hands derive (a class's export, a worked solution), decoded strictly in
    ``encoding`` (UTF-8 when None) and bounded by MAX_FILE: one line naming the place and the fix
    otherwise."""
    if encoding:
        _check_encoding(encoding)
    return _read_text(path, encoding)


def _read_text(path: Path, encoding: str | None) -> str:
    """The file's text, decoded strictly (see ``_decode``); a file over MAX_FILE is refused."""
    if path.stat().st_size > MAX_FILE:
        raise SubmissionError(f"{path}: larger than {MAX_FILE >> 20} MB")
    return _decode(path.read_bytes(), path, encoding)


def _decode(data: bytes, path: Path, encoding: str | None) -> str:
    """``data`` as text in ``encoding`` (UTF-8 when None), without a leading byte-order mark.

    Nothing is replaced: a Latin-1 ``é`` read with replacement characters makes ``José`` and
    ``Josè`` one student, so an undecodable byte is an error naming its line and the fix.
    """
    name = encoding or "UTF-8"
    try:
        text = data.decode(name)
    except UnicodeDecodeError as error:
        line = _line_of(data[:error.start].decode(name, errors="replace"))
        byte = data[error.start]
        if encoding:
            fix = "name the file's real encoding with --encoding"
        elif data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            fix = "the file is UTF-16: pass --encoding utf-16, or save it as UTF-8"
        else:
            fix = "save the file as UTF-8, or name its encoding with --encoding (a spreadsheet's is often cp1252)"
        raise SubmissionError(f"{path}: line {line}: byte 0x{byte:02x} is not {name}; {fix}") from None
    return text.removeprefix("\ufeff")


def _line_of(prefix: str) -> int:
    """The number of the line that starts after ``prefix`` (only \\n, \\r\\n and \\r end a line)."""
    return len(_LINE_END.findall(prefix)) + 1


# -- one answer per (student, question) ----------------------------------------------------------
class _Collector:
    """Gathers answers, keeping one per (student, question) and saying what each repeat did.

    A later non-empty answer replaces an earlier one (a resubmission); a later empty one never
    does. Either way the repeat is reported, since a doubled row may also be a wrong export.
    """

    def __init__(self, path: Path):
        self.path = path
        self.answers: dict[tuple[str, str], tuple[Submission, str]] = {}
        self.first_seen: dict[str, str] = {}  # student -> where first met
        self.warnings: list[str] = []

    def add(self, student: str, question: str, text: str, where: str) -> tuple[str, str] | None:
        """Record an answer met at ``where`` (``line 4``). Return None when it is the first for
        its student and question, else what it did — ``replaced``, ``kept`` (it is empty, the
        earlier one is not), ``same`` (the same text) or ``empty`` (both empty) — and where the
        answer it met (the one that counted until now) was."""
        self.first_seen.setdefault(student, where)
        key = (student, question)
        text = clean_answer(text)
        earlier = self.answers.get(key)
        if earlier is None:
            self.answers[key] = (Submission(student, question, text), where)
            return None
        before, first = earlier
        if not text.strip():
            return ("kept" if before.text.strip() else "empty"), first
        self.answers[key] = (Submission(student, question, text), where)
        return ("same" if text == before.text else "replaced"), first

    def add_warned(self, student: str, question: str, text: str, where: str) -> None:
        """``add`` one answer of a long format (a row or record per answer), warning on a repeat."""
        repeat = self.add(student, question, text, where)
        if repeat is None:
            return
        effect, first = repeat
        self.warn(where, {
            "replaced": f"{student!r} answers {question} again (earlier on {first}): this later answer counts",
            "same": f"{student!r} answers {question} again, the same answer (earlier on {first})",
            "kept": f"the answer of {student!r} to {question} is empty: the one on {first} counts",
            "empty": f"the answer of {student!r} to {question} is empty again (earlier on {first})",
        }[effect])

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(f"{self.path}: {where}: {message}")

    def result(self) -> Submissions:
        """The answers read, with a warning for students whose ids differ only in case or
        Unicode form (``Ann`` and ``ann``): graded apart, which may be one student split in two."""
        alike: dict[str, list[str]] = {}
        for student in self.first_seen:
            alike.setdefault(unicodedata.normalize("NFC", student).casefold(), []).append(student)
        for names in alike.values():
            if len(names) > 1:
                listed = " and ".join(f"{n!r} ({self.first_seen[n]})" for n in names)
                self.warnings.append(f"{self.path}: students {listed} differ only in case or Unicode "
                                     "form: graded as different students")
        return Submissions([s for s, _ in self.answers.values()], self.warnings)


# -- questions ------------------------------------------------------------------------------------
def _case_match(name: str, questions: list[str]) -> str | None:
    """The one question whose id equals ``name`` but for case, if there is exactly one."""
    found = [q for q in questions if q.casefold() == name.casefold()]
    return found[0] if len(found) == 1 else None


def _nearest(name: str, questions: list[str]) -> str | None:
    """The question id closest to ``name`` (case aside), if any is close."""
    folded = {q.casefold(): q for q in questions}
    close = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None


def _resembles(name: str, questions: list[str]) -> bool:
    """Whether a column named ``name`` may be meant as a question: close to an id, or of an id's
    shape with other numbers (``q6`` or ``Q10`` beside ``q1``…``q5``)."""
    shape = re.sub(r"\d+", "#", name.casefold())
    return _nearest(name, questions) is not None or any(
        re.sub(r"\d+", "#", q.casefold()) == shape for q in questions if re.search(r"\d", q))


def _unknown_question(where: str, what: str, name: str, questions: list[str]) -> SubmissionError:
    """The error for a question the assignment does not have, listing its questions and the nearest."""
    near = _nearest(name, questions)
    hint = f"; did you mean {near!r}?" if near else ""
    return SubmissionError(f"{where}: {what} {name!r} is not a question of the assignment "
                           f"({', '.join(questions)}){hint}")


class _Questions:
    """Reads the question named in a long CSV row or JSON line: its exact id, or one differing
    only in case (warned once per spelling); anything else is an error naming the line."""

    def __init__(self, questions: list[str], collector: _Collector):
        self.questions = questions
        self.collector = collector
        self.known: dict[str, str] = {q: q for q in questions}

    def resolve(self, name: str, where: str) -> str:
        if name in self.known:
            return self.known[name]
        if not name:
            raise SubmissionError(f"{self.collector.path}: {where}: no question; write one of "
                                  f"{', '.join(self.questions)}")
        qid = _case_match(name, self.questions)
        if qid is None:
            raise _unknown_question(f"{self.collector.path}: {where}", "question", name, self.questions)
        self.collector.warn(where, f"question {name!r} read as {qid!r} (the assignment's spelling)")
        self.known[name] = qid
        return qid


# -- CSV ------------------------------------------------------------------------------------------
def _csv_records(path: Path, text: str) -> list[tuple[int, list[str]]]:
    """Each CSV record with the line it starts on, blank lines left out.

    Only \\n, \\r\\n and \\r end a line (a U+2028 in an answer does not split its record), a
    quoted answer may span lines, and an unclosed quote — which would swallow every later row
    into one answer — is an error naming the line it opens on.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                records.append((start, row))
            start = reader.line_num + 1
    except csv.Error as error:
        if "end of data" in str(error):
            problem = "a quoted answer that starts on this line is never closed"
        else:
            problem = f"text after a closing quote ({error})"
        raise SubmissionError(f"{path}: line {start}: {problem}; a quote inside a quoted answer "
                              'is written twice ("")') from None
    return records


def _csv(path: Path, text: str, questions: list[str]) -> Submissions:
    """A CSV export: long (student, question, answer columns) or wide (a column per question)."""
    records = _csv_records(path, text)
    if not records:
        raise SubmissionError(f"{path}: empty")
    header = [h.strip() for h in records[0][1]]
    lowered = [h.lower() for h in header]
    student = next((lowered.index(c) for c in STUDENT_COLUMNS if c in lowered), None)
    if student is None:
        raise SubmissionError(f"{path}: line 1: no student column (one of {', '.join(STUDENT_COLUMNS)})")
    rows = records[1:]
    for line, row in rows:
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
            raise SubmissionError(f"{path}: line {line}: {len(row)} columns, the header has {len(header)} "
                                  "(an answer with a comma must be quoted)")
    collector = _Collector(path)
    if "question" in lowered and "answer" in lowered:
        _long_csv(path, header, rows, student, questions, collector)
    else:
        _wide_csv(path, header, rows, student, questions, collector)
    return collector.result()


def _long_csv(path: Path, header: list[str], rows, student: int, questions: list[str],
              collector: _Collector) -> None:
    """One row per answer; a row without a student or with an unknown question is refused."""
    lowered = [h.lower() for h in header]
    q, a = lowered.index("question"), lowered.index("answer")
    names = _Questions(questions, collector)
    for line, row in rows:
        where = f"line {line}"
        if len(row) <= max(student, q, a):
            raise SubmissionError(f"{path}: {where}: {len(row)} columns, expected {len(header)}")
        name = row[student].strip()
        if not name:
            raise SubmissionError(f"{path}: {where}: no student; every row names its student "
                                  f"in the {header[student]!r} column")
        qid = names.resolve(row[q].strip(), where)
        collector.add_warned(name, qid, row[a], where)


def _wide_columns(path: Path, header: list[str], student: int, questions: list[str],
                  collector: _Collector) -> dict[int, str]:
    """Which column answers which question.

    A column is a question's when named by its id, or by its id in other case (warned). Two
    columns for one question are refused. A column that names no question is refused when it
    may be one (``_resembles`` a question id, or some question has no column), else ignored
    with a warning (a timestamp, a section); a question with no column is warned.
    """
    columns: dict[int, str] = {}
    unknown: list[str] = []
    for i, name in enumerate(header):
        if i == student or not name:
            continue
        qid = name if name in questions else _case_match(name, questions)
        if qid is None:
            if name.lower() not in STUDENT_COLUMNS:
                unknown.append(name)
            continue
        if qid in columns.values():
            first = header[next(j for j, known in columns.items() if known == qid)]
            raise SubmissionError(f"{path}: line 1: two columns for question {qid}, {first!r} and "
                                  f"{name!r}; keep one")
        if qid != name:
            collector.warn("line 1", f"column {name!r} read as question {qid!r} (the assignment's spelling)")
        columns[i] = qid
    absent = [q for q in questions if q not in columns.values()]
    for name in unknown:
        if absent or _resembles(name, questions):
            raise _unknown_question(f"{path}: line 1", "column", name, questions)
        collector.warn("line 1", f"column {name!r} is not a question of the assignment: ignored")
    if not columns:
        raise SubmissionError(f"{path}: line 1: no column named after a question ({', '.join(questions)})")
    for qid in absent:
        collector.warn("line 1", f"no column for question {qid}: every answer to it is missing")
    return columns


_WIDE_REPEAT = {"replaced": "{q} replaced by this row's answer", "kept": "{q} kept (this row's cell is empty)",
                "same": "{q} the same", "empty": "{q} empty in both"}


def _wide_csv(path: Path, header: list[str], rows, student: int, questions: list[str],
              collector: _Collector) -> None:
    """One row per student; a student's second row is read answer by answer and warned."""
    columns = _wide_columns(path, header, student, questions, collector)
    unnamed = [i for i, name in enumerate(header) if not name]
    for line, row in rows:
        where = f"line {line}"
        name = row[student].strip() if student < len(row) else ""
        if not name:
            raise SubmissionError(f"{path}: {where}: no student; every row names its student "
                                  f"in the {header[student]!r} column")
        for i in unnamed:
            if i < len(row) and row[i].strip():
                raise SubmissionError(f"{path}: {where}: column {i + 1} has no name in the header "
                                      "but holds an answer; name it after its question")
        cut = [qid for i, qid in columns.items() if i >= len(row)]
        if cut:
            collector.warn(where, f"{len(row)} columns, the header has {len(header)}: "
                                  f"no cell for {', '.join(cut)}, read as no answer")
        again = collector.first_seen.get(name)
        effects = [(qid, collector.add(name, qid, row[i] if i < len(row) else "", where))
                   for i, qid in columns.items()]
        if again:
            told = [_WIDE_REPEAT[repeat[0]].format(q=qid) for qid, repeat in effects if repeat]
            collector.warn(where, f"student {name!r} again (first on {again}): {', '.join(told)}")


# -- JSON lines -----------------------------------------------------------------------------------
def _jsonl(path: Path, text: str, questions: list[str]) -> Submissions:
    """One JSON record a line; only \\n, \\r\\n and \\r end a line (not U+2028, NEL, form feed:
    those may stand raw inside an answer string, as may other control characters)."""
    collector = _Collector(path)
    names = _Questions(questions, collector)
    for line, raw in enumerate(_LINE_END.split(text), 1):
        if not raw.strip():
            continue
        where = f"line {line}"
        student, question, answer = _record(path, where, raw)
        qid = names.resolve(question, where)
        collector.add_warned(student, qid, answer, where)
    return collector.result()


def _record(path: Path, where: str, raw: str) -> tuple[str, str, str]:
    """The student, question and answer of one JSON line; a missing or blank student or
    question, or an answer that is not text (or a number), is an error naming the line."""
    fix = 'write {"student": "ann", "question": "q1", "answer": "..."}'
    try:
        record = json.loads(raw, strict=False)
    except ValueError as error:
        raise SubmissionError(f"{path}: {where}: not JSON ({error.args[0].split(':')[0]}); {fix}") from None
    if not isinstance(record, dict):
        raise SubmissionError(f"{path}: {where}: not a JSON object; {fix}")
    values = []
    for key in ("student", "question"):
        value = record.get(key)
        value = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
        if not value:
            raise SubmissionError(f"{path}: {where}: no {key}; {fix}")
        values.append(value)
    answer = record.get("answer")
    if answer is None:
        answer = ""
    elif isinstance(answer, (int, float)) and not isinstance(answer, bool):
        answer = str(answer)
    elif not isinstance(answer, str):
        raise SubmissionError(f"{path}: {where}: the answer is a JSON {type(answer).__name__}, not text; {fix}")
    for text in (*values, answer):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:  # a \ud800 escape: a half of a character, not text
            raise SubmissionError(f"{path}: {where}: not valid Unicode at character {error.start + 1} "
                                  f"(a lone surrogate {ascii(text[error.start])}); write the "
                                  f"character itself, or its pair of escapes") from None
    return values[0], values[1], answer


# -- folders --------------------------------------------------------------------------------------
IGNORED_FOLDERS = ("__MACOSX",)  # a Mac's zip puts resource forks (._q1.txt) there
MAX_WALK = 10_000  # files looked at in one submission folder (a zipped virtualenv is not read whole)


def _folder(path: Path, questions: list[str], student: str | None, encoding: str | None) -> Submissions:
    """One student's submission when ``student`` is named (``--student``, Gradescope's
    /autograder/submission) or when answer files lie directly inside; else a folder of student
    folders. An answer file is found in any sub-folder (a zip of a folder), by its question id in
    any case (``Q2.txt``, ``q1.TXT``); macOS's ``__MACOSX/`` and ``._*`` files, hidden files and
    symbolic links (which could point at any file of the grading machine) are never read."""
    collector = _Collector(path)
    direct = any(_question_of(p, questions) for p in path.iterdir() if _submitted(p) and p.is_file())
    if student is not None or direct:
        _student_folder(path, student or path.name, questions, encoding, collector)
        return collector.result()
    folders = sorted(p for p in path.iterdir() if p.is_dir() and _submitted(p))
    if not folders:
        raise SubmissionError(f"{path}: no answer files ({', '.join(q + '.txt' for q in questions)}) "
                              "and no student folders")
    for folder in folders:
        _student_folder(folder, folder.name, questions, encoding, collector)
    return collector.result()


def _submitted(path: Path) -> bool:
    """Whether a file or folder is the student's own: not hidden, not macOS metadata, not a link."""
    return not (path.name.startswith(".") or path.name in IGNORED_FOLDERS or path.is_symlink())


def submission_files(folder: str | Path) -> list[str]:
    """The files a student submitted under ``folder`` (paths relative to it, sorted), skipping
    what ``_submitted`` skips: what a "no answer found" message lists."""
    folder = Path(folder)
    found: list[str] = []
    for root, dirs, files in os.walk(folder):  # symbolic links to folders are not followed
        dirs[:] = sorted(d for d in dirs if _submitted(Path(root) / d))
        for name in sorted(files):
            if _submitted(Path(root) / name):
                found.append((Path(root) / name).relative_to(folder).as_posix())
                if len(found) >= MAX_WALK:
                    return found
    return found


def _question_of(path: Path, questions: list[str]) -> str | None:
    """The question a file answers by its name: ``<id>.txt`` / ``.tex`` / ``.md``, the id in the
    assignment's case, or in another case when that matches one question only."""
    if path.suffix.lower() not in ANSWER_SUFFIXES:
        return None
    return path.stem if path.stem in questions else _case_match(path.stem, questions)


def _student_folder(folder: Path, name: str, questions: list[str], encoding: str | None,
                    collector: _Collector) -> None:
    """One student's answers: ``<question>.txt`` (or .tex, .md) each, anywhere under the folder,
    decoded like any file. Of two files for one question the exact name is read first, then the
    shallower, then by suffix (.txt, .tex, .md); the choice is warned."""
    candidates: dict[str, list[tuple]] = {}
    for relative in submission_files(folder):
        qid = _question_of(Path(relative), questions)
        if qid is not None and (folder / relative).is_file():
            rank = (Path(relative).stem != qid, relative.count("/"),
                    ANSWER_SUFFIXES.index(Path(relative).suffix.lower()), relative)
            candidates.setdefault(qid, []).append(rank)
    for qid in questions:
        files = [rank[-1] for rank in sorted(candidates.get(qid, []))]
        if len(files) > 1:
            collector.warnings.append(f"{folder / files[0]}: {name!r} has {len(files)} files for {qid} "
                                      f"({', '.join(files)}): {files[0]} is read")
        text = _read_text(folder / files[0], encoding) if files else ""
        collector.add(name, qid, text, str(folder / files[0]) if files else str(folder))
