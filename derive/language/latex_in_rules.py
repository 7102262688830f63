"""The LaTeX reader's rule for every row of the primitive table: how LaTeX writes the primitive,
and whether its value is a scalar or an array.

Each row registers its spellings with ``LATEX_IN_RULES`` (``engine_rules("latex reader")``):

* ``names`` — the commands that name it and apply to what follows, as ``latex.lark``'s FUNC
  terminal reads them: ``\\tr``, ``\\operatorname{tr}`` (a name in ``\\operatorname{}`` may also
  be written in ``\\mathrm{}``, ``\\text{}``, ``\\textrm{}`` or ``\\rm{}``);
* ``notation`` — how LaTeX writes it otherwise, by an operator or a notation the grammar reads
  (``A \\otimes B``, ``A^{-1}``, ``\\mathbf{1}_{n}``): each is an example that reads as a call of
  the row;
* ``operators`` — product operators that build it (``\\otimes`` is ``kron``);
* ``value`` — ``SCALAR`` when its value is a scalar whatever its arguments (called without
  keywords: ``sum(A, axis=0)`` is a row), ``ARRAY`` when it is an array even of scalars, and
  otherwise a scalar exactly when its arguments are (an elementwise function, ``inv``).

``FUNCTIONS`` (the word inside each name → the row), ``SCALAR_VALUED``, ``ARRAY_VALUED`` and
``PRODUCT_OPERATORS`` are built from the registrations, so adding a primitive that LaTeX names
means registering its spellings here (and adding the name to FUNC in latex.lark, which
``latex_in`` checks when it loads the grammar). ``reads_as_scalar`` is the rule both readers use
for a product written side by side, and the printer prints by.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from . import ast
from .primitives import PRIMITIVES, engine_rules

SCALAR, ARRAY, AS_ARGUMENTS = "scalar", "array", "as its arguments"


@dataclass(frozen=True)
class LatexSpelling:
    """How LaTeX writes one primitive (the module docstring says what each field means)."""

    names: tuple[str, ...] = ()
    notation: tuple[str, ...] = ()
    operators: tuple[str, ...] = ()
    value: str = AS_ARGUMENTS


LATEX_IN_RULES = engine_rules("latex reader")


def _spelled(row: str, *names: str, notation: tuple[str, ...] = (), operators: tuple[str, ...] = (),
             value: str = AS_ARGUMENTS) -> None:
    LATEX_IN_RULES.add([row], LatexSpelling(names, notation, operators, value))


def _operator_name(word: str) -> str:
    return r"\operatorname{" + word + "}"


_spelled("exp", r"\exp", _operator_name("exp"))
_spelled("log", r"\log", r"\ln", _operator_name("log"))
_spelled("sqrt", _operator_name("sqrt"), notation=(r"\sqrt{A}",))
_spelled("sigmoid", r"\sigma", _operator_name("sigmoid"))
_spelled("tanh", r"\tanh", _operator_name("tanh"))
_spelled("relu", _operator_name("ReLU"), _operator_name("relu"))
_spelled("step", _operator_name("step"), notation=(r"\mathbb{1}[A > 0]",))
_spelled("sin", r"\sin")
_spelled("cos", r"\cos")
_spelled("abs", _operator_name("abs"), notation=(r"|A|", r"\lvert A \rvert", r"\left| A \right|"))
_spelled("sign", _operator_name("sign"), _operator_name("sgn"))
_spelled("sum", notation=(r"\sum A",), value=SCALAR)
_spelled("trace", r"\tr", r"\Tr", _operator_name("tr"), _operator_name("Tr"), _operator_name("trace"),
         value=SCALAR)
_spelled("det", r"\det", _operator_name("det"), value=SCALAR)
_spelled("inv", _operator_name("inv"), notation=(r"A^{-1}",))
_spelled("kron", _operator_name("kron"), notation=(r"A \otimes B", r"A \bigotimes B"),
         operators=(r"\otimes", r"\bigotimes"), value=ARRAY)
_spelled("vec", _operator_name("vec"), value=ARRAY)
_spelled("diag", _operator_name("diag"), value=ARRAY)
_spelled("outer", _operator_name("outer"), value=ARRAY)
_spelled("softmax", _operator_name("softmax"), value=ARRAY)
_spelled("norm", _operator_name("norm"), notation=(r"\lVert A \rVert", r"\|A\|", r"\left\| A \right\|"),
         value=SCALAR)
_spelled("ones", notation=(r"\mathbf{1}_{n}", r"\mathbf{1}_{m \times n}"), value=ARRAY)
_spelled("eye", notation=(r"I_{n}", r"I_{n \times n}"), value=ARRAY)
_spelled("zeros", notation=(r"\mathbf{0}_{n}",), value=ARRAY)
_spelled("delta", notation=(r"\delta_{ij}",), value=SCALAR)

_NAME = re.compile(r"\\(?:operatorname\{(?P<word>\w+)\}|(?P<command>[A-Za-z]+))")


def _word(name: str) -> str:
    """The word a name spelling writes: ``\\tr`` and ``\\operatorname{tr}`` write ``tr``."""
    match = _NAME.fullmatch(name)
    if match is None:
        raise ValueError(f"{name!r} is not a LaTeX name: write \\command or \\operatorname{{word}}")
    return match["word"] or match["command"]


def _functions() -> dict[str, str]:
    words: dict[str, str] = {}
    for row in PRIMITIVES:
        for name in LATEX_IN_RULES[row].names:
            word = _word(name)
            if words.setdefault(word, row) != row:
                raise ValueError(f"the LaTeX name {word} is registered for both {words[word]} and {row}")
    return words


def _valued(value: str) -> frozenset[str]:
    return frozenset(row for row in PRIMITIVES if LATEX_IN_RULES[row].value == value)


# The word of each LaTeX name (FUNC in latex.lark: \tr, \operatorname{tr}) → its primitive.
FUNCTIONS: dict[str, str] = _functions()
# Primitives whose value is a scalar whatever the argument, and those whose value is an array
# even of scalars (every other function, elementwise or undefined, keeps a scalar scalar).
SCALAR_VALUED: frozenset[str] = _valued(SCALAR)
ARRAY_VALUED: frozenset[str] = _valued(ARRAY)
# Product operators that build a primitive: A \otimes B is kron(A, B).
PRODUCT_OPERATORS: dict[str, str] = {op: row for row in PRIMITIVES for op in LATEX_IN_RULES[row].operators}


def reads_as_scalar(node: ast.Node, scalars: Iterable[str] = frozenset()) -> bool:
    """Whether the reader takes ``node`` for a scalar, whatever the problem, given the names
    known to be scalars: the rule that makes a product written side by side ``*`` rather than
    ``@``. ``latex_out`` prints by the same rule, so that what it prints reads back as it was.

    Scalars: numbers; entries (an index without ``:``); the names in ``scalars``; trace, det,
    norm, delta and a sum of all entries; an elementwise or undefined function, ``inv``, a
    transpose or a negation of scalars; a power of a scalar; ``\\frac{c}{S}`` with c a scalar and
    S a name; sums and products of scalars; a derivative of a scalar by a name in ``scalars``.
    """
    if isinstance(node, ast.Number):
        return True
    if isinstance(node, ast.Name):
        return node.id in scalars
    if isinstance(node, ast.Index):
        return all(item is not ast.ALL for item in node.items)
    if isinstance(node, ast.Call):
        if node.func in SCALAR_VALUED:
            return not node.kwargs  # sum(A, axis=0) is a row
        return node.func not in ARRAY_VALUED and bool(node.args) \
            and all(reads_as_scalar(a, scalars) for a in node.args)
    if isinstance(node, (ast.Neg, ast.Transpose)):
        return reads_as_scalar(node.operand, scalars)
    if isinstance(node, ast.Derivative):
        return node.wrt in scalars and reads_as_scalar(node.of, scalars)
    if isinstance(node, ast.IndexSum):
        return reads_as_scalar(node.body, scalars)
    if node.op == "**" or (node.op == "/" and isinstance(node.right, ast.Name)):  # \frac{1}{S}
        return reads_as_scalar(node.left, scalars)
    return reads_as_scalar(node.left, scalars) and reads_as_scalar(node.right, scalars)
