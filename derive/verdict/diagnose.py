"""Why a wrong claim is wrong: a table of the slips people make, each recognised by evidence.

A diagnosis is never guessed from the text. Each row of the table is a relation between the
claim C and the true value T, checked numerically at two random points — C = Tᵀ (transposed),
C = -T (sign), C = cT with the same c at both points (a constant factor), C summed over a batch
dimension = T, T recomputed with one activation's derivative σ' taken as 1 (forgotten) or as σ
(confused) — or an edit of the claim (a transpose added or removed, the operands of @ swapped,
* for @, kron for outer, f for f', one name or index for another; one edit, or two) after which
C equals T; that edit is then the suggested correction — and, last, both recomputed with a square
variable made symmetric (a claim right only for a symmetric matrix). The first row that matches
wins. The points and their values are derive/verdict/points.py's.

The search runs under its caller's time budget: a ``BudgetExceeded`` raised anywhere inside it
always propagates (every handler here that catches derive's errors lets it through), so the
caller's deadline stops the search instead of being taken for one candidate that cannot be
evaluated. Points are built within the numeric oracle's limits (derive/limits.py).
"""

from __future__ import annotations

import dataclasses
import itertools
from fractions import Fraction

import numpy as np

from ..errors import BudgetExceeded, DeriveError
from ..language import ast
from ..language.primitives import ELEMENTWISE, canonical_function
from ..language.shapes import Scope, ShapeMemo, fmt, free_indices, infer, is_scalar, typed
from ..language.text import to_text
from ..oracles.numpy_functions import NUMPY_FORMS
from ..problem.definition import Problem
from .evidence import Diagnosis
from .points import CLOSE, SEEDS, SIZE_TABLES, Pair, Point, close, common_scope, free, fresh_scope
from .slips import Degenerate, positions, rebuild, rename_index, single_edits, unit_edits

SCALE_HINT = " (a sum where an average was meant, or the reverse, or a missing scale)"
MAX_EDITS = 3000
SAMPLED = 3  # index assignments a candidate is first compared at, in index notation
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
        if pair.ok(pair.got):
            found = _relations(problem, reference, claimed, scope, pair)
            found = found or _counterfactual(problem, reference, claimed, pair)
        found = found or _edits(pair, claimed, reference, scope)
        if pair.ok(pair.got):
            found = found or _symmetric_only(problem, reference, claimed, pair)
    elif pair.ok(pair.got):
        # the derivative side itself is ill-formed (an index slip): edit it towards the claim
        found = _edits(pair, reference, claimed, scope)
    found = found or _misnamed_definition(problem, reference, claimed)
    if found:
        return found
    if pair.ok(pair.true) and pair.ok(pair.got) and pair.true[0].shape != pair.got[0].shape:
        shape_message = shape_message or (f"shape mismatch: {to_text(claimed)} is {fmt(pair.got_shape)}, "
                                          f"{to_text(reference)} is {fmt(pair.true_shape)}")
    if shape_message:
        return Diagnosis("shape", shape_message)
    return Diagnosis("unknown", "the claim differs from the true value, and no common slip explains it")


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
    factors = [_factor(t, g) for t, g in zip(pair.true, pair.got)]
    if None not in factors:
        described = _describe_factor(problem, factors)
        if described:
            shown, divisor, hint, divisor_tree = described
            swapped = _wrong_divisor(pair, reference, claimed, scope, divisor_tree)
            if swapped is not None:
                wrong, meant, candidate = swapped
                return Diagnosis("factor", f"{claim_text} divides by {wrong} where {meant} was meant: it is "
                                 f"{shown} times {ref_text}", to_text(candidate), correction=candidate)
            return Diagnosis("factor", f"{claim_text} is off by a constant factor: it is {shown} times "
                             f"{ref_text}{hint}", f"({claim_text}) / {divisor}" if divisor else None,
                             correction=ast.Binary("/", claimed, divisor_tree) if divisor else None)
    return None


def _wrong_divisor(pair: Pair, reference, claimed, scope: Scope, ratio: ast.Node | None):
    """(b, a, the claim divided by a instead) when the claim is a/b times the truth for sizes a, b
    and divides by b somewhere, and dividing there by a makes it the truth: an average over the
    wrong dimension, (P - T)/K for (P - T)/S."""
    if not (isinstance(ratio, ast.Binary) and ratio.op == "/" and isinstance(ratio.left, ast.Name)
            and isinstance(ratio.right, ast.Name)):
        return None
    meant, wrong = ratio.left.id, ratio.right.id
    matches = _Matcher(pair, claimed, reference, scope)
    for path, sub in positions(claimed):
        if isinstance(sub, ast.Binary) and sub.op == "/" and sub.right == ast.Name(wrong):
            candidate = rebuild(claimed, path, ast.Binary("/", sub.left, ast.Name(meant)))
            if matches(candidate):
                return wrong, meant, candidate
    return None


def _describe_factor(problem: Problem, factors: list[float]) -> tuple[str, str | None, str, ast.Node | None] | None:
    """The factor in words, what to divide by (text and tree), and a hint: a number when it is
    the same at both size assignments, a size (S, 1/S, sqrt(dk)) when it follows that size, None
    otherwise."""
    first, second = factors
    if abs(first - second) < 1e-7 * max(1.0, abs(first)):
        ratio = Fraction(first).limit_denominator(1000)
        if abs(float(ratio) - first) < 1e-9 * max(1.0, abs(first)) and len(str(ratio)) <= 12:
            return (str(ratio), f"({ratio})" if ratio.denominator != 1 or ratio < 0 else str(ratio), "",
                    _signed(1 if ratio >= 0 else -1, _fraction(abs(ratio))))
        magnitude = ast.Number(Fraction(f"{abs(first):.12g}"))
        return f"{first:.6g}", f"{first:.12g}", "", _signed(1 if first >= 0 else -1, magnitude)
    assignments = [problem.sizes_from(table) for table in SIZE_TABLES]
    for shown, tree, values in _size_monomials(problem, assignments):
        for sign, prefix in ((1, ""), (-1, "-")):
            if all(abs(f - sign * v) < 1e-9 * v for f, v in zip(factors, values)):
                return f"{prefix}{shown}", f"({prefix}{shown})", SCALE_HINT, _signed(sign, tree)
            if all(abs(f * v - sign) < 1e-9 for f, v in zip(factors, values)):
                inverse = f"1/{shown}" if "/" not in shown and "*" not in shown else f"1/({shown})"
                return (f"{prefix}{inverse}", f"({prefix}{inverse})", SCALE_HINT,
                        _signed(sign, ast.Binary("/", ast.Number(Fraction(1)), tree)))
    return None


def _fraction(value: Fraction) -> ast.Node:
    """``p/q`` as the claim language writes it (a number, or a quotient of two)."""
    if value.denominator == 1:
        return ast.Number(value)
    return ast.Binary("/", ast.Number(Fraction(value.numerator)), ast.Number(Fraction(value.denominator)))


def _signed(sign: int, node: ast.Node) -> ast.Node:
    return node if sign > 0 else ast.Neg(node)


def _size_monomials(problem: Problem, assignments: list[dict]):
    """(text, tree, value at each assignment) of the size factors a slip can introduce: a size,
    its square root, then a product or a ratio of two sizes (S/K: divided by the classes, not
    the batch)."""
    names = problem.free_sizes
    for name in names:
        values = [sizes[name] for sizes in assignments]
        yield name, ast.Name(name), values
        yield f"sqrt({name})", ast.Call("sqrt", (ast.Name(name),)), [v ** 0.5 for v in values]
    for a, b in itertools.permutations(names, 2):
        yield f"{a}/{b}", ast.Binary("/", ast.Name(a), ast.Name(b)), [sizes[a] / sizes[b] for sizes in assignments]
        if a < b:
            yield f"{a}*{b}", ast.Binary("*", ast.Name(a), ast.Name(b)), [sizes[a] * sizes[b] for sizes in assignments]


def _well_formed(node, scope: Scope, *others) -> bool:
    return common_scope(scope, node, *others) is not None


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


def _factor(true, got) -> float | None:
    norm = float(np.sum(true * true))
    if norm == 0:
        return None
    factor = float(np.sum(got * true)) / norm
    if abs(factor - 1) < 1e-6 or abs(factor) < 1e-9 or not close(got, factor * true):
        return None
    return factor


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


def _counterfactual(problem, reference, claimed, pair: Pair) -> Diagnosis | None:
    """The reference recomputed with one activation's derivative replaced by a wrong rule."""
    if not any(isinstance(n, ast.Derivative) for n in ast.walk(reference)):
        return None
    sites = _activation_sites(problem)
    candidates = [(None, f) for f in dict.fromkeys(f for _, f in sites)] + sites
    if pair.common is None:
        return None
    for site, function in candidates:
        label = "σ" if function == "sigmoid" else function
        where = f" (in {site})" if site else ""
        rules = [("missing-activation-derivative", lambda x: np.ones_like(x),
                  f"the activation's derivative {label}'{where} is missing from the chain rule")]
        if function in ELEMENTWISE:
            rules.append(("activation-for-derivative", NUMPY_FORMS[function].value,
                          f"{label}{where} is used where its derivative {label}' was meant"))
        for code, rule, message in rules:
            wrong = _variant_values(pair, reference, overrides={function: rule}, site=site, slip=f"{code}:{function}")
            if all(w is not None and close(g, w) for w, g in zip(wrong, pair.got)) and not all(
                    close(w, t) for w, t in zip(wrong, pair.true)):
                return Diagnosis(code, f"{to_text(claimed)}: {message}")
    return None


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


def _whole_edits(node, target, scope: Scope):
    """Edits of the whole claim: two indices swapped throughout, a sum over an extra index.

    Swapping the two free indices of a well-formed claim is a transpose; in a claim that does not
    even type-check (an index running over two ranges) it is an index slip.
    """
    own, wanted = free(node, scope), free(target, scope)
    well_formed = _well_formed(node, scope, target)
    for a, b in itertools.combinations(sorted(own), 2):
        swapped = rename_index(rename_index(rename_index(node, a, "__swap__"), b, a), "__swap__", b)
        code = "transposed" if {a, b} == wanted and len(wanted) == 2 and well_formed else "wrong-index"
        yield code, f"indices {a} and {b} are swapped", swapped
    for extra in sorted(own - wanted):
        yield "missing-batch-sum", f"the sum over {extra} is missing", ast.IndexSum((extra,), node)


class _Matcher:
    """Whether a candidate edit equals the target at both points.

    Thousands of candidates are tried per claim, so what they share is computed once: the
    target's shapes and values, and one scope per set of index ranges (the numeric oracle's
    caches are kept per scope, so a candidate's untouched subtrees are not evaluated again).
    In index notation a candidate is first compared at a few index assignments, with a
    tolerance that a candidate equal everywhere always meets, before its every assignment is.
    """

    def __init__(self, pair: Pair, node, target, scope: Scope):
        self.pair, self.node, self.target = pair, node, target
        self.degenerate = Degenerate(node, target)
        self.memo = ShapeMemo()  # every scope here is one of this claim's
        self.base = common_scope(scope, target, memo=self.memo)
        self.scopes: dict = {}
        self.targets: dict = {}
        self.free: dict = {}  # free indices of subtrees (every scope here has the claim's index names)
        self.alive: list = [target]
        self.tried: set = set()  # the candidates already compared (none of them matched)

    def __call__(self, candidate) -> bool:
        if candidate in self.tried:
            return False  # two edits in either order, or an edit that undoes another: the same tree
        found = self._matches(candidate)
        self.tried.add(candidate)  # a candidate that matched ends the search
        return found

    def _matches(self, candidate) -> bool:
        if self.base is None or self.degenerate(candidate):
            return False
        local = self._scope(candidate)
        if local is None:
            return False
        self.alive.append(candidate)  # what ``free`` knows of it is keyed by identity
        names = free_indices(candidate, local.index_names, self.free) | free_indices(
            self.target, local.index_names, self.free)
        key = (names, id(local))
        if key not in self.targets:
            self.targets[key] = self._target(local, names)
        target = self.targets[key]
        if target is None:
            return False
        values, picks, bound = target
        if picks is not None and not self._sampled_match(candidate, local, names, values[0], picks, bound):
            return False
        return all(close(p(candidate, local, names), v) for p, v in zip(self.pair.points, values))  # lazily

    def _target(self, local: Scope, names) -> tuple | None:
        """The target's values at both points, and for index notation the assignments a candidate
        is first compared at with the bound of that comparison; None where it has no values."""
        values = [p(self.target, local, names) for p in self.pair.points]
        if any(v is None for v in values):
            return None
        true = values[0]
        if len(true) <= 2 * SAMPLED:
            return values, None, None
        picks = sorted(np.random.default_rng(len(true)).choice(len(true), SAMPLED, replace=False).tolist())
        return values, picks, CLOSE * (1 + 1e-6) * max(float(np.max(np.abs(true))), 1e-12)

    def _scope(self, candidate) -> Scope | None:
        """The target's scope with the candidate's index ranges, one object per set of ranges."""
        try:
            local = typed((candidate,), self.base, self.memo).scope
        except BudgetExceeded:
            raise
        except DeriveError:
            return None
        return self.scopes.setdefault(frozenset(local.index_ranges.items()), local)

    def _sampled_match(self, candidate, local: Scope, names, true, picks: list[int], bound: float) -> bool:
        """False only when the full comparison would fail: a candidate within CLOSE of the true
        values everywhere differs by less than CLOSE·max|true| (up to rounding: ``bound``) at
        every entry."""
        got = self.pair.points[0](candidate, local, names, picks)
        if got is None or got.shape[1:] != true.shape[1:]:
            return False
        gap = np.abs(got - true[picks])
        return bool(np.all(gap <= bound))


def _edits(pair: Pair, node, target, scope: Scope) -> Diagnosis | None:
    """One edit, or two, of ``node`` after which it equals ``target`` at both points."""
    problem = pair.problem
    budget = [MAX_EDITS]
    matches = _Matcher(pair, node, target, scope)

    def counted(candidate) -> bool:
        budget[0] -= 1
        return matches(candidate)

    def found(code, description, candidate, slips=()):
        return Diagnosis(code, f"{to_text(node)}: {description}", to_text(candidate), tuple(slips), candidate)

    singles = (list(_whole_edits(node, target, scope)) + list(single_edits(problem, scope, node, matches.memo))
               + list(unit_edits(problem, node)))
    for code, description, candidate in singles:
        if budget[0] <= 0:
            return None
        if counted(candidate):
            return found(code, description, candidate)
    for first_code, first, candidate in singles:
        for second_code, second, twice in single_edits(problem, scope, candidate, matches.memo):
            if budget[0] <= 0:
                return None
            if counted(twice):
                code = min(first_code, second_code, key=PRIORITY.index)
                return found(code, f"{first}, and {second}", twice, (first_code, second_code))
    return None
