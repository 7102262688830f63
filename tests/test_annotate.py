"""derive annotate: a worked solution read formula by formula, each statement classified and
each claim and chain link marked (derive/documents/annotate.py, segments.py, readings.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from derive.documents.annotate import (
    DERIVATIVE,
    EXPRESSION,
    FAILS,
    FOLLOWS,
    FORWARD,
    HOLDS,
    JUMP,
    MENTION,
    NOTATION,
    SHAPE,
    SKIPPED,
    STEP,
    UNREAD,
    Annotator,
)
from derive.documents.annotated import render_markdown
from derive.documents.readings import load_reading
from derive.documents.segments import segments
from derive.errors import ProblemError

ROOT = Path(__file__).resolve().parents[1]
SEEDS = next((p for p in (ROOT.parent / "shared" / "seeds", Path("/work/shared/seeds")) if p.is_dir()),
             Path("/nonexistent/seeds"))
LINEAR = ROOT / "problems" / "linear-layer.toml"


def marks_of(document: str, problems=("linear-layer",), reading: str | None = None):
    annotation = Annotator(load_reading(document, problems, reading)).annotate(document, "markdown")
    return annotation, [(m.line, m.kind, m.status) for m in annotation.all_marks()]


# -- statements of a formula -----------------------------------------------------------------------

@pytest.mark.parametrize("formula, expected", [
    (r"a = b \Rightarrow c = d", ["a = b", "c = d"]),
    (r"\rightarrow a_2 = \sigma(z_2) \Rightarrow \frac{da_2}{dz_2} = \sigma'(z_2)",
     ["a_2 = \\sigma(z_2)", "\\frac{da_2}{dz_2} = \\sigma'(z_2)"]),
    (r"z_0 = w_0 x_0 + b_0 \quad \text{--- (3)}", ["z_0 = w_0 x_0 + b_0"]),
    (r"\text{Error: } L = (y - q)^2", ["L = (y - q)^2"]),
    (r"\boxed{x = y \quad \text{or} \quad u = v}", ["x = y", "u = v"]),
    (r"\underbrace{A}_{m \times n} \underbrace{B}_{n \times 1} = C", ["A  B  = C"]),
    (r"a \stackrel{?}{=} b", ["a = b"]),
    (r"x_n = \sigma(z_n) \quad \text{where } x_n: \text{column vector of size } m_n", ["x_n = \\sigma(z_n)"]),
    (r"a = b, \quad c = d.", ["a = b", "c = d"]),
    (r"f(x_1, x_2) = \sum_{m,n} W_{m,n}", ["f(x_1, x_2) = \\sum_{m,n} W_{m,n}"]),
    (r"\frac{\partial L}{\partial b_i}, \frac{\partial L}{\partial w_j} \quad \forall i, j",
     ["\\frac{\\partial L}{\\partial b_i}", "\\frac{\\partial L}{\\partial w_j}"]),
    ("④ a_0 = \\sigma(z_0)", ["a_0 = \\sigma(z_0)"]),
    (r"\underbrace{A}_{m \times 1} \quad \underbrace{B}_{1 \times n} = C", ["A  B  = C"]),  # one product
    (r"x = y \rightarrow \text{well defined } \checkmark", ["x = y"]),
    (r"\delta_{ij} = \begin{cases} 1 & i = j \\ 0 & \text{else} \end{cases}",
     [r"\delta_{ij} = \begin{cases} 1 & i = j \\ 0 & \text{else} \end{cases}"]),
])
def test_a_formula_is_cut_into_its_statements(formula, expected):
    assert [" ".join(s.text.split()) for s in segments(formula)] == [" ".join(e.split()) for e in expected]


def test_lines_of_an_aligned_chain_continue_it_and_keep_their_place():
    formula = r"\begin{split} A &= B \\ &= C.\\ &= D \end{split}"
    found = segments(formula)
    assert [(s.text.replace(" ", ""), s.continues) for s in found] == [("A=B", False), ("=C", True), ("=D", True)]
    assert all(formula[s.start:s.end].replace("&", "").replace(" ", "") == s.text.replace(" ", "") for s in found)


# -- marks -----------------------------------------------------------------------------------------

RIGHT = r"""# A right derivation
For $y = W x + b$:

$$\frac{\partial J}{\partial W_{ij}} = \sum_r \frac{\partial J}{\partial y_r} \frac{\partial y_r}{\partial W_{ij}}$$

$$= \frac{\partial J}{\partial y_i} x_j$$

$$\frac{\partial J}{\partial W} = \frac{\partial J}{\partial y} x^T \quad \text{and} \quad
\frac{\partial J}{\partial x} = W^T \frac{\partial J}{\partial y}$$

$$\frac{\partial J}{\partial W} \in \mathbb{R}^{m \times d}$$
"""


def test_a_right_derivation_holds_line_by_line():
    annotation, marks = marks_of(RIGHT)
    assert marks == [(2, FORWARD, HOLDS), (4, DERIVATIVE, HOLDS), (6, STEP, HOLDS), (8, DERIVATIVE, HOLDS),
                     (9, DERIVATIVE, HOLDS), (11, SHAPE, HOLDS)]
    assert not annotation.failed


EARLY = r"""$$\frac{\partial J}{\partial W} = x \frac{\partial J}{\partial y}^T$$

$$\frac{\partial J}{\partial x} = W^T \frac{\partial J}{\partial y}$$
"""


def test_a_wrong_first_step_is_flagged_with_its_diagnosis_and_correction():
    annotation, marks = marks_of(EARLY)
    assert marks == [(1, DERIVATIVE, FAILS), (3, DERIVATIVE, HOLDS)]
    wrong = annotation.all_marks()[0]
    assert wrong.diagnosis == "transposed"
    assert wrong.correction.startswith(r"\frac{\partial J}{\partial W} = ") and r"^{\top}" in wrong.correction


CHAIN = r"""$$\begin{aligned} \frac{\partial J}{\partial x_i} &= \sum_r \frac{\partial J}{\partial y_r} W_{r,i} \\
&= \sum_r \frac{\partial J}{\partial y_r} W_{i,r} \\
&= 2 \sum_r \frac{\partial J}{\partial y_r} W_{i,r} \\
&= \sum_r \frac{\partial J}{\partial y_r} W_{r,i} \end{aligned}$$
"""


def test_a_chain_marks_its_first_wrong_link_then_what_follows_and_a_jump():
    _, marks = marks_of(CHAIN.replace(r"\sum_r", r"\sum_{r}"), problems=("linear-layer",))
    # W_{i,r} needs m = d: the second line is wrong; the third is wrong too, but not by
    # following (it doubles); the fourth is the first line's right side again: true, a jump
    statuses = [status for _, _, status in marks]
    assert statuses[0] == HOLDS and statuses[1] == FAILS and statuses[-1] == JUMP


LATE = r"""$$\frac{\partial J}{\partial W_{ij}} = \frac{\partial J}{\partial y_i} x_j$$

$$\frac{\partial J}{\partial b_i} = \frac{\partial J}{\partial y_i}$$

$$\frac{\partial J}{\partial x} = 2 W^T \frac{\partial J}{\partial y}$$
"""


def test_a_wrong_last_step_is_the_only_one_flagged():
    annotation, marks = marks_of(LATE)
    assert marks == [(1, DERIVATIVE, HOLDS), (3, DERIVATIVE, HOLDS), (5, DERIVATIVE, FAILS)]
    assert annotation.all_marks()[-1].diagnosis == "factor"


def test_a_line_that_follows_from_a_wrong_one_is_not_marked_wrong_again():
    document = (r"$$\frac{\partial J}{\partial x} = 2 W^T \frac{\partial J}{\partial y}$$" "\n\n"
                r"$$= W^T (2 \frac{\partial J}{\partial y})$$" "\n")
    annotation, marks = marks_of(document)
    assert marks == [(1, DERIVATIVE, FAILS), (3, STEP, FOLLOWS)]
    assert annotation.all_marks()[1].follows_from == 1


def test_a_wrong_line_restated_in_another_form_follows_from_it():
    """Error carried forward across lines: the matrix form of wrong entries says what they said
    (one slip, counted once); a wrong line that says something else is wrong on its own."""
    wrong_entries = r"$$\frac{\partial J}{\partial W_{ij}} = \frac{\partial J}{\partial y_j} x_i$$" "\n\n"
    annotation, marks = marks_of(wrong_entries + r"$$\frac{\partial J}{\partial W} = x \frac{\partial J}{\partial y}^T$$")
    assert marks == [(1, DERIVATIVE, FAILS), (3, DERIVATIVE, FOLLOWS)]
    assert annotation.all_marks()[1].follows_from == 1
    _, marks = marks_of(wrong_entries + r"$$\frac{\partial J}{\partial W} = 2 \frac{\partial J}{\partial y} x^T$$")
    assert marks == [(1, DERIVATIVE, FAILS), (3, DERIVATIVE, FAILS)]
    # the same quantity said wrong twice, in two spellings
    _, marks = marks_of(r"$$\frac{\partial J}{\partial x} = 2 W^T \frac{\partial J}{\partial y}$$" "\n\n"
                        r"$$\frac{\partial J}{\partial x} = W^T \frac{\partial J}{\partial y} \cdot 2$$")
    assert marks == [(1, DERIVATIVE, FAILS), (3, DERIVATIVE, FOLLOWS)]


def test_a_fresh_slip_from_a_right_value_is_wrong_even_when_an_earlier_line_said_the_same():
    wrong = r"$$\frac{\partial J}{\partial W} = x \frac{\partial J}{\partial y}^T$$"
    again = r"$$\frac{\partial J}{\partial W} = \frac{\partial J}{\partial y} x^T = x \frac{\partial J}{\partial y}^T$$"
    _, marks = marks_of(wrong + "\n\n" + again)
    assert marks == [(1, DERIVATIVE, FAILS), (3, DERIVATIVE, HOLDS), (3, STEP, FAILS)]


def test_commentary_between_the_lines_of_a_chain_does_not_break_it():
    document = (r"$$\frac{\partial J}{\partial x} = W^T \frac{\partial J}{\partial y} \quad "
                r"(\text{why? the chain rule})$$" "\n\n" r"$$= (\frac{\partial J}{\partial y}^T W)^T$$" "\n")
    _, marks = marks_of(document)
    assert marks == [(1, DERIVATIVE, HOLDS), (1, MENTION, None), (3, STEP, HOLDS)]


def test_a_line_after_an_expression_goes_on_from_it():
    _, marks = marks_of(r"$$W^T \frac{\partial J}{\partial y}$$" "\n\n" r"$$= \frac{\partial J}{\partial x}$$" "\n")
    assert marks == [(1, EXPRESSION, None), (3, STEP, HOLDS)]


def test_a_line_after_alternatives_goes_on_from_the_one_it_fits():
    """'A = B or C = D' then '= E': E continues the alternative whose shape it has."""
    document = (r"$$\frac{\partial J}{\partial b} = \frac{\partial J}{\partial y} \quad \text{or} \quad "
                r"\frac{\partial J}{\partial x} = W^T \frac{\partial J}{\partial y}$$" "\n\n"
                r"$$= \frac{\partial J}{\partial y} \odot 1$$" "\n")
    _, marks = marks_of(document)
    assert marks[-1] == (3, STEP, HOLDS)  # it continues dJ/db (m x 1), not dJ/dx (d x 1)


def test_a_matrix_by_its_entries_is_read_against_the_problem_it_fits(tmp_path):
    """Two problems: the general sizes and the same at 2 x 2; a literal belongs to the second."""
    small = tmp_path / "small.toml"
    small.write_text('id = "small"\ntitle = "2 x 2"\nsizes = { m = 2, d = 2 }\ndefinitions = ["y = W @ x + b"]\n'
                     '[variables]\nW = "m x d"\nx = "d"\nb = "m"\n[arbitrary]\nJ = ["y"]\n', encoding="utf-8")
    document = r"$$y = W x + b = \begin{bmatrix} W_{1,1} x_1 + W_{1,2} x_2 + b_1 \\ W_{2,1} x_1 + W_{2,2} x_2 + b_2 \end{bmatrix}$$"
    annotation, marks = marks_of(document, problems=("linear-layer", str(small)))
    assert [status for _, _, status in marks] == [HOLDS, HOLDS]
    assert {m.problem for m in annotation.all_marks()} == {"small"}
    wrong = document.replace("x_2 + b_2", "x_1 + b_2")
    assert [status for _, _, status in marks_of(wrong, problems=("linear-layer", str(small)))[1]] == [HOLDS, FAILS]


def test_a_wrong_restatement_of_the_forward_pass_is_flagged():
    annotation, marks = marks_of(r"Given $$y = W^T x + b$$ we have $$y = W x + b.$$" "\n")
    assert marks == [(1, FORWARD, FAILS), (1, FORWARD, HOLDS)]


def test_notation_expressions_and_prose_math_are_classified_not_checked():
    document = (r"Let $$a_{ij} = \frac{\partial y_i}{\partial W_{ij}} = x_j$$ and "
                r"$$\frac{\partial J}{\partial y}$$ when $m = i$, a price of $5 and $6." "\n")
    _, marks = marks_of(document)
    assert marks == [(1, NOTATION, None), (1, DERIVATIVE, HOLDS), (1, EXPRESSION, None), (1, MENTION, None)]


def test_an_unread_formula_says_why():
    annotation, marks = marks_of(r"$$\frac{\partial J}{\partial W} = \frac{\partial J}{\partial q} x^T$$" "\n")
    assert marks == [(1, UNREAD, None)]
    assert "q is not a name of linear-layer" in annotation.all_marks()[0].reason


def test_parts_of_a_document_are_read_against_their_own_problems(tmp_path):
    document = ("## Layer\n\n" r"$$\frac{\partial J}{\partial x} = W^T \frac{\partial J}{\partial y}$$" "\n\n"
                "## Activation\n\n" r"$$\frac{\partial J}{\partial A} = \frac{\partial J}{\partial S} \odot \sigma'(A)$$"
                "\n\n## Example\n\n$$x = 3$$\n")
    reading = tmp_path / "reading.toml"
    reading.write_text('problems = ["linear-layer"]\n[[parts]]\nfrom = "## Activation"\n'
                       'problems = ["seed000-hadamard"]\nnames = { "\\\\sigma" = "phi" }\n'
                       '[[parts]]\nfrom = "## Example"\nskip = "numbers, not a claim"\n', encoding="utf-8")
    annotation, marks = marks_of(document, problems=(), reading=str(reading))
    assert marks == [(3, DERIVATIVE, HOLDS), (7, DERIVATIVE, HOLDS), (11, SKIPPED, None)]
    assert annotation.all_marks()[1].problem == "seed000-hadamard"


def test_front_matter_is_a_reading():
    document = ('+++\nproblems = ["linear-layer"]\n[rewrite]\n"W_i" = "W_{:,i}"\n+++\n'
                r"$$\frac{\partial J}{\partial x_i} = (W_i)^T \frac{\partial J}{\partial y}$$" "\n")
    _, marks = marks_of(document, problems=())
    assert marks == [(6, DERIVATIVE, HOLDS)]


@pytest.mark.parametrize("reading, message", [
    ('problems = ["linear-layer"]\nnames = { "z_{N}" = "zN" }\n', "'zN' is not a name of linear-layer"),
    ('problems = ["linear-layer"]\n[[parts]]\nfrom = "nowhere"\n', "'nowhere' is not in the document"),
    ('problems = ["no-such-problem"]\n', "no-such-problem"),
    ('problem = ["linear-layer"]\n', "unknown key 'problem'"),
    ('problems = ["linear-layer"]\nnames = { "x\\\\immediate" = "x" }\n', "not an allowed LaTeX command"),
])
def test_a_bad_reading_is_one_clear_error(tmp_path, reading, message):
    path = tmp_path / "reading.toml"
    path.write_text(reading, encoding="utf-8")
    with pytest.raises(ProblemError, match=message):
        load_reading("$$x = y$$\n", (), str(path))


def test_the_annotated_markdown_keeps_the_document_and_marks_each_formula():
    annotation, _ = marks_of(EARLY)
    out = render_markdown(EARLY, annotation)
    assert out.startswith("> **derive annotate**: 2 display formulas")
    assert "| 1 | ✗ |" in out
    body = out.split("\n\n", 1)[1]
    for line in EARLY.splitlines():
        assert line in body  # nothing of the document is lost
    assert "> ✗ derivative, fails [transposed]" in out and "> ✓ derivative, holds for every size" in out


# -- the command -----------------------------------------------------------------------------------

def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "annotate", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


@pytest.mark.parametrize("document, code", [(RIGHT, 0), (EARLY, 1)])
def test_the_exit_code_says_whether_every_line_holds(tmp_path, document, code):
    path = tmp_path / "answer.md"
    path.write_text(document, encoding="utf-8")
    result = run(str(path), "--problem", "linear-layer", "--json")
    assert result.returncode == code, result.stderr
    records = json.loads(result.stdout)
    assert records["counts"].get("fails", 0) == code


def test_a_document_in_another_encoding_is_an_error_naming_the_option(tmp_path):
    path = tmp_path / "answer.md"
    path.write_bytes("$$x = y$$ — café\n".encode("cp1252"))
    result = run(str(path), "--problem", "linear-layer")
    assert result.returncode == 2 and "--encoding" in result.stderr
    assert run(str(path), "--problem", "linear-layer", "--encoding", "cp1252").returncode in (0, 1, 3)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not here")
@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_each_seed_line_the_catalog_knows_wrong_is_flagged_and_no_right_one(seed):
    """The catalog's verdicts of a seed's formulas, from its problems' claims (source fields), are
    what annotate says of the same lines: checked per formula by the claim's text. A wrong line
    is flagged ✗, or ↳ where it says again what an earlier wrong line said (error carried
    forward); a right one is never ✗. At least 95 % of the display formulas are read."""
    reading = f"seed{seed}.toml"
    document = next(SEEDS.glob(f"{seed}_*.txt")).read_text(encoding="utf-8")
    annotation, _ = marks_of(document, problems=(), reading=str(ROOT / "problems" / "readings" / reading))
    checked = [m for m in annotation.all_marks() if m.status is not None]
    known = _catalog_claims()
    compared = 0
    for mark in checked:
        expected = known.get(mark.claim.replace(" ", "")) if mark.claim else None
        if expected is not None:
            compared += 1
            flagged = mark.status == FAILS or (mark.status == FOLLOWS and expected == "fails")
            assert flagged == (expected == "fails"), (mark.line, mark.claim, mark.status)
    assert compared >= 5
    display = [f for f in annotation.formulas if f.display]
    unread = {m.formula for m in annotation.all_marks() if m.kind == UNREAD}
    assert len([f for k, f in enumerate(annotation.formulas) if f.display and k not in unread]) >= 0.95 * len(display)


def _catalog_claims() -> dict[str, str]:
    """Each catalog claim's text (spaces out) and each of its links, with its expected verdict:
    a link of a claim that holds holds."""
    import tomllib

    known = {}
    for path in (ROOT / "problems").glob("*.toml"):
        for claim in tomllib.loads(path.read_text(encoding="utf-8")).get("claims", []):
            text = claim["claim"].replace(" ", "")
            known[text] = claim.get("expect")
            sides = text.split("=") if "==" not in text else []
            if claim.get("expect") == "holds" and len(sides) > 2:
                for left, right in zip(sides, sides[1:]):
                    known.setdefault(f"{left}={right}", "holds")
    return known


def test_a_step_derive_refuses_is_that_lines_error_not_the_documents():
    document = (r"$$W_{1,:} \leftarrow W_{1,:} - \eta x$$" "\n\n"
                r"$$\frac{\partial J}{\partial x} = W^T \frac{\partial J}{\partial y}$$" "\n")
    _, marks = marks_of(document)
    assert marks[-1] == (3, DERIVATIVE, HOLDS)
    assert marks[0][2] in ("error", None)


def test_a_chain_goes_on_from_a_line_that_defines_notation():
    document = (r"$$a_{ij} = \frac{\partial y_i}{\partial W_{ij}}$$" "\n\n" r"$$= x_j$$" "\n")
    _, marks = marks_of(document)
    assert marks == [(1, NOTATION, None), (3, STEP, HOLDS)]
