"""The case layer end to end: one broken rule fails its own requirement only (the cases that could not set up say
why, naming it), and a seed sends the same requests whatever the concurrency."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from conformance.mock.faults import REGISTRY
from conformance.results import CaseOutcome, summarize
from tests.conftest import ROOT, run_cli


def report_of(tmp_path, fault: str) -> dict:
    done = run_cli("run", "--profile", "quick", "--seed", "7", "--settle", "0.3", "--reference-fault", fault,
                   "--report-dir", str(tmp_path))
    assert done.returncode == 1, done.stdout[-2000:]
    return {r["id"]: r for r in json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["requirements"]}


def must_failures(requirements: dict) -> set[str]:
    return {i for i, r in requirements.items() if r["level"] == "MUST" and r["status"] == "failed"}


def test_rejecting_valid_nanp_phones_fails_only_the_valid_phone_requirement(tmp_path):
    requirements = report_of(tmp_path, "rejects_nanp_phones")
    assert must_failures(requirements) == {"CREATE-VALID-PHONE-ACCEPTED"}
    failure = requirements["CREATE-VALID-PHONE-ACCEPTED"]["failures"][0]["message"]
    assert "+1" in failure and "region US" in failure


@pytest.mark.parametrize(("fault", "requirement", "blocked_case"), [
    ("delete_not_removed", "DELETE-FREES-PHONE", "test_phone_is_free_after_delete"),
    ("list_wraps_in_items", "LIST-FILTER-BY-LIST", "test_list_filter_returns_exactly_members"),
])
def test_cases_that_cannot_set_up_say_why_and_only_declared_rules_fail(tmp_path, fault, requirement, blocked_case):
    requirements = report_of(tmp_path, fault)
    deviation = REGISTRY[fault]
    own_cases = {i for i in must_failures(requirements) if not i.startswith("SPEC-")}  # schemathesis sees it too
    assert deviation.breaks in own_cases and own_cases <= {deviation.breaks, *deviation.also_breaks}, own_cases
    case = next(c for c in requirements[requirement]["cases"] if c["case"] == blocked_case)
    assert case["status"] == "not_checked" and case["message"].startswith("not checked:"), case


def test_blocked_by_reaches_the_requirement_entry():
    outcome = CaseOutcome(case="test_phone_is_free_after_delete", nodeid="x", requirements=("DELETE-FREES-PHONE",),
                          status="not_checked", message="not checked: could not create the contact to delete: 422",
                          blocked_by="CREATE-201-CREATED")
    entry = {r["id"]: r for r in summarize([outcome], {}, set(), {})["requirements"]}["DELETE-FREES-PHONE"]
    assert entry["blocked_by"] == ["CREATE-201-CREATED"] and entry["status"] == "not_checked"


ACCOUNT_PAGE_AFTER_FIRST = re.compile(r"GET /v1/contacts\?page=([2-9]|[1-9][0-9]+)(&per_page=[0-9]+)? $")


def test_a_seed_sends_the_same_requests_at_every_concurrency_and_another_seed_does_not():
    def requests_of_a_run(seed: str, concurrency: str) -> list[str]:
        done = subprocess.run([sys.executable, "-m", "tests.record_requests", seed, concurrency], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        return json.loads(done.stdout.rsplit("REQUESTS ", 1)[1])
    one, eight, other = requests_of_a_run("42", "1"), requests_of_a_run("42", "8"), requests_of_a_run("43", "8")
    # the race of parallel creates runs only with two or more in flight (and what it created is deleted)
    assert any('"Parallel ' in r for r in eight) and not any('"Parallel ' in r for r in one)
    eight, other = ([r for r in run if '"Parallel ' not in r] for run in (eight, other))
    # a walk of the whole account reads as many pages as the account holds at that moment: side by side, other
    # cases' contacts come and go beside it, so its pages after the first are not part of the comparison
    one, eight, other = ([r for r in run if r != "DELETE /v1/contacts/ " and not ACCOUNT_PAGE_AFTER_FIRST.match(r)]
                         for run in (one, eight, other))
    assert len(one) > 100
    assert one == eight, sorted(set(one) ^ set(eight))[:5]
    assert other != eight
