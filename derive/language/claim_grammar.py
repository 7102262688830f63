"""The claim grammar, loaded once, and its patterns for the modules that need them.

``claim.lark`` is the only definition of the claim language. The parser parses with it; a module
that must know what a piece of the language looks like without parsing — the printer, which puts
a division in brackets where its text would read as the derivative token ``dJ/dW`` — takes the
grammar's own terminal from here instead of writing the pattern again.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import lark

from .lalr import lalr_parser


@lru_cache(maxsize=1)
def claim_parser() -> lark.Lark:
    """The LALR parser of claim.lark (parsing is linear in the length of the text)."""
    return lalr_parser("claim.lark")


@cache
def terminal(name: str) -> re.Pattern:
    """The compiled pattern of one of the grammar's terminals, with its named groups: ``DERIV``
    (``of``, ``items``, ``wrt``: ``dY[m,n]/dW``), ``DWRT`` (``by``: ``dW`` after ``d(...)/``),
    ``NAME``."""
    return re.compile(claim_parser().get_terminal(name).pattern.to_regexp())
