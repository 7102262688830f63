"""Each stage of a catalog check on its own, in one process: its time and the Python calls it makes.

Wall times of the whole catalog move by 5-10 % with the machine's load; the number of Python
function calls a stage makes (counted under cProfile) does not, so a change that saves 3 % of a
stage shows here when it cannot in ``bench/speed.py``. Each stage also prints a digest of what it
computed, so that a change can be checked to leave its results as they were (run both sides with
the same PYTHONHASHSEED: the exact values are digested by their hash, which follows the hashes of
their symbols' names).

Stages, over every catalog claim:
* ``exact``: the exact values of both sides of each link at the problem's usual sizes;
* ``generic``: the index-notation proof of each link of a claim expected to hold;
* ``derivations``: the derivation of every scalar's gradient by every variable of each problem;
* ``diagnosis``: the diagnosis of each link of a claim expected to fail, its correction proved.

    PYTHONHASHSEED=0 python bench/stages.py                 # time (least of 3) and digest of each
    PYTHONHASHSEED=0 python bench/stages.py --calls         # the Python calls of each (one run)
    python bench/stages.py --stages generic derivations
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import gc
import hashlib
import pstats
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from derive.errors import DeriveError  # noqa: E402
from derive.language.shapes import SCALAR, typed  # noqa: E402
from derive.oracles.index import derive_gradient, forget, prove_link  # noqa: E402
from derive.problem.definition import Problem, catalog_paths, load_problem  # noqa: E402
from derive.verdict import points  # noqa: E402
from derive.verdict.check import CheckOptions, ProblemChecker, orient  # noqa: E402

Stage = Callable[[list[Problem]], tuple[float, list]]  # the problems -> (seconds timed, results)


def _links(problem: Problem, expect: str):
    """(left, right, reference, claimed, scope, shape error or None) of each link of the claims
    of ``problem`` expected to ``expect`` (a link whose sides do not type gets its error)."""
    for spec in problem.claims:
        if spec.expect != expect and not (expect == "holds" and spec.expect is None):
            continue
        try:
            scope = problem.check_claim_names(spec.chain)
        except DeriveError:
            continue
        for left, right in spec.chain.links():
            reference, claimed = orient(left, right)
            try:
                scope = typed((reference, claimed), scope).scope
                error = None
            except DeriveError as failure:
                error = str(failure)
            yield left, right, reference, claimed, scope, error


def _timed(compute: Callable[..., object], *args) -> tuple[float, object]:
    """(seconds, what ``compute(*args)`` gave, or the error it raised as text)."""
    start = time.perf_counter()
    try:
        result = compute(*args)
    except DeriveError as failure:
        result = str(failure)
    return time.perf_counter() - start, result


def _values_hash(checker: ProblemChecker, *link) -> int:
    """The hash of both sides' exact values (str of them would cost more than the stage)."""
    return hash(checker._exact_values(*link)[:2])


def _proof(problem: Problem, left, right, scope) -> tuple:
    proof = prove_link(problem, left, right, scope)
    return proof.proved, proof.reason, [s.text for s in proof.steps]


def _steps(problem: Problem, loss: str, wrt: str) -> list[str]:
    return [s.text for s in derive_gradient(problem, loss, wrt).steps]


def _timed_each(calls: Iterator[tuple]) -> tuple[float, list]:
    """The seconds of every ``compute(*args)`` that ``calls`` yields as (compute, *args), summed,
    and their results (``_timed``); what the generator does between calls is not timed."""
    seconds, results = 0.0, []
    for compute, *args in calls:
        spent, result = _timed(compute, *args)
        seconds += spent
        results.append(result)
    return seconds, results


def exact(problems: list[Problem]) -> tuple[float, list]:
    def calls():
        for problem in problems:
            checker = ProblemChecker(problem, CheckOptions())
            for expect in ("holds", "fails"):
                for _, _, reference, claimed, scope, error in _links(problem, expect):
                    if not error:
                        for sizes in checker.exact_sizes:
                            yield _values_hash, checker, checker.exact_model(sizes), reference, claimed, scope

    return _timed_each(calls())


def generic(problems: list[Problem]) -> tuple[float, list]:
    def calls():
        for problem in problems:
            for left, right, _, _, scope, error in _links(problem, "holds"):
                if not error:
                    yield _proof, problem, left, right, scope
            forget(problem)

    return _timed_each(calls())


def derivations(problems: list[Problem]) -> tuple[float, list]:
    def calls():
        for problem in problems:
            for loss, shape in problem.shapes.items():
                if shape == SCALAR:
                    for wrt in problem.variables:
                        yield _steps, problem, loss, wrt
                        forget(problem)  # each derivation cold

    return _timed_each(calls())


def diagnosis(problems: list[Problem]) -> tuple[float, list]:
    seconds, results = 0.0, []
    for original in problems:
        problem = dataclasses.replace(original)  # a copy: cold diagnosis models on every run
        checker = ProblemChecker(problem, CheckOptions())
        for _, _, reference, claimed, scope, error in _links(problem, "fails"):
            start = time.perf_counter()
            found = checker._diagnose(reference, claimed, scope, error)
            seconds += time.perf_counter() - start
            results.append((found.code, found.message, found.correct))
        points.forget(problem)
        forget(problem)
    return seconds, results


STAGES: dict[str, Stage] = {"exact": exact, "generic": generic, "derivations": derivations, "diagnosis": diagnosis}


def digest(results: list) -> str:
    return hashlib.sha256(repr(results).encode("utf-8")).hexdigest()[:12]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stages", nargs="+", choices=sorted(STAGES), default=list(STAGES))
    parser.add_argument("--calls", action="store_true", help="count the Python calls of each stage (one run)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each stage; the least time is shown")
    args = parser.parse_args()
    problems = [load_problem(path) for path in catalog_paths()]
    gc.disable()  # the collector's pauses are the run's, not the stage's
    print("| stage | seconds | Python calls | digest |")
    print("|---|---|---|---|")
    for name in args.stages:
        stage = STAGES[name]
        if args.calls:
            profile = cProfile.Profile()
            seconds, results = profile.runcall(stage, problems)
            calls = f"{pstats.Stats(profile).total_calls:,}"
        else:
            runs = [stage(problems) for _ in range(args.repeats)]
            seconds, results = min(run[0] for run in runs), runs[0][1]
            calls = "—"
        print(f"| {name} | {seconds:.3f} | {calls} | {digest(results)} |", flush=True)


if __name__ == "__main__":
    main()
