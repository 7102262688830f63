"""What holds if the index-notation engine were wrong: `python bench/false_proofs.py [--quick]`.

A link proved for every size by the engine, exact at the first usual sizes and numerically agreeing
at sizes drawn for it, is not checked at the second usual sizes (docs/guarantees.md): the exact
and numeric checks remain as two checks of the proof. This measures how much they catch. Every
wrong claim of bench/mutations.py's corpus and every catalog claim expected to fail is checked
twice, as ``derive check --jobs 2`` checks them (``check_problems``, the usual budgets): with the
real engine, and with one that "proves" every link it is asked about. A claim that holds only with
the second is a wrong claim the remaining checks let through; the report lists them (none is the
goal). Claims that hold with the real engine too are mutations right by accident (a transpose of
a symmetric value).

The report goes to stdout; progress to stderr. ``--quick``: a sample of the corpus (bench/diagnosis.py's).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import mutations  # noqa: E402
from diagnosis import problems_of, quick_sample  # noqa: E402

from derive.problem.definition import catalog_paths, load_problem  # noqa: E402
from derive.verdict import check as check_module  # noqa: E402
from derive.verdict.batch import check_problems  # noqa: E402
from derive.verdict.check import CheckOptions  # noqa: E402


def _problems(quick: bool) -> tuple[list, int, int]:
    """The corpus's wrong claims as problems (bench/diagnosis.py's copies), and each catalog
    problem with only its claims expected to fail; and how many claims each part has."""
    corpus = mutations.generate()
    chosen = quick_sample(corpus) if quick else corpus
    failing = [dataclasses.replace(problem, claims=[c for c in problem.claims if c.expect == "fails"])
               for problem in map(load_problem, catalog_paths())]
    failing = [problem for problem in failing if problem.claims]
    return problems_of(chosen) + failing, len(chosen), sum(len(p.claims) for p in failing)


def _verdicts(problems: list) -> dict[tuple[str, str], str]:
    """(problem, claim) -> verdict, checked as ``derive check --jobs 2`` checks them."""
    return {(problem.id, spec.text): verdict.verdict
            for problem, verdicts in check_problems(problems, CheckOptions(), jobs=2)
            for spec, verdict in zip(problem.claims, verdicts)}


def _proving_everything(genuine):
    """``prove_link`` as ``genuine`` gives it, marked proved whatever it found."""

    def proved(problem, left, right, scope):
        proof = genuine(problem, left, right, scope)
        proof.proved, proof.size_coefficients = True, ()
        return proof

    return proved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a sample of the mutation corpus")
    args = parser.parse_args()
    problems, mutated, failing = _problems(args.quick)
    claims = mutated + failing
    start = time.perf_counter()
    print(f"checking {claims} claims with the real engine", file=sys.stderr)
    real = _verdicts(problems)
    genuine = check_module.prove_link
    check_module.prove_link = _proving_everything(genuine)  # inherited by the forked workers
    try:
        print(f"checking {claims} claims with an engine that proves every link", file=sys.stderr)
        fooled = _verdicts(problems)
    finally:
        check_module.prove_link = genuine
    through = sorted(key for key, verdict in fooled.items() if verdict == "holds" and real[key] != "holds")
    print(f"# False proofs ({'a sample' if args.quick else 'the whole corpus'}, "
          f"{time.perf_counter() - start:.0f} s)\n")
    print(f"{mutated} of bench/mutations.py's mutations of the catalog's claims (most of them wrong) and the "
          f"catalog's {failing} claims expected to fail: {len(real)} distinct claims.\n")
    print("| engine | " + " | ".join(("holds", "fails", "undecided", "error")) + " |")
    print("|---|---|---|---|---|")
    for name, verdicts in (("real", real), ("proves every link", fooled)):
        counts = collections.Counter(verdicts.values())
        print(f"| {name} | " + " | ".join(str(counts[v]) for v in ("holds", "fails", "undecided", "error")) + " |")
    print(f"\nWrong claims that hold only with the engine that proves every link: {len(through)}")
    for problem_id, claim in through:
        print(f"- {problem_id}: `{claim}`")
    return 1 if through else 0


if __name__ == "__main__":
    sys.exit(main())
