"""What grading writes: grades.csv, a feedback page per student, the instructor's report with a
score histogram (SVG, no plotting library needed), and Gradescope's results.json.

Three promises hold for every file here:

* **Safe**: student text (answers, ids, the parser's messages quoting them) is shown through
  ``safe_text`` — escaped in Markdown, never a formula in a spreadsheet, control characters
  visible — and each student's feedback page has a file name of its own (``feedback_names``).
* **Linear**: the grades are grouped by student and by question once (``Classbook``); no writer
  scans the whole class per student, so 100,000 students take seconds, not hours.
* **Whole or not at all**: each file is written to a temporary name and renamed over the old one,
  so a full disk or a kill leaves the previous file, never half of one; ``prepare_output`` checks,
  before grading starts, that every file can be written.

An instructor's manual decisions (``--overrides``: student, question, points, comment) are applied
on top of derive's grades on every run (``read_overrides``, ``apply_overrides``) and shown in
grades.csv, the feedback pages, the report and results.json.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import html
import io
import math
import os
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..documents.safe_text import csv_cell, csv_number, md_block, md_code, md_inline, md_table_cell
from ..errors import DeriveError
from .assignment import Assignment
from .grade import READ, Graded

Grades = dict[tuple[str, str], Graded]  # (student, question) -> grade


@dataclass(frozen=True)
class Override:
    """An instructor's decision on one answer, from the overrides file."""

    student: str
    question: str
    points: float
    comment: str
    line: int  # in the overrides file
    derive_points: float | None = None  # what derive gave, once applied


class Classbook:
    """The grades grouped once by student and by question, in a stable order: every writer reads
    these groups instead of scanning every grade per student (which made 100,000 students take
    hours). Overrides applied are kept beside the grades they replaced."""

    def __init__(self, assignment: Assignment, grades: Grades, overrides: dict | None = None):
        self.assignment = assignment
        self.grades = grades
        self.overrides: dict[tuple[str, str], Override] = overrides or {}
        self.by_student: dict[str, dict[str, Graded]] = defaultdict(dict)
        self.by_question: dict[str, list[Graded]] = defaultdict(list)
        for (student, question), graded in sorted(grades.items()):
            self.by_student[student][question] = graded
            self.by_question[question].append(graded)
        self.students = sorted(self.by_student)

    def total(self, student: str) -> float:
        return sum(g.points for g in self.by_student.get(student, {}).values())

    def totals(self) -> dict[str, float]:
        return {student: self.total(student) for student in self.students}


def _book(assignment: Assignment, grades, overrides=None) -> Classbook:
    return grades if isinstance(grades, Classbook) else Classbook(assignment, grades, overrides)


def students(grades: Grades) -> list[str]:
    return sorted({student for student, _ in grades})


def totals(assignment: Assignment, grades: Grades | Classbook) -> dict[str, float]:
    """Each student's total points, in one pass over the grades."""
    return _book(assignment, grades).totals()


# -- output folder --------------------------------------------------------------------------------
OUTPUT_FILES = ("results.jsonl", "grades.csv", "report.md", "histogram.svg")


def prepare_output(folder: Path, gradescope: bool = False) -> None:
    """Create the output folder and its feedback/ folder and make sure every file a run writes
    can be written there, before anything is graded: a file in the way or a folder that cannot
    be written is a one-line ``DeriveError``, never a traceback after an hour of grading."""
    for where in (folder, folder / "feedback"):
        if where.exists() and not where.is_dir():
            raise DeriveError(f"{where}: a file is in the way of the output folder; remove it or "
                              "choose another -o")
        try:
            where.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=where, prefix=".derive-probe-"):
                pass
        except OSError as error:
            raise DeriveError(f"{where}: cannot write the output folder ({_reason(error)})") from None
    for name in OUTPUT_FILES + (("results.json",) if gradescope else ()):
        target = folder / name
        if target.is_dir():
            raise DeriveError(f"{target}: a folder is in the way of a file derive writes; remove it")
        if target.exists():
            try:
                with target.open("a"):
                    pass
            except OSError as error:
                raise DeriveError(f"{target}: cannot write ({_reason(error)})") from None


def _reason(error: OSError) -> str:
    return (error.strerror or str(error)).lower()


def write_atomically(path: Path, text: str, sync: bool = True) -> None:
    """``text`` into ``path`` through a temporary file in the same folder, renamed over it:
    readers and a failed write (a full disk) see the old file or the new, never half. ``sync``
    also flushes it to the disk first (durable across a power cut); feedback pages skip that —
    20,000 syncs took a minute, and a rerun writes every page again from the journal."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            if sync:
                out.flush()
                os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# -- grades.csv -----------------------------------------------------------------------------------
def grades_csv(assignment: Assignment, grades: Grades | Classbook) -> str:
    """A row per student: points per question (empty where not graded), the total, the questions
    needing manual review and those whose points an instructor set. Text cells a spreadsheet
    would run as a formula get a leading apostrophe; numbers stay numbers."""
    book = _book(assignment, grades)
    ids = [q.id for q in assignment.questions]
    out = io.StringIO()
    writer = csv.writer(out)  # \r\n ends a row, so a cell holding \r or \n is quoted
    writer.writerow(["student", *[csv_cell(q) for q in ids], "total", "needs_review", "overridden"])
    for student in book.students:
        mine = book.by_student[student]
        row = [mine.get(q) for q in ids]
        review = [q for q, g in zip(ids, row) if g is not None and g.review]
        overridden = [q for q in ids if (student, q) in book.overrides]
        writer.writerow([csv_cell(student), *[csv_number(f"{g.points:g}") if g else "" for g in row],
                         csv_number(f"{book.total(student):g}"), csv_cell(" ".join(review)),
                         csv_cell(" ".join(overridden))])
    return out.getvalue()


def write_grades_csv(assignment: Assignment, grades: Grades | Classbook, path: Path) -> None:
    write_atomically(path, grades_csv(assignment, grades))


# -- feedback pages -------------------------------------------------------------------------------
_WINDOWS_RESERVED = re.compile(r"(con|prn|aux|nul|com\d|lpt\d)(\..*)?", re.IGNORECASE)


def _safe_name(student: str) -> str:
    """``student`` in characters every file system takes, not hidden, at most 100 of them."""
    name = re.sub(r"[^A-Za-z0-9_.@-]", "_", student)[:100]
    return "_" + name[1:] if name.startswith(".") else name or "_"


def _short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def feedback_names(students: Iterable[str]) -> dict[str, str]:
    """A file name (without ``.md``) per student, unique and safe.

    The id itself where it is already a safe name; otherwise the sanitised id with a short hash
    of the raw id (``ann b`` → ``ann_b-1f0c…``, so it never overwrites ``ann_b``'s page). Ids
    whose names would differ only in case (one file on macOS and Windows) get the hash too, and
    any clash left (an id spelled like another's hashed name) gets a longer hash."""
    students = list(dict.fromkeys(students))
    base = {s: _safe_name(s) for s in students}
    folded = Counter(name.casefold() for name in base.values())
    names = {}
    for student, name in base.items():
        if name != student or folded[name.casefold()] > 1 or _WINDOWS_RESERVED.fullmatch(name):
            name = f"{name[:90]}-{_short_hash(student)}"
        names[student] = name
    clashes = Counter(name.casefold() for name in names.values())
    for student, name in names.items():
        if clashes[name.casefold()] > 1:
            names[student] = f"{base[student][:60]}-{_short_hash(student, 32)}"
    return names


def _override_line(override: Override, maximum: float) -> str:
    derive = f" (derive gave {override.derive_points:g})" if override.derive_points is not None else ""
    comment = f" {md_inline(override.comment)}" if override.comment else ""
    return f"**Points set by your instructor: {override.points:g} / {maximum:g}**{derive}.{comment}"


def feedback_markdown(assignment: Assignment, grades: Grades | Classbook, student: str) -> str:
    """One student's page: per question, the answer, the points and what is wrong with it.
    The answer is shown verbatim in a code block no line of it can close."""
    book = _book(assignment, grades)
    mine = book.by_student.get(student, {})
    lines = [f"# {assignment.title}: feedback for {md_inline(student)}", "",
             f"Total: {book.total(student):g} / {assignment.total:g} points.", ""]
    for question in assignment.questions:
        graded = mine.get(question.id)
        lines.append(f"## {question.id}: {md_code(question.asks)} ({question.points:g} points)")
        lines.append("")
        if graded is None:
            lines += ["Not graded yet.", ""]
            continue
        shown = graded.answer if len(graded.answer) < 200 else graded.answer[:200] + " …"
        lines += ["Your answer:", "", md_block(shown), ""]
        math = graded.key_math if graded.verdict in READ else None
        if math:
            lines += ["read as", "", f"$$\n{math}\n$$", ""]
        override = book.overrides.get((student, question.id))
        if override is not None:
            lines += [_override_line(override, question.points), "", "derive's check: " + graded.feedback, ""]
        else:
            lines += [graded.feedback, ""]
    return "\n".join(lines)




def write_feedback(assignment: Assignment, grades: Grades | Classbook, folder: Path) -> dict[str, str]:
    """A page per student in ``folder``; returns each student's file name."""
    book = _book(assignment, grades)
    folder.mkdir(parents=True, exist_ok=True)
    names = feedback_names(book.students)
    for student in book.students:
        write_atomically(folder / f"{names[student]}.md", feedback_markdown(assignment, book, student), sync=False)
    return names


# -- the report -----------------------------------------------------------------------------------
def _unreadable_reason(graded: Graded) -> str:
    """The first line of the parser's message in an unreadable answer's feedback (the line after
    the code fence that ``feedback_text`` puts it in)."""
    lines = graded.feedback.splitlines()
    for k, line in enumerate(lines[:-1]):
        if line.startswith("```"):
            return lines[k + 1]
    return lines[0] if lines else ""


def _who(members: list[Graded], shown: int = 5) -> str:
    names = ", ".join(md_inline(m.student) for m in members[:shown])
    return names + (f" and {len(members) - shown} more" if len(members) > shown else "")


def report_markdown(assignment: Assignment, grades: Grades | Classbook, histogram: str = "histogram.svg") -> str:
    """The instructor's report: score histogram, and per question the right count, the diagnoses
    ranked, the distinct wrong answers grouped by meaning, every unreadable answer grouped by
    its text with counts, the answers to review, and the instructor's overrides."""
    book = _book(assignment, grades)
    scores = book.totals()
    lines = [f"# {assignment.title}: class report", "",
             f"{len(scores)} students, {len(book.grades)} answers graded. "
             f"Mean {_mean(scores.values()):.2f} / {assignment.total:g} points.", "",
             f"![score histogram]({histogram})", ""]
    for question in assignment.questions:
        answers = book.by_question.get(question.id, [])
        right = sum(g.verdict == "holds" for g in answers)
        lines += [f"## {question.id}: {md_code(question.asks)} on {question.problem.id}", "",
                  f"{right} of {len(answers)} right; mean {_mean(g.points for g in answers):.2f} / "
                  f"{question.points:g} points.", ""]
        verdicts = Counter(g.diagnosis or g.verdict for g in answers if g.verdict != "holds")
        if verdicts:
            lines += ["| diagnosis | answers |", "|---|---|"]
            lines += [f"| {code} | {count} |" for code, count in verdicts.most_common()]
            lines.append("")
        groups: dict[str, list[Graded]] = defaultdict(list)
        for g in answers:
            if g.verdict == "fails":
                groups[g.meaning or g.key].append(g)
        if groups:
            lines += ["Distinct wrong answers (answers equal as matrices counted as one):", "",
                      "| answers | as most wrote it | read as | diagnosis | points |", "|---|---|---|---|---|"]
            for members in sorted(groups.values(), key=lambda m: (-len(m), m[0].key)):
                spellings = Counter(m.key for m in members)
                key = spellings.most_common(1)[0][0]
                first = next(m for m in members if m.key == key)
                value = key.split(" = ", 1)[-1]
                math = first.value_math
                math = f"${_math_cell(math)}$" if math else ""
                more = f" (and {len(spellings) - 1} other spelling{'s' * (len(spellings) > 2)})" \
                    if len(spellings) > 1 else ""
                lines.append(f"| {len(members)} | {md_table_cell(md_code(value))}{more} | {math} | "
                             f"{first.diagnosis or ''} | {first.points:g} |")
            lines.append("")
        unreadable: dict[str, list[Graded]] = defaultdict(list)
        for g in answers:
            if g.verdict == "invalid":
                unreadable[g.answer.strip()].append(g)
        if unreadable:
            lines += [f"Unreadable answers ({sum(map(len, unreadable.values()))}, graded 0), grouped by text:", "",
                      "| answers | answer | why it could not be read | students |", "|---|---|---|---|"]
            for text, members in sorted(unreadable.items(), key=lambda item: (-len(item[1]), item[0])):
                shown = text if len(text) <= 80 else text[:80] + " …"
                lines.append(f"| {len(members)} | {md_table_cell(md_code(shown))} | "
                             f"{md_table_cell(md_inline(_unreadable_reason(members[0])))} | "
                             f"{md_table_cell(_who(members))} |")
            lines.append("")
        review = [g for g in answers if g.review]
        if review:
            lines += ["Needs manual review (undecided):", ""]
            lines += [f"- {md_inline(g.student)}: {md_code(g.answer[:120])} — {g.feedback.splitlines()[0]}"
                      for g in review]
            lines.append("")
    if book.overrides:
        lines += ["## Overrides", "", "Points set by the instructor (the overrides file), in place of derive's:", "",
                  "| student | question | derive's points | points | comment |", "|---|---|---|---|---|"]
        for (student, qid), override in sorted(book.overrides.items()):
            derive = "" if override.derive_points is None else f"{override.derive_points:g}"
            lines.append(f"| {md_table_cell(md_inline(student))} | {qid} | {derive} | {override.points:g} | "
                         f"{md_table_cell(md_inline(override.comment))} |")
        lines.append("")
    return "\n".join(lines)


def histogram_svg(scores: list[float], maximum: float, bins: int = 10) -> str:
    """A bar chart of the total scores, as a standalone SVG picture."""
    width, height, margin = 480, 240, 36
    counts = [0] * bins
    for score in scores:
        counts[max(0, min(int(score / maximum * bins) if maximum else 0, bins - 1))] += 1
    top = max(counts) or 1
    bar = (width - 2 * margin) / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="11">',
             f'<text x="{width / 2}" y="16" text-anchor="middle">total score (of {maximum:g}): '
             f'number of students</text>',
             f'<line x1="{margin}" y1="{height - margin}" x2="{width - margin}" y2="{height - margin}" '
             f'stroke="black"/>']
    for k, count in enumerate(counts):
        h = (height - 2 * margin - 10) * count / top
        x = margin + k * bar
        parts.append(f'<rect x="{x + 2:.1f}" y="{height - margin - h:.1f}" width="{bar - 4:.1f}" '
                     f'height="{h:.1f}" fill="#4a78b5"/>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - margin - h - 3:.1f}" '
                     f'text-anchor="middle">{count}</text>')
        parts.append(f'<text x="{x:.1f}" y="{height - margin + 14}" text-anchor="middle">'
                     f'{html.escape(f"{maximum * k / bins:g}")}</text>')
    parts.append(f'<text x="{width - margin}" y="{height - margin + 14}" text-anchor="middle">{maximum:g}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_report(assignment: Assignment, grades: Grades | Classbook, folder: Path) -> None:
    book = _book(assignment, grades)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / "histogram.svg", histogram_svg(list(book.totals().values()), assignment.total))
    write_atomically(folder / "report.md", report_markdown(assignment, book))


# -- Gradescope -----------------------------------------------------------------------------------
def _not_found(question_id: str, found: list[str] | None) -> str:
    """Why a question has no answer, for a Gradescope student: what derive reads, what it found."""
    text = (f"No answer was found for this question: derive reads a text file named "
            f"{md_code(question_id + '.txt')} (or `.tex`, `.md`; any case, in any folder of your submission).")
    if found is None:
        return text
    if not found:
        return text + " Your submission has no files."
    listed = ", ".join(md_code(name) for name in found[:10])
    if len(found) > 10:
        listed += f" and {len(found) - 10} more"
    text += f" Your submission has: {listed}."
    if any(name.lower().endswith(".pdf") for name in found):
        text += " A PDF cannot be read: type the answer in a text file."
    return text


def gradescope_results(assignment: Assignment, grades: Grades | Classbook, student: str,
                       found: list[str] | None = None) -> dict:
    """Gradescope's autograder results.json for one student: a test per question. A question
    without an answer scores 0 with the reason (``found``: the files of the submission)."""
    book = _book(assignment, grades)
    mine = book.by_student.get(student, {})
    tests = []
    for question in assignment.questions:
        graded = mine.get(question.id)
        if graded is None or graded.verdict == "missing":
            output = _not_found(question.id, found)
        else:
            output = graded.feedback
        override = book.overrides.get((student, question.id))
        if override is not None:
            output = _override_line(override, question.points) + "\n\nderive's check: " + output
        tests.append({
            "name": f"{question.id}: {question.asks}",
            "score": graded.points if graded else 0.0,
            "max_score": question.points,
            "output": output,
            "output_format": "md",
            "visibility": "visible",
        })
    return {"score": sum(t["score"] for t in tests), "tests": tests, "visibility": "visible",
            "output": f"derive graded {len(tests)} questions."}


def gradescope_failure(assignment: Assignment, reason: str) -> dict:
    """results.json when the submission could not be read at all: every question 0, with the
    reason (an autograder that crashes tells the student nothing)."""
    tests = [{"name": f"{q.id}: {q.asks}", "score": 0.0, "max_score": q.points,
              "output": "Your submission could not be read:\n\n" + md_block(reason),
              "output_format": "md", "visibility": "visible"} for q in assignment.questions]
    return {"score": 0.0, "tests": tests, "visibility": "visible",
            "output": "derive could not read the submission: " + md_inline(reason)}


# -- overrides ------------------------------------------------------------------------------------
def read_overrides(path: str | Path, assignment: Assignment) -> dict[tuple[str, str], Override]:
    """The instructor's decisions: a CSV with columns student, question, points and (optional)
    comment, a row per answer decided. A row that cannot be applied for sure (an unknown
    question, points that are not a number between 0 and the question's, a second row for the
    same answer, a blank student) is an error naming the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DeriveError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise DeriveError(f"{path}: not UTF-8 (byte {error.start}); save it as UTF-8") from None
    except OSError as error:
        raise DeriveError(f"{path}: cannot read it ({_reason(error)})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = [(reader.line_num, row) for row in reader]
    rows = [(line, row) for line, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return {}
    header = [h.strip().lower() for h in rows[0][1]]
    missing = [c for c in ("student", "question", "points") if c not in header]
    if missing:
        raise DeriveError(f"{path}: line 1: no {missing[0]} column (the columns are student, question, "
                          "points, comment)")
    col = {name: header.index(name) for name in ("student", "question", "points", "comment") if name in header}
    out: dict[tuple[str, str], Override] = {}
    ids = [q.id for q in assignment.questions]

    def cell(row: list[str], name: str) -> str:
        return row[col[name]].strip() if name in col and col[name] < len(row) else ""

    for line, row in rows[1:]:
        student, qid, points = cell(row, "student"), cell(row, "question"), cell(row, "points")
        where = f"{path}: line {line}"
        if not student:
            raise DeriveError(f"{where}: no student")
        if qid not in ids:
            raise DeriveError(f"{where}: {qid!r} is not a question of the assignment ({', '.join(ids)})")
        maximum = assignment.question(qid).points
        try:
            value = float(points)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and 0 <= value <= maximum):
            raise DeriveError(f"{where}: points {points!r}: a number from 0 to {maximum:g} (question {qid})")
        if (student, qid) in out:
            raise DeriveError(f"{where}: {student} {qid} is decided twice (first on line "
                              f"{out[(student, qid)].line}); keep one row")
        out[(student, qid)] = Override(student, qid, value, cell(row, "comment"), line)
    return out


def apply_overrides(grades: Grades, overrides: dict[tuple[str, str], Override]
                    ) -> tuple[Grades, dict[tuple[str, str], Override], list[str]]:
    """derive's grades with the instructor's points in place (review cleared), the overrides
    applied (each with derive's points), and a warning per override matching no graded answer."""
    out = dict(grades)
    applied: dict[tuple[str, str], Override] = {}
    warnings = []
    for key, override in overrides.items():
        graded = grades.get(key)
        if graded is None:
            warnings.append(f"overrides line {override.line}: {override.student!r} has no graded answer "
                            f"to {override.question}: not applied")
            continue
        out[key] = dataclasses.replace(graded, points=override.points, review=False)
        applied[key] = dataclasses.replace(override, derive_points=graded.points)
    return out, applied, warnings


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _math_cell(latex: str) -> str:
    """LaTeX inside a Markdown table cell: no bare | (it would end the cell)."""
    return latex.replace("\\|", "\\Vert ").replace("|", "\\vert ")


def _file_name(student: str) -> str:
    """The feedback file name of a student alone in the class (``feedback_names`` for many)."""
    return feedback_names([student])[student]
