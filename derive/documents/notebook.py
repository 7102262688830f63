"""How Jupyter shows derive's objects: a problem and a verdict as the export writes them.

The objects themselves know nothing of documents (the library's layers import downwards only);
this module registers display functions with IPython's formatters by type name, so nothing is
imported until an object is shown. ``derive/__init__.py`` calls ``register`` when derive is
imported inside an IPython session.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..problem.definition import Problem
from ..verdict.evidence import ClaimVerdict
from .export import export, verdict_markdown

# (mime type, module, class name, display function name in this module)
VIEWS = [
    ("text/markdown", "derive.problem.definition", "Problem", "problem_markdown"),
    ("text/markdown", "derive.verdict.evidence", "ClaimVerdict", "verdict_view"),
]


def problem_markdown(problem: Problem) -> str:
    """A problem as the Markdown export writes it, without verdicts."""
    return export(problem, [], "md")


def verdict_view(verdict: ClaimVerdict) -> str:
    """A verdict as its part of the Markdown export."""
    return verdict_markdown(verdict)


def register(formatters: Mapping[str, Any]) -> None:
    """Register every view with ``formatters`` (IPython's ``display_formatter.formatters``)."""
    for mime, module, name, function in VIEWS:
        formatters[mime].for_type_by_name(module, name, globals()[function])
