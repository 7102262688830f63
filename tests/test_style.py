"""Public functions of derive carry type hints: every parameter and the return.

A function is public when its name has no leading underscore and it is defined at the top of a
module (inside a module-level ``if`` or ``try`` too), or it is a method of a public class (classes
nested in a public class included). A method's first parameter (``self``, ``cls``) needs no hint;
a ``staticmethod`` has none. Dunder methods begin with an underscore and are not checked.

One exemption, by protocol: SymPy calls ``eval`` and ``fdiff`` of a ``sympy.Function`` subclass
itself, with arguments it chooses (SymPy objects, an argument position) and expects what its own
hooks return; those two methods follow SymPy's signature, not ours. (SymPy's other hooks,
``_eval_*``, are private by name.) The same names on any other class are checked.

The source is read with Python's ``ast``: nothing is imported, and one case per module names
every function of it that lacks a hint, with its line.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "derive"
SYMPY_PROTOCOL = {"eval", "fdiff"}  # called by SymPy on a sympy.Function subclass
SYMPY_FUNCTION = {"sympy.Function"}  # how derive spells the base class


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of a module body, with those of module-level ``if`` and ``try`` blocks."""
    found = []
    for node in body:
        if isinstance(node, ast.If):
            found += _top_level(node.body) + _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            found += _top_level(node.body) + _top_level(node.orelse) + _top_level(node.finalbody)
            for handler in node.handlers:
                found += _top_level(handler.body)
        else:
            found.append(node)
    return found


def _is_static(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(ast.unparse(d) in ("staticmethod", "builtins.staticmethod") for d in function.decorator_list)


def _missing(function: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> list[str]:
    """What of ``function``'s signature has no hint: parameter names, and "return"."""
    args = function.args
    params = args.posonlyargs + args.args
    if method and not _is_static(function) and params and params[0].arg in ("self", "cls"):
        params = params[1:]
    params = params + args.kwonlyargs + [a for a in (args.vararg, args.kwarg) if a is not None]
    missing = [a.arg for a in params if a.annotation is None]
    return missing + (["return"] if function.returns is None else [])


def unhinted(source: str, filename: str = "<source>") -> list[str]:
    """``line name: what lacks a hint`` for each public function of a module's source."""
    found = []

    def visit(body: list[ast.stmt], prefix: str, sympy_function: bool) -> None:
        method = bool(prefix)
        for node in body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = {ast.unparse(base) for base in node.bases}
                visit(node.body, f"{prefix}{node.name}.", bool(bases & SYMPY_FUNCTION))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
                if sympy_function and node.name in SYMPY_PROTOCOL:
                    continue
                missing = _missing(node, method)
                if missing:
                    found.append(f"{node.lineno} {prefix}{node.name}: {', '.join(missing)}")

    visit(_top_level(ast.parse(source, filename=filename).body), "", False)
    return found


@pytest.mark.parametrize("module", MODULES)
def test_public_functions_carry_type_hints(module):
    path = MODULES[module]
    missing = unhinted(path.read_text(encoding="utf-8"), str(path))
    assert not missing, (f"{module}: public functions without type hints (line, name: what lacks one):\n  "
                         + "\n  ".join(missing))


# -- the test's own reading --------------------------------------------------------------------

def test_every_module_of_the_package_is_read():
    assert {"derive", "derive.oracles.functions", "derive.oracles.index.builder", "derive.grading.grade"} <= set(MODULES)


READING = textwrap.dedent('''
    import sympy

    def hinted(x: int, *args: str, key: bool = False, **kwargs: object) -> int: ...
    def no_return(x: int): ...
    def bare_parameter(x, y: int) -> None: ...
    def star_args(*args, **kwargs) -> None: ...
    def _private(x): ...

    if True:
        def in_an_if(x) -> None: ...

    try:
        import numpy
    except ImportError:
        def in_a_handler(x) -> None: ...

    class Public:
        def method(self, x: int) -> int: ...
        def unhinted_method(self, x): ...
        @classmethod
        def builder(cls) -> "Public": ...
        @staticmethod
        def static(self) -> None: ...
        def _private(self, x): ...
        def __init__(self, x): ...
        def eval(self, x): ...

        class Inner:
            def nested(self, x) -> None: ...

    class _Private:
        def method(self, x): ...

    class Atom(sympy.Function):
        @classmethod
        def eval(cls, x): ...
        def fdiff(self, argindex=1): ...
        def other(self, x): ...
        def _eval_is_real(self): ...
''')


def test_the_reading_finds_each_missing_hint_and_honours_only_the_sympy_exemption():
    assert [line.split(" ", 1)[1] for line in unhinted(READING)] == [
        "no_return: return",
        "bare_parameter: x",
        "star_args: args, kwargs",
        "in_an_if: x",
        "in_a_handler: x",
        "Public.unhinted_method: x, return",
        "Public.static: self",  # a staticmethod's first parameter is an argument like any other
        "Public.eval: x, return",  # eval is exempt on a sympy.Function only
        "Public.Inner.nested: x",
        "Atom.other: x, return",
    ]
