"""derive.oracles.index, the index-notation engine: generic proofs of the issue's examples, near
misses left unproved, unsupported operations named, every catalog claim that holds proved for
every size and confirmed by the exact oracle (and none that fails proved), and steps and proofs
held as trees."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from derive.errors import UnsupportedError
from derive.language.parser import parse_expr
from derive.oracles.index import derive_gradient, index_form, prove
from derive.problem.definition import load_problem
from derive.verdict.check import CheckOptions, ProblemChecker

FOLDER = Path(__file__).resolve().parent.parent / "problems"
PATHS = sorted(FOLDER.glob("*.toml"))


@cache
def problem(pid: str):
    return load_problem(FOLDER / f"{pid}.toml")


@cache
def exact(pid: str) -> ProblemChecker:
    return ProblemChecker(problem(pid), CheckOptions(numeric=False))


PROVED = [
    ("linear-layer", "dJ/dW = dJ/dy @ x.T"),
    ("linear-layer", "dJ/dW[i,j] = dJ/dy[i] * x[j]"),
    ("linear-layer", "dJ/dx = W.T @ dJ/dy"),
    ("linear-layer", "dJ/db = dJ/dy"),
    ("linear-layer", "dy/dx = W"),
    ("seed001-batched-linear", "dL/dW = dL/dY.T @ X"),
    ("seed001-batched-linear", "dL/dX = dL/dY @ W"),
    ("seed001-batched-linear", "dL/db = dL/dY.T @ ones(S)"),
    ("seed001-batched-linear", "dL/dW[i,j] = sum_{m,n}(dL/dY[m,n] * dY[m,n]/dW[i,j])"),
    ("seed001-batched-linear", "dY[m,n]/dW[i,j] = sum_p(X[m,p]*delta(n,i)*delta(p,j)) = X[m,j]*delta(n,i)"),
    ("seed001-batched-linear", "dL/dW[i,j] = sum_{m,n}(dL/dY[m,n]*X[m,j]*delta(n,i)) = sum_m(dL/dY[m,i]*X[m,j])"),
    ("seed001-elementwise", "dL/dX = dL/dY * h'(X)"),
    ("seed001-elementwise", "dY[m,n]/dX[i,j] = h'(X[m,n])*delta(m,i)*delta(n,j)"),
    ("seed000-hadamard", "dJ/dA = dJ/dS * phi'(A)"),
    ("cookbook-traces", "dt2/dY = A.T"),
    ("cookbook-traces", "dt3/dY = (B + B.T) @ Y"),
    ("cookbook-traces", "dt5/dX = 2 * X.T"),
    ("cookbook-traces", "dt7/dY = 2 * S @ Y"),
    ("cookbook-linear-forms", "dh/dX = a @ b.T"),
    ("cookbook-quadratic-forms", "dq/dx = (B + B.T) @ x"),
    ("tanh-layer", "dJ/dz = dJ/dh * (1 - h**2)"),
    ("relu-layer", "dL/dZ = dL/dH * step(Z)"),
    ("mse", "dl/dW = (y - t) @ x.T"),
    ("seed001-softmax", "dY[m,n]/dX[i,j] = Y[m,n]*delta(m,i)*(delta(n,j) - Y[m,j])"),
    ("seed001-softmax", "dL/dX = Y * (dL/dY - sum(dL/dY * Y, axis=1))"),
    ("softmax-cross-entropy", "dL/dZ = (softmax(Z) - T) / S"),  # rows of T sum to 1
    ("softmax-cross-entropy", "dL2/dW = X.T @ (P2 - T) / S"),
    ("logistic-regression", "dL/db = sum(P - tb) / S"),
    ("seed004-vec-identity", "vec(A @ B @ C) = kron(C.T, A) @ vec(B)"),
    ("seed004-vec-identity", "kron(X, eye(n)) @ Y = vec(Y @ X.T)"),
    ("seed004-vec-identity", "vec(A.T @ A) = kron(eye(q), A.T) @ vec(A)"),
    ("seed004-vec-identity", "sum_k(vec(A)[k]*vec(A)[k]) = trace(A.T @ A) = norm(A)**2"),
    ("seed004-vec-identity", "vec(A2)[3] = A2[1,2]"),
    ("cookbook-determinant", "dD/dX = det(X) * inv(X).T"),
    ("cookbook-determinant", "dg/dX = det(A @ X @ B) * inv(X).T"),
    ("cookbook-determinant", "dld/dP = inv(P)"),  # P is symmetric, and so is its inverse
    ("cookbook-inverse", "df/dX = -inv(X).T @ a @ b.T @ inv(X).T"),
    ("cookbook-inverse", "dY[k,l]/dX[i,j] = -inv(X)[k,i] * inv(X)[j,l]"),
]

NOT_PROVED = [
    ("linear-layer", "dJ/dW = x @ dJ/dy.T"),  # transpose (a shape mismatch)
    ("linear-layer", "dJ/dx = 2 * W.T @ dJ/dy"),  # factor 2
    ("linear-layer", "dy[r]/dW[i,j] = delta(r,j) * dy[r]/dW[i,j]"),  # wrong index
    ("seed001-batched-linear", "dL/dW[i,j] = sum_m(dL/dY[m,j]*X[m,i])"),  # swapped indices
    ("seed001-batched-linear", "dL/dX = 2 * dL/dY @ W"),
    ("seed001-elementwise", "dL/dX = dL/dY * h(X)"),  # activation for its derivative
    ("seed001-elementwise", "dL/dX = dL/dY"),  # derivative of the activation missing
    ("cookbook-traces", "dt2/dY = A"),
    ("cookbook-traces", "dt3/dY = 2 * B @ Y"),  # B is not symmetric
    ("cookbook-traces", "dt5/dX = 2 * X"),
    ("cookbook-traces", "dt7/dY = S @ Y"),
    ("cookbook-traces", "dt1/dX = ones(n, n)"),
    ("seed001-softmax", "dY[m,n]/dX[i,j] = Y[m,n]*delta(m,i)*(delta(n,j) - Y[m,n])"),
    ("seed001-softmax", "dL/dX = dL/dY * Y * (1 - Y)"),  # the diagonal of the Jacobian only
    ("softmax-cross-entropy", "dL/dZ = softmax(Z) - T"),  # the 1/S dropped
    ("seed004-vec-identity", "vec(A @ B @ C) = kron(C.T, A) @ vec(B.T)"),  # B read as pairs both ways
    ("seed004-vec-identity", "kron(eye(n), X) @ Y = vec(Y @ X.T)"),  # the blocks in the other order
    ("seed004-vec-identity", "vec(A.T @ A) = kron(A.T, eye(q)) @ vec(A)"),
    ("seed004-vec-identity", "vec(A)[2] = A[2,1]"),  # true only when A has two rows or more
    ("seed004-vec-identity", "vec(A2)[3] = A2[2,1]"),
    ("cookbook-determinant", "dD/dX = det(X) * inv(X)"),  # X is not symmetric
    ("cookbook-determinant", "dla/dX = 2 * inv(X).T"),
    ("cookbook-inverse", "df/dX = -inv(X) @ a @ b.T @ inv(X)"),
    ("cookbook-inverse", "dY[k,l]/dX[i,j] = -inv(X)[k,j] * inv(X)[i,l]"),
]

UNSUPPORTED = [
    ("cookbook-inverse", "inv(A @ B)", "inv"),  # A is m x n: no inv(B) inv(A)
    ("cookbook-inverse", "det(A @ B)", "det"),
    ("cookbook-inverse", "inv(X + X.T)", "inv"),
]


@pytest.mark.parametrize("pid, claim", PROVED, ids=[c for _, c in PROVED])
def test_the_issue_examples_are_proved_for_every_size(pid, claim):
    assert prove(problem(pid), claim).proved


@pytest.mark.parametrize("pid, claim", NOT_PROVED, ids=[c for _, c in NOT_PROVED])
def test_a_near_miss_gets_no_generic_proof(pid, claim):
    result = prove(problem(pid), claim)
    assert not result.proved
    assert result.status.startswith("no generic proof")


@pytest.mark.parametrize("pid, side, name", UNSUPPORTED, ids=[n for *_, n in UNSUPPORTED])
def test_an_operation_without_a_rule_raises_naming_it(pid, side, name):
    with pytest.raises(UnsupportedError, match=name):
        index_form(parse_expr(side), problem(pid))


def test_prove_reports_the_missing_rule_instead_of_a_verdict():
    result = prove(problem("cookbook-inverse"), "inv(A @ B) @ A @ B = eye(m)")
    assert not result.proved and "inv" in result.status


def test_an_identity_beyond_the_canonical_form_is_not_proved():
    assert not prove(problem("cookbook-inverse"), "X @ inv(X) = eye(n)").proved


def test_the_value_of_an_arbitrary_loss_is_unsupported():
    with pytest.raises(UnsupportedError, match="arbitrary"):
        index_form(parse_expr("d(J*J)/dW"), problem("linear-layer"))


def test_index_form_of_a_matrix_product_is_a_sum_over_the_inner_index():
    p = problem("seed001-batched-linear")
    left = index_form(parse_expr("dL/dY.T @ X"), p, ("i", "j"))
    right = index_form(parse_expr("sum_m(dL/dY[m,i]*X[m,j])"), p, ("i", "j"))
    assert left == right


def test_the_batched_derivation_has_the_issue_steps():
    d = derive_gradient(problem("seed001-batched-linear"), "L", "W")
    kinds = [s.justification.split()[0] for s in d.steps]
    assert kinds == ["the", "chain", "derivative", "contract", "rename"]
    assert "delta" in d.steps[2].text
    assert d.steps[-1].text == "sum_k(dL/dY[k,i] * X[k,j])"


DERIVATIONS = [
    ("seed001-batched-linear", "L", "W"),
    ("seed001-batched-linear", "L", "b"),
    ("seed001-batched-linear", "L", "X"),
    ("linear-layer", "J", "W"),
    ("seed001-elementwise", "L", "X"),
    ("tanh-layer", "J", "W"),
    ("relu-layer", "J", "W"),
    ("cookbook-traces", "t2", "Y"),
    ("cookbook-traces", "t3", "Y"),
    ("cookbook-linear-forms", "h", "X"),
    ("cookbook-quadratic-forms", "q", "x"),
    ("mse", "l", "W"),
]


@pytest.mark.parametrize("pid, loss, wrt", DERIVATIONS, ids=[f"{p}:d{loss}/d{w}" for p, loss, w in DERIVATIONS])
def test_every_step_of_a_derivation_holds_exactly(pid, loss, wrt):
    steps = derive_gradient(problem(pid), loss, wrt).steps
    text = " = ".join(s.text for s in steps if not s.justification.startswith("definition"))
    assert exact(pid).check(text).verdict == "holds"


# Catalog claims that hold and that the engine cannot prove for every size today, by id
# ("problem:number"), each with the reason: a proof lost fails the test below, a gap closed
# turns its strict xfail into a failure too. None today: every claim of the catalog that holds
# is proved.
NOT_PROVED_YET: dict[str, str] = {
    # every size fixed: the exact proof at the only sizes is complete; the engine has no rule for a
    # variable of fixed length 6 read as the pair index over m·p
    **{f"seed004-vec-layer:{number}": "a fixed length read as a pair index has no rule" for number in (1, 2)},
}


def _catalog_claims(expect: str):
    for path in PATHS:
        for number, spec in enumerate(load_problem(path).claims, 1):
            if spec.expect != expect:
                continue
            claim_id = f"{path.stem}:{number}"
            gap = NOT_PROVED_YET.get(claim_id)
            marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
            yield pytest.param(path.stem, number - 1, id=claim_id, marks=marks)


@pytest.mark.parametrize("pid, index", list(_catalog_claims("holds")))
def test_a_catalog_claim_that_holds_is_proved_for_every_size_and_confirmed_exactly(pid, index):
    spec = problem(pid).claims[index]
    if spec.chain.kind == "in":  # a shape statement: the shape rules decide it for every size, not the engine
        verdict = exact(pid).check(spec)
        assert verdict.verdict == "holds" and verdict.every_size
        return
    result = prove(problem(pid), spec.chain)
    assert result.proved, result.status
    assert exact(pid).check(spec).verdict == "holds"


@pytest.mark.parametrize("pid, index", list(_catalog_claims("fails")))
def test_a_catalog_claim_that_fails_gets_no_generic_proof(pid, index):
    assert not prove(problem(pid), problem(pid).claims[index].chain).proved


def test_every_catalog_gap_is_a_claim_that_holds():
    holding = {p.id for p in _catalog_claims("holds")}
    assert set(NOT_PROVED_YET) <= holding


ARGUMENTS = [
    ("seed001-batched-linear", "dL/dW = dL/dY.T @ X"),
    ("cookbook-traces", "dt3/dY = (B + B.T) @ Y"),
    ("softmax-cross-entropy", "dL2/dW = X.T @ (P2 - T) / S"),
    ("logistic-regression", "dL/db = sum(P - tb) / S"),
]


@pytest.mark.parametrize("pid, claim", ARGUMENTS, ids=[c for _, c in ARGUMENTS])
def test_a_proved_gradient_reads_from_the_chain_rule_back_to_matrix_form(pid, claim):
    (link,) = prove(problem(pid), claim).links
    whys = [step.justification for step in link.steps]
    assert whys[0].startswith("the entries") and whys[-1] == "for every entry, and every size"
    assert whys[-2].startswith("back to matrix form")
    assert link.steps[-1].text == claim
    chain = " = ".join(step.text for step in link.steps[:-1]
                       if not step.justification.startswith("definition"))
    assert exact(pid).check(chain).verdict == "holds"


def test_a_gradient_is_derived_once_per_problem_and_each_claim_reads_the_same_argument(monkeypatch):
    from derive.oracles.index import proof

    fresh = load_problem(FOLDER / "linear-layer.toml")  # a problem no other test has derived
    calls = []
    monkeypatch.setattr(proof, "derive_gradient", lambda *args: calls.append(args) or derive_gradient(*args))
    first = prove(fresh, "dJ/dW = dJ/dy @ x.T").links[0]
    wrong = prove(fresh, "dJ/dW = 2 * dJ/dy @ x.T").links[0]
    again = prove(fresh, "dJ/dW = dJ/dy @ x.T").links[0]
    assert len(calls) == 1
    assert first.proved and again.proved and not wrong.proved
    assert [s.text for s in again.steps] == [s.text for s in first.steps]
    assert wrong.reason == "the canonical index forms differ"


def test_an_index_split_for_vec_is_named_in_the_steps():
    (link,) = prove(problem("seed004-vec-identity"), "vec(A @ B @ C) = kron(C.T, A) @ vec(B)").links
    assert "#" not in " ".join(s.text for s in link.steps)
    assert "i = (" in link.steps[0].justification


def test_a_derivation_writes_definitions_by_their_names_again():
    steps = derive_gradient(problem("seed001-softmax"), "L", "X").steps
    assert steps[-1].text == "dL/dY[i,j] * Y[i,j] - sum_l(dL/dY[i,l] * Y[i,j] * Y[i,l])"
    assert exact("seed001-softmax").check(f"dL/dX[i,j] = {steps[-1].text}").verdict == "holds"


# -- soundness over random expressions ------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from derive.problem.definition import problem_from_dict  # noqa: E402

from .strategies import ORACLE_PROBLEM, typed_texts  # noqa: E402

ORACLE = problem_from_dict(ORACLE_PROBLEM)
ORACLE_CHECKER = ProblemChecker(ORACLE, CheckOptions(generic=False))
REWRITES = [  # equal to e, and not (unless e is zero)
    ("(({e}).T).T", True), ("2 * ({e}) - ({e})", True), ("({e}) * P / P", True),
    ("({e}) + sum(B - B) * ({e})", True), ("2 * ({e})", False), ("({e}) + P", False), ("-({e})", False),
]


@settings(max_examples=60, deadline=None)
@given(typed_texts(("M", "N")), st.sampled_from(REWRITES))
def test_a_generic_proof_of_random_expressions_holds_exactly(text, rewrite):
    claim = f"{text} = {rewrite[0].format(e=text)}"
    proof = prove(ORACLE, claim)
    if proof.proved:  # the exact oracle proves it zero at every size assignment it tries
        verdict = ORACLE_CHECKER.check(claim)
        assert verdict.verdict != "fails", claim
        assert all(e.outcome == "zero" for link in verdict.links for e in link.exact), claim
    elif rewrite == REWRITES[0] and "no rule" not in proof.status:
        raise AssertionError(f"a double transpose is not proved: {claim}: {proof.status}")


def test_relu_of_relu_is_relu_for_every_size():
    problem = problem_from_dict({"id": "r", "sizes": ["n"], "variables": {"x": "n"}})
    assert prove(problem, "relu(relu(x)) = relu(x)").proved
    assert prove(problem, "step(relu(x)) = step(x)").proved
    assert prove(problem, "relu(sigmoid(x)) = sigmoid(x)").proved


# -- steps and proofs are trees -------------------------------------------------------------------

import lark  # noqa: E402
import sympy  # noqa: E402

from derive.language import ast  # noqa: E402
from derive.language.parser import parse_claim, parse_sides  # noqa: E402
from derive.language.primitives import ENGINES  # noqa: E402
from derive.language.shapes import size_symbol  # noqa: E402
from derive.oracles.index import INDEX_RULES  # noqa: E402
from derive.oracles.index.render import sympy_node  # noqa: E402


def test_the_index_engine_has_a_rule_for_every_row_of_the_primitive_table():
    assert ENGINES["index engine"] is INDEX_RULES
    assert INDEX_RULES.missing() == []


def test_a_step_holds_a_tree_that_prints_as_its_text():
    (link,) = prove(problem("seed001-batched-linear"), "dL/dW = dL/dY.T @ X").links
    assert link.left == parse_expr("dL/dW") and link.right == parse_expr("dL/dY.T @ X")
    for step in link.steps:
        assert isinstance(step.chain, ast.Chain)
        assert parse_sides(step.text) == step.chain
    assert link.steps[-1].chain == ast.Chain((link.left, link.right))
    assert link.steps[2].chain.sides[0] == parse_expr("sum_{k,l,p}(dL/dY[k,l] * X[k,p] * delta(l,i) * delta(j,p))")


def test_the_engine_never_reads_text(monkeypatch):
    p, chain = problem("seed001-softmax"), parse_claim("dL/dX = Y * (dL/dY - sum(dL/dY * Y, axis=1))")

    def refuse(*args, **kwargs):
        raise AssertionError("the index engine parsed text")

    monkeypatch.setattr(lark.Lark, "parse", refuse)
    assert prove(p, chain).proved
    assert derive_gradient(p, "L", "X").steps


SIZES = [size_symbol(name) for name in ("n", "m", "S", "dk")]
NUMBERS = [sympy.Integer(2), sympy.Integer(-1), sympy.Rational(1, 2), sympy.Rational(-3, 4), sympy.sqrt(2)]
EXPONENTS = [2, -1, -2, -3, sympy.Rational(1, 2), sympy.Rational(-1, 2), sympy.Rational(1, 3)]
COEFFICIENTS = st.recursive(
    st.sampled_from(SIZES + NUMBERS),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda pair: pair[0] + pair[1]),
        st.tuples(inner, inner).map(lambda pair: pair[0] - pair[1]),
        st.tuples(inner, inner).map(lambda pair: pair[0] * pair[1]),
        st.tuples(inner, st.sampled_from(SIZES)).map(lambda pair: pair[0] / pair[1]),
        st.tuples(inner, st.sampled_from(EXPONENTS)).map(lambda pair: pair[0] ** pair[1]),
        inner.map(lambda value: sympy.cancel(sympy.together(value))),
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(COEFFICIENTS)
def test_a_coefficient_is_the_tree_its_sympy_printing_reads_as(value):
    assert sympy_node(value) == parse_expr(str(value))
    assert sympy_node(-value) == parse_expr(str(-value))


def test_a_folded_definition_never_shows_an_index_it_does_not_name():
    # B = ones(S) @ b.T: B[m,n] = b[n] says nothing of the row, so b[n] is not written B[?,n]
    p = problem("seed001-batched-linear")
    steps = [step for spec in p.claims if spec.expect == "holds"
             for link in prove(p, spec.chain).links for step in link.steps]
    assert steps and not [step.text for step in steps if "#" in step.text]
