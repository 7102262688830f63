"""The numeric oracle's stacked evaluation: a variable perturbed along many directions at once.

Every rule acts on the last two axes of its values, so evaluating a tree in an environment where
one variable is a stack of matrices must give, for each matrix of the stack, what evaluating it
with that one matrix gives. Derivatives by a basis of directions are taken that way, in chunks
bounded by ``BATCH_BYTES``; the chunk size must not change them.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.language.parser import parse_expr
from derive.language.shapes import index_names_of, typed
from derive.oracles import numeric
from derive.oracles.numeric import NumericModel
from derive.problem.definition import problem_from_dict

from .strategies import ORACLE_PROBLEM, ORACLE_SIZES, typed_texts

PROBLEM = problem_from_dict(ORACLE_PROBLEM)
SHAPES = [(r, c) for r in ("1", "M", "N") for c in ("1", "M", "N")]
STACKED = ["A", "B", "u", "c", "P"]


def _scope(node):
    scope = PROBLEM.scope().for_claim(index_names_of(node) - set(PROBLEM.shapes) - set(PROBLEM.sizes))
    return typed((node,), scope).scope


def _model(seed: int) -> NumericModel:
    return NumericModel(PROBLEM, ORACLE_SIZES, np.random.default_rng(seed))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SHAPES).flatmap(typed_texts), st.sampled_from(STACKED), st.integers(0, 2**16))
def test_a_stacked_environment_gives_each_matrix_what_it_gives_alone(text, name, seed):
    node = parse_expr(text)
    scope = _scope(node)
    model = _model(seed)
    rng = np.random.default_rng(seed + 1)
    shape = model.base[name].shape
    stack = model.base[name] + rng.standard_normal((3, *shape)) * 0.1 + 1j * rng.standard_normal((3, *shape))
    with np.errstate(all="ignore"):
        stacked = model.evaluate(node, model.forward({name: stack}, losses=True), scope)
        alone = [model.evaluate(node, model.forward({name: matrix}, losses=True), scope) for matrix in stack]
    stacked = np.broadcast_to(stacked, (3, *alone[0].shape))
    for together, single in zip(stacked, alone):
        np.testing.assert_allclose(together, single, rtol=1e-12, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("text, wrt", [
    ("d(sum(kron(A, B) @ vec(P.T)))/dB", "B"),
    ("d(trace(inv(A) @ B @ B.T) + det(A))/dA", "A"),
    ("d(sum(softmax(B) * P) + norm(u))/du", "u"),
    ("d(sum(diag(u) @ B, axis=0) @ v)/dB", "B"),
    ("d(sum(outer(u, v) * sum(B, axis=1)))/dv", "v"),
    ("d(c**2 * sum(diag(A)))/dc", "c"),
])
def test_a_derivative_is_the_same_whatever_the_chunk_of_directions(monkeypatch, text, wrt):
    node = parse_expr(text)
    scope = _scope(node)
    stacked = _model(7)
    whole = stacked.evaluate(node, stacked.base, scope)
    model = _model(7)
    monkeypatch.setattr(numeric, "BATCH_BYTES", 1)  # one direction per chunk, as before stacking
    one_by_one = model.evaluate(node, model.base, scope)
    assert len(model.basis_environments(wrt)) == model.base[wrt].size
    np.testing.assert_allclose(whole, one_by_one, rtol=1e-12, atol=1e-14)


def test_the_directions_of_a_basis_are_stacked_in_chunks_within_the_bound(monkeypatch):
    model = _model(3)
    env_bytes = sum(v.nbytes for v in model.base.values())
    monkeypatch.setattr(numeric, "BATCH_BYTES", 2 * env_bytes)
    chunks = model.basis_environments("B")
    assert [count for count, _ in chunks] == [2, 2, 2]
    assert all(env["B"].shape == (2, 2, 3) for _, env in chunks)
    # entry k of B moved along the imaginary axis in chunk k // 2, at place k % 2
    moved = np.concatenate([env["B"].imag for _, env in chunks]) / numeric.STEP
    np.testing.assert_array_equal(moved.reshape(6, 6), np.eye(6))
