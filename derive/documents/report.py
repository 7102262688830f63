"""Plain-text lines for verdicts: what the command line prints (the library itself prints nothing)."""

from __future__ import annotations

from ..verdict.evidence import ClaimVerdict

MARK = {"holds": "✓ holds", "fails": "✗ fails", "undecided": "? undecided", "error": "! error"}


def claim_lines(verdict: ClaimVerdict, verbose: bool = False) -> list[str]:
    """A line for the claim, then the broken link's diagnosis, correction and evidence."""
    status = MARK.get(verdict.verdict, verdict.verdict)
    scope_word = " [every size]" if verdict.verdict == "holds" and verdict.generic else ""
    cached = ", cached" if verdict.cached else ""  # the seconds are those of the check that stored it
    lines = [f"{status:<12} {verdict.claim}{scope_word}   ({verdict.seconds:.2f} s{cached})"]
    if verdict.expect is not None and not verdict.matches_expectation:
        expected = verdict.expect + (f" ({verdict.expected_diagnosis})" if verdict.expected_diagnosis else "")
        found = verdict.diagnosis.code if verdict.diagnosis else ""
        lines.append(f"{'':12} UNEXPECTED: expected {expected}, got {verdict.verdict} {found}".rstrip())
    lines.extend(f"{'':12} note: {note}" for note in verdict.notes)
    if verdict.error:
        lines.append(f"{'':12} {verdict.error}")
        return lines
    several = len(verdict.links) > 1
    for number, link in enumerate(verdict.links, 1):
        show = verbose or link.verdict != "holds"
        if not show:
            continue
        prefix = f"link {number} ({link.left} = {link.right}): " if several else ""
        if link.verdict == "holds":
            lines.append(f"{'':12} {prefix}holds: {link.evidence_summary()}")
            if verbose and link.derivation:
                lines.append(f"{'':12}   {link.generic}:" if link.generic != "proved" else f"{'':12}   for every size:")
                lines.extend(f"{'':14} {expression}    [{why}]" for expression, why in link.derivation)
            elif verbose and link.generic:
                lines.append(f"{'':12}   {link.generic}")
            continue
        lines.append(f"{'':12} {prefix}{link.verdict}: {link.reason}")
        if link.diagnosis:
            lines.append(f"{'':12}   diagnosis [{link.diagnosis.code}]: {link.diagnosis.message}")
            if link.diagnosis.correct:
                lines.append(f"{'':12}   suggested: {link.diagnosis.correct}")
        if verbose:
            lines.append(f"{'':12}   evidence: {link.evidence_summary()}")
        if link.verdict == "fails":
            break
    if verdict.correct and verdict.verdict == "fails":
        lines.append(f"{'':12} correct statement: {verdict.correct}")
    return lines


def summary_line(verdicts: list[ClaimVerdict], seconds: float) -> str:
    counts = {}
    for v in verdicts:
        counts[v.verdict] = counts.get(v.verdict, 0) + 1
    parts = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    mismatched = sum(not v.matches_expectation for v in verdicts)
    tail = "every verdict as expected" if mismatched == 0 else f"{mismatched} not as expected"
    cached = sum(v.cached for v in verdicts)
    reused = f"; {cached} from the cache" if cached else ""
    return f"{len(verdicts)} claims: {parts}; {tail}{reused} ({seconds:.1f} s)"
