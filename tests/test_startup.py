"""Start-up: the commands that only print (``--help``, ``--version``, ``list``) import neither
SymPy nor NumPy, which take most of a second; the commands that check import them when they run.

Each command runs in a fresh interpreter (a test process has imported everything already), and
the test reads ``sys.modules`` after it: what was imported, not how long it took (timings belong
in bench/).
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

import cli
from derive.problem.definition import catalog_paths, load_problem
from derive.problem.files import catalog_summaries

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("sympy", "numpy", "symengine", "mpmath")

# the program leaves by os._exit (cli._leave); a probe turns that into SystemExit, to report after it
LEAVE = """
import os
def _exit(code):
    raise SystemExit(code)
os._exit = _exit
"""

# runs cli.py as `python cli.py ARGS` does, then prints the heavy modules imported, as JSON, on stderr
PROBE = LEAVE + """
import json, runpy, sys
sys.argv = ["cli.py", *ARGV]
try:
    runpy.run_path("cli.py", run_name="__main__")
except SystemExit as exit_:
    code = exit_.code
else:
    code = 0
print(json.dumps({"code": code, "heavy": [m for m in HEAVY if m in sys.modules]}), file=sys.stderr)
"""


def imported_by(*argv: str, modules: tuple[str, ...] = HEAVY) -> dict:
    """The exit code of ``cli.py ARGV`` in a fresh interpreter, and which of ``modules`` (the heavy
    ones unless told) it imported."""
    program = f"ARGV = {list(argv)!r}\nHEAVY = {modules!r}\n" + PROBE
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return json.loads(result.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["list"], ["list", "--json"], ["check", "--help"]],
                         ids=" ".join)
def test_commands_that_only_print_import_neither_sympy_nor_numpy(argv):
    assert imported_by(*argv) == {"code": 0, "heavy": []}


def test_a_command_that_checks_imports_them_when_it_runs():
    found = imported_by("verify", "linear-layer", "dJ/dW = dJ/dy @ x.T")
    assert found["code"] == 0 and {"sympy", "numpy"} <= set(found["heavy"])


def test_verify_of_a_claim_that_holds_imports_only_what_its_check_needs():
    """Read without --latex, the claim needs none of the LaTeX reader; it holds, so none of the
    diagnosis; its sides agree entry by entry, so the zero test never expands and SymEngine stays
    out (``python -X importtime``: SymEngine ~8 ms, the LaTeX reader ~7 ms, the diagnosis ~1 ms)."""
    unneeded = ("derive.language.latex_in", "derive.language.latex_in_rules", "derive.grading",
                "derive.verdict.diagnose", "derive.verdict.conventions", "symengine")
    assert imported_by("verify", "linear-layer", "dJ/dW = dJ/dy @ x.T", modules=unneeded) == {"code": 0, "heavy": []}


# runs ``python cli.py verify ...`` as PROBE does, then prints the collector's state after it
FREEZE_PROBE = LEAVE + """
import gc, json, runpy, sys
sys.argv = ["cli.py", "verify", "linear-layer", "dJ/dW = dJ/dy @ x.T"]
try:
    runpy.run_path("cli.py", run_name="__main__")
except SystemExit as exit_:
    code = exit_.code
print(json.dumps({"code": code, "frozen": gc.get_freeze_count(), "enabled": gc.isenabled()}), file=sys.stderr)
"""


def test_a_command_that_checks_in_its_own_process_freezes_what_it_imported():
    """The program (``cli.run``) freezes the modules a check imports, so that the collector does
    not walk them again, and collects as usual afterwards; ``main`` called inside a caller's
    process (as here) leaves the caller's collector as it was."""
    result = subprocess.run([sys.executable, "-c", FREEZE_PROBE], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    found = json.loads(result.stderr.strip().splitlines()[-1])
    assert found["code"] == 0 and found["enabled"] and found["frozen"] > 10_000
    frozen = gc.get_freeze_count()
    assert cli.main(["verify", "linear-layer", "dJ/dW = dJ/dy @ x.T"]) == 0
    assert gc.get_freeze_count() == frozen and gc.isenabled()


def test_the_listing_read_from_the_files_tables_is_the_built_problems():
    built = [load_problem(path) for path in catalog_paths()]
    listed = catalog_summaries()
    assert [(s.id, s.title, s.source, s.claims) for s in listed] == \
        [(p.id, p.title, p.source, len(p.claims)) for p in built]
