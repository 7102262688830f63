"""cli.py: exit codes, --json documents, every subcommand's help, and the installed command."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import cli
from cli import Exit

CLAIM_KEYS = {"claim", "verdict", "error", "links", "broken_link", "diagnosis", "expect",
              "expected_diagnosis", "correct", "source", "matches_expectation", "seconds"}
LINK_KEYS = {"left", "right", "verdict", "reason", "exact", "numeric", "difference", "diagnosis", "seconds"}
ROOT = Path(__file__).resolve().parent.parent
AD_HOC = ["--var", "W=m x d", "--var", "x=d", "--define", "y = W @ x", "--loss", "J=y"]


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


# -- exit codes ---------------------------------------------------------------------------------

EXIT_CODES = [
    ("a claim that holds", ["verify", "linear-layer", "dJ/dW = dJ/dy @ x.T"], Exit.OK),
    ("a claim that fails", ["verify", "linear-layer", "dJ/dW = x @ dJ/dy.T"], Exit.REFUTED),
    ("ad hoc, holds", ["verify", *AD_HOC, "dJ/dW = dJ/dy @ x.T"], Exit.OK),
    ("ad hoc, fails", ["verify", *AD_HOC, "dJ/dW = 2 * dJ/dy @ x.T"], Exit.REFUTED),
    ("ad hoc identity", ["verify", "--var", "A=n x n", "trace(A) = trace(A.T)"], Exit.OK),
    ("ad hoc activation", ["verify", "--var", "z=n", "--function", "h", "d(sum(h(z)))/dz = h'(z)"], Exit.OK),
    ("denominator layout", ["verify", "--var", "W=m x d", "--var", "x=d", "--layout", "denominator",
                            "d(W @ x)/dx = W.T"], Exit.OK),
    ("a syntax error", ["verify", "linear-layer", "dJ/dW = (x"], Exit.ERROR),
    ("an unknown name in the claim", ["verify", "linear-layer", "dJ/dQ = x"], Exit.ERROR),
    ("an unknown problem", ["verify", "no-such-problem", "a = b"], Exit.ERROR),
    ("a missing problem file", ["verify", "/nonexistent/p.toml", "a = b"], Exit.ERROR),
    ("a malformed --var", ["verify", "--var", "W", "a = b"], Exit.ERROR),
    ("too many arguments", ["verify", "a", "b", "c"], Exit.ERROR),
    ("no claim", ["verify"], Exit.ERROR),
    ("an unknown command", ["bogus"], Exit.ERROR),
    ("no command", [], Exit.ERROR),
    ("a bad option", ["list", "--frobnicate"], Exit.ERROR),
    ("the version", ["--version"], Exit.OK),
]


@pytest.mark.parametrize("argv, code", [c[1:] for c in EXIT_CODES], ids=[c[0] for c in EXIT_CODES])
def test_exit_code(capsys, argv, code):
    assert run(capsys, *argv)[0] == code


def test_the_exit_codes_follow_diff_with_undecided_and_internal_after_them():
    assert {e.name: int(e) for e in Exit} == {"OK": 0, "REFUTED": 1, "ERROR": 2, "UNDECIDED": 3, "INTERNAL": 4,
                                              "INTERRUPTED": 130}


def test_a_claim_neither_proved_nor_refuted_exits_three(capsys):
    code, out, _ = run(capsys, "verify", "--var", "x=n", "x = x / 0")
    assert code == Exit.UNDECIDED
    assert out.startswith("? undecided")


def test_an_output_file_that_cannot_be_written_exits_two_naming_it(capsys):
    code, _, err = run(capsys, "export", "linear-layer", "-o", "/dev/full")
    assert code == Exit.ERROR
    assert err == "derive: -o /dev/full: cannot write it: No space left on device\n"


def test_a_full_disk_under_stdout_exits_two_in_one_line():
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "cli.py", "list"], stdout=full, stderr=subprocess.PIPE,
                                text=True, cwd=ROOT, timeout=120)
    assert result.returncode == Exit.ERROR
    assert result.stderr == "derive: cannot write the output: No space left on device\n"


def test_the_process_ends_with_its_output_whole_and_its_exit_code():
    """cli.run leaves without the interpreter's teardown (``_leave``): what was printed must still
    arrive whole through a pipe, and the code be main's."""
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    command = [sys.executable, "cli.py", "check", "--json", "--no-cache", "linear-layer", "mse"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300, env=buffered)
    assert result.returncode == Exit.OK, result.stderr
    document = json.loads(result.stdout)
    assert [p["id"] for p in document["problems"]] == ["linear-layer", "mse"]
    failing = subprocess.run([sys.executable, "cli.py", "verify", "linear-layer", "dJ/dW = dJ/dy @ x"],
                             capture_output=True, text=True, cwd=ROOT, timeout=300, env=buffered)
    assert failing.returncode == Exit.REFUTED and failing.stdout.rstrip().endswith("evidence: the shapes cannot match")


def test_a_profiler_around_the_process_still_writes_its_results(tmp_path):
    """bench/speed.py profiles ``python -m cProfile -o FILE cli.py check``: the profile is written
    at the ordinary exit, which ``_leave`` keeps when a profiler is running."""
    target = tmp_path / "list.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(target), "cli.py", "list"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == Exit.OK and "linear-layer" in done.stdout
    assert target.stat().st_size > 0


def _defect(*args, **kwargs):
    raise ZeroDivisionError("division by zero")


def test_an_unexpected_exception_exits_four_asking_for_a_report(capsys, monkeypatch):
    monkeypatch.delenv(cli.TRACEBACK_VARIABLE, raising=False)
    monkeypatch.setattr("derive.verdict.check.ProblemChecker", _defect)  # cli imports it when it runs
    code, out, err = run(capsys, "verify", "linear-layer", "dJ/dW = dJ/dy @ x.T")
    assert code == Exit.INTERNAL
    assert out == ""
    assert err.splitlines() == [
        "derive: internal error (ZeroDivisionError: division by zero); this is a defect of derive: please "
        "report it with the command that caused it (DERIVE_TRACEBACK=1 shows the traceback)"]


def test_an_internal_error_shows_its_traceback_when_asked(capsys, monkeypatch):
    monkeypatch.setenv(cli.TRACEBACK_VARIABLE, "1")
    monkeypatch.setattr("derive.verdict.check.check_problem", _defect)
    assert cli.main(["export", "linear-layer"]) == Exit.INTERNAL
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "ZeroDivisionError: division by zero" in err and "please report it" in err


def test_ctrl_c_exits_130():
    """A real SIGINT, once the first of three problems is checked (stderr says so)."""
    command = [sys.executable, "cli.py", "check", "--jobs", "1", "linear-layer", "seed004-matrix-layers", "attention"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert process.stderr.readline().startswith("[1/3] linear-layer")
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == Exit.INTERRUPTED
    assert err.splitlines()[-1] == "derive: interrupted"


def test_a_syntax_error_is_reported_with_a_caret_on_stderr(capsys):
    code, out, err = run(capsys, "verify", "linear-layer", "dJ/dW = x ^ 2")
    assert code == Exit.ERROR
    assert out == ""
    assert err.splitlines() == [
        "derive: unexpected character '^' (write powers as **, e.g. x**2); x^T is a transpose and "
        "x^-1 an inverse", "  dJ/dW = x ^ 2", "            ^"]


def test_an_unknown_problem_suggests_the_nearest(capsys):
    err = run(capsys, "verify", "linear-layr", "a = b")[2]
    assert err.strip() == "derive: 'linear-layr' is not a known problem (did you mean 'linear-layer'?)"


def test_a_bad_problem_file_is_an_error_naming_the_file(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "bad"\n[variables\n', encoding="utf-8")
    code, _, err = run(capsys, "check", str(bad))
    assert code == Exit.ERROR
    assert err.startswith(f"derive: {bad}: not valid TOML")


def test_a_problem_file_with_a_bad_definition_is_an_error(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "bad"\nsizes = ["n"]\ndefinitions = ["y = A @ x"]\n[variables]\nA = "n x n"\n',
                   encoding="utf-8")
    code, _, err = run(capsys, "check", str(bad))
    assert code == Exit.ERROR
    assert "definitions[1]" in err and "'x' is not a known name" in err


def test_ad_hoc_sizes_may_contain_the_letter_x(capsys):
    assert run(capsys, "verify", "--var", "X=d x nx", "sum(X) = sum(X.T)")[0] == Exit.OK


def test_a_long_claim_gets_a_verdict(capsys):
    code, out, _ = run(capsys, "verify", "linear-layer", "dJ/db = " + "dJ/dy + " * 400 + "dJ/dy")
    assert code == Exit.REFUTED
    assert "fails" in out


# -- check against a problem file -----------------------------------------------------------------

def _problem_file(tmp_path, claims):
    lines = ['id = "tiny"', 'sizes = ["m", "d"]', 'definitions = ["y = W @ x"]',
             "[variables]", 'W = "m x d"', 'x = "d"', "[arbitrary]", 'J = ["y"]']
    for claim, expect in claims:
        lines += ["[[claims]]", f'claim = "{claim}"', f'expect = "{expect}"']
    path = tmp_path / "tiny.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_check_exits_zero_when_every_verdict_is_as_expected(capsys, tmp_path):
    path = _problem_file(tmp_path, [("dJ/dW = dJ/dy @ x.T", "holds"), ("dJ/dW = 2 * dJ/dy @ x.T", "fails")])
    code, out, _ = run(capsys, "check", str(path))
    assert code == Exit.OK
    assert "2 claims: 1 fails, 1 holds; every verdict as expected" in out


def test_check_exits_one_when_a_verdict_is_unexpected(capsys, tmp_path):
    path = _problem_file(tmp_path, [("dJ/dW = 2 * dJ/dy @ x.T", "holds")])
    code, out, _ = run(capsys, "check", str(path))
    assert code == Exit.REFUTED
    assert "UNEXPECTED: expected holds, got fails" in out


def test_check_exits_three_when_a_claim_expected_to_hold_is_left_undecided(capsys, tmp_path):
    path = _problem_file(tmp_path, [("dJ/dW = dJ/dy @ x.T", "holds"), ("x = x / 0", "holds")])
    code, out, _ = run(capsys, "check", str(path))
    assert code == Exit.UNDECIDED
    assert "UNEXPECTED: expected holds, got undecided" in out


def test_check_exits_one_when_a_verdict_is_wrong_even_beside_an_undecided_one(capsys, tmp_path):
    path = _problem_file(tmp_path, [("x = x / 0", "holds"), ("dJ/dW = 2 * dJ/dy @ x.T", "holds")])
    assert run(capsys, "check", str(path))[0] == Exit.REFUTED


def test_check_exits_zero_when_a_claim_is_undecided_as_expected(capsys, tmp_path):
    path = _problem_file(tmp_path, [("x = x / 0", "undecided")])
    assert run(capsys, "check", str(path))[0] == Exit.OK


def test_check_exits_two_when_a_claim_of_the_file_cannot_be_read(capsys, tmp_path):
    path = _problem_file(tmp_path, [("dJ/dW = 2 * dJ/dy @ x.T", "holds"), ("dJ/dQ = x", "holds")])
    code, out, _ = run(capsys, "check", str(path))
    assert code == Exit.ERROR
    assert "'Q' is not a known variable" in out


def test_check_json_is_one_document_with_the_documented_keys(capsys, tmp_path):
    path = _problem_file(tmp_path, [("dJ/dW = dJ/dy @ x.T", "holds"), ("dJ/dW = x @ dJ/dy.T", "fails")])
    code, out, _ = run(capsys, "check", "--json", str(path))
    document = json.loads(out)
    assert code == Exit.OK
    assert set(document) == {"problems", "all_match", "seconds"}
    assert document["all_match"] is True
    (problem,) = document["problems"]
    assert {"id", "title", "source", "claims"} <= set(problem)
    for claim in problem["claims"]:
        assert CLAIM_KEYS <= set(claim)
        for link in claim["links"]:
            assert LINK_KEYS <= set(link)


def test_check_of_a_catalog_problem_by_id(capsys):
    code, out, _ = run(capsys, "check", "linear-layer")
    assert code in (Exit.OK, Exit.REFUTED)
    assert out.startswith("linear-layer — ")


# -- verify and list --------------------------------------------------------------------------------

def test_verify_json_is_one_claim_document(capsys):
    code, out, _ = run(capsys, "verify", "--json", "linear-layer", "dJ/dW = x @ dJ/dy.T")
    claim = json.loads(out)
    assert code == Exit.REFUTED
    assert CLAIM_KEYS <= set(claim)
    assert claim["verdict"] == "fails"
    assert claim["diagnosis"]["code"] == "transposed"
    assert set(claim["diagnosis"]) == {"code", "message", "correct", "slips"}
    link = claim["links"][0]
    assert LINK_KEYS <= set(link)
    for evidence in link["exact"]:
        assert {"sizes", "outcome", "method", "seconds", "detail"} <= set(evidence)


def test_verify_json_of_a_holding_claim_has_exact_and_numeric_evidence(capsys):
    claim = json.loads(run(capsys, "verify", "--json", *AD_HOC, "dJ/dW = dJ/dy @ x.T")[1])
    link = claim["links"][0]
    assert [e["outcome"] for e in link["exact"]] == ["zero"] and link["generic"] == "proved"
    assert link["numeric"] and all(n["agree"] is True for n in link["numeric"])  # a JSON boolean (docs/json.md)
    assert {"sizes", "agree", "error", "method", "seconds"} <= set(link["numeric"][0])


def test_verify_json_of_an_unknown_name_is_an_error_document(capsys):
    code, out, _ = run(capsys, "verify", "--json", "linear-layer", "dJ/dQ = x")
    claim = json.loads(out)
    assert code == Exit.ERROR
    assert claim["verdict"] == "error"
    assert claim["error"] == "'Q' is not a known variable"


def test_verify_prints_the_diagnosis_and_the_suggestion(capsys):
    out = run(capsys, "verify", "linear-layer", "dJ/dW = x @ dJ/dy.T")[1]
    assert "diagnosis [transposed]" in out
    assert "suggested:" in out


def test_verify_without_numeric_still_proves(capsys):
    code, out, _ = run(capsys, "verify", "--no-numeric", "--json", *AD_HOC, "dJ/dW = dJ/dy @ x.T")
    assert code == Exit.OK
    assert json.loads(out)["links"][0]["numeric"] == []


def test_list_names_every_catalog_problem(capsys):
    from derive.problem.definition import catalog_paths

    code, out, _ = run(capsys, "list")
    assert code == Exit.OK
    ids = [line.split()[0] for line in out.splitlines()]
    assert ids == [p.stem for p in catalog_paths()]


def test_list_json(capsys):
    code, out, _ = run(capsys, "list", "--json")
    rows = json.loads(out)
    assert code == Exit.OK
    assert rows and all(set(row) == {"id", "title", "source", "claims"} for row in rows)
    assert all(isinstance(row["claims"], int) for row in rows)


# -- help -------------------------------------------------------------------------------------------

def _subcommands():
    parser = cli.build_parser()
    (action,) = [a for a in parser._actions if a.dest == "command"]
    return sorted(action.choices)


def test_the_subcommands_are_annotate_check_export_grade_list_verify():
    assert _subcommands() == ["annotate", "check", "export", "grade", "list", "verify"]


@pytest.mark.parametrize("argv", [[]] + [[name] for name in _subcommands()], ids=["derive"] + _subcommands())
def test_every_command_has_help(capsys, argv):
    code, out, _ = run(capsys, *argv, "--help")
    assert code == Exit.OK
    assert out.startswith("usage: derive")


# -- the installed command -----------------------------------------------------------------------

def test_the_installed_derive_command_runs():
    beside = Path(sys.executable).parent / "derive"  # where pip puts it for this interpreter
    command = str(beside) if beside.exists() else shutil.which("derive")
    if command is None:
        pytest.fail("the derive command is not installed")
    result = subprocess.run([command, "verify", "linear-layer", "dJ/dW = dJ/dy @ x.T"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("✓ holds")


def test_verify_reads_a_latex_claim_against_a_catalog_problem(capsys):
    code, out, _ = run(capsys, "verify", "--latex", "seed001-batched-linear",
                       r"\frac{\partial L}{\partial W_{ij}} = \sum_{m} \frac{\partial L}{\partial Y_{mi}} X_{mj}")
    assert code == Exit.OK
    assert "dL/dW[i,j] = sum_m(dL/dY[m,i] * X[m,j])" in out


def test_a_wrong_latex_claim_gets_its_diagnosis(capsys):
    code, out, _ = run(capsys, "verify", "--latex", "linear-layer",
                       r"\frac{\partial J}{\partial W} = x \left(\frac{\partial J}{\partial y}\right)^\top")
    assert code == Exit.REFUTED
    assert "[transposed]" in out


def test_export_writes_markdown_with_every_claim(capsys, tmp_path):
    target = tmp_path / "linear-layer.md"
    code, _, _ = run(capsys, "export", "linear-layer", "-o", str(target))
    assert code == Exit.OK
    text = target.read_text(encoding="utf-8")
    assert text.count("### Claim ") == text.count("Holds.") + text.count("Fails.") + text.count("Undecided.")


@pytest.mark.parametrize("claim", ["dJ/dW = dJ/dy x^T", "dJ/dW = dJ/dy @ x'", "dJ/dW = np.outer(dJ/dy, x)"])
def test_verify_reads_a_claim_against_its_problem_as_a_ta_reads_an_answer(capsys, claim):
    code, out, _ = run(capsys, "verify", "linear-layer", claim)
    assert code == Exit.OK, out
