"""A diagnosis's suggested correction, kept only when the exact oracle proves it right.

The diagnosis finds a correction at two random points; it is shown as the answer only once the
exact oracle proves it equal to the true side at every usual size assignment. Otherwise the
diagnosis keeps its finding and says why no correction is suggested.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any, Protocol

from ..errors import DeriveError, ShapeError
from ..language import ast
from ..language.shapes import Scope, typed
from .evidence import UNDECIDED, Diagnosis, ExactEvidence, LinkVerdict
from .points import common_scope


class ExactChecker(Protocol):
    """What a correction is proved with: a problem's checker (derive.verdict.check), its exact
    oracle at each of its usual size assignments."""

    exact_sizes: list[dict]
    options: Any  # CheckOptions: its seed and exact_budget

    def exact_at(self, link: LinkVerdict, sizes: dict, reference: ast.Node, claimed: ast.Node, scope: Scope,
                 rng: random.Random, proof_only: bool = False) -> ExactEvidence: ...


def proved_correction(checker: ExactChecker, reference: ast.Node, claimed: ast.Node, diagnosis: Diagnosis,
                      scope: Scope) -> Diagnosis:
    """``diagnosis`` with its correction only when ``checker``'s exact oracle proves it (an
    ill-formed derivative side is what gets corrected, towards the claim)."""
    if diagnosis.correction is None:
        return diagnosis
    probe = LinkVerdict(left="", right="", verdict=UNDECIDED)
    try:
        target = reference if common_scope(scope, reference) is not None else claimed
        try:  # in the link's scope where it fits: the exact values of the true side are kept there
            sides = typed((target, diagnosis.correction), scope)
        except ShapeError:
            sides = typed((target, diagnosis.correction), scope.for_claim(scope.index_names))
        proved = scope.same_shape(*sides.shapes) and all(
            checker.exact_at(probe, sizes, target, diagnosis.correction, sides.scope,
                             random.Random(checker.options.seed), proof_only=True).outcome == "zero"
            for sizes in checker.exact_sizes)
    except DeriveError:
        proved = False
    if proved:
        return diagnosis
    budget = checker.options.exact_budget
    why = (f"not proved within {budget:g} s" if any(e.method == "timeout" for e in probe.exact)
           else "not proved by the exact check")
    return dataclasses.replace(diagnosis, correct=None, correction=None, message=(
        f"{diagnosis.message} (a correction matched at two random points but was {why}, so none is suggested)"))
