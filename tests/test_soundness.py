"""No false "holds": answers built to fool the checker, and the zero test on values of any sign.

Two generated families. The first takes right answers of catalog and inline problems and spoils
them with terms that vanish at every size derive used and printed for the right answer (a
polynomial in a size, written directly or counted with ones/eye/trace), multiplied in or added,
scaled by 1e-30, made non-finite with exp(1000), or carried by a second derivative with no
numeric rule; none may hold in ``check`` nor be graded correct. The second compares expressions
with fractional powers and logs against their branch-unsafe rewrites ((1/u)**(1/2) = u**(-1/2),
log(u v) = log u + log v, ...): every false pair is refuted for each of 20 seeds, and the true
ones are never refuted.
"""

from __future__ import annotations

import re

import pytest

from derive.grading.assignment import load_assignment
from derive.grading.grade import Grader, Submission
from derive.problem.definition import find_problem, problem_from_dict
from derive.verdict.check import CheckOptions, ProblemChecker

from . import synthetic_class as sc
from .problems_inline import PROBLEMS

RIGHT = [  # (problem, right answer, a size name it has)
    ("linear-layer", "dJ/dW = dJ/dy @ x.T", "m"),
    ("linear-layer", "dJ/dW = dJ/dy @ x.T", "d"),
    ("softmax-cross-entropy", "dL/dZ = (P - T) / S", "S"),
    ("softmax-cross-entropy", "dL/dZ = (P - T) / S", "K"),
    ("mlp-two-layer", "dE/dW2 = (y - t) @ h.T", "m"),
]


def _checker(problem_id: str) -> ProblemChecker:
    return ProblemChecker(find_problem(problem_id))


def _printed_sizes(problem_id: str, claim: str, size: str) -> list[int]:
    """Every value of ``size`` that derive used, and printed, for the right answer."""
    verdict = _checker(problem_id).check(claim)
    assert verdict.verdict == "holds", verdict.evidence_summary()
    values = {int(v) for v in re.findall(rf"\b{size}=(\d+)", verdict.evidence_summary())}
    return sorted(values | {2, 3, 4})  # and the small sizes the exact oracle starts from


def _vanishing(size_text: str, roots: list[int]) -> str:
    return " * ".join(f"({size_text} - {r})" for r in roots)


def adversarial_family() -> list[tuple[str, str]]:
    """(problem, claim) pairs: a right answer spoiled by a term that vanishes where derive looked."""
    family = []
    for problem_id, claim, size in RIGHT:
        left, right = (side.strip() for side in claim.split("=", 1))
        roots = _printed_sizes(problem_id, claim, size)
        counts = [size, f"sum(ones({size}))", f"trace(eye({size}))"]
        texts = []
        for count in counts:
            p = _vanishing(count, roots)
            texts += [
                f"{left} = ({right}) * (1 + {p})",
                f"{left} = {right} + {p} * ({right})",
                f"{left} = {right} + 1e-30 * {p} * ({right})",
                f"{left} = {right} + {p} * exp(1000) * ({right})",
            ]
        p = _vanishing(size, roots)
        texts += [
            f"{left} = {right} + {p} * exp''({right})",
            f"{left} = {right} + {p} * sigmoid''(({right}).T).T",
            f"{left} = ({right}) * (1 + ({p}) * ({p}))",
            f"{left} = {right} + 1e-300 * ({right})",
        ]
        family += [(problem_id, text) for text in texts]
    return family


FAMILY = adversarial_family()


def test_the_family_is_large_and_distinct():
    assert len(set(FAMILY)) >= 50


@pytest.mark.parametrize("problem_id, claim", FAMILY, ids=[f"{p}:{k}" for k, (p, _) in enumerate(FAMILY)])
def test_an_answer_made_to_vanish_where_derive_looks_never_holds(problem_id, claim):
    verdict = _checker(problem_id).check(claim)
    assert verdict.verdict != "holds", verdict.evidence_summary()


def test_an_answer_made_to_vanish_where_derive_looks_is_never_graded_correct(tmp_path):
    assignment, _ = sc.write(tmp_path, {})
    grader = Grader(load_assignment(assignment))
    questions = {"linear-layer": "q1", "softmax-cross-entropy": "q4", "mlp-two-layer": "q5"}
    submissions = [Submission(f"s{k}", questions[problem_id], claim.split("=", 1)[1].strip())
                   for k, (problem_id, claim) in enumerate(FAMILY)]
    graded = list(grader.grade(submissions))
    assert len(graded) == len(FAMILY)
    for grade in graded:
        assert grade.verdict != "holds" and grade.points < grade.max_points, grade


def test_a_right_answer_in_the_same_words_is_still_graded_correct(tmp_path):
    assignment, _ = sc.write(tmp_path, {})
    grader = Grader(load_assignment(assignment))
    answers = ["dJ/dy @ x.T", "(dJ/dy @ x.T) * (1 + 0 * (m - 2))", "dJ/dy @ x.T * (m / m)"]
    graded = list(grader.grade([Submission(f"s{k}", "q1", a) for k, a in enumerate(answers)]))
    assert [g.points for g in graded] == [2, 2, 2], [g.feedback for g in graded]


@pytest.mark.parametrize("problem, claim", [
    ("mse", "dL/dW = R @ X.T / S * (1 + (S - 2)*(S - 3)*(S - 4))"),
    ("layer", "dJ/dW = dJ/dy @ x.T + (m - 2)*(m - 3) * (d - 2)*(d - 3) * dJ/dy @ x.T"),
    ("square", "dJ/dA = dJ/dY @ B.T + (n - 2)*(n - 3)*(n - 4) * dJ/dY"),
])
def test_a_size_dependent_term_is_refuted_at_sizes_away_from_its_roots(problem, claim):
    checker = ProblemChecker(problem_from_dict(PROBLEMS[problem]))
    verdict = checker.check(claim)
    assert verdict.verdict == "fails", verdict.evidence_summary()


def test_every_size_differs_between_the_two_exact_assignments():
    problem = problem_from_dict(PROBLEMS["mse"])
    first, second = ProblemChecker(problem).exact_sizes
    assert all(first[name] != second[name] for name in first)


def test_the_sizes_drawn_for_a_claim_are_reproducible_and_depend_on_the_claim_and_salt():
    problem = find_problem("linear-layer")

    def sizes(claim, salt=""):
        verdict = ProblemChecker(problem, CheckOptions(salt=salt)).check(claim)
        return [n.sizes for n in verdict.links[0].numeric]

    assert sizes("dJ/dW = dJ/dy @ x.T") == sizes("dJ/dW = dJ/dy @ x.T")
    drawn = {str(sizes(claim, salt)) for claim in ("dJ/dW = dJ/dy @ x.T", "dJ/dW = (dJ/dy @ x.T).T.T")
             for salt in ("", "class secret")}
    assert len(drawn) >= 3


def test_a_claim_without_every_size_proof_that_uses_a_size_as_a_value_is_undecided():
    options = CheckOptions(generic=False)
    checker = ProblemChecker(problem_from_dict(PROBLEMS["layer"]), options)
    verdict = checker.check("dJ/dW = dJ/dy @ x.T * (m / m)")
    assert verdict.verdict == "undecided"
    assert "uses the size m as a value" in verdict.links[0].reason


def test_a_right_claim_without_every_size_proof_holds_on_fresh_evidence_and_says_so():
    checker = ProblemChecker(problem_from_dict(PROBLEMS["layer"]), CheckOptions(generic=False))
    verdict = checker.check("dJ/dW = dJ/dy @ x.T")
    assert verdict.verdict == "holds"
    assert len(verdict.links[0].exact) == 3 and len(verdict.links[0].numeric) == 3
    assert "no proof for every size" in verdict.evidence_summary()


def test_a_non_finite_numeric_result_is_never_agreement():
    checker = ProblemChecker(problem_from_dict(PROBLEMS["layer"]), CheckOptions(generic=False))
    verdict = checker.check("dJ/dW = dJ/dy @ x.T + (exp(1000) - exp(1000)) * dJ/dy @ x.T")
    assert verdict.verdict == "undecided"
    assert "non-finite" in verdict.links[0].reason


# -- the zero test on values of any sign ---------------------------------------------------------

SCALARS = {"id": "scalars", "variables": {"s": "scalar", "t": "scalar"}}
BASES = ["s", "t", "(s - t)", "(2*s + t)", "(s*t)"]
FALSE_REWRITES = [  # (expression, its branch-unsafe rewrite): false for some signs of u, v
    ("sqrt(1/{u})", "1/sqrt({u})"),
    ("sqrt(1/{u}) * sqrt({u})", "1"),
    ("sqrt({u} * {v})", "sqrt({u}) * sqrt({v})"),
    ("sqrt({u} / {v})", "sqrt({u}) / sqrt({v})"),
    ("log({u} * {v})", "log({u}) + log({v})"),
    ("log({u} / {v})", "log({u}) - log({v})"),
    ("log({u}**2)", "2 * log({u})"),
    ("sqrt({u}**2)", "{u}"),
    ("({u}**2)**0.25", "sqrt({u})"),
    ("({u}**2)**1.5", "{u}**3"),
    ("({u}**2)**0.75", "{u}**1.5"),
    ("sqrt({u}**3)", "{u} * sqrt({u})"),
]
TRUE_REWRITES = [
    ("sqrt({u}) * sqrt({u})", "{u}"),
    ("{u}**1.5", "{u} * sqrt({u})"),
    ("1/sqrt({u})", "{u}**(-0.5)"),
    ("exp(log({u}))", "{u}"),
    ("sqrt({u})**4", "{u}**2"),
    ("({u})**(-3/2) * {u}", "1/sqrt({u})"),
]


def _pairs(templates):
    pairs = []
    for k, (left, right) in enumerate(templates):
        u, v = BASES[k % len(BASES)], BASES[(k + 2) % len(BASES)]
        pairs.append(f"{left.format(u=u, v=v)} = {right.format(u=u, v=v)}")
    return pairs


@pytest.mark.parametrize("claim", _pairs(FALSE_REWRITES))
def test_a_branch_unsafe_rewrite_is_refuted_for_every_seed(claim):
    problem = problem_from_dict(SCALARS)
    verdicts = {seed: ProblemChecker(problem, CheckOptions(seed=seed)).check(claim).verdict
                for seed in range(20)}
    assert set(verdicts.values()) == {"fails"}, verdicts


@pytest.mark.parametrize("claim", _pairs(TRUE_REWRITES))
def test_a_rewrite_valid_for_every_sign_is_never_refuted(claim):
    problem = problem_from_dict(SCALARS)
    for seed in range(5):
        verdict = ProblemChecker(problem, CheckOptions(seed=seed)).check(claim)
        assert verdict.verdict != "fails", (seed, verdict.evidence_summary())


def test_a_right_answer_without_a_proof_for_every_size_goes_to_review_not_full_points(tmp_path):
    assignment, _ = sc.write(tmp_path, {})
    grader = Grader(load_assignment(assignment))
    answer = "dJ/dy @ x.T + 0 * det(eye(m) + W @ W.T) * dJ/dy @ x.T"  # right; det(I + W Wᵀ) has no index rule
    verdict = _checker("linear-layer").check(f"dJ/dW = {answer}")
    assert verdict.verdict == "holds" and not verdict.every_size
    assert "no proof for every size" in verdict.evidence_summary()
    graded = list(grader.grade([Submission("s", "q1", answer)]))[0]
    assert graded.verdict == "undecided" and graded.review and graded.points == 0
    assert "no proof for every size" in graded.feedback


def _adhoc_layer():
    return problem_from_dict({"id": "adhoc", "sizes": ["n"], "variables": {"W": "n x n", "x": "n"},
                              "definitions": ["y = W @ x"], "arbitrary": {"J": ["y"]}})


@pytest.mark.parametrize("claim", [
    # a size counted through constant arrays the index engine has no rule for, vanishing on every
    # size of the exact and the medium numeric range, or of the index-form range
    "dJ/dW = dJ/dy @ x.T + " + " * ".join(f"(trace(inv(eye(n))) - {k})" for k in [*range(2, 6), *range(7, 17)])
    + " * (dJ/dy @ x.T)",
    "dJ/dW[i,j] = dJ/dy[i]*x[j] + " + " * ".join(f"(log(det(exp(1)*eye(n))) - {k})" for k in range(2, 7))
    + " * x[j]",
])
def test_a_size_counted_by_constant_arrays_and_covering_a_range_never_holds(claim):
    verdict = ProblemChecker(_adhoc_layer()).check(claim)
    assert verdict.verdict in ("fails", "undecided"), verdict.evidence_summary()


def test_a_size_counted_by_constant_arrays_never_holds_on_evidence():
    options = CheckOptions(numeric=False)
    verdict = ProblemChecker(_adhoc_layer(), options).check(
        "dJ/dW = dJ/dy @ x.T * trace(inv(eye(n))) / trace(inv(eye(n)))")
    assert verdict.verdict == "undecided" and "as a value" in verdict.links[0].reason


def test_a_stochastic_matrix_is_only_refuted_inside_its_domain():
    problem = find_problem("softmax-cross-entropy")
    for claim in ["dL/dZ = (softmax(Z) - relu(T)) / S", "dL/dZ = (softmax(Z) - sqrt(T**2)) / S"]:
        assert ProblemChecker(problem).check(claim).verdict != "fails"
    assert ProblemChecker(problem).check("dL/dZ = (softmax(Z) + T) / S").verdict == "fails"


PROBABILITY = problem_from_dict({
    "id": "probability", "sizes": ["n"],
    "variables": {"h": {"shape": "n", "constraints": ["probability"]}, "t": "n"},
    "definitions": ["L = -sum(t * log(h) + (1 - t) * log(1 - h))"],
})


@pytest.mark.parametrize("claim", ["relu(h) = h", "step(h) = ones(n)", "abs(h) = h",
                                   "dL/dh = (h - t) / (h * (1 - h))"])
def test_a_probability_is_positive_for_every_oracle(claim):
    assert ProblemChecker(PROBABILITY).check(claim).verdict == "holds"


@pytest.mark.parametrize("claim", ["relu(h - 1) = h - 1", "relu(-h) = -h", "dL/dh = (h - t) / h"])
def test_a_probability_is_refuted_inside_its_domain(claim):
    verdict = ProblemChecker(PROBABILITY).check(claim)
    assert verdict.verdict == "fails"
    witness = verdict.links[0].difference
    assert witness is not None


def test_a_bound_a_probability_needs_beyond_positivity_is_never_assumed_proved():
    """h < 1 is where points are drawn, not what the exact proof knows: |h - 1| = 1 - h is not
    proved (nor refuted) — never 'holds' on points alone."""
    assert ProblemChecker(PROBABILITY).check("abs(h - 1) = 1 - h").verdict == "undecided"


# -- the generic proof in place of the second usual size assignment -------------------------------

def _mutations():
    """bench/mutations.py (a folder of scripts, importing each other as top-level modules)."""
    import importlib
    import sys
    from pathlib import Path

    bench = Path(__file__).resolve().parent.parent / "bench"
    if str(bench) not in sys.path:
        sys.path.append(str(bench))
    return importlib.import_module("mutations")


def _wrong_claims() -> list[tuple[str, str]]:
    """(problem file, claim): bench/mutations.py's wrong claims of two catalog problems, and right
    answers spoiled by a term that vanishes at the first usual sizes only (visible elsewhere)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "problems"
    files = [root / "linear-layer.toml", root / "mse.toml"]
    claims = [(record["file"], record["claim"]) for record in _mutations().generate(paths=files)]
    first = ProblemChecker(find_problem("linear-layer")).exact_sizes[0]
    claims += [(str(files[0]), f"dJ/dW = dJ/dy @ x.T * (1 + (m - {first['m']}))"),
               (str(files[0]), f"dJ/dW = dJ/dy @ x.T + (d - {first['d']}) * dJ/dy @ x.T"),
               (str(files[0]), f"dJ/dx = W.T @ dJ/dy * (m - {first['m'] - 1})")]
    return claims


def test_were_the_engine_to_prove_every_link_no_wrong_claim_would_hold(monkeypatch):
    """A proof for every size stands for the second usual size assignment only beside the exact
    proof at the first and numeric agreement at sizes drawn for the claim (docs/guarantees.md):
    with an index engine that 'proves' every link, the wrong claims hold no more than with the
    real one (those that hold are right by accident, a transpose of a symmetric value)."""
    import derive.verdict.check as check_module
    from derive.problem.definition import load_problem

    claims = _wrong_claims()

    def verdicts() -> list[str]:
        checkers: dict = {}
        return [checkers.setdefault(path, ProblemChecker(load_problem(path))).check(claim).verdict
                for path, claim in claims]

    real = verdicts()
    genuine = check_module.prove_link

    def proves_everything(problem, left, right, scope):
        proof = genuine(problem, left, right, scope)
        proof.proved, proof.size_coefficients = True, ()
        return proof

    monkeypatch.setattr(check_module, "prove_link", proves_everything)
    fooled = verdicts()
    assert len(claims) > 150 and real.count("fails") > 150
    assert [c for c, r, f in zip(claims, real, fooled) if f == "holds" and r != "holds"] == []


def test_a_tiny_term_that_vanishes_at_the_first_usual_sizes_is_refuted_at_the_second():
    """Below the numeric check's resolution, the term is seen by the exact oracle at the second
    usual assignment, which runs because the engine has no proof for such a claim."""
    checker = _checker("linear-layer")
    first, second = checker.exact_sizes
    link = checker.check(f"dJ/dW = dJ/dy @ x.T + 1e-30 * (m - {first['m']}) * dJ/dy @ x.T").links[0]
    assert link.verdict == "fails" and link.generic.startswith("no generic proof")
    assert [e.outcome for e in link.exact] == ["zero", "witness"] and link.difference.sizes == second
