"""Markdown as the body of a LaTeX document, its formulas written by the caller.

The annotated LaTeX of a Markdown derivation (``annotated_tex``) is the document itself, typeset:
what is read is CommonMark's common cases as GitHub renders them — ATX and setext headings,
paragraphs and hard line breaks, emphasis and strong emphasis, code spans, fenced code blocks,
bullet and ordered lists (nested by indentation), block quotes, pipe tables, links, autolinks and
bare URLs, images (their alt text), thematic breaks, backslash escapes and entities. Not read,
shown as text: HTML, reference links, indented code blocks (which ``formulas`` does not skip
either).

The formulas are those ``formulas.find_formulas`` found, which annotate checked: each is replaced
by a placeholder that no Markdown rule can split, and the caller's ``render`` writes it back — its
math and its marks — where the placeholder lands, as a display block or, in a heading or a table
cell, inline. Every other character is text, escaped by ``tex_prose``: no text of the document
reaches the output as a command, so any Markdown gives a body that compiles (lists and quotes
nested deeper than LaTeX allows are flattened).
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections.abc import Callable

from .tex_prose import tex_prose, tex_url

Render = Callable[[int, bool], str]  # (formula number, whether it may stand as a display block) → LaTeX

_PRIVATE = re.compile("[\ue000-\ue00f]")  # the placeholders' and sentinels' code points
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_LAST_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001$")
_SAVED = re.compile("(\ue007\\d+\ue008|[\ue002-\ue006])")
# emphasis as declarations in a group, not \textbf{…}: a display formula's marks (a \par) may stand inside
_SENTINELS = {"\ue002": r"{\bfseries ", "\ue003": "}", "\ue004": r"{\em ", "\ue005": "}", "\ue006": r"\newline "}

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE = re.compile(r"^ {0,3}> ?(.*)$")
_ITEM = re.compile(r"^( {0,3})([-+*]|\d{1,9}[.)])(?:([ \t]+)(.*))?$")
_DELIMITER_ROW = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
# where an inline token may start: a formula, a backtick run, an escape, an autolink, a link, a bare URL
_INLINE_START = re.compile("\ue000(\\d+)\ue001|`+|\\\\[!-/:-@\\[-`{-~]|<|!?\\[|(?<![\\w/])https?://")
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^\s<>]*|mailto:[^\s<>]+)>")
_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\[\]]{0,1000}\]){0,1000})\]"  # a label of 1000 characters at most
                   r"\([ \t]*(<[^<>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:[ \t]+\"[^\"\n]*\")?[ \t]*\)")
_URL = re.compile(r"https?://[^\s<>]*[^\s<>.,;:!?'\")\]*_]")
_TICKS = re.compile(r"`+")
_DELIMITERS = re.compile(r"\*+|_+")
_LINKABLE = re.compile(r"(?:https?|ftp)://|mailto:", re.I)  # a link elsewhere (javascript:, file:) is its text
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_SECTIONS = {1: "section", 2: "subsection", 3: "subsubsection", 4: "paragraph", 5: "subparagraph",
             6: "subparagraph"}
_ALIGN = {"l": r"\raggedright", "c": r"\centering", "r": r"\raggedleft"}
MAX_NESTING = 4  # lists and quotes within each other: LaTeX stops at the fifth itemize or the seventh list
MAX_DEPTH = 24  # blocks read within blocks; deeper ones are read as text


def markdown_body(text: str, spans: list[tuple[int, int, bool]], render: Render) -> str:
    """The LaTeX body of the Markdown ``text``: ``spans`` are the formulas (start of the opening
    delimiter, end of the closing one, display or not), in order and apart; formula k is written
    by ``render(k, block)``."""
    return _Converter(text, spans, render).body()


def _cells(line: str) -> list[str]:
    """A pipe table row's cells (outer pipes off, ``\\|`` a pipe in a cell)."""
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [cell.strip().replace("\\|", "|") for cell in _CELL_SPLIT.split(inner)]


def _indent(line: str) -> int:
    expanded = line.expandtabs(4)
    return len(expanded) - len(expanded.lstrip())


def _same_list(line: str, first: re.Match) -> bool:
    """Whether ``line`` is an item of the list whose first item is ``first``: the same bullet, or
    numbers with the same delimiter."""
    match = _ITEM.match(line)
    return bool(match) and not _RULE.match(line) and match.group(2)[-1] == first.group(2)[-1] \
        and match.group(2)[0].isdigit() == first.group(2)[0].isdigit()


def _alignment(cell: str) -> str:
    cell = cell.strip()
    if cell.startswith(":") and cell.endswith(":"):
        return "c"
    return "r" if cell.endswith(":") else "l"


def _emphasis(text: str) -> str:
    """Strong and plain emphasis as sentinels, by CommonMark's delimiter runs, simplified: a run of
    ``*`` or ``_`` may open when a non-space follows it and close when one precedes it (``_`` not
    inside a word); a closer takes the nearest opener of its character, two delimiters at a time
    (strong) when both have two. Linear in the text; each pair opens and closes one group, so the
    braces balance whatever the nesting."""
    runs = list(_DELIMITERS.finditer(text))
    left = [len(run.group()) for run in runs]  # delimiters of each run not yet paired
    opening: list[list[str]] = [[] for _ in runs]
    closing: list[list[str]] = [[] for _ in runs]
    stacks: dict[str, list[int]] = {"*": [], "_": []}  # the runs that may still open, by character
    for number, run in enumerate(runs):
        char, before = run.group()[0], text[run.start() - 1] if run.start() else " "
        after = text[run.end()] if run.end() < len(text) else " "
        word = char == "_"
        can_open = not after.isspace() and not (word and before.isalnum())
        can_close = not before.isspace() and not (word and after.isalnum())
        own, other = stacks[char], stacks["_" if char == "*" else "*"]
        while can_close and left[number] and own:
            opener = own[-1]
            while other and other[-1] > opener:  # an opener of the other kind inside the pair: literal
                other.pop()
            use = 2 if left[number] >= 2 and left[opener] >= 2 else 1
            left[number], left[opener] = left[number] - use, left[opener] - use
            opening[opener].append("\ue002" if use == 2 else "\ue004")
            closing[number].append("\ue003" if use == 2 else "\ue005")
            if not left[opener]:
                own.pop()
        if can_open and left[number]:
            own.append(number)
    out, at = [], 0
    for number, run in enumerate(runs):
        literal = run.group()[0] * left[number]
        out += [text[at:run.start()], *closing[number], literal, *reversed(opening[number])]
        at = run.end()
    return "".join(out) + text[at:]


def _text(raw: str) -> str:
    """Plain Markdown text: entities decoded, everything escaped."""
    return tex_prose(_ENTITY.sub(lambda m: html.unescape(m.group()), raw))


class _Converter:
    """One Markdown document, placeholders in, read block by block."""

    def __init__(self, text: str, spans: list[tuple[int, int, bool]], render: Render) -> None:
        clean = _PRIVATE.sub("\ufffd", text)  # same length: the spans' offsets still hold
        parts, at = [], 0
        self.display: dict[int, bool] = {}
        for number, (start, end, display) in enumerate(spans):
            parts += [clean[at:start], f"\ue000{number}\ue001"]
            self.display[number] = display
            at = end
        parts.append(clean[at:])
        self.lines = "".join(parts).split("\n")
        self.render = render

    def body(self) -> str:
        return "\n\n".join(self._blocks(self.lines, 0))

    def _blocks(self, lines: list[str], depth: int) -> list[str]:
        if depth > MAX_DEPTH:  # deeper still: its text, so that no input can exhaust the recursion
            return [self._inline(self._joined([line for line in lines if line.strip()]), block=True)]
        out, at = [], 0
        readers = (self._fence, self._heading, self._rule, self._quote, self._list, self._table)
        while at < len(lines):
            if not lines[at].strip():
                at += 1
                continue
            for reader in readers:
                found = reader(lines, at, depth)
                if found is not None:
                    break
            else:
                found = self._paragraph(lines, at)
            latex, at = found
            out.append(latex)
        return out

    # -- blocks --------------------------------------------------------------------------------
    def _fence(self, lines: list[str], at: int, depth: int) -> tuple[str, int] | None:
        match = _FENCE.match(lines[at])
        if not match or (match.group(1)[0] == "`" and "`" in match.group(2)):
            return None
        fence, body, at = match.group(1), [], at + 1
        while at < len(lines):
            close = _FENCE.match(lines[at])
            at += 1
            if close and close.group(1)[0] == fence[0] and len(close.group(1)) >= len(fence) \
                    and not close.group(2).strip():
                break
            body.append(lines[at - 1])
        code = "\n".join(r"\mbox{}" + self._code(line.expandtabs(4), "\\ ") + r"\par" for line in body)
        return "\\begin{derivecode}\n" + code + "\n\\end{derivecode}", at

    def _heading(self, lines: list[str], at: int, depth: int) -> tuple[str, int] | None:
        match = _HEADING.match(lines[at])
        if not match:
            return None
        return self._heading_latex(len(match.group(1)), match.group(2) or ""), at + 1

    def _heading_latex(self, level: int, text: str) -> str:
        return rf"\{_SECTIONS[level]}*{{{self._inline(text.strip(), block=False)}}}"

    def _rule(self, lines: list[str], at: int, depth: int) -> tuple[str, int] | None:
        if not _RULE.match(lines[at]):
            return None
        return r"\par\noindent\rule{\linewidth}{0.4pt}\par", at + 1

    def _quote(self, lines: list[str], at: int, depth: int) -> tuple[str, int] | None:
        if not _QUOTE.match(lines[at]):
            return None
        inner = []
        while at < len(lines) and lines[at].strip():
            match = _QUOTE.match(lines[at])
            if not match and (not inner or self._interrupts(lines[at])):
                break
            inner.append(match.group(1) if match else lines[at])  # a lazy continuation line
            at += 1
        return self._nested("quote", "\n\n".join(self._blocks(inner, depth + 1)), depth), at

    @staticmethod
    def _nested(environment: str, body: str, depth: int) -> str:
        if depth >= MAX_NESTING:
            return body
        return f"\\begin{{{environment}}}\n{body}\n\\end{{{environment}}}"

    def _list(self, lines: list[str], at: int, depth: int) -> tuple[str, int] | None:
        first = _ITEM.match(lines[at])
        if not first or _RULE.match(lines[at]):
            return None
        ordered = first.group(2)[0].isdigit()
        number = int(first.group(2)[:-1]) if ordered else 0
        items = []
        while at < len(lines):
            if not lines[at].strip():  # blank lines between two items of one list
                following = next((k for k in range(at, len(lines)) if lines[k].strip()), len(lines))
                if following == len(lines) or not _same_list(lines[following], first):
                    break
                at = following
            match = _ITEM.match(lines[at])
            if not _same_list(lines[at], first):
                break
            spaces = len((match.group(3) or " ").expandtabs(4))
            indent = len(match.group(1)) + len(match.group(2)) + (spaces if spaces <= 4 else 1)
            content, at = self._item_lines(lines, at + 1, indent, [match.group(4) or ""])
            label = f"{number + len(items)}{match.group(2)[-1]}" if ordered else None
            items.append((label, content))
        out = []
        for label, content in items:
            body = "\n\n".join(self._blocks(content, depth + 1))
            if depth >= MAX_NESTING:
                out.append(f"{tex_prose(label or '-')} {body}")
            else:
                out.append((rf"\item[{{{tex_prose(label)}}}] " if label else r"\item ") + body)
        return self._nested("enumerate" if ordered else "itemize", "\n".join(out), depth), at

    def _item_lines(self, lines: list[str], at: int, indent: int, content: list[str]) -> tuple[list[str], int]:
        """The lines of a list item: indented under its text, or a lazy continuation of its paragraph."""
        while at < len(lines):
            line = lines[at]
            if not line.strip():
                following = next((k for k in range(at, len(lines)) if lines[k].strip()), len(lines))
                if following == len(lines) or _indent(lines[following]) < indent:
                    break
                content += [""] * (following - at)  # the blank lines inside the item, at once
                at = following
                continue
            if _indent(line) >= indent:
                content.append(line.expandtabs(4)[indent:])
            elif content[-1].strip() and not self._interrupts(line) and not _ITEM.match(line):
                content.append(line.strip())
            else:
                break
            at += 1
        return content, at

    def _table(self, lines: list[str], at: int, depth: int) -> tuple[str, int] | None:
        if at + 1 >= len(lines) or "|" not in lines[at] or not _DELIMITER_ROW.match(lines[at + 1]):
            return None
        header, aligns = _cells(lines[at]), [_alignment(c) for c in _cells(lines[at + 1])]
        if len(header) != len(aligns):
            return None
        rows, at = [header], at + 2
        while at < len(lines) and lines[at].strip() and "|" in lines[at] and not self._interrupts(lines[at]):
            rows.append((_cells(lines[at]) + [""] * len(aligns))[: len(aligns)])
            at += 1
        width = rf"\dimexpr(\linewidth-{2 * len(aligns)}\tabcolsep)/{len(aligns)}\relax"
        spec = "".join(rf">{{{_ALIGN[a]}\arraybackslash}}p{{{width}}}" for a in aligns)
        cells = [" & ".join(self._inline(cell, block=False) for cell in row) + r" \\" for row in rows]
        environment = "longtable" if depth == 0 else "tabular"
        head = [cells[0], r"\midrule"] + ([r"\endhead"] if environment == "longtable" else [])
        table = [rf"\begin{{{environment}}}{{{spec}}}", r"\toprule", *head, *cells[1:], r"\bottomrule",
                 rf"\end{{{environment}}}"]
        return "\n".join(table if depth == 0 else [r"\par\noindent", *table, r"\par"]), at

    def _paragraph(self, lines: list[str], at: int) -> tuple[str, int]:
        collected = [lines[at]]
        at += 1
        while at < len(lines) and lines[at].strip():
            if _SETEXT.match(lines[at]):
                text = " ".join(line.strip() for line in collected)
                return self._heading_latex(1 if lines[at].strip()[0] == "=" else 2, text), at + 1
            if self._interrupts(lines[at]):
                break
            collected.append(lines[at])
            at += 1
        return self._inline(self._joined(collected), block=True), at

    @staticmethod
    def _interrupts(line: str) -> bool:
        """Whether a line starts a block that ends the paragraph before it."""
        item = _ITEM.match(line)
        return bool(_FENCE.match(line) or _HEADING.match(line) or _RULE.match(line) or _QUOTE.match(line)
                    or (item and item.group(4) and (not item.group(2)[0].isdigit() or item.group(2)[:-1] == "1")))

    def _joined(self, lines: list[str]) -> str:
        """A paragraph's lines as one text, each hard line break (two spaces or a backslash at
        the end of a line) a sentinel — none after a display formula, which ends its line anyway."""
        out = []
        for number, line in enumerate(lines):
            text = line.strip()
            backslashes = len(text) - len(text.rstrip("\\"))
            hard = number < len(lines) - 1 and (line.endswith("  ") or backslashes % 2 == 1)
            text = text[:-1] if backslashes % 2 == 1 and hard else text
            ending = _LAST_PLACEHOLDER.search(text)
            if hard and not (ending and self.display.get(int(ending.group(1)))):
                text += "\ue006"
            out.append(text)
        return "\n".join(out)

    # -- inlines -------------------------------------------------------------------------------
    def _inline(self, text: str, block: bool) -> str:
        """Inline Markdown as LaTeX: tokens (formulas, code, escapes, links) first, then emphasis
        around them, then the rest as text."""
        saved: list[str] = []
        marked, at, scan = [], 0, 0
        ticks: dict[int, list[int]] = {}  # backtick run length → where such runs start
        for run in _TICKS.finditer(text):
            ticks.setdefault(len(run.group()), []).append(run.start())
        while match := _INLINE_START.search(text, scan):
            found = self._token(text, match, ticks, block)
            if found is None:
                scan = match.end()
                continue
            latex, scan = found
            saved.append(latex)
            marked += [text[at:match.start()], f"\ue007{len(saved) - 1}\ue008"]
            at = scan
        marked.append(text[at:])
        out = []
        for piece in _SAVED.split(_emphasis("".join(marked))):
            if piece in _SENTINELS:
                out.append(_SENTINELS[piece])
            elif piece.startswith("\ue007"):
                out.append(saved[int(piece[1:-1])])
            else:
                out.append(_text(piece))
        return "".join(out)

    def _token(self, text: str, match: re.Match, ticks: dict[int, list[int]], block: bool) -> tuple[str, int] | None:
        """The LaTeX of the inline token ``match`` starts, and where it ends; None when it starts
        none (a backtick run no run of its length closes, a bracket that is no link)."""
        start, token = match.start(), match.group()
        if match.group(1) is not None:
            return self.render(int(match.group(1)), block), match.end()
        if token[0] == "`":
            runs = ticks[len(token)]
            closer = bisect_left(runs, match.end())
            if closer == len(runs):
                return None
            code = " ".join(text[match.end():runs[closer]].split("\n"))
            code = code[1:-1] if code.startswith(" ") and code.endswith(" ") and code.strip() else code
            return rf"\texttt{{{self._code(code, ' ')}}}", runs[closer] + len(token)
        if token[0] == "\\":
            return tex_prose(token[1]), match.end()
        if token.startswith("http"):
            url = _URL.match(text, start)
            return (self._url(url.group()), url.end()) if url else None
        if token == "<":
            link = _AUTOLINK.match(text, start)
            return (self._url(link.group(1)), link.end()) if link else None
        link = _LINK.match(text, start)
        if link is None:
            return None
        label, href = self._inline(link.group(2), block=False), link.group(3).strip("<>")
        if link.group(1):
            return rf"[\emph{{image: {label}}}]", link.end()
        return (rf"\href{{{tex_url(href)}}}{{{label}}}" if _LINKABLE.match(href) else label), link.end()

    @staticmethod
    def _url(url: str) -> str:
        shown = tex_prose(url).replace("/", r"/\allowbreak{}")
        return rf"\href{{{tex_url(url)}}}{{\texttt{{{shown}}}}}"

    def _code(self, text: str, space: str) -> str:
        """Code shown literally: each character escaped, each space ``space``; a formula inside
        (a fence ``formulas`` did not see, in a block quote) written by the caller, inline."""
        out, at = [], 0
        for match in _PLACEHOLDER.finditer(text):
            out += [tex_prose(text[at:match.start()]).replace(" ", space), self.render(int(match.group(1)), False)]
            at = match.end()
        out.append(tex_prose(text[at:]).replace(" ", space))
        return "".join(out)
