"""The verdict: PASS only when every MUST rule was judged or could not apply, PARTIAL when the run's settings or
budget kept rules from being judged, and the exit code each verdict gives (decided in one place)."""
from __future__ import annotations

import json

import pytest

from conformance import results
from conformance.requirements import Requirement, catalogue
from conformance.results import CaseOutcome, decide, summarize, why_not_judged
from tests.conftest import run_cli

RULE = Requirement("SOME-RULE", "MUST", "create", "C, Add a Contact", ("test_some_rule",))
RACE = Requirement("RACE-RULE", "MUST", "create", "C, Add a Contact", ("test_race",), needs_in_flight=2)
STATEFUL = Requirement("STATE-RULE", "MUST", "listing", "C, List Contacts", ("test_state",), needs_state=True)


def outcome(status: str, message: str = "", blocked_by: str = "", evidence: list | None = None) -> CaseOutcome:
    return CaseOutcome("test_some_rule", "cases/test_x.py::test_some_rule", ("SOME-RULE",), status, message,
                       evidence or [], blocked_by=blocked_by)


@pytest.mark.parametrize("message", [
    "not checked: the target answered no request of this run with 429",
    "not checked: creates can only race with two or more requests in flight (--concurrency is 1)",
    "not checked: the contract profile makes no claim that needs state",
    "not checked: the default profile has no stateful phase",
])
def test_a_rule_that_could_not_apply_leaves_the_run_complete(message):
    assert why_not_judged(RULE, [outcome("not_checked", message)], 8, True) == results.COULD_NOT_APPLY


@pytest.mark.parametrize("message, reason", [
    ("not checked: the case creates or deletes data and writes are off for this target (pass --allow-writes, or "
     "set ZEXA_ALLOW_WRITES=1)", results.WRITES_OFF),
    ("not checked: the request budget of 120 is used up", results.BUDGET),
    ("not checked: the target would not add a contact to list lst_zxconf_x_probe; pass --list-ids with a list of "
     "the account", results.LISTS_REFUSED),
    ("not checked: the target does not take the run's list ids, and only a list finds these contacts",
     results.LISTS_REFUSED),
    ("not checked: the run stopped before this case started", results.NOT_RUN),
    ("not checked: created_at does not parse (CREATE-CREATED-AT-ISO-UTC reports it)", results.BLOCKED),
    ("not checked: something no case says today", results.OTHER),
])
def test_a_rule_the_settings_or_budget_kept_from_judging_makes_the_run_partial(message, reason):
    assert why_not_judged(RULE, [outcome("not_checked", message)], 8, True) == reason


def test_structure_of_the_rule_and_the_run_decides_before_any_message():
    writes_off = outcome("not_checked", "not checked: … writes are off for this target")
    assert why_not_judged(RACE, [writes_off], 1, True) == results.COULD_NOT_APPLY
    assert why_not_judged(RACE, [writes_off], 2, True) == results.WRITES_OFF
    assert why_not_judged(STATEFUL, [], 8, False) == results.COULD_NOT_APPLY
    assert why_not_judged(STATEFUL, [], 8, True) == results.NOT_RUN


def test_one_judging_case_is_enough_and_one_skipped_case_by_setting_is_enough_to_count():
    no_429 = outcome("not_checked", "not checked: the target answered no request of this run with 429")
    writes_off = outcome("not_checked", "not checked: … writes are off for this target")
    assert why_not_judged(RULE, [no_429, outcome("passed")], 8, True) is None
    assert why_not_judged(RULE, [writes_off, outcome("failed", "boom")], 8, True) is None
    assert why_not_judged(RULE, [no_429, writes_off], 8, True) == results.WRITES_OFF


def test_inconclusive_blocked_and_unanswered_cases_are_not_judged():
    assert why_not_judged(RULE, [outcome("inconclusive", "inconclusive: meta.total changed mid-walk")], 8,
                          True) == results.INCONCLUSIVE
    assert why_not_judged(RULE, [outcome("not_checked", "not checked: could not create the contact: 500",
                                         blocked_by="CREATE-201-CREATED")], 8, True) == results.BLOCKED
    hung = outcome("not_checked", "not checked: POST /contacts went unanswered for 15 s",
                   evidence=[{"error": "POST /contacts went unanswered for 15 s"}])
    assert why_not_judged(RULE, [hung], 8, True) == results.UNANSWERED


@pytest.mark.parametrize("kwargs, expected", [
    ({}, ("pass", 0)),
    ({"not_judged": {results.WRITES_OFF: ["A"]}}, ("partial", 0)),
    ({"not_judged": {results.WRITES_OFF: ["A"]}, "require_complete": True}, ("partial", 1)),
    ({"require_complete": True}, ("pass", 0)),
    ({"new_failures": ["A"], "not_judged": {results.WRITES_OFF: ["B"]}}, ("fail", 1)),
    ({"leaked": ["cnt_1"]}, ("fail", 1)),
    ({"new_failures": ["A"], "error": "internal error: x"}, ("error", 4)),
    ({"new_failures": ["A"], "interrupted": True}, ("interrupted", 130)),
    ({"interrupted": True, "unusable": "cannot reach"}, ("unusable", 3)),
])
def test_decide_gives_each_verdict_its_exit_code(kwargs, expected):
    assert decide(**{"new_failures": [], "leaked": [], "not_judged": {}, **kwargs}) == expected


@pytest.mark.parametrize("pytest_exit, kwargs, expected", [
    (pytest.ExitCode.OK, {}, ("pass", 0)),
    (pytest.ExitCode.TESTS_FAILED, {}, ("pass", 0)),  # a failed case is a finding: the report judges it
    (pytest.ExitCode.NO_TESTS_COLLECTED, {"not_judged": {results.NOT_RUN: ["A"]}}, ("partial", 0)),
    (pytest.ExitCode.INTERNAL_ERROR, {"new_failures": ["A"]}, ("error", 4)),
    (pytest.ExitCode.USAGE_ERROR, {}, ("error", 4)),
    (pytest.ExitCode.INTERRUPTED, {}, ("error", 4)),  # pytest stopped without a keyboard interrupt
    (pytest.ExitCode.INTERRUPTED, {"interrupted": True}, ("interrupted", 130)),
    (pytest.ExitCode.INTERRUPTED, {"unusable": "cannot reach"}, ("unusable", 3)),
])
def test_how_pytest_ended_a_reported_run_counts_only_when_it_failed(pytest_exit, kwargs, expected):
    assert decide(pytest_exit=pytest_exit, **kwargs) == expected


@pytest.mark.parametrize("pytest_exit, expected", [
    (pytest.ExitCode.USAGE_ERROR, ("usage", 2)),
    (pytest.ExitCode.INTERNAL_ERROR, ("error", 4)),
    (pytest.ExitCode.INTERRUPTED, ("error", 4)),
    (pytest.ExitCode.OK, ("error", 4)),  # a session that "passed" without the plugin's report checked nothing
])
def test_a_run_that_ended_before_its_report_is_a_usage_or_internal_error(pytest_exit, expected):
    assert decide(reported=False, pytest_exit=pytest_exit, new_failures=["A"]) == expected


def test_the_report_names_a_pytest_failure_as_the_checkers_and_keeps_the_cases_own_error():
    meta = {"profile": "default", "concurrency": {"bound": 8}}
    broke = summarize([], {}, set(), meta, pytest_exit=pytest.ExitCode.INTERNAL_ERROR)
    assert (broke["verdict"], broke["exit_code"], broke["error"]) == ("error", 4, results.CHECKER_FAILED)
    own = summarize([], {}, set(), meta, error="internal error in a.py::t: TypeError: x",
                    pytest_exit=pytest.ExitCode.INTERRUPTED)
    assert own["error"] == "internal error in a.py::t: TypeError: x"
    interrupted = summarize([], {}, set(), meta, interrupted=True, pytest_exit=pytest.ExitCode.INTERRUPTED)
    assert (interrupted["verdict"], interrupted["exit_code"]) == ("interrupted", 130)
    assert interrupted["error"] == results.CHECKER_FAILED  # the report still says pytest did not finish
    assert "error" not in summarize([], {}, set(), meta, pytest_exit=pytest.ExitCode.TESTS_FAILED)


def test_report_counts_must_rules_judged_and_groups_the_rest_by_reason():
    musts = [r for r in catalogue().values() if r.gates]
    judged, skipped = musts[0], musts[1]
    outcomes = [CaseOutcome("c1", "n1", (judged.id,), "passed"),
                CaseOutcome("c2", "n2", (skipped.id,), "not_checked", "not checked: … writes are off for this target")]
    meta = {"profile": "default", "concurrency": {"bound": 8}}
    result = summarize(outcomes, {}, set(), meta)
    complete = result["completeness"]
    assert complete["must_rules"] == len(musts) and complete["judged"] == 1
    assert complete["not_judged"][results.WRITES_OFF] == [skipped.id]
    assert complete["not_judged"][results.NOT_RUN] == [r.id for r in musts[2:] if r.needs_in_flight <= 8]
    assert result["verdict"] == "partial" and result["exit_code"] == 0
    assert summarize(outcomes, {}, set(), meta, require_complete=True)["exit_code"] == 1


@pytest.fixture(scope="module")
def read_only(tmp_path_factory):
    out = tmp_path_factory.mktemp("read-only")
    return run_cli("run", "--profile", "quick", "--seed", "3", "--report-dir", str(out),
                   env={"ZEXA_ALLOW_WRITES": "0"}), out


def test_read_only_run_says_partial_everywhere_and_exits_0(read_only):
    done, out = read_only
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "verdict: PARTIAL (exit 0)" in done.stdout
    result = json.loads((out / "report.json").read_text(encoding="utf-8"))
    complete = result["completeness"]
    assert result["verdict"] == "partial" and 0 < complete["judged"] < complete["must_rules"]
    assert "CREATE-409-DUPLICATE-PHONE" in complete["not_judged"][results.WRITES_OFF]
    assert f"MUST rules judged: {complete['judged']} of {complete['must_rules']}" in done.stdout
    assert "PARTIAL" in (out / "summary.md").read_text(encoding="utf-8")
    assert "PARTIAL" in (out / "report.html").read_text(encoding="utf-8")
    assert results.WRITES_OFF in (out / "summary.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("how", [("--require-complete",), ()])
def test_read_only_run_exits_1_when_a_complete_run_is_required(tmp_path, how):
    env = {"ZEXA_ALLOW_WRITES": "0", **({} if how else {"ZEXA_REQUIRE_COMPLETE": "1"})}
    done = run_cli("run", "--profile", "quick", "--seed", "3", "--report-dir", str(tmp_path), *how, env=env)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "verdict: PARTIAL (exit 1)" in done.stdout
