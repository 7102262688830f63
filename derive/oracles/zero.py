"""Deciding whether an exact difference is zero (derive/oracles/witness.py refutes one that is not).

Soundness is the point. ``is_zero`` answers True only with a proof: the difference, with every
function application replaced by an atom (``σ(z)``, ``h'(X[1,2])``, a softmax entry), expands to
the zero polynomial — then it is zero for every value of the atoms, so certainly for the actual
ones. A second, stronger stage rewrites sigmoid, tanh and softmax as exponentials, splits
``exp(a+b)`` into ``exp(a)·exp(b)`` and tests the numerator of the combined fraction. When neither
proves zero the answer is None, never False: atoms can be related (σ(-z) = 1-σ(z)), so a
non-zero polynomial does not refute anything.

Only rewrites valid for every value, of any sign, are used: roots and powers by fractions are
radicals of their exact base (``Atomizer.root``), never split or merged across bases, because
(1/u)**(1/2) = u**(-1/2) and (a·b)**(1/2) = a**(1/2)·b**(1/2) are false for negative values;
SymEngine, which would make those rewrites, only ever sees polynomials.
"""

from __future__ import annotations

import functools
import math
from types import ModuleType
from typing import TYPE_CHECKING

import sympy

if TYPE_CHECKING:
    import symengine

from .functions import Absolute, Sigmoid, SoftmaxEntry, Tanh


class Atomizer:
    """Replaces function applications and roots by symbols, so that only polynomial arithmetic
    (which SymEngine's expand does soundly) remains.

    Equal arguments (after SymPy's expansion, which respects assumptions) share one atom. A power
    b**(p/q) becomes t**p for one radical symbol t standing for b**(1/q) (principal branch):
    b**(p/q) = exp(p/q · Log b) = (b**(1/q))**p holds for every b ≠ 0 and integer p, and
    t**q = b, which ``reduce_radicals`` uses. Nothing else about roots is assumed: (1/u)**(1/2)
    and u**(-1/2) are different radicals (they differ for negative u), as are (a·b)**(1/2) and
    a**(1/2)·b**(1/2). A power by a non-constant exponent is an opaque atom.
    """

    def __init__(self, expansion_limit: int | None = None):
        self.table: dict = {}
        self.memo: dict = {}
        self.converted: dict = {}  # SymPy subexpression -> SymEngine's (``to_engine``)
        self.fractions: dict = {}  # SymEngine subexpression -> (numerator, denominator) (``_fraction``)
        self.radicals: list[tuple[sympy.Symbol, int, sympy.Expr]] = []  # (t, q, b): t**q = b
        # past this many terms of work an expansion is refused (ExpansionTooLarge): SymEngine's
        # compiled expand cannot be interrupted, so only a bounded one may run where no child
        # process can be killed in its place
        self.expansion_limit = expansion_limit

    def expand(self, expr: symengine.Basic | sympy.Expr) -> symengine.Basic | sympy.Expr:
        """SymEngine's expand of ``expr``, within ``expansion_limit`` when there is one."""
        if self.expansion_limit is not None and expansion_work(expr, self.expansion_limit) > self.expansion_limit:
            raise ExpansionTooLarge(f"expanding would take over {self.expansion_limit} terms of work")
        return _expand(expr)

    def _symbol(self, key) -> sympy.Symbol:
        if key not in self.table:
            self.table[key] = sympy.Symbol(f"_atom{len(self.table)}")
        return self.table[key]

    def atom(self, application: sympy.Function) -> sympy.Expr:
        """The symbol standing for a function application (exp(Σ c·m) → Π u_m^c, u_m for exp(m))."""
        if application in self.memo:
            return self.memo[application]
        if application.func is Absolute:  # |u| = √(u²), the principal root of a real u's square
            (u,) = application.args
            self.memo[application] = self.root(sympy.Pow(u**2, sympy.S.Half, evaluate=False))
            return self.memo[application]
        args = tuple(sympy.expand(self(arg)) for arg in application.args)
        if application.func is sympy.log and args[0].is_Rational and args[0] > 0 and not (
                args[0].is_Integer and sympy.isprime(args[0])):
            # log of a positive number: the sum of the logs of its prime factors, so log(5/4)
            # meets log(5) - 2 log(2)
            factors = sympy.factorrat(args[0])
            self.memo[application] = sympy.Add(*[k * self._symbol((sympy.log, (sympy.Integer(p),)))
                                                 for p, k in factors.items()])
            return self.memo[application]
        if application.func is sympy.exp:
            factors = []
            for term in sympy.Add.make_args(args[0]):
                coefficient, monomial = term.as_coeff_Mul()
                if monomial == 1:
                    factors.append(sympy.exp(coefficient))
                elif coefficient.is_Integer:
                    factors.append(self._symbol((sympy.exp, monomial)) ** int(coefficient))
                else:
                    factors.append(self._symbol((sympy.exp, term)))
            self.memo[application] = sympy.Mul(*factors)
        else:
            self.memo[application] = self._symbol((application.func, args))
        return self.memo[application]

    def root(self, power: sympy.Pow) -> sympy.Expr:
        """b**e for a non-integer e: t**p for a radical t = b**(1/q) when e = p/q, else an atom."""
        if power in self.memo:
            return self.memo[power]
        base = sympy.expand(self(power.base))
        exponent = power.exp
        if exponent.is_Rational:
            key = ("radical", base, exponent.q)
            fresh = key not in self.table
            radical = self._symbol(key)
            if fresh:
                self.radicals.append((radical, int(exponent.q), base))
            self.memo[power] = radical ** int(exponent.p)
        else:
            self.memo[power] = self._symbol(("power", base, sympy.expand(self(exponent))))
        return self.memo[power]

    def __call__(self, expr):
        """``expr`` with every function application and non-integer power replaced, bottom up."""
        if expr.is_Atom:
            return expr
        if expr in self.memo:
            return self.memo[expr]
        if isinstance(expr, sympy.Function):
            result = self.atom(expr)
        elif isinstance(expr, sympy.Pow) and not expr.exp.is_Integer:
            result = self.root(expr)
        else:
            args = [self(a) for a in expr.args]
            result = expr.func(*args) if any(a is not b for a, b in zip(args, expr.args)) else expr
        self.memo[expr] = result
        return result

    def to_engine(self, expr: sympy.Expr) -> symengine.Basic | sympy.Expr:
        """``expr`` (atomized, built by derive, never text) in SymEngine's representation, each
        distinct subexpression converted once: the entries of a matrix share most of theirs, and
        SymEngine's own conversion walks every entry whole."""
        engine = _symengine()
        if engine is None:
            return expr
        stack = [expr]
        while stack:  # children first, without recursion (an entry may be deep)
            node = stack[-1]
            if node in self.converted:
                stack.pop()
                continue
            if isinstance(node, (sympy.Add, sympy.Mul, sympy.Pow)):
                pending = [arg for arg in node.args if arg not in self.converted]
                if pending:
                    stack.extend(pending)
                    continue
                args = [self.converted[arg] for arg in node.args]
                built = engine.Add(*args) if isinstance(node, sympy.Add) else \
                    engine.Mul(*args) if isinstance(node, sympy.Mul) else engine.Pow(*args)
            else:
                built = engine.sympify(node)
            self.converted[node] = built
            stack.pop()
        return self.converted[expr]

    def reduce_radicals(self, polynomial: symengine.Basic | sympy.Expr) -> symengine.Basic | sympy.Expr:
        """An expanded SymEngine polynomial with every radical's power below q (t**q = b)."""
        if not self.radicals or polynomial == 0:
            return polynomial
        relations = {self.to_engine(t): (q, self.to_engine(b)) for t, q, b in self.radicals}
        for _ in range(MAX_REDUCTIONS):
            high = {}
            for power in _powers(polynomial):
                radical, exponent = power.args
                if radical in relations and exponent.is_integer:
                    q, base = relations[radical]
                    k = int(exponent)
                    if k >= q:
                        high[power] = radical ** (k % q) * base ** (k // q)
            if not high:
                return polynomial
            polynomial = self.expand(polynomial.subs(high))
        return polynomial


MAX_REDUCTIONS = 8  # rounds of t**q → b; a base that holds a radical itself may need a few


def _powers(expr):
    """The integer powers of symbols in an expanded SymEngine (or SymPy) expression."""
    engine = _engine()
    found, stack, seen = set(), [expr], set()
    while stack:
        node = stack.pop()
        if isinstance(node, engine.Pow):
            if isinstance(node.args[0], engine.Symbol):
                found.add(node)
            continue
        for arg in node.args:
            if arg not in seen:
                seen.add(arg)
                stack.append(arg)
    return found


@functools.cache
def _symengine() -> ModuleType | None:
    """SymEngine, whose expand is 30-1000x faster than SymPy's on these polynomials, or None
    without it (the pure-SymPy path gives the same answers, slower). Imported at the first
    expansion, not with this module: a claim whose sides agree entry by entry (``structural``)
    never needs it, and the import is 10 ms of ``derive verify``."""
    try:
        import symengine
    except ImportError:  # pragma: no cover
        return None
    return symengine


def load_engine() -> None:
    """Import SymEngine now: a process about to fork workers that run the zero test (``check
    --jobs``, grading) loads it once for all of them, as it did when this module imported it. A
    worker that loads its own instead peaked ~20 MiB higher over the catalog (--jobs 2)."""
    _symengine()


def _engine() -> ModuleType:
    """The module whose expressions the zero test works on: SymEngine, else SymPy."""
    return _symengine() or sympy


def _expand(expr):
    return _engine().expand(expr)


class ExpansionTooLarge(Exception):
    """An expansion past the Atomizer's limit: run the test where it can be killed instead."""


def expansion_work(expr: symengine.Basic | sympy.Expr, limit: int) -> int:
    """An upper bound on the terms an expansion of ``expr`` handles: over its distinct
    subexpressions, the number of terms each expands to (a sum: the sum of its terms', a product:
    their product, a power by n: the monomials of degree n in its base's terms). Counting stops
    once past ``limit``."""
    engine = _engine()
    terms: dict = {}
    total = 0
    stack = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if node in terms:
            continue
        args = node.args
        if not ready and args:
            stack.append((node, True))
            stack.extend((arg, False) for arg in args if arg not in terms)
            continue
        if isinstance(node, engine.Add):
            count = sum(terms[a] for a in args)
        elif isinstance(node, engine.Mul):
            count = math.prod(terms[a] for a in args)
        elif isinstance(node, engine.Pow) and args[1].is_Integer:
            n = abs(int(args[1]))
            count = math.comb(terms[args[0]] + n - 1, n) if n <= limit else limit + 1
        else:
            count = 1
        count = min(count, limit + 1)
        terms[node] = count
        total += count
        if total > limit:
            return total
    return total


def is_zero_polynomial(difference: sympy.Expr, atomizer: Atomizer) -> bool:
    """True when the difference is the zero polynomial in its symbols and atoms."""
    if difference == 0:
        return True
    return atomizer.reduce_radicals(atomizer.expand(atomizer.to_engine(atomizer(difference)))) == 0


def _fraction(expr, memo: dict | None = None):
    """(numerator, denominator) of an expression built from sums, products and powers.

    Terms over the same denominator are added before cross-multiplying, which keeps the
    numerator small for the common case (a softmax row shares one denominator). ``memo`` keeps
    each subexpression's, for the entries of one matrix, which share most of theirs.
    """
    if memo is None:
        memo = {}
    found = memo.get(expr)
    if found is None:
        found = memo[expr] = _fraction_of(expr, memo)
    return found


def _fraction_of(expr, memo: dict):
    engine = _engine()
    if isinstance(expr, engine.Add):
        groups: dict = {}
        for term in expr.args:
            numerator, denominator = _fraction(term, memo)
            groups[denominator] = groups.get(denominator, 0) + numerator
        numerator, denominator = engine.Integer(0), engine.Integer(1)
        for den, num in groups.items():
            numerator, denominator = numerator * den + num * denominator, denominator * den
        return numerator, denominator
    if isinstance(expr, engine.Mul):
        numerator, denominator = engine.Integer(1), engine.Integer(1)
        for factor in expr.args:
            n, d = _fraction(factor, memo)
            numerator, denominator = numerator * n, denominator * d
        return numerator, denominator
    if isinstance(expr, engine.Pow):
        base, exponent = expr.args
        if exponent.is_integer:
            n, d = _fraction(base, memo)
            k = int(exponent)
            return (n**k, d**k) if k >= 0 else (d**-k, n**-k)
        return expr, engine.Integer(1)
    if isinstance(expr, engine.Rational) and not isinstance(expr, engine.Integer):
        return engine.Integer(expr.p if engine is sympy else expr.get_num_den()[0]), engine.Integer(
            expr.q if engine is sympy else expr.get_num_den()[1])
    return expr, engine.Integer(1)


def is_zero_rational(difference: sympy.Expr, atomizer: Atomizer, rewrite: bool = True) -> bool:
    """True when the difference is the zero rational function of its atoms; with ``rewrite``,
    sigmoid, tanh and softmax written with exponentials first (σ(-z) = 1 - σ(z) is then seen)."""
    has_atoms = difference.has(Sigmoid, Tanh, SoftmaxEntry)
    rewritten = difference.rewrite(sympy.exp) if rewrite and has_atoms else difference
    numerator, _ = _fraction(atomizer.to_engine(atomizer(rewritten)), atomizer.fractions)
    return atomizer.reduce_radicals(atomizer.expand(numerator)) == 0


def zero_test(left: sympy.MatrixBase, right: sympy.MatrixBase,
              expansion_limit: int | None = None) -> tuple[str, str, str]:
    """(outcome, method, detail) of the exact zero test on every entry of left - right; raises
    ExpansionTooLarge for an expansion past ``expansion_limit`` terms of work."""
    atomizer = Atomizer(expansion_limit)
    remaining = [a - b for a, b in zip(left, right) if a != b]
    remaining = [d for d in remaining if not is_zero_polynomial(d, atomizer)]
    if not remaining:
        return "zero", "expand", ""
    # a fraction of the atoms as they are (σ/(1 - σ) from d log(1 - σ)) before the exponentials,
    # whose common denominators grow as (1 + e^-z)^k
    remaining = [d for d in remaining if not is_zero_rational(d, atomizer, rewrite=False)]
    if not remaining:
        return "zero", "rational", ""
    if all(is_zero_rational(d, atomizer) for d in remaining):
        return "zero", "rational", ""
    return ("undecided", "inconclusive",
            f"{len(remaining)} entries did not simplify to zero, and no point where they differ was found")
