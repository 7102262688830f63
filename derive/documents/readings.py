"""How a document's notation maps to problems: the reading that ``derive annotate`` is given.

A worked solution writes ``z_{N-1}``, ``x^{(3)}`` or ``q_2`` where a problem file says ``zNm1``,
``x3`` or ``a2``, and one document often works several problems (seed 001 has four modules). A
reading is a small TOML file, or TOML front matter between ``+++`` lines at the top of a
Markdown document::

    problems = ["linear-layer"]          # catalog ids or problem files (relative to the reading)
    [names]                              # LaTeX spelling = the problem's name, for every part
    "z_{N-1}" = "zNm1"

    [[parts]]                            # from the first line holding `from` to the next part
    from = "Problem 4.1.2"
    problems = ["seed000-hadamard"]
    names = { "\\sigma" = "phi" }        # this part's spellings, over the ones above
    rewrite = { "W_i" = "W_{:,i}" }      # LaTeX the document gives a meaning in prose ("W_i is the
                                         # i-th column of W"), read as the LaTeX on the right

    [[parts]]
    from = "Take example"
    skip = "a worked example with numbers, not a claim"   # the part's formulas are listed, unchecked

Without a reading, every formula is read against the problems named on the command line, in
order; a document that uses the problems' own names needs nothing more. A spelling is checked
as a problem file's ``[latex]`` table is, against the problems of its part.
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ProblemError
from ..problem.definition import Problem, find_problem
from ..problem.files import read_toml
from ..problem.schema import latex_spelling_error, one_line

_KEYS = {"problems", "names", "rewrite", "parts"}
_PART_KEYS = {"from", "problems", "names", "rewrite", "skip"}
MAX_REWRITE = 200  # characters of a rewrite's spelling or meaning


@dataclass(frozen=True)
class Part:
    """A stretch of the document, from line ``first`` on, read against ``problems`` (with the
    reading's spellings put in their ``[latex]`` tables); ``skip`` says why it is not checked."""

    first: int
    problems: tuple[Problem, ...]
    skip: str = ""
    anchor: str = ""
    rewrites: tuple[tuple[str, str], ...] = ()

    def rewritten(self, text: str) -> str:
        """``text`` with each of the part's rewrites made where its spelling stands alone (not
        inside a longer name: ``W_i`` in ``(W_i)^T``, not in ``W_{ij}``; ``\\mathbf{1}``, not
        ``\\mathbf{1}_S``)."""
        for spelling, meaning in self.rewrites:
            pattern = re.compile(r"(?<![A-Za-z\\])" + re.escape(spelling) + r"(?![A-Za-z0-9_])")
            text = pattern.sub(lambda _, meaning=meaning: meaning, text)
        return text


@dataclass(frozen=True)
class Reading:
    """A document's parts, in order of their first lines."""

    parts: tuple[Part, ...] = field(default=())

    def part_at(self, line: int) -> Part | None:
        """The part that line ``line`` (1-based) belongs to."""
        found = None
        for part in self.parts:
            if part.first <= line:
                found = part
        return found


def front_matter(text: str) -> tuple[str, int]:
    """The TOML between ``+++`` lines at the top of a document (empty when there is none), and
    the number of lines it takes."""
    lines = text.lstrip("\ufeff").split("\n")
    if not lines or lines[0].strip() != "+++":
        return "", 0
    for number, line in enumerate(lines[1:], 1):
        if line.strip() == "+++":
            return "\n".join(lines[1:number]), number + 1
    raise ProblemError("the front matter opened by '+++' on line 1 is never closed")


def load_reading(document: str, problems: Sequence[str], reading_file: str | None = None) -> Reading:
    """The reading of ``document``: from ``reading_file`` (a TOML file), else from its front
    matter, else one part, the whole document, read against ``problems`` (ids or files)."""
    if reading_file is not None:
        data, base, where = read_toml(Path(reading_file)), Path(reading_file).parent, one_line(reading_file)
    else:
        matter, _ = front_matter(document)
        try:
            data = tomllib.loads(matter) if matter else {}
        except tomllib.TOMLDecodeError as error:
            raise ProblemError(f"the document's front matter: not valid TOML: {one_line(str(error))}") from None
        base, where = Path("."), "the document's front matter"
    return _reading(data, document, list(problems), base, where)


def _reading(data: dict, document: str, command_line: list[str], base: Path, where: str) -> Reading:
    unknown = set(data) - _KEYS
    if unknown:
        raise ProblemError(f"{where}: unknown key '{sorted(unknown)[0]}' (a reading has {', '.join(sorted(_KEYS))})")
    loaded: dict[str, Problem] = {}
    names = _table(data.get("names", {}), f"{where}: names")
    rewrites = _rewrites(data.get("rewrite", {}), f"{where}: rewrite")
    default = _problem_keys(data.get("problems", command_line), f"{where}: problems")
    parts = [Part(first=1, problems=_problems(default, names, loaded, base, f"{where}: problems"),
                  rewrites=tuple(rewrites.items()))]
    lines = document.split("\n")
    previous = 1
    for number, entry in enumerate(_list(data.get("parts", []), f"{where}: parts"), 1):
        place = f"{where}: parts[{number}]"
        if not isinstance(entry, dict):
            raise ProblemError(f"{place}: a part is a table (from = ..., problems = [...])")
        extra = set(entry) - _PART_KEYS
        if extra:
            raise ProblemError(f"{place}: unknown key '{sorted(extra)[0]}' (a part has "
                               f"{', '.join(sorted(_PART_KEYS))})")
        anchor = entry.get("from")
        if not isinstance(anchor, str) or not anchor.strip():
            raise ProblemError(f"{place}: 'from' is the text the part starts at (a heading, a sentence)")
        first = _line_of(lines, anchor, previous, place)
        part_names = {**names, **_table(entry.get("names", {}), f"{place}: names")}
        keys = _problem_keys(entry.get("problems", default), f"{place}: problems")
        skip = entry.get("skip", "")
        if not isinstance(skip, str):
            raise ProblemError(f"{place}: 'skip' is the reason the part is not checked, as text")
        part_rewrites = {**rewrites, **_rewrites(entry.get("rewrite", {}), f"{place}: rewrite")}
        parts.append(Part(first=first, problems=() if skip else _problems(keys, part_names, loaded, base, place),
                          skip=skip, anchor=anchor, rewrites=tuple(part_rewrites.items())))
        previous = first
    return Reading(tuple(parts))


def _list(value, place: str) -> list:
    if not isinstance(value, list):
        raise ProblemError(f"{place}: expected a list")
    return value


def _table(value, place: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ProblemError(f"{place}: expected a table of LaTeX spelling = name")
    for spelling in value:
        error = latex_spelling_error(spelling)
        if error:
            raise ProblemError(f"{place}: {one_line(spelling)!r}: {error}")
    return dict(value)


def _rewrites(value, place: str) -> dict[str, str]:
    """A table of LaTeX spelling = the LaTeX it means (read by derive's LaTeX reader, never run)."""
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ProblemError(f"{place}: expected a table of LaTeX spelling = the LaTeX it stands for")
    for spelling, meaning in value.items():
        if not spelling.strip() or len(spelling) > MAX_REWRITE or len(meaning) > MAX_REWRITE:
            raise ProblemError(f"{place}: {one_line(spelling)!r}: a spelling and its meaning are 1 to "
                               f"{MAX_REWRITE} characters")
    return dict(value)


def _problem_keys(value, place: str) -> list[str]:
    keys = [value] if isinstance(value, str) else _list(value, place)
    if not all(isinstance(k, str) and k for k in keys):
        raise ProblemError(f"{place}: expected catalog ids or problem files")
    return keys


def _line_of(lines: list[str], anchor: str, after: int, place: str) -> int:
    """The first line, from line ``after`` on, that holds ``anchor``."""
    for number in range(after, len(lines) + 1):
        if anchor in lines[number - 1]:
            return number
    raise ProblemError(f"{place}: the text {one_line(anchor)!r} is not in the document (after line {after})")


def _problems(keys: list[str], names: dict[str, str], loaded: dict, base: Path, place: str) -> tuple[Problem, ...]:
    """The problems ``keys`` names, each with the spellings of ``names`` that are its names put
    first in its ``[latex]`` table (so that corrections print in the document's notation)."""
    problems = []
    for key in keys:
        if key not in loaded:
            path = base / key
            loaded[key] = find_problem(str(path) if key.endswith(".toml") else key)
        problems.append(_with_names(loaded[key], names))
    spelled = {name for problem in problems for name in _known(problem)}
    for spelling, name in names.items():
        if name not in spelled:
            raise ProblemError(f"{place}: names[{one_line(spelling)!r}] = {name!r} is not a name of "
                               f"{' or '.join(p.id for p in problems) or 'any problem'}")
    return tuple(problems)


def _known(problem: Problem) -> set[str]:
    return set(problem.shapes) | set(problem.sizes) | set(problem.activations)


def _with_names(problem: Problem, names: dict[str, str]) -> Problem:
    own = {spelling: name for spelling, name in names.items() if name in _known(problem)}
    if not own:
        return problem
    changed = copy.copy(problem)
    changed.latex_names = {**own, **{s: n for s, n in problem.latex_names.items() if s not in own}}
    return changed
