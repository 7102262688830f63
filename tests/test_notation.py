"""Answers read the way a TA reads them (issue 11 §5, §6): each notation a human grader accepts is
read as the same tree as the canonical answer, or refused with a message that says what to write.

The tables give, for a question of the catalog (or of a small problem written here with a
``[latex]`` table), a spelling and either the canonical answer it must read as (the parsed
claims are compared as trees) or a fragment of the message it must be refused with. A few go
through ``derive.grading.grade.Grader`` end to end: right notation earns the points, unsupported
notation is *invalid* (unreadable, 0 points, the message in the feedback), never *fails*.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from derive.errors import DeriveError, ParseError, ProblemError
from derive.grading.answers import read_answer
from derive.grading.assignment import Question, load_assignment
from derive.grading.grade import Grader, Submission
from derive.language.latex_in import parse_latex_expr
from derive.language.parser import parse_expr
from derive.problem.definition import find_problem, problem_from_dict

# Small problems whose quantities have names and LaTeX spellings of their own.
LOCAL = {
    # \hat{y} is the prediction p and \delta the residual r, by the [latex] table; \bar{x} and
    # \tilde{x} are the variables xbar and x_tilde by the accent's own name
    "hat-table": {
        "id": "hat-table", "sizes": ["m", "d"],
        "variables": {"W": "m x d", "V": "m x d", "xbar": "d", "x_tilde": "d", "t": "m"},
        "definitions": ["z = W @ xbar + V @ x_tilde", "p = sigmoid(z)", "r = p - t", "L = sum(r**2) / 2"],
        "latex": {r"\hat{y}": "p", r"\delta": "r"},
    },
    # a quantity named yhat, spelled \hat{y}, yhat or y_hat
    "yhat": {
        "id": "yhat", "sizes": ["m", "d"],
        "variables": {"W": "m x d", "x": "d", "t": "m"},
        "definitions": ["yhat = W @ x", "L = sum((yhat - t)**2) / 2"],
    },
}


@cache
def problem(name: str):
    return problem_from_dict(LOCAL[name]) if name in LOCAL else find_problem(name)


@cache
def question(name: str, asks: str) -> Question:
    return Question("q", problem(name), parse_expr(asks), 1.0)


LIN = ("linear-layer", "dJ/dW")
JAC = ("linear-layer", "dy/db")
SCE = ("softmax-cross-entropy", "dL/dZ")
MSE_B = ("mse", "dL/db")
MSE_W = ("mse", "dL/dW")
QUAD = ("cookbook-quadratic-forms", "dq/dx")
INV = ("cookbook-inverse", "df/dX")
ATT = ("attention", "dL/dQ")
TANH = ("tanh-layer", "dJ/dz")
MLP = ("mlp-two-layer", "dE/dW2")
HAT_W = ("hat-table", "dL/dW")
HAT_V = ("hat-table", "dL/dV")
YHAT = ("yhat", "dL/dW")

ATTENTION = "(A * (dL/dO @ V.T - sum(A * (dL/dO @ V.T), axis=1))) @ K / sqrt(dk)"
ATTENTION_LATEX = (r"\frac{\left(A \odot \left(\frac{\partial L}{\partial O} V^\top - \left(A \odot "
                   r"\frac{\partial L}{\partial O} V^\top\right) \mathbf{1}\right)\right) K}{\sqrt{%s}}")

# (id, question, spelling, the canonical answer it reads as)
READ = [
    # plain-text transposes
    ("x^T", LIN, "dJ/dy @ x^T", "dJ/dy @ x.T"),
    ("x^⊤", LIN, "dJ/dy @ x^⊤", "dJ/dy @ x.T"),
    ("xᵀ", LIN, "dJ/dy @ xᵀ", "dJ/dy @ x.T"),
    ("prime after a variable", LIN, "dJ/dy @ x'", "dJ/dy @ x.T"),
    ("prime after a bracket and a variable", INV, "-(X^-1)' @ a @ b' @ (X^-1)'", "-inv(X).T @ a @ b.T @ inv(X).T"),
    ("prime after a derivative", LIN, "(x @ dJ/dy')'", "(x @ dJ/dy.T).T"),
    ("prime on a primed call stays a derivative", TANH, "dJ/dh * tanh'(z)", "dJ/dh * tanh'(z)"),
    # products written side by side
    ("juxtaposition", QUAD, "(B + B^T) x", "(B + B.T) @ x"),
    ("juxtaposition with primes", QUAD, "(B + B') x", "(B + B.T) @ x"),
    ("juxtaposition then a division", MSE_W, "R X' / S", "R @ X.T / S"),
    ("a scalar times a juxtaposition", MSE_W, "1/S * R X.T", "1/S * (R @ X.T)"),
    ("juxtaposition beside a size is *", MSE_W, "S R X.T", "S * R @ X.T"),
    ("a quantity before a parenthesis", QUAD, "B(x) + B.T(x)", "B @ x + B.T @ x"),
    ("juxtaposition of inverses", INV, "-(X^-1)' a b' (X^-1)'", "-inv(X).T @ a @ b.T @ inv(X).T"),
    # NumPy
    ("np.linalg.inv", INV, "-np.linalg.inv(X).T @ a @ b.T @ np.linalg.inv(X).T", "-inv(X).T @ a @ b.T @ inv(X).T"),
    ("np.linalg.solve", INV, "-np.linalg.solve(X.T, a) @ np.linalg.solve(X, b).T", "-(inv(X.T) @ a) @ (inv(X) @ b).T"),
    ("x^-1", INV, "-(X^-1).T @ a @ b.T @ (X^-1).T", "-inv(X).T @ a @ b.T @ inv(X).T"),
    ("M.sum(axis=1)", MSE_B, "R.sum(axis=1) / S", "sum(R, axis=1) / S"),
    ("keepdims=True", MSE_B, "np.sum(R, axis=1, keepdims=True) / S", "sum(R, axis=1) / S"),
    ("method with keepdims", MSE_B, "R.sum(axis=1, keepdims=True) / S", "sum(R, axis=1) / S"),
    ("positional axis", MSE_B, "R.sum(1) / S", "sum(R, axis=1) / S"),
    ("A.dot(B)", MSE_W, "R.dot(X.T) / S", "R @ X.T / S"),
    ("X.shape[0]", SCE, "(P - T) / Z.shape[0]", "(P - T) / S"),
    ("len(Z)", SCE, "(P - T) / len(Z)", "(P - T) / S"),
    ("shape[-1] of another quantity", ATT, ATTENTION.replace("sqrt(dk)", "np.sqrt(Q.shape[-1])"), ATTENTION),
    ("keepdims and d_k together", ATT,
     "(A * (dL/dO @ V.T - np.sum(A * (dL/dO @ V.T), axis=1, keepdims=True))) @ K / np.sqrt(d_k)", ATTENTION),
    ("np.eye(len(b))", JAC, "np.eye(len(b))", "eye(m)"),
    ("softmax(Z, axis=1) is derive's row softmax", SCE, "(softmax(Z, axis=1) - T) / S", "(softmax(Z) - T) / S"),
    ("softmax(Z, axis=-1)", SCE, "(softmax(Z, axis=-1) - T) / S", "(softmax(Z) - T) / S"),
    ("softmax over columns", SCE, "(softmax(Z, axis=0) - T) / S", "(softmax(Z.T).T - T) / S"),
    # index form as a full answer
    ("index form", LIN, "dJ/dW[i,j] = dJ/dy[i] * x[j]", "dJ/dW[i,j] = dJ/dy[i] * x[j]"),
    ("index form in LaTeX", LIN, r"\frac{\partial J}{\partial W_{ij}} = \frac{\partial J}{\partial y_i} x_j",
     "dJ/dW[i,j] = dJ/dy[i] * x[j]"),
    # the identity
    ("bare I", JAC, "I", "eye(m)"),
    ("bare I in LaTeX", JAC, "$I$", "eye(m)"),
    ("I_m", JAC, "I_m", "eye(m)"),
    ("I in a product", LIN, "dJ/dy x^T I", "dJ/dy @ x.T @ eye(d)"),
    # LaTeX
    ("nabla", LIN, r"\nabla_W J = \frac{\partial J}{\partial y} x^\top", "dJ/dy @ x.T"),
    ("nabla takes one factor", LIN, r"\nabla_W J = \nabla_y J \, x^\top", "dJ/dy @ x.T"),
    ("nabla with a bold subscript", LIN, r"\nabla_{\mathbf{W}} J = \frac{\partial J}{\partial y} x^\top", "dJ/dy @ x.T"),
    ("tanh squared", TANH, r"\frac{\partial J}{\partial h} \odot (1 - \tanh^2(z))", "dJ/dh * (1 - tanh(z)**2)"),
    ("tanh squared without parentheses", TANH, r"\frac{\partial J}{\partial h} \odot (1 - \tanh^{2} z)",
     "dJ/dh * (1 - tanh(z)**2)"),
    ("d_k", ATT, ATTENTION_LATEX % "d_k", ATTENTION),
    ("dk written together", ATT, ATTENTION_LATEX % "dk", ATTENTION),
    ("Sc written together", ATT, r"\frac{\partial L}{\partial O}", "dL/dO"),
    ("delta with a subscript is the quantity delta2", MLP, r"\delta_2 h^\top", "delta2 @ h.T"),
    ("hat by the [latex] table", HAT_W, r"\left(\left(\hat{y} - t\right) \odot \sigma'(z)\right) \bar{x}^\top",
     "((p - t) * sigmoid'(z)) @ xbar.T"),
    ("delta by the [latex] table", HAT_W, r"\left(\delta \odot \hat{y} \odot (1 - \hat{y})\right) \bar{x}^T",
     "(r * p * (1 - p)) @ xbar.T"),
    ("entry of a [latex] delta", HAT_W, r"\frac{\partial L}{\partial W_{ij}} = \delta_i \sigma'(z_i) \bar{x}_j",
     "dL/dW[i,j] = r[i] * sigmoid'(z[i]) * xbar[j]"),
    ("tilde", HAT_V, r"\left(\delta \odot \sigma'(z)\right) \tilde{x}^\top", "(r * sigmoid'(z)) @ x_tilde.T"),
    ("tilde without braces", HAT_V, r"\left(\delta \odot \sigma'(z)\right) \tilde x^\top", "(r * sigmoid'(z)) @ x_tilde.T"),
    ("x_tilde in text", HAT_V, "(r * sigmoid'(z)) @ xtilde.T", "(r * sigmoid'(z)) @ x_tilde.T"),
    ("hat as the quantity yhat", YHAT, r"(\hat{y} - t) x^\top", "(yhat - t) @ x.T"),
    ("yhat written together in LaTeX", YHAT, r"(yhat - t) x^\top", "(yhat - t) @ x.T"),
    ("y_hat in text", YHAT, "(y_hat - t) @ x.T", "(yhat - t) @ x.T"),
    ("y_hat in a derivative", ("yhat", "dL/dyhat"), "dL/dy_hat = y_hat - t", "yhat - t"),
    ("mathrm yhat", YHAT, r"(\mathrm{y\_hat} - t) x^\top".replace(r"\_", "_"), "(yhat - t) @ x.T"),
]


def _ids(rows):
    return [row[0] for row in rows]


@pytest.mark.parametrize("name, asked, spelling, canonical", READ, ids=_ids(READ))
def test_a_notation_a_ta_accepts_reads_as_the_canonical_answer(name, asked, spelling, canonical):
    q = question(*asked)
    assert read_answer(spelling, q).chain == read_answer(canonical, q).chain


# (id, question, spelling, a fragment of the message it is refused with)
REFUSED = [
    ("1/S X reads two ways", SCE, "1/S (P - T)", "can be read two ways: write 1 / S * (P - T) or 1 / (S * (P - T))"),
    ("a / b c reads two ways", MSE_W, "R @ X.T / S x", "can be read two ways"),
    ("keepdims=False", MSE_B, "sum(R, axis=1, keepdims=False) / S", "keepdims=False makes a 1-D array"),
    ("an unsupported keyword", MSE_B, "sum(R, axis=1, dtype=float) / S",
     "sum(..., dtype=...) is not read: it reads axis=, keepdims="),
    ("a keyword on an elementwise function", TANH, "dJ/dh * (1 - np.tanh(z, out=z)**2)",
     "tanh(..., out=...) is not read: it takes no keywords"),
    ("an unsupported method", MSE_B, "R.mean(axis=1)",
     "the method .mean() is not read (derive has no mean: write the sum divided by the count"),
    ("an unknown method", MSE_B, "R.cumsum(axis=1) / S", "the method .cumsum() is not read"),
    ("an attribute", SCE, "(P - T) / Z.size", "'.size' is not read"),
    ("shape without an axis", SCE, "(P - T) / Z.shape", "X.shape[0] or X.shape[1]"),
    ("the shape of an expression", SCE, "(P - T) / (P - T).shape[0]", "write the size name"),
    ("an axis past 1", SCE, "(P - T) / Z.shape[2]", "the axis is 0 or 1"),
    ("softmax with an axis on an expression", SCE, "(softmax(X @ W, axis=1) - T) / S",
     "write softmax(X @ W), or softmax((X @ W).T).T over each column"),
    ("np.linalg without a rule", INV, "-np.linalg.pinv(X).T @ a @ b.T @ inv(X).T", "np.linalg.pinv is not read"),
    ("a stray prime on a function", TANH, "dJ/dh * tanh'", "apply it with '(' as in h'(X)"),
    ("a power other than T or -1", QUAD, "(B + B^2) x", "write powers as **"),
    ("an entry at fixed indices", LIN, "dJ/dW[1,2] = dJ/dy[1] * x[2]", "dJ/dW[1,2] is only part of dJ/dW"),
    ("a diagonal", LIN, "dJ/dW[i,i] = dJ/dy[i] * x[i]", "is only part of dJ/dW"),
    ("an identity of no one size", LIN, "dJ/dy @ x.T + 0 * sum(I)",
     "the identity's size is not clear (several sizes fit): write it with its size, one of eye(m), eye(d)"),
    ("a function side by side", TANH, "dJ/dh * (1 - tanh z ** 2)", "the function tanh is applied with parentheses"),
    ("LaTeX: an accent that is no quantity", SCE, r"\frac{\hat{y} - T}{S}", r"'\hat{y}' is not a quantity of this problem"),
    ("LaTeX: yhat read as y h a t", SCE, r"\frac{yhat - T}{S}",
     "'yhat' reads letter by letter as the product y h a t, and y, h, a are not quantities of the problem"),
    ("LaTeX: nabla without a subscript", LIN, r"\nabla J", r"\nabla needs the variable it differentiates by"),
    ("LaTeX: nabla with nothing after it", LIN, r"\nabla_W", r"\nabla_W needs what it differentiates after it"),
    ("LaTeX: the inverse function", TANH, r"\frac{\partial J}{\partial h} \odot \tanh^{-1}(z)",
     r"'\tanh^{-1}' is the inverse function"),
]


@pytest.mark.parametrize("name, asked, spelling, message", REFUSED, ids=_ids(REFUSED))
def test_a_notation_that_is_not_read_is_refused_with_what_to_write(name, asked, spelling, message):
    with pytest.raises(DeriveError) as caught:
        read_answer(spelling, question(*asked))
    assert message in str(caught.value)
    assert "Traceback" not in str(caught.value)


def test_a_prime_after_a_function_call_keeps_meaning_its_derivative():
    q = question(*TANH)
    assert read_answer("dJ/dh * tanh'(z)", q).key == "dJ/dz = dJ/dh * tanh'(z)"
    assert read_answer("dJ/dh * tanh' (z)", q).key == "dJ/dz = dJ/dh * tanh'(z)"


def test_an_index_form_answer_is_the_claim_for_every_entry():
    answer = read_answer("dJ/dW[i,j] = dJ/dy[i] * x[j]", question(*LIN))
    assert answer.key == "dJ/dW[i,j] = dJ/dy[i] * x[j]"  # not dJ/dW = dJ/dW[i,j] = ...


# -- without a problem: the plain language refuses what needs one, with what to write ------------

PLAIN = [
    ("juxtaposition", "(A + A.T) x", "write the product with @ or *: (A + A.T) @ x"),
    ("a prime on a name", "x' + 1", "a transpose is written x.T"),
    ("len", "len(Z)", "len(Z) is a size: write its name"),
    ("shape", "Z.shape[0]", "Z.shape[0] is a size: write its name"),
    ("an attribute", "x.t", "unexpected character '.'"),
]


@pytest.mark.parametrize("name, text, message", PLAIN, ids=_ids(PLAIN))
def test_without_a_problem_what_needs_one_is_refused(name, text, message):
    with pytest.raises(ParseError) as caught:
        parse_expr(text)
    assert message in caught.value.headline


@pytest.mark.parametrize("text, expected", [
    ("(a + b)'", "(a + b).T"),
    ("x^T @ y", "x.T @ y"),
    ("A^-1", "inv(A)"),
    ("np.linalg.inv(A) @ np.linalg.solve(A, b)", "inv(A) @ (inv(A) @ b)"),
    ("M.sum(axis=0, keepdims=True)", "sum(M, axis=0)"),
    ("np.identity(n)", "eye(n)"),
])
def test_without_a_problem_the_unambiguous_spellings_read(text, expected):
    assert parse_expr(text) == parse_expr(expected)


@pytest.mark.parametrize("latex, text", [
    (r"\hat{y}", "yhat"),
    (r"\bar x + \tilde{\theta}", "xbar + thetatilde"),
    (r"\mathcal{L}", "L"),
    (r"\nabla_W J", "dJ/dW"),
    (r"\tanh^2(x) + \sin^2 x", "tanh(x)**2 + sin(x)**2"),
    ("yhat", "y @ h @ a @ t"),  # without a problem, letters are one-letter names (docs/latex.md)
])
def test_latex_without_a_problem(latex, text):
    assert parse_latex_expr(latex) == parse_expr(text)


def test_a_latex_table_entry_wins_over_every_rule():
    assert parse_latex_expr(r"\hat{y} + \hat y", {r"\hat{y}": "p"}) == parse_expr("p + p")


# -- end to end: right notation earns the points, unsupported notation is unreadable -------------

ASSIGNMENT = """\
title = "Notation"

[[questions]]
id = "lin"
problem = "linear-layer"
asks = '\\nabla_W J'
answer = '\\frac{\\partial J}{\\partial y} x^\\top'
points = 2

[[questions]]
id = "quad"
problem = "cookbook-quadratic-forms"
asks = "dq/dx"
answer = "(B + B.T) @ x"
points = 1

[[questions]]
id = "mse"
problem = "mse"
asks = "dL/db"
answer = "sum(R, axis=1) / S"
points = 1

[[questions]]
id = "jac"
problem = "linear-layer"
asks = "dy/db"
answer = "I"
points = 1

[[questions]]
id = "hat"
problem = "hat.toml"
asks = "dL/dW"
answer = "(r * sigmoid'(z)) @ xbar.T"
points = 1
"""

HAT_TOML = """\
id = "hat-table"
sizes = ["m", "d"]
definitions = ["z = W @ xbar + V @ x_tilde", "p = sigmoid(z)", "r = p - t", "L = sum(r**2) / 2"]

[variables]
W = "m x d"
V = "m x d"
xbar = "d"
x_tilde = "d"
t = "m"

[latex]
"\\\\hat{y}" = "p"
"\\\\delta" = "r"
"\\\\ell" = "m"
"\\\\mathcal{Z}" = "z"
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notation")
    (folder / "hat.toml").write_text(HAT_TOML, encoding="utf-8")
    (folder / "assignment.toml").write_text(ASSIGNMENT, encoding="utf-8")
    grader = Grader(load_assignment(folder / "assignment.toml"), jobs=2)
    grader.prepare()  # every reference answer, LaTeX and a bare I included, is proved right
    answers = [
        ("right-juxt", "quad", "(B + B^T) x"),
        ("right-keepdims", "mse", "np.sum(R, axis=1, keepdims=True) / S"),
        ("right-nabla", "lin", r"\nabla_W J = \frac{\partial J}{\partial y} x^\top"),
        ("right-index", "lin", "dJ/dW[i,j] = dJ/dy[i] * x[j]"),
        ("right-identity", "jac", "I"),
        ("right-table", "hat", r"\left(\left(\hat{y} - t\right) \odot \sigma'(\mathcal{Z})\right) \bar{x}^\top"),
        ("unread-keyword", "mse", "sum(R, axis=1, dtype=float) / S"),
        ("unread-method", "mse", "R.mean(axis=1)"),
        ("unread-letters", "hat", r"\left(yhat - t\right) \bar{x}^\top"),
        ("unread-table-size", "hat", r"\ell \bar{x}^\top"),
    ]
    grades = grader.grade([Submission(student, qid, text) for student, qid, text in answers])
    return {g.student: g for g in grades}


@pytest.mark.parametrize("student", ["right-juxt", "right-keepdims", "right-nabla", "right-index",
                                     "right-identity", "right-table"])
def test_right_notation_earns_full_points(graded, student):
    grade = graded[student]
    assert grade.verdict == "holds" and grade.points == grade.max_points, grade.feedback


@pytest.mark.parametrize("student, message", [
    ("unread-keyword", "sum(..., dtype=...) is not read"),
    ("unread-method", "the method .mean() is not read"),
    ("unread-letters", "'yhat' reads letter by letter"),
])
def test_unsupported_notation_is_unreadable_not_wrong(graded, student, message):
    grade = graded[student]
    assert grade.verdict == "invalid" and grade.points == 0 and not grade.review
    assert "could not be read" in grade.feedback and message in grade.feedback
    assert "Traceback" not in grade.feedback


def test_a_latex_table_naming_a_size_grades_without_a_traceback(graded):
    grade = graded["unread-table-size"]  # \ell is the size m: m * xbar.T is a 1×d row, not m×d
    assert grade.verdict in ("fails", "invalid") and grade.points == 0
    assert "Traceback" not in grade.feedback


# -- the assignment: asks and answer in LaTeX, and an asks that names no derivative -------------

def _assignment(tmp_path: Path, asks: str, answer: str = "dJ/dy @ x.T", problem: str = "linear-layer"):
    path = tmp_path / "assignment.toml"
    path.write_text(f"[[questions]]\nid = 'q1'\nproblem = '{problem}'\nasks = '{asks}'\n"
                    f"answer = '{answer}'\n", encoding="utf-8")
    return load_assignment(path)


@pytest.mark.parametrize("asks", [r"\frac{\partial J}{\partial W}", r"\nabla_W J", r"$\frac{dJ}{dW}$", "dJ/dW"])
def test_asks_may_be_written_in_latex(tmp_path, asks):
    assert _assignment(tmp_path, asks, r"\frac{\partial J}{\partial y} x^\top").questions[0].asks == "dJ/dW"


@pytest.mark.parametrize("asks, problem, nearest", [
    ("dJ/dw", "linear-layer", "dJ/dW"),
    ("dL/dW", "linear-layer", "dJ/dW"),
    ("W", "linear-layer", "dJ/dW"),
    ("dE/dw2", "mlp-two-layer", "dE/dW2"),
    ("dL/dq", "attention", "dL/dQ"),
])
def test_an_asks_that_names_no_derivative_lists_the_variables_and_the_nearest(tmp_path, asks, problem, nearest):
    with pytest.raises(ProblemError) as caught:
        _assignment(tmp_path, asks, problem=problem)
    message = str(caught.value)
    assert "question q1" in message and "not a derivative" in message
    assert "its variables are " in message and f"did you mean '{nearest}'?" in message


def test_the_error_lists_the_problems_variables(tmp_path):
    with pytest.raises(ProblemError, match="its variables are W, x, b; its definitions y; "
                                           r"its scalar quantities \(losses\) J; did you mean 'dJ/dW'\?"):
        _assignment(tmp_path, "dJ/dw")


def test_an_unreadable_reference_answer_is_named_at_load(tmp_path):
    with pytest.raises(ProblemError, match="question q1: answer: sum.*dtype=.* is not read"):
        _assignment(tmp_path, "dJ/dW", "sum(dJ/dy, axis=1, dtype=float) @ x.T")


@pytest.mark.parametrize("text, meant", [
    ("(h * (1 - h) * (W2^T (y - t))) x^T", "(h * (1 - h) * (W2.T @ (y - t))) @ x.T"),
    ("(W1 x).T", "(W1 @ x).T"),
])
def test_brackets_close_a_product_written_side_by_side(text, meant):
    from derive.grading.reading import problem_reading
    from derive.language.parser import parse_expr
    from derive.problem.definition import find_problem

    reading = problem_reading(find_problem("mlp-two-layer"))
    assert parse_expr(text, reading) == parse_expr(meant, reading)
