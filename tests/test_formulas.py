"""derive.documents.formulas: the math of a Markdown or LaTeX document, found with exact offsets.

Each rule is a row: the document, and the formulas found in it as (text, delimiter) — or the
openers left unclosed. Every formula found anywhere here is also checked against the document it
came from: its text is document[start:end], its line and column point at start, and the closing
delimiter stands between end and outer_end.
"""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from derive.documents import formulas as module
from derive.documents.formulas import Formula, document_kind, find_formulas, unclosed

# shared/ lies beside the repository (CI lays a copy there), or in the workplace
SEEDS = next((p for p in (Path(__file__).resolve().parents[2] / "shared" / "seeds", Path("/work/shared/seeds"))
              if p.is_dir()), Path("/nonexistent/seeds"))
CLOSERS = {"$": "$", "$$": "$$", "\\(": "\\)", "\\[": "\\]"}


def found(text: str, kind: str = "markdown") -> list[tuple[str, str]]:
    """The (text, delimiter) of every formula, each checked against the document first."""
    formulas = find_formulas(text, kind)
    for formula in formulas:
        _check_location(text, formula)
    return [(formula.text, formula.delimiter) for formula in formulas]


def _check_location(text: str, formula: Formula) -> None:
    assert text[formula.start : formula.end] == formula.text
    before = text[: formula.start]
    assert formula.line == before.count("\n") + 1
    assert formula.column == formula.start - (before.rfind("\n") + 1) + 1
    assert formula.end_line == text[: formula.end].count("\n") + 1
    closer = CLOSERS.get(formula.delimiter, f"\\end{{{formula.delimiter}}}")
    assert text[formula.end : formula.outer_end] == closer


MARKDOWN = {
    "inline": ("a $x^2$ b", [("x^2", "$")]),
    "display": ("a $$ x $$ b", [(" x ", "$$")]),
    "display over lines": ("$$\\begin{aligned}\na &= b \\\\\nc &= d\n\\end{aligned}$$",
                           [("\\begin{aligned}\na &= b \\\\\nc &= d\n\\end{aligned}", "$$")]),
    "brackets and parentheses": ("\\(a\\) and \\[b\\]", [("a", "\\("), ("b", "\\[")]),
    "environment": ("\\begin{align*} a &= b \\\\ c \\end{align*}", [(" a &= b \\\\ c ", "align*")]),
    "math environment is inline": ("x \\begin{math}y\\end{math}", [("y", "math")]),
    "environment inside $$ is its text": ("$$\\begin{cases} 1 \\\\ 0 \\end{cases}$$",
                                          [("\\begin{cases} 1 \\\\ 0 \\end{cases}", "$$")]),
    "equation inside $$ is not split": ("$$\\begin{equation}a\\end{equation}$$",
                                        [("\\begin{equation}a\\end{equation}", "$$")]),
    "prices are prose": ("costs $5 and $6 today", []),
    "closer before a digit": ("$a$5 and", []),
    "opener before a space": ("a $ b$ c", []),
    "closer after a space": ("a $b $ c $d$", [("d", "$")]),
    "escaped dollar": ("\\$x$ costs \\$3", []),
    "escaped dollar inside": ("$a \\$ b$", [("a \\$ b", "$")]),
    "escaped backslash then dollar": ("\\\\$y$", [("y", "$")]),
    "adjacent inline": ("$a$$b$", [("a", "$"), ("b", "$")]),
    "inline over a line break": ("$a\nb$", [("a\nb", "$")]),
    "inline not over a blank line": ("$a\n\nb$", []),
    "line break in display": ("$$ a \\\\ b $$", [(" a \\\\ b ", "$$")]),
    "single dollar inside display": ("$$ a = \\$5 + $ $$", [(" a = \\$5 + $ ", "$$")]),
    "code span": ("`$x$` and $y$", [("y", "$")]),
    "double backtick span": ("``a ` $x$`` $y$", [("y", "$")]),
    "unmatched backtick is literal": ("` $x$", [("x", "$")]),
    "escaped backtick": ("\\`$x$`", [("x", "$")]),
    "fenced code": ("```\n$x$\n```\n$y$", [("y", "$")]),
    "tilde fence needs as long a closer": ("~~~~\n$x$\n~~~\n$y$\n~~~~\n$z$", [("z", "$")]),
    "backticks in the info string: no fence": ("``` a`b\n$x$", [("x", "$")]),
    "indented fence in a list": ("- item\n\n    ```\n    $x$\n    ```\n$y$", [("y", "$")]),
    "math does not run into a fence": ("$a\n```\n$b$\n```\n$c$", [("c", "$")]),
    "percent is text in Markdown": ("$a % b$", [("a % b", "$")]),
    "environment not over a blank line": ("\\begin{equation}a\n\nb\\end{equation} $c$", [("c", "$")]),
}


@pytest.mark.parametrize("text, expected", MARKDOWN.values(), ids=MARKDOWN.keys())
def test_markdown_formulas(text, expected):
    assert found(text) == expected


LATEX = {
    "inline may start with a space": ("$ a $ and $5$", [(" a ", "$"), ("5", "$")]),
    "display and brackets": ("$$a$$ \\[b\\] \\(c\\)", [("a", "$$"), ("b", "\\["), ("c", "\\(")]),
    "comment skipped": ("a % $x$\n$y$", [("y", "$")]),
    "escaped percent is no comment": ("\\% $x$", [("x", "$")]),
    "comment inside a formula is its text": ("$a % $\nb$", [("a % $\nb", "$")]),
    "end of environment in a comment": ("\\begin{align}a % \\end{align}\n b\\end{align}",
                                        [("a % \\end{align}\n b", "align")]),
    "verbatim skipped": ("\\begin{verbatim}$x$\\end{verbatim} $y$", [("y", "$")]),
    "lstlisting skipped": ("\\begin{lstlisting}\n\\[x\\]\n\\end{lstlisting}\\(y\\)", [("y", "\\(")]),
    "comment environment skipped": ("\\begin{comment}$x$\\end{comment}$y$", [("y", "$")]),
    "verb skipped": ("\\verb|$x$| \\verb*+$+ $y$", [("y", "$")]),
    "backticks are quotes": ("``$x$''", [("x", "$")]),
    "body only": ("\\documentclass{article}\n\\newcommand{\\x}{$a$}\n\\begin{document}\n$b$\n"
                  "\\end{document}\n$c$", [("b", "$")]),
    "begin document in a comment": ("$a$ % \\begin{document}\n$b$", [("a", "$"), ("b", "$")]),
    "no body: the whole text": ("\\documentclass{article} $a$", [("a", "$")]),
    "environments": ("\\begin{equation*}a\\end{equation*}\\begin{gather}b\\end{gather}"
                     "\\begin{multline}c\\end{multline}\\begin{eqnarray*}d\\end{eqnarray*}"
                     "\\begin{displaymath}e\\end{displaymath}",
                     [("a", "equation*"), ("b", "gather"), ("c", "multline"), ("d", "eqnarray*"),
                      ("e", "displaymath")]),
    "other environments are not math": ("\\begin{itemize}\\item $a$\\end{itemize}", [("a", "$")]),
}


@pytest.mark.parametrize("text, expected", LATEX.values(), ids=LATEX.keys())
def test_latex_formulas(text, expected):
    assert found(text, "latex") == expected


def test_display_is_set_by_delimiter():
    text = "$a$ $$b$$ \\(c\\) \\[d\\] \\begin{math}e\\end{math} \\begin{align}f\\end{align}"
    assert [f.display for f in find_formulas(text, "markdown")] == [False, True, False, True, False, True]


def test_offsets_lines_and_columns_of_a_document():
    text = "# Title\n\nLet $x$ be\n\n$$\ny = Wx\n$$ so\n"
    inline, display = find_formulas(text, "markdown")
    assert (inline.start, inline.end, inline.line, inline.column, inline.end_line, inline.outer_end) == (14, 15, 3, 6,
                                                                                                          3, 16)
    assert (display.start, display.line, display.column, display.end_line) == (23, 5, 3, 7)
    assert text[display.outer_end :] == " so\n"


def test_offsets_are_the_original_text_despite_comments():
    text = "% $a$ a comment\n% another\n$b$"
    (formula,) = find_formulas(text, "latex")
    assert (formula.start, formula.line, formula.column) == (text.index("b"), 3, 2)


UNCLOSED = {
    "display not swallowing": ("$$ a\n\nb $x$ c", "markdown", [(1, 1, "$$")], [("x", "$")]),
    "display not pairing over a blank line": ("$$a\n\n$$b", "markdown", [(1, 1, "$$"), (3, 1, "$$")], []),
    "bracket": ("text \\[ a\n\n$y$", "markdown", [(1, 6, "\\[")], [("y", "$")]),
    "parenthesis": ("\\( a \\( b \\)", "markdown", [], [(" a \\( b ", "\\(")]),
    "environment": ("\\begin{align} a $b$", "markdown", [(1, 1, "align")], [("b", "$")]),
    "inline dollar": ("an $x + y\n\nthen $z$", "markdown", [(1, 4, "$")], [("z", "$")]),
    "price is not reported": ("costs $5", "markdown", [], []),
    "dollar closed but not math is not reported": ("$5 and $6", "markdown", [], []),
    "code fence left open": ("$a$\n```\n$b$", "markdown", [(2, 1, "```")], [("a", "$")]),
    "latex inline at a blank line": ("$a\n\nb $c$", "latex", [(1, 1, "$")], [("c", "$")]),
    "latex verbatim left open": ("$a$ \\begin{verbatim} $b$", "latex", [(1, 5, "verbatim")], [("a", "$")]),
}


@pytest.mark.parametrize("text, kind, missing, expected", UNCLOSED.values(), ids=UNCLOSED.keys())
def test_unclosed_openers_are_reported_and_swallow_nothing(text, kind, missing, expected):
    assert unclosed(text, kind) == missing
    assert found(text, kind) == expected


KINDS = [
    ("notes.tex", "", "latex"), ("notes.LaTeX", "", "latex"), ("a.md", "\\documentclass{x}", "markdown"),
    ("a.markdown", "", "markdown"), ("a.txt", "", "markdown"), ("a.mdx", "", "markdown"),
    ("answer", "\\documentclass{article}", "latex"), ("answer", "x\n\\begin{document}", "latex"),
    ("answer.rst", "$x$", "markdown"), ("dir.tex/answer", "", "markdown"),
]


@pytest.mark.parametrize("name, text, kind", KINDS, ids=[f"{n}:{k}" for n, _, k in KINDS])
def test_document_kind(name, text, kind):
    assert document_kind(name, text) == kind


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="'rst' is not known"):
        find_formulas("$x$", "rst")


# (display, inline) formulas per seed: display by `grep -c '\$\$'` on the lines (each display
# line of 000, 001, 002 and 004 holds both delimiters; 003 has 25 lines opening one, two of them
# running over several lines), inline counted by hand with the $$ blocks removed.
SEED_COUNTS = {"000": (10, 22), "001": (23, 5), "002": (22, 2), "003": (25, 33), "004": (79, 44)}


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not on this machine")
@pytest.mark.parametrize("seed", SEED_COUNTS)
def test_seed_formulas(seed):
    (path,) = SEEDS.glob(f"{seed}_*.txt")
    text = path.read_text()
    formulas = find_formulas(text, document_kind(path.name, text))
    display = [f for f in formulas if f.delimiter == "$$"]
    assert (len(display), len(formulas) - len(display)) == SEED_COUNTS[seed]
    assert 2 * len(display) == text.count("$$")  # every $$ of the seed is in a pair
    assert unclosed(text, "markdown") == []
    for formula in formulas:
        _check_location(text, formula)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not on this machine")
def test_seed_multiline_display_blocks():
    (path,) = SEEDS.glob("003_*.txt")
    spans = [(f.line, f.end_line) for f in find_formulas(path.read_text(), "markdown") if f.line != f.end_line]
    assert spans == [(95, 102), (112, 115)]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not on this machine")
def test_seed_inline_math_among_prose():
    (path,) = SEEDS.glob("001_*.txt")
    texts = [f.text for f in find_formulas(path.read_text(), "markdown") if f.delimiter == "$"]
    assert texts[:3] == ["B_{mn} = b_n", "m = 1, \\dots, S", "\\mathbf{1}"]


# Documents on which a naive scanner searches the same stretch again for every opener.
ADVERSARIAL = {
    "open parentheses": "\\( a " * 4000,
    "open brackets": "\\[ a " * 4000,
    "open environments": "\\begin{align} a " * 2000,
    "open displays": "$$ a $ " * 4000,
    "lone dollars": "a $b " * 4000,
    "prices": "$5 " * 6000,
}


@pytest.mark.parametrize("kind", ["markdown", "latex"])
@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_no_stretch_is_searched_twice(text, kind, monkeypatch):
    """Linear by construction: the characters read by all searches for closers together are
    within a small multiple of the document's length (a quadratic scan reads ~n²/2 here)."""
    read = []
    content = module._content

    class Counting:
        def __init__(self, pattern):
            self.pattern = pattern

        def match(self, text, pos, endpos):
            match = self.pattern.match(text, pos, endpos)
            read.append(match.end() - pos)
            return match

    monkeypatch.setattr(module, "_content", lambda close, comments: Counting(content(close, comments)))
    find_formulas(text, kind)
    assert sum(read) <= 2 * len(text)


def test_a_megabyte_scans_in_well_under_seconds():
    """A loose sanity check (the bound is the test above): 1 MB, 16,000 formulas."""
    text = ("Since $x_i = W_{ij} y_j$, we have\n\n$$\\frac{\\partial L}{\\partial W} = \\delta y^T$$\n\n"
            + "prose " * 8 + "\n\n") * 8000
    assert len(text) > 1_000_000
    begin = time.perf_counter()
    formulas = find_formulas(text, "markdown")
    assert len(formulas) == 16_000
    assert time.perf_counter() - begin < 2


def test_module_imports_only_the_standard_library():
    tree = ast.parse(Path(module.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"__future__", "bisect", "dataclasses", "functools", "os", "re"}
