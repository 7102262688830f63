"""A matrix written by its entries, ``\\begin{bmatrix} a & b \\\\ c & d \\end{bmatrix}``: part of
``latex_in`` (the LaTeX reader).

Worked examples at small sizes write vectors and matrices entry by entry (seed 002's
``f = W g + b = \\begin{bmatrix} W_{1,1} g_1 + W_{1,2} g_2 + b_1 \\\\ \\dots \\end{bmatrix}``).
Such a literal is the sum of its entries times the unit matrices of its shape, written in the
claim language's own terms — ``a e_1 + b e_2`` for a column, with ``e_k`` the column k of the
identity, ``eye(2)[:, k]``; ``e_i e_jᵀ`` for a matrix's entry (i, j) — so that every oracle and
the index engine read it with no rule of its own, and its shape is its rows × columns. Each
cell is read as a LaTeX expression of its own. ``bmatrix``, ``pmatrix``, ``Bmatrix`` and
``matrix`` are literals; ``vmatrix`` is a determinant and is not read, nor is a matrix with
elided entries (``\\vdots``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction

from ..errors import ParseError
from . import ast
from .latex_in_source import _top_level_split

_MATRIX = re.compile(r"\\begin\s*\{\s*(?P<env>[pbB]?matrix)\s*\}(?P<body>.*?)\\end\s*\{\s*(?P=env)\s*\}", re.S)
_ELIDED = re.compile(r"\\(?:vdots|cdots|ddots|dots|ldots)(?![A-Za-z])")
_PLACEHOLDER = "mtxliteral{}"  # a name no problem uses, held in the text while the rest is parsed


def hold_matrices(text: str) -> tuple[str, dict[str, tuple[str, int]]]:
    """``text`` with each matrix literal replaced by ``\\text{mtxliteralK}`` padded to its length
    (so that later positions stay put), and each placeholder's body and position."""
    held: dict[str, tuple[str, int]] = {}

    def replace(match: re.Match) -> str:
        name = _PLACEHOLDER.format(len(held))
        held[name] = (match["body"], match.start())
        stand_in = rf"\text{{{name}}}"
        return stand_in + " " * max(0, len(match.group()) - len(stand_in))

    return (_MATRIX.sub(replace, text) if "matrix" in text else text), held


def put_back(node: ast.Node, held: dict[str, tuple[str, int]], read_cell: Callable[[str], ast.Node]) -> ast.Node:
    """``node`` with each placeholder replaced by its literal, every cell read by ``read_cell``."""
    if not held:
        return node
    literals: dict[str, ast.Node] = {}

    def change(sub: ast.Node) -> ast.Node:
        if isinstance(sub, ast.Name) and sub.id in held:
            if sub.id not in literals:
                literals[sub.id] = _literal(*held[sub.id], read_cell)
            return literals[sub.id]
        return sub

    return ast.rebuild(node, change)


def _literal(body: str, position: int, read_cell: Callable[[str], ast.Node]) -> ast.Node:
    if _ELIDED.search(body):
        raise ParseError(r"a matrix with elided entries (\vdots, \cdots) is not read: write every entry",
                         column=position)
    rows = [[cell.strip() for cell in _top_level_split(row, "&")] for row in _top_level_split(body, "\\\\")]
    rows = [row for row in rows if any(row)]
    if not rows or len({len(row) for row in rows}) != 1 or any(not cell for row in rows for cell in row):
        raise ParseError("a matrix's rows must all have the same number of entries, none empty", column=position)
    height, width = len(rows), len(rows[0])
    terms, cells = [], []
    for i, row in enumerate(rows, 1):
        for j, cell in enumerate(row, 1):
            try:
                entry = read_cell(cell)
            except ParseError as error:
                raise ParseError(f"the matrix's entry ({i}, {j}), {cell!r}: {error.headline}",
                                 column=position) from None
            cells.append(entry)
            if entry == ast.Number(Fraction(0)):
                continue
            terms.append(ast.Binary("*", entry, _unit(height, width, i, j)))
    if not terms:
        return ast.Call("zeros", (ast.Number(Fraction(height)), ast.Number(Fraction(width))))
    total = terms[0]
    for term in terms[1:]:
        total = ast.Binary("+", total, term)
    return ast.Call(ast.MATRIX, (total, *cells))  # its entries checked to be numbers (problem.settle)


def _unit(height: int, width: int, i: int, j: int) -> ast.Node:
    """The unit matrix of ``height`` × ``width`` with a 1 at (i, j): ``e_i``, ``e_jᵀ`` or ``e_i e_jᵀ``."""
    def column(size: int, k: int) -> ast.Node:
        return ast.Index(ast.Call("eye", (ast.Number(Fraction(size)),)), (ast.ALL, k))

    if width == 1:
        return column(height, i)
    if height == 1:
        return ast.Transpose(column(width, j))
    return ast.Binary("@", column(height, i), ast.Transpose(column(width, j)))
