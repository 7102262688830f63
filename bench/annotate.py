"""Time to annotate each seed document, and how much of it is read (issue 13's benchmark).

``python bench/annotate.py [SEEDS_FOLDER]`` runs ``derive annotate`` (a fresh process each, as a
user runs it, so the time includes start-up) on every seed that has a reading in
problems/readings/, and prints a Markdown table: seconds (target: under 10 s a seed), display
formulas, the share of them read (target: 95 %), and the statements' marks. The seeds are in
shared/ beside the repository unless a folder is given.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def annotate(document: Path, reading: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(ROOT / "cli.py"), "annotate", str(document), "--reading",
                             str(reading), "--json"], capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - start
    if result.returncode not in (0, 1, 3):
        raise SystemExit(f"{document.name}: exit {result.returncode}: {result.stderr.strip()}")
    return seconds, json.loads(result.stdout)


def main() -> None:
    seeds = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "seeds"
    print("| seed | seconds | display formulas | read | ✓ | ✗ | ↳ | ⤳ | ? | notation | unread |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for reading in sorted((ROOT / "problems" / "readings").glob("seed*.toml")):
        number = reading.stem.removeprefix("seed")
        documents = sorted(seeds.glob(f"{number}_*.txt"))
        if not documents:
            continue
        seconds, record = annotate(documents[0], reading)
        display = [f for f in record["formulas"] if f["display"]]
        read = [f for f in display if not any(s["kind"] == "unread" for s in f["statements"])]
        counts = record["counts"]
        cells = [counts.get(key, 0) for key in ("holds", "fails", "follows", "jump", "undecided", "notation",
                                                "unread")]
        print(f"| {number} | {seconds:.1f} | {len(display)} | {100 * len(read) / max(1, len(display)):.0f} % | "
              + " | ".join(str(c) for c in cells) + " |")


if __name__ == "__main__":
    main()
