"""Records each case's outcome as pytest reports it (what it means is outcomes.py's to say)."""
from __future__ import annotations

import traceback

import pytest

from conformance.checker_faults import is_checker_fault
from conformance.plugin.keys import (BLAMED, BLOCKED_BY, CLIENT, INTERNAL, INTERNAL_TRACEBACK, OUTCOMES, RAN, UNUSABLE,
                                     requirements_of)
from conformance.plugin.outcomes import Ended, map_outcome


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    rep = yield
    if rep.when == "call" or (rep.when == "setup" and not rep.passed):
        item.config.stash[OUTCOMES].append(_outcome(item, call, rep))
    return rep


def _outcome(item: pytest.Item, call: pytest.CallInfo, rep: pytest.TestReport):
    redact = item.config.stash[CLIENT].session.redact
    ran = item.stash.get(RAN, None)  # a case not run side by side (skipped at setup) sent nothing
    skipped = None
    if rep.skipped:
        skipped = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
    ended = Ended(case=getattr(item, "originalname", item.name), nodeid=item.nodeid,
                  requirements=requirements_of(item), skipped=skipped, failed=rep.failed,
                  error=call.excinfo.value if call.excinfo else None,
                  report_text=str(rep.longrepr) if rep.failed else "",
                  evidence=list(ran.exchanges) if ran else [], seconds=ran.seconds if ran else rep.duration,
                  blamed=item.stash.get(BLAMED, set()), blocked_by=item.stash.get(BLOCKED_BY, ""))
    mapped = map_outcome(ended, redact, lambda error: is_checker_fault(error, item.path.parent))
    message = mapped.outcome.message
    if mapped.stops_run:
        item.config.stash[UNUSABLE] = message
        item.session.shouldstop = f"target unusable: {message}"
    if mapped.internal and INTERNAL not in item.config.stash:
        item.config.stash[INTERNAL] = message
        trace = "".join(traceback.format_exception(ended.error))
        item.config.stash[INTERNAL_TRACEBACK] = redact(f"{message}\n\n{trace}")
    return mapped.outcome
