"""The oracles: three independent ways to evaluate a claim's two sides.

- ``symbolic`` — the exact oracle: every entry a SymPy symbol at concrete sizes, differentiated
  entry by entry (``reverse``: one reverse pass over the expression graph); ``functions`` holds
  its activations as atoms, ``zero`` proves a difference zero, ``witness`` finds a point where it
  is not.
- ``numeric`` — the numeric oracle: NumPy at random points and large sizes, complex-step
  directional derivatives; ``numpy_functions`` holds its forms of the elementwise primitives,
  ``numeric_indexed`` takes index notation at every assignment of its indices at once.
- ``index`` — the index-notation engine: both sides entrywise with symbolic sizes, a canonical
  form, a proof for every size, and the derivation an answer sheet writes.

The exact and numeric oracles never import each other: their agreement is evidence only because
they are independent. None of them decides a verdict; derive.verdict does.
"""
