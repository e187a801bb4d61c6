"""The checker against a real Stoplight Prism (`prism mock openapi.yaml`), the stateless mock many teams use:
the contract profile judges each answer alone and every failure it reports is a real difference from the docs;
the default profile stops at once with the one finding that the target keeps no state."""
from __future__ import annotations

import json
import subprocess
import time

import pytest
import requests

from conformance.config import free_port
from conformance.requirements import catalogue
from tests.conftest import ROOT, run_cli

PRISM = ROOT / ".tools" / "prism" / "node_modules" / ".bin" / "prism"
KEY = "zx_prism_test_key"
# What Prism answers differently from the docs, for the requirement each difference breaks: its example bodies
# (the same contact whatever was sent, per_page 25), its own error bodies ({"error": {"code": ...}}), any key
# accepted, 422 for a missing field or an empty body, 204 for any DELETE.
PRISM_DIFFERENCES = {
    "CREATE-ECHOES-FIELDS", "CREATE-NAME-AS-PROVIDED", "CREATE-CREATED-AT-RECENT", "CREATE-CREATED-AT-MATCHES-DATE",
    "CREATE-400-MISSING-FIELD",
    "CREATE-400-MALFORMED-JSON", "AUTH-401-INVALID-KEY", "AUTH-401-BEFORE-VALIDATION", "ERROR-BODY-SHAPE",
    "ERROR-CODE-MATCHES-STATUS", "ERROR-REQUEST-ID", "LIST-DEFAULT-PAGING", "LIST-META-DESCRIBES-PAGE",
    "DELETE-404-UNKNOWN-ID", "SPEC-RESPONSES-CONFORM",
}


@pytest.fixture(scope="session")
def prism():
    """Prism on a free port, installed by `make prism`; missing Prism is a failure, never a skip."""
    assert PRISM.exists(), f"Prism is not installed at {PRISM}: run `make prism`"
    port = free_port()
    process = subprocess.Popen([str(PRISM), "mock", str(ROOT / "openapi.yaml"), "-p", str(port), "-h", "127.0.0.1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, "Prism exited while starting"
        try:
            # listening is what is awaited; its first answer (the spec compiled) may come late on a busy machine
            requests.get(base_url + "/contacts", timeout=(1, max(1.0, deadline - time.monotonic())))
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "Prism did not start listening within 60 s"
            time.sleep(0.2)
    yield base_url
    process.terminate()
    process.wait(timeout=10)


def run_against(prism, tmp_path, *args):
    done = run_cli("run", "--base-url", prism, "--seed", "5", "--report-dir", str(tmp_path), *args,
                   env={"ZEXA_API_KEY": KEY})
    return done, json.loads((tmp_path / "report.json").read_text())


def resend(evidence: dict) -> int:
    """The recorded request sent again, with the key the report redacted."""
    request = evidence["request"]
    headers = {name: value.replace("[redacted]", KEY) for name, value in request["headers"].items()}
    body = request["body"].encode() if request["body"] is not None else None
    return requests.request(request["method"], request["url"], headers=headers, data=body, timeout=10).status_code


def test_contract_profile_reports_only_real_differences_and_no_state_claim(prism, tmp_path):
    done, result = run_against(prism, tmp_path, "--profile", "contract")
    assert done.returncode == 1 and "leak check: not done" in done.stdout, done.stdout[-2000:]
    requirements = {r["id"]: r for r in result["requirements"]}
    stateful = [requirements[r.id] for r in catalogue().values() if r.needs_state]
    assert stateful and all(r["status"] == "not_checked" and r["why_not_checked"] == [
        "not checked: the contract profile makes no claim that needs state"] for r in stateful)
    assert result["data"]["leaked"] == [] and result["data"]["leak_check"].startswith("not done")
    failed = {r["id"] for r in requirements.values() if r["status"] == "failed"}
    assert failed == PRISM_DIFFERENCES
    for requirement_id in failed:
        for failure in requirements[requirement_id]["failures"]:
            for evidence in failure["evidence"]:
                if evidence["response"]["status"] is not None:
                    assert resend(evidence) == evidence["response"]["status"], (requirement_id, evidence["curl"])


def test_default_profile_stops_early_on_a_target_that_keeps_no_state(prism, tmp_path):
    done, result = run_against(prism, tmp_path)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "LEAKED" not in done.stdout and result["data"]["leaked"] == []
    failed = [r for r in result["requirements"] if r["status"] == "failed"]
    assert [r["id"] for r in failed] == ["LIST-SHOWS-CREATED"]
    assert "keep no state" in failed[0]["failures"][0]["message"]
    assert "--profile contract" in failed[0]["failures"][0]["message"]
    rest = [r for r in result["requirements"] if r["id"] != "LIST-SHOWS-CREATED"]
    assert all(r["why_not_checked"] == ["not checked: the target keeps no state"] for r in rest)
