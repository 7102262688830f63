"""LaTeX as students write it, to the same derive.ast trees as the claim language.

The grammar file ``latex.lark`` defines what is accepted; this module loads it (LALR, linear in
the length of the text) and its transformer maps each alias to AST nodes. ``parse_latex_expr``
and ``parse_latex_claim`` return exactly what ``parser.parse_expr`` and ``parser.parse_claim``
return for the equivalent claim-language text. Nothing here evaluates the text: no ``eval``, no
SymPy parser; the limits of ``parse_limits`` apply, as to the claim language.

LaTeX leaves some readings to context, and the module decides them by stated rules (the full list
is docs/latex.md):

* a product written by juxtaposition, ``\\cdot`` or ``\\times`` is the matrix product ``@``, or the
  scalar product ``*`` when one side is known to be a scalar (a number, an entry ``X_{mn}``, a
  Kronecker delta, a trace, a name in ``scalars``...): derive's ``@`` demands matching inner
  sizes, so ``2 W`` must become ``2 * W``;
* ``X_{mj}`` is the entry (m, j): each letter of a subscript is one index, a run of digits one
  integer; ``x^{(4)}`` is the name ``x4`` (a label, not a power);
* ``names`` maps LaTeX spellings to variable names (``{"W^{(1)}": "W1", "x_{N-1}": "xNm1"}``) and
  wins over every rule above; ``functions`` names the undefined functions (``h``) that a
  parenthesis after them applies.

The reader is this module and its parts, one responsibility each: ``latex_in_rules`` (how LaTeX
writes each primitive, registered per row of the primitive table, and ``reads_as_scalar``),
``latex_in_source`` (the text before parsing, and the words of a syntax error),
``latex_in_transform`` (the grammar's trees to AST nodes) with its parts ``latex_in_names``
(names) and ``latex_in_scripts`` (sub- and superscripts), and ``latex_in_pending`` (readings not
yet settled). What other modules use is importable from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

import lark

from ..errors import ParseError, TooLarge
from . import ast
from .lalr import lalr_parser
from .latex_in_matrices import hold_matrices, put_back
from .latex_in_names import latex_key
from .latex_in_rules import FUNCTIONS, LATEX_IN_RULES, reads_as_scalar
from .latex_in_source import _STARTS, _drop_step_marks, _expected, _pair_bars, _read_cases, _unexpected
from .latex_in_transform import _ToAst
from .parse_limits import check_limits, transform_checked
from .primitives import PRIMITIVES
from .statements import split_statement, stated_sizes

__all__ = ["FUNCTIONS", "LATEX_IN_RULES", "latex_key", "parse_latex_claim", "parse_latex_expr",
           "parse_latex_sides", "reads_as_scalar"]


@lru_cache(maxsize=1)
def _parser() -> lark.Lark:
    parser = lalr_parser("latex.lark")
    _check_function_names(parser)
    return parser


def _check_function_names(parser: lark.Lark) -> None:
    """Every name a primitive registers (latex_in_rules) is one the grammar's FUNC terminal reads:
    a row added to the table with its LaTeX names but not to latex.lark fails here, at once."""
    func = re.compile(parser.get_terminal("FUNC").pattern.to_regexp())
    unread = [name for row in PRIMITIVES for name in LATEX_IN_RULES[row].names if not func.fullmatch(name)]
    if unread:
        raise LookupError(f"latex.lark's FUNC does not read {', '.join(unread)}, which latex_in_rules "
                          "registers: add each to FUNC")


def _parse(text: str, names, functions, scalars, quantities=()) -> list[ast.Node]:
    try:
        return _parse_held(text, names, functions, scalars, quantities)
    except ParseError as error:  # a matrix held while the rest was read is named as the writer wrote it
        if "\\text{mtxliteral" not in error.headline:
            raise
        headline = re.sub(r"\\text\{mtxliteral\d+\}", r"\\begin{bmatrix}…\\end{bmatrix}", error.headline)
        raise ParseError(headline, re.sub(r"\s", " ", text), error.column) from None


def _parse_held(text: str, names, functions, scalars, quantities) -> list[ast.Node]:
    check_limits(text)
    shown = re.sub(r"\s", " ", text)  # the caret line is one line
    source, matrices = hold_matrices(text)
    source = _pair_bars(_drop_step_marks(_read_cases(source)))
    try:
        tree = _parser().parse(source)
    except lark.UnexpectedCharacters as error:
        raise ParseError(_unexpected(source, error.pos_in_stream), shown, error.pos_in_stream) from None
    except lark.UnexpectedToken as error:
        token = error.token
        if token.type == "$END":
            position, found = len(text), "the text ends"
        elif re.search(r"\\\\[\s&]*$", source[:token.start_pos]):
            position = token.start_pos
            found = "a new equation starts after '\\\\': give one equation (or one chain) at a time"
        elif token.type == "DOTS":  # an elision outside a list of entries: what it leaves out
            position, found = token.start_pos, _unexpected(source, token.start_pos)
        elif token.type in _STARTS and re.search(r"[,.]\s*$", source[:token.start_pos]):
            position = token.start_pos
            found = "a new formula starts after the punctuation: give one formula at a time"
        else:
            position, found = token.start_pos, f"unexpected '{token}'"
        expected = _expected(set(error.expected))
        generic = found.startswith(("unexpected", "the text ends"))
        hint = f" (expected {expected})" if expected and generic else ""
        raise ParseError(f"{found}{hint}", shown, position) from None
    except lark.UnexpectedEOF:
        raise ParseError("the text ends too early", shown, len(text)) from None
    except RecursionError:
        raise TooLarge("the expression nests too deeply") from None
    transformer = _ToAst(source, dict(names or {}), set(functions), set(scalars), set(quantities))
    nodes = transform_checked(transformer, tree, shown)
    if matrices:  # each matrix literal read cell by cell (latex_in_matrices)
        def cell(text: str) -> ast.Node:
            return parse_latex_expr(text, names, functions=functions, scalars=scalars, quantities=quantities)
        try:
            for k, node in enumerate(nodes):
                nodes[k] = put_back(node, matrices, cell)
        except ParseError as error:  # a cell's own error, shown under the whole formula
            raise ParseError(error.headline, shown, error.column) from None
    return nodes


def _check_names(names) -> None:
    for latex, name in (names or {}).items():
        if not (isinstance(name, str) and name.isidentifier()):
            raise ValueError(f"names[{latex!r}] = {name!r} is not a variable name")


def parse_latex_expr(text: str, names: Mapping[str, str] | None = None, *,
                     functions: Iterable[str] = (), scalars: Iterable[str] = (),
                     quantities: Iterable[str] = ()) -> ast.Node:
    """One LaTeX expression, e.g. ``W^\\top \\frac{\\partial J}{\\partial y}``.

    ``names`` maps LaTeX spellings to variable names (``{"W^{(1)}": "W1"}``); ``functions``
    lists the undefined functions a parenthesis applies (``h`` in ``h(X)``); ``scalars`` lists
    names known to be scalars (sizes, scalar variables), so that ``\\eta W`` is ``eta * W``;
    ``quantities`` lists every name of the problem (variables, definitions, losses, sizes): a
    reader that knows them reads ``yhat`` and ``d_k`` as the quantities ``yhat`` and ``dk``, and
    refuses a run of letters or an accented letter (``\\hat{y}``) that names none.
    """
    _check_names(names)
    sides = _parse(text, names, functions, scalars, quantities)
    if len(sides) != 1:
        raise ParseError("expected one expression, found an equation", re.sub(r"\s", " ", text),
                         text.find("="))
    return sides[0]


def parse_latex_sides(text: str, names: Mapping[str, str] | None = None, *,
                      functions: Iterable[str] = (), scalars: Iterable[str] = (),
                      quantities: Iterable[str] = ()) -> ast.Chain:
    """A LaTeX expression or chain, as the sides of a chain (one side for an expression)."""
    _check_names(names)
    return ast.Chain(tuple(_parse(text, names, functions, scalars, quantities)), text=text)


def parse_latex_claim(text: str, names: Mapping[str, str] | None = None, *,
                      functions: Iterable[str] = (), scalars: Iterable[str] = (),
                      quantities: Iterable[str] = ()) -> ast.Chain:
    """A LaTeX equation or chain ``A = B = C`` (also as ``\\begin{aligned} A &= B \\\\ &= C
    \\end{aligned}``), every link of which must hold. Arguments as for ``parse_latex_expr``."""
    _check_names(names)
    statement = split_statement(text, latex=True)
    if statement is not None:
        expr_text, sizes, _ = statement
        expr = parse_latex_expr(expr_text, names, functions=functions, scalars=scalars, quantities=quantities)
        stated = [parse_latex_expr(size, names, scalars=scalars, quantities=quantities) for size in sizes]
        return ast.Chain((expr, *stated_sizes(stated)), text=text, kind="in")
    sides = _parse(text, names, functions, scalars, quantities)
    if len(sides) < 2:
        raise ParseError("a claim needs '=' between two sides", re.sub(r"\s", " ", text), len(text))
    return ast.Chain(tuple(sides), text=text, kind=":=" if isinstance(sides, ast.UpdateSides) else "=")
