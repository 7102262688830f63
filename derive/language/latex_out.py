r"""derive.ast trees as LaTeX, written the way a worked solution writes them (amsmath).

``to_latex(node)`` prints an expression or a chain ``A = B = C``; ``to_latex_aligned(chain)``
prints a chain as the rows of an ``aligned`` block (``A &= B \\ &= C``). The notation:
``W^{\top}``, ``A \odot B`` (elementwise product), matrix product by juxtaposition,
``\frac{\partial J}{\partial W}``, ``\frac{\partial Y_{mn}}{\partial W_{ij}}``,
``\sum_{m,n}``, ``\delta_{ni}``, ``X^{-1}`` (and ``X^{-\top}`` for ``inv(X).T``),
``\mathbf{1}^{\top} A`` for ``sum(A, axis=0)``; functions print with the LaTeX template of their
row in ``derive.primitives``, so a new primitive needs no change here.

The contract, checked by property tests over random trees: printing never raises on a tree the
parser can build; the output has balanced braces and ``\left``/``\right`` pairs; no atom gets two
superscripts or two subscripts (a TeX error, as in ``A^{\top}^{\top}``); parentheses are the
fewest that leave one reading; and ``derive.latex_in`` reads the text back as the very same tree,
given the names' spellings, the undefined functions and (with a scope) the problem's scalars, as
``problem.latex_reading`` gives them. So the printer follows the reader's rules, and where the
usual notation is open to two readings it writes the other one (docs/latex.md has the table):

* a product side by side is ``*`` exactly when a side reads as a scalar (the reader's rule,
  ``latex_in.reads_as_scalar``, which knows only scalar names): a matrix product with such a side
  is written ``\mathbin{@}``, and a product by a scalar the reader cannot see ``\odot``;
* ``\mathbf{1}^{\top} A`` and ``A \mathbf{1}`` have no size (``\mathbf{1}_{S}`` is ``ones(S)``);
  ``outer(u, v)`` is ``\operatorname{outer}(u, v)`` (``u v^{\top}`` is ``u @ v.T``);
  ``zeros(n)`` is ``\mathbf{0}_{n}``;
* ``^{-1}`` is the inverse, or for a scalar base the power: ``X ** -1`` is ``X^{\circ -1}`` and
  the inverse of a scalar ``\operatorname{inv}(s)``; a variable ``e`` takes a power in parentheses
  (``e^{x}`` is the exponential), and an exponent that starts with a parenthesis (a label) or ends
  in ``T`` (a transpose) is bracketed;
* an entry ``W_{1}`` that spells another variable ``W1`` is written ``\left(W\right)_{1}``.

For the eye, too: a juxtaposed matrix product is never mixed with ``\odot`` or ``\otimes``
without parentheses (``\left(A B\right) \odot C``), a minus sign never follows an operator
(``a - \left(-b\right)``), and a big operator (``\sum_{k}``, which extends over what follows) is
parenthesized before anything that follows it.

Some notation depends on shapes, which a bare tree does not carry. Given the problem's
``scope`` (``Problem.claim_scope(chain)``), the printer writes:

* ``\frac{A}{s}`` for division by a scalar, and ``A \oslash B`` for elementwise division by a
  matrix (without a scope every division is a ``\frac``);
* ``s A`` (or ``A \cdot s``) for a product by a scalar variable or size, rather than ``\odot``
  (without a scope only what reads as a scalar whatever the names, such as a number, is one);
* ``A^{\circ 2}`` (Hadamard power) for an elementwise power of a non-scalar;
* ``\frac{\partial J}{\partial W_{ij}}`` for entry (i, j) of the gradient of a scalar. The entry
  of another derivative keeps its parentheses, ``\left(\frac{\partial y}{\partial
  x}\right)_{ij}``: ``\frac{\partial y_{i}}{\partial x_{j}}`` is the claim ``dy[i]/dx[j]``.

Packages: everything is amsmath except ``\mathbb`` (the ``step`` template: amssymb) and
``\oslash`` is in LaTeX's own symbol font; ``packages(text)`` lists what a printed text needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import singledispatch

from ..errors import DeriveError
from . import ast
from .latex_in import latex_key, reads_as_scalar
from .latex_names import GREEK, default_name, scripts, tex_escape, tokens
from .primitives import ELEMENTWISE, PRIMITIVES, canonical_function, engine_rules
from .shapes import SCALAR, Scope, Shape, infer
from .text import decimal_text

__all__ = ["default_name", "packages", "tex_escape", "to_latex", "to_latex_aligned"]

# Binding strength of a printed piece, loosest first, as latex_in's grammar reads it: + and -;
# explicit product operators (\odot, \cdot, @...); a leading minus (on the first factor); factors
# side by side. _FRAC is a \frac: self-delimited, so it needs no parentheses as an operand, but it
# cannot take a superscript. _SCRIPT carries a superscript or subscript already; _ATOM can take
# either. A piece at _FRAC or above is one factor.
_SUM, _OPERATOR, _UNARY, _JUXT, _FRAC, _SCRIPT, _ATOM = range(1, 8)


@dataclass(frozen=True)
class _Out:
    """A printed piece and what it allows next to it."""

    text: str
    level: int
    kind: str = ""  # for _OPERATOR and _JUXT: "@", "scale", "odot", "oslash", "kron"
    sup: bool = False  # ends in a superscript: another one would be a TeX error
    sub: bool = False  # ends in a subscript
    open: bool = False  # ends in a big operator's body (\sum_k x_k), which absorbs what follows

    @property
    def signed(self) -> bool:
        return self.text.startswith("-")


@dataclass
class _Context:
    names: Mapping[str, str]
    scope: Scope | None
    # what the reader will be told (latex_in): the names known to be scalars, and the spellings
    # of every name, which an entry X_{1} must not take
    scalars: frozenset[str] = frozenset()
    spellings: frozenset[str] = frozenset()
    shapes: dict = field(default_factory=dict)
    # something follows at the same level: a big operator (\sum_k x_k) must then be closed
    followed: bool = False

    def before(self) -> _Context:
        """The context of a piece that something follows (a left operand)."""
        return self if self.followed else replace(self, followed=True)

    def alone(self) -> _Context:
        """The context of a piece inside delimiters (braces, parentheses, a subscript)."""
        return replace(self, followed=False) if self.followed else self

    def name(self, name: str) -> str:
        return self.names[name] if name in self.names else default_name(name)

    def shape(self, node: ast.Node) -> Shape | None:
        """The shape of ``node`` in the scope, or None when there is no scope or no shape."""
        if self.scope is None:
            return None
        if node not in self.shapes:
            try:
                # infer records index ranges in the scope it is given: give it a fresh copy
                self.shapes[node] = infer(node, replace(self.scope, index_ranges={}))  # each on its own
            except (DeriveError, RecursionError):
                self.shapes[node] = None
        return self.shapes[node]

    def reads_scalar(self, node: ast.Node) -> bool:
        """Whether the reader will take ``node`` for a scalar (what decides ``*`` or ``@``)."""
        return reads_as_scalar(node, self.scalars)

    def is_scalar(self, node: ast.Node) -> bool:
        shape = self.shape(node)
        return self.reads_scalar(node) if shape is None else shape == SCALAR

    def is_array(self, node: ast.Node) -> bool:
        """Known not to be a scalar."""
        shape = self.shape(node)
        return shape is not None and shape != SCALAR


def _context(node, names: Mapping[str, str] | None, scope: Scope | None) -> _Context:
    """The printer's context: with a scope, the reader is told the problem's scalars and sizes
    (as ``problem.latex_reading`` does); without one, no name is known to be a scalar."""
    ctx = _Context(names or {}, scope)
    known = _names_in(node)
    scalars = frozenset()
    if scope is not None:
        known |= set(scope.shapes) | set(scope.sizes)
        scalars = frozenset(n for n, shape in scope.shapes.items() if shape == SCALAR)
        scalars |= frozenset(scope.sizes)
    return replace(ctx, scalars=scalars, spellings=frozenset(latex_key(ctx.name(n)) for n in known))


def _names_in(node) -> set[str]:
    """The variable names of an expression or chain (names, and the names derivatives are by)."""
    sides = node.sides if isinstance(node, ast.Chain) else (node,)
    names = set()
    for side in sides:
        for sub in ast.walk(side):
            if isinstance(sub, ast.Name):
                names.add(sub.id)
            elif isinstance(sub, ast.Derivative):
                names.add(sub.wrt)
    return names


def to_latex(node: ast.Node | ast.Chain, names: Mapping[str, str] | None = None, *, scope: Scope | None = None) -> str:
    r"""The LaTeX of an expression or chain (math mode, amsmath).

    ``names`` maps variable (and index) names to LaTeX, e.g. ``{"W1": "W^{(1)}"}``; other names
    follow ``default_name``. ``scope`` (a problem's ``claim_scope``) gives shapes, for the
    notation that depends on them (see the module docstring).
    """
    ctx = _context(node, names, scope)
    if isinstance(node, ast.Chain) and node.kind == "in":
        return _statement(node, ctx)
    if isinstance(node, ast.Chain):  # an equation, or a step W \leftarrow W - \eta G
        return (" = " if node.kind == "=" else r" \leftarrow ").join(_latex(side, ctx).text for side in node.sides)
    return _latex(node, ctx).text


def _statement(chain: ast.Chain, ctx) -> str:
    r"""``A \in \mathbb{R}^{m \times d}`` (``\mathbb{R}^{m}`` for a column, ``\mathbb{R}`` for a scalar)."""
    (expr, rows, cols), one = (_latex(side, ctx).text for side in chain.sides), ast.Number(Fraction(1))
    sizes = "" if chain.sides[1:] == (one, one) else rows if chain.sides[2] == one else rf"{rows} \times {cols}"
    return rf"{expr} \in \mathbb{{R}}" + (f"^{{{sizes}}}" if sizes else "")


def to_latex_aligned(chain: ast.Chain | ast.Node, names: Mapping[str, str] | None = None, *,
                     scope: Scope | None = None) -> str:
    r"""A chain as rows for ``\begin{aligned}`` or ``align*``: ``A &= B \\ &= C``."""
    if not isinstance(chain, ast.Chain) or chain.kind != "=":
        return to_latex(chain, names, scope=scope)
    ctx = _context(chain, names, scope)
    first, *rest = (_latex(side, ctx).text for side in chain.sides)
    if not rest:
        return first
    return " \\\\\n".join([f"{first} &= {rest[0]}"] + [f"&= {side}" for side in rest[1:]])


def packages(latex: str) -> list[str]:
    """The LaTeX packages a printed text needs."""
    needed = ["amsmath"]
    if r"\mathbb" in latex:
        needed.append("amssymb")
    return needed


def _named(text: str) -> _Out:
    sub, sup = scripts(text)
    return _Out(text, _SCRIPT if sub or sup else _ATOM, sub=sub, sup=sup)


# -- composition ---------------------------------------------------------------------------------

def _paren(out: _Out) -> _Out:
    return _Out(r"\left(" + out.text + r"\right)", _ATOM)


def _scriptable(out: _Out, sub: bool = False, sup_ok: bool = False) -> _Out:
    """``out`` ready to take a superscript (or with ``sub``, a subscript), parenthesized if it
    cannot: ``(A^T)^T`` and ``(x_i)_j`` would stack two scripts."""
    clash = out.sub if sub else out.sup
    if sub and out.sup and not sup_ok:
        clash = True
    if out.level < _SCRIPT or out.open or clash:
        return _paren(out)
    return out


def _compatible(out: _Out, kind: str) -> bool:
    """Whether ``out`` may stand unparenthesized beside a product of ``kind``. Products of
    different kinds are parenthesized (``(A B) \\odot C``), except a product by a scalar, which
    commutes with every product."""
    if out.level not in (_OPERATOR, _JUXT):
        return True
    return out.kind == kind or "scale" in (out.kind, kind)


def _is_big(out: _Out) -> bool:
    """A big operator (``\\sum_{k} x_{k}``): it takes the rest of its term, as one factor does."""
    return out.level == _UNARY and out.open and not out.signed


def _juxtaposed(left: _Out, right: _Out, kind: str) -> _Out:
    """``left right``, a product written side by side (``kind`` "@" or "scale"). The right side
    is one factor; the left may start with a minus, which takes its first factor only (``-a b``
    reads ``(-a) b``). Where digits would run together (``2 3``) or read as a mixed number
    (``2 \\frac{1}{2}``) the product is written with ``\\cdot``, which reads the same way."""
    if left.open or left.level < _UNARY or (left.level == _UNARY and not left.signed):
        left = _paren(left)
    if right.level < _FRAC:
        right = _paren(right)
    if right.text[:1].isdigit() or (left.text[-1:].isdigit() and right.text.startswith(r"\frac")):
        return _operator(left, right, kind, r"\cdot")
    return _Out(f"{left.text} {right.text}", _JUXT, kind)


def _operator(left: _Out, right: _Out, kind: str, symbol: str) -> _Out:
    """``left symbol right`` with an explicit product operator (``\\odot``, ``\\cdot``, ``@``...):
    one level, left to right, looser than side by side and than a leading minus."""
    if left.open or left.level < _OPERATOR or not _compatible(left, kind):
        left = _paren(left)
    if right.level <= _OPERATOR or right.signed or not _compatible(right, kind):
        right = _paren(right)
    return _Out(f"{left.text} {symbol} {right.text}", _OPERATOR, kind, open=right.open)


def _subscript(items, ctx: _Context) -> str:
    """Index items as a subscript: ``mj``, or ``m,j`` when an item is longer than one letter, an
    integer or a ``:``. Items are index names, integers, ``ALL``, or (``_Raw``) printed LaTeX."""
    commas = not all(isinstance(i, str) and len(i) == 1 and i.isalpha() for i in items)
    texts = []
    for item in items:
        if item is ast.ALL:
            texts.append(":")
        elif isinstance(item, _Raw):
            texts.append(item.text)
        elif isinstance(item, str):
            texts.append(ctx.name(item))
        else:
            texts.append(str(item))
    return ("," if commas else "").join(texts)


@dataclass(frozen=True)
class _Raw:
    """A delta argument that is an expression, not an index: printed as it is."""

    text: str


# -- one rule per node ---------------------------------------------------------------------------

@singledispatch
def _latex(node, ctx: _Context) -> _Out:
    raise TypeError(f"to_latex: no rule for {type(node).__name__}")


@_latex.register
def _(node: ast.Number, ctx):
    value = node.value
    try:
        text = decimal_text(abs(value))
        level = _ATOM
    except ValueError:  # 1/3 has no decimal form
        text = rf"\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"
        level = _FRAC
    return _Out("-" + text, _UNARY) if value < 0 else _Out(text, level)


@_latex.register
def _(node: ast.Name, ctx):
    return _named(ctx.name(node.id))


@_latex.register
def _(node: ast.Neg, ctx):
    operand = _latex(node.operand, ctx)
    if not (operand.level >= _FRAC or _is_big(operand)):  # -a b reads (-a) b: one factor only
        operand = _paren(operand)
    return _Out("-" + operand.text, _UNARY, open=operand.open)


@_latex.register
def _(node: ast.Binary, ctx):
    if node.op == "**":
        return _power(node.left, node.right, ctx)
    if node.op == "/" and not ctx.is_array(node.right):
        top, bottom = _latex(node.left, ctx.alone()), _latex(node.right, ctx.alone())
        return _Out(rf"\frac{{{top.text}}}{{{bottom.text}}}", _FRAC)
    left, right = _latex(node.left, ctx.before()), _latex(node.right, ctx)
    if node.op in ("+", "-"):
        left = _paren(left) if left.open else left
        right = right if right.level > _SUM and not right.signed else _paren(right)
        return _Out(f"{left.text} {node.op} {right.text}", _SUM, open=right.open)
    if node.op == "@":
        # side by side reads as the scalar product * when a side reads as a scalar: then @ itself
        if ctx.reads_scalar(node.left) or ctx.reads_scalar(node.right):
            return _operator(left, right, "@", r"\mathbin{@}")
        return _juxtaposed(left, right, "@")
    if node.op == "*":
        # side by side or \cdot only where the reader sees the scalar too, else \odot
        if ctx.reads_scalar(node.left) and not ctx.is_array(node.left):
            return _juxtaposed(left, right, "scale")
        if ctx.reads_scalar(node.right) and not ctx.is_array(node.right):
            return _operator(left, right, "scale", r"\cdot")
        return _operator(left, right, "odot", r"\odot")
    if node.op == "/":
        return _operator(left, right, "oslash", r"\oslash")
    raise TypeError(f"to_latex: no rule for the operator {node.op!r}")


def _power(base_node: ast.Node, exponent_node: ast.Node, ctx: _Context) -> _Out:
    """``x^{2}``, or the Hadamard power ``X^{\\circ 2}`` of an array. ``^{-1}`` reads as the
    inverse unless the base reads as a scalar, so ``X ** -1`` is ``X^{\\circ -1}`` then; an
    exponent that would read as something else (``x^{(4)}`` is a label, a final ``T`` a
    transpose) is bracketed."""
    base = _power_base(base_node, ctx)
    minus_one = isinstance(exponent_node, ast.Number) and exponent_node.value == -1
    exponent = _latex(exponent_node, ctx.alone()).text
    if ctx.is_array(base_node) or (minus_one and not ctx.reads_scalar(base_node)):
        exponent = r"\circ " + exponent
    elif exponent.startswith(r"\left(") or _ENDS_IN_T.search(exponent):
        exponent = r"\left[" + exponent + r"\right]"
    return _Out(f"{base.text}^{{{exponent}}}", _SCRIPT, sup=True, sub=base.sub)


def _power_base(node: ast.Node, ctx: _Context) -> _Out:
    """``node`` ready for an exponent; a variable e is parenthesized (``e^{x}`` is exp(x))."""
    base = _latex(node, ctx.alone())
    return _scriptable(_paren(base) if base.text == "e" else base)


_ENDS_IN_T = re.compile(r"(?<![\\\w])T$")


@_latex.register
def _(node: ast.Transpose, ctx):
    operand = node.operand
    if (isinstance(operand, ast.Call) and canonical_function(operand.func) == "inv"
            and len(operand.args) == 1 and not operand.kwargs and not operand.prime):
        inner = _scriptable(_latex(operand.args[0], ctx.alone()))
        return _Out(inner.text + r"^{-\top}", _SCRIPT, sup=True, sub=inner.sub)
    inner = _scriptable(_latex(operand, ctx.alone()))
    return _Out(inner.text + r"^{\top}", _SCRIPT, sup=True, sub=inner.sub)


@_latex.register
def _(node: ast.Index, ctx):
    if isinstance(node.operand, ast.Derivative):
        entry = _derivative_entry(node.operand, node.items, ctx)
        if entry is not None:
            return entry
    # W^{(1)}_{ij} is usual for a name; (A^T)_{ij} is written with parentheses
    operand = _scriptable(_latex(node.operand, ctx.alone()), sub=True, sup_ok=isinstance(node.operand, ast.Name))
    subscript = "_{" + _subscript(node.items, ctx) + "}"
    # x_{2} is the variable x_2 if there is one, \|x\|_{2} the 2-norm: (x)_{2}, (\|x\|)_{2}
    if latex_key(operand.text + subscript) in ctx.spellings or operand.text.endswith(r"\rVert"):
        operand = _paren(operand)
    return _Out(operand.text + subscript, _SCRIPT, sub=True, sup=operand.sup)


def _derivative_text(of: ast.Node, wrt: ast.Node, ctx: _Context, order: int = 1) -> str:
    ctx = ctx.alone()
    top = _latex(of, ctx)
    if top.level < _SCRIPT or top.open:
        top = _paren(top)
    mark = "" if order == 1 else f"^{order}"
    below = _latex(wrt, ctx)
    if order > 1:  # ∂(W^{(1)})^2: a name with a superscript of its own takes the order outside parentheses
        below = _scriptable(below)
    return rf"\frac{{\partial{mark} {top.text}}}{{\partial {below.text}{mark}}}"


def _derivative_entry(node: ast.Derivative, items, ctx: _Context) -> _Out | None:
    """Entry ``items`` of the gradient of a scalar as one partial derivative, ∂J/∂W_ij; None for
    other derivatives. (∂Y_ij/∂t and ∂y_i/∂x_j are the claims dY[i,j]/dt and dy[i]/dx[j],
    trees of their own: the entry of such a derivative keeps its parentheses.)"""
    if not ctx.is_scalar(node.of):
        return None
    return _Out(_derivative_text(node.of, ast.Index(ast.Name(node.wrt), items), ctx), _FRAC)


@_latex.register
def _(node: ast.Derivative, ctx):
    if isinstance(node.of, ast.Derivative) and node.of.wrt == node.wrt:  # the Hessian, as it is written
        return _Out(_derivative_text(node.of.of, ast.Name(node.wrt), ctx, order=2), _FRAC)
    return _Out(_derivative_text(node.of, ast.Name(node.wrt), ctx), _FRAC)


@_latex.register
def _(node: ast.IndexSum, ctx):
    body = _latex(node.body, ctx.alone())
    if not (body.level >= _JUXT or _is_big(body)) or body.signed:  # \odot would end the body
        body = _paren(body)
    indices = ",".join(ctx.name(i) for i in node.indices)
    return _big_operator(rf"\sum_{{{indices}}} {body.text}", ctx)


def _big_operator(text: str, ctx: _Context) -> _Out:
    """An operator that extends over everything after it, closed when something follows."""
    out = _Out(text, _UNARY, open=True)
    return _paren(out) if ctx.followed else out


# -- calls ---------------------------------------------------------------------------------------

_HEAD = re.compile(r"(\\[A-Za-z]+(?:\{\{[^{}]*\}\})?)\\left\(")


LATEX_OUT_RULES = engine_rules("latex printer")


@_latex.register
def _(node: ast.Call, ctx):
    name = canonical_function(node.func)
    rule = LATEX_OUT_RULES.get(name)
    return rule(node, name, ctx) if rule is not None else _generic_call(node, name, ctx)


@LATEX_OUT_RULES.register(*ELEMENTWISE)
def _elementwise(node: ast.Call, name: str, ctx: _Context) -> _Out:
    """``\\sigma'\\left(x\\right)``: the row's template, primed after its command."""
    if len(node.args) != 1 or node.kwargs:
        return _generic_call(node, name, ctx)
    template = PRIMITIVES[name].latex
    if node.prime and not _HEAD.match(template):  # no name in \sqrt{x} to prime
        return _generic_call(node, name, ctx)
    return _template(template, node.args, node.prime, ctx)


def _when_it_fits(rule):
    """A matrix function's rule, used when the call has the row's arity and no keyword or prime;
    any other call prints as written, ``f(a, key=b)``."""

    def fitting(node: ast.Call, name: str, ctx: _Context) -> _Out:
        spec = PRIMITIVES[name]
        if node.args and not node.kwargs and not node.prime and spec.min_args <= len(node.args) <= spec.max_args:
            return rule(node.args, ctx, spec)
        return _generic_call(node, name, ctx)

    return fitting


@LATEX_OUT_RULES.register("trace", "det", "vec", "diag", "outer", "softmax", "norm")
@_when_it_fits
def _templated(args, ctx: _Context, spec) -> _Out:
    return _template(spec.latex, args, 0, ctx)


@LATEX_OUT_RULES.register("sum")
def _sum(node: ast.Call, name: str, ctx: _Context) -> _Out:
    """``\\sum X``; with an axis, the product with a ones vector that writes it."""
    if len(node.args) == 1 and not node.prime and len(node.kwargs) == 1 and node.kwargs[0][0] == "axis":
        axis = node.kwargs[0][1]
        if isinstance(axis, ast.Number) and axis.value in (0, 1):
            return _sum_axis(node.args[0], int(axis.value), ctx)
    return _templated(node, name, ctx)


def _template(template: str, args, prime: int, ctx: _Context) -> _Out:
    """A call printed with its primitive's LaTeX template (primed after the template's command,
    ``\\sigma'\\left(x\\right)``). A slot inside the template's own delimiters
    (``\\exp\\left({0}\\right)``, ``\\sqrt{{{0}}}``) takes any argument as it is; a bare slot
    (``\\sum {0}``) is treated like a big operator."""
    printed = [_latex(a, ctx.alone()) for a in args]
    if prime:
        head = _HEAD.match(template)[1]
        template = head + "'" * prime + template[len(head):]
    if _delimited(template, len(args)):
        return _named(template.format(*(p.text for p in printed)))
    parts = [p if p.level >= _SCRIPT and not p.open else _paren(p) for p in printed]
    return _big_operator(template.format(*(p.text for p in parts)), ctx)


def _delimited(template: str, arity: int) -> bool:
    """Whether every slot of ``template`` sits inside braces or a ``\\left``…``\\right`` pair."""
    marked = template.format(*["\x00"] * arity)
    return all(depth > 0 for token, depth in tokens(marked) if token == "\x00")


def _function_head(name: str, func: str, ctx: _Context) -> str:
    """How a function's name prints in ``f(x)``: its template's command, a mapped or one-letter
    or Greek name, else ``\\operatorname{name}``."""
    template = PRIMITIVES.get(name)
    if template is not None:
        head = _HEAD.match(template.latex)
        if head:
            return head[1].replace("{{", "{").replace("}}", "}")
    if func in ctx.names:
        return ctx.names[func]
    if len(func) == 1 or func in GREEK:
        return default_name(func)
    return r"\operatorname{" + func.replace("_", r"\_") + "}"


def _generic_call(node: ast.Call, name: str, ctx: _Context) -> _Out:
    """``f'(a, key=b)``: an undefined function, or a built-in used with other arguments."""
    inner = ctx.alone()
    args = [_latex(a, inner).text for a in node.args]
    args += [r"\mathrm{" + key.replace("_", r"\_") + "}=" + _latex(v, inner).text for key, v in node.kwargs]
    head = _function_head(name, node.func, ctx) + "'" * node.prime
    return _Out(head + r"\left(" + (", ".join(args) or r"\cdot") + r"\right)", _ATOM)


@LATEX_OUT_RULES.register("inv")
@_when_it_fits
def _inv(args, ctx, spec):
    """``X^{-1}``; the inverse of what reads as a scalar is ``\\operatorname{inv}(s)``, since
    ``s^{-1}`` reads as the power."""
    if ctx.reads_scalar(args[0]):
        return _generic_call(ast.Call("inv", args), "inv", ctx)
    inner = _power_base(args[0], ctx)
    return _Out(inner.text + "^{-1}", _SCRIPT, sup=True, sub=inner.sub)


@LATEX_OUT_RULES.register("kron")
@_when_it_fits
def _kron(args, ctx, spec):
    return _operator(_latex(args[0], ctx.before()), _latex(args[1], ctx), "kron", r"\otimes")


@LATEX_OUT_RULES.register("ones", "zeros", "eye")
@_when_it_fits
def _sized(args, ctx, spec):
    """``ones(m, n)`` → ``\\mathbf{1}_{m \\times n}``: the sizes fill the template's one slot."""
    sizes = r" \times ".join(_latex(a, ctx.alone()).text for a in args)
    return _named(spec.latex.format(sizes))


@LATEX_OUT_RULES.register("delta")
@_when_it_fits
def _delta(args, ctx, spec):
    """``delta(n, i)`` → ``\\delta_{ni}``, its arguments written as indices."""
    items = []
    for arg in args:
        if isinstance(arg, ast.Name):
            items.append(arg.id)
        elif isinstance(arg, ast.Number) and arg.value.denominator == 1 and arg.value > 0:
            items.append(int(arg.value))
        else:
            items.append(_Raw(_latex(arg, ctx.alone()).text))
    return _named(spec.latex.format(_subscript(items, ctx), ""))


def _sum_axis(arg: ast.Node, axis: int, ctx: _Context) -> _Out:
    """``sum(A, axis=0)`` → ``\\mathbf{1}^{\\top} A`` (a row of column sums); ``axis=1`` →
    ``A \\mathbf{1}``. The ones vector has no size: with one (``\\mathbf{1}_{S}``) it is the
    claim ``ones(S)``. It takes one factor beside it, as the reader does."""
    operand = _latex(arg, ctx if axis == 0 else ctx.before())
    if operand.level < _FRAC:
        operand = _paren(operand)
    text = r"\mathbf{1}^{\top} " + operand.text if axis == 0 else operand.text + r" \mathbf{1}"
    return _Out(text, _JUXT, "@")
