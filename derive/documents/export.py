"""A problem and its verdicts as a document: Markdown (``$$`` math) or a standalone LaTeX file.

The document reads like an answer sheet: the problem (variables, shapes, what is left
arbitrary), the forward computation, then each claim as written, its verdict and the evidence
for it, and for a wrong claim the entry where it fails (true and claimed values), the diagnosis
and the correct statement. Formulas come from ``latex_out``; prose is escaped for each format
(``tex_text`` for LaTeX, ``md_text`` for Markdown), so no text of a problem file reaches the
document as markup. Names print by ``latex_out.default_name`` or by the problem's ``[latex]``
spelling, used only when it passes ``problem_schema.latex_spelling_error`` (loading checks it too).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from ..errors import DeriveError
from ..language import ast
from ..language.latex_names import TEX_SPECIAL, default_name, tex_escape
from ..language.latex_out import packages, to_latex, to_latex_aligned
from ..language.shapes import ONE
from ..language.text import to_text
from ..oracles.index import Step
from ..problem.definition import Problem
from ..problem.schema import latex_spelling_error
from ..verdict.evidence import ClaimVerdict
from .safe_text import md_code, md_inline

_UNICODE_MATH = {"⊗": r"\otimes", "ᵀ": r"^{\top}", "⁻¹": r"^{-1}", "⁻": "^{-}", "⊙": r"\odot", "∘": r"\circ",
                 "⊘": r"\oslash", "×": r"\times", "≠": r"\neq", "≈": r"\approx", "≤": r"\leq", "≥": r"\geq",
                 "√": r"\surd", "∂": r"\partial", "·": r"\cdot", "‖": r"\|", "′": "'", "″": "''",
                 "→": r"\to", "←": r"\leftarrow", "⇒": r"\Rightarrow", "∈": r"\in", "∑": r"\sum",
                 "−": "-", "ℓ": r"\ell", "∞": r"\infty", "∇": r"\nabla", "⁰": "^{0}", "¹": "^{1}",
                 "²": "^{2}", "³": "^{3}", "⁴": "^{4}", "ⁿ": "^{n}", "₀": "_{0}", "₁": "_{1}", "₂": "_{2}"}
_GREEK = re.compile(r"GREEK (SMALL|CAPITAL) LETTER (\w+(?: SIGMA)?)")
_VARIANTS = {"epsilon": "varepsilon", "lamda": "lambda", "final sigma": "varsigma"}
_GREEK_COMMANDS = {"alpha", "beta", "gamma", "delta", "varepsilon", "zeta", "eta", "theta", "iota", "kappa",
                   "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "varsigma", "tau", "upsilon",
                   "phi", "chi", "psi", "omega"}
# capitals that LaTeX writes as the Latin letters they look like
_LATIN_CAPITALS = {"alpha": "A", "beta": "B", "varepsilon": "E", "zeta": "Z", "eta": "H", "iota": "I",
                   "kappa": "K", "mu": "M", "nu": "N", "omicron": "O", "rho": "P", "tau": "T", "chi": "X"}
# Below U+0180 pdflatex's utf8 input with T1 fonts sets every printable character but these; of
# Latin Extended-B (U+0180-U+024F) only these ranges (TeX Live 2022: each character from U+00A0
# to U+024F compiled once); beyond, none is text
_NOT_IN_T1 = frozenset(map(chr, (0x126, 0x127, 0x138, 0x13F, 0x140, 0x149, 0x166, 0x167, 0x17F)))
_T1_EXTENDED_B = frozenset(chr(code) for first, last in (
    (0x192, 0x192), (0x1C4, 0x1D4), (0x1E2, 0x1E3), (0x1E6, 0x1EB), (0x1F0, 0x1F0), (0x1F4, 0x1F5),
    (0x218, 0x21B), (0x232, 0x233), (0x237, 0x237)) for code in range(first, last + 1))


def _in_text_fonts(char: str) -> bool:
    """Whether pdflatex sets ``char`` as text (Latin letters with accents, dashes, quotes)."""
    if ord(char) < 0x180:
        return char not in _NOT_IN_T1
    return char in _T1_EXTENDED_B or char in "–—‘’“”"


def _unicode(char: str) -> str:
    """A character outside the text fonts, as LaTeX: a math symbol, a Greek letter, or its
    compatibility form (① → 1); '?' as a last resort, so that the document still compiles."""
    if char in _UNICODE_MATH:
        return f"${_UNICODE_MATH[char]}$"
    match = _GREEK.match(unicodedata.name(char, ""))
    if match and _VARIANTS.get(match.group(2).lower(), match.group(2).lower()) in _GREEK_COMMANDS:
        letter = match.group(2).lower()
        letter = _VARIANTS.get(letter, letter)
        if match.group(1) == "CAPITAL":
            return _LATIN_CAPITALS.get(letter) or f"$\\{letter.capitalize()}$"
        return "o" if letter == "omicron" else f"$\\{letter}$"
    folded = unicodedata.normalize("NFKC", char)
    if folded != char and all(ord(c) < 128 for c in folded):
        return folded
    # a letter with accents the fonts lack (ǘ, ȁ): its letter without them
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if bare and bare != char and all(ord(c) < 128 for c in bare):
        return bare
    return "?"


def tex_text(text: str) -> str:
    """Prose for LaTeX: special characters escaped, symbols outside the text fonts as math."""
    out = []
    text = text.replace("⁻¹", "\x00")
    for char in text:
        if char == "\x00":
            out.append("$^{-1}$")
        elif char in TEX_SPECIAL:
            out.append(TEX_SPECIAL[char])
        elif not (char.isprintable() or char in "\n\t"):
            out.append("?")  # a control character: TeX would stop at it
        elif _in_text_fonts(char):
            out.append(char)
        else:
            out.append(_unicode(char))
    return "".join(out)


def md_text(text: str) -> str:
    """Prose for Markdown: each line shown literally (``safe_text.md_inline``: punctuation that
    Markdown, HTML or a $ math renderer would read is escaped), paragraphs kept."""
    return "\n".join(md_inline(line.strip()) if line.strip() else "" for line in text.splitlines())


def latex_names(problem: Problem | None) -> dict[str, str]:
    """The printer's spelling of each name the problem's ``[latex]`` table spells (the first
    spelling of a name), where the spelling is safe LaTeX."""
    if problem is None:
        return {}
    names: dict[str, str] = {}
    for spelling, name in problem.latex_names.items():
        if name not in names and latex_spelling_error(spelling) is None:
            names[name] = spelling
    return names


def _name(problem: Problem, name: str) -> str:
    return latex_names(problem).get(name) or default_name(name)


def _shape_tex(problem: Problem, name: str) -> str:
    rows, cols = problem.shapes[name]
    if (rows, cols) == (ONE, ONE):
        return r"\mathbb{R}"
    def dim(d):
        return " ".join(_name(problem, str(f)) for f in str(d).split("*"))
    return rf"\mathbb{{R}}^{{{dim(rows)}}}" if cols == ONE else rf"\mathbb{{R}}^{{{dim(rows)} \times {dim(cols)}}}"


def chain_math(problem: Problem | None, chain: ast.Chain, aligned: bool = True) -> str | None:
    """A claim's tree (or one expression's, a chain of one side) as LaTeX, with the problem's
    shapes for the notation; None when its names and shapes do not fit the problem or it has no
    LaTeX (the caller then shows its text)."""
    try:
        scope = problem.claim_scope(chain) if problem is not None else None
    except DeriveError:
        return None
    return _chain_latex(chain, scope, latex_names(problem), aligned=aligned)


def _chain_latex(chain: ast.Chain, scope, names: dict, aligned: bool = False) -> str | None:
    """A read chain as LaTeX (aligned rows for three sides or more); None where it has no LaTeX."""
    try:
        if aligned and len(chain.sides) > 2:
            return to_latex_aligned(chain, names, scope=scope)
        return to_latex(chain, names, scope=scope)
    except DeriveError:
        return None


class _Writer:
    """The parts of the document, in one format."""

    def __init__(self, tex: bool):
        self.tex = tex
        self.lines: list[str] = []

    def heading(self, text: str, level: int = 1):
        text = " ".join(text.split())  # a heading is one line
        if self.tex:
            command = ["section*", "subsection*", "paragraph*"][level - 1]
            self.lines.append(f"\\{command}{{{tex_text(text)}}}")
        else:
            self.lines.append(f"{'#' * (level + 1)} {md_inline(text)}\n")

    def text(self, text: str):
        self.lines.append((tex_text(text) if self.tex else md_text(text)) + "\n")

    def display(self, math: str, aligned: bool = False):
        if self.tex:
            body = f"\\begin{{aligned}}\n{math}\n\\end{{aligned}}" if aligned else math
            self.lines.append(f"\\[\n{body}\n\\]")
        else:
            body = f"\\begin{{aligned}}\n{math}\n\\end{{aligned}}" if aligned else math
            self.lines.append(f"$$\n{body}\n$$\n")

    def inline(self, math: str) -> str:
        return f"${math}$"

    def code(self, text: str) -> str:
        return f"\\texttt{{{tex_text(text)}}}" if self.tex else md_code(text)

    def item_list(self, items: list[str]):
        if self.tex:
            self.lines.append("\\begin{itemize}")
            self.lines.extend(f"  \\item {item}" for item in items)
            self.lines.append("\\end{itemize}")
        else:
            self.lines.extend(f"- {item}" for item in items)
            self.lines.append("")


def _problem_part(out: _Writer, problem: Problem) -> None:
    out.heading(problem.title)
    if problem.source:
        out.text(f"Source: {problem.source}.")
    items = []
    for name, variable in problem.variables.items():
        constraints = f" ({', '.join(sorted(variable.constraints))})" if variable.constraints else ""
        math = out.inline(f"{_name(problem, name)} \\in {_shape_tex(problem, name)}")
        items.append(math + (tex_text(constraints) if out.tex else constraints))
    for loss, deps in problem.arbitrary.items():
        listed = ", ".join(_name(problem, d) for d in deps)
        items.append(f"{out.inline(_name(problem, loss))}: a scalar function of {out.inline(listed)}, left arbitrary")
    for name in problem.activations:
        items.append(f"{out.inline(_name(problem, name))}: an elementwise activation, left undefined")
    out.item_list(items)
    if problem.definitions:
        scope = problem.scope()
        names = latex_names(problem)
        rows = [f"{_name(problem, name)} &= {to_latex(expr, names, scope=scope)}" for name, expr in problem.definitions]
        out.text("The forward computation:")
        out.display(r" \\".join(rows), aligned=True)
    if problem.layout != "numerator" or any("d" in c.text for c in problem.claims):
        out.text(f"Jacobians use the {problem.layout} layout; the derivative of a scalar has the shape of "
                 "the variable.")


def _claim_part(out: _Writer, problem: Problem, number: int, verdict: ClaimVerdict) -> None:
    out.heading(f"Claim {number}" + (f" ({verdict.source})" if verdict.source else ""), level=2)
    math = chain_math(problem, verdict.chain) if verdict.chain is not None else None
    if math is None:
        out.text(f"{verdict.claim}")
    else:
        out.display(math, aligned="&=" in math)
    status = {"holds": "Holds", "fails": "Fails", "undecided": "Undecided", "error": "Error"}[verdict.verdict]
    if verdict.error:
        out.text(f"{status}: {verdict.error}")
        return
    out.text(f"{status}. Evidence: {verdict.evidence_summary()}.")
    if verdict.verdict == "holds" and verdict.generic:
        if any(link.steps for link in verdict.links):
            _derivation(out, problem, verdict)
        else:  # a shape statement: the shape rules decide it, no index derivation
            out.text("; ".join(why for link in verdict.links for _, why in link.derivation) + ".")
    if verdict.verdict != "fails":
        return
    link = verdict.links[verdict.broken_link]
    if len(verdict.links) > 1:
        step = chain_math(problem, ast.Chain(link.sides), aligned=False) if link.sides else None
        out.text(f"The chain breaks at step {verdict.broken_link + 1}:")
        if step:
            out.display(step)
        else:
            out.text(f"{link.left} = {link.right}")
    if link.difference is not None:
        d = link.difference
        sizes = ", ".join(f"{k}={v}" for k, v in d.sizes.items())
        out.text(f"At {d.entry} (sizes {sizes}, at a random point) the true value is {_number(d.true)} and the "
                 f"claim gives {_number(d.claimed)}.")
    elif link.reason:
        out.text(link.reason)
    if link.diagnosis:
        out.text(f"Diagnosis ({link.diagnosis.code}): {link.diagnosis.message}.")
    correct = verdict.correct
    if correct:
        math = chain_math(problem, verdict.correct_chain) if verdict.correct_chain is not None else None
        out.text("The correct statement:")
        if math:
            out.display(math, aligned="&=" in math)
        else:
            out.text(correct)


def _derivation(out: _Writer, problem: Problem, verdict: ClaimVerdict) -> None:
    """The index-notation argument that proves each link for every size: the steps as one display
    (for a gradient, the chain of equalities from its entry to the matrix form), each numbered,
    with its justification below, and the conclusion."""
    out.text("For every size, in index notation:")
    for link in verdict.links:
        steps = [(_step_lines(problem, step.chain), step.justification, step.reasons) for step in link.steps]
        if not steps:
            continue
        conclusion = steps.pop() if len(steps) > 2 and steps[0][1].startswith("the entries") else None
        rows = []
        if conclusion:
            (first, _, _), *steps = steps
            for k, (lines, _, _) in enumerate(steps, 1):
                lead = f"{' '.join(first)} &= " if k == 1 else "&= "
                rows += _tagged(lead, lines, k)
        else:
            for k, (lines, _, _) in enumerate(steps, 1):
                rows += _tagged("&", lines, k)
        out.display(r" \\ ".join(rows), aligned=True)
        out.item_list([f"({k}) {_justification(out, problem, reasons)}"
                       for k, (_, _, reasons) in enumerate(steps, 1)])
        if conclusion:
            out.text(f"Hence, {conclusion[1]}:")
            out.display(" ".join(conclusion[0]))


LINE_WIDTH = 55  # characters of a formula's visible text that fit beside a step's number


def _tagged(lead: str, lines: list[str], number: int) -> list[str]:
    """A step's rows: the first with its number, the rest of a long sum indented below it."""
    return [rf"{lead}{lines[0]} && \text{{({number})}}"] + [rf"&\qquad {line}" for line in lines[1:]]


def _step_lines(problem: Problem, chain: ast.Chain) -> list[str]:
    """A step's formula as LaTeX, a long sum broken before its + and - signs; a step without
    LaTeX is shown as its text, never left out."""
    try:
        scope = problem.claim_scope(chain) if problem is not None else None
    except DeriveError:
        scope = None
    names = latex_names(problem)
    math = _chain_latex(chain, scope, names)
    if math is None:
        return [_as_text(chain)]
    if _width(math) <= LINE_WIDTH:
        return [math]
    *head, last = chain.sides
    terms = _summands(last)
    if len(terms) < 2:
        return [math]
    lines = ["".join(to_latex(side, names, scope=scope) + " = " for side in head)]
    for k, (sign, term) in enumerate(terms):
        piece = to_latex(term, names, scope=scope)
        piece = f"{sign} {piece}" if k or sign == "-" else piece
        if k and _width(lines[-1]) + _width(piece) > LINE_WIDTH:
            lines.append(piece)
        else:
            lines[-1] = f"{lines[-1]} {piece}".strip()
    return lines


def _as_text(chain: ast.Chain) -> str:
    """A formula with no LaTeX, as its claim text inside math."""
    return r"\texttt{" + tex_escape(to_text(chain)) + "}"


def _summands(node: ast.Node) -> list[tuple[str, ast.Node]]:
    """The terms of a sum with their signs: a - b + c → [(+, a), (-, b), (+, c)]."""
    if isinstance(node, ast.Binary) and node.op in "+-":
        right = _summands(node.right)
        if node.op == "-" and len(right) == 1:
            right = [("-" if sign == "+" else "+", term) for sign, term in right]
        elif node.op == "-":
            right = [("-", node.right)]
        return _summands(node.left) + right
    if isinstance(node, ast.Neg):
        return [("-", node.operand)]
    return [("+", node)]


def _width(latex: str) -> int:
    """Roughly how many characters wide a formula prints: its text without commands and braces."""
    return len(re.sub(r"\\(?:left|right|[a-zA-Z]+)|[{}_^\s]", "", latex))


def _justification(out: _Writer, problem: Problem, reasons: tuple[str, tuple]) -> str:
    """A step's justification, ``Step.reasons``: its head, then each rule it cites as inline math
    (with the problem's notation, or without it for a rule about placeholders u, A, B) or prose."""
    head, parts = reasons
    pieces = []
    for part in parts:
        math = (chain_math(problem, part, aligned=False) or chain_math(None, part, aligned=False)
                if isinstance(part, ast.Chain) else None)
        text = part if isinstance(part, str) else to_text(part)
        pieces.append(out.inline(math) if math else (tex_text(text) if out.tex else md_inline(text)))
    lead = (tex_text(head) if out.tex else md_inline(head)) + ": " if head else ""
    return lead + "; ".join(pieces)


def _number(value) -> str:
    if isinstance(value, complex):
        return f"{value.real:.6g} + {value.imag:.6g}i"
    return f"{value:.6g}"


def verdict_markdown(verdict: ClaimVerdict, problem: Problem | None = None, number: int = 1) -> str:
    """One claim's part of the document, as Markdown (a notebook's display of a verdict); without
    the problem, formulas use the notation that needs no shapes."""
    out = _Writer(tex=False)
    _claim_part(out, problem, number, verdict)
    return "\n".join(out.lines) + "\n"


def steps_latex(steps: Iterable[Step], problem: Problem | None = None) -> str:
    """Derivation steps (``Step``: a chain and its justification) as one display:
    ``$$\\begin{aligned} … \\end{aligned}$$``, a row a step (a step without LaTeX as its text)."""
    rows = []
    for step in steps:
        math = chain_math(problem, step.chain, aligned=False) or _as_text(step.chain)
        rows.append(rf"&{math} && \text{{{tex_text(step.reasons[0] or step.justification)}}}")
    return "$$\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}$$"


def export(problem: Problem, verdicts: list[ClaimVerdict], fmt: str = "md") -> str:
    """The document for one problem, in ``fmt`` "md" (Markdown with $$ math) or "tex" (standalone)."""
    out = _Writer(tex=fmt == "tex")
    _problem_part(out, problem)
    if problem.notes:
        out.text(problem.notes)
    for number, verdict in enumerate(verdicts, 1):
        _claim_part(out, problem, number, verdict)
    body = "\n".join(out.lines)
    if fmt != "tex":
        return body + "\n"
    needed = sorted(set(["amsmath", "amssymb"] + packages(body)))
    return "\n".join([
        r"\documentclass[11pt]{article}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage[margin=2.2cm]{geometry}",
        *[rf"\usepackage{{{p}}}" for p in needed],
        r"\allowdisplaybreaks",
        r"\setlength{\parindent}{0pt}",
        r"\setlength{\parskip}{0.5em}",
        r"\begin{document}",
        body,
        r"\end{document}",
        "",
    ])
