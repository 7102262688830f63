"""The catalog (problems/*.toml) is its own regression test: every claim gets its expected verdict.

The folder is globbed, so new problem files are picked up without touching this module. Ids are
``<problem id>:<claim number>`` (1-based, as ``derive check`` counts them).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import pytest

from derive.language.parser import parse_expr
from derive.language.text import to_text
from derive.problem.definition import catalog_paths, load_problem
from derive.verdict.check import ProblemChecker

FOLDER = Path(__file__).resolve().parent.parent / "problems"
PATHS = sorted(FOLDER.glob("*.toml"))

# Known gaps, keyed by (problem id, claim text, expected verdict, expected diagnosis): a row stops
# applying as soon as the problem file changes that claim's expectation.
KNOWN_GAPS: dict[tuple, str] = {}


def _claims():
    for path in PATHS:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        pid = data.get("id", path.stem)
        for number, entry in enumerate(data.get("claims", []), 1):
            entry = {"claim": entry} if isinstance(entry, str) else entry
            key = (pid, entry.get("claim"), entry.get("expect"), entry.get("diagnosis"))
            marks = [pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[key])] if key in KNOWN_GAPS else []
            yield pytest.param(path, number - 1, id=f"{pid}:{number}", marks=marks)


@cache
def _checker(path: Path) -> ProblemChecker:
    return ProblemChecker(load_problem(path))


def test_the_catalog_is_not_empty():
    assert PATHS


def test_the_installed_catalog_is_this_folder():
    assert [p.name for p in catalog_paths()] == [p.name for p in PATHS]


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_a_problem_file_is_named_after_its_id(path):
    assert load_problem(path).id == path.stem


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_every_catalog_claim_states_its_expected_verdict(path):
    assert all(spec.expect is not None for spec in load_problem(path).claims)


@pytest.mark.parametrize("path, index", list(_claims()))
def test_catalog_claim_gets_its_expected_verdict(path, index):
    checker = _checker(path)
    spec = checker.problem.claims[index]
    verdict = checker.check(spec)
    found = verdict.diagnosis.code if verdict.diagnosis else None
    assert verdict.matches_expectation, (
        f"expected {spec.expect} ({spec.diagnosis}), got {verdict.verdict} ({found}): "
        f"{verdict.error or [link.reason for link in verdict.links]}")
    if verdict.diagnosis and verdict.diagnosis.correct:  # the suggestion's tree is the one its text names
        assert parse_expr(verdict.diagnosis.correct) == parse_expr(to_text(verdict.diagnosis.correction))


def _corrections():
    for path in PATHS:
        for number, spec in enumerate(load_problem(path).claims, 1):
            if spec.expect == "fails" and spec.correct:
                yield pytest.param(path, spec.correct, id=f"{path.stem}:{number}")


@pytest.mark.parametrize("path, correct", list(_corrections()))
def test_the_correct_statement_beside_a_wrong_claim_holds(path, correct):
    verdict = _checker(path).check(correct)
    assert verdict.verdict == "holds", verdict.error or [link.reason for link in verdict.links]


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_every_wrong_catalog_claim_has_its_correct_statement(path):
    missing = [spec.text for spec in load_problem(path).claims if spec.expect == "fails" and not spec.correct]
    assert not missing
