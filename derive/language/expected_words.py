"""What the claim parser says it expected at a syntax error, in words: ``unexpected ')' (expected
an expression, '(')`` rather than Lark's token names."""

from __future__ import annotations

_TOKENS = {"RPAR": "')'", "LPAR": "'('", "RSQB": "']'", "LSQB": "'['", "$END": "the end of the text",
           "EQUAL": "'='", "COMMA": "','", "MINUS": "'-'", "PLUS": "'+'", "AT": "'@'", "STAR": "'*'",
           "SLASH": "'/'", "DOUBLE_STAR": "'**'", "COLON": "':'", "INT": "an index", "DWRT": "d<variable>"}
_STARTS = {"NAME", "CALLEE", "NUMBER", "LPAR", "DERIV", "DOPEN", "SUM"}


def expected_words(tokens: set[str]) -> str:
    """The expected tokens in words: 'an expression' stands for everything that can start one;
    the postfix marks that may follow any operand (.T, ^T, ', [, .sum() ...) are not listed."""
    words = []
    if tokens & _STARTS:
        words.append("an expression")
        tokens = tokens - {"MINUS", "PLUS"}
    words += sorted(_TOKENS[t] for t in tokens - _STARTS if t in _TOKENS)
    return ", ".join(words[:6])
