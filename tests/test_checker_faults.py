"""The checker's own errors are its own: an exception raised by a case's code ends the run with exit 4 and names the
case, with the traceback in the report directory, and no requirement fails for it; what the target caused does."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from conformance.checker_faults import is_checker_fault
from conformance.errors import BudgetExhausted, CheckerBug
from conformance.mock.server import BackgroundServer
from conformance.report.wording import case_title
from conformance.results import Violation
from tests.conftest import API_KEY, ROOT


def raised(action) -> BaseException:
    try:
        action()
    except BaseException as exc:  # noqa: BLE001 - the exception is the test's subject
        return exc
    raise AssertionError("nothing was raised")


def test_a_programming_error_raised_in_the_checker_is_the_checkers():
    error = raised(lambda: case_title(None))  # AttributeError inside conformance/report/wording.py
    assert isinstance(error, AttributeError) and is_checker_fault(error)


def test_a_programming_error_raised_in_the_cases_folder_is_the_checkers(tmp_path):
    error = raised(lambda: {}["data"])  # raised in this file: ours only when this folder holds the cases
    assert not is_checker_fault(error)
    assert is_checker_fault(error, Path(__file__).parent)


def test_what_a_target_causes_stays_a_finding_or_not_checked():
    assert not is_checker_fault(raised(lambda: json.loads("<html>not json</html>")))  # raised in the decoder
    assert not is_checker_fault(raised(lambda: requests.get("http://127.0.0.1:9/", timeout=1)))
    for error in (Violation("expected 201, got 500"), BudgetExhausted("the request budget is used up")):
        assert not is_checker_fault(raised(lambda error=error: (_ for _ in ()).throw(error)), ROOT)


def test_kinds_no_target_can_cause_are_the_checkers_wherever_raised():
    assert is_checker_fault(CheckerBug("request.param is not available"))
    assert is_checker_fault(ImportError("no module named x"))


def test_a_group_with_one_bug_of_ours_is_ours():
    bug = raised(lambda: case_title(None))
    assert is_checker_fault(ExceptionGroup("two failures", [Violation("got 500"), bug]))
    assert not is_checker_fault(ExceptionGroup("two failures", [Violation("got 500"), Violation("got 502")]))


BUGGY_CASE = '''
import pytest

from conformance.results import expect


@pytest.mark.requirement("LIST-RESPONSE-SHAPE")
def test_list_response_has_data_and_meta(client):
    exchange = client.list(per_page=5)
    expect(exchange.status == 200, f"expected 200, got {exchange.status}", exchange)
    return exchange.status + " seconds"  # the injected bug: a number plus a string


@pytest.mark.requirement("LIST-PER-PAGE-MAX-100")
def test_unrelated_case_still_judges(client):
    expect(client.list(per_page=100).status == 200, "a page of 100 is allowed")
'''


def test_a_bug_in_a_case_ends_the_run_with_exit_4_naming_the_case(tmp_path):
    cases, out = tmp_path / "cases", tmp_path / "reports"
    cases.mkdir()
    (cases / "test_buggy.py").write_text(BUGGY_CASE, encoding="utf-8")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("ZEXA_", "PYTEST_"))}, "ZEXA_API_KEY": API_KEY}
    with BackgroundServer(api_key=API_KEY) as server:
        # the checker's pytest plugin (conformance/cases/conftest.py) loaded by name, running one extra case file
        done = subprocess.run([sys.executable, "-m", "pytest", str(cases), "-p", "conformance.cases.conftest",
                               "--base-url", server.base_url, "--report-dir", str(out), "-p", "no:cacheprovider",
                               "-c", os.devnull, "--rootdir", str(cases), "-q"],
                              capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert done.returncode == 4, done.stdout[-3000:] + done.stderr[-2000:]
    result = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert result["verdict"] == "error" and result["exit_code"] == 4
    assert result["error"].startswith("internal error in test_buggy.py::test_list_response_has_data_and_meta: TypeError: ")
    assert len(result["error"].splitlines()) == 1
    assert [r["id"] for r in result["requirements"] if r["status"] == "failed"] == []
    statuses = {r["id"]: r["status"] for r in result["requirements"]}
    assert statuses["LIST-PER-PAGE-MAX-100"] == "passed" and statuses["LIST-RESPONSE-SHAPE"] == "not_checked"
    trace = (out / "internal-error.txt").read_text(encoding="utf-8")
    assert "Traceback" in trace and 'return exchange.status + " seconds"' in trace and API_KEY not in trace
