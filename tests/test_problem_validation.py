r"""Hostile and wrong problem files (issue 10 §4, §5): every mistake is one line naming the file and
the key, and nothing of a problem file reaches an exported document as LaTeX or Markdown.

The table BAD_FILES is the corpus: each row a problem file as written, and the exact message
derive must give. A property test feeds random TOML-like tables to problem loading: only
derive's own error type, always one line.
"""

from __future__ import annotations

import datetime
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cli
from derive.documents.export import export, md_text, tex_text
from derive.documents.notebook import problem_markdown
from derive.errors import DeriveError, ProblemError
from derive.language.latex_names import default_name
from derive.limits import MAX_SIZE
from derive.problem.definition import load_problem, problem_from_dict
from derive.problem.schema import NAME, SCHEMA, latex_spelling_error
from derive.verdict.check import ProblemChecker
from derive.verdict.evidence import ClaimVerdict

HEAD = 'id = "demo"\n'
VARS = '[variables]\nx = "n"\n'
NOT_A_NAME = ("is not a name (letters, digits and _, not starting with a digit; a LaTeX spelling goes in the "
              "[latex] table)")
SIZE_WANTED = f"expected a whole number from 1 to {MAX_SIZE} (0 leaves the size free)"
PAYLOAD = r"x}\immediate\write18{touch pwned}\input{/etc/passwd}\iffalse"

# (the file after HEAD, the message after "<file>: ")
BAD_FILES = [
    # the seven wrong types that were tracebacks
    ('sizes = {n = "abc"}\n' + VARS, f"sizes.n: {SIZE_WANTED}, not the text 'abc'"),
    ('sizes = ["n"]\n' + VARS + '[[claims]]\nclaim = "x = x"\nexpect = ["holds"]\n',
     "claims[1].expect: expected 'holds', 'fails' or 'undecided', not a list"),
    ('sizes = ["n"]\nlayout = ["numerator"]\n' + VARS,
     "layout: expected 'numerator' or 'denominator', not a list"),
    ('sizes = ["n"]\nvariables = ["x"]\n', "variables: expected a table of name = shape, not a list"),
    ('sizes = ["n"]\ndefinitions = [5]\n' + VARS,
     "definitions[1]: expected a definition such as 'y = W @ x + b', not the number 5"),
    ('sizes = ["n"]\nclaims = [5]\n' + VARS,
     "claims[1]: expected a claim text or a table such as { claim = 'dJ/dW = …', expect = 'holds' }, "
     "not the number 5"),
    ('sizes = [1]\n', "sizes[1]: expected a size name, not the number 1"),
    # sizes: whole, positive, within the limit
    ('sizes = {n = 2.7}\n' + VARS, f"sizes.n: {SIZE_WANTED}, not the number 2.7"),
    ('sizes = {n = -3}\n' + VARS, "sizes.n: a size is positive (or 0, free), not -3"),
    (f'sizes = {{n = {MAX_SIZE + 1}}}\n' + VARS, f"sizes.n: the size {MAX_SIZE + 1} is past the limit of {MAX_SIZE}"),
    ('sizes = {n = 100000000000000000000}\n' + VARS,
     f"sizes.n: the size 100000000000000000000 is past the limit of {MAX_SIZE}"),
    ('sizes = {n = true}\n' + VARS, f"sizes.n: {SIZE_WANTED}, not the boolean true"),
    ('sizes = "n"\n', "sizes: expected a list of size names such as ['m', 'd'] or a table such as { n = 2 }, "
                      "not the text 'n'"),
    ('sizes = ["n", "n"]\n', "sizes[2]: 'n' is listed twice"),
    ('sizes = ["n"]\n[variables]\nx = "5000 x n"\n', f"variables.x: the dimension 5000 is past the limit of {MAX_SIZE}"),
    ('sizes = ["n"]\n[variables]\nx = "123456789012345678901234567890 x n"\n',
     f"variables.x: the dimension '123456789012…' is past the limit of {MAX_SIZE}"),
    ('sizes = ["n"]\n[variables]\nx = ["n", 5000]\n', f"variables.x[2]: a dimension is a whole number from 1 to {MAX_SIZE}, not 5000"),
    ('sizes = ["n"]\n[variables]\nx = ["n", "n", "n"]\n', "variables.x: expected at most 2 items, found 3"),
    ('sizes = ["n"]\n[variables]\nx = ["n", true]\n', "variables.x[2]: expected a size name or a whole number, not the boolean true"),
    # size orders
    ('sizes = ["n", "k"]\nsize_order = ["k < m"]\n' + VARS, "size_order[1]: 'm' is not a size of the problem (sizes: n, k)"),
    ('sizes = ["n", "k"]\nsize_order = ["k, n"]\n' + VARS, "size_order[1]: write an order of sizes such as 'k < n' or 'k <= m < n', not 'k, n'"),
    ('sizes = { n = 3, k = 0 }\nsize_order = ["k < n"]\n' + VARS, "size_order[1]: n is fixed at 3: an order is between free sizes"),
    ('sizes = ["n", "k"]\nsize_order = ["k < n", "n <= k"]\n' + VARS, "size_order: k and n are each below the other"),
    ('sizes = ["n"]\nsize_order = "n < n"\n' + VARS, "size_order: expected a list of orders such as ['k < n'], not the text 'n < n'"),
    # unknown keys, with a did-you-mean
    ('titel = "A"\nsizes = ["n"]\n' + VARS, "titel: unknown key (did you mean 'title'?)"),
    ('colour = 1\n', "colour: unknown key (known: id, title, source, notes, sizes, size_order, layout, functions, "
                     "definitions, variables, arbitrary, latex, claims)"),
    ('sizes = ["n"]\n[variables]\nx = { shape = "n x n", constraint = ["symmetric"] }\n',
     "variables.x.constraint: unknown key (did you mean 'constraints'?)"),
    ('sizes = ["n"]\n' + VARS + '[[claims]]\nclaim = "x = x"\nexpected = "holds"\n',
     "claims[1].expected: unknown key (did you mean 'expect'?)"),
    # wrong nested types
    ('sizes = ["n"]\n[variables]\nx = { shape = "n", constraints = "symmetric" }\n',
     "variables.x.constraints: expected a list of constraints, not the text 'symmetric'"),
    ('sizes = ["n"]\n[variables]\nx = { shape = 3 }\n',
     "variables.x.shape: expected a shape such as 'm x d', 'd' or 'scalar' (or a list such as ['m', 'd']), "
     "not the number 3"),
    ('sizes = ["n"]\n[variables]\nx = 3\n',
     "variables.x: expected a shape such as 'm x d' or a table such as { shape = 'n x n', constraints = "
     "['symmetric'] }, not the number 3"),
    ('sizes = ["n"]\ndefinitions = "y = x"\n' + VARS, "definitions: expected a list of definitions, not the text 'y = x'"),
    ('sizes = ["n"]\n' + VARS + '[arbitrary]\nJ = "x"\n', "arbitrary.J: expected a list of the names it depends on, not the text 'x'"),
    ('sizes = ["n"]\narbitrary = ["J"]\n' + VARS, "arbitrary: expected a table of name = [what it depends on], not a list"),
    ('sizes = ["n"]\ntitle = 1979-05-27\n' + VARS, "title: expected a text, not a date or time"),
    ('sizes = ["n"]\nnotes = ["a"]\n' + VARS, "notes: expected a text, not a list"),
    ('sizes = ["n"]\nlayout = "diagonal"\n' + VARS, "layout: expected 'numerator' or 'denominator', not 'diagonal'"),
    ('sizes = ["n"]\nfunctions = "h"\n' + VARS, "functions: expected a list of function names, not the text 'h'"),
    # claims that are not texts
    ('sizes = ["n"]\n' + VARS + '[[claims]]\nclaim = 5\n',
     "claims[1].claim: expected a claim such as 'dJ/dW = dJ/dy @ x.T', not the number 5"),
    ('sizes = ["n"]\n' + VARS + '[[claims]]\nexpect = "holds"\n',
     "claims[1].claim: missing (expected a claim such as 'dJ/dW = dJ/dy @ x.T')"),
    ('sizes = ["n"]\n' + VARS + '[[claims]]\nclaim = "x = x"\ndiagnosis = 3\n',
     "claims[1].diagnosis: expected a diagnosis code, not the number 3"),
    ('sizes = ["n"]\n' + VARS + '[[claims]]\nclaim = "x = x"\n[[claims]]\nclaim = ["x = x"]\n',
     "claims[2].claim: expected a claim such as 'dJ/dW = dJ/dy @ x.T', not a list"),
    # empty and duplicate names
    ('sizes = ["n"]\n[variables]\n"" = "n"\n', "variables: a name cannot be empty"),
    ('sizes = [""]\n', "sizes[1]: a name cannot be empty"),
    ('sizes = ["n"]\nfunctions = ["x"]\n' + VARS, "functions[1]: the name 'x' is declared twice (also in variables)"),
    ('sizes = ["n"]\nfunctions = ["h", "h"]\n' + VARS, "functions[2]: 'h' is listed twice"),
    ('sizes = ["n"]\n' + VARS + '[arbitrary]\nx = []\n', "arbitrary.x: the name 'x' is declared twice (also in variables)"),
    ('sizes = ["n"]\n[variables]\nn = "n"\n', "variables.n: the name 'n' is declared twice (also in sizes)"),
    ('sizes = ["n"]\ndefinitions = ["x = 2*x"]\n' + VARS, "definitions[1] ('x = 2*x'): 'x' is defined twice"),
    ('sizes = ["log"]\n', "sizes[1]: the name 'log' is taken by a built-in function"),
    ('sizes = ["n"]\nfunctions = ["h"]\ndefinitions = ["h = x"]\n' + VARS,
     "definitions[1] ('h = x'): the name 'h' is taken by a function"),
    # names with TeX, Markdown or HTML in them
    ('sizes = ["n"]\n[variables]\n"x}\\\\immediate\\\\write18{touch pwned}\\\\input{/etc/passwd}\\\\iffalse" = "n"\n',
     f"variables: 'x}}\\\\immediate\\\\write18{{touch pwned}}\\\\input{{…' {NOT_A_NAME}"),
    ('sizes = ["n"]\n[variables]\n"x*y*" = "n"\n', f"variables: 'x*y*' {NOT_A_NAME}"),
    ('sizes = ["n"]\n[variables]\n"[x](http://e.org)" = "n"\n', f"variables: '[x](http://e.org)' {NOT_A_NAME}"),
    ('sizes = ["n"]\n[variables]\n"<script>" = "n"\n', f"variables: '<script>' {NOT_A_NAME}"),
    ('sizes = ["n"]\n[variables]\n"x$" = "n"\n', f"variables: 'x$' {NOT_A_NAME}"),
    ('sizes = ["n"]\n[variables]\n"x y" = "n"\n', f"variables: 'x y' {NOT_A_NAME}"),
    ('sizes = ["n"]\n[variables]\n"2x" = "n"\n', f"variables: '2x' {NOT_A_NAME}"),
    ("sizes = [\"n'\"]\n", f"sizes[1]: \"n'\" {NOT_A_NAME}"),
    ('sizes = ["n}"]\n', f"sizes[1]: 'n}}' {NOT_A_NAME}"),
    ('sizes = ["n"]\nfunctions = ["h(x)"]\n' + VARS, f"functions[1]: 'h(x)' {NOT_A_NAME}"),
    ('sizes = ["n"]\n' + VARS + '[arbitrary]\nJ = ["x#"]\n', f"arbitrary.J[1]: 'x#' {NOT_A_NAME}"),
    ('sizes = ["n"]\n' + VARS + '[arbitrary]\n"J&" = ["x"]\n', f"arbitrary: 'J&' {NOT_A_NAME}"),
    ('sizes = ["n"]\ndefinitions = ["y² = x"]\n' + VARS, f"definitions[1] ('y² = x'): 'y²' {NOT_A_NAME}"),
    ('sizes = ["n"]\n[variables]\n' + "x" * 65 + ' = "n"\n',
     "variables: the name 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' is 65 characters long; the limit is 64"),
    # the [latex] table: a safe subset of LaTeX, spelling a name of the problem
    ('sizes = ["n"]\n' + VARS + '[latex]\n"\\\\input{/etc/passwd}" = "x"\n',
     r"latex: '\\input{/etc/passwd}': \input is not an allowed LaTeX command (allowed: Greek letters, "
     r"accents such as \hat and \bar, fonts such as \mathbf, \prime)"),
    ('sizes = ["n"]\n' + VARS + '[latex]\n"x^^5cinput" = "x"\n',
     "latex: 'x^^5cinput': a LaTeX spelling cannot put two scripts in a row (^^ spells a character by its code)"),
    ('sizes = ["n"]\n' + VARS + '[latex]\n"\\\\hat{x" = "x"\n',
     r"latex: '\\hat{x': the braces of the LaTeX spelling do not balance"),
    ('sizes = ["n"]\n' + VARS + '[latex]\n"x}{" = "x"\n', "latex: 'x}{': the braces of the LaTeX spelling do not balance"),
    ('sizes = ["n"]\n' + VARS + '[latex]\n"x$" = "x"\n',
     "latex: 'x$': '$' is not allowed in a LaTeX spelling (letters, digits, _ ^ { } ( ) and commands such as "
     r"\hat, \mathbf, \delta)"),
    ('sizes = ["n"]\n' + VARS + '[latex]\n"x_" = "x"\n',
     "latex: 'x_': the LaTeX spelling ends in a script with nothing to carry"),
    ('sizes = ["n"]\n' + VARS + '[latex]\n"" = "x"\n', "latex: '': a LaTeX spelling cannot be empty"),
    ('sizes = ["n"]\n' + VARS + '[latex]\n"\\\\hat{y}" = "y"\n',
     "latex.\"\\\\hat{y}\": 'y' is not a name of this problem (a variable, definition, size or function)"),
    ('sizes = ["n"]\n' + VARS + '[latex]\n"\\\\hat{x}" = "x-1"\n', f"latex.\"\\\\hat{{x}}\": 'x-1' {NOT_A_NAME}"),
    ('sizes = ["n"]\n' + VARS + '[latex]\n"\\\\hat{x}" = 1\n', "latex.\"\\\\hat{x}\": expected a name, not the number 1"),
    # texts: no control characters, one line where one line is meant
    ('sizes = ["n"]\ntitle = "a\\u001b[31mred"\n' + VARS, "title: the control character U+001B is not allowed"),
    ('sizes = ["n"]\ntitle = "two\\nlines"\n' + VARS, "title: expected one line, found a line break"),
    ('sizes = ["n"]\nnotes = "\\u202egnp.exe"\n' + VARS, "notes: the control character U+202E is not allowed"),
    ('sizes = ["n"]\n' + VARS + '[[claims]]\nclaim = "x = x\\u0000"\n',
     "claims[1].claim: the control character U+0000 is not allowed"),
]


def _write(tmp_path: Path, text: str, name: str = "demo.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, message", BAD_FILES, ids=[m[:60] for _, m in BAD_FILES])
def test_a_wrong_problem_file_is_one_line_naming_the_file_and_the_key(tmp_path, text, message):
    path = _write(tmp_path, HEAD + text)
    with pytest.raises(ProblemError) as caught:
        load_problem(path)
    assert str(caught.value) == f"{path}: {message}"
    assert str(caught.value).splitlines() == [str(caught.value)]


@pytest.mark.parametrize("text, message", [
    ('title = "no id"\n', "id: missing (expected an id such as 'linear-layer' (letters, digits, - _ .))"),
    ('id = "../../etc/passwd"\n',
     "id: expected an id such as 'linear-layer' (letters, digits, - _ .), not '../../etc/passwd'"),
    ('id = 7\n', "id: expected an id such as 'linear-layer' (letters, digits, - _ .), not the number 7"),
])
def test_a_wrong_id_is_named_before_anything_else(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ProblemError) as caught:
        load_problem(path)
    assert str(caught.value) == f"{path}: {message}"


def test_a_file_named_otherwise_than_its_id_names_both(tmp_path):
    path = _write(tmp_path, HEAD + 'sizes = {n = -3}\n', name="other.toml")
    with pytest.raises(ProblemError, match=re.escape(f"{path} (demo): sizes.n: a size is positive")):
        load_problem(path)


def test_a_file_that_is_not_toml_is_one_line(tmp_path):
    path = _write(tmp_path, HEAD + 'sizes = ["n"]\n[variables]\nx = "n"\nx = "n"\n')
    with pytest.raises(ProblemError) as caught:
        load_problem(path)
    assert str(caught.value).startswith(f"{path}: not valid TOML: ")
    assert len(str(caught.value).splitlines()) == 1


def test_fixed_sizes_at_the_limit_and_zero_for_free_load():
    problem = problem_from_dict({"id": "p", "sizes": {"n": MAX_SIZE, "m": 0, "k": 1}})
    assert problem.fixed_sizes == {"n": MAX_SIZE, "k": 1}


def test_the_name_rule_is_the_grammars():
    grammar = (Path(__file__).resolve().parent.parent / "derive" / "language" / "claim.lark").read_text(
        encoding="utf-8")
    assert re.search(r"^NAME: /(.*)/$", grammar, re.M)[1] == NAME.pattern


def test_every_schema_key_is_documented():
    documented = (Path(__file__).resolve().parent.parent / "docs" / "problems.md").read_text(encoding="utf-8")
    for key in SCHEMA.keys:
        assert re.search(rf"^\[?{key}\]?\s*=|^\[{key}\]|^\[\[{key}\]\]", documented, re.M), key


@pytest.mark.parametrize("spelling", [
    r"\hat{y}", r"\delta", r"\mathbf{x}", "W^{(1)}", r"\tilde{W}_{2}", r"\boldsymbol{\theta}", "x_{N-1}",
    r"\bar{x}'", r"h_{t-1}", r"\mathcal{L}", r"\delta^{(l)}",
])
def test_a_safe_latex_spelling_is_accepted(spelling):
    assert latex_spelling_error(spelling) is None


@pytest.mark.parametrize("spelling", [
    r"\input{x}", r"\immediate\write18{ls}", r"\def\x{}", r"x\\y", r"\catcode`\^^M", "x%", "x#1", "x&y", "x~",
    r"\text{a}", r"\mathbf{\input{x}}", "x^^5c", "x\x00", "x\ny", r"\ ", "x" * 101, "}{", r"\hat{",
])
def test_an_unsafe_latex_spelling_is_refused(spelling):
    assert latex_spelling_error(spelling) is not None


def test_a_name_that_is_not_an_identifier_prints_as_escaped_text():
    assert default_name(PAYLOAD) == (r"\text{x\}\textbackslash{}immediate\textbackslash{}write18\{touch pwned\}"
                                     r"\textbackslash{}input\{/etc/passwd\}\textbackslash{}iffalse}")


# -- exports ------------------------------------------------------------------------------------

TEX_DANGER = {"input", "include", "immediate", "write", "write18", "openout", "openin", "read", "iffalse",
              "catcode", "def", "let", "csname", "newcommand", "renewcommand", "usepackage", "special"}
HOSTILE_TITLE = r"Gradients & 100% of $x$ \input{/etc/passwd} <script>alert(1)</script> # _*[x](javascript:x)*_"
HOSTILE_NOTES = "\n".join([
    r"\immediate\write18{touch pwned}",
    "# not a heading",
    "1. not a list",
    "- nor this",
    "$$\\input{/etc/passwd}$$",
    "<img src=x onerror=alert(1)> ^^5cinput ~~struck~~ `code`",
    "```",
])
HOSTILE_FILE = f'''id = "demo"
title = {json.dumps(HOSTILE_TITLE)}
source = 'seed \\iffalse 4.1 & 50%'
notes = {json.dumps(HOSTILE_NOTES)}
sizes = ["n"]
definitions = ["y = 2 * x"]
[variables]
x = "n"
[arbitrary]
J = ["y"]
[latex]
"\\\\hat{{x}}" = "x"
[[claims]]
claim = "dJ/dx = 2 * dJ/dy"
expect = "holds"
source = '4.1 \\input{{/etc/passwd}}'
[[claims]]
claim = "dJ/dx = dJ/dy"
expect = "fails"
correct = "dJ/dx = 2 * dJ/dy"
'''


def _live_commands(text: str, markdown: bool) -> set[str]:
    r"""The TeX commands a document would run: in Markdown a backslash escapes the next character
    (\\input is the text \input), so a command is live only after an odd run of backslashes."""
    live = set()
    for match in re.finditer(r"(\\+)([A-Za-z]+)", text):
        if not markdown or len(match[1]) % 2 == 1:
            live.add(match[2])
    return live


def _unescaped(text: str, char: str) -> int:
    """How many times ``char`` occurs in Markdown without a backslash escaping it."""
    return sum(1 for m in re.finditer(r"(\\*)" + re.escape(char), text) if len(m[1]) % 2 == 0)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "demo.toml"
    path.write_text(HOSTILE_FILE, encoding="utf-8")
    problem = load_problem(path)
    checker = ProblemChecker(problem)
    verdicts = [checker.check(spec) for spec in problem.claims]
    # a claim that does not read, as a verdict with an error (grading builds such verdicts)
    verdicts.append(ClaimVerdict(claim=r"x = \input{/etc/passwd} <b>", verdict="error", links=[],
                                 source=r"\iffalse", error=r"unexpected character '\' in \input{/etc/passwd}"))
    # past the loader: a [latex] table no file could give must still not reach the document
    problem.latex_names = {PAYLOAD: "x", r"\hat{x}": "x", "y}\\input{/etc/passwd}": "y"}
    return problem, verdicts


def test_the_hostile_file_loads_and_its_claims_are_checked(hostile):
    problem, verdicts = hostile
    assert problem.title == HOSTILE_TITLE and problem.notes == HOSTILE_NOTES
    assert [v.verdict for v in verdicts[:2]] == ["holds", "fails"]
    assert verdicts[2].error


def test_latex_export_never_writes_the_raw_payload(hostile):
    document = export(*hostile, "tex")
    for raw in (r"\input{/etc/passwd}", r"\immediate\write18", r"\iffalse", "x}\\immediate"):
        assert raw not in document
    body = document.split(r"\begin{document}")[1]  # the preamble is ours
    assert not _live_commands(body, markdown=False) & TEX_DANGER
    assert r"\hat{x}" in document  # the safe spelling is used, the hostile one is not
    assert tex_text("100% of $x$") in document
    assert document.count("{") == document.count("}")


def test_markdown_export_never_writes_the_raw_payload(hostile):
    document = export(*hostile, "md")
    assert not _live_commands(document, markdown=True) & TEX_DANGER
    assert _unescaped(document, "<") == 0 and _unescaped(document, "`") == 0
    assert r"\hat{x}" in document
    assert md_text(HOSTILE_TITLE) in document
    for line in ("\\# not a heading", "1\\. not a list", "\\- nor this"):
        assert line in document.splitlines()
    # every $ left unescaped is our own math: the $$ fences of displays, and $…$ around inline math
    prose = re.sub(r"^\$\$\n.*?\n\$\$$", "", document, flags=re.M | re.S)
    for line in prose.splitlines():
        assert _unescaped(line, "$") % 2 == 0, line


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed (.ci/run installs TeX Live)")
def test_the_hostile_latex_export_compiles_without_running_anything(hostile, tmp_path):
    (tmp_path / "demo.tex").write_text(export(*hostile, "tex"), encoding="utf-8")
    run = subprocess.run(["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "demo.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    assert not (tmp_path / "pwned").exists() and "root:" not in run.stdout


def test_the_notebook_view_of_a_problem_is_escaped_too(hostile):
    problem, _ = hostile
    assert not _live_commands(problem_markdown(problem), markdown=True) & TEX_DANGER


# -- the command line ---------------------------------------------------------------------------

@pytest.mark.parametrize("where, message", [
    ("missing/x.tex", "the folder {tmp}/missing does not exist"),
    ("", "is a folder; give a file name"),
    ("file.txt/x.tex", "the folder {tmp}/file.txt is not a folder"),
])
def test_export_checks_its_output_before_any_work(tmp_path, capsys, monkeypatch, where, message):
    (tmp_path / "file.txt").write_text("", encoding="utf-8")
    monkeypatch.setattr("derive.verdict.check.check_problem", lambda *a, **k: pytest.fail("the check ran"))
    target = str(tmp_path / where) if where else str(tmp_path)
    assert cli.main(["export", "linear-layer", "-o", target]) == 2
    err = capsys.readouterr().err
    assert err == f"derive: -o {target}: {message.format(tmp=tmp_path)}\n"


def test_a_failed_output_check_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr("derive.problem.definition.find_problems", lambda key: (_ for _ in ()).throw(DeriveError("stop")))
    target = tmp_path / "x.md"
    assert cli.main(["export", "linear-layer", "-o", str(target)]) == 2
    assert not target.exists()


def test_verify_with_a_name_that_is_not_an_identifier_is_one_line(capsys):
    assert cli.main(["verify", "--latex", "a = a", "--var", "a-b=n"]) == 2
    err = capsys.readouterr().err
    assert err == f"derive: command line (command-line): variables: 'a-b' {NOT_A_NAME}\n"


# -- property: random tables ---------------------------------------------------------------------

HOSTILE_TEXTS = [PAYLOAD, "", " ", "x\x00", "\u202e", "\x85", "\u2028", "n x m", "scalar", "0", "-1", "5000 x n",
                 "holds", "fails", "numerator", "y = x", "x = x", "dJ/dx = x", "y = W @ x", "W", "n", "x", "J",
                 "symmetric", "h", "exp", r"\hat{x}", "x^^5c", "é", "x²", "1e99999", "n x n x n", "(", "[[", "'"]
KEYS = list(SCHEMA.keys) + ["shape", "constraints", "claim", "expect", "diagnosis", "correct", "note", "x", "n",
                            "y", "J", "W"]
scalars = st.one_of(
    st.sampled_from(HOSTILE_TEXTS), st.text(max_size=12), st.integers(-5, 5), st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.just(datetime.date(1979, 5, 27)),
)
keys = st.one_of(st.sampled_from(KEYS + HOSTILE_TEXTS), st.text(max_size=8))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=4)), max_leaves=12)


def mostly(good, bad=values):
    """``good`` four times in five, else ``bad``: most tables get far into loading."""
    return st.integers(0, 4).flatmap(lambda k: bad if k == 0 else good)


names = mostly(st.sampled_from(["n", "m", "x", "y", "W", "J", "h"]), st.sampled_from(HOSTILE_TEXTS))
shapes = mostly(st.sampled_from(["n", "m x n", "scalar", "n x n", "1 x n", "0", "k", "5000 x n", PAYLOAD]),
                st.one_of(st.lists(st.one_of(names, st.integers(-2, 5000)), max_size=3), values))
claims = mostly(st.sampled_from(["x = x", "dJ/dx = x", "y = W @ x", "dJ/dW = dJ/dy @ x.T"]), scalars)
# tables shaped like problem files (so that loading gets far), any key also any value
problem_tables = st.fixed_dictionaries(
    {"id": mostly(st.just("p"))},
    optional={
        "title": mostly(st.sampled_from(["T", PAYLOAD])),
        "sizes": mostly(st.one_of(st.lists(names, max_size=3),
                                  st.dictionaries(names, mostly(st.integers(-3, 5000)), max_size=3))),
        "variables": mostly(st.dictionaries(names, mostly(shapes, st.fixed_dictionaries({}, optional={
            "shape": shapes, "constraints": st.lists(mostly(st.just("symmetric")), max_size=2)})), max_size=3)),
        "functions": mostly(st.lists(names, max_size=2)),
        "definitions": mostly(st.lists(mostly(st.sampled_from(["y = W @ x", "y = x", "z = y + x", "y = 2*x"])),
                                       max_size=3)),
        "arbitrary": mostly(st.dictionaries(names, st.lists(names, max_size=2), max_size=2)),
        "layout": mostly(st.sampled_from(["numerator", "denominator"])),
        "latex": mostly(st.dictionaries(mostly(st.sampled_from(["W_{1}", r"\hat{x}", r"\delta"]),
                                               st.sampled_from(HOSTILE_TEXTS)), names, max_size=2)),
        "claims": mostly(st.lists(mostly(claims, st.fixed_dictionaries({"claim": claims}, optional={
            "expect": mostly(st.sampled_from(["holds", "fails"])), "note": values})), max_size=3)),
        "notes": mostly(st.sampled_from(["", PAYLOAD, "a\nb"])),
    },
)
random_tables = mostly(problem_tables, st.one_of(st.dictionaries(keys, values, max_size=5), values))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_tables)
def test_loading_any_table_is_a_problem_or_one_line_of_deriveerror(table):
    try:
        problem_from_dict(table, "random.toml")
    except DeriveError as error:
        message = str(error)
        assert message.startswith("random.toml")
        assert message.splitlines() == [message] and message.isprintable(), message


def test_a_gradient_convention_needs_a_symmetric_matrix():
    with pytest.raises(ProblemError, match="a gradient convention is for a symmetric matrix"):
        problem_from_dict({"id": "c", "sizes": ["n"], "variables": {"S": {"shape": "n x n", "gradient": "cookbook"}}})
    with pytest.raises(ProblemError, match="expected 'cookbook' or 'symmetrized', not 'Cookbook'"):
        problem_from_dict({"id": "c", "sizes": ["n"], "variables": {
            "S": {"shape": "n x n", "constraints": ["symmetric"], "gradient": "Cookbook"}}})
