"""The LaTeX grammar's trees to derive.ast: part of ``latex_in`` (the LaTeX reader).

``_ToAst`` has one short method per alias of ``latex.lark``; the reading of names
(``latex_in_names``) and of scripts (``latex_in_scripts``) are its parts, and the readings not yet
settled are ``latex_in_pending``'s objects, which ``_node`` turns into AST nodes as soon as a
parent needs one. A product written side by side, with ``\\cdot`` or ``\\times`` is ``@``, or ``*``
when a side reads as a scalar (``latex_in_rules.reads_as_scalar``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from fractions import Fraction

import lark

from .. import limits
from ..errors import ParseError
from . import ast
from .latex_in_lists import elided_vector, is_dots
from .latex_in_names import _Names, latex_key
from .latex_in_pending import (
    _MARKER_ERRORS,
    _MINUS,
    _Args,
    _Bound,
    _derivative,
    _factors,
    _fail,
    _Group,
    _join,
    _Juxt,
    _Mark,
    _Marker,
    _marks_match,
    _negate,
    _Op,
    _span,
)
from .latex_in_rules import FUNCTIONS, PRODUCT_OPERATORS, reads_as_scalar
from .latex_in_scripts import _Scripts
from .parser import Reading
from .primitives import PRIMITIVES

# Product operators: \cdot and \times are @ or * as juxtaposition is; \otimes and its kind
# build the primitive that registers them (latex_in_rules)
_PRODUCT_OPS = {
    r"\cdot": "product", r"\times": "product", "@": "@", "*": "*", r"\odot": "*", r"\circ": "*",
    r"\oslash": "/", "/": "/", r"\mathbin{@}": "@", **PRODUCT_OPERATORS,
}


@lark.v_args(meta=True)
class _ToAst(_Names, _Scripts):
    """One short method per grammar alias; ``_node`` settles what a parent needs as a node."""

    def __init__(self, text: str, names: Mapping[str, str], functions: set[str], scalars: set[str],
                 quantities: set[str] = frozenset()):
        super().__init__()
        self.text = text
        self.names = {latex_key(k): v for k, v in names.items()}
        self.functions = functions
        self.scalars = scalars
        self.quantities = frozenset(quantities)  # the problem's names, when the reader knows them
        self.reading = Reading(self.quantities, frozenset(scalars), frozenset(functions))

    # -- settling ----------------------------------------------------------------------------------

    def _node(self, item) -> ast.Node:
        if isinstance(item, _Juxt):
            return self._fold(list(item.factors))
        if isinstance(item, _Group):
            if len(item.items) != 1:
                raise _fail("a list (a, b) is allowed only as a function's arguments", item.span)
            return item.items[0]
        if isinstance(item, _Args):
            raise _fail("a list {a, b} is allowed only in a subscript", item.span)
        if isinstance(item, _Mark):
            if item.kind == "d":
                return ast.Name("d", span=item.span)
            raise _fail(r"'\partial' outside a derivative: write \frac{\partial J}{\partial W} "
                        r"or \partial J / \partial W", item.span)
        if isinstance(item, _Op):
            if item.one:
                raise _fail(r"\nabla_W needs what it differentiates after it, as in \nabla_W J", item.span)
            raise _fail(r"\frac{\partial}{\partial ...} needs an expression after it", item.span)
        if isinstance(item, _Bound):
            raise _fail("'=' inside a subscript is allowed only under a sum, as in \\sum_{r=1}^{m}",
                        item.span)
        if isinstance(item, _Marker) and item.kind in ("ones", "ones_row"):  # sized by its neighbours
            ones = ast.Call("ones", (), span=item.span)                      # (derive.problem.settle)
            return ones if item.kind == "ones" else ast.Transpose(ones, span=item.span)
        if isinstance(item, _Marker):
            raise _fail(_MARKER_ERRORS[item.kind].replace("{name}", item.name), item.span)
        return item

    def _fold(self, factors: list) -> ast.Node:
        """Factors side by side: a derivative operator takes everything after it, ``h (X)``
        with ``h`` a declared function is a call, the rest multiply left to right."""
        minus = 0
        while factors and factors[0] is _MINUS:
            factors, minus = factors[1:], minus + 1
        factors = self._gradients(self._letter_runs(factors))
        for k, item in enumerate(factors):
            if isinstance(item, _Op):
                if k == len(factors) - 1:
                    return self._node(item)
                operand = self._fold(factors[k + 1:])
                factors = factors[:k] + [_derivative(operand, item.wrt, item.items, item.span)]
                break
        nodes: list[ast.Node] = []
        k = 0
        while k < len(factors):
            item, following = factors[k], factors[k + 1] if k + 1 < len(factors) else None
            callee = item.name if isinstance(item, _Marker) and item.kind == "primed" else (
                item.id if isinstance(item, ast.Name) and item.id in self.functions else None)
            if isinstance(item, _Marker) and item.kind == "ones_row" and following is not None:
                operand = self._node(following)  # 1^T A: the row of A's column sums
                nodes.append(ast.Call("sum", (operand,), (("axis", ast.Number(Fraction(0))),),
                                      span=_join(item, operand)))
                k += 2
                continue
            if isinstance(item, _Marker) and item.kind == "ones" and nodes and following is not None \
                    and reads_as_scalar(nodes[-1], self.scalars):
                nodes.append(self._fold(factors[k:]))  # c 1 b^T: c times (1 b^T), the ones sized by settle
                break
            if isinstance(item, _Marker) and item.kind == "ones" and nodes:
                operand = nodes.pop()  # A 1: the column of A's row sums
                nodes.append(ast.Call("sum", (operand,), (("axis", ast.Number(Fraction(1))),),
                                      span=_join(operand, item)))
                k += 1
                continue
            if callee is not None and isinstance(following, _Group):
                primes = item.primes if isinstance(item, _Marker) else 0
                nodes.append(ast.Call(callee, following.items, (), primes, span=_join(item, following)))
                k += 2
                continue
            nodes.append(self._node(item))
            k += 1
        if not nodes:
            raise _fail("a minus sign with nothing after it", None)
        for _ in range(minus):
            nodes[0] = _negate(nodes[0])
        result = nodes[0]
        for right in nodes[1:]:
            result = self._product(result, right)
        return result

    def _gradients(self, factors: list) -> list:
        """``\\nabla_W J``: the gradient of the one factor after the operator, so that
        ``\\nabla_y J \\, x^\\top`` is ``dJ/dy @ x.T``."""
        out, k = [], 0
        while k < len(factors):
            item = factors[k]
            if isinstance(item, _Op) and item.one:
                if k + 1 == len(factors) or isinstance(factors[k + 1], _Op):
                    raise _fail(
                        r"\nabla_W needs what it differentiates after it, as in \nabla_W J", item.span)
                out.append(_derivative(self._node(factors[k + 1]), item.wrt, item.items, item.span))
                k += 2
                continue
            out.append(item)
            k += 1
        return out

    def _product(self, left: ast.Node, right: ast.Node, span: ast.Span = None) -> ast.Node:
        """A product as LaTeX writes it: ``*`` when a side is a scalar, else ``@``."""
        scalar = reads_as_scalar(left, self.scalars) or reads_as_scalar(right, self.scalars)
        op = "*" if scalar else "@"
        return ast.Binary(op, left, right, span=span or _join(left, right))

    # -- chains ------------------------------------------------------------------------------------

    def start(self, meta, children):
        return next(c for c in children if isinstance(c, list))  # an update's sides too: a list

    def body(self, meta, children):
        return [self._node(c) for c in children if c is not None and not isinstance(c, lark.Token)]

    def link(self, meta, children):
        return children[-1]

    def update(self, meta, children):
        target, value = (c for c in children if c is not None and not isinstance(c, lark.Token))
        return ast.UpdateSides([self._node(target), self._node(value)])

    # -- operators ---------------------------------------------------------------------------------

    def add(self, meta, children):
        left, right = children
        return ast.Binary("+", self._node(left), self._node(right), span=_span(meta))

    def sub(self, meta, children):
        left, right = children
        return ast.Binary("-", self._node(left), self._node(right), span=_span(meta))

    def binop(self, meta, children):
        left, token, right = children
        kind = _PRODUCT_OPS[re.sub(r"\s", "", str(token))]
        if kind == "/":
            derivative = self._slash_derivative(left, right, meta)
            if derivative is not None:
                return derivative
        a, b = self._node(left), self._node(right)
        if kind == "product":
            return self._product(a, b, _span(meta))
        if kind in PRIMITIVES:  # A \otimes B: the primitive the operator builds
            return ast.Call(kind, (a, b), span=_span(meta))
        return ast.Binary(kind, a, b, span=_span(meta))

    def neg(self, meta, children):
        (operand,) = children
        factors = operand.factors if isinstance(operand, _Juxt) else (operand,)
        return _Juxt((_MINUS, *factors))

    def pos(self, meta, children):
        return children[0]

    def juxt(self, meta, children):
        factors = []
        for child in children:
            factors.extend(child.factors if isinstance(child, _Juxt) else (child,))
        return _Juxt(tuple(factors))

    def bigsum(self, meta, children):
        _, *scripts, body = children
        body = self._node(body)
        lower = [arg for kind, arg, _ in scripts if kind == "_"]
        if len(lower) > 1 or len(scripts) > 2 or any(kind == "'" for kind, _, _ in scripts):
            raise _fail(r"a sum takes one subscript and one superscript: \sum_{r=1}^{m}", _span(meta))
        if not lower:
            return ast.Call("sum", (body,), span=_span(meta))
        arg = lower[0]
        try:
            indices = (arg.index,) if isinstance(arg, _Bound) else self._items(arg, _span(meta), _span(meta))
        except ParseError:
            indices = (None,)
        if not all(isinstance(i, str) for i in indices):
            raise _fail(r"a sum's subscript names its indices: \sum_{m,n} or \sum_{r=1}^{m}",
                        _span(meta))
        return ast.IndexSum(tuple(indices), body, span=_span(meta))

    # -- derivatives -------------------------------------------------------------------------------

    def frac(self, meta, children):
        _, top, bottom = children
        upper, lower = _factors(top), _factors(bottom)
        if _marks_match(upper, lower):  # \partial Sc over \partial W: letter runs are names first
            upper, lower = [upper[0], *self._letter_runs(upper[1:])], [lower[0], *self._letter_runs(lower[1:])]
            if upper[0].order == 2:
                return self._second(upper, lower, _span(meta))
            if len(lower) != 2:
                raise _fail(r"the bottom of a derivative is one variable, as in \partial W_{ij}",
                            _span(meta))
            wrt, items = self._variable(lower[1])
            if len(upper) == 1:
                return _Op(wrt, items, _span(meta))
            return _derivative(self._fold(upper[1:]), wrt, items, _span(meta))
        return ast.Binary("/", self._node(top), self._node(bottom), span=_span(meta))

    def _second(self, upper: list, lower: list, span: ast.Span) -> ast.Node:
        """``\\frac{\\partial^2 f}{\\partial x^2}`` or ``{\\partial x \\partial x^\\top}``: the
        Hessian of f by x, d(df/dx)/dx; ``{\\partial W_{pq} \\partial W_{ij}}``: an entry of it."""
        nodes = [self._node(item) for item in lower[1:] if not isinstance(item, _Mark)]
        marks = [item for item in lower if isinstance(item, _Mark)]
        if len(upper) >= 2 and len(marks) == 2 and len(nodes) == 2 and all(isinstance(n, ast.Index) for n in nodes):
            # by two entries, \partial W_{pq} \partial W_{ij}: the right one first, d(df/dW[i,j])/dW[p,q]
            (outer, outer_items), (inner, inner_items) = (
                self._variable(item) for item in lower[1:] if not isinstance(item, _Mark))
            return _derivative(_derivative(self._fold(upper[1:]), inner, inner_items, span), outer, outer_items, span)
        if len(marks) == 1 and len(nodes) == 1 and isinstance(nodes[0], ast.Binary) and nodes[0].op == "**" \
                and nodes[0].right == ast.Number(2):
            variables = [nodes[0].left]
        elif len(marks) == 2 and len(nodes) == 2:
            variables = [n.operand if isinstance(n, ast.Transpose) else n for n in nodes]
        else:
            variables = []
        if len(upper) < 2 or not variables or not all(
                isinstance(v, ast.Name) and v.id == variables[0].id for v in variables):
            raise _fail(r"a second derivative is \frac{\partial^2 f}{\partial x^2} (or \partial x \partial x^\top): "
                        "twice by one variable", span)
        wrt = variables[0].id
        return _derivative(_derivative(self._fold(upper[1:]), wrt, (), span), wrt, (), span)

    def _slash_derivative(self, left, right, meta):
        """``\\partial J / \\partial W``: the mark on the left may follow factors (``2 \\partial
        J / \\partial W``); factors after the variable on the right multiply the derivative."""
        upper, lower = _factors(left), _factors(right)
        if not (lower and isinstance(lower[0], _Mark)):
            return None
        lower = [lower[0], *self._letter_runs(lower[1:])]
        starts = [k for k, item in enumerate(upper) if isinstance(item, _Mark) and item.kind == lower[0].kind]
        if not starts or len(lower) < 2:
            return None
        k = starts[0]
        if k == len(upper) - 1:
            raise _fail(r"nothing to differentiate: write \frac{\partial}{\partial x} (...) ",
                        upper[k].span)
        wrt, items = self._variable(lower[1])
        derivative = _derivative(self._fold(upper[k + 1:]), wrt, items, _span(meta))
        return _Juxt((*upper[:k], derivative, *lower[2:]))

    def _variable(self, item) -> tuple[str, tuple]:
        """The variable a derivative is taken by: a name, or an entry of one (``W_{ij}``)."""
        node = self._node(item)
        if isinstance(node, ast.Name):
            return node.id, ()
        if isinstance(node, ast.Index) and isinstance(node.operand, ast.Name):
            return node.operand.id, node.items
        raise _fail("a derivative is taken by a variable or one entry of it (\\partial W, "
                    "\\partial W_{ij}); for a label such as x_{N-1} pass names={'x_{N-1}': 'xNm1'}",
                    getattr(node, "span", None))

    # -- factors -----------------------------------------------------------------------------------

    def number(self, meta, children):
        (token,) = children
        return ast.Number(limits.number(str(token), token.start_pos), span=_span(token))

    def nabla(self, meta, children):
        return _Marker("nabla", _span(children[0]))

    def partial(self, meta, children):
        return _Mark("∂", _span(children[0]))

    def top(self, meta, children):
        return _Marker("top", _span(children[0]))

    def colon(self, meta, children):
        return _Marker("colon", _span(meta))

    def brace(self, meta, children):
        return self._node(children[0])

    def bracket(self, meta, children):
        """``[x]`` groups, and what is inside is read as itself: a bracketed ``T`` ending an
        exponent, ``x^{[T]}``, is the variable T, not a transpose (the node takes the bracket's
        span, which the spelling rules look at)."""
        return replace(self._node(children[1]), span=_span(meta))

    def norm(self, meta, children):
        return ast.Call("norm", (self._node(children[1]),), span=_span(meta))

    def absolute(self, meta, children):
        return ast.Call("abs", (self._node(children[1]),), span=_span(meta))

    def indicator(self, meta, children):
        _, _, operand, _, bound, _ = children
        if str(bound) != "0":
            raise _fail(r"an indicator is read only as \mathbb{1}[x > 0], the step function",
                        _span(bound))
        return ast.Call("step", (self._node(operand),), span=_span(meta))

    def sqrt(self, meta, children):
        return ast.Call("sqrt", (self._node(children[1]),), span=_span(meta))

    def paren(self, meta, children):
        return self._list(meta, children)

    def bracket_list(self, meta, children):
        """``[x_1, \\dots, x_n]``: a vector by its entries; a bracket lists nothing else."""
        group = self._list(meta, children)
        if len(group.items) != 1:
            raise _fail(r"a list [a, b] is read only as a vector's entries with '\dots', as in "
                        r"[x_1, \dots, x_n]", group.span)
        return group

    def _list(self, meta, children) -> _Group:
        """A parenthesis or a bracket with commas; one with ``\\dots`` is one vector (latex_in_lists)."""
        items = tuple(c if is_dots(c) else self._node(c) for c in children[1:-1] if not isinstance(c, lark.Token))
        if any(is_dots(item) for item in items):
            return _Group((elided_vector(items, _span(meta)),), _span(meta))
        return _Group(items, _span(meta))

    def dots(self, meta, children):
        return _Marker("dots", _span(meta))

    def placeholder(self, meta, children):
        """``f(\\cdot)``: f at a point the formula leaves to its context (settled with the problem,
        derive.problem.settle); any other operator alone in a parenthesis is not read."""
        token = children[1]
        if re.sub(r"\s", "", str(token)) != r"\cdot":
            raise _fail(f"'{token}' alone in a parenthesis: only (\\cdot), a placeholder, is read", _span(token))
        return _Group((ast.Name(ast.PLACEHOLDER, span=_span(token)),), _span(meta))

    def call(self, meta, children):
        func, *primes, group = children
        return ast.Call(self._callee(func), group.items, (), len(primes), span=_span(meta))

    def apply(self, meta, children):
        func, *primes, operand = children
        return ast.Call(self._callee(func), (self._node(operand),), (), len(primes), span=_span(meta))

    def _callee(self, token) -> str:
        """The function a FUNC token calls: a problem's undefined function when ``names`` spells
        it so (``\\sigma`` for a generic activation ``phi``), else the primitive it names."""
        named = self.names.get(latex_key(str(token)))
        return named if named in self.functions else _function(token)

    def power_call(self, meta, children):
        """``\\tanh^2(x)`` is ``tanh(x)**2``; ``\\tanh^{-1}`` (the inverse function) is not read."""
        func, exponent, group = children
        return self._power_of(func, exponent, group.items, meta)

    def power_apply(self, meta, children):
        func, exponent, operand = children
        return self._power_of(func, exponent, (self._node(operand),), meta)

    def _power_of(self, func, exponent, args, meta):
        power = self._node(exponent)
        if isinstance(power, ast.Number) and power.value == -1:
            raise _fail(f"'{func}^{{-1}}' is the inverse function, which derive does not read; for "
                        f"1/{_function(func)}(x) write \\frac{{1}}{{{func}(x)}}", _span(meta))
        return ast.Binary("**", ast.Call(self._callee(func), tuple(args), span=_span(meta)), power,
                          span=_span(meta))

    def dot_transpose(self, meta, children):
        return ast.Transpose(self._node(children[0]), span=_span(meta))


def _function(token) -> str:
    """The primitive a FUNC token names: ``\\tr`` and ``\\operatorname{tr}`` name ``trace``."""
    spelled = str(token)
    inner = spelled[spelled.index("{") + 1:-1].strip() if "{" in spelled else spelled[1:]
    if inner not in FUNCTIONS:  # latex.lark's FUNC reads a name no primitive registers
        raise LookupError(f"latex.lark reads {spelled} but no primitive registers the name {inner} "
                          "in latex_in_rules")
    return FUNCTIONS[inner]
