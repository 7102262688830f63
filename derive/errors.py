"""The one exception tree of derive.

Every error a user can cause is a ``DeriveError`` whose message is one line naming the place
and, where possible, the fix. Each class also subclasses the builtin a caller would expect, so
``except ValueError`` keeps working for code that does not know derive.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class DeriveError(Exception):
    """Base of every error derive raises on purpose."""


class Deferred:
    """An error's message, written when it is first read: the diagnosis types thousands of
    candidate edits that are ill-shaped and never reads why, and writing the message (the
    place's text, the shapes' sizes) cost more than finding the mismatch. A pickled error carries
    the written text."""

    __slots__ = ("_write", "_text")

    def __init__(self, write):
        self._write, self._text = write, None

    def __str__(self) -> str:
        if self._text is None:
            self._text = self._write()
        return self._text

    def __repr__(self) -> str:
        return repr(str(self))

    def __reduce__(self):
        return str, (str(self),)


class ParseError(DeriveError, ValueError):
    """Text that the claim grammar does not accept; the message shows a caret under the spot.

    The message is one line, then the text on one line and the caret: a line break or another
    character that does not print (NUL, an escape sequence, U+2028) is never written out raw; in
    the text each such character is one placeholder, so the caret stays under its column."""

    def __init__(self, message: str, text: str = "", column: int | None = None):
        self.text = text
        self.column = column
        message = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
        if text and column is not None:
            shown = "".join(c if c.isprintable() else " " if c.isspace() else "\ufffd" for c in text)
            caret = " " * column + "^"
            message = f"{message}\n  {shown}\n  {caret}"
        super().__init__(message)

    @property
    def headline(self) -> str:
        return str(self).splitlines()[0]


class UnknownNameError(DeriveError, LookupError):
    """A name that the problem does not declare."""


class ShapeError(DeriveError, ValueError):
    """Operands whose shapes do not fit the operation."""


class ProblemError(DeriveError, ValueError):
    """A problem file that is malformed or inconsistent."""


class UnsupportedError(DeriveError, NotImplementedError):
    """A well-formed claim that derive cannot check (yet); the message says which construct."""


class BudgetExceeded(DeriveError, TimeoutError):
    """A computation ran past its time budget."""


class TooLarge(DeriveError, ValueError):
    """Input past the size or nesting limits."""


def unknown_name(kind: str, name: str, known: Iterable[str]) -> UnknownNameError:
    """An error for an unknown ``name`` that suggests the nearest of ``known``."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return UnknownNameError(f"'{name}' is not a known {kind}{hint}")
