"""How the claim language's names are spelled in LaTeX, and how LaTeX text is tokenised.

``default_name`` is the one spelling students see (``W1`` → ``W_{1}``, ``alpha`` → ``\\alpha``):
the printer, the problem files' LaTeX names and the export all use it. ``tex_escape`` makes any
text safe inside TeX.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_GREEK_WORDS = [
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "varpi", "rho", "varrho", "sigma",
    "varsigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
]
_GREEK_LETTERS = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta", "η": "eta",
    "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi",
    "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "χ": "chi",
    "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi",
    "Π": "Pi", "Σ": "Sigma", "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
    "lam": "lambda", "eps": "epsilon", "ℓ": "ell",
}
GREEK = {word: "\\" + word for word in _GREEK_WORDS}
GREEK.update({name: "\\" + word for name, word in _GREEK_LETTERS.items()})
_TRAILING_DIGITS = re.compile(r"([^\W\d_]+)(\d+)")
_IDENTIFIER = re.compile(r"[^\W\d]\w*")  # claim.lark's NAME
# LaTeX's special characters in text, each as text
TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
               "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped, and anything unprintable as ``?``."""
    return "".join(TEX_SPECIAL.get(c, c if c.isprintable() else "?") for c in text)


def default_name(name: str) -> str:
    r"""A name's LaTeX: ``W1`` → ``W_{1}``, ``x_2`` → ``x_{2}``, ``alpha`` and ``α`` → ``\alpha``,
    ``lam`` → ``\lambda``, a one-letter name as it is, a longer one → ``\mathrm{name}``.
    Anything that is not a name of the claim language (problems refuse such names) is shown as
    escaped text, so that no input reaches the document as LaTeX."""
    if not (_IDENTIFIER.fullmatch(name) or (name.isascii() and name.isdigit())):
        return r"\text{" + tex_escape(name) + "}"
    return _name_part(name)


def _name_part(name: str) -> str:
    """A name, or a part of one between underscores (which may start with a digit), as LaTeX."""
    if name in GREEK:
        return GREEK[name]
    if name.isascii() and name.isdigit():
        return name
    head, underscore, tail = name.partition("_")
    if underscore and head and tail:
        return f"{_name_part(head)}_{{{_name_part(tail)}}}"
    match = _TRAILING_DIGITS.fullmatch(name)
    if match:
        return f"{_name_part(match[1])}_{{{match[2]}}}"
    if len(name) == 1 and name.isascii() and name.isalpha():
        return name
    if name.isascii():
        return r"\mathrm{" + name.replace("_", r"\_") + "}"
    return r"\text{" + name.replace("_", r"\_") + "}"


_TOKEN = re.compile(r"\\(?:left|right)(?![A-Za-z])(?:\\[A-Za-z]+|\\.|.)|\\[A-Za-z]+|\\.|.", re.DOTALL)


def tokens(text: str) -> Iterator[tuple[str, int]]:
    """``(token, depth)`` pairs: TeX tokens with their depth in braces and ``\\left``…``\\right``
    pairs (an opening token has the depth outside it)."""
    depth = 0
    for token in _TOKEN.findall(text):
        if token == "}" or token.startswith(r"\right"):
            depth -= 1
            yield token, depth
            continue
        yield token, depth
        if token == "{" or token.startswith(r"\left"):
            depth += 1


def scripts(text: str) -> tuple[bool, bool]:
    """Whether ``text`` ends in a subscript, a superscript: what a further script would clash
    with. ``\\mathbf{1}_{n}`` ends in a subscript; ``h'\\left(X\\right)`` ends in a delimiter,
    which takes scripts of its own."""
    sub = sup = argument = False  # argument: the next token is a script's argument
    for token, depth in tokens(text):
        if depth > 0 or token.isspace() or token == "}" or token.startswith(r"\right"):
            continue
        if token in ("_", "^"):
            sub, sup, argument = sub or token == "_", sup or token == "^", True
        elif token == "'":
            sup = True
        elif argument:
            argument = False
        else:
            sub = sup = False
    return sub, sup
