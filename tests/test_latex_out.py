r"""derive.language.latex_out: trees printed as LaTeX, the way a worked solution writes them.

Tables pin the notation of every node and function and the parentheses of each precedence case;
property tests state the contract over random trees (never raises, balanced braces and
\left/\right pairs, never two superscripts or two subscripts on one atom) and the round trip
through derive.language.latex_in (what is printed reads back as the very tree, over random trees, random
well-typed expressions with shapes, and every catalog claim); the whole catalog prints; and where
pdflatex is installed, a document of printed claims compiles.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from derive.language import ast
from derive.language.latex_in import parse_latex_claim, parse_latex_expr
from derive.language.latex_names import default_name
from derive.language.latex_out import packages, to_latex, to_latex_aligned
from derive.language.parser import parse_claim, parse_expr
from derive.language.primitives import ELEMENTWISE, MATRIX_FUNCTIONS, canonical_function
from derive.language.shapes import index_names_of
from derive.problem.definition import latex_reading, load_problem, problem_from_dict

from .strategies import ORACLE_PROBLEM, asts, chains, latex_asts, latex_chains, typed_texts

FOLDER = Path(__file__).resolve().parent.parent / "problems"
PATHS = sorted(FOLDER.glob("*.toml"))


# -- what every printed text must satisfy ----------------------------------------------------------

_TEX_TOKEN = re.compile(r"\\(?:left|right)(?![A-Za-z])(?:\\[A-Za-z]+|\\.|.)|\\[A-Za-z]+|\\.|\S")


def tex_problems(latex: str) -> list[str]:
    """What TeX would reject in ``latex``: unbalanced groups, or a second superscript or
    subscript on one atom ("Double superscript"). An independent reading, not the module's."""
    problems = []
    fresh = {"sub": False, "sup": False, "prime": False, "pending": False}
    stack = [dict(fresh)]
    for token in _TEX_TOKEN.findall(latex):
        top = stack[-1]
        if token in ("_", "^"):
            key = "sub" if token == "_" else "sup"
            if top[key] or top["pending"]:
                problems.append(f"double {key}script at {token!r}")
            top[key], top["pending"] = True, True
        elif token == "'":
            if top["sup"]:
                problems.append("a prime after a superscript")
            top["prime"] = True
        elif token == "{" or token.startswith(r"\left"):
            if top["pending"]:
                top["pending"] = False
            else:
                top.update(sub=False, sup=False, prime=False)
            stack.append(dict(fresh))
        elif token == "}" or token.startswith(r"\right"):
            if len(stack) == 1:
                problems.append(f"unbalanced {token!r}")
            else:
                closed = stack.pop()
                if closed["pending"]:
                    problems.append("a script without its argument")
        elif top["pending"]:
            top["pending"] = False
        else:
            top.update(sub=False, sup=False, prime=False)
    if len(stack) != 1:
        problems.append("unclosed group")
    if latex.count(r"\left") != latex.count(r"\right"):
        problems.append(r"\left and \right do not pair")
    return problems


def test_the_checker_of_printed_text_catches_what_tex_rejects():
    assert tex_problems(r"A^{\top}^{\top}")
    assert tex_problems(r"X_{i}_{j}")
    assert tex_problems(r"\frac{a}{b")
    assert tex_problems(r"\left(a")
    assert not tex_problems(r"\mathbf{1}_{n}^{\top} X_{ij}^{2} h''\left(x\right)^{\top}")


# -- expressions, one row per notation -------------------------------------------------------------

EXPRESSIONS = [
    # names and numbers
    ("W", "W"),
    ("W1", "W_{1}"),
    ("x_2", "x_{2}"),
    ("alpha", r"\alpha"),
    ("lam", r"\lambda"),
    ("σ", r"\sigma"),
    ("LOSS", r"\mathrm{LOSS}"),
    ("2", "2"),
    ("0.25", "0.25"),
    ("-3", "-3"),
    ("1/2", r"\frac{1}{2}"),
    # operators
    ("a + b - c", "a + b - c"),
    ("W.T", r"W^{\top}"),
    ("W @ x", "W x"),
    ("W.T @ x + b", r"W^{\top} x + b"),
    ("A * B", r"A \odot B"),
    ("A / B", r"\frac{A}{B}"),
    ("2 * x", "2 x"),
    ("x * 2", r"x \cdot 2"),
    ("-x", "-x"),
    ("x ** 2", "x^{2}"),
    ("x ** -1", r"x^{\circ -1}"),  # x^{-1} is the inverse of a matrix x
    ("2 ** -1", "2^{-1}"),
    ("e ** x", r"\left(e\right)^{x}"),  # e^{x} is the exponential
    ("x ** T", r"x^{\left[T\right]}"),  # x^{T} is the transpose
    ("x ** ((a + b) @ c)", r"x^{\left[\left(a + b\right) c\right]}"),  # x^{(a+b) c} starts with a label
    ("kron(A, B)", r"A \otimes B"),
    ("outer(u, v)", r"\operatorname{outer}\left(u, v\right)"),  # u v^T is the claim u @ v.T
    # derivatives and index notation
    ("dJ/dW", r"\frac{\partial J}{\partial W}"),
    ("∂L/∂X", r"\frac{\partial L}{\partial X}"),
    ("dY[m,n]/dW[i,j]", r"\frac{\partial Y_{mn}}{\partial W_{ij}}"),
    ("dY[m,n]/dW", r"\frac{\partial Y_{mn}}{\partial W}"),
    ("d(log(X[m,n]))/dX[i,j]", r"\frac{\partial \log\left(X_{mn}\right)}{\partial X_{ij}}"),
    ("d(a + b)/dx", r"\frac{\partial \left(a + b\right)}{\partial x}"),
    ("dJ/dW[i,j]", r"\left(\frac{\partial J}{\partial W}\right)_{ij}"),  # without shapes
    ("X[m,j]", "X_{mj}"),
    ("X[m,jj]", r"X_{m,\mathrm{jj}}"),
    ("X[1,2]", "X_{1,2}"),
    ("W[i,:]", "W_{i,:}"),
    ("W[:,j]", "W_{:,j}"),
    ("x[i]", "x_{i}"),
    ("sum_n(x[n])", r"\sum_{n} x_{n}"),
    ("sum_{m,n}(Y[m,n] * Z[m,n])", r"\sum_{m,n} Y_{mn} Z_{mn}"),
    ("delta(n,i)", r"\delta_{ni}"),
    ("delta(n,1)", r"\delta_{n,1}"),
    ("delta(nn,i)", r"\delta_{\mathrm{nn},i}"),
    # elementwise functions
    ("sigmoid(A)", r"\sigma\left(A\right)"),
    ("sigma(A)", r"\sigma\left(A\right)"),
    ("σ(A)", r"\sigma\left(A\right)"),
    ("sigmoid'(A)", r"\sigma'\left(A\right)"),
    ("tanh'(A)", r"\tanh'\left(A\right)"),
    ("relu'(A)", r"\operatorname{ReLU}'\left(A\right)"),
    ("exp(x)", r"\exp\left(x\right)"),
    ("log(x)", r"\log\left(x\right)"),
    ("sqrt(x)", r"\sqrt{x}"),
    ("sqrt'(x)", r"\operatorname{sqrt}'\left(x\right)"),
    ("step'(x)", r"\operatorname{step}'\left(x\right)"),
    ("step(x)", r"\mathbb{1}\left[x > 0\right]"),
    ("h(X)", r"h\left(X\right)"),
    ("h'(X)", r"h'\left(X\right)"),
    ("h''(X)", r"h''\left(X\right)"),
    ("phi'(a)", r"\phi'\left(a\right)"),
    ("act(a)", r"\operatorname{act}\left(a\right)"),
    # matrix functions
    ("trace(A @ B)", r"\operatorname{tr}\left(A B\right)"),
    ("det(X)", r"\det\left(X\right)"),
    ("inv(X)", "X^{-1}"),
    ("inv(2)", r"\operatorname{inv}\left(2\right)"),  # 2^{-1} is the power
    ("inv(X).T", r"X^{-\top}"),
    ("inv(X.T)", r"\left(X^{\top}\right)^{-1}"),
    ("inv(A @ B)", r"\left(A B\right)^{-1}"),
    ("vec(A)", r"\operatorname{vec}\left(A\right)"),
    ("diag(v)", r"\operatorname{diag}\left(v\right)"),
    ("ones(S)", r"\mathbf{1}_{S}"),
    ("ones(m, n)", r"\mathbf{1}_{m \times n}"),
    ("ones(S).T", r"\mathbf{1}_{S}^{\top}"),
    ("zeros(n)", r"\mathbf{0}_{n}"),
    ("eye(n)", "I_{n}"),
    ("softmax(z)", r"\operatorname{softmax}\left(z\right)"),
    ("norm(x)", r"\left\lVert x \right\rVert"),
    ("norm(x) ** 2", r"\left\lVert x \right\rVert^{2}"),
    ("sum(A)", r"\sum A"),
    ("sum(A, axis=0)", r"\mathbf{1}^{\top} A"),
    ("sum(A, axis=1)", r"A \mathbf{1}"),
    ("sum(A, axis=2)", r"\operatorname{sum}\left(A, \mathrm{axis}=2\right)"),
]


@pytest.mark.parametrize("text, latex", EXPRESSIONS, ids=[row[0] for row in EXPRESSIONS])
def test_expression_prints_as_a_worked_solution_writes_it(text, latex):
    assert to_latex(parse_expr(text)) == latex


# -- precedence: the fewest parentheses that leave one reading ---------------------------------------

PRECEDENCE = [
    ("(a + b) @ c", r"\left(a + b\right) c"),
    ("a @ (b + c)", r"a \left(b + c\right)"),
    ("a - (b - c)", r"a - \left(b - c\right)"),
    ("(a - b) - c", "a - b - c"),
    ("a - -b", r"a - \left(-b\right)"),
    ("a + -2", r"a + \left(-2\right)"),
    ("a @ -b", r"a \left(-b\right)"),
    ("-a @ b", "-a b"),
    ("-(a @ b)", r"-\left(a b\right)"),
    ("-(-a)", r"-\left(-a\right)"),
    ("-(a + b)", r"-\left(a + b\right)"),
    # matrix product is never mixed with \odot or \otimes without parentheses
    ("W.T @ r * s", r"\left(W^{\top} r\right) \odot s"),
    ("A * B @ C", r"\left(A \odot B\right) C"),
    ("A @ (B * C)", r"A \left(B \odot C\right)"),
    ("A @ B @ C", "A B C"),
    ("A @ (B @ C)", r"A \left(B C\right)"),
    ("A * B * C", r"A \odot B \odot C"),
    ("kron(A @ B, C)", r"\left(A B\right) \otimes C"),
    ("kron(kron(A, B), C)", r"A \otimes B \otimes C"),
    ("kron(A, B) @ C", r"\left(A \otimes B\right) C"),
    # a product by a scalar commutes with every product: no parentheses needed
    ("2 * A @ B", "2 A B"),
    ("2 * A * B", r"2 A \odot B"),
    ("2 * (A @ B)", r"2 \left(A B\right)"),
    # juxtaposed digits would run together, a number before a fraction would read as 2½
    ("2 * 3", r"2 \cdot 3"),
    ("2 * (1/2)", r"2 \cdot \frac{1}{2}"),
    ("X[1,:] @ 2[:]", r"X_{1,:} \cdot 2_{:}"),
    # side by side reads as * when a side is a scalar: a matrix product with one is written @
    ("2 @ 3", r"2 \mathbin{@} 3"),
    ("x @ 2", r"x \mathbin{@} 2"),
    ("2 @ (1/2)", r"2 \mathbin{@} \frac{1}{2}"),
    ("x[2] @ y", r"x_{2} \mathbin{@} y"),
    ("det(X) @ inv(X).T", r"\det\left(X\right) \mathbin{@} X^{-\top}"),
    ("x[2] @ y @ z", r"\left(x_{2} \mathbin{@} y\right) z"),
    ("x[2] @ (y @ z)", r"x_{2} \mathbin{@} y z"),
    # \cdot, \odot and @ are one level, looser than side by side and than a leading minus
    ("(A * 2) @ B", r"\left(A \cdot 2\right) B"),
    ("A @ (B * 2)", r"A \left(B \cdot 2\right)"),
    ("-A * 2", r"-A \cdot 2"),
    ("(-A * 2) @ B", r"\left(-A \cdot 2\right) B"),
    ("-(2 * A)", r"-\left(2 A\right)"),
    ("(x[1] @ y) * B", r"\left(x_{1} \mathbin{@} y\right) \odot B"),
    # fractions delimit themselves, but take no script without parentheses
    ("a / b @ c", r"\frac{a}{b} c"),
    ("a @ (b / c)", r"a \frac{b}{c}"),
    ("(a + b) / (c - d)", r"\frac{a + b}{c - d}"),
    ("a / b / c", r"\frac{\frac{a}{b}}{c}"),
    ("(a / b).T", r"\left(\frac{a}{b}\right)^{\top}"),
    ("(a / b) ** 2", r"\left(\frac{a}{b}\right)^{2}"),
    ("dL/dO.T @ A", r"\left(\frac{\partial L}{\partial O}\right)^{\top} A"),
    ("-(a / b)", r"-\frac{a}{b}"),
    # two scripts never stack on one atom
    ("A.T.T", r"\left(A^{\top}\right)^{\top}"),
    ("(A.T) ** 2", r"\left(A^{\top}\right)^{2}"),
    ("(x ** 2) ** 3", r"\left(x^{2}\right)^{3}"),
    ("x ** 2 ** 3", "x^{2^{3}}"),
    ("X[i,j] ** 2", "X_{ij}^{2}"),
    ("x[i].T", r"x_{i}^{\top}"),
    ("A.T[i,j]", r"\left(A^{\top}\right)_{ij}"),
    ("W1[i,j]", r"\left(W_{1}\right)_{ij}"),
    ("inv(X)[k,i]", r"\left(X^{-1}\right)_{ki}"),
    ("(-2) ** 2", r"\left(-2\right)^{2}"),
    ("-x ** 2", "-x^{2}"),
    ("(a + b).T", r"\left(a + b\right)^{\top}"),
    ("sigmoid(z).T", r"\sigma\left(z\right)^{\top}"),
    ("h'(z) ** 2", r"h'\left(z\right)^{2}"),
    # a big operator extends over what follows: closed when something does
    ("sum_k(a[k]) + b", r"\left(\sum_{k} a_{k}\right) + b"),
    ("b + sum_k(a[k])", r"b + \sum_{k} a_{k}"),
    ("b * sum_k(a[k] * c[k])", r"b \cdot \sum_{k} a_{k} c_{k}"),
    ("sum_k(a[k]) * b", r"\left(\sum_{k} a_{k}\right) b"),
    ("sum_k(a[k] + b[k])", r"\sum_{k} \left(a_{k} + b_{k}\right)"),
    ("sum_k(-a[k])", r"\sum_{k} \left(-a_{k}\right)"),
    ("sum_i(sum_j(X[i,j]))", r"\sum_{i} \sum_{j} X_{ij}"),
    ("-sum_k(a[k]) + b", r"-\left(\sum_{k} a_{k}\right) + b"),
    ("(sum_k(a[k])).T", r"\left(\sum_{k} a_{k}\right)^{\top}"),
    ("d * X - sum(Y) - Z", r"d \odot X - \left(\sum Y\right) - Z"),
    ("sum(A @ B)", r"\sum \left(A B\right)"),
    ("kron(sum(A), B)", r"\left(\sum A\right) \otimes B"),
    ("sum(A + B, axis=1)", r"\left(A + B\right) \mathbf{1}"),
    ("sum(A @ B, axis=0)", r"\mathbf{1}^{\top} \left(A B\right)"),
    # a ones vector takes one factor beside it
    ("sum(A @ B, axis=1)", r"\left(A B\right) \mathbf{1}"),
    ("sum(2 * A, axis=1)", r"\left(2 A\right) \mathbf{1}"),
    ("sum(A, axis=1) @ B", r"A \mathbf{1} B"),
    ("sum(A, axis=0) @ B", r"\mathbf{1}^{\top} A B"),
    ("B @ sum(A, axis=1)", r"B \left(A \mathbf{1}\right)"),
    # entries are scalars, whatever the shapes: their products are written side by side
    ("X[m,p] * dW[n,p]/dW[i,j] * delta(n,i)", r"X_{mp} \frac{\partial W_{np}}{\partial W_{ij}} \delta_{ni}"),
    ("h(x[i]) * y", r"h\left(x_{i}\right) y"),
    ("trace(A) * B", r"\operatorname{tr}\left(A\right) B"),
]


@pytest.mark.parametrize("text, latex", PRECEDENCE, ids=[row[0] for row in PRECEDENCE])
def test_parentheses_are_the_fewest_that_leave_one_reading(text, latex):
    assert to_latex(parse_expr(text)) == latex


# -- trees the parser does not build ------------------------------------------------------------

X = ast.Name("X")
BUILT = [
    ("third", ast.Number(Fraction(1, 3)), r"\frac{1}{3}"),
    ("minus a third", ast.Number(Fraction(-1, 3)), r"-\frac{1}{3}"),
    ("third squared", ast.Binary("**", ast.Number(Fraction(1, 3)), ast.Number(Fraction(2))), r"\left(\frac{1}{3}\right)^{2}"),
    ("negated number", ast.Neg(ast.Number(Fraction(2))), "-2"),
    ("sigmoid of nothing", ast.Call("sigmoid", ()), r"\sigma\left(\cdot\right)"),
    ("f of nothing", ast.Call("f", ()), r"f\left(\cdot\right)"),
    ("kron of one", ast.Call("kron", (X,)), r"\operatorname{kron}\left(X\right)"),
    ("exp of two", ast.Call("exp", (X, X)), r"\exp\left(X, X\right)"),
    ("primed trace", ast.Call("trace", (X,), prime=1), r"\operatorname{tr}'\left(X\right)"),
    ("three indices", ast.Index(X, ("i", "j", "k")), "X_{ijk}"),
    ("index of index", ast.Index(ast.Index(X, ("i",)), ("j",)), r"\left(X_{i}\right)_{j}"),
    ("delta of expressions", ast.Call("delta", (ast.Binary("+", ast.Name("i"), ast.Number(Fraction(1))), ast.Name("j"))),
     r"\delta_{i + 1,j}"),
    ("underscore name", ast.Name("_"), r"\mathrm{\_}"),
]


@pytest.mark.parametrize("node, latex", [row[1:] for row in BUILT], ids=[row[0] for row in BUILT])
def test_trees_outside_the_grammar_print(node, latex):
    assert to_latex(node) == latex


def test_a_node_without_a_rule_is_named():
    with pytest.raises(TypeError, match="to_latex: no rule for str"):
        to_latex("W")


def test_an_operator_without_a_rule_is_named():
    with pytest.raises(TypeError, match="'%'"):
        to_latex(ast.Binary("%", X, X))


# -- names -------------------------------------------------------------------------------------------

DEFAULT_NAMES = [
    ("W", "W"), ("W1", "W_{1}"), ("x4", "x_{4}"), ("W12", "W_{12}"), ("x_2", "x_{2}"),
    ("d_k", "d_{k}"), ("W_out", r"W_{\mathrm{out}}"), ("alpha", r"\alpha"), ("alpha1", r"\alpha_{1}"),
    ("eta", r"\eta"), ("lam", r"\lambda"), ("lambda", r"\lambda"), ("gamma", r"\gamma"),
    ("sigma", r"\sigma"), ("phi", r"\phi"), ("Sigma", r"\Sigma"), ("eps", r"\epsilon"),
    ("θ", r"\theta"), ("Σ", r"\Sigma"), ("delta2", r"\delta_{2}"), ("LOSS", r"\mathrm{LOSS}"),
    ("Xh", r"\mathrm{Xh}"), ("dk", r"\mathrm{dk}"), ("é", r"\text{é}"),
]


@pytest.mark.parametrize("name, latex", DEFAULT_NAMES, ids=[row[0] for row in DEFAULT_NAMES])
def test_default_name(name, latex):
    assert default_name(name) == latex


NAMES = {"W1": "W^{(1)}", "x4": "x^{(4)}", "LOSS": r"\text{LOSS}", "h": r"\phi", "k": r"\kappa"}
MAPPED = [
    ("W1 @ x4", "W^{(1)} x^{(4)}"),
    ("dLOSS/dW1", r"\frac{\partial \text{LOSS}}{\partial W^{(1)}}"),
    ("W1[i,j]", "W^{(1)}_{ij}"),  # a name's superscript takes a subscript
    ("W1.T", r"\left(W^{(1)}\right)^{\top}"),
    # the order of a second derivative goes outside parentheses, as the transpose does: W^{(1)}^2
    # would stop pdflatex ("Double superscript")
    ("d2LOSS/dW12", r"\frac{\partial^2 \text{LOSS}}{\partial \left(W^{(1)}\right)^2}"),
    ("d2LOSS/dW22", r"\frac{\partial^2 \text{LOSS}}{\partial W_{2}^2}"),
    ("h(x4)", r"\phi\left(x^{(4)}\right)"),
    ("sum_k(x[k])", r"\sum_{\kappa} x_{\kappa}"),
    ("W2", "W_{2}"),
]


@pytest.mark.parametrize("text, latex", MAPPED, ids=[row[0] for row in MAPPED])
def test_names_map_to_the_latex_given(text, latex):
    assert to_latex(parse_expr(text), NAMES) == latex
    assert tex_problems(latex) == []


@pytest.mark.parametrize("text", ["d2LOSS/dW12", "d(d2LOSS/dW12)/dx4", "d2LOSS/dW12 @ W1"])
def test_a_second_derivative_by_a_name_with_a_superscript_reads_back(text):
    latex = to_latex(parse_expr(text), NAMES)
    assert tex_problems(latex) == []
    reading = {"W^{(1)}": "W1", "x^{(4)}": "x4", r"\text{LOSS}": "LOSS"}
    assert parse_latex_expr(latex, names=reading) == parse_expr(text)


# -- notation that depends on shapes -----------------------------------------------------------------

SHAPED = problem_from_dict({
    "id": "latex", "sizes": ["m", "d"],
    "variables": {"W": "m x d", "x": "d", "X": "m x d", "V": "m x d", "s": "scalar"},
    "definitions": ["z = W @ x", "Y = s * X"],
    "arbitrary": {"J": ["z"]},
})
DENOMINATOR = problem_from_dict({
    "id": "latex-denominator", "sizes": ["m", "d"], "layout": "denominator",
    "variables": {"W": "m x d", "x": "d"}, "definitions": ["z = W @ x"],
})


def _shaped(text: str, problem=SHAPED) -> str:
    node = parse_expr(text)
    return to_latex(node, scope=problem.scope().for_claim(index_names_of(node)))


WITH_SHAPES = [
    ("X / V", r"X \oslash V"),
    ("X / s", r"\frac{X}{s}"),
    ("1 / X", r"1 \oslash X"),
    ("X / V * X", r"\left(X \oslash V\right) \odot X"),
    ("s * X", "s X"),
    ("X * s", r"X \cdot s"),
    ("1 / m * X", r"\frac{1}{m} X"),
    ("X * V", r"X \odot V"),
    ("X ** 2", r"X^{\circ 2}"),
    ("s ** 2", "s^{2}"),
    ("dJ/dW[i,j]", r"\frac{\partial J}{\partial W_{ij}}"),
    ("dJ/dx[i]", r"\frac{\partial J}{\partial x_{i}}"),
    ("dJ/dW[i,:]", r"\frac{\partial J}{\partial W_{i,:}}"),
    # an entry of another derivative keeps its parentheses: ∂Y_ij/∂s is the claim dY[i,j]/ds
    ("dY/ds[i,j]", r"\left(\frac{\partial Y}{\partial s}\right)_{ij}"),
    ("dY[i,j]/ds", r"\frac{\partial Y_{ij}}{\partial s}"),
    ("dz/dx[i,j]", r"\left(\frac{\partial z}{\partial x}\right)_{ij}"),
    ("dz[i]/dx[j]", r"\frac{\partial z_{i}}{\partial x_{j}}"),
    ("dz/dx[i,:]", r"\left(\frac{\partial z}{\partial x}\right)_{i,:}"),
    # the ones vector of a sum has no size: with one, it is the claim ones(m)
    ("sum(X, axis=0)", r"\mathbf{1}^{\top} X"),
    ("sum(X, axis=1)", r"X \mathbf{1}"),
    ("ones(m).T @ X", r"\mathbf{1}_{m}^{\top} X"),
    # a scalar the reader cannot see (it knows only scalar names) is multiplied by \odot
    ("(x.T @ x) * X", r"\left(x^{\top} x\right) \odot X"),
    ("s * (x.T @ x)", r"s \left(x^{\top} x\right)"),
    ("s ** -1", "s^{-1}"),
    ("X ** -1", r"X^{\circ -1}"),
    ("inv(s)", r"\operatorname{inv}\left(s\right)"),
]


@pytest.mark.parametrize("text, latex", WITH_SHAPES, ids=[row[0] for row in WITH_SHAPES])
def test_shapes_choose_the_notation(text, latex):
    assert _shaped(text) == latex


def test_names_the_scope_does_not_know_fall_back_to_the_notation_without_shapes():
    assert _shaped("Q / R * P") == r"\frac{Q}{R} \odot P"


def test_an_entry_of_a_jacobian_is_not_a_derivative_of_entries_in_either_layout():
    # ∂z_j/∂x_i would be the claim dz[j]/dx[i]: the same number, another tree
    assert _shaped("dz/dx[i,j]", DENOMINATOR) == r"\left(\frac{\partial z}{\partial x}\right)_{ij}"


# -- chains, aligned ---------------------------------------------------------------------------------

def test_a_chain_prints_every_side():
    claim = parse_claim("dJ/dW = dJ/dz @ x.T = outer(dJ/dz, x)")
    assert to_latex(claim) == (r"\frac{\partial J}{\partial W} = \frac{\partial J}{\partial z} x^{\top}"
                               r" = \operatorname{outer}\left(\frac{\partial J}{\partial z}, x\right)")


def test_an_aligned_chain_puts_each_link_on_a_row():
    assert to_latex_aligned(parse_claim("a = b = c")) == "a &= b \\\\\n&= c"


def test_an_aligned_equation_is_one_row():
    assert to_latex_aligned(parse_claim("a = b @ c")) == "a &= b c"


def test_an_aligned_chain_of_one_side_is_that_side():
    assert to_latex_aligned(ast.Chain((parse_expr("a @ b"),))) == "a b"


def test_an_aligned_expression_is_the_expression():
    assert to_latex_aligned(parse_expr("a @ b")) == "a b"


def test_an_aligned_chain_maps_names():
    assert to_latex_aligned(parse_claim("W1 = x4"), NAMES) == "W^{(1)} &= x^{(4)}"


# -- the primitive registry is the one source of function notation ---------------------------------

@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_function_prints_with_its_template(name):
    assert to_latex(parse_expr(f"{name}(X)")) == ELEMENTWISE[name].latex.format("X")


DELIMITED = ["trace", "det", "vec", "diag", "softmax", "norm"]


@pytest.mark.parametrize("name", DELIMITED)
def test_matrix_function_prints_with_its_template(name):
    assert to_latex(parse_expr(f"{name}(X)")) == MATRIX_FUNCTIONS[name].latex.format("X")


@pytest.mark.parametrize("name", sorted(MATRIX_FUNCTIONS))
def test_every_matrix_function_prints(name):
    spec = MATRIX_FUNCTIONS[name]
    for count in range(spec.min_args, spec.max_args + 1):
        args = ", ".join("nkj"[:count])
        assert not tex_problems(to_latex(parse_expr(f"{name}({args})")))


# -- packages ---------------------------------------------------------------------------------------

PACKAGES = [
    ("A @ B", ["amsmath"]),
    ("step(x)", ["amsmath", "amssymb"]),
]


@pytest.mark.parametrize("text, needed", PACKAGES, ids=[row[0] for row in PACKAGES])
def test_packages_needed(text, needed):
    assert packages(to_latex(parse_expr(text))) == needed


def test_elementwise_division_needs_no_package_beyond_amsmath():
    # \oslash is in LaTeX's own symbol font (stmaryrd's is another design, and often missing)
    assert packages(_shaped("X / V")) == ["amsmath"]


# -- properties over random trees ---------------------------------------------------------------------

@settings(max_examples=400, deadline=None)
@given(asts())
def test_any_tree_prints_as_text_tex_accepts(node):
    assert tex_problems(to_latex(node)) == []


@settings(max_examples=100, deadline=None)
@given(chains())
def test_any_chain_prints_in_both_forms(chain):
    assert tex_problems(to_latex(chain)) == []
    aligned = to_latex_aligned(chain)
    assert aligned.count("&=") == len(chain.sides) - 1
    assert tex_problems(aligned.replace("&", "").replace("\\\\\n", " ")) == []


@settings(max_examples=100, deadline=None)
@given(asts())
def test_names_given_as_latex_keep_the_contract(node):
    names = {"W1": "W^{(1)}", "x_2": "x_{2}", "a": r"\hat{a}", "S": r"\mathcal{S}"}
    assert tex_problems(to_latex(node, names)) == []


# -- the round trip: what is printed reads back as the very tree ------------------------------------

def reading_of(node) -> dict:
    """What a problem would tell latex_in about a bare tree or chain: the LaTeX spelling of each
    name that is not the name itself (as problem.latex_reading does) and the undefined functions
    it calls. No name is a scalar: without a scope the printer assumes none."""
    sides = node.sides if isinstance(node, ast.Chain) else (node,)
    subs = [sub for side in sides for sub in ast.walk(side)]
    names = {sub.id for sub in subs if isinstance(sub, ast.Name)}
    names |= {sub.wrt for sub in subs if isinstance(sub, ast.Derivative)}
    functions = {sub.func for sub in subs if isinstance(sub, ast.Call)}
    functions -= set(ELEMENTWISE) | set(MATRIX_FUNCTIONS)
    spellings = {default_name(n): n for n in names if default_name(n) != n}
    return {"names": spellings, "functions": sorted(functions)}


def canonical(node):
    """The tree with every function by its canonical name (σ → sigmoid), as LaTeX spells it."""
    def rename(n):
        return replace(n, func=canonical_function(n.func)) if isinstance(n, ast.Call) else n
    return ast.rebuild(node, rename)


# Each notation that reads back only by a rule of its own, pinned beside the random trees.
SPECIAL_READINGS = [
    "W[1] + W1", "x_2 - x[2]",  # an entry spelled as a name: (W)_{1}
    "(-A * 2) @ B", "kron(-0.5, a) @ b",  # a leading minus takes one factor only
    "2 ** -1", "x ** -1", "inv(2)", "inv(e)", "e ** x", "x ** T", "x ** (2 @ T)", "x ** ((a + b) @ c)",
    "x[1][2]", "norm(a)[2]", "sum(A @ B, axis=1) @ C", "sum(2 * A, axis=0)", "det(X) @ X", "x[2] @ y @ z",
    "outer(a, b) - a @ b.T", "dX[i]/dW[j] - dX/dW[i,j]", "sqrt'(x) + step'(x)", "zeros(m, n) + ones(m, 1)",
]


@settings(max_examples=500, deadline=None)
@given(latex_asts())
@example(parse_expr(" + ".join(f"({text})" for text in SPECIAL_READINGS)))
def test_any_tree_with_a_latex_reading_reads_back_as_itself(node):
    assert parse_latex_expr(to_latex(node), **reading_of(node)) == node


@settings(max_examples=100, deadline=None)
@given(latex_chains())
def test_any_chain_reads_back_from_both_forms(chain):
    aligned = r"\begin{aligned}" + to_latex_aligned(chain) + r"\end{aligned}"
    assert parse_latex_claim(to_latex(chain), **reading_of(chain)) == chain
    assert parse_latex_claim(aligned, **reading_of(chain)) == chain


ORACLE = problem_from_dict(ORACLE_PROBLEM)
SHAPES = [("1", "1"), ("M", "1"), ("1", "N"), ("M", "N"), ("M", "M")]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SHAPES).flatmap(typed_texts))
def test_any_well_typed_expression_reads_back_with_its_shapes(text):
    # with a scope the notation follows the shapes (X^{\circ 2}, \oslash, scalars side by side)
    node = parse_expr(text)
    latex = to_latex(node, scope=ORACLE.scope().for_claim(index_names_of(node)))
    assert parse_latex_expr(latex, **latex_reading(ORACLE)) == canonical(node)


def test_the_round_trip_tells_apart_trees_of_the_same_value():
    pairs = ["dz/dx[i,j]", "dz[i]/dx[j]", "dY/ds[i,j]", "dY[i,j]/ds", "outer(x, x)", "x @ x.T",
             "sum(X, axis=0)", "ones(m).T @ X", "inv(s)", "s ** -1", "s @ X", "s * X", "X[1,1] @ V", "X[1,1] * V"]
    printed = [_shaped(text) for text in pairs]
    assert len(set(printed)) == len(pairs)
    read = [parse_latex_expr(latex, **latex_reading(SHAPED)) for latex in printed]
    assert read == [parse_expr(text) for text in pairs]


# -- the catalog ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_every_catalog_claim_prints(path):
    problem = load_problem(path)
    printed = [to_latex(expr) for _, expr in problem.definitions]
    for claim in problem.claims:
        scope = problem.claim_scope(claim.chain)
        printed += [to_latex(claim.chain), to_latex(claim.chain, scope=scope),
                    to_latex_aligned(claim.chain, scope=scope).replace("&", "").replace("\\\\\n", " ")]
    assert [(text, tex_problems(text)) for text in printed if tex_problems(text)] == []


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_every_catalog_claim_and_definition_reads_back_as_itself(path):
    # as the export prints them (the claim's scope), read as derive verify --latex reads them
    problem = load_problem(path)
    reading = latex_reading(problem)
    wrong = [(name, to_latex(expr, scope=problem.scope())) for name, expr in problem.definitions
             if parse_latex_expr(to_latex(expr, scope=problem.scope()), **reading) != expr]
    for claim in problem.claims:
        scope = problem.claim_scope(claim.chain)
        aligned = r"\begin{aligned}" + to_latex_aligned(claim.chain, scope=scope) + r"\end{aligned}"
        for latex in (to_latex(claim.chain, scope=scope), aligned):
            if parse_latex_claim(latex, **reading) != claim.chain:
                wrong.append((claim.text, latex))
    assert wrong == []


# -- TeX itself, where installed ----------------------------------------------------------------------

DOCUMENT_CLAIMS = [
    "dL/dSc = A * (dL/dA - sum(A * dL/dA, axis=1))",
    "dY[k,l]/dX[i,j] = -inv(X)[k,i] * inv(X)[j,l]",
    "dl0/dX = inv(X).T = inv(X.T)",
    "dE/dW1 = (sigmoid'(a) * (W2.T @ (y - t))) @ x.T",
]


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_printed_claims_compile_with_pdflatex(tmp_path):
    rows = [to_latex_aligned(parse_claim(text)) for text in DOCUMENT_CLAIMS]
    rows.append(to_latex(parse_expr("step(x) + X / V"), scope=SHAPED.scope()))
    rows.append(to_latex(parse_expr("sum_{m,n}(dL/dY[m,n] * X[m,j] * delta(n,i)) + norm(x)**2 + kron(A, B)")))
    rows += [to_latex(parse_expr(text)) for text in SPECIAL_READINGS]
    rows += [_shaped(text) for text in ("(x.T @ x) * X + X ** -1", "dz/dx[i,j] + dY/ds[i,j]")]
    needed = sorted({p for row in rows for p in packages(row)})
    body = "\n".join(rf"\begin{{align*}}{row}\end{{align*}}" for row in rows)
    source = (rf"\documentclass{{article}}\usepackage{{{','.join(needed)}}}" "\n"
              rf"\begin{{document}}{body}\end{{document}}")
    (tmp_path / "claims.tex").write_text(source, encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "claims.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout[-2000:]
