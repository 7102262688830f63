"""Deciding whether an exact difference is zero, and finding witnesses where it is not.

Soundness is the point. ``is_zero`` answers True only with a proof: the difference, with every
function application replaced by an atom (``σ(z)``, ``h'(X[1,2])``, a softmax entry), expands to
the zero polynomial — then it is zero for every value of the atoms, so certainly for the actual
ones. A second, stronger stage rewrites sigmoid, tanh and softmax as exponentials, splits
``exp(a+b)`` into ``exp(a)·exp(b)`` and tests the numerator of the combined fraction. When neither
proves zero the answer is None, never False: atoms can be related (σ(-z) = 1-σ(z)), so a
non-zero polynomial does not refute anything. Refutation needs a witness: ``find_witness``
evaluates both sides at random points with 40 significant digits and keeps a difference only if
it is far beyond the arithmetic's error and survives re-evaluation at 80 digits.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import mpmath
import sympy
from sympy.core.function import AppliedUndef

from .functions import Relu, Sigmoid, SoftmaxEntry, Step, Tanh, is_undefined
from .primitives import standin


class Atomizer:
    """Replaces function applications by symbols, equal arguments (after expansion) sharing one."""

    def __init__(self):
        self.table: dict = {}
        self.memo: dict = {}

    def atom(self, application) -> sympy.Symbol:
        if application in self.memo:
            return self.memo[application]
        args = tuple(sympy.expand(self(arg)) for arg in application.args)
        key = (application.func, args)
        if key not in self.table:
            self.table[key] = sympy.Symbol(f"_atom{len(self.table)}")
        self.memo[application] = self.table[key]
        return self.memo[application]

    def __call__(self, expr):
        applications = [a for a in expr.atoms(sympy.Function)]
        if not applications:
            return expr
        return expr.xreplace({a: self.atom(a) for a in applications})


def is_zero_polynomial(difference, atomizer: Atomizer) -> bool:
    """True when the difference is the zero polynomial in its symbols and atoms."""
    if difference == 0:
        return True
    return sympy.expand(atomizer(difference)) == 0


def _split_exponentials(expr):
    """exp(Σ c_k m_k) → Π exp(m_k)^c_k for integer c_k, so related exponentials share atoms."""

    def split(application):
        argument = sympy.expand(application.args[0])
        factors = []
        for term in sympy.Add.make_args(argument):
            coefficient, rest = term.as_coeff_Mul()
            if coefficient.is_Integer and rest != 1:
                factors.append(sympy.exp(rest, evaluate=False) ** coefficient)
            elif rest == 1 and coefficient.is_Rational:
                factors.append(sympy.exp(coefficient))
            else:
                factors.append(sympy.exp(term, evaluate=False))
        return sympy.Mul(*factors)

    exps = [a for a in expr.atoms(sympy.exp)]
    return expr.xreplace({a: split(a) for a in exps}) if exps else expr


def is_zero_rational(difference, atomizer: Atomizer) -> bool:
    """True when the difference, rewritten with exponentials, is the zero rational function."""
    rewritten = difference.rewrite(sympy.exp) if difference.has(Sigmoid, Tanh, SoftmaxEntry) else difference
    rewritten = _split_exponentials(rewritten)
    atomized = atomizer(rewritten)
    numerator, _ = sympy.fraction(sympy.together(atomized))
    return sympy.expand(numerator) == 0


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
        if func is sympy.exp:
            return mpmath.exp(args[0])
        if func is sympy.log:
            return mpmath.log(args[0])
        if func is sympy.sin:
            return mpmath.sin(args[0])
        if func is sympy.cos:
            return mpmath.cos(args[0])
        if func is Sigmoid:
            return 1 / (1 + mpmath.exp(-args[0]))
        if func is Tanh:
            return mpmath.tanh(args[0])
        if func is Relu:
            return args[0] if mpmath.re(args[0]) > 0 else mpmath.mpf(0)
        if func is Step:
            return mpmath.mpf(1 if mpmath.re(args[0]) > 0 else 0)
        if func is SoftmaxEntry:
            row = args[1:]
            top = max(mpmath.re(v) for v in row)
            weights = [mpmath.exp(v - top) for v in row]
            return weights[int(expr.args[0])] / mpmath.fsum(weights)
        if isinstance(expr, AppliedUndef) and is_undefined(func):
            return standin(func.activation)(args[0], func.order)
        if func is sympy.Abs:
            return abs(args[0])
        value = expr.xreplace({s: sympy.Float(self.point[s], 50) for s in expr.free_symbols}).evalf(50)
        return mpmath.mpmathify(complex(value))


@dataclass
class Witness:
    """An entry where the two sides differ at a point, with both values."""

    entry: tuple[int, int]
    left: complex
    right: complex
    point: dict

    def as_floats(self):
        def real(v):
            v = complex(v)
            return v.real if abs(v.imag) < 1e-12 * (1 + abs(v.real)) else v

        return real(self.left), real(self.right)


def random_point(symbols, rng: random.Random, positive=frozenset()) -> dict:
    """A random point with 3 decimals per coordinate, away from zero."""
    point = {}
    for s in symbols:
        if s.is_positive or s in positive:
            value = rng.uniform(0.5, 2.0)
        else:
            value = rng.choice((-1, 1)) * rng.uniform(0.3, 1.5)
        point[s] = mpmath.mpf(round(value, 3))
    return point


def _differs(a, b) -> bool:
    scale = 1 + abs(a) + abs(b)
    return abs(a - b) > mpmath.mpf(10) ** (-20) * scale


def find_witness(left, right, symbols, rng: random.Random, tries: int = 2):
    """An entry where ``left`` and ``right`` (same shape) differ beyond doubt, or None."""
    for _ in range(tries):
        point = random_point(symbols, rng)
        with mpmath.workdps(40):
            evaluate = PointEvaluator(point)
            candidates = []
            for k, (a, b) in enumerate(zip(left, right)):
                if a == b:
                    continue
                try:
                    va, vb = evaluate(a), evaluate(b)
                except (ZeroDivisionError, ValueError, OverflowError):
                    continue
                if _differs(va, vb):
                    candidates.append(k)
        if not candidates:
            continue
        with mpmath.workdps(80):
            evaluate = PointEvaluator(point)
            for k in candidates:
                va, vb = evaluate(left[k]), evaluate(right[k])
                if _differs(va, vb) and math.isfinite(abs(complex(va - vb))):
                    cols = left.cols
                    return Witness((k // cols, k % cols), complex(va), complex(vb), point)
    return None
