"""What a case's ending means (conformance/plugin/outcomes.py), from plain values: no pytest run, no server."""
from __future__ import annotations

import pytest

from conformance.errors import BudgetExhausted, TargetUnusable
from conformance.exchange import Exchange
from conformance.plugin.outcomes import Ended, failure_message, map_outcome
from conformance.results import Violation

KEY = "sekret-key"
RULES = ("RULE-A", "RULE-B")


def exchange(status: int | None = 200, text: str = "{}", error: str | None = None, unanswered: bool = False,
             path: str = "/contacts") -> Exchange:
    return Exchange("GET", f"http://target/v1{path}", {}, None, status=status, text=text, error=error,
                    unanswered=unanswered)


def redact(text: str) -> str:
    return text.replace(KEY, "[REDACTED]")


def mapped(checker_fault: bool = False, **fields):
    asked = []

    def is_checker_fault(error: BaseException) -> bool:
        asked.append(error)
        return checker_fault
    result = map_outcome(Ended(case="test_x", nodeid="cases/test_x.py::test_x", requirements=RULES, **fields),
                         redact, is_checker_fault)
    return result, asked


def urls(outcome) -> list[str]:
    return [e["request"]["url"] for e in outcome.evidence]


def test_a_passed_case_shows_its_first_and_last_two_exchanges():
    sent = [exchange(path=f"/contacts?page={n}") for n in range(5)]
    result, _ = mapped(evidence=sent, seconds=1.5)
    outcome = result.outcome
    assert (outcome.status, outcome.message, outcome.requirements, outcome.seconds) == ("passed", "", RULES, 1.5)
    assert urls(outcome) == [f"http://target/v1/contacts?page={n}" for n in (0, 3, 4)]
    assert not result.stops_run and not result.internal


@pytest.mark.parametrize("reason, status", [
    ("Skipped: not checked: writes are off", "not_checked"),
    ("inconclusive: meta.total changed mid-walk", "inconclusive"),
])
def test_a_skipped_case_is_not_checked_or_inconclusive_as_its_reason_says(reason, status):
    outcome = mapped(skipped=reason, blocked_by="CREATE-201-CREATED")[0].outcome
    assert outcome.status == status and outcome.message == reason.removeprefix("Skipped: ")
    assert outcome.blocked_by == ("CREATE-201-CREATED" if status == "not_checked" else "")


def test_a_violation_of_one_of_the_cases_rules_blames_that_rule_and_leads_with_its_exchange():
    first, broken = exchange(), exchange(status=500, path="/contacts/cnt_1")
    error = Violation(f"got 500 echoing {KEY}", broken, "RULE-B")
    outcome = mapped(failed=True, error=error, evidence=[first, broken])[0].outcome
    assert (outcome.status, outcome.requirements) == ("failed", ("RULE-B",))
    assert outcome.message == "got 500 echoing [REDACTED]"
    assert urls(outcome) == ["http://target/v1/contacts/cnt_1", "http://target/v1/contacts"]


def test_a_violation_of_a_rule_the_case_relies_on_leaves_it_not_checked_and_blocked_by_that_rule():
    error = Violation("created_at does not parse", exchange(status=201), "CREATE-CREATED-AT-ISO-UTC")
    outcome = mapped(failed=True, error=error)[0].outcome
    assert (outcome.status, outcome.requirements) == ("not_checked", RULES)
    assert outcome.message == "not checked: created_at does not parse"
    assert outcome.blocked_by == "CREATE-CREATED-AT-ISO-UTC"


def test_a_violation_without_a_requirement_fails_every_rule_of_the_case():
    outcome = mapped(failed=True, error=Violation("wrong", exchange()))[0].outcome
    assert (outcome.status, outcome.requirements, outcome.blocked_by) == ("failed", RULES, "")


def test_a_used_up_budget_is_not_checked_and_never_asks_whose_fault_it_is():
    (result, asked) = mapped(failed=True, error=BudgetExhausted("the request budget of 120 is used up"))
    assert (result.outcome.status, result.outcome.message) == ("not_checked", "the request budget of 120 is used up")
    assert asked == [] and not result.internal


def test_a_target_that_became_unusable_stops_the_run():
    result, asked = mapped(failed=True, error=TargetUnusable(f"rate-limited beyond the wait limit ({KEY})"))
    assert result.outcome.status == "inconclusive" and result.stops_run and asked == []
    assert result.outcome.message == "rate-limited beyond the wait limit ([REDACTED])"


def test_a_bug_of_the_checker_is_not_checked_names_the_case_and_is_internal():
    error = TypeError("unsupported operand type(s) for +: 'int' and 'str'\nsecond line")
    result, asked = mapped(checker_fault=True, failed=True, error=error)
    assert asked == [error] and result.internal and not result.stops_run
    assert result.outcome.status == "not_checked"
    assert result.outcome.message == ("internal error in cases/test_x.py::test_x: TypeError: unsupported operand "
                                      "type(s) for +: 'int' and 'str'")


def test_the_requirements_a_case_blamed_narrow_a_failure_that_names_none():
    error = ValueError("schemathesis check failed")
    assert mapped(failed=True, error=error, blamed={"RULE-A"})[0].outcome.requirements == ("RULE-A",)
    assert mapped(failed=True, error=error, blamed={"ELSEWHERE"})[0].outcome.requirements == RULES
    assert mapped(failed=True, error=error)[0].outcome.requirements == RULES


def test_a_request_left_unanswered_leaves_the_case_not_checked():
    hung = exchange(status=None, error="GET /contacts went unanswered for 15 s", unanswered=True)
    outcome = mapped(evidence=[exchange(), hung])[0].outcome
    assert (outcome.status, outcome.message) == ("not_checked", "not checked: GET /contacts went unanswered for 15 s")
    failed = mapped(failed=True, error=ValueError("x"), evidence=[hung])[0].outcome
    assert failed.status == "not_checked"
    assert mapped(failed=True, error=Violation("no answer", hung), evidence=[hung])[0].outcome.status == "not_checked"


def test_a_rule_broken_by_an_answer_stands_whatever_else_went_unanswered():
    hung = exchange(status=None, error="went unanswered", unanswered=True)
    answered = exchange(status=500)
    outcome = mapped(failed=True, error=Violation("got 500", answered), evidence=[hung, answered])[0].outcome
    assert (outcome.status, outcome.message) == ("failed", "got 500")


def test_a_failure_message_names_what_was_raised_or_quotes_pytest():
    group = BaseExceptionGroup("2 checks failed", [ValueError("a"), ValueError("b")])
    assert failure_message(group, "").startswith("ValueError\n2 checks failed")
    assert failure_message(KeyError("id"), "") == "KeyError: 'id'"
    assert failure_message(None, "x" * 2500 + "end") == ("x" * 2500 + "end")[-2000:]
    assert failure_message(Violation("expected 201"), "ignored") == "expected 201"
