"""A document with derive's marks in it: what ``derive annotate`` writes (Markdown, JSON).

The document is kept as it was, byte for byte, with text put in: a summary at the top (the
counts, then every line that is wrong, undecided or unread, with its line number), a blockquote
after each display formula with one mark per statement (✓ holds, ✗ fails with the diagnosis and
the corrected statement in the document's notation, ↳ follows from a wrong line, ⤳ a jump,
? undecided, and why a formula is unread), and a mark right after each inline claim. Markdown
as GitHub and Jupyter render it.

What a mark says is put together once, as pieces — derive's words, quoted text, math
(``mark_pieces``, ``label_pieces``, ``headline``, ``attention``) — which this module writes as
Markdown and ``annotated_tex`` as LaTeX, each escaping them its own way.
"""

from __future__ import annotations

from .annotate import (
    CHECKED,
    ERROR,
    EXPRESSION,
    FAILS,
    FOLLOWS,
    HOLDS,
    JUMP,
    MENTION,
    NOTATION,
    SKIPPED,
    UNDECIDED,
    UNREAD,
    Annotation,
    Mark,
)
from .readings import front_matter
from .safe_text import md_inline, md_table_cell

_STATUS_WORDS = {HOLDS: "holds", FAILS: "fails", FOLLOWS: "follows", JUMP: "jump", UNDECIDED: "undecided",
                 ERROR: "error"}
_KIND_WORDS = {NOTATION: "notation", EXPRESSION: "no claim", UNREAD: "unread", SKIPPED: "not checked",
               MENTION: "mention"}
# what a mark says, in pieces that each output format writes its own way
WORDS, TEXT, MATH = "words", "text", "math"  # derive's own words, text quoted from elsewhere, LaTeX math
Piece = tuple[str, str]


def mark_pieces(mark: Mark) -> tuple[str, list[Piece]]:
    """A mark's symbol and what it says and why, as pieces: derive's words, quoted text (the
    evidence, a reason that may quote the document) and math (the corrected statement). The
    Markdown and the LaTeX output write the same pieces, each escaped its own way."""
    if mark.kind not in CHECKED:
        symbol = "–" if mark.kind == UNREAD else "·"
        return symbol, [(WORDS, f"{_KIND_WORDS.get(mark.kind, mark.kind)}: "), (TEXT, mark.reason)]
    word = _STATUS_WORDS.get(mark.status, mark.status or "")
    if mark.status == HOLDS:
        if "generic proof" in mark.reason:
            return "✓", [(WORDS, f"{mark.kind}, holds for every size")]
        return "✓", [(WORDS, f"{mark.kind}, holds at the sizes checked ("), (TEXT, mark.reason), (WORDS, ")")]
    if mark.status == FAILS:
        code = f" [{mark.diagnosis}]" if mark.diagnosis else ""
        fix = [(WORDS, "; correct: "), (MATH, mark.correction)] if mark.correction else []
        return "✗", [(WORDS, f"{mark.kind}, fails{code}: "), (TEXT, mark.diagnosis_message or mark.reason), *fix]
    return mark.symbol, [(WORDS, f"{mark.kind}, {word}: "), (TEXT, mark.reason)]


def label_pieces(mark: Mark) -> list[Piece]:
    """What a mark is of, when a display formula has several: its statement, else its line."""
    return [(WORDS, f"line {mark.line}: ")] if not mark.math else [(MATH, mark.math), (WORDS, " — ")]


def unclosed_pieces(line: int, column: int, delimiter: str) -> list[Piece]:
    """The summary's note of a delimiter never closed."""
    return [(WORDS, f"line {line}, column {column}: "), (TEXT, delimiter),
            (WORDS, " is never closed; what follows is read as prose")]


def _markdown(pieces: list[Piece]) -> str:
    return "".join(md_inline(text) if kind == TEXT else f"${text}$" if kind == MATH else text
                   for kind, text in pieces)


def mark_text(mark: Mark) -> str:
    """One line for a mark: its symbol, what it says and why (Markdown, math in ``$…$``)."""
    symbol, pieces = mark_pieces(mark)
    return f"{symbol} {_markdown(pieces)}"


def headline(annotation: Annotation) -> str:
    """The summary's first line, after "derive annotate: ": the formulas, then the statements
    checked and their marks, and the time taken."""
    checked = [m for m in annotation.all_marks() if m.kind in CHECKED]
    counts = annotation.counts()
    shown = [(HOLDS, "✓ hold"), (FAILS, "✗ fail"), (FOLLOWS, "↳ follow from a wrong line"), (JUMP, "⤳ jump"),
             (UNDECIDED, "? undecided"), (ERROR, "! error"), (NOTATION, "define notation"),
             (EXPRESSION, "state no equation"), (UNREAD, "unread"), (SKIPPED, "not checked")]
    parts = ", ".join(f"{counts[key]} {words}" for key, words in shown if counts.get(key))
    display = sum(f.display for f in annotation.formulas)
    return (f"{display} display formulas, {len(annotation.formulas) - display} inline; "
            f"{len(checked)} statements checked: {parts or 'none'} ({annotation.seconds:.1f} s)")


def attention(annotation: Annotation) -> list[Mark]:
    """The marks the summary's table lists: every line that fails, jumps, is undecided or unread."""
    return [m for m in annotation.all_marks() if m.status in (FAILS, JUMP, UNDECIDED, ERROR) or m.kind == UNREAD]


def summary(annotation: Annotation) -> list[str]:
    """The summary block: counts, then the lines that need a look."""
    lines = [f"> **derive annotate**: {headline(annotation)}"]
    marks = attention(annotation)
    if marks:
        lines += [">", "> | line | | what derive says |", "> |---:|:-:|:--|"]
        for mark in marks:
            symbol, pieces = mark_pieces(mark)
            lines.append(f"> | {mark.line} | {symbol} | {md_table_cell(_markdown(pieces))} |")
    for line, column, delimiter in annotation.unclosed:
        lines.append(f"> {_markdown(unclosed_pieces(line, column, delimiter))}")
    return lines


def render_markdown(document: str, annotation: Annotation) -> str:
    """``document`` with the summary after its front matter and a mark after each formula."""
    inserts: list[tuple[int, str]] = []
    for formula, marks in zip(annotation.formulas, annotation.marks):
        marks = [m for m in marks if m.kind != MENTION]
        if not marks:
            continue
        if formula.display:
            end = document.find("\n", formula.outer_end)
            end = len(document) if end < 0 else end
            several = len(marks) > 1
            block = "".join(f"\n> {_markdown(label_pieces(m)) if several else ''}{mark_text(m)}" for m in marks)
            inserts.append((end, "\n" + block + "\n"))
        else:
            inserts.append((formula.outer_end, " " + " ".join(_inline(m) for m in marks)))
    inserts.append((matter_end(document), "\n".join(summary(annotation)) + "\n\n"))
    out = document
    for offset, text in sorted(inserts, key=lambda item: item[0], reverse=True):
        out = out[:offset] + text + out[offset:]
    return out


def matter_end(document: str) -> int:
    """The offset just after the document's +++ front matter (0 when it has none): the summary
    goes there, and nothing before it is shown."""
    _, matter_lines = front_matter(document)
    top = 0
    for _ in range(matter_lines):
        top = document.index("\n", top) + 1
    return top


def _inline(mark: Mark) -> str:
    if mark.status == HOLDS:
        return "**✓**"
    symbol, pieces = mark_pieces(mark)
    return f"**{symbol}** *(derive: {_markdown(pieces)})*"


def as_json(annotation: Annotation, document_name: str) -> dict:
    """One record per statement, with the document's counts."""
    return {"document": document_name, "seconds": round(annotation.seconds, 3), "counts": annotation.counts(),
            "formulas": [{"line": f.line, "column": f.column, "display": f.display, "text": f.text,
                          "statements": [m.as_json() for m in marks]}
                         for f, marks in zip(annotation.formulas, annotation.marks)],
            "unclosed": [{"line": line, "column": column, "delimiter": d} for line, column, d in annotation.unclosed]}
