"""Derivations: the entries of a gradient derived step by step, as an answer sheet writes them.

Each ``Step`` holds its expression as a claim-language tree (``ast.Chain``: one side, or an
entry and its index form) with the reason it follows; ``Step.text`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import ShapeError
from ...language import ast
from ...language.shapes import ONE, SCALAR
from ...language.text import to_text
from ...problem.definition import Problem
from .builder import Builder, entry_names, fixed_dim, structure_of
from .canonical import canonical, contract
from .folding import folding_for
from .form import Expr, Idx, Tensor, rename_all_bound, upstream
from .notes import reasons
from .render import entry_node, namer_for, render


@dataclass(frozen=True)
class Step:
    """One step of a derivation: the expression (a chain of one side, or ``entry = form``) and
    why it follows, as text and as ``reasons``: its head and its parts, each the tree of a rule
    it cites or prose (derive.oracles.index.notes)."""

    chain: ast.Chain
    justification: str

    @property
    def reasons(self) -> tuple[str, tuple[ast.Chain | str, ...]]:
        return reasons(self.justification)

    @property
    def text(self) -> str:
        """The expression in claim-language text."""
        return to_text(self.chain)


def step(*sides: ast.Node, why: str) -> Step:
    """A step whose expression is the chain ``sides[0] = sides[1] = ...``."""
    return Step(ast.Chain(tuple(sides)), why)


@dataclass
class Derivation:
    """∂loss/∂wrt[indices], derived step by step; ``result`` is the canonical index form."""

    loss: str
    wrt: str
    indices: tuple[Idx, Idx]
    steps: list[Step]
    result: Expr
    ranges: dict

    problem: Problem | None = field(default=None, repr=False, compare=False)

    def node(self, problem: Problem) -> ast.Node:
        """The derived entry as a claim-language tree."""
        return render(self.result, problem)

    def text(self, problem: Problem) -> str:
        return to_text(self.node(problem))


def derivative_entry(of: ast.Node, wrt: str, indices: tuple[Idx, Idx]) -> ast.Node:
    """``dJ/dW[i,j]``: entry ``indices`` of the derivative of ``of`` by ``wrt``."""
    node = ast.Derivative(of, wrt)
    if indices == (1, 1):
        return node
    return ast.Index(node, tuple(i for i in indices if i != 1))


def derive_gradient(problem: Problem, loss: str, wrt: str) -> Derivation:
    """The entries of d(loss)/d(wrt), derived by the chain rule over the problem's definitions.

    Steps: the chain rule (through each quantity a loss left arbitrary depends on, or the
    loss's definition), the derivative of each entry with the deltas it brings, the contraction
    of the deltas, and the collection of equal terms.
    """
    if problem.shapes.get(loss) != SCALAR:
        raise ShapeError(f"{loss} is not a scalar: its gradient is not defined")
    if wrt not in problem.shapes:
        raise ShapeError(f"'{wrt}' is not a variable or definition of {problem.id}")
    builder = Builder(problem)
    shape = tuple(fixed_dim(problem, d) for d in problem.shapes[wrt])
    i, j = entry_names(shape, set(problem.shapes) | set(problem.sizes))
    for name, dim in ((i, shape[0]), (j, shape[1])):
        if isinstance(name, str):
            builder.ranges[name] = dim
    steps = [step(derivative_entry(ast.Name(loss), wrt, (i, j)),
                  why=f"the entries of the gradient of {loss} by {wrt}")]
    inner = Builder(problem, builder.ranges, [], cut=wrt)
    namer = namer_for(problem, (i, j))
    if loss in problem.arbitrary:
        deps = [d for d in problem.arbitrary[loss]]
        total = None
        for dep in deps:
            rows, cols = problem.shapes[dep]
            rows, cols = fixed_dim(problem, rows), fixed_dim(problem, cols)
            a = namer.pick(rows, ()) if rows != ONE else 1
            b = namer.pick(cols, {a}) if cols != ONE else 1
            names = tuple(n for n in (a, b) if isinstance(n, str))
            upstream_entry = entry_node(upstream(loss, dep, (a, b)), problem, [a, b])
            dep_entry = entry_node(Tensor(dep, (a, b)), problem, [a, b])
            piece: ast.Node = ast.Binary("*", upstream_entry, derivative_entry(dep_entry, wrt, (i, j)))
            piece = ast.IndexSum(names, piece) if names else piece
            total = piece if total is None else ast.Binary("+", total, piece)
        steps.append(step(total, why="chain rule through " + ", ".join(deps)))
    else:
        definitions = dict(problem.definitions)
        if loss in definitions:
            steps.append(step(derivative_entry(definitions[loss], wrt, (i, j)), why=f"definition of {loss}"))
    raw = builder.gradient_entry(inner, inner.entry(ast.Name(loss), 1, 1, problem.scope(), {}), wrt, i, j)
    steps.append(step(render(raw, problem, namer),
                      why="derivative of each entry: " + "; ".join(inner.rules + builder.rules)))
    log: list = []
    renamed = rename_all_bound(raw)  # bound indices apart, once for the step shown and the canonical form
    contracted = Expr(tuple(t for t in (contract(t, builder.ranges, log) for t in renamed.terms) if t is not None))
    folding = folding_for(problem)
    if log:
        steps.append(step(render(folding.fold(contracted), problem, namer),
                          why=f"contract {len(log)} Kronecker delta(s): sum_p(delta(p,j) * f(p)) = f(j)"))
    result = canonical(renamed, builder.ranges, structure_of(problem), top=False)
    steps.append(step(render(folding.fold(result), problem, namer),
                      why="rename bound indices, collect equal terms"))
    return Derivation(loss, wrt, (i, j), steps, result, dict(builder.ranges), problem)
