"""Shapes of expressions, with sizes kept as names.

Every value is a 2-D array: a scalar is 1×1, a vector a column d×1. Sizes stay symbolic
(``m``, ``d``, ``m*d`` for a vec), so a mismatch is reported the way the problem states it:
``X.T @ W: (d,S) @ (m,d): inner sizes S and m differ``. The checker also works out the range of
every index a claim uses, and rejects an index used with two different ranges.

It is also where the size limits (derive/limits.py) meet a claim, before any oracle builds a
value: a literal dimension (``eye(20000)``, ``ones(n, 99999)``) past ``MAX_SIZE``, an intermediate
of literal shape with more entries than the exact oracle may hold (``kron(eye(100), eye(100))``),
and powers nested past ``MAX_EXPONENT`` (``((2**64)*1)**64``) are refused as ``TooLarge``.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache, singledispatch

import sympy

from .. import limits
from ..errors import BudgetExceeded, Deferred, DeriveError, ShapeError, TooLarge, UnsupportedError, unknown_name
from ..limits import MAX_EXPONENT  # noqa: F401 - its home is limits.py
from . import ast
from .nested_powers import check_nested_powers
from .primitives import ELEMENTWISE, PRIMITIVES, canonical_function, engine_rules
from .text import to_text

Dim = sympy.Expr
Shape = tuple[Dim, Dim]
ONE = sympy.Integer(1)
SCALAR: Shape = (ONE, ONE)


def size_symbol(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, positive=True, integer=True)


@lru_cache(maxsize=4096)
def fmt(shape: Shape) -> str:
    """(m,d), as messages write a shape (remembered: SymPy's printer is slow, and a failing
    candidate edit of the diagnosis builds a message whose shapes recur)."""
    return "(" + ",".join(str(d).replace("**", "^").replace("*", "·") for d in shape) + ")"


def is_scalar(shape: Shape) -> bool:
    return shape == SCALAR


def is_vector(shape: Shape) -> bool:
    return (shape[1] == ONE) != (shape[0] == ONE) or shape == SCALAR


def vector_length(shape: Shape) -> Dim:
    return shape[0] if shape[1] == ONE else shape[1]


@dataclass
class Scope:
    """What names mean inside a problem: shapes of its variables and definitions, its sizes."""

    shapes: dict[str, Shape]
    sizes: dict[str, Dim]
    activations: frozenset[str] = frozenset()
    arbitrary: frozenset[str] = frozenset()
    layout: str = "numerator"
    leaves: frozenset[str] = frozenset()
    index_names: frozenset[str] = frozenset()
    index_ranges: dict[str, Dim] = field(default_factory=dict)
    bound: tuple[str, ...] = ()
    fixed: dict[sympy.Symbol, sympy.Integer] = field(default_factory=dict)  # a fixed size's symbol -> its value

    def for_claim(self, index_names: Iterable[str]) -> Scope:
        return Scope(self.shapes, self.sizes, self.activations, self.arbitrary, self.layout,
                     self.leaves, frozenset(index_names), fixed=self.fixed)

    def same(self, a: Dim, b: Dim) -> bool:
        """Whether two sizes are equal, the problem's fixed sizes put in: with m = 3 and p = 2
        fixed, m·p and 6 are one size."""
        if a is b or a == b:
            return True
        if not self.fixed:
            return False
        return sympy.sympify(a).xreplace(self.fixed) == sympy.sympify(b).xreplace(self.fixed)

    def same_shape(self, left: Shape, right: Shape) -> bool:
        return len(left) == len(right) and all(self.same(a, b) for a, b in zip(left, right))

    def known_names(self) -> set[str]:
        return set(self.shapes) | set(self.sizes) | self.activations | set(PRIMITIVES)


def index_names_of(node: ast.Node | ast.Chain) -> set[str]:
    """Names a claim uses as indices: inside ``[...]``, as delta arguments, or as sum binders."""
    names: set[str] = set()
    sides = node.sides if isinstance(node, ast.Chain) else (node,)
    for side in sides:
        for sub in ast.walk(side):
            if isinstance(sub, ast.Index):
                names.update(i for i in sub.items if isinstance(i, str))
            elif isinstance(sub, ast.IndexSum):
                names.update(sub.indices)
            elif isinstance(sub, ast.Call) and sub.func == "delta":
                names.update(a.id for a in sub.args if isinstance(a, ast.Name))
    return names


def free_indices(node: ast.Node, index_names: Container[str], memo: dict | None = None) -> frozenset[str]:
    """The index names ``node`` leaves free: used in it and not bound by one of its sums.

    ``memo`` (keyed by node identity) lets an evaluator that asks about every subtree pay for
    each node once."""
    if memo is not None and id(node) in memo:
        return memo[id(node)]
    names: set[str] = set()
    if isinstance(node, ast.Name) and node.id in index_names:
        names.add(node.id)
    if isinstance(node, ast.Index):
        names.update(i for i in node.items if isinstance(i, str))
    for child in ast.children(node):
        names |= free_indices(child, index_names, memo)
    if isinstance(node, ast.IndexSum):
        names -= set(node.indices)
    result = frozenset(names)
    if memo is not None:
        memo[id(node)] = result
    return result


@dataclass(frozen=True)
class Typed:
    """The shapes of some trees checked together, and their scope with the range of every index
    they use (what the oracles need to evaluate them)."""

    shapes: tuple[Shape, ...]
    scope: Scope


class ShapeMemo:
    """The shapes of subtrees, remembered by identity (each node kept alive), with the index
    ranges each subtree records.

    A shape never depends on index ranges (an entry is 1×1 whatever its index runs over); a
    subtree only adds ranges, which must agree with those known. So within one claim (same
    problem, same index names) a remembered subtree is typed again by recording its ranges once
    more. The diagnosis types thousands of edits of a claim that share most of their subtrees
    with it: with a memo, each is typed in the time of the nodes the edit made. An error's
    message may name another of the conflicting places than typing afresh would.
    """

    def __init__(self) -> None:
        self.shapes: dict[int, tuple[ast.Node, Shape, tuple]] = {}
        self.powers_checked: dict[int, ast.Node] = {}  # subtrees whose nested powers are within the limit
        self.frames: list[list] = []  # the ranges recorded by each subtree being typed


_MEMO: ContextVar[ShapeMemo | None] = ContextVar("shape_memo", default=None)


def typed(nodes: Iterable[ast.Node], scope: Scope, memo: ShapeMemo | None = None) -> Typed:
    """The shape of each of ``nodes``, checked together: an index keeps one range across them
    all. ``scope`` is left as it is; the ranges are in the result's scope. Raises ShapeError
    naming the operation and both shapes, TooLarge for a node past the limits. A ``memo`` must
    only be shared by scopes of one claim (they may differ in index ranges only)."""
    local = object.__new__(Scope)  # a shallow copy; this runs for every shape asked, so cheaply
    local.__dict__.update(scope.__dict__, index_ranges=dict(scope.index_ranges))
    shapes = []
    token = _MEMO.set(memo)
    try:
        for node in nodes:
            check_nested_powers(node, memo.powers_checked if memo is not None else None)
            shapes.append(_infer(node, local))
    finally:
        _MEMO.reset(token)
    # nothing new learned: the same scope, so that the oracles' caches (keyed by scope) carry over
    return Typed(tuple(shapes), scope if local.index_ranges == scope.index_ranges else local)


def well_shaped(chain: ast.Chain, scope: Scope) -> bool:
    """Every side typed, and the sides of the chain of one shape (a chain with index names needs
    a scope that knows them: ``Problem.claim_scope``)."""
    try:
        shapes = typed(chain.sides, scope).shapes
    except BudgetExceeded:
        raise
    except DeriveError:
        return False
    return all(scope.same_shape(shapes[0], shape) for shape in shapes[1:])


def infer(node: ast.Node, scope: Scope, memo: ShapeMemo | None = None) -> Shape:
    """The shape of ``node`` (``typed`` of it alone); ``scope`` is left as it is."""
    return typed((node,), scope, memo).shapes[0]


class Place:
    """Where in a claim a shape rule is: the node's text, written only when an error message
    needs it (every node's shape is asked, far more often than one is wrong)."""

    __slots__ = ("node",)

    def __init__(self, node: ast.Node):
        self.node = node

    def __str__(self) -> str:
        return to_text(self.node)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def _where(node) -> Place:
    return Place(node)


def _infer(node, scope: Scope) -> Shape:
    """``_rule``'s shape for ``node``, within the limits: a shape whose sizes are all numbers
    (``eye(20000)``, ``kron(eye(100), eye(100))``) has at most MAX_SIZE rows and columns and no more
    entries than the exact oracle may hold; the claim is refused before anything is built."""
    memo = _MEMO.get()
    if memo is None:
        return _limited(node, _rule(node, scope))
    known = memo.shapes.get(id(node))
    if known is not None:
        _, shape, records = known
        for index, dim in records:
            _record_range(scope, index, dim, _where(node))
        return shape
    memo.frames.append([])
    try:
        shape = _limited(node, _rule(node, scope))
    finally:
        records = tuple(memo.frames.pop())
    memo.shapes[id(node)] = (node, shape, records)
    if memo.frames:
        memo.frames[-1].extend(records)
    return shape


def _limited(node, shape: Shape) -> Shape:
    rows, cols = shape
    if (rows is ONE and cols is ONE) or not (getattr(rows, "is_Integer", False) and getattr(cols, "is_Integer", False)):
        return shape  # a scalar, or a size that is a name: nothing to count (the common cases, first)
    rows, cols = int(rows), int(cols)
    if max(rows, cols) > limits.MAX_SIZE or rows * cols > limits.MAX_EXACT_ENTRIES:
        limits.check_entries(rows, cols, _where(node), limits.MAX_EXACT_ENTRIES, "the exact oracle")
    return shape


@singledispatch
def _rule(node, scope: Scope) -> Shape:
    raise UnsupportedError(f"no shape rule for {type(node).__name__}")


@_rule.register
def _(node: ast.Number, scope):
    return SCALAR


@_rule.register
def _(node: ast.Name, scope):
    if node.id in scope.index_names:
        return SCALAR
    if node.id in scope.shapes:
        return scope.shapes[node.id]
    if node.id in scope.sizes:
        return SCALAR
    if node.id == ast.PLACEHOLDER:
        raise ShapeError(r"f(\cdot) is f at a point the problem's definitions give (derive.problem.settle)")
    if node.id in scope.activations or canonical_function(node.id) in ELEMENTWISE:
        raise ShapeError(f"{node.id} is a function: apply it, as in {node.id}(x)")
    raise unknown_name("name", node.id, scope.known_names())


@_rule.register
def _(node: ast.Neg, scope):
    return _infer(node.operand, scope)


@_rule.register
def _(node: ast.Transpose, scope):
    rows, cols = _infer(node.operand, scope)
    return (cols, rows)


def broadcast(left: Shape, right: Shape, where: str | Place, op: str, scope: Scope | None = None) -> Shape:
    out = []
    for a, b in zip(left, right):
        if a is b or b is ONE or a == b or b == ONE:  # sizes are mostly the same objects: cheap tests first
            out.append(a)
        elif a is ONE or a == ONE:
            out.append(b)
        elif scope is not None and scope.same(a, b):
            out.append(a)
        else:
            raise ShapeError(Deferred(lambda: f"{where}: {fmt(left)} {op} {fmt(right)}: shapes do not match"))
    return tuple(out)


@_rule.register
def _(node: ast.Binary, scope):
    left = _infer(node.left, scope)
    right = _infer(node.right, scope)
    if node.op == "@":
        if left[1] is not right[0] and not scope.same(left[1], right[0]):
            raise ShapeError(Deferred(
                lambda: f"{_where(node)}: {fmt(left)} @ {fmt(right)}: inner sizes {left[1]} and {right[0]} differ"
            ))
        return (left[0], right[1])
    if node.op == "**":
        if not is_scalar(right):
            raise ShapeError(Deferred(lambda: f"{_where(node)}: the exponent must be a scalar, not {fmt(right)}"))
        exponent = size_value(node.right, scope)
        if exponent is None:
            raise TooLarge(f"{_where(node)}: an exponent must be a number or a size, as in x**2 or det(A)**n")
        if exponent.is_number and abs(exponent) > MAX_EXPONENT:
            raise TooLarge(f"{_where(node)}: the exponent {to_text(node.right)} is too large "
                           f"(the limit is {MAX_EXPONENT})")
        return left
    return broadcast(left, right, _where(node), node.op, scope)


def size_value(node: ast.Node, scope: Scope) -> sympy.Expr | None:
    """The value of an exponent that is a number or a size expression (n, m·p, n - 1), the fixed
    sizes put in; None for anything else (an entry, a power of powers: ``10**10**10``)."""
    if isinstance(node, ast.Number):
        return sympy.Rational(node.value.numerator, node.value.denominator)
    if isinstance(node, ast.Name):
        return sympy.sympify(scope.sizes[node.id]).xreplace(scope.fixed) if node.id in scope.sizes else None
    if isinstance(node, ast.Neg):
        inner = size_value(node.operand, scope)
        return None if inner is None else -inner
    if isinstance(node, ast.Binary) and node.op in ("+", "-", "*", "/"):
        left, right = size_value(node.left, scope), size_value(node.right, scope)
        if left is None or right is None or (node.op == "/" and right == 0):
            return None
        return {"+": left + right, "-": left - right, "*": left * right, "/": left / right}[node.op]
    return None


def _size_argument(arg: ast.Node, scope: Scope, where: str | Place) -> Dim:
    if isinstance(arg, ast.Number) and arg.value.denominator == 1 and arg.value > 0:
        limits.check_dimension(arg.value.numerator, where)
        return sympy.Integer(arg.value.numerator)
    if isinstance(arg, ast.Name) and arg.id in scope.sizes:
        return scope.sizes[arg.id]
    value = size_value(arg, scope) if isinstance(arg, ast.Binary) else None  # eye(m*n), ones(n + 1)
    if value is not None and value.is_integer and value.is_positive:
        if value.is_Integer:
            limits.check_dimension(int(value), where)
        return value
    if value is not None:  # a size derive cannot show positive (ones(m - 1)): an error, not a refutation
        raise UnsupportedError(f"{where}: {to_text(arg)} is not a size for every size of the problem; write a "
                               "size name, a positive integer, or a product or sum of them")
    raise ShapeError(f"{where}: the argument must be a size name or a positive integer, not {to_text(arg)}")


def _square(shape: Shape, where: str | Place, what: str) -> Shape:
    if shape[0] != shape[1]:
        raise ShapeError(f"{where}: {what} needs a square matrix, not {fmt(shape)}")
    return shape


SHAPE_RULES = engine_rules("shapes")


@_rule.register
def _(node: ast.Call, scope):
    name = canonical_function(node.func)
    where = _where(node)
    if name in scope.activations:
        return _elementwise_shape(node, scope, where)
    if node.func == ast.MATRIX:
        raise ShapeError("a matrix by its entries is read against a problem, which checks them (derive.problem.settle)")
    if node.func == ast.ENTRIES:
        raise ShapeError(r"a vector by its entries, [x_1, \dots, x_n], is read against a problem, which gives "
                         "its length and orientation (derive.problem.settle)")
    if name not in PRIMITIVES:  # h'(X) with no h declared is an unknown function, as h(X) is
        raise unknown_name("function", node.func, set(PRIMITIVES) | scope.activations)
    return SHAPE_RULES[name](node, scope, where)


@SHAPE_RULES.register(*ELEMENTWISE)
def _elementwise_shape(node: ast.Call, scope: Scope, where: str | Place) -> Shape:
    if len(node.args) != 1 or node.kwargs:
        raise ShapeError(f"{where}: {node.func} takes one argument")
    return _infer(node.args[0], scope)


def _arguments(node: ast.Call, where: str | Place) -> None:
    """Refuse a derivative of a matrix function, a wrong number of arguments, an unknown keyword."""
    spec = PRIMITIVES[canonical_function(node.func)]
    if node.prime:
        raise ShapeError(f"{where}: only elementwise functions have a derivative {node.func}'")
    if not spec.min_args <= len(node.args) <= spec.max_args:
        count = spec.min_args if spec.min_args == spec.max_args else f"{spec.min_args} or {spec.max_args}"
        raise ShapeError(f"{where}: {spec.name} takes {count} argument(s), not {len(node.args)}")
    for key, _ in node.kwargs:
        if key not in spec.kwargs:
            raise ShapeError(f"{where}: {spec.name} has no argument '{key}'")


def _matrix_rule(rule):
    """A shape rule of a matrix function, given its arguments' shapes once they are checked."""

    def checked(node: ast.Call, scope: Scope, where: str | Place) -> Shape:
        _arguments(node, where)
        shapes = [_infer(a, scope) for a in node.args]
        if scope.fixed:  # a rule compares sizes as they are: a fixed size as its value (m·p is 6)
            shapes = [tuple(sympy.sympify(d).xreplace(scope.fixed) for d in shape) for shape in shapes]
        return rule(node, shapes, where)

    return checked


@SHAPE_RULES.register("ones", "zeros", "eye")
def _constant_shape(node: ast.Call, scope: Scope, where: str | Place) -> Shape:
    _arguments(node, where)
    dims = [_size_argument(a, scope, where) for a in node.args]
    if node.func == "eye":
        return (dims[0], dims[0])
    return (dims[0], dims[1] if len(dims) == 2 else ONE)


@SHAPE_RULES.register("delta")
def _delta_shape(node: ast.Call, scope: Scope, where: str | Place) -> Shape:
    _arguments(node, where)
    for arg in node.args:
        if not (isinstance(arg, ast.Name) and arg.id in scope.index_names) and not (
            isinstance(arg, ast.Number) and arg.value.denominator == 1
        ):
            raise ShapeError(f"{where}: delta takes two indices")
    return SCALAR


@SHAPE_RULES.register("sum")
@_matrix_rule
def _sum_shape(node: ast.Call, shapes: list[Shape], where: str | Place) -> Shape:
    axis = dict(node.kwargs).get("axis")
    if axis is None:
        return SCALAR
    if not (isinstance(axis, ast.Number) and axis.value in (0, 1)):
        raise ShapeError(f"{where}: axis must be 0 or 1")
    return (ONE, shapes[0][1]) if axis.value == 0 else (shapes[0][0], ONE)


@SHAPE_RULES.register("trace", "det")
@_matrix_rule
def _square_to_scalar(node: ast.Call, shapes: list[Shape], where: str | Place) -> Shape:
    _square(shapes[0], where, node.func)
    return SCALAR


@SHAPE_RULES.register("inv")
@_matrix_rule
def _inverse_shape(node: ast.Call, shapes: list[Shape], where: str | Place) -> Shape:
    return _square(shapes[0], where, "inv")


@SHAPE_RULES.register("kron")
@_matrix_rule
def _kron_shape(node: ast.Call, shapes: list[Shape], where: str | Place) -> Shape:
    (a_rows, a_cols), (b_rows, b_cols) = shapes
    return (a_rows * b_rows, a_cols * b_cols)


@SHAPE_RULES.register("vec")
@_matrix_rule
def _vec_shape(node: ast.Call, shapes: list[Shape], where: str | Place) -> Shape:
    return (shapes[0][0] * shapes[0][1], ONE)


@SHAPE_RULES.register("diag")
@_matrix_rule
def _diag_shape(node: ast.Call, shapes: list[Shape], where: str | Place) -> Shape:
    first = shapes[0]
    if is_vector(first):
        n = vector_length(first)
        return (n, n)
    _square(first, where, "diag of a matrix")
    return (first[0], ONE)


@SHAPE_RULES.register("outer")
@_matrix_rule
def _outer_shape(node: ast.Call, shapes: list[Shape], where: str | Place) -> Shape:
    for shape in shapes:
        if not is_vector(shape):
            raise ShapeError(f"{where}: outer takes two vectors, not {fmt(shape)}")
    return (vector_length(shapes[0]), vector_length(shapes[1]))


@SHAPE_RULES.register("softmax")
@_matrix_rule
def _same_shape(node: ast.Call, shapes: list[Shape], where: str | Place) -> Shape:
    return shapes[0]


@SHAPE_RULES.register("norm")
@_matrix_rule
def _scalar_shape(node: ast.Call, shapes: list[Shape], where: str | Place) -> Shape:
    return SCALAR


def _record_range(scope: Scope, index: str, dim: Dim, where: str | Place) -> None:
    known = scope.index_ranges.get(index)
    if known is not None and not scope.same(known, dim):
        raise ShapeError(Deferred(lambda: f"{where}: index {index} ranges over {dim} here but over {known} elsewhere"))
    scope.index_ranges[index] = dim
    memo = _MEMO.get()
    if memo is not None and memo.frames:
        memo.frames[-1].append((index, dim))


@_rule.register
def _(node: ast.Index, scope):
    shape = _infer(node.operand, scope)
    where = _where(node)
    items = node.items
    if len(items) == 1:
        if not is_vector(shape):
            raise ShapeError(Deferred(
                lambda: f"{where}: one index needs a vector, not {fmt(shape)}: write two, as in [i,j]"))
        (item,) = items
        dims = [vector_length(shape)]
    elif len(items) == 2:
        dims = list(shape)
    else:
        raise ShapeError(f"{where}: at most two indices, found {len(items)}")
    kept = []
    for item, dim in zip(items, dims):
        if item is ast.ALL:
            kept.append(dim)
        elif isinstance(item, str):
            if item in scope.shapes or item in scope.sizes:
                raise ShapeError(f"{where}: {item} is a variable or size, not an index")
            _record_range(scope, item, dim, where)
    if not kept:
        return SCALAR
    if len(items) == 1:
        return shape
    if len(kept) == 2:
        return shape
    return (kept[0], ONE)


@_rule.register
def _(node: ast.IndexSum, scope):
    return _infer(node.body, scope)


def derivative_shape(of: Shape, wrt: Shape, layout: str, where: str | Place) -> Shape:
    """Shape of d(of)/d(wrt): a gradient, an elementwise derivative, or a Jacobian."""
    if is_scalar(of):
        return wrt
    if is_scalar(wrt):
        return of
    if is_vector(of) and is_vector(wrt):
        n, m = vector_length(of), vector_length(wrt)
        return (n, m) if layout == "numerator" else (m, n)
    raise UnsupportedError(
        f"{where}: the derivative of a {fmt(of)} array by a {fmt(wrt)} array is a tensor of order "
        "3 or 4; write it entrywise, as in dY[m,n]/dW[i,j]"
    )


@_rule.register
def _(node: ast.Derivative, scope):
    where = _where(node)
    if node.wrt in scope.arbitrary:
        raise ShapeError(f"{where}: {node.wrt} is an arbitrary function, not a variable")
    if node.wrt not in scope.shapes:
        raise unknown_name("variable", node.wrt, scope.shapes)
    of = _infer(node.of, scope)
    return derivative_shape(of, scope.shapes[node.wrt], scope.layout, where)
