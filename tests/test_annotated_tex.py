"""derive annotate -o OUT.tex: the annotated document as LaTeX that pdflatex compiles
(derive/documents/annotated_tex.py, markdown_tex.py, tex_prose.py).

Unit tests: text escaped, every character mapped, Markdown's constructs typeset, the marks after
the formula they are of, a Markdown formula that could stop the compilation or run a file shown as
code. Compile tests (skipped without pdflatex): each seed annotated with its reading, a LaTeX
derivation with a wrong step, and a Markdown page of every construct and hostile character.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from derive.documents.annotate import Annotator
from derive.documents.annotated_tex import markdown_math, render_latex
from derive.documents.formulas import Formula, document_kind
from derive.documents.markdown_tex import markdown_body
from derive.documents.readings import load_reading
from derive.documents.tex_prose import tex_char, tex_math, tex_prose, tex_url

ROOT = Path(__file__).resolve().parents[1]
SEEDS = next((p for p in (ROOT.parent / "shared" / "seeds", Path("/work/shared/seeds")) if p.is_dir()),
             Path("/nonexistent/seeds"))
PDFLATEX = shutil.which("pdflatex")
needs_pdflatex = pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed (.ci/run installs TeX Live)")


def annotated(document: str, kind: str = "markdown", problems=("linear-layer",), reading: str | None = None) -> str:
    annotation = Annotator(load_reading(document, problems, reading)).annotate(document, kind)
    return render_latex(document, kind, annotation)


def compile_tex(tmp_path: Path, latex: str, name: str = "doc") -> subprocess.CompletedProcess:
    (tmp_path / f"{name}.tex").write_text(latex, encoding="utf-8")
    run = subprocess.run([PDFLATEX, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                         cwd=tmp_path, capture_output=True, text=True, errors="replace", timeout=120)
    errors = [line for line in run.stdout.splitlines() if line.startswith("!")]
    assert run.returncode == 0 and not errors, errors or run.stdout[-3000:]
    assert (tmp_path / f"{name}.pdf").stat().st_size > 0
    return run


# -- text and characters ---------------------------------------------------------------------------

def test_every_special_character_of_latex_is_escaped():
    assert tex_prose(r"# $ % & ~ _ ^ \ { }") == (r"\# \$ \% \& \textasciitilde{} \_ \textasciicircum{} "
                                                  r"\textbackslash{} \{ \}")
    assert tex_prose("a < b | c > d `e`") == r"a \textless{} b \textbar{} c \textgreater{} d \textasciigrave{}e\textasciigrave{}"


@pytest.mark.parametrize("char, latex", [
    ("✓", r"\derivecheck{}"), ("✗", r"\derivecross{}"), ("↳", r"\derivefollows{}"), ("⤳", r"\derivejump{}"),
    ("·", "·"), ("–", "–"), ("é", "é"), ("⊙", r"$\odot$"), ("⊗", r"$\otimes$"), ("×", "×"), ("∂", r"$\partial$"),
    ("σ", r"$\sigma$"), ("Φ", r"$\Phi$"), ("ᵀ", r"$^{\top}$"), ("…", r"\dots{}"), ("①", r"\textcircled{1}"),
    ("⑳", r"\textcircled{20}"), ("ᵢ", "$_{i}$"), ("⁵", "$^{5}$"), ("𝐖", "W"), ("ℝ", r"\derivebb{R}"),
    ("∀", r"$\forall$"), ("→", r"$\to$"), ("ϕ", r"$\phi$"),
    ("😀", r"\deriveunknown{1F600}"), ("ƀ", r"\deriveunknown{0180}"), ("ð", r"\deriveunknown{00F0}"),
    ("\x07", r"\deriveunknown{0007}"), ("\u202e", r"\deriveunknown{202E}"),
])
def test_unicode_is_mapped_to_latex_commands(char, latex):
    assert tex_char(char) == latex


def test_no_character_reaches_latex_unmapped():
    """Every code point below U+3000, and a sample of the math alphanumerics and the emoji, gives
    ASCII, or a Latin letter both font encodings have."""
    kept = set(range(0x20, 0x7F)) | {ord(c) for c in "\n\t‘’“”–—"} | set(range(0xA0, 0x17F))
    for code in [*range(0x3000), *range(0x1D400, 0x1D800, 7), *range(0x1F300, 0x1F700, 5), 0x10FFFD]:
        latex = tex_char(chr(code))
        assert all(c.isascii() or ord(c) in kept for c in latex), (hex(code), latex)


def test_math_keeps_ascii_and_maps_the_rest():
    assert tex_math(r"\frac{a}{b}") == r"\frac{a}{b}"
    assert tex_math("④ a_0 = σ(z_0) → x^σ") == (r"\text{\textcircled{4}} a_0 = \ensuremath{\sigma}(z_0) "
                                               r"\ensuremath{\to} x^{\ensuremath{\sigma}}")


def test_a_url_cannot_break_out_of_its_argument():
    assert tex_url("https://a.org/x_y?q=1&r=2#frag%20{}\\é~") == (
        r"https://a.org/x_y?q=1&r=2\#frag\%20\%7B\%7D\%5C\%C3\%A9\%7E")


# -- Markdown --------------------------------------------------------------------------------------

def body(markdown: str) -> str:
    return markdown_body(markdown, [], lambda number, block: "")


@pytest.mark.parametrize("markdown, latex", [
    ("# Title", r"\section*{Title}"),
    ("### Part (b)", r"\subsubsection*{Part (b)}"),
    ("Title\n=====", r"\section*{Title}"),
    ("Part\n----", r"\subsection*{Part}"),
    ("**strong** and *emph* and __s__ and _e_", r"{\bfseries strong} and {\em emph} and {\bfseries s} and {\em e}"),
    ("snake_case_name and 2*3*4", r"snake\_case\_name and 2{\em 3}4"),
    ("`a_b {c} $x$`", r"\texttt{a\_b\ \{c\}\ \$x\$}".replace(r"\ ", " ")),
    (r"\*not emphasis\*", "*not emphasis*"),
    ("[text](https://x.org/a_b)", r"\href{https://x.org/a_b}{text}"),
    ("[text](javascript:alert(1))", "text"),
    ("see https://x.org/a.", r"see \href{https://x.org/a}{\texttt{https:/\allowbreak{}/\allowbreak{}x.org/\allowbreak{}a}}."),
    ("AT&T &amp; &lt;b&gt;", r"AT\&T \& \textless{}b\textgreater{}"),
    ("line one  \nline two", "line one\\newline \nline two"),
    ("---", r"\par\noindent\rule{\linewidth}{0.4pt}\par"),
])
def test_markdown_inline_and_simple_blocks(markdown, latex):
    assert body(markdown) == latex


def test_markdown_lists_quotes_code_and_tables():
    latex = body("- one\n- two\n  - nested\n\n3. three\n4. four\n\n> quoted *text*\n\n"
                 "```python\nx = {'a': 1}  # ~\n```\n\n| a | b |\n|:--|--:|\n| 1 | x \\| y |\n")
    assert "\\begin{itemize}\n\\item one\n\\item two\n\n\\begin{itemize}\n\\item nested\n\\end{itemize}" in latex
    assert r"\item[{3.}] three" in latex and r"\item[{4.}] four" in latex
    assert "\\begin{quote}\nquoted {\\em text}\n\\end{quote}" in latex
    assert r"\mbox{}x\ =\ \{'a':\ 1\}\ \ \#\ \textasciitilde{}\par" in latex and r"\begin{derivecode}" in latex
    assert r"\begin{longtable}{>{\raggedright\arraybackslash}p" in latex and r"\raggedleft" in latex
    assert r"1 & x \textbar{} y \\" in latex


def test_lists_nested_deeper_than_latex_allows_are_flattened():
    markdown = "\n".join("  " * depth + "- level" for depth in range(8))
    latex = body(markdown)
    assert latex.count(r"\begin{itemize}") == 4 and latex.count(r"\begin{itemize}") == latex.count(r"\end{itemize}")


def test_markup_nested_without_end_is_read_without_exhausting_anything():
    quotes = body(">" * 5000 + " deep")
    assert quotes.count(r"\begin{quote}") == quotes.count(r"\end{quote}") == 4 and " deep\n" in quotes
    lists = body("\n".join("  " * depth + "- x" for depth in range(400)))
    assert lists.count(r"\begin{itemize}") == lists.count(r"\end{itemize}") == 4
    assert body("*a " * 20000 + "b_ " * 20000).startswith("*a *a")  # openers never closed stay text


def test_formulas_are_written_by_the_caller_where_they_stand():
    text = "A $x$ and\n\n$$y$$\n\n# About $z$"
    spans = [(2, 5, False), (11, 16, True), (26, 29, False)]
    latex = markdown_body(text, spans, lambda number, block: f"<{number}:{block}>")
    assert latex == "A <0:True> and\n\n<1:True>\n\n\\section*{About <2:False>}"


def formula(text: str, delimiter: str = "$$") -> Formula:
    return Formula(text, 0, len(text), 1, 1, 1, delimiter in ("$$", r"\[", "align*"), delimiter, len(text))


@pytest.mark.parametrize("text, delimiter, latex", [
    ("a = b", "$$", r"\[a = b\]"),
    ("a = b", "$", "$a = b$"),
    ("a &= b \\\\ c &= d", "$$", r"\begin{align*}a &= b \\ c &= d\end{align*}"),
    ("a = b \\\\ c = d", "$$", r"\begin{gather*}a = b \\ c = d\end{gather*}"),
    (r"\begin{aligned} a &= b \end{aligned}", "$$", r"\[\begin{aligned} a &= b \end{aligned}\]"),
    (r"\begin{align} a &= b \end{align}", "$$", r"\begin{align} a &= b \end{align}"),
    ("a &= b", "align*", r"\begin{align*}a &= b\end{align*}"),
    ("50% of #1", "$", r"$50\% of \#1$"),
    ("④ σ", "$", r"$\text{\textcircled{4}} \ensuremath{\sigma}$"),
])
def test_markdown_math_goes_through_as_math(text, delimiter, latex):
    assert markdown_math(formula(text, delimiter), block=True) == latex


@pytest.mark.parametrize("text, why", [
    (r"\input{/etc/passwd}", r"\textbackslash{}input is not run"),
    (r"\inp^^75t{/etc/passwd}", r"\textasciicircum{}\textasciicircum{} is not run"),
    (r"\csname input\endcsname", r"\textbackslash{}csname is not run"),
    (r"\begin{filecontents}{x.tex} y \end{filecontents}", "filecontents is not run"),
    (r"\makeatletter \@@input x", "makeatletter is not run"),
    (r"a \par b", r"\textbackslash{}par cannot stand in math"),
    (r"a = \[ b \]", "a math delimiter inside the formula cannot stand in math"),
    ("a}", "do not pair up"), (r"\left( x", "do not pair up"), (r"\begin{matrix} x", "do not pair up"),
    (r"\text{$x}", "do not pair up"),
])
def test_a_formula_that_would_run_a_file_or_stop_latex_is_shown_as_written(text, why):
    latex = markdown_math(formula(text), block=True)
    assert latex.startswith(r"\texttt{") and why in latex
    assert not re.search(r"(?<!\\)(\\\\)*\\(input|csname|makeatletter|begin)\b", latex.split("(shown")[0])


def test_macros_the_math_defines_hold_for_the_whole_document_and_cannot_loop():
    latex = annotated(r"$\newcommand{\R}{\mathbb{R}}$ $\renewcommand{\vec}[1]{\mathbf{#1}}$ and "
                      r"$\DeclareMathOperator*{\argmax}{arg\,max}$: $x \in \R^n$, $\vec{v}$." "\n\n"
                      r"$\newcommand{\x}{\x}$ $\newcommand{\pa}{\pb}$ $\newcommand{\pb}{\pa}$ "
                      r"$\newcommand{\end}{x}$ $\def\y{\y}\y$ $\newcommand{\z}{\input{f}}$ "
                      r"$\newcommand{\w}[1]{#2 # x}$" "\n")
    preamble, document = latex.split(r"\begin{document}")
    assert r"\providecommand{\R}{\mathbb{R}}" in preamble
    # defined only where the name is free: \vec keeps LaTeX's meaning, as \fi or \hbox would
    assert r"\providecommand{\vec}[1]{\mathbf{#1}}" in preamble and r"\renewcommand{" not in preamble
    assert r"{\operatorname*{arg\,max}}" in preamble and r"\providecommand{\pb}{\pa}" in preamble
    for name in ("x", "pa", "end", "z", "w"):  # itself, a macro defined after it, a protected name, a refused
        # body, a parameter it does not take
        assert rf"\providecommand{{\{name}}}" not in preamble
    assert r"$x \in \R^n$" in document and "newcommand" not in document
    assert r"\texttt{\textbackslash{}def" in document  # \def is shown as written, not run


def test_a_page_cannot_redefine_what_tex_rests_on(tmp_path):
    """$\\newcommand{\\fi}{x}$ made pdflatex stop ("Incomplete \\ifcsname"): a definition only
    defines a free name."""
    preamble = annotated(r"$\newcommand{\fi}{x}$ $\newcommand{\hbox}{y}$ $x = y$" "\n").split(r"\begin{document}")[0]
    assert r"\renewcommand{" not in preamble


def test_commands_no_package_defines_are_defined_to_show_their_name():
    latex = annotated(r"Real vectors $\R^n$ and $\dv{f}{x}$, $\begin{foo} a \end{foo}$." "\n")
    preamble = latex.split(r"\begin{document}")[0]
    assert re.search(r"\\derivefallbacks\{[^}]*\bR\b[^}]*\}", preamble) and "dv" in preamble
    assert r"\derivefallbackenvs{foo}" in preamble


# -- the marks -------------------------------------------------------------------------------------

TWO = r"""+++
problems = ["linear-layer"]
+++
# Gradients of $y = W x + b$

$$\frac{\partial J}{\partial x} = W^T \frac{\partial J}{\partial y}$$

$$\frac{\partial J}{\partial W} = x \frac{\partial J}{\partial y}^T$$

The bias: $\frac{\partial J}{\partial b} = 2 \frac{\partial J}{\partial y}$, done.
"""


def test_each_mark_follows_its_formula_and_the_summary_opens_the_body():
    latex = annotated(TWO, problems=())
    document = latex.split(r"\begin{document}", 1)[1]
    summary, rest = document.split(r"\end{longtable}}", 1)
    assert "derive annotate" in summary and "problems =" not in latex  # the front matter is the reading's
    assert r"\derivelink{derive-mark-2}{8} & \derivesymbol{derivefails}{\derivecross{}} & derivative, fails [transposed]" \
        in summary
    first, second = rest.split(r"\[\frac{\partial J}{\partial x}", 1)[1], rest.split(r"\[\frac{\partial J}{\partial W}")[1]
    assert first.split(r"\end{derivemarks}")[0].count(r"\derivecheck{}") == 1
    assert "holds for every size" in first.split(r"\end{derivemarks}")[0]
    block = second.split(r"\end{derivemarks}")[0]
    assert r"\derivecross{}" in block and "[transposed]" in block and r"correct: $\frac{\partial J}{\partial W} = " in block
    inline = rest.split(r"2 \frac{\partial J}{\partial y}$", 1)[1]
    assert inline.startswith(r"\derivesymbol{derivefails}{\derivecross{}}\footnote{\derivetarget{derive-mark-3}derive:")
    assert "[factor]" in inline.split(", done.")[0]
    heading = rest.split(r"\section*{", 1)[1].split("\n", 1)[0]
    assert r"$y = W x + b$\derivesymbol{deriveholds}{\derivecheck{}}\footnote{" in heading


LATEX = r"""\documentclass[11pt]{article}
\usepackage{amsmath,amssymb}
\usepackage{hyperref}
\title{The linear layer $y = W x + b$}
\author{A. Student}
\begin{document}
\maketitle
\section{Gradients where $y = W x + b$}
% a comment: $x = y$ is no formula
For the layer $y = W x + b$ the weights' gradient is
\[
  \frac{\partial J}{\partial W} = x \frac{\partial J}{\partial y}^T
\].
which uses the chain rule. The input's gradient:
\begin{align}
  \frac{\partial J}{\partial x_i} &= \sum_{r} \frac{\partial J}{\partial y_r} W_{r,i} \\
  &= \sum_{r} \frac{\partial J}{\partial y_r} W_{i,r}
\end{align}
\textbf{and the bias: $\frac{\partial J}{\partial b} = 2 \frac{\partial J}{\partial y}$, for $y = W x + b$.}

\begin{tabular}{ll}
bias & $\frac{\partial J}{\partial b} = \frac{\partial J}{\partial y}$ \\
shape & $\frac{\partial J}{\partial W} \in \mathbb{R}^{m \times d}$ \\
\end{tabular}

Verbatim: \verb|$x = y$| and 50\% of it costs \$5.
\begin{verbatim}
$$ y = 1 $$
\end{verbatim}
\end{document}
"""


def test_a_latex_document_is_kept_with_the_marks_put_in():
    latex = annotated(LATEX, kind=document_kind("answer.tex", LATEX))
    characters = iter(latex)
    assert all(char in characters for char in LATEX)  # the document, in order: only text is put in
    preamble, document = latex.split(r"\begin{document}")
    assert r"\usepackage{xcolor}" in preamble and r"\newcommand{\derivecheck}" in preamble
    assert document.startswith("\n\\maketitle\n\\par\\noindent{\\small\\textbf{derive annotate}")
    assert re.search(r"\\section\{Gradients where \$y = W x \+ b\$\}\\derivesymbol\{deriveholds\}", document)
    assert "\\].\n\\begin{derivemarks}\n\\derivesymbol{derivefails}" in document  # after the full stop
    assert "\\end{derivemarks}\n\\noindent \nwhich uses" in document
    align = document.split(r"\end{align}", 1)[1].split(r"\end{derivemarks}")[0]
    assert align.count(r"\derivesymbol{deriveholds}") == 1 and "misplaced-transpose" in align
    after_group = document.split("W x + b$.}", 1)[1]  # both marks after the group, in the formulas' order
    assert after_group.startswith(r"\derivesymbol{derivefails}{\derivecross{}}\footnote{")
    assert after_group.split("\n")[0].index("[factor]") < after_group.index(r"\derivesymbol{deriveholds}")
    assert r"\frac{\partial J}{\partial y}$\derivesymbol{deriveholds}{\derivecheck{}}\footnote{" in document  # table
    assert r"\verb|$x = y$| and" in document and "$$ y = 1 $$\n\\end{verbatim}" in document


def test_a_latex_body_without_a_preamble_gets_one():
    body_only = LATEX.split("\\maketitle\n")[1].split(r"\end{document}")[0]
    latex = annotated(body_only, kind="latex")
    assert latex.startswith(r"\documentclass") and latex.count(r"\begin{document}") == 1


def test_a_two_column_document_gets_its_summary_as_a_list():
    latex = annotated(LATEX.replace("[11pt]", "[twocolumn]"), kind="latex")
    assert "longtable" not in latex and r"\par\noindent{\small line \derivelink{" in latex


# -- the command -----------------------------------------------------------------------------------

def test_the_command_writes_latex_for_a_tex_output(tmp_path):
    source = tmp_path / "answer.md"
    source.write_text(TWO, encoding="utf-8")
    run = subprocess.run([sys.executable, str(ROOT / "cli.py"), "annotate", str(source), "-o", str(tmp_path / "a.tex")],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 1, run.stderr  # a line fails
    assert (tmp_path / "a.tex").read_text(encoding="utf-8").startswith(r"\documentclass")
    refused = subprocess.run([sys.executable, str(ROOT / "cli.py"), "annotate", str(source), "-o",
                              str(tmp_path / "a.pdf")], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert refused.returncode == 2 and "Markdown (.md) or LaTeX (.tex)" in refused.stderr


# -- compiled --------------------------------------------------------------------------------------

@cache
def seed_latex(number: str) -> str:
    path = next(SEEDS.glob(f"{number}_*.txt"))
    document = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    reading = str(ROOT / "problems" / "readings" / f"seed{number}.toml")
    return annotated(document, document_kind(path.name, document), problems=(), reading=reading)


@needs_pdflatex
@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not here")
@pytest.mark.parametrize("number", ["000", "001", "002", "003", "004"])
def test_the_annotated_latex_of_each_seed_compiles(number, tmp_path):
    latex = seed_latex(number)
    assert r"\begin{derivemarks}" in latex and "shown as written" not in latex
    compile_tex(tmp_path, latex, f"seed{number}")


@needs_pdflatex
def test_an_annotated_latex_derivation_with_a_wrong_step_compiles(tmp_path):
    latex = annotated(LATEX, kind="latex")
    assert r"\derivecross{}" in latex
    compile_tex(tmp_path, latex)


HOSTILE = r"""# Heading $y = W x + b$, *emphasis* & 100% _under_score #tag ✓ ✗ ↳ ⤳
A paragraph: **strong**, ***both***, `code {x} \specials $x$ % # ~ ^`, \* star, AT&T &amp; <b>html</b>,
[a link](https://example.com/a_b?x=1&y=2#frag%20), <https://example.org/~user/>, [js](javascript:alert(1)),
[a link with a claim $y = W x + b$](https://x.org), *emphasis with a claim $y = W x + b$*,
![an image](pic.png). Unicode: · – — ⊙ ⊗ × ∂ σ ᵀ … ① ⑳ ℝ 😀 ƀ ð ǅ ᵢ ⁵ 𝐖 ∀ ⟨x⟩ “q” « » ¿¡ ß æ ø <RLO> <PUA>.<HARD>
Hard break; a backslash break\
here.

$$\frac{\partial J}{\partial W} = x \frac{\partial J}{\partial y}^T$$

* item with $\frac{\partial J}{\partial b} = \frac{\partial J}{\partial y}$
  - nested
    1. deep
       - deeper
         - deepest
           - too deep ⊙

> quote $x$ and
lazy line
> > nested quote $$\frac{\partial J}{\partial x} = W^T \frac{\partial J}{\partial y}$$

| a | b $x$ | c |
|:--|:-:|--:|
| 1 | $\frac{\partial J}{\partial b} = \frac{\partial J}{\partial y}$ | x \| y |
| ✓ | $$\frac{\partial J}{\partial W} = x \frac{\partial J}{\partial y}^T$$ |

```
def f(x):   # \end{verbatim} $x$ ✓ 😀
	return {"a": x ^ 2}  % ~
```

Math: $\R^n$, $\input{/etc/passwd}$, $\inp^^75t{x}$, $a}$, $\left( x$, $a & b$, $x \# 50% σ ④$,
$\begin{input}x\end{input}$, $\immediate\write18{touch pwned}$, $\newcommand{\x}{\x}\x$, $\def\y{\y}\y$,
$\newcommand{\vec}[1]{\mathbf{#1}}\vec{v}$, $\newcommand{\pa}{\pb}$ $\newcommand{\pb}{\pa}$ $\pa \pb$.

$$a & b \\ c & d$$

$$a \\ b \tag{1}$$

*emphasis with a display $$\frac{\partial J}{\partial W} = x \frac{\partial J}{\partial y}^T$$ inside*

Unclosed $$ here
""".replace("<HARD>", "  ").replace("<RLO>", "\u202e").replace("<PUA>", "\ue0000\ue001 \ue007")


@needs_pdflatex
def test_any_markdown_compiles_and_runs_nothing(tmp_path):
    latex = annotated(HOSTILE)
    assert r"\newline" in latex and r"\deriveunknown{FFFD}" in latex and r"\deriveunknown{202E}" in latex
    run = compile_tex(tmp_path, latex)
    assert not (tmp_path / "pwned").exists() and "root:" not in run.stdout
