"""derive.oracles.index.canonical: the canonical form and the equality test of the index engine.

A generic proof is two sides with one canonical form, so each identity the form applies must hold
for every size and every value, and expressions that differ must stay different. The index forms
here are built by hand: X[i,j] is ``entry("X", "i", "j")``, Σ_k is ``summed(..., [("k", n)])``.
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from derive.language.shapes import size_symbol
from derive.oracles.index.canonical import (
    Structure,
    canonical,
    collect,
    contract,
    expr_key,
    merge_powers,
    scalar_zero,
)
from derive.oracles.index.form import (
    ZERO,
    Apply,
    Delta,
    Expr,
    Tensor,
    Term,
    atom,
    const,
    make_delta,
    mul,
    power,
    scale,
    summed,
)

n, m = size_symbol("n"), size_symbol("m")
RANGES = {"i": n, "j": n, "a": m}  # the free indices: i and j over n, a over m


def entry(name: str, *indices) -> Expr:
    rows_and_columns = indices if len(indices) == 2 else (*indices, 1)
    return atom(Tensor(name, tuple(rows_and_columns)))


def delta(a, b) -> Expr:
    return atom(make_delta(a, b))


def product(*factors: Expr) -> Expr:
    out = const(1)
    for factor in factors:
        out = mul(out, factor)
    return out


def form(expr: Expr, ranges=None, structure=None) -> Expr:
    return canonical(expr, {**RANGES, **(ranges or {})}, structure)


def equal(left: Expr, right: Expr, **options) -> bool:
    """Proved equal: one canonical form, or a difference that cancels as a rational function."""
    difference = form(left - right, **options)
    return not difference.terms or scalar_zero(difference)


# -- delta contraction --------------------------------------------------------------------------

def test_a_delta_on_a_summed_index_of_the_same_range_binds_it_and_drops_the_sum():
    contracted = form(summed(product(delta("p", "j"), entry("X", "i", "p")), [("p", n)]))
    assert contracted == form(entry("X", "i", "j"))
    assert contracted.terms[0].sums == ()


def test_a_delta_between_indices_of_different_ranges_is_not_contracted():
    # Σ_p δ(p,a) X[i,p] with p over n and a over m: equal to X[i,a] only where a ≤ n
    term = Term(sympy.Integer(1), (Delta("a", "p"), Tensor("X", ("i", "p"))), (("p", n),))
    assert contract(term, RANGES) == term
    assert not equal(Expr((term,)), entry("X", "i", "a"))


def test_a_constant_replaces_a_summed_index_only_within_its_range():
    inside = Term(sympy.Integer(1), (Delta(3, "p"), Tensor("x", ("p", 1))), (("p", sympy.Integer(5)),))
    outside = Term(sympy.Integer(1), (Delta(3, "p"), Tensor("x", ("p", 1))), (("p", sympy.Integer(2)),))
    symbolic = Term(sympy.Integer(1), (Delta(3, "p"), Tensor("x", ("p", 1))), (("p", n),))
    assert contract(inside, {}) == Term(sympy.Integer(1), (Tensor("x", (3, 1)),), ())
    assert contract(outside, {}) == outside  # position 3 of a 2-vector: not x[3]
    assert contract(symbolic, {}) == symbolic  # n may be 2
    first = Term(sympy.Integer(1), (Delta(1, "p"), Tensor("x", ("p", 1))), (("p", n),))
    assert contract(first, {}) == Term(sympy.Integer(1), (Tensor("x", (1, 1)),), ())  # every range has 1


def test_a_delta_of_two_different_constants_is_zero_and_of_equal_ones_is_one():
    assert contract(Term(sympy.Integer(1), (Delta(1, 2), Tensor("x", ("i", 1)))), RANGES) is None
    assert form(product(delta(1, 2), entry("x", "i"))) == ZERO
    assert form(product(atom(Delta("i", "i")), entry("x", "i"))) == form(entry("x", "i"))


def test_a_delta_times_itself_is_the_delta():
    assert form(product(delta("i", "j"), delta("i", "j"))) == form(delta("i", "j"))
    # i and a range over different sizes, so no index can replace the other: only δ² = δ applies
    assert form(product(delta("i", "a"), delta("i", "a"))) == form(delta("i", "a"))


def test_a_delta_of_two_free_indices_of_one_range_moves_an_index_but_stays():
    # δ(i,j) X[i] = δ(i,j) X[j]: the delta is kept, since i and j are free
    left = form(product(delta("i", "j"), entry("x", "i")))
    assert left == form(product(delta("i", "j"), entry("x", "j")))
    assert any(isinstance(f, Delta) for f in left.terms[0].factors)
    assert left != form(entry("x", "j"))


def test_a_delta_of_free_indices_of_different_ranges_moves_nothing():
    assert form(product(delta("i", "a"), entry("x", "i"))) != form(product(delta("i", "a"), entry("x", "a")))


# -- sums ---------------------------------------------------------------------------------------

def test_a_sum_over_an_unused_index_is_its_size_times_the_term():
    assert form(summed(scale(entry("x", "i"), 2), [("p", m)])) == form(scale(entry("x", "i"), 2 * m))


def test_a_size_dependent_coefficient_is_kept():
    # Σ_p x[i] - x[i] = (m - 1) x[i]: zero at m = 1 only, so not zero
    difference = form(summed(entry("x", "i"), [("p", m)]) - entry("x", "i"))
    assert [t.coeff for t in difference.terms] == [m - 1]
    assert not scalar_zero(difference)


def test_a_sum_over_a_size_of_one_is_its_one_term():
    assert form(summed(entry("X", "i", "p"), [("p", sympy.Integer(1))])) == form(entry("X", "i", 1))


def test_a_sum_over_a_small_fixed_size_is_written_out():
    written = form(summed(entry("x", "p"), [("p", sympy.Integer(2))]))
    assert written == form(entry("x", 1) + entry("x", 2))


# -- bound indices, collection ------------------------------------------------------------------

def test_alpha_equivalent_terms_become_equal():
    left = summed(product(entry("A", "i", "k"), entry("B", "k", "j")), [("k", m)])
    right = summed(product(entry("B", "q", "j"), entry("A", "i", "q")), [("q", m)])
    assert form(left) == form(right)
    assert expr_key(form(left)) == expr_key(form(right))


def test_bound_indices_are_named_in_the_order_that_gives_the_least_key():
    # the same chain A[i,·] B[·,·] C[·,j] with its two sums listed in either order
    left = summed(product(entry("A", "i", "k"), entry("B", "k", "l"), entry("C", "l", "j")), [("k", m), ("l", m)])
    right = summed(product(entry("A", "i", "q"), entry("B", "q", "r"), entry("C", "r", "j")), [("r", m), ("q", m)])
    assert form(left) == form(right)


def test_a_remembered_naming_is_of_the_term_and_the_ranges_of_its_free_indices():
    # canonical naming is remembered per term up to its bound names: the range of a free index
    # decides whether exp's argument contracts, so it must be part of what is remembered
    inner = summed(product(delta("a", "k"), entry("X", "k", 1)), [("k", m)])
    term = product(atom(Apply("exp", 0, inner)), entry("Y", "a", 1))
    contracted = product(atom(Apply("exp", 0, entry("X", "a", 1))), entry("Y", "a", 1))
    assert form(term, {"a": m}) == form(contracted, {"a": m})
    assert form(term, {"a": n}) != form(term, {"a": m})
    renamed = summed(product(delta("a", "q"), entry("X", "q", 1)), [("q", m)])
    assert form(product(atom(Apply("exp", 0, renamed)), entry("Y", "a", 1)), {"a": n}) == form(term, {"a": n})


def test_like_terms_collect_with_exact_coefficients():
    collected = form(scale(entry("X", "i", "j"), Fraction(1, 3)) + scale(entry("X", "i", "j"), Fraction(2, 3)))
    assert collected == form(entry("X", "i", "j"))
    assert collected.terms[0].coeff == 1


def test_terms_that_cancel_leave_zero():
    left = summed(product(entry("A", "i", "k"), entry("B", "k", "j")), [("k", m)])
    right = summed(product(entry("A", "i", "l"), entry("B", "l", "j")), [("l", m)])
    assert form(left - right) == ZERO
    assert collect([]) == ZERO


# -- powers -------------------------------------------------------------------------------------

def test_a_power_times_its_inverse_is_one():
    x = entry("x", "i")
    assert form(mul(x, power(x, Fraction(-1)))) == const(1)


def test_powers_of_one_base_add_their_exponents():
    y = entry("y", "i") + entry("z", "i")  # a sum: a base that is not a lone factor
    merged = merge_powers(mul(power(y, Fraction(-1)), power(y, Fraction(-1))).terms[0])
    assert len(merged.factors) == 1
    assert isinstance(merged.factors[0], Apply) and merged.factors[0].power == -2


def test_a_fractional_power_is_kept():
    x = entry("x", "i")
    assert not equal(power(x, Fraction(1, 2)), const(1))
    assert not equal(power(x, Fraction(3, 2)), x)
    assert equal(mul(power(x, Fraction(1, 2)), power(x, Fraction(1, 2))), x)  # sqrt(x)² = x where defined


def test_a_square_root_of_a_square_is_not_the_value():
    x = entry("x", "i")
    assert not equal(power(mul(x, x), Fraction(1, 2)), x)  # sqrt(x²) = |x|


def test_a_fractional_power_of_a_product_is_not_split():
    x, y = entry("x", "i"), entry("y", "i")
    half = Fraction(1, 2)
    assert form(power(mul(x, y), half)) != form(mul(power(x, half), power(y, half)))  # false for x, y < 0


# -- what stays different -----------------------------------------------------------------------

def test_a_transpose_is_not_made_equal():
    assert not equal(entry("X", "i", "j"), entry("X", "j", "i"))


def test_a_swapped_index_is_not_made_equal():
    left = summed(product(entry("A", "k", "i"), entry("B", "k", "j")), [("k", m)])
    right = summed(product(entry("A", "k", "j"), entry("B", "k", "i")), [("k", m)])
    assert not equal(left, right)


def test_a_missing_factor_two_is_not_made_equal():
    assert not equal(scale(entry("X", "i", "j"), 2), entry("X", "i", "j"))


def test_a_different_function_is_not_made_equal():
    u = entry("x", "i")
    assert not equal(atom(Apply("sigmoid", 0, u)), atom(Apply("sigmoid", 1, u)))
    assert not equal(atom(Apply("tanh", 0, u)), atom(Apply("sigmoid", 0, u)))


# -- structure of the variables -----------------------------------------------------------------

def test_a_symmetric_variable_reads_alike_both_ways_and_no_other():
    symmetric = Structure(symmetric=frozenset({"S"}))
    assert equal(entry("S", "i", "j"), entry("S", "j", "i"), structure=symmetric)
    assert not equal(entry("X", "i", "j"), entry("X", "j", "i"), structure=symmetric)


def test_a_row_of_a_stochastic_variable_sums_to_one():
    stochastic = Structure(stochastic=frozenset({"T"}))
    row = summed(entry("T", "i", "q"), [("q", m)])
    assert form(row, structure=stochastic) == const(1)
    assert form(row) != const(1)
    column = summed(entry("T", "q", "i"), [("q", m)])
    assert form(column, structure=stochastic) != const(1)


# -- the rational equality test -----------------------------------------------------------------

def test_a_difference_that_cancels_as_a_rational_function_is_zero():
    x, y = entry("x", "i"), entry("y", "i")
    total = power(x + y, Fraction(-1))
    difference = form(mul(total, x) + mul(total, y) - const(1))
    assert difference.terms and scalar_zero(difference)  # the forms differ, the functions agree
    assert not scalar_zero(form(mul(total, x) - const(1)))


def test_sigmoid_identities_hold_through_its_closed_form():
    u = entry("x", "i")
    s = atom(Apply("sigmoid", 0, u))
    # σ(u)(1 - σ(u)) - σ(u) + σ(u)² = 0 as a polynomial in σ(u)
    assert scalar_zero(form(mul(s, const(1) - s) - s + mul(s, s)))
    # σ(-u) = 1 - σ(u) needs σ's definition
    flipped = atom(Apply("sigmoid", 0, scale(u, -1)))
    assert scalar_zero(form(flipped - (const(1) - s)))
    assert not scalar_zero(form(flipped - s))
