"""How often derive names a specific slip for a wrong claim, and how often the right one (issue 12 §2).

```sh
python bench/diagnosis.py            # the whole corpus (a few minutes on 2 cores): bench/DIAGNOSIS.md
python bench/diagnosis.py --quick    # a sample of about 150 claims (about a minute): bench/results/diagnosis-quick.md
python bench/diagnosis.py --corpus bench/results/mutations.jsonl   # an existing corpus instead of a fresh one
```

The corpus is bench/mutations.py's (generated afresh, and written to bench/results/mutations.jsonl,
unless ``--corpus`` names one): wrong claims made from the catalog's right ones, each tagged with
the diagnosis code its slip should get. Each wrong claim is checked as ``derive check --no-cache
--jobs 2`` checks a problem file's claims — in this process, through the same library call
(``derive.verdict.batch.check_problems``, workers forked, the usual budgets, no verdict cache) on a
copy of its catalog problem whose claims are the wrong ones, so no problem file is written.

A claim derive proves true is a mutation that is right by accident (a transpose of a symmetric
matrix): it is counted apart, not as a miss. Of the rest, the report gives the share refuted, and
of the refuted the share with a specific diagnosis (any code but ``unknown``) and with the right
one: the tag, or a code of the small table ``ACCEPTED`` (each row says why it names the same
slip). A double slip is right when derive's ``slips`` name both. The raw results go to
bench/results/diagnosis.jsonl.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

REPORT = BENCH / "DIAGNOSIS.md"
QUICK_REPORT = BENCH / "results" / "diagnosis-quick.md"
RESULTS = BENCH / "results" / "diagnosis.jsonl"
QUICK = 150  # claims in the --quick sample
QUICK_FLOOR = 3  # at least this many of each kind in it
TARGETS = {"specific": 0.95, "right": 0.90}  # issue 12: of the refuted claims
TOP = 20  # misdiagnoses listed
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# Codes accepted beside the tag: (tag, the mutation kind or None for any, codes, why). Kept small:
# each row is one slip that derive's table has two names for.
ACCEPTED = [
    ("transposed", None, {"row-column", "layout"},
     "the whole value transposed: derive calls a vector's transpose row-column and a Jacobian's layout"),
    ("row-column", None, {"transposed", "layout"}, "the same, seen from a vector"),
    ("layout", None, {"transposed", "row-column"}, "the same, seen from a Jacobian"),
    ("transposed", "wrong-index", {"wrong-index"},
     "an entry's two indices swapped: the transpose of an index-notation claim, and an index slip as written"),
    ("misplaced-transpose", "transpose-inner", {"transposed", "row-column", "layout", "wrong-index"},
     "a transpose inside that transposes the whole value or an entry (inv(X.T) = inv(X).T, inv(X.T)[k,i] = "
     "inv(X)[i,k]): derive names what the claim then is, and its correction is as right"),
]
SHAPE_RULE = ("shape: the slip made (and its rows above) is accepted too: naming the slip that broke the shapes "
              "is more specific than `shape`")


def accepted(tag: str, kind: str, made: str | None = None) -> set[str]:
    """The codes that name the slip tagged ``tag`` (made by a mutation of ``kind``)."""
    codes = {tag}
    for row_tag, row_kind, extra, _ in ACCEPTED:
        if row_tag == tag and row_kind in (None, kind):
            codes |= extra
    if tag == "shape" and made:
        codes |= accepted(made, kind)
    return codes


def named(record: dict, code: str | None, slips: list[str]) -> int:
    """How many of the record's expected slips derive's diagnosis names (for a double, each by a
    slip of its own)."""
    wanted = [accepted(tag, kind, slip) for tag, kind, slip in zip(record["expected"], record["kinds"],
                                                                  record["made"])]
    if len(wanted) == 1:
        return int(code in wanted[0] or any(s in wanted[0] for s in slips))
    given = list(slips) if slips else [code]
    best = 0
    for order in ([0, 1], [1, 0]):
        hits = sum(1 for want, position in zip(wanted, order) if position < len(given) and given[position] in want)
        best = max(best, hits)
    return best


# -- running derive -------------------------------------------------------------------------------
def pin_blas_threads() -> None:
    """One BLAS thread (before NumPy is imported): derive's matrices are small, and a two-thread
    BLAS on a busy 2-core machine makes each product wait (bench/run.py measured it)."""
    for name in BLAS_VARIABLES:
        os.environ.setdefault(name, "1")


def quick_sample(records: list[dict], size: int = QUICK, seed: int = 12) -> list[dict]:
    """About ``size`` records, each kind in proportion and at least QUICK_FLOOR of it (seeded)."""
    by_kind = defaultdict(list)
    for entry in records:
        by_kind[entry["kind"]].append(entry)
    rng = random.Random(seed)
    sample = []
    for kind in sorted(by_kind):
        group = by_kind[kind]
        count = min(len(group), max(QUICK_FLOOR, round(size * len(group) / len(records))))
        sample.extend(rng.sample(group, count))
    order = {id(entry): n for n, entry in enumerate(records)}
    return sorted(sample, key=lambda entry: order[id(entry)])


def problems_of(records: list[dict]) -> list:
    """A copy of each catalog problem with the wrong claims made from it as its claims."""
    from derive.language.parser import parse_claim
    from derive.problem.definition import ClaimSpec, load_problem

    grouped: dict[str, list[dict]] = defaultdict(list)
    for entry in records:
        grouped[entry["file"]].append(entry)
    problems = []
    for file, entries in grouped.items():
        problem = load_problem(ROOT / file)
        # the source field carries the record's id, by which its verdict is matched back to it
        specs = [ClaimSpec(text=e["claim"], chain=parse_claim(e["claim"]), expect="fails", source=e["id"])
                 for e in entries]
        problems.append(dataclasses.replace(problem, claims=specs))
    return problems


def with_parts(chosen: list[dict], corpus: list[dict]) -> list[dict]:
    """The chosen records and, after them, the single slips their doubles are made of (each in the
    corpus): a double one of whose slips changes nothing is told by its parts' verdicts."""
    by_text = {(entry["problem"], entry["claim"]): entry for entry in corpus}
    ids = {entry["id"] for entry in chosen}
    extra = []
    for entry in chosen:
        for text in entry.get("parts", []):
            part = by_text.get((entry["problem"], text))
            if part is not None and part["id"] not in ids:
                ids.add(part["id"])
                extra.append(part)
    return chosen + extra


def settle(results: list[dict]) -> None:
    """Score each result: a double one of whose parts derive proves true is one slip (the other
    part's), marked ``harmless``; ``named`` counts the expected slips derive's diagnosis names."""
    by_text = {(r["problem"], r["claim"]): r for r in results}
    for entry in results:
        parts = [by_text.get((entry["problem"], text)) for text in entry.get("parts", [])]
        held = [part for part in parts if part is not None and part["verdict"] == "holds"]
        if len(held) == 1:
            other = next(part for part in parts if part is not held[0])
            if other is not None:
                entry.update(harmless=held[0]["claim"], expected=other["expected"], kinds=other["kinds"],
                             made=other["made"])
        if entry["verdict"] == "fails":
            entry["named"] = named(entry, entry["code"], entry["slips"])


def group_of(entry: dict) -> str:
    """one slip, two slips, or two slips of which one changes nothing."""
    if entry["kind"] != "double":
        return "one slip"
    return "two slips, one harmless" if entry.get("harmless") else "two slips"


def run_derive(records: list[dict], jobs: int, log) -> tuple[list[dict], float]:
    """Each record with derive's verdict, diagnosis and times added; and the wall time."""
    from derive.verdict.batch import check_problems
    from derive.verdict.check import CheckOptions

    by_id = {entry["id"]: entry for entry in records}
    results = []
    start = time.monotonic()
    for problem, verdicts in check_problems(problems_of(records), CheckOptions(), jobs=jobs):
        for verdict in verdicts:
            results.append(outcome(by_id[verdict.source], verdict))
        log(f"  {problem.id}: {len(verdicts)} claims ({len(results)}/{len(records)}, "
            f"{time.monotonic() - start:.0f} s)")
    order = {entry["id"]: n for n, entry in enumerate(records)}
    results.sort(key=lambda entry: order[entry["id"]])
    return results, time.monotonic() - start


def outcome(entry: dict, verdict) -> dict:
    """The record with what derive said of it."""
    diagnosis = verdict.diagnosis
    stage = sum(link.timings.get("diagnosis", 0.0) for link in verdict.links)
    result = dict(entry, verdict=verdict.verdict, error=verdict.error, seconds=round(verdict.seconds, 4),
                  diagnosis_seconds=round(stage, 4), code=diagnosis.code if diagnosis else None,
                  slips=list(diagnosis.slips) if diagnosis else [], message=diagnosis.message if diagnosis else None,
                  correct=diagnosis.correct if diagnosis else None)
    return result


# -- the report ------------------------------------------------------------------------------------
def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "—"


def figures(results: list[dict]) -> dict:
    """Counts of one group of results: the mutations right by accident apart."""
    wrong = [r for r in results if r["verdict"] != "holds"]
    refuted = [r for r in wrong if r["verdict"] == "fails"]
    return {
        "claims": len(results),
        "holds": len(results) - len(wrong),
        "wrong": len(wrong),
        "refuted": len(refuted),
        "undecided": sum(r["verdict"] == "undecided" for r in wrong),
        "error": sum(r["verdict"] == "error" for r in wrong),
        "specific": sum(r["code"] not in (None, "unknown") for r in refuted),
        "right": sum(r["named"] == len(r["expected"]) for r in refuted),
        "partly": sum(0 < r["named"] < len(r["expected"]) for r in refuted),
    }


def figures_row(label: str, f: dict) -> list:
    return [label, f["claims"], f["holds"], f["wrong"], percent(f["refuted"], f["wrong"]), f["undecided"],
            f["error"], percent(f["specific"], f["refuted"]), percent(f["right"], f["refuted"])]


FIGURE_HEADERS = ["", "mutated claims", "hold by accident", "wrong claims", "refuted", "undecided", "error",
                  "specific diagnosis", "right diagnosis"]


def headline(results: list[dict]) -> str:
    from tables import markdown_table

    total = figures(results)
    rows = [figures_row("all", total)]
    for group in ("one slip", "two slips", "two slips, one harmless"):
        rows.append(figures_row(group, figures([r for r in results if group_of(r) == group])))
    specific = total["specific"] / total["refuted"] if total["refuted"] else 0
    right = total["right"] / total["refuted"] if total["refuted"] else 0
    verdicts = [f"specific {percent(total['specific'], total['refuted'])} (target ≥ 95 %: "
                f"{'met' if specific >= TARGETS['specific'] else 'missed'})",
                f"right {percent(total['right'], total['refuted'])} (target ≥ 90 %: "
                f"{'met' if right >= TARGETS['right'] else 'missed'})"]
    return "\n".join([markdown_table(FIGURE_HEADERS, rows), "",
                      "Rates: *refuted* of the wrong claims; *specific* and *right* of the refuted ones. "
                      "Issue 12's targets, over all refuted claims: " + "; ".join(verdicts) + "."])


def by_kind(results: list[dict]) -> str:
    from tables import markdown_table

    groups = defaultdict(list)
    for entry in results:
        groups[entry["kind"] + (", one harmless" if entry.get("harmless") else "")].append(entry)
    rows = [figures_row(kind, figures(group)) for kind, group in sorted(groups.items())]
    return markdown_table(["kind"] + FIGURE_HEADERS[1:], rows)


def by_tag(results: list[dict]) -> str:
    """One slip (or a double with a harmless part): the figures by the expected code, with derive's
    codes for each."""
    from tables import markdown_table

    groups = defaultdict(list)
    for entry in results:
        if len(entry["expected"]) == 1 and entry["verdict"] == "fails":
            groups[entry["expected"][0]].append(entry)
    rows = []
    for tag, group in sorted(groups.items(), key=lambda item: -len(item[1])):
        given = Counter(r["code"] for r in group)
        shown = ", ".join(f"{code} {n}" for code, n in given.most_common(5))
        rows.append([tag, len(group), percent(sum(r["named"] == 1 for r in group), len(group)), shown])
    return markdown_table(["tag", "refuted", "right", "derive's codes (most common first)"], rows)


def doubles_table(results: list[dict]) -> str:
    from tables import markdown_table

    groups = defaultdict(list)
    for entry in results:
        if len(entry["expected"]) == 2 and entry["verdict"] == "fails":
            groups[" + ".join(sorted(entry["expected"]))].append(entry)
    rows = []
    for pair, group in sorted(groups.items(), key=lambda item: -len(item[1])):
        rows.append([pair, len(group), percent(sum(r["code"] != "unknown" for r in group), len(group)),
                     percent(sum(r["named"] == 2 for r in group), len(group)),
                     percent(sum(r["named"] == 1 for r in group), len(group))])
    return markdown_table(["slips", "refuted", "specific", "both named", "one named"], rows)


def misdiagnoses(results: list[dict], top: int = TOP, slips: int | None = None) -> list[tuple[str, str, int, dict]]:
    """(expected, derive's, count, an example) for the commonest wrong diagnoses of refuted claims
    (of those with ``slips`` expected slips, or all)."""
    groups = defaultdict(list)
    for entry in results:
        if entry["verdict"] == "fails" and entry["named"] < len(entry["expected"]) and (
                slips is None or len(entry["expected"]) == slips):
            got = " + ".join(entry["slips"]) if entry["slips"] else str(entry["code"])
            groups[(" + ".join(sorted(entry["expected"])), got)].append(entry)
    ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))[:top]
    return [(expected, got, len(group), _example(group)) for (expected, got), group in ranked]


def _example(group: list[dict]) -> dict:
    """The shortest claim of a group: the easiest to read."""
    return min(group, key=lambda entry: (len(entry["claim"]), entry["id"]))


def misdiagnosis_table(results: list[dict], slips: int | None = None) -> str:
    from tables import markdown_table

    rows = [[expected, got, count, f"{example['problem']}: `{example['claim']}` ({example['what']})"]
            for expected, got, count, example in misdiagnoses(results, TOP, slips)]
    if not rows:
        return "none"
    return markdown_table(["tag", "derive's diagnosis", "claims", "example (problem: claim (the slip made))"], rows)


def quantiles(values: list[float]) -> tuple[float, float, float]:
    """Median, 90th percentile and maximum (0 for no values)."""
    if not values:
        return 0.0, 0.0, 0.0
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)]
    return statistics.median(ordered), p90, ordered[-1]


def timing(results: list[dict], wall: float, checked: int) -> str:
    from tables import markdown_table, seconds

    rows = []
    for label, key in (("whole check of a claim", "seconds"), ("its diagnosis stage (`timings.diagnosis`)",
                                                               "diagnosis_seconds")):
        median, p90, most = quantiles([r[key] for r in results])
        rows.append([label, seconds(median), seconds(p90), seconds(most)])
    slowest = sorted(results, key=lambda r: -r["seconds"])[:5]
    lines = [markdown_table(["per claim (s)", "median", "p90", "max"], rows), "",
             f"Wall time {seconds(wall)} s for the {checked} claims checked "
             f"({seconds(wall / checked if checked else 0)} s a claim with the workers"
             + (f"; {checked - len(results)} of them parts of doubles, checked only to tell a harmless slip"
                if checked > len(results) else "") + "). Slowest:", ""]
    lines += [f"- {seconds(r['seconds'])} s, {r['problem']}: `{r['claim'][:160]}` ({r['verdict']}, {r['code']})"
              for r in slowest]
    return "\n".join(lines)


def accidents(results: list[dict]) -> str:
    """The mutations derive proves true: how many of each kind, with the shortest of each."""
    groups = defaultdict(list)
    for entry in results:
        if entry["verdict"] == "holds":
            groups[entry["kind"]].append(entry)
    if not groups:
        return "none"
    lines = []
    for kind, group in sorted(groups.items(), key=lambda item: -len(item[1])):
        example = _example(group)
        lines.append(f"- {kind}, {len(group)}: e.g. {example['problem']}: `{example['claim'][:140]}` "
                     f"({example['what'][:100]})")
    return "\n".join(lines)


def unsettled(results: list[dict]) -> str:
    """The wrong claims derive did not refute: undecided, or an error."""
    rows = [r for r in results if r["verdict"] in ("undecided", "error")]
    if not rows:
        return "none"
    return "\n".join(f"- {r['verdict']}, {r['problem']}: `{r['claim'][:140]}` ({r['kind']}; "
                     f"{(r['error'] or '')[:120]})" for r in rows[:15])


def equivalence_text() -> str:
    from tables import markdown_table

    rows = [[tag, kind or "any", ", ".join(sorted(extra)), why] for tag, kind, extra, why in ACCEPTED]
    return "\n".join([markdown_table(["tag", "kind", "also right", "why"], rows), "", f"- {SHAPE_RULE}.",
                      "- One slip is named when derive's code, or one of its `slips` when it needs two edits, "
                      "is accepted (a transpose of a product may be reported as its operands swapped and "
                      "transposed).",
                      "- A double slip is right when derive's `slips` name both (each by its own slip, "
                      "by these rows); *one named* counts the doubles where derive's code or one of its "
                      "slips names one of the two.",
                      "- A double one of whose two single claims derive proves true is one slip, the other "
                      "(*two slips, one harmless*)."])


def report(results: list[dict], corpus: list[dict], wall: float, checked: int, command: str, quick: bool) -> str:
    from tables import machine_header

    generated = len({(r["problem"], r["catalog_claim"]) for r in corpus})
    sections = [
        "# Diagnosis of generated wrong claims (issue 12 §2)", "",
        machine_header(ROOT, quick, command), "",
        f"The corpus: {len(corpus)} wrong claims that bench/mutations.py made from {generated} catalog claims "
        f"expected to hold ({len({r['problem'] for r in corpus})} problems), written to "
        f"bench/results/mutations.jsonl (git-ignored, out of the catalog)"
        + (f"; this run checks a sample of {len(results)}" if quick else "") + ". Each is checked as "
        "`derive check --no-cache --jobs 2` would (module docstring of bench/diagnosis.py).", "",
        "## Figures", "", headline(results), "",
        "## By kind of mutation", "", by_kind(results), "",
        "## One slip, by the code expected", "", by_tag(results), "",
        "## Two slips", "", doubles_table(results), "",
        f"## The {TOP} commonest misdiagnoses", "",
        "Refuted claims whose diagnosis does not name the slip made, grouped by (tag, derive's code — or its "
        "slips, for two edits), with the shortest claim of each group. Over all claims:", "",
        misdiagnosis_table(results), "",
        "Of one slip (a double with a harmless part included), every group:", "",
        misdiagnosis_table(results, 1), "",
        "## What counts as the right diagnosis", "", equivalence_text(), "",
        "## Time", "", timing(results, wall, checked), "",
        "## Mutations right by accident (derive proves them)", "", accidents(results), "",
        "## Wrong claims derive did not refute", "", unsettled(results), "",
    ]
    return "\n".join(sections)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"a sample of about {QUICK} claims")
    parser.add_argument("--corpus", type=Path, help="read this corpus instead of generating it")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--out", type=Path, help="the report (default bench/DIAGNOSIS.md, or with --quick "
                                                   "bench/results/diagnosis-quick.md)")
    args = parser.parse_args(argv)
    pin_blas_threads()
    import mutations  # after the BLAS threads are set: it imports derive, and so NumPy

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.corpus:
        corpus = mutations.read_corpus(args.corpus)
    else:
        corpus = mutations.generate()
        mutations.write_corpus(corpus)
    chosen = quick_sample(corpus) if args.quick else corpus
    checked = with_parts(chosen, corpus)
    log(f"checking {len(chosen)} of {len(corpus)} wrong claims (and {len(checked) - len(chosen)} parts of "
        f"doubles) with --jobs {args.jobs}")
    everything, wall = run_derive(checked, args.jobs, log)
    settle(everything)
    ids = {entry["id"] for entry in chosen}
    results = [entry for entry in everything if entry["id"] in ids]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("w", encoding="utf-8") as out:
        for entry in results:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
    command = "bench/diagnosis.py" + (" --quick" if args.quick else "") + (
        f" --corpus {args.corpus}" if args.corpus else "") + (f" --jobs {args.jobs}" if args.jobs != 2 else "")
    text = report(results, corpus, wall, len(checked), command, args.quick)
    out_path = args.out or (QUICK_REPORT if args.quick else REPORT)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(text, encoding="utf-8")
    log(headline(results))
    log(f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
