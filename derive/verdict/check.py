"""Checking claims: both oracles on every link, combined into a verdict with its evidence.

The rules that make "holds" trustworthy live here. A link holds only when the exact oracle
proved the difference zero at every size assignment (distinct small sizes, so that no transpose
can hide) and the numeric oracle does not contradict it. It fails only with a witness: an exact
evaluation that differs beyond doubt, a numeric difference far beyond rounding, or shapes that
cannot match. Everything else is undecided, and says which evidence there is.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np

from ..budget import call_with_timeout, deadline
from ..errors import BudgetExceeded, DeriveError, ShapeError, TooLarge
from ..language import ast
from ..language.parser import parse_claim
from ..language.shapes import Scope, fmt, free_indices, infer, is_scalar, typed
from ..language.text import to_text
from ..limits import RECURSION_LIMIT, recursion_room
from ..oracles.exact_matrices import from_entries
from ..oracles.index import prove_link
from ..oracles.numeric import NumericModel, relative_gap
from ..oracles.numeric_indexed import at_assignments
from ..oracles.symbolic import ExactModel
from ..oracles.witness import find_witness
from ..oracles.zero import ExpansionTooLarge, zero_test
from ..problem.definition import ClaimSpec, Problem
from ..problem.updates import as_gradient_claim
from .ambiguity import row_slice_notes
from .corrections import proved_correction
from .evidence import (
    FAILS,
    HOLDS,
    UNDECIDED,
    ClaimVerdict,
    Diagnosis,
    Difference,
    ExactEvidence,
    LinkVerdict,
    NumericEvidence,
    combine,
    entry_label,
    shown_value,
    sizes_text,
)
from .fresh_sizes import claim_rng, draw_sizes, draw_wide_sizes, exact_size_assignments, problem_material
from .shape_statement import check_statement
from .sizes_as_values import sizes_as_values

# ranges of the numeric oracle's sizes, drawn per claim (derive.fresh_sizes): large for a
# gradient checked along random directions, medium for whole matrices, small for index forms
LARGE = (17, 73)
MEDIUM = (7, 16)
SMALL = (4, 6)
FRESH_EXACT = (2, 5)  # the extra exact assignment of a claim with no proof for every size
FRESH_DRAWS = 8  # of as many draws of it, the cheapest is checked
# the largest size of the wide numeric draw: a gradient checked along directions is cheap at
# hundreds; whole matrices (inv, det, derivative tables) and index forms cost more
WIDE = {LARGE: 600, MEDIUM: 48, SMALL: 9}
NUMERIC_TOLERANCE = 1e-8
DIAGNOSIS_BUDGET = 5.0
GENERIC_BUDGET = 5.0
# terms of work below which SymEngine's expand runs in this process: well under a second at worst
IN_PROCESS_EXPANSION = 100_000


@dataclass
class CheckOptions:
    exact_budget: float = 10.0  # seconds per link for the exact oracle, over all the sizes it is checked at
    numeric: bool = True
    seed: int = 0
    exact_assignments: int = 2
    generic: bool = True  # also seek a proof for every size (index notation) for claims that hold
    exact_sizes: list[dict] | None = None  # override the size assignments of the exact oracle
    numeric_sizes: dict | None = None  # override the numeric oracle's sizes
    salt: str = ""  # keys the sizes drawn for each claim (grading keeps a secret one per class)


def _is_gradient(node, scope: Scope) -> bool:
    """A bare derivative of a scalar: the side the numeric check can take along directions."""
    return isinstance(node, ast.Derivative) and is_scalar(infer(node.of, scope))


def _is_derivative(node) -> bool:
    return isinstance(node, ast.Derivative) or (
        isinstance(node, (ast.Index, ast.Transpose)) and _is_derivative(node.operand)
    )


def orient(left: ast.Node, right: ast.Node) -> tuple[ast.Node, ast.Node]:
    """(reference, claimed): the derivative side is the truth a claim is measured against."""
    if _is_derivative(right) and not _is_derivative(left):
        return right, left
    return left, right


@contextlib.contextmanager
def _timed(link: LinkVerdict, stage: str) -> Iterator[None]:
    """Adds the seconds the block takes to ``link.timings[stage]``."""
    start = time.monotonic()
    try:
        yield
    finally:
        link.timings[stage] = link.timings.get(stage, 0.0) + time.monotonic() - start


def _uses(node, predicate) -> bool:
    return any(predicate(n) for n in ast.walk(node))


class ProblemChecker:
    """Checks claims of one problem, reusing each size assignment's models across claims."""

    def __init__(self, problem: Problem, options: CheckOptions | None = None):
        self.problem = problem
        self.options = options or CheckOptions()
        self._exact: dict = {}
        # (sizes, the two sides, their index names and ranges) proved equal; without the sizes:
        # proved for every size
        self._zeros: set = set()
        self._material = problem_material(problem)  # what each claim's sizes are drawn from, besides it
        self.exact_sizes = self.options.exact_sizes or exact_size_assignments(
            problem, self.options.exact_assignments)

    def exact_model(self, sizes: dict) -> ExactModel:
        key = tuple(sizes.items())
        if key not in self._exact:
            self._exact[key] = ExactModel(self.problem, sizes)
        return self._exact[key]

    # -- claims --------------------------------------------------------------------------------
    def check(self, claim: ClaimSpec | str) -> ClaimVerdict:
        return self.check_in(claim)[0]

    def check_in(self, claim: ClaimSpec | str, scope: Scope | None = None) -> tuple[ClaimVerdict, Scope | None]:
        """The claim's verdict, and the scope after its links, whose index ranges a claim that
        continues it (a derivation's next line, ``= …``) is checked in; ``scope`` is that of the
        claim it continues, if any (None when the claim could not be checked)."""
        spec = claim if isinstance(claim, ClaimSpec) else ClaimSpec(text=claim, chain=parse_claim(claim))
        start = time.monotonic()
        verdict = ClaimVerdict(claim=spec.text, verdict=UNDECIDED, links=[], expect=spec.expect,
                               expected_diagnosis=spec.diagnosis, correct=spec.correct, source=spec.source,
                               chain=spec.chain, correct_chain=spec.correct_chain)
        try:
            if spec.chain.kind == ":=":  # W := W - eta * G, read as the claim dL/dW = G
                spec = dataclasses.replace(spec, chain=as_gradient_claim(self.problem, spec.chain))
                verdict.chain = spec.chain
            own = self.problem.check_claim_names(spec.chain)
            if scope is not None:  # a continued claim keeps the ranges its indices had
                own = dataclasses.replace(scope, index_names=scope.index_names | own.index_names)
            scope = own
            verdict.notes = row_slice_notes(spec.chain, scope)
            if spec.chain.kind == "in":  # dL/dW in R^(m x d): decided by the shapes alone
                verdict.links.append(check_statement(spec.chain, scope))
            with recursion_room(RECURSION_LIMIT):
                for left, right in spec.chain.links():  # an index keeps its range from link to link
                    link, scope = self._check_link(left, right, scope)
                    verdict.links.append(link)
            verdict.verdict = combine(verdict.links)
        except DeriveError as error:
            verdict.error = str(error).splitlines()[0]
            verdict.verdict = "error"
        except MemoryError:
            # derive's limit, not a mistake of the claim: grading leaves it for review
            verdict.error = "internal error (out of memory): the claim is too large to check here"
            verdict.verdict = "error"
        except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as error:
            # a defect of derive, not of the claim: report it on this claim and go on with the rest
            verdict.error = f"internal error (please report): {type(error).__name__}: {error}"
            verdict.verdict = "error"
        verdict.seconds = time.monotonic() - start
        return verdict, (scope if verdict.error is None else None)

    def check_link(self, left: ast.Node, right: ast.Node, scope: Scope) -> LinkVerdict:
        """The verdict of one link ``left = right``, with the evidence."""
        return self._check_link(left, right, scope)[0]

    def _check_link(self, left, right, scope: Scope) -> tuple[LinkVerdict, Scope]:
        """The link's verdict, and ``scope`` with the ranges of the indices the link uses."""
        start = time.monotonic()
        reference, claimed = orient(left, right)
        link = LinkVerdict(left=to_text(left), right=to_text(right), verdict=UNDECIDED, sides=(left, right))
        try:
            sides = typed((reference, claimed), scope)
        except ShapeError as error:
            return self._shape_failure(link, reference, claimed, scope, str(error), start), scope
        scope = sides.scope
        true_shape, claimed_shape = sides.shapes
        if not scope.same_shape(true_shape, claimed_shape):
            message = (f"shape mismatch: {to_text(claimed)} is {fmt(claimed_shape)}, "
                       f"{to_text(reference)} is {fmt(true_shape)}")
            return self._shape_failure(link, reference, claimed, scope, message, start), scope
        rng = claim_rng(self._material, f"{link.left} = {link.right}", self.options.seed, self.options.salt)
        exact_rng = random.Random(self.options.seed)  # the witness search's, over the usual sizes
        first, *others = self.exact_sizes
        self.exact_at(link, first, reference, claimed, scope, exact_rng)
        if self.options.numeric and not _witnessed(link):  # a witness decides: no numeric value can change it
            self._numeric_check(link, reference, claimed, scope, rng)
        proof = self._generic(link, left, right, scope) if _exact_zero(link) and self.options.generic else None
        if not _proved_and_agreed(link, proof):
            self._exact_check(link, others, reference, claimed, scope, exact_rng)
        self._decide(link)
        if link.verdict == FAILS and proof is not None and proof.proved:  # the witness stands
            link.reason += "; the index-notation engine claimed a proof for every size: please report this"
        if link.verdict == HOLDS or _exact_zero(link):
            self._every_size(link, reference, claimed, scope, rng, proof)
            if link.verdict == HOLDS and link.every_size:
                self._zeros.add(_link_key(reference, claimed, scope))
        if link.verdict == FAILS:
            with _timed(link, "diagnosis"):
                link.diagnosis = self._size_dependent(link) or self._diagnose(reference, claimed, scope)
        link.seconds = time.monotonic() - start
        return link, scope

    def _size_dependent(self, link: LinkVerdict) -> Diagnosis | None:
        """The diagnosis of a claim proved exactly at the usual sizes and wrong at others: a term
        that vanishes at some sizes only, which no slip of the table (each visible at every size)
        explains — so the edit search is not run."""
        proved = [e.sizes for e in link.exact if e.outcome == "zero" and e.sizes in self.exact_sizes]
        if len(proved) < len(self.exact_sizes) or not proved:
            return None
        wrong = next((e.sizes for e in link.exact if e.outcome == "witness"), None) or next(
            (n.sizes for n in link.numeric if n.disagrees), None)
        if wrong is None:
            return None
        right = "; ".join(sizes_text(sizes) for sizes in proved)
        return Diagnosis("unknown", f"right at {right} but not at {sizes_text(wrong)}: a term that "
                                    f"depends on the sizes and vanishes at some of them only; no common "
                                    f"slip explains it")

    def _shape_failure(self, link, reference, claimed, scope, message, start) -> LinkVerdict:
        link.verdict = FAILS
        link.reason = message
        link.exact.append(ExactEvidence(sizes={}, outcome="shape", method="shapes", detail=message))
        with _timed(link, "diagnosis"):
            link.diagnosis = self._diagnose(reference, claimed, scope, message)
        link.seconds = time.monotonic() - start
        return link

    def _generic(self, link: LinkVerdict, left, right, scope):
        """The index-notation engine's proof for every size, or None when it gave up."""
        try:
            with _timed(link, "generic"), deadline(GENERIC_BUDGET, "the generic proof"):
                proof = prove_link(self.problem, left, right, scope)
        except (BudgetExceeded, DeriveError) as error:
            link.generic = f"no generic proof: {str(error).splitlines()[0]}"
            return None
        link.generic = "proved" if proof.proved else f"no generic proof: {proof.reason}"
        link.steps = list(proof.steps)
        link.derivation = [(step.text, step.justification) for step in proof.steps]
        return proof

    # -- every size -------------------------------------------------------------------------
    def _every_size(self, link: LinkVerdict, reference, claimed, scope, rng, proof) -> None:
        """A link that holds at the concrete sizes holds for every size only with a generic proof
        (``proof``, None when the engine is off), or, failing one, with evidence at sizes drawn
        for this claim that agrees.

        Without a proof, the claim gets one more exact assignment and more numeric ones, drawn
        so that they cannot be predicted from what derive prints and away from the roots of any
        size-dependent term the engine found; a claim that uses a size as a value, or whose
        difference keeps a size-dependent term, is never called holding on such evidence.
        """
        free = self.problem.free_sizes
        complete = not free  # no size to vary: the exact proof at the problem's only sizes is complete
        if (proof is not None and proof.proved) or complete:
            link.every_size = True
            if link.verdict == UNDECIDED and not _exact_and_numeric_conflict(link):
                # the only doubt was a numeric value that is not finite: the proofs stand alone
                link.verdict = HOLDS
                link.reason = ("proved for every size" if not complete else "proved exactly") + \
                    "; the numeric check gave a non-finite value (NaN or inf), so it adds nothing"
            return
        if not self.options.generic:
            link.generic = "no generic proof: the index-notation engine is off"
        coefficients = proof.size_coefficients if proof is not None else ()
        used = [e.sizes for e in link.exact] + [n.sizes for n in link.numeric]
        if self.options.numeric and not _exact_and_numeric_conflict(link):  # the cheap evidence first
            self._numeric_check(link, reference, claimed, scope, rng, fresh="near")
            self._numeric_check(link, reference, claimed, scope, rng, fresh="wide")
        if not _exact_and_numeric_conflict(link):
            sizes = draw_sizes(self.problem, rng, *FRESH_EXACT, avoid=used, nonzero=coefficients,
                               cheapest_of=FRESH_DRAWS)
            try:
                self.exact_at(link, sizes, reference, claimed, scope, rng)
            except TooLarge as error:  # the claim is checkable at the smallest sizes, not at these
                link.exact.append(ExactEvidence(sizes=sizes, outcome="undecided", method="limit",
                                                detail=str(error).splitlines()[0]))
        self._decide(link)
        if _exact_and_numeric_conflict(link):
            # exact at every size it tried, numerically wrong at others: wrong at those sizes
            n = next(n for n in link.numeric if n.disagrees)
            link.verdict = FAILS
            link.reason = (f"the numeric check at {sizes_text(n.sizes)} differs by {n.error:.1e} "
                           f"(relative), far beyond rounding; it holds exactly only at the sizes tried, "
                           f"and has no proof for every size")
            return
        if link.verdict != HOLDS:
            return
        numeric_ok = bool(link.numeric) and all(n.agree for n in link.numeric) and len(link.numeric) > 1
        quantities = set(self.problem.shapes)
        size_values = sorted(sizes_as_values(reference, set(free), quantities, scope)
                             | sizes_as_values(claimed, set(free), quantities, scope))
        if coefficients:
            link.verdict = UNDECIDED
            terms = ", ".join(str(c) for c in coefficients[:3])
            link.reason = (f"not proved for every size: left minus right keeps terms with the "
                           f"size-dependent coefficient(s) {terms}, though they vanish at the sizes tried")
        elif size_values:
            link.verdict = UNDECIDED
            link.reason = (f"not proved for every size: the claim uses the size {size_values[0]} as a "
                           f"value, and concrete sizes cannot show a size-dependent term is absent")
        elif not numeric_ok:
            link.verdict = UNDECIDED
            link.reason = ("not proved for every size, and the numeric check at sizes drawn for this "
                           "claim is unavailable")
        else:
            link.reason = ("proved exactly at the sizes tried, including sizes drawn for this claim, "
                           "and the numeric check agrees; no proof for every size")

    def _diagnose(self, reference, claimed, scope, message=None) -> Diagnosis:
        # the diagnosis modules are imported by the first claim that fails, not by one that holds
        from .conventions import convention_slip
        from .diagnose import diagnose

        try:
            # a point where a value overflows is one the search passes over, not an error
            with deadline(min(DIAGNOSIS_BUDGET, self.options.exact_budget), "the diagnosis"), \
                    np.errstate(all="ignore"):
                found = (None if message else convention_slip(self.problem, reference, claimed, scope)) \
                    or diagnose(self.problem, reference, claimed, scope, message)
        except BudgetExceeded:
            return Diagnosis("shape" if message else "unknown",
                             message or "no common slip was recognised within "
                             f"{min(DIAGNOSIS_BUDGET, self.options.exact_budget):g} s")
        return proved_correction(self, reference, claimed, found, scope)

    # -- the exact oracle ------------------------------------------------------------------
    def _assignments(self, scope: Scope, nodes, sizes_of) -> list[dict]:
        free: set = set()
        for node in nodes:
            free |= free_indices(node, scope.index_names)
        names = sorted(free)
        ranges = [range(sizes_of(name)) for name in names]
        return [dict(zip(names, values)) for values in itertools.product(*ranges)]

    def _exact_values(self, model: ExactModel, reference, claimed, scope):
        assignments = self._assignments(scope, (reference, claimed), lambda n: model.index_range(scope, n))
        if assignments == [{}]:
            left = model.evaluate(reference, model.base, scope)
            right = model.evaluate(claimed, model.base, scope)
            return left, right, None
        lefts, rights = [], []
        for idx in assignments:
            lefts.extend(model.evaluate(reference, model.base, scope, idx))
            rights.extend(model.evaluate(claimed, model.base, scope, idx))
        per = len(lefts) // len(assignments)
        shape = (len(assignments), per)
        return from_entries(*shape, lefts), from_entries(*shape, rights), assignments

    def _exact_check(self, link: LinkVerdict, assignments, reference, claimed, scope, rng) -> None:
        """The exact oracle at each of ``assignments`` in turn, up to the first that is not a proof."""
        for sizes in assignments:
            if self.exact_at(link, sizes, reference, claimed, scope, rng).outcome != "zero":
                break

    def exact_at(self, link: LinkVerdict, sizes: dict, reference: ast.Node, claimed: ast.Node, scope: Scope,
                 rng: random.Random, proof_only: bool = False) -> ExactEvidence:
        """The exact oracle at one size assignment: a witness, a proof of zero, or undecided.

        When the zero test cannot prove the difference zero, a thorough witness search (every
        sign pattern, values near zero and large ones) runs before the link is left undecided.
        ``proof_only``: zero or undecided, no witness sought (a correction expected to be right).
        """
        start = time.monotonic()
        evidence = ExactEvidence(sizes=sizes, outcome="undecided")
        link_key = _link_key(reference, claimed, scope)
        key = (tuple(sizes.items()), *link_key)
        if proof_only and (key in self._zeros or link_key in self._zeros):  # a correction that is
            # another claim, proved already at these sizes or for every size
            evidence.outcome, evidence.method = "zero", "proved before"
            link.exact.append(evidence)
            return evidence
        budget = self.options.exact_budget - link.timings.get("exact", 0.0)  # the link's, over all its sizes
        try:
            if budget <= 0:
                raise BudgetExceeded("the exact check had no time left")
            with _timed(link, "exact"), deadline(budget, "the exact check"):
                model = self.exact_model(sizes)
                left, right, assignments = self._exact_values(model, reference, claimed, scope)
                # the same expressions entry by entry: no point can tell them apart, so none is sought
                structural = all(a == b for a, b in zip(left, right))
                witness = None if structural or proof_only else find_witness(left, right, model.symbols(), rng,
                                                                             bounds=model.bounds())
                if structural:
                    evidence.outcome, evidence.method = "zero", "structural"
                elif witness is None:
                    outcome = self._zero_test(left, right, start, budget)
                    evidence.outcome, evidence.method, evidence.detail = outcome
                    if evidence.outcome != "zero" and not proof_only:
                        witness = find_witness(left, right, model.symbols(), rng, thorough=True,
                                               bounds=model.bounds())
                if witness is not None:
                    evidence.outcome, evidence.method, evidence.detail = "witness", "witness", ""
                    true, claim = witness.as_floats()
                    link.difference = Difference(
                        entry=entry_label(witness.entry, assignments, left.shape),
                        true=true, claimed=claim, sizes=sizes,
                        point={str(k): float(v) for k, v in list(witness.point.items())[:12]},
                    )
                    if shown_value(true) == shown_value(claim):
                        link.difference.gap = witness.gap()
        except BudgetExceeded as error:
            left_over = "" if budget >= self.options.exact_budget else \
                f" (what the sizes before left of the link's {self.options.exact_budget:g} s)"
            evidence.outcome, evidence.method, evidence.detail = "undecided", "timeout", f"{error}{left_over}"
        evidence.seconds = time.monotonic() - start
        link.exact.append(evidence)
        if evidence.outcome == "zero":
            self._zeros.add(key)
        return evidence

    def _zero_test(self, left, right, start: float, budget: float | None = None) -> tuple[str, str, str]:
        """The zero test in this process when its expansions are small enough to be sure to end
        soon (a fork costs more than most tests), else in a child killed at the (link's) budget."""
        try:
            return zero_test(left, right, IN_PROCESS_EXPANSION)
        except ExpansionTooLarge:
            remaining = (self.options.exact_budget if budget is None else budget) - (time.monotonic() - start)
            return call_with_timeout(partial(zero_test, left, right), max(remaining, 0.5), "the exact zero test")

    # -- the numeric oracle ------------------------------------------------------------------
    def _numeric_check(self, link: LinkVerdict, reference, claimed, scope, sizes_rng: random.Random,
                       fresh: str = "") -> None:
        """The numeric oracle at sizes drawn for this claim; ``fresh`` "near": different from every
        assignment used so far, "wide": log-uniform up to WIDE sizes. NaN, inf or an unavailable
        evaluation is never agreement."""
        indexed = _uses(reference, _is_indexing) or _uses(claimed, _is_indexing)
        extra_derivatives = _uses(claimed, lambda n: isinstance(n, ast.Derivative) and not self._upstream(n))
        heavy = _uses(reference, _is_heavy) or _uses(claimed, _is_heavy)
        directional = _is_gradient(reference, scope) and not indexed
        if indexed:
            span = SMALL
        elif extra_derivatives or heavy or not directional:
            span = MEDIUM
        else:
            span = LARGE
        if self.options.numeric_sizes and not fresh:
            sizes = self.options.numeric_sizes
        elif fresh == "wide":
            sizes = draw_wide_sizes(self.problem, sizes_rng, span[0], WIDE[span])
        else:
            used = [n.sizes for n in link.numeric] if fresh else []
            sizes = draw_sizes(self.problem, sizes_rng, *span, avoid=used)
        start = time.monotonic()
        rng = np.random.default_rng(self.options.seed + 1 + len(link.numeric))
        try:
            # an underflow to 0 would read as a disagreement: the check is unavailable instead
            with _timed(link, "numeric"), deadline(self.options.exact_budget, "the numeric check"), \
                    np.errstate(all="ignore", under="raise"):
                model = NumericModel(self.problem, sizes, rng)
                if directional:
                    error = self._directional(model, reference, claimed, scope, rng)
                    method = "direction"
                else:
                    error = self._entrywise(model, reference, claimed, scope)
                    method = "entrywise"
        except (BudgetExceeded, DeriveError, FloatingPointError, np.linalg.LinAlgError) as error:
            link.numeric_unavailable = f"numeric check unavailable: {str(error).splitlines()[0]}"
            return
        finite = bool(np.isfinite(error))
        link.numeric.append(NumericEvidence(sizes=sizes, agree=bool(finite and error < NUMERIC_TOLERANCE),
                                            error=float(error), method=method,
                                            seconds=time.monotonic() - start, finite=finite))

    @staticmethod
    def _directional(model: NumericModel, reference, claimed, scope, rng) -> float:
        value = model.evaluate(claimed, model.base, scope)
        worst = 0.0
        for _ in range(2):
            direction = rng.standard_normal(value.shape)
            expected = float(model.directional(reference.of, reference.wrt, direction, scope)[0, 0])
            got = float(np.sum(value * direction).real)
            # ⟨claim, V⟩ for a random V has spread ‖claim‖·rms(V), not ‖claim‖·‖V‖: measured against
            # that, one wrong entry among N still shows (≈ 1/√N), while the complex step's
            # rounding (≈ 1e-16·‖claim‖·‖V‖) stays orders of magnitude below the tolerance
            spread = float(np.linalg.norm(value)) * float(np.linalg.norm(direction)) / np.sqrt(direction.size)
            gap = abs(got - expected) / (abs(expected) + spread + 1e-300)
            if not np.isfinite(gap):  # NaN or inf is never agreement (max() would drop a NaN)
                return float("nan")
            worst = max(worst, gap)
        return worst

    def _entrywise(self, model: NumericModel, reference, claimed, scope) -> float:
        names = sorted(free_indices(reference, scope.index_names) | free_indices(claimed, scope.index_names))
        left, right = (at_assignments(model, side, scope, names) for side in (reference, claimed))
        worst, _ = relative_gap(left.reshape(len(left), -1), right.reshape(len(right), -1))
        return worst

    def _upstream(self, node: ast.Derivative) -> bool:
        """dJ/dy for a loss J left arbitrary: free numbers, cheap at any size."""
        return isinstance(node.of, ast.Name) and node.wrt in self.problem.arbitrary.get(node.of.id, ())

    # -- the verdict ----------------------------------------------------------------------------
    def _decide(self, link: LinkVerdict) -> None:
        """Holds: exact zero at every assignment tried, and numeric evidence that agrees (finite)
        or, where the numeric oracle has no rule, none that disagrees. Fails: a witness, or a
        finite numeric difference far beyond rounding. Anything else: undecided."""
        outcomes = [e.outcome for e in link.exact]
        numeric_disagrees = any(n.disagrees for n in link.numeric)
        non_finite = any(not n.finite for n in link.numeric)
        if "witness" in outcomes:
            link.verdict = FAILS
            d = link.difference
            link.reason = f"differs at {d.entry}: true {shown_value(d.true)}, claimed {shown_value(d.claimed)}"
            if d.sizes and d.sizes not in self.exact_sizes:  # found at sizes drawn for this claim
                link.reason += f" when {sizes_text(d.sizes)}"
            if d.gap:
                link.reason += f" (they differ by {d.gap})"
        elif outcomes and all(o == "zero" for o in outcomes) and (
                len(outcomes) >= min(2, len(self.exact_sizes)) or link.generic == "proved"):
            if numeric_disagrees:
                link.verdict = UNDECIDED
                link.reason = "the exact oracle proved it but the numeric oracle disagrees: please report this"
            elif non_finite:
                link.verdict = UNDECIDED
                link.reason = "proved exactly, but the numeric check gave a non-finite value (NaN or inf)"
            else:
                link.verdict = HOLDS
                link.reason = "proved exactly"
        elif numeric_disagrees:
            link.verdict = FAILS
            n = next(n for n in link.numeric if n.disagrees)
            link.reason = f"the numeric check differs by {n.error:.1e} (relative), far beyond rounding"
        else:
            link.verdict = UNDECIDED
            detail = next((e.detail for e in link.exact if e.outcome == "undecided"), "")
            numeric = " (numeric evidence agrees)" if link.numeric and all(n.agree for n in link.numeric) else ""
            link.reason = f"not proved: {detail}{numeric}" if detail else f"not proved{numeric}"
        if link.verdict != HOLDS and link.numeric_unavailable and link.numeric_unavailable not in link.reason:
            link.reason += f"; {link.numeric_unavailable}"


def _link_key(reference: ast.Node, claimed: ast.Node, scope: Scope) -> tuple:
    """A link as ``ProblemChecker._zeros`` knows it: its two sides, their index names and ranges."""
    return reference, claimed, scope.index_names, frozenset(scope.index_ranges.items())


def _proved_and_agreed(link: LinkVerdict, proof) -> bool:
    """A proof for every size, exact zero at the first usual sizes and numeric agreement at sizes
    drawn for the claim: the evidence is complete without the other usual size assignments
    (see docs/guarantees.md), which the generic proof subsumes and which cost as much again."""
    return proof is not None and proof.proved and _exact_zero(link) and bool(link.numeric) and \
        all(n.agree for n in link.numeric)


def _witnessed(link: LinkVerdict) -> bool:
    """The exact oracle found an entry where the sides differ: the link fails, whatever else."""
    return any(e.outcome == "witness" for e in link.exact)


def _exact_zero(link: LinkVerdict) -> bool:
    """The exact oracle proved the link at every assignment it tried."""
    return bool(link.exact) and all(e.outcome == "zero" for e in link.exact)


def _exact_and_numeric_conflict(link: LinkVerdict) -> bool:
    """Exact zero at every assignment tried, yet a finite numeric difference at other sizes."""
    return _exact_zero(link) and any(n.disagrees for n in link.numeric)


def _is_indexing(node) -> bool:
    return isinstance(node, (ast.Index, ast.IndexSum))


def _is_heavy(node) -> bool:
    return isinstance(node, ast.Call) and node.func in ("kron", "det", "inv")


def check_problem(problem: Problem, options: CheckOptions | None = None,
                  progress: Callable[[Problem, int, ClaimSpec], None] | None = None) -> list[ClaimVerdict]:
    """Every claim of a problem, in order; ``progress(problem, number, spec)`` is called before
    each claim is checked."""
    checker = ProblemChecker(problem, options)
    results = []
    for number, spec in enumerate(problem.claims, 1):
        if progress:
            progress(problem, number, spec)
        results.append(checker.check(spec))
    return results
