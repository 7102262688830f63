"""What LaTeX leaves to its context, settled by the problem (derive/problem/settle.py): an unsized
\\mathbf{1}, f(\\cdot), and f'(z) written as a diagonal Jacobian; each read as docs/latex.md says,
checked, and refused with a one-line error where the problem does not settle it."""

from __future__ import annotations

import pytest

from derive.errors import DeriveError, ParseError
from derive.grading.reading import read_sides
from derive.language.parser import parse_claim
from derive.language.text import to_text
from derive.problem.definition import ClaimSpec, problem_from_dict
from derive.problem.reading import read_latex
from derive.verdict.check import ProblemChecker

BATCH = problem_from_dict({
    "id": "batch", "sizes": ["m", "d", "S"],
    "variables": {"W": "m x d", "X": "S x d", "b": "m", "x": "d", "v": "m"},
    "definitions": ["Y = X @ W.T + ones(S) @ b.T", "z = W @ x + b", "h = tanh(z)", "H = tanh(Y)"],
    "arbitrary": {"L": ["Y"], "J": ["h"]},
})
SIGMOID = problem_from_dict({
    "id": "sigmoid", "sizes": ["n", "d"],
    "variables": {"W": "n x d", "x": "d", "y": "n"},
    "definitions": ["z = W @ x", "a = sigmoid(z)", "E = sum((a - y)**2) / 2"],
})


def _text(latex: str, problem=BATCH) -> str:
    return to_text(read_latex(latex, problem))


def _verdict(latex: str, problem=BATCH) -> str:
    chain = read_latex(latex, problem)
    return ProblemChecker(problem).check(ClaimSpec(text=to_text(chain), chain=chain)).verdict


@pytest.mark.parametrize("latex, text", [
    # before a matrix: a row as long as the matrix is tall (its column sums)
    (r"\frac{\partial L}{\partial b} = \mathbf{1} \frac{\partial L}{\partial Y}", "dL/db = ones(S).T @ dL/dY"),
    # beside a row vector (an outer product): as tall as what it is added to
    (r"Y = X W^\top + \mathbf{1} b^\top", "Y = X @ W.T + ones(S) @ b.T"),
    (r"Y = \mathbf{1} b^\top + X W^\top", "Y = ones(S) @ b.T + X @ W.T"),
    # ... or equated with
    (r"X W^\top + \mathbf{1} b^\top = Y", "X @ W.T + ones(S) @ b.T = Y"),
    # after a vector: a row as long as the other side is wide
    (r"Z = W X^\top + b \mathbf{1}^\top", "Z = W @ X.T + b @ ones(S).T"),
])
def test_an_unsized_ones_takes_the_size_its_product_needs(latex, text):
    assert _text(latex) == text


def test_the_settled_ones_are_checked_like_any_claim():
    assert _verdict(r"\frac{\partial L}{\partial b} = (\mathbf{1} \frac{\partial L}{\partial Y})^\top") == "holds"
    assert _verdict(r"\frac{\partial L}{\partial b} = \frac{\partial L}{\partial Y}^\top \mathbf{1}") == "holds"
    assert _verdict(r"Y = X W^\top + \mathbf{1} b^\top") == "holds"
    assert _verdict(r"Y = X W^\top + \mathbf{1} b^\top + \mathbf{1} b^\top") == "fails"


def test_an_unsized_ones_nothing_sizes_is_a_one_line_error():
    with pytest.raises(ParseError) as info:
        read_latex(r"\mathbf{1} b^\top", BATCH, claim=False)
    assert r"\mathbf{1} needs its size" in info.value.headline
    assert "\n" not in info.value.headline
    for alone in (r"\mathbf{1}", r"\mathbf{1}^\top", r"b^\top \mathbf{1}^\top"):
        with pytest.raises(ParseError, match=r"\\mathbf\{1\} needs its size"):
            read_latex(alone, BATCH, claim=False)


@pytest.mark.parametrize("latex, text", [
    (r"\frac{\partial J}{\partial z} = \frac{\partial J}{\partial h} \odot (1 - \tanh^{2}(\cdot))",
     "dJ/dz = dJ/dh * (1 - tanh(z)**2)"),
    (r"\frac{\partial J}{\partial z} = \frac{\partial J}{\partial h} \odot \tanh'(\cdot)", "dJ/dz = dJ/dh * tanh'(z)"),
    (r"\frac{\partial J}{\partial z} = \frac{\partial J}{\partial h} \odot \tanh'( \, \cdot \, )",
     "dJ/dz = dJ/dh * tanh'(z)"),
])
def test_a_placeholder_is_the_argument_the_definitions_give(latex, text):
    assert _text(latex) == text
    assert _verdict(latex) == "holds"


def test_a_placeholder_takes_a_wrong_claim_as_written():
    assert _verdict(r"\frac{\partial J}{\partial z} = \frac{\partial J}{\partial h} \odot (1 - \tanh(\cdot))^2") \
        == "fails"


def test_a_placeholder_the_problem_does_not_settle_is_a_one_line_error():
    with pytest.raises(ParseError, match=r"tanh is applied to 2 arguments here and the formula names none of them alone; write its argument"):
        read_latex(r"A = 1 - \tanh^{2}(\cdot)", BATCH, claim=False)  # tanh(z) and tanh(Y): which?
    with pytest.raises(ParseError, match=r"exp is applied to nothing in the problem"):
        read_latex(r"\frac{\partial J}{\partial z} = \exp(\cdot)", BATCH)


@pytest.mark.parametrize("latex, text, verdict", [
    # sigma'(z)(a - y): the diagonal Jacobian in front of a vector
    (r"\frac{\partial E}{\partial z} = \sigma'(z)(a - y)", "dE/dz = sigmoid'(z) * (a - y)", "holds"),
    (r"\frac{\partial E}{\partial z} = \sigma'(z) \cdot (a - y)", "dE/dz = sigmoid'(z) * (a - y)", "holds"),
    # ... after a matrix: W^T diag(sigma'(z)) (a - y)
    (r"\frac{\partial E}{\partial x} = W^\top \sigma'(z)(a - y)", "dE/dx = W.T @ (sigmoid'(z) * (a - y))", "holds"),
    # ... and a wrong claim so written stays wrong
    (r"\frac{\partial E}{\partial z} = \sigma'(z)(y - a)", "dE/dz = sigmoid'(z) * (y - a)", "fails"),
    # a well-shaped product is never read again: an outer product stays one
    (r"\frac{\partial E}{\partial W} = \sigma'(z)(a - y)^\top x", "dE/dW = sigmoid'(z) @ (a - y).T @ x", None),
])
def test_a_derivative_in_front_of_a_vector_is_a_diagonal_jacobian(latex, text, verdict):
    assert _text(latex, SIGMOID) == text
    if verdict:
        assert _verdict(latex, SIGMOID) == verdict


def test_a_scalar_side_by_side_with_a_matrix_is_the_scalar_product():
    assert _text(r"\frac{\partial E}{\partial W} = (a - y)^\top (a - y) W", SIGMOID) \
        == "dE/dW = (a - y).T @ (a - y) * W"
    assert _verdict(r"\frac{\partial E}{\partial W} = ((a - y)^\top (a - y)) W", SIGMOID) == "fails"


def test_the_claim_language_is_not_settled():
    """Settling reads LaTeX, where a product is a product; the claim language's @ is taken as written."""
    chain = parse_claim("dE/dz = sigmoid'(z) @ (a - y)")
    verdict = ProblemChecker(SIGMOID).check(ClaimSpec(text=to_text(chain), chain=chain))
    assert verdict.verdict == "fails"


def test_every_reader_of_latex_settles():
    """grading's answers and annotate's statements are read through read_latex too."""
    sides = read_sides(r"$\sigma'(z)(a - y)$", SIGMOID)
    assert to_text(sides[0]) == "sigmoid'(z) * (a - y)"
    with pytest.raises(DeriveError):
        read_sides(r"$\mathbf{1} x^\top$", SIGMOID)


@pytest.mark.parametrize("latex, text", [
    (r"x = (x_1, \dots, x_d)^\top", "x = x"),
    (r"x = [x_1, x_2, \ldots, x_d]", "x = x"),
    (r"x^\top = (x_1, \cdots, x_d)", "x.T = x.T"),
    (r"a = [\sigma(z_1), \dots, \sigma(z_n)]", "a = sigmoid(z)"),
    (r"z = [(W x)_1, \dots, (W x)_n]", "z = W @ x"),
    (r"z = W (x_1, \dots, x_d)", "z = W @ x"),
    (r"z^\top = (x_1, \dots, x_d) W^\top", "z.T = x.T @ W.T"),  # before a tall factor: a row
    (r"\frac{\partial a}{\partial z} = \operatorname{diag}[\sigma'(z_1), \sigma'(z_2), \dots, \sigma'(z_n)]",
     "da/dz = diag(sigmoid'(z))"),
])
def test_a_vector_by_its_entries_is_its_pattern_over_whole_vectors(latex, text):
    assert _text(latex, SIGMOID) == text
    assert _verdict(latex, SIGMOID) == "holds"


def test_a_wrong_claim_by_entries_stays_wrong():
    assert _verdict(r"\frac{\partial a}{\partial z} = \operatorname{diag}[\sigma(z_1), \dots, \sigma(z_n)]",
                    SIGMOID) == "fails"


@pytest.mark.parametrize("latex, message", [
    (r"x = (x_1, \dots, x_n)", "the list has n entries, and x has d"),  # the count is no length of x
    (r"y = [y_1, \dots, y_k]", "the list's last entry is number k, which is no size of the problem"),
    (r"z = [W x_1, \dots, W x_d]", "the list's entries use W, which is no number"),
    (r"0 x = (x_1 - x_1, \dots, x_d - x_1)", "the last entry is not the first with its index at the end"),
    (r"a + y = (a_1 + y, \dots, a_n + y)", "the list's entries use y, which is no number"),
])
def test_a_list_the_problem_refuses_is_a_one_line_error(latex, message):
    with pytest.raises(ParseError, match=message):
        read_latex(latex, SIGMOID)


@pytest.mark.parametrize("latex, text", [
    (r"2 x = (2 x_1, \dots, 2 x_d)", "2 * x = 2 * x"),  # a number between the entries
    (r"(x^\top x) x = (x^\top x)(x_1, \dots, x_d)", "x.T @ x * x = x.T @ x * x"),  # a list beside a scalar
    (r"2 x^\top = 2 \cdot (x_1, \dots, x_d)", "2 * x.T = 2 * x.T"),  # a scalar factor sizes nothing
])
def test_a_list_beside_a_number_is_read_as_written(latex, text):
    assert _text(latex, SIGMOID) == text
    assert _verdict(latex, SIGMOID) == "holds"


def test_an_unsized_ones_after_a_number_is_sized_by_its_product():
    assert _text(r"X W^\top + 2 \mathbf{1} b^\top = Y + \mathbf{1} b^\top", BATCH) \
        == "X @ W.T + 2 * (ones(S) @ b.T) = Y + ones(S) @ b.T"
    assert _verdict(r"X W^\top + 2 \mathbf{1} b^\top = Y + \mathbf{1} b^\top", BATCH) == "holds"


def test_a_matrix_by_its_entries_takes_numbers_not_blocks():
    from derive.problem.definition import find_problem

    small = find_problem("seed002-sigmoid-layer-2x2")
    assert _verdict(r"b = \begin{bmatrix} b_1 \\ b_2 \end{bmatrix}", small) == "holds"
    with pytest.raises(ParseError, match="the matrix's entries use g, which is no number"):
        read_latex(r"g b^\top = \begin{bmatrix} g b^\top & g b^\top \end{bmatrix}", small)
