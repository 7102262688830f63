"""Hypothesis strategies shared by the property tests.

Three families:

* ``asts()`` — random derive.language.ast trees of the shapes the parser produces (the round trip
  ``parse_expr(to_text(e)) == e`` is stated over them). They are "canonical": the parser folds a
  minus into a number literal, so ``Neg(Number(...))`` never occurs; names that start with ``d``
  are left out because ``dx / dy`` is, by the language's own rule, a derivative (the test module
  pins that case separately).
* ``latex_asts()`` — the same trees restricted to those LaTeX writes (the round trip
  ``parse_latex_expr(to_latex(e)) == e``); its docstring says what is left out and why.
* ``typed_texts(shape)`` — claim-language text of random *well-typed* expressions over the small
  problem ``ORACLE_PROBLEM`` (sizes M=2, N=3), for comparing the two oracles.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from derive.language import ast
from derive.language.primitives import ELEMENTWISE, MATRIX_FUNCTIONS

# -- random ASTs --------------------------------------------------------------------------------

NAMES = ["a", "b", "W", "X", "x", "y", "J", "L", "T", "m", "n", "S", "W1", "x_2", "σ", "θ", "sum", "e"]
INDEX_NAMES = ["i", "j", "k", "r", "s"]
FUNCS = ["f", "g", "h", "exp", "log", "sigmoid", "σ", "kron", "sum", "softmax", "vec"]
KWARG_KEYS = ["axis", "k"]

names = st.sampled_from(NAMES)
index_names = st.sampled_from(INDEX_NAMES)


@st.composite
def numbers(draw, negative: bool = True):
    """Decimal literals (what the grammar can write), optionally negative (a folded minus)."""
    places = draw(st.integers(0, 3))
    numerator = draw(st.integers(0 if not negative else -10_000, 10_000))
    return ast.Number(Fraction(numerator, 10**places))


def _index_items(allow_all: bool = True):
    item = st.one_of(index_names, st.integers(1, 9), *( [st.just(ast.ALL)] if allow_all else []))
    return st.lists(item, min_size=1, max_size=2).map(tuple)


def _not_number(node) -> bool:
    return not isinstance(node, ast.Number)


def _any_calls(children):
    """Calls as the parser builds them: any function, arguments, keywords and primes."""
    return st.builds(
        ast.Call,
        st.sampled_from(FUNCS),
        st.lists(children, min_size=0, max_size=2).map(tuple),
        st.lists(st.tuples(st.sampled_from(KWARG_KEYS), children), max_size=1).map(tuple),
        st.integers(0, 2),
    )


def _extend(children, names=names, calls=_any_calls):
    postfix_operand = children.filter(_not_number)
    return st.one_of(
        st.builds(ast.Neg, children.filter(_not_number)),
        st.builds(ast.Binary, st.sampled_from(["+", "-", "@", "*", "/", "**"]), children, children),
        st.builds(ast.Transpose, postfix_operand),
        st.builds(ast.Index, postfix_operand, _index_items()),
        calls(children),
        st.builds(ast.Derivative, children, names),
        st.builds(ast.Derivative, st.builds(ast.Index, names.map(ast.Name), _index_items(allow_all=False)), names),
        st.builds(ast.IndexSum, st.lists(index_names, min_size=1, max_size=2, unique=True).map(tuple), children),
    )


def asts(max_leaves: int = 12):
    """Random expression trees as the parser builds them."""
    leaves = st.one_of(names.map(ast.Name), numbers())
    return st.recursive(leaves, _extend, max_leaves=max_leaves)


# -- random ASTs that LaTeX writes ------------------------------------------------------------------

LATEX_NAMES = [name for name in NAMES if name != "σ"]
UNDEFINED_FUNCTIONS = ["f", "g", "h"]
SIZE_NAMES = ["m", "n", "S"]
_SIZED = {"ones", "zeros", "eye"}

latex_names = st.sampled_from(LATEX_NAMES)
_digits = st.integers(1, 9).map(lambda k: ast.Number(Fraction(k)))
_sizes = st.one_of(st.sampled_from(SIZE_NAMES).map(ast.Name), _digits)
_index_args = st.one_of(index_names.map(ast.Name), _digits)
_axes = st.sampled_from([(), (("axis", ast.Number(Fraction(0))),), (("axis", ast.Number(Fraction(1))),)])


def _call(func: str, args, kwargs=None, prime=None):
    kwargs = st.just(()) if kwargs is None else kwargs
    prime = st.just(0) if prime is None else prime
    return st.builds(ast.Call, st.just(func), st.tuples(*args), kwargs, prime)


def _meaningful_calls(children):
    """Calls the shape checker can accept: every function of the primitives table and the
    undefined functions f, g, h by their canonical name, with their number of arguments; primes
    on elementwise and undefined functions only; ``sum`` with ``axis`` 0 or 1 or without; sizes of
    ``ones``, ``zeros``, ``eye`` size names or positive integers; delta of indices."""
    primes = st.integers(0, 2)
    calls = [_call(f, [children], prime=primes) for f in sorted(ELEMENTWISE) + UNDEFINED_FUNCTIONS]
    for name, spec in sorted(MATRIX_FUNCTIONS.items()):
        counts = range(spec.min_args, spec.max_args + 1)
        if name in _SIZED:
            calls += [_call(name, [_sizes] * count) for count in counts]
        elif name == "delta":
            calls.append(_call(name, [_index_args] * 2))
        elif name == "sum":
            calls.append(_call(name, [children], kwargs=_axes))
        else:
            calls += [_call(name, [children] * count) for count in counts]
    return st.one_of(calls)


def latex_asts(max_leaves: int = 12):
    """Random expression trees that have a LaTeX reading: ``asts()`` without three things.

    * The name σ: ``\\sigma`` is the sigmoid in LaTeX (docs/latex.md), so a variable σ has no
      spelling of its own.
    * Function aliases (``σ(x)``, ``sigma(x)``, ``ReLU(x)``): LaTeX has one spelling per function,
      which reads back as the canonical name (``sigmoid``); the trees differ in spelling only.
    * Calls no problem can give a meaning to, which the shape checker rejects whatever the
      shapes: ``f()``, ``exp(x, y)``, ``sum(A, k=1)``, ``sum(A, axis=2)``, ``trace'(A)``,
      ``ones(m * n)``. The printer still shows them (``\\operatorname{sum}\\left(A, \\mathrm{k}=1
      \\right)``), for error messages, but they are not read back.
    """
    special = st.sampled_from([-1, 1, 2]).map(lambda k: ast.Number(Fraction(k)))  # x^{-1}, 2 3
    leaves = st.one_of(latex_names.map(ast.Name), numbers(), special)
    return st.recursive(leaves, _extend_latex, max_leaves=max_leaves)


def _extend_latex(children):
    return _extend(children, latex_names, _meaningful_calls)


def latex_chains(max_leaves: int = 8):
    """Random claims ``A = B (= C)`` of trees that have a LaTeX reading."""
    sides = st.lists(latex_asts(max_leaves), min_size=2, max_size=3)
    return sides.map(lambda sides: ast.Chain(tuple(sides)))



def chains(max_leaves: int = 8):
    """Random claims ``A = B (= C)``: two or three random trees."""
    return st.lists(asts(max_leaves), min_size=2, max_size=3).map(lambda sides: ast.Chain(tuple(sides)))

# -- well-typed expressions over a small problem ----------------------------------------------------

ORACLE_PROBLEM = {
    "id": "oracle",
    "sizes": ["M", "N"],
    "variables": {"A": "M x M", "B": "M x N", "u": "M", "v": "N", "c": "scalar",
                  "P": {"shape": "M x N", "constraints": ["positive"]}},
    "definitions": ["Z = B.T @ A + c"],
}
ORACLE_SIZES = {"M": 2, "N": 3}
DIMS = ("1", "M", "N")

# variables (and one definition) of each shape
_LEAVES = {
    ("M", "M"): ["A"],
    ("M", "N"): ["B", "P"],
    ("N", "M"): ["Z"],
    ("M", "1"): ["u"],
    ("N", "1"): ["v"],
    ("1", "1"): ["c", "2", "0.5", "3"],
}
_SMALL_SQUARES = {
    "M": ["A @ A.T", "u @ u.T", "B @ B.T", "diag(exp(u))"],
    "N": ["B.T @ B", "v @ v.T", "diag(sigmoid(v))", "B.T @ P"],
}
_ELEMENTWISE = ["exp", "sigmoid", "σ", "tanh", "sin", "cos", "relu"]


def _wrap(text: str) -> str:
    return f"({text})"


@st.composite
def typed_texts(draw, shape=("1", "1"), depth: int = 3):
    """Text of a random expression of ``shape`` (a pair of names among 1, M, N)."""
    rows, cols = shape
    leaves = _LEAVES.get(shape, [])
    if depth <= 0 or (leaves and draw(st.integers(0, 3)) == 0):
        if leaves:
            return draw(st.sampled_from(leaves))
        return _filler(shape)
    sub = lambda s: typed_texts(s, depth - 1)  # noqa: E731
    rules = ["add", "sub", "mul", "neg", "T", "matmul", "func", "pow", "div", "kron", "softmax"]
    if rows != "1" and cols != "1":
        rules += ["outer"]
    if rows == cols and rows != "1":
        rules += ["diag_v", "inv"]
    if shape == ("1", "1"):
        rules += ["sum", "trace", "norm", "det", "entry", "isum"]
    if cols == "1" and rows != "1":
        rules += ["sum1", "diag_m", "col", "row"]
    if rows == "1" and cols != "1":
        rules += ["sum0"]
    rule = draw(st.sampled_from(rules))
    inner = draw(st.sampled_from(DIMS))
    square = draw(st.sampled_from(["M", "N"]))
    if rule in ("add", "sub", "mul"):
        op = {"add": "+", "sub": "-", "mul": "*"}[rule]
        return f"{_wrap(draw(sub(shape)))} {op} {_wrap(draw(sub(shape)))}"
    if rule == "neg":
        return f"-{_wrap(draw(sub(shape)))}"
    if rule == "T":
        return f"{_wrap(draw(sub((cols, rows))))}.T"
    if rule == "matmul":
        return f"{_wrap(draw(sub((rows, inner))))} @ {_wrap(draw(sub((inner, cols))))}"
    if rule == "func":
        return f"{draw(st.sampled_from(_ELEMENTWISE))}({draw(sub(shape))})"
    if rule == "pow":
        return f"{_wrap(draw(sub(shape)))} ** {draw(st.sampled_from(['2', '3']))}"
    if rule == "div":
        return f"{_wrap(draw(sub(shape)))} / (1 + {_wrap(draw(sub(shape)))} ** 2)"
    if rule == "kron":
        return f"kron({draw(sub((rows, '1')))}, {draw(sub(('1', cols)))})"
    if rule == "softmax":
        return f"softmax({draw(sub(shape))})"
    if rule == "outer":
        return f"outer({draw(sub((rows, '1')))}, {draw(sub((cols, '1')))})"
    if rule == "diag_v":
        return f"diag({draw(sub((rows, '1')))})"
    if rule == "inv":
        # inverses and determinants of symbolic matrices grow fast: keep their arguments small
        return f"inv({draw(st.sampled_from(_SMALL_SQUARES[rows]))} + eye({rows}))"
    if rule == "sum":
        return f"sum({draw(sub((square, inner)))})"
    if rule == "trace":
        return f"trace({draw(sub((square, square)))})"
    if rule == "norm":
        return f"norm({draw(sub((square, inner)))})"
    if rule == "det":
        return f"det({draw(st.sampled_from(_SMALL_SQUARES[square]))})"
    if rule == "entry":
        return f"{_wrap(draw(sub(('M', 'N'))))}[2,{draw(st.sampled_from(['1', '3']))}]"
    if rule == "isum":
        return f"sum_i(u[i] * {_wrap(draw(sub(('M', '1'))))}[i])"
    if rule == "sum1":
        return f"sum({draw(sub((rows, inner)))}, axis=1)"
    if rule == "sum0":
        return f"sum({draw(sub((inner, cols)))}, axis=0)"
    if rule == "diag_m":
        return f"diag({draw(sub((rows, rows)))})"
    if rule == "col":
        return f"{_wrap(draw(sub((rows, square))))}[:,1]"
    if rule == "row":
        return f"{_wrap(draw(sub((square, rows))))}[1,:]"
    raise AssertionError(rule)  # pragma: no cover


def _filler(shape) -> str:
    """A fixed expression of a shape that has no variable of its own."""
    rows, cols = shape
    if rows == "1" and cols == "1":
        return "c"
    if cols == "1":
        return f"ones({rows})"
    if rows == "1":
        return f"ones({cols}).T"
    return f"ones({rows}, {cols})"


# -- random scalar SymPy expressions -------------------------------------------------------------

@st.composite
def sympy_scalars(draw, symbols, depth: int = 3):
    """Random scalar SymPy expressions in ``symbols``, with derive's activation atoms."""
    import sympy

    from derive.oracles.functions import Sigmoid, SoftmaxEntry, Tanh

    if depth <= 0 or draw(st.integers(0, 4)) == 0:
        return draw(st.one_of(st.sampled_from(list(symbols)),
                              st.integers(-3, 3).map(sympy.Integer)))
    sub = sympy_scalars(symbols, depth - 1)
    kind = draw(st.sampled_from(["add", "mul", "pow", "exp", "sin", "sigmoid", "tanh", "softmax", "log"]))
    a, b = draw(sub), draw(sub)
    if kind == "add":
        return a + b
    if kind == "mul":
        return a * b
    if kind == "pow":
        return a ** draw(st.integers(2, 3))
    if kind == "exp":
        return sympy.exp(a)
    if kind == "sin":
        return sympy.sin(a)
    if kind == "sigmoid":
        return Sigmoid(a)
    if kind == "tanh":
        return Tanh(a)
    if kind == "log":
        return sympy.log(1 + a**2)
    return SoftmaxEntry(draw(st.integers(0, 1)), a, b)
