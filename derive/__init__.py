"""derive: a proof checker for matrix calculus and backpropagation.

Give it a problem (variables with shapes, a forward computation) and a claimed derivative or
identity; it decides whether the claim holds — exactly with SymPy at small concrete sizes,
numerically with NumPy at large ones — and says why a wrong claim is wrong.
"""

__version__ = "0.1.0"
