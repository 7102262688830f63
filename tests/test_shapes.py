"""derive.language.shapes: the shape rule of every operator and function, index ranges, error messages."""

from __future__ import annotations

import re

import pytest
import sympy

from derive.errors import ShapeError, TooLarge, UnknownNameError, UnsupportedError
from derive.language.parser import parse_expr
from derive.language.shapes import fmt, index_names_of, infer, size_symbol, typed
from derive.problem.definition import problem_from_dict

PROBLEM = problem_from_dict({
    "id": "shapes",
    "sizes": ["M", "N", "S"],
    "variables": {"X": "S x M", "W": "N x M", "A": "M x M", "u": "M", "v": "N", "r": "1 x N", "c": "scalar"},
    "functions": ["h"],
    "arbitrary": {"J": ["W"]},
    "definitions": ["Y = W @ X.T"],
})


def shape_of(text: str, problem=PROBLEM) -> str:
    node = parse_expr(text)
    scope = problem.scope().for_claim(index_names_of(node) - set(problem.shapes) - set(problem.sizes))
    return fmt(infer(node, scope))


def error_of(text: str, kind=ShapeError) -> str:
    with pytest.raises(kind) as caught:
        shape_of(text)
    message = str(caught.value)
    assert "\n" not in message
    return message


SHAPES = [
    # leaves
    ("X", "(S,M)"), ("u", "(M,1)"), ("r", "(1,N)"), ("c", "(1,1)"), ("2.5", "(1,1)"),
    ("S", "(1,1)"), ("1/S", "(1,1)"), ("Y", "(N,S)"),
    # operators
    ("-X", "(S,M)"), ("X.T", "(M,S)"), ("X @ A", "(S,M)"), ("W @ X.T", "(N,S)"),
    ("X + X", "(S,M)"), ("X - X", "(S,M)"), ("X * X", "(S,M)"), ("X / X", "(S,M)"), ("X ** 2", "(S,M)"),
    ("1/S * X", "(S,M)"),
    # broadcasting of 1-sized dimensions
    ("X + c", "(S,M)"), ("c * X", "(S,M)"), ("u + u.T", "(M,M)"), ("u * r", "(M,N)"),
    ("X + u.T", "(S,M)"), ("W - v", "(N,M)"),
    # elementwise functions keep the shape
    ("exp(X)", "(S,M)"), ("log(X)", "(S,M)"), ("sqrt(u)", "(M,1)"), ("sigmoid(X)", "(S,M)"),
    ("σ(X)", "(S,M)"), ("sigma(X)", "(S,M)"), ("tanh(r)", "(1,N)"), ("relu(X)", "(S,M)"),
    ("step(X)", "(S,M)"), ("sin(c)", "(1,1)"), ("cos(X)", "(S,M)"), ("sigmoid'(u)", "(M,1)"),
    ("h(X)", "(S,M)"), ("h'(X)", "(S,M)"), ("h''(u)", "(M,1)"),
    # matrix functions
    ("sum(X)", "(1,1)"), ("sum(X, axis=0)", "(1,M)"), ("sum(X, axis=1)", "(S,1)"),
    ("trace(A)", "(1,1)"), ("det(A)", "(1,1)"), ("inv(A)", "(M,M)"),
    ("kron(X, W.T)", "(M·S,M·N)"), ("kron(u, v)", "(M·N,1)"), ("kron(c, X)", "(S,M)"),
    ("vec(X)", "(M·S,1)"), ("vec(u)", "(M,1)"),
    ("diag(u)", "(M,M)"), ("diag(r)", "(N,N)"), ("diag(A)", "(M,1)"), ("diag(c)", "(1,1)"),
    ("outer(u, v)", "(M,N)"), ("outer(u, r)", "(M,N)"), ("outer(r, u)", "(N,M)"),
    ("ones(M)", "(M,1)"), ("ones(M, N)", "(M,N)"), ("ones(3)", "(3,1)"), ("zeros(S)", "(S,1)"),
    ("zeros(2, 3)", "(2,3)"), ("eye(N)", "(N,N)"), ("eye(4)", "(4,4)"),
    ("softmax(X)", "(S,M)"), ("softmax(u)", "(M,1)"), ("norm(X)", "(1,1)"), ("norm(u)", "(1,1)"),
    ("delta(i, j)", "(1,1)"), ("delta(i, 2)", "(1,1)"),
    # derivatives: gradient, elementwise derivative, Jacobian (numerator layout)
    ("dJ/dW", "(N,M)"), ("dY/dc", "(N,S)"), ("du/du", "(M,M)"), ("d(W @ u)/du", "(N,M)"),
    ("d(sum(X))/dX", "(S,M)"), ("dJ/dY", "(N,S)"),
    # indexing
    ("u[i]", "(1,1)"), ("r[j]", "(1,1)"), ("X[i,j]", "(1,1)"), ("X[1,2]", "(1,1)"),
    ("X[i,:]", "(M,1)"), ("X[:,j]", "(S,1)"), ("X[:,:]", "(S,M)"), ("dJ/dW[i,j]", "(1,1)"),
    ("sum_i(u[i])", "(1,1)"), ("sum_{i,j}(X[i,j])", "(1,1)"), ("W[i,j] * u[j]", "(1,1)"),
    ("u[i] * delta(i, k) * u[k]", "(1,1)"),
    # a size as an exponent
    ("u**M", "(M,1)"), ("det(A)**(M - 1)", "(1,1)"), ("X**(2*N/S)", "(S,M)"),
]


@pytest.mark.parametrize("text, shape", SHAPES, ids=[t for t, _ in SHAPES])
def test_shape_rule(text, shape):
    assert shape_of(text) == shape


@pytest.mark.parametrize("text, message", [
    ("u**c", "u**c: an exponent must be a number or a size, as in x**2 or det(A)**n"),
    ("u**(M**2)", "u**M**2: an exponent must be a number or a size"),
    ("u**(10*10)", "u**(10 * 10): the exponent 10 * 10 is too large (the limit is 64)"),
])
def test_an_exponent_is_a_number_or_a_size_within_the_limit(text, message):
    with pytest.raises(TooLarge, match=re.escape(message)):
        shape_of(text)


def test_a_size_exponent_is_limited_at_its_fixed_value():
    problem = problem_from_dict({"id": "fixed", "sizes": {"n": 100}, "variables": {"x": "n"}})
    with pytest.raises(TooLarge, match=re.escape("x**n: the exponent n is too large (the limit is 64)")):
        shape_of("x**n", problem)


def test_a_denominator_layout_jacobian_is_transposed():
    problem = problem_from_dict({"id": "den", "sizes": ["M", "N"], "layout": "denominator",
                                 "variables": {"W": "N x M", "u": "M"}})
    assert shape_of("d(W @ u)/du", problem) == "(M,N)"


SHAPE_ERRORS = [
    ("X.T @ W", "X.T @ W: (M,S) @ (N,M): inner sizes S and N differ"),
    ("X @ W", "X @ W: (S,M) @ (N,M): inner sizes M and N differ"),
    ("u + v", "u + v: (M,1) + (N,1): shapes do not match"),
    ("X * W", "X * W: (S,M) * (N,M): shapes do not match"),
    ("X ** u", "X**u: the exponent must be a scalar, not (M,1)"),
    ("trace(X)", "trace(X): trace needs a square matrix, not (S,M)"),
    ("det(X)", "det(X): det needs a square matrix, not (S,M)"),
    ("inv(X)", "inv(X): inv needs a square matrix, not (S,M)"),
    ("diag(X)", "diag(X): diag of a matrix needs a square matrix, not (S,M)"),
    ("outer(X, u)", "outer(X, u): outer takes two vectors, not (S,M)"),
    ("sum(X, axis=2)", "sum(X, axis=2): axis must be 0 or 1"),
    ("sum(X, foo=1)", "sum(X, foo=1): sum has no argument 'foo'"),
    ("kron(X)", "kron(X): kron takes 2 argument(s), not 1"),
    ("ones(M, N, S)", "ones(M, N, S): ones takes 1 or 2 argument(s), not 3"),
    ("ones(u)", "ones(u): the argument must be a size name or a positive integer, not u"),
    ("ones(1.5)", "ones(1.5): the argument must be a size name or a positive integer, not 1.5"),
    ("delta(W, j)", "delta(W, j): delta takes two indices"),
    ("h(X, W)", "h(X, W): h takes one argument"),
    ("exp(u, axis=0)", "exp(u, axis=0): exp takes one argument"),
    ("trace'(A)", "trace'(A): only elementwise functions have a derivative trace'"),
    ("sigmoid", "sigmoid is a function: apply it, as in sigmoid(x)"),
    ("h", "h is a function: apply it, as in h(x)"),
    ("X[i]", "X[i]: one index needs a vector, not (S,M): write two, as in [i,j]"),
    ("X[i,j,k]", "X[i,j,k]: at most two indices, found 3"),
    ("X[M,j]", "X[M,j]: M is a variable or size, not an index"),
    ("dJ/dJ", "dJ/dJ: J is an arbitrary function, not a variable"),
]


@pytest.mark.parametrize("text, message", SHAPE_ERRORS, ids=[t for t, _ in SHAPE_ERRORS])
def test_shape_errors_name_the_operation_and_the_shapes(text, message):
    assert error_of(text) == message


@pytest.mark.parametrize("text, message", [
    ("u[i] * v[i]", "v[i]: index i ranges over N here but over M elsewhere"),
    ("X[i,j] * W[i,j]", "W[i,j]: index i ranges over N here but over S elsewhere"),
    ("sum_j(u[j]) * r[j]", "r[j]: index j ranges over N here but over M elsewhere"),
])
def test_one_index_with_two_ranges_is_an_error_naming_the_index(text, message):
    assert error_of(text) == message


def test_index_ranges_are_in_the_typed_scope_and_the_given_scope_is_left_as_it_is():
    node = parse_expr("W[i,j] * u[j] * X[s,j]")
    scope = PROBLEM.scope().for_claim(index_names_of(node))
    result = typed((node,), scope)
    M, N, S = (size_symbol(n) for n in "MNS")
    assert result.scope.index_ranges == {"i": N, "j": M, "s": S}
    assert scope.index_ranges == {}
    infer(node, scope)
    assert scope.index_ranges == {}


def test_trees_typed_together_share_their_index_ranges():
    scope = PROBLEM.scope().for_claim({"i", "j"})
    with pytest.raises(ShapeError, match="index i"):
        typed((parse_expr("W[i,j]"), parse_expr("X[i,j]")), scope)


def test_index_names_are_found_in_brackets_delta_and_sum_binders():
    node = parse_expr("sum_k(W[i,:][k]) * delta(a, b)")
    assert index_names_of(node) == {"k", "i", "a", "b"}


UNKNOWN = [
    ("sigmod(X)", "'sigmod' is not a known function (did you mean 'sigmoid'?)"),
    ("Wx @ u", "'Wx' is not a known name (did you mean 'W'?)"),
    ("Q + X", "'Q' is not a known name"),
    ("dJ/dWW", "'WW' is not a known variable (did you mean 'W'?)"),
    ("trase(A)", "'trase' is not a known function (did you mean 'trace'?)"),
]


@pytest.mark.parametrize("text, message", UNKNOWN, ids=[t for t, _ in UNKNOWN])
def test_unknown_names_suggest_the_nearest_known_one(text, message):
    assert error_of(text, UnknownNameError) == message


def test_a_tensor_valued_derivative_asks_for_index_notation():
    message = error_of("dY/dW", UnsupportedError)
    assert "tensor of order 3 or 4" in message and "dY[m,n]/dW[i,j]" in message


def test_sizes_stay_symbolic():
    M, S = size_symbol("M"), size_symbol("S")
    assert infer(parse_expr("vec(X)"), PROBLEM.scope()) == (S * M, sympy.Integer(1))


def test_a_squared_size_prints_readably():
    assert "··" not in shape_of("vec(A)")


def test_a_shape_error_writes_its_message_when_read_and_carries_the_text_when_pickled():
    import pickle

    from derive.errors import Deferred

    written = []
    error = ShapeError(Deferred(lambda: written.append(1) or "u @ v: inner sizes M and N differ"))
    assert written == []  # the diagnosis types thousands of ill-shaped edits and never reads why
    assert str(error) == "u @ v: inner sizes M and N differ" and written == [1]
    assert str(error) == "u @ v: inner sizes M and N differ" and written == [1]  # written once
    again = pickle.loads(pickle.dumps(error))  # a --jobs worker's error reaches the parent as text
    assert type(again) is ShapeError and str(again) == "u @ v: inner sizes M and N differ"
    with pytest.raises(ShapeError, match=re.escape("u @ v: (M,1) @ (N,1): inner sizes 1 and N differ")):
        infer(parse_expr("u @ v"), PROBLEM.scope())
