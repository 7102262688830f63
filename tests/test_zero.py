"""derive.oracles.zero: the zero tests prove only true identities, and witnesses refute only false ones."""

from __future__ import annotations

import random

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.oracles.functions import Sigmoid, SoftmaxEntry, Tanh, undefined
from derive.oracles.witness import find_witness
from derive.oracles.zero import Atomizer, is_zero_polynomial, is_zero_rational

from .strategies import sympy_scalars

x, y, z = sympy.symbols("x y z", real=True)
h = undefined("h")

# (id, left, right): true identities and the stage that first proves them
POLYNOMIAL_IDENTITIES = [
    ("expansion", (x + y) ** 2, x**2 + 2 * x * y + y**2),
    ("atoms with equal expanded arguments", Sigmoid(x * (y + 1)), Sigmoid(x * y + x)),
    ("sigmoid derivative written two ways", sympy.diff(Sigmoid(x), x), Sigmoid(x) - Sigmoid(x) ** 2),
    ("tanh derivative", sympy.diff(Tanh(2 * x), x), 2 - 2 * Tanh(2 * x) ** 2),
    ("undefined activation chain rule", sympy.diff(h(x * y), x), y * undefined("h", 1)(x * y)),
    ("rational in atoms", Sigmoid(x) / Sigmoid(x), sympy.Integer(1)),
    ("exp of a sum (expand splits it)", sympy.exp(x + y), sympy.exp(x) * sympy.exp(y)),
]

RATIONAL_ONLY_IDENTITIES = [
    ("sigmoid symmetry", Sigmoid(-x), 1 - Sigmoid(x)),
    ("sigmoid derivative as a product", Sigmoid(x) * (1 - Sigmoid(x)), Sigmoid(x) * Sigmoid(-x)),
    ("tanh through sigmoid", Tanh(x), 2 * Sigmoid(2 * x) - 1),
    ("softmax sums to one", SoftmaxEntry(0, x, y, z) + SoftmaxEntry(1, x, y, z) + SoftmaxEntry(2, x, y, z),
     sympy.Integer(1)),
    ("exp of a negated sum", 1 / (1 + sympy.exp(-x - y)), Sigmoid(x + y)),
    ("softmax is shift invariant", SoftmaxEntry(0, x + 1, y + 1), SoftmaxEntry(0, x, y)),
    ("two-way softmax is a sigmoid", SoftmaxEntry(0, x, y), Sigmoid(x - y)),
]

FALSE_CLAIMS = [
    ("factor two", 2 * x * y, x * y),
    ("sign", Sigmoid(x) - 1, 1 - Sigmoid(x)),
    ("sigmoid is not odd", Sigmoid(-x), -Sigmoid(x)),
    ("sigmoid is not tanh", Sigmoid(x), Tanh(x)),
    ("exp does not split over a sum", sympy.exp(x + y), sympy.exp(x) + sympy.exp(y)),
    ("missing derivative factor", sympy.diff(Sigmoid(x * y), x), Sigmoid(x * y) * (1 - Sigmoid(x * y))),
    ("softmax entries differ", SoftmaxEntry(0, x, y), SoftmaxEntry(1, x, y)),
    ("activation for its derivative", h(x), undefined("h", 1)(x)),
    ("a tiny coefficient", x + sympy.Rational(1, 10**15) * y, x),
]


def _ids(rows):
    return [r[0] for r in rows]


def _args(rows):
    return [r[1:] for r in rows]


@pytest.mark.parametrize("left, right", _args(POLYNOMIAL_IDENTITIES), ids=_ids(POLYNOMIAL_IDENTITIES))
def test_polynomial_stage_proves_polynomial_identities(left, right):
    assert is_zero_polynomial(left - right, Atomizer())


@pytest.mark.parametrize("left, right", _args(RATIONAL_ONLY_IDENTITIES), ids=_ids(RATIONAL_ONLY_IDENTITIES))
def test_identities_between_related_atoms_need_the_rational_stage(left, right):
    atomizer = Atomizer()
    assert not is_zero_polynomial(left - right, atomizer)
    assert is_zero_rational(left - right, atomizer)


@pytest.mark.parametrize("left, right", _args(FALSE_CLAIMS), ids=_ids(FALSE_CLAIMS))
def test_zero_tests_never_prove_a_false_claim(left, right):
    atomizer = Atomizer()
    assert not is_zero_polynomial(left - right, atomizer)
    assert not is_zero_rational(left - right, atomizer)
    assert not is_zero_rational(left - right, atomizer, rewrite=False)


def test_a_fraction_of_the_atoms_is_proved_without_exponentials():
    """d log(1 - σ(z)) leaves σ/(1 - σ): a fraction of the atom σ, zero as it stands (the
    exponential rewrite's denominators grow as (1 + e^-z)^k)."""
    z = sympy.Symbol("z", real=True)
    s = Sigmoid(z)
    difference = 1 / (1 - s) - 1 - s / (1 - s)
    assert not is_zero_polynomial(difference, Atomizer())
    assert is_zero_rational(difference, Atomizer(), rewrite=False)


@pytest.mark.parametrize("left, right", _args(FALSE_CLAIMS), ids=_ids(FALSE_CLAIMS))
def test_a_false_claim_has_a_witness(left, right):
    witness = find_witness(sympy.Matrix([[left]]), sympy.Matrix([[right]]), [x, y, z], random.Random(0))
    assert witness is not None
    assert witness.entry == (0, 0)
    assert witness.left != witness.right


@pytest.mark.parametrize("left, right", _args(POLYNOMIAL_IDENTITIES + RATIONAL_ONLY_IDENTITIES),
                         ids=_ids(POLYNOMIAL_IDENTITIES + RATIONAL_ONLY_IDENTITIES))
def test_an_identity_has_no_witness(left, right):
    assert find_witness(sympy.Matrix([[left]]), sympy.Matrix([[right]]), [x, y, z], random.Random(0), tries=4) is None


def test_a_witness_names_the_entry_that_differs():
    left = sympy.Matrix([[x, Sigmoid(y)], [x * y, z]])
    right = sympy.Matrix([[x, Sigmoid(y)], [2 * x * y, z]])
    witness = find_witness(left, right, [x, y, z], random.Random(1))
    assert witness.entry == (1, 0)
    true, claimed = witness.as_floats()
    assert claimed == pytest.approx(2 * true)


def test_a_witness_point_covers_every_symbol():
    witness = find_witness(sympy.Matrix([[x]]), sympy.Matrix([[2 * x]]), [x, y], random.Random(2))
    assert set(witness.point) == {x, y}


# -- properties -------------------------------------------------------------------------------

SYMBOLS = (x, y, z)


@settings(max_examples=60, deadline=None)
@given(sympy_scalars(SYMBOLS))
def test_an_expression_equals_its_expansion(expr):
    assert is_zero_polynomial(expr - sympy.expand(expr), Atomizer())


@settings(max_examples=60, deadline=None)
@given(sympy_scalars(SYMBOLS), st.sampled_from(SYMBOLS), st.integers(1, 5))
def test_adding_a_monomial_is_never_proved_zero(expr, symbol, power):
    difference = (expr + symbol**power) - sympy.expand(expr)
    atomizer = Atomizer()
    assert not is_zero_polynomial(difference, atomizer)
    assert not is_zero_rational(difference, atomizer)


@settings(max_examples=40, deadline=None)
@given(sympy_scalars(SYMBOLS), st.integers(0, 1000))
def test_doubling_a_nonzero_expression_has_a_witness(expr, seed):
    value = sympy.N(expr.xreplace({x: sympy.Rational(7, 10), y: sympy.Rational(-9, 10), z: sympy.Rational(13, 10)}))
    if abs(complex(value)) < 1e-6:
        return  # zero or nearly so at a typical point: doubling may well be invisible
    witness = find_witness(sympy.Matrix([[expr]]), sympy.Matrix([[2 * expr]]), list(SYMBOLS), random.Random(seed),
                           tries=3)
    assert witness is not None


# -- where the zero test runs: in this process only when its expansions are bounded ----------------

def test_expansion_work_bounds_the_terms_an_expansion_makes():
    import symengine

    from derive.oracles.zero import expansion_work

    xs = symengine.symbols("a0:12")
    cube = sum(xs) ** 3
    assert len(symengine.expand(cube).args) <= expansion_work(cube, 10**9)
    assert expansion_work(sum(xs) ** 40, 1000) > 1000  # counting stops past the limit


def test_a_large_expansion_is_refused_under_a_limit_and_proved_without_one():
    from derive.oracles.zero import ExpansionTooLarge

    big = sum(sympy.symbols("b0:8")) ** 12
    with pytest.raises(ExpansionTooLarge):
        is_zero_polynomial(big - x, Atomizer(expansion_limit=10_000))
    assert is_zero_polynomial((x + y) ** 2 - x**2 - 2 * x * y - y**2, Atomizer(expansion_limit=10_000))


def test_the_checker_forks_the_zero_test_only_for_a_large_expansion(monkeypatch):
    from derive.verdict import check

    forked = []

    def recorded(fn, seconds, what=""):
        forked.append(what)
        return fn()

    monkeypatch.setattr(check, "call_with_timeout", recorded)
    checker = check.ProblemChecker.__new__(check.ProblemChecker)
    checker.options = check.CheckOptions()
    small = sympy.ImmutableMatrix([[(x + y) ** 2]]), sympy.ImmutableMatrix([[x**2 + 2 * x * y + y**2]])
    assert checker._zero_test(*small, start=0.0)[0] == "zero"
    assert forked == []
    monkeypatch.setattr(check, "IN_PROCESS_EXPANSION", 20)  # (x+y+z)**4 takes more terms of work
    large = sympy.ImmutableMatrix([[(x + y + z) ** 4]]), sympy.ImmutableMatrix([[((x + y + z) ** 4).expand()]])
    assert checker._zero_test(*large, start=0.0)[0] == "zero"
    assert forked == ["the exact zero test"]
