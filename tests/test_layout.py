"""The package's layout: imports point down the pipeline and never go round in a cycle, no
module is over 600 lines, and the three modules everything rests on import nothing of derive.

The import graph is read from the source with Python's ``ast`` (nothing is imported): every
``import`` and ``from ... import`` of every module of ``derive``, relative ones resolved, the ones
inside functions included (a deferred import is still a dependency). ``derive/__init__.py`` and
``cli.py`` are the shells around the library and are not checked.

The layers, bottom to top (``LAYERS``): ``errors`` and ``limits``, ``budget``, ``language``,
``problem``, ``oracles``, ``verdict``, ``documents``, ``grading``. A module may import its own
layer (its folder) or any layer below, never one above.

Each rule is one test per module. A violation known today is a strict expected failure in
``KNOWN``, with its reason: when it is fixed the case passes, which a strict xfail reports as a
failure — delete its entry then.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "derive"
MAX_LINES = 600
LAYERS = [("errors", "limits"), ("budget",), ("language",), ("problem",), ("oracles",), ("verdict",),
          ("documents",), ("grading",)]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
# The AST nodes, the primitive table and the errors: everything rests on them, they rest on nothing.
BARE = ["derive.errors", "derive.language.ast", "derive.language.primitives"]

# Parse tables that derive.language.lalr writes: data in Python literals, not code to split.
GENERATED = {f"derive.language.{grammar.removesuffix('.lark')}_lalr" for grammar in ("claim.lark", "latex.lark")}

# (rule, module) → why it is broken today. Fixed? Delete the entry (its strict xfail now fails).
KNOWN: dict[tuple[str, str], str] = {}


# -- the graph -------------------------------------------------------------------------------------

@cache
def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its __init__), but derive itself."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if parts != ["derive"]:
            found[".".join(parts)] = path
    return found


def _imported(module: str, package_path: Path) -> set[str]:
    """The modules of the package ``module`` imports, anywhere in its source: ``from . import
    ast`` is the module derive.language.ast, ``from .parser import Reading`` derive.language.parser,
    ``from .. import limits`` derive.limits (a name that is no module is its package)."""
    known = modules(package_path)
    path = known[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                name = f"{source}.{alias.name}"
                targets.add(name if name in known else source)
    return {target for target in targets if target in known and target != module}


@cache
def graph(package: Path = PACKAGE) -> dict[str, frozenset[str]]:
    """Each module → the modules of the package it imports."""
    return {module: frozenset(_imported(module, package)) for module in modules(package)}


def layer(module: str) -> str:
    return module.split(".")[1]


@cache
def cycles(package: Path = PACKAGE) -> dict[str, frozenset[str]]:
    """Each module that lies on an import cycle → the modules of its cycle (its strongly connected
    component, found by Tarjan's algorithm, iteratively)."""
    edges, index, low, on_stack, stack, found = graph(package), {}, {}, set(), [], {}
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.update({member: frozenset(component) for member in component})
    return found


def _edges(pairs) -> str:
    return "\n".join(f"  {source} -> {target}" for source, target in sorted(pairs))


# -- the rules -------------------------------------------------------------------------------------

def _cases(rule: str, names) -> list:
    return [pytest.param(name, id=name, marks=pytest.mark.xfail(
                strict=True, reason=f"{KNOWN[(rule, name)]} (fixed? delete ({rule!r}, {name!r}) from KNOWN)"))
            if (rule, name) in KNOWN else pytest.param(name, id=name) for name in names]


@pytest.mark.parametrize("module", _cases("cycle", modules()))
def test_no_import_cycle_goes_through(module):
    cycle = cycles().get(module, frozenset())
    inside = [(source, target) for source in cycle for target in graph()[source] if target in cycle]
    assert not cycle, f"{module} is on an import cycle of {len(cycle)} modules; its imports:\n{_edges(inside)}"


@pytest.mark.parametrize("module", _cases("upward", modules()))
def test_imports_point_down_the_pipeline(module):
    upward = [(module, target) for target in graph()[module] if RANK[layer(target)] > RANK[layer(module)]]
    assert not upward, f"{module} ({layer(module)}) imports from a layer above it:\n{_edges(upward)}"


@pytest.mark.parametrize("module", _cases("size", sorted(set(modules()) - GENERATED)))
def test_no_module_is_over_600_lines(module):
    lines = len(modules()[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} is {lines} lines long; split it along its seams (at most {MAX_LINES})"


@pytest.mark.parametrize("module", _cases("bare", BARE))
def test_the_modules_everything_rests_on_import_nothing_of_derive(module):
    assert not graph()[module], f"{module} imports from the package:\n{_edges((module, t) for t in graph()[module])}"


# -- the test's own reading --------------------------------------------------------------------------

def test_the_generated_modules_exist():
    assert GENERATED <= set(modules())


def test_every_module_is_in_a_layer():
    assert {layer(module) for module in modules()} <= set(RANK)


def test_every_known_violation_names_a_rule_and_a_module_that_exist():
    rules = {"cycle", "upward", "size", "bare"}
    stale = [key for key in KNOWN if key[0] not in rules or key[1] not in modules()]
    assert not stale, f"delete these entries of KNOWN (the module is gone): {stale}"


def test_the_reading_resolves_relative_imports_and_sees_deferred_ones():
    imported = graph()
    assert "derive.language.ast" in imported["derive.language.parser"]  # from . import ast
    assert "derive.limits" in imported["derive.language.parser"]  # from .. import limits
    assert "derive.errors" in imported["derive.limits"]  # from .errors import ...
    assert "derive.language.text" in imported["derive.language.parser"]  # inside a function


def test_a_cycle_and_an_upward_import_are_found(tmp_path):
    """The reading catches what the rules are for, in a package written to a temporary folder: two
    modules importing each other (one of them inside a function), and an import of a layer above."""
    fake = tmp_path / "derive"
    for folder in (fake, fake / "language", fake / "grading"):
        folder.mkdir(exist_ok=True)
        (folder / "__init__.py").write_text("")
    (fake / "language" / "a.py").write_text("def f():\n    from . import b\n")
    (fake / "language" / "b.py").write_text("from .a import f\nfrom ..grading.g import x\n")
    (fake / "grading" / "g.py").write_text("x = 1\n")
    assert cycles(fake)["derive.language.a"] == {"derive.language.a", "derive.language.b"}
    assert graph(fake)["derive.language.b"] == {"derive.language.a", "derive.grading.g"}
