"""Grading speed: `derive grade` on a synthetic class of 200 students × 5 questions (1,000 answers).

Two classes: answers drawn from the test pools (right answers in several spellings, near misses,
hostile answers: a class where many answers coincide), and the same class with every wrong
answer made distinct (a random factor k in `k * (answer)`), so that dedup cannot help.
`python bench/grading.py [--jobs N]` prints a markdown table; the wall time includes start-up,
the reference checks and writing every output.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import synthetic_class as sc  # noqa: E402


def distinct(klass: dict, seed: int = 5) -> dict:
    """Every wrong pool answer rescaled by its own random factor: no two answers alike."""
    rng = random.Random(seed)
    out = {}
    for student, answers in klass.items():
        out[student] = {}
        for question, answer in answers.items():
            wrong = any(text == answer and fraction < 1 for text, fraction, _ in sc.POOLS[question])
            factor = rng.randint(2, 10**6)
            out[student][question] = f"{factor} * ({answer})" if wrong and "\\" not in answer else answer
    return out


def run(klass: dict, jobs: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder:
        assignment, submissions = sc.write(Path(folder), klass)
        start = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "cli.py"), "grade", str(assignment), str(submissions),
                        "-o", str(Path(folder) / "out"), "--jobs", str(jobs)], check=True,
                       stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        keys = {(q, a) for answers in klass.values() for q, a in answers.items()}
        return seconds, len(keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    klass = sc.make_class(200, seed=1)
    print("| class | answers | distinct answers | jobs | wall s |")
    print("|---|---|---|---|---|")
    for name, data in (("pools", klass), ("every wrong answer distinct", distinct(klass))):
        seconds, unique = run(data, args.jobs)
        print(f"| {name} | {sum(len(a) for a in data.values())} | {unique} | {args.jobs} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
