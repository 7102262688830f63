"""Whether a rewritten claim equals the true value at the diagnosis's two points — or a constant
multiple of it — and what a constant factor is in words.

The diagnosis (derive.verdict.diagnose) compares thousands of edits of a claim with the true
value; ``Matcher`` does it with the work they share done once. A constant factor c is read off
the values, never searched for: the least-squares ratio of the claim to the truth at each point
(``factor_of``), kept only when the claim is that multiple at every entry. A factor that follows
the sizes (S at one point, S' at the other) is told from a constant by the two points' different
sizes (points.SIZE_TABLES). ``plausible_factor`` keeps the factors a slip makes — a small ratio
(±2, ±1/2, ±3, -1) or a size (S, 1/S, sqrt(dk), S/K) — so that an edit and a factor together
explain a claim only by a slip people make, not by whatever ratio the values happen to have.
"""

from __future__ import annotations

import dataclasses
import itertools
from fractions import Fraction

import numpy as np

from ..errors import BudgetExceeded, DeriveError
from ..language import ast
from ..language.shapes import Scope, ShapeMemo, free_indices, typed
from ..problem.definition import Problem
from .points import CLOSE, SIZE_TABLES, Pair, close, common_scope
from .slips import Degenerate

ONE = ast.Number(Fraction(1))
Described = tuple[str, str | None, str, ast.Node | None]  # a factor in words, what to divide by, a hint, c's tree
SCALE_HINT = " (a sum where an average was meant, or the reverse, or a missing scale)"
SAMPLED = 3  # index assignments a candidate is first compared at, in index notation
EXACT = (1.0, 1.0)  # the factors of a candidate equal to the target at both points
LINEAR = {"sum", "trace", "vec", "diag"}  # calls that a constant factor of the argument passes through
SMALL = 12  # a plausible constant factor is at most this, or its inverse (``_small_ratio``)
# the largest factor a plausible one can be (a product of two sizes of SIZE_TABLES), for the
# sampled comparison of a candidate whose target is zero at the sampled assignments
LARGEST = float(max(SIZE_TABLES[-1]) ** 2)


def factor_of(true: np.ndarray, got: np.ndarray) -> float | None:
    """c when ``got`` = c·``true`` at every entry (within CLOSE) for some c ≠ 0, 1; else None."""
    norm = float(np.sum(true * true))
    if norm == 0:
        return None
    factor = float(np.sum(got * true)) / norm
    if abs(factor - 1) < 1e-6 or abs(factor) < 1e-9 or not close(got, factor * true):
        return None
    return factor


def describe_factor(problem: Problem, factors: list[float]) -> Described | None:
    """The factor in words, what to divide by (text and tree), and a hint: a number when it is
    the same at both size assignments, a size (S, 1/S, sqrt(dk)) when it follows that size, None
    otherwise."""
    first, second = factors
    if abs(first - second) < 1e-7 * max(1.0, abs(first)):
        ratio = Fraction(first).limit_denominator(1000)
        if abs(float(ratio) - first) < 1e-9 * max(1.0, abs(first)) and len(str(ratio)) <= 12:
            return (str(ratio), f"({ratio})" if ratio.denominator != 1 or ratio < 0 else str(ratio), "",
                    _signed(1 if ratio >= 0 else -1, _fraction(abs(ratio))))
        magnitude = ast.Number(Fraction(f"{abs(first):.12g}"))
        return f"{first:.6g}", f"{first:.12g}", "", _signed(1 if first >= 0 else -1, magnitude)
    return _size_factor(problem, factors)


def plausible_factor(problem: Problem, factors: tuple | list | None) -> Described | None:
    """``describe_factor``'s description of a factor a slip makes: a small ratio (``_small_ratio``;
    -1 a sign) or a size; None for any other ratio, or for no factor (None, or EXACT)."""
    if factors is None or None in factors or tuple(factors) == EXACT:
        return None
    first, second = factors
    if abs(first - second) >= 1e-7 * max(1.0, abs(first)):
        return _size_factor(problem, factors)
    return describe_factor(problem, factors) if _small_ratio(first) else None


def _small_ratio(value: float) -> bool:
    """``value`` is n or 1/n (n ≤ SMALL), or p/q with p, q ≤ 4 (3/2, 4/3), up to sign and
    rounding: the constants a slip makes (a power's exponent, a 1/2 dropped), not 7/11."""
    ratio = Fraction(value).limit_denominator(SMALL)
    p, q = abs(ratio.numerator), ratio.denominator
    return abs(float(ratio) - value) < 1e-9 * max(1.0, abs(value)) and p <= SMALL and (
        p == 1 or q == 1 or (p <= 4 and q <= 4))


def _size_values(problem: Problem) -> list[list[float]]:
    """At each point, the values a size factor can have there (a size monomial or its inverse)."""
    assignments = [problem.sizes_from(table) for table in SIZE_TABLES]
    monomials = [values for _, _, values in _size_monomials(problem, assignments)]
    return [[v[k] for v in monomials] + [1 / v[k] for v in monomials] for k in range(len(SIZE_TABLES))]


def _size_factor(problem: Problem, factors):
    """A factor that follows a size monomial (S, -1/S, sqrt(dk), S/K) from one point to the other."""
    assignments = [problem.sizes_from(table) for table in SIZE_TABLES]
    for shown, tree, values in _size_monomials(problem, assignments):
        for sign, prefix in ((1, ""), (-1, "-")):
            if all(abs(f - sign * v) < 1e-9 * v for f, v in zip(factors, values)):
                return f"{prefix}{shown}", f"({prefix}{shown})", SCALE_HINT, _signed(sign, tree)
            if all(abs(f * v - sign) < 1e-9 for f, v in zip(factors, values)):
                inverse = f"1/{shown}" if "/" not in shown and "*" not in shown else f"1/({shown})"
                return (f"{prefix}{inverse}", f"({prefix}{inverse})", SCALE_HINT,
                        _signed(sign, ast.Binary("/", ast.Number(Fraction(1)), tree)))
    return None


def _fraction(value: Fraction) -> ast.Node:
    """``p/q`` as the claim language writes it (a number, or a quotient of two)."""
    if value.denominator == 1:
        return ast.Number(value)
    return ast.Binary("/", ast.Number(Fraction(value.numerator)), ast.Number(Fraction(value.denominator)))


def _signed(sign: int, node: ast.Node) -> ast.Node:
    return node if sign > 0 else ast.Neg(node)


def _size_monomials(problem: Problem, assignments: list[dict]):
    """(text, tree, value at each assignment) of the size factors a slip can introduce: a size,
    its square root, then a product or a ratio of two sizes (S/K: divided by the classes, not
    the batch)."""
    names = problem.free_sizes
    for name in names:
        values = [sizes[name] for sizes in assignments]
        yield name, ast.Name(name), values
        yield f"sqrt({name})", ast.Call("sqrt", (ast.Name(name),)), [v ** 0.5 for v in values]
    for a, b in itertools.permutations(names, 2):
        yield f"{a}/{b}", ast.Binary("/", ast.Name(a), ast.Name(b)), [sizes[a] / sizes[b] for sizes in assignments]
        if a < b:
            yield f"{a}*{b}", ast.Binary("*", ast.Name(a), ast.Name(b)), [sizes[a] * sizes[b] for sizes in assignments]


def without_factor(node: ast.Node, factor: ast.Node) -> ast.Node:
    """``node`` divided by ``factor``, written as the claim would be without it: the factor taken
    out where it stands among the factors the claim is a product of (-W @ x for a sign is W @ x,
    2 * G for a factor 2 is G, G / S for 1/S is G, 4 * G for 2 is 2 * G); else G / c (-G for a
    sign)."""
    taken = _taken(node, factor)
    if taken is not None:
        return taken
    if _same(factor, ast.Neg(ONE)):
        return ast.Neg(node)
    if isinstance(node, ast.Neg):  # -G / -c is G / c
        return without_factor(node.operand, _negated(factor))
    value = _number(factor)
    if value is not None and value != 0 and (1 / value).denominator == 1:  # G / (1/2) is 2 * G
        return ast.Binary("*", ast.Number(1 / value), node)
    if value is not None and value.denominator == 1:
        return ast.Binary("/", node, ast.Number(value))
    return ast.Binary("/", node, factor)


def _taken(node, factor: ast.Node) -> ast.Node | None:
    """``node`` with ``factor`` taken out of a subtree it is linear in (an operand of * or @, the
    numerator of /, under a minus, a transpose, an entry, a sum or trace), or None."""
    if _same(factor, ONE):
        return node
    if isinstance(node, ast.Neg):
        dropped = _taken(node.operand, _negated(factor))
        if dropped is not None:
            return dropped
        kept = _taken(node.operand, factor)
        return None if kept is None else ast.Neg(kept)
    if isinstance(node, ast.Binary) and node.op in ("*", "@", "/"):
        return _taken_from_product(node, factor)
    if isinstance(node, (ast.Transpose, ast.Index, ast.IndexSum)) or (
            isinstance(node, ast.Call) and node.func in LINEAR and len(node.args) == 1):
        inner = _taken(ast.children(node)[0], factor)
        return None if inner is None else dataclasses.replace(node, **{_operand_field(node): _inner(node, inner)})
    return None


def _taken_from_product(node: ast.Binary, factor: ast.Node) -> ast.Node | None:
    """A product or quotient with ``factor`` taken out: an operand that is the factor dropped, a
    number operand rescaled (4 * G for 2: 2 * G), or the factor taken from an operand."""
    sides = (node.left, node.right) if node.op != "/" else (node.left,)
    for position, side in enumerate(sides):
        other = sides[1 - position] if len(sides) == 2 else None
        if other is not None and _same(side, factor):
            return other
        value, wanted = _number(side), _number(factor)
        if other is not None and value is not None and wanted:
            return _rescaled(other, value / wanted) or _with_operand(node, position, ast.Number(value / wanted))
    if node.op == "/":
        value, wanted = _number(node.right), _number(factor)
        if _same(ast.Binary("/", ONE, node.right), factor):
            return node.left
        if value is not None and wanted:
            return _rescaled(node.left, value * wanted) or _with_operand(node, 1, ast.Number(value * wanted))
    for position, side in enumerate(sides):
        inner = _taken(side, factor)
        if inner is not None:
            return _with_operand(node, position, inner)
    return None


def _rescaled(other: ast.Node, number: Fraction) -> ast.Node | None:
    """``other`` times ±1 (the number left where a factor was taken out), or None for any other number."""
    return other if number == 1 else ast.Neg(other) if number == -1 else None


def _with_operand(node: ast.Binary, position: int, new: ast.Node) -> ast.Binary:
    return dataclasses.replace(node, left=new) if position == 0 else dataclasses.replace(node, right=new)


def _operand_field(node) -> str:
    return {ast.Transpose: "operand", ast.Index: "operand", ast.IndexSum: "body", ast.Call: "args"}[type(node)]


def _inner(node, inner):
    return (inner,) if isinstance(node, ast.Call) else inner


def _negated(factor: ast.Node) -> ast.Node:
    """-``factor`` (a number as the claim language writes it: -(-2) is 2)."""
    value = _number(factor)
    if value is not None:
        return _signed(1 if value <= 0 else -1, _fraction(abs(value)))
    return factor.operand if isinstance(factor, ast.Neg) else ast.Neg(factor)


def _same(a: ast.Node, b: ast.Node) -> bool:
    """The same tree, or two numbers of the same value (0.5 and 1/2)."""
    if a == b:
        return True
    value_a, value_b = _number(a), _number(b)
    return value_a is not None and value_a == value_b


def _number(node: ast.Node) -> Fraction | None:
    """The value of a tree made of numbers only (2, -1/2), else None."""
    if isinstance(node, ast.Number):
        return node.value
    if isinstance(node, ast.Neg):
        inner = _number(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.Binary) and node.op in ("*", "/"):
        left, right = _number(node.left), _number(node.right)
        if left is None or right is None or (node.op == "/" and right == 0):
            return None
        return left * right if node.op == "*" else left / right
    return None


class Matcher:
    """Whether a candidate edit equals the target at both points (a call), or what multiple of
    it the candidate is (``factors``).

    Thousands of candidates are tried per claim, so what they share is computed once: the
    target's shapes and values, and one scope per set of index ranges (the numeric oracle's
    caches are kept per scope, so a candidate's untouched subtrees are not evaluated again).
    In index notation a candidate is first compared at a few index assignments, with a
    tolerance that a candidate equal everywhere always meets, before its every assignment is.
    Asking for the factor costs no more evaluations than asking for equality: the ratio is read
    from the values a comparison computes anyway.
    """

    def __init__(self, pair: Pair, node, target, scope: Scope):
        self.pair, self.node, self.target = pair, node, target
        self.degenerate = Degenerate(node, target)
        self.memo = ShapeMemo()  # every scope here is one of this claim's
        self.base = common_scope(scope, target, memo=self.memo)
        self.scopes: dict = {}
        self.targets: dict = {}
        self.free: dict = {}  # free indices of subtrees (every scope here has the claim's index names)
        self.alive: list = [target]
        self.tried: set = set()  # the candidates already compared (none of them matched)
        self.sizes = None  # at each point, the values a size factor can have (computed when first needed)

    def __call__(self, candidate) -> bool:
        """Whether ``candidate`` equals the target at both points."""
        return self.factors(candidate, scaled=False) == EXACT

    def factors(self, candidate: ast.Node, scaled: bool = True) -> tuple[float, float] | None:
        """EXACT when ``candidate`` equals the target at both points; with ``scaled``, (c₁, c₂)
        when it is c₁ times the target at the first point and c₂ at the second (c ≠ 0, 1); else
        None. A candidate is compared once: asked again (two edits in either order, or an edit
        that undoes another), it is None."""
        if candidate in self.tried:
            return None
        found = self._compare(candidate, scaled)
        self.tried.add(candidate)  # an exact match ends the search; a multiple is kept by the caller
        return found

    def _compare(self, candidate, scaled: bool) -> tuple[float, float] | None:
        if self.base is None or self.degenerate(candidate):
            return None
        local = self._scope(candidate)
        if local is None:
            return None
        self.alive.append(candidate)  # what ``free`` knows of it is keyed by identity
        names = free_indices(candidate, local.index_names, self.free) | free_indices(
            self.target, local.index_names, self.free)
        key = (names, id(local))
        if key not in self.targets:
            self.targets[key] = self._target(local, names)
        target = self.targets[key]
        if target is None:
            return None
        values, picks, bound = target
        if picks is not None and not self._sampled_match(candidate, local, names, values[0], picks, bound, scaled):
            return None
        found = []
        for point, true in zip(self.pair.points, values):  # lazily: the second point only if the first fits
            got = point(candidate, local, names)
            factor = 1.0 if close(got, true) else (factor_of(true, got) if scaled and got is not None
                                                   and got.shape == true.shape else None)
            if factor is None or (found and (factor == 1.0) != (found[0] == 1.0)) or not (
                    found or factor == 1.0 or self._plausible_first(factor)):
                return None
            found.append(factor)
        return tuple(found)

    def _plausible_first(self, factor: float) -> bool:
        """Whether a factor at the first point can be a plausible one (``plausible_factor``): the
        second point is evaluated only then (a 1×1 candidate is a multiple of any target)."""
        if _small_ratio(factor):
            return True
        if self.sizes is None:
            self.sizes = _size_values(self.pair.problem)
        return any(abs(abs(factor) - v) < 1e-9 * v for v in self.sizes[0])

    def _target(self, local: Scope, names) -> tuple | None:
        """The target's values at both points, and for index notation the assignments a candidate
        is first compared at with the bound of that comparison; None where it has no values."""
        values = [p(self.target, local, names) for p in self.pair.points]
        if any(v is None for v in values):
            return None
        true = values[0]
        if len(true) <= 2 * SAMPLED:
            return values, None, None
        picks = sorted(np.random.default_rng(len(true)).choice(len(true), SAMPLED, replace=False).tolist())
        return values, picks, CLOSE * (1 + 1e-6) * max(float(np.max(np.abs(true))), 1e-12)

    def _scope(self, candidate) -> Scope | None:
        """The target's scope with the candidate's index ranges, one object per set of ranges."""
        try:
            local = typed((candidate,), self.base, self.memo).scope
        except BudgetExceeded:
            raise
        except DeriveError:
            return None
        return self.scopes.setdefault(frozenset(local.index_ranges.items()), local)

    def _sampled_match(self, candidate, local: Scope, names, true, picks: list[int], bound: float,
                       scaled: bool) -> bool:
        """False only when the full comparison would fail: a candidate within CLOSE of the true
        values everywhere differs by less than CLOSE·max|true| (up to rounding: ``bound``) at
        every entry; one within CLOSE of c times them, by less than |c|·``bound`` from c times
        them (c estimated from the sampled entries, hence the slack)."""
        got = self.pair.points[0](candidate, local, names, picks)
        if got is None or got.shape[1:] != true.shape[1:]:
            return False
        sampled = true[picks]
        if np.all(np.abs(got - sampled) <= bound):
            return True
        if not scaled:
            return False
        norm = float(np.sum(sampled * sampled))
        if norm == 0:  # c times zero: the candidate is (nearly) zero there too
            return bool(np.all(np.abs(got) <= LARGEST * bound))
        factor = float(np.sum(got * sampled)) / norm
        return abs(factor) >= 1e-9 and bool(np.all(np.abs(got - factor * sampled) <= 10 * abs(factor) * bound))
