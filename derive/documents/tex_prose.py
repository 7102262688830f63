"""Text and math characters as pdflatex takes them, whatever the text holds.

pdflatex stops at a character it has no definition for ("Unicode character ✓ not set up for use
with LaTeX"), at one its font encoding lacks (ð in OT1), and at an unescaped special character.
The annotated LaTeX output (``annotated_tex``) quotes text it did not write — the document's
prose, derive's messages quoting a statement, a URL — so every character goes through here:

- ``tex_prose``: text for a paragraph, escaped (``# $ % & ~ _ ^ \\ { }``, and ``< > | ` `` whose
  OT1 glyphs are wrong), the Latin letters that both OT1 and T1 have kept as they are, the symbols
  derive's marks use and the common math symbols as commands (a table, then ``export.tex_text``'s
  Greek letters and math symbols, then the compatibility form: 𝐖 → W, ⁵ → superscript 5), and
  anything else as ``\\deriveunknown{XXXX}`` (its code point, shown), so that no character can stop
  the compilation. The output is ASCII but for the Latin letters kept.
- ``tex_math``: the math of a formula with each non-ASCII character as a math command (σ →
  ``\\sigma``) or as text inside ``\\text{…}`` (④), the rest as written.
- ``tex_url``: a URL for ``\\href``, with the characters that break an argument percent-encoded.

The commands ``\\derivecheck``, ``\\derivecross``, ``\\derivefollows``, ``\\derivejump``, ``\\derivebb``
and ``\\deriveunknown`` are defined by the annotated document's preamble (``annotated_tex.MACROS``).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from ..language.latex_names import TEX_SPECIAL
from .export import tex_text

# Latin-1 and Latin Extended-A letters that pdflatex's utf8 input sets up in both OT1 and T1
# (measured: the others stop OT1, or both); ‘’“”–— too. Everything else is mapped.
_OT1_MISSING = {0xAB, 0xBB, 0xD0, 0xDE, 0xF0, 0xFE, 0x104, 0x105, 0x110, 0x111, 0x118, 0x119, 0x126, 0x127,
                0x12E, 0x12F, 0x138, 0x13F, 0x140, 0x149, 0x14A, 0x14B, 0x166, 0x167, 0x172, 0x173}
_KEPT = frozenset(chr(c) for c in range(0xA0, 0x17F) if c not in _OT1_MISSING) | frozenset("‘’“”–—")

_MATH = {  # math symbols export.tex_text does not know, as math commands
    "⇐": r"\Leftarrow", "⇔": r"\Leftrightarrow", "↔": r"\leftrightarrow", "⟹": r"\Longrightarrow",
    "⟸": r"\Longleftarrow", "⟺": r"\Longleftrightarrow", "↦": r"\mapsto", "⟶": r"\longrightarrow",
    "↑": r"\uparrow", "↓": r"\downarrow", "∀": r"\forall", "∃": r"\exists", "∅": r"\emptyset", "∩": r"\cap",
    "∪": r"\cup", "⊂": r"\subset", "⊆": r"\subseteq", "⊃": r"\supset", "⊇": r"\supseteq", "∧": r"\wedge",
    "∨": r"\vee", "≡": r"\equiv", "∼": r"\sim", "≅": r"\cong", "∝": r"\propto", "∓": r"\mp", "∗": r"\ast",
    "⟨": r"\langle", "⟩": r"\rangle", "⌈": r"\lceil", "⌉": r"\rceil", "⌊": r"\lfloor", "⌋": r"\rfloor",
    "∫": r"\int", "∏": r"\prod", "∆": r"\Delta", "∉": r"\notin", "∋": r"\ni", "⊕": r"\oplus",
    "⊖": r"\ominus", "⊥": r"\perp", "∥": r"\parallel", "≪": r"\ll", "≫": r"\gg", "⋅": r"\cdot",
    "⋯": r"\cdots", "⋮": r"\vdots", "⋱": r"\ddots", "ϕ": r"\phi", "ϑ": r"\vartheta", "ϵ": r"\epsilon",
    "ϱ": r"\varrho", "ϖ": r"\varpi", "≔": ":=", "∘": r"\circ", "⊘": r"\oslash",
}
_TEXT = {  # derive's marks and text symbols, as text commands
    "✓": r"\derivecheck{}", "✔": r"\derivecheck{}", "✗": r"\derivecross{}", "✘": r"\derivecross{}",
    "↳": r"\derivefollows{}", "⤳": r"\derivejump{}", "•": r"\textbullet{}", "…": r"\dots{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", "`": r"\textasciigrave{}",
    "«": "<{}<", "»": ">{}>", "ℝ": r"\derivebb{R}", "ℕ": r"\derivebb{N}", "ℤ": r"\derivebb{Z}",
    "ℚ": r"\derivebb{Q}", "ℂ": r"\derivebb{C}", **{char: f"${command}$" for char, command in _MATH.items()},
}
_SCRIPT = re.compile(r"SUPERSCRIPT|SUBSCRIPT|MODIFIER LETTER SMALL")
_URL_SAFE = "/:?=&;,+@!'()*-._[]%#"  # kept in a URL: the rest is percent-encoded


def _unknown(char: str) -> str:
    return rf"\deriveunknown{{{ord(char):04X}}}"


def tex_char(char: str) -> str:
    """One character as LaTeX text (see the module's docstring for the order of the rules)."""
    if char in _TEXT:
        return _TEXT[char]
    if char in TEX_SPECIAL:
        return TEX_SPECIAL[char]
    if char in "\n\t" or " " <= char <= "~" or char in _KEPT:
        return char
    if not char.isprintable():
        return _unknown(char)
    name = unicodedata.name(char, "")
    folded = unicodedata.normalize("NFKC", char)
    if "CIRCLED" in name and folded.isascii() and folded.isdigit():
        return rf"\textcircled{{{folded}}}"
    script = _SCRIPT.search(name)
    if script and len(folded) == 1 and folded.isascii() and folded.isalnum():
        return f"$^{{{folded}}}$" if script.group() != "SUBSCRIPT" else f"$_{{{folded}}}$"
    mapped = tex_text(char)  # Greek letters and export's math symbols; ASCII compatibility forms
    if mapped != "?" and (mapped.isascii() or mapped in _KEPT):
        return mapped
    return _unknown(char)


def tex_prose(text: str) -> str:
    """``text`` as LaTeX text that shows it as it is: specials escaped, every character defined."""
    if text.isascii() and not any(char in TEX_SPECIAL or char in _TEXT for char in text):
        return "".join(char if char.isprintable() or char in "\n\t" else _unknown(char) for char in text)
    return "".join(tex_char(char) for char in text)


def tex_math(math: str) -> str:
    """Math source with its non-ASCII characters as commands that work in math and in ``\\text{…}``:
    a math symbol as itself (σ → ``\\ensuremath{\\sigma}``), anything else as text
    (``\\text{\\textcircled{4}}``), in braces after ``^`` or ``_``. ASCII is kept as written."""
    if math.isascii():
        return math
    out, last = [], ""  # last: the last character written that is not a space
    for char in math:
        if char.isascii():
            out.append(char)
            last = last if char.isspace() else char
            continue
        text, inner = tex_char(char), tex_char(char)[1:-1]
        if text.startswith("$") and text.endswith("$") and "$" not in inner:
            command = rf"\ensuremath{{{inner}}}"  # in \text{…} too
        else:
            command = rf"\text{{{text}}}"
        out.append(f"{{{command}}}" if last in ("^", "_") else command)
        last = "}"
    return "".join(out)


def tex_url(url: str) -> str:
    """A URL for ``\\href``'s first argument: non-ASCII, spaces, braces, backslashes, carets,
    dollars and tildes percent-encoded; % and # escaped, as hyperref reads them in an argument."""
    encoded = quote(url.strip(), safe=_URL_SAFE)
    return encoded.replace("%", r"\%").replace("#", r"\#").replace("~", r"\%7E")
