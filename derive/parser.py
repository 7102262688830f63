"""Text in the claim language to derive.ast trees.

The grammar file ``claim.lark`` is the only definition of the language; this module loads it
(LALR, so parsing is linear in the length of the text) and maps each alias to one AST node.
Student text is untrusted: nothing here evaluates it, ``MAX_LENGTH`` / ``MAX_DEPTH`` bound
what a parse may cost, and a number literal is measured on its text (``limits.number``) before it
becomes a Fraction, so ``1e99999999999`` is refused at once instead of computed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import lark

from . import ast, limits
from .errors import DeriveError, ParseError, TooLarge
from .limits import MAX_DEPTH, MAX_LENGTH, MAX_TREE_DEPTH  # noqa: F401 - their home is limits.py

_DERIV = re.compile(
    r"(?:d|∂)\s*(?P<of>[^\W\d]\w*)\s*(?:\[(?P<items>[^\[\]]*)\])?\s*/\s*(?:d|∂)\s*(?P<wrt>[^\W\d]\w*)"
)


@lru_cache(maxsize=1)
def _parser() -> lark.Lark:
    grammar = resources.files("derive").joinpath("claim.lark").read_text(encoding="utf-8")
    return lark.Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True)


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
    return text


# NumPy's names for the language's operators: np.dot(W.T, g) is W.T @ g, np.transpose(x) is x.T
_NUMPY_SPELLINGS = {"dot": "@", "matmul": "@", "multiply": "*", "divide": "/", "add": "+",
                    "subtract": "-", "transpose": ".T"}


@lark.v_args(meta=True)
class _ToAst(lark.Transformer):
    """One short method per grammar alias."""

    def number(self, meta, children):
        (token,) = children
        return ast.Number(limits.number(str(token), token.start_pos), span=_span(token))

    def name(self, meta, children):
        (token,) = children
        return ast.Name(str(token), span=_span(token))

    def derivative(self, meta, children):
        (token,) = children
        match = _DERIV.fullmatch(str(token))
        of: ast.Node = ast.Name(match["of"], span=_span(token))
        if match["items"] is not None:
            items = tuple(_index_item(t, token.start_pos) for t in match["items"].split(","))
            of = ast.Index(of, items, span=_span(token))
        return ast.Derivative(of, match["wrt"], span=_span(token))

    def expr_derivative(self, meta, children):
        _, body, wrt = children
        return ast.Derivative(body, str(wrt)[1:].strip(), span=_span(meta))

    def add(self, meta, children):
        return ast.Binary("+", *children, span=_span(meta))

    def sub(self, meta, children):
        return ast.Binary("-", *children, span=_span(meta))

    def matmul(self, meta, children):
        return ast.Binary("@", *children, span=_span(meta))

    def mul(self, meta, children):
        return ast.Binary("*", *children, span=_span(meta))

    def div(self, meta, children):
        return ast.Binary("/", *children, span=_span(meta))

    def pow(self, meta, children):
        return ast.Binary("**", *children, span=_span(meta))

    def neg(self, meta, children):
        (operand,) = children
        if isinstance(operand, ast.Number):
            return ast.Number(-operand.value, span=_span(meta))
        return ast.Neg(operand, span=_span(meta))

    def pos(self, meta, children):
        return children[0]

    def transpose(self, meta, children):
        return ast.Transpose(children[0], span=_span(meta))

    def index(self, meta, children):
        operand, *items = children
        return ast.Index(operand, tuple(items), span=_span(meta))

    def index_name(self, meta, children):
        return str(children[0])

    def index_int(self, meta, children):
        return limits.integer(str(children[0]), children[0].start_pos)

    def index_all(self, meta, children):
        return ast.ALL

    def call(self, meta, children):
        func, *rest = children
        primes = 0
        while rest and isinstance(rest[0], lark.Token) and rest[0].type == "PRIME":
            primes += 1
            rest = rest[1:]
        args, kwargs = [], []
        for item in rest:
            if item is None:
                continue
            if isinstance(item, tuple):
                kwargs.append(item)
            elif kwargs:
                raise ParseError("a positional argument follows a keyword argument", column=meta.start_pos)
            else:
                args.append(item)
        name = str(func).split(".")[-1]
        spelled = _NUMPY_SPELLINGS.get(name)
        if spelled and not kwargs and not primes and len(args) == (1 if spelled == ".T" else 2):
            if spelled == ".T":
                return ast.Transpose(args[0], span=_span(meta))
            return ast.Binary(spelled, args[0], args[1], span=_span(meta))
        return ast.Call(name, tuple(args), tuple(kwargs), primes, span=_span(meta))

    def kwarg(self, meta, children):
        key, value = children
        return (str(key), value)

    def index_sum(self, meta, children):
        head, body = children
        inner = str(head)[len("sum_"):].rstrip().rstrip("(").strip()
        if inner.startswith("{"):
            inner = inner[1:-1]
        names = tuple(n.strip() for n in inner.split(","))
        if not all(n.isidentifier() for n in names):
            raise ParseError(f"bad index list in '{str(head).rstrip('(')}'", column=head.start_pos)
        return ast.IndexSum(names, body, span=_span(meta))

    def start(self, meta, children):
        return list(children)


def check_limits(text: str) -> None:
    """Length and bracket nesting within the limits (shared by the claim and LaTeX grammars)."""
    if len(text) > MAX_LENGTH:
        raise TooLarge(f"the text is {len(text)} characters long; the limit is {MAX_LENGTH}")
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise TooLarge(f"the text nests brackets {deepest} deep; the limit is {MAX_DEPTH}")


_TOKENS = {"RPAR": "')'", "LPAR": "'('", "RSQB": "']'", "LSQB": "'['", "$END": "the end of the text",
           "EQUAL": "'='", "COMMA": "','", "MINUS": "'-'", "PLUS": "'+'", "AT": "'@'", "STAR": "'*'",
           "SLASH": "'/'", "DOUBLE_STAR": "'**'", "COLON": "':'", "INT": "an index", "DWRT": "d<variable>"}
_STARTS = {"NAME", "NP_NAME", "NUMBER", "LPAR", "DERIV", "DOPEN", "SUM"}


def _expected(tokens) -> str:
    """The expected tokens in words: 'an expression' stands for everything that can start one."""
    if "PRIME" in tokens:  # after f' only a call can follow
        return "'(' to apply the derivative, as in h'(X)"
    words = []
    if tokens & _STARTS:
        words.append("an expression")
        tokens = tokens - {"MINUS", "PLUS"}
    words += sorted(_TOKENS.get(t, t) for t in tokens - _STARTS if not t.startswith("__"))
    return ", ".join(words[:6])


def _parse(text: str) -> list[ast.Node]:
    check_limits(text)
    try:
        tree = _parser().parse(text)
    except lark.UnexpectedCharacters as error:
        char = text[error.pos_in_stream]
        hint = {"^": " (write powers as **, e.g. x**2)", "'": " (a prime follows a function name, as in h'(X))"}
        raise ParseError(f"unexpected character {char!r}{hint.get(char, '')}", text, error.column - 1) from None
    except lark.UnexpectedToken as error:
        token = error.token
        if token.type == "$END":
            column = len(text)
            found = "the text ends"
        else:
            column = token.column - 1 if token.column is not None else None
            found = f"unexpected {str(token)!r}"
        expected = _expected(set(error.expected))
        hint = f" (expected {expected})" if expected else ""
        raise ParseError(f"{found}{hint}", text, column) from None
    except lark.UnexpectedEOF:
        raise ParseError("the text ends too early", text, len(text)) from None
    except RecursionError:
        raise TooLarge("the expression nests too deeply") from None
    return transform_checked(_ToAst(), tree, text)


def transform_checked(transformer: lark.Transformer, tree, text: str) -> list[ast.Node]:
    """``transformer.transform(tree)`` with its failures as derive errors and the depth limit
    applied (shared by the claim and the LaTeX grammars)."""
    try:
        sides = transformer.transform(tree)
    except lark.exceptions.VisitError as error:
        inner = error.orig_exc
        if isinstance(inner, ParseError):
            raise ParseError(inner.headline, text, inner.column) from None
        if isinstance(inner, RecursionError):
            raise TooLarge("the expression nests too deeply") from None
        if isinstance(inner, DeriveError):  # a literal past the limits, a name the reader refuses
            raise inner from None
        raise
    except RecursionError:
        raise TooLarge("the expression nests too deeply") from None
    for side in sides:
        depth = _depth(side)
        if depth > MAX_TREE_DEPTH:
            raise TooLarge(f"the expression is {depth} operations deep; the limit is {MAX_TREE_DEPTH}")
    return sides


def _depth(node) -> int:
    """The depth of a tree, without recursion (the tree may be deep)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in ast.children(current))
    return deepest


def parse_expr(text: str) -> ast.Node:
    """One expression, e.g. ``W.T @ dJ/dy``."""
    sides = _parse(text)
    if len(sides) != 1:
        raise ParseError("expected one expression, found an equation", text, text.find("="))
    return sides[0]


def parse_claim(text: str) -> ast.Chain:
    """An equation or chain ``A = B = C`` whose every link must hold."""
    sides = _parse(text)
    if len(sides) < 2:
        raise ParseError("a claim needs '=' between two sides", text, len(text))
    return ast.Chain(tuple(sides), text=text)


def parse_sides(text: str) -> ast.Chain:
    """An expression or a chain of them, as the sides of a chain (one side for an expression)."""
    return ast.Chain(tuple(_parse(text)), text=text)


def parse_definition(text: str) -> tuple[str, ast.Node]:
    """A definition ``name = expression``."""
    sides = _parse(text)
    if len(sides) != 2 or not isinstance(sides[0], ast.Name):
        raise ParseError("a definition has the form 'name = expression'", text, 0)
    return sides[0].id, sides[1]
