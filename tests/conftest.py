"""Fixtures that start servers and run the CLI, shared by the project's own tests."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conformance.mock.server import BackgroundServer

ROOT = Path(__file__).resolve().parents[1]
API_KEY = "zx_test_key_7f3a9c"

# A shell starts a background job (`make test &`, some CI runners) with SIGINT ignored, and every child inherits
# that: the interrupt tests would signal runs that never hear it. A handler does not survive exec, so the runs the
# tests start get Python's own again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def server():
    with BackgroundServer(api_key=API_KEY) as running:
        yield running


@pytest.fixture
def api(server):
    """requests helpers bound to the reference server."""
    import requests

    class Api:
        base = server.base_url
        auth = {"Authorization": f"Bearer {API_KEY}"}

        def post(self, body=None, **kw):
            return requests.post(self.base + "/contacts", json=body, headers=kw.pop("headers", self.auth), **kw)

        def get(self, **params):
            return requests.get(self.base + "/contacts", params=params, headers=self.auth)

        def delete(self, contact_id, **kw):
            return requests.delete(f"{self.base}/contacts/{contact_id}", headers=kw.pop("headers", self.auth), **kw)
    return Api()


def run_cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The `conformance` command in a subprocess, as a user runs it."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ZEXA_") and k != "GITHUB_STEP_SUMMARY"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, cwd=ROOT)


def eventually(condition, within: float = 30.0) -> None:
    """Polls until `condition()` holds: for what a server shows only after a delay of its own."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"still not true after {within} s"
        time.sleep(0.05)


class HostileHandler(BaseHTTPRequestHandler):
    """Answers every request the way its server's `mode` says a broken target might."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json", headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def handle_one_request(self) -> None:
        mode = self.server.mode
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline:  # the client closed the connection
            self.close_connection = True
            return
        if not self.parse_request():
            return
        if self.headers.get("Content-Length"):
            self.rfile.read(int(self.headers["Content-Length"]))
        if mode == "silent":
            time.sleep(30)
        elif mode == "close_mid_response":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"data\": [")
            self.close_connection = True
        elif mode == "not_json":
            self._send(200, b"hello, this is not JSON", "application/json")
        elif mode == "html_500":
            self._send(500, b"<html><body><h1>Internal Server Error</h1></body></html>", "text/html")
        elif mode == "wrong_content_type":
            self._send(200, b'{"data": [], "meta": {"total": 0, "page": 1, "per_page": 50}}', "text/plain")
        elif mode == "huge_body":
            size = 50 * 1024 * 1024
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = b" " * (1024 * 1024)
            try:
                for _ in range(50):
                    self.wfile.write(chunk)
            except OSError:
                pass
            self.close_connection = True
        elif mode == "redirect_loop":
            self._send(302, b"{}", headers={"Location": self.path})
        elif mode == "echoes_the_key":
            self._send(200, json.dumps({"data": [], "meta": {"total": 0, "page": 1, "per_page": 50},
                                        "you_sent": self.headers.get("Authorization", "")}).encode())
        elif mode == "always_429":
            self._send(429, b'{"error": "rate_limit_exceeded", "message": "slow down"}', headers={"Retry-After": "1"})
        elif mode == "retry_after_a_day":
            self._send(429, b'{"error": "rate_limit_exceeded", "message": "come back tomorrow"}',
                       headers={"Retry-After": "86400"})


@pytest.fixture
def hostile(request):
    """A target that misbehaves in the way the test's parameter names."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileHandler)
    server.daemon_threads = True
    server.mode = request.param
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()
