"""Definitions folded back, for reading: an inlined definition written by its name again.

Once a derivation has inlined P = softmax(Z), exp(Z[s,k]) * (sum_q(exp(Z[s,q])))**(-1) reads as
P[s,k] again. A fold is a structural match (a pattern's indices, and its bound ones, bound to the
expression's), so the expression shown stays equal to the one derived: a fold only writes the
same product under another name.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from ...errors import ShapeError, UnsupportedError
from ...language import ast
from ...problem.definition import Problem
from .builder import Builder, fixed_dim, index_form
from .canonical import merge_powers
from .form import Apply, Delta, Expr, Factor, Idx, Tensor, Term, renamed_index, term_free

_FOLDINGS: dict[int, tuple] = {}  # id(problem) -> (problem, its Folding): patterns built once


def folding_for(problem: Problem) -> Folding:
    """The problem's Folding, built once (the problem is kept, so its id stays its own)."""
    known = _FOLDINGS.get(id(problem))
    if known is None or known[0] is not problem:
        if len(_FOLDINGS) > 64:
            _FOLDINGS.clear()
        known = _FOLDINGS[id(problem)] = (problem, Folding(problem))
    return known[1]


class Folding:
    """Writes a definition's entries by its name again, for display.

    A definition whose index form is one term is a pattern: a product of factors (found among a
    term's factors, its indices matched to the term's), or a sum (Z = X @ W, found as a whole term
    inside a function's argument). Patterns are written with the definitions before them folded,
    so folding goes from the inputs outwards.
    """

    def __init__(self, problem: Problem):
        self.patterns: list[tuple[str, tuple[Idx, Idx], Term]] = []
        for name, _ in problem.definitions:
            if name in problem.loss_dependent:
                continue
            shape = tuple(fixed_dim(problem, d) for d in problem.shapes[name])
            builder = Builder(problem)
            marks = tuple(builder.index(f"{name}_{k}", dim) for k, dim in zip("ab", shape))
            try:
                form = index_form(ast.Name(name), problem, marks, builder=builder)
            except (UnsupportedError, ShapeError):
                continue
            form = self.fold(form)
            if len(form.terms) == 1 and form.terms[0].factors:
                self.patterns.append((name, marks, form.terms[0]))

    def fold(self, expr: Expr) -> Expr:
        return Expr(tuple(self._fold_term(t) for t in expr.terms))

    def _fold_term(self, term: Term) -> Term:
        factors = []
        for factor in term.factors:
            if isinstance(factor, Apply):
                factor = replace(factor, arg=self.fold(factor.arg))
            if isinstance(factor, Apply) and factor.func == "pow" and factor.power.denominator == 1:
                # u**(-2) as u**(-1) * u**(-1), so that a pattern with one u**(-1) is found twice
                one = replace(factor, power=Fraction(1 if factor.power > 0 else -1))
                factors.extend([one] * abs(int(factor.power)))
            else:
                factors.append(factor)
        term = replace(term, factors=tuple(factors))
        for name, marks, pattern in self.patterns:
            found = self._fold_once(term, name, marks, pattern)
            while found is not None:
                term = found
                found = self._fold_once(term, name, marks, pattern)
        return merge_powers(term)

    def _fold_once(self, term: Term, name, marks, pattern: Term) -> Term | None:
        """``term`` with one occurrence of the pattern replaced by the definition's entry."""
        variables = frozenset(m for m in marks if isinstance(m, str))
        scope = term_free(term) | {n for n, _ in term.sums}
        if pattern.sums:  # a sum is found as a whole term, up to its coefficient
            found = ((m, ()) for m in _unify_term(replace(pattern, coeff=term.coeff), term, {}, variables))
        else:
            found = _unify_factors(list(pattern.factors), list(term.factors), {}, variables)
        for mapping, rest in found:
            # every index of the entry is named (B[m,n] = b[n] does not say which row b[n] is), and
            # none is an inner index
            if variables <= mapping.keys() and all(not isinstance(v, str) or v in scope for v in mapping.values()):
                entry = Tensor(name, tuple(renamed_index(m, mapping) for m in marks))
                sums = () if pattern.sums else term.sums
                return Term(term.coeff / pattern.coeff, tuple(rest) + (entry,), sums)
        return None


# -- structural matching of a pattern against an expression (index names as variables) -------------

def _bind(index: Idx, target: Idx, mapping: dict, variables) -> dict | None:
    """``mapping`` with the pattern index bound to ``target``, or None when they disagree."""
    if isinstance(index, str) and index in variables:
        if index in mapping:
            return mapping if mapping[index] == target else None
        return {**mapping, index: target}
    return mapping if index == target else None


def _unify_factor(p: Factor, t: Factor, mapping: dict, variables):
    """Every extension of ``mapping`` under which pattern factor ``p`` is ``t``."""
    if _factor_head(p) != _factor_head(t):
        return
    if isinstance(p, Tensor):
        out = mapping
        for a, b in zip(p.indices, t.indices):
            out = _bind(a, b, out, variables) if out is not None else None
        if out is not None:
            yield out
    elif isinstance(p, Delta):
        for a, b in ((t.a, t.b), (t.b, t.a)):
            out = _bind(p.a, a, mapping, variables)
            out = _bind(p.b, b, out, variables) if out is not None else None
            if out is not None:
                yield out
    elif isinstance(p, Apply):
        yield from _unify_terms(list(p.arg.terms), list(t.arg.terms), mapping, variables)
    elif p == t:
        yield mapping


def _unify_terms(ps: list[Term], ts: list[Term], mapping, variables):
    """Pattern terms matched one to one with target terms (a sum is a multiset of terms)."""
    if len(ps) != len(ts):
        return
    if not ps:
        yield mapping
        return
    for k, t in enumerate(ts):
        for out in _unify_term(ps[0], t, mapping, variables):
            yield from _unify_terms(ps[1:], ts[:k] + ts[k + 1:], out, variables)


def _unify_term(p: Term, t: Term, mapping, variables):
    """A pattern term is a target term: equal coefficients, sums over equal ranges (its bound
    indices bound one to one to the target's), factors matched one to one."""
    if p.coeff != t.coeff or len(p.sums) != len(t.sums) or len(p.factors) != len(t.factors):
        return
    bound = frozenset(n for n, _ in p.sums)
    dims = dict(t.sums)
    for out, rest in _unify_factors(list(p.factors), list(t.factors), mapping, variables | bound):
        if rest:
            continue
        images = [out.get(n) for n, _ in p.sums]
        if len(set(images)) == len(images) and all(i in dims and dims[i] == d for i, (_, d) in zip(images, p.sums)):
            yield {k: v for k, v in out.items() if k not in bound}


def _unify_factors(ps: list[Factor], ts: list[Factor], mapping, variables):
    """Each pattern factor matched to a distinct target factor: (mapping, the target's rest)."""
    if not ps:
        yield mapping, ts
        return
    for k, t in enumerate(ts):
        for out in _unify_factor(ps[0], t, mapping, variables):
            yield from _unify_factors(ps[1:], ts[:k] + ts[k + 1:], out, variables)


def _factor_head(factor: Factor) -> tuple:
    """What a factor is, without its indices: equal factors have equal heads."""
    if isinstance(factor, Tensor):
        return ("T", factor.kind, factor.name)
    if isinstance(factor, Apply):
        return ("A", factor.func, factor.order, factor.power, len(factor.arg.terms))
    return (type(factor).__name__,)
