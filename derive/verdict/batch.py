"""Checking many problems: one after the other or in worker processes, and, with the verdict
cache, only the claims whose verdict is not stored.

The parent process looks every claim up in the cache before any work is sent out, so that only
the claims without a stored verdict go to the workers (a problem with all of them stored builds
nothing), and stores each new verdict as it comes back: workers never touch the cache.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import multiprocessing
from collections.abc import Iterator
from dataclasses import replace

from ..oracles import index
from ..oracles.zero import load_engine
from ..problem.definition import Problem
from . import points
from .cache import VerdictCache
from .check import CheckOptions, ProblemChecker, check_problem
from .evidence import ClaimVerdict


def check_problems(problems: list[Problem], options: CheckOptions | None = None, jobs: int = 1,
                   cache: VerdictCache | None = None) -> Iterator[tuple[Problem, list[ClaimVerdict]]]:
    """(problem, verdicts) for each problem, in the order they finish; ``jobs`` worker processes
    (whose verdicts come back without trees: ``check.check_problem`` keeps them, for documents).

    The workers share out the claims, not the problems (``_share``); the time budgets work the
    same in a worker as in the main process.

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
    """(problem, verdicts) for each problem as its last claim is checked: in this process, or
    with the claims spread over ``jobs`` workers (see ``_share``)."""
    if jobs <= 1 or sum(len(p.claims) for p in problems) <= 1:
        for problem in problems:
            verdicts = check_problem(problem, options)
            _done_with(problem)  # each problem once
            yield problem, verdicts
        return
    load_engine()  # once here, shared by the workers forked below
    context = multiprocessing.get_context("fork")
    verdicts: dict[int, list] = {number: [None] * len(p.claims) for number, p in enumerate(problems)}
    left = {number: len(p.claims) for number, p in enumerate(problems)}
    for problem in problems:
        if not problem.claims:
            yield problem, []
    # the workers are forked with the problems (``_inherit``): only numbers go to them, not trees
    with _frozen_for_workers(), concurrent.futures.ProcessPoolExecutor(
            max_workers=jobs, mp_context=context, initializer=_inherit, initargs=(problems,)) as pool:
        futures = {pool.submit(_check_claims, number, claims, options): (number, claims)
                   for number, claims in _share(problems, jobs)}
        for future in concurrent.futures.as_completed(futures):
            number, claims = futures[future]
            for position, verdict in zip(claims, future.result()):
                verdicts[number][position] = verdict
            left[number] -= len(claims)
            if not left[number]:
                yield problems[number], verdicts[number]


@contextlib.contextmanager
def _frozen_for_workers() -> Iterator[None]:
    """While the workers run: every object this process holds (modules, parsed problems) out of
    the cyclic collector's reach (``gc.freeze``). A forked worker's collections would otherwise
    walk those objects, writing to each one's header, and so copy the parent's heap into the
    worker page by page (copy-on-write). The catalog with ``--jobs 2``: 5.47 → 5.07 s (median of
    4 runs each), peak RSS +8 MiB. Unfrozen afterwards: in a process that goes on, the collector
    sees them again. (``derive grade``'s workers, measured the same way, gained nothing.)"""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _done_with(problem: Problem) -> None:
    """Drop what was kept for ``problem`` once its claims are checked: its diagnosis models and
    what the index-notation engine remembered (memory that grew over a catalog run)."""
    points.forget(problem)
    index.forget(problem)


PIECES_PER_WORKER = 6  # pieces a worker gets on average: enough to even out claims of unequal cost


def _share(problems: list[Problem], jobs: int) -> list[tuple[int, list[int]]]:
    """The claims cut into pieces of consecutive claims of one problem, the pieces handed out in
    order as workers free up: a problem larger than a worker's share no longer runs alone while
    the other workers wait, and a worker that gets several pieces of a problem in a row keeps
    its models (``_check_claims``)."""
    total = sum(len(p.claims) for p in problems)
    size = max(1, total // (jobs * PIECES_PER_WORKER))
    pieces = []
    for number, problem in enumerate(problems):
        positions = list(range(len(problem.claims)))
        pieces.extend((number, positions[start:start + size]) for start in range(0, len(positions), size))
    return pieces


_PROBLEMS: list[Problem] = []  # in a worker: the problems of the run, as the parent held them at the fork
_CHECKERS: dict = {}  # in a worker: the problem's number in this run -> its checker, the latest few
CHECKERS = 4


def _inherit(problems: list[Problem]) -> None:
    """A worker's start: the run's problems, which a forked worker has from its parent without a
    copy. Sent with each piece of work, they were pickled by the parent and rebuilt by the worker,
    ~50 ms of CPU over the catalog, and held twice."""
    _PROBLEMS[:] = problems


def _check_claims(number: int, claims: list[int], options: CheckOptions) -> list[ClaimVerdict]:
    """Some claims of the run's problem ``number``, checked in a worker by the checker it keeps
    for that problem (its models built once). They go back without their trees: the parent
    reports them as text and JSON, and pickling every derivation's trees cost more than checking
    some claims."""
    problem = _PROBLEMS[number]
    checker = _CHECKERS.pop(number, None) or ProblemChecker(problem, options)
    _CHECKERS[number] = checker
    while len(_CHECKERS) > CHECKERS:
        _done_with(_CHECKERS.pop(next(iter(_CHECKERS))).problem)
    return [checker.check(problem.claims[position]).without_trees() for position in claims]
