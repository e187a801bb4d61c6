"""`conformance proxy --upstream URL`: the same browser session as test_traffic.py, sent through the proxy to a
reference server; the proxy forwards it unchanged and judges it as `judge` judges a HAR file."""
from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance.mock.faults import REGISTRY
from conformance.mock.server import BackgroundServer
from tests.conftest import API_KEY, ROOT
from tests.har_recording import SETTLE_S, browser, record  # noqa: F401 (browser: a fixture)

STARTUP_S = 20.0  # a generous bound on the proxy's start on a loaded machine (it never waits this long when idle)


class RunningProxy:
    def __init__(self, upstream: str, report_dir: Path, *extra: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZEXA_")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "conformance", "proxy", "--upstream", upstream, "--port", "0", "--report-dir",
             str(report_dir), "--settle", str(SETTLE_S), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
        first = self.process.stdout.readline()  # the line naming the address, printed once it listens
        assert first.startswith("conformance proxy on http://"), first + self.process.stderr.read()
        self.url = first.split()[3]

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=60)
        assert "Traceback" not in err, err
        return self.process.returncode, out


def through_proxy(browser, tmp_path: Path, *deviations: str) -> tuple[int, str, dict]:
    reports = tmp_path / "reports"
    with BackgroundServer(api_key=API_KEY, deviations=deviations) as server:
        proxy = RunningProxy(server.base_url, reports)
        try:
            record(browser, proxy.url + "/v1", API_KEY, tmp_path / "through-proxy.har")
        finally:
            code, out = proxy.stop()
    for written in reports.iterdir():
        assert API_KEY not in written.read_text(encoding="utf-8"), written.name
    assert API_KEY[:-1] not in out
    return code, out, json.loads((reports / "report.json").read_text())


def failed(report: dict) -> set[str]:
    return {r["id"] for r in report["requirements"] if r["status"] == "failed"}


def gating(report: dict) -> set[str]:
    """MUST failures: a SHOULD finding (a legal variant's bare error bodies lack request_id) is reported only."""
    return {r["id"] for r in report["requirements"] if r["gating"]}


def test_faithful_traffic_through_the_proxy_is_clean(browser, tmp_path):
    code, out, report = through_proxy(browser, tmp_path)
    assert (code, gating(report)) == (0, set()), out
    assert report["requests"] > 40 and "verdict: PARTIAL" in out  # a browser session shows no race, for one


@pytest.mark.parametrize("fault", ["validates_before_auth", "id_prefix_dash", "errors_text_plain",
                                   "deleted_id_is_410_gone", "delete_not_removed", "meta_per_page_always_50"])
def test_fault_is_caught_through_the_proxy(browser, tmp_path, fault):
    code, out, report = through_proxy(browser, tmp_path, fault)
    rule = REGISTRY[fault].breaks
    assert code == 1 and rule in failed(report), out
    assert f"[{rule}] " in out  # printed as it happened, one line per newly broken rule


def _raw(port: int, path: str, headers: dict) -> tuple[int, list[tuple[str, str]], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers=headers)
    answer = connection.getresponse()
    result = answer.status, answer.getheaders(), answer.read()  # http.client does not decode content codings
    connection.close()
    return result


@pytest.mark.parametrize("variant", ["gzip_responses", "chunked_lists", "pretty_ascii_json"])
def test_answers_are_forwarded_byte_for_byte(tmp_path, variant):
    headers = {"Authorization": f"Bearer {API_KEY}", "Accept-Encoding": "gzip"}
    with BackgroundServer(api_key=API_KEY, deviations=[variant]) as server:
        proxy = RunningProxy(server.base_url, tmp_path / "reports")
        try:
            port = int(proxy.url.rsplit(":", 1)[1])
            for path in ("/v1/contacts?per_page=3", "/contacts"):  # an empty account: the same bytes twice
                direct = _raw(server.port, "/v1/contacts" + path.partition("contacts")[2], headers)
                proxied = _raw(port, path, headers)
                assert proxied[0] == direct[0] and proxied[2] == direct[2]
                drop = {"date", "connection", "keep-alive", "transfer-encoding"}
                same = sorted((k.lower(), v) for k, v in direct[1] if k.lower() not in drop)
                assert sorted((k.lower(), v) for k, v in proxied[1] if k.lower() not in drop) == same
        finally:
            proxy.stop()


def test_reports_are_written_on_sigusr1(tmp_path):
    reports = tmp_path / "reports"
    with BackgroundServer(api_key=API_KEY, deviations=["id_prefix_dash"]) as server:
        proxy = RunningProxy(server.base_url, reports)
        try:
            port = int(proxy.url.rsplit(":", 1)[1])
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("POST", "/v1/contacts", body=json.dumps({"name": "A", "phone": "+244923120007"}),
                               headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"})
            assert connection.getresponse().status == 201
            assert proxy.process.stdout.readline().startswith("[")  # judged: a violation line
            proxy.process.send_signal(signal.SIGUSR1)
            deadline = time.monotonic() + STARTUP_S
            while not (reports / "summary.md").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert json.loads((reports / "report.json").read_text())["verdict"] == "fail"
        finally:
            code, _ = proxy.stop()
    assert code == 1
