"""Witnesses: points where two exact values differ beyond doubt, found by evaluating them.

Refutation needs a witness: ``find_witness`` evaluates both sides at random points with 40
significant digits (or as many as the entries' exact numbers need) and keeps a difference only
if it is far beyond the arithmetic's error and the same at twice the digits. With
``thorough=True``, used before a claim the zero test could not prove is given up, it also tries
every sign pattern (or, with many symbols, the all-negative, all-positive and alternating ones),
values near zero and large values, so that a claim false only for negative values is refuted
whatever the seed; symbols a problem confines (a stochastic matrix's entries) stay inside.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass

import mpmath
import sympy

from .functions import MPMATH_FORMS, is_undefined
from .numpy_functions import standin

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
