"""Where a claim reads two ways, the way derive read it, said with the verdict.

``W[i,:]`` (LaTeX ``W_{i,:}``) is row i of W taken as a column vector: the seeds' ``w_i``, the
weights of unit i, which is how backpropagation texts use it (docs/language.md). Much of linear
algebra writes the same symbol for the row itself. A claim whose shapes make sense only one way
is not ambiguous; one that is well-shaped either way (or only as a row) is, and its verdict comes
with a note saying which reading was taken and how to write the other.
"""

from __future__ import annotations

from dataclasses import replace

from ..language import ast
from ..language.shapes import Scope, well_shaped
from ..language.text import to_text


def row_slice_notes(chain: ast.Chain, scope: Scope) -> list[str]:
    """One note per row slice ``W[i,:]`` whose orientation the claim's shapes do not settle."""
    notes = []
    for side in chain.sides:
        for node in ast.walk(side):
            if not _row_slice(node):
                continue
            text = to_text(node)
            as_row = _replaced(chain, node, ast.Transpose(node))
            if not well_shaped(as_row, scope):
                continue
            if well_shaped(chain, scope):
                notes.append(f"{text} is read as row {node.items[0]} of {to_text(node.operand)} taken as a column "
                             f"(docs/language.md); the claim is well-shaped with the row too: write {text}.T "
                             "where the row is meant")
            else:
                notes.append(f"{text} is row {node.items[0]} of {to_text(node.operand)} taken as a column "
                             f"(docs/language.md), so the claim is ill-shaped; as a row, written {text}.T, it "
                             "is well-shaped")
    return list(dict.fromkeys(notes))


def _row_slice(node: ast.Node) -> bool:
    return isinstance(node, ast.Index) and len(node.items) == 2 and node.items[1] is None and node.items[0] is not None


def _replaced(chain: ast.Chain, target: ast.Node, by: ast.Node) -> ast.Chain:
    """The chain with the one node ``target`` (by identity) replaced by ``by``."""
    def swap(node: ast.Node) -> ast.Node:
        if node is target:
            return by
        if not any(sub is target for sub in ast.walk(node)):
            return node
        return ast.map_children(node, swap)

    return replace(chain, sides=tuple(swap(side) for side in chain.sides))
