"""The exact oracle: a problem at concrete sizes, every entry a SymPy symbol.

``ExactModel(problem, sizes)`` gives each variable a matrix of symbols (with its constraints:
a symmetric matrix shares symbols across the diagonal, a row-stochastic one has its last column
fixed by the others), evaluates the definitions in order, and evaluates any expression of the
claim language to a SymPy matrix. A derivative is taken elementwise, in backprop's sense: to
differentiate by an intermediate ``y``, ``y`` is replaced by fresh symbols in everything computed
from it, the result is differentiated by those symbols (one reverse pass per output entry), and
``y``'s value is put back. A loss ``J`` left arbitrary enters through its upstream gradient: its
partial derivatives by the quantities it depends on are free symbols ``dJ/dy[i]``, which is exact
for every first derivative.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy
from sympy.matrices import kronecker_product

from ..errors import ShapeError, TooLarge, UnsupportedError
from ..language import ast
from ..language.primitives import ELEMENTWISE, canonical_function, engine_rules
from ..language.shapes import Scope, Shape, free_indices, is_vector
from ..language.text import to_text
from ..limits import MAX_EXPONENT, exact_shape
from ..problem.definition import Problem
from .exact_matrices import (
    broadcast,
    determinant,
    entries,
    entry_rows,
    from_entries,
    inverse,
    inverse_parts,
    matmul,
    nonsingular,
    product,
    scalar_matrix,
)
from .functions import SYMPY_FORMS, SoftmaxEntry, undefined
from .reverse import gradient

Matrix = sympy.ImmutableMatrix
STRUCTURED = {"symmetric", "spd", "stochastic"}
DERIVATIVES_KEPT = 256


def _entry_name(name: str, i: int, j: int, shape) -> str:
    rows, cols = shape
    if cols == 1 and rows == 1:
        return name
    if cols == 1:
        return f"{name}[{i + 1}]"
    if rows == 1:
        return f"{name}[{j + 1}]"
    return f"{name}[{i + 1},{j + 1}]"


def _prime_rule(name: str, order: int):
    """The SymPy form of the ``order``-th derivative of elementwise primitive ``name``."""
    t = sympy.Symbol("t", real=True)
    expr = SYMPY_FORMS[name](t)
    for _ in range(order):
        expr = sympy.diff(expr, t)
    return lambda x: expr.xreplace({t: x})


def _convention(gradient: Matrix, variable) -> Matrix:
    """The gradient by a symmetric matrix in its declared convention, from G, the gradient with
    every entry free: G + Gᵀ − G∘I (the Matrix Cookbook's) or (G + Gᵀ)/2 (symmetrized)."""
    convention = getattr(variable, "gradient", "")
    if convention == "cookbook":
        n = gradient.rows
        return Matrix(n, n, lambda i, j: gradient[i, j] + gradient[j, i] if i != j else gradient[i, i])
    if convention == "symmetrized":
        return (gradient + gradient.T) / 2
    return gradient


def _symbols_in_order(matrix: sympy.MatrixBase) -> list[sympy.Symbol]:
    """The free symbols of a matrix in the order of its entries, not of a set's hashes: random
    points are drawn symbol by symbol, so a witness is the same from run to run."""
    found: dict = {}
    for entry in matrix:
        found.update((s, None) for s in sorted(entry.free_symbols, key=sympy.default_sort_key))
    return list(found)


class ExactModel:
    """One problem at one assignment of its sizes, evaluated exactly."""

    def __init__(self, problem: Problem, sizes: dict[str, int]):
        self.problem = problem
        self.sizes = dict(sizes)
        self._size_subs = {problem.sizes[name]: value for name, value in sizes.items()}
        self._evaluations: dict = {}
        self._cuts: dict[str, tuple[dict, Matrix, dict]] = {}
        self._primes: dict = {}
        self._derivatives: dict = {}
        self.leaves = {name: self._leaf(v) for name, v in problem.variables.items()}
        self.upstream = {
            loss: {dep: self._symbols(f"d{loss}/d{dep}", problem.shapes[dep]) for dep in deps}
            for loss, deps in problem.arbitrary.items()
        }
        self.base = self._environment({}, reuse=(), losses=False)

    # -- set-up ---------------------------------------------------------------------------
    def concrete(self, shape: Shape) -> tuple[int, int]:
        return tuple(self._size(d) for d in shape)

    def _size(self, dim) -> int:
        """A size expression (m, m·d, or a number) at this model's sizes."""
        return int(dim.xreplace(self._size_subs)) if isinstance(dim, sympy.Basic) else int(dim)

    def _symbols(self, name: str, shape, **assumptions) -> Matrix:
        rows, cols = exact_shape(self.concrete(shape), name)  # refused past the limits, before it is built
        return Matrix(rows, cols, lambda i, j: sympy.Symbol(_entry_name(name, i, j, (rows, cols)),
                                                            real=True, **assumptions))

    def _leaf(self, variable) -> Matrix:
        positive = bool({"positive", "probability"} & variable.constraints)
        symbols = self._symbols(variable.name, variable.shape, **({"positive": True} if positive else {}))
        rows, cols = symbols.shape
        if {"symmetric", "spd"} & variable.constraints:
            symbols = Matrix(rows, cols, lambda i, j: symbols[min(i, j), max(i, j)])
        if "stochastic" in variable.constraints:
            def entry(i, j):
                if j < cols - 1:
                    return symbols[i, j]
                return 1 - sum(symbols[i, k] for k in range(cols - 1))
            symbols = Matrix(rows, cols, entry)
        return symbols

    def bounds(self) -> dict:
        """Symbols confined to an interval by their variable's constraint: the free entries of a
        row-stochastic matrix lie in (0, 0.9/(k-1)) for k columns, so that every entry, the last
        one (1 - the others) included, is positive; a probability's in (0, 1). Witnesses are looked
        for there only."""
        found = {}
        for variable in self.problem.variables.values():
            if "probability" in variable.constraints:
                found.update((symbol, (0.02, 0.98)) for symbol in _symbols_in_order(self.leaves[variable.name]))
            if "stochastic" in variable.constraints:
                cols = self.leaves[variable.name].cols
                high = 0.9 / max(cols - 1, 1)
                for symbol in _symbols_in_order(self.leaves[variable.name]):
                    found[symbol] = (0.02 * high, high)
        return found

    def symbols(self) -> list[sympy.Symbol]:
        """Every free symbol of the model: the variables' entries and the upstream gradients."""
        found: dict = {}
        for matrix in self.leaves.values():
            found.update((s, None) for s in _symbols_in_order(matrix))
        for grads in self.upstream.values():
            for matrix in grads.values():
                found.update((s, None) for s in matrix)
        return list(found)

    # -- derivatives ------------------------------------------------------------------------
    def _environment(self, replaced: dict, reuse, losses: bool) -> dict:
        """Leaves and definitions in order, with ``replaced`` values fixed and ``reuse``d ones
        taken from the base; with ``losses``, each arbitrary loss is its first-order surrogate
        Σ dJ/dy ⊙ y, and the definitions computed from it get values too."""
        problem = self.problem
        env = {**self.leaves, **{k: v for k, v in replaced.items() if k in self.leaves}}
        for name, expr in problem.definitions:
            if losses:
                self._add_losses(env)
            if name in replaced:
                env[name] = replaced[name]
            elif name in reuse:
                env[name] = self.base[name]
            elif name in problem.loss_dependent and not losses:
                continue
            else:
                env[name] = self.evaluate(expr, env, problem.scope())
        if losses:
            self._add_losses(env)
        return env

    def _add_losses(self, env: dict) -> None:
        for loss, grads in self.upstream.items():
            if loss not in env and all(dep in env for dep in grads):
                total = sympy.Add(*[sympy.Add(*[g * v for g, v in zip(grads[dep], env[dep])]) for dep in grads])
                env[loss] = Matrix([[total]])

    def _cut(self, wrt: str) -> tuple[dict, Matrix, dict]:
        """Environment where ``wrt`` is an independent input: (env, its symbols, back-substitution).

        An intermediate, or a structured variable (symmetric, stochastic), is replaced by fresh
        independent symbols and its value put back afterwards: for a structured variable that is
        the gradient of the unconstrained function at the structured point, as the Matrix
        Cookbook's formulas mean it.
        """
        if wrt in self._cuts:
            return self._cuts[wrt]
        problem = self.problem
        order = [name for name, _ in problem.definitions]
        plain = [n for n in order if n not in problem.loss_dependent]
        if wrt in self.leaves and not self.problem.variables[wrt].constraints & STRUCTURED:
            hat, back = self.leaves[wrt], {}
            env = self._environment({}, reuse=plain, losses=True)
        else:
            hat = self._symbols(f"⟨{wrt}⟩", problem.shapes[wrt])
            before = plain[: plain.index(wrt)] if wrt in plain else []
            env = self._environment({wrt: hat}, reuse=before, losses=True)
            if wrt not in self.base:
                raise UnsupportedError(f"d/d{wrt}: {wrt} is computed from an arbitrary function")
            back = dict(zip(hat, self.base[wrt]))
        self._cuts[wrt] = (env, hat, back)
        return self._cuts[wrt]

    def derivative(self, node: ast.Derivative, env: dict, scope: Scope, idx: dict) -> Matrix:
        if env is not self.base:
            self._check_second(node, env)
            return self._derivative(node, scope, idx)
        # by the tree's structure, not its identity: every claim about dL/dW (and every candidate
        # correction the diagnosis proves) asks for the same derivative in a scope of its own
        free = free_indices(node, scope.index_names)
        key = (node, scope.index_names, frozenset(scope.index_ranges.items()),
               tuple(sorted((k, idx[k]) for k in free)))
        found = self._derivatives.get(key)
        if found is None:
            if len(self._derivatives) > DERIVATIVES_KEPT:
                self._derivatives.clear()
            found = self._derivatives[key] = self._derivative(node, scope, idx)
        return found

    def _derivative(self, node: ast.Derivative, scope: Scope, idx: dict) -> Matrix:
        cut_env, hat, back = self._cut(node.wrt)
        of = self.evaluate(node.of, cut_env, scope, idx)
        wrt_symbols = list(hat)
        grads = [gradient(entry, wrt_symbols) for entry in entries(of)]
        of_shape, wrt_shape = of.shape, hat.shape
        if of_shape == (1, 1):
            out = _convention(from_entries(wrt_shape[0], wrt_shape[1], [grads[0][s] for s in wrt_symbols]),
                              self.problem.variables.get(node.wrt))
        elif wrt_shape == (1, 1):
            out = from_entries(of_shape[0], of_shape[1], [g[wrt_symbols[0]] for g in grads])
        elif is_vector(of_shape) and is_vector(wrt_shape):
            jac = from_entries(len(grads), len(wrt_symbols), [g[s] for g in grads for s in wrt_symbols])
            out = jac if self.problem.layout == "numerator" else jac.T
        else:
            raise UnsupportedError(f"d{node.wrt}: a derivative of order-3 or order-4 shape; write it entrywise")
        return out.xreplace(back) if back else out

    def _check_second(self, node: ast.Derivative, env: dict) -> None:
        """A derivative inside another (d(df/dx)/dx, the Hessian) is taken where the outer one is
        by a plain variable, whose symbols are the base's, so the inner value, in those symbols,
        is what the outer differentiates; a loss left arbitrary has no known second derivative."""
        if not any(env is cut[0] for name, cut in self._cuts.items() if name in self._plain_leaves()):
            raise UnsupportedError(f"d/d{node.wrt} inside a derivative: a second derivative is taken by a "
                                   "variable without constraints, as in d2f/dx2")
        arbitrary = set(self.problem.arbitrary) | set(self.problem.loss_dependent)
        used = sorted({n.id for n in ast.walk(node.of) if isinstance(n, ast.Name)} & arbitrary)
        if used:
            raise UnsupportedError(f"{used[0]} is left arbitrary: its second derivatives are unknown (define the loss)")

    def _plain_leaves(self) -> set[str]:
        return {name for name, v in self.problem.variables.items() if not v.constraints & STRUCTURED}

    # -- evaluation ---------------------------------------------------------------------------
    def evaluation(self, env: dict, scope: Scope) -> _Evaluation:
        """The evaluation of one environment under one claim's scope, kept so its cache lasts."""
        key = (id(env), id(scope))
        if key not in self._evaluations:
            if len(self._evaluations) > 256:
                self._evaluations.clear()
            self._evaluations[key] = (env, scope, _Evaluation(self, env, scope))
        return self._evaluations[key][2]

    def evaluate(self, node: ast.Node, env: dict, scope: Scope, idx: dict | None = None) -> Matrix:
        """The value of ``node`` as a SymPy matrix (a scalar is 1×1); ``idx`` binds index names."""
        return self.evaluation(env, scope).value(node, idx or {})

    def index_range(self, scope: Scope, name: str) -> int:
        if name not in scope.index_ranges:
            raise ShapeError(f"the range of index {name} is unknown: use it to index a vector or matrix")
        return self._size(scope.index_ranges[name])

    def prime(self, name: str, order: int) -> Callable[[sympy.Expr], sympy.Expr]:
        key = (name, order)
        if key not in self._primes:
            self._primes[key] = _prime_rule(name, order)
        return self._primes[key]


def _scalar(matrix: Matrix):
    return matrix[0, 0]


def _softmax(matrix: Matrix) -> Matrix:
    if matrix.cols == 1:
        column = list(matrix)
        return Matrix(len(column), 1, [SoftmaxEntry(j, *column) for j in range(len(column))])
    rows = []
    for i in range(matrix.rows):
        row = list(matrix.row(i))
        rows.append([SoftmaxEntry(j, *row) for j in range(len(row))])
    return Matrix(rows)


class _Evaluation:
    """One evaluation pass; results of subtrees are cached by node identity, and the nodes are
    kept as long as the evaluation (a dead tree's identity can be a new tree's)."""

    def __init__(self, model: ExactModel, env: dict, scope: Scope):
        self.model = model
        self.env = env
        self.scope = scope
        self.cache: dict = {}
        self.free: dict = {}
        self.alive: dict = {}  # id -> node, for every node whose identity keys ``cache`` and ``free``

    def free_indices(self, node) -> frozenset:
        return free_indices(node, self.scope.index_names, self.free)

    def value(self, node, idx: dict) -> Matrix:
        self.alive.setdefault(id(node), node)  # its subtrees, keys of ``free`` too, live with it
        free = self.free_indices(node)
        key = (id(node), tuple(sorted((k, idx[k]) for k in free if k in idx)))
        if key not in self.cache:
            self.cache[key] = self._compute(node, idx)
        return self.cache[key]

    def _compute(self, node, idx) -> Matrix:
        model = self.model
        if isinstance(node, ast.Number):
            return scalar_matrix(sympy.Rational(node.value.numerator, node.value.denominator))
        if isinstance(node, ast.Name):
            return self._name(node, idx)
        if isinstance(node, ast.Neg):
            return -self.value(node.operand, idx)
        if isinstance(node, ast.Transpose):
            return self.value(node.operand, idx).T
        if isinstance(node, ast.Binary):
            return self._binary(node, idx)
        if isinstance(node, ast.Call):
            return self._call(node, idx)
        if isinstance(node, ast.Index):
            return self._index(node, idx)
        if isinstance(node, ast.IndexSum):
            return self._index_sum(node, idx)
        if isinstance(node, ast.Derivative):
            return model.derivative(node, self.env, self.scope, idx)
        raise UnsupportedError(f"cannot evaluate {type(node).__name__}")

    def _name(self, node: ast.Name, idx) -> Matrix:
        if node.id in self.scope.index_names:
            if node.id not in idx:
                raise ShapeError(f"index {node.id} is used outside its sum")
            return scalar_matrix(sympy.Integer(idx[node.id] + 1))
        if node.id in self.env:
            return self.env[node.id]
        problem = self.model.problem
        if node.id in problem.loss_dependent:
            raise UnsupportedError(f"{node.id} is computed from a function left arbitrary: only its "
                                   f"derivatives, such as d{node.id}/d…, have values")
        if node.id in self.model.problem.arbitrary:
            deps = ", ".join(self.model.problem.arbitrary[node.id])
            raise UnsupportedError(
                f"{node.id} is an arbitrary function of {deps}: only its derivatives, such as "
                f"d{node.id}/d{self.model.problem.arbitrary[node.id][0]}, have values"
            )
        if node.id in self.model.sizes:
            return scalar_matrix(sympy.Integer(self.model.sizes[node.id]))
        raise ShapeError(f"'{node.id}' has no value here")

    def _binary(self, node: ast.Binary, idx) -> Matrix:
        if node.op == "@":  # A inv(A), kron(A, B) kron(C, D): by their identities
            known = product(lambda part: self.value(part, idx), matmul, node.left, node.right)
            if known is not None:
                return known
        left = self.value(node.left, idx)
        right = self.value(node.right, idx)
        where = node.op
        if node.op == "@":
            if left.cols != right.rows:
                raise ShapeError(f"{left.shape} @ {right.shape}: inner sizes differ")
            return matmul(left, right)
        if node.op == "+":
            return broadcast(left, right, lambda a, b: a + b, where)
        if node.op == "-":
            return broadcast(left, right, lambda a, b: a - b, where)
        if node.op == "*":
            return broadcast(left, right, lambda a, b: a * b, where)
        if node.op == "/":
            return broadcast(left, right, lambda a, b: a / b, where)
        if node.op == "**":
            exponent = _scalar(right)
            if exponent.is_Number and abs(exponent) > MAX_EXPONENT:  # a size as the exponent: n**n at n = 70
                raise TooLarge(f"{to_text(node)}: the exponent is {exponent} at these sizes "
                               f"(the limit is {MAX_EXPONENT})")
            return left.applyfunc(lambda a: a**exponent)
        raise UnsupportedError(f"operator {node.op}")

    def _index(self, node: ast.Index, idx) -> Matrix:
        matrix = self.value(node.operand, idx)
        items = list(node.items)
        if len(items) == 1:
            items = [items[0], 0] if matrix.cols == 1 else [0, items[0]]
            fixed = {1} if matrix.cols == 1 else {0}
        else:
            fixed = set()
        positions = []
        for axis, item in enumerate(items):
            size = matrix.shape[axis]
            if axis in fixed:
                positions.append([0])
            elif item is ast.ALL:
                positions.append(list(range(size)))
            elif isinstance(item, int):
                if not 1 <= item <= size:
                    raise ShapeError(f"index {item} is out of range 1..{size} (indices are 1-based)")
                positions.append([item - 1])
            else:
                positions.append([idx[item]])
        rows, cols = positions
        flat, width = entries(matrix), matrix.cols
        picked = from_entries(len(rows), len(cols), [flat[r * width + c] for r in rows for c in cols])
        if len(node.items) == 2 and node.items[1] is ast.ALL and node.items[0] is not ast.ALL:
            return picked.T  # a row, W[i,:], is a column vector (the seeds' w_i)
        return picked

    def _index_sum(self, node: ast.IndexSum, idx) -> Matrix:
        ranges = [range(self.model.index_range(self.scope, name)) for name in node.indices]
        terms = []

        def loop(level, bound):
            if level == len(node.indices):
                terms.append(self.value(node.body, bound))
                return
            for value in ranges[level]:
                loop(level + 1, {**bound, node.indices[level]: value})

        loop(0, dict(idx))
        if len(terms) == 1:
            return terms[0]
        if any(t.shape != terms[0].shape for t in terms):
            raise ShapeError(f"{to_text(node)}: the terms of the sum differ in shape")
        # each entry one n-ary sum: adding matrices in turn rebuilds a growing sum per term
        return from_entries(*terms[0].shape, [sympy.Add(*parts) for parts in zip(*(entries(t) for t in terms))])

    def _call(self, node: ast.Call, idx) -> Matrix:
        name = canonical_function(node.func)
        if name in self.model.problem.activations:
            cls = undefined(name, node.prime)
            return self.value(node.args[0], idx).applyfunc(cls)
        rule = EXACT_RULES.get(name)
        if rule is None:
            raise UnsupportedError(f"{node.func} has no exact evaluation")
        return rule(self, node, idx)

    def _size(self, arg) -> int:
        """A size argument (n, 3, m*n) at this model's sizes."""
        if isinstance(arg, ast.Number):
            return int(arg.value)
        if isinstance(arg, ast.Name):
            return self.model.sizes[arg.id]
        return int(self.value(arg, {})[0, 0])

    def _index_value(self, arg, idx) -> int:
        if isinstance(arg, ast.Number):
            return int(arg.value) - 1
        return idx[arg.id]


# -- the exact rule of each primitive -----------------------------------------------------------

EXACT_RULES = engine_rules("exact oracle")


@EXACT_RULES.register(*ELEMENTWISE)
def _elementwise(ev: _Evaluation, node: ast.Call, idx) -> Matrix:
    name = canonical_function(node.func)
    rule = ev.model.prime(name, node.prime) if node.prime else SYMPY_FORMS[name]
    return ev.value(node.args[0], idx).applyfunc(rule)


@EXACT_RULES.register("ones", "zeros", "eye")
def _constant(ev: _Evaluation, node: ast.Call, idx) -> Matrix:
    dims = [ev._size(a) for a in node.args]
    rows, cols = (dims[0], dims[0]) if node.func == "eye" else (dims[0], dims[1] if len(dims) > 1 else 1)
    exact_shape((rows, cols), f"{node.func}({', '.join(map(str, dims))})")  # eye(m*d) at m = d = 200
    if node.func == "eye":
        return sympy.ImmutableMatrix(sympy.eye(dims[0]))
    rows, cols = dims[0], dims[1] if len(dims) > 1 else 1
    fill = 1 if node.func == "ones" else 0
    return Matrix(rows, cols, [fill] * (rows * cols))


@EXACT_RULES.register("delta")
def _delta(ev: _Evaluation, node: ast.Call, idx) -> Matrix:
    a, b = (ev._index_value(arg, idx) for arg in node.args)
    return scalar_matrix(sympy.Integer(1 if a == b else 0))


def _of_values(rule):
    """A rule of a matrix function, given its arguments' values."""

    def evaluated(ev: _Evaluation, node: ast.Call, idx) -> Matrix:
        return rule(node, *[ev.value(a, idx) for a in node.args])

    return evaluated


@EXACT_RULES.register("sum")
@_of_values
def _sum(node: ast.Call, first: Matrix) -> Matrix:
    axis = dict(node.kwargs).get("axis")
    if axis is None:
        return scalar_matrix(sympy.Add(*entries(first)))
    rows = entry_rows(first)
    if axis.value == 0:
        return from_entries(1, first.cols, [sympy.Add(*column) for column in zip(*rows)])
    return from_entries(first.rows, 1, [sympy.Add(*row) for row in rows])


@EXACT_RULES.register("trace")
@_of_values
def _trace(node: ast.Call, first: Matrix) -> Matrix:
    return Matrix([[first.trace()]])


@EXACT_RULES.register("det")
def _det(ev: _Evaluation, node: ast.Call, idx) -> Matrix:
    return Matrix([[determinant(lambda part: ev.value(part, idx), node.args[0])]])


@EXACT_RULES.register("inv")
def _inv(ev: _Evaluation, node: ast.Call, idx) -> Matrix:
    """The inverse by the identities that hold for every invertible argument — inv(inv(Y)) = Y,
    inv(Aᵀ) = inv(A)ᵀ, inv(A ⊗ B) = inv(A) ⊗ inv(B) and inv(A B) = inv(B) inv(A) for square A, B —
    each factor's determinant checked non-zero, so that a singular argument is still refused;
    else adj(X)/det(X). A 6×6 inv(kron(A, B)) costs two small inverses, not a 6×6 adjugate."""
    arg = node.args[0]
    parts = inverse_parts(arg)
    if parts is None:
        return inverse(ev.value(arg, idx))
    values = [ev.value(part, idx) for part in parts]
    if not all(v.rows == v.cols for v in values):
        return inverse(ev.value(arg, idx))
    if isinstance(arg, ast.Call) and canonical_function(arg.func) == "inv":  # inv(inv(Y)) = Y, Y invertible
        nonsingular(values[0])
        return values[0]
    inverses = [inverse(v) for v in values]
    if isinstance(arg, ast.Transpose):
        return inverses[0].T
    if isinstance(arg, ast.Call):  # kron
        return Matrix(kronecker_product(*inverses))
    return matmul(inverses[1], inverses[0])


@EXACT_RULES.register("kron")
@_of_values
def _kron(node: ast.Call, first: Matrix, second: Matrix) -> Matrix:
    exact_shape((first.rows * second.rows, first.cols * second.cols), "kron(...)")
    return Matrix(kronecker_product(first, second))


@EXACT_RULES.register("vec")
@_of_values
def _vec(node: ast.Call, first: Matrix) -> Matrix:
    column_major = [first[i, j] for j in range(first.cols) for i in range(first.rows)]
    return from_entries(first.rows * first.cols, 1, column_major)


@EXACT_RULES.register("diag")
@_of_values
def _diag(node: ast.Call, first: Matrix) -> Matrix:
    if first.rows == 1 or first.cols == 1:
        return Matrix(sympy.diag(*list(first)))
    return Matrix(first.rows, 1, [first[i, i] for i in range(first.rows)])


@EXACT_RULES.register("outer")
@_of_values
def _outer(node: ast.Call, first: Matrix, second: Matrix) -> Matrix:
    exact_shape((len(first), len(second)), "outer(...)")
    u, v = Matrix(list(first)), Matrix(list(second))
    return u * v.T


@EXACT_RULES.register("softmax")
@_of_values
def _softmax_rule(node: ast.Call, first: Matrix) -> Matrix:
    return _softmax(first)


@EXACT_RULES.register("norm")
@_of_values
def _norm(node: ast.Call, first: Matrix) -> Matrix:
    return Matrix([[sympy.sqrt(sympy.Add(*[e**2 for e in first]))]])
