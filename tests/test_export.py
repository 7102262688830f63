"""derive export: every catalog problem as Markdown and as a LaTeX document that compiles."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

from derive.documents.export import export, tex_text
from derive.errors import DeriveError
from derive.language.text import to_text
from derive.problem.definition import load_problem
from derive.verdict.check import check_problem

PATHS = sorted((Path(__file__).resolve().parent.parent / "problems").glob("*.toml"))
PDFLATEX = shutil.which("pdflatex")


@cache
def _checked(path: Path):
    problem = load_problem(path)
    return problem, check_problem(problem)


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_markdown_export_shows_every_claim_and_its_verdict(path):
    problem, verdicts = _checked(path)
    document = export(problem, verdicts, "md")
    assert document.count("### Claim ") == len(problem.claims)
    assert document.count("$$") % 2 == 0
    for verdict in verdicts:
        assert {"holds": "Holds.", "fails": "Fails.", "undecided": "Undecided."}[verdict.verdict] in document


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed (.ci/run installs TeX Live)")
@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_latex_export_compiles(path, tmp_path):
    problem, verdicts = _checked(path)
    source = tmp_path / f"{problem.id}.tex"
    source.write_text(export(problem, verdicts, "tex"), encoding="utf-8")
    run = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", source.name],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    errors = [line for line in run.stdout.splitlines() if line.startswith("!")]
    assert run.returncode == 0 and not errors, errors or run.stdout[-2000:]
    assert (tmp_path / f"{problem.id}.pdf").stat().st_size > 0


@pytest.mark.parametrize("text, tex", [
    ("a_b & 50%", r"a\_b \& 50\%"),
    ("Wᵀ ⊗ x", r"W$^{\top}$ $\otimes$ x"),
    ("σ'(z)", r"$\sigma$'(z)"),
])
def test_prose_is_escaped_for_latex(text, tex):
    assert tex_text(text) == tex


@pytest.mark.parametrize("text, tex", [
    ("Łódź, Ș", "Łódź, Ș"),  # in the T1 fonts: as written
    ("ǘ ȁ ſ", "u a s"),  # accents the fonts lack: the letter without them
    ("ħ ƀ", "? ?"),  # no letter to fall back on
])
def test_latin_letters_outside_the_text_fonts_fall_back_to_what_compiles(text, tex):
    assert tex_text(text) == tex


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed (.ci/run installs TeX Live)")
def test_any_character_of_prose_compiles(tmp_path):
    text = "".join(chr(code) for code in range(0xA0, 0x3000) if chr(code).isprintable())
    source = tmp_path / "prose.tex"
    source.write_text("\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage[T1]{fontenc}\n"
                      "\\usepackage{amssymb}\n\\begin{document}\n" + tex_text(text) + "\n\\end{document}\n",
                      encoding="utf-8")
    run = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", source.name],
                         cwd=tmp_path, capture_output=True, text=True, errors="replace", timeout=120)
    errors = [line for line in run.stdout.splitlines() if line.startswith("!")]
    assert run.returncode == 0 and not errors, errors or run.stdout[-2000:]


def test_a_proved_gradient_is_written_as_the_answer_sheet_argument():
    path = next(p for p in PATHS if p.stem == "seed001-batched-linear")
    problem, verdicts = _checked(path)
    document = export(problem, verdicts, "tex")
    claim = next(k for k, v in enumerate(verdicts) if v.claim == "dL/dW = dL/dY.T @ X")
    part = document.split(r"\subsection*")[claim + 1]
    for words in ("chain rule through Y", "contract 2 Kronecker", "back to matrix form", "Hence"):
        assert words in part
    assert r"\left(\left(\frac{\partial L}{\partial Y}\right)^{\top} X\right)_{ij}" in part


def test_a_notebook_shows_verdicts_and_derivations_as_math():
    from derive.documents.export import steps_latex
    from derive.documents.notebook import verdict_view
    from derive.oracles.index import derive_gradient, prove

    path = next(p for p in PATHS if p.stem == "linear-layer")
    problem, verdicts = _checked(path)
    markdown = verdict_view(verdicts[0])
    assert markdown.startswith("### Claim 1") and "$$" in markdown and "Holds." in markdown
    # the index engine's derivations and proofs know nothing of documents: the export writes their steps
    latex = steps_latex(derive_gradient(problem, "J", "W").steps, problem)
    assert latex.startswith("$$\\begin{aligned}") and r"\delta_{ki}" in latex
    proof = prove(problem, "dJ/dW = dJ/dy @ x.T")
    steps = [s for link in proof.links for s in link.steps]
    assert r"\frac{\partial J}{\partial W_{ij}}" in steps_latex(steps, problem)


def test_a_derivation_step_without_latex_is_shown_as_its_text_not_dropped(monkeypatch):
    import derive.documents.export as export_module

    path = next(p for p in PATHS if p.stem == "linear-layer")
    problem, verdicts = _checked(path)
    proved = next(v for v in verdicts if v.verdict == "holds" and v.generic)
    steps = [step.chain for link in proved.links for step in link.steps]
    missing = steps[1]  # a step whose LaTeX fails, as a printer defect would
    real = export_module.to_latex

    def failing(node, *args, **kwargs):
        if node == missing or node in missing.sides:
            raise DeriveError("no LaTeX for this step")
        return real(node, *args, **kwargs)

    monkeypatch.setattr(export_module, "to_latex", failing)
    monkeypatch.setattr(export_module, "to_latex_aligned", lambda node, *a, **k: failing(node) and "")
    document = export_module.export(problem, [proved], "md")
    assert r"\texttt{" + export_module.tex_escape(to_text(missing)) + "}" in document
