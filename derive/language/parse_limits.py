"""What a parse may cost, for both grammars (claim.lark and latex.lark).

Student text is untrusted: its length and bracket nesting are measured before it is parsed,
the depth of the tree after, and a transformer's failures come out as derive errors (a
``ParseError`` with the caret at its column, ``TooLarge`` for a tree too deep to walk).
"""

from __future__ import annotations

import lark

from ..errors import DeriveError, ParseError, TooLarge
from ..limits import MAX_DEPTH, MAX_LENGTH, MAX_TREE_DEPTH
from . import ast


def check_limits(text: str) -> None:
    """Length and bracket nesting within the limits (shared by the claim and LaTeX grammars)."""
    if len(text) > MAX_LENGTH:
        raise TooLarge(f"the text is {len(text)} characters long; the limit is {MAX_LENGTH}")
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise TooLarge(f"the text nests brackets {deepest} deep; the limit is {MAX_DEPTH}")


def transform_checked(transformer: lark.Transformer, tree: lark.Tree, text: str) -> list[ast.Node]:
    """``transformer.transform(tree)`` with its failures as derive errors and the depth limit
    applied (shared by the claim and the LaTeX grammars)."""
    try:
        sides = transformer.transform(tree)
    except lark.exceptions.VisitError as error:
        inner = error.orig_exc
        if isinstance(inner, ParseError):
            raise ParseError(inner.headline, text, inner.column) from None
        if isinstance(inner, RecursionError):
            raise TooLarge("the expression nests too deeply") from None
        if isinstance(inner, DeriveError):  # a literal past the limits, a name the reader refuses
            raise inner from None
        raise
    except RecursionError:
        raise TooLarge("the expression nests too deeply") from None
    for side in sides:
        depth = _depth(side)
        if depth > MAX_TREE_DEPTH:
            raise TooLarge(f"the expression is {depth} operations deep; the limit is {MAX_TREE_DEPTH}")
    return sides


def _depth(node) -> int:
    """The depth of a tree, without recursion (the tree may be deep)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.children(current))
    return deepest
