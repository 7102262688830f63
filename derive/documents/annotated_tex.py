"""A document with derive's marks in it, as LaTeX that pdflatex compiles: ``derive annotate -o OUT.tex``.

The marks are the Markdown output's (``annotated``: the same pieces, headline and table rows),
typeset: a summary at the start of the body (the counts, then a table of every line that fails,
jumps, is undecided or unread, each line number a link to its mark), after each display formula a
small block with one coloured mark per statement (✓ holds, ✗ fails with the diagnosis and the
corrected statement in the document's notation, ↳ follows from a wrong line, ⤳ a jump, ?
undecided), and after each inline claim its mark with a footnote saying what derive says.

- A LaTeX document is kept as it is, with text put in: the marks' packages and commands at the end
  of its preamble, the summary after ``\\begin{document}`` (after ``\\maketitle`` if the title comes
  first), the marks after the formulas. A mark never goes inside a group: a formula in
  ``\\section{…}`` or ``\\textbf{…}`` is marked after the group closes, and in a table it is marked
  inline. A LaTeX text with no ``\\begin{document}`` gets the preamble of a Markdown document.
- A Markdown document is typeset (``markdown_tex``): its math goes through as math — display math as
  ``\\[…\\]``, ``align*`` when it aligns at ``&``, ``gather*`` when it breaks lines, its environments
  as they are — with its characters mapped (``tex_prose``) and ``%`` and ``#`` escaped. A formula
  whose braces, environments or ``\\left``/``\\right`` do not balance, that holds a text command, or
  that would read or write a file or change how TeX reads (``\\input``, ``\\write``, ``\\catcode``,
  ``\\csname``, ``^^``) or define a command that could loop (``\\def``, ``\\loop``) is shown as code
  instead, with the reason: a Markdown page, perhaps a student's, cannot stop the compilation, run
  anything or hang pdflatex. A ``\\newcommand`` in the math goes to the preamble, for the whole
  document as MathJax keeps it, when no definition can loop through it (``_macros``). Each command
  the math uses that no loaded package defines (a MathJax macro) is defined to show its name in red.

Only TeX Live's base and recommended packages are used (amsmath, amssymb, bm, xcolor, array,
longtable, booktabs, hyperref, geometry).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .annotate import CHECKED, ERROR, FAILS, HOLDS, MENTION, Annotation, Mark
from .annotated import MATH, Piece, attention, headline, label_pieces, mark_pieces, matter_end, unclosed_pieces
from .formulas import ENVIRONMENTS, VERBATIM, Formula
from .markdown_tex import markdown_body
from .tex_prose import tex_math, tex_prose

MACROS = r"""% derive annotate: the marks' colours and commands
\definecolor{deriveholds}{rgb}{0,0.45,0.1}
\definecolor{derivefails}{rgb}{0.8,0,0}
\definecolor{derivedoubt}{rgb}{0.75,0.4,0}
\definecolor{derivenote}{rgb}{0.3,0.3,0.3}
\newcommand{\derivecheck}{\ensuremath{\ifdefined\checkmark\checkmark\else\surd\fi}}
\newcommand{\derivecross}{\ensuremath{\times}}
\newcommand{\derivefollows}{\ensuremath{\hookrightarrow}}
\newcommand{\derivejump}{\ensuremath{\ifdefined\rightsquigarrow\rightsquigarrow\else\to\fi}}
\newcommand{\derivebb}[1]{\ensuremath{\ifdefined\mathbb\mathbb{#1}\else\mathbf{#1}\fi}}
\newcommand{\deriveunknown}[1]{{\ttfamily[U+#1]}}
\newcommand{\derivesymbol}[2]{\textcolor{#1}{\textbf{#2}}}
\newenvironment{derivemarks}{\par\nopagebreak\smallskip\small\color{derivenote}\setlength{\parindent}{0pt}%
  \setlength{\parskip}{0.15em}\leftskip=1.5em\relax}{\par\smallskip}
\makeatletter
\@ifpackageloaded{hyperref}{\newcommand{\derivetarget}[1]{\hypertarget{#1}{}}%
  \newcommand{\derivelink}[2]{\hyperlink{#1}{#2}}}{\newcommand{\derivetarget}[1]{}\newcommand{\derivelink}[2]{#2}}
\newcommand{\deriveundefined}[1]{\ensuremath{\text{\textcolor{derivefails}{\textbackslash #1}}}}
\newcommand{\derivefallbacks}[1]{\@for\derive@name:=#1\do{\ifcsname\derive@name\endcsname\else
  \expandafter\edef\csname\derive@name\endcsname{\noexpand\deriveundefined{\derive@name}}\fi}}
\newcommand{\derivefallbackenvs}[1]{\@for\derive@name:=#1\do{\ifcsname\derive@name\endcsname\else
  \expandafter\def\csname\derive@name\endcsname{\begin{matrix}}%
  \expandafter\def\csname end\derive@name\endcsname{\end{matrix}}\fi}}
\makeatother"""

_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage[T1]{fontenc}
\usepackage[margin=2.2cm]{geometry}
\usepackage{amsmath}
\usepackage{amssymb}
\usepackage{bm}
\usepackage{array}
\usepackage{longtable}
\usepackage{booktabs}
\usepackage{xcolor}
\usepackage[colorlinks,linkcolor=black,urlcolor=blue!50!black]{hyperref}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5em}
\newenvironment{derivecode}{\par\smallskip\small\ttfamily\raggedright\setlength{\parskip}{0pt}}{\par\smallskip}"""

# derive's corrections may say \mathbb; amssymb clashes with packages that define it too (newtxmath)
_AMSSYMB = r"\ifdefined\mathbb\else\usepackage{amssymb}\fi"

# never run from a Markdown document's math: files, the shell, catcodes, names built from text
_UNSAFE = frozenset({
    "input", "include", "includeonly", "InputIfFileExists", "IfFileExists", "openin", "read", "readline", "openout",
    "write", "immediate", "special", "endinput", "scantokens", "catcode", "lccode", "uccode", "lowercase",
    "uppercase", "csname", "UseName", "ExpandArgs", "ExplSyntaxOn", "ExplSyntaxOff", "makeatletter", "makeatother",
    "usepackage", "RequirePackage", "documentclass", "everyeof", "everypar", "everymath", "everydisplay",
    "everyjob", "everycr", "newwrite", "newread", "pdffiledump", "pdfmdfivesum", "pdffilesize", "pdffilemoddate",
    "pdfximage", "pdfobj", "pdfliteral", "verbatiminput", "lstinputlisting", "includegraphics", "filecontents",
    "document", "directlua", "outer",
    # definitions that could loop (a definition of \\newcommand's form is taken out and checked: _macros)
    "def", "edef", "gdef", "xdef", "let", "futurelet", "loop", "repeat", "newcommand", "renewcommand",
    "providecommand", "DeclareMathOperator", "DeclareRobustCommand", "NewDocumentCommand", "RenewDocumentCommand",
    "ProvideDocumentCommand", "DeclareDocumentCommand", "NewExpandableDocumentCommand", "NewCommandCopy",
    "RenewCommandCopy", "newenvironment", "renewenvironment", "NewDocumentEnvironment", "RenewDocumentEnvironment"})
# text-mode commands and environments that stop a formula (a MathJax preview ignores or rejects them)
_TEXT_COMMANDS = frozenset({"par", "item", "chapter", "section", "subsection", "subsubsection", "paragraph",
                            "subparagraph", "newpage", "clearpage", "pagebreak", "maketitle", "footnote"})
_TEXT_ENVIRONMENTS = frozenset({"itemize", "enumerate", "description", "quote", "quotation", "verse", "center",
                                "flushleft", "flushright", "figure", "table", "tabular", "minipage", "verbatim",
                                "comment", "thebibliography", "list", "trivlist", "titlepage", "abstract",
                                *(name.rstrip("*") for name in ENVIRONMENTS), "flalign", "alignat"})
# names a document's macro may not take: what derive's own commands and the output's structure rest on
_PROTECTED = _UNSAFE | _TEXT_COMMANDS | frozenset({
    "begin", "relax", "text", "textcolor", "color", "ensuremath", "footnote", "hypertarget", "hyperlink", "href",
    "texttt", "textbf", "textsuperscript", "emph", "em", "bfseries", "ttfamily", "small", "newline", "mbox", "rule",
    "noindent", "hline", "toprule", "midrule", "bottomrule", "allowbreak", "operatorname", "displaystyle",
    "else", "or", "csname", "expandafter", "noexpand", "string", "the", "number", "protect", "label", "ref",
    "textbackslash", "dots", "textless", "textgreater", "textbar", "textasciigrave", "textasciitilde",
    "textasciicircum", "textcircled", "quad", "qquad", "left", "right", "middle", "hookrightarrow", "times",
    "checkmark", "surd", "rightsquigarrow", "to", "mathbb", "mathbf", "smallskip", "nopagebreak", "leftskip",
    "setlength", "parindent", "parskip", "raggedright"})
_TABULAR = frozenset({"tabular", "tabular*", "tabularx", "tabulary", "longtable", "array", "supertabular", "tabu",
                      "longtabu"})  # a cell: no block of marks there
_ALIGNING = {"align", "align*", "eqnarray", "eqnarray*", "flalign", "flalign*", "alignat", "alignat*"}
_DOCUMENT = re.compile(r"(\\begin\{document\})|\\[\s\S]|%[^\n]*")
_LATEX_TOKEN = re.compile(r"\\begin\{([^{}]*)\}|\\end\{([^{}]*)\}|\\verb\*?([^A-Za-z*\s])|\\[\s\S]|%[^\n]*|[{}]")
_MATH_TOKEN = re.compile(r"\\begin\{([^{}]*)\}|\\end\{([^{}]*)\}|\\(left|right)(?![A-Za-z])|\\\\|\\[\s\S]|[{}&$]")
_WHOLE_ENVIRONMENT = re.compile(r"\\begin\{([A-Za-z]+\*?)\}(.*)\\end\{\1\}", re.S)
_DEFINITION = re.compile(r"\\(?:(?:re|provide)?newcommand|DeclareMathOperator(\*)?)\*?\s*(?:\{\s*\\([A-Za-z]+)\s*\}|"
                         r"\\([A-Za-z]+))\s*(?:\[([1-9])\])?\s*(?:\[([^\[\]{}]*)\])?\s*\{")
_BRACE_TOKEN = re.compile(r"\\[\s\S]|[{}]")
_CONTINUES = re.compile(r"[ \t]*\n?[ \t]*[^\s\\%}]")  # the paragraph goes on after the anchor


def render_latex(document: str, kind: str, annotation: Annotation) -> str:
    """``document`` ("markdown" or "latex", as ``formulas.document_kind`` says) with derive's marks,
    as a standalone LaTeX document."""
    names = _targets(annotation)
    begin = _document_begin(document) if kind == "latex" else None
    if begin is not None:
        return _into_latex(document, begin, annotation, names)
    if kind == "latex":  # a body alone: marks in, the preamble of a Markdown document around it
        body = _insert(document, _marks_in_latex(document, 0, annotation, names))
        math = [f.text for f in annotation.formulas]
        macros = []
    else:
        body, math = _markdown(document, annotation, names)
        macros = _macros(math)
    math += [text for mark in annotation.all_marks() for text in (mark.math, mark.correction) if text]
    return "\n".join([_PREAMBLE, MACROS, *macros, *_fallbacks(math), r"\begin{document}",
                      _summary(annotation, names, table=True), "", body, r"\end{document}", ""])


# -- the marks -------------------------------------------------------------------------------------

def _targets(annotation: Annotation) -> dict[int, str]:
    """A hyperlink target for each mark the document shows, by the mark's id()."""
    shown = [mark for mark in annotation.all_marks() if mark.kind != MENTION]
    return {id(mark): f"derive-mark-{number}" for number, mark in enumerate(shown)}


def _tex(pieces: list[Piece]) -> str:
    return "".join(f"${tex_math(text)}$" if kind == MATH else tex_prose(text) for kind, text in pieces)


def _symbol(mark: Mark, symbol: str) -> str:
    if mark.kind not in CHECKED:
        colour = "derivenote"
    else:
        colour = {HOLDS: "deriveholds", FAILS: "derivefails", ERROR: "derivefails"}.get(mark.status, "derivedoubt")
    return rf"\derivesymbol{{{colour}}}{{{tex_prose(symbol)}}}"


def _marks_block(marks: list[Mark], names: dict[int, str]) -> str:
    """The block after a display formula: one line per mark, each statement named when there are
    several."""
    lines = []
    for mark in marks:
        symbol, pieces = mark_pieces(mark)
        label = _tex(label_pieces(mark)) if len(marks) > 1 else ""
        lines.append(rf"{_symbol(mark, symbol)}\derivetarget{{{names[id(mark)]}}}~{label}{_tex(pieces)}\par")
    return "\\begin{derivemarks}\n" + "\n".join(lines) + "\n\\end{derivemarks}"


def _marks_inline(marks: list[Mark], names: dict[int, str]) -> str:
    """The marks after an inline formula: each symbol, with a footnote saying what derive says."""
    out = []
    for mark in marks:
        symbol, pieces = mark_pieces(mark)
        note = rf"\derivetarget{{{names[id(mark)]}}}derive: {_symbol(mark, symbol)}~{_tex(pieces)}"
        out.append(rf"{_symbol(mark, symbol)}\footnote{{{note}}}")
    return "".join(out)


def _summary(annotation: Annotation, names: dict[int, str], table: bool) -> str:
    """The summary: the headline, then a table (a list in two-column documents, where longtable
    cannot go) of the lines that need a look, then the delimiters never closed."""
    out = [r"\par\noindent{\small\textbf{derive annotate}: " + tex_prose(headline(annotation)) + r"\par}"]
    rows = []
    for mark in attention(annotation):
        symbol, pieces = mark_pieces(mark)
        rows.append((rf"\derivelink{{{names[id(mark)]}}}{{{mark.line}}}", _symbol(mark, symbol), _tex(pieces)))
    if rows and table:
        out += [r"{\small", r"\begin{longtable}{@{}r@{\quad}c@{\quad}p{\dimexpr\linewidth-6em\relax}@{}}",
                r"\toprule", r"line & & what derive says \\", r"\midrule", r"\endhead"]
        out += [f"{line} & {symbol} & {text} \\\\" for line, symbol, text in rows]
        out += [r"\bottomrule", r"\end{longtable}}"]
    else:
        out += [rf"\par\noindent{{\small line {line}: {symbol}~{text}\par}}" for line, symbol, text in rows]
    out += [r"\par\noindent{\small " + _tex(unclosed_pieces(*where)) + r"\par}" for where in annotation.unclosed]
    return "\n".join(out)


# -- a LaTeX document ------------------------------------------------------------------------------

def _document_begin(document: str) -> int | None:
    """The offset of ``\\begin{document}`` outside comments, or None."""
    for match in _DOCUMENT.finditer(document):
        if match.group(1):
            return match.start()
    return None


def _into_latex(document: str, begin: int, annotation: Annotation, names: dict[int, str]) -> str:
    """The LaTeX document with the marks' preamble, the summary and the marks put in."""
    body = begin + len(r"\begin{document}")
    twocolumn = bool(re.search(r"\\documentclass\s*\[[^\]]*\btwocolumn\b", document[:begin])
                     or re.search(r"\\twocolumn\b", document[body:]))
    packages = [name for name in ("amsmath", "xcolor", "longtable", "booktabs") if name != "longtable" or not twocolumn]
    added = "".join(rf"\usepackage{{{name}}}" + "\n" for name in packages) + _AMSSYMB
    title = re.compile(r"\\maketitle\b").search(document, body)
    first = annotation.formulas[0].start if annotation.formulas else len(document)
    top = title.end() if title and title.end() <= first else body
    inserts = [(begin, added + "\n" + MACROS + "\n"),
               (top, "\n" + _summary(annotation, names, table=not twocolumn) + "\n")]
    return _insert(document, inserts + _marks_in_latex(document, body, annotation, names))


def _insert(document: str, inserts: list[tuple[int, str]]) -> str:
    """``document`` with each text put in at its offset; texts at one offset in the list's order."""
    out = document
    for _, (offset, text) in sorted(enumerate(inserts), key=lambda item: (item[1][0], item[0]), reverse=True):
        out = out[:offset] + text + out[offset:]
    return out


def _marks_in_latex(document: str, start: int, annotation: Annotation, names: dict[int, str]) -> list[tuple[int, str]]:
    """Where each formula's marks go in a LaTeX text and what is put there."""
    inserts = []
    anchors = _anchors(document, start, annotation.formulas)
    for formula, marks, (at, block) in zip(annotation.formulas, annotation.marks, anchors):
        marks = [m for m in marks if m.kind != MENTION]
        if not marks:
            continue
        if formula.display and block:
            if at == formula.outer_end:  # the sentence's full stop stays with the formula
                at += len(re.match(r"[ \t]*[.,;:]?", document[at:]).group())
            more = r"\noindent " if _CONTINUES.match(document, at) else ""
            inserts.append((at, "\n" + _marks_block(marks, names) + "\n" + more))
        else:
            inserts.append((at, _marks_inline(marks, names)))
    return inserts


def _anchors(document: str, start: int, formulas: list[Formula]) -> list[tuple[int, bool]]:
    """For each formula, where its marks go — just after it, or after the group (``{…}``) it stands
    in — and whether a block may go there (not in a table)."""
    anchors: list[tuple[int, bool]] = [(formula.outer_end, False) for formula in formulas]  # a group never closed
    waiting: list[int] = []  # formulas in a group, marked where it closes
    upcoming, depth, environments = 0, 0, []
    for position, end, token, name in _latex_tokens(document, start):
        while upcoming < len(formulas) and formulas[upcoming].outer_end <= position:
            if depth == 0:
                anchors[upcoming] = (formulas[upcoming].outer_end, not _TABULAR.intersection(environments))
            else:
                waiting.append(upcoming)
            upcoming += 1
        if token == "{":
            depth += 1
        elif token == "}" and depth:
            depth -= 1
            for number in waiting if depth == 0 else ():
                anchors[number] = (end, not _TABULAR.intersection(environments))
            waiting = waiting if depth else []
        elif token == "begin":
            environments.append(name)
        elif token == "end" and name in environments:
            del environments[len(environments) - 1 - environments[::-1].index(name)]
    return anchors


def _latex_tokens(document: str, start: int) -> Iterator[tuple[int, int, str, str | None]]:
    """(start, end, token, environment) of each brace and ``\\begin``/``\\end`` of a LaTeX body,
    comments, ``\\verb`` and verbatim environments skipped; last, the end of the document."""
    at = start
    while match := _LATEX_TOKEN.search(document, at):
        at = match.end()
        begin, end, verb = match.group(1), match.group(2), match.group(3)
        if begin in VERBATIM:
            close = document.find(rf"\end{{{begin}}}", at)
            at = len(document) if close < 0 else close + len(rf"\end{{{begin}}}")
        elif verb is not None:
            line_end = document.find("\n", at)
            close = document.find(verb, at, len(document) if line_end < 0 else line_end)
            at = at if close < 0 else close + 1
        elif begin is not None or end is not None:
            yield match.start(), at, "begin" if begin is not None else "end", begin if begin is not None else end
        elif match.group() in "{}":
            yield match.start(), at, match.group(), None
    yield len(document), len(document), "", None


# -- a Markdown document ---------------------------------------------------------------------------

def _markdown(document: str, annotation: Annotation, names: dict[int, str]) -> tuple[str, list[str]]:
    """The Markdown typeset with its marks, and the math it holds."""
    top = matter_end(document)
    text = re.sub(r"[^\n]", " ", document[:top]) + document[top:]  # the front matter is the reading's
    kept = [n for n, f in enumerate(annotation.formulas) if f.start >= top]
    spans = [(_opening(annotation.formulas[n]), annotation.formulas[n].outer_end, annotation.formulas[n].display)
             for n in kept]

    def render(number: int, block: bool) -> str:
        formula, marks = annotation.formulas[kept[number]], annotation.marks[kept[number]]
        math = markdown_math(formula, block)
        marks = [m for m in marks if m.kind != MENTION]
        if not marks:
            return math
        if formula.display and block:
            return math + "\n" + _marks_block(marks, names) + "\n"
        return math + _marks_inline(marks, names)

    return markdown_body(text, spans, render), [annotation.formulas[n].text for n in kept]


def _opening(formula: Formula) -> int:
    """Where the formula's opening delimiter starts."""
    if formula.delimiter in ENVIRONMENTS:
        return formula.start - len(rf"\begin{{{formula.delimiter}}}")
    return formula.start - len(formula.delimiter)


def markdown_math(formula: Formula, block: bool) -> str:
    """A Markdown formula as LaTeX math: as a display (``block``) or, in a heading or a table cell,
    inline; its source as code, with the reason, when it could stop the compilation or would run
    what a formula has no business running."""
    math = tex_math(re.sub(r"(?<!\\)((?:\\\\)*)([%#])", r"\1\\\2", _definitions(formula.text)[0]))
    environment = formula.delimiter if formula.delimiter in ENVIRONMENTS else None
    whole = _WHOLE_ENVIRONMENT.fullmatch(math.strip())
    if formula.display and not environment and whole and ENVIRONMENTS.get(whole.group(1)):
        environment, math = whole.group(1), whole.group(2)  # $$\begin{align}…\end{align}$$, as MathJax allows
    if not math.strip():  # it only defined macros ($\newcommand{\R}{\mathbb{R}}$): they are in the preamble
        return ""
    refused, aligns, breaks = _refused(math)
    if refused:
        return rf"\texttt{{{tex_prose(formula.text)}}} {{\small\color{{derivefails}}(shown as written: {refused})}}"
    if not formula.display:
        return "$" + _aligned(math, aligns, breaks) + "$"
    if not block:
        inline = breaks or aligns or environment in _ALIGNING or (environment or "").startswith(("gather", "multline"))
        return r"$\displaystyle " + _aligned(math, aligns or environment in _ALIGNING, inline) + "$"
    if environment:
        return rf"\begin{{{environment}}}{math}\end{{{environment}}}"
    if aligns or breaks:
        name = "align*" if aligns else "gather*"
        return rf"\begin{{{name}}}{math}\end{{{name}}}"
    return rf"\[{math}\]"


def _refused(math: str) -> tuple[str | None, bool, bool]:
    """Why the math is shown as code rather than typeset (None when it is typeset), and whether it
    has ``&`` or ``\\\\`` outside every group and environment."""
    names = set(re.findall(r"\\([A-Za-z]+)", math))
    environments = {name.rstrip("*") for name in re.findall(r"\\(?:begin|end)\{([^{}]*)\}", math)}
    unsafe = sorted((names | environments) & _UNSAFE)
    if unsafe or "^^" in math:
        what = f"\\{unsafe[0]}" if unsafe else "^^"
        return f"{tex_prose(what)} is not run from a Markdown document", False, False
    text_only = sorted((names & _TEXT_COMMANDS) | (environments & _TEXT_ENVIRONMENTS))
    if text_only or re.search(r"\\[()\[\]]", math):
        what = f"\\{text_only[0]}" if text_only else "a math delimiter inside the formula"
        return f"{tex_prose(what)} cannot stand in math", False, False
    balanced, aligns, breaks = _structure(math)
    if not balanced:
        return r"its braces, environments, \textbackslash{}left/right or \$ do not pair up", False, False
    return None, aligns, breaks


def _aligned(math: str, aligns: bool, breaks: bool) -> str:
    """Math with top-level ``&`` or ``\\\\`` in an environment that takes them inside ``$…$``."""
    if aligns:
        return rf"\begin{{aligned}}{math}\end{{aligned}}"
    return rf"\begin{{gathered}}{math}\end{{gathered}}" if breaks else math


def _structure(math: str) -> tuple[bool, bool, bool]:
    """Whether braces, environments, ``\\left``/``\\right`` and ``$`` balance, and whether the
    math has ``&`` or ``\\\\`` outside every group and environment."""
    depth, environments, sides, dollars, aligns, breaks = 0, [], 0, 0, False, False
    for match in _MATH_TOKEN.finditer(math):
        token, name, end, side = match.group(), match.group(1), match.group(2), match.group(3)
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return False, False, False
        elif name is not None:
            environments.append(name)
        elif end is not None:
            if not environments or environments.pop() != end:
                return False, False, False
        elif side is not None:
            sides += 1 if side == "left" else -1
        elif token == "$":
            dollars += 1
        elif not depth and not environments:
            aligns, breaks = aligns or token == "&", breaks or token == "\\\\"
    return depth == 0 and not environments and sides == 0 and dollars % 2 == 0, aligns, breaks


def _definitions(math: str) -> tuple[str, list[tuple[str, str, str]]]:
    """The math without the macros it defines (``\\newcommand{\\R}{\\mathbb{R}}``, which MathJax keeps
    for the rest of the page), and each definition as (name, arguments, body)."""
    kept, found, at = [], [], 0
    while match := _DEFINITION.search(math, at):
        end = _group_end(math, match.end())
        if end is None:
            break  # unbalanced: left in, and the formula is shown as written
        name, body = match.group(2) or match.group(3), math[match.end():end - 1]
        arguments = (f"[{match.group(4)}]" if match.group(4) else "") + (
            f"[{match.group(5)}]" if match.group(5) is not None and match.group(4) else "")
        if match.group(0).startswith("\\DeclareMathOperator"):
            arguments, body = "", rf"\operatorname{'*' if match.group(1) else ''}{{{body}}}"
        found.append((name, arguments, body))
        kept.append(math[at:match.start()])
        at = end
    return "".join(kept) + math[at:], found


def _group_end(math: str, start: int) -> int | None:
    """The offset just after the ``}`` that closes the group opened just before ``start``."""
    depth = 1
    for token in _BRACE_TOKEN.finditer(math, start):
        depth += 1 if token.group() == "{" else -1 if token.group() == "}" else 0
        if not depth:
            return token.end()
    return None


def _macros(math: list[str]) -> list[str]:
    """A preamble line for each macro the math defines, so that it holds for the whole document (a
    name LaTeX or a package already defines keeps its meaning: ``\\fi`` cannot be redefined). Not
    defined — the name then shows as undefined, or keeps its meaning: a second definition of a
    name, a body that would be refused in a formula, one that uses its own name or a macro defined
    after it (no definition can loop), a name derive's own commands rest on."""
    definitions = [definition for text in math for definition in _definitions(text)[1]]
    lines, seen = [], set()
    for number, (name, arguments, body) in enumerate(definitions):
        later = {other for other, _, _ in definitions[number:]}
        used = set(re.findall(r"\\([A-Za-z]+)", body))
        count = int(arguments[1]) if arguments else 0
        parameters = re.findall(r"(?<!\\)#(.?)", body)  # #1 … #count, nothing else
        if name in seen or name in _PROTECTED or name.startswith(("derive", "if", "end")) or used & later \
                or any(not (p.isdigit() and 1 <= int(p) <= count) for p in parameters) \
                or _refused(re.sub(r"(?<!\\)#", "", body))[0] is not None:
            seen.add(name)
            continue
        seen.add(name)
        body = tex_math(re.sub(r"(?<!\\)((?:\\\\)*)%", r"\1\\%", body))
        # defined only where the name is free: a primitive (\fi, \hbox) or a package's command keeps
        # its meaning, so that no page can redefine what TeX itself rests on
        lines.append(rf"\providecommand{{\{name}}}{arguments}{{{body}}}")
    return lines


def _fallbacks(math: list[str]) -> list[str]:
    """Preamble lines defining each command and environment the math uses that nothing loaded
    defines (a MathJax macro, a package's command): it then shows its name, in red."""
    text = "\n".join(math)
    commands = sorted(set(re.findall(r"\\([A-Za-z]+)", text)) - {"begin", "end"})
    environments = sorted(set(re.findall(r"\\begin\{([A-Za-z]+\*?)\}", text)))
    lines = []
    for start in range(0, len(commands), 12):
        lines.append(rf"\derivefallbacks{{{','.join(commands[start:start + 12])}}}")
    if environments:
        lines.append(rf"\derivefallbackenvs{{{','.join(environments)}}}")
    return ["\\makeatletter", *lines, "\\makeatother"] if lines else []
