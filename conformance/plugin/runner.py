"""The run loop of the conformance cases: which cases run, the side-by-side runner that runs them
(conformance/cases/side_by_side.py), and pytest's reporting of what each did, in order."""
from __future__ import annotations

import gc

import pytest

from conformance import case_context
from conformance.cases.fixtures import check
from conformance.cases.side_by_side import RUNNER, SideBySide
from conformance.plugin.keys import CLIENT, CONFIG, NO_STATE_CLAIMS, RAN, WRITES_OFF, requirements_of
from conformance.requirements import catalogue
from conformance.sampling import HYPOTHESIS, import_before_cases


def _not_run_because(item: pytest.Item) -> str | None:
    run = item.config.stash[CONFIG]
    if item.get_closest_marker("writes") and not run.allow_writes:
        return f"not checked: the case creates or deletes data and {WRITES_OFF}"
    requirements = requirements_of(item)
    if not run.profile.checks_state and requirements and all(catalogue()[r].needs_state for r in requirements):
        return NO_STATE_CLAIMS
    return None


def _case_threads(in_flight: int) -> int:
    """Cases at once against a slow target: enough that cases waiting on a shared fixture or on their own CPU work
    leave requests to fill the in-flight bound; one at a time when one request may be in flight."""
    return 1 if in_flight == 1 else min(2 * in_flight, 32)


def pytest_collection_finish(session: pytest.Session) -> None:
    check(session.items)


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session):
    config = session.config
    runner = None
    if not config.option.collectonly and not session.testsfailed and CLIENT in config.stash:
        client = config.stash[CLIENT]
        runner = SideBySide(session, [item for item in session.items if _not_run_because(item) is None],
                            workers=_case_threads(config.stash[CONFIG].concurrency),
                            on_thread=client.session.stop_with_run,
                            done_with=client.remove_created)
        config.stash[RUNNER] = runner
        import_before_cases()
    # What exists now (modules, the spec, the collected cases) lives for the whole run: kept out of every later
    # collection, hypothesis' per-thread gc.collect() and the automatic ones stop rescanning it
    gc.freeze()
    try:
        if runner is not None:
            runner.start()
        return (yield)
    except BaseException:  # interrupted: no case starts any more, and those running send nothing more
        if runner is not None:
            runner.stop()
            config.stash[CLIENT].drain()
        raise
    finally:
        if runner is not None:
            if session.shouldstop:  # the target became unusable: no further case starts
                runner.stop()
            runner.finish()  # the cases still running end first: pytest shows an interrupt once they have


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """pytest's protocol for one item, on what the runner did: the case's fixtures were resolved by the runner
    (pytest sets nothing up), and its outcome is raised again in the call phase."""
    runner = item.config.stash.get(RUNNER, None)
    if runner is None:
        return None
    reraise = (pytest.exit.Exception, KeyboardInterrupt)
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    setup = _report(item, pytest.CallInfo.from_call(lambda: _set_up(item), when="setup", reraise=reraise))
    if setup.passed:
        _report(item, pytest.CallInfo.from_call(lambda: _replay(runner, item), when="call", reraise=reraise))
    _report(item, pytest.CallInfo.from_call(lambda: None, when="teardown", reraise=reraise))
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def _set_up(item: pytest.Item) -> None:
    reason = _not_run_because(item)
    if reason:
        pytest.skip(reason)


def _replay(runner: SideBySide, item: pytest.Item) -> None:
    ran = runner.result(item)
    if ran is None:
        pytest.skip("not checked: the run stopped before this case started")
    item.stash[RAN] = ran
    if ran.error is not None:
        raise ran.error


# Reporting waits for hypothesis' turn behind every case that wants it: a report never delays a case.
_REPORTING = case_context.CaseContext("reporting", 0, 0, priority=1 << 30, metered=False)


def _report(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """In hypothesis' turn: showing a failure builds syntax trees, which cases' threads build only in that turn
    (see side_by_side.py)."""
    def report() -> pytest.TestReport:
        with HYPOTHESIS:
            made = item.ihook.pytest_runtest_makereport(item=item, call=call)
            item.ihook.pytest_runtest_logreport(report=made)
            if call.excinfo is not None and made.failed and not isinstance(call.excinfo.value, pytest.skip.Exception):
                item.ihook.pytest_exception_interact(node=item, call=call, report=made)
        return made
    return case_context.run_as(_REPORTING, report)
