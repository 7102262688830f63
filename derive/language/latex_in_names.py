"""How the LaTeX reader reads a name: part of ``latex_in`` (the LaTeX reader).

A letter, a Greek letter (``\\varepsilon`` is ``epsilon``), ``\\text{LOSS}``, a bold or accented
letter (``\\hat{y}`` is ``yhat``), a run of letters against a problem (``yhat``, ``dk``: the
longest quantity first), ``d_k`` for the quantity ``dk``, a label ``x^{(4)}``, and the spellings
a problem names (``names``, compared by ``latex_key``), which win over every other rule.
``_Names`` is the part of the transformer (``latex_in_transform._ToAst``) that does it.
"""

from __future__ import annotations

import re

import lark

from . import ast
from .latex_in_pending import _fail, _Group, _join, _Juxt, _Mark, _Marker, _span

_GREEK_ALIASES = {"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi"}
_SCRIPT_BRACES = re.compile(r"([_^])\{([A-Za-z0-9])\}")
# An accent or a calligraphic font on a letter: what it adds to the name (\hat{y} is yhat)
_ACCENTS = {"hat": "hat", "widehat": "hat", "tilde": "tilde", "widetilde": "tilde", "bar": "bar",
            "overline": "bar", "check": "check", "breve": "breve", "dot": "dot", "ddot": "ddot",
            "acute": "acute", "grave": "grave", "mathcal": "", "mathscr": "", "mathfrak": ""}
_ACCENT = re.compile(r"\\(?P<accent>[A-Za-z]+)\s*\{?\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{)?\s*\\?"
                     r"(?P<inner>[A-Za-z][A-Za-z0-9]*)\s*\}?\s*\}?")
_ACCENT_KEY = re.compile(r"(\\(?:" + "|".join(_ACCENTS) + r"))\s*([A-Za-z]|\\[A-Za-z]+)(?![A-Za-z])")


def latex_key(latex: str) -> str:
    """A LaTeX spelling as ``names`` keys are compared: no spaces, ``_{2}`` the same as ``_2``,
    ``\\hat y`` the same as ``\\hat{y}``."""
    return _SCRIPT_BRACES.sub(r"\1\2", re.sub(r"\s+", "", _ACCENT_KEY.sub(r"\1{\2}", latex)))


@lark.v_args(meta=True)
class _Names(lark.Transformer):
    """The transformer's reading of names (it needs ``text``, ``names``, ``functions``,
    ``quantities`` and ``reading``, and ``_node`` to settle a reading)."""

    def _named(self, span: ast.Span) -> ast.Name | None:
        """The variable ``names`` gives this stretch of LaTeX, if any."""
        target = self.names.get(latex_key(self._source(span)))
        return None if target is None else ast.Name(target, span=span)

    def _source(self, span: ast.Span) -> str:
        return self.text[span[0]:span[1]] if span else ""

    def _letter_runs(self, factors: list) -> list:
        """Letters written together, ``yhat`` or ``dk``: against a problem, a run that spells one
        of its quantities is that name (the longest first); letters that spell none multiply
        (``Wx``), but only when each is a quantity: ``yhat`` with no quantity h, a or t is
        unreadable, not the product y h a t. Without a problem every letter is a name."""
        if not self.quantities:
            return factors
        out, k = [], 0
        while k < len(factors):
            end = k + 1
            while (end < len(factors) and self._letter(factors[end]) and self._letter(factors[end - 1])
                   and factors[end - 1].span[1] == factors[end].span[0]):
                end += 1
            if end - k < 2:
                out.append(factors[k])
                k = end
                continue
            out.extend(self._read_run(factors[k:end]))
            k = end
        return out

    def _letter(self, item) -> bool:
        """A one-letter name (or the d of a derivative) as written: its source is one letter."""
        span = getattr(item, "span", None)
        return isinstance(item, (ast.Name, _Mark)) and (not isinstance(item, _Mark) or item.kind == "d") \
            and span is not None and span[1] - span[0] == 1 and self.text[span[0]].isalpha()

    def _read_run(self, run: list) -> list:
        letters = "".join(self.text[item.span[0]] for item in run)
        longest = max((len(q.replace("_", "")) for q in self.quantities), default=0)
        out, i = [], 0
        while i < len(run):
            for j in range(min(len(run), i + longest), i + 1, -1):
                name = self.reading.resolve(letters[i:j])
                if name in self.quantities:
                    out.append(ast.Name(name, span=(run[i].span[0], run[j - 1].span[1])))
                    i = j
                    break
            else:
                out.append(run[i])
                i += 1
        known = self.quantities | set(self.functions) | set(self.names.values())
        unknown = [self.text[item.span[0]] for item in out if self._letter(item)
                   and (item.id if isinstance(item, ast.Name) else "d") not in known]
        if unknown:
            listed = ", ".join(sorted(self.quantities)[:12])
            unknown = list(dict.fromkeys(unknown))
            which = f"{unknown[0]} is not a quantity" if len(unknown) == 1 else \
                f"{', '.join(unknown)} are not quantities"
            raise _fail(f"'{letters}' reads letter by letter as the product {' '.join(letters)}, and "
                        f"{which} of the problem: write one of its quantities ({listed})", run[0].span)
        return out

    # -- names -----------------------------------------------------------------------------------

    def letter(self, meta, children):
        (token,) = children
        if str(token) == "d":
            return _Mark("d", _span(token))
        return self._named(_span(token)) or ast.Name(str(token), span=_span(token))

    def greek(self, meta, children):
        (token,) = children
        name = str(token)[1:]
        return self._named(_span(token)) or ast.Name(_GREEK_ALIASES.get(name, name), span=_span(token))

    def text_name(self, meta, children):
        (token,) = children
        named = self._named(_span(token))
        if named:
            return named
        content = str(token)[str(token).index("{") + 1:-1]
        if content == "d":
            return _Mark("d", _span(token))
        if not _is_name(content):  # \text{Then } or \text{if } is prose
            raise _fail(f"'{token}' is prose, not a name (a name is letters and digits, as in "
                        r"\text{LOSS})", _span(token))
        return ast.Name(self.reading.resolve(content), span=_span(token))

    def bold(self, meta, children):
        (token,) = children
        named = self._named(_span(token))
        if named:
            return named
        content = re.sub(r"\s", "", str(token)[str(token).index("{") + 1:-1])
        if content in ("1", "0"):
            return _Marker("ones" if content == "1" else "zeros", _span(token))
        if content.startswith("\\"):
            content = _GREEK_ALIASES.get(content[1:], content[1:])
        if not _is_name(content):
            raise _fail(f"'{token}' is not a name", _span(token))
        return ast.Name(self.reading.resolve(content), span=_span(token))

    def accent(self, meta, children):
        """``\\hat{y}``: the problem's ``[latex]`` spelling if it has one; else the name the accent
        makes (``yhat``, or ``y_hat`` where the problem has that), which against a problem must
        be one of its quantities; a calligraphic letter, ``\\mathcal{L}``, is the letter."""
        (token,) = children
        named = self._named(_span(token))
        if named:
            return named
        match = _ACCENT.match(str(token))
        inner = _GREEK_ALIASES.get(match["inner"], match["inner"])
        name = self.reading.resolve(inner + _ACCENTS[match["accent"]])
        if self.quantities and _ACCENTS[match["accent"]] and name not in self.quantities:
            listed = ", ".join(sorted(self.quantities)[:12])
            raise _fail(f"'{token}' is not a quantity of this problem: write one of its quantities "
                        f"({listed}); a problem may name its own spellings in its [latex] table",
                        _span(token))
        return ast.Name(name, span=_span(token))

    def name_call(self, meta, children):
        """``h(X)``: a call if h is primed, declared in ``functions`` or given several
        arguments; otherwise the name times the parenthesis, ``W(x + b)``."""
        token, group = children
        spelled = re.sub(r"'|\\prime", "", str(token))
        primes = len(re.findall(r"'|\\prime", str(token)))
        span = (token.start_pos, token.start_pos + len(spelled))
        name = (self.names.get(latex_key(spelled))
                or _GREEK_ALIASES.get(spelled[1:], spelled.lstrip("\\")))
        if primes or name in self.functions or len(group.items) > 1:
            return ast.Call(name, group.items, (), primes, span=_span(meta))
        return _Juxt((ast.Name(name, span=span), group))

    def _subscripted_name(self, base, arg, span) -> ast.Name | None:
        """``d_k`` for the problem's quantity ``dk`` (or ``d_k``): a letter that is no quantity,
        with a subscript of letters and digits that makes one."""
        if not self.quantities or not isinstance(base, (ast.Name, _Mark)) or \
                (isinstance(base, _Mark) and base.kind != "d"):
            return None
        head = base.id if isinstance(base, ast.Name) else "d"
        if head in self.quantities:
            return None
        parts = arg.factors if isinstance(arg, _Juxt) else (arg,)
        words = []
        for part in parts:
            if isinstance(part, ast.Name) and part.id.isalnum():
                words.append(part.id)
            elif isinstance(part, _Mark) and part.kind == "d":
                words.append("d")
            elif isinstance(part, ast.Number) and part.value.denominator == 1 and part.value >= 0:
                words.append(str(part.value.numerator))
            else:
                return None
        name = self.reading.resolve(f"{head}_{''.join(words)}")
        return ast.Name(name, span=span) if name in self.quantities else None

    def _label(self, base, group: _Group, script_span) -> ast.Name:
        if not (isinstance(base, ast.Name) and len(group.items) == 1):
            raise _fail("a superscript label (4) follows a plain name, as in x^{(4)}; for other "
                        "spellings pass names={'...': 'x4'}", script_span)
        (label,) = group.items
        if isinstance(label, ast.Number) and label.value.denominator == 1 and label.value >= 0:
            return ast.Name(f"{base.id}{label.value.numerator}", span=_join(base, group))
        if isinstance(label, ast.Name):
            return ast.Name(f"{base.id}{label.id}", span=_join(base, group))
        raise _fail("a superscript label is one name or number in parentheses, as in x^{(4)}; "
                    "for others pass names={'w^{(t+1)}': 'w_next'}", script_span)


def _is_name(text: str) -> bool:
    """A name the claim language writes too: letters, digits and _, not starting with a digit
    (``isidentifier`` alone lets combining accents through, which no claim reads back)."""
    return text.isidentifier() and re.fullmatch(r"\w+", text) is not None
