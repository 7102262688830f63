"""LaTeX as students write it, to the same derive.ast trees as the claim language.

The grammar file ``latex.lark`` defines what is accepted; this module loads it (LALR, linear in
the length of the text) and maps each alias to AST nodes. ``parse_latex_expr`` and
``parse_latex_claim`` return exactly what ``parser.parse_expr`` and ``parser.parse_claim`` return
for the equivalent claim-language text. Nothing here evaluates the text: no ``eval``, no SymPy
parser; the size limits of ``parser`` apply.

LaTeX leaves some readings to context, and the module decides them by stated rules (the full list
is docs/latex.md):

* a product written by juxtaposition, ``\\cdot`` or ``\\times`` is the matrix product ``@``, or the
  scalar product ``*`` when one side is known to be a scalar (a number, an entry ``X_{mn}``, a
  Kronecker delta, a trace, a name in ``scalars``...): derive's ``@`` demands matching inner
  sizes, so ``2 W`` must become ``2 * W``;
* ``X_{mj}`` is the entry (m, j): each letter of a subscript is one index, a run of digits one
  integer; ``x^{(4)}`` is the name ``x4`` (a label, not a power);
* ``names`` maps LaTeX spellings to variable names (``{"W^{(1)}": "W1", "x_{N-1}": "xNm1"}``) and
  wins over every rule above; ``functions`` names the undefined functions (``h``) that a
  parenthesis after them applies.

Readings that cannot be settled stay intermediate objects (``_Juxt``, ``_Mark``...) while the
tree is built bottom-up, so that a fraction can see that its numerator starts with ``\\partial``,
and are turned into AST nodes by ``_node`` as soon as a parent needs one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache
from importlib import resources

import lark

from . import ast

from .. import limits
from ..errors import ParseError, TooLarge
from .parser import Reading, check_limits, transform_checked

# LaTeX function spellings (the FUNC terminal of latex.lark) → claim-language function names.
FUNCTIONS = {
    "sigma": "sigmoid", "sigmoid": "sigmoid", "exp": "exp", "log": "log", "ln": "log",
    "tanh": "tanh", "sin": "sin", "cos": "cos", "det": "det", "tr": "trace", "Tr": "trace",
    "trace": "trace", "diag": "diag", "vec": "vec", "softmax": "softmax", "ReLU": "relu",
    "relu": "relu", "sqrt": "sqrt", "kron": "kron", "norm": "norm", "outer": "outer", "inv": "inv",
    "step": "step",
}
# Claim functions whose value is a scalar whatever the argument, and those whose value is an
# array even of scalars (every other function, elementwise or undefined, keeps a scalar scalar).
_SCALAR_VALUED = {"trace", "det", "norm", "delta"}
_ARRAY_VALUED = {"kron", "vec", "diag", "outer", "ones", "eye", "zeros", "softmax"}
_GREEK_ALIASES = {"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi"}
_TRANSPOSE_LETTERS = {"T"}
_NORM_SUBSCRIPTS = {2, "F"}

_PRODUCT_OPS = {
    r"\cdot": "product", r"\times": "product", "@": "@", "*": "*", r"\odot": "*", r"\circ": "*",
    r"\oslash": "/", "/": "/", r"\otimes": "kron", r"\bigotimes": "kron", r"\mathbin{@}": "@",
}

_BAR = re.compile(r"(\\(?:left|right)\s*)?(?<!\\)(\\\||\\Vert(?![A-Za-z]))")
_COMMAND = re.compile(r"\\(?:[A-Za-z]+|.)")
_SCRIPT_BRACES = re.compile(r"([_^])\{([A-Za-z0-9])\}")
# An accent or a calligraphic font on a letter: what it adds to the name (\hat{y} is yhat)
_ACCENTS = {"hat": "hat", "widehat": "hat", "tilde": "tilde", "widetilde": "tilde", "bar": "bar",
            "overline": "bar", "check": "check", "breve": "breve", "dot": "dot", "ddot": "ddot",
            "acute": "acute", "grave": "grave", "mathcal": "", "mathscr": "", "mathfrak": ""}
_ACCENT = re.compile(r"\\(?P<accent>[A-Za-z]+)\s*\{?\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{)?\s*\\?"
                     r"(?P<inner>[A-Za-z][A-Za-z0-9]*)\s*\}?\s*\}?")
_ACCENT_KEY = re.compile(r"(\\(?:" + "|".join(_ACCENTS) + r"))\s*([A-Za-z]|\\[A-Za-z]+)(?![A-Za-z])")


@lru_cache(maxsize=1)
def _parser() -> lark.Lark:
    grammar = resources.files("derive.language").joinpath("latex.lark").read_text(encoding="utf-8")
    return lark.Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True)


# -- readings not yet settled ------------------------------------------------------------------


@dataclass(frozen=True)
class _Mark:
    """``\\partial`` or a bare ``d``: the start of a derivative, or (for ``d``) the name d."""

    kind: str  # "∂" or "d"
    span: ast.Span


@dataclass(frozen=True)
class _Juxt:
    """Factors written side by side; ``_MINUS`` in front negates the first."""

    factors: tuple


@dataclass(frozen=True)
class _Group:
    """``(a)`` or ``(a, b)``: a parenthesis, kept to tell a call or a label ``x^{(4)}``."""

    items: tuple[ast.Node, ...]
    span: ast.Span


@dataclass(frozen=True)
class _Args:
    """A brace with commas, ``_{m,n}``."""

    items: tuple
    span: ast.Span


@dataclass(frozen=True)
class _Bound:
    """``_{r=1}`` under a sum: the index r (the bound is ignored)."""

    index: str
    span: ast.Span


@dataclass(frozen=True)
class _Op:
    """``\\frac{\\partial}{\\partial X_{ij}}``: differentiates what follows it in the term;
    ``\\nabla_W`` (``one``) differentiates the one factor after it, as ``\\log`` takes one."""

    wrt: str
    items: tuple
    span: ast.Span
    one: bool = False


@dataclass(frozen=True)
class _Marker:
    """A token that only means something in one place: ``\\top``, ``:``, ``\\mathbf{1}``, ``h'``."""

    kind: str
    span: ast.Span
    name: str = ""
    primes: int = 0


_MINUS = _Marker("minus", None)


def reads_as_scalar(node: ast.Node, scalars: Iterable[str] = frozenset()) -> bool:
    """Whether the reader takes ``node`` for a scalar, whatever the problem, given the names
    known to be scalars: the rule that makes a product written side by side ``*`` rather than
    ``@``. ``latex_out`` prints by the same rule, so that what it prints reads back as it was.

    Scalars: numbers; entries (an index without ``:``); the names in ``scalars``; trace, det,
    norm, delta and a sum of all entries; an elementwise or undefined function, ``inv``, a
    transpose or a negation of scalars; a power of a scalar; ``\\frac{c}{S}`` with c a scalar and
    S a name; sums and products of scalars; a derivative of a scalar by a name in ``scalars``.
    """
    if isinstance(node, ast.Number):
        return True
    if isinstance(node, ast.Name):
        return node.id in scalars
    if isinstance(node, ast.Index):
        return all(item is not ast.ALL for item in node.items)
    if isinstance(node, ast.Call):
        if node.func in _SCALAR_VALUED or node.func == "sum":
            return not node.kwargs  # sum(A, axis=0) is a row
        return node.func not in _ARRAY_VALUED and bool(node.args) \
            and all(reads_as_scalar(a, scalars) for a in node.args)
    if isinstance(node, (ast.Neg, ast.Transpose)):
        return reads_as_scalar(node.operand, scalars)
    if isinstance(node, ast.Derivative):
        return node.wrt in scalars and reads_as_scalar(node.of, scalars)
    if isinstance(node, ast.IndexSum):
        return reads_as_scalar(node.body, scalars)
    if node.op == "**" or (node.op == "/" and isinstance(node.right, ast.Name)):  # \frac{1}{S}
        return reads_as_scalar(node.left, scalars)
    return reads_as_scalar(node.left, scalars) and reads_as_scalar(node.right, scalars)


def _span(meta_or_token) -> ast.Span:
    start = getattr(meta_or_token, "start_pos", None)
    end = getattr(meta_or_token, "end_pos", None)
    return None if start is None else (start, end)


def latex_key(latex: str) -> str:
    """A LaTeX spelling as ``names`` keys are compared: no spaces, ``_{2}`` the same as ``_2``,
    ``\\hat y`` the same as ``\\hat{y}``."""
    return _SCRIPT_BRACES.sub(r"\1\2", re.sub(r"\s+", "", _ACCENT_KEY.sub(r"\1{\2}", latex)))


def _fail(message: str, span: ast.Span) -> ParseError:
    return ParseError(message, column=span[0] if span else None)


@lark.v_args(meta=True)
class _ToAst(lark.Transformer):
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

    # -- settling ------------------------------------------------------------------------------

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

    def _letter_runs(self, factors: list) -> list:
        """Letters written together, ``yhat`` or ``dk``: against a problem, a run that spells one
        of its quantities is that name (the longest first); letters that spell none multiply
        (``Wx``), but only when each is a quantity: ``yhat`` with no quantity h, a or t is
        unreadable, not the product y h a t. Without a problem every letter is a name."""
        if not self.quantities:
            return factors
        out, k = [], 0
        while k < len(factors):
            end = k + 1
            while (end < len(factors) and self._letter(factors[end]) and self._letter(factors[end - 1])
                   and factors[end - 1].span[1] == factors[end].span[0]):
                end += 1
            if end - k < 2:
                out.append(factors[k])
                k = end
                continue
            out.extend(self._read_run(factors[k:end]))
            k = end
        return out

    def _letter(self, item) -> bool:
        """A one-letter name (or the d of a derivative) as written: its source is one letter."""
        span = getattr(item, "span", None)
        return isinstance(item, (ast.Name, _Mark)) and (not isinstance(item, _Mark) or item.kind == "d") \
            and span is not None and span[1] - span[0] == 1 and self.text[span[0]].isalpha()

    def _read_run(self, run: list) -> list:
        letters = "".join(self.text[item.span[0]] for item in run)
        longest = max((len(q.replace("_", "")) for q in self.quantities), default=0)
        out, i = [], 0
        while i < len(run):
            for j in range(min(len(run), i + longest), i + 1, -1):
                name = self.reading.resolve(letters[i:j])
                if name in self.quantities:
                    out.append(ast.Name(name, span=(run[i].span[0], run[j - 1].span[1])))
                    i = j
                    break
            else:
                out.append(run[i])
                i += 1
        known = self.quantities | set(self.functions) | set(self.names.values())
        unknown = [self.text[item.span[0]] for item in out if self._letter(item)
                   and (item.id if isinstance(item, ast.Name) else "d") not in known]
        if unknown:
            listed = ", ".join(sorted(self.quantities)[:12])
            unknown = list(dict.fromkeys(unknown))
            which = f"{unknown[0]} is not a quantity" if len(unknown) == 1 else \
                f"{', '.join(unknown)} are not quantities"
            raise _fail(f"'{letters}' reads letter by letter as the product {' '.join(letters)}, and "
                        f"{which} of the problem: write one of its quantities ({listed})", run[0].span)
        return out

    def _product(self, left: ast.Node, right: ast.Node, span: ast.Span = None) -> ast.Node:
        """A product as LaTeX writes it: ``*`` when a side is a scalar, else ``@``."""
        scalar = reads_as_scalar(left, self.scalars) or reads_as_scalar(right, self.scalars)
        op = "*" if scalar else "@"
        return ast.Binary(op, left, right, span=span or _join(left, right))

    def _source(self, span: ast.Span) -> str:
        return self.text[span[0]:span[1]] if span else ""

    def _named(self, span: ast.Span) -> ast.Name | None:
        """The variable ``names`` gives this stretch of LaTeX, if any."""
        target = self.names.get(latex_key(self._source(span)))
        return None if target is None else ast.Name(target, span=span)

    # -- chains --------------------------------------------------------------------------------

    def start(self, meta, children):
        return next(c for c in children if isinstance(c, list))

    def body(self, meta, children):
        return [self._node(c) for c in children if c is not None and not isinstance(c, lark.Token)]

    def link(self, meta, children):
        return children[-1]

    # -- operators -----------------------------------------------------------------------------

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
        if kind == "kron":
            return ast.Call("kron", (a, b), span=_span(meta))
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

    # -- derivatives ---------------------------------------------------------------------------

    def frac(self, meta, children):
        _, top, bottom = children
        upper, lower = _factors(top), _factors(bottom)
        if _marks_match(upper, lower):  # \partial Sc over \partial W: letter runs are names first
            upper, lower = [upper[0], *self._letter_runs(upper[1:])], [lower[0], *self._letter_runs(lower[1:])]
            if len(lower) != 2:
                raise _fail(r"the bottom of a derivative is one variable, as in \partial W_{ij}",
                            _span(meta))
            wrt, items = self._variable(lower[1])
            if len(upper) == 1:
                return _Op(wrt, items, _span(meta))
            return _derivative(self._fold(upper[1:]), wrt, items, _span(meta))
        return ast.Binary("/", self._node(top), self._node(bottom), span=_span(meta))

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

    # -- factors -------------------------------------------------------------------------------

    def letter(self, meta, children):
        (token,) = children
        if str(token) == "d":
            return _Mark("d", _span(token))
        return self._named(_span(token)) or ast.Name(str(token), span=_span(token))

    def greek(self, meta, children):
        (token,) = children
        name = str(token)[1:]
        return self._named(_span(token)) or ast.Name(_GREEK_ALIASES.get(name, name), span=_span(token))

    def number(self, meta, children):
        (token,) = children
        return ast.Number(limits.number(str(token), token.start_pos), span=_span(token))

    def text_name(self, meta, children):
        (token,) = children
        named = self._named(_span(token))
        if named:
            return named
        content = str(token)[str(token).index("{") + 1:-1]
        if content == "d":
            return _Mark("d", _span(token))
        if not content.isidentifier():  # \text{Then } or \text{if } is prose
            raise _fail(f"'{token}' is prose, not a name (a name is letters and digits, as in "
                        r"\text{LOSS})", _span(token))
        return ast.Name(self.reading.resolve(content), span=_span(token))

    def bold(self, meta, children):
        (token,) = children
        named = self._named(_span(token))
        if named:
            return named
        content = re.sub(r"\s", "", str(token)[str(token).index("{") + 1:-1])
        if content in ("1", "0"):
            return _Marker("ones" if content == "1" else "zeros", _span(token))
        if content.startswith("\\"):
            content = _GREEK_ALIASES.get(content[1:], content[1:])
        if not content.isidentifier():
            raise _fail(f"'{token}' is not a name", _span(token))
        return ast.Name(self.reading.resolve(content), span=_span(token))

    def accent(self, meta, children):
        """``\\hat{y}``: the problem's ``[latex]`` spelling if it has one; else the name the accent
        makes (``yhat``, or ``y_hat`` where the problem has that), which against a problem must
        be one of its quantities; a calligraphic letter, ``\\mathcal{L}``, is the letter."""
        (token,) = children
        named = self._named(_span(token))
        if named:
            return named
        match = _ACCENT.match(str(token))
        inner = _GREEK_ALIASES.get(match["inner"], match["inner"])
        name = self.reading.resolve(inner + _ACCENTS[match["accent"]])
        if self.quantities and _ACCENTS[match["accent"]] and name not in self.quantities:
            listed = ", ".join(sorted(self.quantities)[:12])
            raise _fail(f"'{token}' is not a quantity of this problem: write one of its quantities "
                        f"({listed}); a problem may name its own spellings in its [latex] table",
                        _span(token))
        return ast.Name(name, span=_span(token))

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

    def indicator(self, meta, children):
        _, _, operand, _, bound, _ = children
        if str(bound) != "0":
            raise _fail(r"an indicator is read only as \mathbb{1}[x > 0], the step function",
                        _span(bound))
        return ast.Call("step", (self._node(operand),), span=_span(meta))

    def sqrt(self, meta, children):
        return ast.Call("sqrt", (self._node(children[1]),), span=_span(meta))

    def paren(self, meta, children):
        items = tuple(self._node(c) for c in children[1:-1] if not isinstance(c, lark.Token))
        return _Group(items, _span(meta))

    def call(self, meta, children):
        func, *primes, group = children
        return ast.Call(_function(func), group.items, (), len(primes), span=_span(meta))

    def apply(self, meta, children):
        func, *primes, operand = children
        return ast.Call(_function(func), (self._node(operand),), (), len(primes), span=_span(meta))

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
        return ast.Binary("**", ast.Call(_function(func), tuple(args), span=_span(meta)), power,
                          span=_span(meta))

    def name_call(self, meta, children):
        """``h(X)``: a call if h is primed, declared in ``functions`` or given several
        arguments; otherwise the name times the parenthesis, ``W(x + b)``."""
        token, group = children
        spelled = re.sub(r"'|\\prime", "", str(token))
        primes = len(re.findall(r"'|\\prime", str(token)))
        span = (token.start_pos, token.start_pos + len(spelled))
        name = (self.names.get(latex_key(spelled))
                or _GREEK_ALIASES.get(spelled[1:], spelled.lstrip("\\")))
        if primes or name in self.functions or len(group.items) > 1:
            return ast.Call(name, group.items, (), primes, span=_span(meta))
        return _Juxt((ast.Name(name, span=span), group))

    def dot_transpose(self, meta, children):
        return ast.Transpose(self._node(children[0]), span=_span(meta))

    # -- scripts -------------------------------------------------------------------------------

    def subscript(self, meta, children):
        return ("_", children[0], _span(meta))

    def superscript(self, meta, children):
        return ("^", children[0], _span(meta))

    def prime(self, meta, children):
        return ("'", None, _span(meta))

    def hadamard_power(self, meta, children):  # X^{\circ 2}: the elementwise power
        return ("^∘", children[-1], _span(meta))

    def arg_list(self, meta, children):
        children = [c for c in children if not isinstance(c, lark.Token)]
        return children[0] if len(children) == 1 else _Args(tuple(children), _span(meta))

    def bound(self, meta, children):
        return _Bound(str(children[0]), _span(meta))

    def scripted(self, meta, children):
        base, (kind, arg, script_span) = children
        named = self._named(_span(meta))
        if named:
            return named
        if isinstance(base, _Juxt):  # W(x + b)^T: the script belongs to the parenthesis
            *head, last = base.factors
            return _Juxt((*head, self._script(last, kind, arg, script_span, meta)))
        return self._script(base, kind, arg, script_span, meta)

    def _script(self, base, kind, arg, script_span, meta):
        span = _span(meta)
        if isinstance(base, _Mark) and base.kind == "∂":
            raise _fail(r"'\partial' takes no script: higher derivatives are not supported",
                        script_span)
        if isinstance(base, _Marker) and base.kind == "nabla":
            if kind != "_":
                raise _fail(r"'\nabla' takes the variable as a subscript, \nabla_W J; higher "
                            "derivatives are not supported", script_span)
            wrt, items = self._variable(arg)
            return _Op(wrt, items, span, one=True)
        if kind == "'":
            if isinstance(base, ast.Name):
                return _Marker("primed", span, base.id, 1)
            if isinstance(base, _Marker) and base.kind == "primed":
                return _Marker("primed", span, base.name, base.primes + 1)
            raise _fail("a prime marks a function's derivative, as in h'(X)", script_span)
        if kind == "_":
            return self._subscript(base, arg, span, script_span)
        if kind == "^∘":
            return ast.Binary("**", self._node(base), self._node(arg), span=span)
        return self._superscript(base, arg, span, script_span)

    def _subscript(self, base, arg, span, script_span):
        if isinstance(base, _Marker) and base.kind in ("ones", "zeros"):
            return ast.Call(base.kind, self._sizes(arg, script_span), span=span)
        if isinstance(base, ast.Name) and self._source(base.span) == "I" and "I" not in self.names \
                and "I" not in self.quantities:
            return self._identity(arg, span, script_span)
        named = self._subscripted_name(base, arg, span)
        if named is not None:
            return named
        items = self._items(arg, script_span, span)
        if isinstance(base, ast.Name) and self._source(base.span) == r"\delta" and len(items) == 2 \
                and base.id == "delta" and "delta" not in self.quantities:
            args = tuple(ast.Number(Fraction(i)) if isinstance(i, int) else ast.Name(i) for i in items)
            return ast.Call("delta", args, span=span)
        node = self._node(base)
        if (isinstance(node, ast.Call) and node.func == "norm" and items and items[0] in _NORM_SUBSCRIPTS
                and not isinstance(base, _Group)):  # \|x\|_2; (\|x\|)_{2} is an entry
            return node
        if isinstance(node, ast.Index) and not isinstance(base, _Group):  # (X_{i})_{j} is meant
            raise _fail("a second subscript on an entry: write all indices in one, X_{mn}",
                        script_span)
        return ast.Index(node, items, span=span)

    def _subscripted_name(self, base, arg, span) -> ast.Name | None:
        """``d_k`` for the problem's quantity ``dk`` (or ``d_k``): a letter that is no quantity,
        with a subscript of letters and digits that makes one."""
        if not self.quantities or not isinstance(base, (ast.Name, _Mark)) or \
                (isinstance(base, _Mark) and base.kind != "d"):
            return None
        head = base.id if isinstance(base, ast.Name) else "d"
        if head in self.quantities:
            return None
        parts = arg.factors if isinstance(arg, _Juxt) else (arg,)
        words = []
        for part in parts:
            if isinstance(part, ast.Name) and part.id.isalnum():
                words.append(part.id)
            elif isinstance(part, _Mark) and part.kind == "d":
                words.append("d")
            elif isinstance(part, ast.Number) and part.value.denominator == 1 and part.value >= 0:
                words.append(str(part.value.numerator))
            else:
                return None
        name = self.reading.resolve(f"{head}_{''.join(words)}")
        return ast.Name(name, span=span) if name in self.quantities else None

    def _superscript(self, base, arg, span, script_span):
        parts = list(arg.factors) if isinstance(arg, _Juxt) else [arg]
        transpose = bool(parts) and self._is_transpose_mark(parts[-1])
        if transpose:
            parts = parts[:-1]
        if isinstance(base, _Marker) and base.kind == "ones" and transpose and not parts:
            return _Marker("ones_row", span)
        if transpose and parts == [_MINUS]:  # X^{-\top}
            return ast.Transpose(ast.Call("inv", (self._node(base),), span=span), span=span)
        if parts and isinstance(parts[0], _Group):  # x^{(4)}, x^{(4)\top}: a label
            if len(parts) != 1:
                raise _fail("a superscript label is one name or number in parentheses: x^{(4)}",
                            script_span)
            node = self._label(base, parts[0], script_span)
        elif not parts:
            node = self._node(base)
        else:
            exponent = self._node(arg if len(parts) == 1 and not transpose else _Juxt(tuple(parts)))
            node = self._power(base, exponent, span)
        return ast.Transpose(node, span=span) if transpose else node

    def _is_transpose_mark(self, item) -> bool:
        if isinstance(item, _Marker) and item.kind == "top":
            return True
        return isinstance(item, ast.Name) and self._source(item.span) in _TRANSPOSE_LETTERS

    def _label(self, base, group: _Group, script_span) -> ast.Name:
        if not (isinstance(base, ast.Name) and len(group.items) == 1):
            raise _fail("a superscript label (4) follows a plain name, as in x^{(4)}; for other "
                        "spellings pass names={'...': 'x4'}", script_span)
        (label,) = group.items
        if isinstance(label, ast.Number) and label.value.denominator == 1 and label.value >= 0:
            return ast.Name(f"{base.id}{label.value.numerator}", span=_join(base, group))
        if isinstance(label, ast.Name):
            return ast.Name(f"{base.id}{label.id}", span=_join(base, group))
        raise _fail("a superscript label is one name or number in parentheses, as in x^{(4)}; "
                    "for others pass names={'w^{(t+1)}': 'w_next'}", script_span)

    def _power(self, base, exponent: ast.Node, span) -> ast.Node:
        if isinstance(base, ast.Name) and self._source(base.span) == "e":
            return ast.Call("exp", (exponent,), span=span)
        node = self._node(base)
        minus_one = isinstance(exponent, ast.Number) and exponent.value == -1
        if minus_one and not reads_as_scalar(node, self.scalars):  # for a scalar, s^{-1} is a power
            return ast.Call("inv", (node,), span=span)
        return ast.Binary("**", node, exponent, span=span)

    def _items(self, arg, span, whole) -> tuple:
        """A subscript's indices: X_{mj} → (m, j), X_{m,j} → (m, j), W_{12} → (12,)."""
        groups = arg.items if isinstance(arg, _Args) else (arg,)
        items = []
        for group in groups:
            parts = group.factors if isinstance(group, _Juxt) else (group,)
            items.extend(self._item(part, span, whole) for part in parts)
        return tuple(items)

    def _item(self, part, span, whole):
        if isinstance(part, _Mark) and part.kind == "d":
            return "d"
        if isinstance(part, _Marker) and part.kind == "colon":
            return ast.ALL
        if isinstance(part, ast.Name):
            return part.id
        if isinstance(part, ast.Number) and part.value.denominator == 1 and part.value >= 0:
            return part.value.numerator
        source = latex_key(self._source(whole))
        raise _fail(f"the subscript in '{source}' is not a list of indices (write X_{{mj}}, "
                    f"X_{{m,j}} or W_{{1,2}}); for a label pass names={{'{source}': '...'}}", span)

    def _identity(self, arg, span, script_span) -> ast.Call:
        """``I_{n}`` or ``I_{n \\times n}``: the identity (a variable I is declared in ``names``)."""
        sizes = self._sizes(arg, script_span)
        if len(sizes) == 2 and sizes[0] != sizes[1]:
            raise _fail(f"the identity I is square: '{self._source(span)}' has two different sizes",
                        script_span)
        return ast.Call("eye", sizes[:1], span=span)

    def _sizes(self, arg, span) -> tuple[ast.Node, ...]:
        """The size of \\mathbf{1}_{S} or \\mathbf{1}_{m \\times n}."""
        if isinstance(arg, _Args):
            return tuple(self._node(a) for a in arg.items)
        node = self._node(arg)
        if isinstance(node, ast.Binary) and node.op in ("@", "*"):
            return (node.left, node.right)
        return (node,)


_MARKER_ERRORS = {
    "top": r"'\top' belongs in a superscript, as in W^\top",
    "colon": "':' belongs in a subscript, as in W_{i,:}",
    "ones": r"\mathbf{1} needs its size: write \mathbf{1}_{S} (a column of S ones), or "
            r"\mathbf{1}^\top A (A's column sums) or A \mathbf{1} (its row sums)",
    "ones_row": r"\mathbf{1}^\top needs a matrix after it (its column sums), or a size: "
                r"\mathbf{1}_{S}^\top",
    "zeros": r"\mathbf{0} needs its size: write \mathbf{0}_{S}",
    "primed": "{name}' is a function's derivative: apply it, as in {name}'(X)",
    "nabla": r"\nabla needs the variable it differentiates by as a subscript: \nabla_W J",
    "minus": "a minus sign with nothing after it",
}


def _function(token) -> str:
    spelled = str(token)
    inner = spelled[spelled.index("{") + 1:-1].strip() if "{" in spelled else spelled[1:]
    return FUNCTIONS[inner]


def _factors(item) -> list:
    return list(item.factors) if isinstance(item, _Juxt) else [item]


def _marks_match(upper: list, lower: list) -> bool:
    return bool(upper and lower) and isinstance(upper[0], _Mark) and isinstance(lower[0], _Mark) \
        and upper[0].kind == lower[0].kind


def _derivative(of: ast.Node, wrt: str, items: tuple, span: ast.Span) -> ast.Node:
    node = ast.Derivative(of, wrt, span=span)
    return ast.Index(node, items, span=span) if items else node


def _negate(node: ast.Node) -> ast.Node:
    if isinstance(node, ast.Number):
        return ast.Number(-node.value, span=node.span)
    return ast.Neg(node, span=node.span)


def _join(first, last) -> ast.Span:
    a, b = getattr(first, "span", None), getattr(last, "span", None)
    return (a[0], b[1]) if a and b else a or b


# -- errors ----------------------------------------------------------------------------------------

_COMMAND_HINTS = {
    r"\quad": r"'\quad' separates a formula from its commentary: give the formula alone",
    r"\qquad": r"'\qquad' separates a formula from its commentary: give the formula alone",
    r"\dots": r"'\dots' leaves terms out: write the sum, \sum_{i} x_i",
    r"\cdots": r"'\cdots' leaves terms out: write the sum, \sum_{i} x_i",
    r"\ldots": r"'\ldots' leaves terms out: write the sum, \sum_{i} x_i",
    r"\in": r"'\in' states a set membership, not an equation: give the equation alone",
    r"\mathbb": r"sets such as \mathbb{R}^{d} are prose, not part of an equation",
    r"\leftarrow": r"an update arrow is not an equation: write '='",
    r"\rightarrow": r"an arrow is not an equation: write '='",
    r"\Rightarrow": r"an implication is not an equation: give each equation alone",
    r"\forall": r"'\forall' is prose: a free index already holds for every value",
    r"\textcircled": r"'\textcircled' is an equation label, not part of the formula",
    r"\tag": r"an equation label is not part of the formula",
    r"\underbrace": r"'\underbrace' annotations are not read: give the formula alone",
    r"\boxed": r"'\boxed' is not read: give the formula alone",
}

_WORDS = {"RPAR": "')'", "LPAR": "'('", "RBRACE": "'}'", "LBRACE": "'{'", "RBRACK": "']'",
          "RNORM": r"'\|'", "$END": "the end of the text", "EQUAL": "'='", "COMMA": "','",
          "PLUS": "'+'", "MINUS": "'-'", "PRODUCT_OP": r"an operator such as \cdot",
          "END_ENV": r"'\end{aligned}'", "CIRCUMFLEX": "'^'", "UNDERSCORE": "'_'"}
_STARTS = {"LETTER", "GREEK", "NUMBER", "TEXTNAME", "BOLD", "PARTIAL", "FRAC", "LPAR", "FUNC",
           "CALLNAME", "SUM", "LBRACE", "LBRACK", "LNORM", "SQRT", "ACCENT", "NABLA"}


def _expected(tokens: set[str]) -> str:
    words = []
    if tokens & _STARTS:
        words.append("an expression")
        tokens = tokens - {"PLUS", "MINUS"}
    words += sorted({_WORDS[t] for t in tokens - _STARTS if t in _WORDS})
    return ", ".join(words[:6])


def _unexpected(text: str, pos: int) -> str:
    if text[pos] == "\\":
        if not text[pos + 1:].strip():
            return "a lone '\\' ends the text: remove it (a line break is '\\\\', and only between equations)"
        match = _COMMAND.match(text, pos)
        command = match.group() if match else "\\"
        environment = re.match(r"\\begin\s*\{([^{}]*)\}", text[pos:])
        if environment:
            return (f"'\\begin{{{environment[1]}}}' is not read: only aligned and split are; a matrix "
                    "written entry by entry (or by cases) cannot be checked: give it a name")
        hint = _COMMAND_HINTS.get(command)
        return hint or f"'{command}' is not LaTeX that derive reads (docs/latex.md lists what is)"
    if text[pos] in "\ue000\ue001":
        return r"unexpected '\|'"
    return f"unexpected {text[pos]!r}"


def _pair_bars(text: str) -> str:
    """``\\|x\\|`` has the same mark on both sides: the odd ones open, the even ones close
    (replaced by private characters of the same length, so positions stay put)."""
    out, count, last = [], 0, 0
    for match in _BAR.finditer(text):
        if match.group(1):
            continue
        mark = "\ue000" if count % 2 == 0 else "\ue001"
        count += 1
        out.append(text[last:match.start(2)] + mark + " " * (len(match.group(2)) - 1))
        last = match.end(2)
    return "".join(out) + text[last:]


def _parse(text: str, names, functions, scalars, quantities=()) -> list[ast.Node]:
    check_limits(text)
    shown = re.sub(r"\s", " ", text)  # the caret line is one line
    source = _pair_bars(text)
    try:
        tree = _parser().parse(source)
    except lark.UnexpectedCharacters as error:
        raise ParseError(_unexpected(source, error.pos_in_stream), shown, error.pos_in_stream) from None
    except lark.UnexpectedToken as error:
        token = error.token
        if token.type == "$END":
            position, found = len(text), "the text ends"
        elif re.search(r"\\\\[\s&]*$", source[:token.start_pos]):
            position = token.start_pos
            found = "a new equation starts after '\\\\': give one equation (or one chain) at a time"
        elif token.type in _STARTS and re.search(r"[,.]\s*$", source[:token.start_pos]):
            position = token.start_pos
            found = "a new formula starts after the punctuation: give one formula at a time"
        else:
            position, found = token.start_pos, f"unexpected '{token}'"
        expected = _expected(set(error.expected))
        generic = found.startswith(("unexpected", "the text ends"))
        hint = f" (expected {expected})" if expected and generic else ""
        raise ParseError(f"{found}{hint}", shown, position) from None
    except lark.UnexpectedEOF:
        raise ParseError("the text ends too early", shown, len(text)) from None
    except RecursionError:
        raise TooLarge("the expression nests too deeply") from None
    transformer = _ToAst(source, dict(names or {}), set(functions), set(scalars), set(quantities))
    return transform_checked(transformer, tree, shown)


def _check_names(names) -> None:
    for latex, name in (names or {}).items():
        if not (isinstance(name, str) and name.isidentifier()):
            raise ValueError(f"names[{latex!r}] = {name!r} is not a variable name")


def parse_latex_expr(text: str, names: Mapping[str, str] | None = None, *,
                     functions: Iterable[str] = (), scalars: Iterable[str] = (),
                     quantities: Iterable[str] = ()) -> ast.Node:
    """One LaTeX expression, e.g. ``W^\\top \\frac{\\partial J}{\\partial y}``.

    ``names`` maps LaTeX spellings to variable names (``{"W^{(1)}": "W1"}``); ``functions``
    lists the undefined functions a parenthesis applies (``h`` in ``h(X)``); ``scalars`` lists
    names known to be scalars (sizes, scalar variables), so that ``\\eta W`` is ``eta * W``;
    ``quantities`` lists every name of the problem (variables, definitions, losses, sizes): a
    reader that knows them reads ``yhat`` and ``d_k`` as the quantities ``yhat`` and ``dk``, and
    refuses a run of letters or an accented letter (``\\hat{y}``) that names none.
    """
    _check_names(names)
    sides = _parse(text, names, functions, scalars, quantities)
    if len(sides) != 1:
        raise ParseError("expected one expression, found an equation", re.sub(r"\s", " ", text),
                         text.find("="))
    return sides[0]


def parse_latex_sides(text: str, names: Mapping[str, str] | None = None, *,
                      functions: Iterable[str] = (), scalars: Iterable[str] = (),
                      quantities: Iterable[str] = ()) -> ast.Chain:
    """A LaTeX expression or chain, as the sides of a chain (one side for an expression)."""
    _check_names(names)
    return ast.Chain(tuple(_parse(text, names, functions, scalars, quantities)), text=text)


def parse_latex_claim(text: str, names: Mapping[str, str] | None = None, *,
                      functions: Iterable[str] = (), scalars: Iterable[str] = (),
                      quantities: Iterable[str] = ()) -> ast.Chain:
    """A LaTeX equation or chain ``A = B = C`` (also as ``\\begin{aligned} A &= B \\\\ &= C
    \\end{aligned}``), every link of which must hold. Arguments as for ``parse_latex_expr``."""
    _check_names(names)
    sides = _parse(text, names, functions, scalars, quantities)
    if len(sides) < 2:
        raise ParseError("a claim needs '=' between two sides", re.sub(r"\s", " ", text), len(text))
    return ast.Chain(tuple(sides), text=text)
