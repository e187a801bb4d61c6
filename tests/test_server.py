"""The reference server over real HTTP on 127.0.0.1: every documented row, persistence, concurrency, bad input."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conformance.config import free_port
from conformance.mock.server import BackgroundServer
from tests.conftest import API_KEY, ROOT, eventually

MARIA = {"name": "Maria Santos", "phone": "+244912345678", "email": "maria@example.com", "lists": ["lst_abc123"]}


def test_create_answers_201_with_the_documented_fields(api):
    answer = api.post(MARIA)
    assert answer.status_code == 201 and answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["id"].startswith("cnt_")
    assert {k: body[k] for k in MARIA} == MARIA
    assert body["created_at"].endswith("Z")


@pytest.mark.parametrize("body,status,code", [
    ({"name": "No Phone"}, 400, "invalid_request"),
    ({"phone": "+244912345678"}, 400, "invalid_request"),
    ({"name": "Local", "phone": "0912345678"}, 422, "validation_error"),
    ({"name": "Spaces", "phone": "+244 912 345 678"}, 422, "validation_error"),
    ({"name": "Bad Email", "phone": "+244912345679", "email": "maria.example.com"}, 422, "validation_error"),
    ({"name": "Bad List", "phone": "+244912345670", "lists": ["abc"]}, 422, "validation_error"),
    ({"name": "Number Phone", "phone": 244912345678}, 400, "invalid_request"),
])
def test_create_rejects_documented_problems(api, body, status, code):
    answer = api.post(body)
    assert (answer.status_code, answer.json()["error"]) == (status, code)
    assert answer.json()["message"] and answer.json()["request_id"].startswith("req_")


def test_malformed_json_is_400(api):
    answer = requests.post(api.base + "/contacts", data="{bad", headers=api.auth)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")


@pytest.mark.parametrize("header", [None, "Token " + API_KEY, "Bearer wrong", "Bearer chave-com-acentuação".encode()])
def test_every_operation_needs_the_key_before_anything_else(api, header):
    headers = {"Authorization": header} if header else {}
    for answer in (api.post({"name": "x"}, headers=headers), requests.get(api.base + "/contacts", headers=headers),
                   api.delete("cnt_unknown", headers=headers)):
        assert (answer.status_code, answer.json()["error"]) == (401, "unauthorized")


def test_duplicate_phone_is_409_and_delete_frees_it(api):
    first = api.post(MARIA).json()
    assert (api.post(MARIA).status_code, api.post(MARIA).json()["error"]) == (409, "conflict")
    deleted = api.delete(first["id"])
    assert deleted.status_code == 204 and deleted.content == b""
    assert api.delete(first["id"]).json()["error"] == "not_found"
    assert api.post(MARIA).status_code == 201


def test_list_defaults_pages_and_filters(api):
    ids = [api.post({"name": f"C{i}", "phone": f"+2449123400{i:02d}", "lists": ["lst_a"] if i % 2 else []}).json()["id"]
           for i in range(7)]
    page = api.get().json()
    assert page["meta"] == {"total": 7, "page": 1, "per_page": 50}
    assert [c["id"] for c in page["data"]] == ids[::-1]  # newest first
    walked = [c["id"] for p in (1, 2, 3) for c in api.get(per_page=3, page=p).json()["data"]]
    assert sorted(walked) == sorted(ids) and api.get(per_page=3, page=4).json()["data"] == []
    members = api.get(list_id="lst_a").json()
    assert members["meta"]["total"] == 3 and {c["id"] for c in members["data"]} == set(ids[1::2])
    api.delete(ids[1])
    assert ids[1] not in {c["id"] for c in api.get(list_id="lst_a").json()["data"]}


@pytest.mark.parametrize("params", [{"per_page": 101}, {"per_page": 0}, {"page": 0}, {"page": "x"}])
def test_out_of_range_paging_is_rejected(api, params):
    assert api.get(**params).status_code in (400, 422)


@pytest.mark.parametrize("raw", [b"\xff\xfe", b"[]", b'"text"', b"null", b'{"name": {"a": 1}, "phone": []}', b"9" * 5000])
def test_bad_input_never_crashes(api, raw):
    answer = requests.post(api.base + "/contacts", data=raw, headers=api.auth)
    assert 400 <= answer.status_code < 500 and "error" in answer.json()


def test_unknown_routes_and_methods_answer_json(api):
    assert requests.get(api.base + "/nothing").json()["error"] == "not_found"
    assert requests.put(api.base + "/contacts", headers=api.auth).json()["error"] == "method_not_allowed"


def test_sixteen_parallel_duplicates_give_exactly_one_201(api):
    with ThreadPoolExecutor(16) as pool:
        statuses = sorted(pool.map(lambda _: api.post(MARIA).status_code, range(16)))
    assert statuses == [201] + [409] * 15


def test_data_survives_a_restart_with_db(tmp_path):
    db = str(tmp_path / "contacts.sqlite")
    with BackgroundServer(api_key=API_KEY, db=db) as first:
        created = requests.post(first.base_url + "/contacts", json=MARIA,
                                headers={"Authorization": f"Bearer {API_KEY}"}).json()
    with BackgroundServer(api_key=API_KEY, db=db) as second:
        listed = requests.get(second.base_url + "/contacts", headers={"Authorization": f"Bearer {API_KEY}"}).json()
        again = requests.post(second.base_url + "/contacts", json=MARIA, headers={"Authorization": f"Bearer {API_KEY}"})
    assert [c["id"] for c in listed["data"]] == [created["id"]] and again.status_code == 409


def test_conformance_mock_answers_the_docs_curl_examples():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "conformance", "mock", "--port", str(port), "--api-key", API_KEY],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert time.monotonic() < deadline and process.poll() is None, process.stderr.read()
            time.sleep(0.1)
        base, auth = f"http://127.0.0.1:{port}/v1", {"Authorization": f"Bearer {API_KEY}"}
        created = subprocess.run(["curl", "-s", "-X", "POST", f"{base}/contacts", "-H", f"Authorization: Bearer {API_KEY}",
                                  "-H", "Content-Type: application/json", "-d", '{"name": "Maria Santos", '
                                  '"phone": "+244912345678", "email": "maria@example.com", "lists": ["lst_abc123"]}'],
                                 capture_output=True, text=True, check=True)
        assert '"id":"cnt_' in created.stdout
        listed = requests.get(f"{base}/contacts?list_id=lst_abc123&page=1&per_page=25", headers=auth).json()
        assert listed["meta"] == {"total": 1, "page": 1, "per_page": 25}
        assert requests.delete(f"{base}/contacts/{listed['data'][0]['id']}", headers=auth).status_code == 204
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_unknown_fault_is_a_clear_usage_error():
    done = subprocess.run([sys.executable, "-m", "conformance", "mock", "--fault", "no_such_fault"], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "unknown fault no_such_fault" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture
def deviating(request):
    """requests helpers bound to a reference server running the deviations the test's parameter names."""
    with BackgroundServer(api_key=API_KEY, deviations=request.param) as running:
        auth = {"Authorization": f"Bearer {API_KEY}"}
        base = running.base_url

        class Api:
            def post(self, body):
                return requests.post(base + "/contacts", json=body, headers=auth)

            def get(self, **params):
                return requests.get(base + "/contacts", params=params, headers=auth)

            def delete(self, contact_id):
                return requests.delete(f"{base}/contacts/{contact_id}", headers=auth)

            def listed_ids(self, **params):
                return [c["id"] for c in self.get(per_page=100, **params).json()["data"]]
        yield Api()


@pytest.mark.parametrize("deviating", [["lagging_lists=3"]], indirect=True)
def test_lagging_lists_show_creates_and_deletes_after_the_lag(deviating):
    created = deviating.post(MARIA).json()["id"]
    assert created not in deviating.listed_ids() and created not in deviating.listed_ids(list_id="lst_abc123")
    eventually(lambda: created in deviating.listed_ids() and created in deviating.listed_ids(list_id="lst_abc123"))
    assert deviating.delete(created).status_code == 204 and deviating.delete(created).status_code == 404
    assert created in deviating.listed_ids()
    eventually(lambda: created not in deviating.listed_ids() and deviating.get().json()["meta"]["total"] == 0)


@pytest.mark.parametrize("deviating", [["other_clients_writing"]], indirect=True)
def test_other_clients_never_touch_contacts_they_did_not_create(deviating):
    ours = {deviating.post({"name": f"Ours {i}", "phone": f"+2449123500{i:02d}"}).json()["id"] for i in range(10)}
    for _ in range(60):
        listed = set(deviating.listed_ids())
    assert ours <= listed and listed - ours, "the other client wrote nothing, or deleted one of ours"
    assert all(deviating.delete(contact_id).status_code == 204 for contact_id in ours)


@pytest.mark.parametrize("deviating", [["existing_contacts"]], indirect=True)
def test_existing_contacts_hold_the_docs_examples(deviating):
    assert deviating.post(MARIA).json()["error"] == "conflict"
    members = deviating.get(list_id="lst_abc123", per_page=100).json()["data"]
    assert {"id": "cnt_def456", "name": "Maria Santos", "phone": "+244912345678", "email": "maria@example.com",
            "created_at": "2026-06-24T10:00:00Z"} in members
    assert deviating.get().json()["meta"]["total"] == 62


@pytest.mark.parametrize("deviating,expected", [([], 404), (["delete_matches_id_prefix"], 204)],
                         indirect=["deviating"])
def test_a_prefix_of_an_id_deletes_only_under_the_prefix_fault(deviating, expected):
    created = deviating.post(MARIA).json()["id"]
    assert deviating.delete(created[:-2]).status_code == expected
    assert (created in deviating.listed_ids()) == (expected == 404)


@pytest.mark.parametrize("deviating,lists_shown", [([], 2), (["membership_first_list_only"], 1)],
                         indirect=["deviating"])
def test_membership_of_every_given_list_unless_the_fault_drops_them(deviating, lists_shown):
    created = deviating.post({**MARIA, "lists": ["lst_one", "lst_two"]}).json()
    assert created["lists"] == ["lst_one", "lst_two"]
    shown = [list_id for list_id in created["lists"] if created["id"] in deviating.listed_ids(list_id=list_id)]
    assert len(shown) == lists_shown


@pytest.mark.parametrize("deviating,name", [([], "  Maria   Santos "), (["name_trimmed"], "Maria   Santos")],
                         indirect=["deviating"])
def test_names_are_stored_as_sent_unless_the_fault_trims_them(deviating, name):
    created = deviating.post({**MARIA, "name": "  Maria   Santos "}).json()
    assert created["name"] == name and deviating.get().json()["data"][0]["name"] == name


@pytest.mark.parametrize("deviating", [["location_header", "gzip_responses", "chunked_lists"]], indirect=True)
def test_transport_variants_keep_the_json_the_same(deviating):
    created = deviating.post(MARIA)
    assert created.headers["content-encoding"] == "gzip"
    assert created.headers["location"] == f"/v1/contacts/{created.json()['id']}"
    listed = deviating.get()
    assert listed.headers["transfer-encoding"] == "chunked" and "content-length" not in listed.headers
    assert listed.json()["data"][0]["id"] == created.json()["id"]


def test_latency_delays_every_answer():
    with BackgroundServer(api_key=API_KEY, latency=200, jitter=50) as slow:
        started = time.monotonic()
        # a latency read as seconds instead of milliseconds would outlast the timeout
        requests.get(slow.base_url + "/contacts", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=20)
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize("args,message", [
    (["--latency", "-5"], "latency and jitter must not be negative"),
    (["--fault", "lagging_lists=soon"], "lagging_lists: 'soon' is not a number"),
    (["--fault", "name_trimmed=3"], "only some deviations take a value"),
])
def test_bad_mock_settings_are_clear_usage_errors(args, message):
    done = subprocess.run([sys.executable, "-m", "conformance", "mock", "--port", str(free_port()), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
