"""A row slice W[i,:] whose orientation the claim's shapes do not settle comes with a note
(derive/verdict/ambiguity.py); one they settle does not."""

from __future__ import annotations

import json

import pytest

from derive.documents.report import claim_lines
from derive.problem.definition import problem_from_dict
from derive.verdict.check import ProblemChecker

LAYER = ProblemChecker(problem_from_dict({
    "id": "layer", "sizes": ["m", "d"], "variables": {"W": "m x d", "x": "d", "b": "m"},
    "definitions": ["y = W @ x + b"], "arbitrary": {"J": ["y"]},
}))


@pytest.mark.parametrize("claim, verdict", [
    ("y[i] = W[i,:] @ x + b[i]", "fails"),  # ill-shaped as a column, well-shaped as a row
    ("dJ/dW[i,:] = dJ/dy[i] * x.T", "fails"),
])
def test_a_row_slice_ill_shaped_only_as_a_column_is_noted(claim, verdict):
    result = LAYER.check(claim)
    assert result.verdict == verdict
    (note,) = result.notes
    assert "taken as a column" in note and "as a row, written" in note and ".T" in note
    assert any("note: " in line for line in claim_lines(result))
    assert json.loads(json.dumps(result.as_json()))["notes"] == [note]


def test_a_row_slice_well_shaped_either_way_is_noted():
    (note,) = LAYER.check("sum(W[i,:]) = sum_j(W[i,j])").notes
    assert "well-shaped with the row too" in note


@pytest.mark.parametrize("claim", [
    "y[i] = W[i,:].T @ x + b[i]",       # the row, written as one
    "dJ/dW[i,:] = dJ/dy[i] * x",        # only the column reading is well-shaped
    "dJ/dW[:,j] = dJ/dy * x[j]",        # a column slice is a column either way
    "dJ/dW = dJ/dy @ x.T",
])
def test_a_claim_its_shapes_settle_has_no_note(claim):
    assert LAYER.check(claim).notes == []


def test_a_row_slice_in_latex_is_noted_alike():
    from derive.language.text import to_text
    from derive.problem.definition import ClaimSpec
    from derive.problem.reading import read_latex

    chain = read_latex(r"y_i = W_{i,:} x + b_i", LAYER.problem)
    (note,) = LAYER.check(ClaimSpec(text=to_text(chain), chain=chain)).notes
    assert "W[i,:] is row i of W taken as a column" in note
