"""Hostile targets end in a clear verdict within bounded time: no traceback, no hang, nothing leaked."""
from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from conformance.mock.server import BackgroundServer
from tests.conftest import API_KEY, ROOT, run_cli

QUICK = {"ZEXA_API_KEY": "k", "ZEXA_READ_TIMEOUT": "1", "ZEXA_MAX_RATE_LIMIT_WAIT": "3"}


def check(base_url: str, tmp_path, limit: float = 240) -> tuple[subprocess.CompletedProcess, dict]:
    done = run_cli("run", "--base-url", base_url, "--profile", "quick", "--report-dir", str(tmp_path), env=QUICK,
                   timeout=limit)
    assert "Traceback" not in done.stdout + done.stderr, (done.stdout + done.stderr)[-3000:]
    result = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert result["data"]["leaked"] == []
    return done, result


@pytest.mark.parametrize("hostile,unusable", [
    ("silent", "did not answer GET /v1/contacts (no body)"),
    ("close_mid_response", "cannot reach"),
    ("always_429", "keeps answering 429"),
    ("retry_after_a_day", "asked to wait 86400s"),
], indirect=["hostile"])
def test_target_that_cannot_be_checked_is_exit_3(hostile, tmp_path, unusable):
    done, result = check(hostile, tmp_path)
    assert done.returncode == 3 and result["verdict"] == "unusable" and unusable in result["unusable"]
    assert result["rate_limited"]["waited_s"] <= 3 * 2 and result["hangs"]["waited_s"] < 10  # the silent one: 30 s


@pytest.mark.parametrize("hostile", ["not_json", "html_500", "wrong_content_type", "huge_body", "redirect_loop"],
                         indirect=True)
def test_broken_answers_fail_the_gate_with_evidence(hostile, tmp_path):
    done, result = check(hostile, tmp_path)
    assert done.returncode == 1 and result["verdict"] == "fail", done.stdout[-2000:]
    failed = [r for r in result["requirements"] if r["status"] == "failed" and r["level"] == "MUST"]
    assert failed and all(r["failures"][0]["evidence"] for r in failed if r["area"] != "spec")
    assert max(len(e["response"]["body"]) for r in failed for f in r["failures"] for e in f["evidence"]) <= 4000


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_deletes_every_contact_it_created(sig):
    with BackgroundServer(api_key=API_KEY) as server:
        process = subprocess.Popen([sys.executable, "-m", "conformance", "run", "--base-url", server.base_url,
                                    "--profile", "thorough", "--report-dir", "/tmp/zxconf-interrupt"],
                                   cwd=ROOT, env={"PATH": "/usr/bin:/bin", "ZEXA_API_KEY": API_KEY},
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        auth = {"Authorization": f"Bearer {API_KEY}"}
        deadline = time.monotonic() + 60
        while requests.get(server.base_url + "/contacts", headers=auth).json()["meta"]["total"] < 20:
            assert time.monotonic() < deadline and process.poll() is None, "the run created nothing to interrupt"
            time.sleep(0.1)
        process.send_signal(sig)
        stdout, stderr = process.communicate(timeout=120)
        remaining = requests.get(server.base_url + "/contacts", params={"per_page": 100}, headers=auth).json()
    assert process.returncode == 130, stdout[-2000:] + stderr[-2000:]
    assert remaining["meta"]["total"] == 0, [c["name"] for c in remaining["data"]]
    assert "Traceback" not in stderr


def test_read_only_run_never_writes_and_says_what_it_left_unchecked(tmp_path):
    with BackgroundServer(api_key=API_KEY) as server:
        auth = {"Authorization": f"Bearer {API_KEY}"}
        customer = requests.post(server.base_url + "/contacts", headers=auth,
                                 json={"name": "Maria Santos", "phone": "+244912345678"}).json()
        done = run_cli("run", "--base-url", server.base_url, "--profile", "quick", "--report-dir", str(tmp_path),
                       env={"ZEXA_API_KEY": API_KEY, "ZEXA_ALLOW_WRITES": "0"})
        after = requests.get(server.base_url + "/contacts", headers=auth).json()
    assert done.returncode == 0, done.stdout[-2000:]
    assert [c["id"] for c in after["data"]] == [customer["id"]]
    result = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert result["data"]["created"] == 0 and not result["allow_writes"]
    unchecked = {r["id"]: r["why_not_checked"] for r in result["requirements"] if r["status"] == "not_checked"}
    assert "CREATE-409-DUPLICATE-PHONE" in unchecked and "--allow-writes" in unchecked["CREATE-409-DUPLICATE-PHONE"][0]
    assert {"AUTH-401-INVALID-KEY", "LIST-PER-PAGE-MAX-100"} <= {r["id"] for r in result["requirements"]
                                                                if r["status"] == "passed"}


def test_exhausted_request_budget_leaves_requirements_unchecked_not_failed(tmp_path):
    done = run_cli("run", "--profile", "quick", "--report-dir", str(tmp_path), env={"ZEXA_REQUEST_BUDGET": "120"})
    result = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert done.returncode == 0 and result["requests"] >= 120, done.stdout[-2000:]
    assert result["data"]["leaked"] == [] and result["data"]["created"] == result["data"]["deleted"]
    reasons = [w for r in result["requirements"] for w in r["why_not_checked"]]
    assert any("request budget of 120 is used up" in w for w in reasons)


def test_cleanup_removes_only_the_named_runs_leftovers():
    auth = {"Authorization": f"Bearer {API_KEY}"}
    with BackgroundServer(api_key=API_KEY) as server:
        def add(name: str, phone: str) -> str:
            return requests.post(server.base_url + "/contacts", headers=auth, json={"name": name, "phone": phone}).json()["id"]
        customer = add("Maria Santos", "+244912345678")
        add("Left Behind [zxconf 0badc0de]", "+244912345601")
        add("Also Left [zxconf 0badc0de]", "+244912345602")
        other_run = add("Other Run [zxconf 1234abcd]", "+244912345603")

        def remaining() -> set[str]:
            return {c["id"] for c in requests.get(server.base_url + "/contacts", headers=auth).json()["data"]}
        one = run_cli("cleanup", "--base-url", server.base_url, "--run-tag", "0badc0de", env={"ZEXA_API_KEY": API_KEY})
        after_one = remaining()
        every = run_cli("cleanup", "--base-url", server.base_url, "--all-runs", env={"ZEXA_API_KEY": API_KEY})
        after_all = remaining()
    assert one.returncode == 0 and "found 2" in one.stdout and after_one == {customer, other_run}
    assert every.returncode == 0 and after_all == {customer}


def test_target_dying_mid_run_names_the_leaked_ids_and_cleanup_removes_them(tmp_path):
    db, auth = str(tmp_path / "contacts.sqlite"), {"Authorization": f"Bearer {API_KEY}"}
    server = BackgroundServer(api_key=API_KEY, db=db).start()
    process = subprocess.Popen([sys.executable, "-m", "conformance", "run", "--base-url", server.base_url,
                                "--profile", "thorough", "--report-dir", str(tmp_path / "reports")],
                               cwd=ROOT, env={"PATH": "/usr/bin:/bin", "ZEXA_API_KEY": API_KEY},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while requests.get(server.base_url + "/contacts", headers=auth).json()["meta"]["total"] < 20:
        assert time.monotonic() < deadline and process.poll() is None, "the run created nothing"
        time.sleep(0.05)
    server.stop()
    stdout, stderr = process.communicate(timeout=300)
    result = json.loads((tmp_path / "reports" / "report.json").read_text(encoding="utf-8"))
    assert process.returncode != 0 and "Traceback" not in stderr
    assert result["data"]["leaked"] and "LEAKED contacts" in stdout
    with BackgroundServer(api_key=API_KEY, db=db) as revived:
        cleaned = run_cli("cleanup", "--base-url", revived.base_url, "--run-tag", result["run_tag"],
                          env={"ZEXA_API_KEY": API_KEY})
        left = requests.get(revived.base_url + "/contacts", headers=auth).json()["meta"]["total"]
    assert cleaned.returncode == 0 and left == 0, cleaned.stdout + cleaned.stderr
    found = int(re.search(r"found (\d+) contacts", cleaned.stdout).group(1))
    assert found >= len(result["data"]["leaked"])  # more if a create was in flight when the target died


def test_a_target_that_only_pretends_to_delete_is_reported_as_leaking(tmp_path):
    auth = {"Authorization": f"Bearer {API_KEY}"}
    with BackgroundServer(api_key=API_KEY, deviations=["delete_not_removed"]) as server:
        done = run_cli("run", "--base-url", server.base_url, "--profile", "quick", "--settle", "1", "--report-dir",
                       str(tmp_path), env={"ZEXA_API_KEY": API_KEY})  # the reference server lists writes at once
        pages = [requests.get(server.base_url + "/contacts", params={"per_page": 100, "page": page},
                              headers=auth).json() for page in range(1, 4)]  # a quick run makes about 100
    result = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert done.returncode == 1 and "LEAKED contacts" in done.stdout
    left = {c["id"] for page in pages for c in page["data"]}
    assert len(left) == pages[0]["meta"]["total"] > 0
    assert set(result["data"]["leaked"]) == left
    assert result["data"]["deleted"] == result["data"]["created"] - len(result["data"]["leaked"])


@pytest.mark.parametrize("hostile", ["echoes_the_key"], indirect=True)
def test_a_target_echoing_the_key_never_gets_it_printed_or_written(hostile, tmp_path):
    secret = "zx_live_ECHOED_secret_5d1f"
    done = run_cli("run", "--base-url", hostile, "--profile", "quick", "--report-dir", str(tmp_path),
                   env={"ZEXA_API_KEY": secret})
    assert done.returncode == 1
    # the plain pytest way, with pytest's own JUnit too: tracebacks quote the (echoing) responses
    plain = subprocess.run([sys.executable, "-m", "pytest", "conformance/cases", "--base-url", hostile, "--profile",
                            "quick", "-p", "no:cacheprovider", "-o", "addopts=", f"--junitxml={tmp_path / 'pytest.xml'}"],
                           cwd=ROOT, capture_output=True, text=True, timeout=240,
                           env={"PATH": "/usr/bin:/bin", "ZEXA_API_KEY": secret})
    assert plain.returncode == 1 and "[redacted]" in plain.stdout
    written = [p.read_text(encoding="utf-8") for p in tmp_path.iterdir()]
    assert len(written) == 5
    assert all(secret not in text for text in [done.stdout, done.stderr, plain.stdout, plain.stderr, *written])
    assert "[redacted]" in done.stdout


@pytest.mark.parametrize("fault,requirement", [("echo_lists_as_objects", "CREATE-ECHOES-FIELDS"),
                                               ("list_ids_as_objects", "SPEC-RESPONSES-CONFORM")])
def test_json_objects_where_ids_belong_are_findings_not_crashes_of_the_checker(tmp_path, fault, requirement):
    """Ids and list ids are compared as sets: an object where a string belongs once made every case of the model
    fail with "unhashable type", blaming two dozen rules for one odd field."""
    with BackgroundServer(api_key=API_KEY, deviations=[fault]) as server:
        done = run_cli("run", "--base-url", server.base_url, "--seed", "3", "--settle", "1", "--report-dir",
                       str(tmp_path), env={"ZEXA_API_KEY": API_KEY})  # the reference server lists writes at once
    result = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    crashed = [case["message"] for entry in result["requirements"] for case in entry["cases"]
               if "could not finish" in case["message"] or "unhashable" in case["message"]]
    assert done.returncode == 1 and requirement in result["new_must_failures"], result["new_must_failures"]
    assert not crashed, crashed[:3]
    assert len(result["new_must_failures"]) <= 4, result["new_must_failures"]


def test_cookies_a_target_sets_are_never_sent_back(tmp_path):
    """The API uses no cookies: what a proxy in front of it sets is not part of any request the run sends (a repro
    would not carry it), and no jar shared by the run's threads changes under them."""
    with BackgroundServer(api_key=API_KEY, deviations=["load_balancer_cookie"]) as server:
        done = run_cli("run", "--base-url", server.base_url, "--profile", "quick", "--seed", "4",
                       "--report-dir", str(tmp_path), env={"ZEXA_API_KEY": API_KEY})
        entries = list(server.log.entries)
    assert done.returncode == 0, done.stdout[-2000:]
    sent_back = [e["target"] for e in entries
                 if any(name.lower() == "cookie" and "lb=" in value for name, value in e["headers"])]
    keys_as_cookies = [e for e in entries if any(name.lower() == "cookie" for name, _ in e["headers"])]
    assert len(entries) > 100 and not sent_back, sent_back[:5]
    assert keys_as_cookies, "the case that sends the key as a cookie (401 expected) did not run"


@pytest.mark.parametrize("fault,rule", [("refused_creates_stored", "CREATE-REFUSED-CREATES-NOTHING"),
                                        ("recreate_revives_deleted_id", "CREATE-ID-UNIQUE")])
def test_contacts_still_there_after_cleanup_are_deleted_once_more(tmp_path, fault, rule):
    """What the verifying search still finds with the run's tag is deleted once more: a contact a refused create
    stored (the run never got its id; 38 stayed after a quick run before), or one a create revived under an id the
    run had deleted (it was taken for deleted)."""
    auth = {"Authorization": f"Bearer {API_KEY}"}
    with BackgroundServer(api_key=API_KEY, deviations=[fault]) as server:
        done = run_cli("run", "--base-url", server.base_url, "--profile", "quick", "--report-dir", str(tmp_path),
                       env={"ZEXA_API_KEY": API_KEY})
        left = requests.get(server.base_url + "/contacts", params={"per_page": 100}, headers=auth).json()
    result = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert done.returncode == 1 and rule in result["new_must_failures"]
    assert left["meta"]["total"] == 0 and result["data"]["leaked"] == [], left
    assert result["data"]["created"] == result["data"]["deleted"] > 0


def test_a_create_answered_with_anothers_contact_never_gets_it_deleted(tmp_path):
    """An upsert keyed on email answers a create with the docs' Maria Santos, already on the account: the run never
    takes that contact for its own, so never deletes it, and fails the gate."""
    with BackgroundServer(api_key=API_KEY, deviations=["create_upserts_by_email"]) as server:
        done = run_cli("run", "--base-url", server.base_url, "--profile", "quick", "--settle", "1", "--report-dir",
                       str(tmp_path), env={"ZEXA_API_KEY": API_KEY})
        assert server.store.exists("cnt_def456")
    result = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert done.returncode == 1 and result["data"]["leaked"] == []
