"""derive.verdict.diagnose: every diagnosis code of docs/problems.md, each triggered by a deliberate slip."""

from __future__ import annotations

import re

import pytest

from derive.language.parser import parse_expr
from derive.language.text import to_text

from .problems_inline import PROBLEMS, checker

# (code, problem, wrong claim, a phrase the message must contain)
SLIPS = [
    ("transposed", "layer", "dJ/dW = x @ dJ/dy.T", "is the transpose of dJ/dW"),
    ("transposed", "mse", "dL/dX = R.T @ W / S", "is the transpose of dL/dX"),
    ("row-column", "layer", "dJ/dx = dJ/dy.T @ W", "is a row vector"),
    ("layout", "square", "dy/du = A.T", "the Jacobian in the denominator layout"),
    ("factor", "layer", "dJ/dW = 2 * dJ/dy @ x.T", "it is 2 times dJ/dW"),
    ("factor", "layer", "dJ/dx = 0.5 * W.T @ dJ/dy", "it is 1/2 times dJ/dx"),
    ("factor", "mse", "dL/dW = R @ X.T", "it is S times dL/dW"),
    ("factor", "mse", "dL/dW = R @ X.T / S / S", "it is 1/S times dL/dW"),
    ("sign", "layer", "dJ/dW = -dJ/dy @ x.T", "has the wrong sign"),
    ("missing-batch-sum", "mse", "dL/db = R / S", "missing the sum over the batch"),
    ("hadamard-matmul", "layer", "dJ/dx = W.T * dJ/dy", "elementwise product where the matrix product was meant"),
    ("hadamard-matmul", "mse", "dL/dW = R * X.T / S", "elementwise product where the matrix product was meant"),
    ("missing-activation-derivative", "act", "dJ/dz = dJ/da", "σ' is missing"),
    ("missing-activation-derivative", "act", "dJ/dW = dJ/da @ x.T", "σ' is missing"),
    ("activation-for-derivative", "act", "dJ/dz = dJ/da * sigmoid(z)", "σ is used where its derivative σ' was meant"),
    ("kron-outer", "layer", "dJ/dW = kron(dJ/dy, x)", "Kronecker product"),
    ("jacobian-diagonal", "act", "da/dz = sigmoid'(z)", "the diagonal of the Jacobian"),
    ("misplaced-transpose", "layer", "dJ/dx = W.T @ dJ/dy.T", "dJ/dy.T where dJ/dy was meant"),
    ("swapped-operands", "square", "dJ/dA = B.T @ dJ/dY", "the operands of B.T @ dJ/dY are swapped"),
    ("wrong-index", "layer", "dK/dW = dK/dz @ x2.T", "x2 where x was meant"),
    ("transposed", "square", "dK/dA[i,j] = dK/dy[j] * u[i]", "indices i and j are swapped"),
    ("shape", "layer", "dJ/dW = W @ x", "W @ x is (m,1), dJ/dW is (m,d)"),
    ("shape", "mse", "dL/dW = R", "R is (m,S), dL/dW is (m,d)"),
    ("unknown", "layer", "dJ/dW = dJ/dy @ x.T + 1", "no common slip explains it"),
]


@pytest.mark.parametrize("code, name, claim, phrase", SLIPS, ids=[f"{s[0]}: {s[2]}" for s in SLIPS])
def test_a_deliberate_slip_gets_its_diagnosis(code, name, claim, phrase):
    verdict = checker(name).check(claim)
    assert verdict.verdict == "fails"
    assert verdict.diagnosis.code == code, verdict.diagnosis
    assert phrase in verdict.diagnosis.message


CORRECTIONS = [
    ("layer", "dJ/dW = x @ dJ/dy.T"),
    ("layer", "dJ/dW = -dJ/dy @ x.T"),
    ("layer", "dJ/dW = 2 * dJ/dy @ x.T"),
    ("layer", "dJ/dW = kron(dJ/dy, x)"),
    ("layer", "dJ/dx = W.T * dJ/dy"),
    ("layer", "dJ/dx = W.T @ dJ/dy.T"),
    ("layer", "dK/dW = dK/dz @ x2.T"),
    ("square", "dJ/dA = B.T @ dJ/dY"),
    ("act", "da/dz = sigmoid'(z)"),
    ("mse", "dL/db = R / S"),
]


@pytest.mark.parametrize("name, claim", CORRECTIONS, ids=[c for _, c in CORRECTIONS])
def test_the_suggested_correction_holds(name, claim):
    wrong = checker(name).check(claim)
    reference = claim.split(" = ")[0]
    fixed = checker(name).check(f"{reference} = {wrong.diagnosis.correct}")
    assert fixed.verdict == "holds"


@pytest.mark.parametrize("name, claim", CORRECTIONS + [("mse", "dL/dW = R @ X.T"), ("mse", "dL/dW = R @ X.T / S / S"),
                                         ("layer", "dJ/dx = 0.5 * W.T @ dJ/dy")], ids=lambda c: c)
def test_a_correction_carries_its_tree_which_reads_as_its_text(name, claim):
    diagnosis = checker(name).check(claim).diagnosis
    assert diagnosis.correction is not None
    assert parse_expr(diagnosis.correct) == parse_expr(to_text(diagnosis.correction))


def test_a_constant_factor_is_not_named_as_a_size():
    hints = {}
    for factor in ["2", "3", "4", "5", "6", "7", "0.5", "0.25", "0.2"]:
        verdict = checker("layer").check(f"dJ/dW = {factor} * dJ/dy @ x.T")
        assert verdict.diagnosis.code == "factor"
        hints[factor] = re.findall(r"it is -?1?/?[a-zA-Z]\w* times", verdict.diagnosis.message)
    assert hints == {factor: [] for factor in hints}


def test_a_suggestion_never_just_restates_the_reference():
    verdict = checker("layer").check("dJ/dW = dJ/dy")
    assert verdict.diagnosis.correct != "dJ/dW"
    assert verdict.diagnosis.code == "shape"


def test_a_free_batch_index_is_a_missing_batch_sum():
    verdict = checker("mse").check("dL/dW[i,j] = R[i,s] * X[j,s] / S")
    assert verdict.verdict == "fails"
    assert verdict.diagnosis.code == "missing-batch-sum"


def test_a_rectangular_jacobian_in_the_other_layout_is_a_layout_slip():
    verdict = checker("layer").check("dy/dx = W.T")
    assert verdict.verdict == "fails"
    assert verdict.diagnosis.code == "layout"


def test_swapped_indices_over_different_ranges_are_a_wrong_index():
    verdict = checker("layer").check("dJ/dW[i,j] = dJ/dy[j] * x[i]")
    assert verdict.verdict == "fails"
    assert verdict.diagnosis.code == "wrong-index"


INVERSE = {
    "id": "inverse", "sizes": ["n", "m"],
    "variables": {"X": {"shape": "n x n", "constraints": ["invertible"]}, "A": "m x n", "B": "n x m"},
    "definitions": ["g = trace(A @ inv(X) @ B)"],
}


def test_a_product_missing_its_transpose_is_a_misplaced_transpose():
    from derive.problem.definition import problem_from_dict
    from derive.verdict.check import ProblemChecker

    verdict = ProblemChecker(problem_from_dict(INVERSE)).check("dg/dX = -inv(X).T @ (B @ A) @ inv(X).T")
    assert verdict.diagnosis.code == "misplaced-transpose"


def test_a_missing_transpose_of_an_inner_product_is_found_without_parentheses():
    from derive.problem.definition import problem_from_dict
    from derive.verdict.check import ProblemChecker

    verdict = ProblemChecker(problem_from_dict(INVERSE)).check("dg/dX = -inv(X).T @ B @ A @ inv(X).T")
    assert verdict.diagnosis.code == "misplaced-transpose"


def test_rebuilding_any_position_with_its_own_subtree_gives_the_claim_back():
    """slips.rebuild constructs each node on the path afresh: every field is carried over."""
    from derive.language.parser import parse_claim
    from derive.verdict.slips import positions, rebuild

    for text in ["dL/dX[s,j] = -sum_{r}(dL/dY[s,r] * Xh[s,r]) * gamma[1,j] / S",
                 "dJ/dW = sigmoid'(W @ x + b).T @ kron(eye(n), x.T) * det(A)**-1"]:
        for side in parse_claim(text).sides:
            for path, sub in positions(side):
                rebuilt = rebuild(side, path, sub)
                assert rebuilt == side and rebuilt.span == side.span


QUADRATIC = {"id": "quadratic", "sizes": ["n"], "definitions": ["f = x.T @ A @ x", "g = W @ x"],
             "variables": {"x": "n", "A": "n x n", "W": "n x n", "S": {"shape": "n x n", "constraints": ["symmetric"]}},
             "arbitrary": {"J": ["g"]}}


def _checked(problem: dict, claim: str):
    from derive.problem.definition import problem_from_dict
    from derive.verdict.check import ProblemChecker

    return ProblemChecker(problem_from_dict(problem)).check(claim)


def test_a_claim_right_only_for_a_symmetric_matrix_says_so():
    verdict = _checked(QUADRATIC, "df/dx = 2 * A @ x")
    assert verdict.verdict == "fails"
    assert verdict.diagnosis.code == "symmetric-only"
    assert "only when A is symmetric" in verdict.diagnosis.message


def test_a_transpose_slip_on_a_square_matrix_stays_a_transpose_slip():
    """dJ/dx = W @ dJ/dg is also right for a symmetric W, but the missing transpose says more."""
    verdict = _checked(QUADRATIC, "dJ/dx = W @ dJ/dg")
    assert verdict.diagnosis.code in ("misplaced-transpose", "transposed")


def test_a_matrix_declared_symmetric_needs_no_diagnosis():
    problem = {**QUADRATIC, "definitions": ["f = x.T @ S @ x", "g = W @ x"]}
    assert _checked(problem, "df/dx = 2 * S @ x").verdict == "holds"


def test_an_average_over_the_wrong_size_names_both_sizes_and_its_correction_holds():
    from derive.problem.definition import find_problem
    from derive.verdict.check import ProblemChecker

    checker = ProblemChecker(find_problem("softmax-cross-entropy"))
    diagnosis = checker.check("dL/dZ = (P - T) / K").diagnosis
    assert diagnosis.code == "factor"
    assert "divides by K where S was meant" in diagnosis.message
    assert diagnosis.correct == "(P - T) / S"
    assert checker.check(f"dL/dZ = {diagnosis.correct}").verdict == "holds"


def test_a_suggestion_the_exact_check_does_not_prove_is_not_given(monkeypatch):
    """A correction is found at two random points; it is suggested only once proved exactly."""
    from derive.language.parser import parse_expr
    from derive.problem.definition import find_problem
    from derive.verdict import check
    from derive.verdict.evidence import Diagnosis

    wrong = parse_expr("3 * dJ/dy @ x.T")
    # the checker imports the diagnosis when a claim fails: the function is replaced at its home
    monkeypatch.setattr("derive.verdict.diagnose.diagnose",
                        lambda *args: Diagnosis("factor", "off by 2", "3 * dJ/dy @ x.T", correction=wrong))
    diagnosis = check.ProblemChecker(find_problem("linear-layer")).check("dJ/dW = 2 * dJ/dy @ x.T").diagnosis
    assert diagnosis.code == "factor" and diagnosis.correct is None and diagnosis.correction is None
    assert "not proved by the exact check, so none is suggested" in diagnosis.message


@pytest.mark.parametrize("problem, claim, correct", [
    ("softmax-cross-entropy", "dL/dZ = P * (dL/dP - sum(P * dL/dP, axis=0))", "P * (dL/dP - sum(P * dL/dP, axis=1))"),
    ("tanh-layer", "dL/db = sum(dL/dH * (1 - H**2), axis=0)", "sum(dL/dH * (1 - H**2), axis=1)"),
])
def test_a_sum_over_the_other_axis_is_named_with_both_axes(problem, claim, correct):
    from derive.problem.definition import find_problem
    from derive.verdict.check import ProblemChecker

    diagnosis = ProblemChecker(find_problem(problem)).check(claim).diagnosis
    assert diagnosis.code == "wrong-axis" and "where axis" in diagnosis.message
    assert diagnosis.correct == correct


def test_a_softmax_over_the_columns_is_named_as_the_wrong_axis():
    from derive.verdict.slips import DIAGNOSIS_RULES

    call = parse_expr("softmax(Z)")
    (code, _, edited), = DIAGNOSIS_RULES["softmax"](call)
    assert code == "wrong-axis" and to_text(edited) == "softmax(Z.T).T"


# (problem, wrong claim, the slip's code, "factor" or "sign", the correction derive suggests); the
# problems are inline ones (problems_inline) or the catalog's
SCALED = [
    ("layer", "dJ/dx = -W @ dJ/dy", "misplaced-transpose", "sign", "W.T @ dJ/dy"),
    ("layer", "dK/dW = 3 * dK/dz @ x2.T", "wrong-index", "factor", "dK/dz @ x.T"),
    ("layer", "dJ/dW = 2 * x @ dJ/dy.T", "transposed", "factor", "(x @ dJ/dy.T).T"),
    ("square", "dJ/dA = -B.T @ dJ/dY", "swapped-operands", "sign", "dJ/dY @ B.T"),
    ("act", "dJ/dz = -(dJ/da * sigmoid(z))", "activation-for-derivative", "sign", "dJ/da * sigmoid'(z)"),
    ("act", "dJ/dW = 2 * dJ/da @ x.T", "missing-activation-derivative", "factor", None),
    ("mse", "dL/db = 2 * R / S", "missing-batch-sum", "factor", "sum(R / S, axis=1)"),
    ("mse", "dL/dW[i,j] = -R[i,s] * X[j,s] / S", "missing-batch-sum", "sign", "sum_s(R[i,s] * X[j,s] / S)"),
    ("rnn-step", "dh1/dh0 = 2 * (h1 * W)", "activation-for-derivative", "factor", "(1 - h1**2) * W"),
    ("tanh-layer", "dJ/dz = -(dJ/dh * h)", "activation-for-derivative", "sign", "dJ/dh * (1 - h**2)"),
    ("cookbook-determinant", "dl0/dX = 2 * inv(X)", "transposed", "factor", "(inv(X)).T"),
    ("seed001-batched-linear", "dY[m,n]/db[i] = -dB[m,i]/db[i]", "wrong-index", "sign", "dB[m,i]/db[n]"),
    ("seed001-batched-linear", "dY[m,n]/db[i] = dB[m,i]/db[i] / (2)", "wrong-index", "factor", "dB[m,i]/db[n]"),
]


def _checker(name: str):
    from derive.problem.definition import find_problem
    from derive.verdict.check import ProblemChecker

    return checker(name) if name in PROBLEMS else ProblemChecker(find_problem(name))


@pytest.mark.parametrize("name, claim, code, besides, correct", SCALED, ids=[s[1] for s in SCALED])
def test_a_slip_and_a_factor_or_sign_besides_are_both_named_and_corrected(name, claim, code, besides, correct):
    """One edit (or relation) away from a constant multiple of the truth: both slips listed, the
    edit's the code, and the correction — the edit made and the factor taken out — proved."""
    diagnosis = _checker(name).check(claim).diagnosis
    assert (diagnosis.code, diagnosis.slips) == (code, (code, besides)), diagnosis
    assert diagnosis.correct == correct
    if correct is not None:
        assert _checker(name).check(f"{claim.split(' = ')[0]} = {correct}").verdict == "holds"


@pytest.mark.parametrize("name, claim", [
    ("layer", "dK/dW = 13 * dK/dz @ x2.T"),  # an edit, and a factor no slip makes
    ("layer", "dJ/dW = 2 * dJ/dy @ x2.T + 1"),  # an edit, a factor and a term
    ("mse", "dL/dW = 2 * R @ X.T"),  # two factors (2 and S): two slips of the same kind
])
def test_a_factor_no_slip_makes_or_a_third_slip_stays_unknown(name, claim):
    verdict = checker(name).check(claim)
    assert verdict.verdict == "fails"
    assert verdict.diagnosis.code == "unknown" and verdict.diagnosis.slips == ()


@pytest.mark.parametrize("name, claim, correct", [
    ("softmax-cross-entropy", "dl/dz = t * p - t", "sum(t) * p - t"),
    ("softmax-cross-entropy", "dL/dZ = P * (dL/dP - P * dL/dP)", "P * (dL/dP - sum(P * dL/dP, axis=1))"),
    ("cookbook-quadratic-forms", "dq/dx[k] = B[k,j] * x[j] + sum_i(x[i] * B[i,k])",
     "sum_j(B[k,j] * x[j]) + sum_i(x[i] * B[i,k])"),
])
def test_a_sum_dropped_inside_a_term_is_put_back(name, claim, correct):
    diagnosis = _checker(name).check(claim).diagnosis
    assert diagnosis.code == "missing-batch-sum" and diagnosis.correct == correct


def test_a_jacobian_is_not_summed_back():
    """Summing a Jacobian's rows is the derivative of a sum, not a dropped sum: the chain rule
    written with * and its operands swapped stays the two slips it is."""
    diagnosis = _checker("seed002-sigmoid-layer").check("dLOSS/df = dLOSS/dh * dh/df").diagnosis
    assert diagnosis.slips == ("hadamard-matmul", "swapped-operands")


def test_an_activation_used_for_its_derivative_gets_its_correction():
    diagnosis = _checker("rnn-step").check("dh1/dh0 = h1 * W").diagnosis
    assert diagnosis.code == "activation-for-derivative" and diagnosis.correct == "(1 - h1**2) * W"


@pytest.mark.parametrize("claim, factor, without", [
    ("-W @ x", "-1", "W @ x"), ("2 * x @ y.T", "2", "x @ y.T"), ("y @ -B.T", "-1", "y @ B.T"),
    ("4 * G", "2", "2 * G"), ("G / 4", "1/2", "G / 2"), ("0.5 * G", "1/2", "G"), ("G / S", "1/S", "G"),
    ("-(2 * G)", "-2", "G"), ("sum(2 * X, axis=0)", "2", "sum(X, axis=0)"), ("sum_k(3 * x[k])", "3", "sum_k(x[k])"),
    ("A + B", "2", "(A + B) / 2"), ("A + B", "-1", "-(A + B)"),
])
def test_a_factor_is_taken_out_where_the_claim_wrote_it(claim, factor, without):
    from derive.verdict.matcher import without_factor

    assert to_text(without_factor(parse_expr(claim), parse_expr(factor))) == without


def test_only_the_factors_slips_make_are_plausible():
    from derive.problem.definition import problem_from_dict
    from derive.verdict.matcher import plausible_factor
    from derive.verdict.points import SIZE_TABLES

    problem = problem_from_dict(PROBLEMS["mse"])
    sizes = [problem.sizes_from(table)["S"] for table in SIZE_TABLES]
    shown = {factors: (plausible_factor(problem, factors) or (None,))[0]
             for factors in [(-1.0, -1.0), (2.0, 2.0), (0.5, 0.5), (-3.0, -3.0), (1.5, 1.5), (7 / 13, 7 / 13), (7 / 11, 7 / 11), (1.234, 1.234),
                             tuple(float(s) for s in sizes), tuple(-1 / s for s in sizes), (2.0, 3.0), (1.0, 1.0)]}
    assert list(shown.values()) == ["-1", "2", "1/2", "-3", "3/2", None, None, None, "S", "-1/S", None, None]


def test_edits_rebuild_each_structure_as_one_object_and_keep_the_others_apart():
    # the diagnosis's caches of shapes and values are keyed by identity: a second edit rebuilds,
    # below where it meets the first, the nodes the same edit made alone, and must get those
    from derive.language import ast
    from derive.verdict.slips import rebuild

    claim = parse_expr("(W @ x + b) * (V @ y)")
    interned: dict = {}
    alone = rebuild(claim, (0, 0), parse_expr("W.T @ x"), interned)  # (W.T @ x + b) * (V @ y)
    after_another = rebuild(rebuild(claim, (1,), parse_expr("y.T @ V"), interned), (0, 0), parse_expr("W.T @ x"),
                            interned)
    assert to_text(after_another) == "(W.T @ x + b) * (y.T @ V)"
    assert after_another.left is alone.left  # the same structure: the same object
    assert after_another is not alone and after_another != alone
    other = rebuild(claim, (0, 0), parse_expr("W @ x.T"), interned)
    assert other.left is not alone.left and other.left == ast.Binary("+", parse_expr("W @ x.T"), ast.Name("b"))
    assert rebuild(claim, (0, 0), parse_expr("W.T @ x")) is not alone  # without a table, a new tree


def test_a_chain_gets_its_edits_by_its_place_when_one_object_stands_at_two_places():
    # interned edits can hold one object at two places; whether a product is the top of a chain
    # is a matter of its place (its parent there), not of the object
    from derive.language import ast
    from derive.problem.definition import find_problem
    from derive.verdict.slips import single_edits

    problem = find_problem("cookbook-traces")
    chain = parse_expr("X @ B @ X")
    tree = ast.Binary("+", chain, ast.Binary("@", chain, parse_expr("B")))  # one object, two places
    scope = problem.check_claim_names(ast.Chain((tree, tree)))
    regrouped = {to_text(edited) for code, _, edited in single_edits(problem, scope, tree)
                 if code == "misplaced-transpose" and to_text(edited).startswith("X @ (B @ X).T")}
    assert regrouped  # the chain on the left of the sum, alone there, is regrouped


def test_a_quantity_renamed_everywhere_is_tried_in_the_order_the_claim_names_it():
    # not in a set's order, which follows string hashes and changed from one process to the next
    from derive.problem.definition import find_problem
    from derive.verdict.slips import unit_edits

    problem = find_problem("cookbook-traces")
    renamed = [description.split(" where ")[0] for _, description, _ in unit_edits(problem, parse_expr("S @ B @ X"))]
    assert list(dict.fromkeys(renamed)) == ["S", "B", "X"]
