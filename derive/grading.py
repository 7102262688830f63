"""Grading a class: every answer checked once, safely, with points and feedback in plain words.

The contract:

* Each question's checker (its problem's exact and numeric models, the reference derivatives)
  is built once, in the parent, before any worker starts: forked workers inherit it.
* Answers that read as the same claim are graded once (``answers.read_answer`` gives the key).
* Each distinct answer is checked in a forked worker killed after ``timeout`` seconds of wall
  time: a runaway simplification becomes "undecided — needs manual review" and grading goes on.
  A malformed answer is graded 0 with the parser's message, without a worker.
* Every grade is appended to the results file (JSON lines, flushed and synced) as soon as it is
  known; a rerun reads the file and grades only what is missing, so an interrupted run loses and
  duplicates nothing.
* Points: a right answer (an exact proof at every size assignment, no numeric doubt) earns the
  question's points; a wrong one the rubric's fraction for its diagnosis; an undecided one 0,
  flagged for review. Never more than the evidence shows.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import sympy

from .answers import Answer, read_answer, reference
from .assignment import Assignment, Question
from .budget import map_killable
from .check import SMALL, CheckOptions, ProblemChecker
from .errors import DeriveError
from .numeric import NumericModel
from .problem import ClaimSpec
from .shapes import infer

ANSWER_TIMEOUT = 30.0  # seconds of wall time per distinct answer
SHOWN_ANSWER = 300  # characters of an answer kept in the results


@dataclass(frozen=True)
class Submission:
    student: str
    question: str
    text: str


@dataclass
class Outcome:
    """What checking one distinct answer found (picklable: it comes back from a worker)."""

    verdict: str  # holds, fails, undecided, invalid (unreadable), missing (no answer)
    diagnosis: str | None = None
    message: str = ""  # the diagnosis, the parse error, or why it is undecided
    failing: str = ""  # where a wrong answer fails: entry, true and claimed values
    evidence: str = ""
    correction: str | None = None
    meaning: str = ""  # a fingerprint of the answer's value: equal matrices, equal fingerprints


@dataclass
class Graded:
    """One student's grade on one question, as written to the results file."""

    student: str
    question: str
    answer: str
    points: float
    max_points: float
    verdict: str
    diagnosis: str | None
    feedback: str
    review: bool
    key: str
    meaning: str = ""
    seconds: float = 0.0

    def as_json(self) -> dict:
        return asdict(self)


def grading_options() -> CheckOptions:
    """The checker's options for grading: the exact check always, no all-sizes proof (the
    verdict does not need it, and a class has hundreds of answers)."""
    return CheckOptions(exact_budget=8.0, generic=False)


class Grader:
    """Grades submissions to one assignment."""

    def __init__(self, assignment: Assignment, jobs: int = 1, timeout: float = ANSWER_TIMEOUT,
                 options: CheckOptions | None = None):
        self.assignment = assignment
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.checkers = {q.id: ProblemChecker(q.problem, options or grading_options())
                         for q in assignment.questions}
        self._models: dict = {}  # question id -> the numeric model that fingerprints answers

    def prepare(self) -> None:
        """Check every reference answer (the quantity asked against itself where there is none),
        so that each question's models are built once, before workers fork; a wrong reference is
        the instructor's error and stops the run."""
        for question in self.assignment.questions:
            answer = (read_answer(question.answer, question) if question.answer is not None
                      else reference([question.target] * 2))
            outcome = self.check(question, answer)
            if outcome.verdict != "holds":
                raise DeriveError(f"question {question.id}: the reference answer {question.answer!r} "
                                  f"is not proved right ({outcome.verdict}: {outcome.message})")

    def check(self, question: Question, answer: Answer) -> Outcome:
        """Check one parsed answer (in the calling process)."""
        spec = ClaimSpec(text=answer.key, chain=answer.chain)
        verdict = self.checkers[question.id].check(spec)
        if verdict.error and verdict.error.startswith("internal error"):
            return Outcome("undecided", message=verdict.error)  # derive's defect, not the student's
        if verdict.error:
            return Outcome("invalid", message=verdict.error)
        if verdict.verdict == "holds":
            return Outcome("holds", evidence=verdict.evidence_summary())
        if verdict.verdict == "fails":
            link = verdict.links[verdict.broken_link]
            failing = self._shapes(question, answer) if link.reason.startswith("shape") else ""
            if link.difference is not None:
                d = link.difference
                sizes = ", ".join(f"{k}={v}" for k, v in d.sizes.items())
                failing = (f"at {d.entry} (sizes {sizes}, a random point) the true value is "
                           f"{_number(d.true)} and your answer gives {_number(d.claimed)}")
            diagnosis = link.diagnosis
            return Outcome("fails", diagnosis.code if diagnosis else None,
                           diagnosis.message if diagnosis else link.reason, failing, verdict.evidence_summary(),
                           diagnosis.correct if diagnosis else None, self._meaning(question, answer))
        link = next((l for l in verdict.links if l.verdict != "holds"), None)
        return Outcome("undecided", message=link.reason if link else "", evidence=verdict.evidence_summary())

    def _shapes(self, question: Question, answer: Answer) -> str:
        """The answer's shape and the quantity's, in the problem's sizes and at example sizes:
        "your answer is d×m, dJ/dW is m×d (3×2 and 2×3 when m=2, d=3)"."""
        problem = question.problem
        try:
            scope = problem.check_claim_names(answer.chain)
            shapes = [infer(answer.chain.sides[-1], scope), infer(answer.chain.sides[0], scope)]
        except DeriveError:
            return ""
        sizes = self.checkers[question.id].exact_sizes[0]
        values = {problem.sizes[name]: value for name, value in sizes.items()}

        def show(shape, concrete=False):
            dims = [sympy.sympify(d).xreplace(values) if concrete else d for d in shape]
            return "×".join(str(d).replace("*", "·") for d in dims)

        example = ", ".join(f"{name}={value}" for name, value in sizes.items())
        return (f"your answer is {show(shapes[0])}, {question.asks} is {show(shapes[1])} "
                f"({show(shapes[0], True)} and {show(shapes[1], True)} when {example})")

    def _meaning(self, question: Question, answer: Answer) -> str:
        """The answer's value at one random point of fixed sizes, rounded and hashed: two answers
        equal as matrices (x @ g.T and (g @ x.T).T) share it, different ones almost never do."""
        problem = question.problem
        try:
            if self._models.get(question.id) is None:
                self._models[question.id] = NumericModel(problem, problem.sizes_from(SMALL),
                                                         np.random.default_rng(7))
            model = self._models[question.id]
            node = answer.chain.sides[-1]
            value = model.evaluate(node, model.base, problem.check_claim_names(answer.chain))
        except (DeriveError, ArithmeticError, ValueError, FloatingPointError):
            return ""
        scale = float(np.max(np.abs(value))) or 1.0
        rounded = np.round(np.real(value) / scale, 6) + 0.0  # + 0.0: no negative zeros
        digest = hashlib.sha256(repr((value.shape, round(scale, 6), rounded.tolist())).encode())
        return digest.hexdigest()[:16]

    # -- a whole class ---------------------------------------------------------------------------
    def grade(self, submissions: Iterable[Submission], results: Path | None = None) -> Iterator[Graded]:
        """Grade every submission not already in ``results``; yield each grade as it is written."""
        done = load_results(results) if results else {}
        latest = {(s.student, s.question): s for s in submissions}  # a resubmission replaces the first
        todo = [s for key, s in latest.items() if key not in done]
        for submission in todo:  # an unknown question stops the run before anything is graded
            self._question(submission.question)
        groups: dict[tuple[str, str], list[Submission]] = {}
        answers: dict[tuple[str, str], Answer] = {}
        with _Appender(results) as out:
            for submission in todo:
                question = self._question(submission.question)
                immediate = self._unreadable(question, submission)
                if isinstance(immediate, Outcome):
                    yield out.write(self._graded(question, submission, immediate, submission.text[:40], 0.0))
                    continue
                key = (question.id, immediate.key)
                groups.setdefault(key, []).append(submission)
                answers[key] = immediate

            def work(key):
                start = time.monotonic()
                outcome = self.check(self._question(key[0]), answers[key])
                return outcome, time.monotonic() - start

            for key, status, value in map_killable(work, list(groups), self.jobs, self.timeout):
                question = self._question(key[0])
                if status == "ok":
                    outcome, seconds = value
                elif status == "timeout":
                    outcome, seconds = Outcome("undecided", message=(
                        f"the check did not finish within {self.timeout:g} s")), self.timeout
                else:
                    outcome, seconds = Outcome("undecided", message=f"the check failed: {value}"), 0.0
                for submission in groups[key]:
                    yield out.write(self._graded(question, submission, outcome, key[1], seconds))

    def _question(self, qid: str) -> Question:
        try:
            return self.assignment.question(qid)
        except KeyError:
            raise DeriveError(f"the submissions answer question {qid!r}, which the assignment "
                              f"does not have ({', '.join(q.id for q in self.assignment.questions)})") from None

    @staticmethod
    def _unreadable(question: Question, submission: Submission) -> Answer | Outcome:
        if not submission.text.strip():
            return Outcome("missing", message="no answer was given")
        try:
            return read_answer(submission.text, question)
        except DeriveError as error:
            return Outcome("invalid", message=str(error))

    def _graded(self, question: Question, submission: Submission, outcome: Outcome, key: str,
                seconds: float) -> Graded:
        if outcome.verdict == "holds":
            points = question.points
        elif outcome.verdict == "fails":
            points = round(question.points * question.credit(outcome.diagnosis), 6)
        else:
            points = 0.0
        return Graded(submission.student, question.id, submission.text[:SHOWN_ANSWER], points,
                      question.points, outcome.verdict, outcome.diagnosis,
                      feedback_text(question, outcome, points), outcome.verdict == "undecided", key,
                      outcome.meaning, round(seconds, 3))


def feedback_text(question: Question, outcome: Outcome, points: float) -> str:
    """What a student reads about one answer, in plain words (Markdown)."""
    score = f"{_points(points)} / {_points(question.points)} points"
    if outcome.verdict == "holds":
        return f"Right ({score}). Evidence: {outcome.evidence}."
    if outcome.verdict == "missing":
        return f"No answer ({score})."
    if outcome.verdict == "invalid":
        return f"Your answer could not be read ({score}):\n\n```\n{outcome.message}\n```"
    if outcome.verdict == "undecided":
        return (f"Undecided — needs manual review ({score} for now): {outcome.message}. "
                "Your instructor will look at this answer.")
    lines = [f"Not right ({score})."]
    if outcome.message:
        lines.append(f"{outcome.message}.")
    if outcome.failing:
        lines.append(f"For example, {outcome.failing}." if outcome.failing.startswith("at ")
                     else f"{outcome.failing[0].upper()}{outcome.failing[1:]}.")
    if question.show_answer and question.answer:
        lines.append(f"A right answer: `{question.asks} = {question.answer}`.")
    return " ".join(lines)


def load_results(path: Path | None) -> dict[tuple[str, str], Graded]:
    """The grades already written (the first per student and question; a torn last line is
    ignored, and that answer graded again)."""
    done: dict[tuple[str, str], Graded] = {}
    if path is None or not path.exists():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            graded = Graded(**json.loads(line))
        except (ValueError, TypeError):
            continue
        done.setdefault((graded.student, graded.question), graded)
    return done


class _Appender:
    """Appends grades to the results file, each line flushed and synced before it is yielded."""

    def __init__(self, path: Path | None):
        self.path = path
        self.file = None

    def __enter__(self):
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            torn = self.path.exists() and self.path.stat().st_size and not self.path.read_bytes().endswith(b"\n")
            self.file = self.path.open("a", encoding="utf-8")
            if torn:
                self.file.write("\n")
        return self

    def write(self, graded: Graded) -> Graded:
        if self.file is not None:
            self.file.write(json.dumps(graded.as_json(), ensure_ascii=False) + "\n")
            self.file.flush()
            os.fsync(self.file.fileno())
        return graded

    def __exit__(self, *exc):
        if self.file is not None:
            self.file.close()


def _number(value) -> str:
    if isinstance(value, complex):
        return f"{value.real:.4g}" if value.imag == 0 else f"{value.real:.4g} + {value.imag:.4g}i"
    return f"{value:.4g}"


def _points(value: float) -> str:
    return f"{value:g}"
