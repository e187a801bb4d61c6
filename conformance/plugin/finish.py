"""The end of a run: cleanup of what it created, the report and its verdict, the baseline, and the terminal summary."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance import baseline, report
from conformance.cleanup import delete_leftovers
from conformance.plugin.keys import (BASELINE, CLIENT, CONFIG, INTERNAL, INTERNAL_TRACEBACK, OBSERVATIONS, OUTCOMES,
                                     STARTED, STATE, UNUSABLE)
from conformance.plugin.probe import probed
from conformance.results import REPORT, summarize

INTERNAL_ERROR_FILE = "internal-error.txt"
_SESSION_FLAGS: dict[str, bool] = {}


@pytest.hookimpl(tryfirst=True)  # before the terminal's, which may fail
def pytest_keyboard_interrupt(excinfo) -> None:
    _SESSION_FLAGS["interrupted"] = True


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if CLIENT not in config.stash or config.option.collectonly:
        return
    client, run = config.stash[CLIENT], config.stash[CONFIG]
    try:
        probed(config)  # interrupted during collection: the probe's contacts are cleaned up too
    except Exception:  # noqa: BLE001 - its failure was no verdict; cleanup goes on
        pass
    leak_check = _why_no_leak_check(config)
    leaked = delete_leftovers(client, verify=not leak_check)
    if config.getoption("har"):
        from conformance.traffic import har_writer
        har_writer.write(config.getoption("har"), client.history)
    unusable = config.stash.get(UNUSABLE, None)
    internal = config.stash.get(INTERNAL, None)
    meta = {
        "target": run.base_url, "profile": run.profile.name, "seed": run.seed, "run_tag": run.run_tag,
        "allow_writes": run.allow_writes,
        "seconds": round(time.monotonic() - config.stash.get(STARTED, time.monotonic()), 2),
        "requests": client.ledger.requests,
        "rate_limited": {"responses": client.ledger.rate_limited,
                         "waited_s": round(client.ledger.rate_limit_wait_s, 1),
                         "lowest_in_flight_bound": client.ledger.lowest_limit or run.concurrency},
        "concurrency": {"bound": run.concurrency, "peak_in_flight": client.session.limit.peak},
        "settle": {"waits": len(client.ledger.settle_waits), "waited_s": round(sum(client.ledger.settle_waits), 2),
                   "limit_s": run.settle},
        "data": {"created": len(client.ledger.created), "deleted": len(client.ledger.created - set(leaked)),
                 "leaked": leaked, **({"leak_check": leak_check} if leak_check else {})},
        "hangs": {"classes": sorted(client.ledger.hangs), "waited_s": round(sum(client.ledger.hangs.values()), 1)},
        "resent": client.ledger.resent,
    }
    if STATE in config.stash:
        meta["state"] = {"kept": config.stash[STATE].kept, "message": config.stash[STATE].message}
    # cases side by side observe in any order: the report lists what was observed in one order on every rerun
    observed = {requirement: sorted(notes) for requirement, notes in config.stash[OBSERVATIONS].items()}
    interrupted = _SESSION_FLAGS.pop("interrupted", False)
    if config.getoption("report_dir"):  # a traceback of an earlier run's error must not pass for this run's
        trace = Path(config.getoption("report_dir")) / INTERNAL_ERROR_FILE
        trace.unlink(missing_ok=True)
        if internal and INTERNAL_TRACEBACK in config.stash:
            trace.parent.mkdir(parents=True, exist_ok=True)
            trace.write_text(config.stash[INTERNAL_TRACEBACK], encoding="utf-8")
            internal += f" (traceback in {trace})"
    result = summarize(config.stash[OUTCOMES], observed, config.stash[BASELINE], meta, unusable=unusable or "",
                       interrupted=interrupted, error=internal or "", require_complete=run.require_complete,
                       pytest_exit=int(exitstatus))
    config.stash[REPORT] = result
    if config.getoption("report_dir"):
        report.write_all(result, config.getoption("report_dir"))
    if run.step_summary:
        report.append_summary(result, run.step_summary)
    if config.getoption("update_baseline") and config.getoption("baseline"):
        baseline.write(config.getoption("baseline"), result)
    session.exitstatus = result["exit_code"]


def _why_no_leak_check(config: pytest.Config) -> str:
    """Why the account is not searched for leftovers: a target that keeps no state lists its examples, not what it
    was sent, so nothing it lists is ours and nothing can be left behind ('' when the search runs)."""
    if not config.stash[CONFIG].profile.checks_state:
        return "not done: the contract profile assumes a target that keeps nothing, so nothing can be left behind"
    if STATE in config.stash and config.stash[STATE].kept is False:
        return "not done: the target keeps no state and never listed what this run created"
    return ""


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    result = config.stash.get(REPORT, None)
    if result:
        terminalreporter.write_line("")
        lines = report.terminal_lines(result)
        hangs, leak_check = result["hangs"], result["data"].get("leak_check")
        if hangs["classes"]:
            lines.insert(-1, f"unanswered: {', '.join(hangs['classes'])} (waited {hangs['waited_s']} s; later "
                             "requests of the same kind were not sent)")
        if leak_check:
            lines.insert(-1, f"leak check: {leak_check}")
        if result.get("resent"):
            lines.insert(-1, f"resent: {result['resent']} requests the target dropped unanswered (a kept-alive "
                             "connection it closed as they arrived), each once on a fresh connection")
        for line in lines:
            terminalreporter.write_line(line)
