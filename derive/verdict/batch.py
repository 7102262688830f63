"""Checking many problems: one after the other or in worker processes, and, with the verdict
cache, only the claims whose verdict is not stored.

The parent process looks every claim up in the cache before any work is sent out, so that only
the claims without a stored verdict go to the workers (a problem with all of them stored builds
nothing), and stores each new verdict as it comes back: workers never touch the cache.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Iterator
from dataclasses import replace

from ..problem.definition import Problem
from .cache import VerdictCache
from .check import CheckOptions, check_problem
from .evidence import ClaimVerdict


def _check_one(problem: Problem, options: CheckOptions | None) -> list[ClaimVerdict]:
    """A worker's verdicts, sent back without their trees: the parent reports them as text and
    JSON, and pickling every derivation's trees cost more than checking some claims."""
    return [verdict.without_trees() for verdict in check_problem(problem, options)]


def check_problems(problems: list[Problem], options: CheckOptions | None = None, jobs: int = 1,
                   cache: VerdictCache | None = None) -> Iterator[tuple[Problem, list[ClaimVerdict]]]:
    """(problem, verdicts) for each problem, in the order they finish; ``jobs`` worker processes
    (whose verdicts come back without trees: ``check.check_problem`` keeps them, for documents).

    Each problem is checked whole in one worker, so its models are shared by its claims; the
    time budgets work the same in a worker as in the main process.

    With a ``cache``, only the claims without a stored verdict are checked (the module's
    docstring); a stored verdict comes back marked ``cached`` and without trees, as from a worker.
    """
    options = options or CheckOptions()
    if cache is None:
        yield from _check_all(problems, options, jobs)
        return
    pending = {}  # id of the problem with only its unchecked claims -> (problem, keys, verdicts found)
    rest = []
    for problem in problems:
        keys = cache.keys(problem, options)
        found = [cache.get(key) for key in keys]
        missing = [spec for spec, verdict in zip(problem.claims, found) if verdict is None]
        if not missing:
            yield problem, found
            continue
        unchecked = replace(problem, claims=missing)
        pending[id(unchecked)] = (problem, keys, found)
        rest.append(unchecked)
    for unchecked, fresh in _check_all(rest, options, jobs):
        problem, keys, found = pending[id(unchecked)]
        computed = iter(fresh)
        verdicts = [verdict if verdict is not None else next(computed) for verdict in found]
        for key, verdict, stored in zip(keys, verdicts, found):
            if stored is None:
                cache.put(key, verdict)
        yield problem, verdicts
    if cache.stored:
        cache.prune()


def _check_all(problems: list[Problem], options: CheckOptions,
               jobs: int) -> Iterator[tuple[Problem, list[ClaimVerdict]]]:
    if jobs <= 1 or len(problems) <= 1:
        for problem in problems:
            yield problem, check_problem(problem, options)
        return
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {pool.submit(_check_one, problem, options): problem for problem in problems}
        for future in concurrent.futures.as_completed(futures):
            yield futures[future], future.result()
