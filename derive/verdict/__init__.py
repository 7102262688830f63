"""The verdict: a claim checked against the oracles, with its evidence and, if wrong, why.

- ``check`` — runs each link of a claim through the oracles and decides holds / fails /
  undecided by the rule of docs/guarantees.md.
- ``batch`` — many problems checked, in order or in worker processes, only what the cache lacks.
- ``cache`` — verdicts stored on disk under a key of all they depend on, and found again.
- ``evidence`` — the verdict records (exact, numeric and every-size evidence), as JSON too.
- ``fresh_sizes`` — the sizes drawn for a claim, reproducible but not predictable.
- ``sizes_as_values`` — whether a claim uses a size as a number, which concrete sizes cannot settle.
- ``diagnose`` / ``slips`` — why a wrong claim is wrong: relations between the two sides (a
  transpose, a factor, a sign, a sum) and the slips students make, as edits of the claim's tree.
"""
