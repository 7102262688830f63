"""What derive's readers are told of a problem: its names, which are scalars, its functions, and
the LaTeX spellings of its names. The claim-language reader (``problem_reading``) and the LaTeX
reader (``latex_context``) get it from here, for grading, ``verify`` and ``annotate`` alike.
"""

from __future__ import annotations

import sympy

from ..errors import TooLarge
from ..language import ast
from ..language.parser import Reading
from ..limits import recursion_room
from .definition import Problem, latex_reading


def problem_reading(problem: Problem) -> Reading:
    """What the claim-language reader is told of ``problem``: its quantities (variables,
    definitions, losses, sizes), which of them are scalars, its undefined functions, and each
    quantity's shape as size names (for ``len(Z)`` and ``Z.shape[0]``)."""
    names = {symbol: name for name, symbol in problem.sizes.items()}

    def size(dim):
        if dim in names:
            return names[dim]
        if isinstance(dim, sympy.Integer):
            return int(dim)
        return None

    shapes = {name: (size(shape[0]), size(shape[1])) for name, shape in problem.shapes.items()}
    scalars = {name for name, shape in shapes.items() if shape == (1, 1)} | set(problem.sizes)
    return Reading(frozenset(problem.shapes) | frozenset(problem.sizes), frozenset(scalars),
                   frozenset(problem.activations), shapes, frozenset(problem.sizes))


def latex_context(problem: Problem) -> dict:
    """What the LaTeX reader is told of ``problem``: ``problem.latex_reading`` (the names' LaTeX
    spellings with the ``[latex]`` table, the scalars, the functions) and its quantities."""
    return {**latex_reading(problem), "quantities": sorted(problem_reading(problem).quantities)}


def read_latex(text: str, problem: Problem, *, claim: bool = True) -> ast.Chain:
    """LaTeX read against ``problem``: a claim (with ``claim=False``, an expression or a chain),
    its names spelled as the problem spells them, then what it leaves to its context (an unsized
    \\mathbf{1}, f(\\cdot), f'(z) as a diagonal Jacobian) settled by the problem (``settle``).
    The LaTeX reader is imported by the first LaTeX read: ``derive verify`` of a claim written in
    the claim language needs none of it (tests/test_startup.py)."""
    from ..language.latex_in import parse_latex_claim, parse_latex_sides
    from .settle import settle

    read = parse_latex_claim if claim else parse_latex_sides
    chain = read(text, **latex_context(problem))
    try:
        with recursion_room():  # the shapes of a tree as deep as the parser allows
            return settle(chain, problem)
    except RecursionError:
        raise TooLarge("the expression nests too deeply to be read against the problem") from None
