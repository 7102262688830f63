"""Small problems written inline, shared by the check and diagnose tests."""

from __future__ import annotations

from functools import cache

from derive.problem.definition import problem_from_dict
from derive.verdict.check import ProblemChecker

PROBLEMS = {
    # a linear layer with an arbitrary loss J of its output, and a second input path for K
    "layer": {
        "id": "layer", "sizes": ["m", "d"],
        "variables": {"W": "m x d", "x": "d", "b": "m", "V": "m x d", "x2": "d"},
        "definitions": ["y = W @ x + b", "z = W @ x + V @ x2"],
        "arbitrary": {"J": ["y"], "K": ["z"]},
    },
    # an activation: a = sigmoid(W x)
    "act": {
        "id": "act", "sizes": ["m", "d"],
        "variables": {"W": "m x d", "x": "d"},
        "definitions": ["z = W @ x", "a = sigmoid(z)"],
        "arbitrary": {"J": ["a"]},
    },
    # square matrices, where a transpose does not change the shape
    "square": {
        "id": "square", "sizes": ["n"],
        "variables": {"A": "n x n", "B": "n x n", "u": "n"},
        "definitions": ["Y = A @ B", "y = A @ u"],
        "arbitrary": {"J": ["Y"], "K": ["y"]},
    },
    # the mean squared error over a batch of S columns
    "mse": {
        "id": "mse", "sizes": ["m", "d", "S"],
        "variables": {"W": "m x d", "X": "d x S", "b": "m", "T": "m x S"},
        "definitions": ["Y = W @ X + b @ ones(S).T", "R = Y - T", "L = sum(R**2) / (2*S)"],
    },
    # absolute values: log|det X| (Matrix Cookbook 57) and an L1 penalty
    "absolute": {
        "id": "absolute", "sizes": ["n"],
        "variables": {"X": "n x n", "x": "n"},
        "definitions": ["la = log(abs(det(X)))", "s = sum(abs(x))"],
    },
}


@cache
def checker(name: str) -> ProblemChecker:
    return ProblemChecker(problem_from_dict(PROBLEMS[name]))
