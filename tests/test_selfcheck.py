"""The checker proves itself: every reference fault caught by the requirement it breaks, no false alarms, and every
failure's evidence is what the server received."""
from __future__ import annotations

import json

import pytest

from conformance.mock.faults import faults, variants
from tests.conftest import ROOT, run_cli


@pytest.mark.slow
def test_selfcheck_catches_every_fault_and_passes_every_variant():
    # one seed; lists settle within 1 s here (the lagging variant lags 0.5 s), which keeps fault runs short; each
    # fault's server first gets only the cases of the rule it breaks, and each variant's the quick profile (`make
    # selfcheck` runs the whole default profile against every server)
    done = run_cli("selfcheck", "--seeds", "1", "--jobs", "6", "--settle", "1", "--targeted",
                   "--variant-profile", "quick", timeout=1200)
    summary = json.loads((ROOT / "reports" / "selfcheck.json").read_text(encoding="utf-8"))
    missed = [s["name"] for s in summary["servers"] if not s["ok"]]
    assert done.returncode == 0 and not missed, f"missed or false alarms: {missed}\n{done.stdout[-3000:]}"
    assert summary["faults"] == len(faults()) and summary["score"] == 1.0 and summary["false_alarms"] == 0
    assert len(summary["servers"]) == 1 + len(faults()) + len(variants())
    unmatched = [run["unmatched_evidence"] for s in summary["servers"] for run in s["runs"] if run["unmatched_evidence"]]
    assert not unmatched, f"evidence that is not what the server received: {unmatched[:3]}"
    assert summary["replays"]["same_status"] > len(faults()) // 2
    profiles = {(s["kind"], run["profile"]) for s in summary["servers"] for run in s["runs"]}
    assert profiles == {("faithful", "default"), ("fault", "default"), ("variant", "quick")}, profiles
    targeted = [s["name"] for s in summary["servers"] if all(run.get("only") for run in s["runs"])]
    assert len(targeted) > len(faults()) // 2 and all(name in {f.name for f in faults()} for name in targeted)


def test_a_false_alarm_says_what_failed_in_which_run():
    from conformance.selfcheck import Trial, table, verdicts
    clean = Trial("gzip_responses", "variant", (), 1, 8, 0, [], 1.0)
    alarm = Trial("gzip_responses", "variant", (), 2, 8, 1, ["SPEC-NO-SERVER-ERROR"], 1.0,
                  why=["SPEC-NO-SERVER-ERROR: the check could not finish: ConnectionError: reset"])
    lines = table(verdicts([clean, alarm]))
    assert "FLIPS" in lines[1]
    assert lines[2].strip() == "seed 2, 8 in flight: SPEC-NO-SERVER-ERROR: the check could not finish: ConnectionError: reset"
