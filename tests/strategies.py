"""Hypothesis strategies shared by the property tests.

Two families:

* ``asts()`` — random derive.ast trees of the shapes the parser produces (the round trip
  ``parse_expr(to_text(e)) == e`` is stated over them). They are "canonical": the parser folds a
  minus into a number literal, so ``Neg(Number(...))`` never occurs; names that start with ``d``
  are left out because ``dx / dy`` is, by the language's own rule, a derivative (the test module
  pins that case separately).
* ``typed_texts(shape)`` — claim-language text of random *well-typed* expressions over the small
  problem ``ORACLE_PROBLEM`` (sizes M=2, N=3), for comparing the two oracles.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from derive import ast

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


def _extend(children):
    postfix_operand = children.filter(_not_number)
    return st.one_of(
        st.builds(ast.Neg, children.filter(_not_number)),
        st.builds(ast.Binary, st.sampled_from(["+", "-", "@", "*", "/", "**"]), children, children),
        st.builds(ast.Transpose, postfix_operand),
        st.builds(ast.Index, postfix_operand, _index_items()),
        st.builds(
            ast.Call,
            st.sampled_from(FUNCS),
            st.lists(children, min_size=0, max_size=2).map(tuple),
            st.lists(st.tuples(st.sampled_from(KWARG_KEYS), children), max_size=1).map(tuple),
            st.integers(0, 2),
        ),
        st.builds(ast.Derivative, children, names),
        st.builds(ast.Derivative, st.builds(ast.Index, names.map(ast.Name), _index_items(allow_all=False)), names),
        st.builds(ast.IndexSum, st.lists(index_names, min_size=1, max_size=2, unique=True).map(tuple), children),
    )


def asts(max_leaves: int = 12):
    """Random expression trees as the parser builds them."""
    leaves = st.one_of(names.map(ast.Name), numbers())
    return st.recursive(leaves, _extend, max_leaves=max_leaves)



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

    from derive.functions import Sigmoid, SoftmaxEntry, Tanh

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
