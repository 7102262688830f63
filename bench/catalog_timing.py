"""Section 1: the whole catalog, cold.

``derive check`` over every file of problems/ runs in a fresh subprocess, so the time includes
interpreter start-up, imports (SymPy, NumPy, Lark) and grammar loading — what a user waits for.
A second fresh run with ``--json`` gives each claim's own "seconds", from which the slowest
claims are listed. A ``derive --version`` run measures start-up alone, for comparison.
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
class CatalogResult:
    files: list[Path]
    startup_seconds: float
    wall_seconds: float
    exit_code: int
    summary: str
    json_wall_seconds: float
    json_exit_code: int
    claims: list[dict] = field(default_factory=list)  # {"problem", "claim", "verdict", "seconds", "matches"}
    error: str = ""


def derive_command() -> list[str]:
    """The installed ``derive`` script next to this interpreter (no pyenv shim), else ``python -m cli``."""
    beside = Path(sys.executable).with_name("derive")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("derive")
    return [found] if found else [sys.executable, "-m", "cli"]


def _timed_run(argv: list[str], cwd: Path, timeout: float) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return time.perf_counter() - start, done


def measure_catalog(root: Path, timeout: float = 600.0) -> CatalogResult:
    """Time ``derive check`` (text, then --json) over problems/*.toml, each in a fresh process."""
    files = sorted((root / "problems").glob("*.toml"))
    command = derive_command()
    startup, _ = _timed_run(command + ["--version"], root, timeout)
    wall, text_run = _timed_run(command + ["check", *map(str, files)], root, timeout)
    summary = next((line for line in reversed(text_run.stdout.splitlines()) if line.strip()), "")
    json_wall, json_run = _timed_run(command + ["check", "--json", *map(str, files)], root, timeout)
    result = CatalogResult(files=files, startup_seconds=startup, wall_seconds=wall,
                           exit_code=text_run.returncode, summary=summary, json_wall_seconds=json_wall,
                           json_exit_code=json_run.returncode)
    try:
        report = json.loads(json_run.stdout)
    except json.JSONDecodeError:
        result.error = (json_run.stderr.strip().splitlines() or ["no JSON on stdout"])[-1]
        return result
    for problem in report["problems"]:
        for claim in problem["claims"]:
            result.claims.append({"problem": problem["id"], "claim": claim["claim"], "verdict": claim["verdict"],
                                  "seconds": claim["seconds"], "matches": claim["matches_expectation"]})
    return result


def catalog_markdown(result: CatalogResult, slowest: int = 5) -> str:
    """The catalog's wall times, then its slowest claims."""
    not_expected = [c for c in result.claims if not c["matches"]]
    rows = [
        [code("derive --version") + " (start-up only)", "—", "—", seconds(result.startup_seconds), "0"],
        [code("derive check problems/*.toml"), len(result.files), len(result.claims) or "?",
         seconds(result.wall_seconds), str(result.exit_code)],
        [code("derive check --json problems/*.toml"), len(result.files), len(result.claims) or "?",
         seconds(result.json_wall_seconds), str(result.json_exit_code)],
    ]
    parts = [markdown_table(["command (fresh process)", "problems", "claims", "wall s", "exit"], rows),
             "", f"Summary line: {code(result.summary)}" if result.summary else ""]
    if not_expected:
        parts.append(f"Exit code 1 means some verdicts differ from the catalog's expectations "
                     f"({len(not_expected)}: " + "; ".join(f"{c['problem']}: {code(c['claim'])} → "
                                                          f"{c['verdict']}" for c in not_expected) + ").")
    if result.error:
        parts.append(f"The --json run gave no report: {result.error}")
        return "\n".join(parts)
    top = sorted(result.claims, key=lambda c: c["seconds"], reverse=True)[:slowest]
    in_claims = sum(c["seconds"] for c in result.claims)
    parts += ["", f"Slowest {len(top)} claims (from `--json`; all {len(result.claims)} claims together "
                  f"take {seconds(in_claims)} s of the {seconds(result.json_wall_seconds)} s wall time):", "",
              markdown_table(["problem", "claim", "verdict", "s"],
                             [[c["problem"], code(c["claim"]), c["verdict"], seconds(c["seconds"])] for c in top])]
    return "\n".join(parts)
