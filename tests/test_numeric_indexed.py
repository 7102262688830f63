"""The numeric oracle at every index assignment at once agrees with it assignment by assignment.

``at_every_assignment`` binds each index name to all its values along an axis of its own; the
values it gives, in ``itertools.product`` order, must be what evaluating the tree once per
assignment gives, for index notation of every kind: entries, rows, sums (nested, constant,
reusing a name), deltas, index names as values, and derivatives picked by an index.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from derive.errors import ShapeError
from derive.language.parser import parse_expr
from derive.language.shapes import free_indices, index_names_of, typed
from derive.oracles.numeric import NumericModel
from derive.oracles.numeric_indexed import Unvectorized, at_every_assignment
from derive.problem.definition import problem_from_dict

from .strategies import ORACLE_PROBLEM, ORACLE_SIZES, typed_texts

PROBLEM = problem_from_dict(ORACLE_PROBLEM)

# index notation around random expressions of the shapes named: {MN} is M×N, {M} a column...
TEMPLATES = [
    "({MN})[i,j]",
    "({MN})[i,j] * ({M})[i] + ({NM})[j,i]",
    "sum_k(({MN})[i,k] * ({NN})[k,j])",
    "sum_{k,l}(({MN})[k,l] * delta(k,i) * delta(l,j))",
    "delta(i,j) * ({MM})[i,j] + sum_k(({11}) * ({N})[k])",
    "i * ({M})[i] - j * ({N})[j]",
    "(({MN})[i,:]).T @ ({N})",
    "sum_k(({M})[k]) * sum_k(({MM})[i,k])",
    "sum_k(sum_l(({MN})[k,l]) * ({M})[k]) * ({N})[j]",
    "({11}) + sum_r(({MM})[r,r])",
    "sum_k(({M})[i]) * ({N})[k]",  # a sum whose terms do not depend on its index: N times the term
    "sum_k(sum_k(({N})[k])) * ({MN})[i,j]",  # the outer sum's terms no longer depend on k either
    "d(sum(Z))/dB[i,j] * ({MN})[i,j]",
    "sum_k(d(sum(Z @ A))/dA[i,k] * ({MM})[k,i])",
    "dZ[i,j]/dc * ({11})",  # the gradient of each entry of an index-free value, by the axes
    "sum(dZ[i,j]/dB * ({MN}))",
    "sum_k((dZ[i,k]/dA)[k,j])",
    "sum(d(({MN})[i,j])/dB * B) + d(({M})[i])/du[1]",
    "sum(d(({MN})[2,j])/dP * ({MN}))",
]
SHAPES = {"MN": ("M", "N"), "NM": ("N", "M"), "NN": ("N", "N"), "MM": ("M", "M"), "M": ("M", "1"),
          "N": ("N", "1"), "11": ("1", "1")}


@st.composite
def index_texts(draw):
    text = draw(st.sampled_from(TEMPLATES))
    for key, shape in SHAPES.items():
        while "{" + key + "}" in text:
            text = text.replace("{" + key + "}", draw(typed_texts(shape, depth=2)), 1)
    return text


def _scope(node):
    scope = PROBLEM.scope().for_claim(index_names_of(node) - set(PROBLEM.shapes) - set(PROBLEM.sizes))
    return typed((node,), scope).scope


def _one_by_one(model, node, scope, names):
    ranges = [range(model.index_range(scope, name)) for name in names]
    return np.stack([model.evaluate(node, model.base, scope, dict(zip(names, values)))
                     for values in itertools.product(*ranges)])


@settings(max_examples=200, deadline=None)
@given(index_texts(), st.integers(0, 2**16))
def test_every_assignment_at_once_is_every_assignment_in_turn(text, seed):
    node = parse_expr(text)
    try:
        scope = _scope(node)
    except ShapeError:  # a random part that uses i (sum_i) where the template gives i another range
        assume(False)
    names = sorted(free_indices(node, scope.index_names))
    assume(all(name in scope.index_ranges for name in names))  # δ(k,i) alone gives i no range
    model = NumericModel(PROBLEM, ORACLE_SIZES, np.random.default_rng(seed))
    with np.errstate(all="ignore"):
        together = at_every_assignment(model, node, scope, names)
        in_turn = _one_by_one(model, node, scope, names)
    assert together.shape == in_turn.shape
    np.testing.assert_allclose(together, in_turn, rtol=1e-10, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("text", ["d(dZ[i,j]/dc)/dc", "d(d(sum(Z @ A))/dA[i,j])/dc", "d(Z[i,:])/dc"])
def test_a_second_derivative_or_a_slice_that_depends_on_an_index_is_left_to_the_loop(text):
    node = parse_expr(text)
    scope = _scope(node)
    model = NumericModel(PROBLEM, ORACLE_SIZES, np.random.default_rng(1))
    with pytest.raises(Unvectorized):
        at_every_assignment(model, node, scope, sorted(free_indices(node, scope.index_names)))


def test_the_assignments_come_in_product_order():
    node = parse_expr("B[i,j] * 0 + 10 * i + j")  # B gives i the range M = 2, j the range N = 3
    scope = _scope(node)
    model = NumericModel(PROBLEM, ORACLE_SIZES, np.random.default_rng(1))
    values = at_every_assignment(model, node, scope, ["i", "j"]).real.reshape(-1)
    assert values.tolist() == [11, 12, 13, 21, 22, 23]  # i slowest, as itertools.product gives them


def test_a_value_past_the_bound_is_left_to_the_loop_with_the_same_values(monkeypatch):
    from derive.oracles import numeric_indexed
    from derive.verdict.points import Point

    node = parse_expr("sum_k(B[i,k] * Z[k,j])")
    scope = _scope(node)
    point = Point(PROBLEM, 7, [2, 3])
    together = point(node, scope, ["i", "j"])
    monkeypatch.setattr(numeric_indexed, "MAX_VALUES", 4)
    with pytest.raises(Unvectorized):
        at_every_assignment(NumericModel(PROBLEM, ORACLE_SIZES, np.random.default_rng(7)), node, scope, ["i", "j"])
    in_turn = Point(PROBLEM, 7, [2, 3])(node, scope, ["i", "j"])
    np.testing.assert_allclose(together, in_turn, rtol=1e-12)
    assert together.shape == (4, 1, 1)


def test_a_tree_this_evaluation_cannot_take_is_left_to_the_loop_not_to_an_error():
    node = parse_expr("delta(k,i) * B[i,j]")  # k has no range: the loop reports that as before
    scope = _scope(node)
    model = NumericModel(PROBLEM, ORACLE_SIZES, np.random.default_rng(1))
    with pytest.raises(Unvectorized, match="KeyError"):
        at_every_assignment(model, node, scope, ["i", "j"])
