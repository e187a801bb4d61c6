"""Reading HAR 1.2 (Chromium, Firefox, Playwright's record_har_path, mitmproxy's export) into exchanges of the
Contacts API; every other entry is left out. A file that is not such a HAR is a HarError with one line to say why."""
from __future__ import annotations

import base64
import binascii
import gzip
import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from conformance.exchange import Exchange
from conformance.judgements import operation

# Headers a browser or a tool adds that say nothing to the API, or hold another site's secrets (cookies): left out
# of the exchange, so of every report and repro.
_LEFT_OUT = frozenset({"cookie", "origin", "referer", "user-agent", "host", "content-length",
                       "accept-encoding", "accept-language", "connection", "priority", "pragma", "cache-control",
                       "upgrade-insecure-requests", "dnt", "te", "proxy-authorization"})


class HarError(Exception):
    """The file is not a HAR this command can read, or holds no exchange with the Contacts API."""


@dataclass(eq=False)
class Recorded(Exchange):
    """An exchange as a recording holds it: its place in the file, when it started, and whether the recording kept
    the answer's body (a tool may leave it out)."""
    index: int = 0
    kind: str = "HAR entry"  # what `index` counts: entries of a HAR file, or exchanges the proxy saw
    started: str = ""
    started_at: float = 0.0  # seconds since the epoch
    body_known: bool = True
    authorization: str = ""  # the Authorization header as sent, in the clear (never written out)


def read(path: str | Path) -> list[Recorded]:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise HarError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        har = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise HarError(f"{path} is not a HAR file (not JSON, or cut short): {str(exc).splitlines()[0]}") from None
    entries = har.get("log", {}).get("entries") if isinstance(har, dict) and isinstance(har.get("log"), dict) else None
    if not isinstance(entries, list):
        raise HarError(f"{path} is not a HAR file: it has no log.entries list")
    found = []
    for index, entry in enumerate(entries):
        try:
            recorded = _exchange(index, entry)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise HarError(f"{path}: entry {index} is not a HAR entry ({type(exc).__name__}: {exc})") from None
        if recorded is not None:
            found.append(recorded)
    if not found:
        raise HarError(f"{path} holds no exchange with the Contacts API (no POST or GET of …/contacts, no DELETE of "
                       f"…/contacts/{{id}} among its {len(entries)} entries)")
    return found


def _pairs(headers: list) -> list[tuple[str, str]]:
    return [(str(h["name"]), str(h["value"])) for h in headers if not str(h["name"]).startswith(":")]


def _exchange(index: int, entry: dict) -> Recorded | None:
    request, response = entry["request"], entry["response"]
    method, url = str(request["method"]).upper(), str(request["url"])
    if operation(method, url) is None:
        return None
    sent = _pairs(request.get("headers", []))
    authorization = next((v for k, v in sent if k.lower() == "authorization"), "")
    body, body_bytes = _request_body(request, sent)
    started = str(entry.get("startedDateTime", ""))
    started_at = _epoch(started)
    elapsed = max(0.0, float(entry.get("time") or 0)) / 1000
    status = int(response.get("status") or 0)
    recorded = Recorded(method, url, {k: v for k, v in sent if k.lower() not in _LEFT_OUT
                                                   and not k.lower().startswith("sec-")}, body,
                        request_bytes=body_bytes, index=index, started=started, started_at=started_at,
                        authorization=authorization,
                        elapsed=elapsed, answered_at=started_at + elapsed)
    if status <= 0:  # the browser recorded no answer (failed, blocked or cancelled)
        recorded.error = str(response.get("_error") or entry.get("_error") or "no answer was recorded")
        recorded.unanswered = True
        return recorded
    recorded.status = status
    recorded.headers = {k.lower(): v for k, v in _pairs(response.get("headers", []))}
    text, known = _response_text(response.get("content") or {}, recorded.headers)
    recorded.text, recorded.body_known = text, known
    return recorded


def _epoch(stamp: str) -> float:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def _request_body(request: dict, headers: list[tuple[str, str]]) -> tuple[str | None, bytes | None]:
    post = request.get("postData")
    if not isinstance(post, dict) or "text" not in post:
        length = next((v for k, v in headers if k.lower() == "content-length"), None)
        return ("", b"") if length == "0" or request.get("bodySize") == 0 else (None, None)
    text = str(post["text"])
    if (post.get("encoding") or post.get("_encoding")) == "base64":
        data = _base64(text)
        return data.decode("utf-8", "replace"), data
    return text, text.encode("utf-8")


def _response_text(content: dict, headers: dict[str, str]) -> tuple[str, bool]:
    if "text" not in content or content["text"] is None:
        return "", content.get("size", -1) == 0
    data = _base64(content["text"]) if content.get("encoding") == "base64" else str(content["text"]).encode()
    return decoded(data, headers.get("content-encoding", "")).decode("utf-8", "replace"), True


def _base64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError):
        raise ValueError("a base64 body does not decode") from None


def decoded(data: bytes, coding: str) -> bytes:
    """The body as the API sent it before its content coding; tools mostly store it decoded already."""
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError):
            return data
    if "deflate" in coding.lower():
        for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
            try:
                return zlib.decompress(data, wbits)
            except zlib.error:
                continue
    if "br" in coding.lower():
        try:
            import brotli  # optional: present where a tool stored brotli bytes, absent otherwise
            return brotli.decompress(data)
        except Exception:  # noqa: BLE001 - not brotli after all (stored decoded), or brotli not installed
            return data
    return data
