"""Sizes drawn for one claim: reproducible for the same input, unpredictable from what derive prints.

Concrete sizes are evidence, never proof, and evidence a user can predict can be gamed: an answer
multiplied by ``(n - 2)*(n - 3)*(n - 23)`` is right at exactly the sizes a fixed table would use.
So the sizes of the numeric oracle, and the extra exact assignment a claim without a proof for
every size gets, are drawn from a generator keyed by the problem, the claim's text, the seed and
a salt. The same input gives the same sizes (and so the same verdict, whatever ``--jobs``, resume
or load); a different claim gives sizes that its text does not reveal; and grading keys them with
a secret salt kept in the output folder, so that a class cannot compute them either.

A draw also avoids the roots of given size polynomials (the coefficients of a difference the
index-notation engine found not to cancel), so that a term that vanishes at some sizes is looked
at where it does not. ``draw_wide_sizes`` draws log-uniformly up to hundreds, within the numeric
oracle's memory limit: a term built to vanish on every size of a range would need a polynomial
of that range's degree, longer than an answer may be and overflowing to inf (never agreement)
wherever it is evaluated.
"""

from __future__ import annotations

import hashlib
import math
import random

import sympy

from .. import limits
from ..errors import DeriveError
from ..language.text import to_text
from ..problem.definition import Problem

MAX_DRAWS = 200  # candidate assignments tried before the constraints are relaxed


def problem_material(problem: Problem) -> str:
    """All of ``problem`` that the sizes drawn for its claims depend on, as text (its id, shapes
    and definitions): a checker writes it once, not once per link."""
    definitions = "; ".join(f"{name} = {to_text(expr)}" for name, expr in problem.definitions)
    shapes = "; ".join(f"{name}: {shape}" for name, shape in sorted(problem.shapes.items(), key=str))
    return "\x1f".join([problem.id, shapes, definitions])


def claim_rng(material: str, claim: str, seed: int = 0, salt: str = "") -> random.Random:
    """The generator of sizes for ``claim`` of the problem whose ``problem_material`` is
    ``material``: a hash of all that defines them."""
    whole = "\x1f".join([material, claim, str(seed), salt])
    return random.Random(hashlib.sha256(whole.encode("utf-8", "surrogatepass")).digest())


def draw_sizes(problem: Problem, rng: random.Random, low: int, high: int,
               avoid: list[dict] = (), nonzero: list[sympy.Expr] = (),
               cheapest_of: int = 1) -> dict[str, int]:
    """An assignment of the problem's free sizes in [low, high]: distinct values where the range
    allows, each size different from its value in every assignment of ``avoid``, and no
    polynomial of ``nonzero`` zero at it. Fixed sizes keep their values. With ``cheapest_of``
    k > 1, of the first k such draws the one whose variables hold the fewest entries (the exact
    oracle's cost grows fast with them: a 5×5 symbolic inverse takes seconds, a 4×4 one not)."""
    if cheapest_of > 1:
        draws = {tuple(sorted(d.items())): d for d in (
            draw_sizes(problem, rng, low, high, avoid, nonzero) for _ in range(cheapest_of))}
        return min(draws.values(), key=lambda sizes: (_entries(problem, sizes), sorted(sizes.items())))
    free = problem.free_sizes
    values = list(range(low, max(high, low + len(free)) + 1))
    best = None
    for attempt in range(MAX_DRAWS):
        if len(free) <= len(values):
            chosen = rng.sample(values, len(free))
        else:
            chosen = [rng.choice(values) for _ in free]
        sizes = problem.sizes_from(chosen)
        fresh = all(sizes[name] != previous.get(name) for previous in avoid for name in free)
        if _nonzero_at(nonzero, problem, sizes):
            if fresh:
                return sizes
            best = best or sizes
        if attempt == MAX_DRAWS // 2:  # a small range may not allow all of it: widen it
            values = list(range(low, high + len(free) + 8))
    return best or problem.sizes_from([rng.choice(values) for _ in free])


def draw_wide_sizes(problem: Problem, rng: random.Random, low: int, high: int,
                    entries: int = limits.MAX_NUMERIC_ENTRIES // 4) -> dict[str, int]:
    """Free sizes drawn log-uniformly in [low, high], the largest halved until every variable
    and definition of the problem holds at most ``entries`` entries."""
    free = problem.free_sizes
    chosen = {name: int(round(math.exp(rng.uniform(math.log(low), math.log(high))))) for name in free}
    for _ in range(64):
        sizes = problem.sizes_from([chosen[name] for name in free])
        try:
            limits.check_model(problem, sizes, entries)
            return sizes
        except DeriveError:
            largest = max(free, key=lambda name: chosen[name])
            if chosen[largest] <= low:
                break
            chosen[largest] = max(low, chosen[largest] // 2)
    return problem.sizes_from([low] * len(free))


def _entries(problem: Problem, sizes: dict) -> int:
    values = {problem.sizes[name]: value for name, value in sizes.items()}
    total = 0
    for name in problem.variables:
        rows, cols = (int(d.xreplace(values)) if hasattr(d, "xreplace") else int(d)
                      for d in problem.shapes[name])
        total += rows * cols
    return total


def _nonzero_at(polynomials, problem: Problem, sizes: dict) -> bool:
    values = {problem.sizes[name]: value for name, value in sizes.items()}
    return all(p.xreplace(values) != 0 for p in polynomials)


def exact_size_assignments(problem: Problem, count: int = 2) -> list[dict]:
    """Distinct small sizes (2, 3, 4...), then the same values rotated, so that every size
    differs between the two assignments (and no transpose or size can hide in both)."""
    free = problem.free_sizes
    values = list(range(2, 2 + len(free)))
    orders = [values, values[1:] + values[:1], [v + 1 for v in values]]
    assignments = []
    for order in orders:
        sizes = problem.sizes_from(order)
        if sizes not in assignments:
            assignments.append(sizes)
        if len(assignments) == count:
            break
    return assignments or [dict(problem.fixed_sizes)]
