"""HTTP/1.1 as sent on the wire: one request over a raw socket (TLS for https) with `Connection: close`, read to EOF,
and judges of the status line, headers and body bytes as they came. `requests` never reads a body on a 204 and
normalises framing, so "204 with a body" or an error body cut short cannot be seen through it."""
from __future__ import annotations

import json
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from conformance.judgements import is_json_type



class WireError(Exception):
    """The target could not be reached or its answer was not HTTP; the message is one line."""


@dataclass
class RawAnswer:
    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)  # names lowercased, in the order sent, repeats kept
    body: bytes = b""  # every byte after the blank line, up to EOF

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]


def request_bytes(method: str, url: str, headers: dict[str, str], body: bytes | None) -> bytes:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close", "Accept: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def exchange(url: str, payload: bytes, *, connect_timeout: float, read_timeout: float, max_bytes: int) -> bytes:
    """Send `payload` and read the answer to EOF (at most `max_bytes`, within `read_timeout` in all)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        sock = socket.create_connection((parts.hostname, port), timeout=connect_timeout)
    except OSError as exc:
        raise WireError(f"cannot connect to {parts.hostname}:{port}: {exc}") from None
    try:
        if parts.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        sock.sendall(payload)
        received, deadline = bytearray(), time.monotonic() + read_timeout
        while len(received) <= max_bytes:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WireError(f"no end of the answer within {read_timeout:.0f} s (Connection: close was sent)")
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        return bytes(received)
    except (OSError, ssl.SSLError) as exc:
        raise WireError(f"{type(exc).__name__}: {exc}") from None
    finally:
        sock.close()


def parse(raw: bytes) -> RawAnswer:
    head, separator, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code, _, reason = rest.partition(" ")
    if not separator or not version.startswith("HTTP/") or not code.isdigit():
        raise WireError(f"the answer is not HTTP: {raw[:80]!r}")
    headers = [(name.strip().lower(), value.strip()) for name, _, value in (line.partition(":") for line in lines[1:])]
    return RawAnswer(int(code), reason, headers, body)


def framed_body(answer: RawAnswer) -> tuple[bytes, str]:
    """The body its framing describes, and what is wrong with the framing ('' when nothing is)."""
    if any("chunked" in v.lower() for v in answer.values("transfer-encoding")):
        return _dechunk(answer.body)
    lengths = set(answer.values("content-length"))
    if len(lengths) > 1:
        return answer.body, f"conflicting Content-Length headers {sorted(lengths)}"
    if not lengths:
        return answer.body, ""  # delimited by the close of the connection: legal
    declared = lengths.pop()
    if not declared.isdigit():
        return answer.body, f"Content-Length {declared!r} is not a number"
    if int(declared) != len(answer.body):
        return answer.body[:int(declared)], (f"Content-Length says {declared} bytes, {len(answer.body)} came before "
                                             "the connection closed")
    return answer.body, ""


def _dechunk(data: bytes) -> tuple[bytes, str]:
    body = bytearray()
    while True:
        size_line, separator, data = data.partition(b"\r\n")
        size = size_line.split(b";")[0].strip()
        try:
            length = int(size, 16)
        except ValueError:
            return bytes(body), f"chunked body with a bad chunk size {size_line[:20]!r}"
        if not separator or len(data) < length + 2 or data[length:length + 2] != b"\r\n":
            return bytes(body), "chunked body cut short"
        if length == 0:
            return bytes(body), ""
        body += data[:length]
        data = data[length + 2:]


def no_content_problems(answer: RawAnswer) -> list[str]:
    """A 204 carries no body bytes, and no Content-Length but 0 (RFC 9110 §15.3.5, and the docs: an empty body)."""
    problems = []
    if answer.body:
        problems.append(f"{len(answer.body)} bytes follow the headers of the 204: {answer.body[:80]!r}")
    declared = [v for v in answer.values("content-length") if v != "0"]
    if declared:
        problems.append(f"the 204 declares Content-Length {declared[0]}")
    if answer.values("transfer-encoding"):
        problems.append(f"the 204 declares Transfer-Encoding {answer.values('transfer-encoding')[0]}")
    return problems


def error_problems(answer: RawAnswer) -> list[tuple[str, str]]:
    """(requirement, problem) pairs for an error answer: a JSON Content-Type, and a body that its framing delimits
    and that parses as a JSON object."""
    problems = []
    content_type = ", ".join(answer.values("content-type"))
    if not is_json_type(content_type):
        problems.append(("JSON-CONTENT-TYPE", f"the {answer.status} answer says Content-Type {content_type!r}"))
    body, framing = framed_body(answer)
    if framing:
        problems.append(("ERROR-BODY-SHAPE", f"the {answer.status} answer's body is framed wrongly: {framing}"))
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        problems.append(("ERROR-BODY-SHAPE", f"the {answer.status} answer's body is not a JSON object: {body[:120]!r}"))
    return problems
