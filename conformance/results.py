"""Rolls case outcomes up to requirements and decides the verdict; plain data in, a report dict out."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from conformance.requirements import Requirement, catalogue

# Exit codes of a run (the CLI's contract).
EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_UNUSABLE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
STATUS_ORDER = ("failed", "passed", "inconclusive", "not_checked")
REPORT = pytest.StashKey[dict]()  # the finished report, on the pytest config, for whoever ran pytest


class Violation(AssertionError):
    """A broken rule, with the exchange that shows it; `requirement` narrows the blame when a case checks several."""

    def __init__(self, message: str, exchange=None, requirement: str | None = None) -> None:
        super().__init__(message)
        self.exchange = exchange
        self.requirement = requirement


def expect(condition: object, message: str, exchange=None, requirement: str | None = None) -> None:
    if not condition:
        raise Violation(message, exchange, requirement)


def expect_status(exchange, allowed: int | set[int], why: str) -> None:
    """The exchange answered one of the allowed statuses; the message shows what came instead."""
    allowed = {allowed} if isinstance(allowed, int) else allowed
    expect(exchange.status in allowed, f"{why}: expected {' or '.join(map(str, sorted(allowed)))}, "
                                       f"got {exchange.status or exchange.error}: {exchange.text[:300]}", exchange)


@dataclass
class CaseOutcome:
    case: str
    nodeid: str
    requirements: tuple[str, ...]
    status: str  # passed, failed, inconclusive, not_checked
    message: str = ""
    evidence: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    root_cause: str | None = None  # the requirement whose failure made this one fail too
    repro: str | None = None  # a shell script reproducing a multi-step failure, preferred over the first curl
    blocked_by: str = ""  # not checked because this requirement's failure broke the case's setup


def failure_signature(outcomes: list[CaseOutcome]) -> str:
    return ",".join(sorted({o.case for o in outcomes if o.status == "failed"}))


def requirement_status(outcomes: list[CaseOutcome]) -> str:
    statuses = {o.status for o in outcomes}
    for status in STATUS_ORDER:
        if status in statuses:
            return status
    return "not_checked"


def summarize(outcomes: list[CaseOutcome], observations: dict[str, list[str]], baseline: set[tuple[str, str]],
              meta: dict) -> dict:
    """The report as plain data: verdict, one entry per catalogue requirement, and the run's meta."""
    by_requirement: dict[str, list[tuple[int, CaseOutcome]]] = {}
    for order, outcome in enumerate(outcomes):
        for requirement in outcome.requirements:
            by_requirement.setdefault(requirement, []).append((order, outcome))
    entries, new_failures, known, still_known = [], [], [], set()
    for req in catalogue().values():
        ordered = by_requirement.get(req.id, [])
        mine = [o for _, o in ordered]
        status = requirement_status(mine)
        signature = failure_signature(mine)
        in_baseline = (req.id, signature) in baseline
        if status == "failed" and req.gates:
            (known if in_baseline else new_failures).append(req.id)
            if in_baseline:
                still_known.add((req.id, signature))
        entries.append(_entry(req, status, ordered, observations.get(req.id, []), signature, in_baseline))
    leaked = meta.get("data", {}).get("leaked", [])
    verdict = "fail" if new_failures or leaked else "pass"
    return {
        "verdict": verdict,
        "exit_code": EXIT_FAIL if verdict == "fail" else EXIT_PASS,
        "new_must_failures": new_failures,
        "baselined_failures": known,
        "stale_baseline": sorted(f"{rid} [{sig}]" for rid, sig in baseline - still_known),
        "counts": _counts(entries),
        "requirements": entries,
        **meta,
    }


def _entry(req: Requirement, status: str, ordered: list[tuple[int, CaseOutcome]], observations: list[str],
           signature: str, in_baseline: bool) -> dict:
    outcomes = [o for _, o in ordered]
    skipped = [o.message for o in outcomes if o.status in ("not_checked", "inconclusive")]
    return {
        "id": req.id, "level": req.level, "area": req.area, "doc": req.doc, "status": status,
        "gating": req.gates and status == "failed" and not in_baseline,
        "baselined": in_baseline and status == "failed",
        "signature": signature,
        "cases": [{"case": o.case, "nodeid": o.nodeid, "status": o.status, "message": o.message,
                   "seconds": round(o.seconds, 3)} for o in outcomes],
        "failures": [_failure(order, o) for order, o in ordered if o.status == "failed"],
        "why_not_checked": (sorted(set(skipped))[:3] or ["no case ran (deselected, or the run stopped early)"])
        if status in ("not_checked", "inconclusive") else [],
        "observations": observations,
        "blocked_by": sorted({o.blocked_by for o in outcomes if o.blocked_by}) if status == "not_checked" else [],
    }


def _failure(order: int, outcome: CaseOutcome) -> dict:
    """One failed case; `order` is its place in the run, so a report can lead with the first violation seen."""
    optional = {"root_cause": outcome.root_cause, "repro": outcome.repro}
    return {"case": outcome.case, "message": outcome.message, "evidence": outcome.evidence, "order": order,
            **{key: value for key, value in optional.items() if value}}


def _counts(entries: list[dict]) -> dict:
    counts: dict[str, dict[str, int]] = {}
    for entry in entries:
        level = counts.setdefault(entry["level"], {s: 0 for s in STATUS_ORDER})
        level[entry["status"]] += 1
    return counts
