"""Section 1: the whole catalog, cold.

``derive check --json`` over every file of problems/ runs in a fresh subprocess, so its wall time
includes interpreter start-up, imports (SymPy, NumPy, Lark) and grammar loading — what a user
waits for (the text output differs only in formatting). The JSON report gives each claim's own
"seconds", from which the slowest claims and problems are listed. A ``derive --version`` run
measures start-up alone, for comparison.

The run is capped (``timeout``). If the whole catalog does not finish in time, each problem is
run on its own, with its own cap, so that the report still names the slow problems and claims.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tables import code, markdown_table, seconds


@dataclass
class Run:
    """One fresh ``derive`` process: its wall time, exit code, and parsed --json report (if any)."""

    argv: list[str]
    wall: float
    exit_code: int | None  # None: killed at the cap
    report: dict | None = None
    error: str = ""


@dataclass
class CatalogResult:
    files: list[Path]
    startup: Run
    whole: Run
    per_problem: list[Run] = field(default_factory=list)  # only when the whole run hit its cap
    claims: list[dict] = field(default_factory=list)  # {"problem", "claim", "verdict", "seconds", "matches"}
    timeout: float = 0.0
    problem_timeout: float = 0.0


def derive_command() -> list[str]:
    """The installed ``derive`` script next to this interpreter (no pyenv shim), else ``python -m cli``."""
    beside = Path(sys.executable).with_name("derive")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("derive")
    return [found] if found else [sys.executable, "-m", "cli"]


def run_derive(args: list[str], cwd: Path, timeout: float) -> Run:
    """Run derive in a fresh process, timing it; parse stdout as JSON when --json is given."""
    argv = derive_command() + args
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Run(argv, time.perf_counter() - start, None, error=f"killed after {timeout:g} s")
    run = Run(argv, time.perf_counter() - start, done.returncode)
    if "--json" in args:
        try:
            run.report = json.loads(done.stdout)
        except json.JSONDecodeError:
            last = (done.stderr.strip().splitlines() or ["nothing on stderr"])[-1]
            run.error = f"no JSON on stdout, exit {done.returncode}, last stderr line: {last}"
    return run


def _claims_of(report: dict) -> list[dict]:
    return [{"problem": p["id"], "claim": c["claim"], "verdict": c["verdict"], "seconds": c["seconds"],
             "matches": c["matches_expectation"], "error": c.get("error")}
            for p in report["problems"] for c in p["claims"]]


def measure_catalog(root: Path, timeout: float = 600.0, problem_timeout: float = 180.0, log=print) -> CatalogResult:
    """Time the whole catalog in one fresh process; per problem if that does not finish in time."""
    files = sorted((root / "problems").glob("*.toml"))
    startup = run_derive(["--version"], root, 60)
    log(f"catalog: derive check --json over {len(files)} problem files (cap {timeout:g} s)")
    whole = run_derive(["check", "--json", "--no-cache", *map(str, files)], root, timeout)
    if whole.exit_code is not None and whole.exit_code < 0:  # a signal from outside, not our cap: retry once
        log(f"catalog: derive was killed by signal {-whole.exit_code} from outside; retrying once")
        whole = run_derive(["check", "--json", "--no-cache", *map(str, files)], root, timeout)
        whole.error = whole.error or "retried once: the first run was killed by a signal from outside"
    result = CatalogResult(files, startup, whole, timeout=timeout, problem_timeout=problem_timeout)
    if whole.report is not None:
        result.claims = _claims_of(whole.report)
        return result
    log(f"catalog: the whole run gave no report ({whole.error}); running each problem alone")
    for path in files:
        run = run_derive(["check", "--json", "--no-cache", str(path)], root, problem_timeout)
        log(f"  {path.stem}: {run.wall:.1f} s" + (f" ({run.error})" if run.error else ""))
        result.per_problem.append(run)
        if run.report is not None:
            result.claims += _claims_of(run.report)
    return result


def _problem_rows(result: CatalogResult, top: int) -> list[list]:
    """The slowest problems: sum of their claims' seconds, and any that never finished."""
    totals: dict[str, list] = {}
    for claim in result.claims:
        entry = totals.setdefault(claim["problem"], [0.0, 0, 0])
        entry[0] += claim["seconds"]
        entry[1] += 1
        entry[2] += 0 if claim["matches"] else 1
    rows = [[pid, n, seconds(s), bad] for pid, (s, n, bad) in sorted(totals.items(), key=lambda kv: -kv[1][0])]
    unfinished = [[Path(r.argv[-1]).stem, "?", f"> {result.problem_timeout:g} (killed)", "?"]
                  for r in result.per_problem if r.report is None]
    return (unfinished + rows)[:top + len(unfinished)]


def catalog_markdown(result: CatalogResult, slowest: int = 5) -> str:
    """The catalog's wall time, then its slowest claims and problems."""
    whole = result.whole
    n_claims = len(result.claims) if whole.report is not None else "?"
    exit_text = str(whole.exit_code) if whole.exit_code is not None else "killed at the cap"
    if whole.report is not None:
        wall = seconds(whole.wall)
    elif whole.exit_code is None:
        wall = f"> {result.timeout:g}"
    else:
        wall = f"{seconds(whole.wall)} (no report)"
    rows = [[code("derive --version") + " (start-up only)", "—", "—", seconds(result.startup.wall), "0"],
            [code("derive check --json --no-cache problems/*.toml"), len(result.files), n_claims, wall, exit_text]]
    if result.per_problem:
        finished = [r for r in result.per_problem if r.report is not None]
        rows.append([f"each problem in its own process (cap {result.problem_timeout:g} s each)",
                     len(result.per_problem), len(result.claims),
                     seconds(sum(r.wall for r in result.per_problem)),
                     f"{len(result.per_problem) - len(finished)} killed"])
    parts = [markdown_table(["command (fresh process)", "problems", "claims", "wall s", "exit"], rows)]
    if whole.error:
        parts += ["", f"Whole-catalog run: {whole.error}."]
    not_expected = [c for c in result.claims if not c["matches"]]
    errors = [c for c in result.claims if c["verdict"] == "error"]
    if not_expected:
        parts += ["", f"{len(not_expected)} of {len(result.claims)} verdicts differ from the catalog's "
                      f"expectations (exit code 1){f', {len(errors)} of them errors' if errors else ''}."]
    if not result.claims:
        parts += ["", f"No per-claim report: {whole.error}"]
        return "\n".join(parts)
    top = sorted(result.claims, key=lambda c: c["seconds"], reverse=True)[:slowest]
    in_claims = sum(c["seconds"] for c in result.claims)
    parts += ["", f"Slowest {len(top)} claims (their own \"seconds\" from `--json`; all claims together: "
                  f"{seconds(in_claims)} s):", "",
              markdown_table(["problem", "claim", "verdict", "s"],
                             [[c["problem"], code(c["claim"]), c["verdict"], seconds(c["seconds"])] for c in top]),
              "", f"Slowest {slowest} problems (sum of their claims' seconds):", "",
              markdown_table(["problem", "claims", "s", "not as expected"], _problem_rows(result, slowest))]
    return "\n".join(parts)
