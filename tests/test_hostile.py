"""The hostile-input corpus (issue 10, "Done when"): every case of tests/hostile/ through the library,
and a handful through ``cli.py`` in a subprocess.

The corpus is data, one TOML file per reader (README in tests/hostile/ says how a case is written):

* ``claims.toml`` — claim-language text, parsed by ``parser.parse_claim`` and, when it parses,
  checked by ``check.ProblemChecker`` against the case's problem;
* ``latex.toml`` — LaTeX, read by ``latex_in.parse_latex_claim`` (with the problem's reading when
  the case names one) and checked the same way;
* ``problems.toml`` — the problem files of ``problems/`` and what loading each one gives.

Each case states one outcome: an ``error`` (a fragment of its message, and where it names the place,
a ``column``), a ``verdict`` (holds, fails, undecided) or, for LaTeX, the claim text it ``reads_as``.
Whatever a case expects, every message derive gives must be one line (a syntax error adds the text,
on one line, and a caret under the spot, as docs/language.md says), printable, and never an internal
error. A case marked ``xfail`` is a known defect of a module this corpus does not own: the reason
says which, and the test fails (strict) once the defect is fixed, so that the mark is removed.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from derive.errors import DeriveError, ParseError
from derive.language.latex_in import parse_latex_claim
from derive.language.parser import parse_claim
from derive.language.text import to_text
from derive.problem.definition import ClaimSpec, find_problem, latex_reading, load_problem, problem_from_dict
from derive.verdict.check import CheckOptions, ProblemChecker

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "hostile"
OUTCOMES = ("error", "verdict", "reads_as")
GUARD = 30  # seconds for one subprocess: a hang, not a slow machine
SLOW = 10  # seconds for one case in the library: more is a defect (every case here is small)
MEMORY = 3 << 30  # bytes of address space for a subprocess: a runaway allocation fails, not the machine


# -- the corpus ------------------------------------------------------------------------------------

@functools.cache
def _corpus(name: str) -> dict:
    return tomllib.loads((HOSTILE / name).read_text(encoding="utf-8"))


def _cases(name: str, *, cli: bool = False) -> list:
    cases = _corpus(name)["case"]
    chosen = [case for case in cases if (case.get("cli") if cli else case.get("library", True))]
    return [pytest.param(case, id=case["id"], marks=_marks(case)) for case in chosen]


def _marks(case: dict) -> list:
    return [pytest.mark.xfail(reason=case["xfail"], strict=True)] if "xfail" in case else []


def _text(case: dict, key: str) -> str:
    """The case's text: ``key`` itself, or ``parts``, a list of strings and [string, count] pairs."""
    if key in case:
        return case[key]
    return "".join(part if isinstance(part, str) else part[0] * part[1] for part in case["parts"])


@functools.cache
def _problem(key: str):
    """A problem of claims.toml's [problems] table, or a catalog problem by id."""
    table = _corpus("claims.toml").get("problems", {})
    if key in table:
        return problem_from_dict(dict(table[key], id=f"hostile-{key}"), f"claims.toml [problems.{key}]")
    return find_problem(key)


@functools.cache
def _checker(key: str) -> ProblemChecker:
    return ProblemChecker(_problem(key), CheckOptions())


# -- what every message must be ------------------------------------------------------------------------

def _assert_one_line(error: BaseException, text: str | None = None) -> str:
    """derive's error is one printable line; a syntax error adds the text on one line and a caret
    under the spot (within the text). Returns the first line."""
    message = str(error)
    lines = message.split("\n")
    assert lines == message.splitlines(), f"a line break other than \\n in {message!r}"
    assert all(line.isprintable() for line in lines), f"unprintable characters in {message!r}"
    if isinstance(error, ParseError) and error.text and error.column is not None:
        assert len(lines) == 3, f"a syntax error is its line, the text and a caret: {message!r}"
        assert lines[2].strip() == "^" and lines[2].startswith("  "), message
        assert 0 <= error.column <= len(error.text), f"the caret is outside the text: {message!r}"
        assert len(lines[1]) == len(error.text) + 2 and len(lines[2]) == error.column + 3, \
            f"the text is shown character for character, the caret under its column: {message!r}"
    else:
        assert len(lines) == 1, f"more than one line: {message!r}"
    assert "internal error" not in lines[0], lines[0]
    return lines[0]


def _assert_names_the_place(case: dict, error: BaseException | None, headline: str) -> None:
    """The ``column`` a case gives is the caret's (1-based) or said in the line ('at column 5')."""
    column = case.get("column")
    if column is None:
        return
    caret = getattr(error, "column", None)
    if isinstance(error, ParseError) and caret is not None and error.text:
        assert caret + 1 == column, f"the caret is at column {caret + 1}, not {column}: {error}"
    else:
        assert f"column {column}" in headline, f"{headline!r} does not name column {column}"


def _assert_expected_error(case: dict, error: BaseException | None, headline: str) -> None:
    assert "error" in case, f"unexpected error: {headline}"
    assert case["error"] in headline, f"{case['error']!r} is not in {headline!r}"
    _assert_names_the_place(case, error, headline)


def _assert_verdict(case: dict, verdict) -> None:
    if verdict.error is not None:
        assert "internal error" not in verdict.error, verdict.error
        _assert_expected_error(case, None, verdict.error)
        return
    assert "error" not in case, f"expected the error {case['error']!r}, got {verdict.verdict}"
    assert verdict.verdict == case["verdict"], (verdict.verdict, [link.reason for link in verdict.links])
    if "reason" in case:
        reasons = " | ".join(link.reason for link in verdict.links)
        assert case["reason"] in reasons, f"{case['reason']!r} is not in {reasons!r}"


def _timed(run):
    start = time.monotonic()
    result = run()
    assert time.monotonic() - start < SLOW, f"took {time.monotonic() - start:.1f} s"
    return result


# -- the corpus is well formed -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["claims.toml", "latex.toml", "problems.toml"])
def test_each_case_has_an_id_and_one_outcome(name):
    cases = _corpus(name)["case"]
    ids = [case["id"] for case in cases]
    assert len(ids) == len(set(ids)), "ids are unique"
    for case in cases:
        assert sum(key in case for key in OUTCOMES) == 1 or (name == "problems.toml" and (
            ("error" in case) != ("claims" in case))), case["id"]


def test_every_problem_file_is_in_the_manifest():
    listed = {case["file"] for case in _corpus("problems.toml")["case"]}
    on_disk = {f"problems/{path.name}" for path in (HOSTILE / "problems").iterdir()}
    assert listed == on_disk


# -- claims ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", _cases("claims.toml"))
def test_claim(case):
    text = _text(case, "claim")
    try:
        chain = _timed(lambda: parse_claim(text))
    except DeriveError as error:
        _assert_expected_error(case, error, _assert_one_line(error, text))
        return
    if "reads_as" in case:
        assert to_text(chain) == case["reads_as"]
        return
    verdict = _timed(lambda: _checker(case.get("problem", "v")).check(ClaimSpec(text=text, chain=chain)))
    _assert_verdict(case, verdict)


# -- LaTeX ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", _cases("latex.toml"))
def test_latex(case):
    text = _text(case, "latex")
    key = case.get("problem")
    reading = latex_reading(_problem(key)) if key else {}
    try:
        chain = _timed(lambda: parse_latex_claim(text, **reading))
    except DeriveError as error:
        _assert_expected_error(case, error, _assert_one_line(error, text))
        return
    if "reads_as" in case:
        assert chain.sides == parse_claim(case["reads_as"]).sides, to_text(chain)
        return
    assert key, "a LaTeX case with a verdict names its problem"
    verdict = _timed(lambda: _checker(key).check(ClaimSpec(text=to_text(chain), chain=chain)))
    _assert_verdict(case, verdict)


# -- problem files --------------------------------------------------------------------------------

@pytest.mark.parametrize("case", _cases("problems.toml"))
def test_problem_file(case):
    path = HOSTILE / case["file"]
    try:
        problem = _timed(lambda: load_problem(path))
    except DeriveError as error:
        headline = _assert_one_line(error)
        _assert_expected_error(case, error, headline)
        assert path.name in headline, f"the message does not name the file: {headline}"
        if "key" in case:
            assert case["key"] in headline, f"the message does not name the key {case['key']}: {headline}"
        return
    assert "error" not in case, f"expected the error {case['error']!r}, the file loaded"
    checker = ProblemChecker(problem, CheckOptions())
    verdicts = [_timed(lambda spec=spec: checker.check(spec)) for spec in problem.claims]
    assert [v.verdict for v in verdicts] == case["claims"], [v.error or v.verdict for v in verdicts]
    for verdict in verdicts:
        assert verdict.error is None or "internal error" not in verdict.error, verdict.error
    if case.get("export"):
        from derive.documents.export import export

        for form in ("tex", "md"):
            document = export(problem, verdicts, form)
            raw = re.search(r"(?<!\\)\\(immediate|write18|input\{)", document)
            assert raw is None, f"{raw[0]} reaches the {form} export raw"


# -- the command line -----------------------------------------------------------------------------

def _capped() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                          timeout=GUARD, cwd=ROOT, preexec_fn=_capped,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})


_EXIT = {"holds": 0, "fails": 1, "undecided": 3}  # docs/cli.md: 0 holds, 1 refuted, 2 trouble, 3 undecided


def _cli_cases() -> list:
    cases = []
    for name, kind in (("claims.toml", "claim"), ("latex.toml", "latex"), ("problems.toml", "file")):
        cases += [pytest.param(kind, case, id=f"{kind}-{case['id']}", marks=_marks(case))
                  for case in _corpus(name)["case"] if case.get("cli")]
    return cases


@pytest.mark.parametrize("kind, case", _cli_cases())
def test_cli(kind, case):
    if kind == "file":
        result = _run("check", str(HOSTILE / case["file"]), "--budget", "3")
    else:
        text = _text(case, kind)
        problem = case.get("problem", "v")
        where = _adhoc(problem) if problem in _corpus("claims.toml").get("problems", {}) else [problem]
        latex = ["--latex"] if kind == "latex" else []
        result = _run("verify", *latex, *where, text, *case.get("cli_args", []))
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    expected = 2 if "error" in case else _EXIT[case["verdict"]] if "verdict" in case else 0
    if kind == "file" and "claims" in case:
        expected = case.get("exit", 0)  # 0 when every claim is as its file expects
    assert result.returncode == expected, output
    if "error" in case:
        line = _cli_error_line(result)
        assert case["error"] in line, f"{case['error']!r} is not in {line!r}"


def _adhoc(key: str) -> list[str]:
    """``--var`` options for a problem of claims.toml's [problems] table (variables only)."""
    table = _corpus("claims.toml")["problems"][key]
    return [f"--var={name}={shape}" for name, shape in table["variables"].items()]


def _cli_error_line(result: subprocess.CompletedProcess) -> str:
    """The one line of derive's error: on stderr (``derive: ...``, with the text and a caret for a
    syntax error) for what cannot be read, or the line under ``! error`` for a claim that cannot
    be checked."""
    stderr = [line for line in result.stderr.splitlines() if line.strip()]
    if stderr:
        assert stderr[0].startswith("derive: "), result.stderr
        assert len(stderr) == 1 or (len(stderr) == 3 and stderr[2].strip() == "^"), result.stderr
        assert all(line.isprintable() for line in stderr), result.stderr
        return stderr[0]
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines and lines[0].startswith("! error"), result.stdout
    error_lines = [line for line in lines[1:] if not re.match(r"\s+(evidence|link)", line)]
    assert len(error_lines) == 1, result.stdout
    return error_lines[0].strip()
