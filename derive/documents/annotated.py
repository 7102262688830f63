"""A document with derive's marks in it: what ``derive annotate`` writes (Markdown, JSON).

The document is kept as it was, byte for byte, with text put in: a summary at the top (the
counts, then every line that is wrong, undecided or unread, with its line number), a blockquote
after each display formula with one mark per statement (✓ holds, ✗ fails with the diagnosis and
the corrected statement in the document's notation, ↳ follows from a wrong line, ⤳ a jump,
? undecided, and why a formula is unread), and a mark right after each inline claim. Markdown
as GitHub and Jupyter render it.
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


def mark_text(mark: Mark) -> str:
    """One line for a mark: its symbol, what it says and why (Markdown, math in ``$…$``)."""
    if mark.kind not in CHECKED:
        symbol = "–" if mark.kind == UNREAD else "·"
        return f"{symbol} {_KIND_WORDS.get(mark.kind, mark.kind)}: {md_inline(mark.reason)}"
    word = _STATUS_WORDS.get(mark.status, mark.status or "")
    if mark.status == HOLDS:
        checked = f"at the sizes checked ({md_inline(mark.reason)})"
        scope = "for every size" if "generic proof" in mark.reason else checked
        return f"✓ {mark.kind}, holds {scope}"
    if mark.status == FAILS:
        why = mark.diagnosis_message or mark.reason
        code = f" [{mark.diagnosis}]" if mark.diagnosis else ""
        fix = f"; correct: ${mark.correction}$" if mark.correction else ""
        return f"✗ {mark.kind}, fails{code}: {md_inline(why)}{fix}"
    return f"{mark.symbol} {mark.kind}, {word}: {md_inline(mark.reason)}"


def summary(annotation: Annotation) -> list[str]:
    """The summary block: counts, then the lines that need a look."""
    marks = annotation.all_marks()
    checked = [m for m in marks if m.kind in CHECKED]
    counts = annotation.counts()
    shown = [(HOLDS, "✓ hold"), (FAILS, "✗ fail"), (FOLLOWS, "↳ follow from a wrong line"), (JUMP, "⤳ jump"),
             (UNDECIDED, "? undecided"), (ERROR, "! error"), (NOTATION, "define notation"),
             (EXPRESSION, "state no equation"), (UNREAD, "unread"), (SKIPPED, "not checked")]
    parts = ", ".join(f"{counts[key]} {words}" for key, words in shown if counts.get(key))
    display = sum(f.display for f in annotation.formulas)
    lines = [f"> **derive annotate**: {display} display formulas, {len(annotation.formulas) - display} inline; "
             f"{len(checked)} statements checked: {parts or 'none'} ({annotation.seconds:.1f} s)"]
    attention = [m for m in marks if m.status in (FAILS, JUMP, UNDECIDED, ERROR) or m.kind == UNREAD]
    if attention:
        lines += [">", "> | line | | what derive says |", "> |---:|:-:|:--|"]
        for mark in attention:
            lines.append(f"> | {mark.line} | {mark.symbol if mark.kind != UNREAD else '–'} | "
                         f"{md_table_cell(mark_text(mark).split(' ', 1)[1])} |")
    for line, column, delimiter in annotation.unclosed:
        lines.append(f"> line {line}, column {column}: {md_inline(delimiter)} is never closed; what follows is "
                     "read as prose")
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
            block = "".join(f"\n> {_label(m) if several else ''}{mark_text(m)}" for m in marks)
            inserts.append((end, "\n" + block + "\n"))
        else:
            inserts.append((formula.outer_end, " " + " ".join(_inline(m) for m in marks)))
    _, matter_lines = front_matter(document)
    top = 0
    for _ in range(matter_lines):
        top = document.index("\n", top) + 1
    inserts.append((top, "\n".join(summary(annotation)) + "\n\n"))
    out = document
    for offset, text in sorted(inserts, key=lambda item: item[0], reverse=True):
        out = out[:offset] + text + out[offset:]
    return out


def _label(mark: Mark) -> str:
    return f"line {mark.line}: " if not mark.math else f"${mark.math}$ — "


def _inline(mark: Mark) -> str:
    if mark.status == HOLDS:
        return "**✓**"
    return f"**{mark.symbol}** *(derive: {mark_text(mark).split(' ', 1)[1]})*"


def as_json(annotation: Annotation, document_name: str) -> dict:
    """One record per statement, with the document's counts."""
    return {"document": document_name, "seconds": round(annotation.seconds, 3), "counts": annotation.counts(),
            "formulas": [{"line": f.line, "column": f.column, "display": f.display, "text": f.text,
                          "statements": [m.as_json() for m in marks]}
                         for f, marks in zip(annotation.formulas, annotation.marks)],
            "unclosed": [{"line": line, "column": column, "delimiter": d} for line, column, d in annotation.unclosed]}
