"""The numeric oracle: NumPy at random points and large sizes, derivatives by the complex step.

Independent of the exact oracle by construction (it imports nothing from it): values come from
NumPy's own kron, det, inv..., and derivatives from the complex step
f'(x)·v ≈ Im f(x + i·h·v) / h, which has no subtractive cancellation, so its error is near
machine precision (~1e-15) instead of the ~1e-8 of a central difference. A gradient claim is
checked along random directions V: ⟨claim, V⟩ against the directional derivative, one forward
pass per direction instead of one per parameter, so it runs at sizes in the tens to hundreds.
Numeric agreement is evidence, never proof: the verdict needs the exact oracle for "holds".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import limits
from ..errors import ShapeError, UnsupportedError
from ..language import ast
from ..language.primitives import ELEMENTWISE, canonical_function, engine_rules
from ..language.shapes import Scope, Shape, free_indices
from ..problem.definition import Problem
from .numpy_functions import NUMPY_FORMS, standin

STEP = 1e-20
# a second derivative is the central difference of the complex-step first one: error ~ SECOND_STEP²
SECOND_STEP = 1e-5
CACHE_LIMIT = 256
CACHE_BYTES = 64 * 2**20  # values one evaluation may keep
MEMO_LIMIT = 200_000  # nodes whose free indices a model remembers
SHIFT_LIMIT = 256  # shifted models kept for second derivatives (two per entry of the variable)
BATCH_BYTES = 8 * 2**20  # the values of one stacked environment of basis directions, roughly


def _concrete(dim, subs: dict) -> int:
    """A size expression (m, m·d) at the model's sizes."""
    return int(dim.xreplace(subs)) if hasattr(dim, "xreplace") else int(dim)


def _convention(gradient: np.ndarray, variable) -> np.ndarray:
    """The gradient by a symmetric matrix in its declared convention, from G, the gradient with
    every entry free: G + Gᵀ − G∘I (the Matrix Cookbook's) or (G + Gᵀ)/2 (symmetrized)."""
    convention = getattr(variable, "gradient", "")
    if convention == "cookbook":
        return gradient + gradient.T - np.diag(np.diag(gradient))
    if convention == "symmetrized":
        return (gradient + gradient.T) / 2
    return gradient


def _softmax_rows(z):
    shifted = z - np.max(z.real, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def _swap(value: np.ndarray) -> np.ndarray:
    """The transpose of each matrix of a stack (of the one matrix, unstacked)."""
    return np.swapaxes(value, -1, -2)


def _total(value: np.ndarray) -> np.ndarray:
    """The sum of each matrix of a stack, as a 1×1 matrix."""
    return value.sum(axis=(-2, -1), keepdims=True)


class NumericModel:
    """One problem at one size assignment and one random point, in complex128 arithmetic.

    A value is a matrix, or a stack of matrices (leading axes) where a variable was perturbed
    along many directions at once: every rule acts on the last two axes, so one stacked forward
    pass does what a pass per basis direction did, and a definition that does not depend on the
    perturbed variable keeps a single matrix that broadcasts against the stack.
    """

    def __init__(self, problem: Problem, sizes: dict[str, int], rng: np.random.Generator,
                 overrides: dict | None = None, override_site: str | None = None):
        self.problem = problem
        # activation name -> g: its derivative is taken to be g (to recognise a student's slip),
        # only inside the definition ``override_site`` when one is named
        self.overrides = overrides or {}
        self.override_site = override_site
        self.site: str | None = None
        limits.check_model(problem, sizes)  # refuse before allocating, not after
        self.sizes = dict(sizes)
        self.rng = rng
        self._subs = {problem.sizes[name]: value for name, value in sizes.items()}
        self.leaves = {name: self._leaf(v) for name, v in problem.variables.items()}
        self._basis: dict[str, list[dict]] = {}
        self._tables: dict = {}
        self._evaluations: dict = {}
        self._derivatives: dict = {}
        self._free_memos: dict = {}
        self._shifts: dict = {}  # (variable, entry, step) -> this model moved there (second derivatives)
        self.upstream = {
            loss: {dep: rng.standard_normal(self.concrete(problem.shapes[dep])).astype(complex) for dep in deps}
            for loss, deps in problem.arbitrary.items()
        }
        self.base = self.forward({})

    def concrete(self, shape: Shape) -> tuple[int, int]:
        return tuple(_concrete(d, self._subs) for d in shape)

    def _leaf(self, variable) -> np.ndarray:
        rows, cols = self.concrete(variable.shape)
        c = variable.constraints
        rng = self.rng
        if "probability" in c:  # entries in (0, 1), as a sigmoid's output
            value = rng.uniform(0.05, 0.95, (rows, cols))
        elif "positive" in c or "stochastic" in c:
            value = rng.uniform(0.5, 2.0, (rows, cols))
            if "stochastic" in c:
                value = value / value.sum(axis=1, keepdims=True)
        else:
            value = rng.standard_normal((rows, cols))
            if rows > 1 and cols > 1:
                value = value / np.sqrt(cols)
        if "symmetric" in c:
            value = (value + value.T) / 2
        if "spd" in c:
            value = value @ value.T / rows + np.eye(rows)
        elif "invertible" in c:
            value = value + 1.5 * np.eye(rows)
        return value.astype(complex)

    def forward(self, override: dict, losses: bool = False) -> dict:
        """Leaves and definitions, with ``override`` (name → value) fixing some of them; with
        ``losses``, each arbitrary loss is its surrogate Σ dJ/dy ⊙ y, and the definitions computed
        from it get values too (only their derivatives mean anything)."""
        env = {name: override.get(name, value) for name, value in self.leaves.items()}
        for name, expr in self.problem.definitions:
            if losses:
                self._add_losses(env)
            if name in self.problem.loss_dependent and not losses and name not in override:
                continue
            self.site = name
            env[name] = override[name] if name in override else self.evaluate(expr, env, self.problem.scope())
        self.site = None
        if losses:
            self._add_losses(env)
        return env

    def _add_losses(self, env: dict) -> None:
        for loss, grads in self.upstream.items():
            if loss not in env and all(dep in env for dep in grads):
                env[loss] = sum(_total(g * env[dep]) for dep, g in grads.items())

    def perturbed(self, wrt: str, direction: np.ndarray) -> dict:
        """The environment at ``wrt + i·STEP·direction``, everything downstream recomputed (a
        stack of directions gives a stacked environment)."""
        value = self.base[wrt] + 1j * STEP * direction
        return self.forward({wrt: value}, losses=True)

    def directional(self, of: ast.Node, wrt: str, direction: np.ndarray, scope: Scope,
                    idx: dict | None = None) -> np.ndarray:
        """d(of)/d(wrt) applied to ``direction``, by the complex step; for a gradient in a
        convention T (self-adjoint: ⟨T(G), V⟩ = ⟨G, T(V)⟩), G applied to T(direction)."""
        direction = _convention(direction, self.problem.variables.get(wrt))
        env = self.perturbed(wrt, direction)
        return self.evaluate(of, env, scope, idx).imag / STEP

    def basis_environments(self, wrt: str) -> list[tuple[int, dict]]:
        """The environments perturbed along each entry of ``wrt`` in turn, stacked: (entries
        perturbed, environment) per chunk of entries, a chunk's values within BATCH_BYTES (cached:
        index claims reuse them)."""
        if wrt not in self._basis:
            rows, cols = self.base[wrt].shape
            entries = rows * cols
            env_bytes = sum(v.nbytes for v in self.base.values() if isinstance(v, np.ndarray))
            chunk = max(1, min(entries, BATCH_BYTES // max(env_bytes, 1)))
            envs = []
            for start in range(0, entries, chunk):
                count = min(chunk, entries - start)
                directions = np.zeros((count, rows * cols))
                directions[np.arange(count), start + np.arange(count)] = 1.0
                envs.append((count, self.perturbed(wrt, directions.reshape(count, rows, cols))))
            self._basis[wrt] = envs
        return self._basis[wrt]

    def _along_basis(self, node, wrt: str, scope: Scope, idx: dict | None = None) -> np.ndarray:
        """d(node)/d(each entry of wrt), stacked: shape (entries of wrt, *node's shape)."""
        parts = []
        for count, env in self.basis_environments(wrt):
            value = self.evaluate(node, env, scope, idx).imag / STEP
            parts.append(np.broadcast_to(value, (count, *value.shape[-2:])))
        return np.concatenate(parts)

    def _table(self, core, wrt: str, scope: Scope) -> np.ndarray:
        """d(core)/d(each entry of wrt), stacked: shape (entries of wrt, *core's shape)."""
        key = (id(core), wrt, id(scope))
        if key not in self._tables:
            self._tables[key] = (core, self._along_basis(core, wrt, scope))
        return self._tables[key][1]

    def derivative(self, node: ast.Derivative, env: dict, scope: Scope, idx: dict) -> np.ndarray:
        if env is not self.base:
            raise UnsupportedError("a derivative inside another is taken by central differences of the "
                                   "inner one, at shifted points: this one was met at a perturbed point")
        # by the tree's structure, not its identity, and by the indices it leaves free only: the
        # diagnosis builds the same derivative afresh in many candidate edits, a Hessian asks for
        # dL/dW at every entry (i, j), and each costs a stacked pass along every entry of W
        free = self.evaluation(self.base, scope).free_indices(node)
        key = (node, frozenset(scope.index_ranges.items()), tuple(sorted((k, idx[k]) for k in free)))
        found = self._derivatives.get(key)
        if found is None:
            if len(self._derivatives) > CACHE_LIMIT:
                self._derivatives.clear()
            found = self._derivatives[key] = self._derivative(node, scope, idx)
        return found

    def _derivative(self, node: ast.Derivative, scope: Scope, idx: dict) -> np.ndarray:
        of = node.of
        if isinstance(of, ast.Name) and node.wrt in self.upstream.get(of.id, {}):
            # dL/dY for a loss L left arbitrary: the surrogate L = Σ g ⊙ Y has gradient g exactly,
            # which the complex step would find with one forward pass per entry of Y
            return self.upstream[of.id][node.wrt]
        wrt_shape = self.base[node.wrt].shape
        if any(isinstance(inner, ast.Derivative) for inner in ast.walk(of)):
            columns = np.stack(self._second(of, node.wrt, scope, idx))
        elif isinstance(of, ast.Index) and not self.evaluation(self.base, scope).free_indices(of.operand):
            # an entry of an index-free expression: differentiate the whole once, then pick
            columns = _pick(self._table(of.operand, node.wrt, scope), of, idx)
        else:
            columns = self._along_basis(of, node.wrt, scope, idx)
        # columns[k]: the derivative along entry k of wrt
        of_shape = columns.shape[1:]
        if of_shape == (1, 1):
            gradient = columns[:, 0, 0].reshape(wrt_shape).astype(complex)
            return _convention(gradient, self.problem.variables.get(node.wrt))
        if wrt_shape == (1, 1):
            return columns[0].astype(complex)
        if 1 in of_shape and 1 in wrt_shape:
            jac = columns.reshape(columns.shape[0], -1).T  # rows: of, cols: wrt
            return (jac if self.problem.layout == "numerator" else jac.T).astype(complex)
        raise UnsupportedError("a derivative of order 3 or 4")

    def _second(self, of: ast.Node, wrt: str, scope: Scope, idx: dict) -> list[np.ndarray]:
        """d(of)/d(each entry of wrt) where ``of`` holds a derivative (d2f/dx2): the central
        difference, step SECOND_STEP, of ``of`` at the two points shifted along the entry, each
        a model of its own whose inner derivative is the complex step (error ~1e-10)."""
        variable = self.problem.variables.get(wrt)
        if variable is None or variable.constraints & {"symmetric", "spd", "stochastic"}:
            raise UnsupportedError(f"d/d{wrt} of a derivative: a second derivative is taken by a variable "
                                   "without constraints, as in d2f/dx2")
        arbitrary = set(self.problem.arbitrary) | set(self.problem.loss_dependent)
        if {n.id for n in ast.walk(of) if isinstance(n, ast.Name)} & arbitrary:
            raise UnsupportedError("a loss left arbitrary has no known second derivatives (define the loss)")
        columns = []
        for k in range(self.leaves[wrt].size):
            sides = [self._shift(wrt, k, sign * SECOND_STEP) for sign in (1, -1)]
            plus, minus = (model.evaluate(of, model.base, scope, idx) for model in sides)
            columns.append((plus - minus) / (2 * SECOND_STEP))
            for model in sides:
                model.keep_derivatives_only()
        return columns

    def keep_derivatives_only(self) -> None:
        """Forget every value but the derivatives taken: a shifted model is asked again only for
        them (another entry of the same inner derivative), and its stacked passes along each
        basis direction, kept for each of the 2·entries shifted models, were most of the memory
        a Hessian claim took."""
        self._basis, self._tables, self._evaluations, self._free_memos = {}, {}, {}, {}

    def _shift(self, wrt: str, k: int, step: float) -> NumericModel:
        """``_shifted``, kept: every entry of a Hessian (or of a Hessian-vector product) uses the
        same shifted models, whose derivatives each cost a stacked pass along every entry of ``wrt``."""
        key = (wrt, k, step)
        if key not in self._shifts:
            if len(self._shifts) > SHIFT_LIMIT:
                self._shifts.clear()
            self._shifts[key] = self._shifted(wrt, k, step)
        return self._shifts[key]

    def _shifted(self, wrt: str, k: int, step: float) -> NumericModel:
        """This model with entry k of the variable ``wrt`` moved by ``step`` (real), caches empty."""
        model = object.__new__(NumericModel)
        model.__dict__.update(self.__dict__)
        model.leaves = dict(self.leaves)
        moved = self.leaves[wrt].copy()
        moved.flat[k] += step
        model.leaves[wrt] = moved
        model._basis, model._tables, model._evaluations, model._derivatives = {}, {}, {}, {}
        model._free_memos, model._shifts = {}, {}
        model.base = model.forward({})
        return model

    def free_memo(self, index_names: frozenset) -> tuple[dict, dict]:
        """The memo of free indices of the evaluations under ``index_names``."""
        return self._free_memos.setdefault(index_names, ({}, {}))

    def evaluation(self, env: dict, scope: Scope) -> _Evaluation:
        """The evaluation of one environment under one claim's scope, kept so its cache lasts."""
        return self.kept((id(env), id(scope)), env, scope, lambda: _Evaluation(self, env, scope))

    def kept(self, key: tuple, env: dict, scope: Scope, make: Callable[[], _Evaluation]) -> _Evaluation:
        """The evaluation kept under ``key`` (``make()`` when first asked; ``env`` and ``scope``
        kept with it, since ``key`` holds their identities)."""
        if key not in self._evaluations:
            if len(self._evaluations) > CACHE_LIMIT:  # diagnosis tries thousands of scopes
                self._evaluations.clear()
                self._tables.clear()
            self._evaluations[key] = (env, scope, make())
        return self._evaluations[key][2]

    def evaluate(self, node: ast.Node, env: dict, scope: Scope, idx: dict | None = None) -> np.ndarray:
        return self.evaluation(env, scope).value(node, idx or {})

    def index_range(self, scope: Scope, name: str) -> int:
        if name not in scope.index_ranges:
            raise ShapeError(f"the range of index {name} is unknown")
        return _concrete(scope.index_ranges[name], self._subs)


class _Evaluation:
    """Values of trees in one environment under one scope, cached per subtree and index values.

    The caches are keyed by node identity, so every node they know of is kept alive (``alive``,
    ``ordered``): an identity is never reused while its entry exists. That lets the diagnosis evaluate
    thousands of candidate edits in one evaluation, each sharing its untouched subtrees' values
    with the claim; the caches are emptied past CACHE_BYTES of values.
    """

    def __init__(self, model: NumericModel, env: dict, scope: Scope):
        self.model, self.env, self.scope = model, env, scope
        self.cache: dict = {}
        self.alive: dict = {}  # the nodes whose identities key ``cache``
        # shared by every evaluation under these index names (a derivative's passes, one per entry)
        self.ordered, self.free = model.free_memo(scope.index_names)
        self.bytes = 0

    def free_indices(self, node) -> frozenset:
        return frozenset(self._ordered(node))

    def _ordered(self, node) -> tuple[str, ...]:
        """The node's free indices, in order (remembered with the node, whose subtrees the
        ``free`` memo knows by identity: they live as long as it does)."""
        known = self.ordered.get(id(node))
        if known is None:
            if len(self.ordered) > MEMO_LIMIT:
                self.ordered.clear()
                self.free.clear()
            known = (node, tuple(sorted(free_indices(node, self.scope.index_names, self.free))))
            self.ordered[id(node)] = known
        return known[1]

    def value(self, node, idx) -> np.ndarray:
        if idx:  # a value may depend on the indices bound here: keyed by those it leaves free too
            names = self._ordered(node)
            key = (id(node), *(idx.get(name) for name in names)) if names else id(node)
        else:
            key = id(node)
        found = self.cache.get(key)
        if found is None:
            found = self.keep(key, node, np.asarray(self._compute(node, idx), dtype=complex))
        return found

    def keep(self, key, node, found: np.ndarray) -> np.ndarray:
        """``found``, remembered as ``node``'s value under ``key`` (within CACHE_BYTES)."""
        if self.bytes > CACHE_BYTES:
            self.cache.clear()
            self.alive.clear()
            self.bytes = 0
        self.cache[key] = found
        self.alive[id(node)] = node
        self.bytes += found.nbytes + 200  # the key and the entry, roughly
        return found

    def _compute(self, node, idx):
        if isinstance(node, ast.Number):
            return np.array([[float(node.value)]])
        if isinstance(node, ast.Name):
            if node.id in self.scope.index_names:
                return np.array([[idx[node.id] + 1.0]])
            if node.id in self.env:
                return self.env[node.id]
            if node.id in self.model.problem.arbitrary or node.id in self.model.problem.loss_dependent:
                raise UnsupportedError(f"{node.id} is (computed from) an arbitrary function: "
                                       "only its derivatives have values")
            if node.id in self.model.sizes:
                return np.array([[float(self.model.sizes[node.id])]])
            raise ShapeError(f"'{node.id}' has no value here")
        if isinstance(node, ast.Neg):
            return -self.value(node.operand, idx)
        if isinstance(node, ast.Transpose):
            return _swap(self.value(node.operand, idx))
        if isinstance(node, ast.Binary):
            left, right = self.value(node.left, idx), self.value(node.right, idx)
            if node.op == "@":
                return left @ right
            if node.op == "**":
                if right.ndim > 2:  # an exponent that varies along a stack of directions
                    return left**right
                exponent = right[0, 0]
                if exponent.imag == 0 and float(exponent.real).is_integer():
                    return left ** int(exponent.real)
                return left**exponent
            try:
                return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[node.op](left, right)
            except ValueError as error:
                raise ShapeError(f"{left.shape} {node.op} {right.shape}: {error}") from None
        if isinstance(node, ast.Call):
            return self._call(node, idx)
        if isinstance(node, ast.Index):
            return self._index(node, idx)
        if isinstance(node, ast.IndexSum):
            total = 0
            ranges = [range(self.model.index_range(self.scope, n)) for n in node.indices]
            for values in np.ndindex(*[len(r) for r in ranges]):
                total = total + self.value(node.body, {**idx, **dict(zip(node.indices, values))})
            return total
        if isinstance(node, ast.Derivative):
            return self.model.derivative(node, self.env, self.scope, idx)
        raise UnsupportedError(f"cannot evaluate {type(node).__name__}")

    def _index(self, node: ast.Index, idx):
        return _pick(self.value(node.operand, idx), node, idx)


    def _call(self, node: ast.Call, idx):
        name = canonical_function(node.func)
        problem = self.model.problem
        model = self.model
        if name in model.overrides and node.prime == 0 and model.override_site in (None, model.site):
            x = self.value(node.args[0], idx)
            f = standin(name) if name in problem.activations else NUMPY_FORMS[name].value
            return f(x.real) + 1j * x.imag * self.model.overrides[name](x.real)
        if name in problem.activations:
            return standin(name)(self.value(node.args[0], idx), node.prime)
        rule = NUMERIC_RULES.get(name)
        if rule is None:
            raise UnsupportedError(f"{node.func} has no numeric evaluation")
        return rule(self, node, idx)


# -- the numeric rule of each primitive ---------------------------------------------------------

NUMERIC_RULES = engine_rules("numeric oracle")


@NUMERIC_RULES.register(*ELEMENTWISE)
def _elementwise(ev: _Evaluation, node: ast.Call, idx):
    name = canonical_function(node.func)
    form = NUMPY_FORMS[name]
    if node.prime > 2:
        raise UnsupportedError(f"{name}{chr(39) * node.prime}: no numeric rule for this derivative")
    fn = (form.value, form.prime, form.second)[node.prime]
    return fn(ev.value(node.args[0], idx))


@NUMERIC_RULES.register("ones", "zeros", "eye")
def _constant(ev: _Evaluation, node: ast.Call, idx):
    dims = [int(ev.value(a, {}).flat[0].real) for a in node.args]  # n, 3, m*n at the model's sizes
    rows, cols = (dims[0], dims[0]) if node.func == "eye" else (dims[0], dims[1] if len(dims) > 1 else 1)
    limits.check_entries(rows, cols, f"{node.func}({', '.join(map(str, dims))})", oracle="the numeric oracle")
    if node.func == "eye":
        return np.eye(dims[0])
    shape = (dims[0], dims[1] if len(dims) > 1 else 1)
    return np.ones(shape) if node.func == "ones" else np.zeros(shape)


@NUMERIC_RULES.register("delta")
def _delta(ev: _Evaluation, node: ast.Call, idx):
    a, b = (int(arg.value) - 1 if isinstance(arg, ast.Number) else idx[arg.id] for arg in node.args)
    return np.equal(a, b).astype(float)[..., None, None]  # an index may hold all its values (an axis)


def _of_values(rule):
    """A rule of a matrix function, given its arguments' values."""

    def evaluated(ev: _Evaluation, node: ast.Call, idx):
        return rule(node, *[ev.value(a, idx) for a in node.args])

    return evaluated


@NUMERIC_RULES.register("sum")
@_of_values
def _sum(node: ast.Call, first):
    axis = dict(node.kwargs).get("axis")
    if axis is None:
        return _total(first)
    return first.sum(axis=int(axis.value) - 2, keepdims=True)


@NUMERIC_RULES.register("trace")
@_of_values
def _trace(node: ast.Call, first):
    return np.trace(first, axis1=-2, axis2=-1)[..., None, None]


@NUMERIC_RULES.register("det")
@_of_values
def _det(node: ast.Call, first):
    return np.linalg.det(first)[..., None, None]


@NUMERIC_RULES.register("inv")
@_of_values
def _inv(node: ast.Call, first):
    return np.linalg.inv(first)


@NUMERIC_RULES.register("kron")
@_of_values
def _kron(node: ast.Call, first, second):
    # numpy's kron cannot be interrupted: its size is checked first
    limits.check_entries(first.shape[-2] * second.shape[-2], first.shape[-1] * second.shape[-1],
                         "kron(...)", oracle="the numeric oracle")
    if first.ndim == second.ndim == 2:
        return np.kron(first, second)
    (a, b), (c, d) = first.shape[-2:], second.shape[-2:]
    product = first[..., :, None, :, None] * second[..., None, :, None, :]
    return product.reshape(*product.shape[:-4], a * c, b * d)


@NUMERIC_RULES.register("vec")
@_of_values
def _vec(node: ast.Call, first):
    return _swap(first).reshape(*first.shape[:-2], -1, 1)


@NUMERIC_RULES.register("diag")
@_of_values
def _diag(node: ast.Call, first):
    if 1 in first.shape[-2:]:
        entries = first.reshape(*first.shape[:-2], -1)
        return entries[..., :, None] * np.eye(entries.shape[-1])
    return np.diagonal(first, axis1=-2, axis2=-1)[..., None]


@NUMERIC_RULES.register("outer")
@_of_values
def _outer(node: ast.Call, first, second):
    rows, cols = (int(np.prod(v.shape[-2:])) for v in (first, second))
    limits.check_entries(rows, cols, "outer(...)", oracle="the numeric oracle")
    return first.reshape(*first.shape[:-2], rows, 1) * second.reshape(*second.shape[:-2], 1, cols)


@NUMERIC_RULES.register("softmax")
@_of_values
def _softmax(node: ast.Call, first):
    if first.shape[-1] == 1:
        return _swap(_softmax_rows(_swap(first)))
    return _softmax_rows(first)


@NUMERIC_RULES.register("norm")
@_of_values
def _norm(node: ast.Call, first):
    return np.sqrt(_total(first * first))


def _pick(matrix: np.ndarray, node: ast.Index, idx: dict) -> np.ndarray:
    """``matrix[node.items]`` with index names bound by ``idx`` (1-based literals; W[i,:] a column),
    of each matrix of a stack; an index bound to all its values at once (an array along an axis of
    its own, derive.oracles.numeric_indexed) picks along that axis."""
    items = list(node.items)
    if len(items) == 1:
        items = [items[0], ast.ALL] if matrix.shape[-1] == 1 else [ast.ALL, items[0]]
    picks, along = [], []
    for axis, item in enumerate(items):
        if item is ast.ALL:
            picks.append(slice(None))
        elif isinstance(item, int):
            if not 1 <= item <= matrix.shape[axis - 2]:
                raise ShapeError(f"index {item} is out of range 1..{matrix.shape[axis - 2]}")
            picks.append(slice(item - 1, item))
        elif np.ndim(idx[item]) == 0:
            picks.append(slice(idx[item], idx[item] + 1))
        else:
            picks.append(slice(None))
            along.append((axis - 2, idx[item]))
    picked = matrix[..., picks[0], picks[1]]
    for axis, values in along:
        picked = _take(picked, values, axis)
    if len(node.items) == 2 and node.items[1] is ast.ALL and node.items[0] is not ast.ALL:
        return _swap(picked)
    return picked


def _take(matrix: np.ndarray, values: np.ndarray, axis: int) -> np.ndarray:
    """The row (axis -2) or column (-1) of ``matrix`` at each of ``values``, an index's values
    along axes of their own ahead of the matrix axes."""
    leading = values.ndim
    if matrix.ndim < leading + 2:
        matrix = matrix.reshape((1,) * (leading + 2 - matrix.ndim) + matrix.shape)
    return np.take_along_axis(matrix, values.reshape(values.shape + (1, 1)), axis=axis)


def relative_gap(left: np.ndarray, right: np.ndarray) -> tuple[float, tuple[int, int]]:
    """The largest entrywise gap, relative to the larger side's magnitude (and where it is);
    NaN when either side has a value that is not finite, which is never agreement."""
    if not (np.all(np.isfinite(left)) and np.all(np.isfinite(right))):
        return float("nan"), (0, 0)
    scale = max(np.max(np.abs(left)), np.max(np.abs(right)), 1e-300)
    gaps = np.abs(left - right) / scale
    flat = int(np.argmax(gaps))
    return float(gaps.flat[flat]), divmod(flat, left.shape[1])
