"""Orders between a problem's sizes, ``size_order = ["k < n"]``: the sizes every check picks obey them.

A tall n×k matrix X (k < n) has an invertible XᵀX; at sizes where k > n the claim
``d log det(XᵀX)/dX = 2 X inv(XᵀX)`` is about a singular matrix and cannot be checked. The order
is kept by the one place that turns chosen values into sizes (``Problem.sizes_from``): the
values chosen are the same, put on the sizes so that the orders hold, so that every chooser
(the exact oracle's small distinct sizes, the numeric oracle's, the fresh draws, the diagnosis's
tables) keeps its own guarantees. Proofs for every size are unaffected: they hold for all sizes.
"""

from __future__ import annotations

import re

from ..errors import ProblemError

_RELATION = re.compile(r"\s*(<=|>=|<|>|≤|≥)\s*")
_FLIPPED = {">": "<", ">=": "<=", "≥": "<=", "<": "<", "<=": "<=", "≤": "<="}


def parse_orders(texts: list[str], free: list[str], fixed: dict, where: str) -> tuple[tuple[str, str, bool], ...]:
    """Each text ``a < b <= c`` as pairs (smaller, larger, strict), checked: sizes of the problem,
    free (a fixed size has its value), and no cycle."""
    pairs = []
    for number, text in enumerate(texts, 1):
        place = f"{where}: size_order[{number}]"
        parts = _RELATION.split(text.strip())
        if len(parts) < 3 or len(parts) % 2 == 0:
            raise ProblemError(f"{place}: write an order of sizes such as 'k < n' or 'k <= m < n', not {text!r}")
        names, relations = parts[::2], parts[1::2]
        for name in names:
            if name in fixed:
                raise ProblemError(f"{place}: {name} is fixed at {fixed[name]}: an order is between free sizes")
            if name not in free:
                raise ProblemError(f"{place}: {name!r} is not a size of the problem (sizes: {', '.join(free)})")
        for left, relation, right in zip(names, relations, names[1:]):
            smaller, larger = (left, right) if relation in ("<", "<=", "≤") else (right, left)
            pairs.append((smaller, larger, _FLIPPED[relation] == "<"))
    _check_acyclic(pairs, where)
    return tuple(pairs)


def _check_acyclic(pairs: list[tuple[str, str, bool]], where: str) -> None:
    larger: dict[str, set[str]] = {}
    for small, large, _ in pairs:
        larger.setdefault(small, set()).add(large)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in larger.get(start, ()))

    for small, large, _ in pairs:
        if reaches(large, small, {large}):
            raise ProblemError(f"{where}: size_order: {small} and {large} are each below the other")


def ordered(sizes: dict[str, int], orders: tuple[tuple[str, str, bool], ...]) -> dict[str, int]:
    """``sizes`` with the values of the ordered sizes dealt out again so that every order holds:
    the same values, the smallest first, each to the size with the smallest value of those whose
    smaller sizes have theirs (a topological order that keeps the given one where it can)."""
    if not orders or holds(sizes, orders):
        return sizes
    involved = {name for a, b, _ in orders for name in (a, b)}
    below = {name: {a for a, b, _ in orders if b == name} for name in involved}
    values = sorted(sizes[name] for name in involved)
    out, done = dict(sizes), set()
    for value in values:
        ready = [name for name in involved - done if below[name] <= done]
        name = min(ready, key=lambda n: (sizes[n], n))
        out[name] = value
        done.add(name)
    return out


def holds(sizes: dict[str, int], orders: tuple[tuple[str, str, bool], ...]) -> bool:
    return all(sizes[a] < sizes[b] if strict else sizes[a] <= sizes[b] for a, b, strict in orders)
