"""The NumPy forms of the elementwise primitives, and the stand-in for an undefined activation.

Each form is complex-safe, so that the complex-step derivative works through it, and carries its
first and second derivatives (``f'`` and ``f''`` appear in claims). The exact oracle has SymPy
forms of its own (derive.oracles.functions); a test checks that the two agree. ``standin`` is
shared by the numeric oracle and the exact oracle's witness search (derive.oracles.witness):
both must evaluate an undefined ``h`` as the same function.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _relu(x):
    return np.where(np.real(x) > 0, x, 0 * x)


def _step(x):
    return np.where(np.real(x) > 0, 1.0, 0.0) + 0 * x


def _abs(x):  # |x| near a real x, continued analytically (so the complex step sees its slope)
    return np.where(np.real(x) >= 0, x, -x)


def _sign(x):
    return np.sign(np.real(x)) + 0 * x


def _sigmoid_second(x):
    s = _sigmoid(x)
    return s * (1 - s) * (1 - 2 * s)


@dataclass(frozen=True)
class NumpyForm:
    """An elementwise primitive and its first two derivatives, on NumPy arrays."""

    value: Callable
    prime: Callable
    second: Callable


NUMPY_FORMS: dict[str, NumpyForm] = {
    "exp": NumpyForm(np.exp, np.exp, np.exp),
    "log": NumpyForm(np.log, lambda x: 1 / x, lambda x: -1 / x**2),
    "sqrt": NumpyForm(np.sqrt, lambda x: 0.5 / np.sqrt(x), lambda x: -0.25 / (x * np.sqrt(x))),
    "sigmoid": NumpyForm(_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x)), _sigmoid_second),
    "tanh": NumpyForm(np.tanh, lambda x: 1 - np.tanh(x) ** 2, lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    "relu": NumpyForm(_relu, _step, lambda x: 0 * x),
    "step": NumpyForm(_step, lambda x: 0 * x, lambda x: 0 * x),
    "sin": NumpyForm(np.sin, np.cos, lambda x: -np.sin(x)),
    "cos": NumpyForm(np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x)),
    "abs": NumpyForm(_abs, _sign, lambda x: 0 * x),
    "sign": NumpyForm(_sign, lambda x: 0 * x, lambda x: 0 * x),
}


def standin(name: str) -> Callable[[object, int], object]:
    """A fixed smooth function standing in for an undefined activation ``name``.

    Used to evaluate problems with an undefined ``h`` at points: a claim that fails for this
    particular ``h`` fails in general, so a witness found with it is a real counterexample.
    ``standin(name)(x, k)`` is the k-th derivative at x (NumPy arrays or Python numbers).
    """
    seed = zlib.crc32(name.encode())
    a = 0.6 + (seed % 97) / 97
    b = 0.7 + (seed // 97 % 89) / 89
    c = (seed // 8633 % 83) / 83
    e = 0.2 + (seed // 688_939 % 79) / 158

    def value(x, order=0):
        sin = np.sin if isinstance(x, np.ndarray) else _scalar_sin
        trig = a * b**order * sin(b * x + c + order * math.pi / 2)
        poly = [x * x, 2 * x, 2.0][order] if order < 3 else 0.0
        return trig + e * poly

    return value


def _scalar_sin(x):
    try:
        import mpmath

        if isinstance(x, mpmath.mpf):
            return mpmath.sin(x)
    except ImportError:  # pragma: no cover
        pass
    return np.sin(x)
