"""derive.language.latex_in: each LaTeX construct, the reading rules, errors with carets, and the seeds."""

from __future__ import annotations

import hashlib
import re
from fractions import Fraction
from pathlib import Path

import pytest

from derive.errors import DeriveError, ParseError, TooLarge
from derive.language import ast
from derive.language.latex_in import parse_latex_claim, parse_latex_expr
from derive.language.parser import MAX_DEPTH, MAX_LENGTH, parse_claim, parse_expr
from derive.language.primitives import ELEMENTWISE, MATRIX_FUNCTIONS

N = ast.Name
# The seeds live in shared/ beside the repository (CI lays a copy there) or in the workplace's.
def _seeds() -> Path:
    for candidate in (Path(__file__).resolve().parents[2] / "shared" / "seeds", Path("/work/shared/seeds")):
        if candidate.is_dir():
            return candidate
    return Path("/nonexistent/seeds")


SEEDS = _seeds()
DOC = Path(__file__).resolve().parents[1] / "docs" / "latex.md"


def num(value) -> ast.Number:
    return ast.Number(Fraction(value))


def index(operand, *items) -> ast.Index:
    return ast.Index(operand, tuple(items))


def call(func, *args, prime=0) -> ast.Call:
    return ast.Call(func, tuple(args), (), prime)


def parse_any(latex: str, names=None, **options):
    """A claim if the text has a top-level '=', else one expression."""
    try:
        return parse_latex_claim(latex, names, **options)
    except ParseError as error:
        if not error.headline.startswith("a claim needs '='"):
            raise
    return parse_latex_expr(latex, names, **options)


def _cases(rows):
    return [pytest.param(*row[1:], id=row[0]) for row in rows]


# -- constructs: LaTeX → the AST itself ----------------------------------------------------------

CONSTRUCTS = [
    ("frac derivative", r"\frac{\partial J}{\partial W}", ast.Derivative(N("J"), "W")),
    ("bold denominator", r"\frac{\partial L}{\partial \mathbf{Y}}", ast.Derivative(N("L"), "Y")),
    ("slash derivative", r"\partial J / \partial W", ast.Derivative(N("J"), "W")),
    ("d derivative", r"\frac{dJ}{dW}", ast.Derivative(N("J"), "W")),
    ("mathrm d derivative", r"\frac{\mathrm{d} J}{\mathrm{d} W}", ast.Derivative(N("J"), "W")),
    ("entrywise derivative", r"\frac{\partial Y_{mn}}{\partial W_{ij}}",
     index(ast.Derivative(index(N("Y"), "m", "n"), "W"), "i", "j")),
    ("gradient entry", r"\frac{\partial J}{\partial W_{ij}}", index(ast.Derivative(N("J"), "W"), "i", "j")),
    ("derivative operator", r"\frac{\partial}{\partial X_{ij}} (X_{mn} + 1)",
     index(ast.Derivative(ast.Binary("+", index(N("X"), "m", "n"), num(1)), "X"), "i", "j")),
    ("derivative of an expression", r"\frac{\partial \log X_{mn}}{\partial X_{ij}}",
     index(ast.Derivative(call("log", index(N("X"), "m", "n")), "X"), "i", "j")),
    ("transpose T", "W^T", ast.Transpose(N("W"))),
    ("transpose top", r"W^\top", ast.Transpose(N("W"))),
    ("transpose braced top", r"W^{\top}", ast.Transpose(N("W"))),
    ("transpose mathsf", r"W^{\mathsf T}", ast.Transpose(N("W"))),
    ("transpose intercal", r"W^\intercal", ast.Transpose(N("W"))),
    ("inverse", "W^{-1}", call("inv", N("W"))),
    ("power", "x^2", ast.Binary("**", N("x"), num(2))),
    ("braced power", "x^{3}", ast.Binary("**", N("x"), num(3))),
    ("exp as e power", "e^{x}", call("exp", N("x"))),
    ("exp of a negation", "e^{-x}", call("exp", ast.Neg(N("x")))),
    ("odot", r"A \odot B", ast.Binary("*", N("A"), N("B"))),
    ("circ", r"A \circ B", ast.Binary("*", N("A"), N("B"))),
    ("otimes", r"A \otimes B", call("kron", N("A"), N("B"))),
    ("oslash", r"A \oslash B", ast.Binary("/", N("A"), N("B"))),
    ("cdot of matrices", r"A \cdot B", ast.Binary("@", N("A"), N("B"))),
    ("times of matrices", r"A \times B", ast.Binary("@", N("A"), N("B"))),
    ("juxtaposition", "W x", ast.Binary("@", N("W"), N("x"))),
    ("juxtaposition without space", r"\mathbf{X}\mathbf{W}", ast.Binary("@", N("X"), N("W"))),
    ("number times matrix is scalar product", r"2 W^T \delta",
     ast.Binary("@", ast.Binary("*", num(2), ast.Transpose(N("W"))), N("delta"))),
    ("fraction", r"\frac{a}{b}", ast.Binary("/", N("a"), N("b"))),
    ("ones with size", r"\mathbf{1}_{S}", call("ones", N("S"))),
    ("ones row", r"\mathbf{1}_S^\top", ast.Transpose(call("ones", N("S")))),
    ("column sums", r"\mathbf{1}^\top A", ast.Call("sum", (N("A"),), (("axis", num(0)),))),
    ("row sums", r"A \mathbf{1}", ast.Call("sum", (N("A"),), (("axis", num(1)),))),
    # sized by the problem's shapes (derive.problem.settle, tests/test_settle.py)
    ("ones sized by its context", r"\mathbf{1} x", ast.Binary("@", ast.Call("ones", ()), N("x"))),
    ("a placeholder argument", r"\tanh(\cdot)", call("tanh", N(ast.PLACEHOLDER))),
    ("a column by its entries", r"\begin{bmatrix} a \\ 0 \end{bmatrix}",  # its entries checked by settle
     ast.Call(ast.MATRIX, (ast.Binary("*", N("a"), ast.Index(call("eye", num(2)), (ast.ALL, 1))), N("a"), num(0)))),
    ("step indicator", r"\mathbb{1}\left[x > 0\right]", call("step", N("x"))),
    ("inverse transpose", r"X^{-\top}", ast.Transpose(call("inv", N("X")))),
    ("ones with two sizes", r"\mathbf{1}_{m \times n}", call("ones", N("m"), N("n"))),
    ("identity", "I_{n}", call("eye", N("n"))),
    ("square identity", r"I_{m \times m}", call("eye", N("m"))),
    ("mathbf name", r"\mathbf{X}", N("X")),
    ("boldsymbol name", r"\boldsymbol{x}", N("x")),
    ("bm name", r"\bm{x}", N("x")),
    ("sigma is the sigmoid", r"\sigma(A)", call("sigmoid", N("A"))),
    ("sigma prime", r"\sigma'(A)", call("sigmoid", N("A"), prime=1)),
    ("sigma left right", r"\sigma\left(A\right)", call("sigmoid", N("A"))),
    ("undefined function prime", "h'(X)", call("h", N("X"), prime=1)),
    ("double prime", "h''(X)", call("h", N("X"), prime=2)),
    ("operatorname diag", r"\operatorname{diag}(v)", call("diag", N("v"))),
    ("text vec", r"\text{vec}(A)", call("vec", N("A"))),
    ("mathrm tr", r"\mathrm{tr}(A)", call("trace", N("A"))),
    ("operatorname tr without parentheses", r"\operatorname{tr} A", call("trace", N("A"))),
    ("text Tr", r"\text{Tr}\left(A\right)", call("trace", N("A"))),
    ("det", r"\det A", call("det", N("A"))),
    ("log takes one factor", r"\log x^2", call("log", ast.Binary("**", N("x"), num(2)))),
    ("exp call", r"\exp(x)", call("exp", N("x"))),
    ("call then power", r"\sigma(x)^2", ast.Binary("**", call("sigmoid", N("x")), num(2))),
    ("sqrt", r"\sqrt{x}", call("sqrt", N("x"))),
    ("norm", r"\|x\|", call("norm", N("x"))),
    ("norm squared", r"\|x\|_2^2", ast.Binary("**", call("norm", N("x")), num(2))),
    ("lVert norm", r"\left\lVert x \right\rVert", call("norm", N("x"))),
    ("index sum over two", r"\sum_{m,n} X_{mn}", ast.IndexSum(("m", "n"), index(N("X"), "m", "n"))),
    ("index sum with bounds", r"\sum_{r=1}^{m} y_r", ast.IndexSum(("r",), index(N("y"), "r"))),
    ("index sum unbraced", r"\sum_p x_p", ast.IndexSum(("p",), index(N("x"), "p"))),
    ("sum without index", r"\sum x", call("sum", N("x"))),
    ("kronecker delta", r"\delta_{ni}", call("delta", N("n"), N("i"))),
    ("kronecker delta with comma", r"\delta_{n,i}", call("delta", N("n"), N("i"))),
    ("delta as a name", r"\delta", N("delta")),
    ("letters are indices", "X_{mj}", index(N("X"), "m", "j")),
    ("comma indices", "X_{m,j}", index(N("X"), "m", "j")),
    ("one index", "x_i", index(N("x"), "i")),
    ("integer indices", "W_{1,1}", index(N("W"), 1, 1)),
    ("a digit run is one index", "x_{12}", index(N("x"), 12)),
    ("slice", "W_{i,:}", index(N("W"), "i", ast.ALL)),
    ("left right parentheses", r"\left( W \right)", N("W")),
    ("big parentheses", r"\big( W \big)", N("W")),
    ("Big parentheses", r"\Big( W \Big)", N("W")),
    ("bigl parentheses", r"\bigl( W \bigr)", N("W")),
    ("brackets group", r"\left[ W \right]", N("W")),
    ("thin spaces", r"W\,x\;y\!", ast.Binary("@", ast.Binary("@", N("W"), N("x")), N("y"))),
    ("text name", r"\text{LOSS}", N("LOSS")),
    ("mathrm name", r"\mathrm{LOSS}", N("LOSS")),
    ("label superscript", "x^{(4)}", N("x4")),
    ("label then transpose", r"x^{(4)\top}", ast.Transpose(N("x4"))),
    ("label then index", "W^{(1)}_{ij}", index(N("W1"), "i", "j")),
    ("greek name", r"\eta", N("eta")),
    ("ell", r"\ell", N("ell")),
    ("unary minus folds into a number", "-2", num(-2)),
    ("unary minus binds to the first factor", "-a b", ast.Binary("@", ast.Neg(N("a")), N("b"))),
    ("numpy matmul and transpose", r"W.T @ x", ast.Binary("@", ast.Transpose(N("W")), N("x"))),
    ("numpy hadamard", r"h * (1 - h)", ast.Binary("*", N("h"), ast.Binary("-", num(1), N("h")))),
    ("name before parenthesis is a product", "W(x + b)",
     ast.Binary("@", N("W"), ast.Binary("+", N("x"), N("b")))),
    ("several arguments make a call", "f(W, x, y)", call("f", N("W"), N("x"), N("y"))),
    ("subscripted name before parenthesis", "h_i(1 - h_i)",
     ast.Binary("*", index(N("h"), "i"), ast.Binary("-", num(1), index(N("h"), "i")))),
    ("d alone is the name d", r"\frac{1}{d}", ast.Binary("/", num(1), N("d"))),
    # what latex_out prints where the usual notation would read as something else
    ("inverse of a scalar is the power", "2^{-1}", ast.Binary("**", num(2), num(-1))),
    ("operatorname inv", r"\operatorname{inv}\left(2\right)", call("inv", num(2))),
    ("parenthesized e takes a power", r"\left(e\right)^{x}", ast.Binary("**", N("e"), N("x"))),
    ("bracketed T is a variable", r"x^{\left[T\right]}", ast.Binary("**", N("x"), N("T"))),
    ("bracketed exponent is not a label", r"x^{\left[\left(a\right) b\right]}",
     ast.Binary("**", N("x"), ast.Binary("@", N("a"), N("b")))),
    ("entry of a parenthesized entry", r"\left(X_{i}\right)_{j}", index(index(N("X"), "i"), "j")),
    ("entry of a parenthesized name", r"\left(W\right)_{1}", index(N("W"), 1)),
    ("entry of a parenthesized norm", r"\left(\|a\|\right)_{2}", index(call("norm", N("a")), 2)),
    ("bold zero with size", r"\mathbf{0}_{n}", call("zeros", N("n"))),
    ("operatorname step primed", r"\operatorname{step}'\left(x\right)", call("step", N("x"), prime=1)),
    ("operatorname outer", r"\operatorname{outer}\left(u, v\right)", call("outer", N("u"), N("v"))),
    ("matmul by an entry", r"x_{1} \mathbin{@} y", ast.Binary("@", index(N("x"), 1), N("y"))),
]


@pytest.mark.parametrize("latex, expected", _cases(CONSTRUCTS))
def test_each_construct_reads_as_its_node(latex, expected):
    assert parse_latex_expr(latex) == expected


# -- equivalents: LaTeX → the AST of claim-language text -----------------------------------------

EQUIVALENTS = [
    ("gradient", r"W^\top \frac{\partial J}{\partial y}", "W.T @ dJ/dy"),
    ("absolute value", r"\log |\det X|", "log(abs(det(X)))"),
    ("absolute value with left right", r"\left| x \right| \odot \lvert y \rvert", "abs(x) * abs(y)"),
    ("vert pairs", r"\vert x \vert + |y|", "abs(x) + abs(y)"),
    ("two bars are a norm", r"||x||^2 + \|y\|", "norm(x)**2 + norm(y)"),
    ("bars of both kinds", r"\| |x| \|", "norm(abs(x))"),
    ("sign and sgn", r"\operatorname{sign}(x) - \operatorname{sgn}(y)", "sign(x) - sign(y)"),
    ("outer product", r"\frac{\partial J}{\partial y} x^T", "dJ/dy @ x.T"),
    ("hadamard with activation", r"\frac{\partial J}{\partial S} \odot \sigma'(A)", "dJ/dS * sigmoid'(A)"),
    ("entries multiply by *", r"\frac{\partial J}{\partial y_i} x_j", "dJ/dy[i] * x[j]"),
    ("index sum body is the term", r"\sum_p X_{mp} W_{np} + B_{mn}", "sum_p(X[m,p] * W[n,p]) + B[m,n]"),
    ("index sum of a product with deltas", r"\sum_{m,n} \frac{\partial L}{\partial Y_{mn}} X_{mj} \delta_{ni}",
     "sum_{m,n}(dL/dY[m,n] * X[m,j] * delta(n,i))"),
    ("transposed parenthesis", r"\left( \frac{\partial L}{\partial \mathbf{Y}} \right)^T \mathbf{X}",
     "(dL/dY).T @ X"),
    ("batched bias", r"\mathbf{1}_S^\top \frac{\partial L}{\partial \mathbf{Y}}", "ones(S).T @ dL/dY"),
    ("softmax entry", r"Y_{mn} \delta_{mi} (\delta_{nj} - Y_{mj})",
     "Y[m,n] * delta(m,i) * (delta(n,j) - Y[m,j])"),
    ("cross entropy", r"-\frac{1}{S} \mathbf{T} \oslash \mathbf{X}", "-(1/S) * T / X"),
    ("sigmoid derivative", r"\sigma(f_i)(1 - \sigma(f_i))", "sigmoid(f[i]) * (1 - sigmoid(f[i]))"),
    ("kron identity", r"(C^T \otimes A) \text{vec}(B)", "kron(C.T, A) @ vec(B)"),
    ("derivative times", r"2 \frac{\partial J}{\partial W}", "2 * dJ/dW"),
    ("slash derivative after a factor", r"2 \partial J / \partial W", "2 * dJ/dW"),
    ("slash derivative then a factor", r"\partial J / \partial y \; x^T", "dJ/dy @ x.T"),
    ("trace is a scalar", r"\operatorname{tr}(A) B", "trace(A) * B"),
    ("half norm", r"\frac{1}{2} \|x^{(4)}\|_2^2", "1/2 * norm(x4)**2"),
    ("d over dx of a power", r"\frac{d}{dx} (1+e^{-x})^{-1}", "d(inv(1 + exp(-x)))/dx"),
    ("exp over a sum", r"\frac{e^{X_{mn}}}{\sum_k e^{X_{mk}}}", "exp(X[m,n]) / sum_k(exp(X[m,k]))"),
    ("cdot ends a sum body", r"\sum_k e^{X_{mk}} \cdot e^{X_{mn}}", "sum_k(exp(X[m,k])) * exp(X[m,n])"),
    # cases: one for an equality of indices (or x > 0), the other its complement
    ("cases of a delta", r"\begin{cases} 1 & i = j \\ 0 & \text{else} \end{cases}", "delta(i, j)"),
    ("cases with if and otherwise", r"\begin{cases} g_j & \text{if } k = i \\ 0 & otherwise \end{cases}",
     "g[j] * delta(k, i)"),
    ("cases, the unequal one first", r"\begin{cases} 0 & i \neq j \\ \sigma'(z_i) & i=j \end{cases}",
     "sigmoid'(z[i]) * delta(i, j)"),
    ("cases, both nonzero", r"\begin{cases} a & i = j \\ b + c & i \ne j \end{cases}",
     "a * delta(i, j) + (b + c) * (1 - delta(i, j))"),
    ("cases of a step", r"\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}", "step(x)"),
    ("cases of a step, elementwise", r"\begin{cases} G & X > 0 \\ 0 & \text{else} \end{cases}", "G * step(X)"),
]


@pytest.mark.parametrize("latex, text", _cases(EQUIVALENTS))
def test_latex_reads_as_the_equivalent_claim_text(latex, text):
    assert parse_latex_expr(latex) == parse_expr(text)


CLAIMS = [
    ("equation", r"\frac{\partial J}{\partial x} = W^T \frac{\partial J}{\partial y}", "dJ/dx = W.T @ dJ/dy"),
    ("chain", (r"\frac{\partial J}{\partial b} = \frac{\partial J}{\partial y} \frac{\partial y}{\partial b} "
               r"= \frac{\partial J}{\partial y}"), "dJ/db = dJ/dy @ dy/db = dJ/dy"),
    ("trailing full stop", r"Y_{mn} = \sum_p X_{mp} W_{np} + B_{mn}.", "Y[m,n] = sum_p(X[m,p] * W[n,p]) + B[m,n]"),
    ("trailing comma", r"\mathbf{Y} = \mathbf{X}\mathbf{W}^T + \mathbf{B},", "Y = X @ W.T + B"),
    ("aligned chain", ("\\begin{aligned} \\frac{\\partial L}{\\partial X_{ij}} &= \\frac{\\partial L}{\\partial Y_{ij}} h'(X_{ij}) "
                       "\\\\\n &= h'(X_{ij}) \\frac{\\partial L}{\\partial Y_{ij}} \\end{aligned}"),
     "dL/dX[i,j] = dL/dY[i,j] * h'(X[i,j]) = h'(X[i,j]) * dL/dY[i,j]"),
    ("split chain with stops", r"\begin{split} a &= b.\\ &= c \end{split}", "a = b = c"),
]


@pytest.mark.parametrize("latex, text", _cases(CLAIMS))
def test_latex_claim_reads_as_the_equivalent_chain(latex, text):
    assert parse_latex_claim(latex) == parse_claim(text)


def test_a_claim_keeps_its_latex_text():
    latex = r"a = b"
    assert parse_latex_claim(latex).text == latex


# -- names, functions, scalars --------------------------------------------------------------------

CONTEXT = [
    ("names map a label", r"W^{(1)} x", {"names": {"W^{(1)}": "W1"}}, "W1 @ x"),
    ("names map a subscript label", r"W_{N-1} x_{N-1}", {"names": {"W_{N-1}": "WNm1", "x_{N-1}": "xNm1"}},
     "WNm1 @ xNm1"),
    ("names ignore spaces and braces", r"q_{2} + q_ 2", {"names": {"q_2": "q2"}}, "q2 + q2"),
    ("names win over an index", r"x_1 + x_2", {"names": {"x_1": "x1"}}, "x1 + x[2]"),
    ("a declared I is a variable", "I_{n}", {"names": {"I": "I"}}, "I[n]"),
    ("names map text", r"\text{LOSS}", {"names": {r"\text{LOSS}": "loss"}}, "loss"),
    ("names map greek", r"\frac{\partial \ell}{\partial x}", {"names": {r"\ell": "l"}}, "dl/dx"),
    ("names in a derivative denominator", r"\frac{\partial \ell}{\partial W^{(2)}}",
     {"names": {r"\ell": "l", "W^{(2)}": "W2"}}, "dl/dW2"),
    ("declared function applies", "h(X_{mn})", {"functions": ["h"]}, "h(X[m,n])"),
    ("declared function after a space", "h (X)", {"functions": ["h"]}, "h(X)"),
    ("names then function", r"\Phi(x^{(1)})", {"names": {r"\Phi": "phi"}, "functions": ["phi"]}, "phi(x1)"),
    ("undeclared function is a product", "h(X)", {}, "h @ X"),
    ("declared scalar multiplies by *", r"\eta W", {"scalars": ["eta"]}, "eta * W"),
    ("declared scalar to the -1 is a power", r"\eta^{-1}", {"scalars": ["eta"]}, "eta ** -1"),
    ("derivative of scalars by a scalar is a scalar", r"\frac{\partial L}{\partial z} \frac{\partial z}{\partial w}",
     {"scalars": ["L", "z", "w"]}, "dL/dz * dz/dw"),
    ("derivative by a matrix is not a scalar", r"\frac{\partial L}{\partial W} x", {"scalars": ["L"]}, "dL/dW @ x"),
    ("primed function of an entry is a scalar", r"h'(x_i) y", {}, "h'(x[i]) * y"),
    ("undeclared scalar multiplies by @", r"\eta W", {}, "eta @ W"),
]


@pytest.mark.parametrize("latex, context, text", _cases(CONTEXT))
def test_names_functions_and_scalars_settle_readings(latex, context, text):
    assert parse_latex_expr(latex, context.get("names"), functions=context.get("functions", ()),
                            scalars=context.get("scalars", ())) == parse_expr(text)


def test_a_names_value_must_be_a_variable_name():
    with pytest.raises(ValueError, match="not a variable name"):
        parse_latex_expr("x", {"x": "not a name"})


def test_spans_point_into_the_latex():
    node = parse_latex_expr(r"W + \mathbf{X}")
    assert node.right.span == (4, 14)


# -- errors ----------------------------------------------------------------------------------------

ERRORS = [
    ("unclosed brace", r"\frac{\partial J}{\partial W", "the text ends (expected '}')", 28),
    ("dangling operator", "W^T +", "the text ends (expected an expression)", 5),
    ("stray closing parenthesis", "a + )", "unexpected ')' (expected an expression)", 4),
    ("set membership", r"x \in S", r"'\in' is read only in a shape statement", 2),
    ("quad commentary", r"L = x \quad \text{--- (1)}", r"'\quad' separates a formula", 6),
    ("a determinant's bars", r"d = \begin{vmatrix} a & b \\ c & d \end{vmatrix}", r"'\begin{vmatrix}' is not read", 4),
    ("a matrix with elided entries", r"b = \begin{bmatrix} b_1 \\ \vdots \\ b_n \end{bmatrix}", "elided entries", 4),
    ("a ragged matrix", r"A = \begin{bmatrix} 1 & 2 \\ 3 \end{bmatrix}", "same number of entries", 4),
    ("cases", r"\delta_{ij} = \begin{cases} 1 & i = j \end{cases}", "two cases only", 14),
    ("cases of another condition", r"\begin{cases} 1 & x < 0 \\ 0 & \text{else} \end{cases}", "two cases only", 0),
    ("cases of two conditions", r"\begin{cases} 1 & i = j \\ 0 & k = l \end{cases}", "two cases only", 0),
    ("a matrix's unreadable entry", r"\begin{pmatrix} 1 & \alpha^ \end{pmatrix}", "the matrix's entry (1, 2)", 0),
    ("dots", r"x_1 + \dots + x_d", r"'\dots' leaves terms out", 6),
    ("a list that is no range", r"(x_1, \dots, y_n)", "differ in more than an index", 0),
    ("a list from zero", r"[x_0, \dots, x_n]", "this one starts from 0", 0),
    ("a list without dots", r"[x_1, x_2]", "a list [a, b] is read only as a vector's entries", 0),
    ("two update arrows", r"w \leftarrow w - \eta g \leftarrow w", "unexpected '\\leftarrow'", 24),
    ("implication", r"a = b \Rightarrow c = d", "an implication is not an equation", 6),
    ("circled label", r"\textcircled{1} a = b", r"'\textcircled' is an equation label", 0),
    ("unknown command", r"\foo x", r"'\foo' is not LaTeX that derive reads", 0),
    ("operator alone in a parenthesis", r"f(\odot)", r"'\odot' alone in a parenthesis", 2),
    ("indicator of another test", r"\mathbb{1}[x > 1]", r"read only as \mathbb{1}[x > 0]", 15),
    ("partial alone", r"\partial J", r"'\partial' outside a derivative", 0),
    ("derivative by an expression", r"\frac{\partial f(g(x))}{\partial g(x)}",
     "the bottom of a derivative is one variable", 0),
    ("derivative by a transpose", r"\frac{\partial J}{\partial W^T}", "a derivative is taken by a variable", 27),
    ("third derivative", r"\frac{\partial^3 J}{\partial W^3}", "takes no script but ^2 (a second derivative)", 14),
    ("operator without operand", r"\frac{\partial}{\partial x}", "needs an expression after it", 0),
    ("prime without call", "h' + 1", "h' is a function's derivative: apply it", 0),
    ("subscript that is not indices", r"x_{N-1} + 1", "the subscript in 'x_{N-1}' is not a list of indices", 1),
    ("label that is not a name", r"w^{(t+1)}", "a superscript label is one name or number", 1),
    ("two subscripts", "X_{mn}_{ij}", "a second subscript on an entry", 6),
    ("identity with two sizes", r"I_{m \times n}", "the identity I is square", 1),
    ("top outside a superscript", r"\top", r"'\top' belongs in a superscript", 0),
    ("list outside a call", "(a, b)", "a list (a, b) is allowed only as a function's arguments", 0),
    ("prose in text", r"\text{where } x", "is prose, not a name", 0),
    ("several equations in one block", r"\begin{split} a &= b \\ c &= d \end{split}",
     "a new equation starts after", 24),
    ("sum over an expression", r"\sum_{i+1} x", "a sum's subscript names its indices", 0),
    ("caret stays on one line", "a +\n)", "unexpected ')'", 4),
]


@pytest.mark.parametrize("latex, message, column", _cases(ERRORS))
def test_errors_name_the_problem_with_a_caret(latex, message, column):
    with pytest.raises(ParseError) as info:
        parse_any(latex)
    error = info.value
    assert message in error.headline
    assert error.column == column
    _, shown, caret = str(error).split("\n")
    assert "\n" not in error.headline and caret.index("^") - 2 == column
    assert shown.strip() == re.sub(r"\s", " ", latex).strip()


def test_an_expression_is_not_an_equation():
    with pytest.raises(ParseError, match="expected one expression, found an equation"):
        parse_latex_expr("a = b")


def test_a_claim_needs_an_equals_sign():
    with pytest.raises(ParseError, match="a claim needs '='"):
        parse_latex_claim("a + b")


def test_a_parse_error_is_a_value_error_and_a_derive_error():
    with pytest.raises(ValueError):
        parse_latex_expr("a +")
    with pytest.raises(DeriveError):
        parse_latex_expr("a +")


def test_text_past_the_length_limit_is_too_large():
    with pytest.raises(TooLarge):
        parse_latex_expr("x + " * (MAX_LENGTH // 4 + 1) + "x")


def test_braces_nested_past_the_limit_are_too_large():
    with pytest.raises(TooLarge):
        parse_latex_expr("{" * (MAX_DEPTH + 1) + "x" + "}" * (MAX_DEPTH + 1))


# -- the LaTeX the primitives table prints reads back -----------------------------------------------

TEMPLATE_GAPS: dict[str, str] = {}  # a registry template the reader cannot take back, and why


def _template_rows():
    rows = [(name, row.latex.format("x"), call(name, N("x"))) for name, row in ELEMENTWISE.items()]
    for name, row in MATRIX_FUNCTIONS.items():
        args = ("i", "j") if name == "delta" else ("A", "B")[: row.min_args]
        rows.append((name, row.latex.format(*args), call(name, *(N(a) for a in args))))
    return [pytest.param(latex, expected, id=name, marks=[pytest.mark.xfail(strict=True, reason=TEMPLATE_GAPS[name])]
                         if name in TEMPLATE_GAPS else []) for name, latex, expected in rows]


@pytest.mark.parametrize("latex, expected", _template_rows())
def test_the_primitives_latex_reads_back_as_the_call(latex, expected):
    assert parse_latex_expr(latex) == expected


# -- the seeds ------------------------------------------------------------------------------------

# How the catalog reads the seeds' notation (see problems/seed*.toml): undefined functions and labels.
SEED_CONTEXT = {
    "001": {"functions": ["h"]},
    "003": {"functions": ["phi"], "names": {r"\Phi": "phi", r"\ell": "l"}},
    "004": {"names": {"x_{N-1}": "xNm1", "z_{N-1}": "zNm1", "w_{N-1}": "wNm1", "b_{N-1}": "bNm1",
                      "x_{N-2}": "xNm2", "x_{n-1}": "xnm1"}},
}


def seed_formulas() -> list[tuple[str, str, str]]:
    """(seed, key, formula) for every display formula and every inline formula with '='.

    A display that starts with '=' continues the one before it (a chain split over displays).
    The key is the first 8 hex digits of the SHA-1 of the formula with its spaces collapsed.
    """
    out = []
    for path in sorted(SEEDS.glob("*.txt")):
        seed, text = path.name[:3], path.read_text(encoding="utf-8")
        displays: list[str] = []
        for block in re.findall(r"\$\$(.+?)\$\$", text, flags=re.DOTALL):
            block = block.strip()
            if block.startswith("=") and displays:
                displays[-1] += " " + block
            else:
                displays.append(block)
        rest = re.sub(r"\$\$.+?\$\$", " ", text, flags=re.DOTALL)
        inline = [m.strip() for m in re.findall(r"\$([^$\n]+?)\$", rest) if "=" in m]
        for formula in displays + inline:
            key = hashlib.sha1(" ".join(formula.split()).encode()).hexdigest()[:8]
            out.append((seed, key, formula))
    return out


def parse_seed_formula(seed: str, formula: str):
    context = SEED_CONTEXT.get(seed, {})
    return parse_any(formula, context.get("names"), functions=context.get("functions", ()))


def listed_formulas() -> dict[tuple[str, str], str]:
    """The table of docs/latex.md: (seed, key) → reason."""
    row = r"^\| (\d{3}) \| `([0-9a-f]{8})` \| .* \| ([^|]+) \|$"
    rows = re.findall(row, DOC.read_text(encoding="utf-8"), re.MULTILINE)
    return {(seed, key): reason.strip() for seed, key, reason in rows}


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not here")
def test_every_seed_formula_parses_or_is_listed_in_the_docs():
    listed = listed_formulas()
    parsed, unlisted, stale = [], [], []
    for seed, key, formula in seed_formulas():
        try:
            parse_seed_formula(seed, formula)
            parsed.append((seed, key))
            if (seed, key) in listed:
                stale.append(f"{seed} {key}: parses now; remove it from docs/latex.md")
        except DeriveError as error:
            if (seed, key) not in listed:
                unlisted.append(f"| {seed} | `{key}` | `{formula[:60]}` | {error.headline} |")
    assert not unlisted, "formulas that neither parse nor are listed in docs/latex.md:\n" + "\n".join(unlisted)
    assert not stale, "\n".join(stale)
    assert len(parsed) >= 70  # the seeds' equations, not only their prose, are read


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not here")
def test_the_seed_table_lists_each_formula_once():
    keys = [(seed, key) for seed, key, _ in seed_formulas()]
    assert set(listed_formulas()) <= set(keys)


@pytest.mark.parametrize("latex, text", [
    (r"H^{\circ 2}", "H**2"),
    (r"1 - h^{\circ 2}", "1 - h**2"),
    (r"X^{\circ 3} \odot Y", "X**3 * Y"),
])
def test_a_hadamard_power_is_an_elementwise_power(latex, text):
    assert parse_latex_expr(latex) == parse_expr(text)
