"""derive.language.primitives: every row of the primitive table has a rule in every engine, and
a call of every row prints and reads back as itself."""

from __future__ import annotations

import importlib

import pytest

from derive.language import ast
from derive.language.parser import parse_expr
from derive.language.primitives import ENGINES, PRIMITIVES, Rules, engine_rules
from derive.language.text import to_text

# The engine modules, each registering its rules when imported: (engine name, module).
ENGINE_MODULES = {
    "shapes": "derive.language.shapes",
    "latex printer": "derive.language.latex_out",
    "exact oracle": "derive.oracles.symbolic",
    "numeric oracle": "derive.oracles.numeric",
    "diagnosis": "derive.verdict.slips",
    "latex reader": "derive.language.latex_in_rules",
}


@pytest.mark.parametrize("engine", ENGINE_MODULES)
def test_every_engine_has_a_rule_for_every_primitive(engine):
    importlib.import_module(ENGINE_MODULES[engine])
    assert engine in ENGINES, f"{ENGINE_MODULES[engine]} registers no rules under {engine!r}"
    assert ENGINES[engine].missing() == [], f"the {engine} has no rule for these rows of the table"


def test_every_engine_that_registers_rules_is_checked_here():
    for module in ENGINE_MODULES.values():
        importlib.import_module(module)
    assert set(ENGINES) <= set(ENGINE_MODULES) | {"index engine"}


def test_a_rule_for_a_function_the_table_does_not_have_is_refused():
    rules = Rules("test engine")
    with pytest.raises(KeyError, match="erf is not a row"):
        rules.add(["erf"], object())


def test_a_second_rule_for_one_row_is_refused():
    rules = Rules("test engine")
    rules.add(["exp"], object())
    with pytest.raises(KeyError, match="exp has a rule already"):
        rules.add(["exp"], object())


def test_engine_rules_are_one_table_per_engine():
    assert engine_rules("shapes") is engine_rules("shapes")


def _call(row):
    if row.name == "delta":
        return ast.Call("delta", (ast.Name("i"), ast.Name("j")))
    if row.kind == "constant":
        return ast.Call(row.name, tuple(ast.Name(n) for n in ("m", "n")[: row.max_args]))
    return ast.Call(row.name, tuple(ast.Name(n) for n in ("A", "B")[: row.min_args]))


@pytest.mark.parametrize("name", PRIMITIVES)
def test_a_call_of_every_primitive_prints_and_reads_back(name):
    call = _call(PRIMITIVES[name])
    assert parse_expr(to_text(call)) == call


@pytest.mark.parametrize("name", PRIMITIVES)
def test_every_primitive_has_a_latex_template_with_a_slot_per_argument(name):
    row = PRIMITIVES[name]
    text = row.latex.format(*[f"<{k}>" for k in range(row.max_args)], "")
    assert "<0>" in text and (row.max_args < 2 or "<1>" in text or row.kind == "constant")
