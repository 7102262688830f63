"""An index form as a claim-language tree: sums as ``sum_{k,l}(...)``, deltas as ``delta(a,b)``.

``render`` builds ``derive.language.ast`` nodes (to be printed by ``derive.language.text`` or
``latex_out``), never text: the tree is the one the parser reads from the text the engine used
to print, so documents and the JSON carry the same expression either way. Bound indices get
letters from a ``Namer`` shared by every expression of one derivation; a coefficient (a SymPy
expression in numbers and sizes) becomes the tree of SymPy's own printing of it.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Collection, Container, Iterable, Mapping
from fractions import Fraction

import sympy
from sympy.core.mul import _keep_coeff

from ...errors import UnsupportedError
from ...language import ast
from ...language.primitives import ELEMENTWISE
from ...language.shapes import ONE, SCALAR, Dim
from ...problem.definition import Problem
from .form import Apply, Delta, Expr, Factor, Idx, Loss, Tensor, Term, free_names

_LETTERS = "klpqrstuvabcdefghmnoijwxyz"


class Namer:
    """Letters for bound indices, shared by every expression of one derivation: a letter never
    names two ranges (the claim language forbids it) nor a sum inside a sum that uses it."""

    def __init__(self, taken: Iterable[str]):
        self.taken = set(taken)
        self.range_of: dict[str, str] = {}

    def pick(self, dim: Dim, active: Container[str]) -> str:
        letters = itertools.chain(_LETTERS, (f"{a}{n}" for n in range(2, 99) for a in _LETTERS))
        for letter in letters:
            if letter in self.taken or letter in active:
                continue
            if self.range_of.setdefault(letter, str(dim)) == str(dim):
                return letter
        raise UnsupportedError("too many indices to name")  # pragma: no cover


def namer_for(problem: Problem, free: Iterable[str] = ()) -> Namer:
    return Namer(set(problem.shapes) | set(problem.sizes) | set(problem.activations)
                 | set(ELEMENTWISE) | {"d", "delta", "sum", "T", "i", "j"} | set(free))


def render(expr: Expr, problem: Problem, namer: Namer | None = None, mapping: Mapping[str, Idx] | None = None,
           active: Collection[str] = frozenset()) -> ast.Node:
    """``expr`` as a claim-language tree, its bound indices named by ``namer`` (free ones by
    ``mapping``, or as they are)."""
    if namer is None:
        namer = namer_for(problem, free_names(expr))
    mapping = mapping or {}
    if not expr.terms:
        return ast.Number(Fraction(0))
    out = None
    for term in expr.terms:
        negative, positive, negated = _render_term(term, problem, namer, mapping, active)
        if out is None:
            out = negated if negative else positive
        else:
            out = ast.Binary("-" if negative else "+", out, positive)
    return out


def _render_term(term: Term, problem, namer, mapping, active) -> tuple[bool, ast.Node, ast.Node]:
    """Whether the term is negative, its tree without the sign, and its tree with it."""
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
    lead_negated = _negated_unit(pieces[0]) if pieces else None
    if coeff != 1 or not pieces:
        number = sympy_node(coeff)
        pieces.insert(0, number)
        # a bare number's sign goes to its first digit (-1/2 * x); a bracketed one's to it all
        lead_negated = _lead_negated(number) if coeff.is_Atom else _negated_unit(number)
    body = _product(pieces)
    if letters:
        body = ast.IndexSum(tuple(letters), body)
        return negative, body, ast.Neg(body)
    return negative, body, _product([lead_negated] + pieces[1:])


def _product(pieces: list[ast.Node]) -> ast.Node:
    out = pieces[0]
    for piece in pieces[1:]:
        out = ast.Binary("*", out, piece)
    return out


def _render_factor(factor: Factor, problem: Problem, namer, mapping, active) -> ast.Node:
    def name(index):
        return index if isinstance(index, int) else mapping.get(index, index)

    if isinstance(factor, Delta):
        return ast.Call("delta", (index_node(name(factor.a)), index_node(name(factor.b))))
    if isinstance(factor, Loss):
        return ast.Name(factor.name)
    if isinstance(factor, Apply):
        arg = render(factor.arg, problem, namer, mapping, active)
        if factor.func == "pow":
            return ast.Binary("**", arg, _exponent_node(factor.power))
        return ast.Call(factor.func, (arg,), prime=factor.order)
    return entry_node(factor, problem, [name(i) for i in factor.indices])


def index_node(index: Idx) -> ast.Node:
    """An index as an argument (of ``delta``): a name, or a number."""
    return ast.Number(Fraction(index)) if isinstance(index, int) else ast.Name(index)


def entry_node(factor: Tensor, problem: Problem, items: Iterable[Idx]) -> ast.Node:
    """The entry ``factor`` at the index items ``items``: ``W[k,j]``, ``dL/dY[m,n]``, ``x[k]``
    for a column, ``inv(X)[a,b]``, ``det(X)``, a scalar by its name."""
    if factor.kind == "det":
        return ast.Call("det", (ast.Name(factor.name),))
    if factor.kind == "inv":
        return ast.Index(ast.Call("inv", (ast.Name(factor.name),)), tuple(items))
    if factor.kind == "grad":
        operand: ast.Node = ast.Derivative(ast.Name(factor.loss), factor.of)
        shape = problem.shapes[factor.of]
    else:
        operand = ast.Name(factor.name)
        shape = problem.shapes[factor.name]
    if shape == SCALAR:
        return operand
    if shape[1] == ONE:
        items = items[:1]
    elif shape[0] == ONE:
        items = items[1:]
    return ast.Index(operand, tuple(items))


def _exponent_node(q: Fraction) -> ast.Node:
    """A power's exponent: a decimal number (0.5, -2), else a fraction (1/3)."""
    if _finite_decimal(q):
        return ast.Number(q)
    return ast.Binary("/", ast.Number(Fraction(q.numerator)), ast.Number(Fraction(q.denominator)))


def _finite_decimal(q: Fraction) -> bool:
    d = q.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


# -- signs --------------------------------------------------------------------------------------

def _negated_unit(node: ast.Node) -> ast.Node:
    """-u for a unit u (a bracket, a call, an entry, a power): a number takes the sign itself."""
    if isinstance(node, ast.Number):
        return ast.Number(-node.value)
    return ast.Neg(node)


def _lead_negated(node: ast.Node) -> ast.Node:
    """A product or quotient written without brackets, with a minus sign before it: the sign
    belongs to its first unit (-2*n/3 is ((-2)*n)/3), as the claim language reads it."""
    if isinstance(node, ast.Binary) and node.op in ("*", "/"):
        return ast.Binary(node.op, _lead_negated(node.left), node.right)
    return _negated_unit(node)


# -- SymPy numbers and sizes as trees -----------------------------------------------------------

@functools.lru_cache(maxsize=1 << 12)
def sympy_node(value: sympy.Expr) -> ast.Node:
    """A coefficient (numbers, sizes, their sums, products and powers) as the tree of the claim
    language that SymPy's printing of it (``str``) reads as: 1/sqrt(dk), S**(-2), n - 1. Remembered:
    the same coefficients recur in every step of a derivation."""
    negative, node = _sign_and_tree(value)
    return _lead_negated(node) if negative else node


def _sign_and_tree(value) -> tuple[bool, ast.Node]:
    """Whether SymPy prints ``value`` with a leading minus, and the tree of the rest."""
    if isinstance(value, sympy.Integer):
        return value < 0, ast.Number(Fraction(abs(int(value))))
    if isinstance(value, sympy.Rational):
        quotient = ast.Binary("/", ast.Number(Fraction(abs(value.p))), ast.Number(Fraction(value.q)))
        return value < 0, quotient
    if isinstance(value, sympy.Float):
        return value < 0, ast.Number(Fraction(str(abs(value))))
    if isinstance(value, sympy.Symbol):
        return False, ast.Name(value.name)
    if isinstance(value, sympy.Add):
        return False, _sum_node(value)
    if isinstance(value, sympy.Mul):
        return _product_node(value)
    if isinstance(value, sympy.Pow):
        return False, _power_node(value)
    if isinstance(value, sympy.Function):
        return False, ast.Call(type(value).__name__, tuple(sympy_node(a) for a in value.args))
    if value.is_Atom:  # pi, E, I, oo
        text = str(value)
        return text.startswith("-"), ast.Name(text.lstrip("-"))
    raise UnsupportedError(f"no claim-language form for the coefficient {value}")


def _sum_node(value: sympy.Add) -> ast.Node:
    """Terms in SymPy's printing order, a - b for a term printed with a minus."""
    out = None
    for term in value.as_ordered_terms():
        negative, node = _sign_and_tree(term)
        if out is None:
            out = _lead_negated(node) if negative else node
        else:
            out = ast.Binary("-" if negative else "+", out, node)
    return out


def _product_node(value: sympy.Mul) -> tuple[bool, ast.Node]:
    """SymPy's layout of a product (``StrPrinter._print_Mul``): the sign first, factors with a
    negative exponent below a single /, a rational coefficient split into numerator and
    denominator."""
    coeff, rest = value.as_coeff_Mul()
    negative = coeff < 0
    if negative:
        value = _keep_coeff(-coeff, rest)
    above, below = [], []
    for item in value.as_ordered_factors():
        if item.is_commutative and isinstance(item, sympy.Pow) and bool(item.exp.as_coeff_Mul()[0] < 0):
            below.append(item.base if item.exp is sympy.S.NegativeOne else _reciprocal(item))
        elif item.is_Rational:
            if item.p != 1:
                above.append(sympy.Integer(item.p))
            if item.q != 1:
                below.append(sympy.Integer(item.q))
        else:
            above.append(item)
    numerator = _product([sympy_node(x) for x in above or [sympy.S.One]])
    if not below:
        return negative, numerator
    return negative, ast.Binary("/", numerator, _product([sympy_node(x) for x in below]))


def _reciprocal(item: sympy.Pow) -> sympy.Pow:
    """x**(-e) as x**e, unevaluated (SymPy's printer writes it below the /)."""
    exponent = list(sympy.Mul.make_args(item.exp))
    if exponent[0] is sympy.S.NegativeOne:
        exponent = exponent[1:]
    else:
        exponent[0] = -exponent[0]
    return sympy.Pow(item.base, sympy.Mul._from_args(exponent), evaluate=False)


def _power_node(value: sympy.Pow) -> ast.Node:
    base = sympy_node(value.base)
    if value.exp is sympy.S.Half:
        return ast.Call("sqrt", (base,))
    if value.is_commutative and -value.exp is sympy.S.Half:
        return ast.Binary("/", ast.Number(Fraction(1)), ast.Call("sqrt", (base,)))
    if value.is_commutative and value.exp is sympy.S.NegativeOne:
        return ast.Binary("/", ast.Number(Fraction(1)), base)
    return ast.Binary("**", base, sympy_node(value.exp))
