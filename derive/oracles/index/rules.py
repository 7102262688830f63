"""The index engine's rule for every row of the primitive table: entry (r, c) of a call.

Each rule is ``rule(builder, node, r, c, scope, env) -> Expr``, registered in ``INDEX_RULES``
(``derive.language.primitives.engine_rules``) for its row; one rule serves every elementwise
row. A rule that covers only some cases (inv and det of variables, transposes and products of
square matrices) raises ``UnsupportedError`` for the rest, naming what it cannot write, and the
builder reports a call of a function outside the table the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Protocol

from ...errors import UnsupportedError
from ...language import ast
from ...language.primitives import ELEMENTWISE, canonical_function, engine_rules
from ...language.shapes import ONE, SCALAR, Dim, Scope, Shape, is_vector
from ...language.text import to_text
from ...problem.definition import Problem
from .elementwise import apply_function
from .form import ZERO, Expr, Idx, Tensor, atom, const, make_delta, mul, power

INDEX_RULES = engine_rules("index engine")


class EntryBuilder(Protocol):
    """What a rule uses of the ``builder.Builder`` that calls it (builder.py imports the rules,
    so the rules name it by this protocol rather than import it back)."""

    problem: Problem

    def rule(self, text: str) -> None: ...

    def index(self, base: str, dim: Dim) -> Idx: ...

    def over(self, expr: Expr, names: Iterable[Idx]) -> Expr: ...

    def split(self, index: Idx, slow: Dim, fast: Dim) -> tuple[Idx, Idx]: ...

    def shape(self, node: ast.Node, scope: Scope) -> Shape: ...

    def entry(self, node: ast.Node, r: Idx, c: Idx, scope: Scope, env: dict[str, Idx]) -> Expr: ...

    def index_of(self, item: ast.Node | Idx, env: Mapping[str, Idx]) -> Idx: ...


@INDEX_RULES.register(*ELEMENTWISE)
def apply_elementwise(builder: EntryBuilder, node: ast.Call, r: Idx, c: Idx, scope: Scope,
                      env: dict[str, Idx]) -> Expr:
    """f(A)[i,j] = f(A[i,j]) (and h'(A)[i,j] = h'(A[i,j]) for an activation left undefined)."""
    arg = builder.entry(node.args[0], r, c, scope, env)
    return apply_function(canonical_function(node.func), node.prime, arg, builder.problem.activations)


@INDEX_RULES.register("delta")
def _delta(builder, node, r, c, scope, env):
    a, b = (builder.index_of(arg, env) for arg in node.args)
    return atom(make_delta(a, b))


@INDEX_RULES.register("ones")
def _ones(builder, node, r, c, scope, env):
    return const(1)


@INDEX_RULES.register("zeros")
def _zeros(builder, node, r, c, scope, env):
    return ZERO


@INDEX_RULES.register("eye")
def _eye(builder, node, r, c, scope, env):
    builder.rule("eye(n)[i,j] = delta(i,j)")
    return atom(make_delta(r, c))


def _first_argument(builder, node: ast.Call, scope):
    """The first argument of a call and its shape."""
    (first,) = node.args[:1]
    return first, builder.shape(first, scope)


@INDEX_RULES.register("inv")
def _inv(builder, node, r, c, scope, env):
    first, _ = _first_argument(builder, node, scope)
    return _inverse(builder, first, r, c, scope)


@INDEX_RULES.register("det")
def _det(builder, node, r, c, scope, env):
    first, _ = _first_argument(builder, node, scope)
    return _determinant(builder, first, scope)


@INDEX_RULES.register("trace")
def _trace(builder, node, r, c, scope, env):
    first, (rows, _) = _first_argument(builder, node, scope)
    k = builder.index("k", rows)
    builder.rule("trace(A) = sum_k(A[k,k])")
    return builder.over(builder.entry(first, k, k, scope, env), [k])


@INDEX_RULES.register("sum")
def _sum(builder, node, r, c, scope, env):
    first, (rows, cols) = _first_argument(builder, node, scope)
    axis = dict(node.kwargs).get("axis")
    a = builder.index("k", rows) if axis is None or axis.value == 0 else r
    b = builder.index("l", cols) if axis is None or axis.value == 1 else c
    builder.rule("sum(A) = sum_{k,l}(A[k,l])")
    sums = ([a] if axis is None or axis.value == 0 else []) + ([b] if axis is None or axis.value == 1 else [])
    return builder.over(builder.entry(first, a, b, scope, env), sums)


@INDEX_RULES.register("vec")
def _vec(builder, node, r, c, scope, env):
    first, (rows, cols) = _first_argument(builder, node, scope)
    builder.rule("vec(A)[(j-1)*m + i] = A[i,j] for A with m rows")
    j, i = builder.split(r, cols, rows)
    return builder.entry(first, i, j, scope, env)


@INDEX_RULES.register("kron")
def _kron(builder, node, r, c, scope, env):
    first, (a_rows, a_cols) = _first_argument(builder, node, scope)
    b_rows, b_cols = builder.shape(node.args[1], scope)
    builder.rule("kron(A,B)[(a-1)*p + b, (c-1)*q + d] = A[a,c]*B[b,d] for B p x q")
    (ra, rb), (ca, cb) = builder.split(r, a_rows, b_rows), builder.split(c, a_cols, b_cols)
    return mul(builder.entry(first, ra, ca, scope, env), builder.entry(node.args[1], rb, cb, scope, env))


@INDEX_RULES.register("softmax")
def _softmax(builder, node, r, c, scope, env):
    """softmax of a column's entries, or of each row: exp of the entry over the sum of exps."""
    first, (rows, cols) = _first_argument(builder, node, scope)
    if cols == ONE:
        k = builder.index("k", rows)
        builder.rule("softmax(x)[n] = exp(x[n]) / sum_k(exp(x[k]))")
        position = (k, c)
    else:
        k = builder.index("k", cols)
        builder.rule("softmax(X)[m,n] = exp(X[m,n]) / sum_k(exp(X[m,k]))")
        position = (r, k)
    numerator = apply_function("exp", 0, builder.entry(first, r, c, scope, env), ())
    exps = apply_function("exp", 0, builder.entry(first, *position, scope, env), ())
    return mul(numerator, power(builder.over(exps, [k]), Fraction(-1)))


@INDEX_RULES.register("norm")
def _norm(builder, node, r, c, scope, env):
    first, (rows, cols) = _first_argument(builder, node, scope)
    row, col = builder.index("k", rows), builder.index("l", cols)
    builder.rule("norm(A) = sqrt(sum_{k,l}(A[k,l]**2))")
    squares = power(builder.entry(first, row, col, scope, env), Fraction(2))
    return power(builder.over(squares, [row, col]), Fraction(1, 2))


@INDEX_RULES.register("outer")
def _outer(builder, node, r, c, scope, env):
    _first_argument(builder, node, scope)  # its shape checked first, as for every matrix function
    u, v = node.args
    builder.rule("outer(u,v)[i,j] = u[i]*v[j]")
    return mul(_vector(builder, u, r, scope, env), _vector(builder, v, c, scope, env))


@INDEX_RULES.register("diag")
def _diag(builder, node, r, c, scope, env):
    first, (rows, cols) = _first_argument(builder, node, scope)
    if is_vector((rows, cols)) and (rows, cols) != SCALAR:
        builder.rule("diag(v)[i,j] = delta(i,j)*v[i]")
        return mul(atom(make_delta(r, c)), _vector(builder, first, r, scope, env))
    builder.rule("diag(A)[i] = A[i,i]")
    return builder.entry(first, r, r, scope, env)


def _vector(builder, node, k: Idx, scope, env) -> Expr:
    """Entry k of a vector, a column or a row."""
    shape = builder.shape(node, scope)
    return builder.entry(node, k, 1, scope, env) if shape[1] == ONE else builder.entry(node, 1, k, scope, env)


def _inverse(builder, node, r: Idx, c: Idx, scope) -> Expr:
    """An entry of inv(node): an atom for a variable; inv(Aᵀ) = inv(A)ᵀ and, for square
    factors, inv(A @ B) = inv(B) @ inv(A)."""
    if isinstance(node, ast.Name) and node.id in builder.problem.variables:
        return atom(Tensor(node.id, (r, c), "inv"))
    if isinstance(node, ast.Transpose):
        builder.rule("inv(A.T) = inv(A).T")
        return _inverse(builder, node.operand, c, r, scope)
    if _square_product(builder, node, scope):
        builder.rule("inv(A@B) = inv(B) @ inv(A)")
        k = builder.index("k", builder.shape(node.left, scope)[0])
        return builder.over(mul(_inverse(builder, node.right, r, k, scope),
                                _inverse(builder, node.left, k, c, scope)), [k])
    raise UnsupportedError(f"inv({to_text(node)}): the index-notation engine has an inverse rule "
                           "for variables, transposes and products of square matrices only")


def _determinant(builder, node, scope) -> Expr:
    """det(node): an atom for a variable; det(Aᵀ) = det(A), det(A @ B) = det(A) det(B)."""
    if isinstance(node, ast.Name) and node.id in builder.problem.variables:
        return atom(Tensor(node.id, (1, 1), "det"))
    if isinstance(node, ast.Transpose):
        builder.rule("det(A.T) = det(A)")
        return _determinant(builder, node.operand, scope)
    if _square_product(builder, node, scope):
        builder.rule("det(A@B) = det(A)*det(B)")
        return mul(_determinant(builder, node.left, scope), _determinant(builder, node.right, scope))
    raise UnsupportedError(f"det({to_text(node)}): the index-notation engine has a determinant "
                           "rule for variables, transposes and products of square matrices only")


def _square_product(builder, node, scope) -> bool:
    """Whether ``node`` is A @ B with A and B square (of one size)."""
    if not (isinstance(node, ast.Binary) and node.op == "@"):
        return False
    shapes = [builder.shape(side, scope) for side in (node.left, node.right)]
    return all(shape[0] == shape[1] == shapes[0][0] for shape in shapes)
