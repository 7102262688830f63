"""LaTeX text before and around the grammar: part of ``latex_in`` (the LaTeX reader).

What is done to the text before it is parsed (the bars that look alike on both sides — ``\\|``,
``\\Vert`` and ``||`` of a norm, ``|`` and ``\\vert`` of an absolute value — are paired into an
opening and a closing mark), and the words of a syntax error:
what was expected, and what an unexpected command means (``\\quad`` separates a formula from its
commentary, ``\\dots`` leaves terms out...).
"""

from __future__ import annotations

import re

# a bar after \left or \right is the grammar's (LNORM, LABS...); the others are paired here
_BAR = re.compile(r"(\\(?:left|right)\s*)?(?<!\\)"
                  r"(?:(?P<norm>\\\||\\Vert(?![A-Za-z])|\|\|)|(?P<abs>\||\\vert(?![A-Za-z])))")
_MARKS = {"norm": ("\ue000", "\ue001"), "abs": ("\ue002", "\ue003")}
_COMMAND = re.compile(r"\\(?:[A-Za-z]+|.)")
_ASSIGN = re.compile(r"\\leftarrow(?![A-Za-z])|\\gets(?![A-Za-z])|\\coloneqq(?![A-Za-z])|:=")
# the step a quantity is at, in an update: W_{t+1}, W_t, W^{(t)}, \theta_{k+1} (letter put in)
_STEP_MARK = (r"_\{{\s*{0}\s*(?:[+-]\s*1\s*)?\}}|_{0}(?![A-Za-z0-9])"
              r"|\^\{{\s*\(\s*{0}\s*(?:[+-]\s*1\s*)?\)\s*\}}"
              r"|(?<=\^\{{)\s*\(\s*{0}\s*(?:[+-]\s*1\s*)?\)(?=\s*\\top)")  # w^{(t)\top}: the mark alone
_NEXT_STEP = r"_\{{\s*{0}\s*\+\s*1\s*\}}|\^\{{\s*\(\s*{0}\s*\+\s*1\s*\)\s*\}}"
_SUMMED = r"\\(?:sum|prod)\s*_\s*(?:\{{[^{{}}]*\b{0}\b|{0})"

_COMMAND_HINTS = {
    r"\quad": r"'\quad' separates a formula from its commentary: give the formula alone",
    r"\qquad": r"'\qquad' separates a formula from its commentary: give the formula alone",
    r"\dots": r"'\dots' leaves terms out: write the sum, \sum_{i} x_i (a vector by its entries: "
    r"[x_1, \dots, x_n])",
    r"\cdots": r"'\cdots' leaves terms out: write the sum, \sum_{i} x_i (a vector by its entries: "
    r"[x_1, \cdots, x_n])",
    r"\ldots": r"'\ldots' leaves terms out: write the sum, \sum_{i} x_i (a vector by its entries: "
    r"[x_1, \ldots, x_n])",
    r"\in": r"'\in' is read only in a shape statement, as in W \in \mathbb{R}^{m \times d}: give the equation alone",
    r"\mathbb": r"sets such as \mathbb{R}^{d} are prose, not part of an equation",
    r"\rightarrow": r"an arrow is not an equation: write '='",
    r"\Rightarrow": r"an implication is not an equation: give each equation alone",
    r"\forall": r"'\forall' is prose: a free index already holds for every value",
    r"\textcircled": r"'\textcircled' is an equation label, not part of the formula",
    r"\tag": r"an equation label is not part of the formula",
    r"\underbrace": r"'\underbrace' annotations are not read: give the formula alone",
    r"\boxed": r"'\boxed' is not read: give the formula alone",
}

_WORDS = {"RPAR": "')'", "LPAR": "'('", "RBRACE": "'}'", "LBRACE": "'{'", "RBRACK": "']'",
          "RNORM": r"'\|'", "RABS": "'|'", "$END": "the end of the text", "EQUAL": "'='", "COMMA": "','",
          "PLUS": "'+'", "MINUS": "'-'", "PRODUCT_OP": r"an operator such as \cdot",
          "END_ENV": r"'\end{aligned}'", "CIRCUMFLEX": "'^'", "UNDERSCORE": "'_'"}
_STARTS = {"LETTER", "GREEK", "NUMBER", "TEXTNAME", "BOLD", "PARTIAL", "FRAC", "LPAR", "FUNC",
           "CALLNAME", "SUM", "LBRACE", "LBRACK", "LNORM", "LABS", "SQRT", "ACCENT", "NABLA"}


def _expected(tokens: set[str]) -> str:
    words = []
    if tokens & _STARTS:
        words.append("an expression")
        tokens = tokens - {"PLUS", "MINUS"}
    words += sorted({_WORDS[t] for t in tokens - _STARTS if t in _WORDS})
    return ", ".join(words[:6])


def _unexpected(text: str, pos: int) -> str:
    if text[pos] == "\\":
        if not text[pos + 1:].strip():
            return "a lone '\\' ends the text: remove it (a line break is '\\\\', and only between equations)"
        match = _COMMAND.match(text, pos)
        command = match.group() if match else "\\"
        environment = re.match(r"\\begin\s*\{([^{}]*)\}", text[pos:])
        if environment and environment[1].strip() == "cases":
            return ("'\\begin{cases}' is read with two cases only, one for i = j (or x > 0) and one "
                    "otherwise (or i \\neq j), each 'value & condition'")
        if environment:
            return (f"'\\begin{{{environment[1]}}}' is not read: aligned, split, cases and matrices "
                    "(bmatrix, pmatrix, Bmatrix, matrix) are; vmatrix, a determinant, is written \\det A")
        hint = _COMMAND_HINTS.get(command)
        return hint or f"'{command}' is not LaTeX that derive reads (docs/latex.md lists what is)"
    if text[pos] in "\ue000\ue001":
        return r"unexpected '\|'"
    if text[pos] in "\ue002\ue003":
        return "unexpected '|'"
    return f"unexpected {text[pos]!r}"


def _drop_step_marks(text: str) -> str:
    """In an update (``W_{t+1} \\leftarrow W_t - \\eta G``), the marks of the step a quantity
    is at, blanked (positions stay put), so that both sides name the variable W. A letter is a
    step only where the text has its next step (``_{t+1}``) and sums over it nowhere: in
    ``\\sum_k g_k`` the k is an index."""
    if not _ASSIGN.search(text):
        return text
    for letter in "tk":
        if re.search(_NEXT_STEP.format(letter), text) and not re.search(_SUMMED.format(letter), text):
            text = re.sub(_STEP_MARK.format(letter), lambda match: " " * len(match.group()), text)
    return text


def _pair_bars(text: str) -> str:
    """``\\|x\\|`` and ``|x|`` have the same mark on both sides: of each kind, the odd ones open
    and the even ones close (replaced by private characters of the same length, so positions stay
    put). ``||x||`` is a norm, as ``\\|x\\|`` is, not the absolute value of an absolute value."""
    out, counts, last = [], {"norm": 0, "abs": 0}, 0
    for match in _BAR.finditer(text):
        if match.group(1):
            continue
        kind = "norm" if match["norm"] else "abs"
        mark = _MARKS[kind][counts[kind] % 2]
        counts[kind] += 1
        out.append(text[last:match.start(kind)] + mark + " " * (len(match[kind]) - 1))
        last = match.end(kind)
    return "".join(out) + text[last:]


_CASES = re.compile(r"\\begin\s*\{\s*cases\s*\}(?P<body>(?:(?!\\begin\s*\{|\\end\s*\{).)*)\\end\s*\{\s*cases\s*\}",
                    re.S)
_OTHERWISE = re.compile(r"(?:else|otherwise|elsewhere|o\.?\s*w\.?|sonst)", re.I)
_INDEX_TOKEN = r"(?:[A-Za-z](?:'|\^\{?\*\}?)?|\{[A-Za-z]\})"
_RELATION = re.compile(rf"(?:if\s*)?(?P<a>{_INDEX_TOKEN})\s*(?P<op>=|\\neq?(?![A-Za-z])|≠)\s*(?P<b>{_INDEX_TOKEN})")
_POSITIVE = re.compile(r"(?:if\s*)?(?P<e>.+?)\s*>\s*0")


def _condition(text: str) -> tuple[str, str] | None:
    """A case's condition as ``("delta", "\\delta_{ij}")`` for ``i = j`` (``("not", …)`` for
    ``i \\neq j``), ``("step", "\\mathbb{1}[x > 0]")`` for ``x > 0``, ``("else", "")`` for
    otherwise; None for one derive does not read."""
    plain = re.sub(r"\\(?:text|textrm|mathrm|mbox)\s*\{([^{}]*)\}", r" \1 ", text)
    plain = re.sub(r"\\[,;:! ]|\\quad|\\qquad|[,.;:]\s*$", " ", plain).strip().rstrip(",.;")
    if _OTHERWISE.fullmatch(plain.strip()):
        return "else", ""
    relation = _RELATION.fullmatch(plain)
    if relation:
        a, b = (relation[k].strip("{}") for k in "ab")
        return ("delta" if relation["op"] == "=" else "not"), rf"\delta_{{{a}{b}}}"
    positive = _POSITIVE.fullmatch(plain)
    if positive and "&" not in positive["e"]:
        return "step", rf"\mathbb{{1}}[{positive['e']} > 0]"
    return None


def _top_level_split(text: str, separator: str) -> list[str]:
    """``text`` cut at each ``separator`` outside braces."""
    pieces, depth, start, k = [], 0, 0, 0
    while k < len(text):
        if text[k] == "\\" and not text.startswith(separator, k):
            k += 2
            continue
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
        elif depth == 0 and text.startswith(separator, k):
            pieces.append(text[start:k])
            k += len(separator)
            start = k
            continue
        k += 1
    return [*pieces, text[start:]]


def _cases_text(body: str) -> str | None:
    """Two cases, one condition the complement of the other, as one expression: ``v_1`` where
    i = j and ``v_2`` otherwise is ``v_1 \\delta_{ij} + v_2 (1 - \\delta_{ij})`` (a term whose
    value is 0 left out); None for cases derive does not read."""
    rows = [row for row in _top_level_split(body, "\\\\") if row.strip()]
    if len(rows) != 2:
        return None
    read = []
    for row in rows:
        cells = _top_level_split(row, "&")
        if len(cells) != 2:
            return None
        condition = _condition(cells[1])
        if condition is None:
            return None
        read.append((cells[0].strip(), *condition))
    kinds = sorted(kind for _, kind, _ in read)
    marks = {mark for _, _, mark in read if mark}
    if kinds not in (["delta", "else"], ["delta", "not"], ["else", "step"]) or len(marks) != 1:
        return None
    mark = marks.pop()
    when = next(value for value, kind, _ in read if kind in ("delta", "step"))
    other = next(value for value, kind, _ in read if kind in ("else", "not"))
    def factor(value: str) -> str:
        return value if not re.search(r"[-+]", value) else rf"\left({value}\right)"
    times = " \\odot " if mark.startswith("\\mathbb") else " "  # a step is elementwise, as the cases are
    terms = []
    if when != "0":
        terms.append(mark if when == "1" else f"{factor(when)}{times}{mark}")
    if other != "0":
        terms.append(rf"\left(1 - {mark}\right)" if other == "1" else rf"{factor(other)}{times}\left(1 - {mark}\right)")
    return "\\left(" + (" + ".join(terms) or "0") + "\\right)"


def _read_cases(text: str) -> str:
    """Each ``\\begin{cases}`` derive reads (``_cases_text``) replaced by its expression, padded
    with spaces where shorter so that later positions stay put; the others are left as written
    (and the reader says it cannot read them)."""
    def replace(match: re.Match) -> str:
        read = _cases_text(match["body"])
        if read is None:
            return match.group()
        return read + " " * max(0, len(match.group()) - len(read))
    return _CASES.sub(replace, text) if "cases" in text else text
