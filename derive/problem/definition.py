"""Problems as data: one TOML file per exercise, loaded into a checked ``Problem``.

A problem names its sizes, its variables (with shapes and constraints), its definitions in
order (``y = W @ x + b``), the functions it leaves arbitrary (a scalar loss ``J`` that depends
only on ``y``; an activation ``h``), the Jacobian layout convention, and its claims, each with
the verdict it should get. Loading parses and shape-checks everything, so that a malformed
file fails at once with the file and the place named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import sympy

from ..errors import DeriveError, ProblemError, unknown_name
from ..language import ast
from ..language.latex_names import default_name  # the printer's spelling is the one students see
from ..language.parser import parse_claim, parse_definition, parse_sides
from ..language.primitives import PRIMITIVES
from ..language.shapes import ONE, SCALAR, Scope, Shape, fmt, index_names_of, infer, size_symbol
from ..limits import MAX_SIZE
from . import schema as problem_schema
from .files import catalog_paths, read_toml  # their home is files.py (no SymPy there)
from .schema import key_path, name_error, shown
from .size_order import ordered, parse_orders
from .updates import as_gradient_claim

CONSTRAINTS = set(problem_schema.CONSTRAINTS)
VERDICTS = set(problem_schema.VERDICTS)
LAYOUTS = set(problem_schema.LAYOUTS)


@dataclass(frozen=True)
class Variable:
    name: str
    shape: Shape
    constraints: frozenset[str] = frozenset()
    # the gradient by a symmetric matrix, by name (GRADIENT_CONVENTIONS); "" is the gradient of
    # the function with every entry free, taken at the symmetric point
    gradient: str = ""


@dataclass(frozen=True)
class ClaimSpec:
    """A claim as the catalog records it, with the verdict and diagnosis it should get."""

    text: str
    chain: ast.Chain
    expect: str | None = None
    diagnosis: str | None = None
    correct: str | None = None
    source: str = ""
    note: str = ""
    correct_chain: ast.Chain | None = None  # ``correct`` read (a claim, or one expression)


@dataclass
class Problem:
    id: str
    title: str
    source: str
    sizes: dict[str, object]
    fixed_sizes: dict[str, int]
    variables: dict[str, Variable]
    activations: tuple[str, ...]
    arbitrary: dict[str, tuple[str, ...]]
    definitions: list[tuple[str, ast.Node]]
    layout: str = "numerator"
    claims: list[ClaimSpec] = field(default_factory=list)
    notes: str = ""
    path: Path | None = None
    shapes: dict[str, Shape] = field(default_factory=dict)
    # definitions computed from a function left arbitrary (L = J + R): only their derivatives exist
    loss_dependent: frozenset[str] = frozenset()
    # LaTeX spellings of the problem's names beyond the usual ones ("W^{(1)}" = "W1")
    latex_names: dict[str, str] = field(default_factory=dict)
    # orders between free sizes ("k < n": (smaller, larger, strict)), kept by sizes_from
    size_order: tuple[tuple[str, str, bool], ...] = ()

    @property
    def free_sizes(self) -> list[str]:
        """The sizes a check may choose, in declaration order (the others are fixed)."""
        return [name for name in self.sizes if name not in self.fixed_sizes]

    def sizes_from(self, values: Iterable[int]) -> dict[str, int]:
        """The free sizes take ``values`` in order (dealt out again where the problem orders its
        sizes, k < n), the fixed ones keep theirs: {name: value}."""
        sizes = ordered({**self.fixed_sizes, **dict(zip(self.free_sizes, values))}, self.size_order)
        return {name: sizes[name] for name in self.sizes}

    def scope(self) -> Scope:
        return Scope(
            shapes=self.shapes,
            sizes=self.sizes,
            activations=frozenset(self.activations),
            arbitrary=frozenset(self.arbitrary),
            layout=self.layout,
            leaves=frozenset(self.variables),
            fixed={self.sizes[name]: sympy.Integer(value) for name, value in self.fixed_sizes.items()},
        )

    def claim_scope(self, chain: ast.Chain) -> Scope:
        return self.scope().for_claim(index_names_of(chain) - set(self.shapes) - set(self.sizes))

    def check_claim_names(self, chain: ast.Chain) -> Scope:
        """Scope for a claim, after checking its index names do not shadow the problem's."""
        names = index_names_of(chain)
        clash = names & (set(self.shapes) | set(self.sizes))
        for name in sorted(clash):
            kind = "size" if name in self.sizes else "variable"
            raise ProblemError(f"'{name}' is used as an index but is a {kind} of problem {self.id}")
        return self.scope().for_claim(names)


_SHAPE_TEXT = re.compile(r"^\s*([\w']+)\s*(?:[x×,]\s*([\w']+))?\s*$")


def _is_number(token) -> bool:
    return isinstance(token, int) or (isinstance(token, str) and token.isascii() and token.isdigit())


def _dim(token, sizes: dict, where: str):
    if _is_number(token):
        if isinstance(token, str) and len(token.lstrip("0")) > len(str(MAX_SIZE)):
            raise ProblemError(f"{where}: the dimension {shown(token, 12)} is past the limit of {MAX_SIZE}")
        value = int(token)
        if value < 1:
            raise ProblemError(f"{where}: sizes are positive, not {value}")
        if value > MAX_SIZE:
            raise ProblemError(f"{where}: the dimension {value} is past the limit of {MAX_SIZE}")
        return ONE if value == 1 else sympy.Integer(value)
    if token not in sizes:
        raise ProblemError(f"{where}: {shown(token)} is not a declared size (sizes: {', '.join(sizes) or 'none'})")
    return sizes[token]


def parse_shape(spec: object, sizes: dict, where: str) -> Shape:
    """``"m x d"`` → (m, d); ``"d"`` → (d, 1) (a column vector); ``"scalar"`` or ``[]`` → (1, 1)."""
    if isinstance(spec, list):
        if len(spec) == 0:
            return SCALAR
        if len(spec) == 1:
            return (_dim(spec[0], sizes, where), ONE)
        if len(spec) == 2:
            return (_dim(spec[0], sizes, where), _dim(spec[1], sizes, where))
        raise ProblemError(f"{where}: shapes have at most two sizes")
    if not isinstance(spec, str):
        raise ProblemError(f"{where}: a shape is text like 'm x d' or a list like ['m', 'd']")
    if spec.strip() in ("scalar", "1", ""):
        return SCALAR
    match = _SHAPE_TEXT.match(spec)
    if not match:
        raise ProblemError(f"{where}: cannot read shape {shown(spec)} (write 'm x d', 'd' or 'scalar')")
    rows = _dim(match[1], sizes, where)
    cols = _dim(match[2], sizes, where) if match[2] else ONE
    return (rows, cols)


def size_names_in(spec: str) -> list[str]:
    """The size names a shape text uses: 'm x d' → ['m', 'd'] (not 'scalar' or numbers)."""
    if spec.strip() in ("scalar", "1", ""):
        return []
    match = _SHAPE_TEXT.match(spec)
    if not match:
        raise ProblemError(f"cannot read shape {shown(spec)} (write 'm x d', 'd' or 'scalar')")
    return [token for token in match.groups() if token and not _is_number(token)]


def problem_from_dict(data: dict, where: str = "<problem>", path: Path | None = None) -> Problem:
    """Build and check a Problem from parsed TOML. The table is first checked against
    ``problem_schema.SCHEMA`` (types, names, sizes, unknown keys); every error is one line naming
    ``where``, the key as a dotted path (``claims[3].expect``) and what was wrong."""
    where = problem_schema.validate(data, where)
    pid = data["id"]
    size_names = data.get("sizes", [])
    fixed: dict[str, int] = {}
    if isinstance(size_names, dict):
        fixed = {k: v for k, v in size_names.items() if v}
        size_names = list(size_names)
    sizes = {name: size_symbol(name) for name in size_names}
    variables: dict[str, Variable] = {}
    shapes: dict[str, Shape] = {}
    for name, spec in data.get("variables", {}).items():
        place = f"{where}: {key_path('variables', name)}"
        constraints: frozenset[str] = frozenset()
        gradient = ""
        if isinstance(spec, dict):
            constraints = frozenset(spec.get("constraints", []))
            gradient = spec.get("gradient", "")
            if gradient and not {"symmetric", "spd"} & constraints:
                raise ProblemError(f"{place}: a gradient convention is for a symmetric matrix: add the "
                                   "constraint 'symmetric' (or 'spd')")
            spec = spec.get("shape", "scalar")
        shape = parse_shape(spec, sizes, place)
        if {"symmetric", "invertible", "spd"} & constraints and shape[0] != shape[1]:
            raise ProblemError(f"{place}: {sorted(constraints)[0]} but not square: {fmt(shape)}")
        variables[name] = Variable(name, shape, constraints, gradient)
        shapes[name] = shape
    activations = tuple(data.get("functions", []))
    arbitrary = {name: tuple(deps) for name, deps in data.get("arbitrary", {}).items()}
    _check_declared_once(where, list(sizes), list(variables), list(activations), list(arbitrary))
    problem = Problem(
        id=pid,
        title=data.get("title", pid),
        source=data.get("source", ""),
        sizes=sizes,
        fixed_sizes=fixed,
        variables=variables,
        activations=activations,
        arbitrary=arbitrary,
        definitions=[],
        layout=data.get("layout", "numerator"),
        notes=data.get("notes", ""),
        path=path,
        shapes=shapes,
        latex_names=dict(data.get("latex", {})),
        size_order=parse_orders(data.get("size_order", []), [n for n in sizes if n not in fixed], fixed, where),
    )
    for name in arbitrary:
        shapes[name] = SCALAR
    scope = problem.scope()
    for number, text in enumerate(data.get("definitions", []), 1):
        try:
            name, expr = parse_definition(text)
            problem_name = name_error(name)
            if problem_name:
                raise ProblemError(problem_name)
            if name in shapes or name in sizes:
                raise ProblemError(f"'{name}' is defined twice")
            if name in activations or name in PRIMITIVES:
                raise ProblemError(f"the name '{name}' is taken by a function")
            shapes[name] = infer(expr, scope)
        except DeriveError as error:
            raise ProblemError(f"{where}: definitions[{number}] ({shown(text, 60)}): {_headline(error)}") from None
        problem.definitions.append((name, expr))
    for name, deps in arbitrary.items():
        for dep in deps:
            if dep not in variables and dep not in dict(problem.definitions):
                raise ProblemError(f"{where}: {key_path('arbitrary', name)}: depends on '{dep}', "
                                   "which is not a variable or definition")
    for spelling, name in problem.latex_names.items():
        if name not in shapes and name not in sizes and name not in activations:
            raise ProblemError(f"{where}: {key_path('latex', spelling)}: '{name}' is not a name of this "
                               "problem (a variable, definition, size or function)")
    problem.loss_dependent = _loss_dependent(problem, where)
    for number, entry in enumerate(data.get("claims", []), 1):
        problem.claims.append(_claim_spec(problem, entry, f"{where}: claims[{number}]"))
    return problem


_BUILT_IN = "a built-in function"


def _check_declared_once(where: str, *groups: list[str]) -> None:
    """Each name is declared once, as a size, a variable, a function or an arbitrary function,
    and none is a built-in function's."""
    seen: dict[str, str] = {}
    for kind, names in zip(("sizes", "variables", "functions", "arbitrary"), groups):
        for number, name in enumerate(names, 1):
            place = key_path(kind, name) if kind in ("variables", "arbitrary") else f"{kind}[{number}]"
            if name in PRIMITIVES:
                raise ProblemError(f"{where}: {place}: the name '{name}' is taken by {_BUILT_IN}")
            if name in seen:
                raise ProblemError(f"{where}: {place}: the name '{name}' is declared twice (also in {seen[name]})")
            seen[name] = kind


def latex_reading(problem: Problem) -> dict:
    """What ``latex_in.parse_latex_claim`` needs to read LaTeX against this problem: each name's
    usual LaTeX spelling (W1 as W_{1}, lam as \\lambda), the scalars (so that \\eta W is a scalar
    product) and the undefined activations (so that h(X) applies h)."""
    names = {}
    for name in list(problem.shapes) + list(problem.sizes):
        spelled = default_name(name)
        if spelled != name:
            names[spelled] = name
    names.update(problem.latex_names)
    scalars = [n for n, shape in problem.shapes.items() if shape == SCALAR] + list(problem.sizes)
    return {"names": names, "scalars": scalars, "functions": list(problem.activations)}


def _loss_dependent(problem: Problem, where: str) -> frozenset[str]:
    """Definitions that use a function left arbitrary, directly or through other definitions."""
    dependent = set(problem.arbitrary)
    order = [name for name, _ in problem.definitions]
    for name, expr in problem.definitions:
        used = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
        if used & dependent:
            for loss in problem.arbitrary:
                if loss in used and any(order.index(dep) >= order.index(name)
                                        for dep in problem.arbitrary[loss] if dep in order):
                    raise ProblemError(f"{problem.id}: definition {name} uses {loss}, which depends on "
                                       "a later definition")
            dependent.add(name)
    return frozenset(dependent - set(problem.arbitrary))


def _headline(error: Exception) -> str:
    return str(error).splitlines()[0]


def _claim_spec(problem: Problem, entry, where: str) -> ClaimSpec:
    if isinstance(entry, str):
        entry = {"claim": entry}
    text = entry["claim"]
    try:
        chain = as_gradient_claim(problem, parse_claim(text))
    except DeriveError as error:
        raise ProblemError(f"{where} ({shown(text, 60)}): {_headline(error)}") from None
    correct = entry.get("correct")
    try:
        correct_chain = parse_sides(correct) if correct is not None else None
    except DeriveError as error:
        raise ProblemError(f"{where}.correct ({shown(correct, 60)}): {_headline(error)}") from None
    return ClaimSpec(
        text=text,
        chain=chain,
        expect=entry.get("expect"),
        diagnosis=entry.get("diagnosis"),
        correct=correct,
        source=entry.get("source", ""),
        note=entry.get("note", ""),
        correct_chain=correct_chain,
    )


def load_problem(path: str | Path) -> Problem:
    """Read one problem file."""
    path = Path(path)
    return problem_from_dict(read_toml(path), str(path), path)


def load_catalog() -> list[Problem]:
    return [load_problem(p) for p in catalog_paths()]


def find_problems(key: str) -> list[Problem]:
    """A catalog id, a problem file, or a folder of problem files."""
    folder = Path(key)
    if folder.is_dir():
        paths = sorted(folder.glob("*.toml"))
        if not paths:
            raise ProblemError(f"{folder}: no problem files (*.toml) in this folder")
        return [load_problem(p) for p in paths]
    return [find_problem(key)]


def find_problem(key: str) -> Problem:
    """A catalog problem by id, or a problem file by path."""
    candidate = Path(key)
    if candidate.suffix == ".toml" or candidate.exists():
        return load_problem(candidate)
    paths = catalog_paths()
    for path in paths:
        if path.stem == key:
            return load_problem(path)
    raise ProblemError(str(unknown_name("problem", key, {p.stem for p in paths})))
