"""A worked derivation handed in as the answer to a question: its final result graded as an
answer is, its lines checked one by one.

A question with ``derivation = true`` takes a derivation — Markdown or LaTeX, as the seeds are
written — as its answer. ``derive annotate`` reads it against the question's problem. Its final
result is the last value the derivation gives the quantity asked (the right side of the last
line of a chain that starts with it, ``\\frac{\\partial J}{\\partial W} = … = G``), and it earns
the question's points exactly as the same answer typed alone would, rubric included. With
``steps`` (a fraction of the points), that share goes to the lines instead: each line derive
checks earns its part when it holds, or when it follows correctly from an earlier wrong line
(error carried forward: the slip is paid for once); a wrong line or a jump earns nothing, and an
undecided line sends the grade to review. The feedback points at the first wrong line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..documents.annotate import (
    CHECKED,
    DERIVATIVE,
    ERROR,
    FAILS,
    FOLLOWS,
    HOLDS,
    IDENTITY,
    JUMP,
    STEP,
    UNDECIDED,
    Annotation,
    Annotator,
)
from ..documents.formulas import document_kind
from ..documents.readings import Part, Reading
from ..errors import DeriveError
from ..verdict.check import CheckOptions
from .answers import Answer, answer_of
from .assignment import Question

STEPS = frozenset({DERIVATIVE, STEP, IDENTITY})  # the lines a derivation's steps are counted from


@dataclass(frozen=True)
class DerivationAnswer:
    """A derivation as handed in; ``key`` groups identical ones (one check for all)."""

    text: str
    key: str


@dataclass(frozen=True)
class Lines:
    """What the derivation's checked lines came to."""

    right: int  # hold, or follow from an earlier wrong line
    checked: int
    summary: str  # "9 lines checked: 7 hold, 1 follow from an earlier wrong line, 1 wrong"
    undecided: bool  # a line derive could not decide: the grade goes to review
    first_wrong: int | None = None  # the first wrong line's number, its text, and why it is wrong
    wrong_source: str = ""
    wrong_why: str = ""


def read_derivation(text: str) -> DerivationAnswer:
    """The derivation as an answer: its text, keyed by its content (line endings aside)."""
    normal = text.replace("\r\n", "\n").replace("\r", "\n")  # kept whole: line numbers are the student's
    return DerivationAnswer(normal, "derivation " + hashlib.sha256(normal.encode("utf-8")).hexdigest()[:16])


def annotate_derivation(question: Question, answer: DerivationAnswer, options: CheckOptions) -> Annotation:
    """Every statement of the derivation read and checked against the question's problem."""
    reading = Reading((Part(first=1, problems=(question.problem,)),))
    return Annotator(reading, options).annotate(answer.text, document_kind("", answer.text))


def final_answer(question: Question, annotation: Annotation) -> Answer:
    """The claim ``asks = the last value the derivation gives it``; a DeriveError when the
    derivation never gives the quantity asked a value, or gives one derive cannot read back."""
    asked = question.asks
    finals = [m for m in annotation.all_marks() if m.kind in CHECKED and m.head == asked and m.value_node is not None]
    if not finals:
        raise DeriveError(f"the derivation never gives {asked} a value: no line starts a chain with it")
    return answer_of([question.target, finals[-1].value_node], question)


def lines(annotation: Annotation) -> Lines:
    """The steps counted: the lines about derivatives (a restated definition or shape is no step),
    neither a line derive cannot check nor a wrong line said again; error carried forward
    (FOLLOWS) counts as right; a line that holds only on concrete evidence is undecided."""
    marks = [m for m in annotation.all_marks() if m.kind in STEPS and m.status is not None and m.repeats is None]
    checked = [m for m in marks if m.status != ERROR]
    # a line right at the sizes tried only is, for a grade, undecided (the marks are left as annotate gave them)
    statuses = [UNDECIDED if m.status == HOLDS and not m.every_size else m.status for m in checked]
    right = [m for m, status in zip(checked, statuses) if status in (HOLDS, FOLLOWS)]
    wrong = [m for m in checked if m.status == FAILS]
    counts = {HOLDS: "hold", FOLLOWS: "follow from an earlier wrong line", FAILS: "wrong",
              JUMP: "true but do not follow (jumps)", UNDECIDED: "undecided"}
    parts = [f"{statuses.count(status)} {word}" for status, word in counts.items() if status in statuses]
    errors = len(marks) - len(checked)
    if errors:
        parts.append(f"{errors} not checkable (not counted)")
    summary = f"{len(checked)} line{'s' * (len(checked) != 1)} checked" + (": " + ", ".join(parts) if parts else "")
    undecided = UNDECIDED in statuses
    if not wrong:
        return Lines(len(right), len(checked), summary, undecided)
    first = wrong[0]
    why = (f"[{first.diagnosis}] " if first.diagnosis else "") + (first.diagnosis_message or first.reason)
    return Lines(len(right), len(checked), summary, undecided, first.line, first.source.strip(), why)
