"""derive.language.latex_in_rules: the LaTeX reader has a rule for every row of the primitive
table, every spelling it registers reads as a call of that row, and a row's value (scalar,
array, or as its arguments) is the one the reader multiplies by."""

from __future__ import annotations

from fractions import Fraction

import pytest

from derive.language import ast
from derive.language.latex_in import FUNCTIONS, parse_latex_expr
from derive.language.latex_in_rules import (
    ARRAY,
    ARRAY_VALUED,
    LATEX_IN_RULES,
    SCALAR,
    SCALAR_VALUED,
    reads_as_scalar,
)
from derive.language.primitives import PRIMITIVES


def _spellings(row: str) -> list[str]:
    """Each registered spelling of ``row`` as LaTeX text: a name applied to arguments, or the
    notation's own example."""
    spelling = LATEX_IN_RULES[row]
    arguments = "(A, B)" if PRIMITIVES[row].min_args == 2 else "(A)"
    return [name + arguments for name in spelling.names] + list(spelling.notation)


SPELLINGS = [(row, latex) for row in PRIMITIVES for latex in _spellings(row)]


def test_every_row_of_the_table_has_the_latex_readers_rule():
    assert LATEX_IN_RULES.missing() == []


@pytest.mark.parametrize("row", PRIMITIVES)
def test_every_row_has_a_spelling(row):
    assert _spellings(row), f"LaTeX has no way to write {row}"


@pytest.mark.parametrize("row, latex", SPELLINGS, ids=[latex for _, latex in SPELLINGS])
def test_every_spelling_reads_as_a_call_of_its_row(row, latex):
    node = parse_latex_expr(latex)
    assert isinstance(node, ast.Call) and node.func == row, node


def test_the_function_names_are_the_words_of_the_registered_names():
    assert FUNCTIONS["tr"] == FUNCTIONS["Tr"] == FUNCTIONS["trace"] == "trace"
    assert FUNCTIONS["sigma"] == FUNCTIONS["sigmoid"] == "sigmoid"
    assert FUNCTIONS["ln"] == "log"
    assert set(FUNCTIONS.values()) <= set(PRIMITIVES)


def _call(row: str, argument: ast.Node) -> ast.Call:
    return ast.Call(row, (argument,) * PRIMITIVES[row].min_args)


@pytest.mark.parametrize("row", PRIMITIVES)
def test_a_rows_value_decides_whether_its_call_reads_as_a_scalar(row):
    value = LATEX_IN_RULES[row].value
    of_matrix, of_scalar = _call(row, ast.Name("A")), _call(row, ast.Number(Fraction(2)))
    expected = {SCALAR: (True, True), ARRAY: (False, False)}.get(value, (False, True))
    assert (reads_as_scalar(of_matrix), reads_as_scalar(of_scalar)) == expected
    assert (row in SCALAR_VALUED, row in ARRAY_VALUED) == (value == SCALAR, value == ARRAY)


def test_a_sum_along_an_axis_is_not_a_scalar():
    assert not reads_as_scalar(ast.Call("sum", (ast.Name("A"),), (("axis", ast.Number(Fraction(0))),)))
