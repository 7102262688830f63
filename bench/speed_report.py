"""bench/speed.py's report: the goal table, the comparison with the committed figures, the verdict
identity check and the profile of the catalog."""

from __future__ import annotations

import io
import pstats
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

import speed_runs as runs
import speed_verdicts as verdicts
from tables import code, markdown_table, seconds

WORSE = 1.15  # a ratio more than 15 % worse than the committed one is named


@dataclass
class Goal:
    """One row of the goal table: what was measured, against which reference, and the target.

    ``ratio`` is measured / reference (or the measured figure itself when it is a ratio, unit "×");
    ``met`` checks the ratio against ``limit`` (at most) or ``floor`` (at least), the measured
    figure against ``limit_absolute`` (below it when ``strict``), and ``extra_ok``.
    """

    id: str
    goal: str
    measured: float | None
    unit: str
    reference: float | None
    reference_label: str
    target: str
    limit: float | None = None
    floor: float | None = None
    limit_absolute: float | None = None
    strict: bool = False
    extra_ok: bool = True
    better: str = "lower"
    note: str = ""  # shown instead of the figure when nothing was measured
    shown: str = ""  # shown instead of the measured figure
    skipped: bool = False  # not measurable yet (the feature is missing): neither met nor missed

    @property
    def ratio(self) -> float | None:
        if self.measured is None:
            return None
        if self.unit == "×":
            return self.measured
        return self.measured / self.reference if self.reference else None

    @property
    def met(self) -> bool | None:
        checks = []
        if self.measured is None:
            return None if self.target == "—" or self.skipped else False
        if self.limit is not None and self.ratio is not None:
            checks.append(self.ratio <= self.limit)
        if self.floor is not None and self.ratio is not None:
            checks.append(self.ratio >= self.floor)
        if self.limit_absolute is not None:
            checks.append(self.measured < self.limit_absolute if self.strict else self.measured <= self.limit_absolute)
        if not checks:
            return None
        return all(checks) and self.extra_ok

    def figure(self) -> dict:
        return {"goal": self.goal, "measured": self.measured, "unit": self.unit, "reference": self.reference,
                "reference_label": self.reference_label, "ratio": self.ratio, "better": self.better,
                "target": self.target, "met": self.met}


def amount(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return secs(value)
    if unit == "MiB":
        return f"{value:.0f} MiB"
    if unit == "×":
        return ratio_text(value)
    return f"{value:g} {unit}"


def secs(value: float | None) -> str:
    """Seconds with their unit: "0.390 s", "8.2 ms"."""
    text = seconds(value)
    return text if text.endswith("ms") or text == "—" else f"{text} s"


def ratio_text(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}×" if value >= 10 else f"{value:.2f}×"


def goal_table(goals: list[Goal]) -> str:
    rows = []
    for g in goals:
        measured = g.shown or (amount(g.measured, g.unit) if g.measured is not None else (g.note or "failed"))
        reference = f"{g.reference_label} {amount(g.reference, g.unit)}" if g.reference is not None else \
            (g.reference_label or "—")
        met = {True: "yes", False: "**no**", None: "—"}[g.met]
        rows.append([g.goal, measured, reference, ratio_text(g.ratio), g.target, met])
    return markdown_table(["goal", "measured", "reference (same run)", "ratio", "target", "met?"], rows)


def changes(committed: dict | None, figures: dict) -> list[str]:
    """Which ratios got worse by more than 15 % since the committed figures."""
    if not committed or "figures" not in committed:
        return ["No committed figures yet (bench/speed.json): nothing to compare with."]
    lines, steady = [f"Committed figures measured {committed.get('measured', '?')}."], 0
    for key, new in figures.items():
        old = committed["figures"].get(key)
        if not old or old.get("ratio") is None or new["ratio"] is None:
            continue
        before, after = old["ratio"], new["ratio"]
        worse = after > before * WORSE if new["better"] == "lower" else after < before / WORSE
        label = new["goal"] + (f" / {new['reference_label']}" if new["unit"] != "×" else "")
        if worse:
            lines.append(f"- {label}: {ratio_text(before)} → {ratio_text(after)} (worse)")
        else:
            steady += 1
    if len(lines) == 1:
        lines.append(f"No ratio got worse by more than 15 % ({steady} compared).")
    else:
        lines.append(f"The other {steady} ratios compared are within 15 % or better.")
    return lines


def verdict_section(out: dict, args, goals: list[Goal], committed_path: Path, results: Path) -> tuple[int, list[str]]:
    """Compare the run's verdict digest with the committed one, claim by claim: exit code, lines."""
    title = ["## Verdict identity (bench/verdicts.json)", ""]
    if "digest" not in out:
        return 0, title + ["Not checked: the catalog section did not run."]
    digest = out["digest"]
    if digest is None:
        goals.append(Goal("verdicts", "catalog verdicts, diagnoses, corrections", None, "", None, "", "identical",
                          note="no report"))
        return 1, title + ["Not checked: no catalog run gave a JSON report."]
    verdicts.write(results / "verdicts-latest.json", digest)
    committed = verdicts.load(committed_path)
    found = verdicts.differences(committed, digest) if committed is not None else []
    claims = verdicts.count(digest)
    goals.append(Goal("verdicts", "catalog verdicts, reasons, diagnoses, corrections, generic status, claim by claim",
                      float(len(found)), "differences", None,
                      f"bench/verdicts.json ({verdicts.count(committed)} claims)" if committed else "none committed",
                      "identical", limit_absolute=0, shown=f"{claims} claims, {len(found)} differences"))
    lines = list(title)
    if committed is None:
        lines.append(f"No committed digest yet: {claims} claims digested, nothing to compare with.")
    elif not found:
        lines.append(f"All {claims} claims identical to the committed digest.")
    else:
        lines += [f"{len(found)} differences from the committed digest:", "",
                  markdown_table(["problem", "claim", "field", "before", "after"],
                                 [[p, code(c) if c else "", f, b, a] for p, c, f, b, a in found])]
    if args.publish:
        if not found or args.accept_verdicts:
            verdicts.write(committed_path, digest)
        else:
            lines += ["", f"{committed_path.name} left as it was: pass --accept-verdicts to record the new verdicts."]
    return (1 if found else 0), lines


def _short(path: str) -> str:
    """A profiled function's file, relative to derive's checkout or to site-packages."""
    for prefix in (str(runs.ROOT) + "/", sysconfig.get_paths()["purelib"] + "/", sys.prefix + "/"):
        if path.startswith(prefix):
            return path[len(prefix):]
    return path


def profile_section(args, sections: list[str], committed_path: Path, results: Path, header: str,
                    log, top: int = 40) -> list[str]:
    """cProfile of ``check --jobs 1`` over the catalog: the top functions by cumulative and own time."""
    if "profile" not in sections:
        return []
    files = [str(p.relative_to(runs.ROOT)) for p in sorted((runs.ROOT / "problems").glob("*.toml"))]
    flags = ["--no-cache"] if runs.has_flag("check", "--no-cache") else []
    command = ["cli.py", "check", "--jobs", "1", *flags, "problems/*.toml"]
    log("profile: " + " ".join(command))
    with tempfile.TemporaryDirectory() as folder, runs.fresh_cache() as cache:
        target = Path(folder) / "catalog.prof"
        done = runs.run(["-m", "cProfile", "-o", str(target), runs.CLI, "check", "--jobs", "1", *flags, *files],
                        cache_dir=cache, timeout=args.catalog_timeout)
        if not target.exists():
            return ["## Profile", "", f"The profiled run gave no profile ({done.error or f'exit {done.exit_code}'})."]
        stats = pstats.Stats(str(target))
    # print_stats prints the full path of every function: shorten them in the table it prints
    stats.stats = {(_short(f), line, name): value for (f, line, name), value in stats.stats.items()}
    blocks = []
    for order in ("cumulative", "tottime"):
        buffer = io.StringIO()
        stats.stream = buffer
        stats.sort_stats(order).print_stats(top)
        printed = [line for line in buffer.getvalue().splitlines() if line.strip()]
        blocks += [f"By {'cumulative' if order == 'cumulative' else 'own'} time (top {top}):", "```",
                   *printed[2:], "```", ""]
    intro = [f"`python -m cProfile -o FILE {' '.join(command)}`: {secs(done.wall)} under the profiler, "
             f"exit {done.exit_code}. Work done in forked children (the zero test under its time cap) does "
             "not show here.", ""]
    (results / "profile-latest.txt").write_text("\n".join(intro + blocks) + "\n", encoding="utf-8")
    if args.publish:
        committed_path.write_text("\n".join(["# Profile of the catalog check", "", header, "", *intro, *blocks]),
                                  encoding="utf-8")
    own = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:10]
    rows = [[code(f"{Path(f).name}:{line}({name})"), secs(tt), secs(ct), nc]
            for (f, line, name), (_, nc, tt, ct, _) in own]
    return ["## Profile", "", *intro,
            f"Top 10 by own time (all {top} by cumulative and by own time: bench/results/profile-latest.txt"
            f"{', bench/PROFILE.md' if args.publish else ''}):", "",
            markdown_table(["function", "own", "cumulative", "calls"], rows), ""]
