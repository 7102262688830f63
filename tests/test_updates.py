"""Gradient-descent steps as written (W := W - eta * G, W_{t+1} \\leftarrow W_t - \\eta G): read as
the gradient claim they make, checked and diagnosed as one; a step that cannot be read so is a
one-line error naming what is wrong."""

from __future__ import annotations

import pytest

from derive.errors import DeriveError, ParseError, ProblemError
from derive.language import ast
from derive.language.latex_in import parse_latex_claim
from derive.language.parser import parse_claim, parse_definition
from derive.language.text import to_text
from derive.problem.definition import latex_reading, problem_from_dict
from derive.problem.updates import as_gradient_claim
from derive.verdict.check import ProblemChecker

MSE = problem_from_dict({
    "id": "mse-step", "sizes": ["m", "d", "S"],
    "variables": {"W": "m x d", "X": "d x S", "T": "m x S", "lam": "scalar"},
    "definitions": ["R = W @ X - T", "L = sum(R**2) / (2*S) + lam / 2 * sum(W**2)"],
})
DECLARED_RATE = problem_from_dict({
    "id": "declared-rate", "sizes": ["m", "d"],
    "variables": {"W": "m x d", "x": "d", "eta": "scalar"},
    "definitions": ["y = W @ x"], "arbitrary": {"J": ["y"]},
})
TWO_LOSSES = problem_from_dict({
    "id": "two-losses", "sizes": ["m", "d"],
    "variables": {"W": "m x d", "x": "d"},
    "definitions": ["y = W @ x"], "arbitrary": {"J": ["y"], "K": ["y"]},
})


@pytest.mark.parametrize("text", ["W := W - eta * G", "W <- W - eta * G", "W ← W - eta * G"])
def test_a_step_parses_as_its_two_sides(text):
    chain = parse_claim(text)
    assert chain.kind == ":=" and chain.sides[0] == ast.Name("W") and to_text(chain) == "W := W - eta * G"


def test_a_step_is_not_a_definition():
    with pytest.raises(ParseError, match="a definition has the form 'name = expression'"):
        parse_definition("W := 2 * x")


@pytest.mark.parametrize("step, gradient", [
    ("W := W - eta * R @ X.T / S - eta * lam * W", "dL/dW = R @ X.T / S + lam * W"),
    ("W := W - eta / S * R @ X.T", "dL/dW = 1 / S * R @ X.T"),
    ("W := W - 2 * eta * R @ X.T", "dL/dW = 2 * R @ X.T"),
    ("W := W + lr * R @ X.T", "dL/dW = -(R @ X.T)"),
    ("W := -eta * W * lam + W", "dL/dW = W * lam"),
])
def test_a_step_reads_as_the_gradient_claim_it_makes(step, gradient):
    chain = as_gradient_claim(MSE, parse_claim(step))
    assert chain.kind == "=" and to_text(chain) == gradient and chain.text == step


@pytest.mark.parametrize("step, verdict, diagnosis", [
    ("W := W - eta * R @ X.T / S - eta * lam * W", "holds", None),
    ("W := W - eta * (R @ X.T / S + lam * W)", "holds", None),
    ("W := W - eta * R @ X.T / S", "fails", "unknown"),  # the weight decay forgotten
    ("W := W + eta * (R @ X.T / S + lam * W)", "fails", "sign"),
    ("W := W - 2 * eta * (R @ X.T / S + lam * W)", "fails", "factor"),
])
def test_a_step_is_checked_and_diagnosed_as_its_gradient(step, verdict, diagnosis):
    result = ProblemChecker(MSE).check(step)
    assert result.verdict == verdict and result.claim == step
    assert (result.links[0].diagnosis.code if result.links[0].diagnosis else None) == diagnosis


def test_a_declared_scalar_in_every_term_is_the_step_size():
    result = ProblemChecker(DECLARED_RATE).check("W := W - eta * dJ/dy @ x.T")
    assert result.verdict == "holds" and result.generic


@pytest.mark.parametrize("step, message", [
    ("W := W - R @ X.T", "a step has one step size, a name the problem does not declare"),
    ("W := W - eta * R @ X.T - lr * W", "found eta, lr"),
    ("W := W - eta * eta * R @ X.T", "each term of the step is the step size eta times a part of the gradient"),
    ("W := W - exp(eta) * R @ X.T", "each term of the step is the step size eta times a part of the gradient"),
    ("W := 2 * W - eta * R @ X.T", "a step starts from the variable it updates"),
    ("R := R - eta * R", "a step updates a variable of the problem"),
])
def test_a_step_that_cannot_be_read_is_a_one_line_error(step, message):
    with pytest.raises(ProblemError, match=message):
        as_gradient_claim(MSE, parse_claim(step))
    assert ProblemChecker(MSE).check(step).verdict == "error"


def test_a_step_needs_one_loss():
    with pytest.raises(ProblemError, match="it has J, K: write the gradient claim instead"):
        as_gradient_claim(TWO_LOSSES, parse_claim("W := W - eta * dJ/dy @ x.T"))


@pytest.mark.parametrize("latex", [
    r"W_{t+1} \leftarrow W_t - \eta \frac{\partial L}{\partial W}",
    r"W^{(t+1)} \gets W^{(t)} - \eta \frac{\partial L}{\partial W}",
    r"W := W - \eta \frac{\partial L}{\partial W}.",
])
def test_a_latex_step_drops_the_marks_of_its_steps(latex):
    chain = parse_latex_claim(latex, **latex_reading(MSE))
    assert chain.kind == ":=" and chain.sides[0] == ast.Name("W")
    assert ProblemChecker(MSE).check(to_text(chain)).verdict == "holds"


def test_a_summed_index_is_not_a_step():
    """W_{k+1} with k summed over: the k is an index, so the subscript stays and is refused."""
    with pytest.raises(DeriveError, match="is not a list of indices"):
        parse_latex_claim(r"W_{k+1} \gets W_k - \eta \sum_k g_k", **latex_reading(MSE))
