"""The rules a derivation step cites, as trees: ``(A.T)[i,j] = A[j,i]`` beside its text.

A step's justification is text for the JSON and the report (``derivative of each entry:
(A@B)[i,j] = sum_k(A[i,k]*B[k,j]); chain rule through y``) and, for documents, its parts as
trees (``Step.reasons``). The rules are written once here as claim text and read when the engine
is first cited (not at import: every command that checks a claim imports the engine, and most
never print a derivation's trees); a rule naming the variable at hand is that tree with the name
put in. A part is looked up by its text (``reasons``), and a part that is not a rule (``chain rule
through y``, or ``... for A with m rows``) is prose.
"""

from __future__ import annotations

import dataclasses

from ...errors import DeriveError
from ...language import ast
from ...language.parser import parse_sides

_RULES = [
    "(A.T)[i,j] = A[j,i]", "(A@B)[i,j] = sum_k(A[i,k]*B[k,j])", "eye(n)[i,j] = delta(i,j)",
    "trace(A) = sum_k(A[k,k])", "sum(A) = sum_{k,l}(A[k,l])", "softmax(x)[n] = exp(x[n]) / sum_k(exp(x[k]))",
    "softmax(X)[m,n] = exp(X[m,n]) / sum_k(exp(X[m,k]))", "norm(A) = sqrt(sum_{k,l}(A[k,l]**2))",
    "outer(u,v)[i,j] = u[i]*v[j]", "diag(v)[i,j] = delta(i,j)*v[i]", "diag(A)[i] = A[i,i]",
    "inv(A.T) = inv(A).T", "inv(A@B) = inv(B) @ inv(A)", "det(A.T) = det(A)", "det(A@B) = det(A)*det(B)",
    "d(u**q)/du = q*u**(q - 1)", "sum_p(delta(p,j) * f(p)) = f(j)",
]
# the rules of a variable X's entries, its inverse and its determinant, X put in by ``of_variable``
VARIABLE = "dX[a,b]/dX[i,j] = delta(a,i)*delta(b,j)"
INVERSE = "d(inv(X)[a,b])/dX[i,j] = -inv(X)[a,i]*inv(X)[j,b]"
DETERMINANT = "d(det(X))/dX[i,j] = det(X)*inv(X)[j,i]"


def _read(text: str) -> ast.Chain | None:
    try:
        return parse_sides(text)
    except DeriveError:  # pragma: no cover - a rule above that does not read is a defect
        return None


RULE_TEXTS = frozenset([*_RULES, VARIABLE, INVERSE, DETERMINANT])
NOTES: dict[str, ast.Chain | None] = {}  # the trees read or built so far, by their text


def rule_tree(text: str) -> ast.Chain | None:
    """The tree of the rule ``text``, read on first use; None for prose."""
    if text not in NOTES and text in RULE_TEXTS:
        NOTES[text] = _read(text)
    return NOTES.get(text)


def of_variable(template: str, text: str, variable: str) -> str:
    """``text``, the rule ``template`` said of ``variable``; its tree is the template's with X
    renamed, remembered under ``text``."""
    if text not in NOTES:
        def rename(node: ast.Node) -> ast.Node:
            if isinstance(node, ast.Name) and node.id == "X":
                return ast.Name(variable)
            if isinstance(node, ast.Derivative) and node.wrt == "X":
                return dataclasses.replace(node, wrt=variable)
            return node

        NOTES[text] = ast.Chain(tuple(ast.rebuild(side, rename) for side in rule_tree(template).sides))
    return text


def of_function(text: str, function: str, order: int) -> str:
    """``text``, the rule d(f(u))/du = f'(u) for the ``order``-th derivative of ``function``."""
    if text not in NOTES:
        u = ast.Name("u")
        NOTES[text] = ast.Chain((ast.Derivative(ast.Call(function, (u,), prime=order), "u"),
                                 ast.Call(function, (u,), prime=order + 1)))
    return text


def remember(text: str, chain: ast.Chain) -> str:
    """``text`` with the tree it says, built by the engine (an index read as a pair)."""
    NOTES.setdefault(text, chain)
    return text


def reasons(why: str) -> tuple[str, tuple[ast.Chain | str, ...]]:
    """``why`` taken apart: its head before ``: `` and each ``; ``-separated part, the tree of a
    rule where the part is one, else the prose."""
    head, colon, rest = why.partition(": ")
    if not colon:
        head, rest = "", why
    return head, tuple(rule_tree(part) or part for part in rest.split("; "))
