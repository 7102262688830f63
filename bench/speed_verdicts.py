"""What bench/speed.py reads from a ``check --json`` report: a digest of every claim's verdict, its
comparison with the committed digest, and where the time of the claims went (by stage).

The digest is what must not change while the code is made faster: each claim's verdict, error,
broken link, generic status and, link by link, the verdict, the reason, the diagnosis (code,
message, correction, slips) and the generic proof's status. Seconds, witness points and values
are left out: they differ from run to run by design.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

STAGES = ("exact", "numeric", "generic", "diagnosis")

# Two catalog runs (jobs 1 and jobs 2, one after the other) differed only in the witness of a
# refuted link: "differs at entry [1]: true 0.5, claimed 0" in one, "differs at entry [2]: …" in
# the other (the random point decides the values, and which entry differs first where the claim
# agrees at some entries, as relu(z) where z < 0). So a witness reason keeps only its kind; the
# sizes ("when S=5, d=3", drawn at random for the claim) and a numeric relative error come from
# the same random draw and are normalised the same way, though no catalog claim shows them today.
# Diagnosis messages and corrections were identical between the runs and are kept verbatim.
WITNESS = re.compile(r"^differs at .*?: true .*?, claimed .*?(?P<when> when [^()]*?)?(?P<gap> \(they differ by .*\))?$")
RELATIVE = re.compile(r"differs by [-+0-9.e]+ \(relative\)")
NUMERIC_AT = re.compile(r"the numeric check at .*? differs by")


def normalise_reason(reason: str) -> str:
    """A link's reason without the witness point and values that vary from run to run."""
    found = WITNESS.match(reason or "")
    if found:
        return ("differs at a witness point" + (" at sizes drawn for the claim" if found["when"] else "")
                + (" (values that print alike)" if found["gap"] else ""))
    reason = RELATIVE.sub("differs by … (relative)", reason or "")
    return NUMERIC_AT.sub("the numeric check at sizes drawn for the claim differs by", reason)


def _claim_digest(claim: dict) -> dict:
    fields = {key: claim.get(key) for key in ("verdict", "error", "broken_link", "generic", "every_size",
                                              "matches_expectation")}
    for number, link in enumerate(claim.get("links", []), 1):
        diagnosis = link.get("diagnosis") or {}
        fields |= {f"link {number} verdict": link.get("verdict"),
                   f"link {number} reason": normalise_reason(link.get("reason", "")),
                   f"link {number} diagnosis code": diagnosis.get("code"),
                   f"link {number} diagnosis message": diagnosis.get("message"),
                   f"link {number} diagnosis correct": diagnosis.get("correct"),
                   f"link {number} diagnosis slips": diagnosis.get("slips"),
                   f"link {number} generic": link.get("generic")}
    return fields


def digest(report: dict) -> dict[str, dict[str, dict]]:
    """problem id → claim text → field → value, for every claim of a ``check --json`` report (a claim
    written twice in one problem gets " (#2)" after its text)."""
    out: dict[str, dict[str, dict]] = {}
    for problem in report["problems"]:
        claims = out.setdefault(problem["id"], {})
        for claim in problem["claims"]:
            key, n = claim["claim"], 1
            while key in claims:
                n += 1
                key = f"{claim['claim']} (#{n})"
            claims[key] = _claim_digest(claim)
    return out


def differences(before: dict, after: dict) -> list[tuple[str, str, str, object, object]]:
    """(problem, claim, field, before, after) for every field that differs, and every problem or
    claim present in only one of the digests."""
    rows = []
    for pid in sorted(set(before) | set(after)):
        old, new = before.get(pid), after.get(pid)
        if old is None or new is None:
            rows.append((pid, "", "problem", "present" if old else "absent", "present" if new else "absent"))
            continue
        for text in sorted(set(old) | set(new)):
            if text not in old or text not in new:
                rows.append((pid, text, "claim", "present" if text in old else "absent",
                             "present" if text in new else "absent"))
                continue
            for name in sorted(set(old[text]) | set(new[text])):
                if old[text].get(name) != new[text].get(name):
                    rows.append((pid, text, name, old[text].get(name), new[text].get(name)))
    return rows


def count(digested: dict) -> int:
    return sum(len(claims) for claims in digested.values())


def load(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def write(path: Path, digested: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(digested, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def nearest_rank(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``share`` of them at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def diagnosis_times(report: dict) -> dict | None:
    """p50 / p95 / max of the diagnosis seconds over links that were diagnosed, and the slowest;
    None when the report has no per-stage ``timings``."""
    times = []
    for problem in report["problems"]:
        for claim in problem["claims"]:
            for link in claim.get("links", []):
                seconds = (link.get("timings") or {}).get("diagnosis")
                if seconds is not None:
                    times.append((seconds, problem["id"], claim["claim"]))
    if not times:
        return None
    values = [t[0] for t in times]
    slowest = max(times)
    return {"links": len(times), "p50": nearest_rank(values, 0.5), "p95": nearest_rank(values, 0.95),
            "max": slowest[0], "max_problem": slowest[1], "max_claim": slowest[2]}


def stage_shares(report: dict) -> dict[str, float] | None:
    """Each stage's seconds over all links, and the claims' own seconds in all (key "claims")."""
    totals = dict.fromkeys(STAGES, 0.0)
    claims = 0.0
    found = False
    for problem in report["problems"]:
        for claim in problem["claims"]:
            claims += claim.get("seconds") or 0.0
            for link in claim.get("links", []):
                for stage, seconds in (link.get("timings") or {}).items():
                    found = True
                    totals[stage] = totals.get(stage, 0.0) + seconds
    return totals | {"claims": claims} if found else None
