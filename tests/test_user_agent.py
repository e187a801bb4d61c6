"""Every request the checker sends says who sends it: the reference server's request log of a whole run, cleanup,
schemathesis' requests and the raw wire requests included, carries the checker's User-Agent and no other."""
from __future__ import annotations

import importlib.metadata

from conformance.session import USER_AGENT
from conformance.mock.request_log import read
from tests.conftest import run_cli


def test_every_request_of_a_run_carries_the_checkers_user_agent(tmp_path):
    log = tmp_path / "requests.jsonl"
    done = run_cli("run", "--profile", "quick", "--seed", "7", "--report-dir", str(tmp_path / "reports"),
                   "--reference-request-log", str(log))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert USER_AGENT == f"zexa-conformance/{importlib.metadata.version('zexa-conformance')} (+conformance checker)"
    entries = read(str(log))
    agents = [[value for name, value in entry["headers"] if name.lower() == "user-agent"] for entry in entries]
    assert len(entries) > 100 and all(found == [USER_AGENT] for found in agents), \
        next(e for e, found in zip(entries, agents) if found != [USER_AGENT])
    names = [{name.lower() for name, _ in entry["headers"]} for entry in entries]
    assert any("x-schemathesis-testcaseid" in found for found in names)  # schemathesis' own requests are in it
    assert any(entry["method"] == "DELETE" for entry in entries)  # and cleanup's
