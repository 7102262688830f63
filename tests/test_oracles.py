"""The two oracles — derive.oracles.symbolic (exact) and derive.oracles.numeric (complex step) — against each other,
and the pieces they rest on: derive.oracles.reverse, derive.oracles.functions and the derive.language.primitives
registry.

The property tests evaluate random well-typed expressions with both oracles at the same sizes and
the same point: the exact model's symbols are substituted by the values the numeric model is given.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.language.parser import parse_expr
from derive.language.primitives import ELEMENTWISE, PRIMITIVES
from derive.language.shapes import index_names_of, typed
from derive.oracles.functions import (
    SYMPY_FORMS,
    Relu,
    Sigmoid,
    SoftmaxEntry,
    Step,
    Tanh,
    derivative_override,
    undefined,
)
from derive.oracles.numeric import STEP, NumericModel
from derive.oracles.numpy_functions import NUMPY_FORMS, standin
from derive.oracles.reverse import gradient
from derive.oracles.symbolic import ExactModel
from derive.problem.definition import problem_from_dict

from .strategies import ORACLE_PROBLEM, ORACLE_SIZES, sympy_scalars, typed_texts

PROBLEM = problem_from_dict(ORACLE_PROBLEM)
EXACT = ExactModel(PROBLEM, ORACLE_SIZES)
SHAPES = [(r, c) for r in ("1", "M", "N") for c in ("1", "M", "N")]


def _scope(node):
    scope = PROBLEM.scope().for_claim(index_names_of(node) - set(PROBLEM.shapes) - set(PROBLEM.sizes))
    return typed((node,), scope).scope


class Pair:
    """Both oracles at one point: exact symbols and numeric leaves hold the same values."""

    def __init__(self, seed: int, exact: ExactModel = EXACT, problem=PROBLEM, sizes=ORACLE_SIZES):
        rng = np.random.default_rng(seed)
        self.exact = exact
        self.point = {}
        leaves = {}
        for name, matrix in exact.leaves.items():
            values = np.empty(matrix.shape)
            for k, symbol in enumerate(matrix):
                value = round(rng.uniform(0.5, 2.0) if symbol.is_positive else rng.uniform(-1.5, 1.5), 3)
                self.point[symbol] = sympy.Rational(str(value))
                values.flat[k] = value
            leaves[name] = values.astype(complex)
        self.numeric = NumericModel(problem, sizes, np.random.default_rng(seed))
        self.numeric.leaves = leaves
        self.numeric.base = self.numeric.forward({})

    def exact_value(self, node, scope) -> np.ndarray:
        matrix = self.exact.evaluate(node, self.exact.base, scope)
        return np.array([[complex(sympy.N(matrix[i, j].xreplace(self.point), 30)) for j in range(matrix.cols)]
                         for i in range(matrix.rows)])

    def numeric_value(self, node, scope) -> np.ndarray:
        return self.numeric.evaluate(node, self.numeric.base, scope)


def assert_close(exact, numeric, tolerance=1e-9):
    assert exact.shape == numeric.shape
    scale = max(1.0, float(np.max(np.abs(exact))))
    assert np.max(np.abs(exact - numeric)) <= tolerance * scale, (exact, numeric)


# -- the two evaluators agree -----------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SHAPES).flatmap(lambda s: st.tuples(st.just(s), typed_texts(s))), st.integers(0, 2**16))
def test_exact_and_numeric_values_agree(shaped, seed):
    shape, text = shaped
    node = parse_expr(text)
    scope = _scope(node)
    pair = Pair(seed)
    exact = pair.exact_value(node, scope)
    assert exact.shape == tuple(ORACLE_SIZES.get(d, 1) for d in shape)
    assert_close(exact, pair.numeric_value(node, scope))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(SHAPES).flatmap(typed_texts), st.sampled_from(["A", "B", "u", "c", "P"]),
       st.integers(0, 2**16))
def test_exact_and_numeric_gradients_agree(text, wrt, seed):
    node = parse_expr(f"d(sum({text}))/d{wrt}")
    scope = _scope(node)
    pair = Pair(seed)
    assert_close(pair.exact_value(node, scope), pair.numeric_value(node, scope), 1e-8)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([("M", "1"), ("N", "1")]).flatmap(typed_texts), st.sampled_from(["u", "v"]),
       st.integers(0, 2**16))
def test_exact_and_numeric_jacobians_agree(text, wrt, seed):
    node = parse_expr(f"d({text})/d{wrt}")
    scope = _scope(node)
    pair = Pair(seed)
    assert_close(pair.exact_value(node, scope), pair.numeric_value(node, scope), 1e-8)


def test_a_derivative_by_a_definition_cuts_the_graph_in_both_oracles():
    node = parse_expr("d(sum(Z ** 2))/dZ")
    scope = _scope(node)
    pair = Pair(7)
    exact = pair.exact_value(node, scope)
    assert_close(exact, pair.numeric_value(node, scope), 1e-8)
    assert_close(exact, pair.exact_value(parse_expr("2 * Z"), scope))


# -- vec, kron and friends, by hand ----------------------------------------------------------

HAND = problem_from_dict({"id": "hand", "sizes": ["n"], "variables": {"A": "n x n", "K": "n x n"}})
HAND_VALUES = {"A": [[1, 2], [3, 4]], "K": [[0, 5], [6, 7]]}

HAND_CASES = [
    ("vec(A)", [[1], [3], [2], [4]]),
    ("kron(A, K)", [[0, 5, 0, 10], [6, 7, 12, 14], [0, 15, 0, 20], [18, 21, 24, 28]]),
    ("outer(A[:,1], A[:,2])", [[2, 4], [6, 12]]),
    ("A[1,:]", [[1], [2]]),
    ("A[:,2]", [[2], [4]]),
    ("A[2,1]", [[3]]),
    ("diag(A)", [[1], [4]]),
    ("diag(A[:,1])", [[1, 0], [0, 3]]),
    ("sum(A, axis=0)", [[4, 6]]),
    ("sum(A, axis=1)", [[3], [7]]),
    ("trace(A)", [[5]]),
    ("det(A)", [[-2]]),
    ("inv(A) @ A", [[1, 0], [0, 1]]),
    ("A ** 2", [[1, 4], [9, 16]]),
    ("A @ A", [[7, 10], [15, 22]]),
    ("ones(n) @ ones(n).T + eye(n) + zeros(n, n)", [[2, 1], [1, 2]]),
    ("norm(K)", [[np.sqrt(110)]]),
    ("softmax(A)", [[np.exp(1) / (np.exp(1) + np.exp(2)), np.exp(2) / (np.exp(1) + np.exp(2))],
                    [np.exp(3) / (np.exp(3) + np.exp(4)), np.exp(4) / (np.exp(3) + np.exp(4))]]),
    ("sum_{i,j}(A[i,j] * delta(i,j))", [[5]]),
    ("A + A[:,1]", [[2, 3], [6, 7]]),
]


def _hand_pair():
    exact = ExactModel(HAND, {"n": 2})
    pair = Pair(0, exact, HAND, {"n": 2})
    for name, rows in HAND_VALUES.items():
        for symbol, value in zip(exact.leaves[name], [v for row in rows for v in row]):
            pair.point[symbol] = sympy.Integer(value)
        pair.numeric.leaves[name] = np.array(rows, dtype=complex)
    pair.numeric.base = pair.numeric.forward({})
    return pair


@pytest.mark.parametrize("text, expected", HAND_CASES, ids=[t for t, _ in HAND_CASES])
def test_matrix_functions_match_a_hand_example_in_both_oracles(text, expected):
    node = parse_expr(text)
    scope = typed((node,), HAND.scope().for_claim(index_names_of(node))).scope
    pair = _hand_pair()
    expected = np.array(expected, dtype=complex)
    assert_close(pair.exact_value(node, scope), expected, 1e-12)
    assert_close(pair.numeric_value(node, scope), expected, 1e-12)


def test_vec_stacks_columns_of_symbols():
    exact = ExactModel(HAND, {"n": 2})
    value = exact.evaluate(parse_expr("vec(A)"), exact.base, HAND.scope())
    a = exact.leaves["A"]
    assert list(value) == [a[0, 0], a[1, 0], a[0, 1], a[1, 1]]


# -- reverse mode --------------------------------------------------------------------------------

X, Y, Z = sympy.symbols("x y z", real=True)


def _at(expr, point):
    return complex(sympy.N(expr.xreplace(point), 30))


@settings(max_examples=60, deadline=None)
@given(sympy_scalars((X, Y, Z)), st.integers(0, 2**16))
def test_reverse_gradient_agrees_with_sympy_diff(expr, seed):
    rng = random.Random(seed)
    point = {s: sympy.Rational(rng.randint(-150, 150), 100) for s in (X, Y, Z)}
    grads = gradient(expr, [X, Y, Z])
    for symbol in (X, Y, Z):
        reference = _at(sympy.diff(expr, symbol), point)
        assert abs(_at(grads[symbol], point) - reference) <= 1e-20 * (1 + abs(reference))


def test_reverse_gradient_is_zero_for_absent_symbols():
    assert gradient(X**2, [X, Y]) == {X: 2 * X, Y: 0}


def test_reverse_gradient_sums_shared_subexpressions():
    shared = sympy.exp(X * Y)
    assert sympy.simplify(gradient(shared * shared + shared, [X])[X] - sympy.diff(shared**2 + shared, X)) == 0


# -- the activation atoms against their explicit formulas ----------------------------------------

t = sympy.Symbol("t", real=True)
a, b, c = sympy.symbols("a b c", real=True)


def _softmax_explicit(j, row):
    return sympy.exp(row[j]) / sum(sympy.exp(x) for x in row)


ATOMS = [
    ("sigmoid", Sigmoid(t), 1 / (1 + sympy.exp(-t)), [t]),
    ("tanh", Tanh(t), sympy.tanh(t), [t]),
    ("softmax entry 0", SoftmaxEntry(0, a, b, c), _softmax_explicit(0, (a, b, c)), [a, b, c]),
    ("softmax entry 2", SoftmaxEntry(2, a, b, c), _softmax_explicit(2, (a, b, c)), [a, b, c]),
]


@pytest.mark.parametrize("atom, explicit, symbols", [row[1:] for row in ATOMS], ids=[row[0] for row in ATOMS])
def test_atom_derivative_agrees_with_its_explicit_formula(atom, explicit, symbols):
    for symbol in symbols:
        claimed = sympy.diff(atom, symbol).rewrite(sympy.exp)
        assert sympy.simplify(claimed - sympy.diff(explicit, symbol).rewrite(sympy.exp)) == 0


@pytest.mark.parametrize("atom, explicit, symbols", [row[1:] for row in ATOMS], ids=[row[0] for row in ATOMS])
def test_atom_value_agrees_with_its_explicit_formula(atom, explicit, symbols):
    point = {s: sympy.Rational(k + 3, 7) * (-1) ** k for k, s in enumerate(symbols)}
    assert abs(_at(atom, point) - _at(explicit, point)) < 1e-25


@pytest.mark.parametrize("x", [-1.3, 0.4, 2.0])
def test_relu_derivative_is_the_step_function(x):
    assert sympy.diff(Relu(t), t) == Step(t)
    assert float(sympy.N(Relu(sympy.Float(x)))) == max(x, 0.0)
    assert float(sympy.N(Step(sympy.Float(x)))) == (1.0 if x > 0 else 0.0)


def test_the_derivative_of_the_softmax_by_its_index_argument_is_zero():
    assert SoftmaxEntry(0, a, b).fdiff(1) == 0


def test_an_override_replaces_an_activation_derivative_only_inside_the_block():
    with derivative_override({"sigmoid": lambda x: sympy.Integer(1)}):
        assert sympy.diff(Sigmoid(t), t) == 1
    assert sympy.diff(Sigmoid(t), t) == Sigmoid(t) * (1 - Sigmoid(t))


def test_undefined_activations_chain_their_primes():
    h = undefined("h")
    assert sympy.diff(h(t), t, 2) == undefined("h", 2)(t)
    assert undefined("h", 1) is undefined("h", 1)


@pytest.mark.parametrize("order", [0, 1])
def test_the_standin_derivatives_agree_with_the_complex_step(order):
    f = standin("h")
    x = np.linspace(-2, 2, 9)
    assert np.allclose(f(x + 1j * STEP, order).imag / STEP, f(x, order + 1), rtol=1e-12, atol=1e-12)


# -- the registry: each NumPy derivative against the complex step --------------------------------

@pytest.mark.parametrize("row", list(ELEMENTWISE.values()), ids=list(ELEMENTWISE))
def test_numpy_prime_agrees_with_the_complex_step(row):
    x = np.array([0.3, 0.7, 1.1, 1.9]) if row.domain == "positive" else np.array([-1.7, -0.4, 0.3, 1.2])
    step = NUMPY_FORMS[row.name].value(x + 1j * STEP).imag / STEP
    assert np.allclose(NUMPY_FORMS[row.name].prime(x), step, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("row", list(ELEMENTWISE.values()), ids=list(ELEMENTWISE))
def test_numpy_and_sympy_rows_compute_the_same_function(row):
    for x in ([0.3, 1.7] if row.domain == "positive" else [-1.2, 0.8]):
        exact = complex(sympy.N(SYMPY_FORMS[row.name](sympy.Float(x, 30)), 30))
        assert abs(exact - complex(NUMPY_FORMS[row.name].value(np.array(x)))) < 1e-12


@pytest.mark.parametrize("row", list(ELEMENTWISE.values()), ids=list(ELEMENTWISE))
def test_numpy_prime_agrees_with_the_sympy_derivative(row):
    for x in ([0.3, 1.7] if row.domain == "positive" else [-1.2, 0.8]):
        exact = sympy.diff(SYMPY_FORMS[row.name](t), t).xreplace({t: sympy.Float(x, 30)})
        assert abs(complex(sympy.N(exact, 30)) - complex(NUMPY_FORMS[row.name].prime(np.array(x)))) < 1e-12


@pytest.mark.parametrize("row", list(ELEMENTWISE.values()), ids=list(ELEMENTWISE))
def test_numpy_second_agrees_with_the_complex_step_of_numpy_prime(row):
    x = np.array([0.3, 0.7, 1.1, 1.9]) if row.domain == "positive" else np.array([-1.7, -0.4, 0.3, 1.2])
    step = NUMPY_FORMS[row.name].prime(x + 1j * STEP).imag / STEP
    assert np.allclose(NUMPY_FORMS[row.name].second(x), step, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("row", list(ELEMENTWISE.values()), ids=list(ELEMENTWISE))
def test_numpy_second_agrees_with_the_sympy_second_derivative(row):
    for x in ([0.3, 1.7] if row.domain == "positive" else [-1.2, 0.8]):
        exact = sympy.diff(SYMPY_FORMS[row.name](t), t, 2).xreplace({t: sympy.Float(x, 30)})
        assert abs(complex(sympy.N(exact, 30)) - complex(NUMPY_FORMS[row.name].second(np.array(x)))) < 1e-12


# -- every row of the primitive table, in both oracles --------------------------------------------

# One call of each primitive on the oracle problem's variables (A M×M, B M×N, u M, v N, P positive).
PRIMITIVE_EXAMPLES = {
    "exp": "exp(B)", "log": "log(P)", "sqrt": "sqrt(P)", "sigmoid": "sigmoid(B)", "tanh": "tanh(A)",
    "relu": "relu(B)", "step": "step(B)", "sin": "sin(A)", "cos": "cos(B)", "abs": "abs(B)", "sign": "sign(A)",
    "sum": "sum(B, axis=0) + sum(B)", "trace": "trace(A @ A)", "det": "det(A)", "inv": "inv(A + 3 * eye(M))",
    "kron": "kron(A, B)", "vec": "vec(B)", "diag": "diag(u) @ A + diag(A).T", "outer": "outer(u, v)",
    "softmax": "softmax(B) + softmax(v).T", "norm": "norm(B)", "ones": "ones(M, N)", "eye": "eye(N)",
    "zeros": "zeros(N) + v", "delta": "sum_{i,j}(A[i,j] * delta(i,j))",
}


def test_every_primitive_has_an_example_for_both_oracles():
    assert set(PRIMITIVE_EXAMPLES) == set(PRIMITIVES)


@pytest.mark.parametrize("name", PRIMITIVE_EXAMPLES)
@pytest.mark.parametrize("seed", [0, 1])
def test_both_oracles_evaluate_every_primitive_alike(name, seed):
    node = parse_expr(PRIMITIVE_EXAMPLES[name])
    scope = _scope(node)
    pair = Pair(seed)
    assert_close(pair.exact_value(node, scope), pair.numeric_value(node, scope))


def test_a_witness_is_the_same_whatever_the_hash_seed():
    """Random points are drawn symbol by symbol in the order of the entries, not of a set."""
    def run(seed: str) -> list:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "cli.py", "check", "--json", "--no-cache", "--jobs", "1",
                              "softmax-cross-entropy"], cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True)
        data = json.loads(out.stdout)
        return [link["difference"] for claim in data["problems"][0]["claims"] for link in claim["links"]
                if link["difference"]]

    first = run("1")
    assert first and first == run("2")


def test_the_exact_determinant_of_a_structured_matrix_is_taken_by_its_identities():
    """det(inv(A)), det(kron(A, B)), det(A.T @ A): decided at once, by the identities that hold
    for every argument, not by a determinant of rational functions of a 6x6 (undecided at 10 s
    before); a wrong exponent still fails."""
    from derive.problem.definition import problem_from_dict
    from derive.verdict.check import ProblemChecker

    problem = problem_from_dict({"id": "dets", "sizes": ["m", "n"], "variables": {
        "A": {"shape": "m x m", "constraints": ["invertible"]},
        "B": {"shape": "n x n", "constraints": ["invertible"]}}})
    checker = ProblemChecker(problem)
    assert checker.check("det(inv(A)) = 1/det(A)").verdict == "holds"
    assert checker.check("det(inv(A) @ A) = 1").verdict == "holds"
    assert checker.check("det(kron(A, B)) = det(A)**m * det(B)**n").verdict == "fails"
    right = checker.check("det(kron(A, B)) = det(A)**n * det(B)**m")
    assert right.verdict == "undecided"  # a size as a value: concrete sizes are no proof for every size
    assert all(e.outcome == "zero" for e in right.links[0].exact)


def test_a_product_with_an_inverse_or_of_two_krons_is_taken_by_its_identities():
    """A inv(A) = I and kron(A, B) kron(C, D) = kron(AC, BD): kron(A, B) @ kron(inv(A), inv(B))
    at 20x20 was undecided after 10 s; a wrong one still fails; eye(m*n) is sized by a product."""
    from derive.problem.definition import problem_from_dict
    from derive.verdict.check import ProblemChecker

    checker = ProblemChecker(problem_from_dict({"id": "krons", "sizes": ["m", "n"], "variables": {
        "A": {"shape": "m x m", "constraints": ["invertible"]},
        "B": {"shape": "n x n", "constraints": ["invertible"]},
        "X": "n x n", "Y": "n x n"}}))
    assert checker.check("kron(A, B) @ kron(inv(A), inv(B)) = eye(m*n)").verdict == "holds"
    assert checker.check("inv(B) @ B @ X = X").verdict == "holds"
    assert checker.check("kron(A, X) @ kron(inv(A), Y) = kron(eye(m), X @ Y)").verdict in ("holds", "undecided")
    assert checker.check("kron(A, X) @ kron(inv(A), Y) = kron(eye(m), Y @ X)").verdict == "fails"
    assert checker.check("kron(A, B) @ kron(inv(A), inv(B)) = eye(m + n)").verdict == "fails"  # shapes differ
    assert checker.check("ones(m - 1) = ones(m - 1)").verdict == "error"  # no size for m = 1: not a refutation


def test_an_exact_evaluation_never_gives_a_dead_trees_value_to_a_new_tree():
    # its caches are keyed by node identity, and a freed tree's identity is soon a new tree's
    from derive.problem.definition import find_problem

    problem = find_problem("cookbook-traces")
    model = ExactModel(problem, {"n": 2, "m": 3})
    scope = problem.scope()
    texts = ["X + B", "X - B", "X @ B", "B @ X", "X * B", "X.T + B"]
    wrong = []
    for round_ in range(300):
        text = texts[round_ % len(texts)]
        tree = parse_expr(text)
        got = model.evaluate(tree, model.base, scope)
        if got != model.evaluate(parse_expr(text), model.base, scope.for_claim(())):
            wrong.append(text)
        del tree  # its memory goes to the next round's tree
    assert not wrong
