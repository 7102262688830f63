"""What a LaTeX formula leaves to its context, settled with the problem's shapes and definitions.

The LaTeX reader sees text only; people write a few things that only the problem can make exact:

* ``\\mathbf{1}`` without a size: the size that makes its product well-shaped. ``\\mathbf{1} A``
  is a row of A's row count of ones (A's column sums), ``A \\mathbf{1}`` a column of A's column
  count, and beside a vector (``\\mathbf{1} b^\\top``, an outer product) the size comes from what
  the product is added to or equated with (``X W^\\top + \\mathbf{1} b^\\top``);
* ``f(\\cdot)``: f at the point the formula is about, which is the argument f has in the problem's
  definitions (``1 - \\tanh^2(\\cdot)`` with ``h = tanh(z)``); where f is applied to several, the
  one whose argument or result the formula names;
* a product the reader took for a matrix product and that is ill-shaped as one: with a 1×1 side
  it is a scalar times a matrix, and ``f'(z)`` of an elementwise f in front of a vector (or matrix)
  of z's length is the diagonal Jacobian ``diag(f'(z))`` applied to it: ``f'(z) ⊙ v``
  (``σ'(z_N)(x_N - y)``).

Each rule gives a meaning only where the formula has none without it (an unsized vector, a
placeholder, an ill-shaped product): a well-shaped product is never read again. Where the
context does not settle it, the error says what to write.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import sympy

from ..errors import DeriveError, ParseError
from ..language import ast
from ..language.primitives import ELEMENTWISE, canonical_function
from ..language.shapes import Scope, Shape, infer, is_scalar
from ..language.text import to_text
from .definition import Problem

_ONES_HELP = (r"\mathbf{1} needs its size, and nothing beside it gives one: write \mathbf{1}_{S} (a column "
              r"of S ones), \mathbf{1}_{S}^\top (a row), or \mathbf{1}^\top A / A \mathbf{1} (column / row sums)")


def settle(chain: ast.Chain, problem: Problem) -> ast.Chain:
    """``chain`` with its unsized ones, placeholders and ill-shaped products settled (a chain with
    none of them is returned as it is)."""
    if not any(_unsettled(side) for side in chain.sides) and not _has_product(chain):
        return chain
    settler = _Settler(problem, chain)
    sides = [settler.node(side, None) for side in chain.sides]
    known = next((shape for shape in map(settler.shape, sides) if shape is not None), None)
    settler.final = True  # a side sized by another: \mathbf{1} b^\top = X W^\top, x = (x_1, \dots, x_d)^\top
    sides = [settler.node(side, known) for side in sides]
    for side in sides:
        settler.require_settled(side)
    if tuple(sides) == chain.sides:
        return chain
    return replace(chain, sides=tuple(sides))


def _unsettled(node: ast.Node) -> bool:
    return any(_is_unsized_ones(n) or _is_entries(n) or _is_matrix(n)
               or (isinstance(n, ast.Name) and n.id == ast.PLACEHOLDER)
               for n in ast.walk(node))


def _is_entries(node: ast.Node) -> bool:
    return isinstance(node, ast.Call) and node.func == ast.ENTRIES


def _is_matrix(node: ast.Node) -> bool:
    return isinstance(node, ast.Call) and node.func == ast.MATRIX


def _listed(node: ast.Node) -> bool:
    """A list of entries, as written or transposed (its orientation still open)."""
    return _is_entries(node.operand if isinstance(node, ast.Transpose) else node)


def _has_product(chain: ast.Chain) -> bool:
    return any(isinstance(n, ast.Binary) and n.op == "@" for side in chain.sides for n in ast.walk(side))


def _is_unsized_ones(node: ast.Node) -> bool:
    return isinstance(node, ast.Call) and node.func == "ones" and not node.args


def _unsized(node: ast.Node) -> bool:
    """An unsized ones vector, as written or transposed (``\\mathbf{1}^\\top``)."""
    return _is_unsized_ones(node.operand if isinstance(node, ast.Transpose) else node)


class _Settler:
    """One chain's settling: the problem's scope for the chain, the applications of each function."""

    def __init__(self, problem: Problem, chain: ast.Chain):
        self.problem = problem
        self.scope: Scope = problem.claim_scope(chain)
        self.named = {n.id for side in chain.sides for n in ast.walk(side) if isinstance(n, ast.Name)}
        self.named |= {n.wrt for side in chain.sides for n in ast.walk(side) if isinstance(n, ast.Derivative)}
        self.sizes = {symbol: name for name, symbol in problem.sizes.items()}
        self.final = False  # the first pass leaves a list's orientation to a second, told the sides' shape

    def shape(self, node: ast.Node) -> Shape | None:
        """The node's shape, None while it is ill-shaped or holds something unsettled."""
        if _unsettled(node):
            return None
        try:
            return infer(node, self.scope)
        except DeriveError:
            return None

    def node(self, node: ast.Node, expected: Shape | None) -> ast.Node:
        """``node`` settled, ``expected`` the shape its context asks of it (None: unknown)."""
        if isinstance(node, ast.Call) and node.args and any(
                isinstance(a, ast.Name) and a.id == ast.PLACEHOLDER for a in node.args):
            return self._placeholder(node)
        if _is_entries(node):
            return self._entries(node, None if expected is None else self._is_row(expected))
        if _is_matrix(node):  # a matrix by its entries: each a number, not a block
            for cell in node.args[1:]:
                self._scalars_beside(self.node(cell, None), (), "matrix's entries", node)
            return self.node(node.args[0], expected)
        if isinstance(node, ast.Binary) and node.op == "@":
            return self._product(node, expected)
        if isinstance(node, ast.Binary) and node.op in ("+", "-"):  # each side shaped as the other
            left = self.node(node.left, expected)
            right = self.node(node.right, expected or self.shape(left))
            if _unsettled(left):
                left = self.node(left, self.shape(right))
            return _rebuilt(node, left=left, right=right)
        if isinstance(node, ast.Binary) and node.op in ("*", "/"):  # shaped as the result, or one a scalar:
            return _rebuilt(node, left=self.node(node.left, expected),  # never shaped as the other side
                            right=self.node(node.right, expected))
        if isinstance(node, ast.Neg):
            return _rebuilt(node, operand=self.node(node.operand, expected))
        if isinstance(node, ast.Transpose):
            flipped = (expected[1], expected[0]) if expected else None
            operand = self.node(node.operand, flipped)
            if _is_entries(node.operand) and isinstance(operand, ast.Transpose):
                return operand.operand  # (x_1, \dots, x_d)^\top: a row's transpose, x
            return _rebuilt(node, operand=operand)
        return ast.map_children(node, lambda child: self.node(child, None))

    def _product(self, node: ast.Binary, expected: Shape | None) -> ast.Node:
        left, right = self.node(node.left, None), self.node(node.right, None)
        lshape, rshape = self.shape(left), self.shape(right)
        if _unsized(left) and rshape is not None:
            if not self.scope.same(rshape[0], 1):
                left = self._fit(left, (1, rshape[0]))  # 1 A: a row
            elif expected is not None:
                left = self._fit(left, (expected[0], 1))  # 1 b^T: a column, as tall as the result
        elif _unsized(right) and lshape is not None:
            if not self.scope.same(lshape[1], 1):
                right = self._fit(right, (lshape[1], 1))  # A 1: a column
            elif expected is not None:
                right = self._fit(right, (1, expected[1]))  # b 1^T: a row, as wide as the result
        elif _listed(left) or _listed(right):
            left, right = self._oriented(left, right, lshape, rshape, expected)
            lshape, rshape = self.shape(left), self.shape(right)
            if lshape is not None and rshape is not None and not self.scope.same(lshape[1], rshape[0]):
                return self._ill_shaped(node, left, right, lshape, rshape)  # (x^T x)(x_1, ..., x_d)
        elif lshape is not None and rshape is not None and not self.scope.same(lshape[1], rshape[0]):
            return self._ill_shaped(node, left, right, lshape, rshape)
        return _rebuilt(node, left=left, right=right)

    def _oriented(self, left: ast.Node, right: ast.Node, lshape: Shape | None, rshape: Shape | None,
                  expected: Shape | None) -> tuple[ast.Node, ast.Node]:
        """The lists of a product as rows or columns: a list before a tall factor is a row, before a
        row a column (and after, the other way round); two lists make a number where one is
        asked for (a dot product), else an outer product."""
        row = expected is not None and self._is_row(expected)
        if _listed(left) and rshape is not None:  # beside a scalar: as the product is
            return self._as(left, row=row if is_scalar(rshape) else not self.scope.same(rshape[0], 1)), right
        if _listed(right) and lshape is not None:
            return left, self._as(right, row=row if is_scalar(lshape) else self.scope.same(lshape[1], 1))
        if _listed(left) and _listed(right) and (expected is not None or self.final):
            dot = expected is not None and self.scope.same(expected[0], 1) and self.scope.same(expected[1], 1)
            return self._as(left, row=dot), self._as(right, row=not dot)
        return left, right

    def _as(self, listed: ast.Node, row: bool) -> ast.Node:
        """A list (or its transpose) as a row or a column."""
        if isinstance(listed, ast.Transpose):
            return ast.Transpose(self._as(listed.operand, not row), span=listed.span)
        return self._entries(listed, row)

    def _fit(self, ones: ast.Node, shape: Shape) -> ast.Node:
        """An unsized ``\\mathbf{1}`` as a vector of ``shape``, a row or a column as the product
        needs; one written as a row (``\\mathbf{1}^\\top``) is left as it is where a column is needed."""
        column = self.scope.same(shape[1], 1)
        if isinstance(ones, ast.Transpose) and column:
            return ones
        sized = self._ones(shape[0] if column else shape[1], ones)
        return sized if column else ast.Transpose(sized, span=ones.span)

    def _is_row(self, shape: Shape) -> bool:
        return self.scope.same(shape[0], 1) and not self.scope.same(shape[1], 1)

    def _entries(self, node: ast.Call, row: bool | None) -> ast.Node:
        """``[a_1, \\dots, a_n]``: the pattern, a column of n entries, as a row where its context
        asks for one (``(x_1, \\dots, x_d)^\\top`` = x); ``row`` None: the context does not say yet."""
        pattern, bound, varying = self.node(node.args[0], None), node.args[1], node.args[2:]
        shape = self.shape(pattern)
        self._scalars_beside(pattern, varying, "list's entries", node)
        last = self.scope.sizes.get(bound.id) if isinstance(bound, ast.Name) else sympy.Integer(bound.value)
        column = node.span[0] if node.span else None
        if last is None:
            raise ParseError(f"the list's last entry is number {to_text(bound)}, which is no size of the problem",
                             column=column)
        if shape is None or not self.scope.same(shape[1], 1):
            raise ParseError(f"the list's entries are not those of a vector ({to_text(pattern)} is no column)",
                             column=column)
        if not self.scope.same(shape[0], last):
            raise ParseError(f"the list has {to_text(bound)} entries, and {to_text(pattern)} has {shape[0]}",
                             column=column)
        if row is None and not self.final:  # its orientation is left to the second pass
            return replace(node, args=(pattern, bound, *varying))
        return ast.Transpose(pattern, span=node.span) if row else replace(pattern, span=node.span)

    def _scalars_beside(self, pattern: ast.Node, wholes: tuple, what: str, node: ast.Node) -> None:
        """Every name in ``pattern`` outside the ``wholes`` (the vectors whose entries it lists)
        is a scalar: (y_1 + b, ..., y_m + b) says b is a number, not a vector b."""
        if any(pattern == whole for whole in wholes):
            return
        shape = self.shape(pattern)
        if shape is not None and self.scope.same(shape[0], 1) and self.scope.same(shape[1], 1):
            return  # a number, whatever it is made of
        if isinstance(pattern, (ast.Name, ast.Derivative, ast.Index)) and shape is not None:
            raise ParseError(f"the {what} use {to_text(pattern)}, which is no number (its shape is "
                             f"{shape[0]}×{shape[1]}): write its entries", column=node.span[0] if node.span else None)
        for child in ast.children(pattern):
            self._scalars_beside(child, wholes, what, node)

    def _ill_shaped(self, node: ast.Binary, left: ast.Node, right: ast.Node, lshape: Shape,
                    rshape: Shape) -> ast.Node:
        """A product that is no matrix product: a scalar's, or a diagonal Jacobian's (else as it is)."""
        if is_scalar(lshape) or is_scalar(rshape):
            return _rebuilt(node, op="*", left=left, right=right)
        jacobian, before = left, None
        if isinstance(left, ast.Binary) and left.op == "@":  # A f'(z) v: the diagonal is A's right factor
            jacobian, before = left.right, left.left
        if _is_elementwise_derivative(jacobian, self.problem):
            column = self.shape(jacobian)
            if column is not None and self.scope.same(column[1], 1) and self.scope.same(column[0], rshape[0]):
                scaled = ast.Binary("*", jacobian, right, span=_joined(jacobian, right))
                if before is None:
                    return scaled
                return ast.Binary("@", before, scaled, span=node.span)
        return _rebuilt(node, left=left, right=right)

    def _ones(self, dim, where: ast.Node) -> ast.Node:
        size = self._size_node(sympy.sympify(dim))
        if size is None:
            raise ParseError(_ONES_HELP, column=where.span[0] if where.span else None)
        return ast.Call("ones", (size,), span=where.span)

    def _size_node(self, dim: sympy.Expr) -> ast.Node | None:
        """A size as the claim language writes it: a size's name, a number, or a product of them."""
        if dim in self.sizes:
            return ast.Name(self.sizes[dim])
        if dim.is_Integer and dim > 0:
            return ast.Number(Fraction(int(dim)))
        if dim.is_Mul:
            factors = [self._size_node(f) for f in dim.args]
            if all(f is not None for f in factors):
                product = factors[0]
                for factor in factors[1:]:
                    product = ast.Binary("*", product, factor)
                return product
        return None

    def _placeholder(self, call: ast.Call) -> ast.Node:
        """``f(\\cdot)``: f at its argument in the problem's definitions."""
        args = [a for a in call.args if not (isinstance(a, ast.Name) and a.id == ast.PLACEHOLDER)]
        if args or len(call.args) != 1:
            raise ParseError(rf"{call.func}(\cdot) stands for {call.func} at a point: give it alone, "
                             rf"as in {call.func}(\cdot)", column=call.span[0] if call.span else None)
        func = canonical_function(call.func)
        found: dict[ast.Node, set[str]] = {}
        for name, expr in self.problem.definitions:
            for sub in ast.walk(expr):
                if isinstance(sub, ast.Call) and canonical_function(sub.func) == func and len(sub.args) == 1:
                    found.setdefault(_bare(sub.args[0]), set()).add(name)
        if len(found) > 1:  # the one whose argument or result the formula names
            named = {arg: results for arg, results in found.items()
                     if results & self.named or {n.id for n in ast.walk(arg) if isinstance(n, ast.Name)} & self.named}
            found = named if len(named) == 1 else found
        if len(found) != 1:
            where = "is applied to nothing in the problem" if not found else (
                f"is applied to {len(found)} arguments here and the formula names none of them alone")
            raise ParseError(rf"{call.func}(\cdot): {call.func} {where}; write its argument, as in "
                             rf"{call.func}(z)", column=call.span[0] if call.span else None)
        return replace(call, args=(next(iter(found)),))

    def require_settled(self, side: ast.Node) -> None:
        for sub in ast.walk(side):
            if _is_unsized_ones(sub):
                raise ParseError(_ONES_HELP, column=sub.span[0] if sub.span else None)


def _is_elementwise_derivative(node: ast.Node, problem: Problem) -> bool:
    return isinstance(node, ast.Call) and node.prime > 0 and len(node.args) == 1 and (
        canonical_function(node.func) in ELEMENTWISE or node.func in problem.activations)


def _bare(node: ast.Node) -> ast.Node:
    """A definition's subtree without its spans (found in the problem file, put into a claim)."""
    return ast.rebuild(node, lambda sub: replace(sub, span=None))


def _rebuilt(node: ast.Node, **fields) -> ast.Node:
    """``node`` with ``fields`` changed, the very node when none did (so trees stay shared)."""
    if all(getattr(node, key) is value or getattr(node, key) == value for key, value in fields.items()):
        return node
    return replace(node, **fields)


def _joined(first: ast.Node, last: ast.Node) -> ast.Span:
    a, b = first.span, last.span
    return (a[0], b[1]) if a and b else a or b
