"""Wrong claims made from the catalog's right ones, each tagged with the slip a diagnosis should name.

Issue 12 §2 asks how often derive names a specific slip for a wrong claim, and how often it names
the right one. This module makes the wrong claims (``python bench/mutations.py``);
bench/diagnosis.py runs derive on them and writes the report.

**Links.** Every catalog claim expected to hold is a chain ``A = B = C``; since a chain holds link
by link, ``A = side`` holds for each side after the first (the answer forms a student writes).
The side that is not the derivative (derive's ``orient``: the claim measured against the truth)
is edited; the other stays. Sides are parsed with derive's parser and printed with its printer
(``derive.language.text.to_text``), nothing is evaluated, and a mutated claim is kept only when
its text reads back as the same tree. The catalog has no LaTeX claims, so none is skipped.

**Kinds of mutation**, each with its tag, the code of docs/problems.md a correct diagnosis gives:

- transpose-whole: ``.T`` added to the whole side, or a transpose that is the whole value dropped;
  transposed (row-column for a vector, layout for a Jacobian).
- transpose-inner: ``.T`` added to, or dropped from, a part of the side; misplaced-transpose.
- swap-operands: ``A @ B`` → ``B @ A``; swapped-operands.
- hadamard-matmul: ``A * B`` → ``A @ B`` (both non-scalar), ``A @ B`` → ``A * B``; hadamard-matmul.
- times-constant: the side times 2, or divided by 2; factor.
- drop-constant: a constant factor of the whole value dropped (``2 *``, ``/ S``, ``/ sqrt(dk)``); factor.
- wrong-divisor: a size in a divisor of the whole value replaced by another (``/ S`` → ``/ K``);
  factor, which derive documents as "divides by K where S was meant".
- flip-sign: the side negated, or a minus of the whole value dropped; sign.
- drop-batch-sum: a sum that scales the whole value dropped (``sum(X, axis=0)``, ``@ ones(S)``,
  ``sum_s(...)``); missing-batch-sum.
- drop-inner-sum: a sum inside a term dropped (``S * G - sum(G, axis=0)`` → ``S * G - G``);
  missing-batch-sum.
- other-axis: ``sum(X, axis=0)`` ↔ ``axis=1``, ``softmax(Z)`` → ``softmax(Z.T).T``; wrong-axis.
- drop-activation-derivative: a factor σ'(a), ``step(z)``, ``1 - h**2``, ``h * (1 - h)`` (h the
  activation's value) or its diag dropped; missing-activation-derivative.
- activation-for-derivative: that factor replaced by the activation (``sigmoid'(a)`` →
  ``sigmoid(a)``, ``1 - h**2`` → ``h``); activation-for-derivative.
- wrong-index: in index notation, an index of an entry replaced by another of the claim's, or an
  entry's two indices swapped; wrong-index (transposed when the swap transposes the whole claim).
- double: two of the above at different places, the result well-shaped; both tags. Not two
  scalings (×2 and a sign make one factor, −2), nor two whole transposes.

Where a kind has several places, at most ``PER_KIND`` of them are drawn per link (``CAPS`` for
fewer), and at most ``DOUBLES`` doubles, by random.Random seeded with the link's text and the
kind: the same corpus on every run and machine, for the same catalog. A wrong claim made twice
(from two sides of a chain) is kept once.

**Shapes.** Each mutated claim is typed with derive's shape rules. When its sides have the same
shape, or differ exactly as its slip says (a transposed whole, a dropped batch sum), the tag is its
slip; otherwise — the side does not type (``dJ/dy @ x``) or has another shape for no documented
reason — the tag is ``shape``, and the slip made is kept in ``made`` (bench/diagnosis.py also
accepts that slip's code: naming what broke the shapes is more specific than ``shape``).
A double is kept only when well-shaped, so that both its slips can be named.

**Still true by accident.** An edit may leave the claim true (a transpose of a symmetric matrix,
``a @ b.T`` → ``a * b.T``); nothing here can tell, so derive's verdict does, and the report counts
those apart, not as misses. Likewise one slip of a double may change nothing: a double lists its
two single claims in ``parts`` (each in the corpus), and when derive proves one of them true,
bench/diagnosis.py expects the other slip alone.

The corpus goes to bench/results/mutations.jsonl (bench/results/ is git-ignored): it stays out of
the catalog, so that derive's diagnosis is never tuned to the very claims that measure it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from mutation_kinds import KINDS, Link, Mutation

from derive.errors import DeriveError
from derive.language import ast
from derive.language.parser import parse_claim
from derive.language.shapes import index_names_of, typed
from derive.language.text import to_text
from derive.problem.definition import load_problem
from derive.verdict.check import orient

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "bench" / "results" / "mutations.jsonl"
SEED = 12  # issue 12
PER_KIND = 3  # places drawn per link and kind
CAPS = {"times-constant": 1}  # kinds drawn less: ×2 and /2 test one thing, and every link has both
DOUBLES = 3  # double slips drawn per link
# a slip whose claim has another shape than the truth, by its very nature
SHAPE_CHANGING = {"transposed", "row-column", "layout", "missing-batch-sum"}
# slips that are a relation of the whole value: two of them make one (−2 is one factor), or cancel
SCALINGS = {"factor", "sign"}


# -- links, checks and records ----------------------------------------------------------------------
def catalog_links(paths: list[Path] | None = None) -> Iterator[Link]:
    """Every link ``first side = later side`` of every catalog claim expected to hold (the catalog:
    this checkout's problems/*.toml, whichever derive is imported)."""
    for path in paths or sorted((ROOT / "problems").glob("*.toml")):
        problem = load_problem(path)
        shown = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        for number, spec in enumerate(problem.claims, 1):
            if spec.expect != "holds":
                continue
            try:
                scope = typed(spec.chain.sides, problem.check_claim_names(spec.chain)).scope
            except DeriveError:
                continue  # the checker types link by link; a chain that types only so is left out
            first = spec.chain.sides[0]
            for side in range(1, len(spec.chain.sides)):
                reference, claimed = orient(first, spec.chain.sides[side])
                yield Link(problem, shown, number, side, spec.text, reference, claimed, claimed is first, scope)


def claim_of(link: Link, side: ast.Node) -> ast.Chain:
    sides = (side, link.reference) if link.claimed_first else (link.reference, side)
    return ast.Chain(sides)


def shape_status(link: Link, side: ast.Node) -> str | None:
    """'same' or 'differs' (the two sides' shapes), 'ill-typed' (the claim does not type), or None
    when the claim cannot be a claim of the problem: an index named like a variable, or one that
    indexes nothing (left only in a delta: derive cannot tell its range, and refuses the claim)."""
    claim = claim_of(link, side)
    try:
        scope = link.problem.check_claim_names(claim)
    except DeriveError:
        return None
    try:
        sides = typed((link.reference, side), scope)
    except DeriveError:
        return "ill-typed"
    if not index_names_of(claim) <= set(sides.scope.index_ranges):
        return None
    return "same" if scope.same_shape(*sides.shapes) else "differs"


def printable(chain: ast.Chain) -> str | None:
    """The claim's text when it reads back as the same tree, else None."""
    text = to_text(chain)
    try:
        return text if parse_claim(text) == chain else None
    except DeriveError:
        return None


def expected_codes(made: list[str], status: str) -> list[str]:
    """The codes a correct diagnosis gives (module docstring, *Shapes*)."""
    if status == "same" or (status == "differs" and len(made) == 1 and made[0] in SHAPE_CHANGING):
        return list(made)
    return ["shape"]


def record(link: Link, mutations: list[Mutation], status: str, text: str, number: int, parts: list[str]) -> dict:
    """The corpus entry of one wrong claim (``parts``: a double's two single claims, each in the
    corpus too, by which bench/diagnosis.py tells a double one of whose slips changes nothing)."""
    kind = mutations[0].kind if len(mutations) == 1 else "double"
    made = [m.slip for m in mutations]
    return {
        "id": f"{link.problem.id}/{link.claim}/{link.side}/{kind}/{number}",
        "problem": link.problem.id,
        "file": link.path,
        "catalog_claim": link.claim,
        "side": link.side,
        "original": link.text,
        "claim": text,
        "kind": kind,
        "kinds": [m.kind for m in mutations],
        "made": made,
        "expected": expected_codes(made, status),
        "shape": status,
        "what": "; ".join(m.what for m in mutations),
        "parts": parts,
    }


def _draw(rng: random.Random, items: list, count: int) -> list:
    return items if len(items) <= count else rng.sample(items, count)


def link_mutations(link: Link, seed: int, per_kind: int) -> list[tuple[Mutation, ast.Node, str, str]]:
    """(mutation, mutated side, shape status, text) of the slips drawn for one link."""
    drawn = []
    seen = {link.claimed}
    for kind, make in KINDS.items():
        candidates = []
        for mutation in make(link):
            side = mutation.apply(link.claimed)
            if side in seen:
                continue
            status = shape_status(link, side)
            text = printable(claim_of(link, side)) if status else None
            if text is None:
                continue
            seen.add(side)
            candidates.append((mutation, side, status, text))
        rng = random.Random(f"{seed}/{link.problem.id}/{link.claim}/{link.side}/{kind}")
        drawn.extend(_draw(rng, candidates, min(per_kind, CAPS.get(kind, per_kind))))
    return drawn


def _composable(a: Mutation, b: Mutation) -> bool:
    """Two slips that may make a double: at different places, not two scalings of the whole (2 and
    -1 make one factor, -2), not two slips that each change the whole value's shape. (Where one
    place is inside the other, ``link_doubles`` keeps the double only when both slips survive.)"""
    if a.path == b.path or (a.slip in SCALINGS and b.slip in SCALINGS):
        return False
    return not (a.slip in SHAPE_CHANGING and b.slip in SHAPE_CHANGING)


def compose(side: ast.Node, first: Mutation, second: Mutation) -> ast.Node:
    """Both slips: the deeper applied first, so that the outer one's path still leads to its place."""
    for mutation in sorted((first, second), key=lambda m: -len(m.path)):
        side = mutation.apply(side)
    return side


def link_doubles(link: Link, singles: list, seed: int, count: int) -> list[tuple[list[Mutation], ast.Node, str, list]]:
    """Up to ``count`` doubles of well-shaped singles of this link whose result is well-shaped and
    differs from the claim, from each single and from every other double: (the two mutations,
    the side, its text, the texts of the two singles)."""
    good = [(m, text) for m, _, status, text in singles if status == "same"]
    results = {side for _, side, _, _ in singles} | {link.claimed}
    pairs = [(a, b) for a, b in itertools.combinations(good, 2) if _composable(a[0], b[0])]
    rng = random.Random(f"{seed}/{link.problem.id}/{link.claim}/{link.side}/double")
    rng.shuffle(pairs)
    doubles = []
    for (a, a_text), (b, b_text) in pairs:
        if len(doubles) == count:
            break
        side = compose(link.claimed, a, b)
        if side in results or shape_status(link, side) != "same":
            continue
        text = printable(claim_of(link, side))
        if text is None:
            continue
        results.add(side)
        doubles.append(([a, b], side, text, [a_text, b_text]))
    return doubles


def generate(seed: int = SEED, per_kind: int = PER_KIND, doubles: int = DOUBLES,
             paths: list[Path] | None = None) -> list[dict]:
    """The corpus: a record per wrong claim, in catalog order (deterministic for a seed)."""
    records = []
    seen: set[tuple[str, str]] = set()
    for link in catalog_links(paths):
        singles = link_mutations(link, seed, per_kind)
        made = [([m], status, text, []) for m, _, status, text in singles]
        made += [(pair, "same", text, parts) for pair, _, text, parts in link_doubles(link, singles, seed, doubles)]
        for number, (mutations, status, text, parts) in enumerate(made):
            if (link.problem.id, text) in seen:
                continue  # the same wrong claim from another side of the chain
            seen.add((link.problem.id, text))
            records.append(record(link, mutations, status, text, number, parts))
    return records


def write_corpus(records: list[dict], path: Path = CORPUS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for entry in records:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")


def read_corpus(path: Path = CORPUS) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def summary(records: list[dict]) -> str:
    """Counts by kind and by expected code, one line each."""
    kinds = Counter(r["kind"] for r in records)
    codes = Counter("+".join(r["expected"]) for r in records)
    lines = [f"{len(records)} wrong claims from {len({(r['problem'], r['catalog_claim']) for r in records})} "
             f"catalog claims of {len({r['problem'] for r in records})} problems"]
    lines += [f"  kind {kind}: {n}" for kind, n in sorted(kinds.items())]
    lines += [f"  expected {code}: {n}" for code, n in codes.most_common()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CORPUS, help="the corpus (JSON lines)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--per-kind", type=int, default=PER_KIND, help="places drawn per link and kind")
    parser.add_argument("--doubles", type=int, default=DOUBLES, help="double slips per link")
    args = parser.parse_args(argv)
    records = generate(args.seed, args.per_kind, args.doubles)
    write_corpus(records, args.out)
    print(summary(records), file=sys.stderr)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
