"""A student's answer to a question, read as the claim it makes.

An answer is the value of the quantity asked (``dJ/dy @ x.T``), an equation or chain that
starts with it (``dJ/dW = dJ/dy @ x.T``), or the same for every entry (``dJ/dW[i,j] = dJ/dy[i] *
x[j]``), typed in the claim language or in LaTeX (``\\frac{\\partial J}{\\partial y} x^\\top``) —
detected per answer. Only derive's own grammars read it, told what the problem declares
(derive.grading.reading): the text is never evaluated. Two answers that read as
the same tree are one answer. docs/grading.md lists what a TA accepts and how it is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import ParseError
from ..language import ast
from ..language.text import to_text
from .assignment import Question
from .reading import read_sides


@dataclass(frozen=True)
class Answer:
    """A parsed answer: the claim to check and its canonical text (the grouping key)."""

    chain: ast.Chain
    key: str


def read_answer(text: str, question: Question) -> Answer:
    """The claim ``asks = answer`` (or the answer's own chain when it starts with the quantity
    asked, or with its entry ``dJ/dW[i,j]`` for every i, j). Raises ParseError (with the
    position), TooLarge, or another DeriveError."""
    return answer_of(read_sides(text, question.problem, question.target), question)


def answer_of(sides: Sequence[ast.Node], question: Question) -> Answer:
    """The answer whose claim is ``sides`` (the quantity asked first), once its value is known
    to use only the derivatives the problem gives."""
    if len(sides) < 2:
        raise ParseError("the answer is the quantity asked itself: give its value")
    for side in sides[1:]:
        _only_given_derivatives(side, question)
    return reference(sides)


def reference(sides: Sequence[ast.Node]) -> Answer:
    """The answer whose claim is ``sides`` (the quantity asked first)."""
    chain = ast.Chain(tuple(sides), text=" = ".join(to_text(side) for side in sides))
    return Answer(chain, chain.text)


def _only_given_derivatives(side: ast.Node, question: Question) -> None:
    """An answer may use the upstream gradients the problem gives (dJ/dy for a loss J left
    arbitrary of y), not the derivatives it asks for: ``dJ/dW = dJ/dW`` would hold for free."""
    given = question.problem.arbitrary
    for node in ast.walk(side):
        if isinstance(node, ast.Derivative):
            of = node.of.id if isinstance(node.of, ast.Name) else None
            if of is None or node.wrt not in given.get(of, ()):
                upstream = ", ".join(f"d{loss}/d{dep}" for loss, deps in given.items() for dep in deps)
                raise ParseError(f"the answer uses {to_text(node)}, a derivative it should work out "
                                 + (f"(given: {upstream})" if upstream else "(no derivative is given)"))
