"""Section 2: the exact oracle's cost as sizes grow.

One size assignment per row and the exact oracle only (``CheckOptions(exact_sizes=[sizes],
numeric=False)``), so the time is SymPy's: building the model (every entry a symbol, the
definitions evaluated), differentiating, evaluating the claim, then either a witness (a point
where the sides differ) or a zero test (expand / rational). Every claim is measured cold — a
fresh ``ProblemChecker`` and an emptied SymPy cache — so rows do not borrow work from each other;
"build" is the model's construction (shared by all claims of a problem in real use), "check" is
``ProblemChecker.check`` on the built model, and "cold" is their sum: one claim from scratch.

Sizes grow until one size's claims together take more than ``skip_after`` seconds; larger sizes
are then reported as skipped. The exact budget per link is raised to ``budget`` (default 60 s)
so that a slow check is timed rather than cut off at derive's default 20 s.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from bench_problems import LINEAR, SOFTMAX, TWO_LAYER, BenchClaim, BenchProblem
from sympy.core.cache import clear_cache
from tables import code, markdown_table, seconds

from derive.budget import deadline
from derive.errors import BudgetExceeded
from derive.verdict.check import CheckOptions, ProblemChecker

# (problem, sizes the brief asks for, extra sizes beyond the brief, target (n, seconds) or None)
PLANS = {
    "full": [
        (LINEAR, [2, 4, 8, 16], [24, 32], (16, 1.0)),
        (TWO_LAYER, [2, 3, 4, 6, 8, 12], [16, 24], (8, 2.0)),
        (SOFTMAX, [2, 3, 4, 6, 8], [12, 16], None),
    ],
    "quick": [
        (LINEAR, [2, 4, 8], [], None),
        (TWO_LAYER, [2, 3, 4], [], None),
        (SOFTMAX, [2, 3, 4], [], None),
    ],
}


@dataclass
class Row:
    n: int
    sizes: dict
    claim: BenchClaim
    extra: bool  # a size beyond the brief's list
    verdict: str = ""
    methods: str = ""
    build: float | None = None
    check: float | None = None
    note: str = ""

    @property
    def cold(self) -> float | None:
        if self.build is None or self.check is None:
            return None
        return self.build + self.check


def time_claim(bench: BenchProblem, n: int, claim: BenchClaim, budget: float, extra: bool) -> Row:
    """One claim at one size, from a cold start; the model build is under the same budget."""
    row = Row(n=n, sizes=bench.sizes(n), claim=claim, extra=extra)
    clear_cache()
    checker = ProblemChecker(bench.problem(),
                             CheckOptions(exact_sizes=[row.sizes], numeric=False, exact_budget=budget))
    start = time.perf_counter()
    try:
        with deadline(budget, "building the exact model"):
            checker.exact_model(row.sizes)
    except BudgetExceeded:
        row.verdict, row.note = "—", f"model build exceeded {budget:g} s"
        return row
    row.build = time.perf_counter() - start
    start = time.perf_counter()
    verdict = checker.check(claim.text)
    row.check = time.perf_counter() - start
    row.verdict = verdict.verdict
    row.methods = ", ".join(e.method or e.outcome for link in verdict.links for e in link.exact)
    if verdict.error:
        row.note = verdict.error
    else:
        row.note = "; ".join(e.detail for link in verdict.links for e in link.exact if e.detail)
    return row


def measure_problem(bench: BenchProblem, sizes: list[int], extra: list[int], budget: float,
                    skip_after: float, log=print) -> tuple[list[Row], list[int]]:
    """Rows for every size (ascending) until one size takes more than ``skip_after`` s; the skipped sizes."""
    rows: list[Row] = []
    plan = [(n, False) for n in sizes] + [(n, True) for n in extra]
    for position, (n, is_extra) in enumerate(plan):
        size_rows = [time_claim(bench, n, claim, budget, is_extra) for claim in bench.claims]
        rows += size_rows
        total = sum(r.cold if r.cold is not None else budget for r in size_rows)
        log(f"  {bench.key} n={n}: {total:.2f} s for {len(size_rows)} claims")
        if total > skip_after:
            return rows, [m for m, _ in plan[position + 1:]]
    return rows, []


def run_exact_scaling(quick: bool, budget: float = 60.0, skip_after: float = 30.0, log=print) -> list[dict]:
    results = []
    for bench, sizes, extra, target in PLANS["quick" if quick else "full"]:
        log(f"exact scaling: {bench.key}")
        rows, skipped = measure_problem(bench, sizes, extra, budget, skip_after, log)
        results.append({"bench": bench, "rows": rows, "skipped": skipped, "target": target})
    return results


def _verdict_cell(row: Row) -> str:
    mark = "✓" if row.verdict == row.claim.expect else "✗ (expected " + row.claim.expect + ")"
    return f"{row.verdict} {mark}"


def _sizes_cell(row: Row) -> str:
    text = ", ".join(f"{k}={v}" for k, v in row.sizes.items())
    return text + (" (beyond brief)" if row.extra else "")


def _target_line(rows: list[Row], target) -> str:
    if target is None:
        return ""
    n, limit = target
    at = [r for r in rows if r.n == n]
    if not at:
        return f"Target (every claim at n = {n} under {limit:g} s cold): not measured."
    worst = max((r.cold if r.cold is not None else float("inf")) for r in at)
    met = "met" if worst < limit else "NOT met"
    return (f"Target — every claim at n = {n} under {limit:g} s, cold (build + check): **{met}** "
            f"(slowest {seconds(worst)} s).")


def summary_markdown(results: list[dict]) -> str:
    """One line per problem and size: the slowest right and the slowest wrong claim, cold."""
    table = []
    for result in results:
        bench = result["bench"]
        by_n: dict[int, list[Row]] = {}
        for row in result["rows"]:
            by_n.setdefault(row.n, []).append(row)
        for rows in by_n.values():
            right = [r.cold for r in rows if r.claim.expect == "holds" and r.cold is not None]
            wrong = [r.cold for r in rows if r.claim.expect == "fails" and r.cold is not None]
            ok = all(r.verdict == r.claim.expect for r in rows)
            table.append([bench.key, _sizes_cell(rows[0]), seconds(rows[0].build),
                          seconds(max(right)) if right else "—", seconds(max(wrong)) if wrong else "—",
                          "all as expected" if ok else "MISMATCH"])
        for n in result["skipped"]:
            table.append([bench.key, f"n={n}", "skipped", "skipped", "skipped", "—"])
    return markdown_table(["problem", "sizes", "build s", "slowest right claim, cold s",
                           "slowest wrong claim, cold s", "verdicts"], table)


def growth_markdown(results: list[dict]) -> str:
    """How the slowest right claim's cold time grows with the size n: the least-squares slope of
    log(seconds) on log(n) over the largest three sizes measured (time ∝ n^slope there)."""
    table = []
    for result in results:
        points = {}
        for row in result["rows"]:
            if row.claim.expect == "holds" and row.cold is not None:
                points[row.n] = max(points.get(row.n, 0.0), row.cold)
        largest = sorted(points)[-3:]
        if len(largest) < 2:
            continue
        xs = [math.log(n) for n in largest]
        ys = [math.log(max(points[n], 1e-6)) for n in largest]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        sizes = ", ".join(f"n={n}: {seconds(points[n])} s" for n in largest)
        table.append([result["bench"].key, sizes, f"{slope:.2f}"])
    return markdown_table(["problem", "slowest right claim, cold, at the largest sizes", "exponent"], table)


def problem_markdown(result: dict) -> str:
    """The full table of one problem: every size and claim, with verdict and exact method."""
    bench: BenchProblem = result["bench"]
    rows: list[Row] = result["rows"]
    body = [[_sizes_cell(r), r.claim.label, _verdict_cell(r), r.methods or "—", seconds(r.build),
             seconds(r.check), seconds(r.cold), r.note] for r in rows]
    body += [[f"n={n}", "all", "skipped", "—", "—", "—", "—", "a smaller size took over the cap"]
             for n in result["skipped"]]
    headers = ["sizes", "claim", "verdict", "exact method", "build s", "check s", "cold s", "note"]
    if not any(row[-1] for row in body):  # no notes: drop the empty column
        headers, body = headers[:-1], [row[:-1] for row in body]
    claims = "\n".join(f"- {c.label}: {code(c.text)}" for c in bench.claims)
    parts = [f"#### {bench.title}", "", markdown_table(headers, body)]
    target = _target_line(rows, result["target"])
    if target:
        parts += ["", target]
    parts += ["", "Claims:", "", claims]
    return "\n".join(parts)
