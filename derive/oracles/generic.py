"""The index-notation engine: generic proofs, for every size at once (Ricci calculus).

A claim side is turned into the entry it denotes, written in index notation with symbolic sizes:
a sum of terms, each a coefficient (a SymPy expression in numbers and size symbols) times a
product of factors, with the indices it sums over and their ranges. Factors are entries of
variables (``W[n,p]``) or of upstream gradients (``dL/dY[m,n]`` for a loss ``L`` left arbitrary
of ``Y``), Kronecker deltas and elementwise functions of an entry (``sigmoid(Σ_k W[i,k] x[k])``,
``h'(X[m,n])``). Matrix operations become sums by their definitions ((A@B)[i,j] = Σ_k A[i,k]
B[k,j], (Aᵀ)[i,j] = A[j,i], ...), a derivative is taken entry by entry with the product and
chain rules and ∂W[a,b]/∂W[i,j] = δ(a,i) δ(b,j), and the problem's definitions are inlined.

The contract:

* ``index_form(node, problem, indices)`` is the canonical index form of entry ``indices`` of a
  claim side; ``derive_gradient(problem, loss, wrt)`` derives ∂loss/∂wrt[i,j] step by step
  (chain rule, derivative of each entry, delta contraction, collection), each ``Step`` the
  expression in claim-language text with its justification; ``prove(problem, chain)`` proves a
  link when both sides have the same canonical form.
* Soundness: canonicalization applies only identities valid for every size and every value:
  contracting Σ_p δ(p,j) f(p) → f(j) only when p and j range over the same size, renaming bound
  indices, collecting equal terms (coefficients by exact rational arithmetic), δ(a,b) f(a) →
  δ(a,b) f(b) for two indices of one range, Σ_p c = size·c, integer powers of one base merged
  (x · x⁻¹ = 1, as any rational simplification does), and, once every derivative is taken,
  S[a,b] = S[b,a] for a symmetric variable and Σ_q T[a,q] = 1 for a row-stochastic one. Two
  sides with the same canonical form are therefore equal for all sizes; when the forms differ,
  the difference is tried as a rational function of its entries, function values and sums
  (sums over the same ranges added inside, independent sums factored). Anything else proves
  nothing either way, and ``prove`` then says "no generic proof". Undefined activations stay
  atoms (h, h', h''), so a proof holds for every h.
* softmax is exp over a sum of exps and norm the square root of a sum of squares, by their
  definitions. vec and kron read an index over m·n positions as a pair (column-stacking and
  block order); an index is split once, and a proof needs every use of it to agree on the pair.
* inv and det of a variable are atoms with their derivative rules (∂inv(X)[a,b]/∂X[i,j] =
  -inv(X)[a,i] inv(X)[j,b], ∂det(X)/∂X[i,j] = det(X) inv(X)[j,i]); an identity such as
  X @ inv(X) = eye(n) is beyond the canonical form, so it gets no generic proof.
* An operation with no rule (inv or det of anything but variables, transposes and products of
  square matrices, second derivatives, the value of a loss left arbitrary) raises
  ``UnsupportedError`` naming it; ``prove`` reports it as the reason there is no generic
  proof. The engine never claims more than it showed.

The semantics of derivatives are the exact oracle's (``derive.symbolic``): a derivative by an
intermediate ``Y`` differentiates everything computed from ``Y`` with ``Y`` as an input and puts
``Y``'s value back; a loss ``L`` left arbitrary of ``Y`` contributes Σ dL/dY[a,b] ∂Y[a,b]/∂wrt.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import singledispatchmethod

import sympy

from ..language import ast
from ..errors import ShapeError, UnsupportedError
from .functions import SYMPY_FORMS, Relu, Sigmoid, Step, Tanh
from ..language.parser import parse_claim
from ..language.primitives import ELEMENTWISE, canonical_function
from ..problem.definition import Problem
from ..language.shapes import ONE, SCALAR, Dim, Scope, infer, is_vector
from ..language.text import decimal_text, to_text

__all__ = [
    "Apply", "Delta", "Derivation", "Expr", "LinkProof", "Loss", "Proof", "Step", "Tensor",
    "Term", "canonical", "derive_gradient", "index_form", "prove", "render",
]

Idx = str | int  # an index name, or a 1-based constant (1 for a dimension of size one)
MAX_PERMUTED = 6  # bound indices of one term tried in every order for the canonical naming
GENERIC = "generic proof"


# -- the representation -------------------------------------------------------------------------

@dataclass(frozen=True)
class Tensor:
    """An entry: ``kind`` "var" (a variable), "grad" (an upstream gradient ``dL/dY``, whose
    ``name`` is that text and ``of`` the quantity Y), "cut" (an intermediate held as an input
    while differentiating by it), "inv" (an entry of the inverse of variable ``name``) or "det"
    (its determinant, at (1, 1))."""

    name: str
    indices: tuple[Idx, Idx]
    kind: str = "var"
    of: str = ""


@dataclass(frozen=True)
class Delta:
    a: Idx
    b: Idx


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


@dataclass(frozen=True)
class Term:
    coeff: sympy.Expr
    factors: tuple[Factor, ...] = ()
    sums: tuple[tuple[str, Dim], ...] = ()


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


def _as_sympy(value):
    """An internal number (int, Fraction) or SymPy expression as SymPy; never text."""
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, int):
        return sympy.Integer(value)
    if not isinstance(value, sympy.Basic):
        raise TypeError(f"not a number or SymPy expression: {type(value).__name__}")
    return value


def const(value) -> Expr:
    value = _as_sympy(value)
    return ZERO if value == 0 else Expr((Term(value),))


def atom(factor: Factor) -> Expr:
    return Expr((Term(sympy.Integer(1), (factor,)),))


def scale(expr: Expr, value) -> Expr:
    return Expr(tuple(replace(t, coeff=t.coeff * value) for t in expr.terms))


def constant_value(expr: Expr):
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
    return Delta(*sorted((a, b), key=_index_key))


# -- fresh names and substitution ---------------------------------------------------------------

_counter = itertools.count(1)


def _fresh(base: str) -> str:
    """A name no claim can use ('#' is not in the grammar's names), unique in this process."""
    return f"{base.split('#')[0].lstrip('·')}#{next(_counter)}"


def _index_key(index: Idx) -> tuple:
    return (0, index, "") if isinstance(index, int) else (1, 0, index)


def _map_index(index: Idx, mapping: dict) -> Idx:
    return mapping.get(index, index) if isinstance(index, str) else index


def factor_names(factor: Factor) -> set[str]:
    """The index names a factor uses freely."""
    if isinstance(factor, Tensor):
        return {i for i in factor.indices if isinstance(i, str)}
    if isinstance(factor, Delta):
        return {i for i in (factor.a, factor.b) if isinstance(i, str)}
    if isinstance(factor, Apply):
        return free_names(factor.arg)
    return set()


def term_free(term: Term) -> set[str]:
    names: set[str] = set()
    for factor in term.factors:
        names |= factor_names(factor)
    return names - {n for n, _ in term.sums}


def free_names(expr: Expr) -> set[str]:
    names: set[str] = set()
    for term in expr.terms:
        names |= term_free(term)
    return names


def subst(expr: Expr, mapping: dict) -> Expr:
    """Capture-avoiding substitution of free index names."""
    return Expr(tuple(_subst_term(t, mapping) for t in expr.terms))


def _subst_term(term: Term, mapping: dict) -> Term:
    bound = {n for n, _ in term.sums}
    mapping = {k: v for k, v in mapping.items() if k not in bound and k != v}
    if not mapping:
        return term
    targets = {v for v in mapping.values() if isinstance(v, str)}
    clash = bound & targets
    if clash:
        term = rename_bound(term, {n: _fresh(n) for n in clash})
    return replace(term, factors=tuple(_subst_factor(f, mapping) for f in term.factors))


def _subst_factor(factor: Factor, mapping: dict) -> Factor:
    if isinstance(factor, Tensor):
        return replace(factor, indices=tuple(_map_index(i, mapping) for i in factor.indices))
    if isinstance(factor, Delta):
        return make_delta(_map_index(factor.a, mapping), _map_index(factor.b, mapping))
    if isinstance(factor, Apply):
        return replace(factor, arg=subst(factor.arg, mapping))
    return factor


def rename_bound(term: Term, mapping: dict) -> Term:
    """Rename some of ``term``'s bound indices (the new names must be unused in it)."""
    sums = tuple((mapping.get(n, n), dim) for n, dim in term.sums)
    factors = tuple(_subst_factor(f, mapping) for f in term.factors)
    return Term(term.coeff, factors, sums)


def _freshen(term: Term, avoid: set[str]) -> Term:
    clash = {n for n, _ in term.sums} & avoid
    return rename_bound(term, {n: _fresh(n) for n in clash}) if clash else term


def _all_names(term: Term) -> set[str]:
    return term_free(term) | {n for n, _ in term.sums}


def mul(left: Expr, right: Expr) -> Expr:
    """The product of two expressions in the same scope, bound indices renamed apart."""
    out = []
    for a in left.terms:
        for b in right.terms:
            b = _freshen(b, _all_names(a))
            a2 = _freshen(a, term_free(b))
            out.append(Term(a2.coeff * b.coeff, a2.factors + b.factors, a2.sums + b.sums))
    return Expr(tuple(out))


def _within(term: Term, rest: tuple[Factor, ...], inner: Expr) -> list[Term]:
    """``term``'s coefficient, sums and ``rest`` times ``inner``, which lies in term's scope (it
    may use term's bound indices freely)."""
    out = []
    for t in inner.terms:
        t = _freshen(t, _all_names(term))
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


# -- elementwise functions: their derivatives come from SymPy, as in the exact oracle -----------

_T = sympy.Symbol("t", real=True)
_SYMPY_NAMES = {sympy.exp: "exp", sympy.log: "log", sympy.sin: "sin", sympy.cos: "cos",
                Sigmoid: "sigmoid", Tanh: "tanh", Relu: "relu", Step: "step"}


def _from_sympy(value, arg: Expr) -> Expr:
    """A SymPy expression in the placeholder t, with ``arg`` for t, in index form."""
    if value == _T:
        return arg
    if value.is_Number:
        return const(value)
    if isinstance(value, sympy.Add):
        out = ZERO
        for a in value.args:
            out = out + _from_sympy(a, arg)
        return out
    if isinstance(value, sympy.Mul):
        out = const(1)
        for a in value.args:
            out = mul(out, _from_sympy(a, arg))
        return out
    if isinstance(value, sympy.Pow) and value.exp.is_Rational:
        q = Fraction(int(value.exp.p), int(value.exp.q))
        return power(_from_sympy(value.base, arg), q)
    if value.func in _SYMPY_NAMES and value.args == (_T,):
        return atom(Apply(_SYMPY_NAMES[value.func], 0, arg))
    raise UnsupportedError(f"no index-notation rule for {value}")


def apply_function(name: str, order: int, arg: Expr, activations) -> Expr:
    """f^(order)(arg) for an elementwise ``name``: an atom for an undefined activation, else the
    closed form SymPy's derivative gives (sigmoid' = σ(1-σ), relu' = step, log' = 1/t...)."""
    if name in activations:
        return atom(Apply(name, order, arg))
    inner = _single_apply(arg)
    if inner is not None and inner.func == "relu" and inner.order == 0 and (
            name == "step" and order == 0 or name == "relu" and order <= 1):
        # relu(u) > 0 exactly when u > 0: step(relu(u)) = step(u), relu(relu(u)) = relu(u)
        if (name, order) == ("relu", 0):
            return arg
        return apply_function(name, order, inner.arg, activations)
    if inner is not None and inner.order == 0 and inner.func in _POSITIVE and name in ("relu", "step"):
        # an argument known positive (σ(u), exp(u)): relu is the identity there, step is 1
        value = arg if (name, order) == ("relu", 0) else Expr((Term(sympy.Integer(1)),))
        return value if (name, order) in (("relu", 0), ("relu", 1), ("step", 0)) else ZERO
    rule = SYMPY_FORMS[name](_T)
    for _ in range(order):
        rule = sympy.diff(rule, _T)
    return _from_sympy(rule, arg)


_POSITIVE = ("sigmoid", "exp")  # functions whose value is positive for every real argument


def _single_apply(expr: Expr) -> Apply | None:
    """The function application ``expr`` is, when it is exactly one (coefficient 1, no sum)."""
    if len(expr.terms) == 1:
        term = expr.terms[0]
        if term.coeff == 1 and not term.sums and len(term.factors) == 1 and isinstance(term.factors[0], Apply):
            return term.factors[0]
    return None


def function_prime(factor: Apply, activations) -> Expr:
    """The derivative of ``factor`` by its argument."""
    if factor.func == "pow":
        q = factor.power
        return scale(power(factor.arg, q - 1), sympy.Rational(q.numerator, q.denominator))
    if factor.func in activations:
        return atom(Apply(factor.func, factor.order + 1, factor.arg))
    return apply_function(factor.func, factor.order + 1, factor.arg, activations)


# -- claim sides in index form ------------------------------------------------------------------



@dataclass
class Builder:
    """Turns claim-language trees into index form for one problem.

    ``cut`` names the quantity being differentiated by (held as an input); ``ranges`` gives the
    range of every index name in play; ``rules`` collects the justifications used, in order.
    """

    problem: Problem
    ranges: dict[str, Dim] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)
    cut: str | None = None
    splits: dict[str, tuple[Idx, Idx]] = field(default_factory=dict)

    def rule(self, text: str) -> None:
        if text not in self.rules:
            self.rules.append(text)

    def dim(self, dim: Dim) -> Dim:
        """``dim`` with the problem's fixed sizes put in (sizes = { n = 2 })."""
        return fixed_dim(self.problem, dim)

    def index(self, base: str, dim: Dim) -> Idx:
        """A fresh index over ``dim``, or the constant 1 for a dimension of size one."""
        dim = self.dim(dim)
        if dim == ONE:
            return 1
        name = _fresh(base)
        self.ranges[name] = dim
        return name

    def over(self, expr: Expr, names) -> Expr:
        """Σ over the fresh indices ``names`` (constants, for sizes one, are skipped); a sum over
        an index split in two (see ``split``) is the double sum over its parts."""
        names = [part for n in names for part in self.splits.get(n, (n,))]
        return summed(expr, [(n, self.ranges[n]) for n in names if isinstance(n, str)])

    def split(self, index: Idx, slow: Dim, fast: Dim) -> tuple[Idx, Idx]:
        """An index over slow·fast positions as the pair (s, f) it stands for, k = (s-1)·fast + f:
        the column-stacking order of vec and the block order of kron.

        A name is split once, into fresh parts, and every later use gets the same parts, so both
        sides of a claim (and both factors of a product summed over k) read k alike. A name
        that ranges over anything but slow·fast is not split: no rule.
        """
        slow, fast = self.dim(slow), self.dim(fast)
        if fast == ONE or slow == ONE:
            return (index, 1) if fast == ONE else (1, index)
        if isinstance(index, int):
            if fast.is_Integer:
                q, r = divmod(index - 1, int(fast))
                return q + 1, r + 1
            if index == 1:
                return 1, 1
            raise UnsupportedError(f"position {index} of a vec or kron of symbolic size")
        known = self.splits.get(index)
        if known is None:
            if sympy.simplify(self.ranges.get(index, 0) - slow * fast) != 0:
                raise UnsupportedError(f"the index {index} is read as pairs of two different shapes")
            known = self.splits[index] = (self.index(index, slow), self.index(index, fast))
        if any(sympy.simplify(self.ranges[part] - dim) != 0 for part, dim in zip(known, (slow, fast))
               if isinstance(part, str)):
            raise UnsupportedError(f"the index {index} is read as pairs of two different shapes")
        return known

    def shape(self, node: ast.Node, scope: Scope):
        return infer(node, scope)

    # entry (r, c) of a node's 2-D value
    @singledispatchmethod
    def entry(self, node, r: Idx, c: Idx, scope: Scope, env: dict) -> Expr:
        raise UnsupportedError(f"no index-notation rule for {type(node).__name__}")

    @entry.register
    def _(self, node: ast.Number, r, c, scope, env):
        return const(sympy.Rational(node.value.numerator, node.value.denominator))

    @entry.register
    def _(self, node: ast.Name, r, c, scope, env):
        problem = self.problem
        name = node.id
        if name in scope.index_names and name not in problem.shapes:
            raise UnsupportedError(f"the index {name} used as a number")
        if name in problem.sizes:
            return const(self.dim(problem.sizes[name]))
        if name in problem.arbitrary:
            return atom(Loss(name))
        if name in problem.variables:
            return atom(Tensor(name, (r, c)))
        if name == self.cut:  # an intermediate held as an input
            return atom(Tensor(name, (r, c), "cut"))
        definitions = dict(problem.definitions)
        if name in definitions:
            return self.entry(definitions[name], r, c, problem.scope(), {})
        raise ShapeError(f"'{name}' has no index form here")

    @entry.register
    def _(self, node: ast.Neg, r, c, scope, env):
        return -self.entry(node.operand, r, c, scope, env)

    @entry.register
    def _(self, node: ast.Transpose, r, c, scope, env):
        self.rule("(A.T)[i,j] = A[j,i]")
        return self.entry(node.operand, c, r, scope, env)

    def _operand(self, node, shape, r, c, scope, env) -> Expr:
        """Entry (r, c) of a broadcast result, read from an operand of ``shape``."""
        operand = self.shape(node, scope)
        rr = r if operand[0] == shape[0] else 1
        cc = c if operand[1] == shape[1] else 1
        return self.entry(node, rr, cc, scope, env)

    @entry.register
    def _(self, node: ast.Binary, r, c, scope, env):
        if node.op == "@":
            inner = self.shape(node.left, scope)[1]
            k = self.index("k", inner)
            self.rule("(A@B)[i,j] = sum_k(A[i,k]*B[k,j])")
            product = mul(self.entry(node.left, r, k, scope, env),
                          self.entry(node.right, k, c, scope, env))
            return self.over(product, [k])
        shape = self.shape(node, scope)
        left = self._operand(node.left, shape, r, c, scope, env)
        if node.op == "**":
            exponent = constant_value(self.entry(node.right, 1, 1, scope, env))
            if exponent is None or not exponent.is_Rational:
                raise UnsupportedError(f"{to_text(node)}: a power by a non-constant exponent")
            return power(left, Fraction(int(exponent.p), int(exponent.q)))
        right = self._operand(node.right, shape, r, c, scope, env)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return mul(left, right)
        if node.op == "/":
            return mul(left, power(right, Fraction(-1)))
        raise UnsupportedError(f"no index-notation rule for the operator {node.op}")

    def _index_of(self, item, env) -> Idx:
        if isinstance(item, ast.Number):
            if item.value.denominator != 1:
                raise ShapeError(f"{to_text(item)} is not an index")
            return int(item.value)
        if isinstance(item, ast.Name):
            return env.get(item.id, item.id)
        if isinstance(item, int):
            return item
        return env.get(item, item)

    @entry.register
    def _(self, node: ast.Index, r, c, scope, env):
        shape = self.shape(node.operand, scope)
        items = [self._index_of(i, env) if i is not ast.ALL else ast.ALL for i in node.items]
        if len(items) == 1:
            items = [items[0], 1] if shape[1] == ONE else [1, items[0]]
            if shape == SCALAR:
                items = [items[0], 1]
        opened = c if len(node.items) == 1 and shape[1] != ONE else r  # x[:] of a row keeps c
        position = [opened if i is ast.ALL else i for i in items]
        if items == [ast.ALL, ast.ALL]:
            position = [r, c]
        return self.entry(node.operand, position[0], position[1], scope, env)

    @entry.register
    def _(self, node: ast.IndexSum, r, c, scope, env):
        inner = dict(env)
        sums = []
        for name in node.indices:
            if name not in scope.index_ranges:
                raise ShapeError(f"the range of index {name} is unknown: use it to index an array")
            dim = self.dim(scope.index_ranges[name])
            fresh = self.index(name, dim)
            inner[name] = fresh
            sums.append((fresh, dim))
        return self.over(self.entry(node.body, r, c, scope, inner), [name for name, _ in sums])

    @entry.register
    def _(self, node: ast.Call, r, c, scope, env):
        problem = self.problem
        name = canonical_function(node.func)
        if name in problem.activations or name in ELEMENTWISE:
            arg = self.entry(node.args[0], r, c, scope, env)
            return apply_function(name, node.prime, arg, problem.activations)
        if name == "delta":
            a, b = (self._index_of(arg, env) for arg in node.args)
            return atom(make_delta(a, b))
        if name == "ones":
            return const(1)
        if name == "zeros":
            return ZERO
        if name == "eye":
            self.rule("eye(n)[i,j] = delta(i,j)")
            return atom(make_delta(r, c))
        (first,) = node.args[:1]
        rows, cols = self.shape(first, scope)
        if name == "inv":
            return self._inverse(first, r, c, scope)
        if name == "det":
            return self._determinant(first, scope)
        if name == "trace":
            k = self.index("k", rows)
            self.rule("trace(A) = sum_k(A[k,k])")
            return self.over(self.entry(first, k, k, scope, env), [k])
        if name == "sum":
            axis = dict(node.kwargs).get("axis")
            a = self.index("k", rows) if axis is None or axis.value == 0 else r
            b = self.index("l", cols) if axis is None or axis.value == 1 else c
            self.rule("sum(A) = sum_{k,l}(A[k,l])")
            sums = ([a] if axis is None or axis.value == 0 else []) + (
                [b] if axis is None or axis.value == 1 else [])
            return self.over(self.entry(first, a, b, scope, env), sums)
        if name == "vec":
            self.rule("vec(A)[(j-1)*m + i] = A[i,j] for A with m rows")
            j, i = self.split(r, cols, rows)
            return self.entry(first, i, j, scope, env)
        if name == "kron":
            (a_rows, a_cols), (b_rows, b_cols) = (rows, cols), self.shape(node.args[1], scope)
            self.rule("kron(A,B)[(a-1)*p + b, (c-1)*q + d] = A[a,c]*B[b,d] for B p x q")
            (ra, rb), (ca, cb) = self.split(r, a_rows, b_rows), self.split(c, a_cols, b_cols)
            return mul(self.entry(first, ra, ca, scope, env), self.entry(node.args[1], rb, cb, scope, env))
        if name == "softmax":
            return self._softmax(first, rows, cols, r, c, scope, env)
        if name == "norm":
            k, l = self.index("k", rows), self.index("l", cols)
            self.rule("norm(A) = sqrt(sum_{k,l}(A[k,l]**2))")
            squares = power(self.entry(first, k, l, scope, env), Fraction(2))
            return power(self.over(squares, [k, l]), Fraction(1, 2))
        if name == "outer":
            u, v = node.args
            self.rule("outer(u,v)[i,j] = u[i]*v[j]")
            return mul(self._vector(u, r, scope, env), self._vector(v, c, scope, env))
        if name == "diag":
            if is_vector((rows, cols)) and (rows, cols) != SCALAR:
                self.rule("diag(v)[i,j] = delta(i,j)*v[i]")
                return mul(atom(make_delta(r, c)), self._vector(first, r, scope, env))
            self.rule("diag(A)[i] = A[i,i]")
            return self.entry(first, r, r, scope, env)
        raise UnsupportedError(f"{to_text(node)}: the index-notation engine has no rule for {name}")

    def _inverse(self, node, r: Idx, c: Idx, scope) -> Expr:
        """An entry of inv(node): an atom for a variable; inv(Aᵀ) = inv(A)ᵀ and, for square
        factors, inv(A @ B) = inv(B) @ inv(A)."""
        if isinstance(node, ast.Name) and node.id in self.problem.variables:
            return atom(Tensor(node.id, (r, c), "inv"))
        if isinstance(node, ast.Transpose):
            self.rule("inv(A.T) = inv(A).T")
            return self._inverse(node.operand, c, r, scope)
        if self._square_product(node, scope):
            self.rule("inv(A@B) = inv(B) @ inv(A)")
            k = self.index("k", self.shape(node.left, scope)[0])
            return self.over(mul(self._inverse(node.right, r, k, scope),
                                 self._inverse(node.left, k, c, scope)), [k])
        raise UnsupportedError(f"inv({to_text(node)}): the index-notation engine has an inverse rule "
                               "for variables, transposes and products of square matrices only")

    def _determinant(self, node, scope) -> Expr:
        """det(node): an atom for a variable; det(Aᵀ) = det(A), det(A @ B) = det(A) det(B)."""
        if isinstance(node, ast.Name) and node.id in self.problem.variables:
            return atom(Tensor(node.id, (1, 1), "det"))
        if isinstance(node, ast.Transpose):
            self.rule("det(A.T) = det(A)")
            return self._determinant(node.operand, scope)
        if self._square_product(node, scope):
            self.rule("det(A@B) = det(A)*det(B)")
            return mul(self._determinant(node.left, scope), self._determinant(node.right, scope))
        raise UnsupportedError(f"det({to_text(node)}): the index-notation engine has a determinant "
                               "rule for variables, transposes and products of square matrices only")

    def _square_product(self, node, scope) -> bool:
        """Whether ``node`` is A @ B with A and B square (of one size)."""
        if not (isinstance(node, ast.Binary) and node.op == "@"):
            return False
        shapes = [self.shape(side, scope) for side in (node.left, node.right)]
        return all(shape[0] == shape[1] == shapes[0][0] for shape in shapes)

    def _softmax(self, node, rows, cols, r: Idx, c: Idx, scope, env) -> Expr:
        """softmax of a column's entries, or of each row: exp of the entry over the sum of exps."""
        if cols == ONE:
            k = self.index("k", rows)
            self.rule("softmax(x)[n] = exp(x[n]) / sum_k(exp(x[k]))")
            position = (k, c)
        else:
            k = self.index("k", cols)
            self.rule("softmax(X)[m,n] = exp(X[m,n]) / sum_k(exp(X[m,k]))")
            position = (r, k)
        numerator = apply_function("exp", 0, self.entry(node, r, c, scope, env), ())
        exps = apply_function("exp", 0, self.entry(node, *position, scope, env), ())
        return mul(numerator, power(self.over(exps, [k]), Fraction(-1)))

    def _vector(self, node, k: Idx, scope, env) -> Expr:
        shape = self.shape(node, scope)
        return self.entry(node, k, 1, scope, env) if shape[1] == ONE else self.entry(node, 1, k, scope, env)

    @entry.register
    def _(self, node: ast.Derivative, r, c, scope, env):
        if self.cut is not None:
            raise UnsupportedError(f"{to_text(node)}: second derivatives have no index-notation rule")
        problem = self.problem
        wrt = node.wrt
        if wrt in problem.loss_dependent:
            raise UnsupportedError(f"d/d{wrt}: {wrt} is computed from a function left arbitrary")
        of_shape = self.shape(node.of, scope)
        wrt_shape = problem.shapes[wrt]
        if of_shape == SCALAR:
            (a, b), (p, q) = (1, 1), (r, c)
        elif wrt_shape == SCALAR:
            (a, b), (p, q) = (r, c), (1, 1)
        elif is_vector(of_shape) and is_vector(wrt_shape):
            of_k, wrt_k = (r, c) if problem.layout == "numerator" else (c, r)
            a, b = (of_k, 1) if of_shape[1] == ONE else (1, of_k)
            p, q = (wrt_k, 1) if wrt_shape[1] == ONE else (1, wrt_k)
        else:
            raise UnsupportedError(f"{to_text(node)}: a derivative of order 3 or 4; write it entrywise")
        inner = Builder(problem, self.ranges, self.rules, cut=wrt)
        body = inner.entry(node.of, a, b, scope, env)
        return self.put_back(inner.differentiate(body, wrt, p, q), wrt)

    def put_back(self, expr: Expr, wrt: str) -> Expr:
        """The value of an intermediate ``wrt`` put back where it was held as an input."""
        definitions = dict(self.problem.definitions)
        if wrt not in definitions:
            return expr
        return replace_factors(expr, lambda f: self.entry(definitions[wrt], *f.indices,
                                                          self.problem.scope(), {})
                               if isinstance(f, Tensor) and f.kind == "cut" else None)

    # -- differentiation ------------------------------------------------------------------------
    def differentiate(self, expr: Expr, wrt: str, p: Idx, q: Idx) -> Expr:
        """∂expr/∂wrt[p,q] by the product rule over each term's factors."""
        out: list[Term] = []
        for term in expr.terms:
            for k, factor in enumerate(term.factors):
                derivative = self._factor_derivative(factor, wrt, p, q)
                if not derivative.terms:
                    continue
                rest = term.factors[:k] + term.factors[k + 1:]
                for other in rest:
                    if isinstance(other, Loss):
                        raise UnsupportedError(
                            f"the value of {other.name} itself: {other.name} is left arbitrary, "
                            "only its first derivatives are known")
                out.extend(_within(term, rest, derivative))
        return Expr(tuple(out))

    def _factor_derivative(self, factor: Factor, wrt: str, p: Idx, q: Idx) -> Expr:
        if isinstance(factor, Tensor):
            if factor.name != wrt:
                return ZERO
            a, b = factor.indices
            if factor.kind in ("var", "cut"):
                self.rule(f"d{wrt}[a,b]/d{wrt}[i,j] = delta(a,i)*delta(b,j)")
                return mul(delta(a, p), delta(b, q))
            if factor.kind == "inv":
                self.rule(f"dinv({wrt})[a,b]/d{wrt}[i,j] = -inv({wrt})[a,i]*inv({wrt})[j,b]")
                return -mul(atom(Tensor(wrt, (a, p), "inv")), atom(Tensor(wrt, (q, b), "inv")))
            if factor.kind == "det":
                self.rule(f"ddet({wrt})/d{wrt}[i,j] = det({wrt})*inv({wrt})[j,i]")
                return mul(atom(factor), atom(Tensor(wrt, (q, p), "inv")))
            return ZERO
        if isinstance(factor, Apply):
            inner = self.differentiate(factor.arg, wrt, p, q)
            if not inner.terms:
                return ZERO
            name = factor.func + "'" * (factor.order + 1) if factor.func != "pow" else "(.)**q"
            self.rule(f"d({factor.func}{chr(39) * factor.order}(u))/du = {name}(u)" if factor.func != "pow"
                      else "d(u**q)/du = q*u**(q - 1)")
            return mul(function_prime(factor, self.problem.activations), inner)
        if isinstance(factor, Loss):
            return self._loss_derivative(factor.name, wrt, p, q)
        return ZERO

    def _loss_derivative(self, loss: str, wrt: str, p: Idx, q: Idx) -> Expr:
        """Σ over each quantity Y the loss depends on of dL/dY[a,b] ∂Y[a,b]/∂wrt[p,q]."""
        out = ZERO
        problem = self.problem
        for dep in problem.arbitrary[loss]:
            rows, cols = problem.shapes[dep]
            a, b = self.index("a", rows), self.index("b", cols)
            inner = self.differentiate(self.entry(ast.Name(dep), a, b, problem.scope(), {}), wrt, p, q)
            if not inner.terms:
                continue
            self.rule(f"chain rule through {dep}")
            upstream = atom(Tensor(f"d{loss}/d{dep}", (a, b), "grad", dep))
            out = out + self.over(mul(upstream, inner), [a, b])
        return out


def fixed_dim(problem: Problem, dim: Dim) -> Dim:
    if not problem.fixed_sizes:
        return dim
    values = {problem.sizes[n]: sympy.Integer(v) for n, v in problem.fixed_sizes.items()}
    return _as_sympy(dim).xreplace(values)


def replace_factors(expr: Expr, change) -> Expr:
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
        out.extend(_within(Term(term.coeff, (), term.sums), tuple(kept), inner))
    return Expr(tuple(out))


# -- canonical form -------------------------------------------------------------------------------

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
        expr = _deep_freshen(expr)
    terms = []
    for term in (t for raw in expr.terms for t in _expand_fixed(raw)):
        term = contract(term, ranges, log)
        if term is not None:
            term = _canonical_names(term, ranges, structure)
            merged = _row_sums(merge_powers(term), structure.stochastic if structure else frozenset())
            terms.append(term if merged == term else _canonical_names(merged, ranges, structure))
    return collect(terms)


def _row_sums(term: Term, stochastic: frozenset[str]) -> Term:
    """sum_q(T[a,q]) = 1 for a row-stochastic T, where nothing else in the term uses q."""
    for name, _ in term.sums:
        users = [f for f in term.factors if name in factor_names(f)]
        if len(users) == 1 and isinstance(users[0], Tensor) and users[0].kind == "var" \
                and users[0].name in stochastic and users[0].indices[1] == name != users[0].indices[0]:
            rest = tuple(f for f in term.factors if f is not users[0])
            sums = tuple(s for s in term.sums if s[0] != name)
            return _row_sums(Term(term.coeff, rest, sums), stochastic)
    return term


MAX_EXPANDED = 8  # a sum over a fixed size up to this is written out term by term


def _expand_fixed(term: Term) -> list[Term]:
    """Σ over a fixed size n ≤ MAX_EXPANDED written out as its n terms (index k := 1..n)."""
    for name, dim in term.sums:
        if dim.is_Integer and 1 < int(dim) <= MAX_EXPANDED:
            out = []
            for value in range(1, int(dim) + 1):
                out.extend(_expand_fixed(_drop_bound(term, name, value)))
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
    key = expr_key(base) if isinstance(base, Expr) else _factor_key(base)
    _, known = exponents.get(key, (base, Fraction(0)))
    exponents[key] = (base, known + exponent)


def _deep_freshen(expr: Expr) -> Expr:
    out = []
    for term in expr.terms:
        term = rename_bound(term, {n: _fresh(n) for n, _ in term.sums})
        factors = tuple(replace(f, arg=_deep_freshen(f.arg)) if isinstance(f, Apply) else f
                        for f in term.factors)
        out.append(replace(term, factors=factors))
    return Expr(tuple(out))


def _range(index: Idx, bound: dict, ranges: dict):
    if isinstance(index, int):
        return None
    return bound.get(index, ranges.get(index))


def _fits(dim, index: Idx, bound: dict, ranges: dict) -> bool:
    """May an index over ``dim`` be replaced by ``index`` (same range, or a constant in range)?"""
    if isinstance(index, int):
        return index == 1 or (dim is not None and dim.is_Integer and index <= int(dim))
    other = _range(index, bound, ranges)
    return dim is not None and other is not None and sympy.simplify(dim - other) == 0


def contract(term: Term, ranges: dict, log: list | None = None) -> Term | None:
    """Delta contraction and its companions; None when the term is zero."""
    changed = True
    while changed:
        changed = False
        bound = dict(term.sums)
        for name, dim in term.sums:
            if dim == ONE:
                term = _drop_bound(term, name, 1)
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
                if isinstance(x, str) and x in bound and _fits(bound[x], y, bound, ranges):
                    if log is not None:
                        log.append((x, y))
                    term = _drop_bound(replace(term, factors=rest), x, y)
                    changed = True
                    break
            if changed:
                break
            # two free indices (or a free index and a constant): δ(a,b) f(a) = δ(a,b) f(b)
            x, y = (b, a) if _index_key(b) > _index_key(a) else (a, b)
            if isinstance(x, str) and _fits(_range(x, bound, ranges), y, bound, ranges) and any(
                    x in factor_names(f) for f in rest):
                term = replace(term, factors=(delta,) + tuple(_subst_factor(f, {x: y}) for f in rest))
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


def _drop_bound(term: Term, name: str, value: Idx) -> Term:
    """The term with bound index ``name`` replaced by ``value``, a name of the same scope."""
    sums = tuple(s for s in term.sums if s[0] != name)
    return Term(term.coeff, tuple(_subst_factor(f, {name: value}) for f in term.factors), sums)


@functools.lru_cache(maxsize=1 << 16)
def _text(value) -> str:
    """str of a SymPy size or coefficient, remembered: SymPy's printer is slow, keys are many."""
    return str(value)


@functools.lru_cache(maxsize=1 << 16)
def _factor_key(factor: Factor) -> str:
    if isinstance(factor, Tensor):
        return f"T{factor.kind}:{factor.name}[{factor.indices[0]},{factor.indices[1]}]"
    if isinstance(factor, Delta):
        return f"D[{factor.a},{factor.b}]"
    if isinstance(factor, Apply):
        return f"A{factor.func}'{factor.order}^{factor.power}({expr_key(factor.arg)})"
    return f"L:{factor.name}"


def _shape_key(term: Term) -> str:
    sums = ",".join(f"{n}:{_text(d)}" for n, d in term.sums)
    return f"Σ[{sums}]" + "*".join(_factor_key(f) for f in term.factors)


def expr_key(expr: Expr) -> str:
    return " + ".join(f"({_text(t.coeff)})" + _shape_key(t) for t in expr.terms)


def _canonical_number(name: str) -> int | None:
    return int(name[1:]) if name.startswith("·") else None


def _canonical_names(term: Term, ranges: dict, structure) -> Term:
    """Bound indices named ·n in the order that gives the least key. The numbering starts above
    every ·n the term uses freely (an enclosing term's), so that no name is captured and a
    function's argument gets the same form wherever it occurs."""
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
                         key=_factor_key)
        candidate = Term(renamed.coeff, tuple(factors), tuple(sorted(renamed.sums, key=_sum_key)))
        key = _shape_key(candidate)
        if best_key is None or key < best_key:
            best, best_key = candidate, key
    return best


def _sum_key(item: tuple[str, Dim]) -> tuple[str, str]:
    return item[0], _text(item[1])


def _canonical_factor(factor: Factor, ranges: dict, structure) -> Factor:
    if isinstance(factor, Apply):
        free = tuple(sorted((n, ranges.get(n)) for n in free_names(factor.arg)))
        return replace(factor, arg=_canonical_arg(factor.arg, free, structure))
    if isinstance(factor, Tensor) and factor.kind in ("var", "inv") and structure \
            and factor.name in structure.symmetric:  # the inverse of a symmetric matrix is symmetric
        return replace(factor, indices=tuple(sorted(factor.indices, key=_index_key)))
    return factor


@functools.lru_cache(maxsize=1 << 14)
def _canonical_arg(arg: Expr, free: tuple, structure) -> Expr:
    """The canonical form of a function's argument, given the ranges of its free indices: the
    same argument recurs in every order ``_canonical_names`` tries, so it is remembered."""
    return canonical(arg, dict(free), structure, top=False)


def collect(terms: list[Term]) -> Expr:
    """Equal terms added (coefficients exactly), zero terms dropped, terms in canonical order."""
    groups: dict = {}
    for term in terms:
        key = (term.factors, term.sums)
        groups[key] = groups.get(key, 0) + term.coeff
    out = []
    for (factors, sums), coeff in groups.items():
        coeff = sympy.cancel(sympy.together(coeff))
        if coeff != 0:
            out.append(Term(coeff, factors, sums))
    return Expr(tuple(sorted(out, key=_shape_key)))


# -- claim-language text of an index form -------------------------------------------------------

_LETTERS = "klpqrstuvabcdefghmnoijwxyz"


class Namer:
    """Letters for bound indices, shared by every expression of one derivation: a letter never
    names two ranges (the claim language forbids it) nor a sum inside a sum that uses it."""

    def __init__(self, taken):
        self.taken = set(taken)
        self.range_of: dict[str, str] = {}

    def pick(self, dim, active) -> str:
        letters = itertools.chain(_LETTERS, (f"{a}{n}" for n in range(2, 99) for a in _LETTERS))
        for letter in letters:
            if letter in self.taken or letter in active:
                continue
            if self.range_of.setdefault(letter, str(dim)) == str(dim):
                return letter
        raise UnsupportedError("too many indices to name")  # pragma: no cover


def namer_for(problem: Problem, free=()) -> Namer:
    return Namer(set(problem.shapes) | set(problem.sizes) | set(problem.activations)
                 | set(ELEMENTWISE) | {"d", "delta", "sum", "T", "i", "j"} | set(free))


def render(expr: Expr, problem: Problem, namer: Namer | None = None, mapping=None,
           active=frozenset()) -> str:
    """``expr`` as claim-language text (sums as sum_{k,l}(...), deltas as delta(a,b))."""
    if namer is None:
        namer = namer_for(problem, free_names(expr))
    mapping = mapping or {}
    if not expr.terms:
        return "0"
    parts = []
    for term in expr.terms:
        text = _render_term(term, problem, namer, mapping, active)
        parts.append(("-", text[1:]) if text.startswith("-") else ("+", text))
    out = ("-" if parts[0][0] == "-" else "") + parts[0][1]
    for sign, text in parts[1:]:
        out += f" {sign} {text}"
    return out


def _render_term(term: Term, problem, namer, mapping, active) -> str:
    mapping = dict(mapping)
    letters = []
    for name, dim in term.sums:
        letter = namer.pick(dim, set(active) | set(letters) | set(mapping.values()))
        mapping[name] = letter
        letters.append(letter)
    active = frozenset(active) | set(letters)
    pieces = [_render_factor(f, problem, namer, mapping, active) for f in term.factors]
    coeff = term.coeff
    negative = coeff.could_extract_minus_sign()
    if negative:
        coeff = -coeff
    if coeff != 1 or not pieces:
        text = _number_text(coeff)
        pieces.insert(0, text if coeff.is_Atom else f"({text})")
    body = " * ".join(pieces)
    if letters:
        binder = letters[0] if len(letters) == 1 else "{" + ",".join(letters) + "}"
        body = f"sum_{binder}({body})"
    return ("-" if negative else "") + body


def _number_text(value) -> str:
    if value.is_Rational and not value.is_Integer:
        return f"{value.p}/{value.q}"
    return str(value)


def _render_factor(factor: Factor, problem: Problem, namer, mapping, active) -> str:
    def name(index):
        return str(index) if isinstance(index, int) else mapping.get(index, index)

    if isinstance(factor, Delta):
        return f"delta({name(factor.a)},{name(factor.b)})"
    if isinstance(factor, Loss):
        return factor.name
    if isinstance(factor, Apply):
        arg = render(factor.arg, problem, namer, mapping, active)
        if factor.func == "pow":
            q = factor.power
            exponent = decimal_text(q) if _finite_decimal(q) else f"({q})"
            exponent = f"({exponent})" if q < 0 else exponent
            return f"({arg})**{exponent}"
        return f"{factor.func}{chr(39) * factor.order}({arg})"
    return _entry_text(factor, problem, [name(i) for i in factor.indices])


def _entry_text(factor: Tensor, problem: Problem, items) -> str:
    if factor.kind == "det":
        return f"det({factor.name})"
    if factor.kind == "inv":
        return f"inv({factor.name})[{','.join(items)}]"
    shape = problem.shapes[factor.of if factor.kind == "grad" else factor.name]
    if shape == SCALAR:
        return factor.name
    if shape[1] == ONE:
        items = items[:1]
    elif shape[0] == ONE:
        items = items[1:]
    return f"{factor.name}[{','.join(items)}]"


def _finite_decimal(q: Fraction) -> bool:
    d = q.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


# -- definitions folded back, for reading ------------------------------------------------------

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
    """Writes a definition's entries by its name again, for display: once a derivation has
    inlined P = softmax(Z), exp(Z[s,k]) * (sum_q(exp(Z[s,q])))**(-1) reads as P[s,k] again.

    A definition whose index form is one term is a pattern: a product of factors (found among a
    term's factors, its indices matched to the term's), or a sum (Z = X @ W, found as a whole term
    inside a function's argument). Patterns are written with the definitions before them folded,
    so folding goes from the inputs outwards. The expression shown stays equal to the one
    derived: a match is structural, the pattern's indices (and its bound ones) bound to the
    expression's, so a fold only writes the same product under another name.
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
        return Expr(tuple(self._term(t) for t in expr.terms))

    def _term(self, term: Term) -> Term:
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
            found = self._match(term, name, marks, pattern)
            while found is not None:
                term = found
                found = self._match(term, name, marks, pattern)
        return merge_powers(term)

    def _match(self, term: Term, name, marks, pattern: Term) -> Term | None:
        """``term`` with one occurrence of the pattern replaced by the definition's entry."""
        variables = frozenset(m for m in marks if isinstance(m, str))
        scope = term_free(term) | {n for n, _ in term.sums}
        if pattern.sums:  # a sum is found as a whole term, up to its coefficient
            found = ((m, ()) for m in _unify_term(replace(pattern, coeff=term.coeff), term, {}, variables))
        else:
            found = _unify_factors(list(pattern.factors), list(term.factors), {}, variables)
        for mapping, rest in found:
            if all(not isinstance(v, str) or v in scope for v in mapping.values()):  # not an inner index
                entry = Tensor(name, tuple(_map_index(m, mapping) for m in marks))
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
    if _head(p) != _head(t):
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


def _head(factor: Factor) -> tuple:
    """What a factor is, without its indices: equal factors have equal heads."""
    if isinstance(factor, Tensor):
        return ("T", factor.kind, factor.name)
    if isinstance(factor, Apply):
        return ("A", factor.func, factor.order, factor.power, len(factor.arg.terms))
    return (type(factor).__name__,)


# -- derivations and proofs ---------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One step of a derivation: the expression (claim-language text) and why it follows."""

    expression: str
    justification: str


@dataclass
class Derivation:
    """∂loss/∂wrt[indices], derived step by step; ``result`` is the canonical index form."""

    loss: str
    wrt: str
    indices: tuple[Idx, Idx]
    steps: list[Step]
    result: Expr
    ranges: dict

    problem: Problem | None = field(default=None, repr=False, compare=False)

    def text(self, problem: Problem) -> str:
        return render(self.result, problem)

    def _repr_latex_(self) -> str:
        from ..documents.export import steps_latex  # a notebook shows the steps as rendered math

        return steps_latex([(s.expression, s.justification) for s in self.steps], self.problem)


def _structure(problem: Problem) -> Structure:
    variables = problem.variables.items()
    return Structure(frozenset(name for name, v in variables if {"symmetric", "spd"} & v.constraints),
                     frozenset(name for name, v in variables if "stochastic" in v.constraints))


def _entry_names(shape, taken) -> tuple[Idx, Idx]:
    """Index names for entry (i, j) of a matrix value; 1 for a dimension of size one."""
    pool = [n for n in ("i", "j", "i1", "j1", "i2", "j2") if n not in taken]
    return (pool[0] if shape[0] != ONE else 1, pool[1] if shape[1] != ONE else 1)


def _derivative_text(of: str, wrt: str, indices) -> str:
    """``dJ/dW[i,j]``: the text of an entry of a gradient."""
    items = [str(i) for i in indices if i != 1] or ["1"]
    return f"d{of}/d{wrt}" if indices == (1, 1) else f"d{of}/d{wrt}[{','.join(items)}]"


def derive_gradient(problem: Problem, loss: str, wrt: str) -> Derivation:
    """The entries of d(loss)/d(wrt), derived by the chain rule over the problem's definitions.

    Steps: the chain rule (through each quantity a loss left arbitrary depends on, or the
    loss's definition), the derivative of each entry with the deltas it brings, the contraction
    of the deltas, and the collection of equal terms.
    """
    if problem.shapes.get(loss) != SCALAR:
        raise ShapeError(f"{loss} is not a scalar: its gradient is not defined")
    if wrt not in problem.shapes:
        raise ShapeError(f"'{wrt}' is not a variable or definition of {problem.id}")
    builder = Builder(problem)
    shape = tuple(fixed_dim(problem, d) for d in problem.shapes[wrt])
    i, j = _entry_names(shape, set(problem.shapes) | set(problem.sizes))
    for name, dim in ((i, shape[0]), (j, shape[1])):
        if isinstance(name, str):
            builder.ranges[name] = dim
    lhs = _derivative_text(loss, wrt, (i, j))
    steps = [Step(lhs, f"the entries of the gradient of {loss} by {wrt}")]
    inner = Builder(problem, builder.ranges, [], cut=wrt)
    namer = namer_for(problem, (i, j))
    if loss in problem.arbitrary:
        deps = [d for d in problem.arbitrary[loss]]
        pieces = []
        for dep in deps:
            rows, cols = problem.shapes[dep]
            rows, cols = fixed_dim(problem, rows), fixed_dim(problem, cols)
            a = namer.pick(rows, ()) if rows != ONE else 1
            b = namer.pick(cols, {a}) if cols != ONE else 1
            names = [n for n in (a, b) if isinstance(n, str)]
            g = _entry_text(Tensor(f"d{loss}/d{dep}", (a, b), "grad", dep), problem, [str(a), str(b)])
            y = _entry_text(Tensor(dep, (a, b)), problem, [str(a), str(b)])
            body = f"{g} * {_derivative_text(y, wrt, (i, j))}"
            pieces.append(f"sum_{names[0] if len(names) == 1 else '{' + ','.join(names) + '}'}({body})"
                          if names else body)
        steps.append(Step(" + ".join(pieces), "chain rule through " + ", ".join(deps)))
    else:
        definitions = dict(problem.definitions)
        if loss in definitions:
            steps.append(Step(_derivative_text(f"({to_text(definitions[loss])})", wrt, (i, j)),
                              f"definition of {loss}"))
    raw = inner.differentiate(inner.entry(ast.Name(loss), 1, 1, problem.scope(), {}), wrt, i, j)
    raw = builder.put_back(raw, wrt)
    steps.append(Step(render(raw, problem, namer),
                      "derivative of each entry: " + "; ".join(inner.rules + builder.rules)))
    log: list = []
    contracted = Expr(tuple(t for t in (contract(t, builder.ranges, log) for t in _deep_freshen(raw).terms)
                            if t is not None))
    folding = folding_for(problem)
    if log:
        steps.append(Step(render(folding.fold(contracted), problem, namer),
                          f"contract {len(log)} Kronecker delta(s): sum_p(delta(p,j) * f(p)) = f(j)"))
    result = canonical(raw, builder.ranges, _structure(problem))
    steps.append(Step(render(folding.fold(result), problem, namer),
                      "rename bound indices, collect equal terms"))
    return Derivation(loss, wrt, (i, j), steps, result, dict(builder.ranges), problem)


def index_form(node: ast.Node, problem: Problem, indices: tuple[Idx, Idx] | None = None,
               scope: Scope | None = None, builder: Builder | None = None) -> Expr:
    """The canonical index form of entry ``indices`` of a claim side.

    ``indices`` default to fresh names i, j (1 for a dimension of size one); a side that is a
    scalar in index notation (``dL/dW[i,j]``) keeps the claim's own free indices.
    """
    if scope is None:
        chain = ast.Chain((node,))
        scope = problem.check_claim_names(chain)
    shape = tuple(fixed_dim(problem, d) for d in infer(node, scope))
    builder = builder or Builder(problem)
    builder.ranges.update({k: fixed_dim(problem, v) for k, v in scope.index_ranges.items()})
    if indices is None:
        indices = _entry_names(shape, set(scope.index_names) | set(problem.shapes) | set(problem.sizes))
    # a dimension of size one has the single position 1, whatever index was asked for
    indices = tuple(index if dim != ONE else 1 for index, dim in zip(indices, shape))
    for name, dim in zip(indices, shape):
        if isinstance(name, str) and builder.ranges.setdefault(name, dim) != dim:
            raise ShapeError(f"index {name} ranges over {builder.ranges[name]} and {dim}")
    raw = builder.entry(node, indices[0], indices[1], scope, {})
    form = canonical(raw, builder.ranges, _structure(problem))
    for name in _losses(form):
        raise UnsupportedError(f"the value of {name}: it is left arbitrary, only its derivatives are known")
    return form


def _losses(expr: Expr) -> set[str]:
    """Losses left arbitrary whose value (not a derivative) ``expr`` uses."""
    found: set[str] = set()
    for term in expr.terms:
        for factor in term.factors:
            if isinstance(factor, Loss):
                found.add(factor.name)
            elif isinstance(factor, Apply):
                found |= _losses(factor.arg)
    return found


@dataclass
class LinkProof:
    left: str
    right: str
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

    claim: str
    links: list[LinkProof]
    problem: Problem | None = field(default=None, repr=False, compare=False)

    @property
    def proved(self) -> bool:
        return bool(self.links) and all(link.proved for link in self.links)

    def _repr_latex_(self) -> str:
        from ..documents.export import steps_latex  # a notebook shows the steps as rendered math

        return steps_latex([(s.expression, s.justification) for link in self.links for s in link.steps],
                           self.problem)

    @property
    def status(self) -> str:
        if self.proved:
            return GENERIC
        reason = next((link.reason for link in self.links if not link.proved), "no links")
        return f"no generic proof ({reason})"


def prove(problem: Problem, claim: ast.Chain | str) -> Proof:
    """Each link proved generically iff both sides have the same canonical index form.

    A side the engine has no rule for gives a link "not proved" with the rule named; a
    different canonical form gives "not proved" too, since it proves nothing either way.
    """
    chain = parse_claim(claim) if isinstance(claim, str) else claim
    scope = problem.check_claim_names(chain)
    proof = Proof(to_text(chain), [], problem)
    for left, right in chain.links():
        proof.links.append(_prove_link(problem, left, right, scope))
    return proof


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
        if _cancels(_to_sympy(expr, closed)):
            return True
        # Σ_k f(k) + Σ_k g(k) = Σ_k (f(k) + g(k)): terms summing over the same ranges, added inside
        if len(groups) < len(expr.terms) and all(
                _cancels(sympy.Add(*[sympy.Mul(t.coeff, *[_factor_sympy(f, closed) for f in t.factors])
                                     for t in terms]))
                for terms in groups.values()):
            return True
    return False


def _cancels(value: sympy.Expr) -> bool:
    return sympy.cancel(sympy.together(value)) == 0


def _to_sympy(expr: Expr, closed: bool = False) -> sympy.Expr:
    return sympy.Add(*[_term_sympy(t, closed) for t in expr.terms])


def _term_sympy(term: Term, closed: bool = False) -> sympy.Expr:
    """A term as a product: factors free of the sums as they are, each independent sum
    (Σ_{l,p} f(l) g(p) = Σ_l f(l) · Σ_p g(p)) as one symbol named by its canonical form."""
    out = [term.coeff]
    for sums, factors in _independent_sums(term):
        if not sums:
            out.extend(_factor_sympy(f, closed) for f in factors)
        else:
            alone = _canonical_names(Term(sympy.Integer(1), factors, sums), {}, None)
            out.append(sympy.Symbol(_shape_key(alone)))
    return sympy.Mul(*out)


def _independent_sums(term: Term) -> list[tuple[tuple, tuple]]:
    """The term's factors grouped by the bound indices that tie them: (sums, factors) for each
    group, and ((), factors) for the factors no sum reaches."""
    groups: list[tuple[set, list, list]] = []  # names, (unused), factors
    bound = dict(term.sums)
    free: list[Factor] = []
    for factor in term.factors:
        names = factor_names(factor) & set(bound)
        if not names:
            free.append(factor)
            continue
        joined = [g for g in groups if g[0] & names]
        merged = (set(names), [], [factor])
        for g in joined:
            groups.remove(g)
            merged[0].update(g[0])
            merged[2][:0] = g[2]
        groups.append(merged)
    out = [((), tuple(free))]
    reached = set().union(*(g[0] for g in groups))
    unused = tuple(s for s in term.sums if s[0] not in reached)
    if unused:  # Σ_p c: kept whole (contract has usually made it size·c already)
        out.append((unused, ()))
    for names, _, factors in groups:
        sums = tuple((n, d) for n, d in term.sums if n in names)
        out.append((sums, tuple(factors)))
    return out


_CLOSED_FORMS = {  # (name, order) -> the function by its definition in exp, for ``closed``
    ("exp", 0): sympy.exp,
    ("sigmoid", 0): lambda u: 1 / (1 + sympy.exp(-u)),
    ("tanh", 0): lambda u: (sympy.exp(2 * u) - 1) / (sympy.exp(2 * u) + 1),
}


def _factor_sympy(factor: Factor, closed: bool = False) -> sympy.Expr:
    if isinstance(factor, Apply):
        arg = _to_sympy(factor.arg, closed)
        if factor.func == "pow":
            return sympy.Pow(arg, sympy.Rational(factor.power.numerator, factor.power.denominator))
        if closed and (factor.func, factor.order) in _CLOSED_FORMS:
            return _CLOSED_FORMS[factor.func, factor.order](arg)
        return sympy.Function(f"{factor.func}{chr(39) * factor.order}")(arg)
    return sympy.Symbol(_factor_key(factor))


def prove_link(problem: Problem, left, right, scope: Scope) -> LinkProof:
    """One link ``left = right`` of a claim whose names ``scope`` has checked."""
    return _prove_link(problem, left, right, scope)


def _prove_link(problem: Problem, left, right, scope: Scope) -> LinkProof:
    link = LinkProof(to_text(left), to_text(right), False, "", [])
    try:
        shapes = [infer(side, scope) for side in (left, right)]
    except ShapeError as error:
        link.reason = f"shape: {str(error).splitlines()[0]}"
        return link
    if shapes[0] != shapes[1]:
        link.reason = "the two sides have different shapes"
        return link
    indices = _entry_names(tuple(fixed_dim(problem, d) for d in shapes[0]), set(scope.index_names) | set(problem.shapes) | set(problem.sizes))
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
            raise UnsupportedError(f"the index {sorted(plain)[0]} is used both whole and as a pair")
        parts = {}  # an index split in two is shown as a pair of letters
        for name in builder.splits:
            for part in builder.splits[name]:
                if isinstance(part, str):
                    parts[part] = namer.pick(builder.ranges[part], set(parts.values()))
        for name, (slow, fast) in builder.splits.items():
            if name in indices:
                pair = [parts.get(k, str(k)) for k in (slow, fast)]
                rules[0] += f"; {name} = ({pair[0]} - 1)*{builder.ranges.get(fast, 1)} + {pair[1]}"
        folding = folding_for(problem)
        for side, form, why in zip((left, right), forms, rules):
            link.steps.append(Step(f"{entry_text(to_text(side), indices)} = "
                                   f"{render(folding.fold(form), problem, namer, parts)}", why))
        difference = canonical(forms[0] - forms[1], builder.ranges, _structure(problem))
    except UnsupportedError as error:
        link.reason = f"no rule: {str(error).splitlines()[0]}"
        return link
    if difference.terms and scalar_zero(difference):
        link.proved = True
        link.reason = "equal after rational simplification of the entries, for every size"
        link.steps.append(Step("0", "left minus right is zero as a rational function of its "
                                    "entries, function values and sums (SymPy cancel)"))
    elif difference.terms:
        link.reason = "the canonical index forms differ"
        size_symbols = set(problem.sizes.values())
        link.size_coefficients = tuple(dict.fromkeys(
            term.coeff for term in difference.terms
            if isinstance(term.coeff, sympy.Basic) and term.coeff.free_symbols & size_symbols))
        link.steps.append(Step(render(difference, problem, namer),
                               "left minus right does not cancel"))
        return link
    else:
        link.proved = True
        link.reason = "identical canonical index forms, for every size"
        link.steps.append(Step("0", "left minus right cancels: identical canonical forms"))
    if derivation is not None:
        link.steps = _gradient_argument(problem, left, right, derivation, forms[1], rules[1], builder)
    return link


def _gradient_derivation(problem: Problem, left, indices) -> Derivation | None:
    """The derivation of ``left`` when it is the gradient of a scalar, at the entry ``indices``."""
    if not (isinstance(left, ast.Derivative) and isinstance(left.of, ast.Name)
            and problem.shapes.get(left.of.id) == SCALAR and left.wrt in problem.shapes):
        return None
    try:
        derivation = derive_gradient(problem, left.of.id, left.wrt)
    except (UnsupportedError, ShapeError):
        return None
    return derivation if derivation.indices == tuple(indices) else None


def entry_text(text: str, indices) -> str:
    """Entry ``indices`` of the value ``text`` denotes: ``(A @ B)[i,j]``; a scalar as it is."""
    items = [str(k) for k in indices if k != 1]
    if not items:
        return text
    atomic = all(ch.isalnum() or ch in "_'" for ch in text)
    return f"{text if atomic else f'({text})'}[{','.join(items)}]"


def _gradient_argument(problem: Problem, left, right, derivation: Derivation, right_form: Expr,
                       right_rules: str, builder: Builder) -> list[Step]:
    """For a proved ``dL/dW = M``: the answer sheet's argument — the chain rule, the derivative of
    each entry, the contraction, the collection, then back to matrix form, M's entry (i, j)."""
    steps: list[Step] = []
    for step in derivation.steps:  # a step that changes nothing is not shown
        if steps and step.expression == steps[-1].expression:
            continue
        steps.append(step)
    namer = namer_for(problem, [k for k in derivation.indices if isinstance(k, str)])
    if canonical(derivation.result - right_form, builder.ranges, _structure(problem)).terms:
        steps.append(Step(render(folding_for(problem).fold(right_form), problem, namer),
                          "the same entries, as rational functions of the entries and sums"))
    matrix = to_text(right)
    rules = "; ".join(r for r in right_rules.split("; ") if not r.startswith(("d", "chain rule", "as written")))
    steps.append(Step(entry_text(matrix, derivation.indices),
                      "back to matrix form" + (f": {rules}" if rules else "")))
    return steps + [Step(f"{to_text(left)} = {matrix}", "for every entry, and every size")]
