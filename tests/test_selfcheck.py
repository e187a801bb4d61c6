"""The checker proves itself: every reference fault caught by the requirement it breaks, no false alarms."""
from __future__ import annotations

import json

import pytest

from conformance.mock.faults import faults, variants
from tests.conftest import ROOT, run_cli


@pytest.mark.slow
def test_selfcheck_catches_every_fault_and_passes_every_variant():
    done = run_cli("selfcheck", timeout=900)
    summary = json.loads((ROOT / "reports" / "selfcheck.json").read_text(encoding="utf-8"))
    missed = [t["name"] for t in summary["trials"] if not t["ok"]]
    assert done.returncode == 0 and not missed, f"missed or false alarms: {missed}\n{done.stdout[-3000:]}"
    assert summary["faults"] == len(faults()) and summary["score"] == 1.0 and summary["false_alarms"] == 0
    assert len(summary["trials"]) == 1 + len(faults()) + len(variants())
