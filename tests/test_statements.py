"""Shape statements (dL/dW in R^(m x d), \\frac{\\partial L}{\\partial W} \\in \\mathbb{R}^{m \\times d}):
read in text and LaTeX, decided by the shape rules for every size, a wrong one named with both
shapes (transposed when it is the other layout), bad input a one-line error."""

from __future__ import annotations

import pytest

from derive.errors import DeriveError, ParseError
from derive.language import ast
from derive.language.latex_in import parse_latex_claim
from derive.language.latex_out import to_latex
from derive.language.parser import parse_claim, parse_expr
from derive.language.text import to_text
from derive.problem.definition import latex_reading, problem_from_dict
from derive.verdict.check import ProblemChecker

PROBLEM = problem_from_dict({
    "id": "statements", "sizes": ["m", "d"],
    "variables": {"W": "m x d", "x": "d", "b": "m"},
    "definitions": ["y = W @ x + b", "h = sigmoid(y)"], "arbitrary": {"J": ["h"]},
})
DENOMINATOR = problem_from_dict({
    "id": "statements-denominator", "sizes": ["m", "d"], "layout": "denominator",
    "variables": {"W": "m x d", "x": "d"}, "definitions": ["y = W @ x"],
})


@pytest.mark.parametrize("text, sides", [
    ("dJ/dW in R^(m x d)", ("dJ/dW", "m", "d")),
    ("dJ/dW ∈ ℝ^{m×d}", ("dJ/dW", "m", "d")),
    ("dJ/dW in R^(m, d)", ("dJ/dW", "m", "d")),
    ("dJ/dy in R^m", ("dJ/dy", "m", "1")),
    ("J in R", ("J", "1", "1")),
    ("kron(x.T, eye(m)) in R^(m x m*d)", ("kron(x.T, eye(m))", "m", "m * d")),
])
def test_a_statement_reads_as_the_expression_and_two_sizes(text, sides):
    chain = parse_claim(text)
    assert chain.kind == "in" and tuple(to_text(side) for side in chain.sides) == sides
    assert parse_claim(to_text(chain)) == chain


@pytest.mark.parametrize("latex, text", [
    (r"\frac{\partial J}{\partial W} \in \mathbb{R}^{m \times d}", "dJ/dW in R^(m x d)"),
    (r"\frac{\partial J}{\partial W} \in \mathbf{R}^{m \times d}.", "dJ/dW in R^(m x d)"),
    (r"x^T \otimes I_m \in \mathbb{R}^{m \times (m \times d)}", "kron(x.T, eye(m)) in R^(m x m * d)"),
    (r"b \in \mathbb{R}^m", "b in R^(m x 1)"),
])
def test_a_latex_statement_reads_as_its_text(latex, text):
    assert parse_latex_claim(latex, **latex_reading(PROBLEM)) == parse_claim(text)


def test_an_equation_that_mentions_in_is_no_statement():
    assert parse_claim("sin(x) = x * 1").kind == "="


@pytest.mark.parametrize("text, verdict, diagnosis", [
    ("dJ/dW in R^(m x d)", "holds", None),
    ("dJ/dW in R^(d x m)", "fails", "transposed"),
    ("dh/dy in R^(m x m)", "holds", None),
    ("dh/dy in R^(m x d)", "fails", "shape"),
    ("kron(x.T, eye(m)) in R^(m x d*m)", "holds", None),
    ("kron(x.T, eye(m)) in R^(m x d)", "fails", "shape"),
    ("J in R", "holds", None),
])
def test_a_statement_is_decided_by_the_shapes_for_every_size(text, verdict, diagnosis):
    result = ProblemChecker(PROBLEM).check(text)
    assert result.verdict == verdict
    assert result.every_size == (verdict == "holds")
    assert (result.diagnosis.code if result.diagnosis else None) == diagnosis


def test_a_jacobian_statement_follows_the_layout():
    assert ProblemChecker(DENOMINATOR).check("dy/dx in R^(d x m)").verdict == "holds"
    assert ProblemChecker(DENOMINATOR).check("dy/dx in R^(m x d)").diagnosis.code == "transposed"


def test_an_ill_shaped_expression_fails_naming_the_shapes():
    result = ProblemChecker(PROBLEM).check("W @ W in R^(m x d)")
    assert result.verdict == "fails" and "inner sizes d and m differ" in result.links[0].reason


@pytest.mark.parametrize("text, message", [
    ("W in R^(m x d x d)", "a shape states one or two sizes"),
    ("W in R^(m x )", "a shape states one or two sizes"),
])
def test_a_malformed_space_is_a_parse_error(text, message):
    with pytest.raises(ParseError, match=message):
        parse_claim(text)


def test_a_stated_size_that_is_no_size_is_an_error():
    result = ProblemChecker(PROBLEM).check("W in R^(m x x)")
    assert result.verdict == "error" and "a stated size is a number or an expression of sizes" in result.error


def test_a_statement_prints_as_latex():
    chain = parse_claim("dJ/dW in R^(m x d)")
    assert to_latex(chain) == r"\frac{\partial J}{\partial W} \in \mathbb{R}^{m \times d}"
    assert to_latex(parse_claim("J in R")) == r"J \in \mathbb{R}"
    assert to_latex(parse_claim("b in R^m")) == r"b \in \mathbb{R}^{m}"


def test_a_statement_has_no_links_to_check_as_equations():
    assert parse_claim("W in R^(m x d)").links() == []
    assert isinstance(parse_expr("m * d"), ast.Binary)
    with pytest.raises(DeriveError):
        parse_claim("in R^(m x d)")
