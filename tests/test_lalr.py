"""derive.language.lalr: the prebuilt parse tables are those of the grammars as they are, a parser
loaded from them reads what one built from the grammar reads, and stale tables are not used."""

from __future__ import annotations

import tomllib

import lark
import pytest

from derive.language import lalr
from derive.problem.files import catalog_paths

from .test_latex_in import CLAIMS as LATEX_CLAIMS


@pytest.mark.parametrize("grammar", lalr.GRAMMARS)
def test_the_prebuilt_tables_are_current(grammar):
    assert lalr.stored_digest(grammar) == lalr.digest(grammar), (
        f"{lalr.tables_module(grammar)} is stale: rebuild it with `python -m derive.language.lalr`")


def _catalog_claims() -> list[str]:
    texts = []
    for path in catalog_paths():
        for claim in tomllib.loads(path.read_text(encoding="utf-8")).get("claims", []):
            texts.append(claim["claim"])
    return texts


def _outcome(parser: lark.Lark, text: str):
    try:
        return parser.parse(text)
    except lark.exceptions.UnexpectedInput as error:
        return type(error).__name__, error.line, error.column


@pytest.mark.parametrize("grammar, texts", [
    ("claim.lark", _catalog_claims() + ["dJ/dW = W @", "x + * y", "sum_{i,j}(A[i,j]"]),
    ("latex.lark", [case[1] for case in LATEX_CLAIMS] + [r"\frac{a}{", r"a = \left( b"]),
])
def test_a_loaded_parser_reads_as_one_built_from_the_grammar(grammar, texts):
    loaded = lalr.lalr_parser(grammar)
    built = lark.Lark(lalr.grammar_text(grammar), **lalr.OPTIONS)
    assert len(texts) > 3
    for text in texts:
        assert _outcome(loaded, text) == _outcome(built, text), text


def test_stale_tables_are_not_used(monkeypatch):
    monkeypatch.setattr(lalr, "stored_digest", lambda grammar: "a digest of another grammar")
    loaded = []
    monkeypatch.setattr(lark.Lark, "load", classmethod(lambda cls, f: loaded.append(f)))
    parser = lalr.lalr_parser("claim.lark")
    assert loaded == [] and parser.parse("a = b") is not None
