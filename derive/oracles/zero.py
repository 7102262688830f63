"""Deciding whether an exact difference is zero, and finding witnesses where it is not.

Soundness is the point. ``is_zero`` answers True only with a proof: the difference, with every
function application replaced by an atom (``σ(z)``, ``h'(X[1,2])``, a softmax entry), expands to
the zero polynomial — then it is zero for every value of the atoms, so certainly for the actual
ones. A second, stronger stage rewrites sigmoid, tanh and softmax as exponentials, splits
``exp(a+b)`` into ``exp(a)·exp(b)`` and tests the numerator of the combined fraction. When neither
proves zero the answer is None, never False: atoms can be related (σ(-z) = 1-σ(z)), so a
non-zero polynomial does not refute anything.

Only rewrites valid for every value, of any sign, are used: roots and powers by fractions are
radicals of their exact base (``Atomizer.root``), never split or merged across bases, because
(1/u)**(1/2) = u**(-1/2) and (a·b)**(1/2) = a**(1/2)·b**(1/2) are false for negative values;
SymEngine, which would make those rewrites, only ever sees polynomials.

Refutation needs a witness: ``find_witness`` evaluates both sides at random points with 40
significant digits (or as many as the entries' exact numbers need) and keeps a difference only
if it is far beyond the arithmetic's error and the same at twice the digits. With
``thorough=True``, used before a claim the zero test could not prove is given up, it also tries
every sign pattern (or, with many symbols, the all-negative, all-positive and alternating ones),
values near zero and large values, so that a claim false only for negative values is refuted
whatever the seed; symbols a problem confines (a stochastic matrix's entries) stay inside.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

import mpmath
import sympy

if TYPE_CHECKING:
    import symengine

from .functions import MPMATH_FORMS, Absolute, Sigmoid, SoftmaxEntry, Tanh, is_undefined
from .numpy_functions import standin


class Atomizer:
    """Replaces function applications and roots by symbols, so that only polynomial arithmetic
    (which SymEngine's expand does soundly) remains.

    Equal arguments (after SymPy's expansion, which respects assumptions) share one atom. A power
    b**(p/q) becomes t**p for one radical symbol t standing for b**(1/q) (principal branch):
    b**(p/q) = exp(p/q · Log b) = (b**(1/q))**p holds for every b ≠ 0 and integer p, and
    t**q = b, which ``reduce_radicals`` uses. Nothing else about roots is assumed: (1/u)**(1/2)
    and u**(-1/2) are different radicals (they differ for negative u), as are (a·b)**(1/2) and
    a**(1/2)·b**(1/2). A power by a non-constant exponent is an opaque atom.
    """

    def __init__(self, expansion_limit: int | None = None):
        self.table: dict = {}
        self.memo: dict = {}
        self.radicals: list[tuple[sympy.Symbol, int, sympy.Expr]] = []  # (t, q, b): t**q = b
        # past this many terms of work an expansion is refused (ExpansionTooLarge): SymEngine's
        # compiled expand cannot be interrupted, so only a bounded one may run where no child
        # process can be killed in its place
        self.expansion_limit = expansion_limit

    def expand(self, expr: symengine.Basic | sympy.Expr) -> symengine.Basic | sympy.Expr:
        """SymEngine's expand of ``expr``, within ``expansion_limit`` when there is one."""
        if self.expansion_limit is not None and expansion_work(expr, self.expansion_limit) > self.expansion_limit:
            raise ExpansionTooLarge(f"expanding would take over {self.expansion_limit} terms of work")
        return _expand(expr)

    def _symbol(self, key) -> sympy.Symbol:
        if key not in self.table:
            self.table[key] = sympy.Symbol(f"_atom{len(self.table)}")
        return self.table[key]

    def atom(self, application: sympy.Function) -> sympy.Expr:
        """The symbol standing for a function application (exp(Σ c·m) → Π u_m^c, u_m for exp(m))."""
        if application in self.memo:
            return self.memo[application]
        if application.func is Absolute:  # |u| = √(u²), the principal root of a real u's square
            (u,) = application.args
            self.memo[application] = self.root(sympy.Pow(u**2, sympy.S.Half, evaluate=False))
            return self.memo[application]
        args = tuple(sympy.expand(self(arg)) for arg in application.args)
        if application.func is sympy.log and args[0].is_Rational and args[0] > 0 and not (
                args[0].is_Integer and sympy.isprime(args[0])):
            # log of a positive number: the sum of the logs of its prime factors, so log(5/4)
            # meets log(5) - 2 log(2)
            factors = sympy.factorrat(args[0])
            self.memo[application] = sympy.Add(*[k * self._symbol((sympy.log, (sympy.Integer(p),)))
                                                 for p, k in factors.items()])
            return self.memo[application]
        if application.func is sympy.exp:
            factors = []
            for term in sympy.Add.make_args(args[0]):
                coefficient, monomial = term.as_coeff_Mul()
                if monomial == 1:
                    factors.append(sympy.exp(coefficient))
                elif coefficient.is_Integer:
                    factors.append(self._symbol((sympy.exp, monomial)) ** int(coefficient))
                else:
                    factors.append(self._symbol((sympy.exp, term)))
            self.memo[application] = sympy.Mul(*factors)
        else:
            self.memo[application] = self._symbol((application.func, args))
        return self.memo[application]

    def root(self, power: sympy.Pow) -> sympy.Expr:
        """b**e for a non-integer e: t**p for a radical t = b**(1/q) when e = p/q, else an atom."""
        if power in self.memo:
            return self.memo[power]
        base = sympy.expand(self(power.base))
        exponent = power.exp
        if exponent.is_Rational:
            key = ("radical", base, exponent.q)
            fresh = key not in self.table
            radical = self._symbol(key)
            if fresh:
                self.radicals.append((radical, int(exponent.q), base))
            self.memo[power] = radical ** int(exponent.p)
        else:
            self.memo[power] = self._symbol(("power", base, sympy.expand(self(exponent))))
        return self.memo[power]

    def __call__(self, expr):
        """``expr`` with every function application and non-integer power replaced, bottom up."""
        if expr.is_Atom:
            return expr
        if expr in self.memo:
            return self.memo[expr]
        if isinstance(expr, sympy.Function):
            result = self.atom(expr)
        elif isinstance(expr, sympy.Pow) and not expr.exp.is_Integer:
            result = self.root(expr)
        else:
            args = [self(a) for a in expr.args]
            result = expr.func(*args) if any(a is not b for a, b in zip(args, expr.args)) else expr
        self.memo[expr] = result
        return result

    def reduce_radicals(self, polynomial: symengine.Basic | sympy.Expr) -> symengine.Basic | sympy.Expr:
        """An expanded SymEngine polynomial with every radical's power below q (t**q = b)."""
        if not self.radicals or polynomial == 0:
            return polynomial
        relations = {_to_engine(t): (q, _to_engine(b)) for t, q, b in self.radicals}
        for _ in range(MAX_REDUCTIONS):
            high = {}
            for power in _powers(polynomial):
                radical, exponent = power.args
                if radical in relations and exponent.is_integer:
                    q, base = relations[radical]
                    k = int(exponent)
                    if k >= q:
                        high[power] = radical ** (k % q) * base ** (k // q)
            if not high:
                return polynomial
            polynomial = self.expand(polynomial.subs(high))
        return polynomial


MAX_REDUCTIONS = 8  # rounds of t**q → b; a base that holds a radical itself may need a few


def _powers(expr):
    """The integer powers of symbols in an expanded SymEngine (or SymPy) expression."""
    engine = _engine()
    found, stack, seen = set(), [expr], set()
    while stack:
        node = stack.pop()
        if isinstance(node, engine.Pow):
            if isinstance(node.args[0], engine.Symbol):
                found.add(node)
            continue
        for arg in node.args:
            if arg not in seen:
                seen.add(arg)
                stack.append(arg)
    return found


@functools.cache
def _symengine() -> ModuleType | None:
    """SymEngine, whose expand is 30-1000x faster than SymPy's on these polynomials, or None
    without it (the pure-SymPy path gives the same answers, slower). Imported at the first
    expansion, not with this module: a claim whose sides agree entry by entry (``structural``)
    never needs it, and the import is 10 ms of ``derive verify``."""
    try:
        import symengine
    except ImportError:  # pragma: no cover
        return None
    return symengine


def load_engine() -> None:
    """Import SymEngine now: a process about to fork workers that run the zero test (``check
    --jobs``, grading) loads it once for all of them, as it did when this module imported it. A
    worker that loads its own instead peaked ~20 MiB higher over the catalog (--jobs 2)."""
    _symengine()


def _engine() -> ModuleType:
    """The module whose expressions the zero test works on: SymEngine, else SymPy."""
    return _symengine() or sympy


def _to_engine(expr):
    # converts a SymPy object (built by derive, never text) into SymEngine's own representation
    engine = _symengine()
    return engine.sympify(expr) if engine is not None else expr


def _expand(expr):
    return _engine().expand(expr)


class ExpansionTooLarge(Exception):
    """An expansion past the Atomizer's limit: run the test where it can be killed instead."""


def expansion_work(expr: symengine.Basic | sympy.Expr, limit: int) -> int:
    """An upper bound on the terms an expansion of ``expr`` handles: over its distinct
    subexpressions, the number of terms each expands to (a sum: the sum of its terms', a product:
    their product, a power by n: the monomials of degree n in its base's terms). Counting stops
    once past ``limit``."""
    engine = _engine()
    terms: dict = {}
    total = 0
    stack = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if node in terms:
            continue
        args = node.args
        if not ready and args:
            stack.append((node, True))
            stack.extend((arg, False) for arg in args if arg not in terms)
            continue
        if isinstance(node, engine.Add):
            count = sum(terms[a] for a in args)
        elif isinstance(node, engine.Mul):
            count = math.prod(terms[a] for a in args)
        elif isinstance(node, engine.Pow) and args[1].is_Integer:
            n = abs(int(args[1]))
            count = math.comb(terms[args[0]] + n - 1, n) if n <= limit else limit + 1
        else:
            count = 1
        count = min(count, limit + 1)
        terms[node] = count
        total += count
        if total > limit:
            return total
    return total


def is_zero_polynomial(difference: sympy.Expr, atomizer: Atomizer) -> bool:
    """True when the difference is the zero polynomial in its symbols and atoms."""
    if difference == 0:
        return True
    return atomizer.reduce_radicals(atomizer.expand(_to_engine(atomizer(difference)))) == 0


def _fraction(expr):
    """(numerator, denominator) of an expression built from sums, products and powers.

    Terms over the same denominator are added before cross-multiplying, which keeps the
    numerator small for the common case (a softmax row shares one denominator).
    """
    engine = _engine()
    if isinstance(expr, engine.Add):
        groups: dict = {}
        for term in expr.args:
            numerator, denominator = _fraction(term)
            groups[denominator] = groups.get(denominator, 0) + numerator
        numerator, denominator = engine.Integer(0), engine.Integer(1)
        for den, num in groups.items():
            numerator, denominator = numerator * den + num * denominator, denominator * den
        return numerator, denominator
    if isinstance(expr, engine.Mul):
        numerator, denominator = engine.Integer(1), engine.Integer(1)
        for factor in expr.args:
            n, d = _fraction(factor)
            numerator, denominator = numerator * n, denominator * d
        return numerator, denominator
    if isinstance(expr, engine.Pow):
        base, exponent = expr.args
        if exponent.is_integer:
            n, d = _fraction(base)
            k = int(exponent)
            return (n**k, d**k) if k >= 0 else (d**-k, n**-k)
        return expr, engine.Integer(1)
    if isinstance(expr, engine.Rational) and not isinstance(expr, engine.Integer):
        return engine.Integer(expr.p if engine is sympy else expr.get_num_den()[0]), engine.Integer(
            expr.q if engine is sympy else expr.get_num_den()[1])
    return expr, engine.Integer(1)


def is_zero_rational(difference: sympy.Expr, atomizer: Atomizer, rewrite: bool = True) -> bool:
    """True when the difference is the zero rational function of its atoms; with ``rewrite``,
    sigmoid, tanh and softmax written with exponentials first (σ(-z) = 1 - σ(z) is then seen)."""
    has_atoms = difference.has(Sigmoid, Tanh, SoftmaxEntry)
    rewritten = difference.rewrite(sympy.exp) if rewrite and has_atoms else difference
    numerator, _ = _fraction(_to_engine(atomizer(rewritten)))
    return atomizer.reduce_radicals(atomizer.expand(numerator)) == 0


def zero_test(left: sympy.MatrixBase, right: sympy.MatrixBase,
              expansion_limit: int | None = None) -> tuple[str, str, str]:
    """(outcome, method, detail) of the exact zero test on every entry of left - right; raises
    ExpansionTooLarge for an expansion past ``expansion_limit`` terms of work."""
    atomizer = Atomizer(expansion_limit)
    remaining = [a - b for a, b in zip(left, right) if a != b]
    remaining = [d for d in remaining if not is_zero_polynomial(d, atomizer)]
    if not remaining:
        return "zero", "expand", ""
    # a fraction of the atoms as they are (σ/(1 - σ) from d log(1 - σ)) before the exponentials,
    # whose common denominators grow as (1 + e^-z)^k
    remaining = [d for d in remaining if not is_zero_rational(d, atomizer, rewrite=False)]
    if not remaining:
        return "zero", "rational", ""
    if all(is_zero_rational(d, atomizer) for d in remaining):
        return "zero", "rational", ""
    return ("undecided", "inconclusive",
            f"{len(remaining)} entries did not simplify to zero, and no point where they differ was found")


# -- numeric evaluation of exact expressions ------------------------------------------------

class PointEvaluator:
    """Values of SymPy expressions at one point, in mpmath arithmetic of the current precision."""

    def __init__(self, point: dict):
        self.point = point
        self.memo: dict = {}

    def __call__(self, expr):
        key = expr
        if key in self.memo:
            return self.memo[key]
        value = self._compute(expr)
        self.memo[key] = value
        return value

    def _compute(self, expr):
        if expr.is_Symbol:
            return self.point[expr]
        if expr.is_Number:
            if expr.is_Rational:
                return mpmath.mpf(expr.p) / expr.q
            return mpmath.mpmathify(complex(expr)) if not expr.is_real else mpmath.mpf(float(expr))
        if expr is sympy.S.ImaginaryUnit:
            return mpmath.mpc(0, 1)
        if expr is sympy.S.Pi:
            return +mpmath.pi
        if expr is sympy.S.Exp1:
            return +mpmath.e
        args = [self(a) for a in expr.args]
        if isinstance(expr, sympy.Add):
            return mpmath.fsum(args)
        if isinstance(expr, sympy.Mul):
            return mpmath.fprod(args)
        if isinstance(expr, sympy.Pow):
            base, exponent = args
            if expr.args[1].is_Integer:
                return base ** int(expr.args[1])
            return mpmath.power(base, exponent)
        func = expr.func
        if func in MPMATH_FORMS:
            return MPMATH_FORMS[func](*args)
        if is_undefined(func):
            return standin(func.activation)(args[0], func.order)
        value = expr.xreplace({s: sympy.Float(self.point[s], 50) for s in expr.free_symbols}).evalf(50)
        return mpmath.mpmathify(complex(value))


@dataclass
class Witness:
    """An entry where the two sides differ at a point, with both values (mpmath or SymPy
    numbers, exact where the entry is a rational function)."""

    entry: tuple[int, int]
    left: object
    right: object
    point: dict

    def as_floats(self) -> tuple[float | complex | str, float | complex | str]:
        """Both values as Python numbers, or as text where a double cannot hold them."""
        return _plain_number(self.left), _plain_number(self.right)

    def gap(self) -> str:
        """|left - right|, to 3 digits: exact for rational values, else at 80 digits."""
        if isinstance(self.left, sympy.Basic) and isinstance(self.right, sympy.Basic):
            return mpmath.nstr(_mp(abs(self.left - self.right)), 3)
        with mpmath.workdps(80):
            return mpmath.nstr(abs(_mp(self.left) - _mp(self.right)), 3)


def _mp(value):
    if isinstance(value, sympy.Basic):
        if value.is_Rational:
            return mpmath.mpf(value.p) / value.q
        return mpmath.mpmathify(complex(value.evalf(60)))
    return value


def _plain_number(value):
    with mpmath.workdps(30):
        v = _mp(value)
        double = complex(v)
        if not (math.isfinite(double.real) and math.isfinite(double.imag)):
            return mpmath.nstr(v, 6)
    return double.real if abs(double.imag) < 1e-12 * (1 + abs(double.real)) else double


def random_point(symbols: Iterable[sympy.Symbol], rng: random.Random, positive: Container[sympy.Symbol] = frozenset(),
                 signs: Sequence[int] | None = None,
                 scale: tuple[float, float] | None = None, bounds: dict | None = None) -> dict:
    """A random point: by default 3 decimals per coordinate, |value| in [0.3, 1.5] ([0.5, 2] for
    a symbol declared positive); with ``scale``, 3 significant digits and |value| in ``scale``.

    ``signs`` (a sign per symbol) fixes the signs; a symbol declared positive stays positive.
    """
    point = {}
    for k, s in enumerate(symbols):
        positive_only = s.is_positive or s in positive
        if scale is None:
            if positive_only:
                value = rng.uniform(0.5, 2.0)
            else:
                sign = signs[k] if signs is not None else rng.choice((-1, 1))
                value = sign * rng.uniform(0.3, 1.5)
            value = round(value, 3)
        else:
            sign = 1 if positive_only else (signs[k] if signs is not None else rng.choice((-1, 1)))
            value = sign * float(f"{rng.uniform(*scale):.3g}")
        point[s] = mpmath.mpf(value)
    return _within(point, rng, bounds)


def _within(point: dict, rng: random.Random, bounds: dict | None) -> dict:
    """The point with each bounded symbol (an entry of a row-stochastic matrix) drawn inside its
    interval instead: a witness outside the domain a problem declares refutes nothing."""
    for s, (low, high) in (bounds or {}).items():
        if s in point:
            point[s] = mpmath.mpf(round(rng.uniform(low, high), 4))
    return point


GRID_SYMBOLS = 3  # up to this many symbols, every sign and magnitude pattern of the grid is tried
SIGN_PATTERNS_ALL = 6  # up to this many symbols, every sign pattern is tried
GRID_MAGNITUDES = (0.4, 2.7)  # a small and a large magnitude: reaches regions such as t > 2|s|
NEAR_ZERO, LARGE = (1e-3, 1e-2), (10.0, 100.0)


def thorough_points(symbols: Sequence[sympy.Symbol], rng: random.Random,
                    bounds: dict | None = None) -> Iterator[dict]:
    """Points that reach what random points near ±1 can miss: every sign pattern (with few
    symbols, every pattern of signs and of a small or large magnitude), values near zero and
    large values. Each coordinate is jittered, so that no point is special by construction."""
    n = len(symbols)
    if n <= SIGN_PATTERNS_ALL:
        patterns = list(itertools.product((-1, 1), repeat=n))
    else:
        patterns = [(-1,) * n, (1,) * n, tuple((-1) ** k for k in range(n)),
                    tuple(-(-1) ** k for k in range(n))]
    if n <= GRID_SYMBOLS:
        for magnitudes in itertools.product(GRID_MAGNITUDES, repeat=n):
            for signs in patterns:
                yield _within(_grid_point(symbols, rng, signs, magnitudes), rng, bounds)
    else:
        for signs in patterns:
            yield random_point(symbols, rng, signs=signs, bounds=bounds)
    for scale in (NEAR_ZERO, LARGE):
        for signs in patterns[:2] + [None]:
            yield random_point(symbols, rng, signs=signs, scale=scale, bounds=bounds)


def _grid_point(symbols, rng: random.Random, signs, magnitudes) -> dict:
    point = {}
    for s, sign, magnitude in zip(symbols, signs, magnitudes):
        value = magnitude * rng.uniform(0.9, 1.1) * (1 if s.is_positive else sign)
        point[s] = mpmath.mpf(float(f"{value:.3g}"))
    return point


def _differs(a, b, tolerance) -> bool:
    scale = 1 + abs(a) + abs(b)
    return abs(a - b) > mpmath.mpf(tolerance) * scale


STABLE = 1e-6  # the gap at 2D digits must match the one at D this closely: not rounding noise


def find_witness(left: sympy.MatrixBase, right: sympy.MatrixBase, symbols: Iterable[sympy.Symbol], rng: random.Random,
                 tries: int = 2, thorough: bool = False, bounds: dict | None = None) -> Witness | None:
    """An entry where ``left`` and ``right`` (same shape) differ beyond doubt, or None.

    ``tries`` random points near ±1 (``bounds``: symbols kept inside an interval); with
    ``thorough``, first an exact evaluation of entries that are rational functions (so that a
    difference of 1e-300 is still seen), then the ``thorough_points``, then one point at as many
    digits as the entries' exact numbers need (a term times 1e-300 of a softmax). A gap found at D
    digits counts only if it is the same at 2D: rounding noise shrinks with the precision, a real
    difference does not.
    """
    symbols = list(symbols)
    if thorough:
        witness = _rational_witness(left, right, symbols, rng, bounds)
        if witness is not None:
            return witness
    points = thorough_points(symbols, rng, bounds) if thorough else (
        random_point(symbols, rng, bounds=bounds) for _ in range(tries))
    witness = _search(left, right, points, 40)
    if witness is None and thorough:
        # a gap of 1e-300 needs more than 40 digits: as many as the exact numbers in the entries
        digits = _digits_of_numbers(left, right)
        if digits > 40:
            witness = _search(left, right, [random_point(symbols, rng, bounds=bounds)], digits)
    return witness


MAX_DIGITS = 2_000  # the deepest precision of the witness search


def _digits_of_numbers(left, right) -> int:
    """Digits enough to see a term scaled by the smallest exact number in the differing entries."""
    digits = 0
    for a, b in zip(left, right):
        if a != b:
            for number in (a - b).atoms(sympy.Rational):
                digits = max(digits, len(str(abs(number.p))) + len(str(number.q)))
    return min(MAX_DIGITS, 40 + digits)


def _search(left, right, points, digits: int):
    """The first entry, at the first of ``points``, whose gap at ``digits`` significant digits is
    the same at twice as many (so not rounding noise), or None."""
    rough, fine = mpmath.mpf(10) ** (4 - digits), mpmath.mpf(10) ** (8 - 2 * digits)
    for point in points:
        with mpmath.workdps(digits):
            evaluate = PointEvaluator(point)
            candidates = {}
            for k, (a, b) in enumerate(zip(left, right)):
                if a == b:
                    continue
                try:
                    va, vb = evaluate(a), evaluate(b)
                except (ZeroDivisionError, ValueError, OverflowError):
                    continue
                if _differs(va, vb, rough):
                    candidates[k] = va - vb
        if not candidates:
            continue
        with mpmath.workdps(2 * digits):
            evaluate = PointEvaluator(point)
            for k, first in candidates.items():
                try:
                    va, vb = evaluate(left[k]), evaluate(right[k])
                except (ZeroDivisionError, ValueError, OverflowError):
                    continue
                gap = va - vb
                if (_differs(va, vb, fine) and mpmath.isfinite(gap)
                        and abs(gap - first) <= STABLE * abs(gap)):
                    cols = left.cols
                    return Witness((k // cols, k % cols), va, vb, point)
    return None


def _is_rational_function(expr) -> bool:
    """Built from the symbols and exact numbers by +, -, ×, ÷ and integer powers only."""
    return (not expr.atoms(sympy.Function, sympy.Float, sympy.NumberSymbol)
            and all(p.exp.is_Integer for p in expr.atoms(sympy.Pow)))


def _rational_witness(left, right, symbols, rng: random.Random, bounds: dict | None = None,
                      points: int = 3):
    """An entry that is a rational function of independent symbols and is non-zero at a random
    rational point, evaluated exactly: a witness whatever the size of the difference."""
    for k, (a, b) in enumerate(zip(left, right)):
        if a == b or not _is_rational_function(a - b):
            continue
        for _ in range(points):
            point = {s: sympy.Rational(int(v * 1000), 1000)
                     for s, v in random_point(symbols, rng, bounds=bounds).items()}
            va, vb = a.xreplace(point), b.xreplace(point)
            if va.is_Rational and vb.is_Rational and va != vb:
                cols = left.cols
                return Witness((k // cols, k % cols), va, vb,
                               {s: mpmath.mpf(v.p) / v.q for s, v in point.items()})
    return None
