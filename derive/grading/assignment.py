"""An assignment: questions on problems, with points, a partial-credit rubric and feedback policy.

One TOML file (docs/grading.md)::

    title = "Backprop, homework 3"
    [rubric]                      # default partial credit, a fraction of the points per diagnosis
    transposed = 0.5
    [[questions]]
    id = "q1"
    problem = "linear-layer"      # a catalog id, or a problem file relative to the assignment
    asks = "dJ/dW"                # the quantity asked (or in LaTeX: '\\frac{\\partial J}{\\partial W}')
    answer = "dJ/dy @ x.T"        # the reference answer (text or LaTeX), shown when show_answer
    points = 2
    show_answer = true
    rubric = { factor = 0.25 }    # overrides the default for this question
    derivation = true             # the answer is a worked derivation (Markdown or LaTeX)
    steps = 0.5                   # half the points for its steps, half for its final result

Loading checks everything an instructor can get wrong before a single answer is graded: unknown
problems, an ``asks`` that is not a derivative of the problem (named with the problem's
variables, losses and the nearest derivative it can ask), a reference answer that cannot be
read, a rubric code derive never gives, a fraction outside [0, 1]; the grader then checks that
the reference answer is right. ``asks`` and ``answer`` are read as answers are (claim language
or LaTeX, against the problem: ``reading.read_sides``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DeriveError, ProblemError
from ..language import ast
from ..language.shapes import SCALAR
from ..language.text import to_text
from ..problem.definition import Problem, find_problem, read_toml
from .reading import read_sides

# the diagnosis codes derive gives (diagnose.py); a rubric keyed by anything else is a typo
DIAGNOSES = {
    "shape", "transposed", "row-column", "layout", "factor", "sign", "missing-batch-sum",
    "jacobian-diagonal", "kron-outer", "missing-activation-derivative", "activation-for-derivative",
    "hadamard-matmul", "misplaced-transpose", "swapped-operands", "wrong-index", "wrong-axis", "symmetric-only",
    "convention", "unknown",
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
    derivation: bool = False  # the answer is a worked derivation (grading/derivations.py)
    steps: float = 0.0  # the fraction of the points its steps earn (derivation questions)

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
    unknown = set(entry) - {"id", "problem", "asks", "points", "rubric", "answer", "show_answer", "derivation",
                            "steps"}
    if unknown:
        raise ProblemError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    key = entry["problem"]
    local = folder / key
    try:
        problem = find_problem(str(local) if local.suffix == ".toml" and local.exists() else key)
    except DeriveError as error:
        raise ProblemError(f"{where}: {str(error).splitlines()[0]}") from None
    asks = _asks(entry["asks"], problem, where)
    points = entry.get("points", 1)
    if not isinstance(points, (int, float)) or points <= 0:
        raise ProblemError(f"{where}: points must be a positive number")
    rubric = {**default, **_rubric(entry.get("rubric", {}), f"{where}: rubric")}
    answer = entry.get("answer")
    if answer is not None and not isinstance(answer, str):
        raise ProblemError(f"{where}: answer must be a string")
    if answer is not None:
        try:
            read_sides(answer, problem, asks)
        except DeriveError as error:
            raise ProblemError(f"{where}: answer: {str(error).splitlines()[0]}") from None
    derivation, steps = entry.get("derivation", False), entry.get("steps", 0.0)
    if not isinstance(derivation, bool):
        raise ProblemError(f"{where}: derivation must be true or false")
    if not isinstance(steps, (int, float)) or isinstance(steps, bool) or not 0 <= steps <= 1:
        raise ProblemError(f"{where}: steps = {steps!r}: the fraction of the points the steps earn, between 0 and 1")
    if steps and not derivation:
        raise ProblemError(f"{where}: steps earn points only in a derivation: add derivation = true")
    return Question(entry["id"], problem, asks, float(points), rubric, answer,
                    bool(entry.get("show_answer", False)), derivation, float(steps))


def _asks(text: str, problem: Problem, where: str) -> ast.Derivative:
    """The quantity asked, ``dJ/dW`` or ``\\frac{\\partial J}{\\partial W}``: a derivative of one
    of the problem's quantities by one of its variables or definitions. Otherwise the error lists
    them and the nearest derivative the problem can ask."""
    try:
        sides = read_sides(text, problem)
    except DeriveError as error:
        raise ProblemError(f"{where}: asks: {str(error).splitlines()[0]}; {_derivatives(problem, text)}") from None
    asks = sides[0] if len(sides) == 1 else None
    if isinstance(asks, ast.Derivative) and asks.wrt in problem.shapes and (
            not isinstance(asks.of, ast.Name) or asks.of.id in problem.shapes):
        return asks
    raise ProblemError(f"{where}: asks {text!r} is not a derivative dL/dX of {problem.id}: "
                       f"{_derivatives(problem, text, asks)}")


def _derivatives(problem: Problem, text: str, asks: ast.Node | None = None) -> str:
    """What a problem can be asked, in words: its variables, definitions and scalar quantities
    (losses), and the derivative nearest to ``text``."""
    variables = list(problem.variables)
    defined = [name for name, _ in problem.definitions]
    losses = [n for n in [*problem.arbitrary, *defined] if problem.shapes.get(n) == SCALAR] or defined[-1:]
    asked = [f"d{loss}/d{wrt}" for loss in losses for wrt in [*variables, *defined] if wrt != loss]
    parts = [f"its variables are {', '.join(variables) or 'none'}"]
    if defined:
        parts.append(f"its definitions {', '.join(defined)}")
    if losses:
        parts.append(f"its scalar quantities (losses) {', '.join(losses)}")
    nearest = None
    wrts = [*variables, *defined]
    if isinstance(asks, ast.Name) and losses:  # W for dJ/dW
        nearest = f"d{losses[0]}/d{_nearest(asks.id, wrts)}"
    elif isinstance(asks, ast.Derivative) and isinstance(asks.of, ast.Name) and losses:  # dJ/dw, dL/dW
        nearest = f"d{_nearest(asks.of.id, losses)}/d{_nearest(asks.wrt, wrts)}"
    elif asked:
        close = difflib.get_close_matches(to_text(asks) if asks is not None else text, asked, n=1, cutoff=0.0)
        nearest = close[0] if close else None
    hint = "; ".join(parts)
    return f"{hint}; did you mean {nearest!r}?" if nearest else hint


def _nearest(name: str, names: list[str]) -> str:
    """The name of ``names`` nearest to ``name``: the same but for case, else the closest."""
    for candidate in names:
        if candidate.lower() == name.lower():
            return candidate
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.0)
    return close[0] if close else names[0]


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
