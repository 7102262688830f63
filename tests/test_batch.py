"""derive.verdict.batch: with --jobs, the workers share out claims (not problems), and the
verdicts are the same as checked one after the other."""

from __future__ import annotations

import gc

from derive.problem.definition import find_problem
from derive.verdict.batch import _frozen_for_workers, _share, check_problems
from derive.verdict.check import CheckOptions


def _record(verdicts) -> list:
    return [(v.claim, v.verdict, [(link.reason, link.diagnosis.code if link.diagnosis else None)
                                  for link in v.links]) for v in verdicts]


def test_a_large_problem_is_cut_into_pieces_that_cover_every_claim_once():
    problems = [find_problem("batch-norm"), find_problem("linear-layer")]
    pieces = _share(problems, jobs=2)
    assert len([p for p in pieces if p[0] == 0]) > 1  # batch-norm is not one worker's alone
    for number, problem in enumerate(problems):
        covered = [claim for owner, claims in pieces if owner == number for claim in claims]
        assert covered == list(range(len(problem.claims)))


def test_workers_give_the_verdicts_of_one_process():
    problems = [find_problem("linear-layer"), find_problem("mse")]
    options = CheckOptions()
    alone = {p.id: _record(v) for p, v in check_problems(problems, options, jobs=1)}
    shared = {p.id: _record(v) for p, v in check_problems(problems, options, jobs=2)}
    assert shared == alone
    assert gc.get_freeze_count() == 0  # frozen while the workers ran, not after


def test_the_workers_get_the_problems_by_the_fork_not_by_pickling_them(monkeypatch):
    from derive.problem.definition import Problem

    def refuse(self, protocol):
        raise AssertionError("a problem was pickled")

    monkeypatch.setattr(Problem, "__reduce_ex__", refuse)
    problems = [find_problem("linear-layer"), find_problem("mse")]
    checked = {p.id: [v.verdict for v in verdicts] for p, verdicts in check_problems(problems, CheckOptions(), jobs=2)}
    assert checked == {p.id: [spec.expect or "holds" for spec in p.claims] for p in problems}


def test_what_the_workers_inherit_is_frozen_while_they_run_and_only_then():
    assert gc.get_freeze_count() == 0
    try:
        with _frozen_for_workers():
            assert gc.get_freeze_count() > 1000  # the modules and whatever else lives here
            raise KeyboardInterrupt  # the run stopped: the objects go back to the collector
    except KeyboardInterrupt:
        pass
    assert gc.get_freeze_count() == 0
