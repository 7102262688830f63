"""Generic proofs: a link holds for every size when both sides have the same canonical form.

``prove_link`` writes both sides in index form at one entry (a gradient's side by its
derivation), compares their canonical forms, and tries the difference as a rational function
(``canonical.scalar_zero``); a proof carries its steps, and a proved gradient reads as the answer
sheet's argument: chain rule, entries, contraction, back to matrix form. A side the engine has
no rule for, or a difference that does not cancel, gives "not proved": it proves nothing either
way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

import sympy

from ...errors import ShapeError, UnsupportedError
from ...language import ast
from ...language.parser import parse_claim
from ...language.shapes import SCALAR, Scope, typed
from ...language.text import to_text
from ...problem.definition import Problem
from .builder import Builder, entry_names, fixed_dim, index_form, structure_of
from .canonical import canonical, collect, scalar_zero
from .canonical import forget as forget_forms
from .derivation import Derivation, Step, derive_gradient, step
from .folding import folding_for
from .form import Expr, Idx, free_names
from .notes import remember
from .render import namer_for, render, sympy_node

GENERIC = "generic proof"
DERIVATIONS = 64  # gradients' derivations kept (most claims of a problem are about a few gradients)
_derivations: dict = {}  # (id(problem), loss, wrt) -> (problem, the derivation or None)


@dataclass
class LinkProof:
    """The generic verdict of one link ``left = right`` (claim-language trees), with its steps."""

    left: ast.Node
    right: ast.Node
    proved: bool
    reason: str
    steps: list[Step]
    # when left - right does not cancel: the coefficients of its terms that depend on a size
    # (polynomials in the size symbols); a claim that holds at the sizes tried but has such a
    # term is right only at the roots, so the checker looks at sizes away from them
    size_coefficients: tuple = ()


@dataclass
class Proof:
    """The generic verdict of a claim: every link proved, or the first reason one is not."""

    chain: ast.Chain
    links: list[LinkProof]
    problem: Problem | None = field(default=None, repr=False, compare=False)

    @property
    def claim(self) -> str:
        """The claim in claim-language text."""
        return to_text(self.chain)

    @property
    def proved(self) -> bool:
        return bool(self.links) and all(link.proved for link in self.links)

    @property
    def status(self) -> str:
        if self.proved:
            return GENERIC
        reason = next((link.reason for link in self.links if not link.proved), "no links")
        return f"no generic proof ({reason})"


def prove(problem: Problem, claim: ast.Chain | str) -> Proof:
    """Each link proved generically iff both sides have the same canonical index form.

    ``claim`` is a chain, or a user's text of one. A side the engine has no rule for gives a
    link "not proved" with the rule named; a different canonical form gives "not proved" too,
    since it proves nothing either way.
    """
    chain = parse_claim(claim) if isinstance(claim, str) else claim
    scope = problem.check_claim_names(chain)
    proof = Proof(chain, [], problem)
    for left, right in chain.links():
        proof.links.append(prove_link(problem, left, right, scope))
    return proof


def prove_link(problem: Problem, left: ast.Node, right: ast.Node, scope: Scope) -> LinkProof:
    """One link ``left = right`` of a claim whose names ``scope`` has checked."""
    link = LinkProof(left, right, False, "", [])
    try:
        sides = typed((left, right), scope)
        shapes, scope = sides.shapes, sides.scope
    except ShapeError as error:
        link.reason = f"shape: {str(error).splitlines()[0]}"
        return link
    if not scope.same_shape(shapes[0], shapes[1]):
        link.reason = "the two sides have different shapes"
        return link
    indices = entry_names(tuple(fixed_dim(problem, d) for d in shapes[0]),
                          set(scope.index_names) | set(problem.shapes) | set(problem.sizes))
    builder = Builder(problem)
    namer = namer_for(problem, set(scope.index_names) | {i for i in indices if isinstance(i, str)})
    try:
        derivation = _gradient_derivation(problem, left, indices)
        forms, rules = [], []
        for side in (left, right):
            builder.rules.clear()
            if side is left and derivation is not None:  # the gradient's index form, derived
                builder.ranges.update(derivation.ranges)
                forms.append(derivation.result)
                rules.append(next(s.justification for s in derivation.steps
                                  if s.justification.startswith("derivative")))
                continue
            forms.append(index_form(side, problem, indices, scope, builder))
            rules.append("; ".join(builder.rules) or "as written")
        plain = set(builder.splits) & (free_names(forms[0]) | free_names(forms[1]))
        if plain:
            raise UnsupportedError(f"the index {min(plain)} is used both whole and as a pair")
        parts = {}  # an index split in two is shown as a pair of letters
        for name in builder.splits:
            for part in builder.splits[name]:
                if isinstance(part, str):
                    parts[part] = namer.pick(builder.ranges[part], set(parts.values()))
        for name, (slow, fast) in builder.splits.items():
            if name in indices:
                pair = [parts.get(k, str(k)) for k in (slow, fast)]
                size = builder.ranges.get(fast, 1)
                text = f"{name} = ({pair[0]} - 1)*{size} + {pair[1]}"
                rules[0] += "; " + remember(text, _pair_rule(name, pair, size))
        # both forms are canonical: when their terms are the same, the difference is zero without
        # canonicalizing it again (identical terms canonicalize identically); else it is taken whole,
        # now that every index's range is known
        difference = collect([*forms[0].terms, *(-forms[1]).terms])
        if difference.terms:
            difference = canonical(forms[0] - forms[1], builder.ranges, structure_of(problem))
        cancels = not difference.terms or scalar_zero(difference)
        if not (cancels and derivation is not None):  # a proved gradient is argued from its derivation
            folding = folding_for(problem)
            for side, form, why in zip((left, right), forms, rules):
                link.steps.append(step(entry_of(side, indices), render(folding.fold(form), problem, namer, parts),
                                       why=why))
    except UnsupportedError as error:
        link.reason = f"no rule: {str(error).splitlines()[0]}"
        return link
    if difference.terms and cancels:
        link.proved = True
        link.reason = "equal after rational simplification of the entries, for every size"
        link.steps.append(step(_zero_node(), why="left minus right is zero as a rational function of its "
                                            "entries, function values and sums (SymPy cancel)"))
    elif difference.terms:
        link.reason = "the canonical index forms differ"
        size_symbols = set(problem.sizes.values())
        link.size_coefficients = tuple(dict.fromkeys(
            term.coeff for term in difference.terms
            if isinstance(term.coeff, sympy.Basic) and term.coeff.free_symbols & size_symbols))
        link.steps.append(step(render(difference, problem, namer), why="left minus right does not cancel"))
        return link
    else:
        link.proved = True
        link.reason = "identical canonical index forms, for every size"
        link.steps.append(step(_zero_node(), why="left minus right cancels: identical canonical forms"))
    if derivation is not None:
        link.steps = _gradient_argument(problem, left, right, derivation, forms[1], rules[1], builder,
                                        bool(difference.terms))
    return link


def _zero_node() -> ast.Node:
    return ast.Number(Fraction(0))


def _gradient_derivation(problem: Problem, left, indices) -> Derivation | None:
    """The derivation of ``left`` when it is the gradient of a scalar, at the entry ``indices``."""
    if not (isinstance(left, ast.Derivative) and isinstance(left.of, ast.Name)
            and problem.shapes.get(left.of.id) == SCALAR and left.wrt in problem.shapes):
        return None
    derivation = _derivation(problem, left.of.id, left.wrt)
    return derivation if derivation is not None and derivation.indices == tuple(indices) else None


def forget(problem: Problem) -> None:
    """Drop what the engine kept for ``problem`` once its claims are checked: its derivations,
    and the canonical forms remembered (``canonical.forget``)."""
    for key in [key for key, (kept, _) in _derivations.items() if kept is problem]:
        del _derivations[key]
    forget_forms()


def _derivation(problem: Problem, loss: str, wrt: str) -> Derivation | None:
    """``derive_gradient``, kept for the latest problems: every claim about dL/dW needs the same
    derivation (it depends on the problem alone), and it costs as much as the rest of a proof.
    The problem is kept with its entry, so its identity is not reused while the entry lives."""
    key = (id(problem), loss, wrt)
    if key not in _derivations:
        try:
            derivation = derive_gradient(problem, loss, wrt)
        except (UnsupportedError, ShapeError):
            derivation = None
        if len(_derivations) >= DERIVATIONS:
            del _derivations[next(iter(_derivations))]
        _derivations[key] = (problem, derivation)
    return _derivations[key][1]


def entry_of(node: ast.Node, indices: Iterable[Idx]) -> ast.Node:
    """Entry ``indices`` of the value ``node`` denotes: ``(A @ B)[i,j]``; a scalar as it is."""
    items = tuple(k for k in indices if k != 1)
    return ast.Index(node, items) if items else node


def _gradient_argument(problem: Problem, left, right, derivation: Derivation, right_form: Expr,
                       right_rules: str, builder: Builder, forms_differ: bool) -> list[Step]:
    """For a proved ``dL/dW = M``: the answer sheet's argument — the chain rule, the derivative of
    each entry, the contraction, the collection, then back to matrix form, M's entry (i, j);
    ``forms_differ``: the canonical forms of the two sides differ (equal as rational functions)."""
    steps: list[Step] = []
    for derived in derivation.steps:  # a step that changes nothing is not shown
        if steps and derived.chain == steps[-1].chain:
            continue
        steps.append(derived)
    namer = namer_for(problem, [k for k in derivation.indices if isinstance(k, str)])
    if forms_differ:
        steps.append(step(render(folding_for(problem).fold(right_form), problem, namer),
                          why="the same entries, as rational functions of the entries and sums"))
    rules = "; ".join(r for r in right_rules.split("; ") if not r.startswith(("d", "chain rule", "as written")))
    steps.append(step(entry_of(right, derivation.indices), why="back to matrix form" + (f": {rules}" if rules else "")))
    return steps + [step(left, right, why="for every entry, and every size")]


def _pair_rule(name: str, pair: list, size) -> ast.Chain:
    """``p = (a - 1)*m + b``: an index over m·n read as the pair (a, b)."""
    def index(item) -> ast.Node:
        return ast.Number(Fraction(int(item))) if str(item).isdigit() else ast.Name(str(item))

    slow = ast.Binary("-", index(pair[0]), ast.Number(Fraction(1)))
    return ast.Chain((ast.Name(name), ast.Binary("+", ast.Binary("*", slow, sympy_node(sympy.sympify(size))),
                                                 index(pair[1]))))
