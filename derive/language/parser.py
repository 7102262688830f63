"""Text in the claim language to derive.ast trees.

The grammar file ``claim.lark`` is the only definition of the language; this module parses with
it (LALR, linear in the length of the text; ``claim_grammar`` loads it) and maps each alias to one
AST node, taking a derivative token apart by the grammar's own pattern.
Student text is untrusted: nothing here evaluates it, ``parse_limits`` bounds what a parse may
cost (``MAX_LENGTH`` / ``MAX_DEPTH``), and a number literal is measured on its text (``limits.number``) before it
becomes a Fraction, so ``1e99999999999`` is refused at once instead of computed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from fractions import Fraction

import lark

from .. import limits
from ..errors import ParseError, TooLarge
from ..limits import MAX_DEPTH, MAX_LENGTH, MAX_TREE_DEPTH  # noqa: F401 - their home is limits.py
from . import ast
from .claim_grammar import claim_parser, terminal
from .expected_words import expected_words
from .parse_limits import check_limits, transform_checked
from .primitives import ELEMENTWISE, MATRIX_FUNCTIONS, canonical_function
from .statements import split_statement, stated_sizes


def _span(meta_or_token) -> ast.Span:
    start = getattr(meta_or_token, "start_pos", None)
    end = getattr(meta_or_token, "end_pos", None)
    return None if start is None else (start, end)


def _index_item(text: str, column: int | None = None):
    text = text.strip()
    if text == ":":
        return ast.ALL
    if text.isdecimal():  # not isdigit: '²' is a digit that int() does not read
        return limits.integer(text, column)
    if not terminal("NAME").fullmatch(text):  # dy[a=b]/dx: an index as the grammar reads one in y[...]
        raise ParseError(f"'{text}' is not an index: write a name, a number (from 1) or ':', as in "
                         "dY[m,n]/dW", column=column)
    return text


# NumPy's names for the language's operators: np.dot(W.T, g) is W.T @ g, np.transpose(x) is x.T
_NUMPY_SPELLINGS = {"dot": "@", "matmul": "@", "multiply": "*", "divide": "/", "add": "+",
                    "subtract": "-", "transpose": ".T"}
# NumPy's other names for the language's functions (np.identity(n) is eye(n))
_NUMPY_NAMES = {"identity": "eye"}
# what np.linalg. may prefix: its inverse, determinant and norm, and solve(A, B) = inv(A) @ B
_LINALG = {"inv", "det", "norm", "solve"}
# NumPy's methods read as functions: M.sum(axis=0) is sum(M, axis=0), A.dot(B) is A @ B
_METHODS = ("sum", "dot", "transpose", "trace")
_METHOD_HINTS = {
    "mean": "derive has no mean: write the sum divided by the count, sum(M, axis=0) / S",
    "reshape": "a reshaped array cannot be checked: write the matrix itself, or vec(M) for its columns stacked",
    "flatten": "write vec(M) for M's columns stacked into one column",
    "ravel": "write vec(M) for M's columns stacked into one column",
    "max": "derive has no max; relu(x) is max(x, 0)",
    "item": "a value is already a scalar here: leave .item() out",
    "copy": "leave .copy() out",
}


@dataclass(frozen=True)
class Reading:
    """What the reader knows of the problem an answer is read against. With it, a few readings
    that depend on the problem are made (docs/language.md, *Answers*): a product written by
    juxtaposition (``*`` when a side is one of ``scalars``, else ``@``), ``A'`` as a transpose
    of one of the ``quantities``, ``W(x + b)`` as a product, ``len(Z)`` and ``Z.shape[0]`` as the
    size name ``shapes`` gives, ``d_k`` for the quantity ``dk``; and a keyword a function does
    not take is unreadable. Without it (problem files, the plain language) each of these is
    refused with what to write instead.

    ``shapes`` maps a quantity to its (rows, columns), each a size name, an integer, or None
    when it is not one size (m*n); ``sizes`` are the size names (``I_n`` is ``eye(n)``)."""

    quantities: frozenset = frozenset()
    scalars: frozenset = frozenset()
    functions: frozenset = frozenset()
    shapes: dict = field(default_factory=dict, compare=False, hash=False)
    sizes: frozenset = frozenset()

    def resolve(self, name: str) -> str:
        """``name``, or the one quantity it spells with underscores dropped (``d_k`` for the
        quantity ``dk``, ``yhat`` for ``y_hat``)."""
        if name in self.quantities or name in self.functions:
            return name
        bare = name.replace("_", "")
        matches = [q for q in self.quantities if q.replace("_", "") == bare]
        return matches[0] if len(matches) == 1 else name


@dataclass(frozen=True)
class _Juxt:
    """Operands side by side (``(A + A.T) x``), settled into a product by ``_ToAst._node``."""

    factors: tuple
    span: ast.Span = None


@lark.v_args(meta=True)
class _ToAst(lark.Transformer):
    """One short method per grammar alias; ``_node`` settles a juxtaposition into a product."""

    def __init__(self, reading: Reading | None = None, text: str = ""):
        super().__init__()
        self.reading = reading
        self.text = text

    def _source(self, span: ast.Span, fallback: str) -> str:
        """The text a span covers, on one line (or ``fallback`` without a span)."""
        return " ".join(self.text[span[0]:span[1]].split()) if span and self.text else fallback

    # -- settling ------------------------------------------------------------------------------

    def _node(self, item) -> ast.Node:
        if not isinstance(item, _Juxt):
            return item
        factors = [self._node(f) for f in item.factors]
        if self.reading is None:
            shown = self._source(item.span, " ".join(_shown(f) for f in factors))
            explicit = _shown(functools.reduce(self._product, factors))
            raise ParseError(f"'{shown}': operands side by side are a product only in an answer to a "
                             f"problem's question; write the product with @ or *: {explicit}",
                             column=_start(item))
        for factor in factors:
            name = factor.id if isinstance(factor, ast.Name) else None
            if name is not None and name not in self.reading.quantities and (
                    name in self.reading.functions or _is_function(name)):
                raise ParseError(f"the function {name} is applied with parentheses: {name}(x)",
                                 column=_start(factor))
        return functools.reduce(self._product, factors)

    def _product(self, left: ast.Node, right: ast.Node) -> ast.Node:
        """A product written side by side: ``*`` when a side is a scalar, else ``@`` (the rule of
        the LaTeX reader, ``latex_in_rules.reads_as_scalar``)."""
        from .latex_in_rules import reads_as_scalar  # here: a claim without one needs no LaTeX tables
        scalars = self.reading.scalars if self.reading else frozenset()
        scalar = reads_as_scalar(left, scalars) or reads_as_scalar(right, scalars)
        return ast.Binary("*" if scalar else "@", left, right, span=_join(left, right))

    def _last(self, operand, build):
        """A postfix operation: on ``W(x)``, read as the product ``W (x)``, it takes the last
        factor, as a script in LaTeX does: ``W(x).T`` is ``W @ x.T``."""
        if isinstance(operand, _Juxt):
            *head, last = operand.factors
            return _Juxt((*head, build(self._node(last))), operand.span)
        return build(operand)

    def _explicit(self, op: str, left, right, meta) -> ast.Node:
        """``a * b`` and ``a / b``. With a juxtaposition on the right, ``1/S X``, the reading that
        binds it tighter, ``1/(S X)``, and the one that reads left to right, ``(1/S) X``, differ
        (unless ``a * b c`` has a scalar a), and the answer is refused with both written out."""
        if isinstance(right, _Juxt) and self.reading is not None:
            from .latex_in_rules import reads_as_scalar  # as in _product
            left_node = self._node(left)
            if op == "*" and reads_as_scalar(left_node, self.reading.scalars):  # 2 * W x: one meaning
                return ast.Binary(op, left_node, self._node(right), span=_span(meta))
            first, *rest = [self._node(f) for f in right.factors]
            tight = ast.Binary(op, left_node, functools.reduce(self._product, [first, *rest]))
            loose = functools.reduce(self._product, [ast.Binary(op, left_node, first), *rest])
            shown = self._source(_span(meta), f"{_shown(left_node)} {op} " + " ".join(map(_shown, [first, *rest])))
            raise ParseError(f"'{shown}' can be read two ways: write {_shown(loose)} or {_shown(tight)}",
                             column=_span(meta)[0] if _span(meta) else None)
        return ast.Binary(op, self._node(left), self._node(right), span=_span(meta))

    # -- atoms ---------------------------------------------------------------------------------

    def number(self, meta, children):
        (token,) = children
        return ast.Number(limits.number(str(token), token.start_pos), span=_span(token))

    def name(self, meta, children):
        (token,) = children
        name = self._resolve(str(token))
        identity = re.fullmatch(r"I_(\w+)", name)
        if self.reading and identity and identity[1] in self.reading.sizes and name not in self.reading.quantities:
            return ast.Call("eye", (ast.Name(identity[1], span=_span(token)),), span=_span(token))  # I_n
        return ast.Name(name, span=_span(token))

    def derivative(self, meta, children):
        (token,) = children
        match = terminal("DERIV").fullmatch(str(token))  # the grammar's token, its groups named
        of: ast.Node = ast.Name(self._resolve(match["of"]), span=_span(token))
        if match["items"] is not None:
            start, items = token.start_pos + match.start("items"), []
            for item in match["items"].split(","):  # each item at its own column
                items.append(_index_item(item, start + len(item) - len(item.lstrip())))
                start += len(item) + 1
            items = tuple(items)
            of = ast.Index(of, items, span=_span(token))
        return ast.Derivative(of, self._resolve(match["wrt"]), span=_span(token))

    def second_derivative(self, meta, children):
        (token,) = children
        match = terminal("DERIV2").fullmatch(str(token))
        wrt = self._resolve(match["wrt2"])
        first = ast.Derivative(ast.Name(self._resolve(match["of2"]), span=_span(token)), wrt, span=_span(token))
        return ast.Derivative(first, wrt, span=_span(token))

    def expr_derivative(self, meta, children):
        _, body, wrt = children
        wrt = terminal("DWRT").fullmatch(str(wrt))["by"]
        return ast.Derivative(self._node(body), self._resolve(wrt), span=_span(meta))

    def _resolve(self, name: str) -> str:
        return self.reading.resolve(name) if self.reading else name

    # -- operators -----------------------------------------------------------------------------

    def add(self, meta, children):
        return ast.Binary("+", *map(self._node, children), span=_span(meta))

    def sub(self, meta, children):
        return ast.Binary("-", *map(self._node, children), span=_span(meta))

    def matmul(self, meta, children):
        return ast.Binary("@", *map(self._node, children), span=_span(meta))

    def mul(self, meta, children):
        return self._explicit("*", *children, meta)

    def div(self, meta, children):
        return self._explicit("/", *children, meta)

    def juxt(self, meta, children):
        factors = []
        for child in children:
            factors.extend(child.factors if isinstance(child, _Juxt) else (child,))
        return _Juxt(tuple(factors), _span(meta))

    def pow(self, meta, children):
        base, exponent = children
        return self._last(base, lambda b: ast.Binary("**", b, self._node(exponent), span=_span(meta)))

    def neg(self, meta, children):
        operand = self._node(children[0])
        if isinstance(operand, ast.Number):
            return ast.Number(-operand.value, span=_span(meta))
        return ast.Neg(operand, span=_span(meta))

    def pos(self, meta, children):
        return children[0]

    def group(self, meta, children):
        """``(expr)``: brackets close a product written side by side, ``(W2^T (y - t)) x^T``."""
        return self._node(children[0]) if isinstance(children[0], _Juxt) else children[0]

    def transpose(self, meta, children):
        return self._last(children[0], lambda o: ast.Transpose(o, span=_span(meta)))

    def inverse(self, meta, children):
        """``A^-1``: the inverse, or for a scalar the power -1 (as ``s^{-1}`` in LaTeX)."""
        from .latex_in_rules import reads_as_scalar  # as in _product
        scalars = self.reading.scalars if self.reading else frozenset()

        def build(operand):
            if reads_as_scalar(operand, scalars):
                return ast.Binary("**", operand, ast.Number(Fraction(-1)), span=_span(meta))
            return ast.Call("inv", (operand,), span=_span(meta))
        return self._last(children[0], build)

    def prime(self, meta, children):
        """``A'``: a transpose after a closing bracket, an index, a derivative, or a quantity of
        the problem; after any other name a prime is a function's derivative, ``h'(X)``."""
        operand, token = children

        def build(target):
            if isinstance(target, ast.Name) and not (self.reading and target.id in self.reading.quantities):
                raise ParseError(f"a prime after the name {target.id} marks a function's derivative: "
                                 f"apply it with '(' as in h'(X); a transpose is written {target.id}.T",
                                 column=token.start_pos)
            return ast.Transpose(target, span=_span(meta))
        return self._last(operand, build)

    def index(self, meta, children):
        operand, *items = children
        return self._last(operand, lambda o: ast.Index(o, tuple(items), span=_span(meta)))

    def index_name(self, meta, children):
        return str(children[0])

    def index_int(self, meta, children):
        return limits.integer(str(children[0]), children[0].start_pos)

    def index_all(self, meta, children):
        return ast.ALL

    # -- calls, methods, attributes --------------------------------------------------------------

    def call(self, meta, children):
        callee, *rest = children
        spelled = str(callee).rstrip()
        primes = len(spelled) - len(spelled.rstrip("'"))
        spelled = spelled.rstrip("'")
        args, kwargs = self._arguments(rest, meta)
        parts = spelled.split(".")
        name = parts[-1]
        if len(parts) == 3 and name not in _LINALG:  # np.linalg.<name>
            raise ParseError(f"{spelled} is not read: derive reads np.linalg.{', np.linalg.'.join(sorted(_LINALG))}",
                             column=callee.start_pos)
        if len(parts) > 1:
            name = _NUMPY_NAMES.get(name, name)
        reading = self.reading
        if len(parts) == 1 and reading is not None and reading.resolve(name) in reading.quantities:
            # W(x + b), A'(x): a quantity of the problem before a parenthesis multiplies it
            if len(args) != 1 or kwargs:
                raise ParseError(f"{name} is a quantity of the problem, not a function: it cannot take "
                                 f"{len(args)} arguments", column=callee.start_pos)
            factor: ast.Node = ast.Name(reading.resolve(name), span=(callee.start_pos, callee.start_pos + len(name)))
            for _ in range(primes):
                factor = ast.Transpose(factor, span=factor.span)
            return _Juxt((factor, args[0]), _span(meta))
        if name == "len" and len(parts) == 1:
            if len(args) != 1 or kwargs or primes:
                raise ParseError("len takes one argument, as in len(Z)", column=callee.start_pos)
            return self._size(args[0], 0, f"len({_shown(args[0])})", meta)
        if name == "solve" and len(parts) == 3:
            if len(args) != 2 or kwargs:
                raise ParseError("np.linalg.solve takes two arguments, as in np.linalg.solve(A, b)",
                                 column=callee.start_pos)
            return ast.Binary("@", ast.Call("inv", (args[0],), span=_span(meta)), args[1], span=_span(meta))
        spelled_as = _NUMPY_SPELLINGS.get(name) if len(parts) == 2 else None
        if spelled_as and not kwargs and not primes and len(args) == (1 if spelled_as == ".T" else 2):
            if spelled_as == ".T":
                return ast.Transpose(args[0], span=_span(meta))
            return ast.Binary(spelled_as, args[0], args[1], span=_span(meta))
        return self._call(name, args, kwargs, primes, meta)

    def _arguments(self, rest, meta):
        args, kwargs = [], []
        for item in rest:
            if item is None:
                continue
            if isinstance(item, tuple):
                kwargs.append(item)
            elif kwargs:
                raise ParseError("a positional argument follows a keyword argument", column=meta.start_pos)
            else:
                args.append(self._node(item))
        return args, kwargs

    def _call(self, name: str, args, kwargs, primes: int, meta) -> ast.Call:
        """A call, with NumPy's keywords read: ``keepdims=True`` on a sum is derive's sum (which
        keeps the summed axis); in an answer, a positional axis ``sum(M, 0)`` is ``axis=0`` and a
        keyword the function does not take is unreadable, not a wrong answer."""
        column = meta.start_pos if not getattr(meta, "empty", False) else None
        if name == "sum" and not primes:
            kept = [(key, value) for key, value in kwargs if key == "keepdims"]
            for _, value in kept:
                if _truth(value) is False:
                    raise ParseError("keepdims=False makes a 1-D array, which derive does not have: leave "
                                     "keepdims out (derive's sum(M, axis=1) keeps the summed axis, a column)",
                                     column=_start(value) or column)
                if _truth(value) is None:
                    raise ParseError("keepdims is True or False", column=_start(value) or column)
            kwargs = [(key, value) for key, value in kwargs if key != "keepdims"]
            if self.reading is not None and len(args) == 2 and not kwargs and isinstance(args[1], ast.Number):
                args, kwargs = args[:1], [("axis", args[1])]
        if self.reading is not None and canonical_function(name) == "softmax" and kwargs and not primes:
            return self._softmax(name, args, kwargs, meta, column)
        if self.reading is not None:
            function = canonical_function(name)
            allowed = MATRIX_FUNCTIONS[function].kwargs if function in MATRIX_FUNCTIONS else ()
            if function == "sum":
                allowed = (*allowed, "keepdims")
            for key, value in kwargs:
                if key not in allowed:
                    takes = (f"it reads {', '.join(k + '=' for k in allowed)}" if allowed
                             else "it takes no keywords")
                    raise ParseError(f"{name}(..., {key}=...) is not read: {takes}",
                                     column=_start(value) - len(key) - 1 if _start(value) else column)
        return ast.Call(name, tuple(args), tuple(kwargs), primes, span=_span(meta))

    def _softmax(self, name, args, kwargs, meta, column) -> ast.Node:
        """``softmax(Z, axis=1)`` (SciPy's spelling) on a quantity whose shape is known: derive's
        softmax is over each row of a matrix and over the entries of a column, so ``axis=1`` of a
        matrix (``axis=0`` of a column) is ``softmax(Z)``, and ``axis=0`` of a matrix is
        ``softmax(Z.T).T``; anything else is refused with what to write."""
        operand = args[0] if len(args) == 1 else None
        shape = self.reading.shapes.get(operand.id) if isinstance(operand, ast.Name) else None
        axis = dict(kwargs).get("axis")
        shown = _shown(operand) if operand is not None else "Z"
        if shape is not None and [key for key, _ in kwargs] == ["axis"] and isinstance(axis, ast.Number):
            column_vector, value = shape[1] == 1, axis.value
            if (column_vector and value in (0, -2)) or (not column_vector and value in (1, -1)):
                return ast.Call(name, (operand,), span=_span(meta))
            if not column_vector and value in (0, -2):
                return ast.Transpose(ast.Call(name, (ast.Transpose(operand),), span=_span(meta)), span=_span(meta))
        raise ParseError(f"softmax(..., {kwargs[0][0]}=...) is not read here: derive's softmax({shown}) is "
                         "over each row of a matrix (over the entries of a column): write "
                         f"softmax({shown}), or softmax({_shown(ast.Transpose(operand or ast.Name('Z')))}).T "
                         "over each column", column=column)

    def kwarg(self, meta, children):
        key, value = children
        return (str(key), self._node(value))

    def method(self, meta, children):
        operand, token, *rest = children
        name = str(token)[1:].strip()
        args, kwargs = self._arguments(rest, meta)
        if name not in _METHODS:
            hint = _METHOD_HINTS.get(name, "write it as a function, as in sum(M, axis=0)")
            raise ParseError(f"the method .{name}() is not read ({hint}); derive reads "
                             f".{'(), .'.join(_METHODS)}() and .T", column=token.start_pos)

        def build(target):
            if name == "sum":
                return self._call("sum", [target, *args], kwargs, 0, meta)
            if name == "trace" and not args and not kwargs:
                return ast.Call("trace", (target,), span=_span(meta))
            if name == "transpose" and not args and not kwargs:
                return ast.Transpose(target, span=_span(meta))
            if name == "dot" and len(args) == 1 and not kwargs:
                return ast.Binary("@", target, args[0], span=_span(meta))
            raise ParseError(f".{name}() takes {'one argument' if name == 'dot' else 'no arguments'} here",
                             column=token.start_pos)
        return self._last(operand, build)

    def shape(self, meta, children):
        operand, token = children
        axis = int(re.sub(r"[^\d-]", "", str(token)))
        return self._last(operand, lambda o: self._size(o, axis, f"{_shown(o)}.shape[{axis}]", meta))

    def _size(self, operand: ast.Node, axis: int, spelled: str, meta) -> ast.Node:
        """``Z.shape[0]`` and ``len(Z)``: the size name the problem's shapes give."""
        column = _span(meta)[0] if _span(meta) else None
        if self.reading is None:
            raise ParseError(f"{spelled} is a size: write its name (the problem's sizes are names, "
                             "as in 1/S)", column=column)
        if axis not in (0, 1, -1, -2):
            raise ParseError(f"{spelled}: arrays are 2-D here (a vector is a column), so the axis is 0 or 1",
                             column=column)
        if not (isinstance(operand, ast.Name) and operand.id in self.reading.shapes):
            raise ParseError(f"{spelled}: write the size name (derive reads the size of a quantity "
                             "of the problem, as in Z.shape[0])", column=column)
        size = self.reading.shapes[operand.id][axis % 2]
        if size is None:
            raise ParseError(f"{spelled} is not one size of the problem: write it from the size names",
                             column=column)
        if isinstance(size, int):
            return ast.Number(Fraction(size), span=_span(meta))
        return ast.Name(size, span=_span(meta))

    def attribute(self, meta, children):
        operand, token = children
        name = str(token)
        if name == ".shape":
            hint = "a pair of sizes: write one of them, X.shape[0] or X.shape[1], or its size name"
        elif name == ".t":
            hint = "a transpose is written x.T"
        else:
            hint = "derive reads .T, .shape[k] and the methods .sum(), .dot(), .transpose(), .trace()"
        raise ParseError(f"unexpected character '.' ('{name}' is not read: {hint})", column=token.start_pos)

    def index_sum(self, meta, children):
        head, body = children
        inner = str(head)[len("sum_"):].rstrip().rstrip("(").strip()
        if inner.startswith("{"):
            inner = inner[1:-1]
        names = tuple(n.strip() for n in inner.split(","))
        if not all(n.isidentifier() for n in names):
            raise ParseError(f"bad index list in '{str(head).rstrip('(')}'", column=head.start_pos)
        return ast.IndexSum(names, self._node(body), span=_span(meta))

    def start(self, meta, children):
        return [self._node(child) for child in children]

    def update(self, meta, children):
        target, _, value = children
        return ast.UpdateSides([self._node(target), self._node(value)])


def _truth(value) -> bool | None:
    """``True`` / ``False`` (or 1 / 0) as a keyword's value, else None."""
    if isinstance(value, ast.Name) and value.id in ("True", "False"):
        return value.id == "True"
    if isinstance(value, ast.Number) and value.value in (0, 1):
        return value.value == 1
    return None


def _is_function(name: str) -> bool:
    return canonical_function(name) in ELEMENTWISE or canonical_function(name) in MATRIX_FUNCTIONS


def _start(item) -> int | None:
    span = getattr(item, "span", None)
    return span[0] if span else None


def _join(first, last) -> ast.Span:
    a, b = getattr(first, "span", None), getattr(last, "span", None)
    return (a[0], b[1]) if a and b else a or b


def _shown(node) -> str:
    from .text import to_text

    return to_text(node)


def _parse(text: str, reading: Reading | None = None) -> list[ast.Node]:
    """The sides of ``text``, read against ``reading`` (a problem's spellings), or as written."""
    if reading is None:
        found = _parse_as_written(text)
        return type(found)(found)  # a list of the caller's own; the trees are immutable, and shared
    return _read(text, reading)


@functools.lru_cache(maxsize=4096)
def _parse_as_written(text: str) -> list[ast.Node]:
    """``_read`` without a reading, remembered: a problem file states the same text more than once
    (a claim's ``correct`` is often another claim's side), a fifth of the catalog's 889 parses."""
    return _read(text, None)


def _read(text: str, reading: Reading | None) -> list[ast.Node]:
    check_limits(text)
    try:
        tree = claim_parser().parse(text)
    except lark.UnexpectedCharacters as error:
        char = text[error.pos_in_stream]
        hint = {"^": " (write powers as **, e.g. x**2); x^T is a transpose and x^-1 an inverse",
                "'": " (a prime follows a function name, as in h'(X))"}
        raise ParseError(f"unexpected character {char!r}{hint.get(char, '')}", text, error.pos_in_stream) from None
    except lark.UnexpectedToken as error:
        token = error.token
        if token.type == "$END":
            column = len(text)
            found = "the text ends"
        else:
            column = token.start_pos  # the offset in the text (lark's column counts from the last line break)
            found = f"unexpected {str(token)!r}"
        expected = expected_words(set(error.expected))
        hint = f" (expected {expected})" if expected else ""
        raise ParseError(f"{found}{hint}", text, column) from None
    except lark.UnexpectedEOF:
        raise ParseError("the text ends too early", text, len(text)) from None
    except RecursionError:
        raise TooLarge("the expression nests too deeply") from None
    return transform_checked(_ToAst(reading, text), tree, text)


def parse_expr(text: str, reading: Reading | None = None) -> ast.Node:
    """One expression, e.g. ``W.T @ dJ/dy`` (``reading``: the problem it is read against)."""
    sides = _parse(text, reading)
    if len(sides) != 1:
        raise ParseError("expected one expression, found an equation", text, text.find("="))
    return sides[0]


def parse_claim(text: str, reading: Reading | None = None) -> ast.Chain:
    """An equation or chain ``A = B = C`` whose every link must hold; a gradient-descent step
    ``W := W - eta * G``; or a shape statement ``dL/dW in R^(m x d)``."""
    statement = _statement(text, reading)
    if statement is not None:
        return statement
    sides = _parse(text, reading)
    if len(sides) < 2:
        raise ParseError("a claim needs '=' between two sides", text, len(text))
    return ast.Chain(tuple(sides), text=text, kind=":=" if isinstance(sides, ast.UpdateSides) else "=")


def _statement(text: str, reading: Reading | None) -> ast.Chain | None:
    """The shape statement ``text`` makes (``dL/dW in R^(m x d)``), or None."""
    statement = split_statement(text)
    if statement is None:
        return None
    expr_text, sizes, _ = statement
    expr = parse_expr(expr_text, reading)
    return ast.Chain((expr, *stated_sizes([parse_expr(size) for size in sizes])), text=text, kind="in")


def parse_sides(text: str, reading: Reading | None = None) -> ast.Chain:
    """An expression or a chain of them, as the sides of a chain (one side for an expression); a
    step or a shape statement as in ``parse_claim``."""
    statement = _statement(text, reading)
    if statement is not None:
        return statement
    sides = _parse(text, reading)
    return ast.Chain(tuple(sides), text=text, kind=":=" if isinstance(sides, ast.UpdateSides) else "=")


def parse_definition(text: str) -> tuple[str, ast.Node]:
    """A definition ``name = expression``."""
    sides = _parse(text)
    if len(sides) != 2 or not isinstance(sides[0], ast.Name) or isinstance(sides, ast.UpdateSides):
        raise ParseError("a definition has the form 'name = expression'", text, 0)
    return sides[0].id, sides[1]
