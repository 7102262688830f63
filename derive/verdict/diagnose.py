"""Why a wrong claim is wrong: a table of the slips people make, each recognised by evidence.

A diagnosis is never guessed from the text. Each row of the table is a relation between the
claim C and the true value T, checked numerically at two random points — C = Tᵀ (transposed),
C = -T (sign), C = cT with the same c at both points (a constant factor), C summed over a batch
dimension = T, T recomputed with one activation's derivative σ' taken as 1 (forgotten) or as σ
(confused) — or an edit of the claim (a transpose added or removed, the operands of @ swapped,
* for @, kron for outer, f for f', one name or index for another, a dropped sum put back; one
edit, or two) after which C equals T; that edit is then the suggested correction — and, last,
both recomputed with a square variable made symmetric (a claim right only for a symmetric
matrix). The first row that matches wins, one slip before two (``_explain``).

Two slips are two edits, or one slip and a constant factor or sign besides (C = c·T after one
edit, or C = c·Tᵀ, c·(T recomputed), …): c is read off the values the one-slip rows compare
anyway (derive/verdict/matcher.py), and kept only when it is a factor a slip makes (±2, 1/2, -1,
a size), so the factor costs no more candidates. The correction is the edit's, with the factor
taken out where the claim wrote it (2 * (h1 * W) → (1 - h1**2) * W). The points and their
values are derive/verdict/points.py's.

The search runs under its caller's time budget: a ``BudgetExceeded`` raised anywhere inside it
always propagates (every handler here that catches derive's errors lets it through), so the
caller's deadline stops the search instead of being taken for one candidate that cannot be
evaluated. Points are built within the numeric oracle's limits (derive/limits.py).
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from fractions import Fraction

import numpy as np

from ..errors import BudgetExceeded, DeriveError
from ..language import ast
from ..language.primitives import ELEMENTWISE, canonical_function
from ..language.shapes import Scope, fmt, infer, is_scalar
from ..language.text import to_text
from ..oracles.numpy_functions import NUMPY_FORMS
from ..problem.definition import Problem
from .evidence import Diagnosis
from .matcher import EXACT, Matcher, describe_factor, factor_of, plausible_factor, without_factor
from .points import SEEDS, SIZE_TABLES, Pair, Point, close, fresh_scope
from .slips import derivative_edits, positions, rebuild, single_edits, sum_edits, unit_edits, whole_edits

MAX_EDITS = 3000
# when two edits are needed, the diagnosis is named after the more telling one
PRIORITY = ["transposed", "missing-batch-sum", "wrong-axis", "hadamard-matmul", "kron-outer",
            "activation-for-derivative", "swapped-operands", "misplaced-transpose", "wrong-index"]


def diagnose(problem: Problem, reference: ast.Node, claimed: ast.Node, scope: Scope,
             shape_message: str | None = None) -> Diagnosis:
    """The first row of the table of slips that explains ``claimed`` ≠ ``reference``."""
    try:
        pair = Pair(problem, scope, reference, claimed)
    except BudgetExceeded:
        raise
    except DeriveError as error:
        return Diagnosis("unknown", f"cannot evaluate the problem: {str(error).splitlines()[0]}")
    found = None
    if pair.ok(pair.true) and pair.ok(pair.got) and pair.true[0].shape == pair.got[0].shape and \
            _all(close, pair):
        # wrong (the exact oracle found a witness) yet equal at every point tried here: the
        # difference is confined to values these points miss (sign(det(X)) where det X > 0 here)
        # or too small to see in floating point, and an edit that changes nothing would "explain" it
        return Diagnosis("unknown", "the claim agrees with the true value at every point the diagnosis "
                                    "tried, yet differs at the witness: the difference is confined to "
                                    "some values (of one sign, say) or below 1e-7 relative; no common "
                                    "slip explains it")
    if pair.ok(pair.true):
        found = _explain(problem, reference, claimed, scope, pair)
    elif pair.ok(pair.got):
        # the derivative side itself is ill-formed (an index slip): edit it towards the claim
        search = _EditSearch(pair, reference, claimed, scope)
        found = search.one(scaled=False) or search.two()
    found = found or _misnamed_definition(problem, reference, claimed)
    if found:
        return found
    if pair.ok(pair.true) and pair.ok(pair.got) and pair.true[0].shape != pair.got[0].shape:
        shape_message = shape_message or (f"shape mismatch: {to_text(claimed)} is {fmt(pair.got_shape)}, "
                                          f"{to_text(reference)} is {fmt(pair.true_shape)}")
    if shape_message:
        return Diagnosis("shape", shape_message)
    return Diagnosis("unknown", "the claim differs from the true value, and no common slip explains it")


def _explain(problem: Problem, reference, claimed, scope: Scope, pair: Pair) -> Diagnosis | None:
    """The table's rows in order, simplest explanation first: one slip (a relation of the two
    sides, an activation's derivative, one edit); then one of them and a constant factor or sign
    besides; then two edits; last, a claim right only for a symmetric matrix. An edit and a factor
    come before two edits: both are two slips, and the factor is read off the values of the edits
    the first pass compared anyway, where two edits are thousands more candidates."""
    both = pair.ok(pair.got)
    variants = _Variants(problem, reference, pair)
    if both:
        found = _relations(problem, reference, claimed, scope, pair) or _counterfactual(
            reference, claimed, scope, pair, variants)
        if found:
            return found
    search = _EditSearch(pair, claimed, reference, scope)
    found = search.one(scaled=True)
    if both:
        found = found or _scaled(problem, reference, claimed, scope, pair, variants)
    found = found or search.one_and_factor() or search.two()
    if both:
        found = found or _symmetric_only(problem, reference, claimed, pair)
    return found


def _all(relation, pair: Pair) -> bool:
    return all(relation(t, g) for t, g in zip(pair.true, pair.got))


def _transpose(a):
    return np.swapaxes(a, -1, -2)


def _relations(problem, reference, claimed, scope, pair: Pair) -> Diagnosis | None:
    ref_text, claim_text = to_text(reference), to_text(claimed)
    true0, got0 = pair.true[0], pair.got[0]
    gradient = isinstance(reference, ast.Derivative) and _scalar_of(reference, scope)
    note = " (the numerator-layout form; derive's gradients have the shape of the variable)" if gradient else ""
    jacobian = isinstance(reference, ast.Derivative) and not gradient and _vector_of(reference, scope)
    if got0.shape != true0.shape:
        if _all(lambda t, g: close(g, _transpose(t)), pair):
            if jacobian:
                return _layout(problem, claimed)
            if 1 in true0.shape[1:]:
                kind = "column" if true0.shape[2] == 1 else "row"
                other = "row" if kind == "column" else "column"
                return Diagnosis("row-column", f"{claim_text} is a {other} vector{note}; {ref_text} is a "
                                 f"{kind} vector, {fmt(pair.true_shape)}", f"({claim_text}).T",
                                 correction=ast.Transpose(claimed))
            return Diagnosis("transposed", f"{claim_text} is the transpose of {ref_text}{note}", f"({claim_text}).T",
                             correction=ast.Transpose(claimed))
        if got0[0].size == true0[0].size and 1 in got0.shape[1:] and _all(
                lambda t, g: g.size == t.size and close(g.reshape(t.shape), t), pair):
            return Diagnosis("kron-outer", "⊗ was read as the Kronecker product, whose result is a long "
                             "vector; the outer product u vᵀ was meant", to_text(_kron_to_outer(claimed)),
                             correction=_kron_to_outer(claimed))
        batch = _batch_sum(pair)
        if batch is not None:
            axis, transposed = batch
            fix = f"sum({claim_text}, axis={axis})" + (".T" if transposed else "")
            summed = ast.Call("sum", (claimed,), (("axis", ast.Number(Fraction(axis))),))
            return Diagnosis("missing-batch-sum", f"{claim_text} is missing the sum over the batch: summed "
                             f"along axis {axis}, it equals {ref_text}", fix,
                             correction=ast.Transpose(summed) if transposed else summed)
        if 1 in got0.shape[1:] and true0.shape[1] == true0.shape[2] and _all(
                lambda t, g: close(np.stack([np.diag(x.reshape(-1)) for x in g]), t), pair):
            return Diagnosis("jacobian-diagonal", f"{claim_text} lists the diagonal of the Jacobian (the "
                             f"elementwise derivative); {ref_text} is the diagonal matrix", f"diag({claim_text})",
                             correction=ast.Call("diag", (claimed,)))
        return None
    square = got0.shape[1] == got0.shape[2] > 1
    if square and _all(lambda t, g: close(g, _transpose(t)) and not close(g, t), pair):
        if jacobian:
            return _layout(problem, claimed)
        return Diagnosis("transposed", f"{claim_text} is the transpose of {ref_text}{note}", f"({claim_text}).T",
                         correction=ast.Transpose(claimed))
    if _all(lambda t, g: close(g, -t), pair):
        negated = claimed.operand if isinstance(claimed, ast.Neg) else ast.Neg(claimed)  # -(-G) is G
        return Diagnosis("sign", f"{claim_text} has the wrong sign", to_text(negated), correction=negated)
    factors = [factor_of(t, g) for t, g in zip(pair.true, pair.got)]
    if None not in factors:
        described = describe_factor(problem, factors)
        if described:
            shown, divisor, hint, divisor_tree = described
            swapped = _wrong_divisor(pair, reference, claimed, scope, divisor_tree)
            if swapped is not None:
                wrong, meant, candidate = swapped
                return Diagnosis("factor", f"{claim_text} divides by {wrong} where {meant} was meant: it is "
                                 f"{shown} times {ref_text}", to_text(candidate), correction=candidate)
            correction = without_factor(claimed, divisor_tree) if divisor else None
            return Diagnosis("factor", f"{claim_text} is off by a constant factor: it is {shown} times "
                             f"{ref_text}{hint}", to_text(correction) if correction else None,
                             correction=correction)
    return None


def _wrong_divisor(pair: Pair, reference, claimed, scope: Scope, ratio: ast.Node | None):
    """(b, a, the claim divided by a instead) when the claim is a/b times the truth for sizes a, b
    and divides by b somewhere, and dividing there by a makes it the truth: an average over the
    wrong dimension, (P - T)/K for (P - T)/S."""
    if not (isinstance(ratio, ast.Binary) and ratio.op == "/" and isinstance(ratio.left, ast.Name)
            and isinstance(ratio.right, ast.Name)):
        return None
    meant, wrong = ratio.left.id, ratio.right.id
    matches = Matcher(pair, claimed, reference, scope)
    for path, sub in positions(claimed):
        if isinstance(sub, ast.Binary) and sub.op == "/" and sub.right == ast.Name(wrong):
            candidate = rebuild(claimed, path, ast.Binary("/", sub.left, ast.Name(meant)))
            if matches(candidate):
                return wrong, meant, candidate
    return None


def _layout(problem: Problem, claimed: ast.Node) -> Diagnosis:
    other = "denominator" if problem.layout == "numerator" else "numerator"
    claim_text = to_text(claimed)
    return Diagnosis("layout", f"{claim_text} is the Jacobian in the {other} layout; this problem uses "
                     f"the {problem.layout} layout", f"({claim_text}).T", correction=ast.Transpose(claimed))


def _vector_of(node: ast.Derivative, scope: Scope) -> bool:
    try:
        shape = infer(node.of, fresh_scope(scope))
    except BudgetExceeded:
        raise
    except DeriveError:
        return False
    return 1 in shape


def _batch_sum(pair: Pair):
    """(axis, transposed) when summing the claim over a batch dimension gives the true value."""
    true0, got0 = pair.true[0], pair.got[0]
    if 1 not in true0.shape[1:]:
        return None
    for axis in (0, 1):
        kept = got0.shape[2 - axis]
        summed_length = got0.shape[1 + axis]
        if summed_length == kept:  # a square claim has no separate batch dimension
            continue
        for transposed in (False, True):
            def relation(t, g, axis=axis, transposed=transposed):
                summed = g.sum(axis=1 + axis, keepdims=True)
                return close(_transpose(summed) if transposed else summed, t)

            if _all(relation, pair):
                return axis, transposed
    return None


def _kron_to_outer(node):
    for path, sub in positions(node):
        if isinstance(sub, ast.Call) and sub.func == "kron":
            return _kron_to_outer(rebuild(node, path, dataclasses.replace(sub, func="outer")))
    return node


def _scalar_of(node: ast.Derivative, scope: Scope) -> bool:
    try:
        return is_scalar(infer(node.of, fresh_scope(scope)))
    except BudgetExceeded:
        raise
    except DeriveError:
        return False


def _activation_sites(problem: Problem) -> list[tuple[str, str]]:
    """(definition, activation) for every activation applied in a definition."""
    sites = []
    for name, expr in problem.definitions:
        for node in ast.walk(expr):
            if isinstance(node, ast.Call) and node.prime == 0:
                function = canonical_function(node.func)
                if (function in problem.activations or function in ELEMENTWISE) and (name, function) not in sites:
                    sites.append((name, function))
    return sites


class _Variants:
    """The reference recomputed with one activation's derivative replaced by a wrong rule (taken
    as 1: forgotten; as the activation itself: confused), at the pair's two points: (code, function,
    message, values) for each variant that differs from the truth. Computed as first asked for and
    kept, so that the search for a constant factor besides reads the same values again."""

    def __init__(self, problem: Problem, reference, pair: Pair):
        self.pair, self.reference = pair, reference
        self.seen: list = []
        wanted = pair.common is not None and any(isinstance(n, ast.Derivative) for n in ast.walk(reference))
        self.rest = self._variants(problem) if wanted else iter(())

    def __iter__(self):
        yield from list(self.seen)
        for variant in self.rest:
            self.seen.append(variant)
            yield variant

    def _variants(self, problem: Problem):
        sites = _activation_sites(problem)
        for site, function in [(None, f) for f in dict.fromkeys(f for _, f in sites)] + sites:
            label = "σ" if function == "sigmoid" else function
            where = f" (in {site})" if site else ""
            rules = [("missing-activation-derivative", lambda x: np.ones_like(x),
                      f"the activation's derivative {label}'{where} is missing from the chain rule")]
            if function in ELEMENTWISE:
                rules.append(("activation-for-derivative", NUMPY_FORMS[function].value,
                              f"{label}{where} is used where its derivative {label}' was meant"))
            for code, rule, message in rules:
                wrong = _variant_values(self.pair, self.reference, overrides={function: rule}, site=site,
                                        slip=f"{code}:{function}")
                if all(w is not None for w in wrong) and not all(close(w, t) for w, t in zip(wrong, self.pair.true)):
                    yield code, function, message, wrong


def _counterfactual(reference, claimed, scope: Scope, pair: Pair, variants, factors=EXACT,
                    written=None) -> Diagnosis | None:
    """The claim is the reference recomputed with one activation's derivative replaced by a wrong
    rule (``variants``). Where the activation's value stood for its derivative, the claim with the
    derivative put back is the correction: sought in the claim as ``written`` when the pair's
    values are the claim's divided by ``factors``."""
    for code, function, message, wrong in variants:
        if all(close(g, w) for w, g in zip(wrong, pair.got)):
            correction = _derivative_put_back(pair, written or claimed, reference, scope, function, factors) \
                if code == "activation-for-derivative" else None
            return Diagnosis(code, f"{to_text(claimed)}: {message}", _text(correction), correction=correction)
    return None


def _derivative_put_back(pair: Pair, claimed, reference, scope: Scope, function: str, factors) -> ast.Node | None:
    """The claim with the value of ``function`` replaced by its derivative at one place (or at all),
    when that makes it ``factors`` times the reference — the edit behind an activation used for its
    derivative — divided by the factor; None when no such place is found."""
    matches = Matcher(pair, claimed, reference, scope)
    for candidate in derivative_edits(pair.problem, claimed, function):
        found = matches.factors(candidate, scaled=factors != EXACT)
        if found is not None and all(abs(f - c) <= 1e-7 * abs(c) for f, c in zip(found, factors)):
            return candidate if factors == EXACT else without_factor(candidate, plausible_factor(
                pair.problem, factors)[3])
    return None


def _text(node) -> str | None:
    return None if node is None else to_text(node)


def _variant_values(pair: Pair, node, **variant) -> list:
    """``node`` at the pair's two points, in a variant of the problem's model (``Point``'s keywords:
    an activation's derivative overridden, or a variable made symmetric)."""
    return [Point(pair.problem, seed, table, **variant)(node, pair.common, pair.names)
            for seed, table in zip(SEEDS, SIZE_TABLES)]


def _symmetric_only(problem: Problem, reference, claimed, pair: Pair) -> Diagnosis | None:
    """A claim right only for a symmetric value of a square variable the problem does not declare
    symmetric (d(xᵀAx)/dx = 2Ax, true for A = Aᵀ): both sides recomputed with that variable
    symmetric agree at both points. Tried after the edits, which name a transpose slip better."""
    if pair.common is None:
        return None
    for name, variable in problem.variables.items():
        rows, cols = variable.shape
        if rows != cols or rows == 1 or variable.constraints & {"symmetric", "spd"}:
            continue
        symmetric = dataclasses.replace(variable, constraints=variable.constraints | {"symmetric"})
        variant = dataclasses.replace(problem, variables={**problem.variables, name: symmetric})
        true = _variant_values(pair, reference, slip=f"symmetric:{name}", source=variant)
        got = _variant_values(pair, claimed, slip=f"symmetric:{name}", source=variant)
        if all(t is not None and g is not None and close(g, t) for t, g in zip(true, got)):
            return Diagnosis("symmetric-only", f"{to_text(claimed)} holds only when {name} is symmetric "
                             f"({name} = {name}.T), and {name} is not declared symmetric")
    return None


def _renames(claim, truth, found: list) -> bool:
    """Whether two trees are equal up to renamed names; collects the (claimed, true) pairs."""
    if isinstance(claim, ast.Name) and isinstance(truth, ast.Name):
        if claim.id != truth.id and (claim.id, truth.id) not in found:
            found.append((claim.id, truth.id))
        return True
    if type(claim) is not type(truth):
        return False
    fields = [f.name for f in dataclasses.fields(claim) if f.name != "span"]
    for name in fields:
        a, b = getattr(claim, name), getattr(truth, name)
        if isinstance(a, tuple) and isinstance(b, tuple):
            if len(a) != len(b):
                return False
            for x, y in zip(a, b):
                if hasattr(x, "__dataclass_fields__"):
                    if not _renames(x, y, found):
                        return False
                elif x != y:
                    return False
        elif hasattr(a, "__dataclass_fields__"):
            if not _renames(a, b, found):
                return False
        elif a != b:
            return False
    return True


def _misnamed_definition(problem: Problem, reference, claimed) -> Diagnosis | None:
    """A defined quantity restated with some names swapped (z1 = w1*a0 + … for w2*x0 + …)."""
    definitions = dict(problem.definitions)
    if not (isinstance(reference, ast.Name) and reference.id in definitions):
        return None
    truth = definitions[reference.id]
    swaps: list = []
    if not _renames(claimed, truth, swaps) or not swaps:
        return None
    listed = ", ".join(f"{a} where {b} was meant" for a, b in swaps)
    return Diagnosis("wrong-index", f"{to_text(claimed)}: {listed} (the definition is {reference.id} = "
                     f"{to_text(truth)})", to_text(truth), correction=truth)


def _scaled(problem: Problem, reference, claimed, scope: Scope, pair: Pair, variants: _Variants) -> Diagnosis | None:
    """One slip of the relations (the whole transposed, a batch sum missing, ⊗ for the outer
    product, the Jacobian's diagonal, an activation's derivative) and a constant factor or sign
    besides: the claim is divided by each plausible factor its values have against what one of
    those relations makes of them, and the relations are asked again of what is left."""
    tried, every = set(), list(variants)
    for factors in _relation_factors(pair, every):
        described = plausible_factor(problem, factors)
        if described is None or described[0] in tried:
            continue
        tried.add(described[0])
        unscaled = without_factor(claimed, described[3])
        view = copy.copy(pair)
        view.got = [g / f for g, f in zip(pair.got, factors)]
        found = _relations(problem, reference, unscaled, scope, view)
        if found is None or found.code in ("sign", "factor"):
            found = _counterfactual(reference, unscaled, scope, view, every, factors, claimed)
        if found is not None:
            return _and_factor(found, f"{to_text(claimed)} {_factor_words(described)}, and without it: "
                                      f"{found.message}", described)
    return None


def _relation_factors(pair: Pair, variants: list):
    """The ratios (one per point) of the claim to what each relation compares it with, where the
    claim is a multiple of that: the true value transposed, the claim summed over an axis, its
    entries reshaped or put on a diagonal, the reference with an activation's derivative replaced."""
    true, got = pair.true, pair.got
    views = [lambda t, g: (_transpose(t), g)]
    for axis, flip in itertools.product((0, 1), (False, True)):
        views.append(lambda t, g, axis=axis, flip=flip: (t, _summed(g, axis, flip)))
    views.append(lambda t, g: (t, g.reshape(t.shape) if g.size == t.size and 1 in g.shape[1:] else None))
    views.append(lambda t, g: (t, np.stack([np.diag(x.reshape(-1)) for x in g]) if 1 in g.shape[1:] else None))
    for view in views:
        yield [_ratio(*view(t, g)) for t, g in zip(true, got)]
    for _, _, _, wrong in variants:
        yield [_ratio(w, g) for w, g in zip(wrong, got)]


def _summed(values, axis: int, flip: bool):
    summed = values.sum(axis=1 + axis, keepdims=True)
    return _transpose(summed) if flip else summed


def _ratio(base, got) -> float | None:
    return factor_of(base, got) if got is not None and base.shape == got.shape else None


def _factor_words(described) -> str:
    shown, _, hint, _ = described
    return "has the wrong sign" if shown == "-1" else f"is off by a constant factor {shown}{hint}"


def _and_factor(found: Diagnosis, message: str, described) -> Diagnosis:
    """A one-slip diagnosis with a constant factor (or a sign) besides: named after the slip,
    both listed, the correction as ``found`` made it (already divided by the factor)."""
    extra = "sign" if described[0] == "-1" else "factor"
    return dataclasses.replace(found, message=message, slips=(found.code, extra))


class _EditSearch:
    """One edit, or two, of ``node`` after which it equals ``target`` at both points — or, one
    edit after which it is a plausible constant multiple of it (a factor or a sign besides).

    The single edits are compared once: ``one`` returns the first that matches and keeps the
    first that matches up to a factor, which ``one_and_factor`` names if nothing simpler does;
    ``two`` then tries pairs of edits, all under one budget of MAX_EDITS candidates.
    """

    def __init__(self, pair: Pair, node, target, scope: Scope):
        self.pair, self.node, self.target, self.scope = pair, node, target, scope
        self.budget = MAX_EDITS
        self.matches = Matcher(pair, node, target, scope)
        problem = pair.problem
        memo = self.matches.memo
        self.interned: dict = {}  # the nodes edits rebuilt, one object per structure (``rebuild``)
        self.singles = (list(whole_edits(node, target, scope)) + list(single_edits(problem, scope, node, memo,
                                                                                   self.interned))
                        + list(unit_edits(problem, node)) + list(sum_edits(scope, node, target, memo)))
        self.scaled = None  # (code, description, candidate, the factor described)

    def _found(self, code, description, candidate, slips=()) -> Diagnosis:
        return Diagnosis(code, f"{to_text(self.node)}: {description}", to_text(candidate), tuple(slips), candidate)

    def one(self, scaled: bool) -> Diagnosis | None:
        """The first single edit that matches (with ``scaled``, the first that matches up to a
        plausible factor is kept)."""
        for code, description, candidate in self.singles:
            if self.budget <= 0:
                return None
            self.budget -= 1
            factors = self.matches.factors(candidate, scaled=scaled and self.scaled is None)
            if factors == EXACT:
                return self._found(code, description, candidate)
            described = plausible_factor(self.pair.problem, factors)
            if described is not None and self.scaled is None:
                self.scaled = code, description, candidate, described
        return None

    def one_and_factor(self) -> Diagnosis | None:
        """The single edit kept by ``one`` with its factor, the correction divided by it."""
        if self.scaled is None:
            return None
        code, description, candidate, described = self.scaled
        fixed = without_factor(candidate, described[3])
        words = "has the wrong sign" if described[0] == "-1" else \
            f"is {described[0]} times {to_text(self.target)}{described[2]}"
        found = self._found(code, f"{description}; and the whole {words}", fixed)
        return _and_factor(found, found.message, described)

    def two(self) -> Diagnosis | None:
        """The first pair of edits that matches."""
        for first_code, first, candidate in self.singles:
            for second_code, second, twice in single_edits(self.pair.problem, self.scope, candidate,
                                                           self.matches.memo, self.interned):
                if self.budget <= 0:
                    return None
                self.budget -= 1
                if self.matches(twice):
                    code = min(first_code, second_code, key=PRIORITY.index)
                    return self._found(code, f"{first}, and {second}", twice, (first_code, second_code))
        return None
