"""The client's safety guard and redaction, without a network: refused requests are never sent."""
from __future__ import annotations

import email.utils
import http.server
import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests

from conformance.client import Client
from conformance.concurrency import QUICK_ANSWER_S, TOGETHER_WAIT_S, CaseAdmission, InFlightLimit
from conformance.errors import UnsafeRequest
from conformance.config import resolve


@pytest.fixture
def client():
    return Client(resolve(base_url="http://127.0.0.1:9/v1", api_key="zx_secret_key_123"))


@pytest.mark.parametrize("method,path", [("DELETE", "/contacts"), ("DELETE", "/contacts/cnt_def456"),
                                         ("PUT", "/contacts/cnt_def456"), ("PATCH", "/contacts"),
                                         ("POST", "/contacts/cnt_def456")])
def test_writes_to_data_the_run_does_not_own_are_refused_before_sending(client, method, path):
    with pytest.raises(UnsafeRequest):
        client.session.request(method, client.url(path))
    assert client.ledger.requests == 0 and client.history == []


def test_deleting_own_and_made_up_ids_is_allowed(client):
    client.ledger.created.add("cnt_mine")
    for contact_id in ("cnt_mine", client.unknown_id()):
        assert client.delete(contact_id).error  # sent (and refused by the closed port), not blocked
    assert client.ledger.requests == 2


def test_evidence_is_redacted_but_judged_data_is_raw(client):
    exchange = client.create({"name": "zx_secret_key_123 lookalike", "phone": "+244912345678"})
    assert "zx_secret_key_123" in exchange.request_body
    written = str(exchange.to_dict(client.session.redact))
    assert "zx_secret_key_123" not in written and "Bearer $ZEXA_API_KEY" in written


def test_evidence_is_the_request_as_sent_and_its_curl_runs_as_pasted(client):
    exchange = client.list(list_id="lst_a b", page=2, per_page=25)
    assert exchange.url == "http://127.0.0.1:9/v1/contacts?list_id=lst_a+b&page=2&per_page=25"
    command = exchange.curl()
    assert "'http://127.0.0.1:9/v1/contacts?list_id=lst_a+b&page=2&per_page=25'" in command
    assert "'Authorization: Bearer '\"$ZEXA_API_KEY\"" in command and "zx_secret_key_123" not in command
    posted = client.create({"name": "O'Brien \"$HOME\" `id`", "phone": "+244912345678"})
    assert posted.request_bytes == '{"name": "O\'Brien \\"$HOME\\" `id`", "phone": "+244912345678"}'.encode()
    import shlex
    words = shlex.split(posted.curl().replace('"$ZEXA_API_KEY"', "KEY"))
    assert words[words.index("--data-binary") + 1] == posted.request_body


def test_in_flight_limit_halves_on_429_and_grows_back():
    limit = InFlightLimit(8)
    limit.rate_limited()
    limit.rate_limited()
    assert limit.limit == 2
    for _ in range(2 + 3 + 4 + 5 + 6 + 7):
        limit.answered(0.05)
    assert limit.limit == 8


def test_a_target_is_quick_while_one_of_its_latest_answers_was():
    """An answer's time on a busy client also holds its thread's wait for the interpreter: one quick answer among the
    latest shows what the target takes."""
    limit = InFlightLimit(8)
    assert not limit.answers_quickly(), "no answer yet: nothing is known of the target"
    for _ in range(16):
        limit.answered(QUICK_ANSWER_S * 10)
    assert not limit.answers_quickly()
    limit.answered(QUICK_ANSWER_S / 10)
    assert limit.answers_quickly()
    for _ in range(16):
        limit.answered(QUICK_ANSWER_S * 10)
    assert not limit.answers_quickly(), "a target that has turned slow"


@pytest.mark.parametrize("quick", [True, False], ids=["quick target", "slow target"])
def test_gathered_calls_go_to_other_threads_only_when_the_target_is_slow(quick):
    client = Client(resolve(base_url="http://127.0.0.1:9/v1", api_key="k", concurrency=4))
    client.session.limit.answered(QUICK_ANSWER_S / 10 if quick else 1.0)
    here = threading.get_ident()
    gathered = client.gather([threading.get_ident] * 4)
    assert (gathered == [here] * 4) if quick else here not in gathered
    assert here not in client.together([threading.get_ident] * 4), "calls sent together each need a thread"


class _Cpu:
    """CpuUse as a test sets it."""
    window = 0.001
    busy = 1.0

    def share(self) -> float:
        return self.busy


def test_two_cases_run_at_once_while_the_cpu_is_busy_and_more_while_it_idles():
    cpu = _Cpu()
    admission = CaseAdmission(4, floor=2, cpu=cpu)
    entered, leave = threading.Semaphore(0), threading.Event()

    def case() -> None:
        with admission:
            entered.release()
            leave.wait(10)
    threads = [threading.Thread(target=case) for _ in range(6)]
    for thread in threads:
        thread.start()
    assert entered.acquire(timeout=10) and entered.acquire(timeout=10)
    assert not entered.acquire(timeout=0.05), "a third case ran beside two while the CPU was busy"
    cpu.busy = 0.0
    assert entered.acquire(timeout=10), "the CPU idles (cases wait for a distant target), yet no other case ran"
    assert entered.acquire(timeout=10), "the CPU still idles, yet the fourth case did not run"
    assert not entered.acquire(timeout=0.05), "more cases ran at once than the ceiling"
    leave.set()
    assert entered.acquire(timeout=10) and entered.acquire(timeout=10), "the last cases never ran"
    for thread in threads:
        thread.join(10)


@pytest.mark.parametrize("header,expected", [("7", 7.0), ("0", 0.0), ("soon", 1.0), ("", 1.0)])
def test_retry_after_seconds(client, header, expected):
    response = requests.Response()
    response.headers["Retry-After"] = header
    assert client.session._retry_after(response) == expected


def test_retry_after_http_date(client):
    response = requests.Response()
    response.headers["Retry-After"] = email.utils.format_datetime(
        datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 <= client.session._retry_after(response) <= 31


def test_keys_forged_from_the_real_one_show_no_fragment_of_it_and_their_repro_runs(client):
    exchange = client.list(auth="Bearer zx_secret_key_12X")
    assert exchange.request_headers["Authorization"] == "Bearer ${ZEXA_API_KEY%?}X"
    assert "zx_secret_key_12" not in str(exchange.to_dict(client.session.redact))
    import subprocess
    echoed = subprocess.run(["bash", "-c", exchange.curl().replace("curl -i -X GET", "printf '%s\\n'")],
                            capture_output=True, text=True, env={"ZEXA_API_KEY": "zx_secret_key_123"}).stdout
    assert "Authorization: Bearer zx_secret_key_12X" in echoed


def test_the_key_with_its_case_swapped_is_hidden_and_its_repro_runs(client):
    exchange = client.list(auth="Bearer ZX_SECRET_KEY_123")
    assert "ZX_SECRET_KEY" not in str(exchange.to_dict(client.session.redact)) + exchange.curl()
    import subprocess
    echoed = subprocess.run(["bash", "-c", exchange.curl().replace("curl -i -X GET", "printf '%s\\n'")],
                            capture_output=True, text=True, env={"ZEXA_API_KEY": "zx_secret_key_123",
                                                                 "PATH": "/usr/bin:/bin"}).stdout
    assert "Authorization: Bearer ZX_SECRET_KEY_123" in echoed, echoed


def test_the_key_as_basic_credentials_is_hidden_and_its_repro_runs(client):
    import base64
    basic = base64.b64encode(b"zx_secret_key_123:").decode()
    exchange = client.list(auth=f"Basic {basic}")
    assert basic not in str(exchange.to_dict(client.session.redact)) + exchange.curl()
    import subprocess
    echoed = subprocess.run(["bash", "-c", exchange.curl().replace("curl -i -X GET", "printf '%s\\n'")],
                            capture_output=True, text=True, env={"ZEXA_API_KEY": "zx_secret_key_123",
                                                                 "PATH": "/usr/bin:/bin"}).stdout
    assert f"Authorization: Basic {basic}" in echoed, echoed


def test_the_environments_proxy_is_used_unless_no_proxy_covers_the_target(monkeypatch):
    """Proxy settings are read once, when the run starts (not from os.environ on every request), and still
    honoured: a corporate CI reaches a remote target through its proxy."""
    from conformance.mock.server import BackgroundServer
    with BackgroundServer(api_key="k") as server:
        config = resolve(base_url=server.base_url, api_key="k")
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        assert "ProxyError" in (Client(config).list().error or "")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert Client(config).list().status == 200


def test_calls_sent_together_reach_the_wire_at_the_same_moment(monkeypatch):
    """The parallel duplicate creates race a server's read-then-insert window of a few milliseconds: calls that get
    ready at different moments (a busy machine) still go on the wire together, none before the last is ready."""
    client = Client(resolve(base_url="http://127.0.0.1:9/v1", api_key="k", concurrency=4))
    events: list[str] = []
    first_sent = threading.Event()

    def on_the_wire(self, request, **kwargs):
        events.append("sent")
        first_sent.set()
        raise requests.ConnectionError("not sent")
    monkeypatch.setattr(requests.Session, "send", on_the_wire)

    def ready(first_send_or_seconds: float):
        def call():
            first_sent.wait(timeout=first_send_or_seconds)  # the last call is ready late, or once one went out
            events.append("ready")
            return client.list(page=1)
        return call
    answers = client.together([ready(0), ready(0), ready(0), ready(TOGETHER_WAIT_S / 5)])
    assert len(answers) == 4 and all(a.error for a in answers)
    assert events == ["ready"] * 4 + ["sent"] * 4, f"a call went on the wire before the last was ready: {events}"
    events.clear()
    first_sent.clear()
    client.gather([ready(0), ready(30), ready(30), ready(30)])
    assert events[:2] == ["ready", "sent"], f"without together, each goes when it is ready: {events}"


class _DroppingServer:
    """Answers the first `answered` requests of each connection (keep-alive), then reads the next one and closes the
    connection without a word: what a server does when its idle timeout fires as the request arrives."""

    def __init__(self, answered: int, reset: bool, status_after_drop: int = 200) -> None:
        import socket
        import threading
        self.answered, self.reset, self.requests = answered, reset, []
        self.status = 200
        self.status_after_drop = status_after_drop
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import socket
        import struct
        while True:
            conn, _ = self._listener.accept()
            with conn:
                for number in range(self.answered + 1):
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    if not data:
                        break
                    self.requests.append((conn.fileno(), data.split(b"\r\n", 1)[0].decode()))
                    if number == self.answered:
                        if self.reset:
                            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        self.status = self.status_after_drop
                        break
                    conn.sendall(f"HTTP/1.1 {self.status} X\r\nContent-Type: application/json\r\n"
                                 "Content-Length: 2\r\n\r\n{}".encode())


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_request_dropped_on_a_kept_alive_connection_is_sent_once_more(reset, method):
    server = _DroppingServer(answered=1, reset=reset)
    client = Client(resolve(base_url=f"http://127.0.0.1:{server.port}/v1", api_key="zx_secret_key_123"))
    client.ledger.created.add("cnt_mine")
    url = client.url("/contacts" if method == "POST" else "/contacts/cnt_mine")
    first = client.session.request("GET", client.url("/contacts"))
    second = client.session.request(method, url, json={"name": "A"} if method == "POST" else None)
    assert (first.status_code, second.status_code) == (200, 200)
    assert [line.split(" ")[0] for _, line in server.requests] == ["GET", method, method]
    assert [exchange.status for exchange in client.history] == [200, 200]
    assert client.history[0].resent is None and "dropped unanswered" in client.history[1].resent
    assert client.ledger.resent == 1 and client.history[1].to_dict(str)["resent"] == client.history[1].resent


def test_a_target_that_drops_every_request_is_reported_after_one_resend():
    server = _DroppingServer(answered=0, reset=True)
    client = Client(resolve(base_url=f"http://127.0.0.1:{server.port}/v1", api_key="zx_secret_key_123"))
    with pytest.raises(requests.ConnectionError):
        client.session.request("GET", client.url("/contacts"))
    assert len(server.requests) == 2
    assert "Connection" in client.history[-1].error


def test_a_resent_create_refused_as_a_duplicate_may_have_been_made_by_its_first_send():
    server = _DroppingServer(answered=1, reset=True, status_after_drop=409)
    client = Client(resolve(base_url=f"http://127.0.0.1:{server.port}/v1", api_key="zx_secret_key_123"))
    client.session.request("GET", client.url("/contacts"))
    assert client.create({"name": "A", "phone": "+244912345678"}).status == 409
    assert client.ledger.uncertain_creates == 1  # so cleanup searches the account for the run's tag


class _CreateAnswers(http.server.BaseHTTPRequestHandler):
    """Answers a create as its name asks: made with an id, made without one, or refused."""
    ANSWERS = {"with id": (201, {"id": "cnt_made1", "name": "with id"}), "no id": (201, {"name": "no id"}),
               "refused": (422, {"error": "validation_error", "message": "no"})}

    def do_POST(self) -> None:
        status, body = self.ANSWERS[json.loads(self.rfile.read(int(self.headers["Content-Length"])))["name"]]
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.parametrize("path", ["session", "wire"])
def test_creates_are_recorded_alike_through_the_session_and_on_the_wire(path):
    """The ids the run may delete, and the creates cleanup must search for, do not depend on how a create was sent."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CreateAnswers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = Client(resolve(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", api_key="k"))
        create = client.create if path == "session" else lambda body: client.raw("POST", "/contacts", json=body)[0]
        assert create({"name": "with id"}).status == 201
        assert (client.ledger.created, client.ledger.uncertain_creates) == ({"cnt_made1"}, 0)
        assert create({"name": "refused"}).status == 422 and client.ledger.uncertain_creates == 0
        assert create({"name": "no id"}).status == 201 and client.ledger.uncertain_creates == 1  # may have made one
        again = create({"name": "with id"})
        assert client.ledger.repeated_ids == [again] and client.ledger.created == {"cnt_made1"}
    finally:
        server.shutdown()
        server.server_close()


def test_cleanup_still_reads_pages_side_by_side_once_the_run_is_drained():
    """After drain() a pool thread sends nothing (cases side by side must stop), yet cleanup's walk of a large
    account gathers its pages: those are sent from cleanup's own thread."""
    from conformance.mock.server import BackgroundServer
    with BackgroundServer(api_key="k") as server:
        client = Client(resolve(base_url=server.base_url, api_key="k", concurrency=4))
        pages = [lambda: client.list(page=1), lambda: client.list(page=2)]
        assert [a.status for a in client.gather(pages)] == [200, 200]
        client.drain()
        after = client.gather(pages)
    assert [a.status for a in after] == [200, 200]


def test_an_old_created_at_spares_a_contact_only_once_the_targets_clock_is_shown_right():
    """An upsert answers a create with a contact made months ago; a clock stuck days behind answers every create so."""
    from conformance.ledger import Ledger
    ledger = Ledger(created={"cnt_new", "cnt_old"}, made_before={"cnt_old"}, not_ours={"cnt_listed"})
    assert sorted(ledger.live) == ["cnt_new", "cnt_old"] and ledger.theirs("cnt_listed")
    ledger.clock_right = True  # another create answered a recent created_at
    assert ledger.live == ["cnt_new"] and ledger.theirs("cnt_old")
