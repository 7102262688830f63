"""A formula of a worked solution, cut into the statements it makes (the first stage of ``annotate``).

A display formula in a derivation is seldom one equation: it strings several together
(``a_2 = \\sigma(z_2) \\Rightarrow \\frac{da_2}{dz_2} = \\sigma'(z_2)``), breaks a chain over lines
(``\\begin{split} A &= B \\\\ &= C \\end{split}``), boxes a result, labels it (``\\quad \\text{--- (1)}``,
``\\textcircled{4}``) and annotates its factors (``\\underbrace{x^T}_{1 \\times m}``). The LaTeX reader
takes one equation or chain; this module finds them. It works on the text alone: no parsing of
the mathematics, no problem needed, so that every later stage sees the same cut.

The rules (docs/annotate.md):

* decorations are taken off wherever they stand: ``\\boxed{X}`` and ``\\underbrace{X}_{…}`` /
  ``\\overbrace{X}^{…}`` keep X; ``\\stackrel{?}{=}`` and ``\\overset{?}{=}`` are ``=``; labels
  (``\\tag``, ``\\label``, ``\\textcircled``, circled digits ①…⑳) and spacing words go;
* the alignment environments around the whole (``aligned``, ``split``, ``align``, ``gathered``…)
  are transparent and ``&`` in them is dropped; matrices and ``cases`` stay whole;
* at the top level (outside braces, brackets, parentheses and environments) a statement ends at
  a line break ``\\\\``, an implication or arrow (``\\Rightarrow``, ``\\implies``, ``\\rightarrow``,
  ⇒, →), ``\\therefore``, ``\\quad``/``\\qquad``, a comma or semicolon, and prose in ``\\text{…}``
  (``\\text{ or }``, ``\\text{where …}``, ``\\text{Now, }``); a ``\\text{…}`` holding one word that
  could name a quantity (``\\text{LOSS}``, ``\\text{Tr}``) stays;
* a statement that starts with ``=`` continues the chain before it (the previous statement of
  the same formula, or of the formula before);
* ``\\forall`` and prose such as ``\\text{where …}`` start commentary, up to the next line break
  or implication.

Each segment keeps its span in the formula's own text, so that a mark can point at it.
Linear in the length of the formula: one pass over it, and one over each decoration's argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# environments that only align or group lines: their \\ and & separate statements and columns
TRANSPARENT = frozenset({"aligned", "alignedat", "split", "align", "align*", "gathered", "gather", "gather*",
                         "multline", "multline*", "eqnarray", "eqnarray*", "equation", "equation*", "flalign",
                         "flalign*", "array"})
# a statement ends at these; after a hard one, commentary ends too
_HARD = frozenset({"Rightarrow", "Longrightarrow", "implies", "rightarrow", "longrightarrow", "therefore",
                   "iff", "Leftrightarrow", "Longleftrightarrow", "\\"})
_SOFT = frozenset({"quad", "qquad", "hence", "because"})
_UNICODE_HARD = frozenset("⇒→⟹∴⟶")
_UNICODE_SOFT = frozenset(";,")
# prose that starts commentary on what was just said (\text{where x_n: a column}), up to a hard cut
_COMMENTARY = frozenset({"where", "for", "with", "if", "since", "because", "as", "when", "i", "ie", "e", "eg"})
_CIRCLED = re.compile(r"[\u2460-\u2473\u24ea\u2776-\u277f\u2780-\u2793]")
# a \text{…} that may name a quantity or a function (\text{LOSS}, \text{Tr}, \text{vec}), not prose
_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_CONNECTIVES = frozenset({"or", "and", "then", "so", "thus", "hence", "where", "with", "for", "since", "if",
                          "else", "otherwise", "ans", "now", "likewise", "similarly", "therefore", "i", "e",
                          "ie", "eg", "note", "as", "by", "because", "let", "we", "have", "get",
                          "loss", "error", "take", "example", "long", "is", "are", "the", "of", "in", "on"})
_COMMAND = re.compile(r"\\([A-Za-z]+\*?|.)")


@dataclass(frozen=True)
class Segment:
    """One statement of a formula: its text with the decorations off, where it stands in the
    formula (``start``, ``end``: offsets into the formula's text), and whether it continues the
    chain before it (it started with ``=``; the ``=`` is kept)."""

    text: str
    start: int
    end: int
    continues: bool


class _Text:
    """Characters with the offset each came from: the formula with its decorations off."""

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.origins: list[int] = []

    def add(self, text: str, origin: int) -> None:
        for k, char in enumerate(text):
            self.chars.append(char)
            self.origins.append(origin + k)

    def add_space(self, origin: int) -> None:
        self.chars.append(" ")
        self.origins.append(origin)


def _group_end(text: str, start: int) -> int:
    """The offset after the ``{…}`` group that opens at ``start`` (or after the one token there:
    ``_1``, ``^T``, a command); ``len(text)`` when the group never closes."""
    k = start
    while k < len(text) and text[k].isspace():
        k += 1
    if k >= len(text):
        return k
    if text[k] != "{":
        command = _COMMAND.match(text, k)
        return command.end() if command else k + 1
    depth = 0
    while k < len(text):
        char = text[k]
        if char == "\\":
            k += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return k + 1
        k += 1
    return len(text)


def _inner(text: str, start: int, end: int) -> tuple[int, int]:
    """The offsets inside a group ``text[start:end]`` (its braces off, when it has them)."""
    k = start
    while k < end and text[k].isspace():
        k += 1
    if k < end and text[k] == "{" and text[end - 1] == "}":
        return k + 1, end - 1
    return k, end


_SPACED_FACTORS = re.compile(r"\s*\\q?quad(?![A-Za-z])\s*(?=\\(?:underbrace|overbrace)(?![A-Za-z]))")


def undecorated(text: str, start: int = 0, end: int | None = None, out: _Text | None = None) -> _Text:
    """``text[start:end]`` with its decorations off (module docstring), each character with the
    offset it came from."""
    end = len(text) if end is None else end
    out = out if out is not None else _Text()
    k = start
    while k < end:
        char = text[k]
        if _CIRCLED.match(char):
            out.add_space(k)
            k += 1
            continue
        if char != "\\":
            out.add(char, k)
            k += 1
            continue
        command = _COMMAND.match(text, k)
        name = command.group(1)
        after = command.end()
        if name in ("boxed", "fbox", "underbrace", "overbrace"):
            group = _group_end(text, after)
            undecorated(text, *_inner(text, after, group), out=out)
            k = group
            if name in ("underbrace", "overbrace"):  # the annotation below or above goes
                mark = re.compile(r"\s*[_^]").match(text, k)
                if mark:
                    k = _group_end(text, mark.end())
                # \quad between annotated factors spaces a product out: \underbrace{a}_{…} \quad \underbrace{b}_{…}
                spacing = _SPACED_FACTORS.match(text, k)
                if spacing and spacing.end() <= end:
                    out.add_space(k)
                    k = spacing.end()
            continue
        if name in ("stackrel", "overset"):  # \stackrel{?}{=}: the relation it marks
            first = _group_end(text, after)
            second = _group_end(text, first)
            undecorated(text, *_inner(text, first, second), out=out)
            k = second
            continue
        if name in ("tag", "tag*", "label", "textcircled", "circled"):
            k = _group_end(text, after)
            out.add_space(k - 1)
            continue
        if name in ("hspace", "vspace", "phantom"):  # room left blank, as in \underline{\hspace{10em}}
            k = _group_end(text, after)
            out.add_space(k - 1)
            continue
        if name in ("nonumber", "notag", "displaystyle", "textstyle", "hfill", "checkmark"):
            out.add_space(k)
            k = after
            continue
        out.add(text[k:after], k)
        k = after
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]+", text.lower())


def _is_prose(content: str) -> bool:
    """Whether a ``\\text{…}`` is prose (a word of commentary), not a name spelled out."""
    stripped = content.strip()
    if _NAME_WORD.fullmatch(stripped):
        return stripped.lower() in _CONNECTIVES
    return True


def segments(formula: str) -> list[Segment]:
    """The statements ``formula`` makes, in order (module docstring)."""
    clean = undecorated(formula)
    text = "".join(clean.chars)
    cuts: list[tuple[int, int, str]] = []  # (start, end, "hard" | "soft" | "commentary"), in ``text``
    dropped: list[tuple[int, int]] = []  # alignment marks and transparent environments' delimiters
    depth = 0
    environments: list[str] = []
    k = 0
    while k < len(text):
        char = text[k]
        if char in "{[(":
            depth += 1
        elif char in "}])":
            depth = max(0, depth - 1)
        elif char in _UNICODE_HARD | _UNICODE_SOFT and depth == 0 and not environments:
            cuts.append((k, k + 1, "hard" if char in _UNICODE_HARD else "soft"))
        elif char == "&" and depth == 0 and not environments:
            dropped.append((k, k + 1))
        elif char == "\\":
            command = _COMMAND.match(text, k)
            name = command.group(1)
            after = command.end()
            if name in ("begin", "end"):
                group = _group_end(text, after)
                environment = text[after:group].strip().strip("{}").strip()
                if environment in TRANSPARENT and (depth == 0 and not environments):
                    if name == "begin" and environment in ("array", "alignedat"):  # its column spec
                        group = _group_end(text, group)
                    dropped.append((k, group))
                elif name == "begin":
                    environments.append(environment)
                elif environments:
                    environments.pop()
                k = group
                continue
            if depth == 0 and not environments:
                if name == "\\":
                    spacing = re.compile(r"\s*\[[^\]]*\]").match(text, after)  # \\[2pt]
                    cuts.append((k, spacing.end() if spacing else after, "hard"))
                elif name in ("text", "textrm", "mbox"):
                    group = _group_end(text, after)
                    content = text[slice(*_inner(text, after, group))]
                    if _is_prose(content):
                        words = _words(content)
                        cuts.append((k, group, "commentary" if words and words[0] in _COMMENTARY else "soft"))
                    k = group
                    continue
                elif name == "forall":  # \forall i, j: the range of what was said
                    cuts.append((k, after, "commentary"))
                elif name in _HARD or name in _SOFT:
                    cuts.append((k, after, "hard" if name in _HARD else "soft"))
            if name in ("left", "right"):  # \left( … \right): the delimiter after it is counted
                k = after
                continue
            k = after
            continue
        k += 1
    return _cut(text, clean.origins, cuts, dropped, len(formula))


def _cut(text: str, origins: list[int], cuts, dropped, length: int) -> list[Segment]:
    """The pieces of ``text`` between the cuts, with the dropped spans blanked; each piece's span
    mapped back to the formula's offsets."""
    blank = list(text)
    for start, end in dropped:
        for k in range(start, end):
            blank[k] = " "
    pieces = []
    previous, commentary = 0, False
    for start, end, kind in [*cuts, (len(text), len(text), "hard")]:
        if not commentary:
            pieces.append((previous, start))
        previous = end
        commentary = kind == "commentary" or (commentary and kind != "hard")
    found = []
    for start, end in pieces:
        piece = "".join(blank[start:end])
        stripped = piece.strip()
        lead = len(piece) - len(piece.lstrip())
        stripped = re.sub(r"[\s.,;:]+$", "", stripped)  # the sentence's punctuation
        if not stripped:
            continue
        first = start + lead
        last = first + len(stripped)
        origin = origins[first] if first < len(origins) else length
        finish = origins[last - 1] + 1 if last - 1 < len(origins) else length
        found.append(Segment(text=stripped, start=origin, end=finish, continues=stripped.startswith("=")))
    return found
