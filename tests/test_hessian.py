"""Second derivatives (d2f/dx2, the Hessian of a scalar by a vector): read in its spellings,
evaluated by the exact oracle (differentiating the gradient) and the numeric one (central
differences of the complex-step gradient), refused where no second derivative is known."""

from __future__ import annotations

import pytest

from derive.errors import ParseError
from derive.language import ast
from derive.language.latex_in import parse_latex_claim
from derive.language.latex_out import to_latex
from derive.language.parser import parse_claim
from derive.problem.definition import ClaimSpec, problem_from_dict
from derive.verdict.check import ProblemChecker

QUADRATIC = problem_from_dict({
    "id": "quadratic", "sizes": ["n", "m"],
    "variables": {"x": "n", "A": "n x n", "W": "m x n", "t": "m",
                  "P": {"shape": "1 x n", "constraints": ["stochastic"]}},
    "definitions": ["f = x.T @ A @ x", "g = sum(exp(W @ x))", "y = W @ x",
                    "p = sigmoid(W @ x)", "L = -sum(t * log(p) + (1 - t) * log(1 - p))"],
    "arbitrary": {"J": ["y"]},
})


@pytest.mark.parametrize("text", ["d2f/dx2 = A", "d²f/dx² = A", "d^2f/dx^2 = A", "d(df/dx)/dx = A"])
def test_the_spellings_of_a_second_derivative(text):
    first = ast.Derivative(ast.Name("f"), "x")
    assert parse_claim(text).sides[0] == ast.Derivative(first, "x")


@pytest.mark.parametrize("claim", ["d2f/dx2 = A + A.T", "d2g/dx2 = W.T @ diag(exp(W @ x)) @ W",
                                   "d2L/dx2 = W.T @ diag(p * (1 - p)) @ W"])  # logistic regression's
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


@pytest.mark.parametrize("latex", [r"\frac{\partial^2 f}{\partial x^2} = A", r"\frac{\partial^2 f}{\partial x \partial x^\top} = A",
                                   r"\frac{\partial^2 f}{\partial x \, \partial x} = A"])
def test_the_latex_spellings_of_a_hessian(latex):
    assert parse_latex_claim(latex) == parse_claim("d2f/dx2 = A")


def test_a_hessian_prints_as_it_is_written_and_reads_back():
    chain = parse_claim("d2f/dx2 = A + A.T")
    assert to_latex(chain) == r"\frac{\partial^2 f}{\partial x^2} = A + A^{\top}"
    assert parse_latex_claim(to_latex(chain)) == chain


@pytest.mark.parametrize("latex", [r"\frac{\partial^2 f}{\partial x \partial y} = A", r"\frac{\partial^3 f}{\partial x^3} = A"])
def test_a_mixed_or_higher_latex_derivative_is_refused(latex):
    with pytest.raises(ParseError):
        parse_latex_claim(latex)


LEAST_SQUARES = problem_from_dict({
    "id": "least-squares", "sizes": ["m", "d"],
    "variables": {"W": "m x d", "x": "d", "V": "m x d"},
    "definitions": ["y = W @ x", "L = sum(y**2) / 2"],
})


@pytest.mark.parametrize("claim", [
    "d(dL/dW[i,j])/dW[p,q] = delta(i,p) * x[q] * x[j]",                   # the Hessian's entries
    "sum_{p,q}(d(dL/dW[i,j])/dW[p,q] * V[p,q]) = (V @ x @ x.T)[i,j]",     # a Hessian-vector product
    "d2f/dx2 = A + A.T",
])
def test_a_second_derivative_by_a_variable_is_proved_by_all_three_oracles(claim):
    problem = QUADRATIC if "f" in claim else LEAST_SQUARES
    verdict = ProblemChecker(problem).check(claim)
    assert verdict.verdict == "holds" and verdict.generic, verdict.links[0].generic
    link = verdict.links[0]
    assert all(e.outcome == "zero" for e in link.exact) and link.numeric and all(n.agree for n in link.numeric)


def test_a_wrong_hessian_vector_product_is_refuted_with_its_slip():
    verdict = ProblemChecker(LEAST_SQUARES).check("sum_{p,q}(d(dL/dW[i,j])/dW[p,q] * V[p,q]) = 2 * (V @ x @ x.T)[i,j]")
    assert verdict.verdict == "fails" and not verdict.generic
    assert verdict.diagnosis.code == "factor"


def test_a_second_derivative_of_an_arbitrary_loss_is_still_an_error():
    verdict = ProblemChecker(QUADRATIC).check("d(dJ/dy[i])/dW[k,l] = 0")
    assert verdict.verdict == "error" and "second derivatives are unknown" in verdict.error


@pytest.mark.parametrize("latex, text", [
    (r"\frac{\partial^2 L}{\partial W_{pq} \partial W_{ij}} = \delta_{ip} x_q x_j",
     "d(dL/dW[i,j])/dW[p,q] = delta(i, p) * x[q] * x[j]"),
    (r"\sum_{p,q} \frac{\partial^2 L}{\partial W_{pq} \partial W_{ij}} V_{pq} = (V x x^\top)_{ij}",
     "sum_{p,q}(d(dL/dW[i,j])/dW[p,q] * V[p,q]) = (V @ x @ x.T)[i,j]"),
])
def test_a_hessian_entry_and_a_hessian_vector_product_in_latex(latex, text):
    from derive.language.text import to_text

    chain = parse_latex_claim(latex)
    assert to_text(chain) == text
    assert ProblemChecker(LEAST_SQUARES).check(ClaimSpec(text=text, chain=chain)).verdict == "holds"
