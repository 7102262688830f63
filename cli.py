"""The derive command line: a thin shell over the library.

It parses arguments, calls derive, formats the results (text, or ``--json`` on stdout), writes
progress to stderr, and maps outcomes to exit codes. Nothing else lives here.
"""

from __future__ import annotations

import os

# derive's arrays are small: one BLAS thread is faster than two fighting over a loaded machine
# (a forward pass at d=512 took 31 ms with two threads under load, 0.5 ms with one)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import contextlib
import enum
import errno
import gc
import json
import sys
import time
import traceback
from typing import TYPE_CHECKING

from derive import __version__
from derive.documents.report import claim_lines, summary_line
from derive.errors import DeriveError
from derive.problem.schema import one_line
from derive.verdict.evidence import FAILS, HOLDS, UNDECIDED

# SymPy and NumPy take most of a second to import: the modules that bring them in (problems built,
# the checker, the documents) are imported by the commands that use them, so that --help, --version
# and list start at once (tests/test_startup.py). The imports above bring in neither.
if TYPE_CHECKING:
    from derive.problem.definition import ClaimSpec
    from derive.verdict.check import CheckOptions


class Exit(enum.IntEnum):
    """The exit codes (docs/cli.md): diff's convention for a verifier — 0 verified, 1 refuted,
    2 trouble — with 3 for a claim neither proved nor refuted (a monitoring plugin's UNKNOWN), 4
    for a defect of derive itself and 130 for an interrupted run. Where a run has several claims
    (check), the most serious outcome wins: 2, then 1, then 3."""

    OK = 0  # every claim holds (check: every verdict is as its file expects)
    REFUTED = 1  # a claim fails (check: a verdict other than the expected one)
    ERROR = 2  # usage, a claim or problem file that cannot be read, an output that cannot be written
    UNDECIDED = 3  # a claim neither holds nor fails, and none is refuted
    INTERNAL = 4  # an unexpected exception: a defect of derive, to be reported
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as the shell reports it)


TRACEBACK_VARIABLE = "DERIVE_TRACEBACK"  # set to 1: an internal error prints its traceback

# True when this process is the command line's own (``run``: the ``derive`` script, ``python
# cli.py``), False where a caller runs ``main`` inside its process (the tests): the collector
# settings of ``_checker_imports`` are the process's to change, not a caller's.
_OWN_PROCESS = False


@contextlib.contextmanager
def _checker_imports():
    """Around ``verify``'s imports of the checker: SymPy, NumPy, Lark and derive's modules, some
    70,000 objects the cyclic collector tracks, which live as long as the process. In a process
    of its own the collector is paused while they load, and what they built is then frozen
    (``gc.freeze``): no later collection walks it again, neither during the check nor at exit.
    Those collections took ~30 ms while the modules loaded and ~80 ms at exit, of the 0.48 s of
    ``derive verify linear-layer 'dJ/dW = dJ/dy @ x.T'`` (its peak RSS stays 81 MiB). A frozen
    object is never freed before the process ends; these live until then anyway. ``check`` in one
    process does without: over the whole catalog (``--jobs 1``) freezing saved ~1 s of 21 s but
    raised the peak RSS from 220 to 233 MiB (a transient peak: the memory left at the end is the
    same). With workers, what they inherit is frozen while they run (``batch._frozen_for_workers``)."""
    if not _OWN_PROCESS:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _progress(enabled: bool):
    def report(problem, number, spec):
        if enabled:
            print(f"\r\x1b[K{problem.id}: claim {number}/{len(problem.claims)}", end="", file=sys.stderr, flush=True)

    return report


def _options(args) -> CheckOptions:
    from derive.verdict.check import CheckOptions  # SymPy and NumPy: see the imports above

    return CheckOptions(exact_budget=args.budget, numeric=not args.no_numeric, seed=args.seed)


def cmd_list(args) -> Exit:
    from derive.problem.files import catalog_summaries

    problems = catalog_summaries()  # read from the files' tables: no problem is built
    if args.json:
        print(json.dumps([{"id": p.id, "title": p.title, "source": p.source, "claims": p.claims}
                          for p in problems], indent=2))
    else:
        width = max(len(p.id) for p in problems) if problems else 0
        for p in problems:
            print(f"{p.id:<{width}}  {p.title}  [{p.source}]")
    return Exit.OK


def cmd_check(args) -> Exit:
    from derive.problem.definition import catalog_paths, find_problems
    from derive.verdict.batch import check_problems
    from derive.verdict.cache import VerdictCache

    keys = args.problems or [str(p) for p in catalog_paths()]
    problems = [problem for key in keys for problem in find_problems(key)]
    start = time.monotonic()
    finished = {}
    cache = None if args.no_cache else VerdictCache()
    for problem, verdicts in check_problems(problems, _options(args), args.jobs, cache):
        finished[problem.id] = verdicts
        if len(problems) > 1:
            print(f"[{len(finished)}/{len(problems)}] {problem.id}", file=sys.stderr, flush=True)
    report = [(problem, finished[problem.id]) for problem in problems]  # the order asked for
    elapsed = time.monotonic() - start
    all_match = all(v.matches_expectation for _, verdicts in report for v in verdicts)
    if args.json:
        print(json.dumps({
            "problems": [{"id": p.id, "title": p.title, "source": p.source,
                          "claims": [v.as_json() for v in vs]} for p, vs in report],
            "all_match": all_match,
            "seconds": elapsed,
        }, indent=2))
    else:
        for problem, verdicts in report:
            print(f"{problem.id} — {problem.title}" + (f"  [{problem.source}]" if problem.source else ""))
            for verdict in verdicts:
                for line in claim_lines(verdict, verbose=args.verbose):
                    print("  " + line)
            print()
        print(summary_line([v for _, vs in report for v in vs], elapsed))
    if cache is not None and cache.off:
        print(f"derive: note: {cache.off}", file=sys.stderr)
    return _outcome([v for _, verdicts in report for v in verdicts])


def _outcome(verdicts) -> Exit:
    """The exit code of a run of claims with expectations: 2 if a claim could not be read, 1 if
    a verdict is not the expected one (a diagnosis included), 3 if the only misses are claims
    left undecided, else 0. A claim without an expectation is only reported."""
    if any(v.error is not None for v in verdicts):
        return Exit.ERROR
    missed = [v for v in verdicts if not v.matches_expectation]
    if any(v.verdict != UNDECIDED for v in missed):
        return Exit.REFUTED
    return Exit.UNDECIDED if missed else Exit.OK


def _adhoc_problem(args) -> dict:
    from derive.problem.definition import size_names_in

    sizes: list[str] = []
    variables = {}
    for spec in args.var or []:
        if "=" not in spec:
            raise DeriveError(f"--var {spec!r}: write NAME=SHAPE, as in W='m x d'")
        name, shape = (s.strip() for s in spec.split("=", 1))
        variables[name] = shape
        for token in size_names_in(shape):
            if token not in sizes:
                sizes.append(token)
    arbitrary = {}
    for spec in args.loss or []:
        name, _, deps = spec.partition("=")
        arbitrary[name.strip()] = [d.strip() for d in deps.split(",") if d.strip()]
    return {"id": "command-line", "title": "ad-hoc problem", "sizes": sizes, "variables": variables,
            "definitions": args.define or [], "arbitrary": arbitrary, "functions": args.function or [],
            "layout": args.layout}


def _read_claim(text: str, problem, latex: bool) -> ClaimSpec:
    """A claim typed on the command line, read against its problem as a TA reads an answer
    (x^T, A', dJ/dy x^T, len(Z), a problem's LaTeX spellings); LaTeX only with --latex."""
    from derive.language.parser import parse_claim
    from derive.problem.definition import ClaimSpec
    from derive.problem.reading import problem_reading  # not grading's, which brings the LaTeX reader
    from derive.problem.updates import as_gradient_claim

    if latex:
        from derive.language.text import to_text
        from derive.problem.reading import read_latex

        chain = read_latex(text, problem)
        return ClaimSpec(text=to_text(chain), chain=as_gradient_claim(problem, chain))
    return ClaimSpec(text=text, chain=as_gradient_claim(problem, parse_claim(text, problem_reading(problem))))


def cmd_verify(args) -> Exit:
    with _checker_imports():
        from derive.problem.definition import find_problem, problem_from_dict
        from derive.verdict.check import ProblemChecker

    if len(args.items) == 2:
        problem = find_problem(args.items[0])
        text = args.items[1]
    elif len(args.items) == 1:
        problem = problem_from_dict(_adhoc_problem(args), "command line")
        text = args.items[0]
    else:
        raise DeriveError("verify takes [PROBLEM] CLAIM")
    verdict = ProblemChecker(problem, _options(args)).check(_read_claim(text, problem, args.latex))
    if args.json:
        print(json.dumps(verdict.as_json(), indent=2))
    else:
        for line in claim_lines(verdict, verbose=True):
            print(line)
    if verdict.error is not None:
        return Exit.ERROR
    return {HOLDS: Exit.OK, FAILS: Exit.REFUTED, UNDECIDED: Exit.UNDECIDED}[verdict.verdict]


def _check_output(path: str, option: str) -> None:
    """An output file that can be written, checked before any work starts: its folder exists,
    the path is not a folder, and the file opens for writing (it is left as it was). One line
    naming the option otherwise."""
    from pathlib import Path

    target, shown = Path(path), one_line(path)
    if target.is_dir():
        raise DeriveError(f"{option} {shown}: is a folder; give a file name")
    if not target.parent.is_dir():
        what = "is not a folder" if target.parent.exists() else "does not exist"
        raise DeriveError(f"{option} {shown}: the folder {one_line(str(target.parent))} {what}")
    existed = target.exists()
    try:
        with open(target, "a", encoding="utf-8"):
            pass
    except OSError as error:
        raise DeriveError(f"{option} {shown}: cannot write it: {error.strerror or error.__class__.__name__}") from None
    if not existed:
        target.unlink(missing_ok=True)


def cmd_export(args) -> Exit:
    from derive.documents.export import export
    from derive.problem.definition import find_problems
    from derive.verdict.check import check_problem

    if args.output:
        _check_output(args.output, "-o")
    problems = find_problems(args.problem)
    if args.format == "tex" and len(problems) > 1:
        raise DeriveError("export --format tex takes one problem (a standalone document each)")
    parts = []
    for problem in problems:
        verdicts = check_problem(problem, _options(args), _progress(sys.stderr.isatty()))
        parts.append(export(problem, verdicts, args.format))
    document = "\n".join(parts)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(document)
        except OSError as error:  # the folder went away, the disk is full
            raise DeriveError(f"-o {one_line(args.output)}: cannot write it: {error.strerror}") from None
    else:
        sys.stdout.write(document)
    return Exit.OK


def cmd_annotate(args) -> Exit:
    """Read a worked solution and mark every formula (docs/annotate.md): the document annotated
    (Markdown, or LaTeX with -o OUT.tex) or one JSON document; exit 0 when every checked line
    holds, 1 when one fails, 3 when one is undecided and none fails."""
    from pathlib import Path

    from derive.documents.annotate import ERROR, FAILS, UNDECIDED, Annotator
    from derive.documents.annotated import as_json, render_markdown
    from derive.documents.formulas import document_kind
    from derive.documents.readings import load_reading
    from derive.grading.submissions import read_text

    latex = bool(args.output) and Path(args.output).suffix.lower() in (".tex", ".latex")
    if args.output:
        if not latex and Path(args.output).suffix.lower() not in (".md", ".markdown", ".txt"):
            raise DeriveError(f"-o {one_line(args.output)}: annotate writes Markdown (.md) or LaTeX (.tex)")
        _check_output(args.output, "-o")
    path = Path(args.document)
    try:
        document = read_text(path, args.encoding).replace("\r\n", "\n")
    except FileNotFoundError:
        raise DeriveError(f"{one_line(args.document)}: no such file") from None
    except (IsADirectoryError, PermissionError) as error:
        raise DeriveError(f"{one_line(args.document)}: cannot read it: {error.__class__.__name__}") from None
    reading = load_reading(document, args.problem or [], args.reading)
    kind = document_kind(path.name, document)
    annotation = Annotator(reading, _options(args)).annotate(document, kind)
    if args.json:
        output = json.dumps(as_json(annotation, str(path)), indent=2, ensure_ascii=False) + "\n"
    elif latex:
        from derive.documents.annotated_tex import render_latex

        output = render_latex(document, kind, annotation)
    else:
        output = render_markdown(document, annotation)
    if args.output:
        try:
            Path(args.output).write_text(output, encoding="utf-8")
        except OSError as error:
            raise DeriveError(f"-o {one_line(args.output)}: cannot write it: {error.strerror}") from None
    else:
        sys.stdout.write(output)
    statuses = {mark.status for mark in annotation.all_marks()}
    if statuses & {FAILS}:
        return Exit.REFUTED
    return Exit.UNDECIDED if statuses & {UNDECIDED, ERROR} else Exit.OK


def cmd_grade(args) -> Exit:
    """Grade a class: read everything and check the output folder before grading (a bad file is
    one line, exit 2), hold the folder for this run alone, grade what has no standing grade,
    then write the class's files. stderr says how many grades were reused and recomputed."""
    from pathlib import Path

    from derive.grading.assignment import load_assignment
    from derive.grading.grade import output_lock
    from derive.grading.report import prepare_output, read_overrides
    from derive.grading.submissions import SubmissionError, read_submissions

    assignment = load_assignment(args.assignment)
    out = Path(args.output)
    # Gradescope's folder is one student's submission, whatever its layout (nested, zipped on a Mac)
    student = args.student or (Path(args.submissions).name if args.gradescope and Path(args.submissions).is_dir()
                               else None)
    try:
        read = read_submissions(args.submissions, [q.id for q in assignment.questions], student, args.encoding)
    except SubmissionError as error:
        if not args.gradescope:
            raise
        return _gradescope_unreadable(assignment, out, str(error))
    for warning in read.warnings:
        print(f"derive: warning: {warning}", file=sys.stderr)
    submissions = read.submissions
    overrides = read_overrides(args.overrides, assignment) if args.overrides else {}
    prepare_output(out, args.gradescope)
    with output_lock(out):
        try:
            return _grade_into(args, assignment, submissions, overrides, out)
        except OSError as error:
            where = error.filename or out
            raise DeriveError(f"{where}: cannot write ({(error.strerror or str(error)).lower()}); the grades "
                              f"so far are kept in {out / 'results.jsonl'}: rerun to resume") from None


def _grade_into(args, assignment, submissions, overrides, out) -> Exit:
    from pathlib import Path

    from derive.grading.grade import Grader, class_salt, grading_options
    from derive.grading.report import (
        Classbook,
        apply_overrides,
        gradescope_results,
        write_atomically,
        write_feedback,
        write_grades_csv,
        write_report,
    )
    from derive.grading.submissions import submission_files

    results = out / "results.jsonl"
    if args.restart and results.exists():
        results.unlink()
    grader = Grader(assignment, jobs=args.jobs, timeout=args.timeout,
                    options=grading_options(class_salt(out)))
    grader.prepare()
    plan = grader.plan(submissions, results)
    grades = dict(plan.reused)
    todo = len(plan.todo)
    for number, graded in enumerate(grader.grade(submissions, results, plan), 1):
        grades[(graded.student, graded.question)] = graded
        if args.jsonl:
            print(json.dumps(graded.as_json(), ensure_ascii=False), flush=True)
        elif sys.stderr.isatty():
            print(f"\r\x1b[Kgraded {number}/{todo}", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty() and not args.jsonl:
        print("\r\x1b[K", end="", file=sys.stderr)
    grades, applied, warnings = apply_overrides(grades, overrides)
    for warning in warnings:
        print(f"derive: warning: {args.overrides}: {warning}", file=sys.stderr)
    book = Classbook(assignment, grades, applied)
    write_grades_csv(assignment, book, out / "grades.csv")
    write_feedback(assignment, book, out / "feedback")
    write_report(assignment, book, out)
    if args.gradescope:
        students = book.students or [s.student for s in submissions][:1]
        if len(students) != 1:
            raise DeriveError(f"--gradescope grades one student's submission; found {len(students)}")
        found = submission_files(args.submissions) if Path(args.submissions).is_dir() else None
        write_atomically(out / "results.json",
                         json.dumps(gradescope_results(assignment, book, students[0], found), indent=2))
    review = sum(g.review for g in grades.values())
    print(f"derive: {len(grades)} answers: {len(plan.reused)} grades reused, {todo} recomputed"
          + _why(plan) + f"; {review} need manual review"
          + (f"; {len(applied)} set by overrides" if overrides else ""), file=sys.stderr)
    if not args.jsonl:
        print(f"{out}/grades.csv, {out}/report.md, {out}/feedback/"
              + (f", {out}/results.json" if args.gradescope else ""))
    return Exit.OK


def _why(plan) -> str:
    """Why journaled grades were not reused: "(3 changed, 1 retried after a timeout)"."""
    parts = [f"{plan.changed} changed since the last run" if plan.changed else "",
             f"{plan.retried} retried (their check had been cut short)" if plan.retried else ""]
    parts = [p for p in parts if p]
    dropped = f"; {plan.dropped} earlier grades dropped (no longer submitted)" if plan.dropped else ""
    return (f" ({', '.join(parts)})" if parts else "") + dropped


def _gradescope_unreadable(assignment, out, reason: str) -> Exit:
    """A submission Gradescope gave that cannot be read at all still gets a results.json: every
    question 0 with the reason, instead of an autograder failure."""
    from derive.grading.report import gradescope_failure, prepare_output, write_atomically

    prepare_output(out, gradescope=True)
    write_atomically(out / "results.json", json.dumps(gradescope_failure(assignment, reason), indent=2))
    print(f"derive: {reason}", file=sys.stderr)
    print(f"derive: {out}/results.json: every question 0, with the reason", file=sys.stderr)
    return Exit.OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="derive", description="Check hand-derived matrix-calculus claims.")
    parser.add_argument("--version", action="version", version=f"derive {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    def common(sub):
        sub.add_argument("--json", action="store_true", help="print one JSON document (docs/json.md)")
        sub.add_argument("--budget", type=float, default=10.0, help="seconds of exact work per claim link")
        sub.add_argument("--no-numeric", action="store_true", help="skip the numeric oracle")
        sub.add_argument("--seed", type=int, default=0, help="seed of the random points")

    listing = commands.add_parser("list", help="list the catalog's problems")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=cmd_list)

    check = commands.add_parser("check", help="check problems' claims (the whole catalog when none is named)")
    check.add_argument("problems", nargs="*", metavar="ID|PATH", help="catalog ids or problem files")
    check.add_argument("-v", "--verbose", action="store_true", help="show the evidence of every claim")
    check.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                       help="worker processes, a problem each (default: one per core)")
    check.add_argument("--no-cache", action="store_true", help="check every claim again, and store nothing "
                       "(the verdict cache: $DERIVE_CACHE_DIR, else ~/.cache/derive; docs/cli.md)")
    common(check)
    check.set_defaults(run=cmd_check)

    verify = commands.add_parser("verify", help="check one claim, against a catalog problem or ad-hoc shapes")
    verify.add_argument("items", nargs="+", metavar="[PROBLEM] CLAIM")
    verify.add_argument("--var", action="append", metavar="NAME=SHAPE", help="a variable, e.g. W='m x d' or x=d")
    verify.add_argument("--define", action="append", metavar="'y = W @ x + b'", help="a definition, in order")
    verify.add_argument("--loss", action="append", metavar="J=y",
                        help="a scalar function left arbitrary, and what it depends on")
    verify.add_argument("--function", action="append", metavar="h", help="an activation left undefined")
    verify.add_argument("--layout", choices=["numerator", "denominator"], default="numerator")
    verify.add_argument("--latex", action="store_true", help="the claim is LaTeX (docs/latex.md)")
    common(verify)
    verify.set_defaults(run=cmd_verify)

    exporting = commands.add_parser("export", help="write a problem and its verdicts as Markdown or LaTeX")
    exporting.add_argument("problem", metavar="ID|PATH")
    exporting.add_argument("--format", choices=["md", "tex"], default="md",
                           help="md (with $$ math) or tex (standalone)")
    exporting.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    exporting.add_argument("--budget", type=float, default=10.0, help="seconds of exact work per claim link")
    exporting.add_argument("--no-numeric", action="store_true", help="skip the numeric oracle")
    exporting.add_argument("--seed", type=int, default=0, help="seed of the random points")
    exporting.set_defaults(run=cmd_export)

    annotating = commands.add_parser("annotate", help="check a worked solution formula by formula and mark "
                                     "every line (docs/annotate.md)")
    annotating.add_argument("document", metavar="DOCUMENT", help="Markdown with $...$ and $$...$$, or a LaTeX file")
    annotating.add_argument("--problem", "-p", action="append", metavar="ID|PATH",
                            help="a problem the document works (repeat for several; or name them in the reading)")
    annotating.add_argument("--reading", metavar="FILE", help="a TOML file mapping the document's notation and "
                            "parts to problems (default: the document's +++ front matter)")
    annotating.add_argument("-o", "--output", metavar="OUT.md|OUT.tex", help="write the annotated document here: "
                            "Markdown, or LaTeX for pdflatex when the name ends in .tex")
    annotating.add_argument("--encoding", metavar="NAME", help="the document's text encoding (default: UTF-8)")
    common(annotating)
    annotating.set_defaults(run=cmd_annotate)

    grading = commands.add_parser("grade", help="grade a class's answers to an assignment (docs/grading.md)")
    grading.add_argument("assignment", metavar="ASSIGNMENT.toml")
    grading.add_argument("submissions", metavar="SUBMISSIONS", help="a CSV, a JSON-lines file or a folder")
    grading.add_argument("-o", "--output", default="grades", metavar="DIR",
                         help="where grades.csv, report.md, feedback/ and results.jsonl go (default: grades)")
    grading.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                         help="answers checked at once, each in its own process (default: one per core)")
    grading.add_argument("--timeout", type=float, default=30.0, help="seconds per distinct answer before "
                         "it is left undecided for manual review")
    grading.add_argument("--jsonl", action="store_true", help="print each graded answer as a JSON line")
    grading.add_argument("--gradescope", action="store_true", help="also write Gradescope's results.json "
                         "(one student's submission folder)")
    grading.add_argument("--student", help="the student's name, for a single submission folder")
    grading.add_argument("--encoding", metavar="NAME", help="the submissions' text encoding, e.g. cp1252 "
                         "(default: UTF-8; other bytes are an error naming the line)")
    grading.add_argument("--restart", action="store_true", help="grade everything again, ignoring results.jsonl")
    grading.add_argument("--overrides", metavar="FILE", help="a CSV of the instructor's decisions (student, question, "
                         "points, comment), applied on every run (docs/grading.md)")
    grading.set_defaults(run=cmd_grade)
    return parser


def main(argv=None) -> int:
    """Run one command; every outcome is an ``Exit`` code, and every message one line on stderr
    (an internal error's traceback only when ``DERIVE_TRACEBACK=1``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error argparse has printed
        return int(Exit.OK if exit_.code == 0 else Exit.ERROR)
    try:
        code = args.run(args)
        sys.stdout.flush()  # a full disk under stdout is seen here, not at exit
        return int(code)
    except DeriveError as error:
        print(f"derive: {error}", file=sys.stderr)
        return int(Exit.ERROR)
    except BrokenPipeError:  # the reader went away (derive list | head): not an error
        _drop_stdout()
        return int(Exit.OK)
    except OSError as error:  # the system refused a file or the output: trouble, not a defect
        _drop_stdout()
        print(f"derive: {_refused(error)}", file=sys.stderr)
        return int(Exit.ERROR)
    except KeyboardInterrupt:
        print("derive: interrupted", file=sys.stderr)
        return int(Exit.INTERRUPTED)
    except Exception as error:  # noqa: BLE001 - anything else is a defect of derive
        if os.environ.get(TRACEBACK_VARIABLE) == "1":
            traceback.print_exc()
        message = " ".join(str(error).split())
        shown = f"{type(error).__name__}: {message[:200]}" if message else type(error).__name__
        print(f"derive: internal error ({shown}); this is a defect of derive: please report it with "
              f"the command that caused it ({TRACEBACK_VARIABLE}=1 shows the traceback)", file=sys.stderr)
        return int(Exit.INTERNAL)


def _refused(error: OSError) -> str:
    """What the system refused, in one line: the file when the error names one, else the output
    for the errors of a write (stdout on a full disk), else the system's words."""
    reason = error.strerror or str(error)
    if error.filename:
        return f"{one_line(str(error.filename))}: {reason}"
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO):
        return f"cannot write the output: {reason}"
    return reason


def _drop_stdout() -> None:
    """Send what stdout still holds to /dev/null (Python's advice for a broken pipe), so that
    the output that could not be written is not tried again as Python exits, which would print
    a traceback and exit 120."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (a test's capture): nothing is pending
        pass


# How often the cyclic collector walks every object (a full collection): after this many
# collections of the middle generation, against CPython's default of 10. A check builds hundreds
# of thousands of long-lived objects (SymPy's caches, the oracles' values), and at the default
# the full collections that kept re-walking them took 1.9 s of a 13 s catalog run (23 of them,
# ``--jobs 1``); at 100 there are 2, costing 0.35 s, and the peak RSS goes from 171 to 190 MiB:
# cyclic garbage waits longer, memory stays bounded. The young generations are collected as often.
FULL_COLLECTION_EVERY = 100


def run() -> None:
    """The program, ``derive`` (pyproject's script) and ``python cli.py``: ``main`` with this
    process's arguments, in a process that ends with the command (so the collector's settings
    are its own to change: ``FULL_COLLECTION_EVERY``)."""
    global _OWN_PROCESS
    _OWN_PROCESS = True
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
    _leave(main())


def _leave(code: int) -> None:
    """End the process with ``code``, its output flushed, without the interpreter's teardown: a
    catalog check holds some 100 MB of objects (SymPy's caches, the oracles' values) that the
    teardown frees one by one, 0.2 s of ``check --jobs 1`` over the catalog and 0.1 s with
    ``--jobs 2``, for memory the system takes back at once. Nothing is left to run at exit: files
    are written and closed, and worker processes ended, before a command returns. The ordinary
    exit is kept where something waits for it: a profiler or tracer (``python -m cProfile``,
    coverage) that writes its results then, and a flush that fails (stdout closed under us),
    which it reports as before."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)


if __name__ == "__main__":
    run()
