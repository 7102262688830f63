"""A derivation as the answer to a question (derive/grading/derivations.py): the final result
earns its points as an answer typed alone does, the steps their share with error carried forward,
and the feedback points at the first wrong line."""

from __future__ import annotations

from pathlib import Path

import pytest

from derive.errors import ProblemError
from derive.grading.assignment import load_assignment
from derive.grading.grade import Grader, Submission

ASSIGNMENT = """
title = "derivations"
[rubric]
transposed = 0.5
[[questions]]
id = "q1"
problem = "linear-layer"
asks = "dJ/dW"
answer = "dJ/dy @ x.T"
points = 4
derivation = true
steps = {steps}
"""

RIGHT = r"""
With $y = W x + b$, for each entry

$$\frac{\partial J}{\partial W_{ij}} = \sum_k \frac{\partial J}{\partial y_k} \frac{\partial y_k}{\partial W_{ij}}
= \frac{\partial J}{\partial y_i} x_j$$

so in matrix form

$$\frac{\partial J}{\partial W} = \frac{\partial J}{\partial y} x^\top$$
"""

# the entries' indices swapped, and the matrix form says the same (error carried forward)
CARRIED = r"""
With $y = W x + b$:

$$\frac{\partial J}{\partial W_{ij}} = \frac{\partial J}{\partial y_j} x_i$$

so

$$\frac{\partial J}{\partial W} = x \frac{\partial J}{\partial y}^\top$$
"""

# a wrong line, then a right final result that does not rest on it
SLIP = r"""
$$\frac{\partial J}{\partial W_{ij}} = \frac{\partial J}{\partial y_i} x_i$$

$$\frac{\partial J}{\partial W} = \frac{\partial J}{\partial y} x^\top$$
"""


def _grades(tmp_path: Path, steps: float, answers: dict[str, str]):
    path = tmp_path / "assignment.toml"
    path.write_text(ASSIGNMENT.format(steps=steps), encoding="utf-8")
    grader = Grader(load_assignment(path))
    grader.prepare()
    graded = grader.grade([Submission(student, "q1", text) for student, text in answers.items()])
    return {g.student: g for g in graded}


def test_the_final_result_and_the_steps_each_earn_their_share(tmp_path):
    grades = _grades(tmp_path, 0.5, {"ann": RIGHT, "bob": CARRIED, "cy": SLIP, "dee": "I do not know.", "eve": ""})
    assert grades["ann"].points == 4 and grades["ann"].verdict == "holds"
    # final: transposed, half of the final 2 points; steps: 1 of 2 derivative lines right (the
    # matrix form carried forward from the wrong entries; the restated definition is no step)
    assert grades["bob"].verdict == "fails" and grades["bob"].diagnosis == "transposed"
    assert grades["bob"].points == pytest.approx(1 + 2 * 1 / 2, abs=1e-5)
    # final right (2 points), one of two lines wrong (1 point of 2)
    assert grades["cy"].verdict == "holds" and grades["cy"].points == 3
    assert grades["dee"].points == 0 and grades["dee"].verdict == "invalid"
    assert "never gives dJ/dW a value" in grades["dee"].feedback
    assert grades["eve"].points == 0 and grades["eve"].verdict == "missing"


def test_the_feedback_points_at_the_first_wrong_line(tmp_path):
    grades = _grades(tmp_path, 0.5, {"bob": CARRIED, "cy": SLIP})
    bob = grades["bob"].feedback
    assert "1 follow from an earlier wrong line" in bob and "The first wrong line is line 4" in bob
    assert "wrong-index" in bob and "Final result: Not right" in bob
    assert "The first wrong line is line 2" in grades["cy"].feedback


def test_without_steps_only_the_final_result_counts(tmp_path):
    grades = _grades(tmp_path, 0, {"ann": RIGHT, "cy": SLIP, "bob": CARRIED})
    assert (grades["ann"].points, grades["cy"].points, grades["bob"].points) == (4, 4, 2)


def test_identical_derivations_are_checked_once(tmp_path):
    grades = _grades(tmp_path, 0.5, {"ann": RIGHT, "ann2": RIGHT.replace("\n", "\r\n")})
    assert grades["ann"].key == grades["ann2"].key and grades["ann2"].points == 4


@pytest.mark.parametrize("extra, message", [
    ("steps = 0.5", "steps earn points only in a derivation"),
    ("derivation = true\nsteps = 1.5", "between 0 and 1"),
    ("derivation = 'yes'", "derivation must be true or false"),
])
def test_a_derivation_question_written_wrong_is_refused(tmp_path, extra, message):
    path = tmp_path / "a.toml"
    path.write_text('[[questions]]\nid = "q1"\nproblem = "linear-layer"\nasks = "dJ/dW"\n' + extra + "\n",
                    encoding="utf-8")
    with pytest.raises(ProblemError, match=message):
        load_assignment(path)


WRONG = r"$$\frac{\partial J}{\partial W} = x \frac{\partial J}{\partial y}^\top$$"


def test_steps_cannot_be_bought_with_repetition_definitions_or_unreadable_lines(tmp_path):
    grades = _grades(tmp_path, 0.5, {
        "once": WRONG,
        "four-times": "\n\n".join([WRONG] * 4),  # the same wrong value again earns nothing
        "definitions": "$$y = W x + b$$\n\n$$y = b + W x$$",  # no value for dJ/dW: nothing at all
        "padded": "$$y = W x + b$$\n\n" + WRONG,  # a restated definition is no step
        "unreadable": r"$$\frac{\partial^2 J}{\partial x^2} = W^\top W$$" "\n\n"
                      r"$$\frac{\partial J}{\partial W} = \frac{\partial J}{\partial y} x^\top$$",
    })
    # the final result transposed earns the rubric's half of its 2 points; the steps nothing
    assert grades["once"].points == grades["four-times"].points == grades["padded"].points == 1
    assert grades["definitions"].points == 0 and grades["definitions"].verdict == "invalid"
    # a line derive cannot check is neither counted nor credited: the final line alone, right
    assert grades["unreadable"].points == 4 and "not checkable (not counted)" in grades["unreadable"].feedback
