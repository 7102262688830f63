"""derive grade's journal and outputs: reruns regrade exactly what changed and say so, one run at a
time per output folder, the same grades whatever --jobs or resume; grades.csv safe in a
spreadsheet, feedback pages safe in Markdown and never overwriting each other, Gradescope
submissions in any layout; writing linear in the class; an unwritable folder named in one line;
unreadable answers and the instructor's overrides in the report."""

from __future__ import annotations

import csv
import errno
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli import main
from derive.documents.safe_text import csv_cell, csv_number, md_block, md_code, md_inline
from derive.errors import DeriveError
from derive.grading.assignment import load_assignment
from derive.grading.grade import Graded, Grader, Submission, load_results, output_lock
from derive.grading.report import (
    Classbook,
    feedback_names,
    report_markdown,
    write_feedback,
    write_grades_csv,
    write_report,
)

from .test_grading import _Stuck  # a grader whose check of one answer never returns

ROOT = Path(__file__).resolve().parent.parent

ASSIGNMENT = """\
title = "Outputs"

[rubric]
transposed = 0.5
factor = 0.5

[[questions]]
id = "q1"
problem = "linear-layer.toml"
asks = "dJ/dW"
answer = "dJ/dy @ x.T"
points = 2
show_answer = true

[[questions]]
id = "q2"
problem = "seed001-batched-linear"
asks = "dL/dW"
answer = "dL/dY.T @ X"
points = 2
"""

RIGHT = {"q1": "dJ/dy @ x.T", "q2": "dL/dY.T @ X"}
TRANSPOSED = {"q1": "x @ dJ/dy.T", "q2": "X.T @ dL/dY"}


def _setup(tmp_path: Path, answers: dict[str, dict[str, str]], assignment: str = ASSIGNMENT) -> tuple[Path, Path]:
    """An assignment (q1 on a local copy of linear-layer.toml) and a JSON-lines class."""
    shutil.copy(ROOT / "problems" / "linear-layer.toml", tmp_path / "linear-layer.toml")
    path = tmp_path / "assignment.toml"
    path.write_text(assignment, encoding="utf-8")
    return path, _answers(tmp_path, answers)


def _answers(tmp_path: Path, answers: dict[str, dict[str, str]]) -> Path:
    submissions = tmp_path / "answers.jsonl"
    submissions.write_text("".join(json.dumps({"student": s, "question": q, "answer": a}) + "\n"
                                   for s, mine in answers.items() for q, a in mine.items()), encoding="utf-8")
    return submissions


def _grade(assignment: Path, submissions: Path, out: Path, *extra: str, capsys=None) -> tuple[int, str]:
    code = main(["grade", str(assignment), str(submissions), "-o", str(out), "--jobs", "1", *extra])
    return code, capsys.readouterr().err if capsys else ""


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "grades.csv").open(encoding="utf-8", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def _journal(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def _summary(err: str) -> tuple[int, int]:
    found = re.search(r"(\d+) grades reused, (\d+) recomputed", err)
    assert found, err
    return int(found.group(1)), int(found.group(2))


# -- A. reruns ------------------------------------------------------------------------------------
CLASS = {"ann": dict(RIGHT), "bob": dict(TRANSPOSED), "cy": {"q1": "2 * dJ/dy @ x.T", "q2": "W["}}


def test_a_rerun_with_nothing_changed_reuses_every_grade(tmp_path, capsys):
    assignment, submissions = _setup(tmp_path, CLASS)
    out = tmp_path / "out"
    code, err = _grade(assignment, submissions, out, capsys=capsys)
    assert code == 0 and _summary(err) == (0, 6)
    first = (out / "grades.csv").read_text(encoding="utf-8")
    code, err = _grade(assignment, submissions, out, capsys=capsys)
    assert code == 0 and _summary(err) == (6, 0)
    assert (out / "grades.csv").read_text(encoding="utf-8") == first
    assert len(_journal(out)) == 6


def test_a_changed_answer_is_regraded_and_only_it(tmp_path, capsys):
    assignment, submissions = _setup(tmp_path, CLASS)
    out = tmp_path / "out"
    _grade(assignment, submissions, out, capsys=capsys)
    assert _rows(out)["bob"]["q1"] == "1"
    _answers(tmp_path, {**CLASS, "bob": {"q1": RIGHT["q1"], "q2": TRANSPOSED["q2"]}})
    code, err = _grade(assignment, submissions, out, capsys=capsys)
    assert code == 0 and _summary(err) == (5, 1) and "1 changed since the last run" in err
    assert _rows(out)["bob"]["q1"] == "2" and _rows(out)["bob"]["total"] == "3"
    journal = _journal(out)
    assert len(journal) == 6 and len({(g["student"], g["question"]) for g in journal}) == 6


@pytest.mark.parametrize("change, regraded, expect", [
    # the rubric: bob's transposed q1 now earns a quarter of 2
    (("transposed = 0.5", "transposed = 0.25"), 6, {"bob": ("q1", "0.5")}),
    # the points of q1: every q1 grade is recomputed, ann's right answer earns the new points
    (('answer = "dJ/dy @ x.T"\npoints = 2', 'answer = "dJ/dy @ x.T"\npoints = 4'), 3, {"ann": ("q1", "4")}),
    # the reference answer (shown in feedback): recomputed, same points
    (('answer = "dJ/dy @ x.T"', 'answer = "outer(dJ/dy, x)"'), 3, {"ann": ("q1", "2")}),
])
def test_a_changed_question_regrades_its_answers(tmp_path, capsys, change, regraded, expect):
    assignment, submissions = _setup(tmp_path, CLASS)
    out = tmp_path / "out"
    _grade(assignment, submissions, out, capsys=capsys)
    assignment.write_text(ASSIGNMENT.replace(*change, 1), encoding="utf-8")
    code, err = _grade(assignment, submissions, out, capsys=capsys)
    assert code == 0 and _summary(err) == (6 - regraded, regraded)
    for student, (question, points) in expect.items():
        assert _rows(out)[student][question] == points


def test_a_changed_reference_shows_in_the_feedback(tmp_path, capsys):
    assignment, submissions = _setup(tmp_path, CLASS)
    out = tmp_path / "out"
    _grade(assignment, submissions, out, capsys=capsys)
    assignment.write_text(ASSIGNMENT.replace('answer = "dJ/dy @ x.T"', 'answer = "outer(dJ/dy, x)"'), encoding="utf-8")
    _grade(assignment, submissions, out, capsys=capsys)
    bob = load_results(out / "results.jsonl")[("bob", "q1")]
    assert "outer(dJ/dy, x)" in bob.feedback


def test_a_changed_problem_file_regrades_its_questions(tmp_path, capsys):
    assignment, submissions = _setup(tmp_path, CLASS)
    out = tmp_path / "out"
    _grade(assignment, submissions, out, capsys=capsys)
    problem = tmp_path / "linear-layer.toml"
    problem.write_text(problem.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    code, err = _grade(assignment, submissions, out, capsys=capsys)
    assert code == 0 and _summary(err) == (3, 3)  # q1's three answers, not q2's


def test_a_student_no_longer_submitted_leaves_the_grades(tmp_path, capsys):
    assignment, submissions = _setup(tmp_path, CLASS)
    out = tmp_path / "out"
    _grade(assignment, submissions, out, capsys=capsys)
    _answers(tmp_path, {s: a for s, a in CLASS.items() if s != "cy"})
    code, err = _grade(assignment, submissions, out, capsys=capsys)
    assert code == 0 and "2 earlier grades dropped" in err
    assert set(_rows(out)) == {"ann", "bob"} and len(_journal(out)) == 4


def test_the_fingerprint_covers_the_whole_answer_not_the_journaled_prefix(tmp_path):
    assignment, _ = _setup(tmp_path, {})
    grader = Grader(load_assignment(assignment))
    long = "dJ/dy @ x.T" + " " * 400
    assert grader.fingerprint(Submission("a", "q1", long)) != grader.fingerprint(Submission("a", "q1", long + "+ x"))
    assert grader.fingerprint(Submission("a", "q1", long)) == grader.fingerprint(Submission("b", "q1", long))


def test_a_grade_cut_short_by_the_timeout_is_tried_again_on_rerun(tmp_path):
    assignment, _ = _setup(tmp_path, {})
    results = tmp_path / "results.jsonl"
    answers = [Submission("a", "q1", "9999 * dJ/dy @ x.T"), Submission("b", "q1", RIGHT["q1"])]
    (stuck, _) = sorted(_Stuck(load_assignment(assignment), timeout=1.0).grade(answers, results),
                        key=lambda g: g.student)
    assert stuck.verdict == "undecided" and stuck.transient
    grader = Grader(load_assignment(assignment))
    plan = grader.plan(answers, results)
    assert plan.retried == 1 and [s.student for s in plan.todo] == ["a"] and list(plan.reused) == [("b", "q1")]
    list(grader.grade(answers, results, plan))
    again = load_results(results)[("a", "q1")]
    assert again.verdict == "fails" and again.diagnosis == "factor" and not again.transient


def _comparable(out: Path) -> dict:
    return {(g["student"], g["question"]): {k: v for k, v in g.items() if k != "seconds"} for g in _journal(out)}


def test_the_same_grades_whatever_jobs_or_resume(tmp_path, capsys):
    klass = {f"s{k}": {"q1": [RIGHT["q1"], TRANSPOSED["q1"], "2 * dJ/dy @ x.T", "W[", ""][k % 5],
                       "q2": [RIGHT["q2"], TRANSPOSED["q2"], "-dL/dY.T @ X"][k % 3]} for k in range(15)}
    assignment, submissions = _setup(tmp_path, klass)
    one, two, resumed = tmp_path / "one", tmp_path / "two", tmp_path / "resumed"
    assert main(["grade", str(assignment), str(submissions), "-o", str(one), "--jobs", "1"]) == 0
    for folder in (two, resumed):  # the class's secret is part of its folder: the same for all three
        folder.mkdir()
        (folder / ".derive-salt").write_bytes((one / ".derive-salt").read_bytes())
    assert main(["grade", str(assignment), str(submissions), "-o", str(two), "--jobs", "2"]) == 0
    lines = (one / "results.jsonl").read_text(encoding="utf-8").splitlines()
    (resumed / "results.jsonl").write_text("\n".join(lines[::2]) + "\n" + lines[1][:30], encoding="utf-8")
    assert main(["grade", str(assignment), str(submissions), "-o", str(resumed), "--jobs", "2"]) == 0
    capsys.readouterr()
    assert _comparable(one) == _comparable(two) == _comparable(resumed)
    grades = [(run / "grades.csv").read_bytes() for run in (one, two, resumed)]
    assert grades[0] == grades[1] == grades[2]


def test_a_second_run_into_the_same_folder_stops_at_once(tmp_path, capsys):
    assignment, submissions = _setup(tmp_path, CLASS)
    out = tmp_path / "out"
    out.mkdir()
    with output_lock(out):
        start = time.monotonic()
        code, err = _grade(assignment, submissions, out, capsys=capsys)
        assert time.monotonic() - start < 5
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith("derive: ") and "another derive grade is writing here" in err and "-o" in err
    assert not (out / "results.jsonl").exists()
    code, _ = _grade(assignment, submissions, out, capsys=capsys)  # released: the next run goes on
    assert code == 0


def test_a_killed_run_does_not_block_the_next(tmp_path, capsys):
    assignment, submissions = _setup(tmp_path, CLASS)
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from derive.grading.grade import output_lock\n"
        f"with output_lock(Path({str(out)!r})):\n    print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "held"
        code, err = _grade(assignment, submissions, out, capsys=capsys)
        assert code == 2 and f"process {holder.pid}" in err
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    code, _ = _grade(assignment, submissions, out, capsys=capsys)
    assert code == 0


# -- B. safe outputs ------------------------------------------------------------------------------
FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)"]


def test_grades_csv_cells_never_run_as_formulas(tmp_path, capsys):
    assignment, submissions = _setup(tmp_path, {name: dict(RIGHT) for name in FORMULAS + ["plain"]})
    out = tmp_path / "out"
    assert _grade(assignment, submissions, out, capsys=capsys)[0] == 0
    with (out / "grades.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    for row in rows[1:]:
        assert not row[0].startswith(("=", "+", "-", "@", "\t", "\r")), row
        assert all(re.fullmatch(r"-?\d+(\.\d+)?", cell) for cell in row[1:4]), row  # numbers stay numbers
    assert sorted(row[0] for row in rows[1:]) == sorted(["'" + f for f in FORMULAS] + ["plain"])
    # ids with a leading tab or CR (the submission readers strip them; an API caller may not)
    grades = {(s, "q1"): Graded(s, "q1", "x", 1.0, 2.0, "fails", "transposed", "", False, "k") for s in ("\tx", "\ry")}
    write_grades_csv(load_assignment(assignment), grades, tmp_path / "api.csv")
    with (tmp_path / "api.csv").open(encoding="utf-8", newline="") as handle:
        assert sorted(row[0] for row in list(csv.reader(handle))[1:]) == ["'\tx", "'\ry"]


def test_a_negative_number_stays_a_number_and_text_does_not():
    assert csv_number("-0.5") == "-0.5" and csv_number("-2") == "-2" and csv_number("1.5") == "1.5"
    assert csv_number("-1+2") == "'-1+2" and csv_number("=1") == "'=1"
    assert csv_cell("-0.5") == "'-0.5"  # a text column is text
    assert csv_cell("ann") == "ann" and csv_cell("a=b") == "a=b"


def test_feedback_file_names_are_unique_and_safe(tmp_path, capsys):
    ids = ["ann b", "ann_b", "Ann_B", "../../etc/passwd", ".hidden", "con", "émile", "x" * 300, "bob"]
    names = feedback_names(ids)
    assert len(set(n.casefold() for n in names.values())) == len(ids)
    for name in names.values():
        assert re.fullmatch(r"[A-Za-z0-9_@.-]{1,110}", name) and not name.startswith(".")
    assert names["bob"] == "bob" and names["ann b"].startswith("ann_b-") and names["ann_b"].startswith("ann_b-")
    assert feedback_names(reversed(ids)) == names  # the same names whatever the order
    answers = {i: {"q1": RIGHT["q1"] if i == "ann b" else TRANSPOSED["q1"]} for i in ids}
    assignment, submissions = _setup(tmp_path, answers)
    out = tmp_path / "out"
    assert _grade(assignment, submissions, out, capsys=capsys)[0] == 0
    pages = sorted((out / "feedback").glob("*.md"))
    assert len(pages) == len(ids) and all(p.parent == out / "feedback" for p in pages)
    ann = (out / "feedback" / f"{names['ann b']}.md").read_text(encoding="utf-8")
    assert "feedback for ann b" in ann and "Total: 2 / 4" in ann
    assert "Total: 1 / 4" in (out / "feedback" / f"{names['ann_b']}.md").read_text(encoding="utf-8")


def _fenced_lines(markdown: str) -> tuple[list[bool], bool]:
    """For each line, whether it is inside a fenced code block (CommonMark: a fence closes only
    on a line of at least as many backticks as opened it, and nothing else); and whether a
    block is left open at the end."""
    inside, fence, out = False, 0, []
    for line in markdown.split("\n"):
        stripped = line.strip()
        run = re.fullmatch(r"(`{3,})[^`]*", stripped) if not inside else re.fullmatch(r"(`{3,})", stripped)
        if not inside and run:
            inside, fence = True, len(run.group(1))
            out.append(True)
        elif inside and run and len(run.group(1)) >= fence:
            inside = False
            out.append(True)
        else:
            out.append(inside)
    return out, inside


HOSTILE = "W[\n```\n**Score: 2 / 2**\n````\n# Right"


def test_an_answer_cannot_close_the_fence_and_print_a_fake_score(tmp_path, capsys):
    assignment, submissions = _setup(tmp_path, {"eve": {"q1": HOSTILE, "q2": "```` **Score: 2 / 2** `"}})
    out = tmp_path / "out"
    assert _grade(assignment, submissions, out, "--gradescope", capsys=capsys)[0] == 0
    page = (out / "feedback" / "eve.md").read_text(encoding="utf-8")
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    for markdown in [page] + [t["output"] for t in results["tests"]]:
        lines = markdown.split("\n")
        fences, left_open = _fenced_lines(markdown)
        for line, fenced in zip(lines, fences):
            if "Score: 2 / 2" in line or line.startswith("# Right"):
                assert fenced, (line, markdown)
        assert not left_open
    assert page.count("**Score: 2 / 2**") == 4  # each answer's block and the parser's message, verbatim


def test_markdown_helpers_show_text_literally():
    assert md_inline("**bold** _it_ [l](u) <b> # | `c` $x$") == \
        r"\*\*bold\*\* \_it\_ \[l\](u) \<b\> \# \| \`c\` \$x\$"
    assert md_inline("- item") == r"\- item" and md_inline("1. one") == r"1\. one"
    assert md_inline("a\nb\r\nc") == "a b c"
    assert md_code("a`b") == "``a`b``" and md_code("`x") == "`` `x ``"
    block = md_block("```\nx\n`````")
    assert block.startswith("``````\n") and block.endswith("\n``````")


def test_control_characters_are_shown_not_copied(tmp_path, capsys):
    answer = "W[\x1b[31m \u202egnp.\x07\u2066"
    assignment, submissions = _setup(tmp_path, {"eve\u202e": {"q1": answer, "q2": RIGHT["q2"]}})
    out = tmp_path / "out"
    assert _grade(assignment, submissions, out, "--gradescope", capsys=capsys)[0] == 0
    page = next((out / "feedback").glob("*.md")).read_text(encoding="utf-8")
    output = json.loads((out / "results.json").read_text(encoding="utf-8"))["tests"][0]["output"]
    for text in (page, output, (out / "report.md").read_text(encoding="utf-8")):
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]", text)
    assert "\\u001b" in page and "\\u202e" in page and "\\u0007" in page


def _gradescope(tmp_path: Path, layout: dict[str, bytes | str], capsys) -> dict:
    assignment, _ = _setup(tmp_path, {})
    submission = tmp_path / "submission"
    submission.mkdir(exist_ok=True)
    for name, content in layout.items():
        (submission / name).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            (submission / name).write_bytes(content)
        else:
            (submission / name).write_text(content, encoding="utf-8")
    out = tmp_path / "results"
    code = main(["grade", str(assignment), str(submission), "-o", str(out), "--gradescope",
                 "--student", "ann@example.edu", "--jobs", "1"])
    capsys.readouterr()
    assert code == 0
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def test_gradescope_reads_a_mac_zip_nested_in_a_folder(tmp_path, capsys):
    results = _gradescope(tmp_path, {
        "hw3/Q1.txt": RIGHT["q1"], "hw3/q2.TXT": TRANSPOSED["q2"],
        "__MACOSX/hw3/._Q1.txt": b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \xff\xfe",
        "hw3/.DS_Store": b"\x00\x00\x00\x01Bud1\xff", "__MACOSX/._hw3": b"\x00\x05\x16\x07",
    }, capsys)
    assert [t["score"] for t in results["tests"]] == [2.0, 1.0] and results["score"] == 3.0


def test_gradescope_with_only_a_pdf_gets_zero_and_the_reason(tmp_path, capsys):
    results = _gradescope(tmp_path, {"homework3.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"}, capsys)
    assert results["score"] == 0 and [t["score"] for t in results["tests"]] == [0.0, 0.0]
    for test in results["tests"]:
        assert "`homework3.pdf`" in test["output"] and "PDF cannot be read" in test["output"]
        assert "q1.txt" in test["output"] or "q2.txt" in test["output"]


def test_gradescope_with_an_empty_submission_gets_zero_and_the_reason(tmp_path, capsys):
    results = _gradescope(tmp_path, {}, capsys)
    assert results["score"] == 0 and all("no files" in t["output"] for t in results["tests"])


def test_gradescope_never_reads_through_a_symbolic_link(tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("W[ the grader's secret", encoding="utf-8")
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "q1.txt").symlink_to(secret)
    results = _gradescope(tmp_path, {"q2.txt": RIGHT["q2"]}, capsys)
    assert [t["score"] for t in results["tests"]] == [0.0, 2.0]
    assert "secret" not in json.dumps(results)


def test_gradescope_with_an_unreadable_file_still_writes_results(tmp_path, capsys):
    results = _gradescope(tmp_path, {"q1.txt": b"dJ/dy @ x.T" + b" \xe9", "q2.txt": RIGHT["q2"]}, capsys)
    assert results["score"] == 0 and len(results["tests"]) == 2
    assert all("could not be read" in t["output"] for t in results["tests"])


# -- C. scale and unwritable folders ------------------------------------------------------------
def _synthetic_grades(students: int) -> dict:
    grades = {}
    for k in range(students):
        for qid, points, verdict, key in (("q1", 2.0, "holds", "dJ/dW = dJ/dy @ x.T"),
                                          ("q2", 1.0 if k % 3 else 0.0, "fails" if k % 3 else "invalid",
                                           "dL/dW = X.T @ dL/dY" if k % 3 else "W[")):
            grades[(f"student{k:06d}", qid)] = Graded(
                f"student{k:06d}", qid, key.split(" = ")[-1], points, 2.0, verdict,
                "transposed" if verdict == "fails" else None,
                "Your answer could not be read (0 / 2 points):\n\n```\nW[\n```" if verdict == "invalid" else "ok",
                False, key, "m1" if verdict == "fails" else "")
    return grades


def test_writing_the_class_files_is_linear_in_the_class(tmp_path):
    assignment, _ = _setup(tmp_path, {})
    loaded = load_assignment(assignment)
    grades = _synthetic_grades(20_000)  # 442 s before grades were grouped by student once
    start = time.monotonic()
    book = Classbook(loaded, grades)
    write_grades_csv(loaded, book, tmp_path / "grades.csv")
    write_feedback(loaded, book, tmp_path / "feedback")
    write_report(loaded, book, tmp_path)
    seconds = time.monotonic() - start
    assert seconds < 60, seconds
    rows = list(csv.reader((tmp_path / "grades.csv").read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 20_001 and rows[1] == ["student000000", "2", "0", "2", "", ""]
    assert len(list((tmp_path / "feedback").iterdir())) == 20_000


@pytest.mark.parametrize("obstacle", ["folder is a file", "feedback is a file", "grades.csv is a folder"])
def test_an_output_folder_that_cannot_be_written_is_one_line_before_grading(tmp_path, capsys, obstacle):
    assignment, submissions = _setup(tmp_path, CLASS)
    out = tmp_path / "out"
    if obstacle == "folder is a file":
        out.write_text("in the way", encoding="utf-8")
    elif obstacle == "feedback is a file":
        out.mkdir()
        (out / "feedback").write_text("in the way", encoding="utf-8")
    else:
        (out / "grades.csv").mkdir(parents=True)
    code, err = _grade(assignment, submissions, out, capsys=capsys)
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("derive: ")
    assert "in the way" in err and "Traceback" not in err
    assert not (out / "results.jsonl").exists() if out.is_dir() else True  # nothing graded


def test_a_read_only_output_folder_is_one_line_before_grading(tmp_path, capsys, monkeypatch):
    import derive.grading.report as report

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(report.tempfile, "NamedTemporaryFile", read_only)
    assignment, submissions = _setup(tmp_path, CLASS)
    code, err = _grade(assignment, submissions, tmp_path / "out", capsys=capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "read-only file system" in err
    assert not (tmp_path / "out" / "results.jsonl").exists()


def test_a_write_failing_midway_is_one_line_and_a_rerun_resumes(tmp_path, capsys, monkeypatch):
    import derive.grading.report as report

    assignment, submissions = _setup(tmp_path, CLASS)
    out = tmp_path / "out"
    real = report.write_atomically

    def disk_full(path, text, sync=True):
        if path.name == "report.md":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, text, sync)

    monkeypatch.setattr(report, "write_atomically", disk_full)
    code, err = _grade(assignment, submissions, out, capsys=capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "no space left on device" in err and "rerun" in err
    assert not (out / "report.md").exists() and len(_journal(out)) == 6
    monkeypatch.setattr(report, "write_atomically", real)
    code, err = _grade(assignment, submissions, out, capsys=capsys)
    assert code == 0 and _summary(err) == (6, 0) and (out / "report.md").exists()


# -- D. the instructor's side ---------------------------------------------------------------------
def test_the_report_lists_every_unreadable_answer_grouped_with_counts(tmp_path, capsys):
    texts = ["W[", "W[", " W[ ", "lambda: 0", "10^10^10", "W[", RIGHT["q1"]]
    klass = {f"s{k}": {"q1": text} for k, text in enumerate(texts)}
    klass["s9"] = {"q1": "a | b ``` **x**"}
    assignment, submissions = _setup(tmp_path, klass)
    out = tmp_path / "out"
    assert _grade(assignment, submissions, out, capsys=capsys)[0] == 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "Unreadable answers (7, graded 0), grouped by text:" in report
    rows = [line for line in report.splitlines() if line.startswith("| ") and "|---" not in line]
    assert any(row.startswith("| 4 | `W[` |") and "s0, s1, s2, s5" in row for row in rows)
    assert any(row.startswith("| 1 | `lambda: 0` |") for row in rows)
    assert any(row.startswith("| 1 | `10^10^10` |") for row in rows)
    hostile = next(row for row in rows if "**x**" in row)
    # the pipe cannot end the cell
    assert hostile.startswith("| 1 | ````a \\| b ``` **x**```` | unexpected character '\\|' | s9 |")


OVERRIDES = 'student,question,points,comment\nbob,q1,1.5,"checked by hand: | **fine**"\ncy,q2,2,\n'


def test_overrides_are_applied_on_every_run_and_shown_everywhere(tmp_path, capsys):
    assignment, submissions = _setup(tmp_path, CLASS)
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(OVERRIDES, encoding="utf-8")
    out = tmp_path / "out"
    for _ in range(2):  # the second run reuses the grades of the first: the overrides apply again
        code, err = _grade(assignment, submissions, out, "--overrides", str(overrides), capsys=capsys)
        assert code == 0 and "2 set by overrides" in err
        rows = _rows(out)
        assert (rows["bob"]["q1"], rows["bob"]["total"], rows["bob"]["overridden"]) == ("1.5", "2.5", "q1")
        assert (rows["cy"]["q2"], rows["cy"]["overridden"]) == ("2", "q2") and rows["ann"]["overridden"] == ""
        page = (out / "feedback" / "bob.md").read_text(encoding="utf-8")
        assert ("**Points set by your instructor: 1.5 / 2** (derive gave 1). "
                "checked by hand: \\| \\*\\*fine\\*\\*") in page
        assert "Total: 2.5 / 4 points." in page
        report = (out / "report.md").read_text(encoding="utf-8")
        assert "## Overrides" in report and "| bob | q1 | 1 | 1.5 | checked by hand: \\| \\*\\*fine\\*\\* |" in report
    assert load_results(out / "results.jsonl")[("bob", "q1")].points == 1.0  # derive's own grade is kept


@pytest.mark.parametrize("content, message", [
    ("student,question,points\nbob,q9,1\n", "line 2: 'q9' is not a question"),
    ("student,question,points\nbob,q1,3\n", "line 2: points '3': a number from 0 to 2"),
    ("student,question,points\nbob,q1,nan\n", "line 2: points 'nan'"),
    ("student,question,points\nbob,q1,1\nbob,q1,2\n", "line 3: bob q1 is decided twice"),
    ("student,points\nbob,1\n", "line 1: no question column"),
])
def test_a_bad_overrides_file_is_named_before_grading(tmp_path, capsys, content, message):
    assignment, submissions = _setup(tmp_path, CLASS)
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(content, encoding="utf-8")
    code, err = _grade(assignment, submissions, tmp_path / "out", "--overrides", str(overrides), capsys=capsys)
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_an_override_for_an_answer_not_graded_is_warned(tmp_path, capsys):
    assignment, submissions = _setup(tmp_path, CLASS)
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("student,question,points\nzoe,q1,2\n", encoding="utf-8")
    code, err = _grade(assignment, submissions, tmp_path / "out", "--overrides", str(overrides), capsys=capsys)
    assert code == 0 and "'zoe' has no graded answer to q1: not applied" in err
    assert "zoe" not in _rows(tmp_path / "out")


def test_the_report_of_a_class_with_overrides_renders_from_the_api(tmp_path):
    assignment, _ = _setup(tmp_path, {})
    loaded = load_assignment(assignment)
    grades = {(g.student, g.question): g for g in Grader(loaded).grade([Submission("a", "q1", TRANSPOSED["q1"])])}
    report = report_markdown(loaded, grades)
    assert "| 1 | `x @ dJ/dy.T` |" in report and "## Overrides" not in report
    with pytest.raises(DeriveError):
        list(Grader(loaded).grade([Submission("a", "q7", "x")]))
