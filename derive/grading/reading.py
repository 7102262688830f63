"""An answer's text read against a problem: claim language or LaTeX, detected per answer.

Only derive's own grammars read it, told what the problem declares (``problem_reading``,
``latex_context``): the text is never evaluated. The assignment reads its reference answers and
the quantities it asks with this too, so it sits below both.
"""

from __future__ import annotations

import re

from ..errors import DeriveError, ParseError
from ..language import ast
from ..language.parser import parse_sides
from ..language.shapes import typed
from ..language.text import to_text
from ..problem.definition import Problem
from ..problem.reading import latex_context, problem_reading, read_latex

__all__ = ["latex_context", "looks_like_latex", "problem_reading", "read_sides"]

_LATEX = re.compile(r"\\[A-Za-z]|[\^_]\{|\$")


def looks_like_latex(text: str) -> bool:
    """LaTeX has commands (``\\frac``), braced scripts (``x^{T}``) or dollar signs."""
    return bool(_LATEX.search(text))


def read_sides(text: str, problem: Problem, target: ast.Node | None = None) -> tuple[ast.Node, ...]:
    """``text`` (an expression or a chain, claim language or LaTeX) read against ``problem``.
    With the quantity asked, ``target``, the sides of the claim the text makes: ``target`` first
    unless the text starts with it, or with its entry ``dJ/dW[i,j]`` for every i, j (an answer
    in index form). A bare ``I`` is the identity of the size the shapes need."""
    text = text.strip()
    if looks_like_latex(text):
        sides = read_latex(text.strip("$").strip(), problem, claim=False).sides
    else:
        sides = parse_sides(text, problem_reading(problem)).sides
    if target is not None and sides[0] != target and not _every_entry(sides[0], target):
        sides = (target, *sides)
    return _identity(sides, problem)


def _every_entry(side: ast.Node, target: ast.Derivative) -> bool:
    """Whether ``side`` is the quantity asked indexed by distinct index names (and ``:``),
    ``dJ/dW[i,j]``: an answer in index form, which holds for every entry or not at all. An entry
    at fixed indices, ``dJ/dW[1,2]``, or a diagonal, ``dJ/dW[i,i]``, answers for part of it."""
    if not (isinstance(side, ast.Index) and side.operand == target):
        return False
    names = [item for item in side.items if item is not ast.ALL]
    if all(isinstance(item, str) for item in names) and len(set(names)) == len(names):
        return True
    raise ParseError(f"{to_text(side)} is only part of {to_text(target)}: give every entry, with an "
                     f"index name for each position, as in {to_text(target)}[i,j] = ...")


def _with_identity(side: ast.Node, eye: ast.Node) -> ast.Node:
    """The side with every bare ``I`` replaced by ``eye``."""
    return ast.rebuild(side, lambda n: eye if isinstance(n, ast.Name) and n.id == "I" else n)


def _identity(sides, problem: Problem) -> tuple[ast.Node, ...]:
    """A bare ``I`` (not a quantity of the problem) is the identity ``eye(n)`` of the one size n
    for which the claim's shapes fit; if no size or several do, it is unreadable and the
    message asks for ``eye(n)``."""
    if "I" in problem.shapes or "I" in problem.sizes:
        return tuple(sides)
    if not any(isinstance(n, ast.Name) and n.id == "I" for side in sides for n in ast.walk(side)):
        return tuple(sides)
    candidates = list(problem.sizes)
    fits, types = [], []
    for size in candidates:
        eye = ast.Call("eye", (ast.Name(size),))
        trial = tuple(_with_identity(side, eye) for side in sides)
        try:
            scope = problem.check_claim_names(ast.Chain(trial))
            shapes = typed(trial, scope).shapes
        except DeriveError:
            continue
        types.append(trial)
        if all(shape == shapes[0] for shape in shapes):
            fits.append((size, trial))
    if len(fits) == 1:
        return fits[0][1]
    if not fits and len(types) == 1:  # the shapes fit one size, and the answer is wrong anyway
        return types[0]
    sizes = ", ".join(f"eye({name})" for name in candidates) or "eye(n)"
    reason = ("several sizes fit" if fits else "no size of the problem fits the shapes")
    raise ParseError(f"I: the identity's size is not clear ({reason}): write it with its size, one of {sizes}")
