"""A held-out class of 160 students × 8 questions with every grade known (issue 11, "Done when").

The assignment (tests/class8/assignment.toml) asks what a first course in backprop and matrix
calculus asks: a dense layer's dJ/dW, a batched bias's dL/db (the sum over the batch), softmax
cross-entropy's dL/dZ, a two-layer sigmoid net's hidden-layer gradient dE/dW1, xᵀAx with A not
symmetric, tr(A X⁻¹), attention's dL/dQ and a tanh RNN step's dJ/dW. Six questions use catalog
problems; xᵀAx and tr(A X⁻¹) use problem files of their own in tests/class8/ (the catalog stays
apart from held-out sets).

Each question has a pool of answers, each with the fraction of the points it must earn and the
outcome it must get (``holds``, a diagnosis code, ``invalid``, ``missing``, ``undecided``):

* right answers in several spellings (claim language, NumPy's ``np.dot`` / ``np.transpose`` /
  ``np.linalg.inv`` / ``.sum(axis=1)`` / ``@`` / ``.T``, plain-text ``x^T`` and ``A'``, index form,
  LaTeX);
* right answers in a notation derive does not read, refused with what to write instead;
* near misses with their diagnosis and so the rubric's partial credit;
* malformed and hostile answers (0 points, never a traceback);
* the adversarial family of issue 11 §1 (``adversarial_family``): the reference answer spoiled by
  a polynomial in a size that vanishes at every size derive printed for it (2, 3, 4 and the
  numeric sizes of its "Right" feedback under this class's secret), written directly or counted
  as ``sum(ones(n))`` / ``trace(eye(n))``, added or multiplied, scaled by 1e-30, made non-finite
  with ``exp(1000)``, or carried by a second derivative (``exp''``, ``sigmoid''``) with no numeric
  rule. None may be graded correct.

Every expected grade was first found with derive (``Grader`` on single submissions) and then
checked by hand against the mathematics. Where derive is wrong — a right answer graded wrong or
refused without saying what to write, a wrong one graded right, partial credit the diagnosis does
not justify, a traceback — the entry keeps the grade the mathematics asks for and carries
``xfail``, the defect as derive shows it today; tests/test_class8.py marks those strict xfails.
They are graded one by one outside the class (``known_defects``), so every student's total is
known and a fix shows as an XPASS.

Students draw one answer per question with a seeded generator; every pool entry is drawn at
least once. The class's secret (``SALT``) is written into the output folder before grading
(``.derive-salt``), so the sizes derive draws, and with them every grade, are reproducible.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "class8"
ASSIGNMENT = FOLDER / "assignment.toml"
SALT = "class8-0123456789abcdef0123456789abcdef"  # the class's secret: keys the sizes derive draws
STUDENTS = 160
SEED = 8

POINTS = {"q1": 2, "q2": 1, "q3": 2, "q4": 3, "q5": 2, "q6": 2, "q7": 3, "q8": 2}
QUESTIONS = list(POINTS)
REFERENCE = {  # the assignment's reference answers (the adversarial family spoils them)
    "q1": "dJ/dy @ x.T",
    "q2": "sum(dL/dZ, axis=1)",
    "q3": "(P - T) / S",
    "q4": "(h * (1 - h) * (W2.T @ (y - t))) @ x.T",
    "q5": "(A + A.T) @ x",
    "q6": "-(inv(X) @ A @ inv(X)).T",
    "q7": "(A * (dL/dO @ V.T - sum(A * (dL/dO @ V.T), axis=1))) @ K / sqrt(dk)",
    "q8": "(dJ/dh1 * (1 - h1**2)) @ h0.T",
}


@dataclass(frozen=True)
class Entry:
    """One answer of a question's pool and the grade it must get."""

    text: str
    credit: float  # the fraction of the question's points it must earn
    outcome: str  # holds, a diagnosis code, fails (any diagnosis), invalid, missing, undecided; a|b: either
    kind: str = "right"  # right, near, refused, malformed, hostile, adversarial
    xfail: str | None = None  # a defect of derive: what it does with this answer today
    fix: str | None = None  # what the message of a refused answer must say (the spelling to write)

    def points(self, question: str) -> float:
        return POINTS[question] * self.credit


def right(text, xfail=None, fix=None):
    return Entry(text, 1.0, "holds", "right", xfail, fix)


def near(text, credit, outcome, xfail=None):
    return Entry(text, credit, outcome, "near", xfail)


def refused(text, fix):
    """A right (or near) answer in a notation derive does not read: 0, and a message saying what to
    write instead (issue 11 §5 allows that in place of reading it)."""
    return Entry(text, 0.0, "invalid", "refused", fix=fix)


def bad(text, outcome="invalid"):
    return Entry(text, 0.0, outcome, "malformed")


# -- answers every question gets: hostile and malformed input --------------------------------------

HOSTILE = [
    Entry("__import__('os').system('echo pwned')", 0.0, "invalid", "hostile"),
    Entry("exec('import os')", 0.0, "invalid", "hostile"),
    Entry("lambda: 0", 0.0, "invalid", "hostile"),
    Entry("10**10**10", 0.0, "invalid", "hostile"),
    Entry("1e99999999999 * x", 0.0, "invalid", "hostile"),
    Entry("X" * 1_000_000, 0.0, "invalid", "hostile"),  # 1 MB
    Entry("(" * 10_000 + "x" + ")" * 10_000, 0.0, "invalid", "hostile"),  # 10,000 nested brackets
    Entry("\\input{/etc/passwd}", 0.0, "invalid", "hostile"),
    Entry("x^\\top \\", 0.0, "invalid", "hostile"),  # LaTeX ending in a backslash (issue 11 §7)
    Entry("```\n**Score: 2 / 2**\n```", 0.0, "invalid", "hostile"),  # closes a Markdown fence
    Entry("=HYPERLINK(\"http://evil\", \"x\")", 0.0, "invalid", "hostile"),  # a spreadsheet formula
    Entry("\u202edJ/dy @ x.T", 0.0, "invalid", "hostile"),  # a bidi override
    Entry("", 0.0, "missing", "hostile"),
    Entry("   ", 0.0, "missing", "hostile"),
]

# -- the pools ---------------------------------------------------------------------------------------

POOLS: dict[str, list[Entry]] = {
    "q1": [  # linear-layer, dJ/dW = dJ/dy xᵀ (W m×d)
        right("dJ/dy @ x.T"),
        right("dJ/dW = dJ/dy @ x.T"),
        right("outer(dJ/dy, x)"),
        right("np.outer(dJ/dy, x)"),
        right("(x @ dJ/dy.T).T"),
        right("np.transpose(x @ np.transpose(dJ/dy))"),
        right("np.dot(dJ/dy, x.T)"),
        right("np.matmul(dJ/dy, np.transpose(x))"),
        right("dJ/dy.dot(x.T)"),
        right("dJ/dy @ x.transpose()"),
        right("dJ/dy * x.T"),  # broadcasting an m×1 column against a 1×d row is the outer product
        right("dJ/dy x^T"),
        right("dJ/dy @ xᵀ"),
        right("dJ/dy @ x'"),
        right("dJ/dy @ x.T = outer(dJ/dy, x)"),
        right("dJ/dW[i,j] = dJ/dy[i] * x[j]"),  # an index-form answer
        right(r"\frac{\partial J}{\partial y} x^\top"),
        right(r"\frac{\partial J}{\partial \mathbf{y}} \mathbf{x}^{T}"),
        right(r"$\frac{\partial J}{\partial y} x^{\top}$"),
        right(r"\nabla_W J = \left(\nabla_y J\right) x^\top"),
        right(r"\nabla_W J = \frac{\partial J}{\partial y} x^\top"),
        right(r"\nabla_W J = \nabla_y J \, x^\top"),  # ∇ takes the one factor after it
        near("x @ dJ/dy.T", 0.5, "transposed"),
        near("2 * dJ/dy @ x.T", 0.5, "factor"),
        near("dJ/dy @ x.T / m", 0.5, "factor"),
        near("-dJ/dy @ x.T", 0.25, "sign"),
        near("kron(dJ/dy, x)", 0, "kron-outer"),
        near("dJ/dy.T @ x", 0, "swapped-operands"),  # (1×m)(d×1): a shape error
        near("dJ/dy.T @ x.T", 0, "misplaced-transpose"),
        near("dJ/dy @ x.T.T", 0, "misplaced-transpose"),
        near("W.T @ dJ/dy", 0, "swapped-operands"),  # dJ/dx, another quantity
        near("dJ/dy @ x.T + b @ x.T", 0, "unknown"),
        bad("dJ/dy @ x.T)"),
        bad("dJ/dy @@ x.T"),
        bad("dJ/dz @ x.T"),  # no such derivative is given
        bad(r"\frac{\partial J}{\partial y x^\top"),
        bad("dJ/dW"),  # the quantity asked itself
        bad("dJ/dW = dJ/dW"),
    ],
    "q2": [  # seed004-batched, Z = W X + b with X n×K a batch: dL/db = Σ_k dL/dZ[:,k]
        right("sum(dL/dZ, axis=1)"),
        right("np.sum(dL/dZ, axis=1)"),
        right("np.sum(dL/dZ, axis=1, keepdims=True)"),
        right("dL/dZ.sum(axis=1)"),
        right("dL/dZ.sum(axis=1, keepdims=True)"),
        right("dL/dZ @ ones(K)"),
        right("np.dot(dL/dZ, np.ones(K))"),
        right("dL/dZ.dot(np.ones(K))"),
        right("(ones(1, K) @ dL/dZ.T).T"),
        right("dL/db[i] = sum_k(dL/dZ[i,k])"),
        right(r"\sum_{k} \frac{\partial L}{\partial Z_{:,k}}"),
        right(r"\frac{\partial L}{\partial Z} \mathbf{1}"),
        refused("np.sum(dL/dZ, axis=1, dtype=float)", "it reads axis=, keepdims="),
        refused("dL/dZ.mean(axis=1)", "derive has no mean"),  # a near miss (the mean), not read
        near("dL/dZ", 0.25, "missing-batch-sum"),
        near("sum(dL/dZ, axis=1) / K", 0.5, "factor"),  # the mean over the batch
        near("-sum(dL/dZ, axis=1)", 0.25, "sign"),
        near("sum(dL/dZ, axis=0)", 0, "wrong-axis"),  # 1×K: summed over the wrong axis
        near("dL/dZ.sum(axis=0)", 0, "wrong-axis"),
        near("sum(dL/dZ, axis=0).T", 0, "misplaced-transpose"),
        near("ones(K).T @ dL/dZ.T", 0, "row-column"),
        near("sum(dL/dZ)", 0, "shape"),
        near("sum(dL/dZ, axis=2)", 0, "shape"),
        bad("sum(dL/dZ, axis=1"),
        bad("sum(dL/dZ, axis=1) +"),
        bad("sum(dL/dY, axis=1)"),  # no dL/dY in this problem
    ],
    "q3": [  # softmax-cross-entropy: dL/dZ = (softmax(Z) - T)/S
        right("(P - T) / S"),
        right("(P - T) / S + 0 * (S - 2)"),  # a size as a value, in a term that is zero: still right
        right("(softmax(Z) - T) / S"),
        right("P / S - T / S"),
        right("1/S * (P - T)"),
        right("(exp(Z) / sum(exp(Z), axis=1) - T) / S"),
        right("(np.exp(Z) / np.sum(np.exp(Z), axis=1, keepdims=True) - T) / S"),
        right("np.divide(np.subtract(P, T), S)"),
        right("(P - T) / len(Z)"),
        right("(P - T) / len(T)"),
        right("(P - T) / Z.shape[0]"),
        right(r"\frac{1}{S}(P - T)"),
        right(r"\frac{P - T}{S}"),
        right(r"\frac{\operatorname{softmax}(Z) - T}{S}"),
        refused("1/S (P - T)", "1 / S * (P - T)"),  # two readings: both written out
        right("(softmax(Z, axis=1) - T) / S"),  # the row softmax, as derive's softmax of a matrix
        near("P - T", 0.5, "factor"),  # the sum where the mean was asked
        near("(P - T) / (S * K)", 0.5, "factor"),
        near("(T - P) / S", 0.25, "sign"),
        near("(P - T).T / S", 0.5, "transposed"),
        near("(P - T) / K", 0.5, "factor"),  # S/K times the truth: divided by the classes, not the batch
        near("(P - T) / Z.shape[1]", 0.5, "factor"),  # Z.shape[1] is K: the same S/K factor
        near("-T / (S * P)", 0, "unknown"),  # dL/dP: the softmax Jacobian not applied
        near("P * (1 - P) * (P - T) / S", 0, "unknown"),
        near("(P - T) @ W / S", 0, "shape"),
        bad("(P - T) / S)"),
        bad("(P - T) // S"),
        bad("(P - T) / S +"),
    ],
    "q4": [  # mlp-two-layer, the hidden layer: dE/dW1 = (σ'(a) ⊙ W2ᵀ(y - t)) xᵀ
        right("(h * (1 - h) * (W2.T @ (y - t))) @ x.T"),
        right("delta1 @ x.T"),
        right("(sigmoid'(a) * (W2.T @ (y - t))) @ x.T"),
        right("(sigmoid'(W1 @ x + b1) * (W2.T @ delta2)) @ x.T"),
        right("diag(h * (1 - h)) @ W2.T @ (y - t) @ x.T"),
        right("outer(h * (1 - h) * (W2.T @ (y - t)), x)"),
        right("np.outer(sigmoid(a) * (1 - sigmoid(a)) * np.dot(W2.T, y - t), x)"),
        right("((W2.T @ (y - t)) * h * (1 - h)) @ x.T"),
        right("np.matmul(np.multiply(h * (1 - h), np.transpose(W2) @ (y - t)), np.transpose(x))"),
        right("(h * (1 - h) * (W2^T @ (y - t))) @ x.T"),
        right("(h * (1 - h) * (W2' @ (y - t))) @ x'"),
        right("(h * (1 - h) * (W2.T @ (y - t))) x^T"),
        right(r"\left(h \odot (1 - h) \odot W_2^\top (y - t)\right) x^\top"),
        right(r"\left(\sigma'(a) \odot W_{2}^{T} \delta_2\right) x^{T}"),
        right("(h * (1 - h) * (W2^T (y - t))) x^T"),  # the brackets leave one reading
        refused("(h * (1 - h) * W2.T (y - t)) x^T", "h * (1 - h) * (W2.T @ (y - t))"),  # no brackets: two readings
        near("(W2.T @ (y - t)) @ x.T", 0.25, "missing-activation-derivative"),
        near("(sigmoid(a) * (W2.T @ (y - t))) @ x.T", 0, "activation-for-derivative"),
        near("(sigmoid'(a) * (W2 @ (y - t))) @ x.T", 0, "misplaced-transpose"),
        near("x @ delta1.T", 0.5, "transposed"),
        near("-delta1 @ x.T", 0.25, "sign"),
        near("(h * (1 - h) * (W2.T @ (t - y))) @ x.T", 0.25, "sign"),
        near("2 * delta1 @ x.T", 0.5, "factor"),
        near("delta1 @ h.T", 0, "wrong-index"),
        near("(h * (1 - h) @ (W2.T @ (y - t))) @ x.T", 0, "hadamard-matmul"),
        near("(h * (1 - h) * (W2.T @ y)) @ x.T", 0, "wrong-index"),
        near("(y - t) @ h.T", 0, "shape"),  # dE/dW2, another quantity
        bad("(h * (1 - h) * (W2.T @ (y - t)) @ x.T"),
        bad("(h * (1 - h) * (W2.T @ (y - t))) @ x.T @"),
        bad("(h * (1 - h) * (W3.T @ (y - t))) @ x.T"),
    ],
    "q5": [  # xᵀAx with A not symmetric: dq/dx = (A + Aᵀ) x
        right("(A + A.T) @ x"),
        right("A @ x + A.T @ x"),
        right("np.dot(A + np.transpose(A), x)"),
        right("np.matmul(A, x) + np.matmul(A.T, x)"),
        right("(x.T @ (A + A.T)).T"),
        right("(x.T @ A + x.T @ A.T).T"),
        right("(A + A^T) x"),
        right("(A + A^T) @ x"),
        right("(A + Aᵀ) x"),
        right("(A + A') @ x"),
        right("A x + A' x"),
        right("dq/dx[k] = sum_j((A[k,j] + A[j,k]) * x[j])"),
        right(r"(A + A^\top) x"),
        right(r"A x + A^{T} x"),
        right(r"\left(A + A^{\mathsf{T}}\right)\mathbf{x}"),
        near("2 * A @ x", 0, "symmetric-only"),  # right only for a symmetric A
        near("2 A x", 0, "symmetric-only"),
        near("2 * A.T @ x", 0, "symmetric-only"),
        near("A @ x", 0, "unknown"),  # one of the two product-rule terms
        near("A.T @ x", 0, "unknown"),
        near("(A - A.T) @ x", 0, "unknown"),
        near("x.T @ (A + A.T)", 0, "row-column"),
        near("x^T (A + A^T)", 0, "row-column"),
        near("(A + A.T) * x", 0, "hadamard-matmul"),
        near("-(A + A.T) @ x", 0.25, "sign"),
        near("(A + A.T) @ x / 2", 0.5, "factor"),
        near("x.T @ A @ x", 0, "shape"),  # q itself
        near("(A + A.T) @ x.T", 0, "misplaced-transpose"),
        bad("(A + A.T) @"),
        bad("(A + A.T) @ x @"),
        bad("(A + B.T) @ x"),
    ],
    "q6": [  # tr(A X⁻¹): dg/dX = -(X⁻¹ A X⁻¹)ᵀ
        right("-(inv(X) @ A @ inv(X)).T"),
        right("-inv(X).T @ A.T @ inv(X).T"),
        right("-inv(X.T) @ A.T @ inv(X.T)"),
        right("-np.transpose(inv(X) @ A @ inv(X))"),
        right("-np.transpose(np.linalg.inv(X) @ A @ np.linalg.inv(X))"),
        right("-np.linalg.inv(X).T @ A.T @ np.linalg.inv(X).T"),
        right("-np.linalg.solve(X.T, A.T) @ inv(X).T"),
        right("np.multiply(-1, inv(X) @ A @ inv(X)).T"),
        right("-1 * np.transpose(np.dot(np.dot(inv(X), A), inv(X)))"),
        right("-inv(X).transpose() @ A.transpose() @ inv(X).transpose()"),
        right("-(X^-1 @ A @ X^-1).T"),
        right(r"-X^{-\top} A^\top X^{-\top}"),
        right(r"-\left(X^{-1} A X^{-1}\right)^\top"),
        right(r"-(X^{-1})^T A^T (X^{-1})^T"),
        right(r"-(X^{-1} A X^{-1})^T"),
        refused("-X^-T A^T X^-T", "x^-1 an inverse"),
        near("-inv(X) @ A @ inv(X)", 0.5, "transposed"),
        near("(inv(X) @ A @ inv(X)).T", 0.25, "sign"),
        near("-2 * (inv(X) @ A @ inv(X)).T", 0.5, "factor"),
        near("-(inv(X) @ A @ inv(X)).T / n", 0.5, "factor"),
        near("-inv(X).T @ A @ inv(X).T", 0, "misplaced-transpose"),
        near("-inv(X).T @ A.T @ inv(X)", 0, "misplaced-transpose"),
        near("-A.T @ inv(X).T @ inv(X).T", 0, "swapped-operands"),
        near("-inv(X).T @ inv(X).T @ A.T", 0, "unknown"),
        near("inv(X).T @ A.T", 0, "unknown"),
        near("A.T", 0, "unknown"),  # d tr(AX)/dX: the inverse forgotten
        bad("-(inv(X) @ A @ inv(X).T"),
        bad("-(inverse(X) @ A @ inverse(X)).T"),
        bad("-(inv(X) @ A @ inv(X)).T.T("),
    ],
    "q7": [  # attention, dL/dQ = (A ⊙ (G - rowsum(A ⊙ G))) K / √dk with G = dL/dO Vᵀ
        right("(A * (dL/dO @ V.T - sum(A * (dL/dO @ V.T), axis=1))) @ K / sqrt(dk)"),
        right("(A * (dL/dO @ V.T) - A * sum(A * (dL/dO @ V.T), axis=1)) @ K / sqrt(dk)"),
        right("1 / sqrt(dk) * (A * (dL/dO @ V.T - sum(A * (dL/dO @ V.T), axis=1))) @ K"),
        right("(A * (dL/dO @ V.T - (A * (dL/dO @ V.T)) @ ones(m))) @ K / sqrt(dk)"),
        right("(softmax(Q @ K.T / sqrt(dk)) * (dL/dO @ V.T - sum(softmax(Q @ K.T / sqrt(dk)) "
              "* (dL/dO @ V.T), axis=1))) @ K / sqrt(dk)"),
        right("np.dot(A * (np.dot(dL/dO, V.T) - np.sum(A * np.dot(dL/dO, V.T), axis=1)), K) / np.sqrt(dk)"),
        right("(A * (dL/dO @ V.T - (A * (dL/dO @ V.T)).sum(axis=1, keepdims=True))) @ K / np.sqrt(dk)"),
        right("(A * (dL/dO @ V.T - sum(A * (dL/dO @ V.T), axis=1))) @ K / sqrt(K.shape[1])"),
        right("(A * (dL/dO @ V' - sum(A * (dL/dO @ V'), axis=1))) @ K / sqrt(d_k)"),
        right(r"\frac{1}{\sqrt{dk}} \left(A \odot \left(\frac{\partial L}{\partial O} V^\top - "
              r"\left(A \odot \frac{\partial L}{\partial O} V^\top\right) \mathbf{1}\right)\right) K"),
        right(r"\frac{1}{\sqrt{d_k}} \left(A \odot \left(\frac{\partial L}{\partial O} V^\top - "
              r"\left(A \odot \frac{\partial L}{\partial O} V^\top\right) \mathbf{1}\right)\right) K"),
        near("(A * (dL/dO @ V.T - sum(A * (dL/dO @ V.T), axis=1))) @ K", 0.5, "factor"),  # √dk dropped
        near("(A * (dL/dO @ V.T - sum(A * (dL/dO @ V.T), axis=1))) @ K / dk", 0.5, "factor"),
        near("-(A * (dL/dO @ V.T - sum(A * (dL/dO @ V.T), axis=1))) @ K / sqrt(dk)", 0.25, "sign"),
        near("K.T @ (A * (dL/dO @ V.T - sum(A * (dL/dO @ V.T), axis=1))).T / sqrt(dk)", 0.5, "transposed"),
        near("(A * (dL/dO @ V.T - sum(A * (dL/dO @ V.T), axis=1))) @ K.T / sqrt(dk)", 0, "misplaced-transpose"),
        near("(A * (dL/dO @ V.T - sum(A * (dL/dO @ V.T), axis=1))) @ Q / sqrt(dk)", 0, "wrong-index"),
        near("(A * (dL/dO @ V.T)) @ K / sqrt(dk)", 0, "unknown"),  # only the Jacobian's diagonal
        near("(A * (dL/dO @ V.T - sum(A * (dL/dO @ V.T), axis=0))) @ K / sqrt(dk)", 0, "wrong-axis"),
        near("(A * (1 - A) * (dL/dO @ V.T)) @ K / sqrt(dk)", 0, "unknown"),  # σ'-style a(1 - a)
        near("dL/dO @ V.T @ K / sqrt(dk)", 0, "unknown"),  # the softmax skipped
        bad("(A * (dL/dO @ V.T - sum(A * (dL/dO @ V.T), axis=1))) @ K / sqrt(dk"),
        bad("dL/dSc @ K / sqrt(dk)"),  # dL/dSc is not given: it is part of the work
        bad("(A * (dL/dO @ V.T - sum(A * (dL/dO @ V.T), axis=3))) @ K / sqrt(dk)", "shape"),
    ],
    "q8": [  # rnn-step: dJ/dW = (dJ/dh1 ⊙ (1 - h1²)) h0ᵀ
        right("(dJ/dh1 * (1 - h1**2)) @ h0.T"),
        right("(dJ/dh1 * tanh'(a)) @ h0.T"),
        right("(dJ/dh1 * (1 - tanh(a)**2)) @ h0.T"),
        right("outer(dJ/dh1 * (1 - h1**2), h0)"),
        right("diag(1 - h1**2) @ dJ/dh1 @ h0.T"),
        right("(dJ/dh1 - dJ/dh1 * h1 * h1) @ h0.T"),
        right("np.outer(dJ/dh1 * (1 - np.tanh(W @ h0 + U @ x + b)**2), h0)"),
        right("(dJ/dh1 * (1 - h1 * h1)) @ np.transpose(h0)"),
        right("(dJ/dh1 * (1 - np.tanh(a)**2)).dot(h0.T)"),
        right("(dJ/dh1 * (1 - h1**2)) h0^T"),
        right("(dJ/dh1 * (1 - h1**2)) @ h0'"),
        right(r"\left(\frac{\partial J}{\partial h_1} \odot (1 - h_1^2)\right) h_0^\top"),
        right(r"\left(\frac{\partial J}{\partial h_1} \odot \left(1 - \tanh^2(a)\right)\right) h_0^\top"),
        refused("(dJ/dh1 * (1 - h1^2)) @ h0.T", "write powers as **"),
        near("h0 @ (dJ/dh1 * (1 - h1**2)).T", 0.5, "transposed"),
        near("dJ/dh1 @ h0.T", 0.25, "missing-activation-derivative"),
        near("(dJ/dh1 * tanh(a)) @ h0.T", 0, "activation-for-derivative"),
        near("-(dJ/dh1 * (1 - h1**2)) @ h0.T", 0.25, "sign"),
        near("2 * (dJ/dh1 * (1 - h1**2)) @ h0.T", 0.5, "factor"),
        near("(dJ/dh1 * (1 - h1**2)) @ x.T", 0, "wrong-index"),  # U's gradient's input
        near("(dJ/dh1 * (1 - h1**2)) @ h1.T", 0, "wrong-index"),
        near("(dJ/dh1 * (1 - h1)**2) @ h0.T", 0, "unknown"),
        near("(dJ/dh1 * h1 * (1 - h1)) @ h0.T", 0, "unknown"),  # the sigmoid's derivative for tanh's
        near("W.T @ (dJ/dh1 * (1 - h1**2))", 0, "swapped-operands"),  # dJ/dh0, another quantity
        bad("(dJ/dh1 * (1 - h1**2)) @ h0.T.T.T)"),
        bad("(dJ/dh1 * (1 - h1**2)) @ h2.T"),
        bad("(dJ/dh1 .* (1 - h1.^2)) * h0'"),  # MATLAB
    ],
}

# -- the adversarial family (issue 11 §1) ----------------------------------------------------------

# The sizes of each question that the family's polynomials vanish at: 2, 3, 4 (the exact oracle's
# small sizes) and the numeric sizes derive printed in the "Right" feedback of the reference answer
# under SALT ("numeric agrees at m=68, d=55"). Two sizes a question (one for xᵀAx and tr(A X⁻¹)).
PRINTED = {
    "q1": {"m": 68, "d": 55},
    "q2": {"K": 70, "m": 22},
    "q3": {"S": 67, "K": 44},
    "q4": {"n": 28, "d": 59},
    "q5": {"n": 67},
    "q6": {"n": 7},
    "q7": {"dk": 65, "n": 45},
    "q8": {"n": 26, "d": 55},
}


def vanishing(count: str, size: int) -> str:
    """A polynomial in ``count`` (a size, or a sum that counts it) that is 0 at 2, 3, 4 and ``size``."""
    return " * ".join(f"({count} - {root})" for root in sorted({2, 3, 4, size}))


def adversarial_family(question: str) -> list[str]:
    """The reference answer spoiled so that it is right only at the sizes derive printed."""
    r = REFERENCE[question]
    (s1, v1), (s2, v2) = (list(PRINTED[question].items()) * 2)[:2]
    p = vanishing
    return [
        f"({r}) * (1 + {p(s1, v1)})",
        f"{r} + {p(f'sum(ones({s1}))', v1)} * ({r})",
        f"{r} + 1e-30 * {p(f'trace(eye({s1}))', v1)} * ({r})",
        f"{r} + {p(s1, v1)} * exp(1000) * ({r})",
        f"({r}) * (1 + {p(f'trace(eye({s2}))', v2)})",
        f"{r} + 1e-30 * {p(s2, v2)} * ({r})",
        f"{r} + {p(f'sum(ones({s2}))', v2)} * exp(1000) * ({r})",
        f"{r} + {p(s1, v1)} * exp''({r})",
        f"{r} + {p(s2, v2)} * sigmoid''(({r}).T).T",
        f"({r}) * (1 + {p(s1, v1)} * {p(s2, v2)})",
        f"{r} + 1e-30 * ({r})",
        f"{r} + 1e-300 * ({r})",
    ]


# -- the class ---------------------------------------------------------------------------------------


# What the family must get: wrong, so never "holds"; refuted by a witness at sizes away from the
# polynomial's roots ("fails", whatever diagnosis, none of which earns credit here), or left for
# review ("undecided") when no witness can be shown — a factor 1 + 1e-300 in softmax's or tanh's
# entries is below what 40 and 80 digits tell apart, and tr(A X⁻¹)'s exact check at fresh sizes may
# run out of its 8 s. Either way 0 points.
FAMILY_OUTCOME = "fails|undecided"


def pool(question: str) -> list[Entry]:
    """Every answer of a question with its expected grade: the pool, the hostile answers and the
    adversarial family."""
    family = [Entry(text, 0.0, FAMILY_OUTCOME, "adversarial") for text in adversarial_family(question)]
    return POOLS[question] + HOSTILE + family


def make_class(students: int = STUDENTS, seed: int = SEED) -> dict[str, dict[str, str]]:
    """{student: {question: answer}}: every pool entry without a known defect is answered by at
    least one student; the rest of the class draws right answers and near misses at random."""
    rng = random.Random(seed)
    columns = {}
    for question in QUESTIONS:
        entries = [e for e in pool(question) if e.xfail is None]
        if len(entries) > students:
            raise ValueError(f"{question}: {len(entries)} answers for {students} students")
        common = [e for e in entries if e.kind in ("right", "near")]
        drawn = [e.text for e in entries] + [rng.choice(common).text for _ in range(students - len(entries))]
        rng.shuffle(drawn)
        columns[question] = drawn
    return {f"student{k + 1:04d}": {q: columns[q][k] for q in QUESTIONS} for k in range(students)}


def known_defects() -> list[tuple[str, Entry]]:
    """(question, entry) for every entry whose grade derive gets wrong today (``xfail``): graded
    one by one, outside the class."""
    return [(q, e) for q in QUESTIONS for e in pool(q) if e.xfail]


def entry(question: str, answer: str) -> Entry:
    """The pool entry of ``answer``."""
    for candidate in pool(question):
        if candidate.text == answer:
            return candidate
    raise KeyError((question, answer[:60]))


def expected_points(question: str, answer: str) -> float:
    return entry(question, answer).points(question)


def expected_totals(klass: dict[str, dict[str, str]]) -> dict[str, float]:
    return {s: sum(expected_points(q, a) for q, a in answers.items()) for s, answers in klass.items()}


def write(folder: Path, klass: dict[str, dict[str, str]]) -> Path:
    """A wide CSV of the class in ``folder`` (the assignment stays in tests/class8/): a column for
    each question the class answers, in the assignment's order."""
    folder.mkdir(parents=True, exist_ok=True)
    submissions = folder / "submissions.csv"
    answered = next(iter(klass.values()))
    questions = [q for q in QUESTIONS if q in answered]
    with submissions.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["student", *questions])
        for student, answers in klass.items():
            writer.writerow([student, *[answers[q] for q in questions]])
    return submissions


def output_folder(folder: Path) -> Path:
    """An output folder holding the class's secret, so that every grade is reproducible."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".derive-salt").write_text(SALT + "\n", encoding="ascii")
    return folder
