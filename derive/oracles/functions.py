"""SymPy function classes for the activations derive keeps as atoms.

Keeping ``sigmoid(z)``, ``tanh(z)`` and each softmax output as an opaque atom whose derivative is
written in terms of the atom itself (σ' = σ(1-σ), tanh' = 1-tanh², ∂p_j/∂x_k = p_j(δ_jk - p_k))
makes both sides of a claim polynomials in the atoms, where ``expand`` is a sound zero test.
``rewrite_exp`` turns the atoms back into exponentials when a stronger test is needed.

``derivative_override`` lets the diagnosis re-derive a reference with one rule deliberately
wrong (σ' := 1, "the activation derivative was forgotten"), to recognise a student's slip.
"""

from __future__ import annotations

import contextlib
import contextvars
import types
from collections.abc import Callable, Iterator, Mapping

import mpmath
import sympy

DerivativeRule = Callable[[sympy.Expr], sympy.Expr]  # an activation's argument → its derivative there

# the default is read-only: a ContextVar's default is shared by every context, so it must never change
_OVERRIDE: contextvars.ContextVar[Mapping[str, DerivativeRule]] = contextvars.ContextVar(
    "derivative_override", default=types.MappingProxyType({}))


@contextlib.contextmanager
def derivative_override(rules: Mapping[str, DerivativeRule]) -> Iterator[None]:
    """Within the block, ``rules[name](x)`` replaces the derivative of activation ``name``."""
    token = _OVERRIDE.set({**_OVERRIDE.get(), **rules})
    try:
        yield
    finally:
        _OVERRIDE.reset(token)


def _overridden(name: str, x):
    rule = _OVERRIDE.get().get(name)
    return None if rule is None else rule(x)


class Sigmoid(sympy.Function):
    """The logistic function 1/(1+e^-x), an atom with σ' = σ(1-σ)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sympy.Rational(1, 2)
        return None

    def fdiff(self, argindex=1):
        (x,) = self.args
        override = _overridden("sigmoid", x)
        return override if override is not None else self * (1 - self)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sympy.exp(-x))

    def _eval_is_positive(self):  # σ(x) ∈ (0, 1) for real x: relu(σ(z)) = σ(z), step(σ(z)) = 1
        return True if self.args[0].is_extended_real else None

    _eval_is_real = _eval_is_positive

    def _eval_evalf(self, prec):
        value = self.args[0]._eval_evalf(prec)
        if value is None or not value.is_number:
            return None
        with mpmath.workprec(prec):
            return sympy.Float(1 / (1 + mpmath.exp(-mpmath.mpmathify(value))), precision=prec)

    def _latex(self, printer):
        return rf"\sigma\left({printer._print(self.args[0])}\right)"


class Tanh(sympy.Function):
    """tanh as an atom with tanh' = 1 - tanh²."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sympy.Integer(0)
        return None

    def fdiff(self, argindex=1):
        (x,) = self.args
        override = _overridden("tanh", x)
        return override if override is not None else 1 - self**2

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return (sympy.exp(2 * x) - 1) / (sympy.exp(2 * x) + 1)

    def _eval_evalf(self, prec):
        value = self.args[0]._eval_evalf(prec)
        if value is None or not value.is_number:
            return None
        with mpmath.workprec(prec):
            return sympy.Float(mpmath.tanh(mpmath.mpmathify(value)), precision=prec)


class Step(sympy.Function):
    """The derivative of relu: 1 for x > 0, 0 for x <= 0 (its own derivative is 0)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if isinstance(x, Relu):  # relu(x) > 0 exactly when x > 0
            return cls(x.args[0])
        if x.is_positive:  # a value known positive (σ(z), exp(z), a positive variable)
            return sympy.Integer(1)
        if x.is_nonpositive:
            return sympy.Integer(0)
        return None

    def fdiff(self, argindex=1):
        return sympy.Integer(0)

    def _eval_evalf(self, prec):
        value = self.args[0]._eval_evalf(prec)
        if value is None or not value.is_number:
            return None
        return sympy.Float(1 if value > 0 else 0, precision=prec)


class Relu(sympy.Function):
    """max(x, 0) as an atom with relu' = step."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if isinstance(x, Relu) or x.is_nonnegative:  # relu of a value known ≥ 0 is the value
            return x
        if x.is_nonpositive:
            return sympy.Integer(0)
        return None

    def _eval_is_nonnegative(self):
        return True if self.args[0].is_extended_real else None

    def fdiff(self, argindex=1):
        (x,) = self.args
        override = _overridden("relu", x)
        return override if override is not None else Step(x)

    def _eval_evalf(self, prec):
        value = self.args[0]._eval_evalf(prec)
        if value is None or not value.is_number:
            return None
        return value if value > 0 else sympy.Float(0, precision=prec)


class Absolute(sympy.Function):
    """|x| of a real x, an atom with |x|' = |x|/x (the sign, written so that it cancels against
    the atom: d log|u| = du/u) and |x|² = x².

    The zero test reads |u| as the radical √(u²) (derive.oracles.zero), whose square it reduces
    to u²; sign(u) is |u|/u. Both hold wherever u ≠ 0, the caveat of every rational
    simplification here.
    """

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_number and x.is_extended_real:
            return -x if x.is_negative else x
        if isinstance(x, Absolute) or x.is_nonnegative:
            return x
        if x.is_nonpositive:
            return -x
        if isinstance(x, sympy.Mul):  # |a·b| = |a|·|b| for real a, b
            return sympy.Mul(*[cls(factor) for factor in x.args])
        if x.could_extract_minus_sign():
            return cls(-x)
        return None

    def _eval_power(self, exponent):
        if exponent.is_Integer and exponent.is_even:
            return self.args[0] ** exponent
        return None

    def _eval_is_nonnegative(self):
        return True if self.args[0].is_extended_real else None

    def fdiff(self, argindex=1):
        (x,) = self.args
        override = _overridden("abs", x)
        return override if override is not None else self / x

    def _eval_evalf(self, prec):
        value = self.args[0]._eval_evalf(prec)
        if value is None or not value.is_number:
            return None
        return abs(value)


def sign(x: sympy.Expr) -> sympy.Expr:
    """sign(x) = |x|/x for real x ≠ 0 (its derivative is 0 there, as SymPy finds), and 0 at 0."""
    return sympy.Integer(0) if x.is_zero else Absolute(x) / x


class SoftmaxEntry(sympy.Function):
    """Entry ``j`` (0-based, the first argument) of softmax over the remaining arguments.

    ∂p_j/∂x_k = p_j (δ_jk - p_k), written with the sibling atoms p_k of the same row.
    """

    def fdiff(self, argindex=1):
        j = int(self.args[0])
        row = self.args[1:]
        k = argindex - 2
        if k < 0:
            return sympy.Integer(0)
        override = _overridden("softmax", row[k])
        if override is not None:
            return override if j == k else sympy.Integer(0)
        p_k = SoftmaxEntry(k, *row)
        return self * ((1 if j == k else 0) - p_k)

    def _eval_is_positive(self):  # exp over a sum of exps, of real arguments
        return True if all(a.is_extended_real for a in self.args[1:]) else None

    def _eval_rewrite_as_exp(self, *args, **kwargs):
        j = int(args[0])
        row = args[1:]
        return sympy.exp(row[j]) / sympy.Add(*[sympy.exp(x) for x in row])

    def _eval_evalf(self, prec):
        values = [a._eval_evalf(prec) for a in self.args[1:]]
        if any(v is None or not v.is_number for v in values):
            return None
        with mpmath.workprec(prec):
            row = [mpmath.mpmathify(v) for v in values]
            top = max(row)
            weights = [mpmath.exp(v - top) for v in row]
            return sympy.Float(weights[int(self.args[0])] / mpmath.fsum(weights), precision=prec)


_UNDEFINED: dict[tuple[str, int], type] = {}


def undefined(name: str, order: int = 0) -> type:
    """The SymPy class for the ``order``-th derivative of an undefined activation ``name``.

    ``h``, ``h'``, ``h''``... are distinct atoms linked only by their derivative rule, so an
    identity proven with them holds for every differentiable ``h``.
    """
    key = (name, order)
    if key not in _UNDEFINED:
        label = name + "'" * order

        def fdiff(self, argindex=1, _name=name, _order=order):
            if _order == 0:
                override = _overridden(_name, self.args[0])
                if override is not None:
                    return override
            return undefined(_name, _order + 1)(self.args[0])

        _UNDEFINED[key] = type(label, (sympy.Function,), {"nargs": 1, "fdiff": fdiff,
                                                            "activation": name, "order": order})
    return _UNDEFINED[key]


def is_undefined(func: type) -> bool:
    return any(func is cls for cls in _UNDEFINED.values())


ATOM_CLASSES = (Sigmoid, Tanh, Step, Relu, Absolute, SoftmaxEntry)

# The exact form of each elementwise primitive: SymPy's own functions, the activations as atoms.
SYMPY_FORMS: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "sigmoid": Sigmoid, "tanh": Tanh,
    "relu": Relu, "step": Step, "sin": sympy.sin, "cos": sympy.cos, "abs": Absolute, "sign": sign,
}


def _softmax_entry_value(position, *row):
    top = max(mpmath.re(v) for v in row)
    weights = [mpmath.exp(v - top) for v in row]
    return weights[int(position)] / mpmath.fsum(weights)


# The value of each function the exact oracle builds, in mpmath at any precision: the witness
# search evaluates entries with these (sqrt is a power, an undefined h its stand-in).
MPMATH_FORMS: dict[type, object] = {
    sympy.exp: mpmath.exp, sympy.log: mpmath.log, sympy.sin: mpmath.sin, sympy.cos: mpmath.cos,
    Sigmoid: lambda x: 1 / (1 + mpmath.exp(-x)), Tanh: mpmath.tanh,
    Relu: lambda x: x if mpmath.re(x) > 0 else mpmath.mpf(0),
    Step: lambda x: mpmath.mpf(1 if mpmath.re(x) > 0 else 0),
    SoftmaxEntry: _softmax_entry_value, sympy.Abs: abs, Absolute: abs,
}
