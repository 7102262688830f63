"""Readings of LaTeX not yet settled: part of ``latex_in`` (the LaTeX reader).

LaTeX leaves some readings to context, so the transformer (``latex_in_transform``) builds the tree
bottom-up with intermediate objects — ``_Juxt``, ``_Mark``, ``_Op``... — that become AST nodes
only when a parent needs one: a fraction can then see that its numerator starts with
``\\partial``. This module holds those objects, what each says when it is left unsettled, and the
small helpers on spans and factors the reader's modules share.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ParseError
from . import ast


@dataclass(frozen=True)
class _Mark:
    """``\\partial`` or a bare ``d``: the start of a derivative, or (for ``d``) the name d."""

    kind: str  # "∂" or "d"
    span: ast.Span
    order: int = 1  # \partial^2: a second derivative


@dataclass(frozen=True)
class _Juxt:
    """Factors written side by side; ``_MINUS`` in front negates the first."""

    factors: tuple


@dataclass(frozen=True)
class _Group:
    """``(a)`` or ``(a, b)``: a parenthesis, kept to tell a call or a label ``x^{(4)}``."""

    items: tuple[ast.Node, ...]
    span: ast.Span


@dataclass(frozen=True)
class _Args:
    """A brace with commas, ``_{m,n}``."""

    items: tuple
    span: ast.Span


@dataclass(frozen=True)
class _Bound:
    """``_{r=1}`` under a sum: the index r (the bound is ignored)."""

    index: str
    span: ast.Span


@dataclass(frozen=True)
class _Op:
    """``\\frac{\\partial}{\\partial X_{ij}}``: differentiates what follows it in the term;
    ``\\nabla_W`` (``one``) differentiates the one factor after it, as ``\\log`` takes one."""

    wrt: str
    items: tuple
    span: ast.Span
    one: bool = False


@dataclass(frozen=True)
class _Marker:
    """A token that only means something in one place: ``\\top``, ``:``, ``\\mathbf{1}``, ``h'``."""

    kind: str
    span: ast.Span
    name: str = ""
    primes: int = 0


_MINUS = _Marker("minus", None)

_MARKER_ERRORS = {
    "top": r"'\top' belongs in a superscript, as in W^\top",
    "colon": "':' belongs in a subscript, as in W_{i,:}",
    "ones": r"\mathbf{1} needs its size: write \mathbf{1}_{S} (a column of S ones), or "
            r"\mathbf{1}^\top A (A's column sums) or A \mathbf{1} (its row sums)",
    "ones_row": r"\mathbf{1}^\top needs a matrix after it (its column sums), or a size: "
                r"\mathbf{1}_{S}^\top",
    "zeros": r"\mathbf{0} needs its size: write \mathbf{0}_{S}",
    "primed": "{name}' is a function's derivative: apply it, as in {name}'(X)",
    "nabla": r"\nabla needs the variable it differentiates by as a subscript: \nabla_W J",
    "minus": "a minus sign with nothing after it",
}


def _span(meta_or_token) -> ast.Span:
    start = getattr(meta_or_token, "start_pos", None)
    end = getattr(meta_or_token, "end_pos", None)
    return None if start is None else (start, end)


def _fail(message: str, span: ast.Span) -> ParseError:
    return ParseError(message, column=span[0] if span else None)


def _factors(item) -> list:
    return list(item.factors) if isinstance(item, _Juxt) else [item]


def _marks_match(upper: list, lower: list) -> bool:
    return bool(upper and lower) and isinstance(upper[0], _Mark) and isinstance(lower[0], _Mark) \
        and upper[0].kind == lower[0].kind


def _derivative(of: ast.Node, wrt: str, items: tuple, span: ast.Span) -> ast.Node:
    node = ast.Derivative(of, wrt, span=span)
    return ast.Index(node, items, span=span) if items else node


def _negate(node: ast.Node) -> ast.Node:
    if isinstance(node, ast.Number):
        return ast.Number(-node.value, span=node.span)
    return ast.Neg(node, span=node.span)


def _join(first, last) -> ast.Span:
    a, b = getattr(first, "span", None), getattr(last, "span", None)
    return (a[0], b[1]) if a and b else a or b
