"""Claims with inverses and determinants of structured matrices, each decided within 2 s? (issue 12 §3)

``python bench/decide.py`` checks, in this process with the default options (exact budget 10 s a
link), identities of the Matrix Cookbook's kind on square matrices that reach 6×6 at the exact
oracle's sizes (A m×m, B n×n, X n×n, m·n up to 20 at the fresh sizes): right ones and wrong ones,
none of them in the catalog. It prints a Markdown table, claim by claim: the verdict, the
evidence, the seconds; then the median and the maximum. The target: every one decided (holds or
fails) in under 2 s, except those that use a size as a value, which stay undecided by design
(concrete sizes cannot show a size-dependent term is absent) and must end just as fast.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from derive.problem.definition import problem_from_dict  # noqa: E402
from derive.verdict.check import ProblemChecker  # noqa: E402

PROBLEM = problem_from_dict({
    "id": "structured", "sizes": ["m", "n"],
    "variables": {"A": {"shape": "m x m", "constraints": ["invertible"]},
                  "B": {"shape": "n x n", "constraints": ["invertible"]},
                  "X": {"shape": "n x n", "constraints": ["invertible"]},
                  "Y": {"shape": "n x n", "constraints": ["invertible"]}},
})

# (claim, verdict expected)
CLAIMS = [
    ("inv(kron(A, B)) = kron(inv(A), inv(B))", "holds"),
    ("inv(kron(A, B)) = kron(inv(B), inv(A))", "fails"),
    ("inv(inv(inv(X))) = inv(X)", "holds"),
    ("inv(X @ Y) = inv(Y) @ inv(X)", "holds"),
    ("inv(X @ Y) = inv(X) @ inv(Y)", "fails"),
    ("inv(X.T) = inv(X).T", "holds"),
    ("inv(X.T @ X) = inv(X) @ inv(X).T", "holds"),
    ("det(inv(X)) = 1 / det(X)", "holds"),
    ("det(inv(X)) = det(X)", "fails"),
    ("det(X @ Y) = det(X) * det(Y)", "holds"),
    ("det(X.T @ inv(Y) @ X) = det(X)**2 / det(Y)", "holds"),
    ("det(inv(X) @ X) = 1", "holds"),
    ("det(kron(A, B)) = det(A)**n * det(B)**m", "undecided"),  # a size as a value
    ("det(kron(A, B)) = det(A)**m * det(B)**n", "fails"),
    ("trace(inv(kron(A, B))) = trace(inv(A)) * trace(inv(B))", "holds"),
    ("kron(A, B) @ kron(inv(A), inv(B)) = eye(m*n)", "holds"),
]


def main() -> None:
    checker = ProblemChecker(PROBLEM)
    rows, times, misses = [], [], []
    for claim, expected in CLAIMS:
        start = time.perf_counter()
        verdict = checker.check(claim)
        seconds = time.perf_counter() - start
        times.append(seconds)
        link = verdict.links[0] if verdict.links else None
        evidence = link.evidence_summary() if link else (verdict.error or "")
        if verdict.verdict != expected or seconds >= 2:
            misses.append(claim)
        rows.append(f"| `{claim}` | {verdict.verdict} (expected {expected}) | {seconds:.2f} | {evidence[:90]} |")
    print("| claim | verdict | seconds | evidence |\n|---|---|---|---|")
    print("\n".join(rows))
    print(f"\n{len(CLAIMS)} claims: median {statistics.median(times):.2f} s, max {max(times):.2f} s; "
          f"{len(CLAIMS) - len(misses)} as expected within 2 s" + (f"; not: {misses}" if misses else ""))


if __name__ == "__main__":
    main()
