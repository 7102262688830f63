"""derive.language.parser (with derive.language.text): the grammar's constructs, precedence, errors and limits."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import given, settings

from derive.errors import DeriveError, ParseError, TooLarge
from derive.language import ast
from derive.language.parser import MAX_DEPTH, MAX_LENGTH, parse_claim, parse_definition, parse_expr
from derive.language.text import to_text

from .strategies import asts

N = ast.Name


def num(value) -> ast.Number:
    return ast.Number(Fraction(value))


def binary(op, left, right) -> ast.Binary:
    return ast.Binary(op, left, right)


# -- constructs ------------------------------------------------------------------------------

CONSTRUCTS = [
    ("integer", "42", num(42)),
    ("decimal", "1.5", num("1.5")),
    ("leading-dot decimal", ".5", num("0.5")),
    ("trailing-dot decimal", "2.", num(2)),
    ("exponent", "2e3", num(2000)),
    ("negative exponent", "1e-3", num("0.001")),
    ("negative literal folds the minus", "-2", num(-2)),
    ("name", "W", N("W")),
    ("name with digits and underscore", "W1_b", N("W1_b")),
    ("unicode name", "θ", N("θ")),
    ("unary minus", "-x", ast.Neg(N("x"))),
    ("unary plus is dropped", "+x", N("x")),
    ("double minus", "--x", ast.Neg(ast.Neg(N("x")))),
    ("matmul", "A @ B", binary("@", N("A"), N("B"))),
    ("hadamard", "A * B", binary("*", N("A"), N("B"))),
    ("division", "A / B", binary("/", N("A"), N("B"))),
    ("sum", "A + B", binary("+", N("A"), N("B"))),
    ("difference", "A - B", binary("-", N("A"), N("B"))),
    ("power", "A ** 2", binary("**", N("A"), num(2))),
    ("transpose", "A.T", ast.Transpose(N("A"))),
    ("double transpose", "A.T.T", ast.Transpose(ast.Transpose(N("A")))),
    ("two indices", "W[i,j]", ast.Index(N("W"), ("i", "j"))),
    ("one index", "x[i]", ast.Index(N("x"), ("i",))),
    ("row slice", "W[i,:]", ast.Index(N("W"), ("i", ast.ALL))),
    ("column slice", "W[:,j]", ast.Index(N("W"), (ast.ALL, "j"))),
    ("integer indices", "W[1,2]", ast.Index(N("W"), (1, 2))),
    ("index after transpose", "A.T[1,2]", ast.Index(ast.Transpose(N("A")), (1, 2))),
    ("call", "exp(x)", ast.Call("exp", (N("x"),))),
    ("call with two arguments", "kron(A, B)", ast.Call("kron", (N("A"), N("B")))),
    ("call with keyword", "sum(A, axis=0)", ast.Call("sum", (N("A"),), (("axis", num(0)),))),
    ("call without arguments", "f()", ast.Call("f", ())),
    ("sigma letter", "σ(z)", ast.Call("σ", (N("z"),))),
    ("prime", "h'(X)", ast.Call("h", (N("X"),), (), 1)),
    ("double prime", "h''(X)", ast.Call("h", (N("X"),), (), 2)),
    ("builtin prime", "sigmoid'(z)", ast.Call("sigmoid", (N("z"),), (), 1)),
    ("derivative", "dJ/dW", ast.Derivative(N("J"), "W")),
    ("partial derivative", "∂J/∂W", ast.Derivative(N("J"), "W")),
    ("derivative with spaces", "d J / d W", ast.Derivative(N("J"), "W")),
    ("gradient entry", "dJ/dW[i,j]", ast.Index(ast.Derivative(N("J"), "W"), ("i", "j"))),
    ("entrywise derivative", "dY[m,n]/dW[i,j]",
     ast.Index(ast.Derivative(ast.Index(N("Y"), ("m", "n")), "W"), ("i", "j"))),
    ("derivative of an integer-indexed entry", "dY[1,2]/dW", ast.Derivative(ast.Index(N("Y"), (1, 2)), "W")),
    ("derivative transposed", "dJ/dy.T", ast.Transpose(ast.Derivative(N("J"), "y"))),
    ("derivative of an expression", "d(log(X[m,n]))/dX[i,j]",
     ast.Index(ast.Derivative(ast.Call("log", (ast.Index(N("X"), ("m", "n")),)), "X"), ("i", "j"))),
    ("partial of an expression", "∂(J + R)/∂W", ast.Derivative(binary("+", N("J"), N("R")), "W")),
    ("index sum", "sum_n(x[n])", ast.IndexSum(("n",), ast.Index(N("x"), ("n",)))),
    ("index sum over two", "sum_{m,n}(X[m,n])", ast.IndexSum(("m", "n"), ast.Index(N("X"), ("m", "n")))),
    ("index sum with spaces", "sum_{ m , n }(1)", ast.IndexSum(("m", "n"), num(1))),
    ("kronecker delta", "delta(n,i)", ast.Call("delta", (N("n"), N("i")))),
    ("parentheses vanish", "((x))", N("x")),
]


def _cases(rows):
    """Rows (id, text, expected) or pytest.param rows, as parametrize arguments with ids."""
    out = []
    for row in rows:
        if hasattr(row, "marks"):
            name, text, expected = row.values
            out.append(pytest.param(text, expected, id=name, marks=row.marks))
        else:
            out.append(pytest.param(*row[1:], id=row[0]))
    return out


def _texts(rows):
    return [row.values[1] if hasattr(row, "marks") else row[1] for row in rows]


@pytest.mark.parametrize("text, expected", _cases(CONSTRUCTS))
def test_each_construct_parses_to_its_node(text, expected):
    assert parse_expr(text) == expected


def test_a_derivative_is_a_derivative_only_with_d_on_both_sides():
    assert parse_expr("dJ/W") == binary("/", N("dJ"), N("W"))


def test_spans_record_where_a_node_came_from():
    node = parse_expr("a + bb")
    assert node.right.span == (4, 6)


def test_spans_take_no_part_in_equality():
    assert parse_expr("a+b") == parse_expr("a  +  b")


# -- precedence and associativity -----------------------------------------------------------

PRECEDENCE = [
    ("@ binds tighter than +", "a + b @ c", binary("+", N("a"), binary("@", N("b"), N("c")))),
    ("* and @ share a level, left to right", "a @ b * c", binary("*", binary("@", N("a"), N("b")), N("c"))),
    ("* then @ left to right", "a * b @ c", binary("@", binary("*", N("a"), N("b")), N("c"))),
    ("- is left-associative", "a - b - c", binary("-", binary("-", N("a"), N("b")), N("c"))),
    ("/ is left-associative", "a / b / c", binary("/", binary("/", N("a"), N("b")), N("c"))),
    ("** is right-associative", "a ** b ** c", binary("**", N("a"), binary("**", N("b"), N("c")))),
    ("** binds tighter than unary minus", "-a ** 2", ast.Neg(binary("**", N("a"), num(2)))),
    ("unary minus binds tighter than @", "-a @ b", binary("@", ast.Neg(N("a")), N("b"))),
    ("exponent may be negative", "a ** -b", binary("**", N("a"), ast.Neg(N("b")))),
    (".T binds tighter than **", "a ** b.T", binary("**", N("a"), ast.Transpose(N("b")))),
    (".T binds tighter than @", "a @ b.T", binary("@", N("a"), ast.Transpose(N("b")))),
    ("parentheses override", "(a + b) @ c", binary("@", binary("+", N("a"), N("b")), N("c"))),
    ("scalar factor", "1/S * X", binary("*", binary("/", num(1), N("S")), N("X"))),
    ("a derivative is one token", "a / dJ/dW", binary("/", N("a"), ast.Derivative(N("J"), "W"))),
]


@pytest.mark.parametrize("text, expected", _cases(PRECEDENCE))
def test_precedence_and_associativity(text, expected):
    assert parse_expr(text) == expected


TEXTS = [
    ("a + b @ c", "a + b @ c"),
    ("(a + b) @ c", "(a + b) @ c"),
    ("a - (b - c)", "a - (b - c)"),
    ("(a ** b) ** c", "(a**b)**c"),
    ("-(a @ b)", "-(a @ b)"),
    ("(-a).T", "(-a).T"),
    ("(a + b).T[1,2]", "(a + b).T[1,2]"),
    ("dJ/dW[i,j]", "dJ/dW[i,j]"),
    ("∂J/∂W", "dJ/dW"),
    ("d(W[:,j])/dW", "d(W[:,j])/dW"),
    ("sum_{m,n}(X[m,n])", "sum_{m,n}(X[m,n])"),
    ("sum(A,axis=0)", "sum(A, axis=0)"),
    (".125", "0.125"),
    ("-0.5 * x", "-0.5 * x"),
]


@pytest.mark.parametrize("text, expected", TEXTS, ids=[t for t, _ in TEXTS])
def test_to_text_writes_the_fewest_parentheses(text, expected):
    assert to_text(parse_expr(text)) == expected


# -- claims and definitions -------------------------------------------------------------------

def test_a_claim_chain_keeps_every_side():
    chain = parse_claim("A = B = C")
    assert chain.sides == (N("A"), N("B"), N("C"))
    assert chain.links() == [(N("A"), N("B")), (N("B"), N("C"))]


def test_a_chain_prints_back_with_equals_signs():
    assert to_text(parse_claim("a=b@c = d")) == "a = b @ c = d"


def test_a_definition_gives_name_and_expression():
    assert parse_definition("y = W @ x + b") == ("y", binary("+", binary("@", N("W"), N("x")), N("b")))


@pytest.mark.parametrize("text", ["y", "y = a = b", "2 = a", "y[i] = a"])
def test_a_malformed_definition_is_refused(text):
    with pytest.raises(ParseError, match="name = expression"):
        parse_definition(text)


def test_a_claim_needs_an_equals_sign():
    with pytest.raises(ParseError, match="a claim needs '='"):
        parse_claim("dJ/dW")


def test_an_expression_refuses_an_equation():
    with pytest.raises(ParseError, match="expected one expression, found an equation"):
        parse_expr("a = b")


# -- errors -----------------------------------------------------------------------------------

def caret_column(error: ParseError) -> int:
    """Where the caret line points, counted in the reprinted text."""
    lines = str(error).splitlines()
    assert lines[1] == "  " + error.text
    return lines[2].index("^") - 2


ERRORS = [
    # (text, first line of the message, column of the caret)
    ("a ^ b", "unexpected character '^' (write powers as **, e.g. x**2)", 2),
    ("a $ b", "unexpected character '$'", 2),
    ("x.t", "unexpected character '.'", 1),
    ("(a + b", "the text ends (expected ')')", 6),
    ("a + b)", "unexpected ')'", 5),
    ("x[i", "the text ends", 3),
    ("f(a=1, b)", "a positional argument follows a keyword argument", 0),
    ("d(x)/y", "unexpected 'y' (expected d<variable>)", 5),
    ("sum_{1,n}(x)", "bad index list in 'sum_{1,n}'", 0),
    ("= a", "unexpected '=' (expected an expression)", 0),
    ("a +", "the text ends (expected an expression)", 3),
]


@pytest.mark.parametrize("text, headline, column", ERRORS, ids=[e[0] for e in ERRORS])
def test_syntax_errors_name_the_problem_and_put_a_caret_under_it(text, headline, column):
    with pytest.raises(ParseError) as caught:
        parse_expr(text)
    assert caught.value.headline.startswith(headline)
    assert caught.value.column == column
    assert caret_column(caught.value) == column


@pytest.mark.parametrize("text", ["h'", "x' + 1"])
def test_a_stray_prime_asks_for_a_call(text):
    with pytest.raises(ParseError) as caught:
        parse_expr(text)
    headline = caught.value.headline
    assert "'('" in headline
    assert "h'(X)" in headline


def test_a_parse_error_is_a_value_error_and_a_derive_error():
    with pytest.raises(ValueError):
        parse_expr("a ^ b")
    assert issubclass(ParseError, DeriveError)


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_is_a_parse_error(text):
    with pytest.raises(ParseError, match="the text ends"):
        parse_expr(text)


@pytest.mark.parametrize("text", ["a +", "A = ", "1..2", "x[", "f(", "(", "a @", "W[i,"])
def test_syntax_errors_do_not_show_internal_token_names(text):
    with pytest.raises(ParseError) as caught:
        parse_expr(text)
    words = set(re.findall(r"\w+", caught.value.headline))
    assert not words & {"DERIV", "DOPEN", "MINUS", "PLUS", "LSQB", "AT", "SUM"}


HOSTILE = [
    "__import__('os')",
    "__import__('os').system('true')",
    "exec(\"print(1)\")",
    "lambda: 0",
    "a; b",
    "x if y else z",
    "[1, 2]",
    "{'a': 1}",
    "a.__class__",
    "`ls`",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_a_parse_error(text):
    with pytest.raises(ParseError):
        parse_expr(text)


# -- limits -----------------------------------------------------------------------------------

def test_text_past_the_length_limit_is_too_large():
    text = "x+" * (MAX_LENGTH // 2) + "x"
    with pytest.raises(TooLarge, match=f"the limit is {MAX_LENGTH}"):
        parse_expr(text)


def test_text_at_the_depth_limit_parses():
    assert parse_expr("(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH) == N("x")


def test_brackets_past_the_depth_limit_are_too_large():
    with pytest.raises(TooLarge, match=f"{MAX_DEPTH + 1} deep; the limit is {MAX_DEPTH}"):
        parse_expr("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1))


def test_ten_thousand_nested_parentheses_give_a_clean_error():
    with pytest.raises(TooLarge):
        parse_expr("(" * 10_000 + "x" + ")" * 10_000)


def test_ten_thousand_unclosed_parentheses_give_a_clean_error():
    with pytest.raises(TooLarge):
        parse_expr("(" * 10_000 + "x")


@pytest.mark.parametrize("text", ["-" * 10_000 + "x", "x" + ".T" * 6_000, "x+" * 9_000 + "x"],
                         ids=["unary", "transpose", "sum"])
def test_deep_trees_without_brackets_are_too_large(text):
    with pytest.raises(TooLarge, match="nests too deeply"):
        parse_expr(text)


def test_a_deep_power_chain_is_too_large():
    with pytest.raises(TooLarge):
        parse_expr("x**" * 4_000 + "x")


# -- round trip ---------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(asts())
def test_text_parses_back_to_the_same_tree(node):
    assert parse_expr(to_text(node)) == node


@settings(max_examples=100, deadline=None)
@given(asts(max_leaves=6), asts(max_leaves=6))
def test_a_chain_parses_back_to_the_same_chain(left, right):
    chain = ast.Chain((left, right))
    assert parse_claim(to_text(chain)) == chain


@pytest.mark.parametrize("text", ["(2).T", "(dx) / dy", "(dx) / (dy/dz)", "d (x)"])
def test_text_that_once_failed_to_round_trip_does(text):
    node = parse_expr(text)
    assert parse_expr(to_text(node)) == node


@pytest.mark.parametrize("text", _texts(CONSTRUCTS + PRECEDENCE)
                         + [t for t, _ in TEXTS])
def test_every_example_round_trips(text):
    node = parse_expr(text)
    assert parse_expr(to_text(node)) == node


@pytest.mark.parametrize("numpy, text", [
    ("np.dot(W.T, dJ/dy)", "W.T @ dJ/dy"),
    ("numpy.matmul(A, B)", "A @ B"),
    ("np.outer(dJ/dy, x)", "outer(dJ/dy, x)"),
    ("np.exp(x) * np.transpose(W)", "exp(x) * W.T"),
    ("np.multiply(a, np.tanh(b)) - np.divide(c, d)", "a * tanh(b) - c / d"),
    ("np.sum(X, axis=0)", "sum(X, axis=0)"),
])
def test_numpy_spellings_read_as_the_language(numpy, text):
    assert parse_expr(numpy) == parse_expr(text)


def test_a_numpy_prefix_needs_a_call():
    with pytest.raises(ParseError):
        parse_expr("np.W")


def test_a_node_hashes_by_its_structure_once_asked_and_a_pickle_does_not_carry_the_hash():
    import dataclasses
    import pickle

    node = parse_expr("W.T @ dJ/dy + sum(x * y)")
    first = hash(node)
    assert hash(parse_expr("W.T @ dJ/dy + sum(x * y)")) == first
    edited = dataclasses.replace(node, op="-")  # a new node: its own hash, not the one remembered
    assert edited != node and hash(edited) == hash(parse_expr("W.T @ dJ/dy - sum(x * y)"))
    copied = pickle.loads(pickle.dumps(node))
    assert "_hash" not in copied.__dict__  # a string's hash differs between processes
    assert copied == node and hash(copied) == first and {copied: 1}[node] == 1


def test_a_text_read_again_gives_the_same_trees_and_its_error_again():
    """Texts read without a problem's spellings are remembered (a file repeats them): the second
    reading has equal trees in a chain of its own, and a text that does not parse fails each time."""
    first, second = parse_claim("dJ/dW = dJ/dy @ x.T"), parse_claim("dJ/dW = dJ/dy @ x.T")
    assert first == second and first.sides == second.sides
    step = parse_claim("W := W - eta * G")
    assert step.kind == ":=" and parse_claim("W := W - eta * G").kind == ":="
    for _ in range(2):
        with pytest.raises(ParseError, match="unexpected character '\\^'"):
            parse_claim("dJ/dW = x ^ 2")
