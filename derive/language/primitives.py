"""The table of primitives: one row per function of the claim language, and each engine's rules.

A row says what a primitive *is* — its name, kind, arity, keyword arguments, LaTeX template, the
domain of its argument, and what it does to sizes. How an engine treats it is that engine's
business: each engine module (shapes, the LaTeX reader and printer, the exact and numeric oracles,
the index engine, the diagnosis) creates its ``Rules`` with ``engine_rules`` and registers one rule
per row, in the style of HIPS/autograd's ``defvjp``. A test walks the table and fails when an
engine has no rule for a row, so adding a function is one row here plus one rule per engine, and
nothing is forgotten silently. The table imports nothing, so that reading it costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

ELEMENTWISE_KIND = "elementwise"  # a scalar function applied entry by entry
MATRIX_KIND = "matrix"  # a function of whole arrays
CONSTANT_KIND = "constant"  # an array built from sizes alone
INDEX_KIND = "index"  # a function of indices


@dataclass(frozen=True)
class Primitive:
    """One function of the claim language."""

    name: str
    kind: str
    latex: str  # a str.format template of the arguments' LaTeX
    summary: str = ""
    min_args: int = 1
    max_args: int = 1
    kwargs: tuple[str, ...] = ()
    domain: str = "real"  # "positive" where an elementwise function needs positive arguments
    # its value can count entries of its arguments (sum(ones(n)) = n, trace(eye(n)) = n), so a
    # claim can use a size as a value through it
    counts: bool = False


def _elementwise(name: str, latex: str, domain: str = "real") -> Primitive:
    return Primitive(name, ELEMENTWISE_KIND, latex, f"{name} of each entry", domain=domain)


_ROWS = [
    _elementwise("exp", r"\exp\left({0}\right)"),
    _elementwise("log", r"\log\left({0}\right)", "positive"),
    _elementwise("sqrt", r"\sqrt{{{0}}}", "positive"),
    _elementwise("sigmoid", r"\sigma\left({0}\right)"),
    _elementwise("tanh", r"\tanh\left({0}\right)"),
    _elementwise("relu", r"\operatorname{{ReLU}}\left({0}\right)"),
    _elementwise("step", r"\mathbb{{1}}\left[{0} > 0\right]"),
    _elementwise("sin", r"\sin\left({0}\right)"),
    _elementwise("cos", r"\cos\left({0}\right)"),
    _elementwise("abs", r"\left|{0}\right|"),
    _elementwise("sign", r"\operatorname{{sign}}\left({0}\right)"),
    Primitive("sum", MATRIX_KIND, r"\sum {0}", "sum of all entries, or along axis 0|1 (kept as a row|column)",
              kwargs=("axis",), counts=True),
    Primitive("trace", MATRIX_KIND, r"\operatorname{{tr}}\left({0}\right)", "trace of a square matrix", counts=True),
    Primitive("det", MATRIX_KIND, r"\det\left({0}\right)", "determinant of a square matrix", counts=True),
    Primitive("inv", MATRIX_KIND, r"{0}^{{-1}}", "inverse of a square matrix", counts=True),
    Primitive("kron", MATRIX_KIND, r"{0} \otimes {1}", "Kronecker product", 2, 2, counts=True),
    Primitive("vec", MATRIX_KIND, r"\operatorname{{vec}}\left({0}\right)", "stack the columns into one column"),
    Primitive("diag", MATRIX_KIND, r"\operatorname{{diag}}\left({0}\right)",
              "vector to diagonal matrix, or a square matrix's diagonal as a column"),
    Primitive("outer", MATRIX_KIND, r"\operatorname{{outer}}\left({0}, {1}\right)", "outer product u vᵀ of two vectors",
              2, 2),
    Primitive("softmax", MATRIX_KIND, r"\operatorname{{softmax}}\left({0}\right)",
              "softmax of a column vector's entries, or of each row of a matrix", counts=True),
    Primitive("norm", MATRIX_KIND, r"\left\lVert {0} \right\rVert", "Euclidean (Frobenius) norm", counts=True),
    Primitive("ones", CONSTANT_KIND, r"\mathbf{{1}}_{{{0}}}", "ones(n): n×1 column of ones; ones(m, n): m×n", 1, 2),
    Primitive("eye", CONSTANT_KIND, r"I_{{{0}}}", "n×n identity"),
    Primitive("zeros", CONSTANT_KIND, r"\mathbf{{0}}_{{{0}}}", "zeros(n): n×1; zeros(m, n): m×n", 1, 2),
    Primitive("delta", INDEX_KIND, r"\delta_{{{0}{1}}}", "Kronecker delta of two indices", 2, 2),
]
PRIMITIVES: dict[str, Primitive] = {row.name: row for row in _ROWS}
ELEMENTWISE: dict[str, Primitive] = {n: p for n, p in PRIMITIVES.items() if p.kind == ELEMENTWISE_KIND}
MATRIX_FUNCTIONS: dict[str, Primitive] = {n: p for n, p in PRIMITIVES.items() if p.kind != ELEMENTWISE_KIND}
COUNTING: frozenset[str] = frozenset(n for n, p in PRIMITIVES.items() if p.counts)
ALIASES = {"σ": "sigmoid", "sigma": "sigmoid", "ReLU": "relu"}


def canonical_function(name: str) -> str:
    """The table's name of a function spelled ``name`` (σ and sigma are sigmoid)."""
    return ALIASES.get(name, name)


class Rules:
    """How one engine treats each primitive: one rule per row, registered by name.

    What a rule is belongs to the engine (a function, or a record of spellings); the table only
    knows whether there is one. ``missing()`` lists the rows without a rule.
    """

    def __init__(self, engine: str):
        self.engine = engine
        self._rules: dict[str, object] = {}

    def register(self, *names: str) -> Callable:
        """A decorator registering its function as the rule of each named row."""

        def add(rule):
            self.add(names, rule)
            return rule

        return add

    def add(self, names: Iterable[str], rule: object) -> None:
        for name in names:
            if name not in PRIMITIVES:
                raise KeyError(f"{self.engine}: {name} is not a row of the primitive table")
            if name in self._rules:
                raise KeyError(f"{self.engine}: {name} has a rule already")
            self._rules[name] = rule

    def __contains__(self, name: str) -> bool:
        return name in self._rules

    def __getitem__(self, name: str):
        return self._rules[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self._rules.get(name, default)

    def missing(self) -> list[str]:
        return [name for name in PRIMITIVES if name not in self._rules]


ENGINES: dict[str, Rules] = {}


def engine_rules(engine: str) -> Rules:
    """The rules of ``engine``, created on first use and listed in ENGINES for the table test."""
    return ENGINES.setdefault(engine, Rules(engine))
