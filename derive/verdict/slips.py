"""The slips students make, as edits of a claim's tree: each candidate a rewritten claim.

The diagnosis (derive.verdict.diagnose) tries these edits and names the one after which the
claim matches the truth: a transpose placed or missed (around any run of a product chain), an
index or variable swapped, operands swapped, a Hadamard for a matrix product, and the slips a
call of each primitive invites, registered per row of the primitive table (kron read for the
outer product, a function where its derivative was meant); the whole claim's indices swapped or
summed (``whole_edits``), and a sum dropped inside a term put back (``sum_edits``). Where the
diagnosis has found an activation's value used for its derivative, ``derivative_edits`` writes
the correction (1 - h**2 for h = tanh(a)).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from fractions import Fraction

from ..errors import BudgetExceeded, DeriveError
from ..language import ast
from ..language.primitives import ELEMENTWISE, canonical_function, engine_rules
from ..language.shapes import Scope, ShapeMemo, infer, is_scalar
from ..language.text import to_text
from ..problem.definition import Problem
from .points import common_scope, free

Edit = tuple[str, str, ast.Node]  # (slip code, what it is in words, the edited tree)


def rebuild(node: ast.Node, path: tuple[int, ...], new: ast.Node, interned: dict | None = None) -> ast.Node:
    """``node`` with the subtree at ``path`` (a tuple of child positions) replaced by ``new``.

    ``interned`` (a node -> itself) gives each node rebuilt along the path as the one object
    rebuilt before with its structure, if any: the diagnosis's caches of shapes and values are
    keyed by identity, and the second edit of a pair rebuilds, below where its path meets the
    first edit's, the very nodes that edit made alone."""
    if not path:
        return new
    # the constructors, not dataclasses.replace: the diagnosis rebuilds a path per candidate edit
    head, rest = path[0], path[1:]
    if isinstance(node, ast.Neg):
        built = ast.Neg(operand=rebuild(node.operand, rest, new, interned), span=node.span)
    elif isinstance(node, ast.Transpose):
        built = ast.Transpose(operand=rebuild(node.operand, rest, new, interned), span=node.span)
    elif isinstance(node, ast.Index):
        built = ast.Index(operand=rebuild(node.operand, rest, new, interned), items=node.items, span=node.span)
    elif isinstance(node, ast.Binary):
        if head == 0:
            built = ast.Binary(op=node.op, left=rebuild(node.left, rest, new, interned), right=node.right,
                               span=node.span)
        else:
            built = ast.Binary(op=node.op, left=node.left, right=rebuild(node.right, rest, new, interned),
                               span=node.span)
    elif isinstance(node, ast.Call):
        args = list(node.args)
        args[head] = rebuild(args[head], rest, new, interned)
        built = ast.Call(func=node.func, args=tuple(args), kwargs=node.kwargs, prime=node.prime, span=node.span)
    elif isinstance(node, ast.Derivative):
        built = ast.Derivative(of=rebuild(node.of, rest, new, interned), wrt=node.wrt, span=node.span)
    elif isinstance(node, ast.IndexSum):
        built = ast.IndexSum(indices=node.indices, body=rebuild(node.body, rest, new, interned), span=node.span)
    else:
        raise TypeError(type(node).__name__)
    return built if interned is None else interned.setdefault(built, built)


def positions(node: ast.Node, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], ast.Node]]:
    yield path, node
    kids = node.args if isinstance(node, ast.Call) else ast.children(node)
    for position, child in enumerate(kids):
        yield from positions(child, path + (position,))


def names_in(node: ast.Node) -> set[str]:
    """The variable names in ``node``, and the variables it differentiates by."""
    return set(_names_in_order(node))


def _names_in_order(node: ast.Node) -> Iterator[str]:
    """``names_in``, in the order of a walk of the tree (a name as often as it occurs)."""
    for each in ast.walk(node):
        if isinstance(each, ast.Name):
            yield each.id
        elif isinstance(each, ast.Derivative):
            yield each.wrt


class Degenerate:
    """Whether an edit of a claim proves nothing: it restates the other side, brings in the very
    derivative being computed (when the claim did not: dJ/dW restated as d(J.T)/dW), or makes a
    delta of one index with itself.

    What it learns of each subtree is kept by identity (the node with it), since the edits of one
    claim share most of their subtrees with it and thousands of them are asked about.
    """

    def __init__(self, claim: ast.Node, target: ast.Node):
        self.target = target
        self.wanted = [(d.wrt, frozenset(names_in(d.of))) for d in ast.walk(target) if isinstance(d, ast.Derivative)]
        self._facts: dict[int, tuple] = {}
        self.was_circular = self._circular(claim)

    def __call__(self, node: ast.Node) -> bool:
        return node == self.target or (not self.was_circular and self._circular(node)) or self._facts_of(node)[1]

    def _circular(self, node: ast.Node) -> bool:
        return any(derivative in self.wanted for derivative in self._facts_of(node)[0])

    def _facts_of(self, node: ast.Node) -> tuple[frozenset, bool]:
        """(the derivatives in ``node`` as (wrt, names of what is differentiated), a delta of one
        index with itself in it)."""
        known = self._facts.get(id(node))
        if known is not None:
            return known[1]
        derivatives: set = set()
        self_delta = isinstance(node, ast.Call) and node.func == "delta" and len(node.args) == 2 and \
            node.args[0] == node.args[1]
        if isinstance(node, ast.Derivative):
            derivatives.add((node.wrt, frozenset(names_in(node.of))))
        for child in ast.children(node):
            inner, delta = self._facts_of(child)
            derivatives |= inner
            self_delta = self_delta or delta
        facts = (frozenset(derivatives), self_delta)
        self._facts[id(node)] = (node, facts)
        return facts


def _factors(node) -> list:
    """The factors of a chain of matrix products, a @ b @ c → [a, b, c] (left-associated)."""
    if isinstance(node, ast.Binary) and node.op == "@":
        return _factors(node.left) + _factors(node.right)
    return [node]


def _chain(factors: list):
    product = factors[0]
    for factor in factors[1:]:
        product = ast.Binary("@", product, factor)
    return product


def _scalar(node, scope: Scope, memo: ShapeMemo | None) -> bool:
    """A 1×1 value, whose transpose is itself: no transpose edit can explain anything there."""
    try:
        return is_scalar(infer(node, scope, memo))
    except BudgetExceeded:
        raise
    except DeriveError:
        return False


def _chain_edits(sub, edit):
    """A transpose around any run of a product chain (A @ B @ C → A @ (B @ C).T)."""
    factors = _factors(sub)
    for start in range(len(factors)):
        for stop in range(start + 2, len(factors) + 1):
            if start == 0 and stop == len(factors):
                continue  # the whole chain: a plain transpose edit
            run = _chain(factors[start:stop])
            new = _chain(factors[:start] + [ast.Transpose(run)] + factors[stop:])
            yield "misplaced-transpose", f"{to_text(run)} where its transpose was meant", edit(new)


def single_edits(problem: Problem, scope: Scope, node: ast.Node, memo: ShapeMemo | None = None,
                 interned: dict | None = None) -> Iterator[Edit]:
    """(code, description, edited tree) for every single edit of the claim (``memo``: shapes
    already known, shared with the other edits of this claim; ``interned``: see ``rebuild``)."""
    shapes = problem.shapes
    at: dict = {}  # path -> subtree: by place, not identity (an interned tree may hold one object twice)
    for path, sub in positions(node):
        def edit(new, _path=path):
            return rebuild(node, _path, new, interned)

        at[path] = sub  # a parent comes before its children
        parent = at.get(path[:-1]) if path else None
        if isinstance(sub, ast.Binary) and sub.op == "@" and not (
                isinstance(parent, ast.Binary) and parent.op == "@"):
            yield from _chain_edits(sub, edit)

        transposable = not _scalar(sub, scope, memo)  # the transpose of a scalar is the scalar itself
        if isinstance(sub, ast.Transpose) and transposable:
            yield "misplaced-transpose", f"{to_text(sub)} where {to_text(sub.operand)} was meant", edit(sub.operand)
        if isinstance(sub, ast.Index) and len(sub.items) == 2 and sub.items[0] != sub.items[1]:
            swapped = dataclasses.replace(sub, items=sub.items[::-1])
            yield "wrong-index", f"{to_text(sub)} where {to_text(swapped)} was meant", edit(swapped)
        if transposable and (isinstance(sub, (ast.Derivative, ast.Call)) or (
                isinstance(sub, ast.Name) and sub.id in shapes) or (isinstance(sub, ast.Binary) and sub.op == "@")):
            yield "misplaced-transpose", f"{to_text(sub)} where its transpose was meant", edit(ast.Transpose(sub))
        if isinstance(sub, ast.Binary) and sub.op == "@":
            yield "swapped-operands", f"the operands of {to_text(sub)} are swapped", \
                edit(ast.Binary("@", sub.right, sub.left))
            yield "hadamard-matmul", f"{to_text(sub)} is a matrix product where the elementwise product was meant", \
                edit(ast.Binary("*", sub.left, sub.right))
        if isinstance(sub, ast.Binary) and sub.op == "*":
            yield "hadamard-matmul", f"{to_text(sub)} is an elementwise product where the matrix product was meant", \
                edit(ast.Binary("@", sub.left, sub.right))
        if isinstance(sub, ast.Call):
            name = canonical_function(sub.func)
            rule = _value_for_derivative if name in problem.activations else DIAGNOSIS_RULES.get(name)
            for code, description, new in rule(sub) if rule else ():
                yield code, description, edit(new)
        if isinstance(sub, ast.Name) and sub.id in scope.index_names:
            for other in sorted(scope.index_names - {sub.id}):
                yield "wrong-index", f"index {sub.id} where {other} was meant", edit(ast.Name(other))
        if isinstance(sub, ast.Name) and sub.id in shapes:
            for other in shapes:
                if other != sub.id and other not in problem.arbitrary:
                    yield "wrong-index", f"{sub.id} where {other} was meant", edit(ast.Name(other))
        if isinstance(sub, ast.Index):
            for position, item in enumerate(sub.items):
                if not isinstance(item, str):
                    continue
                for other in sorted(scope.index_names - {item}):
                    items = list(sub.items)
                    items[position] = other
                    yield "wrong-index", f"index {item} where {other} was meant in {to_text(sub)}", \
                        edit(dataclasses.replace(sub, items=tuple(items)))
        if isinstance(sub, ast.Derivative):
            for other in shapes:
                if other != sub.wrt and other not in problem.arbitrary:
                    yield "wrong-index", f"d/d{sub.wrt} where d/d{other} was meant", \
                        edit(dataclasses.replace(sub, wrt=other))


DIAGNOSIS_RULES = engine_rules("diagnosis")  # the slips a call of each primitive invites


@DIAGNOSIS_RULES.register(*ELEMENTWISE)
def _value_for_derivative(call: ast.Call):
    if call.prime == 0 and len(call.args) == 1:
        yield ("activation-for-derivative", f"{to_text(call)} where its derivative {call.func}'(...) was meant",
               dataclasses.replace(call, prime=1))


# an activation's derivative written with the activation's value y, as people write it
DERIVATIVE_FROM_VALUE = {
    "tanh": lambda y: ast.Binary("-", ast.Number(Fraction(1)), ast.Binary("**", y, ast.Number(Fraction(2)))),
    "sigmoid": lambda y: ast.Binary("*", y, ast.Binary("-", ast.Number(Fraction(1)), y)),
}


def derivative_edits(problem: Problem, node: ast.Node, function: str) -> Iterator[ast.Node]:
    """``node`` with the value of the activation ``function`` put back as its derivative, where an
    activation was used for its derivative: a call f(u) becomes f'(u), a name defined as f(u) (or
    an entry of it) the derivative written with that name (1 - h**2 for h = tanh(a)), or f'(u);
    at one place at a time, then at every place at once."""
    defined = {name: expr for name, expr in problem.definitions if isinstance(expr, ast.Call) and expr.prime == 0
               and len(expr.args) == 1 and canonical_function(expr.func) == function}
    sites = [(path, new) for path, sub in positions(node)
             if (new := _derivative_of_value(sub, function, defined)) is not None]
    for path, new in sites:
        yield rebuild(node, path, new)
    if len(sites) > 1 and not any(a != b and b[:len(a)] == a for (a, _), (b, _) in itertools.product(sites, sites)):
        every = node
        for path, new in sites:  # disjoint places: each path still leads where it did
            every = rebuild(every, path, new)
        yield every


def _derivative_of_value(sub: ast.Node, function: str, defined: dict) -> ast.Node | None:
    """The derivative of ``function`` where ``sub`` is its value (a call, or a name defined as
    one, or an entry of that name), else None."""
    if isinstance(sub, ast.Call) and sub.prime == 0 and len(sub.args) == 1 and canonical_function(sub.func) == function:
        return dataclasses.replace(sub, prime=1)
    name = sub.operand if isinstance(sub, ast.Index) else sub
    if not (isinstance(name, ast.Name) and name.id in defined):
        return None
    if function in DERIVATIVE_FROM_VALUE:
        return DERIVATIVE_FROM_VALUE[function](sub)
    return dataclasses.replace(defined[name.id], prime=1) if sub is name else None


@DIAGNOSIS_RULES.register("kron")
def _kron_for_outer(call: ast.Call):
    yield ("kron-outer", "⊗ was read as the Kronecker product where the outer product was meant",
           dataclasses.replace(call, func="outer"))


@DIAGNOSIS_RULES.register("sum")
def _sum_over_the_other_axis(call: ast.Call):
    kwargs = dict(call.kwargs)
    axis = kwargs.get("axis")
    if isinstance(axis, ast.Number) and axis.value in (0, 1):
        other = ast.Number(1 - axis.value)
        changed = tuple((key, other if key == "axis" else value) for key, value in call.kwargs)
        yield ("wrong-axis", f"{to_text(call)} sums over axis {axis.value} where axis {other.value} was meant",
               dataclasses.replace(call, kwargs=changed))


@DIAGNOSIS_RULES.register("softmax")
def _softmax_over_the_other_axis(call: ast.Call):
    """derive's softmax normalises each row; the columns' is softmax(Z.T).T."""
    if len(call.args) == 1 and not call.kwargs:
        yield ("wrong-axis", f"{to_text(call)} normalises the rows where the columns were meant",
               ast.Transpose(dataclasses.replace(call, args=(ast.Transpose(call.args[0]),))))


@DIAGNOSIS_RULES.register("trace", "det", "inv", "vec", "diag", "outer", "norm", "ones", "eye", "zeros", "delta")
def _no_slip_of_its_own(call: ast.Call):
    """A call whose slips are the ones every node invites (a transpose, a factor, an index)."""
    return ()


def rename_index(node: ast.Node, old: str, new: str) -> ast.Node:
    """``node`` with index ``old`` renamed ``new`` everywhere (items, delta arguments, sums)."""
    def change(sub):
        if isinstance(sub, ast.Name) and sub.id == old:
            return ast.Name(new)
        if isinstance(sub, ast.Index):
            return dataclasses.replace(sub, items=tuple(new if item == old else item for item in sub.items))
        if isinstance(sub, ast.IndexSum):
            return dataclasses.replace(sub, indices=tuple(new if i == old else i for i in sub.indices))
        return sub

    return ast.rebuild(node, change)


def _rename_variable(node, old: str, new: str):
    """``node`` with the variable ``old`` renamed ``new`` everywhere, derivatives included."""
    def change(sub):
        if isinstance(sub, ast.Name) and sub.id == old:
            return ast.Name(new)
        if isinstance(sub, ast.Derivative) and sub.wrt == old:
            return dataclasses.replace(sub, wrt=new)
        return sub

    return ast.rebuild(node, change)


def unit_edits(problem: Problem, node: ast.Node) -> Iterator[Edit]:
    """One quantity renamed everywhere it occurs: a chain routed through the wrong unit
    (dL/dz1 * dz1/dw1 where w1 feeds z0)."""
    # in the order they first occur (a set's order follows string hashes, which change from one
    # process to the next: the search, and which of two matching edits it found, did too)
    used = [n for n in dict.fromkeys(_names_in_order(node)) if n in problem.shapes]
    for old in used:
        for new, shape in problem.shapes.items():
            if new != old and shape == problem.shapes[old] and new not in problem.arbitrary:
                renamed = _rename_variable(node, old, new)
                if renamed != node:
                    yield "wrong-index", f"{old} where {new} was meant (the term is attached to the wrong unit)", \
                        renamed


def whole_edits(node: ast.Node, target: ast.Node, scope: Scope) -> Iterator[Edit]:
    """Edits of the whole claim: two indices swapped throughout, a sum over an extra index.

    Swapping the two free indices of a well-formed claim is a transpose; in a claim that does not
    even type-check (an index running over two ranges) it is an index slip.
    """
    own, wanted = free(node, scope), free(target, scope)
    well_formed = common_scope(scope, node, target) is not None
    for a, b in itertools.combinations(sorted(own), 2):
        swapped = rename_index(rename_index(rename_index(node, a, "__swap__"), b, a), "__swap__", b)
        code = "transposed" if {a, b} == wanted and len(wanted) == 2 and well_formed else "wrong-index"
        yield code, f"indices {a} and {b} are swapped", swapped
    for extra in sorted(own - wanted):
        yield "missing-batch-sum", f"the sum over {extra} is missing", ast.IndexSum((extra,), node)


def sum_edits(scope: Scope, node: ast.Node, target: ast.Node, memo: ShapeMemo | None = None) -> Iterator[Edit]:
    """A sum dropped inside the claim put back (t * p - t for sum(t) * p - t): an operand of an
    elementwise operation summed — a vector whole, a matrix along either axis (it broadcasts
    back) — and, in index notation, an operand in which an index the true value leaves bound is
    free, summed over it. A dropped sum around the whole claim is ``whole_edits``'s."""
    extra = sorted(free(node, scope) - free(target, scope))
    for path, sub in positions(node):
        if not (isinstance(sub, ast.Binary) and sub.op in ("+", "-", "*", "/", "**")):
            continue
        for position, operand in enumerate((sub.left, sub.right)):
            def edit(new, _path=path + (position,)):
                return rebuild(node, _path, new)

            for index in extra:
                if index in free(operand, scope):
                    yield "missing-batch-sum", f"the sum over {index} of {to_text(operand)} is missing", \
                        edit(ast.IndexSum((index,), operand))
            if sub.op == "**" or (isinstance(operand, ast.Call) and operand.func == "sum") or (
                    isinstance(operand, ast.Derivative) and not _scalar(operand.of, scope, memo)):
                continue  # a sum of a sum, or of a Jacobian (the derivative of a sum, not a slip's)
            for summed in _sums_of(operand, scope, memo):
                yield "missing-batch-sum", f"{to_text(operand)} where {to_text(summed)} was meant", edit(summed)


def _sums_of(node: ast.Node, scope: Scope, memo: ShapeMemo | None) -> list[ast.Node]:
    """The sums a dropped one may have been: of a vector, sum(v); of a matrix, along each axis."""
    try:
        shape = infer(node, scope, memo)
    except BudgetExceeded:
        raise
    except DeriveError:
        return []
    if is_scalar(shape):
        return []
    if 1 in shape:
        return [ast.Call("sum", (node,))]
    return [ast.Call("sum", (node,), (("axis", ast.Number(Fraction(axis))),)) for axis in (0, 1)]
