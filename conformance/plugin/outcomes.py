"""What a case's ending means: its status, the message, which requirements it blames and the evidence shown.

Plain values in, plain values out (no pytest): the plugin hands in what pytest reported about the case, and acts on
what comes back (a target that became unusable stops the run; a bug of the checker ends it with exit 4)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from conformance.errors import BudgetExhausted, TargetUnusable, UnsafeRequest
from conformance.exchange import Exchange
from conformance.results import CaseOutcome, Violation


@dataclass
class Ended:
    """How one case ended, as pytest reported it."""
    case: str
    nodeid: str
    requirements: tuple[str, ...]
    skipped: str | None = None  # the skip's reason, when the case was skipped
    failed: bool = False
    error: BaseException | None = None  # what the case raised
    report_text: str = ""  # pytest's own account of a failure, for one without an exception
    evidence: list[Exchange] = field(default_factory=list)  # every exchange the case sent, in order
    seconds: float = 0.0
    blamed: set[str] = field(default_factory=set)  # the requirements the case narrowed its failure to
    blocked_by: str = ""  # the requirement whose failure kept the case from setting up (set when it skipped)


@dataclass
class Mapped:
    outcome: CaseOutcome
    stops_run: bool = False  # the target became unusable (the outcome's message says why): no further case starts
    internal: bool = False  # the checker's own bug, not the target's (the outcome's message names the case)


def map_outcome(ended: Ended, redact: Callable[[str], str],
                is_checker_fault: Callable[[BaseException], bool]) -> Mapped:
    """The case's outcome; `redact` masks the key in every text that came from the target, `is_checker_fault` says
    whether an exception is the checker's own bug (see checker_faults)."""
    requirements, evidence, error = ended.requirements, list(ended.evidence), ended.error
    blocked_by, stops_run, internal = ended.blocked_by, False, False
    message = ""
    if ended.skipped is not None:
        message = ended.skipped.removeprefix("Skipped: ")
        status = "inconclusive" if message.startswith("inconclusive") else "not_checked"
    elif ended.failed:
        status = "failed"
        message = redact(failure_message(error, ended.report_text))
        if isinstance(error, BudgetExhausted):
            status = "not_checked"
        elif isinstance(error, TargetUnusable):
            status, stops_run = "inconclusive", True
        elif error is not None and is_checker_fault(error):
            status, internal = "not_checked", True
            message = f"internal error in {ended.nodeid}: {message.splitlines()[0]}"
        elif isinstance(error, Violation):
            if error.exchange is not None:
                evidence = [error.exchange, *[e for e in evidence if e is not error.exchange]]
            if error.requirement in requirements:
                requirements = (error.requirement,)
            elif error.requirement:  # a rule this case relies on broke: its own case fails, this one cannot judge
                status, message = "not_checked", f"not checked: {message}"
                blocked_by = error.requirement
        elif ended.blamed:
            requirements = tuple(r for r in requirements if r in ended.blamed) or requirements
    else:
        status = "passed"
    unanswered = next((e for e in evidence if e.unanswered), None)
    if unanswered is not None and status in ("passed", "failed") and not answered_violation(error):
        status, message = "not_checked", f"not checked: {unanswered.error}"
    picked = (evidence[:1] + evidence[-2:]) if len(evidence) > 3 else evidence
    outcome = CaseOutcome(case=ended.case, nodeid=ended.nodeid, requirements=requirements, status=status,
                          message=message, evidence=[e.to_dict(redact) for e in dict.fromkeys(picked)],
                          seconds=ended.seconds, blocked_by=blocked_by if status == "not_checked" else "")
    return Mapped(outcome, stops_run=stops_run, internal=internal)


def answered_violation(error: BaseException | None) -> bool:
    """A rule broken by an answer the target did give stands, whatever else it left unanswered."""
    return isinstance(error, Violation) and error.exchange is not None and not error.exchange.unanswered


def failure_message(error: BaseException | None, report_text: str) -> str:
    """The message of a failed case: the checker's own exceptions speak for themselves; anything else is named."""
    if isinstance(error, (Violation, UnsafeRequest, BudgetExhausted, TargetUnusable)):
        return str(error)
    if isinstance(error, BaseExceptionGroup):
        titles = "; ".join(dict.fromkeys(getattr(e, "title", type(e).__name__) for e in error.exceptions))
        return f"{titles}\n{error}"[:3000]
    if error is not None:
        return f"{type(error).__name__}: {error}"[:2000]
    return report_text[-2000:]
