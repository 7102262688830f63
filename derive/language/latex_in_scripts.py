"""How the LaTeX reader reads sub- and superscripts: part of ``latex_in`` (the LaTeX reader).

``X_{mj}`` is the entry (m, j): each letter of a subscript is one index, a run of digits one
integer; ``x^{(4)}`` is the name ``x4`` (a label, not a power); ``x^\\top`` a transpose, ``A^{-1}``
an inverse (a power -1 of a scalar), ``X^{\\circ 2}`` an elementwise power; ``I_{n}``,
``\\mathbf{1}_{n}`` and ``\\delta_{ij}`` the identity, a ones vector and a Kronecker delta.
``_Scripts`` is the part of the transformer (``latex_in_transform._ToAst``) that does it.
"""

from __future__ import annotations

from fractions import Fraction

import lark

from . import ast
from .latex_in_names import latex_key
from .latex_in_pending import _MINUS, _Args, _Bound, _fail, _Group, _Juxt, _Mark, _Marker, _Op, _span
from .latex_in_rules import reads_as_scalar

_TRANSPOSE_LETTERS = {"T"}
_NORM_SUBSCRIPTS = {2, "F"}


@lark.v_args(meta=True)
class _Scripts(lark.Transformer):
    """The transformer's reading of scripts (it needs ``names``, ``quantities`` and ``scalars``,
    ``_node`` and ``_variable``, and the name readings of ``_Names``)."""

    def subscript(self, meta, children):
        return ("_", children[0], _span(meta))

    def superscript(self, meta, children):
        return ("^", children[0], _span(meta))

    def prime(self, meta, children):
        return ("'", None, _span(meta))

    def hadamard_power(self, meta, children):  # X^{\circ 2}: the elementwise power
        return ("^∘", children[-1], _span(meta))

    def arg_list(self, meta, children):
        children = [c for c in children if not isinstance(c, lark.Token)]
        return children[0] if len(children) == 1 else _Args(tuple(children), _span(meta))

    def bound(self, meta, children):
        return _Bound(str(children[0]), _span(meta))

    def scripted(self, meta, children):
        base, (kind, arg, script_span) = children
        named = self._named(_span(meta))
        if named:
            return named
        if isinstance(base, _Juxt):  # W(x + b)^T: the script belongs to the parenthesis
            *head, last = base.factors
            return _Juxt((*head, self._script(last, kind, arg, script_span, meta)))
        return self._script(base, kind, arg, script_span, meta)

    def _script(self, base, kind, arg, script_span, meta):
        span = _span(meta)
        if isinstance(base, _Mark) and base.kind == "∂":
            if kind == "^" and isinstance(arg, ast.Number) and arg.value == 2 and base.order == 1:
                return _Mark("∂", span, order=2)  # \partial^2 f over \partial x^2: the Hessian
            raise _fail(r"'\partial' takes no script but ^2 (a second derivative)", script_span)
        if isinstance(base, _Marker) and base.kind == "nabla":
            if kind != "_":
                raise _fail(r"'\nabla' takes the variable as a subscript, \nabla_W J; higher "
                            "derivatives are not supported", script_span)
            wrt, items = self._variable(arg)
            return _Op(wrt, items, span, one=True)
        if kind == "'":
            if isinstance(base, ast.Name):
                return _Marker("primed", span, base.id, 1)
            if isinstance(base, _Marker) and base.kind == "primed":
                return _Marker("primed", span, base.name, base.primes + 1)
            raise _fail("a prime marks a function's derivative, as in h'(X)", script_span)
        if kind == "_":
            return self._subscript(base, arg, span, script_span)
        if kind == "^∘":
            return ast.Binary("**", self._node(base), self._node(arg), span=span)
        return self._superscript(base, arg, span, script_span)

    def _subscript(self, base, arg, span, script_span):
        if isinstance(base, _Marker) and base.kind in ("ones", "zeros"):
            return ast.Call(base.kind, self._sizes(arg, script_span), span=span)
        if isinstance(base, ast.Name) and self._source(base.span) == "I" and "I" not in self.names \
                and "I" not in self.quantities:
            return self._identity(arg, span, script_span)
        named = self._subscripted_name(base, arg, span)
        if named is not None:
            return named
        items = self._items(arg, script_span, span)
        if isinstance(base, ast.Name) and self._source(base.span) == r"\delta" and len(items) == 2 \
                and base.id == "delta" and "delta" not in self.quantities:
            args = tuple(ast.Number(Fraction(i)) if isinstance(i, int) else ast.Name(i) for i in items)
            return ast.Call("delta", args, span=span)
        node = self._node(base)
        if (isinstance(node, ast.Call) and node.func == "norm" and items and items[0] in _NORM_SUBSCRIPTS
                and not isinstance(base, _Group)):  # \|x\|_2; (\|x\|)_{2} is an entry
            return node
        if isinstance(node, ast.Index) and not isinstance(base, _Group):  # (X_{i})_{j} is meant
            raise _fail("a second subscript on an entry: write all indices in one, X_{mn}",
                        script_span)
        return ast.Index(node, items, span=span)

    def _superscript(self, base, arg, span, script_span):
        parts = list(arg.factors) if isinstance(arg, _Juxt) else [arg]
        transpose = bool(parts) and self._is_transpose_mark(parts[-1])
        if transpose:
            parts = parts[:-1]
        if isinstance(base, _Marker) and base.kind == "ones" and transpose and not parts:
            return _Marker("ones_row", span)
        if transpose and parts == [_MINUS]:  # X^{-\top}
            return ast.Transpose(ast.Call("inv", (self._node(base),), span=span), span=span)
        if parts and isinstance(parts[0], _Group):  # x^{(4)}, x^{(4)\top}: a label
            if len(parts) != 1:
                raise _fail("a superscript label is one name or number in parentheses: x^{(4)}",
                            script_span)
            node = self._label(base, parts[0], script_span)
        elif not parts:
            node = self._node(base)
        else:
            exponent = self._node(arg if len(parts) == 1 and not transpose else _Juxt(tuple(parts)))
            node = self._power(base, exponent, span)
        return ast.Transpose(node, span=span) if transpose else node

    def _is_transpose_mark(self, item) -> bool:
        if isinstance(item, _Marker) and item.kind == "top":
            return True
        return isinstance(item, ast.Name) and self._source(item.span) in _TRANSPOSE_LETTERS

    def _power(self, base, exponent: ast.Node, span) -> ast.Node:
        if isinstance(base, ast.Name) and self._source(base.span) == "e":
            return ast.Call("exp", (exponent,), span=span)
        node = self._node(base)
        minus_one = isinstance(exponent, ast.Number) and exponent.value == -1
        if minus_one and not reads_as_scalar(node, self.scalars):  # for a scalar, s^{-1} is a power
            return ast.Call("inv", (node,), span=span)
        return ast.Binary("**", node, exponent, span=span)

    def _items(self, arg, span, whole) -> tuple:
        """A subscript's indices: X_{mj} → (m, j), X_{m,j} → (m, j), W_{12} → (12,)."""
        groups = arg.items if isinstance(arg, _Args) else (arg,)
        items = []
        for group in groups:
            parts = group.factors if isinstance(group, _Juxt) else (group,)
            items.extend(self._item(part, span, whole) for part in parts)
        return tuple(items)

    def _item(self, part, span, whole):
        if isinstance(part, _Mark) and part.kind == "d":
            return "d"
        if isinstance(part, _Marker) and part.kind == "colon":
            return ast.ALL
        if isinstance(part, ast.Name):
            return part.id
        if isinstance(part, ast.Number) and part.value.denominator == 1 and part.value >= 0:
            return part.value.numerator
        source = latex_key(self._source(whole))
        raise _fail(f"the subscript in '{source}' is not a list of indices (write X_{{mj}}, "
                    f"X_{{m,j}} or W_{{1,2}}); for a label pass names={{'{source}': '...'}}", span)

    def _identity(self, arg, span, script_span) -> ast.Call:
        """``I_{n}`` or ``I_{n \\times n}``: the identity (a variable I is declared in ``names``)."""
        sizes = self._sizes(arg, script_span)
        if len(sizes) == 2 and sizes[0] != sizes[1]:
            raise _fail(f"the identity I is square: '{self._source(span)}' has two different sizes",
                        script_span)
        return ast.Call("eye", sizes[:1], span=span)

    def _sizes(self, arg, span) -> tuple[ast.Node, ...]:
        """The size of \\mathbf{1}_{S} or \\mathbf{1}_{m \\times n}."""
        if isinstance(arg, _Args):
            return tuple(self._node(a) for a in arg.items)
        node = self._node(arg)
        if isinstance(node, ast.Binary) and node.op in ("@", "*"):
            return (node.left, node.right)
        return (node,)
