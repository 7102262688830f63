"""The index form: an entry of a claim side as a sum of terms, and the arithmetic on it.

A term is a coefficient (a SymPy expression in numbers and size symbols) times a product of
factors, summed over the bound indices it lists with their ranges. Factors are entries of
variables and of upstream gradients (``Tensor``), Kronecker deltas, elementwise functions of an
entry (``Apply``) and the value of a loss left arbitrary (``Loss``).

Bound indices get fresh names (``k#12``: '#' is not in the grammar's names, so no claim can use
one), and every operation here keeps them apart: a product renames the bound indices of one
factor away from the other's names, a substitution never captures a free index by a bound one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction

import sympy

from ...errors import UnsupportedError
from ...language.ast import remember_hash
from ...language.shapes import Dim

Idx = str | int  # an index name, or a 1-based constant (1 for a dimension of size one)


@remember_hash
@dataclass(frozen=True)
class Tensor:
    """An entry: ``kind`` "var" (a variable), "grad" (an upstream gradient ``dL/dY``, whose
    ``name`` is that text, ``loss`` L and ``of`` the quantity Y), "cut" (an intermediate held as
    an input while differentiating by it), "inv" (an entry of the inverse of variable ``name``)
    or "det" (its determinant, at (1, 1))."""

    name: str
    indices: tuple[Idx, Idx]
    kind: str = "var"
    of: str = ""
    loss: str = ""


def upstream(loss: str, of: str, indices: tuple[Idx, Idx]) -> Tensor:
    """The entry ``dloss/dof[indices]`` of the gradient of a loss left arbitrary."""
    return Tensor(f"d{loss}/d{of}", indices, "grad", of, loss)


@remember_hash
@dataclass(frozen=True)
class Delta:
    a: Idx
    b: Idx


@remember_hash
@dataclass(frozen=True)
class Apply:
    """``func`` (its ``order``-th derivative) of the entry ``arg``; "pow" raises to ``power``."""

    func: str
    order: int
    arg: Expr
    power: Fraction | None = None


@dataclass(frozen=True)
class Loss:
    """The value of a loss left arbitrary: only its derivatives are known."""

    name: str


Factor = Tensor | Delta | Apply | Loss


@remember_hash
@dataclass(frozen=True)
class Term:
    coeff: sympy.Expr
    factors: tuple[Factor, ...] = ()
    sums: tuple[tuple[str, Dim], ...] = ()


@remember_hash
@dataclass(frozen=True)
class Expr:
    terms: tuple[Term, ...] = ()

    def __add__(self, other: Expr) -> Expr:
        return Expr(self.terms + other.terms)

    def __neg__(self) -> Expr:
        return scale(self, -1)

    def __sub__(self, other: Expr) -> Expr:
        return self + (-other)


ZERO = Expr()


def as_sympy(value: int | Fraction | sympy.Expr) -> sympy.Expr:
    """An internal number (int, Fraction) or SymPy expression as SymPy; never text."""
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, int):
        return sympy.Integer(value)
    if not isinstance(value, sympy.Basic):
        raise TypeError(f"not a number or SymPy expression: {type(value).__name__}")
    return value


def const(value: int | Fraction | sympy.Expr) -> Expr:
    value = as_sympy(value)
    return ZERO if value == 0 else Expr((Term(value),))


def atom(factor: Factor) -> Expr:
    return Expr((Term(sympy.Integer(1), (factor,)),))


def scale(expr: Expr, value: int | sympy.Expr) -> Expr:
    return Expr(tuple(Term(t.coeff * value, t.factors, t.sums) for t in expr.terms))


def constant_value(expr: Expr) -> sympy.Expr | None:
    """The value of an expression with no factors and no sums, else None."""
    if all(not t.factors and not t.sums for t in expr.terms):
        return sympy.Add(*[t.coeff for t in expr.terms])
    return None


def delta(a: Idx, b: Idx) -> Expr:
    """δ(a,b) as an expression: 1 or 0 for two constants."""
    if isinstance(a, int) and isinstance(b, int):
        return const(1 if a == b else 0)
    return const(1) if a == b else atom(make_delta(a, b))


def make_delta(a: Idx, b: Idx) -> Delta:
    return Delta(*sorted((a, b), key=index_order))


# -- fresh names and substitution ---------------------------------------------------------------

_counter = itertools.count(1)


def fresh_name(base: str) -> str:
    """A name no claim can use ('#' is not in the grammar's names), unique in this process."""
    return f"{base.split('#')[0].lstrip('·')}#{next(_counter)}"


def index_order(index: Idx) -> tuple:
    """A sort key for indices: constants first, then names."""
    return (0, index, "") if isinstance(index, int) else (1, 0, index)


def renamed_index(index: Idx, mapping: dict) -> Idx:
    return mapping.get(index, index) if isinstance(index, str) else index


def _kept(value, key: str, compute: Callable[[], frozenset]) -> frozenset:
    """``compute()``, kept with ``value`` (immutable, so it cannot go stale): the free names of a
    term or a function's argument are asked for millions of times over a catalog. Kept outside
    the fields, so equality, hashing and ``replace`` ignore it."""
    found = value.__dict__.get(key)
    if found is None:
        found = value.__dict__[key] = compute()
    return found


def factor_names(factor: Factor) -> frozenset[str]:
    """The index names a factor uses freely."""
    if isinstance(factor, Tensor):
        return frozenset(i for i in factor.indices if isinstance(i, str))
    if isinstance(factor, Delta):
        return frozenset(i for i in (factor.a, factor.b) if isinstance(i, str))
    if isinstance(factor, Apply):
        return free_names(factor.arg)
    return frozenset()


def term_free(term: Term) -> frozenset[str]:
    """The index names a term uses freely."""
    def compute() -> frozenset:
        names: set[str] = set()
        for factor in term.factors:
            names |= factor_names(factor)
        return frozenset(names - {n for n, _ in term.sums})

    return _kept(term, "_free", compute)


def free_names(expr: Expr) -> frozenset[str]:
    """The index names an expression uses freely."""
    def compute() -> frozenset:
        names: set[str] = set()
        for term in expr.terms:
            names |= term_free(term)
        return frozenset(names)

    return _kept(expr, "_free", compute)


def all_names(term: Term) -> set[str]:
    """The names a term uses, free or bound."""
    return term_free(term) | {n for n, _ in term.sums}


def subst(expr: Expr, mapping: dict) -> Expr:
    """Capture-avoiding substitution of free index names."""
    terms = tuple(_subst_term(t, mapping) for t in expr.terms)
    return expr if all(a is b for a, b in zip(terms, expr.terms)) else Expr(terms)


def _subst_term(term: Term, mapping: dict) -> Term:
    bound = {n for n, _ in term.sums}
    mapping = {k: v for k, v in mapping.items() if k not in bound and k != v}
    if not mapping:
        return term
    targets = {v for v in mapping.values() if isinstance(v, str)}
    clash = bound & targets
    if clash:
        term = rename_bound(term, {n: fresh_name(n) for n in clash})
    return Term(term.coeff, tuple(subst_factor(f, mapping) for f in term.factors), term.sums)


def subst_factor(factor: Factor, mapping: dict) -> Factor:
    """``factor`` with the index names of ``mapping`` replaced (no binder inside a factor but a
    function's argument, which ``subst`` renames apart)."""
    # the factor itself when nothing in it changes: these run millions of times per catalog
    if isinstance(factor, Tensor):
        indices = tuple(renamed_index(i, mapping) for i in factor.indices)
        if indices == factor.indices:
            return factor
        return Tensor(factor.name, indices, factor.kind, factor.of, factor.loss)
    if isinstance(factor, Delta):
        a, b = renamed_index(factor.a, mapping), renamed_index(factor.b, mapping)
        if a == factor.a and b == factor.b:
            return factor
        return make_delta(a, b)
    if isinstance(factor, Apply):
        if mapping.keys().isdisjoint(free_names(factor.arg)):  # no name it maps is free in the argument
            return factor
        arg = subst(factor.arg, mapping)
        return factor if arg is factor.arg else Apply(factor.func, factor.order, arg, factor.power)
    return factor


def rename_bound(term: Term, mapping: dict) -> Term:
    """Rename some of ``term``'s bound indices (the new names must be unused in it)."""
    if not mapping:
        return term
    sums = tuple((mapping.get(n, n), dim) for n, dim in term.sums)
    factors = tuple(subst_factor(f, mapping) for f in term.factors)
    return Term(term.coeff, factors, sums)


def rename_apart(term: Term, avoid: set[str]) -> Term:
    """``term`` with the bound indices that clash with ``avoid`` renamed fresh."""
    clash = {n for n, _ in term.sums} & avoid
    return rename_bound(term, {n: fresh_name(n) for n in clash}) if clash else term


def rename_all_bound(expr: Expr) -> Expr:
    """Every bound index of ``expr`` renamed fresh, inside function arguments too."""
    out = []
    for term in expr.terms:
        term = rename_bound(term, {n: fresh_name(n) for n, _ in term.sums})
        if any(isinstance(f, Apply) for f in term.factors):
            factors = tuple(Apply(f.func, f.order, rename_all_bound(f.arg), f.power) if isinstance(f, Apply) else f
                            for f in term.factors)
            term = Term(term.coeff, factors, term.sums)
        out.append(term)
    return Expr(tuple(out))


# -- arithmetic ---------------------------------------------------------------------------------

def mul(left: Expr, right: Expr) -> Expr:
    """The product of two expressions in the same scope, bound indices renamed apart."""
    out = []
    for a in left.terms:
        for b in right.terms:
            b = rename_apart(b, all_names(a))
            a2 = rename_apart(a, term_free(b))
            out.append(Term(a2.coeff * b.coeff, a2.factors + b.factors, a2.sums + b.sums))
    return Expr(tuple(out))


def within(term: Term, rest: tuple[Factor, ...], inner: Expr) -> list[Term]:
    """``term``'s coefficient, sums and ``rest`` times ``inner``, which lies in term's scope (it
    may use term's bound indices freely)."""
    out = []
    for t in inner.terms:
        t = rename_apart(t, all_names(term))
        out.append(Term(term.coeff * t.coeff, rest + t.factors, term.sums + t.sums))
    return out


def summed(expr: Expr, sums: list[tuple[str, Dim]]) -> Expr:
    """Σ over ``sums`` (fresh names) of ``expr``."""
    sums = [(n, d) for n, d in sums if isinstance(n, str)]
    return Expr(tuple(replace(t, sums=tuple(sums) + t.sums) for t in expr.terms))


def power(base: Expr, exponent: Fraction) -> Expr:
    """``base`` raised to a rational ``exponent``, entrywise."""
    value = constant_value(base)
    if value is not None:
        if value == 0 and exponent < 0:
            raise UnsupportedError("a division by zero")
        return const(sympy.Pow(value, sympy.Rational(exponent.numerator, exponent.denominator)))
    if exponent.denominator == 1 and exponent > 0:
        out = base
        for _ in range(int(exponent) - 1):
            out = mul(out, base)
        return out
    if exponent == 0:
        return const(1)
    return atom(Apply("pow", 0, base, exponent))


def replace_factors(expr: Expr, change: Callable[[Factor], Expr | None]) -> Expr:
    """``expr`` with each factor for which ``change`` returns an expression replaced by it."""
    out: list[Term] = []
    for term in expr.terms:
        kept: list[Factor] = []
        pieces: list[Expr] = []
        for factor in term.factors:
            if isinstance(factor, Apply):
                factor = replace(factor, arg=replace_factors(factor.arg, change))
            new = change(factor)
            if new is None:
                kept.append(factor)
            else:
                pieces.append(new)
        inner = const(1)
        for piece in pieces:
            inner = mul(inner, piece)
        out.extend(within(Term(term.coeff, (), term.sums), tuple(kept), inner))
    return Expr(tuple(out))
