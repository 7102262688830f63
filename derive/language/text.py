"""derive.ast trees back to claim-language text.

``parse_expr(to_text(node)) == node`` for every tree (a property test checks it), so the text is
a faithful name for an expression: error messages quote it, and grading groups answers by it.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache, singledispatch

from . import ast
from .claim_grammar import terminal

_SUM, _PRODUCT, _UNARY, _POWER, _POSTFIX, _ATOM = range(1, 7)
_BINARY_LEVEL = {"+": _SUM, "-": _SUM, "@": _PRODUCT, "*": _PRODUCT, "/": _PRODUCT, "**": _POWER}


def to_text(node: ast.Node | ast.Chain) -> str:
    """The claim-language text of an expression or chain."""
    if isinstance(node, ast.Chain):
        if node.kind == "in":
            expr, rows, cols = node.sides
            return f"{to_text(expr)} in R^({to_text(rows)} x {to_text(cols)})"
        return f" {node.kind} ".join(to_text(side) for side in node.sides)
    return _text(node)[0]


@lru_cache(maxsize=1)
def _derivative_token() -> re.Pattern:
    """The grammar's derivative token where a token can start (not inside a word)."""
    return re.compile(r"(?<!\w)(?:" + terminal("DERIV").pattern + ")")


def _has_derivative_token(text: str) -> bool:
    """Whether the grammar's derivative token occurs anywhere in ``text``: a division whose text
    has one gets its right side in brackets. Looking anywhere, not only across the division's
    slash, brackets more than needed (``dJ/dy @ x / (m)``) and never too few."""
    return _derivative_token().search(text) is not None


def _wrap(part: tuple[str, int], minimum: int) -> str:
    text, level = part
    return f"({text})" if level < minimum else text


@singledispatch
def _text(node) -> tuple[str, int]:
    raise TypeError(f"to_text: no rule for {type(node).__name__}")


@_text.register
def _(node: ast.Number):
    text = decimal_text(node.value)
    # a number takes parentheses before .T or [..] ("2.T" would read as the number "2.")
    return (text, _POWER) if node.value >= 0 else (text, _UNARY)


def decimal_text(value: Fraction) -> str:
    """Exact decimal text of a Fraction (the grammar's numbers are decimals)."""
    if value.denominator == 1:
        return str(value.numerator)
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        raise ValueError(f"{value} has no finite decimal form")
    places = max(twos, fives)
    scaled = abs(value.numerator) * 10**places // value.denominator
    digits = str(scaled).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


@_text.register
def _(node: ast.Name):
    return node.id, _ATOM


@_text.register
def _(node: ast.Neg):
    return "-" + _wrap(_text(node.operand), _UNARY), _UNARY


@_text.register
def _(node: ast.Binary):
    level = _BINARY_LEVEL[node.op]
    if node.op == "**":
        # right-associative, and the exponent is a unary
        return f"{_wrap(_text(node.left), _POSTFIX)}**{_wrap(_text(node.right), _UNARY)}", level
    left = _wrap(_text(node.left), level)
    right = _wrap(_text(node.right), level + 1)
    if node.op == "/" and _has_derivative_token(f"{left} / {right}"):
        right = f"({right})"  # 'dx / dy' would read as a derivative
    return f"{left} {node.op} {right}", level


@_text.register
def _(node: ast.Transpose):
    return _wrap(_text(node.operand), _POSTFIX) + ".T", _POSTFIX


def _item(item) -> str:
    return ":" if item is ast.ALL else str(item)


@_text.register
def _(node: ast.Index):
    items = ",".join(_item(i) for i in node.items)
    return f"{_wrap(_text(node.operand), _POSTFIX)}[{items}]", _POSTFIX


@_text.register
def _(node: ast.Call):
    args = [to_text(a) for a in node.args] + [f"{k}={to_text(v)}" for k, v in node.kwargs]
    space = " " if node.func in ("d", "∂") and not node.prime else ""  # 'd(' opens a derivative
    return f"{node.func}{chr(39) * node.prime}{space}({', '.join(args)})", _ATOM


@_text.register
def _(node: ast.Derivative):
    of = node.of
    if isinstance(of, ast.Name):
        return f"d{of.id}/d{node.wrt}", _POSTFIX
    if isinstance(of, ast.Index) and isinstance(of.operand, ast.Name) and all(
        isinstance(i, (str, int)) and i is not ast.ALL for i in of.items
    ):
        items = ",".join(_item(i) for i in of.items)
        return f"d{of.operand.id}[{items}]/d{node.wrt}", _POSTFIX
    return f"d({to_text(of)})/d{node.wrt}", _POSTFIX


@_text.register
def _(node: ast.IndexSum):
    names = node.indices[0] if len(node.indices) == 1 else "{" + ",".join(node.indices) + "}"
    return f"sum_{names}({to_text(node.body)})", _ATOM
