"""The registry of primitives: one row per function of the claim language.

Elementwise functions carry both oracles' implementations side by side (NumPy, complex-safe so
that the complex-step derivative works; SymPy, with activations as atoms) and a LaTeX template.
The derivative ``f'`` of an elementwise ``f`` is the derivative SymPy's own rule gives, and
``numpy_prime`` is its independent NumPy form; a test checks the two agree. Matrix functions
(``kron``, ``vec``...) are listed with their arity and LaTeX; each evaluator implements them with
its own library, so that the oracles stay independent.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy

from ..oracles.functions import Relu, Sigmoid, Step, Tanh


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_relu(x):
    return np.where(np.real(x) > 0, x, 0 * x)


def _np_step(x):
    return np.where(np.real(x) > 0, 1.0, 0.0) + 0 * x


@dataclass(frozen=True)
class Elementwise:
    """A scalar function applied entry by entry."""

    name: str
    numpy: Callable
    numpy_prime: Callable
    sympy: Callable
    latex: str
    domain: str = "real"  # "positive" where the function needs positive arguments
    numpy_second: Callable | None = None  # f'', so that the numeric net covers f''(x) too


def _np_sigmoid_second(x):
    s = _np_sigmoid(x)
    return s * (1 - s) * (1 - 2 * s)


_ROWS = [
    Elementwise("exp", np.exp, np.exp, sympy.exp, r"\exp\left({0}\right)", numpy_second=np.exp),
    Elementwise("log", np.log, lambda x: 1 / x, sympy.log, r"\log\left({0}\right)", "positive",
                numpy_second=lambda x: -1 / x**2),
    Elementwise("sqrt", np.sqrt, lambda x: 0.5 / np.sqrt(x), sympy.sqrt, r"\sqrt{{{0}}}", "positive",
                numpy_second=lambda x: -0.25 / (x * np.sqrt(x))),
    Elementwise("sigmoid", _np_sigmoid, lambda x: _np_sigmoid(x) * (1 - _np_sigmoid(x)), Sigmoid,
                r"\sigma\left({0}\right)", numpy_second=_np_sigmoid_second),
    Elementwise("tanh", np.tanh, lambda x: 1 - np.tanh(x) ** 2, Tanh, r"\tanh\left({0}\right)",
                numpy_second=lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    Elementwise("relu", _np_relu, _np_step, Relu, r"\operatorname{{ReLU}}\left({0}\right)",
                numpy_second=lambda x: 0 * x),
    Elementwise("step", _np_step, lambda x: 0 * x, Step, r"\mathbb{{1}}\left[{0} > 0\right]",
                numpy_second=lambda x: 0 * x),
    Elementwise("sin", np.sin, np.cos, sympy.sin, r"\sin\left({0}\right)", numpy_second=lambda x: -np.sin(x)),
    Elementwise("cos", np.cos, lambda x: -np.sin(x), sympy.cos, r"\cos\left({0}\right)",
                numpy_second=lambda x: -np.cos(x)),
]
ELEMENTWISE: dict[str, Elementwise] = {row.name: row for row in _ROWS}
ALIASES = {"σ": "sigmoid", "sigma": "sigmoid", "ReLU": "relu"}


@dataclass(frozen=True)
class MatrixFunction:
    """A function of whole matrices; shapes.py holds its shape rule."""

    name: str
    min_args: int
    max_args: int
    kwargs: tuple[str, ...]
    latex: str
    summary: str


_MATRIX_ROWS = [
    MatrixFunction("sum", 1, 1, ("axis",), r"\sum {0}", "sum of all entries, or along axis 0|1 (kept as a row|column)"),
    MatrixFunction("trace", 1, 1, (), r"\operatorname{{tr}}\left({0}\right)", "trace of a square matrix"),
    MatrixFunction("det", 1, 1, (), r"\det\left({0}\right)", "determinant of a square matrix"),
    MatrixFunction("inv", 1, 1, (), r"{0}^{{-1}}", "inverse of a square matrix"),
    MatrixFunction("kron", 2, 2, (), r"{0} \otimes {1}", "Kronecker product"),
    MatrixFunction("vec", 1, 1, (), r"\operatorname{{vec}}\left({0}\right)", "stack the columns into one column"),
    MatrixFunction("diag", 1, 1, (), r"\operatorname{{diag}}\left({0}\right)", "vector to diagonal matrix, or a square matrix's diagonal as a column"),
    MatrixFunction("outer", 2, 2, (), r"\operatorname{{outer}}\left({0}, {1}\right)", "outer product u vᵀ of two vectors"),
    MatrixFunction("ones", 1, 2, (), r"\mathbf{{1}}_{{{0}}}", "ones(n): n×1 column of ones; ones(m, n): m×n"),
    MatrixFunction("eye", 1, 1, (), r"I_{{{0}}}", "n×n identity"),
    MatrixFunction("zeros", 1, 2, (), r"\mathbf{{0}}_{{{0}}}", "zeros(n): n×1; zeros(m, n): m×n"),
    MatrixFunction("softmax", 1, 1, (), r"\operatorname{{softmax}}\left({0}\right)", "softmax of a column vector's entries, or of each row of a matrix"),
    MatrixFunction("norm", 1, 1, (), r"\left\lVert {0} \right\rVert", "Euclidean (Frobenius) norm"),
    MatrixFunction("delta", 2, 2, (), r"\delta_{{{0}{1}}}", "Kronecker delta of two indices"),
]
MATRIX_FUNCTIONS: dict[str, MatrixFunction] = {row.name: row for row in _MATRIX_ROWS}


def canonical_function(name: str) -> str:
    return ALIASES.get(name, name)


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
