"""The exact oracle's inverse and determinant, by the identities that hold for every argument.

A 6×6 ``inv(kron(A, B))`` is two small inverses and ``det(inv(A))`` no inverse at all: taken
as adjugates and determinants of 6×6 matrices of rational functions, such claims ran past the
exact budget. Each identity is one that holds for every matrix it applies to, and a singular
argument of an inverse is still refused.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy

from ..errors import ShapeError
from ..language import ast
from ..language.primitives import canonical_function

Matrix = sympy.ImmutableMatrix


def determinant(value: Callable[[ast.Node], Matrix], arg: ast.Node) -> sympy.Expr:
    """The determinant by the identities that hold for every argument — det(Aᵀ) = det(A),
    det(inv(Y)) = 1/det(Y) (Y non-singular, as inv requires), det(A ⊗ B) = det(A)^n det(B)^m
    for A m×m and B n×n, det(A B) = det(A) det(B) for square A and B — else Berkowitz's: a
    6×6 det(kron(A, B)) costs two small determinants, and det(inv(A)) no inverse at all."""
    if isinstance(arg, ast.Transpose):
        return determinant(value, arg.operand)
    if isinstance(arg, ast.Call) and not arg.prime and canonical_function(arg.func) == "inv":
        inner = determinant(value, arg.args[0])
        if inner == 0:
            raise ShapeError("inv: the matrix is singular")
        return 1 / inner
    if isinstance(arg, ast.Call) and not arg.prime and canonical_function(arg.func) == "kron" \
            or isinstance(arg, ast.Binary) and arg.op == "@":
        parts = list(arg.args) if isinstance(arg, ast.Call) else [arg.left, arg.right]
        values = [value(part) for part in parts]
        if all(v.rows == v.cols for v in values):
            first, second = (determinant(value, part) for part in parts)
            if isinstance(arg, ast.Binary):
                return first * second
            return first ** values[1].rows * second ** values[0].rows
    return value(arg).det(method="berkowitz")


def inverse_parts(arg: ast.Node) -> list[ast.Node] | None:
    """The operands an inverse distributes over (see ``symbolic._inv``), or None."""
    if isinstance(arg, ast.Call) and canonical_function(arg.func) in ("inv", "kron") and not arg.prime:
        return list(arg.args)
    if isinstance(arg, ast.Transpose):
        return [arg.operand]
    if isinstance(arg, ast.Binary) and arg.op == "@":
        return [arg.left, arg.right]
    return None


def nonsingular(matrix: Matrix) -> sympy.Expr:
    det = matrix.det(method="berkowitz")
    if det == 0:
        raise ShapeError("inv: the matrix is singular")
    return det


def inverse(matrix: Matrix) -> Matrix:
    # adj(X)/det(X): polynomials over one common denominator, which the zero test groups,
    # instead of LU's nested fractions
    det = nonsingular(matrix)
    adjugate = matrix.adjugate(method="berkowitz")
    return Matrix(matrix.rows, matrix.cols, [entry / det for entry in adjugate])
