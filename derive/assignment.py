"""An assignment: questions on problems, with points, a partial-credit rubric and feedback policy.

One TOML file (docs/grading.md)::

    title = "Backprop, homework 3"
    [rubric]                      # default partial credit, a fraction of the points per diagnosis
    transposed = 0.5
    [[questions]]
    id = "q1"
    problem = "linear-layer"      # a catalog id, or a problem file relative to the assignment
    asks = "dJ/dW"                # the quantity asked: a student answers with its value
    answer = "dJ/dy @ x.T"        # the reference answer, shown in feedback when show_answer
    points = 2
    show_answer = true
    rubric = { factor = 0.25 }    # overrides the default for this question

Loading checks everything an instructor can get wrong before a single answer is graded: unknown
problems, an ``asks`` that is not a derivative of the problem, a rubric code derive never gives,
a fraction outside [0, 1], and a reference answer that is not right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import ast
from .errors import DeriveError, ProblemError
from .parser import parse_expr
from .problem import Problem, find_problem, read_toml
from .text import to_text

# the diagnosis codes derive gives (diagnose.py); a rubric keyed by anything else is a typo
DIAGNOSES = {
    "shape", "transposed", "row-column", "layout", "factor", "sign", "missing-batch-sum",
    "jacobian-diagonal", "kron-outer", "missing-activation-derivative", "activation-for-derivative",
    "hadamard-matmul", "misplaced-transpose", "swapped-operands", "wrong-index", "unknown",
}


@dataclass(frozen=True)
class Question:
    id: str
    problem: Problem
    target: ast.Derivative  # the quantity asked, e.g. dJ/dW
    points: float
    rubric: dict[str, float] = field(default_factory=dict)
    answer: str | None = None
    show_answer: bool = False

    @property
    def asks(self) -> str:
        """The quantity asked as claim-language text, "dJ/dW"."""
        return to_text(self.target)

    def credit(self, diagnosis: str | None) -> float:
        """The fraction of the points a wrong answer with this diagnosis earns."""
        return self.rubric.get(diagnosis or "", 0.0)


@dataclass(frozen=True)
class Assignment:
    title: str
    questions: tuple[Question, ...]
    path: Path | None = None

    def question(self, qid: str) -> Question:
        for question in self.questions:
            if question.id == qid:
                return question
        raise KeyError(qid)

    @property
    def total(self) -> float:
        return sum(q.points for q in self.questions)


def load_assignment(path: str | Path) -> Assignment:
    """Read and check an assignment file; errors name the file and the question."""
    path = Path(path)
    data = read_toml(path)
    default = _rubric(data.get("rubric", {}), f"{path}: [rubric]")
    entries = data.get("questions")
    if not isinstance(entries, list) or not entries:
        raise ProblemError(f"{path}: no [[questions]]")
    questions, seen = [], set()
    for number, entry in enumerate(entries, 1):
        where = f"{path}: question {entry.get('id', number)}"
        question = _question(entry, default, path.parent, where)
        if question.id in seen:
            raise ProblemError(f"{where}: the id is used twice")
        seen.add(question.id)
        questions.append(question)
    return Assignment(str(data.get("title", path.stem)), tuple(questions), path)


def _question(entry: dict, default: dict, folder: Path, where: str) -> Question:
    for key in ("id", "problem", "asks"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ProblemError(f"{where}: '{key}' is required (a string)")
    unknown = set(entry) - {"id", "problem", "asks", "points", "rubric", "answer", "show_answer"}
    if unknown:
        raise ProblemError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    key = entry["problem"]
    local = folder / key
    try:
        problem = find_problem(str(local) if local.suffix == ".toml" and local.exists() else key)
    except DeriveError as error:
        raise ProblemError(f"{where}: {str(error).splitlines()[0]}") from None
    try:
        asks = parse_expr(entry["asks"])
    except DeriveError as error:
        raise ProblemError(f"{where}: asks: {str(error).splitlines()[0]}") from None
    if not isinstance(asks, ast.Derivative) or asks.wrt not in problem.shapes:
        raise ProblemError(f"{where}: asks {entry['asks']!r} is not a derivative dL/dX of {problem.id}")
    points = entry.get("points", 1)
    if not isinstance(points, (int, float)) or points <= 0:
        raise ProblemError(f"{where}: points must be a positive number")
    rubric = {**default, **_rubric(entry.get("rubric", {}), f"{where}: rubric")}
    answer = entry.get("answer")
    if answer is not None and not isinstance(answer, str):
        raise ProblemError(f"{where}: answer must be a string")
    return Question(entry["id"], problem, asks, float(points), rubric, answer,
                    bool(entry.get("show_answer", False)))


def _rubric(table, where: str) -> dict[str, float]:
    if not isinstance(table, dict):
        raise ProblemError(f"{where}: a table of diagnosis = fraction")
    for code, fraction in table.items():
        if code not in DIAGNOSES:
            raise ProblemError(f"{where}: {code!r} is not a diagnosis derive gives "
                               f"({', '.join(sorted(DIAGNOSES))})")
        if not isinstance(fraction, (int, float)) or not 0 <= fraction <= 1:
            raise ProblemError(f"{where}: {code} = {fraction!r}: a fraction between 0 and 1")
    return {code: float(fraction) for code, fraction in table.items()}
