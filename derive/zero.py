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

try:  # SymEngine's expand is 30-1000x faster than SymPy's on these polynomials
    import symengine
except ImportError:  # pragma: no cover - the pure-SymPy path gives the same answers, slower
    symengine = None

from .functions import Relu, Sigmoid, SoftmaxEntry, Step, Tanh, is_undefined
from .primitives import standin


class Atomizer:
    """Replaces function applications by symbols, equal arguments (after expansion) sharing one."""

    def __init__(self):
        self.table: dict = {}
        self.memo: dict = {}

    def _symbol(self, key) -> sympy.Symbol:
        if key not in self.table:
            self.table[key] = sympy.Symbol(f"_atom{len(self.table)}")
        return self.table[key]

    def atom(self, application):
        """The symbol standing for a function application (exp(Σ c·m) → Π u_m^c, u_m for exp(m))."""
        if application in self.memo:
            return self.memo[application]
        args = tuple(sympy.expand(self(arg)) for arg in application.args)
        if application.func is sympy.log and args[0].is_Rational and args[0] > 0 and not (
                args[0].is_Integer and sympy.isprime(args[0])):
            # log of a number: the sum of the logs of its prime factors, so log(5/4) meets log(5) - 2 log(2)
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

    def root(self, power):
        """b**(p/q) with its base expanded, so that equal bases written differently meet."""
        if power in self.memo:
            return self.memo[power]
        base, exponent = power.args
        self.memo[power] = sympy.Pow(sympy.expand(self(base)), exponent)
        return self.memo[power]

    def __call__(self, expr):
        mapping = {a: self.atom(a) for a in expr.atoms(sympy.Function)}
        roots = [p for p in expr.atoms(sympy.Pow) if not p.exp.is_Integer and p.exp.is_Rational]
        mapping.update({p: self.root(p) for p in roots if not p.has(*mapping)})
        return expr.xreplace(mapping) if mapping else expr


def _to_engine(expr):
    # converts a SymPy object (built by derive, never text) into SymEngine's own representation
    return symengine.sympify(expr) if symengine is not None else expr


def _expand(expr):
    return symengine.expand(expr) if symengine is not None else sympy.expand(expr)


def is_zero_polynomial(difference, atomizer: Atomizer) -> bool:
    """True when the difference is the zero polynomial in its symbols and atoms."""
    if difference == 0:
        return True
    return _expand(_to_engine(atomizer(difference))) == 0


def _fraction(expr):
    """(numerator, denominator) of an expression built from sums, products and powers.

    Terms over the same denominator are added before cross-multiplying, which keeps the
    numerator small for the common case (a softmax row shares one denominator).
    """
    engine = symengine if symengine is not None else sympy
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


def is_zero_rational(difference, atomizer: Atomizer) -> bool:
    """True when the difference, rewritten with exponentials, is the zero rational function."""
    rewritten = difference.rewrite(sympy.exp) if difference.has(Sigmoid, Tanh, SoftmaxEntry) else difference
    numerator, _ = _fraction(_to_engine(atomizer(rewritten)))
    return _expand(numerator) == 0


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
        if is_undefined(func):
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
