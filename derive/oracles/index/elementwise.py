"""Elementwise functions in index form: their derivatives come from SymPy, as in the exact oracle.

``apply_function`` writes f^(n)(u) for an elementwise primitive by differentiating its SymPy form
(``derive.oracles.functions.SYMPY_FORMS``) n times in a placeholder and reading the result back
in index form (sigmoid' = σ(1-σ), relu' = step, log' = 1/t); an undefined activation h stays an
atom h^(n)(u), so that a proof holds for every h.
"""

from __future__ import annotations

from collections.abc import Container
from fractions import Fraction

import sympy

from ...errors import UnsupportedError
from ..functions import SYMPY_FORMS
from .form import ZERO, Apply, Expr, Term, atom, const, mul, power, scale

_T = sympy.Symbol("t", real=True)
# the primitive each SymPy function is the form of (sqrt is a power, read as one)
_PRIMITIVE_OF = {form: name for name, form in SYMPY_FORMS.items() if isinstance(form, type)}
_POSITIVE = ("sigmoid", "exp")  # functions whose value is positive for every real argument


def _from_sympy(value, arg: Expr) -> Expr:
    """A SymPy expression in the placeholder t, with ``arg`` for t, in index form."""
    if value == _T:
        return arg
    if value.is_Number:
        return const(value)
    if isinstance(value, sympy.Add):
        out = ZERO
        for a in value.args:
            out = out + _from_sympy(a, arg)
        return out
    if isinstance(value, sympy.Mul):
        out = const(1)
        for a in value.args:
            out = mul(out, _from_sympy(a, arg))
        return out
    if isinstance(value, sympy.Pow) and value.exp.is_Rational:
        q = Fraction(int(value.exp.p), int(value.exp.q))
        return power(_from_sympy(value.base, arg), q)
    if value.func in _PRIMITIVE_OF and value.args == (_T,):
        name = _PRIMITIVE_OF[value.func]
        return _absolute(arg) if name == "abs" else atom(Apply(name, 0, arg))
    raise UnsupportedError(f"no index-notation rule for {value}")


def apply_function(name: str, order: int, arg: Expr, activations: Container[str]) -> Expr:
    """f^(order)(arg) for an elementwise ``name``: an atom for an undefined activation, else the
    closed form SymPy's derivative gives (sigmoid' = σ(1-σ), relu' = step, log' = 1/t...)."""
    if name in activations:
        return atom(Apply(name, order, arg))
    inner = single_apply(arg)
    if inner is not None and inner.func == "relu" and inner.order == 0 and (
            name == "step" and order == 0 or name == "relu" and order <= 1):
        # relu(u) > 0 exactly when u > 0: step(relu(u)) = step(u), relu(relu(u)) = relu(u)
        if (name, order) == ("relu", 0):
            return arg
        return apply_function(name, order, inner.arg, activations)
    if inner is not None and inner.order == 0 and inner.func in _POSITIVE and name in ("relu", "step"):
        # an argument known positive (σ(u), exp(u)): relu is the identity there, step is 1
        value = arg if (name, order) == ("relu", 0) else Expr((Term(sympy.Integer(1)),))
        return value if (name, order) in (("relu", 0), ("relu", 1), ("step", 0)) else ZERO
    if (name, order) == ("abs", 0):
        return _absolute(arg)
    rule = SYMPY_FORMS[name](_T)
    for _ in range(order):
        rule = sympy.diff(rule, _T)
    return _from_sympy(rule, arg)


def _absolute(arg: Expr) -> Expr:
    """|arg|, a number factored out (|c·u| = |c|·|u|) so that |u| is one atom whatever c is."""
    if len(arg.terms) == 1 and arg.terms[0].coeff.is_number and arg.terms[0].coeff != 1:
        term = arg.terms[0]
        return scale(atom(Apply("abs", 0, Expr((Term(sympy.Integer(1), term.factors, term.sums),)))),
                     abs(term.coeff))
    return atom(Apply("abs", 0, arg))


def single_apply(expr: Expr) -> Apply | None:
    """The function application ``expr`` is, when it is exactly one (coefficient 1, no sum)."""
    if len(expr.terms) == 1:
        term = expr.terms[0]
        if term.coeff == 1 and not term.sums and len(term.factors) == 1 and isinstance(term.factors[0], Apply):
            return term.factors[0]
    return None


def function_prime(factor: Apply, activations: Container[str]) -> Expr:
    """The derivative of ``factor`` by its argument."""
    if factor.func == "pow":
        q = factor.power
        return scale(power(factor.arg, q - 1), sympy.Rational(q.numerator, q.denominator))
    if factor.func in activations:
        return atom(Apply(factor.func, factor.order + 1, factor.arg))
    return apply_function(factor.func, factor.order + 1, factor.arg, activations)
