"""The limit on powers nested in one another, checked before any oracle computes one.

Nested powers multiply their exponents: ``((2**64)*1)**64`` is 2**4096, and six such levels would
be a number of gigabytes, computed exactly. Along every path from the root, the exponents (at
least 1 each) multiply to at most MAX_EXPONENT (derive/limits.py). Part of the shape check
(derive/language/shapes.py), which asks it of every tree it types.
"""

from __future__ import annotations

from .. import limits
from ..errors import TooLarge
from . import ast
from .text import to_text


def check_nested_powers(node: ast.Node, checked: dict | None = None) -> None:
    """Raises TooLarge naming the power where the exponents along a path pass the limit.
    ``checked`` (id → subtree) holds subtrees known to be within it at power 1, and learns those
    of ``node``: the diagnosis asks about thousands of edits that share most of their subtrees."""
    if not _has_power(node):
        return
    stack = [(node, 1)]
    whole = []  # subtrees entered at power 1: once all are checked, each holds at power 1 anywhere
    while stack:
        current, power = stack.pop()
        if checked is not None and power == 1:
            if id(current) in checked:
                continue
            whole.append(current)
        if isinstance(current, ast.Binary) and current.op == "**" and isinstance(current.right, ast.Number):
            inner = power * max(1, abs(current.right.value))
            if inner > limits.MAX_EXPONENT and power > 1:
                raise TooLarge(f"{to_text(current)}: powers nested in one another raise to {inner} in all; "
                               f"the limit is {limits.MAX_EXPONENT} ({limits.DOC})")
            stack.append((current.left, inner))
            stack.append((current.right, power))
            continue
        stack.extend((child, power) for child in ast.children(current))
    if checked is not None:
        checked.update((id(each), each) for each in whole)


def _has_power(node: ast.Node) -> bool:
    """Whether a power by a number occurs in ``node``; kept with each subtree (a node is immutable,
    so it cannot go stale), since every shape asked of a tree would otherwise walk all of it."""
    known = node.__dict__.get("_has_power")
    if known is not None:
        return known
    order, stack = [], [node]
    while stack:  # children before parents: the reverse of a walk parents-first
        current = stack.pop()
        if "_has_power" not in current.__dict__:
            order.append(current)
            stack.extend(ast.children(current))
    for current in reversed(order):
        current.__dict__["_has_power"] = (
            isinstance(current, ast.Binary) and current.op == "**" and isinstance(current.right, ast.Number)
        ) or any(child.__dict__["_has_power"] for child in ast.children(current))
    return node.__dict__["_has_power"]
