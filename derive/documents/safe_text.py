"""Student text shown safely: in Markdown (feedback pages, the report, Gradescope's output) and in
CSV cells a spreadsheet opens.

A student's answer, name or the parser's message quoting the answer is data, never markup: it must
not close a code fence and print a fake "Score: 2 / 2", start a heading, hide behind a
right-to-left override, or run as a spreadsheet formula. Every function here returns text that
shows the input as it is (control and invisible format characters as ``\\uXXXX``) and cannot
change the structure of the document around it.
"""

from __future__ import annotations

import re
import unicodedata

# characters that Markdown (CommonMark, GitHub's and Gradescope's flavours) may read as markup
# anywhere in a line: escaped with a backslash, which CommonMark allows before any ASCII punctuation
_INLINE = re.compile(r"([\\`*_\[\]<>#|~&$^])")
# markup that only counts at the start of a line: a list item, a heading underline, a numbered item
_LEADING = re.compile(r"^([-+=])|^(\d+)([.)])")
_BACKTICKS = re.compile(r"`+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP, CSV injection
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def visible(text: str, keep: str = "") -> str:
    """``text`` with every control, format (bidi overrides, zero-width) and line/paragraph
    separator character written as ``\\uXXXX``, except those in ``keep``: what is shown is what
    was typed, and nothing invisible can reorder or hide it."""
    out = []
    for char in text:
        if char not in keep and unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"):
            out.append(f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}")
        else:
            out.append(char)
    return "".join(out)


def _lines(text: str) -> str:
    """Line endings as \\n (a lone CR is a line ending to Markdown, and a control character)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def md_inline(text: str) -> str:
    """Text inside a line of Markdown, shown literally: one line (line breaks become spaces),
    Markdown's punctuation escaped, control characters visible."""
    flat = " ".join(_lines(text).split("\n"))
    escaped = _INLINE.sub(r"\\\1", visible(flat))
    return _LEADING.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", escaped)


def md_code(text: str) -> str:
    """An inline code span showing ``text`` literally: delimited by a backtick run longer than
    any inside it (and padded when it starts or ends with a backtick), on one line."""
    flat = visible(" ".join(_lines(text).split("\n")))
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat.strip() else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def md_block(text: str) -> str:
    """A fenced code block showing ``text`` literally: the fence is longer than any backtick run
    in the text, so no line of it can close the block; control characters other than tab and
    line breaks are visible."""
    body = visible(_lines(text), keep="\n\t")
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{body}\n{fence}"


def md_table_cell(markdown: str) -> str:
    """Markdown already made safe, inside a table cell: a bare | would end the cell (GitHub's
    tables read \\| as | even inside a code span). A pipe after an even number of backslashes
    is unescaped (they escape each other), so it gets one more."""
    return re.sub(r"(\\*)\|", lambda m: m.group(1) + ("|" if len(m.group(1)) % 2 else "\\|"), markdown)


def csv_cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula: one starting with =, +, -, @, tab or
    CR gets a leading apostrophe (OWASP's advice for CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_number(text: str) -> str:
    """A numeric cell: a plain number (-0.5 too) is kept as a number; anything else is text."""
    return text if _NUMBER.fullmatch(text) else csv_cell(text)
