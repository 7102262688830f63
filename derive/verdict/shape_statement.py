"""The verdict of a shape statement, ``dL/dW in R^(m x d)``: decided by the shape rules alone.

Shapes are computed with symbolic sizes, so a statement that holds, holds for every size; one
that fails names both shapes, and says so when the stated shape is the transpose of the true one
(the other layout, or a gradient written as its transpose).
"""

from __future__ import annotations

import time

from ..errors import ShapeError
from ..language import ast
from ..language.shapes import Scope, fmt, infer, size_value
from ..language.text import to_text
from .evidence import FAILS, HOLDS, Diagnosis, ExactEvidence, LinkVerdict


def stated_text(rows: ast.Node, cols: ast.Node) -> str:
    return f"R^({to_text(rows)} x {to_text(cols)})"


def check_statement(chain: ast.Chain, scope: Scope) -> LinkVerdict:
    """The link ``expr in R^(rows x cols)`` of a shape statement, with its verdict."""
    start = time.monotonic()
    expr, rows, cols = chain.sides
    link = LinkVerdict(left=to_text(expr), right=stated_text(rows, cols), verdict=FAILS, sides=(expr,))
    stated = tuple(size_value(node, scope) for node in (rows, cols))
    for node, value in zip((rows, cols), stated):
        if value is None or not (value.is_number or value.free_symbols):
            raise ShapeError(f"{to_text(node)}: a stated size is a number or an expression of sizes")
    try:
        actual = infer(expr, scope)
    except ShapeError as error:
        link.reason = f"{to_text(expr)} has no shape: {str(error).splitlines()[0]}"
        link.exact.append(ExactEvidence(sizes={}, outcome="shape", method="shapes", detail=link.reason))
        link.seconds = time.monotonic() - start
        return link
    if scope.same_shape(actual, stated):
        link.verdict = HOLDS
        link.reason = f"{to_text(expr)} is {fmt(actual)} for every size"
        link.generic = "proved"
        link.every_size = True
        link.derivation = [(to_text(chain), f"{link.reason}, by the shape rules")]
    else:
        link.reason = f"{to_text(expr)} is {fmt(actual)}, not {fmt(stated)}"
        link.exact.append(ExactEvidence(sizes={}, outcome="shape", method="shapes", detail=link.reason))
        if scope.same_shape(actual, stated[::-1]):
            link.diagnosis = Diagnosis("transposed", f"{fmt(stated)} is the transpose of the shape of "
                                                     f"{to_text(expr)}, {fmt(actual)} (the other layout)")
        else:
            link.diagnosis = Diagnosis("shape", link.reason)
    link.seconds = time.monotonic() - start
    return link
