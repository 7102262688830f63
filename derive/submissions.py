"""Submissions as a learning-management system exports them, read into (student, question, text).

* CSV, wide: a student column (``student``, ``id``, ``email`` or ``name``) and one column per
  question id; long: columns ``student``, ``question``, ``answer``.
* JSON lines: ``{"student": ..., "question": ..., "answer": ...}`` per line.
* A folder with a folder per student, each holding ``<question>.txt`` / ``.tex`` / ``.md`` — the
  layout an autograder receives (Gradescope gives one student's folder: then the student is the
  folder's name, or ``--student``).

Answers are kept as text, whatever they hold: reading them is ``answers.read_answer``'s job. A
file that cannot be read as any of these raises ``SubmissionError`` naming the file and line.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from .errors import DeriveError
from .grading import Submission

STUDENT_COLUMNS = ("student", "id", "email", "name", "sid")
ANSWER_SUFFIXES = (".txt", ".tex", ".md")
MAX_FILE = 64 * 1024 * 1024  # bytes; a larger export is refused rather than read into memory

csv.field_size_limit(min(sys.maxsize, MAX_FILE))  # a 1 MB answer is an answer (too large), not a crash


class SubmissionError(DeriveError, ValueError):
    """A submissions file that cannot be read."""


def read_submissions(path: str | Path, questions: list[str], student: str | None = None) -> list[Submission]:
    """Every (student, question, answer) in a CSV, a JSON-lines file or a folder."""
    path = Path(path)
    if path.is_dir():
        return _folder(path, questions, student)
    if not path.exists():
        raise SubmissionError(f"{path}: no such file or folder")
    if path.stat().st_size > MAX_FILE:
        raise SubmissionError(f"{path}: larger than {MAX_FILE >> 20} MB")
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    if path.suffix in (".jsonl", ".ndjson") or (path.suffix != ".csv" and text.lstrip().startswith("{")):
        return _jsonl(path, text)
    return _csv(path, text, questions)


def _csv(path: Path, text: str, questions: list[str]) -> list[Submission]:
    rows = list(csv.reader(text.splitlines(keepends=True)))
    if not rows:
        raise SubmissionError(f"{path}: empty")
    header = [h.strip() for h in rows[0]]
    lowered = [h.lower() for h in header]
    student = next((lowered.index(c) for c in STUDENT_COLUMNS if c in lowered), None)
    if student is None:
        raise SubmissionError(f"{path}: line 1: no student column (one of {', '.join(STUDENT_COLUMNS)})")
    for line, row in enumerate(rows[1:], 2):
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
            raise SubmissionError(f"{path}: line {line}: {len(row)} columns, the header has {len(header)} "
                                  "(an answer with a comma must be quoted)")
    out = []
    if "question" in lowered and "answer" in lowered:  # one row per answer
        q, a = lowered.index("question"), lowered.index("answer")
        for line, row in enumerate(rows[1:], 2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) <= max(student, q, a):
                raise SubmissionError(f"{path}: line {line}: {len(row)} columns, expected {len(header)}")
            out.append(Submission(row[student].strip(), row[q].strip(), row[a]))
        return out
    columns = {i: h for i, h in enumerate(header) if h in questions}
    if not columns:
        raise SubmissionError(f"{path}: line 1: no column named after a question ({', '.join(questions)})")
    for line, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        name = row[student].strip() if student < len(row) else ""
        if not name:
            raise SubmissionError(f"{path}: line {line}: no student")
        for i, qid in columns.items():
            out.append(Submission(name, qid, row[i] if i < len(row) else ""))
    return out


def _jsonl(path: Path, text: str) -> list[Submission]:
    out = []
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            out.append(Submission(str(record["student"]), str(record["question"]), str(record.get("answer") or "")))
        except (ValueError, KeyError, TypeError) as error:
            raise SubmissionError(f"{path}: line {line}: not a record with student, question and answer "
                                  f"({type(error).__name__})") from None
    return out


def _folder(path: Path, questions: list[str], student: str | None) -> list[Submission]:
    """A folder of student folders, or (with answer files directly inside) one student's."""
    def answers(folder: Path, name: str) -> list[Submission]:
        found = []
        for qid in questions:
            files = [folder / f"{qid}{suffix}" for suffix in ANSWER_SUFFIXES if (folder / f"{qid}{suffix}").is_file()]
            text = files[0].read_text(encoding="utf-8", errors="replace") if files else ""
            found.append(Submission(name, qid, text))
        return found

    direct = any((path / f"{q}{s}").is_file() for q in questions for s in ANSWER_SUFFIXES)
    if direct:
        return answers(path, student or path.name)
    folders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise SubmissionError(f"{path}: no answer files ({', '.join(q + '.txt' for q in questions)}) "
                              "and no student folders")
    return [s for folder in folders for s in answers(folder, folder.name)]
