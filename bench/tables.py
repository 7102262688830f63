"""Markdown formatting shared by the benchmark sections: tables, seconds, machine description."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path


def markdown_table(headers: list[str], rows: list[list]) -> str:
    """A GitHub-flavoured markdown table; cells are converted with str() and '|' is escaped."""

    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def seconds(value: float | None) -> str:
    """Seconds with precision that suits the magnitude (3 significant digits, at least ms)."""
    if value is None:
        return "—"
    if value < 0.01:
        return f"{value * 1000:.1f} ms"
    if value < 10:
        return f"{value:.3f}"
    return f"{value:.1f}"


def code(text: str) -> str:
    """Inline code in a table cell."""
    return f"`{text}`"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _derive_commit(root: Path) -> str:
    """The checked-out commit (read-only git query), with '+dirty' if the tree has changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit + ("+dirty" if dirty else "") if commit else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def load_text(label: str = "load average") -> str:
    """The 1-minute load average: timings on a shared 2-core machine are only as quiet as it is."""
    try:
        return f"{label} {os.getloadavg()[0]:.2f}"
    except OSError:
        return f"{label} unknown"


def machine_header(root: Path, quick: bool, command: str = "bench/run.py") -> str:
    """What the numbers were measured on, so that a rerun elsewhere can be compared fairly."""
    import mpmath
    import numpy
    import sympy

    try:
        import symengine
        engine = f"SymEngine {symengine.__version__}"
    except ImportError:
        engine = "no SymEngine"
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    mode = "quick subset (`--quick`)" if quick else "full run"
    return "\n".join([
        f"Measured {when}, {mode}: {_cpu_model()}, {os.cpu_count()} cores; Python "
        f"{platform.python_version()}, SymPy {sympy.__version__}, NumPy {numpy.__version__}, "
        f"mpmath {mpmath.__version__}, {engine}; derive at commit {_derive_commit(root)}; "
        f"{load_text('load average at the start')}; BLAS threads: "
        f"{os.environ.get('OPENBLAS_NUM_THREADS', 'library default')}. "
        f"Rerun with `{Path(sys.executable).name} {command}`.",
    ])
