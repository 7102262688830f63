"""A synthetic class for the grading tests and benchmark: students × questions with known grades.

Each question has a pool of answers, each with the points it must earn: right answers written in
several ways (claim language and LaTeX), near-miss mutations with the diagnosis they should get
(and so the rubric's partial credit), malformed answers and hostile ones. Every student draws
one answer per question from the pools with a seeded generator, so the expected total of every
student is known in advance.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

ASSIGNMENT = """\
title = "Backprop homework (synthetic class)"

[rubric]
transposed = 0.5
factor = 0.5
sign = 0.25

[[questions]]
id = "q1"
problem = "linear-layer"
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

[[questions]]
id = "q3"
problem = "seed001-elementwise"
asks = "dL/dX"
answer = "dL/dY * h'(X)"
points = 1
rubric = { missing-activation-derivative = 0.25 }

[[questions]]
id = "q4"
problem = "softmax-cross-entropy"
asks = "dL/dZ"
answer = "(P - T) / S"
points = 2

[[questions]]
id = "q5"
problem = "mlp-two-layer"
asks = "dE/dW2"
answer = "(y - t) @ h.T"
points = 3
"""

HOSTILE = [
    "__import__('os').system('echo pwned')",
    "10^10^10",
    "10**10**10",
    "X" * 1_000_000,  # 1 MB
    "(" * 10_000 + "X" + ")" * 10_000,  # 10,000 nested parentheses
    "lambda: 0",
    "exec('import os')",
    "\\input{/etc/passwd}",
    "W[",
    "",  # no answer
]

# question -> [(answer, fraction of the points, the diagnosis it gets, or its verdict)]
POOLS = {
    "q1": [
        ("dJ/dy @ x.T", 1, "holds"),
        ("outer(dJ/dy, x)", 1, "holds"),
        ("(x @ dJ/dy.T).T", 1, "holds"),
        (r"\frac{\partial J}{\partial y} x^\top", 1, "holds"),
        (r"\frac{\partial J}{\partial \mathbf{y}} \mathbf{x}^{T}", 1, "holds"),
        ("dJ/dW = dJ/dy @ x.T", 1, "holds"),
        ("np.outer(dJ/dy, x)", 1, "holds"),
        ("x @ dJ/dy.T", 0.5, "transposed"),
        ("2 * dJ/dy @ x.T", 0.5, "factor"),
        ("-dJ/dy @ x.T", 0.25, "sign"),
        ("kron(dJ/dy, x)", 0, "kron-outer"),
        ("W.T @ dJ/dy", 0, "fails"),  # another quantity (dJ/dx): no partial credit, whatever the slip
    ],
    "q2": [
        ("dL/dY.T @ X", 1, "holds"),
        ("(X.T @ dL/dY).T", 1, "holds"),
        ("np.dot(np.transpose(dL/dY), X)", 1, "holds"),
        ("np.dot(X.T, dL/dY)", 0.5, "transposed"),
        (r"\left(\frac{\partial L}{\partial Y}\right)^{\top} X", 1, "holds"),
        ("X.T @ dL/dY", 0.5, "transposed"),
        ("dL/dY.T @ X / S", 0.5, "factor"),
        ("-dL/dY.T @ X", 0.25, "sign"),
    ],
    "q3": [
        ("dL/dY * h'(X)", 1, "holds"),
        ("h'(X) * dL/dY", 1, "holds"),
        (r"\frac{\partial L}{\partial Y} \odot h'(X)", 1, "holds"),
        ("dL/dY", 0.25, "missing-activation-derivative"),
        ("dL/dY * h(X)", 0, "activation-for-derivative"),
    ],
    "q4": [
        ("(P - T) / S", 1, "holds"),
        ("(softmax(Z) - T) / S", 1, "holds"),
        ("P / S - T / S", 1, "holds"),
        ("P - T", 0.5, "factor"),
        ("(T - P) / S", 0.25, "sign"),
    ],
    "q5": [
        ("(y - t) @ h.T", 1, "holds"),
        ("delta2 @ h.T", 1, "holds"),
        ("(y - t) @ sigmoid(W1 @ x + b1).T", 1, "holds"),
        ("h @ (y - t).T", 0.5, "transposed"),
        ("(t - y) @ h.T", 0.25, "sign"),
    ],
}
POINTS = {"q1": 2, "q2": 2, "q3": 1, "q4": 2, "q5": 3}
QUESTIONS = list(POOLS)


def expected_points(question: str, answer: str) -> float:
    for text, fraction, _ in POOLS[question]:
        if text == answer:
            return POINTS[question] * fraction
    return 0.0  # hostile and malformed answers earn nothing


def make_class(students: int = 200, seed: int = 1, hostile_share: float = 0.06) -> dict[str, dict[str, str]]:
    """{student: {question: answer}}: pool answers, with a share of hostile ones."""
    rng = random.Random(seed)
    out = {}
    for number in range(1, students + 1):
        answers = {}
        for question in QUESTIONS:
            if rng.random() < hostile_share:
                answers[question] = rng.choice(HOSTILE)
            else:
                answers[question] = rng.choice(POOLS[question])[0]
        out[f"student{number:04d}"] = answers
    return out


def expected_totals(klass: dict[str, dict[str, str]]) -> dict[str, float]:
    return {s: sum(expected_points(q, a) for q, a in answers.items()) for s, answers in klass.items()}


def write(folder: Path, klass: dict[str, dict[str, str]]) -> tuple[Path, Path]:
    """The assignment file and a wide CSV of the class, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    assignment = folder / "assignment.toml"
    assignment.write_text(ASSIGNMENT, encoding="utf-8")
    submissions = folder / "submissions.csv"
    with submissions.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["student", *QUESTIONS])
        for student, answers in klass.items():
            writer.writerow([student, *[answers[q] for q in QUESTIONS]])
    return assignment, submissions
