"""The benchmark's problems, defined inline (not in problems/, which is the catalog).

Each problem comes with right claims and a WRONG twin of each (a factor 2), so that the cost of
refuting can be set beside the cost of proving. Claims are (label, text, expected verdict).
"""

from __future__ import annotations

from dataclasses import dataclass

from derive.problem.definition import Problem, problem_from_dict


@dataclass(frozen=True)
class BenchClaim:
    label: str
    text: str
    expect: str  # "holds" | "fails"


@dataclass(frozen=True)
class BenchProblem:
    key: str
    title: str
    data: dict
    claims: tuple[BenchClaim, ...]
    size_names: tuple[str, ...]  # the sizes that grow together (all set to the same n)

    def problem(self) -> Problem:
        return problem_from_dict(self.data, f"bench/{self.key}")

    def sizes(self, n: int) -> dict[str, int]:
        return {name: n for name in self.size_names}


def _with_wrong_twins(right: list[tuple[str, str]]) -> tuple[BenchClaim, ...]:
    """Each right claim 'dA/dB = E', then its wrong twin 'dA/dB = 2 * (E)'."""
    claims = []
    for label, text in right:
        left, expression = text.split(" = ", 1)
        claims.append(BenchClaim(label, text, "holds"))
        claims.append(BenchClaim(f"{label} ×2 (wrong)", f"{left} = 2 * ({expression})", "fails"))
    return tuple(claims)


LINEAR = BenchProblem(
    key="linear",
    title="Batched linear layer Y = X Wᵀ + 1 bᵀ, L arbitrary of Y (S = M = N = n)",
    data={
        "id": "bench-linear",
        "sizes": ["S", "M", "N"],
        "variables": {"X": "S x M", "W": "N x M", "b": "N"},
        "definitions": ["Y = X @ W.T + ones(S) @ b.T"],
        "arbitrary": {"L": ["Y"]},
    },
    claims=_with_wrong_twins([
        ("dL/dW", "dL/dW = dL/dY.T @ X"),
        ("dL/dX", "dL/dX = dL/dY @ W"),
        ("dL/db", "dL/db = dL/dY.T @ ones(S)"),
        # written differently from the reverse pass, so the zero test (not structure) decides
        ("dL/dW rewritten", "dL/dW = (X.T @ dL/dY).T"),
    ]),
    size_names=("S", "M", "N"),
)

_Z = "W1@x+b"
_DELTA = f"(W2.T @ (W2 @ sigmoid({_Z}) - y) * sigmoid'({_Z}))"

TWO_LAYER = BenchProblem(
    key="two-layer",
    title="Two-layer net l = sum((W2 σ(W1 x + b) − y)²)/2, W1 and W2 d×d",
    data={
        "id": "bench-two-layer",
        "sizes": ["d"],
        "variables": {"W1": "d x d", "W2": "d x d", "x": "d", "b": "d", "y": "d"},
        "definitions": ["l = sum((W2 @ sigmoid(W1 @ x + b) - y)**2)/2"],
    },
    claims=_with_wrong_twins([
        ("dl/dW1", f"dl/dW1 = {_DELTA} @ x.T"),
        ("dl/dW2", f"dl/dW2 = (W2 @ sigmoid({_Z}) - y) @ sigmoid({_Z}).T"),
        ("dl/db", f"dl/db = {_DELTA}"),
        ("dl/dx", f"dl/dx = W1.T @ {_DELTA}"),
        # expanded and with σ' written out: the zero test has to multiply out and cancel
        ("dl/dW1 rewritten", f"dl/dW1 = ((W2.T @ W2 @ sigmoid({_Z}) - W2.T @ y) * sigmoid({_Z}) "
                             f"* (1 - sigmoid({_Z}))) @ x.T"),
    ]),
    size_names=("d",),
)

SOFTMAX = BenchProblem(
    key="softmax",
    title="Row softmax Y = softmax(X), X S×N, L arbitrary of Y (S = N = n)",
    data={
        "id": "bench-softmax",
        "sizes": ["S", "N"],
        "variables": {"X": "S x N"},
        "definitions": ["Y = softmax(X)"],
        "arbitrary": {"L": ["Y"]},
    },
    claims=_with_wrong_twins([
        ("dL/dX", "dL/dX = Y * (dL/dY - sum(dL/dY * Y, axis=1))"),
        ("dL/dX via exp", "dL/dX = exp(X) / sum(exp(X), axis=1) * dL/dY - Y * sum(dL/dY * Y, axis=1)"),
    ]),
    size_names=("S", "N"),
)

# Section 3's claims about the two-layer net.
DW1_RIGHT = TWO_LAYER.claims[0].text
DW1_WRONG = TWO_LAYER.claims[1].text
DB_RIGHT = f"dl/db = {_DELTA}"
# The right dl/db with its first entry doubled: eye(d)[:,1] is the first unit vector.
DB_ONE_ENTRY_WRONG = f"dl/db = {_DELTA} * (ones(d) + eye(d)[:,1])"
# The right dl/dW1 with its entry (1, 1) doubled.
DW1_ONE_ENTRY_WRONG = f"dl/dW1 = {_DELTA} @ x.T * (ones(d,d) + eye(d)[:,1] @ eye(d)[:,1].T)"
