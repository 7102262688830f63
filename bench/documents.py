"""Generic proofs and documents: the index-notation engine's time per catalog problem (it does not
grow with sizes, since it has none), and the time to export each problem as LaTeX and compile it.

`python bench/documents.py` prints a markdown table (pdflatex columns are blank without TeX).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(problem) -> dict:
    """Generic-proof time over the problem's true claims, and export + compile time."""
    from derive.documents.export import export
    from derive.oracles.index import prove
    from derive.verdict.check import check_problem

    true_claims = [c for c in problem.claims if c.expect == "holds"]
    start = time.perf_counter()
    proved = sum(prove(problem, c.chain).proved for c in true_claims)
    generic_s = time.perf_counter() - start
    verdicts = check_problem(problem)
    start = time.perf_counter()
    document = export(problem, verdicts, "tex")
    export_s = time.perf_counter() - start
    compile_s = None
    pdflatex = shutil.which("pdflatex")
    if pdflatex:
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "doc.tex"
            source.write_text(document, encoding="utf-8")
            start = time.perf_counter()
            subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", source.name],
                           cwd=folder, capture_output=True, check=True, timeout=120)
            compile_s = time.perf_counter() - start
    return {"id": problem.id, "true": len(true_claims), "proved": proved, "generic_s": generic_s,
            "export_s": export_s, "compile_s": compile_s}


def markdown(rows: list[dict]) -> str:
    lines = ["| problem | true claims | proved for every size | generic s | export s | pdflatex s |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        compiled = f"{r['compile_s']:.2f}" if r["compile_s"] is not None else ""
        lines.append(f"| {r['id']} | {r['true']} | {r['proved']} | {r['generic_s']:.3f} | "
                     f"{r['export_s']:.3f} | {compiled} |")
    total = {k: sum(r[k] or 0 for r in rows) for k in ("true", "proved", "generic_s", "export_s", "compile_s")}
    lines.append(f"| **all {len(rows)}** | {total['true']} | {total['proved']} | {total['generic_s']:.2f} | "
                 f"{total['export_s']:.2f} | {total['compile_s']:.1f} |")
    return "\n".join(lines)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from derive.problem.definition import load_catalog

    rows = []
    for problem in load_catalog():
        print(problem.id, file=sys.stderr, flush=True)
        rows.append(measure(problem))
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
