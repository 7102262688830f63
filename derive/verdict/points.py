"""The diagnosis's two random points: values of a claim's sides there, and the models behind them.

A diagnosis compares the claim C with the true value T numerically, at two points drawn at two
size assignments (so that a factor that follows a size is told from a constant). Values are
arrays of shape (index assignments, rows, columns), so that a row and a column stay different
even in index notation. The points are fixed, so the numeric models behind them are built once
per problem and kept (``_model``), shared by every claim of a problem and every answer graded.
"""

from __future__ import annotations

import math

import numpy as np

from .. import limits
from ..errors import BudgetExceeded, DeriveError
from ..language import ast
from ..language.shapes import Scope, ShapeMemo, free_indices, infer, typed
from ..oracles.numeric import NumericModel
from ..oracles.numeric_indexed import at_assignments
from ..problem.definition import Problem

SEEDS = (20_261_125, 77_001)
SIZE_TABLES = ([3, 4, 5, 6, 7, 8, 9, 10], [5, 6, 7, 8, 9, 10, 11, 12])
CLOSE = 1e-7


def close(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Equal within CLOSE, relative to the larger of the two (same shape, no NaN)."""
    if a is None or b is None or a.shape != b.shape:
        return False
    # the arrays' own max, not np.max: the diagnosis compares tens of thousands of small arrays
    scale = max(float(np.abs(a).max()), float(np.abs(b).max()), 1e-12)
    return float(np.abs(a - b).max()) / scale < CLOSE


def free(node: ast.Node, scope: Scope) -> set:
    """The index names ``node`` leaves free."""
    return free_indices(node, scope.index_names)


def fresh_scope(scope: Scope) -> Scope:
    """The claim's scope with no index ranges yet: an edit may change which range an index has."""
    return scope.for_claim(scope.index_names)


_MODELS: dict = {}  # id(problem) -> (problem, {(seed, sizes, slip, site): model}), the latest PROBLEMS
PROBLEMS = 8


def forget(problem: Problem) -> None:
    """Drop the models kept for ``problem``: a catalog's problem is done with once its claims are
    checked, and keeping eight problems' models cost a catalog run 40 MiB of peak memory."""
    _MODELS.pop(id(problem), None)


def _model(problem: Problem, seed: int, table, overrides, site, slip: str,
           source: Problem | None = None) -> NumericModel:
    """The numeric model of ``problem`` at one of the diagnosis's points, built once per problem:
    its points are fixed, and a model keeps what it computed (a pass along every entry of each
    variable a derivative is taken by), which every claim of the problem and every answer graded reuses.
    ``slip`` names the ``overrides`` (a wrong rule for an activation's derivative) or the
    ``source``, a variant of the problem the model is built from (a variable made symmetric). The
    models of the latest PROBLEMS problems are kept (an assignment's questions, a catalog's current one)."""
    entry = _MODELS.pop(id(problem), None)  # the problem is kept in the entry: its identity is not reused
    if entry is None:
        entry = (problem, {})
    _MODELS[id(problem)] = entry  # the most recent last
    while len(_MODELS) > PROBLEMS:
        del _MODELS[next(iter(_MODELS))]
    models = entry[1]
    key = (seed, tuple(table), slip, site)
    if key not in models:
        sizes = problem.sizes_from(table)
        limits.check_model(problem, sizes)  # a problem too large for the numeric oracle: refused before it is built
        models[key] = NumericModel(source or problem, sizes, np.random.default_rng(seed), overrides, site)
    return models[key]


class Point:
    """Values of expressions at one random point: arrays (index assignments, rows, columns)."""

    def __init__(self, problem: Problem, seed: int, table, overrides=None, site=None, slip: str = "",
                 source: Problem | None = None):
        self.problem = problem
        self.model = _model(problem, seed, table, overrides, site, slip, source)

    def __call__(self, node, scope: Scope, names, picks: list[int] | None = None):
        """The values of ``node`` at every assignment of ``names`` (or at the ``picks``-th ones)."""
        names = sorted(names)
        try:
            if math.prod(self.model.index_range(scope, n) for n in names) > limits.MAX_NUMERIC_ENTRIES:
                return None  # more index assignments than the numeric oracle may hold values for
            with np.errstate(all="ignore"):
                return at_assignments(self.model, node, scope, names, picks).real
        except BudgetExceeded:
            raise  # the caller's deadline: the search stops, it does not go on without this point
        except (DeriveError, ValueError, LookupError, ZeroDivisionError, FloatingPointError,
                np.linalg.LinAlgError):
            return None


class Pair:
    """Both sides of a link at two random points, over the union of their free indices."""

    def __init__(self, problem: Problem, scope: Scope, reference, claimed):
        self.problem = problem
        self.scope = scope
        self.points = [Point(problem, seed, table) for seed, table in zip(SEEDS, SIZE_TABLES)]
        self.true = self.got = None
        self.true_shape = self.got_shape = None
        # the scope both sides type-check in together, and their free indices (None: they do not)
        self.common = common = common_scope(scope, reference, claimed)
        self.names = None
        if common is not None:
            self.true_shape, self.got_shape = infer(reference, common), infer(claimed, common)
            self.names = names = free(reference, common) | free(claimed, common)
            self.true = [p(reference, common, names) for p in self.points]
            self.got = [p(claimed, common, names) for p in self.points]
            return
        for side, node in (("true", reference), ("got", claimed)):
            try:
                alone = typed((node,), fresh_scope(scope))
                shape, own = alone.shapes[0], alone.scope
            except BudgetExceeded:
                raise
            except DeriveError:
                continue
            setattr(self, f"{side}_shape", shape)
            setattr(self, side, [p(node, own, free(node, own)) for p in self.points])

    def ok(self, side: list | None) -> bool:
        return side is not None and all(v is not None for v in side)


def common_scope(scope: Scope, *nodes: ast.Node, memo: ShapeMemo | None = None) -> Scope | None:
    """A fresh scope in which all ``nodes`` type-check together (sharing index ranges), or None."""
    try:
        return typed(nodes, fresh_scope(scope), memo).scope
    except BudgetExceeded:
        raise
    except DeriveError:
        return None
