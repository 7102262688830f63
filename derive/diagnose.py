"""Why a wrong claim is wrong: a table of the slips people make, each recognised by evidence.

A diagnosis is never guessed from the text. Each row of the table is a relation between the
claim C and the true value T that is checked numerically at a random point — C = Tᵀ
(transposed), C = -T (sign), C = cT (a constant factor), C summed over the batch = T, the
reference recomputed with σ' taken as 1 (a forgotten activation derivative) — or a single edit
of the claim (a transpose added or removed, the operands of @ swapped, * for @, kron for outer,
one name or index for another) after which it equals T; that edit is then the suggested
correction. The first row that matches gives the diagnosis.
"""

from __future__ import annotations

import dataclasses
import itertools
from fractions import Fraction

import numpy as np

from . import ast
from .errors import DeriveError
from .numeric import NumericModel
from .primitives import ELEMENTWISE, canonical_function
from .problem import Problem
from .shapes import Scope, infer, is_scalar
from .text import to_text
from .verdict import Diagnosis

SEED = 20_261_125
SIZES = [4, 5, 6, 7, 8, 9, 10, 11]
CLOSE = 1e-7
MAX_EDITS = 4000


def _sizes(problem: Problem) -> dict:
    free = [n for n in problem.sizes if n not in problem.fixed_sizes]
    sizes = dict(problem.fixed_sizes)
    sizes.update(zip(free, SIZES))
    return {n: sizes[n] for n in problem.sizes}


def _close(a, b) -> bool:
    if a is None or b is None or a.shape != b.shape:
        return False
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1e-12)
    return float(np.max(np.abs(a - b))) / scale < CLOSE


class _Values:
    """Evaluates expressions of one problem at one random point (stacked over index values)."""

    def __init__(self, problem: Problem, scope: Scope, overrides=None):
        self.problem = problem
        self.scope = scope
        self.model = NumericModel(problem, _sizes(problem), np.random.default_rng(SEED), overrides)

    def __call__(self, node, scope: Scope | None = None, names=None):
        scope = scope or self.scope
        names = sorted(_free(node, scope) if names is None else names)
        if not names:
            return self.model.evaluate(node, self.model.base, scope).real
        ranges = [range(self.model.index_range(scope, n)) for n in names]
        rows = [self.model.evaluate(node, self.model.base, scope, dict(zip(names, values))).real.reshape(-1)
                for values in itertools.product(*ranges)]
        return np.stack(rows)


def _free(node, scope: Scope) -> set:
    names: set = set()
    if isinstance(node, ast.Name) and node.id in scope.index_names:
        names.add(node.id)
    if isinstance(node, ast.Index):
        names.update(i for i in node.items if isinstance(i, str))
    for child in ast.children(node):
        names |= _free(child, scope)
    if isinstance(node, ast.IndexSum):
        names -= set(node.indices)
    return names


def _try(evaluate, node, scope, names=None):
    try:
        return evaluate(node, scope, names)
    except (DeriveError, ValueError, ZeroDivisionError, FloatingPointError, np.linalg.LinAlgError):
        return None


def _pair(values, reference, claimed, scope: Scope):
    """Both sides' values over the union of their free indices (None for an ill-formed side)."""
    common = _fresh_scope(scope)
    try:
        infer(reference, common)
        infer(claimed, common)
    except DeriveError:
        common = None
    if common is not None:
        names = _free(reference, common) | _free(claimed, common)
        return _try(values, reference, common, names), _try(values, claimed, common, names)
    out = []
    for node in (reference, claimed):
        own = _fresh_scope(scope)
        try:
            infer(node, own)
        except DeriveError:
            out.append(None)
            continue
        out.append(_try(values, node, own))
    return tuple(out)


def _well_formed(node, scope: Scope) -> bool:
    try:
        infer(node, _fresh_scope(scope))
    except DeriveError:
        return False
    return True


def _fresh_scope(scope: Scope) -> Scope:
    """The claim's scope with no index ranges yet: an edit may change which range an index has."""
    return scope.for_claim(scope.index_names)


def diagnose(problem: Problem, reference, claimed, scope: Scope, exact_sizes: dict | None = None,
             shape_message: str | None = None) -> Diagnosis:
    """The first row of the table of slips that explains ``claimed`` ≠ ``reference``."""
    with np.errstate(all="ignore"):
        try:
            values = _Values(problem, scope)
        except DeriveError as error:
            return Diagnosis("unknown", f"cannot evaluate the problem: {str(error).splitlines()[0]}")
        true, got = _pair(values, reference, claimed, scope)
        found = None
        if true is not None:
            found = _relations(problem, reference, claimed, scope, true, got)
            if got is not None and got.shape != true.shape and not found and shape_message is None:
                shape_message = (f"shape mismatch: {to_text(claimed)} is {got.shape[0]}×{got.shape[1]}, "
                                 f"{to_text(reference)} is {true.shape[0]}×{true.shape[1]}")
            found = found or _counterfactual(problem, reference, claimed, scope, got)
            found = found or _edits(values, claimed, reference, scope)
        elif got is not None:
            # the derivative side itself is ill-formed (an index slip): edit it towards the claim
            found = _edits(values, reference, claimed, scope)
    if found:
        return found
    if shape_message:
        return Diagnosis("shape", shape_message)
    return Diagnosis("unknown", "the claim differs from the true value, and no common slip explains it")


def _what(reference) -> str:
    return to_text(reference)


def _relations(problem, reference, claimed, scope, true, got) -> Diagnosis | None:
    if got is None:
        return None
    ref_text, claim_text = _what(reference), to_text(claimed)
    gradient = isinstance(reference, ast.Derivative) and _scalar_of(reference, scope)
    jacobian = isinstance(reference, ast.Derivative) and not gradient and got.shape[0] > 1 and got.shape[1] > 1
    if got.shape != true.shape:
        if _close(got, true.T):
            if 1 in true.shape:
                kind = "column" if true.shape[1] == 1 else "row"
                note = " (the numerator-layout form)" if gradient else ""
                return Diagnosis("row-column", f"{claim_text} is a {'row' if kind == 'column' else 'column'} "
                                 f"vector{note}; {ref_text} is a {kind} vector of shape {true.shape[0]}×{true.shape[1]}",
                                 f"({claim_text}).T")
            note = " (the numerator-layout form)" if gradient else ""
            return Diagnosis("transposed", f"{claim_text} is the transpose of {ref_text}{note}", f"({claim_text}).T")
        if got.size == true.size and 1 in got.shape and _close(got.reshape(true.shape), true):
            return Diagnosis("kron-outer", "⊗ was read as the Kronecker product, whose result is a long "
                             "vector; the outer product u vᵀ was meant", to_text(_kron_to_outer(claimed)))
        if 1 in true.shape:
            for axis in (0, 1):
                summed = got.sum(axis=axis, keepdims=True)
                if _close(summed, true) or _close(summed.T, true):
                    return Diagnosis("missing-batch-sum", f"{claim_text} is missing the sum over the batch "
                                     f"(axis {axis}): summed, it equals {ref_text}",
                                     f"sum({claim_text}, axis={axis})" + (".T" if not _close(summed, true) else ""))
        if 1 in got.shape and true.shape[0] == true.shape[1] and _close(np.diag(got.reshape(-1)), true):
            return Diagnosis("jacobian-diagonal", f"{claim_text} lists the diagonal of the Jacobian (the "
                             f"elementwise derivative); {ref_text} is the diagonal matrix", f"diag({claim_text})")
        return None
    if got.shape[0] == got.shape[1] and got.shape[0] > 1 and _close(got, true.T) and not _close(got, true):
        if jacobian:
            other = "denominator" if problem.layout == "numerator" else "numerator"
            return Diagnosis("layout", f"{claim_text} is the Jacobian in the {other} layout; this problem "
                             f"uses the {problem.layout} layout", f"({claim_text}).T")
        note = " (the numerator-layout form)" if gradient else ""
        return Diagnosis("transposed", f"{claim_text} is the transpose of {ref_text}{note}", f"({claim_text}).T")
    if _close(got, -true):
        return Diagnosis("sign", f"{claim_text} has the wrong sign", f"-({claim_text})")
    norm = float(np.sum(true * true))
    if norm > 0:
        factor = float(np.sum(got * true)) / norm
        if abs(factor - 1) > 1e-6 and abs(factor) > 1e-9 and _close(got, factor * true):
            ratio = Fraction(factor).limit_denominator(1000)
            shown = str(ratio) if abs(float(ratio) - factor) < 1e-9 * max(1, abs(factor)) else f"{factor:.6g}"
            hint = _size_hint(problem, float(ratio))
            return Diagnosis("factor", f"{claim_text} is off by a constant factor: it is {shown} times "
                             f"{ref_text}{hint}", f"({claim_text}) / {shown}" if "/" not in shown else f"({claim_text}) * {1 / ratio}")
    return None


def _kron_to_outer(node):
    for path, sub in _positions(node):
        if isinstance(sub, ast.Call) and sub.func == "kron":
            return _kron_to_outer(_rebuild(node, path, dataclasses.replace(sub, func="outer")))
    return node


def _size_hint(problem: Problem, ratio: float) -> str:
    for name, value in _sizes(problem).items():
        if abs(ratio - value) < 1e-9:
            return f" (a factor {name}: an average where a sum was meant, or the reverse)"
        if abs(ratio * value - 1) < 1e-9:
            return f" (a factor 1/{name}: an average where a sum was meant, or the reverse)"
    return ""


def _scalar_of(node: ast.Derivative, scope: Scope) -> bool:
    try:
        shape = infer(node.of, scope)
    except DeriveError:
        return False
    return is_scalar(shape)


def _activations(problem: Problem) -> list[str]:
    names = []
    for _, expr in problem.definitions:
        for node in ast.walk(expr):
            if isinstance(node, ast.Call) and node.prime == 0:
                name = canonical_function(node.func)
                if (name in problem.activations or name in ELEMENTWISE) and name not in names:
                    names.append(name)
    return names


def _counterfactual(problem, reference, claimed, scope, got) -> Diagnosis | None:
    """The reference recomputed with one activation's derivative replaced by a wrong rule."""
    if got is None or not _uses_derivative(reference):
        return None
    for name in _activations(problem):
        label = "σ" if name == "sigmoid" else name
        f = (lambda x, n=name: ELEMENTWISE[n].numpy(x)) if name in ELEMENTWISE else None
        rules = [("missing-activation-derivative", lambda x: np.ones_like(x),
                  f"the derivative of the activation {label}' is missing from the chain rule")]
        if f is not None:
            rules.append(("activation-for-derivative", f, f"{label} is used where its derivative {label}' was meant"))
        for code, rule, message in rules:
            values = _Values(problem, scope, {name: rule})
            wrong = _try(values, reference, scope)
            if wrong is not None and _close(got, wrong):
                return Diagnosis(code, f"{to_text(claimed)}: {message}")
    return None


def _uses_derivative(node) -> bool:
    return any(isinstance(n, ast.Derivative) for n in ast.walk(node))


# -- single edits of the claim ------------------------------------------------------------------

def _rebuild(node, path, new):
    """``node`` with the subtree at ``path`` (a tuple of child positions) replaced by ``new``."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(node, (ast.Neg, ast.Transpose, ast.Index)):
        return dataclasses.replace(node, operand=_rebuild(node.operand, rest, new))
    if isinstance(node, ast.Binary):
        if head == 0:
            return dataclasses.replace(node, left=_rebuild(node.left, rest, new))
        return dataclasses.replace(node, right=_rebuild(node.right, rest, new))
    if isinstance(node, ast.Call):
        args = list(node.args)
        args[head] = _rebuild(args[head], rest, new)
        return dataclasses.replace(node, args=tuple(args))
    if isinstance(node, ast.Derivative):
        return dataclasses.replace(node, of=_rebuild(node.of, rest, new))
    if isinstance(node, ast.IndexSum):
        return dataclasses.replace(node, body=_rebuild(node.body, rest, new))
    raise TypeError(type(node).__name__)


def _positions(node, path=()):
    yield path, node
    kids = ast.children(node)
    if isinstance(node, ast.Call):
        kids = node.args
    for position, child in enumerate(kids):
        yield from _positions(child, path + (position,))


def _single_edits(problem: Problem, scope: Scope, node):
    """(code, description, edited tree) for every single edit of the claim."""
    shapes = problem.shapes
    for path, sub in _positions(node):
        def edit(new, _path=path):
            return _rebuild(node, _path, new)

        if isinstance(sub, ast.Transpose):
            yield "misplaced-transpose", f"{to_text(sub)} where {to_text(sub.operand)} was meant", edit(sub.operand)
        if isinstance(sub, (ast.Name, ast.Derivative)) and not (isinstance(sub, ast.Name) and sub.id in scope.index_names):
            yield "misplaced-transpose", f"{to_text(sub)} where its transpose was meant", edit(ast.Transpose(sub))
        if isinstance(sub, ast.Binary) and sub.op == "@":
            yield "swapped-operands", f"the operands of {to_text(sub)} are swapped", edit(ast.Binary("@", sub.right, sub.left))
            yield "hadamard-matmul", f"{to_text(sub)} is a matrix product where the elementwise product was meant", \
                edit(ast.Binary("*", sub.left, sub.right))
        if isinstance(sub, ast.Binary) and sub.op == "*":
            yield "hadamard-matmul", f"{to_text(sub)} is an elementwise product where the matrix product was meant", \
                edit(ast.Binary("@", sub.left, sub.right))
        if isinstance(sub, ast.Call) and sub.func == "kron":
            yield "kron-outer", "⊗ was read as the Kronecker product where the outer product was meant", \
                edit(dataclasses.replace(sub, func="outer"))
        if isinstance(sub, ast.Call) and sub.prime == 0 and len(sub.args) == 1 and (
            canonical_function(sub.func) in ELEMENTWISE or sub.func in problem.activations
        ):
            yield "activation-for-derivative", f"{to_text(sub)} where its derivative {sub.func}'(...) was meant", \
                edit(dataclasses.replace(sub, prime=1))
        if isinstance(sub, ast.Name) and sub.id in scope.index_names:
            for other in sorted(scope.index_names - {sub.id}):
                yield "wrong-index", f"index {sub.id} where {other} was meant", edit(ast.Name(other))
        if isinstance(sub, ast.Name) and sub.id in shapes:
            for other, shape in shapes.items():
                if other != sub.id and shape == shapes[sub.id] and other not in problem.arbitrary:
                    yield "wrong-index", f"{sub.id} where {other} was meant", edit(ast.Name(other))
        if isinstance(sub, ast.Index):
            for position, item in enumerate(sub.items):
                if not isinstance(item, str):
                    continue
                for other in sorted(scope.index_names):
                    if other != item:
                        items = list(sub.items)
                        items[position] = other
                        yield "wrong-index", f"index {item} where {other} was meant in {to_text(sub)}", \
                            edit(dataclasses.replace(sub, items=tuple(items)))
        if isinstance(sub, ast.Derivative):
            for other, shape in shapes.items():
                if other != sub.wrt and shape == shapes.get(sub.wrt) and other not in problem.arbitrary:
                    yield "wrong-index", f"d/d{sub.wrt} where d/d{other} was meant", edit(dataclasses.replace(sub, wrt=other))


def _edits(values: _Values, claimed, target, scope: Scope) -> Diagnosis | None:
    """A single edit (or two renames) of ``claimed`` after which it equals ``target``."""
    problem = values.problem
    budget = [MAX_EDITS]

    def matches(candidate) -> bool:
        budget[0] -= 1
        local = _fresh_scope(scope)
        try:
            infer(candidate, local)
            infer(target, local)
        except DeriveError:
            return False
        names = _free(candidate, local) | _free(target, local)
        return _close(_try(values, candidate, local, names), _try(values, target, local, names))

    singles = list(_single_edits(problem, scope, claimed))
    for code, description, candidate in singles:
        if budget[0] <= 0:
            break
        if matches(candidate):
            return Diagnosis(code, f"{to_text(claimed)}: {description}", to_text(candidate))
    renames = [(d, c) for code, d, c in singles if code == "wrong-index"]
    for description, candidate in renames:
        for code, second, twice in _single_edits(problem, scope, candidate):
            if code != "wrong-index":
                continue
            if budget[0] <= 0:
                return None
            if matches(twice):
                return Diagnosis("wrong-index", f"{to_text(claimed)}: {description}, and {second}", to_text(twice))
    return None
