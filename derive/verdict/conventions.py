"""Which convention a gradient by a symmetric matrix follows, when it is not the declared one.

Two conventions disagree off the diagonal: The Matrix Cookbook's G + Gᵀ − G∘I (each pair of
equal entries one variable) and the symmetrized (G + Gᵀ)/2 (the gradient among symmetric
matrices, Srinivasan & Panda 2019), G being the gradient with every entry free — itself a
third answer. A claim refuted under the problem's convention that is the gradient under
another gets the diagnosis ``convention``, naming both.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..language import ast
from ..language.shapes import Scope, infer, is_scalar
from ..language.text import to_text
from ..oracles.numeric import NumericModel, relative_gap
from ..problem.definition import Problem
from .evidence import Diagnosis

CONVENTIONS = {
    "": "with every entry free, G",
    "cookbook": "in The Matrix Cookbook's convention, G + Gᵀ − G∘I",
    "symmetrized": "in the symmetrized convention, (G + Gᵀ)/2",
}
SEEDS = (11, 12)
CLOSE = 1e-7


def convention_slip(problem: Problem, reference: ast.Node, claimed: ast.Node, scope: Scope) -> Diagnosis | None:
    """``convention`` when ``claimed`` is the gradient ``reference`` by a symmetric matrix under
    another convention than the declared one, at two random points; else None."""
    if not isinstance(reference, ast.Derivative):
        return None
    variable = problem.variables.get(reference.wrt)
    if variable is None or not {"symmetric", "spd"} & variable.constraints or not is_scalar(infer(reference.of, scope)):
        return None
    sizes = problem.sizes_from(range(3, 3 + len(problem.free_sizes)))
    for other in CONVENTIONS:
        if other == variable.gradient:
            continue
        variant = dataclasses.replace(problem, variables={
            **problem.variables, variable.name: dataclasses.replace(variable, gradient=other)})
        if all(_agree(variant, sizes, seed, reference, claimed, scope) for seed in SEEDS):
            return Diagnosis("convention", f"{to_text(claimed)} is the gradient by {variable.name} "
                                           f"{CONVENTIONS[other]}; this problem declares the gradient "
                                           f"{CONVENTIONS[variable.gradient]}")
    return None


def _agree(problem: Problem, sizes: dict, seed: int, reference, claimed, scope: Scope) -> bool:
    model = NumericModel(problem, sizes, np.random.default_rng(seed))
    with np.errstate(all="ignore"):
        true = model.evaluate(reference, model.base, scope)
        got = model.evaluate(claimed, model.base, scope)
    if true.shape != got.shape:
        return False
    gap, _ = relative_gap(true.reshape(1, -1), got.reshape(1, -1))
    return bool(np.isfinite(gap) and gap < CLOSE)
