"""The held-out class of tests/class8.py (160 students × 8 questions) graded by `derive grade
--jobs 2`, every grade asserted: right answers in every spelling get the points, near misses their
diagnosis and the rubric's credit, hostile and malformed answers 0 with a message, and no answer
of the adversarial family of issue 11 §1 earns anything for correctness. Known defects of derive
are strict xfails, each with the grade the mathematics asks for."""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as cli.py does, in case numpy is not loaded yet

import csv

import pytest

from cli import main
from derive.grading.assignment import load_assignment
from derive.grading.grade import Grader, Submission, grading_options, load_results

from . import class8 as c8


def _matches(outcome: str, verdict: str, diagnosis: str | None) -> bool:
    """Whether a grade's verdict and diagnosis are one of ``outcome``'s alternatives."""
    for want in outcome.split("|"):
        if want in ("holds", "fails", "invalid", "missing", "undecided"):
            if verdict == want:
                return True
        elif verdict == "fails" and diagnosis == want:
            return True
    return False


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class8")
    klass = c8.make_class()
    submissions = c8.write(folder, klass)
    out = c8.output_folder(folder / "out")
    assert main(["grade", str(c8.ASSIGNMENT), str(submissions), "-o", str(out), "--jobs", "2"]) == 0
    with (out / "grades.csv").open(encoding="utf-8", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    return klass, out, rows, load_results(out / "results.jsonl")


def test_the_class_is_what_the_issue_asks_for():
    klass = c8.make_class()
    assert len(klass) >= 150 and all(len(answers) == 8 for answers in klass.values())
    assignment = load_assignment(c8.ASSIGNMENT)
    assert [q.id for q in assignment.questions] == c8.QUESTIONS
    assert {q.id: q.points for q in assignment.questions} == c8.POINTS
    assert {q.id: q.answer for q in assignment.questions} == c8.REFERENCE
    assert sum(len(c8.adversarial_family(q)) for q in c8.QUESTIONS) >= 50
    for question in c8.QUESTIONS:  # every question has each kind of answer
        kinds = {e.kind for e in c8.pool(question)}
        assert kinds >= {"right", "near", "malformed", "hostile", "adversarial"}, question
        assert all(e.kind == "hostile" or e.xfail is None or e.credit > 0 for e in c8.pool(question))
    answered = {(q, a) for answers in klass.values() for q, a in answers.items()}
    for question in c8.QUESTIONS:
        for entry in c8.pool(question):
            assert entry.xfail or (question, entry.text) in answered, (question, entry.text[:60])


def test_every_answer_gets_its_expected_grade(graded):
    klass, _, rows, results = graded
    assert len(rows) == len(klass) == c8.STUDENTS
    wrong = []
    for student, answers in klass.items():
        for question, answer in answers.items():
            entry = c8.entry(question, answer)
            grade = results[(student, question)]
            if float(rows[student][question]) != pytest.approx(entry.points(question)) or \
                    grade.points != pytest.approx(entry.points(question)) or \
                    not _matches(entry.outcome, grade.verdict, grade.diagnosis) or \
                    (entry.fix is not None and entry.fix not in grade.feedback):
                wrong.append((question, answer[:80], entry.points(question), entry.outcome,
                              grade.points, grade.verdict, grade.diagnosis, grade.feedback[:200]))
    assert not wrong, "\n".join(map(repr, sorted(set(wrong))))


def test_every_total_is_the_expected_one(graded):
    klass, _, rows, _ = graded
    expected = c8.expected_totals(klass)
    for student, total in expected.items():
        assert float(rows[student]["total"]) == pytest.approx(total), student
    assert sum(float(row["total"]) for row in rows.values()) == pytest.approx(sum(expected.values()))


def test_answers_left_undecided_are_flagged_for_review(graded):
    klass, _, rows, results = graded
    for student in klass:
        undecided = [q for q in c8.QUESTIONS if results[(student, q)].verdict == "undecided"]
        assert rows[student]["needs_review"].split() == undecided, student
        assert all(results[(student, q)].review and results[(student, q)].points == 0 for q in undecided)


def test_no_adversarial_or_hostile_answer_earns_points_for_correctness(graded):
    klass, _, _, results = graded
    seen = set()
    for student, answers in klass.items():
        for question, answer in answers.items():
            entry = c8.entry(question, answer)
            if entry.kind in ("adversarial", "hostile"):
                grade = results[(student, question)]
                assert grade.verdict != "holds" and grade.points == 0, (question, answer[:100], grade.feedback)
                seen.add((question, answer, entry.kind))
    assert sum(kind == "adversarial" for _, _, kind in seen) == sum(len(c8.adversarial_family(q)) for q in c8.QUESTIONS)


def test_feedback_never_shows_a_traceback_and_every_page_is_written(graded):
    klass, out, _, results = graded
    assert len(list((out / "feedback").glob("*.md"))) == len(klass)
    for grade in results.values():
        assert "Traceback" not in grade.feedback and grade.feedback.strip(), grade
    unreadable = [g for g in results.values() if g.verdict == "invalid"]
    assert unreadable and all("could not be read" in g.feedback for g in unreadable)


# -- known defects: the grade the mathematics asks for, which derive does not give today ----------

@pytest.fixture(scope="module")
def grader():
    return Grader(load_assignment(c8.ASSIGNMENT), options=grading_options(c8.SALT))


def _grade_alone(grader, question: str, text: str):
    (grade,) = grader.grade([Submission("defect", question, text)])
    return grade


@pytest.mark.parametrize("question, entry", [
    pytest.param(q, e, id=f"{q}:{e.text[:50]}", marks=pytest.mark.xfail(strict=True, reason=e.xfail))
    for q, e in c8.known_defects()])
def test_a_known_defect_gets_the_grade_the_mathematics_asks_for(grader, question, entry):
    grade = _grade_alone(grader, question, entry.text)
    refused_with_the_fix = (entry.fix is not None and grade.verdict == "invalid"
                            and entry.fix in grade.feedback)
    assert refused_with_the_fix or (grade.points == pytest.approx(entry.points(question))
                                     and _matches(entry.outcome, grade.verdict, grade.diagnosis)), grade.feedback


# Defects that leave the points right (0) but not the verdict or the feedback: family members
# graded in the class above (question, index in adversarial_family, what derive does today).
SAME_POINTS = [  # (question, member of the family, the defect each once showed: now fixed)
    ("q1", 3, "undecided, 'the check failed: Unknown format code 'g' for object of type 'str'': the "
              "witness's claimed value overflows a float (exp(1000)) and grading._number cannot print it; "
              "the answer goes to review, is retried on every rerun, and the student reads a Python error"),
    ("q8", 3, "the same internal error for (n - 2)…(n - 26) * exp(1000) * (…)"),
    ("q1", 10, "(1 + 1e-30) times the truth, diagnosed hadamard-matmul ('dJ/dy @ x.T is a matrix product "
               "where the elementwise product was meant'; true 0.7219, your answer 0.7219): an edit that "
               "changes nothing (dJ/dy * x.T is the same outer product) is taken to explain the gap"),
    ("q2", 10, "(1 + 1e-30) times the truth, diagnosed wrong-index 'd/dZ where d/dW was meant' (the "
               "answer has no d/dW)"),
    ("q5", 10, "(1 + 1e-30) times the truth, diagnosed misplaced-transpose 'A where its transpose was "
               "meant' (A + A.T is symmetric: the edit changes nothing)"),
    ("q3", 10, "(1 + 1e-30) times the truth left undecided ('no point where they differ was found'), "
               "while docs/guarantees.md says a difference of 1e-30 is seen at 40 and 80 digits"),
]


@pytest.mark.parametrize("question, index, reason", [
    pytest.param(q, k, why, id=f"{q}:family{k}") for q, k, why in SAME_POINTS])
def test_a_wrong_answer_is_refuted_with_a_true_diagnosis(graded, question, index, reason):
    klass, _, _, results = graded
    text = c8.adversarial_family(question)[index]
    student = next(s for s, answers in klass.items() if answers[question] == text)
    grade = results[(student, question)]
    assert grade.points == 0
    assert grade.verdict == "fails" and grade.diagnosis in ("factor", "unknown"), grade.feedback
    assert "the check failed" not in grade.feedback
