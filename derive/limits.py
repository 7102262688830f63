"""The documented limits of derive: sizes, literals, memory; past them input is refused before anything is allocated.

Every limit is here, with what it bounds; docs/limits.md says the same for users. Past a limit,
derive raises ``TooLarge`` (a one-line message naming the place and the limit) before it
converts, allocates or computes anything of that size: a number literal is measured on its
text before it becomes a Fraction, a shape on its sizes before a matrix is built.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any, Protocol

from .errors import TooLarge

# -- text --------------------------------------------------------------------------------------
MAX_LENGTH = 20_000  # characters of one claim, answer or definition (both grammars)
MAX_DEPTH = 200  # brackets nested in the text
MAX_TREE_DEPTH = 600  # operations nested in the parsed expression

# -- number literals ---------------------------------------------------------------------------
MAX_LITERAL_DIGITS = 100  # significant digits of a number literal (123000 has 3, 0.00123 has 3)
MAX_LITERAL_MAGNITUDE = 300  # a literal is 0 or between 1e-300 and 1e300 in absolute value
MAX_EXPONENT = 64  # |q| in x**q; the exponents of powers nested in one another multiply to at most this

# -- sizes and entries -------------------------------------------------------------------------
MAX_SIZE = 4096  # the largest size a problem may declare, and any one dimension (eye(n), ones(m, n))
MAX_EXACT_ENTRIES = 10_000  # entries of one matrix the exact (SymPy) oracle builds
MAX_NUMERIC_ENTRIES = 1 << 22  # entries of one array the numeric oracle builds (64 MiB of complex128)

# -- grading workers ---------------------------------------------------------------------------
WORKER_MEMORY = 4 << 30  # bytes of address space for one forked worker (RLIMIT_AS); None: no cap

DOC = "docs/limits.md"

_LITERAL = re.compile(r"(\d*)(?:\.(\d*))?(?:[eE]([+-]?)(\d+))?")
_SHOWN = 24  # characters of a long literal quoted in a message


def _shown(text: str) -> str:
    if len(text) <= _SHOWN:
        return text
    return f"{text[:_SHOWN // 2]}…{text[-6:]} ({len(text)} characters)"


def _at(column: int | None) -> str:
    return f" at column {column + 1}" if column is not None else ""


def number(text: str, column: int | None = None) -> Fraction:
    """The exact value of a decimal literal (``12``, ``0.5``, ``1e-8``), measured on its text first:
    at most MAX_LITERAL_DIGITS significant digits, and 0 or a magnitude within 10**±MAX_LITERAL_MAGNITUDE.
    No integer larger than the limits allow is ever built (``1e99999999999`` is refused at once).
    """
    match = _LITERAL.fullmatch(text)
    if not match or not (match[1] or match[2]):
        raise ValueError(f"not a decimal literal: {text!r}")
    whole, fraction, sign, exponent = match[1], match[2] or "", match[3], match[4]
    exponent_digits = (exponent or "0").lstrip("0") or "0"
    if len(exponent_digits) > 6:  # 10**(10**6) and beyond: not even read
        raise _magnitude(text, column, "small" if sign == "-" else "large")
    power = int(exponent_digits) * (-1 if sign == "-" else 1) - len(fraction)
    digits = (whole + fraction).lstrip("0")
    if not digits:
        return Fraction(0)
    stripped = digits.rstrip("0")
    power += len(digits) - len(stripped)
    digits = stripped
    if len(digits) > MAX_LITERAL_DIGITS:
        raise TooLarge(f"the number {_shown(text)}{_at(column)} has {len(digits)} significant digits; "
                       f"the limit is {MAX_LITERAL_DIGITS} ({DOC})")
    magnitude = power + len(digits) - 1  # the power of ten of the leading digit
    if abs(magnitude) > MAX_LITERAL_MAGNITUDE:
        raise _magnitude(text, column, "large" if magnitude > 0 else "small")
    mantissa = int(digits)
    return Fraction(mantissa * 10**power) if power >= 0 else Fraction(mantissa, 10**-power)


def _magnitude(text: str, column: int | None, size: str) -> TooLarge:
    return TooLarge(f"the number {_shown(text)}{_at(column)} is too {size}: a number literal is 0 or "
                    f"between 1e-{MAX_LITERAL_MAGNITUDE} and 1e{MAX_LITERAL_MAGNITUDE} in size ({DOC})")


def integer(text: str, column: int | None = None) -> int:
    """An integer literal (an index such as ``x[3]``), at most MAX_LITERAL_DIGITS digits."""
    digits = text.strip().lstrip("0") or "0"
    if len(digits) > MAX_LITERAL_DIGITS:
        raise TooLarge(f"the integer {_shown(text.strip())}{_at(column)} has {len(digits)} digits; the "
                       f"limit is {MAX_LITERAL_DIGITS} ({DOC})")
    return int(digits)


# -- shapes and allocations --------------------------------------------------------------------

def _count(value: int) -> str:
    return f"{value:,}"


def check_dimension(value: int, where: str) -> None:
    """One dimension (a literal size, a fixed size, a size at an assignment) within MAX_SIZE."""
    if value > MAX_SIZE:
        raise TooLarge(f"{where}: the size {_count(value)} is past the limit of {_count(MAX_SIZE)} ({DOC})")


def check_entries(rows: int, cols: int, where: str, limit: int = MAX_NUMERIC_ENTRIES,
                  oracle: str = "") -> None:
    """A matrix of ``rows`` × ``cols`` within the size limit and ``limit`` entries, before it is built."""
    check_dimension(rows, where)
    check_dimension(cols, where)
    if rows * cols > limit:
        by = f" for {oracle}" if oracle else ""
        raise TooLarge(f"{where}: {_count(rows)}×{_count(cols)} is {_count(rows * cols)} entries; the "
                       f"limit{by} is {_count(limit)} ({DOC})")


def exact_shape(shape: tuple[int, int], name: str) -> tuple[int, int]:
    """The exact oracle's guard: a matrix of symbols for ``name`` of this concrete shape may be built."""
    rows, cols = shape
    check_entries(rows, cols, name, MAX_EXACT_ENTRIES, "the exact oracle")
    return shape


class SizedProblem(Protocol):
    """What ``check_model`` reads of a problem: its size symbols and the shapes of its names
    (``derive.problem.Problem`` is one; this module sits below it and does not import it)."""

    @property
    def sizes(self) -> Mapping[str, Any]: ...

    @property
    def shapes(self) -> Mapping[str, tuple[Any, Any]]: ...


def check_model(problem: SizedProblem, sizes: dict, limit: int = MAX_NUMERIC_ENTRIES,
                oracle: str = "the numeric oracle") -> None:
    """Every size, variable and definition of ``problem`` at ``sizes`` within the limits, before a
    model of it is built (the numeric oracle's guard; diagnose uses it for its points)."""
    for name, value in sizes.items():
        check_dimension(int(value), f"size {name}")
    subs = {problem.sizes[name]: value for name, value in sizes.items() if name in problem.sizes}
    for name, shape in problem.shapes.items():
        dims = [d.xreplace(subs) if hasattr(d, "xreplace") else d for d in shape]
        if all(getattr(d, "is_Integer", isinstance(d, int)) for d in dims):
            check_entries(int(dims[0]), int(dims[1]), name, limit, oracle)


# the recursion the evaluators, the shape rules and the canonical forms need on trees as deep as the
# parser allows (MAX_DEPTH)
RECURSION_LIMIT = 20_000


@contextlib.contextmanager
def recursion_room(limit: int = RECURSION_LIMIT) -> Iterator[None]:
    """Room for the evaluators' recursion on trees as deep as the parser allows (MAX_DEPTH)."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)
