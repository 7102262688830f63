"""Verdicts and the evidence behind them.

A link of a claim *holds* only when the exact oracle proved the difference zero at every size
assignment it tried, no numeric evidence doubts it, and either the index-notation engine proved it
for every size or evidence at sizes drawn for the claim agrees (``check.ProblemChecker``); it
*fails* only with a witness (an entry where the sides differ, exactly or
far beyond numeric error, or a shape that cannot match); anything else is *undecided*, with the
evidence there is. ``as_json`` is the documented ``--json`` schema (docs/json.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace

from ..language import ast

HOLDS, FAILS, UNDECIDED = "holds", "fails", "undecided"
# A field holding trees: documents print them (derive.documents); JSON carries their text fields.
TREE = {"tree": True}
DISAGREEMENT = 1e-6  # a numeric relative error past this is a difference, not rounding


@dataclass
class ExactEvidence:
    """The exact oracle at one size assignment."""

    sizes: dict
    outcome: str  # "zero" | "witness" | "shape" | "undecided"
    method: str = ""  # "structural" | "expand" | "rational" | "witness" | "timeout" | "inconclusive"
    seconds: float = 0.0
    detail: str = ""


@dataclass
class NumericEvidence:
    """The numeric oracle at one size assignment."""

    sizes: dict
    agree: bool
    error: float
    method: str  # "direction" | "entrywise"
    seconds: float = 0.0
    finite: bool = True  # False when the comparison gave NaN or inf: never agreement

    @property
    def disagrees(self) -> bool:
        """A finite difference far beyond rounding: a witness, unlike a NaN or a near miss."""
        return self.finite and not self.agree and self.error > DISAGREEMENT


@dataclass
class Difference:
    """The first entry where the claim and the true value differ."""

    entry: str
    true: object
    claimed: object
    sizes: dict
    point: dict | None = None
    gap: str = ""  # |true - claimed|, when the two print alike (a difference of 1e-30)


@dataclass
class Diagnosis:
    code: str
    message: str
    correct: str | None = None
    slips: tuple[str, ...] = ()  # the code of each slip, when the correction needs more than one edit
    correction: ast.Node | None = field(default=None, metadata=TREE, repr=False, compare=False)  # correct's tree


@dataclass
class LinkVerdict:
    """One link ``left = right`` of a claim."""

    left: str
    right: str
    verdict: str
    reason: str = ""
    exact: list[ExactEvidence] = field(default_factory=list)
    numeric: list[NumericEvidence] = field(default_factory=list)
    difference: Difference | None = None
    diagnosis: Diagnosis | None = None
    seconds: float = 0.0
    generic: str = ""  # "proved", or why there is no generic (all-sizes) proof
    derivation: list[tuple[str, str]] = field(default_factory=list)  # (expression, justification)
    numeric_unavailable: str = ""  # why the numeric oracle could not evaluate the link, if so
    every_size: bool = False  # proved for every size (generic proof, or no size to vary)
    # seconds spent by each stage of the check (exact, numeric, generic, diagnosis): where time goes
    timings: dict[str, float] = field(default_factory=dict)
    sides: tuple[ast.Node, ...] = field(default=(), metadata=TREE, repr=False, compare=False)  # left, right
    # the derivation's steps (derive.oracles.index.Step: a chain, its justification and the trees of
    # the rules it cites); ``derivation`` is their text
    steps: list = field(default_factory=list, metadata=TREE, repr=False, compare=False)

    def evidence_summary(self) -> str:
        parts = []
        if self.generic == "proved":
            parts.append("generic proof (every size)")
        zero = [e for e in self.exact if e.outcome == "zero"]
        if zero:
            sizes = "; ".join(sizes_text(e.sizes) for e in zero)
            parts.append(f"exact at {sizes}")
        if any(e.outcome == "shape" for e in self.exact):
            parts.append("the shapes cannot match")
        witness = [e for e in self.exact if e.outcome == "witness"]
        if witness:
            parts.append(f"exact witness at {sizes_text(witness[0].sizes)}")
        undecided = [e for e in self.exact if e.outcome == "undecided"]
        if undecided:
            parts.append(f"exact undecided at {sizes_text(undecided[0].sizes)} ({undecided[0].detail})")
        for n in self.numeric:
            word = "agrees" if n.agree else ("differs" if n.finite else "is not finite")
            parts.append(f"numeric {word} at {sizes_text(n.sizes)} (rel. error {n.error:.1e}, {n.method})")
        if self.numeric_unavailable:
            parts.append(self.numeric_unavailable)
        if self.verdict == HOLDS and self.generic != "proved" and any(e.sizes for e in self.exact):
            parts.append("no proof for every size")
        return "; ".join(parts) if parts else "no evidence"


@dataclass
class ClaimVerdict:
    """A whole claim (a chain of links): holds iff every link holds."""

    claim: str
    verdict: str
    links: list[LinkVerdict]
    expect: str | None = None
    expected_diagnosis: str | None = None
    correct: str | None = None
    source: str = ""
    error: str | None = None
    seconds: float = 0.0  # the check's wall time (for a verdict from the cache: when it was computed)
    cached: bool = False  # found in the verdict cache (derive.verdict.cache), not checked in this run
    notes: list[str] = field(default_factory=list)  # how a claim that reads two ways was read (ambiguity.py)
    chain: ast.Chain | None = field(default=None, metadata=TREE, repr=False, compare=False)  # the claim's tree
    correct_chain: ast.Chain | None = field(default=None, metadata=TREE, repr=False, compare=False)

    @property
    def broken_link(self) -> int | None:
        for number, link in enumerate(self.links):
            if link.verdict == FAILS:
                return number
        return None

    @property
    def every_size(self) -> bool:
        """Holds with a proof for every size, link by link — not only on concrete evidence."""
        return self.verdict == HOLDS and all(link.every_size for link in self.links)

    @property
    def generic(self) -> bool:
        """Proved for every size by the index-notation engine, link by link."""
        return bool(self.links) and all(link.generic == "proved" for link in self.links)

    def evidence_summary(self) -> str:
        """The evidence of the first link that does not hold (of the last link when all do)."""
        link = next((each for each in self.links if each.verdict != HOLDS), self.links[-1] if self.links else None)
        return link.evidence_summary() if link else ""

    @property
    def diagnosis(self) -> Diagnosis | None:
        number = self.broken_link
        return None if number is None else self.links[number].diagnosis

    @property
    def matches_expectation(self) -> bool:
        if self.error is not None:
            return False
        if self.expect is None:
            return True
        if self.verdict != self.expect:
            return False
        if self.expected_diagnosis and self.verdict == FAILS:
            found = self.diagnosis.code if self.diagnosis else None
            return found == self.expected_diagnosis
        return True

    def without_trees(self) -> ClaimVerdict:
        """The verdict with its text and evidence only (lighter to send between processes)."""
        links = [replace(link, sides=(), steps=[], diagnosis=replace(link.diagnosis, correction=None)
                         if link.diagnosis else None) for link in self.links]
        return replace(self, links=links, chain=None, correct_chain=None)

    def as_json(self) -> dict:
        data = _record(self)
        data["broken_link"] = self.broken_link
        data["generic"] = self.generic
        data["every_size"] = self.every_size
        data["diagnosis"] = _record(self.diagnosis) if self.diagnosis else None
        data["matches_expectation"] = self.matches_expectation
        return _plain(data)


def combine(links: list[LinkVerdict]) -> str:
    verdicts = {link.verdict for link in links}
    if FAILS in verdicts:
        return FAILS
    if verdicts == {HOLDS}:
        return HOLDS
    return UNDECIDED


def sizes_text(sizes: dict) -> str:
    """m=2, d=3 (or "no sizes")."""
    return ", ".join(f"{k}={v}" for k, v in sizes.items()) or "no sizes"


def _record(value):
    """``dataclasses.asdict`` without the fields that hold trees."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _record(getattr(value, f.name)) for f in fields(value) if not f.metadata.get("tree")}
    if isinstance(value, (list, tuple)):
        return type(value)(_record(v) for v in value)
    if isinstance(value, dict):
        return {k: _record(v) for k, v in value.items()}
    return value


def _plain(value):
    """JSON-ready: complex numbers become [re, im] or a float, other objects strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, complex):
        return value.real if value.imag == 0 else [value.real, value.imag]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def entry_label(entry: tuple[int, int], assignments: list[dict] | None, shape: tuple[int, int]) -> str:
    """Where a witness is: the index values (and entry) in index notation, else the entry."""
    row, col = entry
    if assignments is not None:
        label = ", ".join(f"{k}={v + 1}" for k, v in assignments[row].items())
        return label if shape[1] == 1 else f"{label}, entry {col + 1}"
    if shape == (1, 1):
        return "the value"
    if shape[1] == 1:
        return f"entry [{row + 1}]"
    if shape[0] == 1:
        return f"entry [{col + 1}]"
    return f"entry [{row + 1},{col + 1}]"


def shown_value(value: float | complex | str) -> str:
    """A witness's value as a report prints it (6 significant digits)."""
    if isinstance(value, str):  # a value past a double's range, printed by mpmath
        return value
    if isinstance(value, complex):
        return f"{value.real:.6g}{value.imag:+.6g}i"
    return f"{value:.6g}"
