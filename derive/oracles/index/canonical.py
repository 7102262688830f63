"""The canonical form of an index form, and the equality test: the part whose soundness matters.

Two claim sides are proved equal for every size when their canonical forms agree, so
canonicalization applies only identities valid for every size and every value:

* Σ_p δ(p,j) f(p) → f(j), only when p and j range over the same size (or j is a constant in
  p's range); δ(a,a) = 1, δ(1,2) = 0, δ² = δ; δ(a,b) f(a) → δ(a,b) f(b) for two indices of one
  range; a sum over a size of one is its one term, and Σ_p c = (range of p)·c;
* bound indices renamed ·0, ·1, ... in the order that gives the least key (alpha-equivalent terms
  become equal), factors sorted, a sum over a fixed size up to ``MAX_EXPANDED`` written out;
* equal terms collected, coefficients added by exact rational arithmetic, zero terms dropped;
* integer powers of one base merged (x · x⁻¹ = 1, as any rational simplification does), and an
  absolute value's reduced to |u|⁰ or |u|¹ (|u|² = u²);
* once every derivative is taken, S[a,b] = S[b,a] for a symmetric variable (and its inverse)
  and Σ_q T[a,q] = 1 for a row-stochastic one (``Structure``).

A coefficient that depends on a size stays as it is: Σ_p c = n·c is not 1·c. When the forms
differ, ``scalar_zero`` tries their difference as a rational function of its entries, function
values and sums; anything else proves nothing either way.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, replace
from fractions import Fraction

import sympy

from ...language.shapes import ONE, Dim
from .form import (
    Apply,
    Delta,
    Expr,
    Factor,
    Idx,
    Tensor,
    Term,
    atom,
    factor_names,
    free_names,
    index_order,
    rename_all_bound,
    rename_bound,
    subst_factor,
    term_free,
)

MAX_PERMUTED = 6  # bound indices of one term tried in every order for the canonical naming
MAX_EXPANDED = 8  # a sum over a fixed size up to this is written out term by term


@dataclass(frozen=True)
class Structure:
    """Variables whose entries are related: symmetric (S[a,b] = S[b,a]) and row-stochastic
    (sum_q(T[a,q]) = 1). Used once every derivative is taken, as the exact oracle does."""

    symmetric: frozenset[str] = frozenset()
    stochastic: frozenset[str] = frozenset()


def canonical(expr: Expr, ranges: dict, structure: Structure | None = None, log: list | None = None,
              top: bool = True) -> Expr:
    """The canonical form: deltas contracted, bound indices named in a canonical order, equal
    terms collected. Only identities valid for every size are applied (see the module doc)."""
    if top:
        expr = rename_all_bound(expr)
    terms = []
    for term in (t for raw in expr.terms for t in _write_out_small_sums(raw)):
        term = contract(term, ranges, log)
        if term is not None:
            term = canonical_names(term, ranges, structure)
            merged = _drop_row_sums(merge_powers(term), structure.stochastic if structure else frozenset())
            terms.append(term if merged == term else canonical_names(merged, ranges, structure))
    return collect(terms)


def _drop_row_sums(term: Term, stochastic: frozenset[str]) -> Term:
    """sum_q(T[a,q]) = 1 for a row-stochastic T, where nothing else in the term uses q."""
    for name, _ in term.sums:
        users = [f for f in term.factors if name in factor_names(f)]
        if len(users) == 1 and isinstance(users[0], Tensor) and users[0].kind == "var" \
                and users[0].name in stochastic and users[0].indices[1] == name != users[0].indices[0]:
            rest = tuple(f for f in term.factors if f is not users[0])
            sums = tuple(s for s in term.sums if s[0] != name)
            return _drop_row_sums(Term(term.coeff, rest, sums), stochastic)
    return term


def _write_out_small_sums(term: Term) -> list[Term]:
    """Σ over a fixed size n ≤ MAX_EXPANDED written out as its n terms (index k := 1..n)."""
    for name, dim in term.sums:
        if dim.is_Integer and 1 < int(dim) <= MAX_EXPANDED:
            out = []
            for value in range(1, int(dim) + 1):
                out.extend(_write_out_small_sums(bind_bound(term, name, value)))
            return out
    return [term]


def merge_powers(term: Term) -> Term:
    """Powers of one base multiplied into one: x * x**(-1) = 1, y**(-1) * y**(-1) = y**(-2).

    An integer power of a one-term product is distributed first ((c*x*y)**(-1) = c**(-1) *
    x**(-1) * y**(-1), (x**a)**q = x**(a*q)); only integer exponents are split, which holds for
    every value. Cancelling x * x**(-1) holds wherever x ≠ 0, the caveat every rational
    simplification has (the exact oracle's too). A positive integer power of a single factor is
    written as that factor repeated, as ``power`` writes it.
    """
    if _no_powers(term):
        return term
    coeff = term.coeff
    exponents: dict[str, list] = {}
    for factor in term.factors:
        base, exponent = _base_and_exponent(factor)
        if isinstance(factor, Apply) and factor.func == "pow" and exponent.denominator == 1:
            inner = _single_term(factor.arg)
            if inner is not None:
                coeff = coeff * inner.coeff ** int(exponent)
                for piece in inner.factors:
                    piece_base, piece_exponent = _base_and_exponent(piece)
                    _add_power(exponents, piece_base, piece_exponent * exponent)
                continue
        _add_power(exponents, base, exponent)
    _reduce_absolute_values(exponents)
    factors: list[Factor] = []
    for base, exponent in exponents.values():
        if exponent == 0:
            continue
        if exponent.denominator == 1 and exponent > 0 and not isinstance(base, Expr):
            factors.extend([base] * int(exponent))
        else:
            arg = base if isinstance(base, Expr) else atom(base)
            factors.append(Apply("pow", 0, arg, exponent))
    return Term(coeff, tuple(factors), term.sums)


def _no_powers(term: Term) -> bool:
    """No power and no factor twice: ``merge_powers`` would give the term back as it is (the
    common case, and its exponents are Fractions, slow to make)."""
    seen = set()
    for factor in term.factors:
        if isinstance(factor, Apply) and factor.func == "pow":
            return False
        key = factor_key(factor)
        if key in seen:
            return False
        seen.add(key)
    return True


def _reduce_absolute_values(exponents: dict) -> None:
    """|u|**k = |u|**(k mod 2) · u**(k - k mod 2) for an integer k: |u|² = u² for real u, and
    |u|⁻¹ = |u| · u⁻² where u ≠ 0 (the caveat of x · x⁻¹ = 1), so |u| is left to the power 0 or 1."""
    for base, exponent in list(exponents.values()):
        if isinstance(base, Apply) and base.func == "abs" and base.order == 0 and exponent.denominator == 1:
            kept = Fraction(int(exponent) % 2)
            if kept != exponent:
                _add_power(exponents, base, kept - exponent)
                inner = _single_term(base.arg)
                lone = inner is not None and inner.coeff == 1 and len(inner.factors) == 1
                _add_power(exponents, inner.factors[0] if lone else base.arg, exponent - kept)


def _base_and_exponent(factor: Factor) -> tuple:
    """A factor as base and exponent: ``(u)**q`` is (u, q), with u a lone factor when it is one."""
    if isinstance(factor, Apply) and factor.func == "pow":
        inner = _single_term(factor.arg)
        if inner is not None and inner.coeff == 1 and len(inner.factors) == 1:
            return inner.factors[0], factor.power
        return factor.arg, factor.power
    return factor, Fraction(1)


def _single_term(expr: Expr) -> Term | None:
    """The one term of ``expr`` when it has one and sums over nothing, else None."""
    if len(expr.terms) == 1 and not expr.terms[0].sums:
        return expr.terms[0]
    return None


def _add_power(exponents: dict, base, exponent: Fraction) -> None:
    key = expr_key(base) if isinstance(base, Expr) else factor_key(base)
    _, known = exponents.get(key, (base, Fraction(0)))
    exponents[key] = (base, known + exponent)


# -- delta contraction --------------------------------------------------------------------------

def _range_of(index: Idx, bound: dict, ranges: dict):
    if isinstance(index, int):
        return None
    return bound.get(index, ranges.get(index))


def _may_stand_for(dim, index: Idx, bound: dict, ranges: dict) -> bool:
    """May an index over ``dim`` be replaced by ``index`` (same range, or a constant in range)?"""
    if isinstance(index, int):
        return index == 1 or (dim is not None and dim.is_Integer and index <= int(dim))
    other = _range_of(index, bound, ranges)
    return dim is not None and other is not None and sympy.simplify(dim - other) == 0


def contract(term: Term, ranges: dict, log: list | None = None) -> Term | None:
    """Delta contraction and its companions; None when the term is zero. ``log`` collects each
    contraction (bound index, what replaced it)."""
    changed = True
    while changed:
        changed = False
        bound = dict(term.sums)
        for name, dim in term.sums:
            if dim == ONE:
                term = bind_bound(term, name, 1)
                changed = True
                break
        if changed:
            continue
        factors = list(term.factors)
        deltas = [f for f in factors if isinstance(f, Delta)]
        if len(set(deltas)) < len(deltas):  # δ² = δ
            seen: list = []
            term = replace(term, factors=tuple(f for f in factors if not (
                isinstance(f, Delta) and (f in seen or seen.append(f)))))
            changed = True
            continue
        for k, delta in enumerate(factors):
            if not isinstance(delta, Delta):
                continue
            a, b = delta.a, delta.b
            rest = tuple(factors[:k] + factors[k + 1:])
            if a == b:
                term = replace(term, factors=rest)
                changed = True
                break
            if isinstance(a, int) and isinstance(b, int):
                return None
            for x, y in ((a, b), (b, a)):
                if isinstance(x, str) and x in bound and _may_stand_for(bound[x], y, bound, ranges):
                    if log is not None:
                        log.append((x, y))
                    term = bind_bound(replace(term, factors=rest), x, y)
                    changed = True
                    break
            if changed:
                break
            # two free indices (or a free index and a constant): δ(a,b) f(a) = δ(a,b) f(b)
            x, y = (b, a) if index_order(b) > index_order(a) else (a, b)
            if isinstance(x, str) and _may_stand_for(_range_of(x, bound, ranges), y, bound, ranges) and any(
                    x in factor_names(f) for f in rest):
                term = replace(term, factors=(delta,) + tuple(subst_factor(f, {x: y}) for f in rest))
                changed = True
                break
        if changed:
            continue
        used: set[str] = set()
        for factor in term.factors:
            used |= factor_names(factor)
        unused = [(n, d) for n, d in term.sums if n not in used]
        if unused:
            coeff = term.coeff
            for _, dim in unused:
                coeff = coeff * dim  # Σ_p c = (range of p)·c
            term = Term(coeff, term.factors, tuple(s for s in term.sums if s not in unused))
            changed = True
    return term


def bind_bound(term: Term, name: str, value: Idx) -> Term:
    """The term with bound index ``name`` replaced by ``value``, a name of the same scope."""
    sums = tuple(s for s in term.sums if s[0] != name)
    return Term(term.coeff, tuple(subst_factor(f, {name: value}) for f in term.factors), sums)


def forget() -> None:
    """Drop the keys and canonical forms remembered so far. They are of one problem's names,
    sizes and structure, so once its claims are checked they are only memory: 20 MiB by the end
    of a catalog run, which every full collection of the cyclic collector walked again."""
    for remembered in (_sympy_str, factor_key, _canonical_names, _canonical_arg, _lowest_terms):
        remembered.cache_clear()


# -- keys and canonical naming ------------------------------------------------------------------

@functools.lru_cache(maxsize=1 << 16)
def _sympy_str(value) -> str:
    """str of a SymPy size or coefficient, remembered: SymPy's printer is slow, keys are many."""
    return str(value)


@functools.lru_cache(maxsize=1 << 16)
def factor_key(factor: Factor) -> str:
    """A text that identifies ``factor`` (equal keys, equal factors); it orders factors."""
    if isinstance(factor, Tensor):
        return f"T{factor.kind}:{factor.name}[{factor.indices[0]},{factor.indices[1]}]"
    if isinstance(factor, Delta):
        return f"D[{factor.a},{factor.b}]"
    if isinstance(factor, Apply):
        return f"A{factor.func}'{factor.order}^{factor.power}({expr_key(factor.arg)})"
    return f"L:{factor.name}"


def term_key(term: Term) -> str:
    """A text that identifies a term's sums and factors (not its coefficient)."""
    sums = ",".join(f"{n}:{_sympy_str(d)}" for n, d in term.sums)
    return f"Σ[{sums}]" + "*".join(factor_key(f) for f in term.factors)


def expr_key(expr: Expr) -> str:
    return " + ".join(f"({_sympy_str(t.coeff)})" + term_key(t) for t in expr.terms)


def _canonical_number(name: str) -> int | None:
    return int(name[1:]) if name.startswith("·") else None


def canonical_names(term: Term, ranges: dict, structure: Structure) -> Term:
    """Bound indices named ·n in the order that gives the least key. The numbering starts above
    every ·n the term uses freely (an enclosing term's), so that no name is captured and a
    function's argument gets the same form wherever it occurs.

    The result depends on the term only up to the names of its bound indices (every order of
    them is tried, or, past MAX_PERMUTED, the order of its sums), so it is remembered for the
    term with those named by position: three quarters of a catalog run's terms are such a
    repeat (each claim's side, each correction, renamed fresh by ``canonical``)."""
    positional = rename_bound(term, {name: f"§{k}" for k, (name, _) in enumerate(term.sums)}) \
        if term.sums else term  # '§' is in no name: neither the grammar's, nor fresh, nor canonical
    free = tuple(sorted(((n, ranges.get(n)) for n in term_free(term)), key=lambda item: item[0]))
    return _canonical_names(positional, free, structure)


@functools.lru_cache(maxsize=1 << 14)
def _canonical_names(term: Term, free: tuple, structure: Structure) -> Term:
    """``canonical_names`` of a term whose free indices have the ranges ``free`` (the only ranges
    its naming reads: a function's argument is canonical given those of its own free indices)."""
    ranges = dict(free)
    bound = [n for n, _ in term.sums]
    outer = [_canonical_number(n) for n in term_free(term)]
    offset = 1 + max((n for n in outer if n is not None), default=-1)
    if len(bound) <= MAX_PERMUTED:
        orders = itertools.permutations(bound)
    else:  # still sound, just not guaranteed canonical
        orders = [bound]
    best, best_key = None, None
    for order in orders:
        mapping = {name: f"·{offset + k}" for k, name in enumerate(order)}
        renamed = rename_bound(term, mapping)
        inner = {**ranges, **dict(renamed.sums)}
        factors = sorted((_canonical_factor(f, inner, structure) for f in renamed.factors),
                         key=factor_key)
        candidate = Term(renamed.coeff, tuple(factors), tuple(sorted(renamed.sums, key=_sum_order)))
        key = term_key(candidate)
        if best_key is None or key < best_key:
            best, best_key = candidate, key
    return best


def _sum_order(item: tuple[str, Dim]) -> tuple[str, str]:
    return item[0], _sympy_str(item[1])


def _canonical_factor(factor: Factor, ranges: dict, structure) -> Factor:
    if isinstance(factor, Apply):
        free = tuple(sorted((n, ranges.get(n)) for n in free_names(factor.arg)))
        return replace(factor, arg=_canonical_arg(factor.arg, free, structure))
    if isinstance(factor, Tensor) and factor.kind in ("var", "inv") and structure \
            and factor.name in structure.symmetric:  # the inverse of a symmetric matrix is symmetric
        return replace(factor, indices=tuple(sorted(factor.indices, key=index_order)))
    return factor


@functools.lru_cache(maxsize=1 << 14)
def _canonical_arg(arg: Expr, free: tuple, structure) -> Expr:
    """The canonical form of a function's argument, given the ranges of its free indices: the
    same argument recurs in every order ``canonical_names`` tries, so it is remembered."""
    return canonical(arg, dict(free), structure, top=False)


def collect(terms: list[Term]) -> Expr:
    """Equal terms added (coefficients exactly), zero terms dropped, terms in canonical order."""
    groups: dict = {}
    for term in terms:
        key = (term.factors, term.sums)
        groups[key] = groups.get(key, 0) + term.coeff
    out = []
    for (factors, sums), coeff in groups.items():
        if not coeff.is_Rational:  # a rational number is in lowest terms already
            coeff = _lowest_terms(coeff)
        if coeff != 0:
            out.append(Term(coeff, factors, sums))
    return Expr(tuple(sorted(out, key=term_key)))


@functools.lru_cache(maxsize=1 << 12)
def _lowest_terms(coeff: sympy.Expr) -> sympy.Expr:
    """A coefficient in the sizes (1/S - 2/S, d/(d*S)) as one fraction in lowest terms,
    remembered: the same few coefficients recur in every term of every proof of a problem."""
    return sympy.cancel(sympy.together(coeff))


# -- the equality test beyond the canonical form ------------------------------------------------

def scalar_zero(expr: Expr) -> bool:
    """Whether a canonical ``expr`` is zero as a rational function of its atoms.

    Each entry, delta and independent sum (in canonical form) is a SymPy symbol and each function
    application an undefined SymPy function of its argument; failing that, the terms that sum over
    the same ranges are added inside the sum and each integrand is tried; failing that, the same
    with sigmoid and tanh written by their definitions in exp (σ(u) = 1/(1 + e^-u)). An identity of
    rational functions in independent symbols (and exponentials) holds for any values of them, in
    particular for the actual ones, so a zero here is a proof (up to points where a denominator
    vanishes, as in the exact oracle).
    """
    groups: dict[tuple, list[Term]] = {}
    for term in expr.terms:
        groups.setdefault(term.sums, []).append(term)
    for closed in (False, True):
        if _cancels(_expr_as_sympy(expr, closed)):
            return True
        # Σ_k f(k) + Σ_k g(k) = Σ_k (f(k) + g(k)): terms summing over the same ranges, added inside
        if len(groups) < len(expr.terms) and all(
                _cancels(sympy.Add(*[sympy.Mul(t.coeff, *[_factor_as_sympy(f, closed) for f in t.factors])
                                     for t in terms]))
                for terms in groups.values()):
            return True
    return False


def _cancels(value: sympy.Expr) -> bool:
    return sympy.cancel(sympy.together(value)) == 0


def _expr_as_sympy(expr: Expr, closed: bool = False) -> sympy.Expr:
    return sympy.Add(*[_term_as_sympy(t, closed) for t in expr.terms])


def _term_as_sympy(term: Term, closed: bool = False) -> sympy.Expr:
    """A term as a product: factors free of the sums as they are, each independent sum
    (Σ_{l,p} f(l) g(p) = Σ_l f(l) · Σ_p g(p)) as one symbol named by its canonical form."""
    out = [term.coeff]
    for sums, factors in _independent_sums(term):
        if not sums:
            out.extend(_factor_as_sympy(f, closed) for f in factors)
        else:
            alone = canonical_names(Term(sympy.Integer(1), factors, sums), {}, None)
            out.append(sympy.Symbol(term_key(alone)))
    return sympy.Mul(*out)


def _independent_sums(term: Term) -> list[tuple[tuple, tuple]]:
    """The term's factors grouped by the bound indices that tie them: (sums, factors) for each
    group, and ((), factors) for the factors no sum reaches."""
    groups: list[tuple[set, list]] = []  # names, factors
    bound = dict(term.sums)
    free: list[Factor] = []
    for factor in term.factors:
        names = factor_names(factor) & set(bound)
        if not names:
            free.append(factor)
            continue
        joined = [g for g in groups if g[0] & names]
        merged = (set(names), [factor])
        for g in joined:
            groups.remove(g)
            merged[0].update(g[0])
            merged[1][:0] = g[1]
        groups.append(merged)
    out = [((), tuple(free))]
    reached = set().union(*(g[0] for g in groups))
    unused = tuple(s for s in term.sums if s[0] not in reached)
    if unused:  # Σ_p c: kept whole (contract has usually made it size·c already)
        out.append((unused, ()))
    for names, factors in groups:
        sums = tuple((n, d) for n, d in term.sums if n in names)
        out.append((sums, tuple(factors)))
    return out


_CLOSED_FORMS = {  # (name, order) -> the function by its definition in exp, for ``closed``
    ("exp", 0): sympy.exp,
    ("sigmoid", 0): lambda u: 1 / (1 + sympy.exp(-u)),
    ("tanh", 0): lambda u: (sympy.exp(2 * u) - 1) / (sympy.exp(2 * u) + 1),
}


def _factor_as_sympy(factor: Factor, closed: bool = False) -> sympy.Expr:
    if isinstance(factor, Apply):
        arg = _expr_as_sympy(factor.arg, closed)
        if factor.func == "pow":
            return sympy.Pow(arg, sympy.Rational(factor.power.numerator, factor.power.denominator))
        if closed and (factor.func, factor.order) in _CLOSED_FORMS:
            return _CLOSED_FORMS[factor.func, factor.order](arg)
        return sympy.Function(f"{factor.func}{chr(39) * factor.order}")(arg)
    return sympy.Symbol(factor_key(factor))
