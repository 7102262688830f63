"""The runs behind bench/speed.py: every measurement a fresh process, timed from outside.

Each derive run gets a fresh, empty ``DERIVE_CACHE_DIR`` (and ``--no-cache`` where derive has the
flag), so that it measures a cold check unless a warm one is the point. Memory is the peak
resident set of the largest process of the run: ``ru_maxrss`` of RUSAGE_CHILDREN, read in
bench/grading.py's wrapper that runs only that command.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from grading import WRAPPER

ROOT = Path(__file__).resolve().parent.parent
CLI = str(ROOT / "cli.py")

# The naive SymPy check, verbatim: J = Gᵀ(W x) for a 16×16 W of symbols, one diff per
# entry, simplify of each entry's difference with G xᵀ. It prints the seconds after its imports.
NAIVE_SYMPY = """\
import time
start = time.perf_counter()
import sympy
n = 16
W = sympy.Matrix(n, n, lambda i, j: sympy.Symbol(f"W_{i}_{j}"))
x = sympy.Matrix(n, 1, lambda i, _: sympy.Symbol(f"x_{i}"))
G = sympy.Matrix(n, 1, lambda i, _: sympy.Symbol(f"G_{i}"))
J = (G.T * (W * x))[0, 0]
expected = G * x.T
after_import = time.perf_counter()
assert all(sympy.simplify(sympy.diff(J, W[i, j]) - expected[i, j]) == 0 for i in range(n) for j in range(n))
print(time.perf_counter() - after_import)
"""
IMPORT_FLOOR = "import sympy, numpy"


@dataclass
class Run:
    """One fresh process: wall time, exit code (None: killed at the cap), output, largest peak RSS."""

    argv: list[str]
    wall: float
    exit_code: int | None
    stdout: str
    stderr: str
    peak_mib: float | None = None
    walls: tuple[float, ...] = ()  # of a median run (``catalog``): the wall time of every run it is the median of

    @property
    def error(self) -> str:
        if self.exit_code is None:
            return "killed at the time cap"
        if self.exit_code < 0:
            return f"killed by signal {-self.exit_code}"
        return ""


@contextmanager
def fresh_cache():
    """An empty directory for derive's verdict cache, removed afterwards."""
    folder = tempfile.mkdtemp(prefix="derive-speed-cache-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(argv: list[str], *, cache_dir: str | None = None, rss: bool = False, timeout: float = 900,
        cwd: Path = ROOT) -> Run:
    """Run ``python ARGV`` in a fresh process and time it; with ``rss``, inside the RSS wrapper (its
    own start-up, ~20 ms, then counts in the wall time: used only for runs of seconds)."""
    command = [sys.executable, *argv]
    if rss:
        command = [sys.executable, "-c", WRAPPER, *command]
    env = dict(os.environ)
    # derive as installed: pip compiles its modules to bytecode, which an environment that sets
    # PYTHONDONTWRITEBYTECODE (this sandbox does) would otherwise make every run compile again
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if cache_dir is not None:  # XDG_CACHE_HOME too: the cache's fallback folder, should the variable be ignored
        env["DERIVE_CACHE_DIR"] = env["XDG_CACHE_HOME"] = cache_dir
    start = time.perf_counter()
    # a session of its own, so that a run past its cap is killed with every worker it forked
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
        code = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        code = None
    done = Run(command, time.perf_counter() - start, code, out, err)
    if rss and code is not None:
        last = (err.strip().splitlines() or [""])[-1]
        if last.isdigit():
            done.peak_mib = int(last) / 1024
            done.stderr = err.strip().rsplit("\n", 1)[0] if "\n" in err.strip() else ""
    return done


def median_wall(argv: list[str], repeats: int, **options) -> tuple[float, list[Run]]:
    """The median wall time of ``repeats`` fresh runs (each with a fresh cache), and the runs."""
    runs = []
    for _ in range(repeats):
        with fresh_cache() as folder:
            runs.append(run(argv, cache_dir=folder, **options))
    return statistics.median(r.wall for r in runs), runs


def has_flag(command: str, flag: str) -> bool:
    """Whether ``cli.py COMMAND --help`` mentions ``flag`` (e.g. --no-cache, added while this bench
    was written: the bench passes it only where derive has it)."""
    return flag in run([CLI, command, "--help"], timeout=60).stdout


def imported_heavy(argv: list[str], modules=("sympy", "numpy", "mpmath", "symengine")) -> list[str]:
    """Which of ``modules`` a run of ``python ARGV`` imports, from ``-X importtime`` (whatever way
    the program exits, every import it made is on stderr)."""
    with fresh_cache() as folder:
        done = run(["-X", "importtime", *argv], cache_dir=folder, timeout=120)
    seen = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") >= 2:
            seen.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return [name for name in modules if name in seen]


def references(repeats_reference: int, repeats_floor: int, log) -> dict:
    """The naive SymPy check and the import floor, each the median wall time of fresh processes."""
    log(f"reference: naive SymPy check, {repeats_reference} runs")
    wall, runs = median_wall(["-c", NAIVE_SYMPY], repeats_reference, timeout=300)
    failed = [r for r in runs if r.exit_code != 0]
    compute = [float(r.stdout.strip()) for r in runs if r.exit_code == 0 and r.stdout.strip()]
    log(f"reference: import floor, {repeats_floor} runs")
    floor, floor_runs = median_wall(["-c", IMPORT_FLOOR], repeats_floor, timeout=120)
    floor_rss = run(["-c", IMPORT_FLOOR], rss=True, timeout=120).peak_mib
    return {"naive": None if failed else wall, "naive_runs": [r.wall for r in runs],
            "naive_compute": statistics.median(compute) if compute else None,
            "naive_error": failed[0].stderr.strip()[-300:] if failed else "",
            "floor": floor, "floor_runs": [r.wall for r in floor_runs], "floor_rss": floor_rss}


def catalog(jobs: int, no_cache: bool, timeout: float, log, repeats: int = 1) -> Run:
    """``cli.py check --json [--no-cache] --jobs N problems/*.toml``, cold, in the RSS wrapper,
    ``repeats`` times: the run of median wall time (as the reference is the median of its runs),
    with the wall time of every run and the largest peak RSS of them all."""
    files = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "problems").glob("*.toml"))]
    argv = [CLI, "check", "--json", *(["--no-cache"] if no_cache else []), "--jobs", str(jobs), *files]
    done = []
    for number in range(1, repeats + 1):
        log(f"catalog: check --jobs {jobs} over {len(files)} files, run {number} of {repeats}")
        with fresh_cache() as folder:
            done.append(run(argv, cache_dir=folder, rss=True, timeout=timeout))
        log(f"catalog: --jobs {jobs}: {done[-1].wall:.1f} s, exit {done[-1].exit_code}")
    median = sorted(done, key=lambda r: r.wall)[len(done) // 2]
    median.walls = tuple(r.wall for r in done)
    peaks = [r.peak_mib for r in done if r.peak_mib is not None]
    median.peak_mib = max(peaks) if peaks else None
    return median


def startup(repeats: int, log) -> dict:
    """Wall time of ``--help``, ``--version`` and ``list`` (median of ``repeats``), and what each imports."""
    out = {}
    for name, argv in (("help", ["--help"]), ("version", ["--version"]), ("list", ["list"])):
        log(f"start-up: cli.py {' '.join(argv)}, {repeats} runs")
        wall, runs = median_wall([CLI, *argv], repeats, timeout=120)
        out[name] = {"wall": wall, "exit": runs[0].exit_code, "heavy": imported_heavy([CLI, *argv])}
    return out


# One claim of problems/linear-layer.toml that holds, in the matrix form the issue names.
VERIFY_CLAIM = ("linear-layer", "dJ/dW = dJ/dy @ x.T")


def verify(repeats: int, log) -> dict:
    """``cli.py verify linear-layer CLAIM`` (median of ``repeats``), cold."""
    argv = [CLI, "verify", *(["--no-cache"] if has_flag("verify", "--no-cache") else []), *VERIFY_CLAIM]
    log(f"start-up: cli.py verify {VERIFY_CLAIM[0]} '{VERIFY_CLAIM[1]}', {repeats} runs")
    wall, runs = median_wall(argv, repeats, timeout=120)
    return {"wall": wall, "exit": runs[0].exit_code, "runs": [r.wall for r in runs]}


def _holding_claim(path: Path) -> str | None:
    """The longest claim of a problem file expected to hold (the kind an author edits and reruns)."""
    import tomllib

    claims = tomllib.loads(path.read_text(encoding="utf-8")).get("claims", [])
    holding = [c["claim"] for c in claims if c.get("expect") == "holds" and "=" in c["claim"]]
    return max(holding, key=len) if holding else None


def edit_claim(text: str, claim: str, suffix: str = " + 0") -> str | None:
    """The problem file's text with ``claim`` written as ``claim + 0`` (the same value, a different
    text), or None where the claim is not written as a plain TOML string on one line."""
    import json
    import tomllib

    for quoted in (json.dumps(claim, ensure_ascii=False), f"'{claim}'"):
        line = f"claim = {quoted}"
        if text.count(line) == 1:
            edited = text.replace(line, f"claim = {json.dumps(claim + suffix, ensure_ascii=False)}")
            claims = [c["claim"] for c in tomllib.loads(edited).get("claims", [])]
            return edited if claim + suffix in claims else None
    return None


def cache_loop(log, problem: str = "batch-norm") -> dict | None:
    """An author's edit–check loop on a copy of one problem file, sharing one cache directory:
    ``check`` cold, rerun unchanged (warm), then rerun after one claim's text is edited. None when
    derive has no verdict cache (no ``--no-cache`` flag) yet."""
    if not has_flag("check", "--no-cache"):
        return None
    source = ROOT / "problems" / f"{problem}.toml"
    claim = _holding_claim(source)
    text = source.read_text(encoding="utf-8")
    edited = edit_claim(text, claim) if claim else None
    out: dict = {"problem": problem, "claim": claim, "edited": edited is not None}
    with tempfile.TemporaryDirectory(prefix="derive-speed-edit-") as folder, fresh_cache() as cache:
        path = Path(folder) / source.name
        path.write_text(text, encoding="utf-8")
        argv = [CLI, "check", "--json", str(path)]
        for stage in ("cold", "warm", "edited"):
            if stage == "edited":
                if edited is None:
                    break
                path.write_text(edited, encoding="utf-8")
            log(f"cache: {problem}, {stage}")
            out[stage] = run(argv, cache_dir=cache, timeout=300)
    return out
