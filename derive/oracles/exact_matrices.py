"""The exact oracle's matrices: built from their entries, multiplied and broadcast, and their
inverse and determinant by the identities that hold for every argument.

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
Evaluate = Callable[[ast.Node], Matrix]
Entrywise = Callable[[sympy.Expr, sympy.Expr], sympy.Expr]


def from_entries(rows: int, cols: int, entries: list) -> Matrix:
    """A matrix of ``entries`` in row order, each already a SymPy object: built without SymPy's
    inspection and conversion of its input, a third of the cost of a small matrix, of which the
    exact oracle builds one per node per claim."""
    return Matrix._new(rows, cols, entries, copy=False)


def entries(matrix: Matrix) -> tuple:
    """The entries of ``matrix`` in row order. An ImmutableMatrix keeps them as its third
    argument, (rows, cols, Tuple(entries)); ``flat()`` and ``tolist()`` would first convert the
    matrix's domain representation back to SymPy, copying it, at every node of every claim."""
    if type(matrix) is Matrix:
        return matrix.args[2].args
    return tuple(matrix.flat())


def entry_rows(matrix: Matrix) -> list[tuple]:
    """The rows of ``matrix``, each a tuple of its entries (``entries``, cut row by row)."""
    flat, width = entries(matrix), matrix.cols
    return [flat[i * width:(i + 1) * width] for i in range(matrix.rows)]


def scalar_matrix(value: sympy.Basic) -> Matrix:
    """A 1×1 matrix of a SymPy object (``from_entries``)."""
    return from_entries(1, 1, [value])


def broadcast(left: Matrix, right: Matrix, op: Entrywise, where: str) -> Matrix:
    """``op`` of the entries of two matrices, a row or column (or 1×1) repeated to the other's shape."""
    rows = max(left.rows, right.rows)
    cols = max(left.cols, right.cols)
    for m in (left, right):
        if m.rows not in (1, rows) or m.cols not in (1, cols):
            raise ShapeError(f"{where}: {left.shape} and {right.shape} do not broadcast")
    if left.shape == right.shape:
        return from_entries(rows, cols, [op(a, b) for a, b in zip(entries(left), entries(right))])
    spread = zip(_spread(left, rows, cols), _spread(right, rows, cols))
    return from_entries(rows, cols, [op(a, b) for a, b in spread])


def _spread(m: Matrix, rows: int, cols: int) -> list:
    """The entries of ``m`` broadcast to rows × cols, in row order (a row or column repeated)."""
    flat = entries(m)
    return [flat[(i if m.rows > 1 else 0) * m.cols + (j if m.cols > 1 else 0)]
            for i in range(rows) for j in range(cols)]


def matmul(left: Matrix, right: Matrix) -> Matrix:
    """The matrix product with each entry one n-ary sum (SymPy's own goes through domains)."""
    second = entries(right)
    columns = [second[j::right.cols] for j in range(right.cols)]
    products = [sympy.Add(*[a * b for a, b in zip(row, column) if a != 0 and b != 0])
                for row in entry_rows(left) for column in columns]
    return from_entries(left.rows, right.cols, products)


def determinant(value: Evaluate, arg: ast.Node) -> sympy.Expr:
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


def product(value: Evaluate, matmul: Callable[[Matrix, Matrix], Matrix], left: ast.Node,
            right: ast.Node) -> Matrix | None:
    """``left @ right`` by the identities that hold for every argument — A inv(A) = inv(A) A = I
    (A non-singular, as inv requires) and kron(A, B) kron(C, D) = kron(A C, B D) (where A C and
    B D are defined) — or None, to be multiplied out: kron(A, B) @ kron(inv(A), inv(B)) at 20×20
    ran past the budget entry by entry; by these identities it is an identity matrix at once."""
    for base, other in ((left, right), (right, left)):
        if _call(other, "inv") and other.args[0] == base:
            matrix = value(base)
            if matrix.rows == matrix.cols:
                nonsingular(matrix)
                return Matrix(sympy.eye(matrix.rows))
    if _call(left, "kron") and _call(right, "kron"):
        (a, b), (c, d) = left.args, right.args
        va, vb, vc, vd = (value(part) for part in (a, b, c, d))
        if va.cols == vc.rows and vb.cols == vd.rows:
            first = product(value, matmul, a, c) or matmul(va, vc)
            second = product(value, matmul, b, d) or matmul(vb, vd)
            return Matrix(sympy.kronecker_product(first, second))
    return None


def _call(node: ast.Node, name: str) -> bool:
    return isinstance(node, ast.Call) and not node.prime and canonical_function(node.func) == name \
        and len(node.args) == (2 if name == "kron" else 1)
