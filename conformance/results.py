"""Rolls case outcomes up to requirements and decides the verdict; plain data in, a report dict out."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from conformance.config import PROFILES
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


def expect_status(exchange, allowed: int | set[int], why: str, requirement: str | None = None) -> None:
    """The exchange answered one of the allowed statuses; the message shows what came instead. `requirement`: the
    one a failure is blamed on, in a case marked with several."""
    allowed = {allowed} if isinstance(allowed, int) else allowed
    expect(exchange.status in allowed, f"{why}: expected {' or '.join(map(str, sorted(allowed)))}, "
                                       f"got {exchange.status or exchange.error}: {exchange.text[:300]}", exchange,
           requirement=requirement)


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


# Why a MUST rule was not judged. The first group leaves a run complete: the rule could not apply to this target or
# lies outside the profile. Every other group makes the run PARTIAL.
COULD_NOT_APPLY = "could not apply to this target or profile"
WRITES_OFF = "writes were off (pass --allow-writes, or set ZEXA_ALLOW_WRITES=1)"
NOT_RUN = "no case ran (deselected with -k, or the run stopped early)"
BUDGET = "the request budget was used up"
LISTS_REFUSED = "the target would not add contacts to the run's lists (pass --list-ids)"
BLOCKED = "another rule's failure kept its case from judging it"
UNANSWERED = "the target left requests unanswered"
INCONCLUSIVE = "the target's answers did not settle it"
OTHER = "not judged for another reason (see the rule's entry)"
# Reasons a case gives (in its skip message) that it could not apply here: the case asks the same of any target.
_COULD_NOT_APPLY = ("answered no request of this run with 429", "profile makes no claim that needs state",
                    "profile has no stateful phase", "or more requests in flight (--concurrency is")
# Reasons a case gives that the run's settings or budget kept it from judging, checked in this order.
_SKIPPED_BY = ((WRITES_OFF, ("writes are off",)), (BUDGET, ("request budget",)),
               (LISTS_REFUSED, ("would not add a contact to list", "does not take the run's list ids")),
               (NOT_RUN, ("the run stopped before this case started",)),
               (BLOCKED, (" reports it)", "refused none of the invalid creates", "none of the documented errors",
                          "target keeps no state")))


def why_not_judged(req: Requirement, outcomes: list[CaseOutcome], in_flight: int, checks_state: bool) -> str | None:
    """Why a requirement has no verdict of its own: COULD_NOT_APPLY (the run is still complete), one of the groups
    that make a run partial, or None when a case judged it (passed or failed)."""
    if any(o.status in ("passed", "failed") for o in outcomes):
        return None
    if in_flight < req.needs_in_flight or (req.needs_state and not checks_state):
        return COULD_NOT_APPLY
    if not outcomes:
        return NOT_RUN
    reasons = [_reason(outcome) for outcome in outcomes]
    return next((reason for reason in reasons if reason != COULD_NOT_APPLY), COULD_NOT_APPLY)


def _reason(outcome: CaseOutcome) -> str:
    message = outcome.message
    if any(phrase in message for phrase in _COULD_NOT_APPLY):
        return COULD_NOT_APPLY
    for group, phrases in _SKIPPED_BY:
        if any(phrase in message for phrase in phrases):
            return group
    if outcome.blocked_by:
        return BLOCKED
    if outcome.status == "inconclusive":
        return INCONCLUSIVE
    if message.startswith("not checked: ") and outcome.evidence and any(e.get("error") for e in outcome.evidence):
        return UNANSWERED
    return OTHER


def completeness(entries: list[dict], reasons: dict[str, str | None]) -> dict:
    """How many MUST rules were judged, and why the rest were not, grouped by reason."""
    gating = [entry["id"] for entry in entries if catalogue()[entry["id"]].gates]
    groups: dict[str, list[str]] = {}
    for rid in gating:
        if reasons.get(rid):
            groups.setdefault(reasons[rid], []).append(rid)
    could_not_apply = groups.pop(COULD_NOT_APPLY, [])
    return {"must_rules": len(gating), "judged": len(gating) - len(could_not_apply) - sum(map(len, groups.values())),
            "could_not_apply": could_not_apply, "not_judged": groups}


# What a run whose pytest session ended in one of these statuses says about the target: nothing; the checker itself
# failed (a case module did not load, pytest refused or broke, or a plugin stopped the session).
_PYTEST_FAILED = (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR)
CHECKER_FAILED = "internal error: the checker itself failed (a case module did not load, or pytest failed)"


def decide(*, new_failures: Sequence[str] = (), leaked: Sequence[str] = (), not_judged: dict | None = None,
           unusable: str = "", interrupted: bool = False, error: str = "", require_complete: bool = False,
           pytest_exit: int = pytest.ExitCode.OK, reported: bool = True) -> tuple[str, int]:
    """The verdict and the exit code of a run: the one place either is decided. `reported` is False when the run
    ended before the plugin made a report (pytest refused its arguments, or the checker broke before a verdict)."""
    if not reported:
        return ("usage", EXIT_USAGE) if pytest_exit == pytest.ExitCode.USAGE_ERROR else ("error", EXIT_INTERNAL)
    if unusable:
        return "unusable", EXIT_UNUSABLE
    if interrupted:
        return "interrupted", EXIT_INTERRUPTED
    if error or pytest_exit in _PYTEST_FAILED:
        return "error", EXIT_INTERNAL
    if new_failures or leaked:
        return "fail", EXIT_FAIL
    if not_judged:
        return "partial", EXIT_FAIL if require_complete else EXIT_PASS
    return "pass", EXIT_PASS


def summarize(outcomes: list[CaseOutcome], observations: dict[str, list[str]], baseline: set[tuple[str, str]],
              meta: dict, *, unusable: str = "", interrupted: bool = False, error: str = "",
              require_complete: bool = False, pytest_exit: int = pytest.ExitCode.OK) -> dict:
    """The report as plain data: verdict, one entry per catalogue requirement, and the run's meta. `error` is the
    checker's own first error inside a case; `pytest_exit` is how the pytest session itself ended."""
    by_requirement: dict[str, list[tuple[int, CaseOutcome]]] = {}
    for order, outcome in enumerate(outcomes):
        for requirement in outcome.requirements:
            by_requirement.setdefault(requirement, []).append((order, outcome))
    entries, new_failures, known, still_known, reasons = [], [], [], set(), {}
    in_flight = meta.get("concurrency", {}).get("bound", 64)
    profile = PROFILES.get(meta.get("profile", "default"))  # judged traffic has no profile: it may show any rule
    checks_state = profile.checks_state if profile else True
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
        reasons[req.id] = why_not_judged(req, mine, in_flight, checks_state)
    complete = completeness(entries, reasons)
    verdict, exit_code = decide(new_failures=new_failures, leaked=meta.get("data", {}).get("leaked", []),
                                not_judged=complete["not_judged"], unusable=unusable, interrupted=interrupted,
                                error=error, require_complete=require_complete, pytest_exit=pytest_exit)
    if not error and pytest_exit in _PYTEST_FAILED:
        error = CHECKER_FAILED
    ending = {key: value for key, value in (("unusable", unusable), ("error", error)) if value}
    return {
        "verdict": verdict,
        "exit_code": exit_code,
        "completeness": complete,
        **ending,
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
