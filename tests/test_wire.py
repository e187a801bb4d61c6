"""Wire-level judging: parsing and framing of raw answers, and the client against a target that sends bytes on a 204
(bytes `requests` never reads, and that must not be taken for the start of the next answer)."""
from __future__ import annotations

import socket
import threading

import pytest

from conformance.client import Client
from conformance.errors import UnsafeRequest
from conformance.config import resolve
from conformance.wire import error_problems, framed_body, no_content_problems, parse

KEY = "zx_wire_test_key"
CONTACT = b'{"id": "cnt_wire00000001", "name": "W", "phone": "+244912345678", "created_at": "2026-06-24T10:00:00Z"}'
LIST = b'{"data": [], "meta": {"total": 0, "page": 1, "per_page": 50}}'


def test_a_204_with_bytes_or_a_length_is_named():
    assert no_content_problems(parse(b"HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n")) == []
    assert no_content_problems(parse(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")) == []
    body = no_content_problems(parse(b"HTTP/1.1 204 No Content\r\n\r\n{}"))
    length = no_content_problems(parse(b"HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\n"))
    assert "2 bytes follow" in body[0] and "Content-Length 2" in length[0]


def test_error_bodies_are_read_as_their_framing_says():
    good = parse(b'HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n'
                 b'{"error": "x"}')
    assert framed_body(good) == (b'{"error": "x"}', "") and error_problems(good) == []
    chunked = parse(b"HTTP/1.1 422 X\r\nContent-Type: application/json; charset=utf-8\r\nTransfer-Encoding: chunked"
                    b"\r\n\r\n5\r\n{\"a\":\r\n3\r\n 1}\r\n0\r\n\r\n")
    assert framed_body(chunked) == (b'{"a": 1}', "") and error_problems(chunked) == []
    short = parse(b"HTTP/1.1 400 X\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"error\": \"x\"}")
    assert [r for r, _ in error_problems(short)] == ["ERROR-BODY-SHAPE"]
    html = parse(b"HTTP/1.1 401 X\r\nContent-Type: text/html\r\n\r\n<h1>no</h1>")
    assert [r for r, _ in error_problems(html)] == ["JSON-CONTENT-TYPE", "ERROR-BODY-SHAPE"]


def test_error_content_type_is_the_one_json_rule():
    """The raw-wire judge and the exchange judges share judgements.is_json_type: any +json type is JSON."""
    for ctype in (b"application/problem+json", b"application/vnd.zexa.error+json; charset=utf-8", b"Application/JSON"):
        answer = parse(b"HTTP/1.1 404 X\r\nContent-Type: " + ctype + b"\r\n\r\n{\"error\": \"x\"}")
        assert error_problems(answer) == [], ctype
    plain = parse(b"HTTP/1.1 404 X\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{\"error\": \"x\"}")
    assert [r for r, _ in error_problems(plain)] == ["JSON-CONTENT-TYPE"]


def _respond(conn: socket.socket) -> None:
    """Keep-alive HTTP/1.1: creates a contact, lists nothing, and answers DELETE with a 204 followed by a JSON body."""
    with conn, conn.makefile("rb") as reader:
        while True:
            request_line = reader.readline()
            if not request_line:
                return
            length, close = 0, False
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                length = int(value) if name.lower() == "content-length" else length
                close = close or (name.lower() == "connection" and value.strip().lower() == "close")
            reader.read(length)
            method = request_line.split()[0]
            if b"/chunked" in request_line:
                conn.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n" + CHUNKED_401 + b"\r\n")
            elif method == b"DELETE":
                conn.sendall(b'HTTP/1.1 204 No Content\r\n\r\n{"deleted": true}')
            else:
                body = CONTACT if method == b"POST" else LIST
                status = b"201 Created" if method == b"POST" else b"200 OK"
                conn.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
            if close:
                return


CHUNKED_401 = b'10\r\n{"error":"unauth\r\n10\r\norized","message\r\nB\r\n":"no key"}\r\n0\r\n'


@pytest.fixture
def noisy_204_target():
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=_respond, args=(conn,), daemon=True).start()
    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    listener.close()


@pytest.fixture
def wire_client(noisy_204_target):
    return Client(resolve(base_url=noisy_204_target, api_key=KEY, seed=1, env={}))


def test_raw_delete_shows_the_bytes_after_a_204_and_is_recorded(wire_client):
    created = wire_client.create({"name": "W", "phone": "+244912345678"})
    exchange, answer = wire_client.raw("DELETE", "/contacts/cnt_wire00000001")
    assert created.status == 201 and exchange.status == 204 and answer.body == b'{"deleted": true}'
    assert no_content_problems(answer) and wire_client.history[-1] is exchange
    assert exchange.request_headers["Connection"] == "close" and wire_client.ledger.requests == 2


def test_a_raw_chunked_answer_is_recorded_as_its_body_not_its_framing(wire_client):
    exchange, answer = wire_client.raw("GET", "/chunked")
    assert exchange.status == 401 and not error_problems(answer)
    assert exchange.json_or_none() == {"error": "unauthorized", "message": "no key"}


def test_raw_requests_pass_the_write_guard(wire_client):
    with pytest.raises(UnsafeRequest):
        wire_client.raw("DELETE", "/contacts/cnt_not_ours")
    assert wire_client.ledger.requests == 0


def test_session_deletes_never_reuse_their_connection(wire_client):
    wire_client.create({"name": "W", "phone": "+244912345678"})
    for _ in range(3):
        deleted = wire_client.delete("cnt_wire00000001")
        assert deleted.status == 204 and deleted.request_headers["Connection"] == "close"
        listed = wire_client.list()
        assert listed.status == 200 and listed.json_or_none()["meta"]["total"] == 0, listed.text
