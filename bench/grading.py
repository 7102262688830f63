"""Grading speed and memory: `derive grade` on synthetic classes, start to every file written.

`python bench/grading.py [--jobs N] [--sections NAME ...] [--large N] [--profile]` prints markdown
tables (bench/README.md has the command lines and the figures):

* ``synthetic``: tests/synthetic_class.py, 200 students × 5 questions (1,000 answers), as drawn
  from the test pools (many answers coincide) and with every wrong answer made distinct (a random
  factor k in ``k * (answer)``), so that dedup cannot help.
* ``class8``: tests/class8.py, the held-out class of issue 11 — 160 students × 8 questions
  (attention dL/dQ and tr(A X⁻¹) included), every pool entry answered, the 96 answers of the
  adversarial family among them — graded cold with the class's pinned secret; the same class
  with the family's answers replaced by right answers and near misses (a class no one games);
  and a rerun into the first output folder (every grade reused).
* ``large``: ``--large`` answers (100,000 by default: 50,000 students × 2 questions, q1 and q8 of
  class8, drawn from their pools, so most answers repeat), and a tenth of it, to show that time
  grows with the answers and memory does not.

Each run is ``cli.py grade`` in a child process. Wall time is measured around it; memory three
ways: the peak resident set of the largest single process (``ru_maxrss`` of RUSAGE_CHILDREN, read
in a wrapper process that runs only that command, so the parent's and every forked worker's
peaks count); the peak RSS of derive's main process (the one that reads the class and writes
every file); and the peak of the whole process tree's proportional set size (PSS: a page forked
workers share with their parent counts once), both sampled from /proc every 0.05 s. For class8
the check time of each distinct answer is summed per question from results.jsonl: where the time
goes.

``--profile`` runs class8's distinct answers through ``Grader.check`` in one process under
cProfile (the work each forked worker does) and prints the top functions by cumulative and by
own time.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import json
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as cli.py does

from tests import class8 as c8  # noqa: E402
from tests import synthetic_class as sc  # noqa: E402

# Runs the command in argv and prints, as its last line, the peak RSS (KiB) of its largest
# descendant: ru_maxrss of RUSAGE_CHILDREN covers every process waited for below this one.
WRAPPER = ("import resource, subprocess, sys\n"
           "code = subprocess.run(sys.argv[1:]).returncode\n"
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
           "sys.exit(code)\n")


def _tree_memory_kib(root: int) -> tuple[int, int]:
    """The summed proportional set size (KiB) of ``root``'s descendants — a page that forked workers
    share with their parent counts once in all, not once per process as in RSS — and the RSS of
    ``root``'s first child (derive's main process), from /proc; 0 where it cannot be read."""
    children = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                children[int(fields[1])].append(int(entry))
            except (OSError, IndexError, ValueError):
                pass

    def field(pid: int, path: str, name: str) -> int:
        try:
            with open(f"/proc/{pid}/{path}", encoding="ascii", errors="replace") as handle:
                return next((int(line.split()[1]) for line in handle if line.startswith(name)), 0)
        except OSError:
            return 0

    main = field(children[root][0], "status", "VmRSS:") if children[root] else 0
    total, stack = 0, list(children[root])
    while stack:
        pid = stack.pop()
        stack.extend(children[pid])
        total += field(pid, "smaps_rollup", "Pss:")
    return total, main


def measure(command: list[str]) -> dict:
    """Run ``command`` in the wrapper; its wall time, peak largest-process RSS and peak tree RSS."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", WRAPPER, *command], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    peak_tree = peak_main = 0
    while process.poll() is None:
        tree, main = _tree_memory_kib(process.pid)
        peak_tree, peak_main = max(peak_tree, tree), max(peak_main, main)
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    err = process.stderr.read().strip().splitlines()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])}…: exit {process.returncode}\n" + "\n".join(err[-20:]))
    return {"seconds": seconds, "max_rss_mib": int(err[-1]) / 1024, "tree_pss_mib": peak_tree / 1024,
            "main_rss_mib": peak_main / 1024,
            "summary": next((line for line in err if line.startswith("derive: ")), "")}


def mib(run: dict) -> str:
    return f"{run['max_rss_mib']:.0f} / {run['main_rss_mib']:.0f} / {run['tree_pss_mib']:.0f}"


def reused(run: dict) -> str:
    """"reused / recomputed / review" from derive's closing line ("derive: 1280 answers: 0 grades
    reused, 1280 recomputed; 25 need manual review")."""
    import re

    found = re.search(r"(\d+) grades reused, (\d+) recomputed.*?(\d+) need manual review", run["summary"])
    return " / ".join(found.groups()) if found else "?"


def grade_command(assignment: Path, submissions: Path, out: Path, jobs: int) -> list[str]:
    return [sys.executable, str(ROOT / "cli.py"), "grade", str(assignment), str(submissions),
            "-o", str(out), "--jobs", str(jobs)]


# -- the synthetic class (200 × 5) ----------------------------------------------------------------


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


def synthetic(jobs: int) -> list[str]:
    rows = ["| class | answers | distinct answers | jobs | wall s "
            "| peak MiB: largest process RSS / main process RSS / all PSS |", "|---|---|---|---|---|---|"]
    klass = sc.make_class(200, seed=1)
    for name, data in (("pools", klass), ("every wrong answer distinct", distinct(klass))):
        with tempfile.TemporaryDirectory() as folder:
            assignment, submissions = sc.write(Path(folder), data)
            run = measure(grade_command(assignment, submissions, Path(folder) / "out", jobs))
        unique = len({(q, a) for answers in data.values() for q, a in answers.items()})
        rows.append(f"| {name} | {sum(len(a) for a in data.values())} | {unique} | {jobs} | "
                    f"{run['seconds']:.1f} | {mib(run)} |")
    return rows


# -- the held-out class of issue 11 (160 × 8) -----------------------------------------------------


def without_family(klass: dict, seed: int = 11) -> dict:
    """The class with each adversarial answer replaced by a right answer or near miss."""
    rng = random.Random(seed)
    common = {q: [e.text for e in c8.pool(q) if e.kind in ("right", "near") and not e.xfail] for q in c8.QUESTIONS}
    return {s: {q: rng.choice(common[q]) if c8.entry(q, a).kind == "adversarial" else a for q, a in answers.items()}
            for s, answers in klass.items()}


def per_question(results: Path) -> list[str]:
    """Check seconds per question, each distinct answer counted once, split by kind of answer."""
    seconds: dict[tuple[str, str], float] = {}
    kinds: dict[tuple[str, str], str] = {}
    kind_of = {(q, e.text[:300]): e.kind for q in c8.QUESTIONS for e in c8.pool(q)}  # the journal keeps 300
    with results.open(encoding="utf-8") as handle:
        for line in handle:
            grade = json.loads(line)
            key = (grade["question"], grade["key"])
            seconds[key] = grade["seconds"]
            kinds[key] = kind_of[(grade["question"], grade["answer"])]
    rows = ["| question | distinct answers | check s, all | of which adversarial | slowest answer s |",
            "|---|---|---|---|---|"]
    for question in c8.QUESTIONS:
        mine = {k: v for k, v in seconds.items() if k[0] == question}
        family = sum(v for k, v in mine.items() if kinds[k] == "adversarial")
        rows.append(f"| {question} | {len(mine)} | {sum(mine.values()):.1f} | {family:.1f} | "
                    f"{max(mine.values()):.1f} |")
    rows.append(f"| all | {len(seconds)} | {sum(seconds.values()):.1f} | "
                f"{sum(v for k, v in seconds.items() if kinds[k] == 'adversarial'):.1f} | |")
    return rows


def class8(jobs: int) -> list[str]:
    rows = ["| class | answers | distinct answers | jobs | wall s "
            "| peak MiB: largest process RSS / main process RSS / all PSS "
            "| grades reused / recomputed / to review |", "|---|---|---|---|---|---|---|"]
    klass = c8.make_class()
    breakdown: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        runs = [("160 × 8, adversarial family included", klass, "full"),
                ("160 × 8, no adversarial answers", without_family(klass), "plain")]
        for name, data, tag in runs:
            submissions = c8.write(Path(folder) / tag, data)
            out = c8.output_folder(Path(folder) / tag / "out")
            run = measure(grade_command(c8.ASSIGNMENT, submissions, out, jobs))
            unique = len({(q, a) for answers in data.values() for q, a in answers.items()})
            rows.append(f"| {name} | {sum(len(a) for a in data.values())} | {unique} | {jobs} | "
                        f"{run['seconds']:.1f} | {mib(run)} | "
                        f"{reused(run)} |")
            if tag == "full":
                breakdown = per_question(out / "results.jsonl")
                rerun = measure(grade_command(c8.ASSIGNMENT, submissions, out, jobs))
                rows_rerun = (f"| the first, rerun into its folder (every grade reused) | "
                              f"{sum(len(a) for a in data.values())} | {unique} | {jobs} | "
                              f"{rerun['seconds']:.1f} | {mib(rerun)} | "
                              f"{reused(rerun)} |")
        rows.append(rows_rerun)
    return rows + ["", "Check time per question, the first row's run (results.jsonl):", ""] + breakdown


# -- many answers ----------------------------------------------------------------------------------


def large_class(answers: int, questions=("q1", "q8"), seed: int = 100) -> dict:
    """``answers`` answers: answers/2 students × 2 questions drawn from the class8 pools (every
    entry once, then at random but for the two huge hostile answers, which appear once)."""
    rng = random.Random(seed)
    students = answers // len(questions)
    columns = {}
    for question in questions:
        entries = [e.text for e in c8.pool(question) if not e.xfail]
        common = [text for text in entries if len(text) < 1000]
        drawn = entries + [rng.choice(common) for _ in range(students - len(entries))]
        rng.shuffle(drawn)
        columns[question] = drawn
    return {f"s{k:06d}": {q: columns[q][k] for q in questions} for k in range(students)}


def large(jobs: int, answers: int) -> list[str]:
    rows = ["| answers | students × questions | distinct answers | jobs | wall s | ms per answer | "
            "peak MiB: largest process RSS / main process RSS / all PSS |", "|---|---|---|---|---|---|---|"]
    for count in (answers // 10, answers):
        klass = large_class(count)
        unique = len({(q, a) for a_ in klass.values() for q, a in a_.items()})
        with tempfile.TemporaryDirectory() as folder:
            submissions = c8.write(Path(folder), klass)
            out = c8.output_folder(Path(folder) / "out")
            run = measure(grade_command(c8.ASSIGNMENT, submissions, out, jobs))
        total = sum(len(a) for a in klass.values())
        rows.append(f"| {total:,} | {len(klass):,} × 2 | {unique} | {jobs} | {run['seconds']:.1f} | "
                    f"{run['seconds'] / total * 1e3:.2f} | {mib(run)} |")
    return rows


# -- where the time goes ---------------------------------------------------------------------------


def profile(top: int = 25) -> list[str]:
    """class8's distinct answers checked in this process under cProfile, as a worker checks them."""
    from derive.errors import DeriveError
    from derive.grading.answers import read_answer
    from derive.grading.assignment import load_assignment
    from derive.grading.grade import Grader, grading_options

    assignment = load_assignment(c8.ASSIGNMENT)
    grader = Grader(assignment, options=grading_options(c8.SALT))
    answers = []
    for question in assignment.questions:
        for entry in c8.pool(question.id):
            if entry.xfail or not entry.text.strip():
                continue
            try:
                answers.append((question, read_answer(entry.text, question)))
            except DeriveError:
                pass  # unreadable: graded 0 without a check
    seen, distinct_answers = set(), []
    for question, answer in answers:
        if (question.id, answer.key) not in seen:
            seen.add((question.id, answer.key))
            distinct_answers.append((question, answer))
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    grader.prepare()
    for question, answer in distinct_answers:
        try:
            grader.check(question, answer)
        except Exception:  # noqa: BLE001 - a worker reports it as that answer's error; go on
            pass
    profiler.disable()
    seconds = time.perf_counter() - start
    lines = [f"{len(distinct_answers)} distinct answers checked in one process in {seconds:.1f} s", ""]
    for order in ("cumulative", "tottime"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats(order).print_stats(top)
        printed = [line for line in buffer.getvalue().splitlines() if line.strip()]
        lines += [f"by {order}:", "```", *printed[3:], "```", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sections", nargs="+", default=["synthetic", "class8", "large"],
                        choices=["synthetic", "class8", "large"])
    parser.add_argument("--large", type=int, default=100_000, help="answers in the large run (default 100,000)")
    parser.add_argument("--profile", action="store_true", help="only profile class8's checks (one process)")
    args = parser.parse_args()
    if args.profile:
        print("\n".join(profile()))
        return
    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    print(f"derive at {commit}; load average before: {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores\n")
    for section in args.sections:
        rows = {"synthetic": lambda: synthetic(args.jobs), "class8": lambda: class8(args.jobs),
                "large": lambda: large(args.jobs, args.large)}[section]()
        print(f"### {section}\n")
        print("\n".join(rows), end="\n\n", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
