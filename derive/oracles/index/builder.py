"""Claim sides in index form: ``Builder`` writes entry (r, c) of a claim-language tree.

Matrix operations become sums by their definitions ((A@B)[i,j] = Σ_k A[i,k] B[k,j], (Aᵀ)[i,j] =
A[j,i], ...), the problem's definitions are inlined, and a derivative is taken entry by entry with
the product and chain rules and ∂W[a,b]/∂W[i,j] = δ(a,i) δ(b,j). A call of a function of the
primitive table is written by that row's rule (``rules.INDEX_RULES``); an undefined activation
stays an atom.

The semantics of derivatives are the exact oracle's (``derive.oracles.symbolic``): a derivative
by an intermediate ``Y`` differentiates everything computed from ``Y`` with ``Y`` as an input and
puts ``Y``'s value back; a loss ``L`` left arbitrary of ``Y`` contributes Σ dL/dY[a,b] ∂Y[a,b]/∂wrt.
An operation with no rule raises ``UnsupportedError`` naming it.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import singledispatchmethod

import sympy

from ...errors import ShapeError, UnsupportedError
from ...language import ast
from ...language.primitives import canonical_function
from ...language.shapes import ONE, SCALAR, Dim, Scope, Shape, ShapeMemo, infer, is_vector, typed
from ...language.text import to_text
from ...problem.definition import Problem
from .canonical import Structure, canonical
from .elementwise import function_prime
from .form import (
    ZERO,
    Apply,
    Expr,
    Factor,
    Idx,
    Loss,
    Tensor,
    as_sympy,
    atom,
    const,
    constant_value,
    delta,
    fresh_name,
    mul,
    power,
    replace_factors,
    scale,
    summed,
    upstream,
    within,
)
from .notes import DETERMINANT, INVERSE, VARIABLE, of_function, of_variable
from .rules import INDEX_RULES, apply_elementwise


@dataclass
class Builder:
    """Turns claim-language trees into index form for one problem.

    ``cut`` names the quantity being differentiated by (held as an input); ``ranges`` gives the
    range of every index name in play; ``rules`` collects the justifications used, in order;
    ``splits`` the indices read as pairs (see ``split``).
    """

    problem: Problem
    ranges: dict[str, Dim] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)
    cut: str | None = None
    splits: dict[str, tuple[Idx, Idx]] = field(default_factory=dict)
    # shapes already asked, per set of index names (every scope here is one of this problem's)
    memos: dict[frozenset, ShapeMemo] = field(default_factory=dict, repr=False, compare=False)

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
        name = fresh_name(base)
        self.ranges[name] = dim
        return name

    def over(self, expr: Expr, names: Iterable[Idx]) -> Expr:
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

    def shape(self, node: ast.Node, scope: Scope) -> Shape:
        memo = self.memos.get(scope.index_names)
        if memo is None:
            memo = self.memos[scope.index_names] = ShapeMemo()
        return infer(node, scope, memo)

    # entry (r, c) of a node's 2-D value
    @singledispatchmethod
    def entry(self, node: ast.Node, r: Idx, c: Idx, scope: Scope, env: dict[str, Idx]) -> Expr:
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

    def _broadcast_entry(self, node, shape, r, c, scope, env) -> Expr:
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
        left = self._broadcast_entry(node.left, shape, r, c, scope, env)
        if node.op == "**":
            exponent = constant_value(self.entry(node.right, 1, 1, scope, env))
            if exponent is None or not exponent.is_Rational:
                raise UnsupportedError(f"{to_text(node)}: a power by a non-constant exponent")
            return power(left, Fraction(int(exponent.p), int(exponent.q)))
        right = self._broadcast_entry(node.right, shape, r, c, scope, env)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return mul(left, right)
        if node.op == "/":
            return mul(left, power(right, Fraction(-1)))
        raise UnsupportedError(f"no index-notation rule for the operator {node.op}")

    def index_of(self, item: ast.Node | Idx, env: Mapping[str, Idx]) -> Idx:
        """The index an item of ``A[...]`` or an argument of ``delta`` stands for."""
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
        items = [self.index_of(i, env) if i is not ast.ALL else ast.ALL for i in node.items]
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
        name = canonical_function(node.func)
        if name in self.problem.activations:
            return apply_elementwise(self, node, r, c, scope, env)
        rule = INDEX_RULES.get(name)
        if rule is None:
            raise UnsupportedError(f"{to_text(node)}: the index-notation engine has no rule for {name}")
        return rule(self, node, r, c, scope, env)

    @entry.register
    def _(self, node: ast.Derivative, r, c, scope, env):
        if self.cut is not None:  # a derivative inside one by ``cut``: d(dL/dW[i,j])/dW[k,l], d2f/dx2
            variable = self.problem.variables.get(self.cut)
            if variable is None:
                raise UnsupportedError(f"{to_text(node)}: a second derivative by an intermediate "
                                       f"({self.cut}) has no index-notation rule")
            if variable.constraints & {"symmetric", "spd", "stochastic"} or getattr(variable, "gradient", ""):
                # as the exact and numeric oracles: entries that are not free have no second derivative here
                raise UnsupportedError(f"{to_text(node)}: a second derivative by {self.cut}, whose entries "
                                       "are not free (a constraint or a gradient convention)")
            # by a variable, cutting changes nothing: the inner derivative is taken as on its own, in
            # terms of the variables, and then differentiated again
            return Builder(self.problem, self.ranges, self.rules, splits=self.splits,
                           memos=self.memos).entry(node, r, c, scope, env)
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
        if of_shape != SCALAR and getattr(problem.variables.get(wrt), "gradient", ""):
            raise UnsupportedError(f"{to_text(node)}: a convention is the gradient's, of a scalar")
        return self.gradient_entry(inner, body, wrt, p, q)

    def gradient_entry(self, inner: Builder, body: Expr, wrt: str, p: Idx, q: Idx) -> Expr:
        """∂body/∂wrt[p,q] (``inner`` holds ``wrt`` as an input), the value of ``wrt`` put back;
        by a symmetric matrix with a declared convention, in that convention, from G, the gradient
        with every entry free: G + Gᵀ − G∘I (the Matrix Cookbook's) or (G + Gᵀ)/2 (symmetrized)."""
        gradient = self.put_back(inner.differentiate(body, wrt, p, q), wrt)
        convention = getattr(self.problem.variables.get(wrt), "gradient", "")
        if not convention:
            return gradient
        swapped = self.put_back(inner.differentiate(body, wrt, q, p), wrt)  # G.T
        if convention == "cookbook":
            self.rule(f"the gradient by a symmetric {wrt} in the Matrix Cookbook's convention: G + G.T - G * eye, "
                      "G with every entry free")
            return gradient + swapped - mul(delta(p, q), gradient)
        self.rule(f"the gradient by a symmetric {wrt}, symmetrized: (G + G.T) / 2, G with every entry free")
        return scale(gradient + swapped, Fraction(1, 2))

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
        out = []
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
                out.extend(within(term, rest, derivative))
        return Expr(tuple(out))

    def _factor_derivative(self, factor: Factor, wrt: str, p: Idx, q: Idx) -> Expr:
        if isinstance(factor, Tensor):
            if factor.name != wrt:
                return ZERO
            a, b = factor.indices
            if factor.kind in ("var", "cut"):
                self.rule(of_variable(VARIABLE, f"d{wrt}[a,b]/d{wrt}[i,j] = delta(a,i)*delta(b,j)", wrt))
                return mul(delta(a, p), delta(b, q))
            if factor.kind == "inv":
                self.rule(of_variable(INVERSE, f"d(inv({wrt})[a,b])/d{wrt}[i,j] = -inv({wrt})[a,i]*inv({wrt})[j,b]",
                                      wrt))
                return -mul(atom(Tensor(wrt, (a, p), "inv")), atom(Tensor(wrt, (q, b), "inv")))
            if factor.kind == "det":
                self.rule(of_variable(DETERMINANT, f"d(det({wrt}))/d{wrt}[i,j] = det({wrt})*inv({wrt})[j,i]", wrt))
                return mul(atom(factor), atom(Tensor(wrt, (q, p), "inv")))
            return ZERO
        if isinstance(factor, Apply):
            inner = self.differentiate(factor.arg, wrt, p, q)
            if not inner.terms:
                return ZERO
            if factor.func == "pow":
                self.rule("d(u**q)/du = q*u**(q - 1)")
            else:
                name = factor.func + "'" * (factor.order + 1)
                self.rule(of_function(f"d({factor.func}{chr(39) * factor.order}(u))/du = {name}(u)",
                                      factor.func, factor.order))
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
            out = out + self.over(mul(atom(upstream(loss, dep, (a, b))), inner), [a, b])
        return out


def fixed_dim(problem: Problem, dim: Dim) -> Dim:
    """``dim`` with the problem's fixed sizes put in."""
    if not problem.fixed_sizes:
        return dim
    values = {problem.sizes[n]: sympy.Integer(v) for n, v in problem.fixed_sizes.items()}
    return as_sympy(dim).xreplace(values)


def structure_of(problem: Problem) -> Structure:
    """The problem's symmetric and row-stochastic variables, for the canonical form."""
    variables = problem.variables.items()
    return Structure(frozenset(name for name, v in variables if {"symmetric", "spd"} & v.constraints),
                     frozenset(name for name, v in variables if "stochastic" in v.constraints))


def entry_names(shape: Shape, taken: Container[str]) -> tuple[Idx, Idx]:
    """Index names for entry (i, j) of a matrix value; 1 for a dimension of size one."""
    pool = [n for n in ("i", "j", "i1", "j1", "i2", "j2") if n not in taken]
    return (pool[0] if shape[0] != ONE else 1, pool[1] if shape[1] != ONE else 1)


def index_form(node: ast.Node, problem: Problem, indices: tuple[Idx, Idx] | None = None,
               scope: Scope | None = None, builder: Builder | None = None) -> Expr:
    """The canonical index form of entry ``indices`` of a claim side.

    ``indices`` default to fresh names i, j (1 for a dimension of size one); a side that is a
    scalar in index notation (``dL/dW[i,j]``) keeps the claim's own free indices.
    """
    if scope is None:
        scope = problem.check_claim_names(ast.Chain((node,)))
    alone = typed((node,), scope)
    shape, scope = tuple(fixed_dim(problem, d) for d in alone.shapes[0]), alone.scope
    builder = builder or Builder(problem)
    builder.ranges.update({k: fixed_dim(problem, v) for k, v in scope.index_ranges.items()})
    if indices is None:
        indices = entry_names(shape, set(scope.index_names) | set(problem.shapes) | set(problem.sizes))
    # a dimension of size one has the single position 1, whatever index was asked for
    indices = tuple(index if dim != ONE else 1 for index, dim in zip(indices, shape))
    for name, dim in zip(indices, shape):
        if isinstance(name, str) and builder.ranges.setdefault(name, dim) != dim:
            raise ShapeError(f"index {name} ranges over {builder.ranges[name]} and {dim}")
    raw = builder.entry(node, indices[0], indices[1], scope, {})
    form = canonical(raw, builder.ranges, structure_of(problem))
    for name in _loss_values(form):
        raise UnsupportedError(f"the value of {name}: it is left arbitrary, only its derivatives are known")
    return form


def _loss_values(expr: Expr) -> set[str]:
    """Losses left arbitrary whose value (not a derivative) ``expr`` uses."""
    found: set[str] = set()
    for term in expr.terms:
        for factor in term.factors:
            if isinstance(factor, Loss):
                found.add(factor.name)
            elif isinstance(factor, Apply):
                found |= _loss_values(factor.arg)
    return found
