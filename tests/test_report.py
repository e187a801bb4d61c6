"""The three views a person reads (report.html, summary.md, the terminal): plain wording, grouping, size, layout."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from conformance.report import html, markdown, terminal_lines
from conformance.report.findings import groups, headline
from conformance.report.wording import case_title, plain_message
from conformance.requirements import catalogue
from conformance.results import CaseOutcome, summarize

BASE = "http://127.0.0.1:8080/v1"
FORBIDDEN = re.compile(r"hypothesis|schemathesis|pytest|falsifying|flaky|unreliable|traceback|assert|exceptiongroup|"
                       r"subtest|test_\w+|\.py::", re.IGNORECASE)
# Messages as the test libraries phrase them (each ends in a sentence the report must keep).
LIBRARY_MESSAGES = {
    "CREATE-409-DUPLICATE-PHONE": "Falsifying example: test_duplicate_phone_is_409_conflict(\n"
                                  "    phone='+244912345678',\n)\nduplicate phone: expected 409, got 201",
    "CREATE-NAME-AS-PROVIDED": "Violation\nHypothesis test_unicode_names_come_back_exactly(new_contact=<ContactFactory"
                               " object at 0x7f>, name='Zoë') produces unreliable results: Failed on the first call but"
                               " did not on a subsequent one (1 sub-exception)",
    "SPEC-POSITIVE-DATA-ACCEPTED": "Schema-valid request rejected\nSchemathesis found 1 distinct failure\n\n"
                                   "- ST202 Schema-valid request rejected\n\n    Valid data should have been "
                                   "accepted\n    Expected: 2xx, 404, 409\n\n[422] Unprocessable Content:\n\n    `{}`\n\n"
                                   "Reproduce with:\n\n    curl -X POST http://x/contacts\n\n (1 sub-exception)",
    "CREATE-201-CREATED": "Traceback (most recent call last):\n  File \"conformance/cases/test_create.py\", line 9\n"
                          "E   AssertionError: assert 200 == 201\nconformance/cases/test_create.py::test_valid_contact",
    "LIST-ITEM-FIELDS": "Violation; AssertionError\nHypothesis found 2 distinct failures. (2 sub-exceptions)",
}


def exchange(body: str, status: int = 201, answer: str = '{"id": "cnt_1"}', method: str = "POST") -> dict:
    headers = {"Authorization": "Bearer [redacted]", "X-Schemathesis-TestCaseId": "r0AKPX"}
    return {"request": {"method": method, "url": f"{BASE}/contacts", "headers": headers, "body": body},
            "response": {"status": status, "headers": {"content-type": "application/json"}, "body": answer,
                         "truncated": False, "elapsed_s": 0.01},
            "error": None, "curl": f"curl -i -X {method} {BASE}/contacts -H 'Authorization: Bearer [redacted]' "
                                   f"-H 'X-Schemathesis-TestCaseId: r0AKPX' --data-binary '{body}'"}


def failed(requirement: str, message: str, *evidence: dict, case: str = "test_some_rule_holds", **extra) -> CaseOutcome:
    return CaseOutcome(case=case, nodeid=f"conformance/cases/test_x.py::{case}", requirements=(requirement,),
                       status="failed", message=message, evidence=list(evidence), **extra)


def report_of(outcomes: list[CaseOutcome]) -> dict:
    meta = {"target": BASE, "profile": "quick", "seed": 7, "run_tag": "1a2b3c4d", "requests": 120, "seconds": 2.5,
            "data": {"created": 3, "deleted": 3, "leaked": []}}
    return summarize(outcomes, {}, set(), meta)


def jargon_report() -> dict:
    return report_of([failed(rid, message, exchange(f'{{"n": {i}}}'), case="test_" + rid.lower().replace("-", "_"))
                      for i, (rid, message) in enumerate(LIBRARY_MESSAGES.items())])


def without_technical_details(page: str) -> str:
    return re.sub(r'<details class="technical">.*?</details>', "", page, flags=re.DOTALL)


def test_case_titles_and_plain_messages_read_as_sentences():
    assert case_title("test_duplicate_phone_is_409_conflict") == "duplicate phone is 409 conflict"
    plain = {rid: plain_message(message) for rid, message in LIBRARY_MESSAGES.items()}
    assert plain["CREATE-409-DUPLICATE-PHONE"] == "duplicate phone: expected 409, got 201"
    assert "name='Zoë'" in plain["CREATE-NAME-AS-PROVIDED"] and "passed" in plain["CREATE-NAME-AS-PROVIDED"]
    assert plain["SPEC-POSITIVE-DATA-ACCEPTED"].endswith("got 422 Unprocessable Content")
    assert plain["CREATE-201-CREATED"] == "check failed: 200 == 201"
    assert plain["LIST-ITEM-FIELDS"] == "2 different failures were found for this rule"
    assert len(plain_message("expected 201, got 422: " + "x" * 5000)) <= 300
    assert plain_message("test_phone_is_free_after_delete: got 500") == '"phone is free after delete": got 500'
    assert plain_message('expected 201, got 422: {"name": "test_user"}').endswith('"test_user"}')


def test_no_library_jargon_in_the_three_views():
    result = jargon_report()
    page = html.render(result)
    views = {"report.html": without_technical_details(page), "summary.md": markdown.render(result),
             "terminal": "\n".join(terminal_lines(result))}
    for name, text in views.items():
        assert not FORBIDDEN.search(text), f"{name}: {FORBIDDEN.search(text).group()!r} in a user-facing view"
        assert "duplicate phone: expected 409, got 201" in text
    assert "Falsifying example" in page and 'class="technical"' in page  # the raw text stays, collapsed
    assert "Found while checking: create 409 duplicate phone" in page


def test_summary_stays_under_60_lines_with_50_failures():
    ids = list(catalogue())
    result = report_of([failed(ids[i % len(ids)], f"failure {i}: expected 201, got 500", exchange(f'{{"i": {i}}}'))
                        for i in range(50)])
    result["data"]["leaked"] = [f"cnt_{i}" for i in range(100)]
    result["stale_baseline"] = [f"REQ-{i} [case]" for i in range(100)]
    lines = markdown.render(result).splitlines()
    assert len(lines) <= 60, len(lines)
    failing = len({ids[i % len(ids)] for i in range(50)})
    assert any(f"and {failing - markdown.MAX_LISTED} more, see report.html" in line for line in lines)


def test_failures_with_the_same_first_request_are_one_group():
    shared = exchange('{"name": "A", "phone": "+12015550123"}', 422, '{"error": "validation_error"}')
    result = report_of([
        failed("CREATE-VALID-PHONE-ACCEPTED", "+1 phone: expected 201, got 422", shared),
        failed("CREATE-201-CREATED", "valid contact: expected 201, got 422", shared),
        failed("CREATE-409-DUPLICATE-PHONE", "duplicate phone: expected 409, got 201", exchange('{"other": 1}')),
    ])
    found = [[f.requirement["id"] for f in group] for group in groups(result)]
    assert found == [["CREATE-VALID-PHONE-ACCEPTED", "CREATE-201-CREATED"], ["CREATE-409-DUPLICATE-PHONE"]]
    page = html.render(result)
    first_group = page.split('id="cause-1"')[1].split('id="cause-2"')[0]
    assert 'id="fail-CREATE-VALID-PHONE-ACCEPTED"' in first_group and 'id="fail-CREATE-201-CREATED"' in first_group
    assert "Failures (3, 2 root causes)" in page


def test_root_cause_groups_failures_and_leads_them_and_blocked_by_is_shown():
    result = report_of([
        failed("DELETE-FREES-PHONE", "creating the contact to delete: expected 201, got 422",
               exchange('{"phone": "+12462509710"}', 422), root_cause="CREATE-VALID-PHONE-ACCEPTED"),
        failed("CREATE-VALID-PHONE-ACCEPTED", "+1 phone: expected 201, got 422", exchange('{"phone": "+1201"}', 422),
               repro="curl -X POST step-one\ncurl -X DELETE step-two"),
        CaseOutcome(case="test_pages_partition_the_list", nodeid="n", requirements=("LIST-PAGES-PARTITION",),
                    status="not_checked", message="not checked: could not create the contact it needs: 422 "
                    "validation_error", blocked_by="CREATE-VALID-PHONE-ACCEPTED"),
    ])
    assert [[f.requirement["id"] for f in group] for group in groups(result)] == [
        ["CREATE-VALID-PHONE-ACCEPTED", "DELETE-FREES-PHONE"]]
    assert headline(result).requirement["id"] == "DELETE-FREES-PHONE"  # first seen leads the page
    page = html.render(result)
    assert "could not create the contact it needs: 422 validation_error (blocked by CREATE-VALID-PHONE-ACCEPTED" in page
    assert "curl -X POST step-one\ncurl -X DELETE step-two" in page
    assert 'Caused by <a href="#fail-CREATE-VALID-PHONE-ACCEPTED">' in page


def render_in_chromium(url: str, profile: Path, *flags: str) -> subprocess.CompletedProcess:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is required (make test installs Debian's chromium)"
    done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={profile}", *flags, url], capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-1000:]
    return done


def test_report_fits_a_phone_and_a_laptop_screen_in_chromium(tmp_path):
    long_line = '{"name": "' + "Ana Maria " * 60 + '", "phone": "+244' + "9" * 200 + '"}'
    result = report_of([failed(rid, message, exchange(long_line, 500, "x" * 3000), exchange('{"step": 2}'),
                               case="test_" + rid.lower().replace("-", "_"))
                        for rid, message in LIBRARY_MESSAGES.items()])
    page = tmp_path / "report.html"
    page.write_text(html.render(result), encoding="utf-8")
    for width in (1280, 390):
        shot = tmp_path / f"report-{width}.png"
        render_in_chromium(page.as_uri(), tmp_path / "profile", f"--screenshot={shot}", f"--window-size={width},2000")
        assert shot.stat().st_size > 10_000
    # Headless chromium's window is never narrower than 500 px, so the phone width is a 390 px frame; the report
    # (opened with #selftest) posts its scrollWidth and innerWidth to the frame's parent.
    frame = tmp_path / "phone.html"
    frame.write_text(f'<!doctype html><pre id="width"></pre><iframe src="{page.as_uri()}#selftest" width="390" '
                     'height="800" style="border:0"></iframe><script>addEventListener("message", function (e) '
                     '{ document.getElementById("width").textContent = e.data; });</script>', encoding="utf-8")
    dom = render_in_chromium(frame.as_uri(), tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom").stdout
    measured = json.loads(re.search(r'<pre id="width">(.*?)</pre>', dom).group(1))
    assert measured["innerWidth"] == 390 and measured["scrollWidth"] <= measured["innerWidth"], measured
    laid_out = render_in_chromium(page.as_uri(), tmp_path / "profile", "--dump-dom").stdout
    assert laid_out.index('id="headline"') < laid_out.index('id="cause-1"') < laid_out.index('id="area-create"')
    assert laid_out.count('class="copy"') == len(LIBRARY_MESSAGES) and "Step 2: Sent" in laid_out
    assert re.search(r'<details class="area" id="area-create"><summary>', laid_out)  # closed: no `open`
