"""bench/mutations.py: the wrong claims of the diagnosis benchmark are the same on every run, and each
kind of mutation makes claims that differ from the right one and read back with derive's parser.

A few catalog problems are enough to meet every kind, and keep this well under a second; derive
itself is not run (bench/diagnosis.py does that).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from derive.grading.assignment import DIAGNOSES
from derive.language import ast
from derive.language.parser import parse_claim

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = [ROOT / "problems" / f"{name}.toml"
            for name in ("linear-layer", "batch-norm", "mlp-two-layer", "mse", "cookbook-traces")]


def _load_mutations():
    """bench/mutations.py as a module: bench/ is a folder of scripts, which import each other as
    top-level modules, so it goes on the path (last, so that it shadows nothing)."""
    if str(ROOT / "bench") not in sys.path:
        sys.path.append(str(ROOT / "bench"))
    return importlib.import_module("mutations")


mutations = _load_mutations()
KINDS = [*mutations.KINDS, "double"]


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return mutations.generate(paths=PROBLEMS)


def _right_link(entry: dict) -> set[ast.Node]:
    """The sides of the right link the entry was made from: its catalog claim's first side and the
    side that was edited."""
    sides = parse_claim(entry["original"]).sides
    return {sides[0], sides[entry["side"]]}


def test_the_corpus_is_the_same_on_every_run(corpus):
    assert mutations.generate(paths=PROBLEMS) == corpus


def test_another_seed_draws_other_places(corpus):
    assert mutations.generate(seed=mutations.SEED + 1, paths=PROBLEMS) != corpus


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_makes_a_wrong_claim_that_reads_back(corpus, kind):
    made = [entry for entry in corpus if entry["kind"] == kind]
    assert made, f"no claim of kind {kind}"
    for entry in made:
        chain = parse_claim(entry["claim"])
        assert len(chain.sides) == 2
        assert set(chain.sides) != _right_link(entry), entry["claim"]


def test_every_tag_is_a_diagnosis_code(corpus):
    assert {code for entry in corpus for code in entry["expected"] + entry["made"]} <= DIAGNOSES


def test_a_double_expects_both_slips(corpus):
    doubles = [entry for entry in corpus if entry["kind"] == "double"]
    assert all(len(entry["expected"]) == 2 and len(entry["parts"]) == 2 for entry in doubles)
    texts = {entry["claim"] for entry in corpus}
    assert all(part in texts for entry in doubles for part in entry["parts"])


def test_an_ill_shaped_claim_is_tagged_shape(corpus):
    ill = [entry for entry in corpus if entry["shape"] == "ill-typed"]
    assert ill and all(entry["expected"] == ["shape"] for entry in ill)


def test_claims_are_not_repeated_within_a_problem(corpus):
    keys = [(entry["problem"], entry["claim"]) for entry in corpus]
    assert len(keys) == len(set(keys))
