"""Orders between sizes (size_order = ["k < n"]): every size a check picks keeps them, with the
same values dealt out again; a claim about a tall matrix is checked where XᵀX is invertible."""

from __future__ import annotations

import itertools

import pytest

from derive.problem.definition import problem_from_dict
from derive.problem.size_order import holds, ordered, parse_orders
from derive.verdict.check import CheckOptions, ProblemChecker, exact_size_assignments

ORDERS = parse_orders(["a < b < c", "d <= b"], ["a", "b", "c", "d"], {}, "test")


@pytest.mark.parametrize("values", list(itertools.permutations([2, 3, 4, 5])))
def test_the_values_are_dealt_out_so_that_every_order_holds(values):
    sizes = dict(zip("abcd", values))
    out = ordered(sizes, ORDERS)
    assert holds(out, ORDERS) and sorted(out.values()) == sorted(values)
    if holds(sizes, ORDERS):
        assert out == sizes


def _tall(order: bool):
    data = {"id": "tall", "sizes": ["n", "k"], "variables": {"X": "n x k"},
            "definitions": ["f = log(det(X.T @ X))"]}
    if order:
        data["size_order"] = ["k < n"]
    return problem_from_dict(data)


def test_the_exact_sizes_keep_the_order_and_stay_distinct():
    problem = _tall(True)
    assignments = exact_size_assignments(problem)
    assert all(a["k"] < a["n"] for a in assignments)
    assert assignments[0]["n"] != assignments[1]["n"] and assignments[0]["k"] != assignments[1]["k"]


def test_a_tall_matrix_claim_is_checked_where_its_gram_matrix_is_invertible():
    claim = "df/dX = X @ inv(X.T @ X)"  # the factor 2 dropped
    unordered = ProblemChecker(_tall(False)).check(claim)
    assert unordered.verdict == "error" and "singular" in unordered.error
    verdict = ProblemChecker(_tall(True), CheckOptions(exact_budget=5)).check(claim)
    assert verdict.verdict == "fails" and verdict.diagnosis.code == "factor"
    link = verdict.links[0]
    assert all(e.sizes["k"] < e.sizes["n"] for e in link.exact) and link.exact
    # a claim with an exact witness gets no numeric check: one that holds shows the numeric sizes
    right = ProblemChecker(_tall(True)).check("(X.T @ X).T = X.T @ X").links[0]
    assert right.verdict == "holds"
    assert all(n.sizes["k"] < n.sizes["n"] for n in right.numeric) and right.numeric
