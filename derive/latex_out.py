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
superscripts or two subscripts (a TeX error, as in ``A^{\top}^{\top}``); and parentheses are the
fewest that leave one reading. Where the usual notation is open to two readings, the printer
adds parentheses: a juxtaposed matrix product is never mixed with ``\odot`` or ``\otimes``
without them (``\left(A B\right) \odot C``), a minus sign never follows an operator
(``a - \left(-b\right)``), and a big operator (``\sum_{k}``, which extends over what follows) is
parenthesized before anything that follows it.

Some notation depends on shapes, which a bare tree does not carry. Given the problem's
``scope`` (``Problem.claim_scope(chain)``), the printer writes:

* ``\frac{A}{s}`` for division by a scalar, and ``A \oslash B`` for elementwise division by a
  matrix (without a scope every division is a ``\frac``);
* ``s A`` (or ``A \cdot s``) for a product by a scalar, rather than ``\odot`` (without a scope
  only a number literal is known to be a scalar);
* ``A^{\circ 2}`` (Hadamard power) for an elementwise power of a non-scalar;
* ``\frac{\partial J}{\partial W_{ij}}`` for entry (i, j) of a gradient, ``\frac{\partial
  Y_{ij}}{\partial t}`` for an elementwise derivative and ``\frac{\partial y_{i}}{\partial
  x_{j}}`` for a Jacobian entry (in the problem's layout). Without a scope the entry of a
  derivative by a name is written ``\left(\frac{\partial y}{\partial x}\right)_{ij}``, which is
  right whatever the shapes.

Packages: everything is amsmath except ``\mathbb`` (the ``step`` template: amssymb) and
``\oslash`` is in LaTeX's own symbol font; ``packages(text)`` lists what a printed text needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import singledispatch

from . import ast
from .errors import DeriveError
from .primitives import ELEMENTWISE, MATRIX_FUNCTIONS, canonical_function
from .shapes import SCALAR, Scope, Shape, infer, is_vector
from .text import decimal_text

__all__ = ["default_name", "packages", "to_latex", "to_latex_aligned"]

# Binding strength of a printed piece, loosest first. _FRAC is a \frac: self-delimited, so it
# needs no parentheses as an operand, but it cannot take a superscript. _SCRIPT carries a
# superscript or subscript already; _ATOM can take either.
_SUM, _PRODUCT, _UNARY, _FRAC, _SCRIPT, _ATOM = range(1, 7)


@dataclass(frozen=True)
class _Out:
    """A printed piece and what it allows next to it."""

    text: str
    level: int
    kind: str = ""  # for _PRODUCT: "@" (juxtaposed), "scale", "odot", "oslash", "kron"
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
                self.shapes[node] = infer(node, replace(self.scope, index_ranges={}))
            except (DeriveError, RecursionError):
                self.shapes[node] = None
        return self.shapes[node]

    def is_scalar(self, node: ast.Node) -> bool:
        shape = self.shape(node)
        return _known_scalar(node) if shape is None else shape == SCALAR

    def is_array(self, node: ast.Node) -> bool:
        """Known not to be a scalar."""
        shape = self.shape(node)
        return shape is not None and shape != SCALAR


_SCALAR_FUNCTIONS = {"trace", "det", "norm", "delta"}


def _known_scalar(node: ast.Node) -> bool:
    """Scalar whatever the shapes of its names: a number, an entry ``X[i,j]``, ``trace(A)``, and
    elementwise arithmetic of these."""
    if isinstance(node, ast.Number):
        return True
    if isinstance(node, ast.Index):
        return ast.ALL not in node.items
    if isinstance(node, ast.Call):
        name = canonical_function(node.func)
        if name in _SCALAR_FUNCTIONS or (name == "sum" and not node.kwargs):
            return True
        return name not in MATRIX_FUNCTIONS and bool(node.args) and all(map(_known_scalar, node.args))
    if isinstance(node, (ast.Neg, ast.Transpose, ast.IndexSum)):
        return _known_scalar(ast.children(node)[0])
    if isinstance(node, ast.Binary):
        return _known_scalar(node.left) and _known_scalar(node.right)
    return False


def to_latex(node, names: Mapping[str, str] | None = None, *, scope: Scope | None = None) -> str:
    r"""The LaTeX of an expression or chain (math mode, amsmath).

    ``names`` maps variable (and index) names to LaTeX, e.g. ``{"W1": "W^{(1)}"}``; other names
    follow ``default_name``. ``scope`` (a problem's ``claim_scope``) gives shapes, for the
    notation that depends on them (see the module docstring).
    """
    ctx = _Context(names or {}, scope)
    if isinstance(node, ast.Chain):
        return " = ".join(_latex(side, ctx).text for side in node.sides)
    return _latex(node, ctx).text


def to_latex_aligned(chain, names: Mapping[str, str] | None = None, *, scope: Scope | None = None) -> str:
    r"""A chain as rows for ``\begin{aligned}`` or ``align*``: ``A &= B \\ &= C``."""
    if not isinstance(chain, ast.Chain):
        return to_latex(chain, names, scope=scope)
    ctx = _Context(names or {}, scope)
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


# -- names ---------------------------------------------------------------------------------------

_GREEK_WORDS = [
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "varpi", "rho", "varrho", "sigma",
    "varsigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
]
_GREEK_LETTERS = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta", "η": "eta",
    "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi",
    "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "χ": "chi",
    "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi",
    "Π": "Pi", "Σ": "Sigma", "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
    "lam": "lambda", "eps": "epsilon", "ℓ": "ell",
}
_GREEK = {word: "\\" + word for word in _GREEK_WORDS}
_GREEK.update({name: "\\" + word for name, word in _GREEK_LETTERS.items()})
_TRAILING_DIGITS = re.compile(r"([^\W\d_]+)(\d+)")


def default_name(name: str) -> str:
    r"""A name's LaTeX: ``W1`` → ``W_{1}``, ``x_2`` → ``x_{2}``, ``alpha`` and ``α`` → ``\alpha``,
    ``lam`` → ``\lambda``, a one-letter name as it is, a longer one → ``\mathrm{name}``."""
    if name in _GREEK:
        return _GREEK[name]
    if name.isdigit():
        return name
    head, underscore, tail = name.partition("_")
    if underscore and head and tail:
        return f"{default_name(head)}_{{{default_name(tail)}}}"
    match = _TRAILING_DIGITS.fullmatch(name)
    if match:
        return f"{default_name(match[1])}_{{{match[2]}}}"
    if len(name) == 1 and name.isascii() and name.isalpha():
        return name
    if name.isascii():
        return r"\mathrm{" + name.replace("_", r"\_") + "}"
    return r"\text{" + name.replace("_", r"\_") + "}"


_TOKEN = re.compile(r"\\(?:left|right)(?![A-Za-z])(?:\\[A-Za-z]+|\\.|.)|\\[A-Za-z]+|\\.|.", re.DOTALL)


def _tokens(text: str):
    """``(token, depth)`` pairs: TeX tokens with their depth in braces and ``\\left``…``\\right``
    pairs (an opening token has the depth outside it)."""
    depth = 0
    for token in _TOKEN.findall(text):
        if token == "}" or token.startswith(r"\right"):
            depth -= 1
            yield token, depth
            continue
        yield token, depth
        if token == "{" or token.startswith(r"\left"):
            depth += 1


def _scripts(text: str) -> tuple[bool, bool]:
    """Whether ``text`` ends in a subscript, a superscript: what a further script would clash
    with. ``\\mathbf{1}_{n}`` ends in a subscript; ``h'\\left(X\\right)`` ends in a delimiter,
    which takes scripts of its own."""
    sub = sup = argument = False  # argument: the next token is a script's argument
    for token, depth in _tokens(text):
        if depth > 0 or token.isspace() or token == "}" or token.startswith(r"\right"):
            continue
        if token in ("_", "^"):
            sub, sup, argument = sub or token == "_", sup or token == "^", True
        elif token == "'":
            sup = True
        elif argument:
            argument = False
        else:
            sub = sup = False
    return sub, sup


def _named(text: str) -> _Out:
    sub, sup = _scripts(text)
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


def _fits_left(out: _Out, kind: str) -> bool:
    """Whether ``out`` reads unchanged as the left operand of a product of ``kind``. Products
    of different kinds are parenthesized (``(A B) \\odot C``), except a product by a scalar,
    which commutes with every product."""
    if out.open or out.level < _PRODUCT:
        return False
    if out.level > _PRODUCT:
        return True
    return out.kind == kind or "scale" in (out.kind, kind)


def _fits_right(out: _Out, level: int) -> bool:
    """Whether ``out`` reads unchanged as the right operand of an operator at ``level`` (the
    operators are left-associative; a leading minus after an operator is always parenthesized)."""
    return out.level > level and not out.signed


def _juxtapose(left: str, right: str) -> str:
    """Matrix product by juxtaposition, with ``\\cdot`` where digits would run together
    (``2 3``, ``x 2``) or read as a mixed number (``2 \\frac{1}{2}``)."""
    if right[:1].isdigit() or (left[-1:].isdigit() and right.startswith(r"\frac")):
        return r" \cdot "
    return " "


def _product(left: _Out, right: _Out, kind: str, operator: str | None) -> _Out:
    """``left operator right`` at product level; ``operator`` None means juxtaposition."""
    left = left if _fits_left(left, kind) else _paren(left)
    right = right if _fits_right(right, _PRODUCT) else _paren(right)
    between = _juxtapose(left.text, right.text) if operator is None else f" {operator} "
    return _Out(left.text + between + right.text, _PRODUCT, kind, open=right.open)


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
    if operand.level < _UNARY or operand.signed:
        operand = _paren(operand)
    return _Out("-" + operand.text, _UNARY, open=operand.open)


@_latex.register
def _(node: ast.Binary, ctx):
    if node.op == "**":
        base = _scriptable(_latex(node.left, ctx.alone()))
        hadamard = r"\circ " if ctx.is_array(node.left) else ""
        exponent = _latex(node.right, ctx.alone()).text
        return _Out(f"{base.text}^{{{hadamard}{exponent}}}", _SCRIPT, sup=True, sub=base.sub)
    if node.op == "/" and not ctx.is_array(node.right):
        top, bottom = _latex(node.left, ctx.alone()), _latex(node.right, ctx.alone())
        return _Out(rf"\frac{{{top.text}}}{{{bottom.text}}}", _FRAC)
    left, right = _latex(node.left, ctx.before()), _latex(node.right, ctx)
    if node.op in ("+", "-"):
        left = _paren(left) if left.open else left
        right = right if _fits_right(right, _SUM) else _paren(right)
        return _Out(f"{left.text} {node.op} {right.text}", _SUM, open=right.open)
    if node.op == "@":
        return _product(left, right, "@", None)
    if node.op == "*":
        if ctx.is_scalar(node.left):
            return _product(left, right, "scale", None)
        if ctx.is_scalar(node.right):
            return _product(left, right, "scale", r"\cdot")
        return _product(left, right, "odot", r"\odot")
    if node.op == "/":
        return _product(left, right, "oslash", r"\oslash")
    raise TypeError(f"to_latex: no rule for the operator {node.op!r}")


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
    return _Out(f"{operand.text}_{{{_subscript(node.items, ctx)}}}", _SCRIPT, sub=True, sup=operand.sup)


def _derivative_text(of: ast.Node, wrt: ast.Node, ctx: _Context) -> str:
    ctx = ctx.alone()
    top = _latex(of, ctx)
    if top.level < _SCRIPT or top.open:
        top = _paren(top)
    return rf"\frac{{\partial {top.text}}}{{\partial {_latex(wrt, ctx).text}}}"


def _derivative_entry(node: ast.Derivative, items, ctx: _Context) -> _Out | None:
    """Entry ``items`` of a derivative as one partial derivative of entries, when the shapes say
    which entries: the gradient of a scalar (∂J/∂W_ij), the elementwise derivative by a scalar
    (∂Y_ij/∂t), or a Jacobian entry (∂y_i/∂x_j in numerator layout). None when unknown."""
    of, wrt = node.of, ast.Name(node.wrt)
    if ctx.is_scalar(of):
        return _Out(_derivative_text(of, ast.Index(wrt, items), ctx), _FRAC)
    if ctx.is_scalar(wrt):
        return _Out(_derivative_text(ast.Index(of, items), wrt, ctx), _FRAC)
    of_shape, wrt_shape = ctx.shape(of), ctx.shape(wrt)
    if (of_shape and wrt_shape and is_vector(of_shape) and is_vector(wrt_shape)
            and len(items) == 2 and ast.ALL not in items):
        first, second = items if ctx.scope.layout == "numerator" else items[::-1]
        return _Out(_derivative_text(ast.Index(of, (first,)), ast.Index(wrt, (second,)), ctx), _FRAC)
    return None


@_latex.register
def _(node: ast.Derivative, ctx):
    return _Out(_derivative_text(node.of, ast.Name(node.wrt), ctx), _FRAC)


@_latex.register
def _(node: ast.IndexSum, ctx):
    body = _latex(node.body, ctx.alone())
    if body.level < _PRODUCT or body.signed:
        body = _paren(body)
    indices = ",".join(ctx.name(i) for i in node.indices)
    return _big_operator(rf"\sum_{{{indices}}} {body.text}", ctx)


def _big_operator(text: str, ctx: _Context) -> _Out:
    """An operator that extends over everything after it, closed when something follows."""
    out = _Out(text, _UNARY, open=True)
    return _paren(out) if ctx.followed else out


# -- calls ---------------------------------------------------------------------------------------

_HEAD = re.compile(r"(\\[A-Za-z]+(?:\{\{[^{}]*\}\})?)\\left\(")


@_latex.register
def _(node: ast.Call, ctx):
    name = canonical_function(node.func)
    if node.args and not node.kwargs:
        if name in ELEMENTWISE and len(node.args) == 1:
            return _template(ELEMENTWISE[name].latex, node.args, node.prime, ctx)
        spec = MATRIX_FUNCTIONS.get(name)
        if spec and not node.prime and spec.min_args <= len(node.args) <= spec.max_args:
            special = _SPECIAL.get(name)
            return special(node.args, ctx) if special else _template(spec.latex, node.args, 0, ctx)
    if (name == "sum" and len(node.args) == 1 and not node.prime
            and len(node.kwargs) == 1 and node.kwargs[0][0] == "axis"):
        axis = node.kwargs[0][1]
        if isinstance(axis, ast.Number) and axis.value in (0, 1):
            return _sum_axis(node.args[0], int(axis.value), ctx)
    return _generic_call(node, name, ctx)


def _template(template: str, args, prime: int, ctx: _Context) -> _Out:
    """A call printed with its primitive's LaTeX template. A slot inside the template's own
    delimiters (``\\exp\\left({0}\\right)``, ``\\sqrt{{{0}}}``) takes any argument as it is; a
    bare slot (``\\sum {0}``) is treated like a big operator."""
    printed = [_latex(a, ctx.alone()) for a in args]
    if prime:
        head = _HEAD.match(template)
        if head is None:  # no function name to prime: (\sqrt{\cdot})'(x)
            shape = template.format(*[r"\cdot"] * len(args)).replace("{", "{{").replace("}", "}}")
            template = r"\left(" + shape + r"\right)" + "'" * prime + r"\left({0}\right)"
        else:
            template = head[1] + "'" * prime + template[len(head[1]):]
    if _delimited(template, len(args)):
        return _named(template.format(*(p.text for p in printed)))
    parts = [p if p.level >= _SCRIPT and not p.open else _paren(p) for p in printed]
    return _big_operator(template.format(*(p.text for p in parts)), ctx)


def _delimited(template: str, arity: int) -> bool:
    """Whether every slot of ``template`` sits inside braces or a ``\\left``…``\\right`` pair."""
    marked = template.format(*["\x00"] * arity)
    return all(depth > 0 for token, depth in _tokens(marked) if token == "\x00")


def _function_head(name: str, func: str, ctx: _Context) -> str:
    """How a function's name prints in ``f(x)``: its template's command, a mapped or one-letter
    or Greek name, else ``\\operatorname{name}``."""
    template = (ELEMENTWISE.get(name) or MATRIX_FUNCTIONS.get(name))
    if template is not None:
        head = _HEAD.match(template.latex)
        if head:
            return head[1].replace("{{", "{").replace("}}", "}")
    if func in ctx.names:
        return ctx.names[func]
    if len(func) == 1 or func in _GREEK:
        return default_name(func)
    return r"\operatorname{" + func.replace("_", r"\_") + "}"


def _generic_call(node: ast.Call, name: str, ctx: _Context) -> _Out:
    """``f'(a, key=b)``: an undefined function, or a built-in used with other arguments."""
    inner = ctx.alone()
    args = [_latex(a, inner).text for a in node.args]
    args += [r"\mathrm{" + key.replace("_", r"\_") + "}=" + _latex(v, inner).text for key, v in node.kwargs]
    head = _function_head(name, node.func, ctx) + "'" * node.prime
    return _Out(head + r"\left(" + (", ".join(args) or r"\cdot") + r"\right)", _ATOM)


def _inv(args, ctx):
    inner = _scriptable(_latex(args[0], ctx.alone()))
    return _Out(inner.text + "^{-1}", _SCRIPT, sup=True, sub=inner.sub)


def _kron(args, ctx):
    return _product(_latex(args[0], ctx.before()), _latex(args[1], ctx), "kron", r"\otimes")


def _outer(args, ctx):
    return _latex(ast.Binary("@", args[0], ast.Transpose(args[1])), ctx)


def _sized(name):
    """``ones(m, n)`` → ``\\mathbf{1}_{m \\times n}``: the sizes fill the template's one slot."""
    def rule(args, ctx):
        sizes = r" \times ".join(_latex(a, ctx.alone()).text for a in args)
        return _named(MATRIX_FUNCTIONS[name].latex.format(sizes))
    return rule


def _delta(args, ctx):
    """``delta(n, i)`` → ``\\delta_{ni}``, its arguments written as indices."""
    items = []
    for arg in args:
        if isinstance(arg, ast.Name):
            items.append(arg.id)
        elif isinstance(arg, ast.Number) and arg.value.denominator == 1 and arg.value > 0:
            items.append(int(arg.value))
        else:
            items.append(_Raw(_latex(arg, ctx.alone()).text))
    return _named(MATRIX_FUNCTIONS["delta"].latex.format(_subscript(items, ctx), ""))


def _sum_axis(arg: ast.Node, axis: int, ctx: _Context) -> _Out:
    """``sum(A, axis=0)`` → ``\\mathbf{1}^{\\top} A`` (a row of column sums); ``axis=1`` →
    ``A \\mathbf{1}``. With a scope the ones vector carries its size."""
    shape = ctx.shape(arg)
    size = ""
    if shape is not None:
        dim = shape[0] if axis == 0 else shape[1]
        if dim.is_Integer or dim.is_Symbol:
            size = "_{" + (str(dim) if dim.is_Integer else ctx.name(str(dim))) + "}"
    ones = _Out(r"\mathbf{1}" + size, _SCRIPT if size else _ATOM, sub=bool(size))
    if axis == 0:
        row = _Out(ones.text + r"^{\top}", _SCRIPT, sup=True, sub=ones.sub)
        return _product(row, _latex(arg, ctx), "@", None)
    return _product(_latex(arg, ctx.before()), ones, "@", None)


_SPECIAL = {
    "inv": _inv,
    "kron": _kron,
    "outer": _outer,
    "ones": _sized("ones"),
    "zeros": _sized("zeros"),
    "eye": _sized("eye"),
    "delta": _delta,
}
