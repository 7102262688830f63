"""Check a whole derivation, formula by formula: what ``derive annotate`` says of each line.

A worked solution is read as its author wrote it: every formula of the document
(``formulas.find_formulas``) is cut into the statements it makes (``segments``), each statement
is read as LaTeX against the problems of its part of the document (``readings``) and
classified — a restatement of the forward pass, a claim about a derivative, an identity, a step of
a chain, a shape statement, a gradient-descent update, a definition of notation, an expression that
states nothing, or unread with the reason — and each claim and each link of a chain is checked as
``verify`` checks it, with the same evidence. Nothing is skipped silently: an inline formula that
states no equation is kept as a mention, a part the reading skips is listed with its reason.

Chains run across lines and formulas: a statement that starts with ``=`` continues the one
before. In a chain, the first wrong link is marked wrong; a later link that holds follows from the
wrong line (error carried forward, "follows from line k") and is not marked wrong again; a link
that fails although its right side equals the chain's first side is a jump: a true line that does
not follow from the line before.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import DeriveError
from ..language import ast
from ..language.primitives import PRIMITIVES
from ..language.shapes import Scope, index_names_of, well_shaped
from ..language.text import to_text
from ..problem.definition import ClaimSpec, Problem
from ..problem.reading import read_latex
from ..verdict.check import CheckOptions, ProblemChecker
from ..verdict.evidence import ClaimVerdict, LinkVerdict
from .export import chain_math
from .formulas import Formula, find_formulas, unclosed
from .readings import Part, Reading
from .segments import Segment, segments

# what a statement is (docs/annotate.md)
FORWARD, DERIVATIVE, IDENTITY, STEP, SHAPE, UPDATE = "forward", "derivative", "identity", "step", "shape", "update"
NOTATION, EXPRESSION, UNREAD, SKIPPED, MENTION = "notation", "expression", "unread", "skipped", "mention"
CHECKED = frozenset({FORWARD, DERIVATIVE, IDENTITY, STEP, SHAPE, UPDATE})
# what a mark says of it
HOLDS, FAILS, FOLLOWS, JUMP, UNDECIDED, ERROR = "holds", "fails", "follows", "jump", "undecided", "error"
SYMBOLS = {HOLDS: "✓", FAILS: "✗", FOLLOWS: "↳", JUMP: "⤳", UNDECIDED: "?", ERROR: "!", None: "·"}


@dataclass
class Mark:
    """What annotate says of one statement, or of one link of a chain."""

    line: int
    column: int
    formula: int  # the formula's number in the document (0-based)
    source: str  # the statement as the document writes it (decorations off)
    kind: str
    status: str | None = None  # HOLDS, FAILS, FOLLOWS, JUMP, UNDECIDED, ERROR; None when not checked
    problem: str | None = None
    claim: str | None = None  # the link or claim checked, as claim text
    math: str | None = None  # the same in LaTeX, in the document's notation
    reason: str = ""  # the evidence, or why it is not checked
    diagnosis: str | None = None  # the slip's code
    diagnosis_message: str | None = None
    correction: str | None = None  # the corrected statement, LaTeX in the document's notation
    follows_from: int | None = None  # the line of the wrong step a FOLLOWS mark rests on
    seconds: float = 0.0
    head: str | None = None  # the chain a link belongs to starts with this (claim text): dL/dW
    value: str | None = None  # the link's right side (claim text): what the line says the head is
    repeats: int | None = None  # a wrong line saying again what this earlier line said of the same head
    every_size: bool = False  # holds with a proof for every size (not on concrete evidence alone)
    value_node: ast.Node | None = field(default=None, repr=False, compare=False)  # ``value``'s tree

    @property
    def symbol(self) -> str:
        return SYMBOLS.get(self.status, "·")

    def as_json(self) -> dict:
        return {key: getattr(self, key) for key in (
            "line", "column", "formula", "source", "kind", "status", "problem", "claim", "math", "reason",
            "diagnosis", "diagnosis_message", "correction", "follows_from", "seconds", "head", "value", "repeats",
            "every_size")}


@dataclass
class Annotation:
    """Every formula of a document with the marks of its statements."""

    formulas: list[Formula]
    marks: list[list[Mark]]  # per formula
    unclosed: list[tuple[int, int, str]] = field(default_factory=list)
    seconds: float = 0.0

    def all_marks(self) -> list[Mark]:
        return [mark for marks in self.marks for mark in marks]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for mark in self.all_marks():
            key = mark.status if mark.kind in CHECKED else mark.kind
            counts[key] = counts.get(key, 0) + 1
        return counts

    @property
    def failed(self) -> bool:
        return any(mark.status in (FAILS, ERROR) for mark in self.all_marks())


@dataclass
class _Chain:
    """The chain a continuation line adds to: its problem, first side, last side, and the line
    of its first wrong link (None while every link holds)."""

    problem: Problem
    head: ast.Node
    last: ast.Node
    scope: Scope | None = None  # the index ranges so far: a later line keeps them
    wrong_line: int | None = None


class Annotator:
    """Reads and checks the statements of one document, in order, against its reading."""

    def __init__(self, reading: Reading, options: CheckOptions | None = None,
                 progress: Callable[[str], None] | None = None):
        self.reading = reading
        self.options = options or CheckOptions()
        self.progress = progress
        self._checkers: dict[int, ProblemChecker] = {}
        self._chain: _Chain | None = None
        # the chains of the formula before and of this one: a line '= …' after a formula of
        # alternatives ("A = B \text{ or } C = D") goes on from the one whose shape it fits
        self._previous: list[_Chain] = []
        self._current: list[_Chain] = []
        # what the wrong lines said so far: (line, problem, the quantity, the value they gave it)
        self._wrong: list[tuple[int, Problem, ast.Node, ast.Node]] = []

    def annotate(self, document: str, kind: str) -> Annotation:
        start = time.monotonic()
        found = find_formulas(document, kind)
        marks = [self._formula(number, formula) for number, formula in enumerate(found)]
        return Annotation(found, marks, unclosed(document, kind), time.monotonic() - start)

    # -- a formula -------------------------------------------------------------------------------
    def _formula(self, number: int, formula: Formula) -> list[Mark]:
        self._previous, self._current = self._current, []
        part = self.reading.part_at(formula.line)
        pieces = segments(formula.text)
        if not formula.display and not any(_has_relation(s.text) for s in pieces):
            return [self._mark(formula, number, None, MENTION, reason="inline math that states no equation")]
        if part is None or part.skip:
            why = part.skip if part else "no problem is given for this part of the document"
            return [self._mark(formula, number, None, SKIPPED, reason=why)]
        if not pieces:
            return [self._mark(formula, number, None, EXPRESSION, reason="holds no mathematics to read")]
        marks = []
        for piece in pieces:
            marks.extend(self._statement(formula, number, piece, part))
        return marks

    def _mark(self, formula: Formula, number: int, piece: Segment | None, kind: str, **fields) -> Mark:
        line, column = _position(formula, piece)
        return Mark(line=line, column=column, formula=number, source=piece.text if piece else formula.text.strip(),
                    kind=kind, **fields)

    # -- a statement ---------------------------------------------------------------------------
    def _statement(self, formula: Formula, number: int, piece: Segment, part: Part) -> list[Mark]:
        def mark(kind: str, **fields) -> Mark:
            return self._mark(formula, number, piece, kind, **fields)

        if piece.continues and self._chain is None:
            return [mark(UNREAD, reason="continues a chain ('= …'), but no equation that it continues was read")]
        continuing = piece.continues
        problems = (self._chain.problem,) if continuing else part.problems
        text = part.rewritten(piece.text[1:] if continuing else piece.text)
        read = _read(text, problems, continuing)
        if isinstance(read, str):
            if formula.display and not _has_relation(piece.text) and _COMMENTARY.search(piece.text):
                # a remark between the lines of a chain ("(why? ...)", "\mathbb{R}^{1 \times m}"): the
                # chain goes on after it
                return [mark(MENTION, reason=f"commentary, no equation to check ({read})")]
            self._chain = None
            # inline math that does not read is most often prose ("when $m = i$"), not a claim
            return [mark(UNREAD if formula.display else MENTION, reason=read)]
        problem, chain = read
        if chain.kind == "in":
            self._chain = None
            return [self._checked(mark(SHAPE), problem, chain)]
        if chain.kind == ":=":
            self._chain = None
            return [self._checked(mark(UPDATE), problem, chain)]
        if continuing:
            self._chain = self._continued(chain)
            return self._links(mark, problem, ast.Chain((self._chain.last, *chain.sides), kind="="), STEP)
        if len(chain.sides) < 2:  # nothing to check, but a line '= …' after it goes on from it
            self._chain = _Chain(problem, chain.sides[0], chain.sides[0])
            return [mark(EXPRESSION, problem=problem.id, claim=to_text(chain.sides[0]),
                         reason="an expression alone states nothing to check")]
        if not _uses_the_problem(chain, problem):
            self._chain = None
            return [mark(NOTATION, problem=problem.id, claim=to_text(chain),
                         reason="uses none of the problem's quantities: notation, not a claim about them")]
        defined = _notation_name(chain.sides[0], problem)
        if defined is not None:
            rest = chain.sides[1:]
            marks = [mark(NOTATION, problem=problem.id, reason=f"defines {defined}, a name the problem does not have")]
            if len(rest) >= 2 and not _unknown_names(ast.Chain(rest), problem):
                marks += self._links(mark, problem, ast.Chain(rest, kind="="), _kind(rest, problem))
            elif len(rest) == 1 and not _unknown_names(ast.Chain(rest), problem):
                self._chain = _Chain(problem, rest[0], rest[0])  # a line '= …' after it goes on from here
            else:
                self._chain = None
            return marks
        return self._links(mark, problem, chain, _kind(chain.sides, problem))

    def _continued(self, chain: ast.Chain) -> _Chain:
        """The chain a line '= …' goes on from: the last one, or, after a formula of several (each
        of one problem), the one it fits best (the most links well-shaped), the last of those."""
        candidates = [c for c in self._previous if c.problem is self._chain.problem] \
            if any(c is self._chain for c in self._previous) and not self._current else []
        if len(candidates) < 2:
            return self._chain
        fits = [(_fit(ast.Chain((c.last, *chain.sides)), c.problem), k) for k, c in enumerate(candidates)]
        return candidates[max(fits)[1]]

    def _checker(self, problem: Problem) -> ProblemChecker:
        if id(problem) not in self._checkers:
            self._checkers[id(problem)] = ProblemChecker(problem, self.options)
        return self._checkers[id(problem)]

    def _check(self, problem: Problem, chain: ast.Chain, scope: Scope | None = None) -> ClaimVerdict:
        return self._check_in(problem, chain, scope)[0]

    def _check_in(self, problem: Problem, chain: ast.Chain, scope: Scope | None) -> tuple[ClaimVerdict, Scope | None]:
        if self.progress:
            self.progress(to_text(chain))
        # a step W := W - eta * G is read as its gradient claim inside the check: a step derive
        # refuses (not a whole variable) is that line's error, not the document's
        return self._checker(problem).check_in(ClaimSpec(text=to_text(chain), chain=chain), scope)

    def _checked(self, mark: Mark, problem: Problem, chain: ast.Chain) -> Mark:
        """``mark`` with the verdict of ``chain``, checked as one claim."""
        verdict = self._check(problem, chain)
        mark.problem, mark.claim, mark.math = problem.id, verdict.claim, chain_math(problem, chain, aligned=False)
        mark.seconds = verdict.seconds
        if verdict.error:
            mark.status, mark.reason = ERROR, verdict.error
            return mark
        link = next((k for k in verdict.links if k.verdict != HOLDS), verdict.links[0] if verdict.links else None)
        mark.status = verdict.verdict
        if link is not None:
            _describe(mark, link, problem)
        return mark

    def _links(self, mark: Callable[..., Mark], problem: Problem, chain: ast.Chain, kind: str) -> list[Mark]:
        """A mark for each link of ``chain`` (the first of a continuation joins the chain before)."""
        continuing = kind == STEP and self._chain is not None
        verdict, scope = self._check_in(problem, chain, self._chain.scope if continuing else None)
        if verdict.error:
            self._chain = None
            return [mark(kind, status=ERROR, problem=problem.id, claim=verdict.claim, reason=verdict.error,
                         seconds=verdict.seconds)]
        state = self._chain if continuing else _Chain(problem, chain.sides[0], chain.sides[0])
        state.scope = scope
        marks = []
        for number, link in enumerate(verdict.links):
            left, right = chain.sides[number], chain.sides[number + 1]
            link_chain = ast.Chain((left, right))
            current = mark(kind if number == 0 else STEP, problem=problem.id, claim=f"{link.left} = {link.right}",
                           math=chain_math(problem, link_chain, aligned=False),
                           seconds=verdict.seconds if number == 0 else 0.0,
                           head=to_text(state.head), value=to_text(right), value_node=right,
                           every_size=link.every_size)
            current.status = link.verdict
            _describe(current, link, problem)
            if link.verdict == FAILS and state.wrong_line is not None and left != state.head:
                if self._check(problem, ast.Chain((state.head, right)), scope).verdict == HOLDS:
                    current.status, current.diagnosis, current.correction = JUMP, None, None
                    current.reason = "true, but it does not follow from the line before (a jump)"
                    state.wrong_line = None
            elif link.verdict == HOLDS and state.wrong_line is not None:
                current.status, current.follows_from = FOLLOWS, state.wrong_line
                current.reason = f"follows from line {state.wrong_line}, which is wrong"
            # a wrong claim about the chain's head may say again what an earlier wrong line said; a
            # step from a right value to a wrong one is a slip of its own
            if current.status == FAILS and self._carried_forward(current, problem, state.head, right,
                                                                 may_follow=left == state.head):
                state.wrong_line = current.follows_from
            if link.verdict == FAILS and current.status == FAILS and state.wrong_line is None:
                state.wrong_line = current.line
            state.last = right
            marks.append(current)
        self._chain = state
        if not any(c is state for c in self._current):
            self._current.append(state)
        return marks


    def _carried_forward(self, mark: Mark, problem: Problem, head: ast.Node, value: ast.Node,
                         may_follow: bool) -> bool:
        """Whether a wrong line says what an earlier wrong line said of the same quantity (the
        matrix form of wrong entries, or the same again, ``repeats``): it follows from it, marked
        FOLLOWS, the slip counted once. Otherwise it is remembered as a wrong line of its own."""
        for line, earlier_problem, earlier_head, earlier_value in self._wrong if may_follow else ():
            same = _restated(head, value, earlier_head, earlier_value)
            if earlier_problem is problem and same is not None and self._check(problem, same).verdict == HOLDS:
                mark.status, mark.follows_from, mark.correction = FOLLOWS, line, None
                mark.repeats = line if head == earlier_head else None
                mark.reason = f"follows from line {line}, which is wrong: it says the same of {to_text(head)}"
                return True
        self._wrong.append((mark.line, problem, head, value))
        return False


def _restated(head: ast.Node, value: ast.Node, earlier_head: ast.Node, earlier_value: ast.Node) -> ast.Chain | None:
    """The claim that ``head = value`` says what ``earlier_head = earlier_value`` said: the same
    quantity, or the matrix and its entries (``dJ/dW`` and ``dJ/dW[i,j]``); None for others."""
    if head == earlier_head:
        return ast.Chain((earlier_value, value))
    for whole, whole_value, entry, entry_value in ((head, value, earlier_head, earlier_value),
                                                   (earlier_head, earlier_value, head, value)):
        if isinstance(entry, ast.Index) and entry.operand == whole and all(isinstance(i, str) for i in entry.items):
            return ast.Chain((ast.Index(whole_value, entry.items), entry_value))
    return None


def _describe(mark: Mark, link: LinkVerdict, problem: Problem) -> None:
    """The link's reason, evidence and diagnosis, on ``mark``."""
    mark.reason = link.evidence_summary() if link.verdict == HOLDS else link.reason
    if link.diagnosis is not None:
        mark.diagnosis, mark.diagnosis_message = link.diagnosis.code, link.diagnosis.message
        if link.diagnosis.correction is not None and len(link.sides) == 2:
            corrected = ast.Chain((link.sides[0], link.diagnosis.correction))
            mark.correction = chain_math(problem, corrected, aligned=False)


def _position(formula: Formula, piece: Segment | None) -> tuple[int, int]:
    """The document line and column where ``piece`` of ``formula`` starts."""
    if piece is None:
        return formula.line, formula.column
    before = formula.text[:piece.start]
    newlines = before.count("\n")
    if newlines == 0:
        return formula.line, formula.column + piece.start
    return formula.line + newlines, len(before) - before.rfind("\n")


def _read(text: str, problems: tuple[Problem, ...], continuing: bool) -> tuple[Problem, ast.Chain] | str:
    """The statement read against the problem whose names it uses and whose shapes it fits best
    (a 2×2 written out entry by entry belongs to the problem at those sizes), the first of those
    that fit alike; or why none reads it."""
    reasons, fitting = [], []
    for problem in problems:
        try:
            if continuing:
                sides = read_latex("X = " + text if not text.lstrip().startswith("=") else text, problem)
                chain = ast.Chain(sides.sides[1:], kind="=")
            else:  # an expression: one side
                chain = read_latex(text, problem, claim=_has_relation(text))
        except DeriveError as error:
            reasons.append(str(error).splitlines()[0])
            continue
        unknown = _unknown_names(chain, problem)
        if unknown and not (chain.kind == "=" and _notation_name(chain.sides[0], problem) and len(unknown) == 1):
            reasons.append(f"{', '.join(sorted(unknown))} {'is' if len(unknown) == 1 else 'are'} not a name of "
                           f"{problem.id} (map it in the reading's names)")
            continue
        if len(problems) == 1:
            return problem, chain
        fitting.append((_fit(chain, problem), -len(fitting), problem, chain))
    if fitting:  # the most links well-shaped, then the first problem
        _, _, problem, chain = max(fitting, key=lambda found: found[:2])
        return problem, chain
    if not problems:
        return "no problem is given for this part of the document"
    return reasons[0] if len(set(reasons)) == 1 or len(problems) == 1 else "; ".join(
        f"{p.id}: {r}" for p, r in zip(problems, reasons))


def _fit(chain: ast.Chain, problem: Problem) -> int:
    """How many of the chain's links are well-shaped in ``problem`` (all of them for one side)."""
    links = chain.links() or [(chain.sides[0], chain.sides[0])]
    scope = problem.claim_scope(chain)
    return sum(well_shaped(ast.Chain((left, right)), scope) for left, right in links)


# prose (a \text{…} with words and spaces) or a set (\mathbb{R}^{…}): commentary, not a claim
_COMMENTARY = re.compile(r"\\(?:text|textrm|textit|mbox|mathrm)\s*\{[^{}]*\s[^{}]*\}|\\mathbb(?![A-Za-z])")


def _has_relation(text: str) -> bool:
    return "=" in text or "\\in" in text or "\\leftarrow" in text or "\\gets" in text


def _names(chain: ast.Chain) -> tuple[set[str], set[str]]:
    """The names a chain uses as quantities, and the functions it calls."""
    names, functions = set(), set()
    for side in chain.sides:
        for node in ast.walk(side):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Derivative):
                names.add(node.wrt)
            elif isinstance(node, ast.Call) and node.func not in PRIMITIVES:
                functions.add(node.func)
    return names, functions


def _unknown_names(chain: ast.Chain, problem: Problem) -> set[str]:
    names, functions = _names(chain)
    known = set(problem.shapes) | set(problem.sizes) | index_names_of(chain)
    return (names - known - {"I"}) | (functions - set(problem.activations))


def _uses_the_problem(chain: ast.Chain, problem: Problem) -> bool:
    """Whether the chain names a quantity of the problem (a variable, a definition, a loss)."""
    names, _ = _names(chain)
    return bool(names & set(problem.shapes))


def _notation_name(side: ast.Node, problem: Problem) -> str | None:
    """The name ``side`` defines when it is a name (or an entry of one) the problem does not have:
    ``a_{ij} = …``, ``\\delta_{ij} = …``."""
    base = side.operand if isinstance(side, ast.Index) else side
    if isinstance(base, ast.Name) and base.id not in problem.shapes and base.id not in problem.sizes:
        return base.id
    return None


def _kind(sides, problem: Problem) -> str:
    """A claim about a derivative, a restatement of the forward pass, or an identity."""
    if any(isinstance(node, ast.Derivative) for side in sides for node in ast.walk(side)):
        return DERIVATIVE
    first = sides[0].operand if isinstance(sides[0], ast.Index) else sides[0]
    defined = {name for name, _ in problem.definitions}
    if isinstance(first, ast.Name) and first.id in defined:
        return FORWARD
    return IDENTITY
