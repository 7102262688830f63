"""Whether a claim uses a size as a number, not only as a dimension.

``(n - 1) * x`` and ``sum(ones(n))`` are values of the size ``n``; ``x + 0*ones(n)`` and
``A @ inv(A) = eye(n)`` use it only as a dimension. A claim that uses a size as a value can be
right at every size derive tries and wrong at others (``(n-2)*(n-3)*x = 0`` at n = 2, 3), so
evidence at concrete sizes never makes it hold (docs/guarantees.md).
"""

from __future__ import annotations

from ..errors import DeriveError
from ..language import ast
from ..language.primitives import CONSTANT_KIND, COUNTING, PRIMITIVES
from ..language.shapes import Scope, infer


def sizes_as_values(node: ast.Node, free: set[str], quantities: set[str], scope: Scope) -> set[str]:
    """The free sizes a claim side uses as numbers: by name (``(n - 1) * x``, ``1/m``), or counted
    by an operation on constant arrays that mixes their entries (``sum(ones(n))``,
    ``trace(inv(eye(n)))``, ``det(2*eye(n))``: values of the size with no variable in them) —
    not a size as a dimension alone (``x + 0*ones(n)``, ``A @ inv(A) = eye(n)``)."""
    if _is_constant_array(node):
        return set()
    if _counts(node, scope) and not _mentions(node, quantities):
        dimensions = _dimension_sizes(node, free)
        if dimensions:
            return dimensions
    if isinstance(node, ast.Name):
        return {node.id} & free
    found: set[str] = set()
    for child in ast.children(node):
        found |= sizes_as_values(child, free, quantities, scope)
    return found


def _counts(node, scope: Scope) -> bool:
    """An operation whose entries combine many entries of its arguments (a product over an inner
    size, not ``2 @ ones(n).T``)."""
    if isinstance(node, ast.Binary) and node.op == "@":
        try:
            return infer(node.left, scope)[1] != 1
        except DeriveError:
            return True
    return isinstance(node, ast.Call) and node.func in COUNTING


def _is_constant_array(node) -> bool:
    """ones/zeros/eye: an array built from sizes, which take them as dimensions."""
    return isinstance(node, ast.Call) and node.func in PRIMITIVES and PRIMITIVES[node.func].kind == CONSTANT_KIND


def _mentions(node, quantities: set[str]) -> bool:
    return any(isinstance(n, ast.Derivative) or (isinstance(n, ast.Name) and n.id in quantities)
               for n in ast.walk(node))


def _dimension_sizes(node, free: set[str]) -> set[str]:
    """The free sizes given as dimensions to ones/zeros/eye inside ``node``."""
    found = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Call) and _is_constant_array(n):
            # eye(d + d), ones(m*n): every size the dimension is made of
            found |= {name.id for a in n.args for name in ast.walk(a) if isinstance(name, ast.Name)} & free
    return found
