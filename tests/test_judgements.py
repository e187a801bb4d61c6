"""The shared verdict helpers of conformance/judgements/ on hand-made exchanges: each rule the cases, the model and
the traffic judge all call, judged one way."""
from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from conformance import judgements
from conformance.exchange import Exchange
from conformance.requirements import catalogue


def answer(status: int | None, body: object = None, content_type: str = "application/json") -> Exchange:
    return Exchange("POST", "http://t/v1/contacts", {}, None, status=status,
                    headers={"content-type": content_type}, text="" if body is None else json.dumps(body))


@pytest.mark.parametrize("ctype", ["application/json", "application/json; charset=utf-8", "Application/JSON",
                                   'application/json; profile="a,b"', "application/problem+json", "application/vnd.zexa.contact+json"])
def test_every_json_media_type_is_json(ctype):
    assert judgements.is_json_type(ctype)
    assert judgements.json_answer_problem(answer(200, {"a": 1}, ctype)) == ""


@pytest.mark.parametrize("ctype", ["text/plain; charset=utf-8", "text/html", "", "application/jsonp",
                                   "application/json-seq", "application/json, text/plain",
                                   "application/json; charset=utf-8, text/html"])
def test_other_media_types_are_not_json(ctype):
    assert not judgements.is_json_type(ctype)
    assert judgements.json_answer_problem(answer(200, {"a": 1}, ctype))


def test_a_json_body_that_is_not_utf8_is_not_json_whatever_its_charset_says():
    latin1 = answer(200, {"name": "Jo\u00e3o"}, "application/json;charset=ISO-8859-1")
    assert judgements.json_answer_problem(latin1) == ""  # as requests decoded it by the declared charset
    latin1.not_utf8 = True
    assert "not UTF-8" in judgements.json_answer_problem(latin1)


def test_email_may_differ_only_in_the_case_of_its_domain():
    assert judgements.email_matches("Maria+x@Mail.Example.AO", "Maria+x@mail.example.ao")
    assert judgements.email_matches("Maria.Santos@Example.COM", "Maria.Santos@example.com")
    assert not judgements.email_matches("Maria@example.ao", "maria@example.ao")
    assert not judgements.email_matches("maria+promo@example.com", "maria@example.com")
    assert not judgements.email_matches("maria@example.ao", None)


def test_an_internationalised_domain_may_come_back_in_its_ascii_form():
    assert judgements.email_matches("maria@correio.angolá.ao", "maria@correio.xn--angol-1qa.ao")
    assert not judgements.email_matches("maria@correio.angolá.ao", "maria@correio.angola.ao")
    assert not judgements.email_matches("maria@straße.ao", "maria@strasse.ao")  # IDNA 2003 folds them: not the same
    assert not judgements.email_matches("maria@ｅxample.ao", "maria@example.ao")
    assert judgements.email_matches("maria@[192.0.2.1]", "maria@[192.0.2.1]")


def test_an_email_echoed_exactly_as_sent_matches_whatever_it_holds():
    """The docs: email is returned as provided; an address a target took without an @ comes back the same."""
    assert judgements.email_matches("maria.example.com", "maria.example.com")
    assert judgements.email_matches("", "")
    assert not judgements.email_matches("maria.example.com", "maria@example.com")


def test_a_contact_was_created_by_any_2xx_naming_its_id():
    assert judgements.is_success(201) and judgements.is_success(200) and judgements.is_success(299)
    assert not judgements.is_success(None) and not judgements.is_success(199) and not judgements.is_success(300)
    assert judgements.created_id(answer(201, {"id": "cnt_1"})) == "cnt_1"
    assert judgements.created_id(answer(200, {"id": "cnt_1"})) == "cnt_1"
    assert judgements.created_id(answer(201, {"id": 7})) is None
    assert judgements.created_id(answer(201, ["cnt_1"])) is None
    assert judgements.created_id(answer(409, {"id": "cnt_1"})) is None


def test_the_id_is_a_string_prefixed_cnt():
    assert judgements.id_problem("cnt_8f3k2m") == ""
    for bad in ("cnt_", "CNT_1", 12, None, "8f3k2m"):
        assert judgements.id_problem(bad), bad


def test_created_at_is_iso8601_utc():
    for good in ("2026-06-24T10:00:00Z", "2026-06-24T10:00:00.123Z", "2026-06-24T10:00:00+00:00",
                 "2026-06-24T10:00:00,5Z", "2024-02-29T10:00:00Z", "2016-12-31T23:59:60Z", "2026-06-24T24:00:00Z",
                 "2026-06-24T24:00:00.000Z", "20260624T100000Z", "20260624T100000,5+0000", "20161231T235960Z",
                 "20260624T240000Z"):
        assert judgements.created_at_format_problem(good) == "", good
    # the last ones: months from a minutes pattern (yyyy-mm-dd), a day the month lacks, hours and minutes past the clock
    for bad in ("2026-06-24T10:00:00", "2026-06-24T11:00:00+01:00", "24/06/2026", None, 1719223200,
                "2026-37-24T10:37:00Z", "2026-00-24T10:00:00Z", "2026-02-29T10:00:00Z", "2026-06-31T10:00:00Z",
                "2026-06-24T25:00:00Z", "2026-06-24T10:60:00Z", "2026-06-24T10:00:60Z", "2026-06-24T24:00:01Z",
                "2026-06-24T24:00:00.5Z", "20263724T100000Z", "20260624T1000Z", "20260624T100000+01"):
        assert judgements.created_at_format_problem(bad), bad


def test_the_name_comes_back_as_provided():
    assert judgements.name_problem(" Maria  Santos", " Maria  Santos") == ""
    assert judgements.name_problem(" Maria  Santos", "Maria Santos")
    assert judgements.name_problem("Jose\u0301", "Jos\u00e9")  # normalised: other code points
    assert judgements.name_length("𝔐a") == 3  # a target may count UTF-16 units


def test_the_echo_names_each_field_that_differs():
    sent = {"name": "Ana", "phone": "+244912345678", "email": "Ana@Mail.AO", "lists": ["lst_a", "lst_b"]}
    assert judgements.echo_problems(sent, {**sent, "email": "Ana@mail.ao", "lists": ["lst_b", "lst_a"]}) == []
    found = judgements.echo_problems(sent, {**sent, "name": "ana", "email": "ana@mail.ao", "lists": ["lst_a"]})
    assert [j.requirement for j in found] == ["CREATE-NAME-AS-PROVIDED", "CREATE-ECHOES-FIELDS", "CREATE-ECHOES-FIELDS"]


def test_a_list_page_has_a_data_array_and_a_meta_object():
    meta = {"total": 1, "page": 1, "per_page": 50}
    assert judgements.page_of(answer(200, {"data": [], "meta": meta})) == ([], meta)
    assert judgements.page_of(answer(200, {"data": []})) is None
    assert judgements.page_of(answer(200, {"data": {}, "meta": meta})) is None
    assert judgements.page_of(answer(404, {"data": [], "meta": meta})) is None
    assert judgements.items_of(answer(200, {"data": [{"id": "cnt_1"}]})) == [{"id": "cnt_1"}]
    assert judgements.items_of(answer(200, [{"id": "cnt_1"}])) is None
    assert judgements.meta_of(answer(422, {"meta": meta})) == meta
    assert judgements.meta_of(answer(200, {"data": [], "meta": [1]})) is None


def test_each_documented_error_status_has_one_code():
    assert judgements.error_code_problem(answer(409, {"error": "conflict"})) == ""
    assert judgements.error_code_problem(answer(409, {"error": "duplicate"}))
    assert set(judgements.CODES.values()) == {"invalid_request", "unauthorized", "conflict", "validation_error",
                                               "not_found"}
    # the Contacts API's codes are those of its tables: rate_limit_exceeded is named on the messages page only
    assert 429 not in judgements.CODES


@pytest.mark.parametrize("value", ["1", "0", "120", "Thu, 03 Dec 2026 12:00:01 GMT", "Thursday, 03-Dec-26 12:00:01 GMT",
                                   "Thu Dec  3 12:00:01 2026"])
def test_retry_after_is_seconds_or_an_http_date(value):
    assert judgements.retry_after_problem(SimpleNamespace(headers={"retry-after": value})) == ""


@pytest.mark.parametrize("value", ["", "0.5", "-1", "1s", "Thu, 03 Dec 2026 12:00:01 -0000",
                                   "Thu, 03 Dec 2026 13:00:01 +0100", "2026-12-03T12:00:01Z"])
def test_retry_after_in_no_other_form(value):
    assert judgements.retry_after_problem(SimpleNamespace(headers={"retry-after": value}))


def test_a_list_filter_asks_for_a_verdict():
    def list_of(query: str) -> Exchange:
        return Exchange("GET", f"http://t/v1/contacts?{query}", {}, None, status=401)
    assert judgements.asks_for_a_verdict(list_of("list_id=lst_x"))
    assert judgements.asks_for_a_verdict(list_of("page=abc"))
    assert not judgements.asks_for_a_verdict(list_of("page=2&per_page=10"))


def test_an_error_names_its_request():
    assert judgements.request_id_problem(answer(404, {"error": "not_found", "request_id": "req_1"})) == ""
    assert judgements.request_id_problem(answer(404, {"error": "not_found"})) == "the 404 body has no request_id"
    assert judgements.request_id_problem(answer(422, {"request_id": "   "})) == "the 422 body has no request_id"


def test_an_error_says_what_went_wrong_in_words():
    said = {"error": "not_found", "message": "No contact with id cnt_x"}
    assert judgements.error_body_problem(answer(404, said)) == ""
    assert judgements.error_body_problem(answer(404, {**said, "message": " \t"}))
    assert judgements.error_body_problem(answer(404, {**said, "error": "  "}))


def test_every_rule_names_the_one_file_where_it_is_judged():
    """requirements.yaml's judged_in: a file of the checker that exists and names the rule."""
    root = Path(__file__).resolve().parents[1]
    for requirement in catalogue().values():
        path = root / requirement.judged_in
        assert requirement.judged_in.startswith("conformance/") and path.is_file(), requirement.id
        named = re.search(rf"(?<![A-Z0-9-]){re.escape(requirement.id)}(?![A-Z0-9-])", path.read_text(encoding="utf-8"))
        assert named, (requirement.id, requirement.judged_in)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")  # the cases' marks live in their plugin
def test_the_spec_cases_take_every_json_media_type_as_documented():
    """openapi.yaml writes application/json; the spec cases' media-type check takes what the one JSON rule takes."""
    from conformance.cases.test_spec import json_content_type
    for ctype in ("application/problem+json", "application/vnd.zexa+json; charset=utf-8", "application/json"):
        assert json_content_type(None, SimpleNamespace(headers={"content-type": [ctype]}), None) is None


def test_a_create_refused_as_too_large_is_outside_the_documented_statuses_not_against_them():
    too_large = answer(413, {"error": "payload_too_large", "message": "the body is over 64 kB"})
    assert judgements.spec_problem(too_large, "create") == ""
    assert "does not document" in judgements.spec_problem(answer(413, {"error": "x", "message": "y"}), "list")
    assert "does not document" in judgements.spec_problem(answer(418, {"error": "x", "message": "y"}), "create")


def test_a_field_the_body_left_out_comes_back_without_a_value():
    """C: the email 'if provided'; lists, those the contact belongs to. A create naming neither is answered with
    neither (absent, null, "" or []); a value left over from another create is a finding."""
    sent = {"name": "Ana", "phone": "+244912345678"}
    for empty in ({}, {"email": None, "lists": []}, {"email": ""}):
        assert judgements.echo_problems(sent, {**sent, **empty}) == [], empty
    found = judgements.echo_problems(sent, {**sent, "email": "maria@example.com", "lists": ["lst_a"]})
    assert [j.requirement for j in found] == ["CREATE-ECHOES-FIELDS", "CREATE-ECHOES-FIELDS"]
    assert "no email sent" in found[0].problem and "no lists sent" in found[1].problem


def created(created_at: str, sent_at: float, answered_at: float) -> Exchange:
    made = answer(201, {"id": f"cnt_{answered_at:g}", "created_at": created_at})
    made.elapsed, made.answered_at = answered_at - sent_at, answered_at
    return made


def test_a_contact_created_after_another_is_not_dated_before_it():
    """A create sent after another was answered has a created_at no earlier than that one's, give or take 1 s; creates
    in flight together may be stamped in any order."""
    first = created("2026-06-24T10:00:03Z", 0.0, 0.5)
    together = created("2026-06-24T10:00:00Z", 0.1, 0.6)  # sent before the first was answered
    assert judgements.created_at_order_problem([first, together]) == ("", None)
    assert judgements.created_at_order_problem([first, created("2026-06-24T10:00:02Z", 0.7, 0.8)]) == ("", None)
    assert judgements.created_at_order_problem([first, created("2026-06-24T10:00:02.000+00:00", 0.7, 0.8)])[0] == ""
    later = created("2026-06-24T10:00:01Z", 0.7, 0.8)
    problem, evidence = judgements.created_at_order_problem([later, first])
    assert "the later contact has the earlier creation time" in problem and evidence is later
