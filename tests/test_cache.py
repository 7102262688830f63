"""The verdict cache (derive.verdict.cache) and ``derive check`` with it (derive.verdict.batch).

A rerun gives the same verdicts without checking again; an edit of one claim rechecks that claim,
an edit of anything else of the problem, of an option or of derive's code rechecks every claim; a
verdict that a time budget or an error decided is never stored; a damaged entry is a miss; and a
cache that cannot be written leaves the check as it was. Every test has its own cache folder
(tests/conftest.py).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import cli
from derive.documents.report import claim_lines
from derive.errors import ProblemError
from derive.problem.definition import find_problem, load_problem, problem_from_dict
from derive.verdict import batch, cache
from derive.verdict.batch import check_problems
from derive.verdict.cache import VerdictCache, canonical, decode, encode, reproducible
from derive.verdict.check import CheckOptions
from derive.verdict.evidence import ClaimVerdict, Diagnosis, Difference, ExactEvidence, LinkVerdict, NumericEvidence

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = CheckOptions(seed=3)
PROBLEM = """id = "cached-layer"
sizes = ["m", "d"]
definitions = ["y = W @ x + b"]
[variables]
W = "m x d"
x = "d"
b = "m"
[arbitrary]
J = ["y"]
[[claims]]
claim = "dJ/dW = dJ/dy @ x.T"
expect = "holds"
[[claims]]
claim = "dJ/dx = 2 * W.T @ dJ/dy"
expect = "fails"
diagnosis = "factor"
[[claims]]
claim = "dJ/db[i] = dJ/dy[i]"
expect = "holds"
"""


@pytest.fixture
def problem_file(tmp_path) -> Path:
    path = tmp_path / "cached-layer.toml"
    path.write_text(PROBLEM, encoding="utf-8")
    return path


@pytest.fixture
def checked(monkeypatch) -> list[str]:
    """The text of every claim the checker is given (it still checks them)."""
    seen: list[str] = []
    original = batch.check_problem

    def check_problem(problem, options=None):
        seen.extend(spec.text for spec in problem.claims)
        return original(problem, options)

    monkeypatch.setattr(batch, "check_problem", check_problem)
    return seen


def run(path: Path, store: VerdictCache, options: CheckOptions = OPTIONS, jobs: int = 1) -> list[ClaimVerdict]:
    ((_, verdicts),) = check_problems([load_problem(path)], options, jobs, store)
    return verdicts


def shown(verdict: ClaimVerdict) -> dict:
    """What the reports print of a verdict, but whether it came from the cache."""
    data = verdict.as_json()
    del data["cached"]
    return data


def timeless(value):
    """A verdict's record without the times it took, which a new check does not repeat."""
    if isinstance(value, ClaimVerdict):
        value = shown(value)
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items() if k not in ("seconds", "timings")}
    if isinstance(value, list):
        return [timeless(v) for v in value]
    return value


def edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


# -- a rerun ---------------------------------------------------------------------------------------

def test_a_rerun_gives_the_same_verdicts_without_checking_again(problem_file, tmp_path, monkeypatch):
    store = VerdictCache(tmp_path / "cache")
    first = run(problem_file, store)
    assert store.stored == 3 and not any(v.cached for v in first)
    monkeypatch.setattr(batch, "check_problem", lambda *a, **k: pytest.fail("a cached claim was checked"))
    monkeypatch.setattr("derive.verdict.check.ProblemChecker", lambda *a, **k: pytest.fail("a model was built"))
    again = run(problem_file, VerdictCache(tmp_path / "cache"))
    assert all(v.cached for v in again)
    assert [shown(v) for v in again] == [shown(v) for v in first]  # verdicts, reasons, diagnoses, seconds
    assert [[line.replace(" s, cached)", " s)") for line in claim_lines(v, verbose=True)] for v in again] == \
        [claim_lines(v, verbose=True) for v in first]


def test_the_json_of_check_says_which_claims_came_from_the_cache(problem_file, capsys):
    assert cli.main(["check", "--json", "--jobs", "1", str(problem_file)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert cli.main(["check", "--json", "--jobs", "1", str(problem_file)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert [c["cached"] for c in first["problems"][0]["claims"]] == [False] * 3
    assert [c["cached"] for c in again["problems"][0]["claims"]] == [True] * 3
    # the seconds of a cached claim are those of the check that stored it
    assert [c["seconds"] for c in again["problems"][0]["claims"]] == [c["seconds"] for c in first["problems"][0]["claims"]]


def test_the_text_report_marks_cached_claims_and_counts_them(problem_file, capsys):
    cli.main(["check", "--jobs", "1", str(problem_file)])
    capsys.readouterr()
    cli.main(["check", "--jobs", "1", str(problem_file)])
    out = capsys.readouterr().out
    assert out.count(", cached)") == 3
    assert "every verdict as expected; 3 from the cache" in out


# -- what a key depends on ---------------------------------------------------------------------

def test_editing_one_claim_rechecks_that_claim_only(problem_file, tmp_path, checked):
    run(problem_file, VerdictCache(tmp_path / "cache"))
    checked.clear()
    edit(problem_file, "dJ/dx = 2 * W.T @ dJ/dy", "dJ/dx = 3 * W.T @ dJ/dy")
    verdicts = run(problem_file, VerdictCache(tmp_path / "cache"))
    assert checked == ["dJ/dx = 3 * W.T @ dJ/dy"]
    assert [v.cached for v in verdicts] == [True, False, True]
    assert [v.verdict for v in verdicts] == ["holds", "fails", "holds"]


def test_editing_a_claims_expectation_rechecks_that_claim(problem_file, tmp_path, checked):
    run(problem_file, VerdictCache(tmp_path / "cache"))
    checked.clear()
    edit(problem_file, 'diagnosis = "factor"', 'diagnosis = "sign"')
    verdicts = run(problem_file, VerdictCache(tmp_path / "cache"))
    assert checked == ["dJ/dx = 2 * W.T @ dJ/dy"]
    assert not verdicts[1].matches_expectation


@pytest.mark.parametrize("old, new", [
    ('definitions = ["y = W @ x + b"]', 'definitions = ["y = W @ x - b"]'),
    ('x = "d"', 'x = "d"\nc = "m"'),
    ('sizes = ["m", "d"]', 'sizes = ["m", "d", "k"]'),
    ('id = "cached-layer"', 'id = "cached-layer-2"'),
], ids=["a definition", "a variable", "a size", "the id"])
def test_editing_the_problem_rechecks_every_claim(problem_file, tmp_path, checked, old, new):
    run(problem_file, VerdictCache(tmp_path / "cache"))
    checked.clear()
    edit(problem_file, old, new)
    verdicts = run(problem_file, VerdictCache(tmp_path / "cache"))
    assert len(checked) == 3 and not any(v.cached for v in verdicts)


@pytest.mark.parametrize("options", [CheckOptions(seed=4), CheckOptions(seed=3, numeric=False),
                                     CheckOptions(seed=3, exact_budget=20.0), CheckOptions(seed=3, salt="class")],
                         ids=["seed", "no numeric", "budget", "salt"])
def test_other_options_recheck_every_claim(problem_file, tmp_path, checked, options):
    run(problem_file, VerdictCache(tmp_path / "cache"))
    checked.clear()
    run(problem_file, VerdictCache(tmp_path / "cache"), options)
    assert len(checked) == 3


def test_a_change_of_derives_code_rechecks_every_claim(problem_file, tmp_path, checked, monkeypatch):
    run(problem_file, VerdictCache(tmp_path / "cache"))
    checked.clear()
    monkeypatch.setattr(cache, "code_identity", lambda: "derive 0.1.0+another-commit")
    run(problem_file, VerdictCache(tmp_path / "cache"))
    assert len(checked) == 3


def test_the_code_identity_digests_every_source_file_of_the_package():
    identity = cache.code_identity()
    assert identity.startswith("derive ") and "sympy " in identity and "numpy " in identity
    assert len(identity.split("+")[1].split(";")[0]) == 64  # the whole digest, not a prefix


def test_grading_keys_its_journal_with_the_same_code_identity():
    from derive.grading.grade import derive_version

    assert derive_version() == cache.code_identity()


def test_keys_are_the_same_in_another_process():
    """Nothing that changes from run to run (an address, a hash seed) enters a key."""
    program = ("from derive.problem.definition import find_problem; from derive.verdict.check import "
               "CheckOptions; from derive.verdict.cache import VerdictCache; "
               "print(VerdictCache('unused').keys(find_problem('linear-layer'), CheckOptions(seed=3)))")
    other = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONHASHSEED": "12345"})
    mine = VerdictCache("unused").keys(find_problem("linear-layer"), OPTIONS)
    assert other.stdout.strip() == str(mine) and None not in mine and len(set(mine)) == len(mine)


def test_a_claim_nested_as_deep_as_the_parser_allows_has_a_key(tmp_path):
    """The canonical form recurses through the tree: no RecursionError (it once stopped check)."""
    depth = 0
    for tried in range(300, 700, 10):  # the deepest chain of negations the problem file accepts
        try:
            problem_from_dict(deep_problem(tried))
        except ProblemError:
            break
        depth = tried
    keys = VerdictCache(tmp_path).keys(problem_from_dict(deep_problem(depth)), OPTIONS)
    assert depth >= 300 and keys[0] is not None


def deep_problem(depth: int) -> dict:
    return {"id": "deep", "sizes": ["n"], "variables": {"x": "n"}, "claims": ["x = " + "-" * depth + "x"]}


def test_an_object_printed_with_its_address_has_no_key():
    with pytest.raises(cache._Unkeyable):
        canonical({"x": object()})


# -- what is never stored --------------------------------------------------------------------------

def _verdict(**link_fields) -> ClaimVerdict:
    link = LinkVerdict(left="dJ/dW", right="dJ/dy @ x.T", verdict="undecided", **link_fields)
    return ClaimVerdict(claim="dJ/dW = dJ/dy @ x.T", verdict="undecided", links=[link])


UNREPRODUCIBLE = [
    ("an exact check past its budget", _verdict(exact=[ExactEvidence(
        sizes={"m": 2}, outcome="undecided", method="timeout", detail="the exact check did not finish within 10 s")])),
    ("a zero test past its budget", _verdict(reason="not proved: the exact zero test did not finish within 9.5 s")),
    ("a generic proof past its budget", _verdict(generic="no generic proof: the generic proof did not finish within 5 s")),
    ("a numeric check past its budget",
     _verdict(numeric_unavailable="numeric check unavailable: the numeric check did not finish within 10 s")),
    ("a diagnosis past its budget", _verdict(diagnosis=Diagnosis("unknown", "no common slip was recognised within 5 s"))),
    ("an error", ClaimVerdict(claim="x", verdict="error", links=[], error="internal error (out of memory): too large")),
]


@pytest.mark.parametrize("verdict", [v for _, v in UNREPRODUCIBLE], ids=[name for name, _ in UNREPRODUCIBLE])
def test_a_verdict_decided_by_time_or_an_error_is_not_stored(tmp_path, verdict):
    store = VerdictCache(tmp_path / "cache")
    assert not reproducible(verdict)
    assert not store.put("0" * 64, verdict)
    assert store.get("0" * 64) is None and not (tmp_path / "cache").exists()


def test_claims_that_run_out_of_time_are_checked_again(problem_file, tmp_path, checked):
    store = VerdictCache(tmp_path / "cache")
    run(problem_file, store, CheckOptions(seed=3, exact_budget=1e-6))
    assert store.stored == 0
    checked.clear()
    run(problem_file, VerdictCache(tmp_path / "cache"), CheckOptions(seed=3, exact_budget=1e-6))
    assert len(checked) == 3


def test_a_verdict_reads_back_as_it_was_stored():
    link = LinkVerdict(left="a", right="b", verdict="fails", reason="differs", seconds=0.5,
                       exact=[ExactEvidence(sizes={"n": 2}, outcome="witness", method="witness")],
                       numeric=[NumericEvidence(sizes={"n": 40}, agree=False, error=math.inf, method="entrywise",
                                                finite=False)],
                       difference=Difference(entry="entry [1]", true=complex(1, -2), claimed="1.0e+400",
                                             sizes={"n": 2}, point={"a[1]": 0.25}),
                       diagnosis=Diagnosis("factor", "off by 2", "(b)/2", slips=("factor", "sign")),
                       derivation=[("a[i]", "the entries")], timings={"exact": 0.25})
    verdict = ClaimVerdict(claim="a = b", verdict="fails", links=[link], expect="fails", seconds=0.75)
    again = decode(encode(verdict))
    assert again == verdict and again.links[0].derivation == [("a[i]", "the entries")]
    assert again.links[0].difference.true == complex(1, -2)


# -- damaged, unwritable, off --------------------------------------------------------------------

@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],
    lambda data: data.replace(b'"holds"', b'"fails"').replace(b'"fails"', b'"holds"', 1),
    lambda data: b"",
    lambda data: data.replace(b'"format": 1', b'"format": 99'),
    lambda data: b"\x00\xff" * 10,
], ids=["truncated", "altered", "empty", "another format", "not text"])
def test_a_damaged_entry_is_checked_again_and_replaced(problem_file, tmp_path, checked, damage):
    folder = tmp_path / "cache"
    first = run(problem_file, VerdictCache(folder))
    for entry in folder.glob("*.json"):
        entry.write_bytes(damage(entry.read_bytes()))
    checked.clear()
    again = run(problem_file, VerdictCache(folder))
    assert len(checked) == 3 and [timeless(v) for v in again] == [timeless(v) for v in first]
    assert all(v.cached for v in run(problem_file, VerdictCache(folder)))


def test_no_cache_neither_reads_nor_writes(problem_file, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path / "cache"))
    assert cli.main(["check", "--json", "--jobs", "1", "--no-cache", str(problem_file)]) == 0
    assert not (tmp_path / "cache").exists()
    cli.main(["check", "--jobs", "1", str(problem_file)])
    assert len(list((tmp_path / "cache" / "verdicts").glob("*.json"))) == 3
    capsys.readouterr()
    cli.main(["check", "--json", "--jobs", "1", "--no-cache", str(problem_file)])
    claims = json.loads(capsys.readouterr().out)["problems"][0]["claims"]
    assert not any(c["cached"] for c in claims)


def test_a_cache_folder_that_cannot_be_written_leaves_the_check_as_it_was(problem_file, capsys, monkeypatch, tmp_path):
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path / "a-file" / "cache"))
    assert cli.main(["check", "--jobs", "1", str(problem_file)]) == 0
    out, err = capsys.readouterr()
    assert "3 claims: 1 fails, 2 holds; every verdict as expected (" in out
    assert err.splitlines() == [f"derive: note: the verdict cache is off for this run ({tmp_path}/a-file/cache/"
                                f"verdicts: Not a directory)"]


def test_the_cache_folder_is_derives_variable_else_xdg_else_home(monkeypatch, tmp_path):
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.default_folder() == tmp_path / "mine"
    monkeypatch.delenv("DERIVE_CACHE_DIR")
    assert cache.default_folder() == tmp_path / "xdg" / "derive"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")  # ignored, as the XDG specification says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.default_folder() == tmp_path / "home" / ".cache" / "derive"


def test_the_least_recently_used_entries_are_pruned_past_the_limit(tmp_path):
    store = VerdictCache(tmp_path / "cache", max_entries=10)
    verdict = ClaimVerdict(claim="a = a", verdict="holds", links=[])
    keys = [f"{n:064x}" for n in range(12)]
    for age, key in enumerate(keys):
        assert store.put(key, verdict)
        os.utime(store.folder / f"{key}.json", (1000 + age, 1000 + age))
    assert store.get(keys[0]) is not None  # used now: the most recent
    assert store.prune() == 3
    assert {p.stem for p in store.folder.glob("*.json")} == {keys[0], *keys[4:]}


# -- many problems, in worker processes ----------------------------------------------------------

def test_with_workers_only_the_claims_without_a_verdict_are_sent_and_each_comes_back_in_place(
        problem_file, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(PROBLEM.replace("cached-layer", "other-layer"), encoding="utf-8")
    store = VerdictCache(tmp_path / "cache")
    first = dict((p.id, vs) for p, vs in check_problems([load_problem(problem_file), load_problem(other)],
                                                           OPTIONS, 2, store))
    edit(other, "dJ/dW = dJ/dy @ x.T", "dJ/dW = (dJ/dy @ x.T)")
    again = dict((p.id, vs) for p, vs in check_problems([load_problem(problem_file), load_problem(other)],
                                                           OPTIONS, 2, VerdictCache(tmp_path / "cache")))
    assert [v.cached for v in again["cached-layer"]] == [True, True, True]
    assert [v.cached for v in again["other-layer"]] == [False, True, True]
    assert [v.claim for v in again["other-layer"]] == ["dJ/dW = (dJ/dy @ x.T)", *[v.claim for v in first["other-layer"][1:]]]
    assert [shown(v) for v in again["cached-layer"]] == [shown(v) for v in first["cached-layer"]]
