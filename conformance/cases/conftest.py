"""Loads the checker's pytest plugin (conformance/plugin/) for `pytest conformance/cases --base-url …` and for
`conformance run`, and holds the side-by-side runner's hooks."""
from __future__ import annotations

import gc

import pytest

from conformance.cases import side_by_side
from conformance.plugin.keys import CLIENT, CONFIG, NO_STATE_CLAIMS, RAN, WRITES_OFF
from conformance.plugin.keys import requirements_of as _requirements
from conformance.requirements import catalogue

pytest_plugins = ["conformance.plugin"]


def _not_run_because(item: pytest.Item) -> str | None:
    run = item.config.stash[CONFIG]
    if item.get_closest_marker("writes") and not run.allow_writes:
        return f"not checked: the case creates or deletes data and {WRITES_OFF}"
    requirements = _requirements(item)
    if not run.profile.checks_state and requirements and all(catalogue()[r].needs_state for r in requirements):
        return NO_STATE_CLAIMS
    return None


def _case_threads(in_flight: int) -> int:
    """Cases at once: enough that cases waiting on a shared fixture or on their own CPU work leave requests to fill
    the in-flight bound; one at a time when one request may be in flight."""
    return 1 if in_flight == 1 else min(2 * in_flight, 32)


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session):
    config = session.config
    runner = None
    if not config.option.collectonly and not session.testsfailed and CLIENT in config.stash:
        client = config.stash[CLIENT]
        runner = side_by_side.SideBySide(session, [item for item in session.items if _not_run_because(item) is None],
                                         workers=_case_threads(config.stash[CONFIG].concurrency),
                                         on_thread=lambda: setattr(client.session._sending, "pooled", True),
                                         done_with=client.remove_created)
        config.stash[side_by_side.RUNNER] = runner
    # What exists now (modules, the spec, the collected cases) lives for the whole run: kept out of every later
    # collection, hypothesis' per-thread gc.collect() and the automatic ones stop rescanning it
    gc.freeze()
    try:
        if runner is not None:
            runner.start()
        return (yield)
    except BaseException:
        if runner is not None:  # interrupted: no case starts any more, and those running send nothing more
            runner.stop()
            config.stash[CLIENT].drain()
        raise
    finally:
        if runner is not None:
            if session.shouldstop:  # the target became unusable: no further case starts
                runner.stop()
            runner.finish()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    runner = pyfuncitem.config.stash.get(side_by_side.RUNNER, None)
    if runner is None or pyfuncitem.nodeid not in runner.futures:
        return None
    ran = runner.result(pyfuncitem)
    if ran is None:
        pytest.skip("not checked: the run stopped before this case started")
    pyfuncitem.stash[RAN] = ran
    side_by_side.replay(pyfuncitem, ran)
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    reason = _not_run_because(item)
    if reason:
        pytest.skip(reason)
