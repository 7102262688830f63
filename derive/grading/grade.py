"""Grading a class: every answer checked once, safely, with points and feedback in plain words.

The contract:

* Each question's checker (its problem's exact and numeric models, the reference derivatives)
  is built once, in the parent, before any worker starts: forked workers inherit it.
* Answers that read as the same claim are graded once (``answers.read_answer`` gives the key).
* Each distinct answer is checked in a forked worker killed after ``timeout`` seconds of wall
  time: a runaway simplification becomes "undecided — needs manual review" and grading goes on.
  A malformed answer is graded 0 with the parser's message, without a worker.
* Every grade is appended to the results file (JSON lines, flushed and synced) as soon as it is
  known, with the fingerprint of everything it depends on (``grade_fingerprint``: the answer's
  full text, the question's asks, reference answer, points, rubric and feedback policy, the
  problem file's bytes, derive's version and sources, the checker's options). A rerun reuses a
  grade only when its fingerprint matches and regrades the rest, so an interrupted run loses and
  duplicates nothing, and an edited answer, rubric, reference or problem is never stale. One run
  at a time writes an output folder (``output_lock``).
* Points: a right answer (an exact proof at every size assignment, no numeric doubt) earns the
  question's points; a wrong one the rubric's fraction for its diagnosis; an undecided one 0,
  flagged for review. Never more than the evidence shows.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import math
import os
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import sympy

from ..budget import map_killable
from ..documents.export import chain_math
from ..documents.safe_text import md_block, md_code, md_inline
from ..errors import DeriveError
from ..language import ast
from ..language.shapes import typed
from ..oracles.numeric import NumericModel
from ..oracles.zero import load_engine
from ..problem.definition import ClaimSpec, Problem
from ..verdict.cache import code_identity
from ..verdict.check import CheckOptions, ProblemChecker
from .answers import Answer, read_answer, reference
from .assignment import Assignment, Question
from .derivations import DerivationAnswer, Lines, annotate_derivation, final_answer, lines, read_derivation

MEANING_SIZES = [4, 5, 6, 7, 8, 9, 10, 11]  # the sizes of the point that fingerprints an answer's value
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
    timed: bool = False  # a time budget decided part of it: under less load it may end otherwise
    slips: tuple[str, ...] = ()  # each slip's diagnosis code, when the answer has more than one
    lines: Lines | None = None  # a derivation's checked lines (derivation questions)


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
    fingerprint: str = ""  # of everything the grade depends on (grade_fingerprint); "" never matches
    transient: bool = False  # the grade depends on time (the check was killed or its worker died)
    key_math: str = ""  # the answer as derive read it, in LaTeX ("" when it was not read)
    value_math: str = ""  # its value, the sides after the first, in LaTeX

    def as_json(self) -> dict:
        return asdict(self)


def grading_options(salt: str = "") -> CheckOptions:
    """The checker's options for grading: the same rule as ``derive check`` — an answer is right
    only with a proof for every size or agreeing evidence at sizes drawn for it — with the sizes
    keyed by ``salt``, a secret of the class's output folder, so that students cannot predict
    them from their feedback."""
    return CheckOptions(exact_budget=8.0, generic=True, salt=salt)


class Grader:
    """Grades submissions to one assignment."""

    def __init__(self, assignment: Assignment, jobs: int = 1, timeout: float = ANSWER_TIMEOUT,
                 options: CheckOptions | None = None):
        self.assignment = assignment
        self.jobs = max(1, jobs)
        self.timeout = timeout
        self.options = options or grading_options()
        self.checkers = {q.id: ProblemChecker(q.problem, self.options) for q in assignment.questions}
        self._question_prints: dict[str, str] = {}  # question id -> question_fingerprint
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

    def check(self, question: Question, answer: Answer | DerivationAnswer) -> Outcome:
        """Check one parsed answer, or a derivation (in the calling process)."""
        if isinstance(answer, DerivationAnswer):
            return self.check_derivation(question, answer)
        spec = ClaimSpec(text=answer.key, chain=answer.chain)
        verdict = self.checkers[question.id].check(spec)
        outcome = self._outcome(question, answer, verdict)
        outcome.timed = _budget_decided(verdict)
        return outcome

    def check_derivation(self, question: Question, answer: DerivationAnswer) -> Outcome:
        """A derivation's final result checked as an answer, with its lines counted (derivations.py)."""
        annotation = annotate_derivation(question, answer, self.options)
        try:
            outcome = self.check(question, final_answer(question, annotation))
        except DeriveError as error:
            outcome = Outcome("invalid", message=str(error).splitlines()[0])
        outcome.lines = lines(annotation)
        return outcome

    def _outcome(self, question: Question, answer: Answer, verdict) -> Outcome:
        if verdict.error and verdict.error.startswith("internal error"):
            return Outcome("undecided", message=verdict.error)  # derive's defect, not the student's
        if verdict.error:
            return Outcome("invalid", message=verdict.error)
        if verdict.verdict == "holds" and not verdict.every_size:
            # right at every size tried, sizes drawn for it included, but with no proof for every
            # size: a grade is never given on concrete evidence alone
            return Outcome("undecided", message=(
                "right at every size checked (including sizes drawn for this answer), but derive "
                "has no proof for every size"), evidence=verdict.evidence_summary())
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
                           diagnosis.correct if diagnosis else None, self._meaning(question, answer),
                           slips=diagnosis.slips if diagnosis else ())
        open_link = next((each for each in verdict.links if each.verdict != "holds"), None)
        return Outcome("undecided", message=open_link.reason if open_link else "", evidence=verdict.evidence_summary())

    def _shapes(self, question: Question, answer: Answer) -> str:
        """The answer's shape and the quantity's, in the problem's sizes and at example sizes:
        "your answer is d×m, dJ/dW is m×d (3×2 and 2×3 when m=2, d=3)"."""
        problem = question.problem
        try:
            scope = problem.check_claim_names(answer.chain)
            shapes = typed((answer.chain.sides[-1], answer.chain.sides[0]), scope).shapes
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
                self._models[question.id] = NumericModel(problem, problem.sizes_from(MEANING_SIZES),
                                                         np.random.default_rng(7))
            model = self._models[question.id]
            node = answer.chain.sides[-1]
            with np.errstate(all="ignore"):  # an overflow gives inf, fingerprinted like any value
                value = model.evaluate(node, model.base, problem.check_claim_names(answer.chain))
        except (DeriveError, ArithmeticError, ValueError, FloatingPointError):
            return ""
        scale = float(np.max(np.abs(value))) or 1.0
        rounded = np.round(np.real(value) / scale, 6) + 0.0  # + 0.0: no negative zeros
        digest = hashlib.sha256(repr((value.shape, round(scale, 6), rounded.tolist())).encode())
        return digest.hexdigest()[:16]

    # -- a whole class ---------------------------------------------------------------------------
    def fingerprint(self, submission: Submission) -> str:
        """The fingerprint of ``submission``'s grade (``grade_fingerprint``): equal fingerprints,
        equal grades, so a journaled grade with this fingerprint can be reused."""
        qid = submission.question
        if qid not in self._question_prints:
            self._question_prints[qid] = question_fingerprint(self._question(qid), self.options)
        return grade_fingerprint(self._question_prints[qid], submission.text)

    def plan(self, submissions: Iterable[Submission], results: Path | None = None) -> Plan:
        """What a run has to do: the grades in ``results`` that still stand (same student,
        question and fingerprint, not time-dependent) and the answers to grade. A student's
        last answer to a question counts; an unknown question stops the run here, before
        anything is graded."""
        latest = {(s.student, s.question): s for s in submissions}  # a resubmission replaces the first
        for submission in latest.values():
            self._question(submission.question)
        journal, lines = _read_journal(results)
        plan = Plan(latest)
        for key, submission in latest.items():
            old = journal.get(key)
            if old is not None and not old.transient and old.fingerprint == self.fingerprint(submission):
                plan.reused[key] = old
                continue
            plan.todo.append(submission)
            if old is not None and old.transient:
                plan.retried += 1
            elif old is not None:
                plan.changed += 1
        plan.dropped = sum(key not in latest for key in journal)
        plan.rewrite = lines != len(plan.reused)  # stale, dropped, duplicated or torn lines
        return plan

    def grade(self, submissions: Iterable[Submission], results: Path | None = None,
              plan: Plan | None = None) -> Iterator[Graded]:
        """Grade every submission whose grade in ``results`` does not stand (``plan``); yield
        each grade as it is written. The journal is first rewritten (atomically) to the grades
        that stand, so it never holds two grades for one answer."""
        plan = plan if plan is not None else self.plan(submissions, results)
        if results is not None and plan.rewrite:
            rewrite_results(results, plan.reused.values())
        groups: dict[tuple[str, str], list[Submission]] = {}
        answers: dict[tuple[str, str], Answer] = {}
        with _Appender(results) as out:
            for submission in plan.todo:
                question = self._question(submission.question)
                immediate = self._unreadable(question, submission)
                if isinstance(immediate, Outcome):
                    yield out.write(self._graded(question, submission, immediate, submission.text[:40], 0.0))
                    continue
                key = (question.id, immediate.key)
                groups.setdefault(key, []).append(submission)
                answers[key] = immediate
            maths = {key: answer_maths(self._question(key[0]).problem, answer.chain)
                     if isinstance(answer, Answer) else ("", "") for key, answer in answers.items()}

            def work(key):
                start = time.monotonic()
                outcome = self.check(self._question(key[0]), answers[key])
                return outcome, time.monotonic() - start

            load_engine()  # once here, shared by the workers map_killable forks
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
                    yield out.write(self._graded(question, submission, outcome, key[1], seconds,
                                                 transient=status != "ok" or outcome.timed, maths=maths[key]))

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
        if question.derivation:
            return read_derivation(submission.text)
        try:
            return read_answer(submission.text, question)
        except DeriveError as error:
            return Outcome("invalid", message=str(error))
        except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError, MemoryError) as error:
            # derive's own defect while reading one answer: that answer goes to review, the run goes on
            return Outcome("undecided", message=f"internal error while reading the answer (please "
                                                f"report): {type(error).__name__}")

    def _graded(self, question: Question, submission: Submission, outcome: Outcome, key: str,
                seconds: float, transient: bool = False, maths: tuple[str, str] = ("", "")) -> Graded:
        if outcome.verdict == "holds":
            points = question.points
        elif outcome.verdict == "fails":
            # two slips earn the product of their credits, never the credit of one of them
            credit = (math.prod(question.credit(code) for code in outcome.slips) if outcome.slips
                      else question.credit(outcome.diagnosis))
            points = round(question.points * credit, 6)
        else:
            points = 0.0
        if outcome.lines is not None and question.steps and outcome.verdict not in ("invalid", "missing"):
            # a derivation: its lines earn their share, once it gives the quantity asked a value
            share = outcome.lines.right / outcome.lines.checked if outcome.lines.checked else 0.0
            points = round(points * (1 - question.steps) + question.points * question.steps * share, 6)
        review = outcome.verdict == "undecided" or (outcome.lines is not None and outcome.lines.undecided)
        return Graded(submission.student, question.id, submission.text[:SHOWN_ANSWER], points,
                      question.points, outcome.verdict, outcome.diagnosis,
                      feedback_text(question, outcome, points), review, key,
                      outcome.meaning, round(seconds, 3), self.fingerprint(submission), transient,
                      *(maths if outcome.verdict in READ else ("", "")))


READ = {"holds", "fails", "undecided"}  # the verdicts of answers that were read


def answer_maths(problem: Problem, chain: ast.Chain) -> tuple[str, str]:
    """An answer's LaTeX as read, and its value's (the sides after the first), printed from its
    tree once per distinct answer; "" where a tree has no LaTeX."""
    value = ast.Chain(chain.sides[1:] or chain.sides)
    return chain_math(problem, chain) or "", chain_math(problem, value, aligned=False) or ""


def _budget_decided(verdict) -> bool:
    """A time budget cut part of the check short (the exact check, its zero test, the generic
    proof): the grade is kept but retried on the next run, so that load never fixes it."""
    return any(e.method == "timeout" for link in verdict.links for e in link.exact) or any(
        "did not finish" in link.generic or "did not finish" in link.reason for link in verdict.links)


def feedback_text(question: Question, outcome: Outcome, points: float) -> str:
    """What a student reads about one answer, in plain words (Markdown). Every text that may
    quote the answer (the parser's message, the diagnosis, the reason for review) is escaped
    (``safe_text``): an answer cannot close a fence or print markup of its own."""
    score = f"{_points(points)} / {_points(question.points)} points"
    if outcome.lines is not None:  # a derivation: its final result, then its lines
        counted = outcome.lines
        steps = f" The steps earn {question.steps:.0%} of the points." if question.steps else ""
        wrong = (f" The first wrong line is line {counted.first_wrong}, {md_code(counted.wrong_source)}: "
                 f"{md_inline(counted.wrong_why)}." if counted.first_wrong is not None else "")
        final = feedback_text(question, replace(outcome, lines=None), points)
        return f"Final result: {final}\n\nDerivation: {md_inline(counted.summary)}.{wrong}{steps}"
    if outcome.verdict == "holds":
        return f"Right ({score}). Evidence: {outcome.evidence}."
    if outcome.verdict == "missing":
        return f"No answer ({score})."
    if outcome.verdict == "invalid":
        return f"Your answer could not be read ({score}):\n\n{md_block(outcome.message)}"
    if outcome.verdict == "undecided":
        return (f"Undecided — needs manual review ({score} for now): {md_inline(outcome.message)}. "
                "Your instructor will look at this answer.")
    lines = [f"Not right ({score})."]
    if outcome.message:
        lines.append(f"{md_inline(outcome.message)}.")
    if outcome.failing:
        failing = md_inline(outcome.failing)
        lines.append(f"For example, {failing}." if outcome.failing.startswith("at ")
                     else f"{failing[0].upper()}{failing[1:]}.")
    if question.show_answer and question.answer:
        lines.append(f"A right answer: {md_code(f'{question.asks} = {question.answer}')}.")
    return " ".join(lines)


def load_results(path: Path | None) -> dict[tuple[str, str], Graded]:
    """The grades written in the journal, one per student and question (the last written; a
    torn line — a run killed mid-write — is ignored, and that answer graded again)."""
    return _read_journal(path)[0]


def _read_journal(path: Path | None) -> tuple[dict[tuple[str, str], Graded], int]:
    """The journal's grades (the last per student and question) and how many lines it has."""
    done: dict[tuple[str, str], Graded] = {}
    lines = 0
    if path is None or not path.exists():
        return done, lines
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            lines += 1
            try:
                graded = Graded(**json.loads(line))
            except (ValueError, TypeError):
                continue
            done[(graded.student, graded.question)] = graded
    return done, lines


def rewrite_results(path: Path, grades: Iterable[Graded]) -> None:
    """Replace the journal by ``grades``, atomically (a temporary file, synced, renamed over
    it): a kill at any moment leaves either the old journal or the new one."""
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as out:
        for graded in grades:
            out.write(json.dumps(graded.as_json(), ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


@dataclass
class Plan:
    """What a run does with the journal: the grades reused, the answers to grade, and why."""

    submissions: dict[tuple[str, str], Submission]  # (student, question) -> the answer that counts
    reused: dict[tuple[str, str], Graded] = field(default_factory=dict)  # grades that stand
    todo: list[Submission] = field(default_factory=list)  # answers to grade
    changed: int = 0  # journaled grades regraded: the answer, question, problem or derive changed
    retried: int = 0  # journaled grades regraded: they depended on time (a check killed)
    dropped: int = 0  # journaled grades of answers no longer in the submissions
    rewrite: bool = False  # the journal holds lines that do not stand: rewrite it first


def derive_version() -> str:
    """derive's version and a digest of its sources (``.py``, ``.lark``) and of the libraries
    that compute: a grade depends on the checker that gave it, and an edited checker with an
    unchanged version number must not leave old grades standing. It is the verdict cache's
    ``code_identity``: every file of the package (the digest once read derive/grading alone,
    so an edit of the checker left the journal's grades standing)."""
    return code_identity()


def question_fingerprint(question: Question, options: CheckOptions) -> str:
    """A digest of everything about a question that a grade depends on: its id, the quantity
    asked, the reference answer, the points, the rubric, whether the answer is shown, whether it
    is a derivation and what its steps earn, the bytes of its problem file, derive's version and
    sources, and the checker's options."""
    problem = question.problem
    try:
        source = problem.path.read_bytes() if problem.path is not None else repr(problem).encode()
    except OSError:
        source = repr(problem).encode()
    parts = [question.id, question.asks, question.answer, question.points, sorted(question.rubric.items()),
             question.show_answer, question.derivation, question.steps, hashlib.sha256(source).hexdigest(),
             derive_version(), repr(options)]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def grade_fingerprint(question_print: str, text: str) -> str:
    """The fingerprint of one grade: its question's (``question_fingerprint``) and the answer's
    full text (the journal keeps only its first characters)."""
    return hashlib.sha256(f"{question_print}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


LOCK_NAME = ".derive-grade.lock"



SALT_NAME = ".derive-salt"
_HELD: set[str] = set()  # output folders this process holds


def class_salt(folder: Path) -> str:
    """The class's secret, kept in its output folder (made at the first run, reused by reruns):
    it keys the sizes drawn for each answer, so students cannot compute them from feedback,
    while a rerun into the same folder draws the same sizes and reuses its grades."""
    path = folder / SALT_NAME
    try:
        salt = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        salt = ""
    if len(salt) < 32:
        salt = secrets.token_hex(16)
        try:
            path.write_text(salt + "\n", encoding="ascii")
        except OSError as error:
            raise DeriveError(f"{folder}: cannot write the class's secret ({error.strerror or error})") from None
    return salt

@contextlib.contextmanager
def output_lock(folder: Path) -> Iterator[None]:
    """Hold the output folder for one run: a second ``derive grade`` into it stops at once with
    a one-line error instead of grading everything again beside the first. The lock is
    a POSIX record lock (``lockf``) on ``folder/.derive-grade.lock``: it belongs to this process
    alone — forked workers do not inherit it, so a worker outliving a killed run cannot hold
    it — and the system releases it when the run ends in any way (a killed run never blocks
    the next)."""
    path = folder / LOCK_NAME
    held = str(path.resolve())
    if held in _HELD:  # a POSIX lock does not stop its own process: this set does
        raise DeriveError(f"{folder}: another derive grade is writing here (process {os.getpid()}); "
                          "wait for it to finish, or write elsewhere with -o")
    try:
        handle = path.open("a+", encoding="utf-8")
    except OSError as error:
        raise DeriveError(f"{folder}: cannot write the output folder ({error.strerror or error})") from None
    try:
        try:
            fcntl.lockf(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EACCES, errno.EAGAIN):
                raise DeriveError(f"{folder}: cannot lock the output folder ({error.strerror})") from None
            handle.seek(0)
            holder = handle.read().strip()
            by = f" (process {holder})" if holder.isdigit() else ""
            raise DeriveError(f"{folder}: another derive grade is writing here{by}; wait for it to "
                              "finish, or write elsewhere with -o") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        _HELD.add(held)
        try:
            yield path
        finally:
            _HELD.discard(held)
    finally:
        handle.close()


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
    if isinstance(value, str):  # past a double's range (exp(1000)), already printed by mpmath
        return value
    if isinstance(value, complex):
        return f"{value.real:.4g}" if value.imag == 0 else f"{value.real:.4g} + {value.imag:.4g}i"
    return f"{value:.4g}"


def _points(value: float) -> str:
    return f"{value:g}"
