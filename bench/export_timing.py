"""The export's time over the whole catalog: every problem checked first (not timed), then
written as Markdown and as LaTeX, in one process. ``python bench/export_timing.py [CHECKOUT]``
prints the seconds; CHECKOUT (default: this one) lets the same measure run on another checkout
of derive, such as a worktree of an older commit, for a before/after comparison.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main() -> None:
    root = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    try:
        from derive.documents.export import export
        from derive.problem.definition import load_problem
        from derive.verdict.check import check_problem
    except ImportError:  # a checkout from before the package had folders (b6443bb and older)
        from derive.check import check_problem
        from derive.export import export
        from derive.problem import load_problem
    seconds = 0.0
    paths = sorted((root / "problems").glob("*.toml"))
    for path in paths:
        problem = load_problem(path)
        verdicts = check_problem(problem)
        for fmt in ("md", "tex"):
            start = time.perf_counter()
            export(problem, verdicts, fmt)
            seconds += time.perf_counter() - start
    print(f"export of {len(paths)} problems (md and tex): {seconds:.2f} s")


if __name__ == "__main__":
    main()
