"""Property-based fuzzing of both readers (issue 10, "Done when"): random text and mutations of the
catalog's claims, into ``parser.parse_claim`` and ``latex_in.parse_latex_claim``, plain and with a
problem's reading (as answers are read), and mutations of the catalog's problem files into
``problem.load_problem``.

For every input: no exception but derive's own (``DeriveError``) escapes; every message is one
printable line (a syntax error adds the text, on one line, and a caret under its column, within the
text); a problem file's message names the file; each read finishes within ``GUARD`` seconds (a
SIGALRM fails the example); and a text that reads prints (``text.to_text``) as claim text that reads
back as the very same tree, so nothing accepted is misread on its way to the checker.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.errors import DeriveError, ParseError
from derive.grading.reading import latex_context, problem_reading
from derive.language.latex_in import parse_latex_claim
from derive.language.latex_out import to_latex
from derive.language.parser import parse_claim
from derive.language.text import to_text
from derive.problem.definition import catalog_paths, load_catalog, load_problem

GUARD = 5  # seconds for one read: far above any real one (well under 0.1 s), a hang below any CI's
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Hang(AssertionError):
    """A read that ran past GUARD seconds."""


@contextlib.contextmanager
def _guard(what: str):
    def expire(signum, frame):
        raise Hang(f"{what} ran past {GUARD} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(GUARD)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _assert_one_line(error: DeriveError) -> None:
    message = str(error)
    lines = message.split("\n")
    assert lines == message.splitlines(), f"a line break other than \\n: {message!r}"
    assert all(line.isprintable() for line in lines), f"unprintable characters: {message!r}"
    if isinstance(error, ParseError) and error.text and error.column is not None:
        assert len(lines) == 3, f"a syntax error is its line, the text and a caret: {message!r}"
        assert 0 <= error.column <= len(error.text), f"the caret is outside the text: {message!r}"
        assert len(lines[1]) == len(error.text) + 2, f"the text is not shown character for character: {message!r}"
        assert lines[2] == " " * (error.column + 2) + "^", f"the caret is not under its column: {message!r}"
    else:
        assert len(lines) == 1, f"more than one line: {message!r}"


def _read(read, text: str, what: str):
    """``read(text)``: its tree, or None when derive refused it the right way."""
    try:
        with _guard(what):
            return read(text)
    except DeriveError as error:
        _assert_one_line(error)
        return None


def _reads_back(chain) -> None:
    """What was read prints as claim text that reads back as the same tree."""
    printed = to_text(chain)
    assert parse_claim(printed).sides == chain.sides, printed


# -- what the fuzz draws from ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _catalog():
    return load_catalog()


@functools.lru_cache(maxsize=1)
def _claims() -> list[str]:
    return [spec.text for problem in _catalog() for spec in problem.claims]


@functools.lru_cache(maxsize=1)
def _latex_claims() -> list[str]:
    return [to_latex(spec.chain, scope=problem.claim_scope(spec.chain))
            for problem in _catalog() for spec in problem.claims]


CLAIM_TOKENS = [
    # the grammar's tokens and readings
    "x", "W", "y", "J", "S", "X", "b", "h", "dJ/dW", "dJ/dy", "dL/dX[i,j]", "dY[m,n]/dW[i,j]", "d(", ")/dx",
    "∂J/∂W", "sum_i(", "sum_{i,j}(", "sum_(", "delta(i,j)", "[", "]", "(", ")", ",", "=", "+", "-", "*",
    "/", "@", "**", ".T", "'", ":", "axis=", "axis=0", "keepdims=True", "np.", "numpy.", "np.linalg.inv(",
    "exp(", "log(", "sigmoid'(", "h'(", "kron(", "vec(", "diag(", "eye(", "ones(", "zeros(", "softmax(",
    "trace(", ".sum(", ".dot(", ".shape[0]", "len(", "^T", "^-1", "ᵀ", "⁻¹", "I_n", "i", "j", "m", "n",
    # literals, odd and huge
    "0", "1", "2", "0.5", ".5", "1.", "1e5", "1e-3", "1e99999999999", "0x10", "1_000", "9" * 120,
    # Unicode letters and digits, separators, control characters, TeX and Python
    "σ", "θ", "½", "²", "٣", "３", "ｘ", "𝐱", "é", "e\u0301", " ", "\t", "\n", "\r", "\x0b", "\x0c",
    "\x00", "\x1b[2J", "\x7f", "\x85", "\xa0", "\u200b", "\u2028", "\u2029", "\u202e", "\ufeff",
    "\\", "\\frac{", "^", "_", "{", "}", "$", "#", ";", '"', "`", "__import__('os')", "lambda: 0",
]
LATEX_TOKENS = [
    "x", "W", "y", "J", "X", "h", "d", "e", "\\frac{", "\\partial ", "}{", "{", "}", "\\top", "^", "_",
    "^{\\top}", "^{-1}", "^{(1)}", "^{\\circ 2}", "_{ij}", "_{i,:}", "\\sum_", "\\sum_{r=1}^{m}", "\\left(",
    "\\right)", "\\|", "\\lVert", "\\rVert", "\\cdot", "\\odot", "\\otimes", "\\oslash", "\\times",
    "\\mathbf{1}", "\\mathbf{0}_{n}", "\\text{", "\\mathrm{", "\\operatorname{tr}", "\\operatorname{softmax}",
    "\\sigma", "\\alpha", "\\ell", "\\delta_{", "\\sqrt{", "\\log", "\\det", "\\exp", "\\mathbb{1}[",
    "> 0]", "\\nabla_", "I_{", "\\begin{aligned}", "\\end{aligned}", "&", "\\\\", "\\", "(", ")", "[", "]",
    ",", ".", "=", "+", "-", "*", "@", "/", "'", "\\prime", "1", "2", "0.5", "9" * 120, "\\,", "\\;", "~",
    "\\input{/etc/passwd}", "\\write18{x}", "\\def", "\\catcode", "\\csname", "^^5c", "\\immediate",
    "½", "３", "\n", "\x00", "\x1b", "\u2028", "\xa0", "\u200b", "\ufeff",
]
CHARACTERS = st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Lm", "Nd", "No", "Nl", "Mn", "Sm",
                                                 "Zs", "Zl", "Zp", "Cc", "Cf", "Po", "Ps", "Pe", "Sk"))
SPICE = "xyWJdS0123456789.,:;=+-*/@()[]{}'^_\\ "


def token_texts(tokens):
    return st.lists(st.sampled_from(tokens), max_size=30).map("".join)


def character_texts():
    return st.text(st.one_of(st.sampled_from(SPICE), CHARACTERS), max_size=60)


@st.composite
def mutations(draw, texts, tokens):
    """A text of ``texts`` with one to four tokens inserted, characters deleted or replaced."""
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.one_of(st.sampled_from(tokens), st.sampled_from(SPICE), CHARACTERS))
        if kind == "insert":
            text = text[:at] + piece + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 3)):]
        else:
            text = text[:at] + piece + text[at + 1:]
    return text


problems = st.builds(lambda: None).flatmap(lambda _: st.sampled_from(_catalog()))


# -- the claim language ---------------------------------------------------------------------------

@FUZZ
@given(st.one_of(token_texts(CLAIM_TOKENS), character_texts()), problems)
def test_random_claim_text_is_read_or_refused_in_one_line(text, problem):
    for chain in (_read(parse_claim, text, "parse_claim"),
                  _read(lambda t: parse_claim(t, problem_reading(problem)), text, "parse_claim with a reading")):
        if chain is not None:
            _reads_back(chain)


@FUZZ
@given(st.builds(lambda: None).flatmap(lambda _: mutations(_claims(), CLAIM_TOKENS)), problems)
def test_mutated_catalog_claims_are_read_or_refused_in_one_line(text, problem):
    for chain in (_read(parse_claim, text, "parse_claim"),
                  _read(lambda t: parse_claim(t, problem_reading(problem)), text, "parse_claim with a reading")):
        if chain is not None:
            _reads_back(chain)


# -- LaTeX ----------------------------------------------------------------------------------------

@FUZZ
@given(st.one_of(token_texts(LATEX_TOKENS), character_texts()), problems)
def test_random_latex_is_read_or_refused_in_one_line(text, problem):
    context = latex_context(problem)
    for chain in (_read(parse_latex_claim, text, "parse_latex_claim"),
                  _read(lambda t: parse_latex_claim(t, **context), text, "parse_latex_claim with a problem")):
        if chain is not None:
            _reads_back(chain)


@FUZZ
@given(st.builds(lambda: None).flatmap(lambda _: mutations(_latex_claims(), LATEX_TOKENS)), problems)
def test_mutated_latex_of_catalog_claims_is_read_or_refused_in_one_line(text, problem):
    context = latex_context(problem)
    for chain in (_read(parse_latex_claim, text, "parse_latex_claim"),
                  _read(lambda t: parse_latex_claim(t, **context), text, "parse_latex_claim with a problem")):
        if chain is not None:
            _reads_back(chain)


# -- problem files --------------------------------------------------------------------------------

PROBLEM_TOKENS = ['"', "'", "[", "]", "{", "}", "=", ",", "\n", "#", ".", "\\", "\\u0000", "0", "-3",
                  "2.7", "1e999", "nan", "inf", "true", "99999999999999999999", "x", "n", "m x d",
                  "20000 x 20000", "scalar", "holds", "undecided", "[[claims]]", "[variables]", "[latex]",
                  "expect", "claim", "sizes", "definitions", "eye(20000)", "1e99999999999", "x}\\\\write18{x}",
                  "\u2028", "\ufeff", "é"]


@functools.lru_cache(maxsize=1)
def _problem_texts() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in catalog_paths()]


@settings(FUZZ, max_examples=80)
@given(st.builds(lambda: None).flatmap(lambda _: mutations(_problem_texts(), PROBLEM_TOKENS)))
def test_mutated_problem_files_load_or_are_refused_in_one_line_naming_the_file(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutant.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            with _guard("load_problem"):
                load_problem(path)
        except DeriveError as error:
            _assert_one_line(error)
            assert "mutant.toml" in str(error), f"the message does not name the file: {error}"
