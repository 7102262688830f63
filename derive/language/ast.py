"""The closed set of nodes a claim is made of.

Nodes are frozen dataclasses, so they hash and compare by structure: two claims that parse to
equal trees are the same claim (grading groups answers this way). ``span`` records where the
node came from in the source text for error messages and takes no part in equality.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction

Span = tuple[int, int] | None

# The argument of f(\cdot): a point the formula leaves to its context (derive.problem.settle
# puts in the one the problem's definitions give); no reader makes a name of this character.
PLACEHOLDER = "·"
# A vector written by its entries, [a_1, \dots, a_n]: ENTRIES(pattern, n), the pattern over whole
# vectors (derive.language.latex_in_lists); derive.problem.settle checks n and orients it.
ENTRIES = "entries·"
# A matrix written by its entries: MATRIX(the sum of entries times unit matrices, *the entries);
# derive.problem.settle checks that each entry is a number (derive.language.latex_in_matrices).
MATRIX = "matrix·"


def _span():
    return field(default=None, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class Number:
    value: Fraction
    span: Span = _span()


@dataclass(frozen=True)
class Name:
    id: str
    span: Span = _span()


@dataclass(frozen=True)
class Neg:
    operand: Node
    span: Span = _span()


@dataclass(frozen=True)
class Binary:
    """``left op right`` with op one of ``+ - @ * / **`` (``*`` and ``/`` are elementwise)."""

    op: str
    left: Node
    right: Node
    span: Span = _span()


@dataclass(frozen=True)
class Transpose:
    operand: Node
    span: Span = _span()


@dataclass(frozen=True)
class Call:
    """``func(args, key=value)``; ``prime`` counts derivative marks, as in ``h'(X)``."""

    func: str
    args: tuple[Node, ...]
    kwargs: tuple[tuple[str, Node], ...] = ()
    prime: int = 0
    span: Span = _span()


ALL = None  # the ``:`` of a slice


@dataclass(frozen=True)
class Index:
    """``operand[i, j]``: each item an index name, a 1-based integer, or ``ALL`` for ``:``."""

    operand: Node
    items: tuple[str | int | None, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Derivative:
    """``d(of)/d(wrt)``: ``of`` any expression, ``wrt`` the name of a variable."""

    of: Node
    wrt: str
    span: Span = _span()


@dataclass(frozen=True)
class IndexSum:
    """``sum_{m,n}(body)``: the body summed over the full range of each index."""

    indices: tuple[str, ...]
    body: Node
    span: Span = _span()


Node = Number | Name | Neg | Binary | Transpose | Call | Index | Derivative | IndexSum


def remember_hash(cls: type) -> type:
    """Give the frozen dataclass ``cls`` a hash computed once per object: a tree's hash is its
    children's, each asked again at every level, and the diagnosis hashes thousands of edited
    trees that share all but a path of nodes with the claim (the index engine's forms are keys
    of its remembered results too). The hash is kept outside the fields (equality and
    ``replace`` ignore it) and left out of a pickle, since a string's hash differs from one
    process to the next."""
    structural = cls.__hash__

    def __hash__(self) -> int:
        known = self.__dict__.get("_hash")
        if known is None:
            known = self.__dict__["_hash"] = structural(self)
        return known

    def __getstate__(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if key != "_hash"}

    cls.__hash__ = __hash__
    cls.__getstate__ = __getstate__
    return cls


for _node_class in (Number, Name, Neg, Binary, Transpose, Call, Index, Derivative, IndexSum):
    remember_hash(_node_class)


@dataclass(frozen=True)
class Chain:
    """What a claim states, by its ``kind``: ``=``, the chain ``A = B = C`` whose every link (A = B,
    B = C) must hold; ``:=``, a gradient-descent step as written, its sides ``W`` and
    ``W - eta * G`` (read as the claim dL/dW = G by problem/updates.py); ``in``, a shape
    statement ``dL/dW in R^(m x d)``, its sides the expression and the two sizes stated."""

    sides: tuple[Node, ...]
    text: str = field(default="", compare=False, hash=False)
    kind: str = "="

    def links(self) -> list[tuple[Node, Node]]:
        """The equations to check, each link of a chain; a step or a statement has none."""
        return list(zip(self.sides, self.sides[1:])) if self.kind == "=" else []


class UpdateSides(list):
    """What a grammar's transformer returns for ``W := value`` (``W <- value``, ``W \\leftarrow
    value``): the two sides, marked as a step rather than an equation."""


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node``."""
    if isinstance(node, (Neg, Transpose)):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args + tuple(v for _, v in node.kwargs)
    if isinstance(node, Index):
        return (node.operand,)
    if isinstance(node, Derivative):
        return (node.of,)
    if isinstance(node, IndexSum):
        return (node.body,)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def map_children(node: Node, change: Callable[[Node], Node]) -> Node:
    """``node`` with ``change`` applied to each direct sub-expression (a top-down pass decides
    what to do with each child; ``rebuild`` goes bottom-up)."""
    if isinstance(node, (Neg, Transpose, Index)):
        return replace(node, operand=change(node.operand))
    if isinstance(node, Binary):
        return replace(node, left=change(node.left), right=change(node.right))
    if isinstance(node, Call):
        return replace(node, args=tuple(change(a) for a in node.args),
                       kwargs=tuple((key, change(value)) for key, value in node.kwargs))
    if isinstance(node, Derivative):
        return replace(node, of=change(node.of))
    if isinstance(node, IndexSum):
        return replace(node, body=change(node.body))
    return node


def rebuild(node: Node, change: Callable[[Node], Node]) -> Node:
    """The tree with ``change`` applied to every node, children first (``change`` returns the
    node itself, or its replacement)."""
    if isinstance(node, (Neg, Transpose, Index)):
        node = replace(node, operand=rebuild(node.operand, change))
    elif isinstance(node, Binary):
        node = replace(node, left=rebuild(node.left, change), right=rebuild(node.right, change))
    elif isinstance(node, Call):
        node = replace(node, args=tuple(rebuild(a, change) for a in node.args),
                       kwargs=tuple((key, rebuild(value, change)) for key, value in node.kwargs))
    elif isinstance(node, Derivative):
        node = replace(node, of=rebuild(node.of, change))
    elif isinstance(node, IndexSum):
        node = replace(node, body=rebuild(node.body, change))
    return change(node)
