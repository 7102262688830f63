"""Shape statements, ``dL/dW in R^(m x d)`` and ``\\frac{\\partial L}{\\partial W} \\in
\\mathbb{R}^{m \\times d}``: the text split into the expression and the sizes it states.

The space is recognised before the grammar, at the end of the text: its sizes are separated by
``x``, ``×`` or ``,`` (``\\times`` or ``,`` in LaTeX) at the top level, so ``m_N \\times (m_N
\\times m_{N-1})`` states two sizes, the second a product. Each part is then read by the parser
of its language, the expression as any expression and each size as an expression of sizes.
"""

from __future__ import annotations

import re
from fractions import Fraction

from ..errors import ParseError
from . import ast

# what a text states after the expression: "in R^(m x d)", "∈ ℝ^{m×d}", "in R^m", "in R"
_TEXT_SPACE = re.compile(r"(?:(?<![\w.])in|∈)\s*(?:R|ℝ)\s*(?:\^\s*(?P<sizes>\(.*\)|\{.*\}|[^\s(){}]+))?\s*$",
                         re.DOTALL)
_LATEX_SPACE = re.compile(r"\\in(?![A-Za-z])\s*(?:\\mathbb\s*\{\s*R\s*\}|\\mathbf\s*\{\s*R\s*\}|\\mathbb\s*R"
                          r"|\\R(?![A-Za-z])|ℝ)\s*(?:\^\s*(?P<sizes>\{.*\}|[A-Za-z0-9]))?\s*[.,]?\s*$", re.DOTALL)
_ENVIRONMENT = re.compile(r"^\s*\\begin\s*\{\s*(aligned|split|align\*?|gathered|equation\*?)\s*\}(?P<body>.*)"
                          r"\\end\s*\{\s*\1\s*\}\s*$", re.DOTALL)
_TEXT_SEPARATOR = re.compile(r"\s+x\s+|×|,")
_LATEX_SEPARATOR = re.compile(r"\\times(?![A-Za-z])|,")


def split_statement(text: str, latex: bool = False) -> tuple[str, list[str], int] | None:
    """(the expression's text, the texts of the sizes stated, where the space starts) when ``text``
    states a shape; None otherwise. No size stated is a scalar, one a column."""
    if latex and _ENVIRONMENT.match(text):  # \begin{aligned} A \in \mathbb{R}^{m} \end{aligned}
        text = _ENVIRONMENT.match(text)["body"]
    match = (_LATEX_SPACE if latex else _TEXT_SPACE).search(text)
    if match is None:
        return None
    sizes = match["sizes"]
    if latex and sizes and re.search(r"\\\\|\\in(?![A-Za-z])|\\Rightarrow", sizes):
        return None  # several statements or equations in one text: the grammar says so
    if sizes is None:
        parts = []
    else:
        if sizes[0] in "({":
            sizes = sizes[1:-1]
        parts = _top_level_split(sizes, _LATEX_SEPARATOR if latex else _TEXT_SEPARATOR)
        if len(parts) > 2 or not all(part.strip() for part in parts):
            raise ParseError("a shape states one or two sizes, as in R^(m x d)", text, match.start())
    return text[:match.start()], parts, match.start()


def stated_sizes(sizes: list[ast.Node]) -> tuple[ast.Node, ast.Node]:
    """Rows and columns of a stated shape: none stated is a scalar (R), one a column (R^d)."""
    one = ast.Number(Fraction(1))
    return (sizes + [one, one])[:2] if sizes else (one, one)


def _top_level_split(text: str, separator: re.Pattern) -> list[str]:
    """``text`` split where ``separator`` matches outside brackets."""
    parts, depth, start, position = [], 0, 0, 0
    while position < len(text):
        char = text[position]
        if char in "({[":
            depth += 1
        elif char in ")}]":
            depth -= 1
        elif depth == 0:
            found = separator.match(text, position)
            if found and found.end() > position:
                parts.append(text[start:position])
                start = position = found.end()
                continue
        position += 1
    parts.append(text[start:])
    return parts
