"""derive.oracles.index.notes: each rule a step cites is a tree that reads as its text, and a
justification is taken apart into rules and prose without reading any text."""

from __future__ import annotations

import lark
import pytest

from derive.language.parser import parse_sides
from derive.oracles.index import derive_gradient
from derive.oracles.index.notes import (
    DETERMINANT,
    INVERSE,
    NOTES,
    RULE_TEXTS,
    VARIABLE,
    of_function,
    of_variable,
    reasons,
    rule_tree,
)
from derive.problem.definition import find_problem


@pytest.mark.parametrize("text", sorted(RULE_TEXTS))
def test_every_rule_is_the_tree_its_text_reads_as(text):
    assert rule_tree(text) == parse_sides(text)
    assert reasons(f"derivative of each entry: {text}; chain rule through y")[1] == (
        parse_sides(text), "chain rule through y")


def test_the_rules_are_read_when_first_cited_not_at_import():
    import subprocess
    import sys
    code = ("import derive.oracles.index.notes as n; before = len(n.NOTES); "
            "n.reasons('x: (A.T)[i,j] = A[j,i]'); print(before, len(n.NOTES))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "1"]


@pytest.mark.parametrize("template, text", [
    (VARIABLE, "dW1[a,b]/dW1[i,j] = delta(a,i)*delta(b,j)"),
    (INVERSE, "d(inv(X2)[a,b])/dX2[i,j] = -inv(X2)[a,i]*inv(X2)[j,b]"),
    (DETERMINANT, "d(det(S))/dS[i,j] = det(S)*inv(S)[j,i]"),
])
def test_a_rule_about_a_variable_is_the_template_with_its_name(template, text):
    variable = text.split(")/d" if text.startswith("d(") else "/d")[1].split("[")[0]
    assert NOTES[of_variable(template, text, variable)] == parse_sides(text)


@pytest.mark.parametrize("function, order", [("sigmoid", 0), ("h", 1), ("tanh", 2)])
def test_a_function_rule_is_the_tree_of_its_text(function, order):
    text = f"d({function}{chr(39) * order}(u))/du = {function}{chr(39) * (order + 1)}(u)"
    assert NOTES[of_function(text, function, order)] == parse_sides(text)


def test_a_justification_splits_into_its_head_rules_and_prose():
    head, parts = reasons("derivative of each entry: (A.T)[i,j] = A[j,i]; chain rule through y")
    assert head == "derivative of each entry"
    assert parts == (parse_sides("(A.T)[i,j] = A[j,i]"), "chain rule through y")


def test_the_reasons_of_a_derivation_are_read_without_any_parsing(monkeypatch):
    problem = find_problem("mlp-two-layer")

    def refuse(*args, **kwargs):
        raise AssertionError("a justification was parsed")

    monkeypatch.setattr(lark.Lark, "parse", refuse)
    steps = derive_gradient(problem, "E", "W1").steps
    cited = [part for step in steps for part in step.reasons[1] if not isinstance(part, str)]
    assert cited  # the derivation cites rules, as trees
