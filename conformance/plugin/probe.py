"""The target probe at session start: one GET /contacts says whether anything can be checked at all, and a target
that takes writes is asked, beside the collection of the cases, whether it keeps what it is sent."""
from __future__ import annotations

import threading
import time
from concurrent.futures import Future

import pytest

from conformance.errors import BudgetExhausted, TargetUnusable
from conformance.plugin.keys import CLIENT, CONFIG, FACTORY, PROBING, STARTED, STATE, UNUSABLE
from conformance.state_probe import probe_state


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    config.stash[STARTED] = time.monotonic()
    if config.option.collectonly:
        return
    client = config.stash[CLIENT]
    run = config.stash[CONFIG]
    try:
        probe = client.list(per_page=1)
    except (TargetUnusable, BudgetExhausted) as exc:
        unusable(config, str(exc))
        return
    if probe.error:
        unusable(config, f"cannot reach {run.base_url}: {probe.error}")
    elif probe.status in (401, 403):
        unusable(config, f"the target rejected the API key on GET /contacts ({probe.status}): check your key")
    elif probe.status == 404:
        unusable(config, f"GET {run.base_url}/contacts answered 404: is the base URL right (it ends in /v1)?")
    elif run.allow_writes and run.profile.checks_state:
        # its round trips overlap the collection of the cases; its verdict is needed once they are collected
        probing = config.stash[PROBING] = Future()

        def probe() -> None:
            try:
                probing.set_result(probe_state(client, config.stash[FACTORY], run.run_list("state")))
            except BaseException as exc:  # noqa: BLE001 - raised again in the main thread
                probing.set_exception(exc)
        threading.Thread(target=probe, name="conformance-state-probe", daemon=True).start()


def probed(config: pytest.Config) -> None:
    """Wait for the state probe, if it runs: its creates must be recorded before anything is judged or cleaned."""
    probing = config.stash.get(PROBING, None)
    if probing is not None:
        del config.stash[PROBING]
        config.stash[STATE] = probing.result()


def unusable(config: pytest.Config, message: str) -> None:
    """Nothing can be checked: no case runs, and the report says why (exit 3)."""
    config.stash[UNUSABLE] = message
