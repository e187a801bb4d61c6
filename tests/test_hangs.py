"""Bounded hangs: a target that never answers one kind of request costs one read timeout, not one per request,
and what it left unanswered is 'not checked', never passed or failed."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conformance.client import Client
from conformance.config import resolve
from tests.conftest import run_cli

# Far above how long an answer takes on a loaded machine, so only the request that is never answered times out.
READ_TIMEOUT = 5.0


class HangsOnMalformedJson(BaseHTTPRequestHandler):
    """Answers like a (stateless) Contacts API, except that a POST whose body is not JSON is never answered."""
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: Nagle would hold the body for an ACK

    def log_message(self, *args) -> None:
        pass

    def _answer(self, status: int, body: dict | None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(200, {"data": [], "meta": {"total": 0, "page": 1, "per_page": 50}})

    def do_DELETE(self) -> None:
        self._answer(404, {"error": "not_found", "message": "no such contact"})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.posts.append(raw)
        try:
            body = json.loads(raw)
        except ValueError:
            self.server.stopping.wait()  # never answered while the test runs
            return
        if not isinstance(body, dict):  # JSON, but no object (a top-level array): refused at once
            self._answer(400, {"error": "invalid_request", "message": "the body must be a JSON object"})
            return
        self._answer(201, {"id": f"cnt_{len(self.server.posts)}", **body, "created_at": "2026-06-24T10:00:00Z"})


@pytest.fixture
def hanging_target():
    server = ThreadingHTTPServer(("127.0.0.1", 0), HangsOnMalformedJson)
    server.daemon_threads = True
    server.posts = []
    server.stopping = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.stopping.set()
    server.shutdown()
    server.server_close()


def test_a_kind_of_request_left_unanswered_is_not_sent_again(hanging_target):
    base_url = f"http://127.0.0.1:{hanging_target.server_address[1]}/v1"
    client = Client(resolve(base_url=base_url, api_key="k", env={"ZEXA_READ_TIMEOUT": str(READ_TIMEOUT)}))
    first = client.call("POST", "/contacts", data=b'{"name": ')
    second = client.call("POST", "/contacts", data=b"name=Maria")
    assert len(hanging_target.posts) == 1
    assert first.unanswered and second.unanswered and "not sent again" in second.error
    assert first.error == "the target did not answer POST /v1/contacts (malformed JSON) within 5 s"
    assert client.create({"name": "Maria", "phone": "+244912345678"}).status == 201
    assert list(client.ledger.hangs) == ["POST /v1/contacts (malformed JSON)"]
    assert client.ledger.hangs["POST /v1/contacts (malformed JSON)"] >= READ_TIMEOUT


def test_unanswered_requests_leave_their_requirement_not_checked(hanging_target, tmp_path):
    base_url = f"http://127.0.0.1:{hanging_target.server_address[1]}/v1"
    done = run_cli("run", "--base-url", base_url, "--profile", "contract", "--report-dir", str(tmp_path),
                   "-k", "malformed_json_is_400", env={"ZEXA_API_KEY": "k", "ZEXA_READ_TIMEOUT": str(READ_TIMEOUT)})
    result = json.loads((tmp_path / "report.json").read_text())
    malformed = next(r for r in result["requirements"] if r["id"] == "CREATE-400-MALFORMED-JSON")
    assert malformed["status"] == "not_checked", malformed
    assert malformed["why_not_checked"][0].startswith(
        "not checked: the target did not answer POST /v1/contacts (malformed JSON) within 5 s")
    assert result["hangs"]["classes"] == ["POST /v1/contacts (malformed JSON)"]
    assert result["hangs"]["waited_s"] >= READ_TIMEOUT
    malformed = [raw for raw in hanging_target.posts if not _parses(raw)]
    assert 1 <= len(malformed) <= 8  # those already in flight together when the first one timed out
    assert "unanswered: POST /v1/contacts (malformed JSON) (waited" in done.stdout


def _parses(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return False
    return True
