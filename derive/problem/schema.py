r"""What a problem file may contain, as data: every key, what it must hold, and one-line errors.

``SCHEMA`` is a table of key → rule; ``validate(data, where)`` walks a parsed TOML table against
it before anything else reads the file, and raises a ``ProblemError`` of one line naming the file,
the key as a dotted path (``claims[3].expect``: lists are counted from 1, as ``derive check``
numbers claims; an odd key is quoted, ``variables."a b"``) and what was expected, with a
did-you-mean for an unknown key. So a wrong type is never a traceback further on, and no name
that is not an identifier reaches the printer.

The rules, each a small class: ``Text`` (one line or several, never a control character),
``Name`` (an identifier of the claim language), ``Choice`` (one of a few texts), ``Size`` (a whole
number from 0 to ``limits.MAX_SIZE``), ``ListOf``, ``TableOf`` (a table of name → rule), ``Table``
(fixed keys) and ``AnyOf`` (alternatives told apart by type). What needs the whole problem (a
size that is not declared, a name declared twice, a definition's shape) is checked by
``problem.problem_from_dict`` after this, with the same way of naming the key.

``latex_spelling_error(text)`` is the check of a ``[latex]`` spelling: only a safe subset of LaTeX
(letters, digits, sub- and superscripts, braces, and commands from an allow-list: Greek letters,
accents such as ``\hat``, fonts such as ``\mathbf``), so that a spelling cannot run a command.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ProblemError
from ..limits import MAX_SIZE

# A name of the claim language: claim.lark's NAME (a word, not starting with a digit) that is also
# a Python identifier (the LaTeX reader's rule for a name). No primes: h' is a derivative.
NAME = re.compile(r"[^\W\dᵀ][^\Wᵀ]*")
MAX_NAME = 64  # characters in a name
MAX_SPELLING = 100  # characters in a [latex] spelling
PROBLEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")

CONSTRAINTS = ("symmetric", "spd", "invertible", "positive", "probability", "stochastic")
# the gradient by a symmetric matrix: G + Gᵀ − G∘I (The Matrix Cookbook, (138)) or (G + Gᵀ)/2
# (Srinivasan & Panda, 2019), G the gradient with every entry free
GRADIENT_CONVENTIONS = ("cookbook", "symmetrized")
VERDICTS = ("holds", "fails", "undecided")
LAYOUTS = ("numerator", "denominator")

# Unicode's bidirectional controls reorder what a reader sees ("Trojan source")
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


class _Invalid(Exception):
    """A rule's complaint: the path of the key and what is wrong, joined to the file by validate."""

    def __init__(self, path: str, message: str):
        super().__init__(path, message)
        self.path = path
        self.message = message


def shown(value: object, limit: int = 40) -> str:
    """A value as a message shows it: one line, quoted, cut at ``limit`` characters."""
    if isinstance(value, str):
        text = value if len(value) <= limit else value[:limit] + "…"
        return repr(text)
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, (int, float)) else type(value).__name__


def describe(value: object) -> str:
    """What a value is, for 'expected …, not …': the text 'abc', the number 2.7, a list."""
    if isinstance(value, str):
        return f"the text {shown(value)}"
    if isinstance(value, bool):
        return f"the boolean {shown(value)}"
    if isinstance(value, (int, float)):
        return f"the number {shown(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return "a date or time" if type(value).__module__ == "datetime" else f"a {type(value).__name__}"


def key_path(path: str, key: str) -> str:
    """``path.key``, the key quoted (as TOML quotes it) when it is not a plain name."""
    if not isinstance(key, str):
        key = repr(key)
    elif not re.fullmatch(r"[A-Za-z0-9_-]+", key):
        key = one_line(json.dumps(key if len(key) <= 40 else key[:40] + "…", ensure_ascii=False))
    return f"{path}.{key}" if path else key


def name_error(name: object) -> str | None:
    """Why ``name`` cannot be a name of a problem (a variable, size, function, definition), or None."""
    if not isinstance(name, str):
        return f"a name is a text, not {describe(name)}"
    if not name:
        return "a name cannot be empty"
    if len(name) > MAX_NAME:
        return f"the name {shown(name)} is {len(name)} characters long; the limit is {MAX_NAME}"
    if not (NAME.fullmatch(name) and name.isidentifier()):
        return (f"{shown(name)} is not a name (letters, digits and _, not starting with a digit; "
                "a LaTeX spelling goes in the [latex] table)")
    return None


def text_error(text: str, multiline: bool) -> str | None:
    """Why ``text`` cannot be in a problem file: a control character (tab and line feed aside),
    a bidirectional override, or a line break where one line is expected."""
    for char in text:
        if char in "\n\r" and not multiline:
            return "expected one line, found a line break"
        if char in "\n\r\t":
            continue
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in _BIDI:
            return f"the control character U+{ord(char):04X} is not allowed"
    return None


# -- LaTeX spellings ---------------------------------------------------------------------------

LATEX_GREEK = frozenset("""alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa
    lambda mu nu xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta
    Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega ell""".split())
LATEX_ACCENTS = frozenset("hat widehat tilde widetilde bar overline underline vec dot ddot check breve "
                          "acute grave".split())
LATEX_FONTS = frozenset("mathbf boldsymbol bm mathrm mathit mathsf mathcal mathbb mathfrak "
                        "operatorname".split())
LATEX_SYMBOLS = frozenset("prime star ast dagger".split())
LATEX_COMMANDS = LATEX_GREEK | LATEX_ACCENTS | LATEX_FONTS | LATEX_SYMBOLS
_LATEX_TOKEN = re.compile(r"\\[A-Za-z]+|[A-Za-z0-9 _^{}()\[\]',+\-*./]")


def latex_spelling_error(text: object) -> str | None:
    r"""Why ``text`` is not a safe LaTeX spelling of a name, or None: the allowed characters are
    letters, digits, spaces, ``_ ^ { } ( ) [ ] ' , + - * . /``, and commands of ``LATEX_COMMANDS``
    (``\hat{y}``, ``\delta``, ``\mathbf{x}``, ``W^{(1)}``); braces balance, and ``^^`` (TeX's
    spelling of a character by its code) never occurs."""
    if not isinstance(text, str):
        return f"a LaTeX spelling is a text, not {describe(text)}"
    if not text.strip():
        return "a LaTeX spelling cannot be empty"
    if len(text) > MAX_SPELLING:
        return f"the LaTeX spelling is {len(text)} characters long; the limit is {MAX_SPELLING}"
    position = depth = 0
    previous = ""
    while position < len(text):
        match = _LATEX_TOKEN.match(text, position)
        if match is None:
            char = text[position]
            what = shown(char) if char.isprintable() else f"U+{ord(char):04X}"
            return (f"{what} is not allowed in a LaTeX spelling (letters, digits, _ ^ {{ }} ( ) and "
                    "commands such as \\hat, \\mathbf, \\delta)")
        token = match.group()
        if token.startswith("\\") and token[1:] not in LATEX_COMMANDS:
            return (f"{token} is not an allowed LaTeX command (allowed: Greek letters, accents such as "
                    "\\hat and \\bar, fonts such as \\mathbf, \\prime)")
        if token in "_^" and previous in ("_", "^"):
            return "a LaTeX spelling cannot put two scripts in a row (^^ spells a character by its code)"
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return "the braces of the LaTeX spelling do not balance"
        if token != " ":
            previous = token
        position = match.end()
    if depth:
        return "the braces of the LaTeX spelling do not balance"
    if previous in ("_", "^"):
        return "the LaTeX spelling ends in a script with nothing to carry"
    return None


# -- rules ---------------------------------------------------------------------------------------

class Rule:
    """What one value must be. ``kind`` is the Python type that tells alternatives apart;
    ``expected`` says what is wanted, for 'expected …, not …'."""

    kind: type | tuple[type, ...] = object
    expected = "a value"

    def fits(self, value: object) -> bool:
        return isinstance(value, self.kind) and not (isinstance(value, bool) and bool not in _kinds(self.kind))

    def check(self, value: object, path: str) -> None:
        if not self.fits(value):
            raise _Invalid(path, f"expected {self.expected}, not {describe(value)}")
        self.check_value(value, path)

    def check_value(self, value: Any, path: str) -> None:
        """Checks beyond the type (the type already fits: a subclass names its ``kind``)."""


def _kinds(kind) -> tuple:
    return kind if isinstance(kind, tuple) else (kind,)


@dataclass
class Text(Rule):
    expected: str = "a text"
    multiline: bool = True
    pattern: re.Pattern | None = None
    kind = str

    def check_value(self, value: str, path: str) -> None:
        problem = text_error(value, self.multiline)
        if problem is None and self.pattern is not None and not self.pattern.fullmatch(value):
            problem = f"expected {self.expected}, not {shown(value)}"
        if problem:
            raise _Invalid(path, problem)


@dataclass
class Name(Rule):
    expected: str = "a name"
    kind = str

    def check_value(self, value: str, path: str) -> None:
        problem = name_error(value)
        if problem:
            raise _Invalid(path, problem)


@dataclass
class Choice(Rule):
    options: tuple[str, ...] = ()
    kind = str

    @property
    def expected(self) -> str:
        quoted = [repr(o) for o in self.options]
        return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]

    def check_value(self, value: str, path: str) -> None:
        if value not in self.options:
            raise _Invalid(path, f"expected {self.expected}, not {shown(value)}")


@dataclass
class Size(Rule):
    """A fixed size: a whole number from 1 to MAX_SIZE, or 0 for a size left free."""

    expected: str = f"a whole number from 1 to {MAX_SIZE} (0 leaves the size free)"
    kind = int

    def check_value(self, value: int, path: str) -> None:
        if value < 0:
            raise _Invalid(path, f"a size is positive (or 0, free), not {value}")
        if value > MAX_SIZE:
            raise _Invalid(path, f"the size {value} is past the limit of {MAX_SIZE}")


@dataclass
class Dim(Rule):
    """One dimension of a shape written as a list: a size name or a whole number 1..MAX_SIZE."""

    expected: str = "a size name or a whole number"
    kind = (str, int)

    def check_value(self, value: str | int, path: str) -> None:
        if isinstance(value, int):
            if not 1 <= value <= MAX_SIZE:
                raise _Invalid(path, f"a dimension is a whole number from 1 to {MAX_SIZE}, not {value}")
        elif not value.isdigit():
            Name().check_value(value, path)


@dataclass
class ListOf(Rule):
    item: Rule = None
    expected: str = "a list"
    unique: bool = False
    most: int | None = None
    kind = list

    def check_value(self, value: list, path: str) -> None:
        if self.most is not None and len(value) > self.most:
            raise _Invalid(path, f"expected at most {self.most} items, found {len(value)}")
        seen = set()
        for number, item in enumerate(value, 1):
            where = f"{path}[{number}]"
            self.item.check(item, where)
            if self.unique:
                if item in seen:
                    raise _Invalid(where, f"{shown(item)} is listed twice")
                seen.add(item)


@dataclass
class TableOf(Rule):
    """A table whose keys are checked by ``key`` (a name, a LaTeX spelling) and values by ``value``."""

    key: Rule = None
    value: Rule = None
    expected: str = "a table"
    kind = dict

    def check_value(self, table: dict, path: str) -> None:
        for key, value in table.items():
            self.key.check_value(key, path or "(top level)")
            self.value.check(value, key_path(path, key))


class LatexSpelling(Rule):
    kind = str

    def check_value(self, value: str, path: str) -> None:
        problem = latex_spelling_error(value)
        if problem:
            raise _Invalid(path, f"{shown(value)}: {problem}")


@dataclass
class Table(Rule):
    """A table with fixed keys: each known key's rule, the required ones, and a did-you-mean for
    any other key."""

    keys: dict = None
    required: tuple[str, ...] = ()
    expected: str = "a table"
    kind = dict

    def check_value(self, table: dict, path: str) -> None:
        for key in self.required:
            if key not in table:
                raise _Invalid(key_path(path, key), f"missing (expected {self.keys[key].expected})")
        for key in table:
            if key not in self.keys:
                close = difflib.get_close_matches(str(key), list(self.keys), n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(self.keys)
                raise _Invalid(key_path(path, key), f"unknown key ({hint})")
        for key, rule in self.keys.items():
            if key in table:
                rule.check(table[key], key_path(path, key))


@dataclass
class AnyOf(Rule):
    """One of several rules, chosen by the value's type (a claim is a text or a table)."""

    options: tuple[Rule, ...] = ()
    expected: str = ""

    def fits(self, value: object) -> bool:
        return any(option.fits(value) for option in self.options)

    def check(self, value: object, path: str) -> None:
        for option in self.options:
            if option.fits(value):
                option.check(value, path)
                return
        raise _Invalid(path, f"expected {self.expected}, not {describe(value)}")


# -- the schema ----------------------------------------------------------------------------------

SHAPE = AnyOf((Text("a shape", multiline=False), ListOf(Dim(), "a list of at most two sizes", most=2)),
              expected="a shape such as 'm x d', 'd' or 'scalar' (or a list such as ['m', 'd'])")
VARIABLE = AnyOf((SHAPE.options[0], SHAPE.options[1],
                  Table({"shape": SHAPE, "constraints": ListOf(Choice(CONSTRAINTS), "a list of constraints"),
                         "gradient": Choice(GRADIENT_CONVENTIONS)},
                        expected="a table with shape and constraints")),
                 expected="a shape such as 'm x d' or a table such as { shape = 'n x n', constraints = "
                          "['symmetric'] }")
CLAIM = AnyOf((Text("a claim"),
               Table({"claim": Text("a claim such as 'dJ/dW = dJ/dy @ x.T'"), "expect": Choice(VERDICTS),
                      "diagnosis": Text("a diagnosis code", multiline=False), "correct": Text("a claim"),
                      "source": Text(multiline=False), "note": Text()},
                     required=("claim",))),
              expected="a claim text or a table such as { claim = 'dJ/dW = …', expect = 'holds' }")

SCHEMA = Table({
    "id": Text("an id such as 'linear-layer' (letters, digits, - _ .)", multiline=False, pattern=PROBLEM_ID),
    "title": Text(multiline=False),
    "source": Text(multiline=False),
    "notes": Text(),
    "sizes": AnyOf((ListOf(Name("a size name"), "a list of size names", unique=True), TableOf(Name(), Size())),
                   expected="a list of size names such as ['m', 'd'] or a table such as { n = 2 }"),
    "size_order": ListOf(Text("an order of sizes such as 'k < n'", multiline=False),
                         "a list of orders such as ['k < n']"),
    "layout": Choice(LAYOUTS),
    "functions": ListOf(Name("a function name"), "a list of function names", unique=True),
    "definitions": ListOf(Text("a definition such as 'y = W @ x + b'"), "a list of definitions"),
    "variables": TableOf(Name(), VARIABLE, "a table of name = shape"),
    "arbitrary": TableOf(Name(), ListOf(Name("a variable or definition name"), "a list of the names it depends on",
                                        unique=True),
                         "a table of name = [what it depends on]"),
    "latex": TableOf(LatexSpelling(), Name(), "a table of 'LaTeX spelling' = name"),
    "claims": ListOf(CLAIM, "a list of claims"),
}, required=("id",), expected="a table")


def problem_label(where: str, pid: str) -> str:
    """How errors name a problem: its file, and its id too when the file is named otherwise."""
    return where if Path(where).stem == pid else f"{where} ({pid})"


def one_line(text: str) -> str:
    """A file name or other outside text for a one-line message: control characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def validate(data: object, where: str) -> str:
    """Check a parsed problem file against ``SCHEMA``; a ``ProblemError`` names ``where`` (the
    file), the key and what was expected. Returns how further errors name the problem."""
    where = one_line(where)
    try:
        if not isinstance(data, dict):
            raise _Invalid("(top level)", f"expected a table, not {describe(data)}")
        if "id" in data:
            SCHEMA.keys["id"].check(data["id"], "id")
        label = problem_label(where, data["id"]) if isinstance(data.get("id"), str) else where
    except _Invalid as invalid:
        raise ProblemError(f"{where}: {invalid.path}: {invalid.message}") from None
    try:
        SCHEMA.check(data, "")
    except _Invalid as invalid:
        raise ProblemError(f"{label}: {invalid.path}: {invalid.message}") from None
    return label
