"""Second derivatives (d2f/dx2, the Hessian of a scalar by a vector): read in its spellings,
evaluated by the exact oracle (differentiating the gradient) and the numeric one (central
differences of the complex-step gradient), refused where no second derivative is known."""

from __future__ import annotations

import pytest

from derive.language import ast
from derive.language.parser import parse_claim
from derive.problem.definition import problem_from_dict
from derive.verdict.check import ProblemChecker

QUADRATIC = problem_from_dict({
    "id": "quadratic", "sizes": ["n", "m"],
    "variables": {"x": "n", "A": "n x n", "W": "m x n",
                  "P": {"shape": "1 x n", "constraints": ["stochastic"]}},
    "definitions": ["f = x.T @ A @ x", "g = sum(exp(W @ x))", "y = W @ x"],
    "arbitrary": {"J": ["y"]},
})


@pytest.mark.parametrize("text", ["d2f/dx2 = A", "d²f/dx² = A", "d^2f/dx^2 = A", "d(df/dx)/dx = A"])
def test_the_spellings_of_a_second_derivative(text):
    first = ast.Derivative(ast.Name("f"), "x")
    assert parse_claim(text).sides[0] == ast.Derivative(first, "x")


@pytest.mark.parametrize("claim", ["d2f/dx2 = A + A.T", "d2g/dx2 = W.T @ diag(exp(W @ x)) @ W"])
def test_a_right_hessian_holds_with_both_oracles(claim):
    verdict = ProblemChecker(QUADRATIC).check(claim)
    assert verdict.verdict == "holds", verdict.links[0].reason
    link = verdict.links[0]
    assert all(e.outcome == "zero" for e in link.exact)
    assert link.numeric and all(n.agree and n.error < 1e-8 for n in link.numeric)


@pytest.mark.parametrize("claim, diagnosis", [
    ("d2f/dx2 = 2 * A", "symmetric-only"),
    ("d2g/dx2 = W.T @ W", None),
])
def test_a_wrong_hessian_fails_with_a_witness(claim, diagnosis):
    verdict = ProblemChecker(QUADRATIC).check(claim)
    assert verdict.verdict == "fails" and verdict.links[0].difference is not None
    if diagnosis:
        assert verdict.diagnosis.code == diagnosis


@pytest.mark.parametrize("claim, message", [
    ("d(dJ/dy)/dx = W", "J is left arbitrary: its second derivatives are unknown"),
    ("d(d(sum(P * P))/dP)/dP = 2 * eye(n)", "a second derivative is taken by a variable without constraints"),
])
def test_a_second_derivative_without_a_known_value_is_an_error(claim, message):
    verdict = ProblemChecker(QUADRATIC).check(claim)
    assert verdict.verdict in ("error", "undecided")
    assert message in (verdict.error or verdict.links[0].reason)
