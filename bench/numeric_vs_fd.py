"""Section 3: the numeric oracle at d = 512 against finite differences, and its reliability.

derive checks a gradient claim G = dl/dW1 along random directions V: ⟨G, V⟩ against the
directional derivative by the complex step, one forward pass per direction (two directions), so
its cost is a few forward passes whatever the number of parameters. Checking the same gradient
by central finite differences costs two forward passes per entry of W1 — 2·d² passes of O(d²)
operations each, O(d⁴) in all (seed 003's side note). Both are timed here at d = 512, where W1
has 262,144 entries; the finite-difference run is timed on a random sample of entries and
extrapolated when the full run would exceed ``fd_full_limit`` seconds (the table says so).

The reliability part runs derive's numeric check over many seeds at d = 64: how often the RIGHT
gradient is flagged (false alarms), and how often a wrong claim — the whole gradient doubled, or
only ONE entry of dl/db doubled — is caught.

The numeric check is called directly (``ProblemChecker._numeric_check``, as ``check_link`` does
after the exact oracle), so that no exact work at d = 512 is attempted.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass

import numpy as np
from bench_problems import DB_ONE_ENTRY_WRONG, DB_RIGHT, DW1_ONE_ENTRY_WRONG, DW1_RIGHT, DW1_WRONG, TWO_LAYER
from tables import code, markdown_table, seconds

from derive.language.parser import parse_claim
from derive.oracles.numeric import NumericModel
from derive.verdict.check import NUMERIC_TOLERANCE, CheckOptions, ProblemChecker, orient
from derive.verdict.evidence import UNDECIDED, LinkVerdict

DECISIVE = 1e-6  # check.py: a numeric difference above this makes a link fail without an exact witness


# -- derive's numeric check ------------------------------------------------------------------

@dataclass
class NumericRun:
    seconds: float
    error: float | None
    method: str
    agree: bool | None
    reason: str = ""


def _link(problem, text: str):
    """(reference, claimed, scope) of a one-link claim, oriented as check_link orients it."""
    chain = parse_claim(text)
    scope = problem.check_claim_names(chain)
    (left, right), = chain.links()
    reference, claimed = orient(left, right)
    return reference, claimed, scope


def derive_numeric(problem, text: str, d: int, seed: int) -> NumericRun:
    """derive's numeric oracle alone on one claim at size d (it picks direction or entrywise)."""
    checker = ProblemChecker(problem, CheckOptions(numeric_sizes={"d": d}, seed=seed))
    reference, claimed, scope = _link(problem, text)
    link = LinkVerdict(left="", right="", verdict=UNDECIDED)
    start = time.perf_counter()
    checker._numeric_check(link, reference, claimed, scope, random.Random(seed))  # the sizes are given
    elapsed = time.perf_counter() - start
    if not link.numeric:
        return NumericRun(elapsed, None, "unavailable", None, link.reason)
    evidence = link.numeric[0]
    return NumericRun(elapsed, evidence.error, evidence.method, evidence.agree)


def forced_directional(problem, text: str, d: int, seed: int) -> float:
    """The random-direction comparison on any gradient claim, even one derive checks entrywise.

    Same random stream as ``_numeric_check``: the point, then the directions, from seed + 1.
    """
    reference, claimed, scope = _link(problem, text)
    rng = np.random.default_rng(seed + 1)
    model = NumericModel(problem, {"d": d}, rng)
    return ProblemChecker._directional(model, reference, claimed, scope, rng)


# -- finite differences ----------------------------------------------------------------------

class PlainNet:
    """The two-layer net in plain float64 NumPy: the cheapest forward pass finite differences can use."""

    def __init__(self, d: int, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.W1 = rng.standard_normal((d, d)) / np.sqrt(d)
        self.W2 = rng.standard_normal((d, d)) / np.sqrt(d)
        self.x, self.b, self.y = (rng.standard_normal((d, 1)) for _ in range(3))

    def loss(self) -> float:
        h = 1 / (1 + np.exp(-(self.W1 @ self.x + self.b)))
        return float(np.sum((self.W2 @ h - self.y) ** 2) / 2)

    def gradient_w1(self) -> np.ndarray:
        """The right dl/dW1, in closed form: the reference for the finite differences' error."""
        s = 1 / (1 + np.exp(-(self.W1 @ self.x + self.b)))
        return (self.W2.T @ (self.W2 @ s - self.y) * s * (1 - s)) @ self.x.T


def central_difference(loss, matrix: np.ndarray, entry: tuple[int, int], h: float) -> float:
    """(l(W + h e_ij) − l(W − h e_ij)) / 2h: two full forward passes, W restored afterwards."""
    original = matrix[entry]
    matrix[entry] = original + h
    up = loss()
    matrix[entry] = original - h
    down = loss()
    matrix[entry] = original
    return (up - down) / (2 * h)


@dataclass
class FDRun:
    label: str
    entries_total: int
    entries_timed: int
    seconds_timed: float
    error: float | None  # max |fd − true| / max |true| over the timed entries

    @property
    def per_entry(self) -> float:
        return self.seconds_timed / self.entries_timed

    @property
    def full_seconds(self) -> float:
        return self.per_entry * self.entries_total

    @property
    def extrapolated(self) -> bool:
        return self.entries_timed < self.entries_total


def _sample(shape, count: int, rng) -> list[tuple[int, int]]:
    flat = rng.choice(shape[0] * shape[1], size=min(count, shape[0] * shape[1]), replace=False)
    return [divmod(int(k), shape[1]) for k in flat]


def fd_plain(d: int, sample: int, full_limit: float, h: float = 1e-5) -> FDRun:
    """Central differences on the plain NumPy net: a sample first, the full matrix if it fits the limit."""
    net = PlainNet(d)
    true = net.gradient_w1()
    rng = np.random.default_rng(1)
    entries = _sample(net.W1.shape, sample, rng)
    start = time.perf_counter()
    values = [central_difference(net.loss, net.W1, e, h) for e in entries]
    elapsed = time.perf_counter() - start
    if elapsed / len(entries) * d * d <= full_limit and len(entries) < d * d:
        entries = [(i, j) for i in range(d) for j in range(d)]
        start = time.perf_counter()
        values = [central_difference(net.loss, net.W1, e, h) for e in entries]
        elapsed = time.perf_counter() - start
    error = max(abs(v - true[e]) for v, e in zip(values, entries)) / float(np.max(np.abs(true)))
    return FDRun("central differences, plain NumPy float64 forward", d * d, len(entries), elapsed, error)


def fd_derive_model(d: int, sample: int, h: float = 1e-5) -> FDRun:
    """Central differences through derive's own forward pass (NumericModel.forward, complex128)."""
    problem = TWO_LAYER.problem()
    model = NumericModel(problem, {"d": d}, np.random.default_rng(0))
    W1 = model.base["W1"].copy()

    def loss() -> float:
        return float(model.forward({"W1": W1})["l"][0, 0].real)

    entries = _sample(W1.shape, sample, np.random.default_rng(2))
    start = time.perf_counter()
    for entry in entries:
        central_difference(loss, W1, entry, h)
    elapsed = time.perf_counter() - start
    return FDRun("central differences, derive's NumericModel forward", d * d, len(entries), elapsed, None)


# -- the section -------------------------------------------------------------------------------

def run_numeric(quick: bool, d: int = 512, repeats: int = 5, fd_sample: int = 2000, model_sample: int = 200,
                fd_full_limit: float = 60.0, seeds: int = 200, reliability_d: int = 64, log=print) -> dict:
    if quick:
        repeats, fd_sample, model_sample, seeds = 2, 300, 30, 20
    problem = TWO_LAYER.problem()
    log(f"numeric: derive's check at d={d}")
    right = [derive_numeric(problem, DW1_RIGHT, d, seed=0) for _ in range(repeats)]
    wrong = [derive_numeric(problem, DW1_WRONG, d, seed=0) for _ in range(repeats)]
    one_entry = [forced_directional(problem, DW1_ONE_ENTRY_WRONG, d, seed) for seed in range(repeats)]
    log(f"numeric: finite differences at d={d}")
    plain = fd_plain(d, fd_sample, fd_full_limit)
    through_model = fd_derive_model(d, model_sample)
    log(f"numeric: reliability over {seeds} seeds at d={reliability_d}")
    reliability = {
        "dW1 right": [derive_numeric(problem, DW1_RIGHT, reliability_d, s) for s in range(seeds)],
        "db right": [derive_numeric(problem, DB_RIGHT, reliability_d, s) for s in range(seeds)],
        "dW1 x2": [derive_numeric(problem, DW1_WRONG, reliability_d, s) for s in range(seeds)],
        "db one entry x2": [derive_numeric(problem, DB_ONE_ENTRY_WRONG, reliability_d, s) for s in range(seeds)],
        "db one entry x2 forced": [forced_directional(problem, DB_ONE_ENTRY_WRONG, reliability_d, s)
                                   for s in range(seeds)],
        "dW1 one entry x2 forced": [forced_directional(problem, DW1_ONE_ENTRY_WRONG, reliability_d, s)
                                    for s in range(seeds)],
    }
    return {"d": d, "repeats": repeats, "right": right, "wrong": wrong, "one_entry": one_entry, "plain": plain,
            "model": through_model, "reliability": reliability, "seeds": seeds, "reliability_d": reliability_d,
            "fd_full_limit": fd_full_limit}


def _median_seconds(runs: list[NumericRun]) -> float:
    return statistics.median(r.seconds for r in runs)


def _fd_row(run: FDRun, direction_seconds: float, full_limit: float) -> list:
    if run.extrapolated:
        how = (f"**extrapolated** from {run.entries_timed:,} random entries "
               f"({seconds(run.seconds_timed)} s, {run.per_entry * 1e3:.3f} ms per entry)")
        if run.full_seconds > full_limit:
            how += f"; the full run would exceed {full_limit:g} s"
    else:
        how = "full run, every entry"
    error = f"{run.error:.1e}" if run.error is not None else "—"
    return [run.label, f"{2 * run.entries_total:,}", seconds(run.full_seconds),
            f"{run.full_seconds / direction_seconds:,.0f}×", error, how]


def numeric_markdown(result: dict) -> str:
    d = result["d"]
    right, wrong = result["right"], result["wrong"]
    direction = _median_seconds(right)
    rows = [
        [f"derive numeric check, right {code('dl/dW1')} ({right[0].method}, 2 random directions)",
         "1 + 2", seconds(direction), "1×", f"{right[0].error:.1e}" if right[0].error is not None else "—",
         f"median of {result['repeats']}; verdict: {'agrees' if right[0].agree else 'DIFFERS'}"],
        [f"derive numeric check, {code('dl/dW1')} ×2 (wrong)", "1 + 2", seconds(_median_seconds(wrong)),
         f"{_median_seconds(wrong) / direction:.1f}×", f"{wrong[0].error:.1e}" if wrong[0].error is not None else "—",
         f"median of {result['repeats']}; verdict: {'agrees (MISSED)' if wrong[0].agree else 'differs (caught)'}"],
        [f"random directions on {code('dl/dW1')} with entry (1,1) ×2 (wrong)", "1 + 2", "—", "—",
         f"{min(result['one_entry']):.1e} … {max(result['one_entry']):.1e}",
         f"seeds 0…{result['repeats'] - 1}, ProblemChecker._directional called directly; caught "
         f"(≥ {NUMERIC_TOLERANCE:g}) {sum(e >= NUMERIC_TOLERANCE for e in result['one_entry'])}/{result['repeats']}, "
         f"decisive (> {DECISIVE:g}) {sum(e > DECISIVE for e in result['one_entry'])}/{result['repeats']}"],
        _fd_row(result["plain"], direction, result["fd_full_limit"]),
        _fd_row(result["model"], direction, result["fd_full_limit"]),
    ]
    table = markdown_table(["method", "forward passes", "seconds", "vs derive", "rel. error", "how measured"],
                           rows)
    intro = (f"Gradient {code('dl/dW1')} of the two-layer net at d = {d} ({d * d:,} entries of W1). "
             "Forward passes: derive builds the point (1 pass) and takes 2 complex-step passes, one per "
             "direction; central differences take 2 passes per entry. \"rel. error\" is the check's own "
             "error for derive (complex step, no cancellation) and max |FD − true| / max |true| over the "
             "timed entries for finite differences (h = 1e-5).")
    return "\n".join([intro, "", table, "", reliability_markdown(result)])


def _count(runs, flagged) -> int:
    return sum(1 for r in runs if flagged(r))


def reliability_markdown(result: dict) -> str:
    seeds, d = result["seeds"], result["reliability_d"]
    rel = result["reliability"]

    def numeric_row(label, runs, expect_flag):
        errors = [r.error for r in runs if r.error is not None]
        unavailable = len(runs) - len(errors)
        flagged = _count(runs, lambda r: r.error is not None and r.error >= NUMERIC_TOLERANCE)
        decisive = _count(runs, lambda r: r.error is not None and r.error > DECISIVE)
        rate = f"{flagged}/{seeds}" + (" (false alarms)" if not expect_flag else " (caught)")
        return [label, runs[0].method, rate, f"{decisive}/{seeds}",
                f"{min(errors):.1e} … {max(errors):.1e}" if errors else "—",
                seconds(statistics.median(r.seconds for r in runs)),
                f"{unavailable} unavailable" if unavailable else ""]

    def forced_row(label, errors):
        flagged = sum(1 for e in errors if e >= NUMERIC_TOLERANCE)
        decisive = sum(1 for e in errors if e > DECISIVE)
        return [label, "direction", f"{flagged}/{seeds} (caught)", f"{decisive}/{seeds}",
                f"{min(errors):.1e} … {max(errors):.1e}", "—", "ProblemChecker._directional called directly"]

    rows = [
        numeric_row(f"right {code('dl/dW1')}", rel["dW1 right"], False),
        numeric_row(f"right {code('dl/db')}", rel["db right"], False),
        numeric_row(f"{code('dl/dW1')} ×2", rel["dW1 x2"], True),
        numeric_row(f"{code('dl/db')} with entry 1 ×2 (as derive checks it)", rel["db one entry x2"], True),
        forced_row(f"{code('dl/db')} with entry 1 ×2, random directions forced", rel["db one entry x2 forced"]),
        forced_row(f"{code('dl/dW1')} with entry (1,1) ×2, random directions forced",
                   rel["dW1 one entry x2 forced"]),
    ]
    table = markdown_table(["claim", "method", f"error ≥ {NUMERIC_TOLERANCE:g} (disagrees)",
                            f"error > {DECISIVE:g} (fails without exact)", "error range", "median s", "note"],
                           rows)
    return "\n".join([
        f"Reliability of the numeric check over {seeds} seeds (CheckOptions(seed=0…{seeds - 1})) at d = {d}. "
        f"A link's numeric evidence disagrees when its error is ≥ {NUMERIC_TOLERANCE:g}; check.py lets the "
        f"numeric oracle alone fail a link when the error is > {DECISIVE:g}. The one-entry claim is "
        f"{code(DB_ONE_ENTRY_WRONG)}: because it indexes ({code('eye(d)[:,1]')}), derive checks it entrywise "
        "(one complex-step pass per entry of b), so it is also run through the random-direction comparison "
        "directly, which is the case where a single wrong entry could hide; likewise "
        f"{code(DW1_ONE_ENTRY_WRONG)}.",
        "", table])
