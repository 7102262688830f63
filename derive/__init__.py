"""derive: a proof checker for matrix calculus and backpropagation.

Give it a problem (variables with shapes, a forward computation) and a claimed derivative or
identity; it decides whether the claim holds — exactly with SymPy at small concrete sizes,
numerically with NumPy at large ones — and says why a wrong claim is wrong.

The library is a pipeline, one folder a stage, imports pointing down it only:
``language`` (the AST, the primitive table, grammars, parsers, printers, shapes) → ``problem``
(problem files) → ``oracles`` (exact, numeric, the index engine, the zero test) → ``verdict``
(checking a claim, its evidence and diagnosis) → ``documents`` (report, Markdown, LaTeX) →
``grading``; ``errors``, ``limits`` and ``budget`` lie under all of them.
"""

import sys

__version__ = "0.1.0"


def _show_in_notebooks() -> None:
    """Inside IPython, let Jupyter show problems and verdicts as documents (derive.documents.notebook)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is not None:
        from .documents.notebook import register

        register(shell.display_formatter.formatters)


_show_in_notebooks()
