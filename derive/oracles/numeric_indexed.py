"""The numeric oracle at every assignment of a claim's indices at once: an index is an axis.

A claim in index notation (``dL/dW[i,j] = ...``, sums over ``k``) is compared at every
assignment of its free indices. Walking the tree once per assignment costs a Python pass per
node per assignment (6⁴ of them for four indices at size 6). Here each index name of the claim
is an axis of its own ahead of the matrix axes, holding the index's values, so one walk gives
every assignment, and a sum over ``k`` sums ``k``'s axis. Every other rule of the numeric oracle
already acts on the last two axes and broadcasts over leading ones (derive.oracles.numeric), so
only index names, indexing, deltas and sums read the axes. A derivative whose value depends on
an index (``dY[m,n]/dX[i,j]``) is not taken this way: ``Unvectorized`` says to loop instead.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from ..errors import BudgetExceeded, DeriveError
from ..language import ast
from ..language.shapes import Scope
from .numeric import NumericModel, _Evaluation

MAX_VALUES = 2**21  # numbers one value may hold (32 MiB): past it, the loop, which holds one assignment


class Unvectorized(Exception):
    """A tree this evaluation cannot take whole: evaluate it assignment by assignment."""


class IndexedEvaluation(_Evaluation):
    """Values of trees in the model's base environment with every index name bound to all its
    values, index ``names[k]`` along leading axis k (the others of length 1)."""

    def __init__(self, model: NumericModel, scope: Scope, names: tuple[str, ...]):
        super().__init__(model, model.base, scope)
        self.names = names
        self.lengths = {name: model.index_range(scope, name) for name in names}
        if np.prod(list(self.lengths.values()), dtype=float) > MAX_VALUES:
            raise Unvectorized("more assignments of the indices together than one value may hold")
        self.axes = {}
        for k, name in enumerate(names):
            shape = [1] * len(names)
            shape[k] = self.lengths[name]
            self.axes[name] = np.arange(self.lengths[name]).reshape(shape)

    def value(self, node: ast.Node, idx: dict | None = None) -> np.ndarray:
        found = self.cache.get(id(node))
        if found is None:  # every index is bound to all its values, always the same: keyed by the node
            found = np.asarray(self._compute(node, self.axes), dtype=complex)
            if found.size > MAX_VALUES:
                raise Unvectorized(f"{found.size} numbers in one value")
            self.keep(id(node), node, found)
        return found

    def _compute(self, node, idx):
        if isinstance(node, ast.Name) and node.id in self.scope.index_names:
            return self.axes[node.id][..., None, None] + 1.0
        if isinstance(node, ast.IndexSum):
            return self._sum(node)
        if isinstance(node, ast.Derivative):
            if self.free_indices(node):
                return self._entry_gradients(node)
            return self.model.derivative(node, self.env, self.scope, {})
        return super()._compute(node, idx)

    def _entry_gradients(self, node: ast.Derivative) -> np.ndarray:
        """d(Y[m,n])/dW at every assignment of m, n: the gradient of each entry of an index-free
        Y, read off the one table of Y's derivatives along every entry of W that the loop reads
        one entry at a time (NumericModel._derivative). Anything else (a second derivative, a
        gradient in a declared convention) is left to the loop."""
        of, model = node.of, self.model
        if not (isinstance(of, ast.Index) and all(item is not ast.ALL for item in of.items)
                and not self.free_indices(of.operand)
                and not any(isinstance(inner, ast.Derivative) for inner in ast.walk(of))
                and not getattr(model.problem.variables.get(node.wrt), "gradient", "")):
            raise Unvectorized(f"a derivative that depends on an index: {node.wrt}")
        table = model._table(of.operand, node.wrt, self.scope)  # (entries of W, rows of Y, columns of Y)
        rows, cols = model.base[node.wrt].shape
        gradients = np.moveaxis(table.reshape(rows, cols, *table.shape[1:]), (2, 3), (0, 1))  # (Y's, W's)
        items = list(of.items)
        if len(items) == 1:  # a vector's one index (NumericModel's _pick reads it the same way)
            items = [items[0], 1] if table.shape[2] == 1 else [1, items[0]]
        positions = []
        for axis, item in enumerate(items):
            if isinstance(item, int):
                if not 1 <= item <= gradients.shape[axis]:
                    raise Unvectorized(f"index {item} out of range")
                positions.append(item - 1)
            else:
                positions.append(self.axes[item])
        return gradients[positions[0], positions[1]]

    def _sum(self, node: ast.IndexSum) -> np.ndarray:
        total = self.value(node.body)
        for name in node.indices:
            axis = self.names.index(name)
            if total.ndim == 2 or total.shape[axis] == 1:  # a term that does not depend on the index
                total = total * self.lengths[name]
            else:
                total = total.sum(axis=axis, keepdims=True)
        return total


def at_every_assignment(model: NumericModel, node: ast.Node, scope: Scope, names: Sequence[str]) -> np.ndarray:
    """``node``'s values at every assignment of the index ``names`` (sorted; in the order of
    ``itertools.product`` over their ranges), shape (assignments, rows, columns). Raises
    Unvectorized for a tree it cannot take whole."""
    every = tuple(sorted(n for n in scope.index_names if n in scope.index_ranges))
    missing = set(names) - set(every)
    if missing:
        raise Unvectorized(f"an index without a range: {min(missing)}")
    evaluation = model.kept(("indexed", id(scope), every), model.base, scope,
                            lambda: IndexedEvaluation(model, scope, every))
    try:
        value = evaluation.value(node)
    except (Unvectorized, BudgetExceeded):
        raise
    except (DeriveError, ArithmeticError, LookupError, ValueError, TypeError, np.linalg.LinAlgError) as error:
        # the loop decides what such a tree gives (an error, as it did before this evaluation)
        raise Unvectorized(f"{type(error).__name__}: {error}") from error
    shape = [evaluation.lengths[name] if name in names else 1 for name in every]
    if value.ndim == 2:
        value = value.reshape((1,) * len(every) + value.shape)
    if any(length != 1 and name not in names for name, length in zip(every, value.shape)):
        raise Unvectorized("a value that depends on an index not asked for")
    value = np.broadcast_to(value, (*shape, *value.shape[-2:]))
    count = math.prod(evaluation.lengths[name] for name in names)
    return value.reshape(count, *value.shape[-2:])


def at_assignments(model: NumericModel, node: ast.Node, scope: Scope, names: Sequence[str],
                   picks: list[int] | None = None) -> np.ndarray:
    """``at_every_assignment`` (only the ``picks``-th assignments, if given), or, for a tree it
    cannot take whole, the same values one assignment at a time, as derive evaluated them before."""
    try:
        values = at_every_assignment(model, node, scope, names)
        return values if picks is None else values[picks]
    except Unvectorized:
        pass
    assignments = list(itertools.product(*[range(model.index_range(scope, name)) for name in names]))
    if picks is not None:
        assignments = [assignments[k] for k in picks]
    return np.stack([model.evaluate(node, model.base, scope, dict(zip(names, values))) for values in assignments])
