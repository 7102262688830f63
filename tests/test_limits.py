"""Every limit is a limit (issue 10 §3, issue 11 §3): hostile literals, sizes and powers are refused
at once with one line naming the place, the diagnosis stops when its budget is spent, and a
grading worker past its memory cap leaves the answer for review instead of taking the machine.

Each hostile input that used to hang or allocate gigabytes runs in a subprocess with a generous
wall-clock guard (a hang fails the test instead of stalling the suite); nothing here asserts a
tight time."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from pathlib import Path

import pytest

from derive import limits
from derive.budget import deadline, map_killable
from derive.errors import BudgetExceeded, DeriveError, TooLarge
from derive.language.latex_in import parse_latex_claim, parse_latex_expr
from derive.language.parser import parse_claim, parse_expr
from derive.language.shapes import infer, typed
from derive.oracles.symbolic import ExactModel
from derive.problem.definition import find_problem, problem_from_dict
from derive.verdict.check import CheckOptions, ProblemChecker, orient
from derive.verdict.diagnose import diagnose

from . import synthetic_class as sc

ROOT = Path(__file__).resolve().parent.parent
GUARD = 20  # seconds: a hang, not a slow machine
BIG = "1" * 5000


def _verify(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "verify", *args], capture_output=True,
                          text=True, timeout=GUARD, cwd=ROOT)


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    """The error derive printed (stderr for a claim it cannot read, the verdict's line otherwise)."""
    assert result.returncode == 2, result
    assert "Traceback" not in result.stdout + result.stderr
    if result.stderr.strip():
        (line,) = result.stderr.strip().splitlines()
        return line
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("! error"), result.stdout
    assert len(lines) == 2, result.stdout
    return lines[1].strip()


# -- number literals -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, words", [
    ("x = 1e99999999999 * x", "the number 1e99999999999 at column 5 is too large"),
    ("x = 1e9999999 * x", "the number 1e9999999 at column 5 is too large"),
    ("x = 1e-99999999999 * x", "is too small"),
    (f"x = {BIG} * x", "has 5000 significant digits; the limit is 100"),
    ("x = 1e301 * x", "between 1e-300 and 1e300"),
    (f"x[{BIG}] = x[1]", "the integer 111111111111…111111 (5000 characters) at column 3 has 5000 digits"),
    (f"dy[{BIG}]/dx = x", "has 5000 digits; the limit is 100"),
])
def test_a_literal_past_the_limits_is_one_line_at_once(text, words):
    with pytest.raises(TooLarge) as error:
        parse_claim(text)
    message = str(error.value)
    assert words in message and "docs/limits.md" in message and "\n" not in message


@pytest.mark.parametrize("text, value", [
    ("1e300", 10**300), ("1e-300", "1e-300"), ("0.5", "0.5"), ("12.3400e2", 1234), ("0e99", 0),
    ("1" + "0" * 300, 10**300), ("0." + "0" * 299 + "1", "1e-300"), ("9" * 100, int("9" * 100)),
])
def test_literals_within_the_limits_read_exactly(text, value):
    from fractions import Fraction

    assert parse_expr(text).value == Fraction(value)


def test_the_round_trip_holds_at_the_edges_of_the_limits():
    from derive.language.text import to_text

    for text in ("1e300", "1e-300", "1" * 100, "0." + "1" * 100):
        node = parse_expr(text)
        assert parse_expr(to_text(node)) == node


def test_a_digit_that_int_does_not_read_is_not_an_index():
    node = parse_expr("dy[²]/dx")  # '²' is a digit to str.isdigit, not to int()
    assert node.of.items == ("²",)


@pytest.mark.parametrize("text, words", [
    (f"x = {BIG} x", "has 5000 significant digits"),
    (f"x_{{{BIG}}} = x", "has 5000 significant digits"),
    (f"x^{{({BIG})}} = x", "has 5000 significant digits"),
])
def test_latex_literals_past_the_limits_are_one_line(text, words):
    with pytest.raises(TooLarge, match=words) as error:
        parse_latex_claim(text)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("claim, words", [
    ("x = 1e99999999999 * x", "the number 1e99999999999 at column 5 is too large"),
    ("x = 1e9999999 * x", "is too large"),
    (f"x = {BIG} * x", "has 5000 significant digits"),
    ("x = 10**10**10 * x", "an exponent must be a number"),
    ("x = 2**(10**9) * x", "an exponent must be a number"),
    ("x = 2**1000000000 * x", "the exponent 1000000000 is too large (the limit is 64)"),
    ("x = ((2**64)*1)**64 * x", "powers nested in one another raise to 4096 in all; the limit is 64"),
    ("x = (x**8)**9", "raise to 72 in all"),
])
def test_verify_refuses_hostile_numbers_and_powers_in_one_line(claim, words):
    assert words in _one_line_error(_verify(claim, "--var", "x=n", "--budget", "3"))


@pytest.mark.parametrize("claim, words", [
    (r"x = 10^{10^{10}} x", "an exponent must be a number"),
    (f"x = {BIG} x", "has 5000 significant digits"),
    (r"x = 1.5^{1000000000} x", "the exponent 1000000000 is too large"),
])
def test_verify_latex_refuses_hostile_numbers_and_powers(claim, words):
    assert words in _one_line_error(_verify("--latex", claim, "--var", "x=n", "--budget", "3"))


def test_powers_that_stay_within_the_limit_are_checked():
    scope = problem_from_dict({"id": "p", "sizes": ["n"], "variables": {"x": "n"}}).scope()
    assert infer(parse_expr("(x**8)**8 + ((x**2)**0.5)**32"), scope)


# -- sizes and allocations ------------------------------------------------------------------------

@pytest.mark.parametrize("claim, words", [
    ("x + 0*trace(eye(20000)) = x", "eye(20000): the size 20,000 is past the limit of 4,096"),
    ("x = ones(n, 99999) @ ones(99999, 1)", "ones(n, 99999): the size 99,999 is past the limit of 4,096"),
    ("x = x + sum(zeros(99999))", "zeros(99999): the size 99,999"),
    ("x = x * trace(eye(101))", "eye(101): 101×101 is 10,201 entries; the limit for the exact oracle is 10,000"),
    ("x = x * trace(kron(eye(65), eye(65)))", "kron(eye(65), eye(65)): the size 4,225 is past the limit"),
])
def test_literal_sizes_past_the_limits_are_refused_before_anything_is_built(claim, words):
    assert words in _one_line_error(_verify(claim, "--var", "x=n", "--budget", "3"))


def test_literal_sizes_within_the_limits_are_checked():
    scope = problem_from_dict({"id": "p", "sizes": ["n"], "variables": {"x": "n"}}).scope()
    for text in ("x * sum(kron(ones(60), ones(1, 60)))", "x * trace(eye(100))", "ones(n, 4096) @ ones(4096)"):
        assert infer(parse_expr(text), scope) == infer(parse_expr("x"), scope)


def test_the_exact_oracle_refuses_a_model_past_its_entry_budget():
    problem = problem_from_dict({"id": "big", "sizes": ["n"], "variables": {"W": "n x n"}})
    with pytest.raises(TooLarge, match=r"W: 200×200 is 40,000 entries; the limit for the exact oracle is 10,000"):
        ExactModel(problem, {"n": 200})
    verdict = ProblemChecker(problem, CheckOptions(exact_sizes=[{"n": 200}], numeric=False)).check("W = W.T.T")
    assert verdict.verdict == "error" and "40,000 entries" in verdict.error and "\n" not in verdict.error


def test_a_model_past_the_numeric_limit_is_refused_before_it_is_built():
    problem = problem_from_dict({"id": "big", "sizes": ["n"], "variables": {"W": "n x n"}})
    with pytest.raises(TooLarge, match="W: 4,096×4,096 is 16,777,216 entries; the limit for the numeric oracle"):
        limits.check_model(problem, {"n": 4096})
    limits.check_model(problem, {"n": 64})


# -- the diagnosis under a budget ------------------------------------------------------------------

def _slow_link():
    """A wrong index claim whose diagnosis takes ~6 s unbounded: five sums around the derivative of
    a function of an entry (evaluated assignment by assignment), thousands of edits."""
    problem = problem_from_dict({"id": "slow", "sizes": ["m", "d"], "variables": {"W": "m x d", "x": "d"},
                                 "definitions": ["y = W @ x"], "arbitrary": {"J": ["y"]}})
    chain = parse_claim("dJ/dW[i,j] = sum_{a,b,c,e,f}(dJ/dy[a] * d(exp(y[a]))/dW[i,j] * x[b] * x[c] * x[e] * x[f])")
    scope = typed(chain.sides, problem.check_claim_names(chain)).scope
    return problem, chain, scope


def test_the_diagnosis_stops_when_its_budget_is_spent():
    problem, chain, scope = _slow_link()
    reference, claimed = orient(*chain.sides)
    start = time.monotonic()
    with pytest.raises(BudgetExceeded, match="the diagnosis did not finish within 0.5 s"):
        with deadline(0.5, "the diagnosis"):
            diagnose(problem, reference, claimed, scope)
    assert time.monotonic() - start < GUARD


def test_the_batch_norm_diagnosis_stops_under_a_small_budget():
    # a copy: the diagnosis's models are kept per problem, and warm ones could finish within the budget
    problem = dataclasses.replace(find_problem("batch-norm"))
    spec = next(s for s in problem.claims if s.expect == "fails" and "sum_r(dL/dY[s,r])" in s.text)
    scope = problem.check_claim_names(spec.chain)
    reference, claimed = orient(*spec.chain.sides)
    with pytest.raises(BudgetExceeded):
        with deadline(0.05, "the diagnosis"):
            diagnose(problem, reference, claimed, scope)


def test_a_checked_claim_gets_its_verdict_when_the_diagnosis_runs_out():
    problem, chain, _ = _slow_link()
    verdict = ProblemChecker(problem, CheckOptions(exact_budget=1, generic=False)).check(chain.text)
    assert verdict.verdict == "fails"
    assert "no common slip was recognised within" in verdict.links[0].diagnosis.message


@pytest.mark.parametrize("target", ["derive.verdict.points.infer", "derive.oracles.numeric.NumericModel.evaluate"])
def test_no_handler_in_the_diagnosis_swallows_the_budget(monkeypatch, target):
    """Every place the search catches derive's errors lets BudgetExceeded through."""
    problem = find_problem("linear-layer")
    spec = next(s for s in problem.claims if s.expect == "fails")
    scope = problem.check_claim_names(spec.chain)
    reference, claimed = orient(*spec.chain.sides)

    def expired(*args, **kwargs):
        raise BudgetExceeded("the diagnosis did not finish within 1 s")

    monkeypatch.setattr(target, expired)
    with pytest.raises(BudgetExceeded):
        diagnose(problem, reference, claimed, scope)


# -- grading: memory cap and hostile answers --------------------------------------------------------

def _hungry(item):
    if item == "hungry":
        return len(bytearray(2 << 30))
    return item


def test_a_worker_over_its_memory_cap_reports_a_memory_error_and_the_run_goes_on():
    outcomes = {item: (status, value) for item, status, value
                in map_killable(_hungry, ["a", "hungry", "b"], 1, GUARD, memory=256 << 20)}
    assert outcomes["a"] == ("ok", "a") and outcomes["b"] == ("ok", "b")
    status, error = outcomes["hungry"]
    assert status == "error" and isinstance(error, MemoryError)
    assert str(error) == "the computation ran out of its memory cap (0.25 GiB)"


def _grader(tmp_path, cls=None):
    from derive.grading.assignment import load_assignment
    from derive.grading.grade import Grader

    assignment, _ = sc.write(tmp_path, {})
    return (cls or Grader)(load_assignment(assignment), jobs=1, timeout=GUARD)


def test_an_answer_over_the_memory_cap_is_left_for_review(tmp_path, monkeypatch):
    from derive.grading.grade import Grader, Submission

    class Hungry(Grader):
        def check(self, question, answer):
            if "7777" in answer.key:
                return len(bytearray(2 << 30))
            return super().check(question, answer)

    monkeypatch.setattr(limits, "WORKER_MEMORY", 256 << 20)
    grades = {g.student: g for g in _grader(tmp_path, Hungry).grade(
        [Submission("a", "q1", "7777 * dJ/dy @ x.T"), Submission("b", "q1", "dJ/dy @ x.T")])}
    assert grades["a"].verdict == "undecided" and grades["a"].review and grades["a"].points == 0
    assert "memory cap (0.25 GiB)" in grades["a"].feedback and "manual review" in grades["a"].feedback
    assert grades["b"].points == grades["b"].max_points


@pytest.mark.parametrize("answer, words", [
    ("eye(20000)", "eye(20000): the size 20,000 is past the limit of 4,096"),
    ("1e99999999999 * dJ/dy @ x.T", "the number 1e99999999999 at column 1 is too large"),
    (f"{BIG} * dJ/dy @ x.T", "has 5000 significant digits"),
])
def test_a_hostile_answer_is_refused_in_grading_with_a_message(tmp_path, answer, words):
    from derive.grading.grade import Submission

    start = time.monotonic()
    (graded,) = _grader(tmp_path).grade([Submission("a", "q1", answer)])
    assert time.monotonic() - start < GUARD
    assert graded.verdict in ("invalid", "fails") and graded.points == 0, graded
    assert words in graded.feedback and "Traceback" not in graded.feedback


def test_the_limits_are_documented():
    text = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    for name in ("MAX_LENGTH", "MAX_DEPTH", "MAX_TREE_DEPTH", "MAX_LITERAL_DIGITS", "MAX_LITERAL_MAGNITUDE",
                 "MAX_EXPONENT", "MAX_SIZE", "MAX_EXACT_ENTRIES", "MAX_NUMERIC_ENTRIES", "WORKER_MEMORY"):
        assert name in text, name
        value = getattr(limits, name)
        shown = {limits.MAX_NUMERIC_ENTRIES: "4,194,304", limits.WORKER_MEMORY: "4 GiB"}.get(value, f"{value:,}")
        assert shown in text, (name, shown)


def test_derive_errors_past_the_limits_are_derive_errors():
    assert issubclass(TooLarge, DeriveError) and issubclass(TooLarge, ValueError)
    with pytest.raises(ValueError):
        parse_latex_expr(f"{BIG}")
