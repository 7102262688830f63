"""The claim language: what a claim says, read from text or LaTeX and printed back.

- ``ast`` — the closed set of tree nodes (frozen dataclasses) every other stage works on.
- ``primitives`` — the table of functions (one row each) and the ``Rules`` through which each
  engine registers its treatment of every row.
- ``claim.lark`` / ``parser`` — the one grammar of claims, definitions and answers, into trees.
- ``latex.lark`` / ``latex_in`` — LaTeX as students and books write it, into the same trees.
- ``text`` / ``latex_out`` / ``latex_names`` — trees printed as claim text and as LaTeX.
- ``shapes`` — the shape of every tree (sizes kept symbolic), index ranges, the size limits.

Nothing here knows problems, oracles or verdicts: the language is the bottom of the pipeline.
"""
