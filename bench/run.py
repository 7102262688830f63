"""derive's benchmark: `python bench/run.py [--quick] [--out FILE] [--publish]`.

Three sections, each a markdown table (or a few):
1. the whole catalog, cold — ``derive check`` over problems/ in a fresh process, and its slowest claims;
2. the exact oracle as sizes grow — a linear layer, a two-layer net and a row softmax, right claims and
   wrong twins (a factor 2), with the exact method that decided each;
3. the numeric oracle at d = 512 against central finite differences, and its false-alarm and
   detection rates over many seeds.

The tables go to stdout and to bench/results/latest.md (git-ignored), or to --out FILE;
--publish also writes bench/RESULTS.md, the copy meant to be committed. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

SECTIONS = ("catalog", "exact", "numeric")
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def pin_blas_threads(threads: int) -> None:
    """Limit BLAS threads for this process and the derive processes it starts (0: library default).

    Must run before NumPy is imported. derive's matrices are small, and on a busy 2-core machine a
    two-thread BLAS makes every product wait for a descheduled thread: a forward pass of the
    two-layer net at d = 512 measured 31 ms with 2 threads against 0.46 ms with 1, at load 5.
    Pinning to one thread makes the numbers measure derive rather than the scheduler.
    """
    if threads > 0:
        for name in BLAS_VARIABLES:
            os.environ[name] = str(threads)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def catalog_section(timeout: float) -> str:
    from catalog_timing import catalog_markdown, measure_catalog

    result = measure_catalog(ROOT, timeout=timeout, log=log)
    return "\n".join(["## 1. The whole catalog, cold", "", catalog_markdown(result)])


def exact_section(quick: bool, budget: float, skip_after: float) -> str:
    from exact_scaling import growth_markdown, problem_markdown, run_exact_scaling, summary_markdown

    results = run_exact_scaling(quick, budget=budget, skip_after=skip_after, log=log)
    parts = ["## 2. Exact oracle as sizes grow", "",
             "One size assignment, exact oracle only: `CheckOptions(exact_sizes=[sizes], numeric=False)`. "
             "Each claim is timed cold (fresh checker, SymPy cache cleared): *build* = the exact model, "
             "*check* = `ProblemChecker.check`, *cold* = both. Exact method: `structural` (the two sides "
             "evaluate to identical expressions), `expand` / `rational` (proved "
             "zero) or `witness` (a point where the sides differ). Wrong claims are the right ones ×2. "
             f"Per-link exact budget raised to {budget:g} s; sizes stop once one size's claims together "
             f"take over {skip_after:g} s.", "",
             "Summary:", "", summary_markdown(results), "",
             "Growth with the size (time ∝ n^exponent over the largest three sizes measured; the linear "
             "layer's exact check was 40 s at m = d = 64 before ExactModel.symbols stopped being quadratic "
             "in the number of symbols, issue 12 §3):", "", growth_markdown(results)]
    for result in results:
        parts += ["", problem_markdown(result)]
    return "\n".join(parts)


def numeric_section(quick: bool) -> str:
    from numeric_vs_fd import numeric_markdown, run_numeric

    result = run_numeric(quick, log=log)
    return "\n".join(["## 3. Numeric check at d = 512 vs finite differences", "", numeric_markdown(result)])


def build_report(sections: list[str], quick: bool, budget: float, skip_after: float,
                 catalog_timeout: float) -> str:
    from tables import load_text, machine_header

    start = time.perf_counter()
    parts = ["# derive benchmark", "", machine_header(ROOT, quick), "",
             "The goals of the performance issue (catalog against a naive SymPy check, diagnosis p95, "
             "--jobs speed-up, start-up, the verdict cache, grading, memory), each against a reference "
             "taken in the same run, are in [SPEED.md](SPEED.md) (`python bench/speed.py --publish`), "
             "with the catalog's profile in [PROFILE.md](PROFILE.md)."]
    if "catalog" in sections:
        parts += ["", catalog_section(catalog_timeout)]
    if "exact" in sections:
        parts += ["", exact_section(quick, budget, skip_after)]
    if "numeric" in sections:
        parts += ["", numeric_section(quick)]
    wall = time.perf_counter() - start
    parts += ["", f"_Benchmark wall time: {wall:.0f} s; {load_text('load average at the end')}._", ""]
    return "\n".join(parts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few seeds (about a minute)")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "latest.md",
                        help="markdown file to write (default: bench/results/latest.md)")
    parser.add_argument("--publish", action="store_true", help="also write bench/RESULTS.md (the committed copy)")
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS),
                        help="run only these sections")
    parser.add_argument("--budget", type=float, default=60.0, help="exact budget per link, seconds (section 2)")
    parser.add_argument("--skip-after", type=float, default=30.0,
                        help="stop growing a problem once one size takes longer than this (section 2)")
    parser.add_argument("--catalog-timeout", type=float, default=600.0,
                        help="cap on the whole-catalog run, seconds (section 1)")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="BLAS threads for the benchmark and the derive runs it starts (0: library default)")
    args = parser.parse_args(argv)
    pin_blas_threads(args.blas_threads)
    report = build_report(args.sections, args.quick, args.budget, args.skip_after, args.catalog_timeout)
    print(report)
    targets = [args.out] + ([BENCH / "RESULTS.md"] if args.publish else [])
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(report, encoding="utf-8")
        log(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
