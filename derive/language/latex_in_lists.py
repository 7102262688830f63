"""A vector written by its entries with an elision, ``[a_1, a_2, \\dots, a_n]``: part of ``latex_in``.

``(x_1, \\dots, x_d)``, ``[\\sigma'(z_1), \\dots, \\sigma'(z_m)]`` and
``\\operatorname{diag}[\\dots]`` list a vector's entries and leave the middle ones out; what they
mean is the pattern: the entries differ only in one index that runs from 1 to the last one
written. The list is read as that pattern applied to whole vectors (``x``,
``sigmoid'(z)``) — which is what the entries are when every operation between them acts entry by
entry — inside ``ast.ENTRIES`` with the last index and the varying vectors, so that the
problem (``derive.problem.settle``) checks the count against the vector's length and that every
other name between the entries is a number, and gives the list the orientation its context
needs: LaTeX writes a column's entries in a row, ``x = (x_1, \\dots, x_d)``, as often as a row's,
and ``(x_1, \\dots, x_d)^\\top``.
"""

from __future__ import annotations

from fractions import Fraction

from . import ast
from .latex_in_pending import _fail, _Marker
from .primitives import ELEMENTWISE, PRIMITIVES, canonical_function

_DOTS_HELP = (r"a list with '\dots' is read as a vector's entries, as in [x_1, x_2, \dots, x_n] "
              r"(the entries differ in one index that runs from 1)")


def is_dots(item: object) -> bool:
    return isinstance(item, _Marker) and item.kind == "dots"


def elided_vector(items: tuple, span: ast.Span) -> ast.Node:
    """``[first, (second,) \\dots, last]`` as ``ENTRIES(pattern, last index)``; a one-line error
    naming what does not fit the pattern."""
    dots = [k for k, item in enumerate(items) if is_dots(item)]
    if len(dots) != 1 or dots[0] not in (1, 2) or dots[0] != len(items) - 2:
        raise _fail(_DOTS_HELP + ": one '\\dots', after the first entry (or two) and before the last", span)
    first, last = items[0], items[-1]
    varying: dict = {}
    _compare(first, last, varying, span)
    ranges = set(varying.values())
    if len(ranges) != 1:
        raise _fail(_DOTS_HELP + (": its indices run over different ranges" if ranges else
                                  ": the first and the last entry do not differ in an index"), span)
    ((start, end),) = ranges
    if start != 1:
        raise _fail(_DOTS_HELP + f": this one starts from {start}", span)
    if dots[0] == 2:  # a second entry: the index one up, everywhere the first has it
        if items[1] != _substitute(first, varying, lambda operand: ast.Index(operand, (2,))):
            raise _fail(_DOTS_HELP + ": the second entry is not the first with the index one up", span)
    # every entry of a varying vector varies: (x_1 - x_1, ..., x_d - x_1) is no pattern over x
    if _substitute(first, varying, lambda operand: ast.Index(operand, (end,))) != last:
        raise _fail(_DOTS_HELP + ": the last entry is not the first with its index at the end", span)
    pattern = _substitute(first, varying, lambda operand: operand)
    _require_entrywise(pattern, set(varying), span)
    bound = ast.Number(Fraction(end)) if isinstance(end, int) else ast.Name(end)
    # the vectors that vary ride along: every other name between the entries must be a scalar
    return ast.Call(ast.ENTRIES, (pattern, bound, *varying), span=span)


def _compare(first: ast.Node, last: ast.Node, varying: dict, span: ast.Span) -> None:
    """Walk both entries together; an entry ``v_1`` against ``v_n`` is where the index varies."""
    if isinstance(first, ast.Index) and isinstance(last, ast.Index) and first.operand == last.operand \
            and len(first.items) == len(last.items) == 1 and first.items != last.items:
        a, b = first.items[0], last.items[0]
        if not isinstance(a, int) or not isinstance(b, (int, str)) or (isinstance(b, int) and b <= a):
            raise _fail(_DOTS_HELP + f": entry {a} to entry {b} is no range", span)
        varying[first.operand] = (a, b)
        return
    if _fields(first) != _fields(last):
        raise _fail(_DOTS_HELP + ": the first and the last entry differ in more than an index", span)
    for a, b in zip(ast.children(first), ast.children(last)):
        _compare(a, b, varying, span)


def _fields(node: ast.Node) -> tuple:
    """What of a node is not a child: its kind, operator, function, name, number, index items."""
    if isinstance(node, ast.Binary):
        return ("Binary", node.op)
    if isinstance(node, ast.Call):
        return ("Call", node.func, node.prime, tuple(k for k, _ in node.kwargs), len(node.args))
    if isinstance(node, ast.Index):
        return ("Index", node.items)
    if isinstance(node, (ast.Name, ast.Number)):
        return (node,)
    if isinstance(node, ast.Derivative):
        return ("Derivative", node.wrt)
    if isinstance(node, ast.IndexSum):
        return ("IndexSum", node.indices)
    return (type(node).__name__,)


def _substitute(node: ast.Node, varying: dict, make) -> ast.Node:
    """``node`` with each varying entry ``v_1`` replaced by ``make(v)``."""
    def change(sub: ast.Node) -> ast.Node:
        if isinstance(sub, ast.Index) and len(sub.items) == 1 and sub.operand in varying:
            return make(sub.operand)
        return sub
    return ast.rebuild(node, change)


def _require_entrywise(node: ast.Node, vectors: set, span: ast.Span) -> None:
    """Entry by entry: sums, products, quotients, powers and elementwise functions (a primitive's,
    or the problem's undeclared activation) of the vectors and of scalars; a matrix product, a
    transpose or a function of a whole array is no list of entries."""
    if node in vectors or isinstance(node, (ast.Number, ast.Name, ast.Index)):
        return
    entrywise = (isinstance(node, ast.Binary) and node.op in ("+", "-", "*", "/", "**")) or isinstance(node, ast.Neg) \
        or (isinstance(node, ast.Call) and (canonical_function(node.func) in ELEMENTWISE
                                            or canonical_function(node.func) not in PRIMITIVES))
    if not entrywise:
        raise _fail(_DOTS_HELP + ": between the entries, only operations entry by entry", span)
    for child in ast.children(node):
        _require_entrywise(child, vectors, span)
