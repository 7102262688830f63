"""Issue 14's goals, each measured against a reference run in the same benchmark:
`python bench/speed.py [--quick] [--publish] [--sections NAME ...]`.

References, measured first in fresh processes: the naive SymPy check of the issue (∂/∂W of
Gᵀ(W x) for a 16×16 W of symbols, one ``diff`` and one ``simplify`` per entry; median of 3) and
the import floor (``python -c "import sympy, numpy"``; median of 5). Sections:

* ``catalog``: ``cli.py check --json --no-cache --jobs 1`` and ``--jobs 2`` over problems/, cold, each
  the median of 3 runs (1 with ``--quick``), as the reference is the median of 3 —
  wall time against the naive reference, the speed-up of 2 jobs, the largest process's peak RSS,
  diagnosis seconds (p50 / p95 / max) and each stage's share, and the verdict digest, compared
  claim by claim with the committed bench/verdicts.json (a difference makes the exit code 1);
* ``startup``: ``--help``, ``--version``, ``list`` (and whether they import SymPy or NumPy) and
  ``verify`` of one linear-layer claim, against the import floor;
* ``cache``: check one problem cold, rerun unchanged, rerun after one claim is edited;
* ``grading``: bench/grading.py's class with every wrong answer distinct, ``--jobs 2``;
* ``profile``: cProfile of the catalog check (``--jobs 1``), top 40 functions by cumulative and
  by own time.

The goal table goes to stdout and bench/results/speed-latest.md (the digest and the profile to
bench/results/ too); each run compares its ratios with the committed bench/speed.json and names
every ratio that got worse by more than 15 %. ``--publish`` (a full run only) writes the committed
copies: bench/SPEED.md, bench/speed.json, bench/verdicts.json, bench/PROFILE.md. Progress goes to
stderr.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import speed_runs as runs  # noqa: E402
import speed_verdicts as verdicts  # noqa: E402
from run import log, pin_blas_threads  # noqa: E402
from speed_report import Goal, changes, goal_table, profile_section, secs, verdict_section  # noqa: E402
from tables import code, load_text, machine_header, markdown_table, seconds  # noqa: E402

SECTIONS = ("catalog", "startup", "cache", "grading", "profile")
RESULTS = BENCH / "results"
COMMITTED = {"figures": BENCH / "speed.json", "table": BENCH / "SPEED.md", "verdicts": BENCH / "verdicts.json",
             "profile": BENCH / "PROFILE.md"}
REFERENCE = "naive SymPy"
FLOOR = "import floor"


def catalog_section(refs: dict, timeout: float, out: dict, repeats: int) -> tuple[list[Goal], list[str]]:
    """Both catalog runs (each the median of ``repeats``); their goals, details, and (in ``out``) the
    jobs-1 digest and differences."""
    no_cache = runs.has_flag("check", "--no-cache")
    one, two = (runs.catalog(jobs, no_cache, timeout, log, repeats) for jobs in (1, 2))
    reports = {}
    for jobs, done in ((1, one), (2, two)):
        try:
            reports[jobs] = json.loads(done.stdout)
        except json.JSONDecodeError:
            reports[jobs] = None
    naive, floor_rss = refs["naive"], refs["floor_rss"]
    command = "`check --json --jobs {}" + (" --no-cache" if no_cache else "") + "`"
    goals = [Goal("catalog_jobs2", f"whole catalog, {command.format(2)} (the default on 2 cores), cold",
                  two.wall if reports[2] else None, "s", naive, REFERENCE, "≤ 6×", limit=6.0),
             Goal("catalog_jobs1", f"whole catalog, {command.format(1)}, cold", one.wall if reports[1] else None,
                  "s", naive, REFERENCE, "—"),
             Goal("jobs_speedup", "`--jobs 2` speed-up over `--jobs 1` (wall of jobs 1 / wall of jobs 2)",
                  one.wall / two.wall if reports[1] and reports[2] else None, "×", None, "", "≥ 1.8×",
                  floor=1.8, better="higher", shown=f"jobs 1 {secs(one.wall)} / jobs 2 {secs(two.wall)}"),
             Goal("memory_jobs1", "peak RSS, largest process, catalog `--jobs 1`", one.peak_mib, "MiB",
                  floor_rss, FLOOR, "≤ 215 MiB", limit_absolute=215),
             Goal("memory_jobs2", "peak RSS, largest process, catalog `--jobs 2`", two.peak_mib, "MiB",
                  floor_rss, FLOOR, "≤ 215 MiB", limit_absolute=215)]
    details = ["### Catalog", "",
               f"`--no-cache` {'passed' if no_cache else 'not passed: derive has no such flag yet'}; each run "
               "with a fresh, empty `DERIVE_CACHE_DIR`."]
    for jobs, done in ((1, one), (2, two)):
        report = reports[jobs]
        if report is None:
            last = (done.stderr.strip().splitlines() or ["nothing on stderr"])[-1]
            details.append(f"- `--jobs {jobs}`: no JSON report ({done.error or f'exit {done.exit_code}'}; {last}).")
            continue
        claims = sum(len(p["claims"]) for p in report["problems"])
        cached = sum(1 for p in report["problems"] for c in p["claims"] if c.get("cached"))
        walls = ", ".join(secs(wall) for wall in done.walls)
        details.append(f"- `--jobs {jobs}`: {len(report['problems'])} problems, {claims} claims, "
                       f"{secs(done.wall)} wall (median of {len(done.walls)} runs: {walls}; peak RSS the "
                       f"largest of them), exit {done.exit_code}, every verdict as expected: "
                       f"{'yes' if report.get('all_match') else 'no'}"
                       + (f"; **{cached} claims came from the cache: not a cold run**." if cached else "."))
    report = reports[1] or reports[2]
    if report is None:
        out["digest"] = None
        return goals, details
    diagnosis = verdicts.diagnosis_times(report)
    if diagnosis:
        goals += [Goal("diagnosis_p95", f"diagnosis of a failing claim, p95 over {diagnosis['links']} links",
                       diagnosis["p95"], "s", naive, REFERENCE, "< 0.3 s", limit_absolute=0.3, strict=True),
                  Goal("diagnosis_max", "diagnosis of a failing claim, max", diagnosis["max"], "s", naive,
                       REFERENCE, "< 1 s", limit_absolute=1.0, strict=True)]
        details += ["", f"Diagnosis seconds (`timings.diagnosis` of the {'jobs-1' if reports[1] else 'jobs-2'} "
                        f"run): p50 {secs(diagnosis['p50'])}, p95 {secs(diagnosis['p95'])}, max "
                        f"{secs(diagnosis['max'])} — {diagnosis['max_problem']}: {code(diagnosis['max_claim'])}."]
    else:
        details += ["", "Diagnosis: the report has no per-stage `timings`."]
    shares = verdicts.stage_shares(report)
    if shares and shares["claims"] > 0:
        total = shares.pop("claims")
        rows = [[stage, secs(value), f"{value / total:.0%}"] for stage, value in shares.items()]
        rows.append(["other (parsing, shapes, models)", secs(total - sum(shares.values())),
                     f"{1 - sum(shares.values()) / total:.0%}"])
        details += ["", f"Where the claims' time goes ({secs(total)} of claim time in all):", "",
                    markdown_table(["stage", "time", "share"], rows)]
    out["digest"] = verdicts.digest(report)
    if reports[1] and reports[2]:
        between = verdicts.differences(verdicts.digest(reports[1]), verdicts.digest(reports[2]))
        details += ["", f"Verdict digests of `--jobs 1` and `--jobs 2`: "
                        f"{'identical' if not between else f'{len(between)} differences'}."]
    return goals, details


def startup_section(refs: dict, repeats: int) -> tuple[list[Goal], list[str]]:
    floor = refs["floor"]
    found = runs.startup(repeats, log)
    goals, details = [], ["### Start-up", ""]
    for name, label in (("help", "--help"), ("version", "--version"), ("list", "list")):
        result = found[name]
        heavy = result["heavy"]
        goals.append(Goal(f"startup_{name}", f"`derive {label}` ({', '.join(heavy) or 'no SymPy, no NumPy'})",
                          result["wall"] if result["exit"] == 0 else None, "s", floor, FLOOR,
                          "< 0.3 s, no SymPy or NumPy", limit_absolute=0.3, strict=True,
                          extra_ok="sympy" not in heavy and "numpy" not in heavy))
        details.append(f"- `cli.py {label}`: exit {result['exit']}, imports "
                       f"{', '.join(heavy) or 'none of SymPy, NumPy, mpmath, SymEngine'} (`-X importtime`).")
    result = runs.verify(repeats, log)
    claim = f"{runs.VERIFY_CLAIM[0]} '{runs.VERIFY_CLAIM[1]}'"
    goals.append(Goal("verify", f"`derive verify {runs.VERIFY_CLAIM[0]} '{runs.VERIFY_CLAIM[1]}'`",
                      result["wall"] if result["exit"] == 0 else None, "s", floor, FLOOR, "≤ 1.15×", limit=1.15))
    details.append(f"- `cli.py verify {claim}`: exit {result['exit']}, runs "
                   f"{', '.join(seconds(w) for w in result['runs'])} s.")
    return goals, details


def cache_section(refs: dict) -> tuple[list[Goal], list[str]]:
    result = runs.cache_loop(log)
    if result is None:
        return ([Goal("cache", "edit–check loop (verdict cache)", None, "s", None, "", "≈ 1 s",
                      note="cache: not available (derive check has no --no-cache yet)", skipped=True)],
                ["### Cache", "", "cache: not available — `derive check --help` does not mention `--no-cache`."])
    cold = result["cold"]
    details = ["### Cache", "", f"A copy of problems/{result['problem']}.toml checked with one fresh "
               f"`DERIVE_CACHE_DIR`: cold, rerun unchanged, then rerun after {code(result['claim'])} was edited "
               f"to end in ` + 0`."]
    goals = []
    digests = {}
    for stage in ("cold", "warm", "edited"):
        done = result.get(stage)
        if done is None:
            details.append(f"- {stage}: not run (the claim could not be edited in the file's text).")
            continue
        try:
            digests[stage] = verdicts.digest(json.loads(done.stdout))
        except json.JSONDecodeError:
            digests[stage] = None
        details.append(f"- {stage}: {secs(done.wall)}, exit {done.exit_code}.")
        target = {"cold": "—", "warm": "—", "edited": "≈ 1 s (≤ 1.2 s)"}[stage]
        # the cold run against the naive SymPy check, the reruns against the cold run
        reference, label = (refs["naive"], REFERENCE) if stage == "cold" else (cold.wall, "cold run")
        what = {"cold": "checked with an empty cache", "warm": "rerun unchanged",
                "edited": "rerun after one claim's edit (the edit–check loop)"}[stage]
        goals.append(Goal(f"cache_{stage}", f"`check` of {result['problem']}, {what}",
                          done.wall if done.exit_code is not None else None, "s", reference, label, target,
                          limit_absolute=1.2 if stage == "edited" else None))
    if digests.get("cold") and digests.get("warm"):
        same = verdicts.differences(digests["cold"], digests["warm"])
        details.append(f"- warm verdicts against cold: {'identical' if not same else f'{len(same)} differences'}.")
    if digests.get("cold") and digests.get("edited"):
        changed = verdicts.differences(digests["cold"], digests["edited"])
        others = [d for d in changed if result["claim"] not in d[1]]
        details.append(f"- after the edit, other claims' verdicts against cold: "
                       f"{'identical' if not others else f'{len(others)} differences'}.")
    return goals, details


def grading_section(refs: dict) -> tuple[list[Goal], list[str]]:
    """bench/grading.py's 200 × 5 class with every wrong answer distinct, ``--jobs 2``."""
    import tempfile

    import grading

    from tests import synthetic_class as sc

    klass = grading.distinct(sc.make_class(200, seed=1))
    answers = sum(len(a) for a in klass.values())
    unique = len({(q, a) for student in klass.values() for q, a in student.items()})
    extra = ["--no-cache"] if runs.has_flag("grade", "--no-cache") else []
    log(f"grading: {answers} answers, {unique} distinct, --jobs 2")
    with tempfile.TemporaryDirectory() as folder, runs.fresh_cache() as cache:
        assignment, submissions = sc.write(Path(folder), klass)
        saved = {name: os.environ.get(name) for name in ("DERIVE_CACHE_DIR", "XDG_CACHE_HOME")}
        os.environ.update(dict.fromkeys(saved, cache))  # grading.measure runs with this process's environment
        try:
            result = grading.measure(grading.grade_command(assignment, submissions, Path(folder) / "out", 2) + extra)
            error = ""
        except SystemExit as failure:
            result, error = None, str(failure).splitlines()[0]
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    goal = Goal("grading_distinct", f"grading, 200 × 5, every wrong answer distinct ({answers:,} answers, "
                f"{unique} distinct), `--jobs 2`", result["seconds"] if result else None, "s", refs["naive"],
                REFERENCE, "< 10 s", limit_absolute=10.0, strict=True, note=error)
    details = ["### Grading", "", f"bench/grading.py's class (tests/synthetic_class.py, every wrong answer "
               f"rescaled by its own factor): {answers} answers, {unique} distinct" +
               (f"; peak MiB, largest process / main / all PSS: {grading.mib(result)}." if result else f": {error}.")]
    return [goal], details


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="The references are measured in every run, whatever the sections.")
    parser.add_argument("--quick", action="store_true", help="skip the profile and grading, fewer repeats")
    parser.add_argument("--publish", action="store_true",
                        help="write the committed copies (bench/SPEED.md, speed.json, verdicts.json, PROFILE.md)")
    parser.add_argument("--accept-verdicts", action="store_true",
                        help="with --publish, write bench/verdicts.json even though verdicts changed")
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--catalog-timeout", type=float, default=900.0, help="cap on each catalog run, seconds")
    parser.add_argument("--blas-threads", type=int, default=1, help="BLAS threads (0: library default)")
    args = parser.parse_args(argv)
    sections = [s for s in args.sections if not (args.quick and s in ("profile", "grading"))]
    if args.publish and (args.quick or set(sections) != set(SECTIONS)):
        parser.error("--publish needs the full run (every section, no --quick): the committed figures come "
                     "from one run")
    pin_blas_threads(args.blas_threads)
    start, load_start = time.perf_counter(), load_text("load average at the start")
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    header = machine_header(ROOT, args.quick, "bench/speed.py")
    repeats = 3 if args.quick else 5
    refs = runs.references(1 if args.quick else 3, repeats, log)
    goals, details, out = [], [], {}
    if "catalog" in sections:
        found = catalog_section(refs, args.catalog_timeout, out, 1 if args.quick else 3)
        goals, details = goals + found[0], details + ["", *found[1]]
    for name, section in (("startup", lambda: startup_section(refs, repeats)), ("cache", lambda: cache_section(refs)),
                          ("grading", lambda: grading_section(refs))):
        if name in sections:
            found = section()
            goals, details = goals + found[0], details + ["", *found[1]]
    exit_code, verdict_lines = verdict_section(out, args, goals, COMMITTED["verdicts"], RESULTS)
    profile_lines = profile_section(args, sections, COMMITTED["profile"], RESULTS, header, log)
    committed = verdicts.load(COMMITTED["figures"])
    figures = {g.id: g.figure() for g in goals}
    change_lines = changes(committed, figures)
    wall = time.perf_counter() - start
    naive_note = (f"median of {len(refs['naive_runs'])} fresh processes, start-up and import included "
                  f"(runs {', '.join(seconds(w) for w in refs['naive_runs'])} s; the check alone, after its "
                  f"imports: {secs(refs['naive_compute'])})")
    if not refs["naive"]:
        naive_note = f"failed: {refs['naive_error']}"
    report = "\n".join([
        "# derive speed (issue 14)", "", header, "",
        f"References, same run: **naive SymPy** {secs(refs['naive'])} — {naive_note}; **import floor** "
        f"(`python -c \"import sympy, numpy\"`) {secs(refs['floor'])}, median of {len(refs['floor_runs'])}, "
        f"peak RSS {refs['floor_rss'] or 0:.0f} MiB.", "",
        goal_table(goals), "", "## Against the committed figures (bench/speed.json)", "", *change_lines, "",
        *verdict_lines, "", "## Details", *details, "", *profile_lines,
        f"_Benchmark wall time: {wall:.0f} s; {load_start}, {load_text('load average at the end')}._", ""])
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "speed-latest.md").write_text(report, encoding="utf-8")
    stamp = {"measured": when, "header": header,
             "references": {k: refs[k] for k in ("naive", "naive_compute", "floor", "floor_rss")}, "figures": figures}
    (RESULTS / "speed-latest.json").write_text(json.dumps(stamp, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.publish:
        COMMITTED["table"].write_text(report, encoding="utf-8")
        COMMITTED["figures"].write_text(json.dumps(stamp, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        log(f"wrote {COMMITTED['table']} and {COMMITTED['figures']}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
