"""derive grade: a synthetic class graded with every expected grade, hostile answers graded 0
with a message, runaway checks left for review, interrupted runs resumed, every input format and
Gradescope's results.json."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli import main
from derive.errors import DeriveError, ProblemError
from derive.grading.assignment import load_assignment
from derive.grading.grade import Grader, Submission, load_results
from derive.grading.submissions import read_submissions

from . import synthetic_class as sc

ROOT = Path(__file__).resolve().parent.parent


def _grades_csv(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    klass = sc.make_class(students=200, seed=1)
    assignment, submissions = sc.write(folder, klass)
    out = folder / "out"
    assert main(["grade", str(assignment), str(submissions), "-o", str(out), "--jobs", "2"]) == 0
    return klass, out, assignment, submissions


def test_the_synthetic_class_gets_every_expected_grade(graded_class):
    klass, out, _, _ = graded_class
    rows = _grades_csv(out / "grades.csv")
    assert len(rows) == 200
    for student, answers in klass.items():
        for question, answer in answers.items():
            assert float(rows[student][question]) == pytest.approx(sc.expected_points(question, answer)), \
                (student, question, answer[:60])
        assert float(rows[student]["total"]) == pytest.approx(sc.expected_totals(klass)[student])


def test_every_answer_gets_the_diagnosis_its_credit_depends_on(graded_class):
    klass, out, _, _ = graded_class
    for graded in load_results(out / "results.jsonl").values():
        expected = [d for text, _, d in sc.POOLS[graded.question] if text == graded.answer]
        if expected:
            assert expected[0] in (graded.diagnosis, graded.verdict), graded
        else:
            assert graded.verdict in ("invalid", "missing") and graded.points == 0, graded


def test_hostile_answers_get_zero_and_a_message_naming_the_problem(graded_class):
    _, out, _, _ = graded_class
    hostile = [g for g in load_results(out / "results.jsonl").values() if g.verdict == "invalid"]
    assert hostile, "the class has hostile answers"
    for graded in hostile:
        assert graded.points == 0 and "could not be read" in graded.feedback
        assert "Traceback" not in graded.feedback
    texts = {g.answer[:20]: g.feedback for g in hostile}
    assert any("limit" in feedback for feedback in texts.values())  # the 1 MB answer, the nesting
    assert len(max((g.answer for g in hostile), key=len)) <= 300  # results keep a prefix only


def test_feedback_and_the_report_are_written(graded_class):
    klass, out, _, _ = graded_class
    assert len(list((out / "feedback").glob("*.md"))) == len(klass)
    page = (out / "feedback" / "student0001.md").read_text(encoding="utf-8")
    assert page.startswith("# Backprop homework") and "## q1: `dJ/dW`" in page
    assert "read as\n\n$$\n" in page  # an answer that was read is shown as math
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "![score histogram](histogram.svg)" in report and "| transposed |" in report
    svg = (out / "histogram.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and svg.count("<rect") == 10


def test_wrong_answers_equal_as_matrices_are_one_group(tmp_path):
    assignment, _ = sc.write(tmp_path, {})
    grader = Grader(load_assignment(assignment))
    answers = ["x @ dJ/dy.T", "(dJ/dy @ x.T).T", "x @ dJ/dy.T", "2 * dJ/dy @ x.T"]
    grades = {(g.student, g.question): g for g in grader.grade(
        [Submission(f"s{k}", "q1", text) for k, text in enumerate(answers)])}
    meanings = [grades[(f"s{k}", "q1")].meaning for k in range(4)]
    assert meanings[0] == meanings[1] == meanings[2] != meanings[3]
    from derive.grading.report import report_markdown

    report = report_markdown(load_assignment(assignment), grades)
    assert ("| 3 | `x @ dJ/dy.T` (and 1 other spelling) | "
            "$x \\left(\\frac{\\partial J}{\\partial y}\\right)^{\\top}$ | transposed | 1 |") in report


class _Stuck(Grader):
    """A grader whose check of one answer never returns, as a runaway simplification would."""

    def check(self, question, answer):
        if "9999" in answer.key:
            while True:
                time.sleep(1)
        return super().check(question, answer)


def test_a_runaway_check_is_killed_and_left_for_review(tmp_path):
    assignment, _ = sc.write(tmp_path, {})
    grader = _Stuck(load_assignment(assignment), jobs=2, timeout=1.0)
    start = time.monotonic()
    grades = list(grader.grade([Submission("a", "q1", "9999 * dJ/dy @ x.T"), Submission("b", "q1", "dJ/dy @ x.T")]))
    assert time.monotonic() - start < 10
    stuck = next(g for g in grades if g.student == "a")
    assert stuck.verdict == "undecided" and stuck.review and stuck.points == 0
    assert "manual review" in stuck.feedback and "1 s" in stuck.feedback
    assert next(g for g in grades if g.student == "b").points == 2


def test_an_interrupted_run_resumes_without_losing_or_duplicating_a_grade(graded_class, tmp_path):
    klass, full, assignment, submissions = graded_class
    out = tmp_path / "out"
    command = [sys.executable, str(ROOT / "cli.py"), "grade", str(assignment), str(submissions),
               "-o", str(out), "--jobs", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = out / "results.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not results.exists() or results.read_text().count("\n") < 300):
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with results.open("a", encoding="utf-8") as torn:  # a line cut in the middle by the kill
        torn.write('{"student": "student0001", "question": "q')
    partial = len(load_results(results))
    assert partial < len(klass) * len(sc.QUESTIONS)
    assert main(["grade", str(assignment), str(submissions), "-o", str(out), "--jobs", "2"]) == 0
    lines = [json.loads(line) for line in results.read_text().splitlines()
             if line.startswith("{") and line.endswith("}")]
    keys = [(line["student"], line["question"]) for line in lines]
    assert len(keys) == len(set(keys)) == len(klass) * len(sc.QUESTIONS)
    assert _grades_csv(out / "grades.csv") == _grades_csv(full / "grades.csv")


def test_every_submission_format_reads_the_same_answers(tmp_path, graded_class):
    klass, _, _, submissions = graded_class
    small = dict(list(klass.items())[:5])
    wide = read_submissions(submissions, sc.QUESTIONS)
    expected = sorted((s.student, s.question, s.text) for s in wide if s.student in small)
    long = tmp_path / "long.csv"
    with long.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "question", "answer"])
        writer.writerows(expected)
    jsonl = tmp_path / "answers.jsonl"
    jsonl.write_text("".join(json.dumps({"student": s, "question": q, "answer": a}) + "\n"
                             for s, q, a in expected), encoding="utf-8")
    folder = tmp_path / "folders"
    for s, q, a in expected:
        (folder / s).mkdir(parents=True, exist_ok=True)
        (folder / s / f"{q}.txt").write_text(a, encoding="utf-8")
    for source in (long, jsonl, folder):
        got = sorted((s.student, s.question, s.text) for s in read_submissions(source, sc.QUESTIONS))
        assert got == expected, source


def test_gradescope_mode_writes_a_valid_results_json(tmp_path):
    assignment, _ = sc.write(tmp_path, {})
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "q1.txt").write_text("x @ dJ/dy.T", encoding="utf-8")
    (submission / "q2.tex").write_text(r"\left(\frac{\partial L}{\partial Y}\right)^\top X", encoding="utf-8")
    out = tmp_path / "results"
    assert main(["grade", str(assignment), str(submission), "-o", str(out), "--gradescope"]) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [t["name"].split(":")[0] for t in results["tests"]] == sc.QUESTIONS
    for test in results["tests"]:
        assert set(test) >= {"score", "max_score", "output", "visibility"} and test["output_format"] == "md"
        assert 0 <= test["score"] <= test["max_score"]
    assert [t["score"] for t in results["tests"]] == [1.0, 2.0, 0.0, 0.0, 0.0]
    assert results["score"] == 3.0 and "transpose" in results["tests"][0]["output"]


@pytest.mark.parametrize("change, message", [
    (("transposed = 0.5", "transposd = 0.5"), "not a diagnosis derive gives"),
    (('problem = "linear-layer"', 'problem = "no-such-problem"'), "no-such-problem"),
    (('answer = "dJ/dy @ x.T"', 'answer = "x @ dJ/dy.T"'), "reference answer"),
    (('asks = "dJ/dW"', 'asks = "W"'), "not a derivative"),
    (("points = 2\nshow", "points = -1\nshow"), "positive"),
])
def test_an_assignment_error_is_named_before_grading(tmp_path, change, message):
    assignment, _ = sc.write(tmp_path, {})
    assignment.write_text(sc.ASSIGNMENT.replace(*change, 1), encoding="utf-8")
    with pytest.raises(DeriveError, match=message):
        Grader(load_assignment(assignment)).prepare()


def test_a_submission_for_an_unknown_question_is_a_clear_error(tmp_path):
    assignment, _ = sc.write(tmp_path, {})
    with pytest.raises(DeriveError, match="q9"):
        list(Grader(load_assignment(assignment)).grade([Submission("a", "q9", "x")]))


def test_a_csv_without_a_student_column_is_named(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("who,q1\nann,x\n", encoding="utf-8")
    with pytest.raises(DeriveError, match="line 1: no student column"):
        read_submissions(bad, ["q1"])


def test_problem_error_is_a_derive_error():
    assert issubclass(ProblemError, DeriveError)


class _Counting(Grader):
    """A grader that logs every check it runs to a file (workers are separate processes)."""

    log: Path

    def check(self, question, answer):
        with self.log.open("a", encoding="utf-8") as handle:
            handle.write(answer.key + "\n")
        return super().check(question, answer)


def test_answers_that_read_alike_are_checked_once(tmp_path):
    assignment, _ = sc.write(tmp_path, {})
    grader = _Counting(load_assignment(assignment), jobs=2)
    grader.log = tmp_path / "checks.log"
    spellings = ["dJ/dy @ x.T", "dJ/dy@x.T", "  dJ/dy @ (x.T) ", "dJ/dW = dJ/dy @ x.T",
                 r"\frac{\partial J}{\partial y} x^\top"]
    grades = list(grader.grade([Submission(f"s{k}", "q1", text) for k, text in enumerate(spellings)]))
    assert [g.points for g in grades] == [2.0] * len(spellings)
    assert grader.log.read_text(encoding="utf-8").splitlines() == ["dJ/dW = dJ/dy @ x.T"]


def test_jsonl_streams_one_graded_answer_a_line(tmp_path, capsys):
    assignment, _ = sc.write(tmp_path, {})
    submissions = tmp_path / "answers.jsonl"
    submissions.write_text('{"student": "ann", "question": "q1", "answer": "x @ dJ/dy.T"}\n'
                           '{"student": "bob", "question": "q1", "answer": "W["}\n', encoding="utf-8")
    assert main(["grade", str(assignment), str(submissions), "-o", str(tmp_path / "out"), "--jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted((row["student"], row["points"], row["verdict"]) for row in lines) == [
        ("ann", 1.0, "fails"), ("bob", 0.0, "invalid")]


@pytest.mark.parametrize("question, answer, words", [
    ("q1", "dJ/dW", "the quantity asked itself"),
    ("q1", "dJ/dW.T.T", "a derivative it should work out (given: dJ/dy)"),
    ("q1", "dJ/dW = 2*dJ/dW - dJ/dW", "dJ/dW, a derivative"),
    ("q5", "dE/dy @ h.T", "(given: dJ/dy)"),  # E is defined: only the other loss J is arbitrary
    ("q4", "P * (dL/dP - sum(P * dL/dP, axis=1))", "no derivative is given"),
])
def test_an_answer_cannot_use_the_derivative_it_is_asked_for(tmp_path, question, answer, words):
    assignment, _ = sc.write(tmp_path, {})
    (graded,) = Grader(load_assignment(assignment)).grade([Submission("a", question, answer)])
    assert graded.verdict == "invalid" and graded.points == 0 and words in graded.feedback


def test_a_resubmission_replaces_the_first_answer(tmp_path):
    assignment, _ = sc.write(tmp_path, {})
    grades = list(Grader(load_assignment(assignment)).grade(
        [Submission("a", "q1", "x @ dJ/dy.T"), Submission("a", "q1", "dJ/dy @ x.T")]))
    assert [(g.answer, g.points) for g in grades] == [("dJ/dy @ x.T", 2.0)]


@pytest.mark.parametrize("answer, latex", [
    ("sum(dL/dY, axis=0)", False),  # an '=' inside a call is not an equation
    (r"\sum_{m=1}^{S} X_{mj}", True),
    (r"$\frac{\partial J}{\partial y} x^\top$", True),
    ("dJ/dy @ x.T", False),
])
def test_latex_is_told_from_the_claim_language(answer, latex):
    from derive.grading.reading import looks_like_latex

    assert looks_like_latex(answer) == latex


def test_an_unquoted_comma_in_a_csv_answer_is_named(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("student,question,answer\nann,q1,outer(dJ/dy, x)\n", encoding="utf-8")
    with pytest.raises(DeriveError, match="line 2: 4 columns, the header has 3 .*quoted"):
        read_submissions(bad, ["q1"])


def test_grade_reports_bad_files_in_one_line_and_exits_2(tmp_path, capsys):
    assignment, _ = sc.write(tmp_path, {})
    assert main(["grade", str(tmp_path / "none.toml"), str(tmp_path / "x.csv"), "-o", str(tmp_path / "o")]) == 2
    assert "none.toml: no such file" in capsys.readouterr().err
    assert main(["grade", str(assignment), str(tmp_path / "x.csv"), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("derive: ") and "x.csv: no such file or folder" in err and len(err.splitlines()) == 1


def test_a_shape_slip_is_told_with_the_shapes(tmp_path):
    assignment, _ = sc.write(tmp_path, {})
    (graded,) = Grader(load_assignment(assignment)).grade([Submission("a", "q1", "x @ dJ/dy.T")])
    assert graded.diagnosis == "transposed"
    assert "Your answer is d×m, dJ/dW is m×d (3×2 and 2×3 when m=2, d=3)." in graded.feedback


def test_two_slips_earn_the_product_of_their_credits_never_one_slips_credit(tmp_path):
    from derive.grading.grade import Outcome

    assignment, _ = sc.write(tmp_path, {})
    grader = Grader(load_assignment(assignment))
    question = grader.assignment.question("q1")  # rubric: transposed 0.5, sign 0.25, 2 points
    one = grader._graded(question, Submission("a", "q1", "x"), Outcome("fails", "transposed"), "k", 0.0)
    two = grader._graded(question, Submission("b", "q1", "x"),
                         Outcome("fails", "transposed", slips=("transposed", "sign")), "k", 0.0)
    unknown = grader._graded(question, Submission("c", "q1", "x"),
                             Outcome("fails", "transposed", slips=("transposed", "wrong-index")), "k", 0.0)
    assert (one.points, two.points, unknown.points) == (1.0, 0.25, 0.0)


def test_a_two_edit_diagnosis_names_both_slips():
    from derive.language.parser import parse_expr
    from derive.problem.definition import find_problem
    from derive.verdict.diagnose import diagnose

    problem = find_problem("seed001-batched-linear")
    diagnosis = diagnose(problem, parse_expr("dL/dW"), parse_expr("X.T @ dL/dY.T"), problem.scope())
    assert diagnosis.slips == ("misplaced-transpose", "misplaced-transpose")
    assert diagnosis.correct == "(X.T @ dL/dY).T"


def test_a_defect_of_derive_while_reading_one_answer_leaves_it_for_review_and_the_run_goes_on(
        tmp_path, monkeypatch):
    import derive.grading.grade

    assignment, _ = sc.write(tmp_path, {})
    grader = Grader(load_assignment(assignment))
    real = derive.grading.grade.read_answer

    def broken(text, question):
        if "boom" in text:
            raise RecursionError("maximum recursion depth exceeded")
        return real(text, question)

    monkeypatch.setattr(derive.grading.grade, "read_answer", broken)
    grades = {g.student: g for g in grader.grade([Submission("a", "q1", "boom"),
                                                   Submission("b", "q1", "dJ/dy @ x.T")])}
    assert grades["a"].verdict == "undecided" and grades["a"].review and "internal error" in grades["a"].feedback
    assert grades["b"].points == 2
