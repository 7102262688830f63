"""A gradient-descent step as written, ``W := W - eta * G``, read as the gradient claim it makes.

The step W ← W − η G descends the loss L exactly when G = ∂L/∂W, whatever the step size η: so
derive checks it as the claim ``dL/dW = G``, and a wrong step gets the diagnosis of a wrong
gradient (``W := W - eta * x @ dJ/dy.T`` is a transposed gradient). The step may have several
terms, each the step size times a part of the gradient (``W - eta * G - eta * lam * W``, weight
decay written apart), and a number with the step size (``2 * eta * G``, ``eta / S * G``);
``W := W + eta * G`` ascends, and reads as ``dL/dW = -G``.

The step size is the one name of the step that the problem does not declare (``eta``, ``η``,
``lr``), or else the one scalar variable that is a factor of every term of the step; the loss
is the one scalar of the problem that depends on W and that nothing else uses (an arbitrary
loss ``J``, or the last definition ``L``). Anything else is refused with its fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Protocol

from ..errors import ProblemError
from ..language import ast
from ..language.primitives import PRIMITIVES
from ..language.shapes import SCALAR
from ..language.text import to_text


class Problem(Protocol):
    """What a step is read against: a problem's declarations (definition.Problem has them; that
    module reads claims with this one, so it is not imported here)."""

    variables: Mapping[str, object]
    shapes: Mapping[str, tuple]
    sizes: Mapping[str, object]
    activations: Sequence[str]
    arbitrary: Mapping[str, Sequence[str]]
    definitions: Sequence[tuple[str, ast.Node]]


def as_gradient_claim(problem: Problem, chain: ast.Chain) -> ast.Chain:
    """The claim ``dL/dW = G`` that the step ``chain`` (``W := W - eta * G``) makes, keeping the
    step's text; a chain that is not a step is returned as it is."""
    if chain.kind != ":=":
        return chain
    target, value = chain.sides
    where = to_text(target) + " := " + to_text(value)
    if not isinstance(target, ast.Name) or target.id not in problem.variables:
        raise ProblemError(f"{where}: a step updates a variable of the problem, as in W := W - eta * G")
    variable = target.id
    terms = _terms(value, 1)
    start = next((k for k, (sign, term) in enumerate(terms)
                  if sign == 1 and isinstance(term, ast.Name) and term.id == variable), None)
    if start is None or len(terms) == 1:
        raise ProblemError(f"{where}: a step starts from the variable it updates, as in "
                           f"{variable} := {variable} - eta * G")
    rate = _step_size(problem, value, variable, where)
    gradient = None
    for sign, term in terms[:start] + terms[start + 1:]:
        part = _without(term, rate)
        if part is None or any(isinstance(n, ast.Name) and n.id == rate for n in ast.walk(part)):
            raise ProblemError(f"{where}: each term of the step is the step size {rate} times a part "
                               f"of the gradient, as in {variable} := {variable} - {rate} * G")
        part = part if sign == -1 else _negated(part)  # W - eta*G descends along G
        gradient = part if gradient is None else ast.Binary("+", gradient, part)
    loss = _loss(problem, variable, where)
    return ast.Chain((ast.Derivative(ast.Name(loss), variable), gradient), text=chain.text)


def _step_size(problem: Problem, value: ast.Node, variable: str, where: str) -> str:
    """The step size: the one name of the step the problem does not declare, else the one scalar
    variable that is a factor of every term but W itself (``eta`` declared as a scalar)."""
    known = set(problem.shapes) | set(problem.sizes) | set(problem.activations) | set(problem.arbitrary) \
        | set(PRIMITIVES)
    unknown = sorted({n.id for n in ast.walk(value) if isinstance(n, ast.Name) and n.id not in known})
    if len(unknown) == 1:
        return unknown[0]
    scalars = {name for name, shape in problem.shapes.items() if name in problem.variables and shape == SCALAR}
    steps = [term for _, term in _terms(value, 1) if not (isinstance(term, ast.Name) and term.id == variable)]
    common = set.intersection(*[_factor_names(term) for term in steps]) & scalars if steps else set()
    if not unknown and len(common) == 1:
        return common.pop()
    found = f"found {', '.join(unknown)}" if unknown else "found none"
    raise ProblemError(f"{where}: a step has one step size, a name the problem does not declare (eta, "
                       f"lr) or a scalar variable in every term, as in W := W - eta * G; {found}")


def _factor_names(term: ast.Node) -> set[str]:
    """The names that are factors of a product's numerator (what ``_without`` can take out)."""
    if isinstance(term, ast.Name):
        return {term.id}
    if isinstance(term, ast.Neg):
        return _factor_names(term.operand)
    if isinstance(term, ast.Binary) and term.op in ("*", "@"):
        return _factor_names(term.left) | _factor_names(term.right)
    if isinstance(term, ast.Binary) and term.op == "/":
        return _factor_names(term.left)
    return set()


def _terms(node: ast.Node, sign: int) -> list[tuple[int, ast.Node]]:
    """The terms of a sum, with their signs: a - (b - c) is +a, -b, +c."""
    if isinstance(node, ast.Binary) and node.op in ("+", "-"):
        return _terms(node.left, sign) + _terms(node.right, sign if node.op == "+" else -sign)
    if isinstance(node, ast.Neg):
        return _terms(node.operand, -sign)
    return [(sign, node)]


def _without(term: ast.Node, rate: str) -> ast.Node | None:
    """``term`` with one factor ``rate`` of its product taken out (from a numerator), or None."""
    if isinstance(term, ast.Name) and term.id == rate:
        return ast.Number(Fraction(1))
    if isinstance(term, ast.Neg):
        inner = _without(term.operand, rate)
        return None if inner is None else _negated(inner)
    if isinstance(term, ast.Binary) and term.op in ("*", "@", "/"):
        left = _without(term.left, rate)
        if left is not None:
            return ast.Binary(term.op, left, term.right) if term.op == "/" else _times(left, term.right, term.op)
        if term.op != "/":
            right = _without(term.right, rate)
            if right is not None:
                return _times(right, term.left, term.op, first=False)
    return None


def _times(factor: ast.Node, rest: ast.Node, op: str, first: bool = True) -> ast.Node:
    """``factor op rest`` (or ``rest op factor``), a factor 1 left out and a sign taken out front."""
    if isinstance(factor, ast.Neg):
        return _negated(_times(factor.operand, rest, op, first))
    if isinstance(factor, ast.Number) and factor.value == 1:
        return rest
    return ast.Binary(op, factor, rest) if first else ast.Binary(op, rest, factor)


def _negated(node: ast.Node) -> ast.Node:
    return node.operand if isinstance(node, ast.Neg) else ast.Neg(node)


def _loss(problem: Problem, variable: str, where: str) -> str:
    """The problem's one loss of ``variable``: a scalar that depends on it and that no definition
    or arbitrary function uses."""
    uses = {name: {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)} for name, expr in problem.definitions}
    uses.update({name: set(deps) for name, deps in problem.arbitrary.items()})
    used = set().union(*uses.values()) if uses else set()

    def depends(name: str, seen: frozenset = frozenset()) -> bool:
        direct = uses.get(name, set())
        return variable in direct or any(depends(n, seen | {name}) for n in direct - seen if n in uses)

    losses = [name for name in uses if name not in used and problem.shapes.get(name) == SCALAR and depends(name)]
    if len(losses) != 1:
        found = f"it has {', '.join(losses)}" if losses else "it has none"
        raise ProblemError(f"{where}: a step descends the problem's one loss of {variable}, a scalar "
                           f"that nothing else uses; {found}: write the gradient claim instead "
                           f"(dL/d{variable} = G)")
    return losses[0]
