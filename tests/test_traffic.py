"""`conformance judge FILE.har`: HAR files recorded by Playwright driving Debian's chromium against the reference
server, faithful and with faults, judged as a user judges their own traffic."""
from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.exchange import Exchange
from conformance.judgements import expected_create, judge_list, key_kind
from conformance.mock.faults import REGISTRY, variants
from conformance.mock.server import BackgroundServer
from conformance.traffic.judge import NO_TRAFFIC
from tests.conftest import API_KEY, run_cli
from tests.har_recording import SETTLE_S, browser, record  # noqa: F401 (browser: a fixture)

# Faults a short client session shows (one per rule the traffic judge enforces on its own and across exchanges);
# each must fail the rule it declares, judged from the HAR alone.
SHOWN_BY_TRAFFIC = [
    "any_key_accepted", "key_compared_case_insensitively", "missing_key_is_403", "validates_before_auth",
    "create_returns_200", "create_with_lists_returns_200", "missing_phone_is_422", "malformed_json_is_422",
    "json_trailing_garbage_ignored", "accepts_local_phone", "accepts_16_digit_phones",
    "phone_check_takes_trailing_newline", "accepts_malformed_email", "email_check_takes_trailing_newline",
    "two_problems_is_400", "id_prefix_dash", "created_at_without_zone", "created_at_30s_ahead_of_date",
    "echo_drops_lists", "email_plus_tag_dropped", "name_trimmed", "name_nfc_normalised", "errors_text_plain",
    "error_without_message", "error_codes_upper_case", "unauthorized_html_page", "default_per_page_20",
    "extra_row_for_has_more", "per_page_uncapped", "per_page_100_rejected", "meta_page_always_1",
    "meta_total_as_string", "list_wraps_in_items", "delete_returns_200_with_body", "delete_returns_202",
    "deleted_id_is_204_again", "deleted_id_is_410_gone", "malformed_id_is_400", "delete_not_removed",
    "unfiltered_list_shows_soft_deleted", "list_email_lowercased", "list_omits_email", "emoji_name_crashes",
    "rate_limit_without_retry_after", "rate_limit_plain_text", "duplicate_is_422",
]


# make test records a sample, one per kind of rule (auth, create status, echo, error body, paging, delete, across
# exchanges, 429); `make selfcheck` records every one (marker `sweep`).
SAMPLE_FAULTS = {"any_key_accepted", "validates_before_auth", "create_returns_200", "accepts_local_phone",
                 "accepts_malformed_email", "id_prefix_dash", "name_trimmed", "errors_text_plain",
                 "default_per_page_20", "per_page_uncapped", "deleted_id_is_204_again", "delete_not_removed",
                 "list_email_lowercased", "rate_limit_without_retry_after", "duplicate_is_422"}
SAMPLE_VARIANTS = {"gzip_responses", "chunked_lists", "pretty_ascii_json", "existing_contacts", "other_clients_writing",
                   "lagging_lists", "bare_error_bodies", "occasional_429"}


def sampled(names, sample: set[str]) -> list:
    return [name if name in sample else pytest.param(name, marks=pytest.mark.sweep) for name in names]


def recorded(browser, tmp_path: Path, *deviations: str) -> Path:
    path = tmp_path / "session.har"
    with BackgroundServer(api_key=API_KEY, deviations=deviations) as server:
        record(browser, server.base_url, API_KEY, path)
    return path


def judged(har: Path, tmp_path: Path, capsys) -> tuple[int, dict, str]:
    reports = tmp_path / "reports"
    code = main(["judge", str(har), "--report-dir", str(reports), "--settle", str(SETTLE_S)])
    printed = capsys.readouterr()
    for written in reports.iterdir():
        assert API_KEY not in written.read_text(encoding="utf-8"), f"the key is in {written.name}"
        assert API_KEY[:-1] not in written.read_text(encoding="utf-8"), f"the key cut short is in {written.name}"
    assert API_KEY[:-1] not in printed.out + printed.err
    return code, json.loads((reports / "report.json").read_text()), printed.out


def failed(report: dict) -> set[str]:
    return {r["id"] for r in report["requirements"] if r["status"] == "failed"}


def gating(report: dict) -> set[str]:
    """MUST failures: a SHOULD finding (a legal variant's bare error bodies lack request_id) is reported only."""
    return {r["id"] for r in report["requirements"] if r["gating"]}


def test_faithful_server_traffic_passes_clean(browser, tmp_path, capsys):
    code, report, out = judged(recorded(browser, tmp_path), tmp_path, capsys)
    assert (code, gating(report)) == (0, set()), out
    statuses = {r["id"]: r for r in report["requirements"]}
    for rule in ("CREATE-400-MALFORMED-JSON", "AUTH-401-INVALID-KEY", "LIST-DEFAULT-PAGING", "DELETE-204-EMPTY-BODY",
                 "DELETE-404-AFTER-DELETE", "DELETE-GONE-FROM-LIST", "LIST-ITEM-MATCHES-CREATE",
                 "SPEC-RESPONSES-CONFORM"):
        assert statuses[rule]["status"] == "passed", rule
    # what this traffic cannot show is not checked, never passed
    assert statuses["CREATE-409-CONCURRENT-DUPLICATES"]["status"] == "not_checked"
    assert statuses["CREATE-409-CONCURRENT-DUPLICATES"]["why_not_checked"] == [NO_TRAFFIC]


@pytest.mark.parametrize("variant", sampled([v.name for v in variants()], SAMPLE_VARIANTS))
def test_legal_variant_traffic_passes_clean(browser, tmp_path, capsys, variant):
    code, report, out = judged(recorded(browser, tmp_path, variant), tmp_path, capsys)
    assert (code, gating(report)) == (0, set()), out


@pytest.mark.parametrize("fault", sampled(SHOWN_BY_TRAFFIC, SAMPLE_FAULTS))
def test_fault_is_caught_by_the_rule_it_breaks(browser, tmp_path, capsys, fault):
    code, report, out = judged(recorded(browser, tmp_path, fault), tmp_path, capsys)
    assert code == 1 and REGISTRY[fault].breaks in failed(report), out
    failure = next(r for r in report["requirements"] if r["id"] == REGISTRY[fault].breaks)["failures"][0]
    evidence = failure["evidence"][-1]
    assert evidence["har_entry"]["started"] and isinstance(evidence["har_entry"]["index"], int)
    assert evidence["curl"].startswith("curl ")


def test_repros_carry_the_key_as_a_variable(browser, tmp_path, capsys):
    code, report, _ = judged(recorded(browser, tmp_path, "create_returns_200"), tmp_path, capsys)
    failure = next(r for r in report["requirements"] if r["id"] == "CREATE-201-CREATED")["failures"][0]
    assert "-H 'Authorization: Bearer '\"$ZEXA_API_KEY\"" in failure["evidence"][0]["curl"]
    assert failure["evidence"][0]["request"]["headers"]["Authorization"] == "Bearer $ZEXA_API_KEY"


def test_base64_and_gzip_bodies_are_read(browser, tmp_path, capsys):
    """Tools store bodies as base64, some still compressed: the verdict is the same."""
    har = recorded(browser, tmp_path, "id_prefix_dash")
    data = json.loads(har.read_text())
    for entry in data["log"]["entries"]:
        content = entry["response"]["content"]
        if content.get("text"):
            content["text"] = base64.b64encode(gzip.compress(content["text"].encode())).decode()
            content["encoding"] = "base64"
            entry["response"]["headers"].append({"name": "Content-Encoding", "value": "gzip"})
    har.write_text(json.dumps(data))
    code, report, _ = judged(har, tmp_path, capsys)
    assert code == 1 and "CREATE-ID-CNT-PREFIX" in failed(report)


@pytest.mark.parametrize("text, says", [
    ('{"log": {"entries": [{"request": {"method": "GET", "url": "http://x/v1/contacts"', "cut short"),
    ("not json at all", "not a HAR file"),
    ('{"log": {}}', "no log.entries"),
    ('{"log": {"entries": [{"request": {"method": "GET", "url": "http://x/v1/credits", "headers": []}, '
     '"response": {"status": 200, "headers": [], "content": {}}}]}}', "no exchange with the Contacts API"),
    ('{"log": {"entries": [{"request": {"method": "GET", "url": "http://x/v1/contacts"}}]}}', "entry 0"),
])
def test_damaged_har_is_one_line_and_exit_2(tmp_path, capsys, text, says):
    har = tmp_path / "damaged.har"
    har.write_text(text)
    code = main(["judge", str(har), "--report-dir", str(tmp_path / "reports")])
    err = capsys.readouterr().err
    assert code == 2 and says in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def _create(body: str) -> Exchange:
    return Exchange("POST", "http://h/v1/contacts", {"Content-Type": "application/json"}, body)


@pytest.mark.parametrize("body, requirement, statuses", [
    ('{"name": "A", "phone": "+244923120007"}', "CREATE-201-CREATED", {201, 409}),
    ('{"name": "A"}', "CREATE-400-MISSING-FIELD", {400}),
    ('{"name": "A", "phone": ', "CREATE-400-MALFORMED-JSON", {400}),
    ('[{"name": "A", "phone": "+244923120007"}]', "CREATE-400-MALFORMED-JSON", {400}),
    ('{"name": "A", "phone": "0912345678"}', "CREATE-422-PHONE-NOT-E164", {422}),
    ('{"name": "A", "phone": "+244923120007", "email": "a.example.com"}', "CREATE-422-EMAIL-MALFORMED", {409, 422}),
    ('{"name": "A", "phone": "0912345678", "email": "a.example.com"}', "CREATE-TWO-PROBLEMS-DOCUMENTED-CODE",
     {422}),
    ('{"phone": "0912345678"}', "CREATE-TWO-PROBLEMS-DOCUMENTED-CODE", {400, 422}),
])
def test_what_a_create_sent_decides_its_status(body, requirement, statuses):
    expected = expected_create(_create(body))
    assert (expected.requirement, set(expected.statuses)) == (requirement, statuses)


@pytest.mark.parametrize("body", [
    '{"name": "A", "phone": "+244923120007", "email": "\\"a b\\"@example.com"}',  # validators disagree
    '{"name": "A", "phone": "+244923120007", "lists": ["lst_x"]}',  # a list id may name no list
    '{"name": "A", "phone": "+9991234"}',  # E.164 in form, no such country: the target's call
    '{"name": 7, "phone": "+244923120007"}',
])
def test_no_status_is_claimed_where_the_docs_do_not_decide(body):
    assert expected_create(_create(body)) is None


def test_keys_made_from_the_account_key_are_invalid_and_others_unknown():
    key = "zx_live_abcDEF123"
    assert key_kind(f"Bearer {key}", key) == "key"
    assert key_kind("", key) == key_kind("Bearer ", key) == key_kind(f"Token {key}", key) == "missing"
    for forged in (key[:-1], key + "0", key[:-1] + "4", key.swapcase()):
        assert key_kind(f"Bearer {forged}", key) == "invalid"
    assert key_kind("Bearer zx_live_someone_else_entirely", key) == "other"


def test_a_runs_own_traffic_is_a_har_the_judge_passes(server, tmp_path, capsys):
    """`run --har` writes what the run sent and got, the key as $ZEXA_API_KEY; judged alone, the faithful server's
    traffic is clean."""
    har = tmp_path / "run.har"
    before = datetime.now(timezone.utc)
    finished = run_cli("run", "--base-url", server.base_url, "--seed", "1", "--settle", "1", "--har", str(har),
                       "--report-dir", str(tmp_path / "run"), env={"ZEXA_API_KEY": API_KEY})
    after = datetime.now(timezone.utc)
    assert finished.returncode == 0, finished.stdout[-2000:]
    text = har.read_text(encoding="utf-8")
    started = [datetime.fromisoformat(entry["startedDateTime"].replace("Z", "+00:00"))
               for entry in json.loads(text)["log"]["entries"]]
    assert all(before <= moment <= after for moment in started), "an entry's startedDateTime is outside the run"
    assert API_KEY not in text and API_KEY[:-1] not in text and "Bearer $ZEXA_API_KEY" in text
    code, report, out = judged(har, tmp_path, capsys)
    assert (code, gating(report)) == (0, set()) and report["requests"] > 300, out


def test_a_repeated_paging_parameter_is_not_taken_for_absent():
    """per_page given twice: which counts is the target's choice, so no default and no echo is claimed."""
    page = Exchange("GET", "http://h/v1/contacts?per_page=10&per_page=20", {}, None, status=200,
                    headers={"content-type": "application/json"},
                    text=json.dumps({"data": [], "meta": {"total": 0, "page": 1, "per_page": 20}}))
    assert not any(j.failed for j in judge_list(page))  # read as no per_page at all, 20 would break the default


def _recorded(n: int, method: str, path: str, status: int, sent: dict | None, answer: dict | None):
    from conformance.traffic.har import Recorded
    return Recorded(method, "http://h/v1" + path, {"Content-Type": "application/json"},
                    None if sent is None else json.dumps(sent), status=status,
                    headers={"content-type": "application/json"} if answer is not None else {},
                    text="" if answer is None else json.dumps(answer), index=n, started=f"t{n}", started_at=n,
                    answered_at=n + 0.5, elapsed=0.5, authorization=f"Bearer {API_KEY}")


@pytest.mark.parametrize("updated, fails", [(False, True), (True, False)])
def test_a_contact_the_traffic_updated_is_not_held_to_its_create(updated, fails):
    """PATCH is no documented operation, yet an API may have it: a contact the traffic changed is listed changed."""
    from conformance.traffic.judge import TrafficJudge
    made = {"id": "cnt_a1", "name": "Ana", "phone": "+244923120007", "created_at": "2026-12-02T10:00:00Z"}
    traffic = [_recorded(1, "POST", "/contacts", 201, {"name": "Ana", "phone": "+244923120007"}, made)]
    if updated:
        traffic.append(_recorded(2, "PATCH", "/contacts/cnt_a1", 200, {"name": "Ana Maria"}, {**made, "name": "x"}))
    traffic.append(_recorded(3, "GET", "/contacts", 200, None, {"data": [{**made, "name": "Ana Maria"}],
                                                                "meta": {"total": 1, "page": 1, "per_page": 50}}))
    judge = TrafficJudge(1.0, API_KEY)
    for exchange in traffic:
        judge.add(exchange)
    assert ("LIST-ITEM-MATCHES-CREATE" in judge.failures) is fails
