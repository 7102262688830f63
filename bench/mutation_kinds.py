"""The kinds of mutation of bench/mutations.py: each a function from a right link to the slips it
can make there, as edits of the claimed side's tree (bench/mutations.py's docstring lists them,
with the diagnosis code each is tagged with).

The tree helpers here address a subtree by its path (child positions), so that two slips at
different places compose. They are the bench's own, not the diagnosis's edits
(derive/verdict/slips.py): what measures the diagnosis does not borrow its code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction

from derive.errors import DeriveError
from derive.language import ast
from derive.language.primitives import ELEMENTWISE, canonical_function
from derive.language.shapes import ONE, Scope, index_names_of, infer, is_scalar
from derive.language.text import to_text
from derive.problem.definition import Problem

LINEAR = {"sum", "trace", "vec", "diag"}  # a constant factor of the argument is one of the value


@dataclass(frozen=True)
class Link:
    """One link ``reference = claimed`` of a catalog claim, the claimed side to be edited."""

    problem: Problem
    path: str  # the problem file, relative to the repository
    claim: int  # the catalog claim's number in its problem (from 1, as ``derive check`` counts)
    side: int  # the claimed side's position in the chain
    text: str  # the catalog claim
    reference: ast.Node
    claimed: ast.Node
    claimed_first: bool  # the claimed side is written first (kept so, when printing)
    scope: Scope  # with the index ranges of the right claim


@dataclass(frozen=True)
class Mutation:
    """One slip: the subtree at ``path`` of the claimed side replaced by ``change`` of it."""

    kind: str
    slip: str  # the diagnosis code that names it
    what: str
    path: tuple[int, ...]
    change: Callable[[ast.Node], ast.Node]

    def apply(self, side: ast.Node) -> ast.Node:
        return replace_at(side, self.path, self.change(subtree(side, self.path)))


# -- trees ------------------------------------------------------------------------------------------
def kids(node: ast.Node) -> tuple[ast.Node, ...]:
    """The children of ``node`` in a fixed order (a call's arguments, then its keyword values)."""
    return ast.children(node)


def sites(node: ast.Node, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], ast.Node]]:
    """(path, subtree) for every subtree, parents first; a path lists child positions."""
    yield path, node
    for position, child in enumerate(kids(node)):
        yield from sites(child, path + (position,))


def subtree(node: ast.Node, path: tuple[int, ...]) -> ast.Node:
    for position in path:
        node = kids(node)[position]
    return node


def replace_at(node: ast.Node, path: tuple[int, ...], new: ast.Node) -> ast.Node:
    """``node`` with its subtree at ``path`` replaced by ``new`` (the rest shared)."""
    if not path:
        return new
    children = list(kids(node))
    children[path[0]] = replace_at(children[path[0]], path[1:], new)
    return _with_kids(node, children)


def _with_kids(node: ast.Node, children: list) -> ast.Node:
    if isinstance(node, (ast.Neg, ast.Transpose, ast.Index)):
        return dataclasses.replace(node, operand=children[0])
    if isinstance(node, ast.Binary):
        return dataclasses.replace(node, left=children[0], right=children[1])
    if isinstance(node, ast.Call):
        count = len(node.args)
        keywords = tuple((key, value) for (key, _), value in zip(node.kwargs, children[count:]))
        return dataclasses.replace(node, args=tuple(children[:count]), kwargs=keywords)
    if isinstance(node, ast.Derivative):
        return dataclasses.replace(node, of=children[0])
    if isinstance(node, ast.IndexSum):
        return dataclasses.replace(node, body=children[0])
    raise TypeError(f"no children: {type(node).__name__}")


def _number(value) -> ast.Number:
    return ast.Number(Fraction(value))


# -- what a subtree is ------------------------------------------------------------------------------
def shape_of(node: ast.Node, scope: Scope):
    """The shape of ``node`` in the right claim's scope, or None where it does not type alone."""
    try:
        return infer(node, scope)
    except DeriveError:
        return None


def scalar(node: ast.Node, scope: Scope) -> bool:
    shape = shape_of(node, scope)
    return shape is not None and is_scalar(shape)


def constant(node: ast.Node, problem: Problem) -> bool:
    """A value made of numbers and sizes only (2, S, sqrt(dk), 2 * S): a constant factor."""
    if isinstance(node, ast.Number):
        return True
    if isinstance(node, ast.Name):
        return node.id in problem.sizes
    if isinstance(node, ast.Neg):
        return constant(node.operand, problem)
    if isinstance(node, ast.Binary):
        return constant(node.left, problem) and constant(node.right, problem)
    if isinstance(node, ast.Call):
        return node.func == "sqrt" and constant(node.args[0], problem)
    return False


def unit(node: ast.Node) -> bool:
    """1 or -1: dropping it is no factor (or a sign, which flip-sign makes)."""
    return isinstance(node, ast.Number) and abs(node.value) == 1


def multiplicative(node: ast.Node) -> set[tuple[int, ...]]:
    """Paths whose subtree enters the whole value linearly, as a factor: a constant there scales
    the whole (through -, .T, *, the numerator of /, @, an entry, an index sum, sum/trace/vec/diag)."""
    found = set()

    def visit(sub, path):
        found.add(path)
        if isinstance(sub, (ast.Neg, ast.Transpose, ast.Index, ast.IndexSum)):
            visit(kids(sub)[0], path + (0,))
        elif isinstance(sub, ast.Binary) and sub.op in ("*", "@"):
            visit(sub.left, path + (0,))
            visit(sub.right, path + (1,))
        elif isinstance(sub, ast.Binary) and sub.op == "/":
            visit(sub.left, path + (0,))
        elif isinstance(sub, ast.Call) and sub.func in LINEAR and sub.args:
            visit(sub.args[0], path + (0,))

    visit(node, ())
    return found


def whole(node: ast.Node, scope: Scope) -> set[tuple[int, ...]]:
    """Paths whose subtree is the whole value up to a scalar factor: a transpose there transposes
    the whole value (through -, and * or / by a scalar)."""
    found = set()

    def visit(sub, path):
        found.add(path)
        if isinstance(sub, ast.Neg):
            visit(sub.operand, path + (0,))
        elif isinstance(sub, ast.Binary) and sub.op in ("*", "/"):
            if scalar(sub.right, scope):
                visit(sub.left, path + (0,))
            if sub.op == "*" and scalar(sub.left, scope):
                visit(sub.right, path + (1,))

    visit(node, ())
    return found


def activation_outputs(problem: Problem) -> dict[str, str]:
    """Definitions that are an activation's value (h = sigmoid(a)): name -> function."""
    outputs = {}
    for name, expression in problem.definitions:
        if isinstance(expression, ast.Call) and expression.prime == 0 and len(expression.args) == 1:
            function = canonical_function(expression.func)
            if function in ELEMENTWISE or function in problem.activations:
                outputs[name] = function
    return outputs


def _activation_of(node: ast.Node, outputs: dict[str, str], problem: Problem) -> str | None:
    """The activation whose value ``node`` is (h, h[i], sigmoid(a)), or None."""
    if isinstance(node, ast.Index):
        node = node.operand
    if isinstance(node, ast.Name):
        return outputs.get(node.id)
    if isinstance(node, ast.Call) and node.prime == 0 and len(node.args) == 1:
        function = canonical_function(node.func)
        if function in ELEMENTWISE or function in problem.activations:
            return function
    return None


def as_activation(node: ast.Node, outputs: dict[str, str], problem: Problem) -> ast.Node | None:
    """When ``node`` is an activation's derivative (σ'(a), step(z), 1 - h**2, h * (1 - h), or the
    diag of one), the activation's value it is the derivative of (σ(a), relu(z), h); else None."""
    one = ast.Number(Fraction(1))
    if isinstance(node, ast.Call) and node.prime >= 1:
        return dataclasses.replace(node, prime=node.prime - 1)
    if isinstance(node, ast.Call) and node.func == "step" and len(node.args) == 1:
        return ast.Call("relu", node.args)
    if isinstance(node, ast.Call) and node.func == "diag" and len(node.args) == 1:
        inner = as_activation(node.args[0], outputs, problem)
        return None if inner is None else dataclasses.replace(node, args=(inner,))
    if isinstance(node, ast.Binary) and node.op == "-" and node.left == one and isinstance(node.right, ast.Binary) \
            and node.right.op == "**" and node.right.right == _number(2) \
            and _activation_of(node.right.left, outputs, problem) == "tanh":
        return node.right.left
    if isinstance(node, ast.Binary) and node.op == "*":
        for value, rest in ((node.left, node.right), (node.right, node.left)):
            if rest == ast.Binary("-", one, value) and _activation_of(value, outputs, problem) == "sigmoid":
                return value
    return None


# -- the kinds of mutation --------------------------------------------------------------------------
def whole_transpose_slip(link: Link) -> str:
    """What a transpose of the whole value is called: layout for a Jacobian (the derivative of a
    vector), row-column for a vector, else transposed."""
    reference = link.reference
    if isinstance(reference, ast.Derivative):
        of = shape_of(reference.of, link.scope)
        if of is not None and not is_scalar(of) and ONE in of:
            return "layout"
    shape = shape_of(link.claimed, link.scope)
    if shape is not None and ONE in shape:
        return "row-column"
    return "transposed"


def transpose_whole(link: Link) -> Iterator[Mutation]:
    side, scope = link.claimed, link.scope
    slip = whole_transpose_slip(link)
    if not scalar(side, scope) and not isinstance(side, ast.Transpose):  # a whole .T is dropped below
        yield Mutation("transpose-whole", slip, "the whole side transposed", (), ast.Transpose)
    for path in sorted(whole(side, scope)):
        sub = subtree(side, path)
        if isinstance(sub, ast.Transpose) and not scalar(sub, scope):
            yield Mutation("transpose-whole", slip, f"the transpose of {to_text(sub)} dropped", path,
                           lambda s: s.operand)


def transpose_inner(link: Link) -> Iterator[Mutation]:
    side, scope = link.claimed, link.scope
    outer = whole(side, scope)
    parents = {path + (position,): sub for path, sub in sites(side) for position in range(len(kids(sub)))}
    for path, sub in sites(side):
        # under an index a transpose is an index slip (f.T[1], X.T[s,j]): wrong-index makes those
        if path in outer or isinstance(parents.get(path), ast.Index) or scalar(sub, scope) \
                or shape_of(sub, scope) is None:
            continue
        if isinstance(sub, ast.Transpose):
            yield Mutation("transpose-inner", "misplaced-transpose", f"the transpose of {to_text(sub)} dropped",
                           path, lambda s: s.operand)
        elif not isinstance(parents.get(path), ast.Transpose) and (
                isinstance(sub, (ast.Derivative, ast.Call)) or (isinstance(sub, ast.Binary) and sub.op == "@")
                or (isinstance(sub, ast.Name) and sub.id in link.problem.shapes)):
            yield Mutation("transpose-inner", "misplaced-transpose", f"{to_text(sub)} transposed", path,
                           ast.Transpose)


def swap_operands(link: Link) -> Iterator[Mutation]:
    for path, sub in sites(link.claimed):
        if isinstance(sub, ast.Binary) and sub.op == "@":
            yield Mutation("swap-operands", "swapped-operands", f"the operands of {to_text(sub)} swapped", path,
                           lambda s: ast.Binary("@", s.right, s.left))


def hadamard_matmul(link: Link) -> Iterator[Mutation]:
    scope = link.scope
    for path, sub in sites(link.claimed):
        if isinstance(sub, ast.Binary) and sub.op == "@":
            yield Mutation("hadamard-matmul", "hadamard-matmul", f"{to_text(sub)}: @ written *", path,
                           lambda s: ast.Binary("*", s.left, s.right))
        if isinstance(sub, ast.Binary) and sub.op == "*" and not scalar(sub.left, scope) \
                and not scalar(sub.right, scope):
            yield Mutation("hadamard-matmul", "hadamard-matmul", f"{to_text(sub)}: * written @", path,
                           lambda s: ast.Binary("@", s.left, s.right))


def times_constant(link: Link) -> Iterator[Mutation]:
    """×2 or /2 of the whole side (one of the two is drawn: ``CAPS``)."""
    yield Mutation("times-constant", "factor", "the side times 2", (), lambda s: ast.Binary("*", _number(2), s))
    yield Mutation("times-constant", "factor", "the side divided by 2", (), lambda s: ast.Binary("/", s, _number(2)))


def drop_constant(link: Link) -> Iterator[Mutation]:
    side, problem = link.claimed, link.problem
    for path in sorted(multiplicative(side)):
        sub = subtree(side, path)
        if not isinstance(sub, ast.Binary):
            continue
        if sub.op == "*" and constant(sub.left, problem) and not unit(sub.left):
            yield Mutation("drop-constant", "factor", f"the factor {to_text(sub.left)} dropped", path,
                           lambda s: s.right)
        elif sub.op == "*" and constant(sub.right, problem) and not unit(sub.right):
            yield Mutation("drop-constant", "factor", f"the factor {to_text(sub.right)} dropped", path,
                           lambda s: s.left)
        elif sub.op == "/" and constant(sub.right, problem) and not unit(sub.right):
            yield Mutation("drop-constant", "factor", f"the division by {to_text(sub.right)} dropped", path,
                           lambda s: s.left)


def wrong_divisor(link: Link) -> Iterator[Mutation]:
    side, problem = link.claimed, link.problem
    sizes = problem.free_sizes
    for path in sorted(multiplicative(side)):
        sub = subtree(side, path)
        if not (isinstance(sub, ast.Binary) and sub.op == "/" and constant(sub.right, problem)):
            continue
        for inner, name in sites(sub.right):
            if isinstance(name, ast.Name) and name.id in sizes:
                for other in sizes:
                    if other != name.id:
                        where = path + (1,) + inner
                        yield Mutation("wrong-divisor", "factor", f"divided by {other} where {name.id} was meant",
                                       where, lambda s, other=other: ast.Name(other))


def flip_sign(link: Link) -> Iterator[Mutation]:
    side = link.claimed
    if not isinstance(side, ast.Neg):
        yield Mutation("flip-sign", "sign", "the side negated", (), ast.Neg)
    for path in sorted(multiplicative(side)):
        sub = subtree(side, path)
        if isinstance(sub, ast.Neg):
            yield Mutation("flip-sign", "sign", f"the minus of {to_text(sub)} dropped", path, lambda s: s.operand)
        elif isinstance(sub, ast.Number) and sub.value < 0:
            yield Mutation("flip-sign", "sign", f"{to_text(sub)} written {to_text(_number(-sub.value))}", path,
                           lambda s: _number(-s.value))


def _sum_drops(link: Link, path: tuple[int, ...], sub: ast.Node, kind: str) -> Iterator[Mutation]:
    """The sums ``sub`` is, dropped: sum(X, axis=k), sum(x) of a vector, X @ ones(S), sum_s(...)."""
    scope = link.scope
    if isinstance(sub, ast.Call) and sub.func == "sum" and sub.args:
        shape = shape_of(sub.args[0], scope)
        if sub.kwargs or (shape is not None and not is_scalar(shape) and ONE in shape):
            yield Mutation(kind, "missing-batch-sum", f"{to_text(sub)} written {to_text(sub.args[0])}", path,
                           lambda s: s.args[0])
    if isinstance(sub, ast.Binary) and sub.op == "@" and isinstance(sub.right, ast.Call) and sub.right.func == "ones" \
            and len(sub.right.args) == 1:
        yield Mutation(kind, "missing-batch-sum", f"{to_text(sub)} written {to_text(sub.left)}", path,
                       lambda s: s.left)
    if isinstance(sub, ast.IndexSum):
        for index in sub.indices:
            rest = tuple(i for i in sub.indices if i != index)
            yield Mutation(kind, "missing-batch-sum", f"the sum over {index} dropped", path,
                           lambda s, rest=rest: dataclasses.replace(s, indices=rest) if rest else s.body)


def drop_batch_sum(link: Link) -> Iterator[Mutation]:
    side = link.claimed
    for path in sorted(multiplicative(side)):
        yield from _sum_drops(link, path, subtree(side, path), "drop-batch-sum")


def drop_inner_sum(link: Link) -> Iterator[Mutation]:
    side = link.claimed
    scaling = multiplicative(side)
    for path, sub in sites(side):
        if path not in scaling:
            yield from _sum_drops(link, path, sub, "drop-inner-sum")


def other_axis(link: Link) -> Iterator[Mutation]:
    scope = link.scope
    for path, sub in sites(link.claimed):
        axis = dict(sub.kwargs).get("axis") if isinstance(sub, ast.Call) and sub.func == "sum" else None
        if isinstance(axis, ast.Number) and axis.value in (0, 1):
            flipped = tuple((key, _number(1 - value.value) if key == "axis" else value) for key, value in sub.kwargs)
            yield Mutation("other-axis", "wrong-axis", f"{to_text(sub)} over the other axis", path,
                           lambda s, flipped=flipped: dataclasses.replace(s, kwargs=flipped))
        if isinstance(sub, ast.Call) and sub.func == "softmax" and len(sub.args) == 1:
            shape = shape_of(sub.args[0], scope)
            if shape is not None and ONE not in shape:
                yield Mutation("other-axis", "wrong-axis", f"{to_text(sub)} over the columns", path,
                               lambda s: ast.Transpose(dataclasses.replace(s, args=(ast.Transpose(s.args[0]),))))


def drop_activation_derivative(link: Link) -> Iterator[Mutation]:
    outputs = activation_outputs(link.problem)
    for path, sub in sites(link.claimed):
        if not (isinstance(sub, ast.Binary) and sub.op in ("*", "@")):
            continue
        for position, factor in enumerate((sub.left, sub.right)):
            if as_activation(factor, outputs, link.problem) is not None:
                yield Mutation("drop-activation-derivative", "missing-activation-derivative",
                               f"the factor {to_text(factor)} dropped", path,
                               lambda s, position=position: s.right if position == 0 else s.left)


def activation_for_derivative(link: Link) -> Iterator[Mutation]:
    outputs = activation_outputs(link.problem)
    for path, sub in sites(link.claimed):
        value = as_activation(sub, outputs, link.problem)
        if value is not None:
            yield Mutation("activation-for-derivative", "activation-for-derivative",
                           f"{to_text(sub)} written {to_text(value)}", path,
                           lambda s, value=value: value)


def _swap_indices(node: ast.Node, a: str, b: str) -> ast.Node:
    """``node`` with the index names a and b exchanged everywhere."""
    swap = {a: b, b: a}

    def change(sub):
        if isinstance(sub, ast.Index):
            return dataclasses.replace(sub, items=tuple(swap.get(i, i) if isinstance(i, str) else i
                                                        for i in sub.items))
        if isinstance(sub, ast.Name) and sub.id in swap:
            return ast.Name(swap[sub.id])
        if isinstance(sub, ast.IndexSum):
            return dataclasses.replace(sub, indices=tuple(swap.get(i, i) for i in sub.indices))
        return sub

    return ast.rebuild(node, change)


def wrong_index(link: Link) -> Iterator[Mutation]:
    side = link.claimed
    names = sorted(index_names_of(side) | index_names_of(link.reference))
    free = sorted(i for i in index_names_of(link.reference) if not any(
        isinstance(s, ast.IndexSum) and i in s.indices for s in ast.walk(link.reference)))
    transpose = _swap_indices(side, *free) if len(free) == 2 else None
    for path, sub in sites(side):
        if not isinstance(sub, ast.Index):
            continue
        for position, item in enumerate(sub.items):
            if not isinstance(item, str):
                continue
            for other in names:
                if other != item:
                    items = sub.items[:position] + (other,) + sub.items[position + 1:]
                    yield Mutation("wrong-index", "wrong-index", f"{to_text(sub)}: index {item} written {other}",
                                   path, lambda s, items=items: dataclasses.replace(s, items=items))
        if len(sub.items) == 2 and sub.items[0] != sub.items[1] and all(isinstance(i, str) for i in sub.items):
            swapped = dataclasses.replace(sub, items=sub.items[::-1])
            slip = "transposed" if replace_at(side, path, swapped) == transpose else "wrong-index"
            yield Mutation("wrong-index", slip, f"{to_text(sub)} written {to_text(swapped)}", path,
                           lambda s: dataclasses.replace(s, items=s.items[::-1]))


KINDS: dict[str, Callable[[Link], Iterator[Mutation]]] = {
    "transpose-whole": transpose_whole,
    "transpose-inner": transpose_inner,
    "swap-operands": swap_operands,
    "hadamard-matmul": hadamard_matmul,
    "times-constant": times_constant,
    "drop-constant": drop_constant,
    "wrong-divisor": wrong_divisor,
    "flip-sign": flip_sign,
    "drop-batch-sum": drop_batch_sum,
    "drop-inner-sum": drop_inner_sum,
    "other-axis": other_axis,
    "drop-activation-derivative": drop_activation_derivative,
    "activation-for-derivative": activation_for_derivative,
    "wrong-index": wrong_index,
}
