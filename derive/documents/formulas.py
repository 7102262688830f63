"""The math of a worked solution, Markdown or LaTeX, found with exact locations.

The first stage of ``derive annotate``: every formula of the document, in order, with its text
exactly as written (``document[start:end] == text``), its line and column, and the offset just
after its closing delimiter, where an annotation may be inserted. Finding is all it does: no text
is evaluated and nothing but the standard library is imported.

What is math:

- Markdown, read as pandoc reads it (GitHub and Jupyter agree on the common cases): ``$…$``,
  ``$$…$$``, ``\\(…\\)``, ``\\[…\\]`` and the math environments of ``ENVIRONMENTS``. An inline
  ``$`` opens only before a non-space character and closes at the next ``$``, provided that one
  follows a non-space character and precedes no digit; otherwise the first ``$`` is a dollar sign
  ("costs $5 and $6" is prose). ``\\$`` is a dollar; fenced code blocks (``` or ~~~, any
  indentation, so that fences in list items count too) and code spans hold no math.
- LaTeX: the body, from ``\\begin{document}`` to ``\\end{document}`` if there is one; ``%``
  comments, the environments of ``VERBATIM`` and ``\\verb`` hold no math; ``$`` closes at the
  next ``$``. A comment inside a formula stays in its text (offsets are the document's).

No formula runs over a blank line: TeX stops there ("Missing $ inserted") and Markdown ends the
paragraph. So a delimiter is looked for up to the next blank line only (or code fence); an opener
not closed by then is no formula, `unclosed` reports it, and the scan goes on right after it as
prose, so that one stray ``$$`` cannot swallow the rest of the document.

Time is linear in the document's length by construction: every pattern is possessive (no
backtracking); the scan only moves forward; a search for an inline ``$`` stops at the next ``$``,
and a failed search for any other closer is remembered for the rest of its paragraph, so no
stretch of text is searched twice for the same closer; code spans find their closer in an index
of backtick runs built once.

Limits: ``\\text{…$x$…}`` inside ``$…$`` ends the formula at the inner ``$`` (MathJax counts
braces, pandoc reads ``\\text`` specially; derive does neither); Markdown's other block
boundaries (headings, list items, block quotes), HTML comments, indented code and GitHub's
```` ```math ```` blocks are not recognised (the last is read as code); a lone ``\\r`` is no line
break; columns count code points.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache

# environment → whether it is display math
ENVIRONMENTS = {
    **{name: True for base in ("equation", "align", "gather", "multline", "eqnarray") for name in (base, base + "*")},
    "displaymath": True,
    "math": False,
}
VERBATIM = ("verbatim", "verbatim*", "Verbatim", "lstlisting", "minted", "comment")  # LaTeX only
LATEX_SUFFIXES = (".tex", ".latex")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".txt", ".mdx")

_BLANK = re.compile(r"\n[^\S\n]*+\n")  # a blank line, from the line break before it
_FENCE = re.compile(r"^[ \t]*+(`{3,}+|~{3,}+)(.*)$", re.MULTILINE)
_TICKS = re.compile(r"`++")
_BEGIN = re.compile(r"\\begin\{([A-Za-z]++\*?)\}")
_VERB = re.compile(r"\\verb\*?([^A-Za-z*\s])")
_PREAMBLE = re.compile(r"(\\begin\{document\})|\\[\s\S]|%[^\n]*+")
_LATEX_HINT = re.compile(r"\\documentclass|\\begin\{document\}")
_SIGNIFICANT = {"markdown": re.compile(r"[\\$`]"), "latex": re.compile(r"[\\$%]")}


@dataclass(frozen=True)
class Formula:
    """One formula: its text as written and where it stands in the document."""

    text: str  # the math between the delimiters, exactly as in the document (not stripped)
    start: int  # offset of text's first character
    end: int  # offset just after text's last character: document[start:end] == text
    line: int  # 1-based line of start
    column: int  # 1-based column of start
    end_line: int  # 1-based line of the closing delimiter
    display: bool  # $$…$$, \[…\] and display environments; not $…$, \(…\) or math
    delimiter: str  # "$$", "$", "\\[", "\\(" or the environment's name ("align*")
    outer_end: int  # offset just after the closing delimiter, where an annotation may go


def document_kind(name: str, text: str) -> str:
    """"markdown" or "latex": by the file name's suffix, else "latex" exactly when the text has
    ``\\documentclass`` or ``\\begin{document}``."""
    suffix = os.path.splitext(name)[1].lower()
    if suffix in LATEX_SUFFIXES:
        return "latex"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    return "latex" if _LATEX_HINT.search(text) else "markdown"


def find_formulas(text: str, kind: str) -> list[Formula]:
    """Every formula of the document (``kind`` "markdown" or "latex"), in order."""
    return _scan(text, kind)[0]


def unclosed(text: str, kind: str) -> list[tuple[int, int, str]]:
    """(line, column, delimiter) of every opening delimiter never closed, in order: a math
    delimiter not closed before the next blank line (no formula, and the scan went on after it),
    or a code fence or verbatim environment left open (the rest of the document was read as code).
    An inline ``$`` in Markdown counts only when no ``$`` follows it in its paragraph and it does
    not stand before a digit ("$5" is a price)."""
    return _scan(text, kind)[1]


@cache
def _content(close: str, comments: bool) -> re.Pattern[str]:
    """Math up to the first ``close`` that is neither an escaped character (``\\$``) nor, in LaTeX,
    inside a comment: possessive, so that a match never backtracks."""
    plain = "\\\\%" if comments else "\\\\"
    if close.startswith("$"):
        units = [rf"[^{plain}$]++", r"\\[\s\S]"] + ([r"\$(?!\$)"] if close == "$$" else [])
    else:  # \) \] \end{name}: a backslash that does not begin the closer escapes the next character
        units = [rf"[^{plain}]++", rf"\\(?!{re.escape(close[1:])})[\s\S]"]
    if comments:
        units.append(r"%[^\n]*+")
    return re.compile("(?:" + "|".join(units) + ")*+")


def _fences(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, str]]]:
    """Markdown's fenced code blocks as (start, end) offsets, and the (offset, fence) of one left
    open, which runs to the end of the document (CommonMark)."""
    regions, opened = [], None
    for match in _FENCE.finditer(text):
        fence, rest = match.groups()
        if opened is None:
            if fence[0] == "~" or "`" not in rest:
                opened = (match.start(1), fence)
        elif fence[0] == opened[1][0] and len(fence) >= len(opened[1]) and not rest.strip():
            regions.append((opened[0], match.end()))
            opened = None
    if opened is None:
        return regions, []
    return regions + [(opened[0], len(text))], [opened]


def _body(text: str, latex: bool) -> int:
    """Where the scan begins: after ``\\begin{document}`` (not in a comment) if LaTeX has one."""
    if latex:
        for match in _PREAMBLE.finditer(text):
            if match.group(1):
                return match.end()
    return 0


def _scan(text: str, kind: str) -> tuple[list[Formula], list[tuple[int, int, str]]]:
    """The formulas and the unclosed openers of the document, in one forward pass."""
    if kind not in _SIGNIFICANT:
        raise ValueError(f"document kind {kind!r} is not known: use 'markdown' or 'latex'")
    scan = _Scan(text, kind == "latex")
    scan.run()
    return scan.formulas, sorted(scan.missing)


class _Scan:
    """One pass over a document: the position only moves forward."""

    def __init__(self, text: str, latex: bool) -> None:
        self.text, self.latex = text, latex
        self.newlines = [match.start() for match in re.finditer("\n", text)]
        self.regions, open_fences = ([], []) if latex else _fences(text)
        self.ticks: dict[int, list[int]] = {}  # backtick run length → where such runs start
        for match in [] if latex else _TICKS.finditer(text):
            self.ticks.setdefault(len(match.group()), []).append(match.start())
        self.tick_at: dict[int, int] = {}  # run length → index of the first run not yet passed
        self.failed: dict[str, int] = {}  # closer → the limit up to which it is known absent
        self.formulas: list[Formula] = []
        self.missing = [(*self.where(at), fence) for at, fence in open_fences]
        self.blank = -1  # the next blank line at or after the current opener
        self.region = 0  # the next fenced block at or after the scan's position

    def where(self, offset: int) -> tuple[int, int]:
        """(line, column) of an offset, both 1-based."""
        line = bisect_left(self.newlines, offset)  # line breaks before offset
        return line + 1, offset - (self.newlines[line - 1] + 1 if line else 0) + 1

    def limit(self, at: int) -> int:
        """How far a formula opened at ``at`` may run: to the next blank line or code fence."""
        if at > self.blank:
            match = _BLANK.search(self.text, at)
            self.blank = match.start() if match else len(self.text)
        return min(self.blank, self.regions[self.region][0] if self.region < len(self.regions) else len(self.text))

    def record(self, start: int, end: int, display: bool, delimiter: str, after: int) -> int:
        """The formula ``text[start:end]`` kept; the scan goes on at ``after``."""
        line, column = self.where(start)
        self.formulas.append(Formula(self.text[start:end], start, end, line, column, self.where(end)[0], display,
                                     delimiter, after))
        return after

    def enclose(self, opener: int, start: int, close: str, delimiter: str, display: bool) -> int:
        """The formula from ``start`` to the first ``close`` before the limit, if there is one."""
        until = self.limit(opener)
        if self.failed.get(close) == until:
            end = until
        else:
            end = _content(close, self.latex).match(self.text, start, until).end()
        if self.text.startswith(close, end, until):
            return self.record(start, end, display, delimiter, end + len(close))
        self.failed[close] = until
        self.missing.append((*self.where(opener), delimiter))
        return start

    def dollar(self, opener: int) -> int:
        """A Markdown ``$``, read by pandoc's rules: the closer is the next ``$``, so no stretch
        is searched twice."""
        text, start, until = self.text, opener + 1, self.limit(opener)
        if start >= until or text[start].isspace():
            return start
        end = _content("$", False).match(text, start, until).end()
        if not text.startswith("$", end, until):
            if not text[start].isdigit():
                self.missing.append((*self.where(opener), "$"))
            return start
        if text[end - 1].isspace() or text[end + 1 : end + 2].isdigit():
            return start
        return self.record(start, end, False, "$", end + 1)

    def code_span(self, at: int) -> int:
        """Past a code span opened by the backtick run at ``at`` (closed by the next run of as
        many backticks in its paragraph), or past the run, a literal, if there is none."""
        run = _TICKS.match(self.text, at).end() - at
        starts, index = self.ticks[run], self.tick_at.get(run, 0)
        while index < len(starts) and starts[index] < at + run:
            index += 1
        self.tick_at[run] = index
        closed = index < len(starts) and starts[index] < self.limit(at)
        return starts[index] + run if closed else at + run

    def run(self) -> None:
        text, latex, significant = self.text, self.latex, _SIGNIFICANT["latex" if self.latex else "markdown"]
        at = _body(text, latex)
        while True:
            stop = self.regions[self.region][0] if self.region < len(self.regions) else len(text)
            match = significant.search(text, at, stop)
            if match is None:
                if self.region == len(self.regions):
                    return
                at, self.region = self.regions[self.region][1], self.region + 1
                continue
            at = match.start()
            char, following = text[at], text[at + 1 : at + 2]
            if char == "%":  # a LaTeX comment, to the end of the line
                newline = text.find("\n", at)
                at = len(text) if newline < 0 else newline
            elif char == "`":
                at = self.code_span(at)
            elif char == "$" and following == "$":
                at = self.enclose(at, at + 2, "$$", "$$", True)
            elif char == "$":
                at = self.enclose(at, at + 1, "$", "$", False) if latex else self.dollar(at)
            elif following in ("(", "["):
                close = "\\)" if following == "(" else "\\]"
                at = self.enclose(at, at + 2, close, "\\" + following, following == "[")
            elif (begin := _BEGIN.match(text, at)) and begin.group(1) in ENVIRONMENTS:
                name = begin.group(1)
                at = self.enclose(at, begin.end(), f"\\end{{{name}}}", name, ENVIRONMENTS[name])
            elif latex and begin and begin.group(1) in VERBATIM:
                end = f"\\end{{{begin.group(1)}}}"
                finish = text.find(end, begin.end())
                if finish < 0:  # LaTeX reads the rest as verbatim too
                    self.missing.append((*self.where(at), begin.group(1)))
                    return
                at = finish + len(end)
            elif latex and text.startswith("\\end{document}", at):
                return
            elif latex and (verb := _VERB.match(text, at)):
                line_end = text.find("\n", at)  # \verb|…| ends on its line, else LaTeX stops
                finish = text.find(verb.group(1), verb.end(), len(text) if line_end < 0 else line_end)
                at = verb.end() if finish < 0 else finish + 1
            else:  # an escaped character (\$, \`, \\) or a command
                at += 2
