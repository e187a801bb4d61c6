"""The one HTTP session: auth, timeouts, capped reads, a bound on requests in flight, 429 back-off, redaction,
request budget, and the record of what this run created (the only ids it may ever DELETE)."""
from __future__ import annotations

import base64
import contextvars
import http.client
import importlib.metadata
import http.cookiejar
import json as jsonlib
import os
import random
import re
import shlex
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import urllib3

from conformance import case_context, wire
from conformance.config import Config
from conformance.judgements import created_id
from conformance.paging import tagged_ids, walk
from conformance.privacy import OthersContacts
from conformance.settling import settled

MAX_BODY_BYTES = 1_000_000
# Every request says who sends it, so an API team can find the checker's traffic in its logs or let it past a WAF.
USER_AGENT = f"zexa-conformance/{importlib.metadata.version('zexa-conformance')} (+conformance checker)"
RATE_LIMIT_SAMPLES = 20  # 429 answers kept for RATE-LIMIT-RETRY-AFTER to judge
REDACTED = "[redacted]"
KEY_VARIABLE = "$ZEXA_API_KEY"  # how evidence and repro commands show the run's key: the reader's own shell fills it in
KEY_BUT_LAST = "${ZEXA_API_KEY%?}"  # the key without its last character (keys forged from the real one start so)
KEY_SWAPPED = '$(printf %s "$ZEXA_API_KEY" | tr a-zA-Z A-Za-z)'  # the key with its letters' case swapped
KEY_STAND_INS = (KEY_VARIABLE, KEY_BUT_LAST, KEY_SWAPPED)  # what evidence shows for the key and keys made from it
_MISSING = object()
# Calls sent together (Client.together) meet here, prepared and holding their slots, and go on the wire at once.
_TOGETHER: contextvars.ContextVar[threading.Barrier | None] = contextvars.ContextVar("conformance_together",
                                                                                      default=None)
TOGETHER_WAIT_S = 0.5  # a partner that gets no slot within this goes on its own
T = TypeVar("T")
_CONTACT_PATH = re.compile(r"/contacts/([^/?#]+)$")


class TargetUnusable(Exception):
    """The target cannot be checked at all (unreachable, or rate-limits beyond the allowed wait)."""


class BudgetExhausted(Exception):
    pass


class RunStopping(Exception):
    """The run is ending (interrupted or finished): calls still queued side by side send nothing more."""


class NotAnswered(requests.ReadTimeout):
    """The target left a request of this kind unanswered before: it is not sent again, to bound the wait."""


class CheckerBug(RuntimeError):
    """The checker used its own machinery wrongly: no answer of the target can cause it (the run ends with exit 4)."""


class UnsafeRequest(Exception):
    """A DELETE of an id this run did not create; it is never sent."""


@dataclass(eq=False)
class Exchange:
    """One request and its response as plain data. Cases judge the raw data; only the Authorization header is
    masked here, and everything else is redacted when written out (`to_dict`)."""
    method: str
    url: str  # as sent: with the query string
    request_headers: dict[str, str]  # as sent, the run's key shown as $ZEXA_API_KEY
    request_body: str | None
    request_bytes: bytes | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""
    truncated: bool = False
    elapsed: float = 0.0
    answered_at: float = 0.0  # time.monotonic() when the answer was read
    error: str | None = None
    unanswered: bool = False  # the target never answered (read timeout), or a request of its kind hung before
    resent: str | None = None  # why the first send got no answer, when it was sent once more (see _ResendDropped)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json_or_none(self) -> Any:
        try:
            return jsonlib.loads(self.text)
        except ValueError:
            return None

    def curl(self) -> str:
        """A command that sends this request again, runnable as pasted (the key comes from $ZEXA_API_KEY)."""
        parts = ["curl", "-i", "-X", self.method, shlex.quote(self.url)]
        for name, value in self.request_headers.items():
            if name.lower() in ("content-length", "user-agent", "accept-encoding", "connection") or (
                    name.lower() == "accept" and value == "*/*"):
                continue  # curl sets these itself (an Accept of its own is part of the request)
            parts += ["-H", _shell_word(f"{name}: {value}")]
        binary = self._binary_body()
        if binary is not None:  # bytes that are not text: printf writes them, curl reads them from its stdin
            return f"printf {shlex.quote(_printf_escaped(binary))} | " + " ".join(parts + ["--data-binary", "@-"])
        if self.request_body is not None:
            parts += ["--data-binary", shlex.quote(self.request_body)]
        return " ".join(parts)

    def _binary_body(self) -> bytes | None:
        """The body as sent, when it is not UTF-8 text (a text rendering of it would not be what went out) or holds
        a NUL byte (no shell word can)."""
        if self.request_bytes is None:
            return None
        try:
            self.request_bytes.decode("utf-8")
        except UnicodeDecodeError:
            return self.request_bytes
        return self.request_bytes if b"\x00" in self.request_bytes else None

    def to_dict(self, redact: Callable[[str], str]) -> dict:
        """The exchange for a report, with the key redacted from every text."""
        return {"request": {"method": self.method, "url": redact(self.url),
                            "headers": {k: redact(v) for k, v in self.request_headers.items()},
                            "body": redact(self.request_body) if self.request_body is not None else None,
                            **({"body_base64": base64.b64encode(binary).decode()}
                               if (binary := self._binary_body()) is not None else {})},
                "response": {"status": self.status, "headers": {k: redact(v) for k, v in self.headers.items()},
                             # redacted whole, then cut: a value cut in two would escape its mask
                             "body": redact(self.text)[:4000], "truncated": self.truncated,
                             "elapsed_s": round(self.elapsed, 3)},
                "error": redact(self.error) if self.error else None, "curl": redact(self.curl()),
                **({"resent": self.resent} if self.resent else {})}


def hide_key(text: str, key: str, whole: str = REDACTED, but_last: str = REDACTED, swapped: str = REDACTED) -> str:
    """text with the key, the key with its letters' case swapped, and the key cut one short replaced."""
    text = text.replace(key, whole)
    if key.swapcase() != key:
        text = text.replace(key.swapcase(), swapped)
    return text.replace(key[:-1], but_last) if len(key) > 4 else text


def _printf_escaped(data: bytes) -> str:
    """A printf format that writes exactly `data` (octal escapes for every byte that is not plain ASCII)."""
    return "".join(chr(b) if 32 <= b < 127 and chr(b) not in "%\\" else f"\\{b:03o}" for b in data)


def _shell_word(text: str) -> str:
    """Quote text for a POSIX shell, leaving the key's stand-ins ($ZEXA_API_KEY and keys made from it) to be
    expanded."""
    pieces = re.split(f"({'|'.join(map(re.escape, KEY_STAND_INS))})", text)
    return "".join(f'"{p}"' if p in KEY_STAND_INS else shlex.quote(p) if p else ""
                   for p in pieces) or "''"


class InFlightLimit(case_context.Slots):
    """At most `limit` requests in flight, a free slot to the waiting request of the highest priority (so the long
    chains of dependent requests are not queued behind everything else). A 429 halves the limit; every `limit`
    answers without one grow it by one, back up to the configured bound (additive increase, multiplicative
    decrease, as TCP does)."""

    def __init__(self, bound: int) -> None:
        super().__init__(bound)
        self.bound = self.limit
        self._calm = 0

    def rate_limited(self) -> None:
        with self._cv:
            self.limit, self._calm = max(1, self.limit // 2), 0

    def answered(self) -> None:
        with self._cv:
            self._calm += 1
            if self._calm >= self.limit and self.limit < self.bound:
                self.limit, self._calm = self.limit + 1, 0
                self._hand_over()


class WriteGate:
    """Reads of the whole account are judged against what the run knows it holds, so while one is made the run's
    own writes wait (reads go on; several such reads may run together). The holder itself may write (a create
    read back before any other write of the run), from its own thread only."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._writing = 0
        self._reading = 0
        self._waiting = 0
        self._readers: set[int] = set()

    @contextmanager
    def write(self) -> Iterator[None]:
        if self.reading_here():
            yield
            return
        with self._cv:
            self._cv.wait_for(lambda: not self._reading and not self._waiting)
            self._writing += 1
        try:
            yield
        finally:
            with self._cv:
                self._writing -= 1
                self._cv.notify_all()

    def reading_here(self) -> bool:
        return threading.get_ident() in self._readers

    @contextmanager
    def whole_account(self) -> Iterator[None]:
        with self._cv:
            self._waiting += 1
            self._cv.wait_for(lambda: not self._writing)
            self._waiting -= 1
            self._reading += 1
            self._readers.add(threading.get_ident())
        try:
            yield
        finally:
            with self._cv:
                self._reading -= 1
                self._readers.discard(threading.get_ident())
                self._cv.notify_all()


@dataclass
class Ledger:
    """What the run created and deleted, and what it asked of the target."""
    created: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    unknown_ids: set[str] = field(default_factory=set)
    requests: int = 0
    rate_limited: int = 0
    rate_limit_wait_s: float = 0.0
    lowest_limit: int = 0  # the lowest in-flight bound 429s pushed the run to (0: never lowered)
    settle_waits: list[float] = field(default_factory=list)  # seconds waited for a list to show a write
    repeated_ids: list[Exchange] = field(default_factory=list)  # creates that answered an id an earlier one had
    uncertain_creates: int = 0  # POSTs whose outcome is unknown (no answer, or no id in a 2xx): may have created
    hangs: dict[str, float] = field(default_factory=dict)  # request kind the target never answered -> seconds waited
    resent: int = 0  # requests dropped unanswered on a kept-alive connection and sent once more
    rate_limit_answers: list[Exchange] = field(default_factory=list)  # the first 429s, as they came

    @property
    def live(self) -> list[str]:
        return [i for i in self.created if i not in self.deleted]


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """The API keeps no sessions and uses no cookies (platform docs): a cookie a target or a proxy in front of it sets
    is never sent back, so every request carries only what the case sent (and no thread changes a shared jar)."""

    def set_ok(self, cookie, request) -> bool:
        return False

    def return_ok(self, cookie, request) -> bool:
        return False


_DROPPED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
_DROPS = threading.local()  # why this thread's request was sent again, read back by GuardedSession._send


class _ResendDropped(urllib3.util.Retry):
    """A target (or a proxy before it) closes a keep-alive connection it found idle whenever it likes; a request
    sent on it that moment is dropped unread (RFC 9112 section 9.3.1). Like browsers, curl and schemathesis, send such
    a request once more on a fresh connection; every other error stays exactly as urllib3 raises it without retries.
    A target that drops the fresh one too is reported with that error."""

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        reason = error.args[-1] if isinstance(error, urllib3.exceptions.ProtocolError) and error.args else None
        if self.total and isinstance(reason, _DROPPED):
            _DROPS.reason = f"the first send was dropped unanswered ({type(reason).__name__}); sent once more"
            return super().increment(method, url, response, error, _pool, _stacktrace)
        return urllib3.util.Retry(0, read=False).increment(method, url, response, error, _pool, _stacktrace)


class GuardedSession(requests.Session):
    """A requests session that every call of the run goes through, schemathesis' included."""

    def __init__(self, config: Config, ledger: Ledger, history: list[Exchange]) -> None:
        super().__init__()
        self._config = config
        self._ledger = ledger
        self._history = history
        self._others = OthersContacts(config.run_tag)
        self._lock = threading.Lock()
        self._rng = random.Random(config.seed)
        self._sending = threading.local()
        self.limit = InFlightLimit(config.concurrency)
        self.writes = WriteGate()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=max(10, config.concurrency),
                                                max_retries=_ResendDropped(total=1, connect=0, read=1, redirect=0,
                                                                           status=0, other=0, allowed_methods=None,
                                                                           raise_on_redirect=False,
                                                                           raise_on_status=False,
                                                                           respect_retry_after_header=False))
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        # the environment's proxy and CA settings, read once: requests reads all of os.environ again on every request
        self.proxies = requests.utils.get_environ_proxies(config.base_url)  # {} when NO_PROXY covers the target
        self.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        self.trust_env = False
        self.cookies.set_policy(_NoCookies())
        self.headers["User-Agent"] = USER_AGENT
        self.unmetered = False  # cleanup is never stopped by the request budget
        self.stopping = False  # set once the run ends: side-by-side calls may send nothing more, cleanup may

    def _keep(self, record: Exchange) -> None:
        """Every exchange goes in the run's history and in the evidence of the case it was sent for."""
        self._others.saw(record.method, record.url, record.status, record.request_body, record.text)
        self._history.append(record)
        case_context.current().exchanges.append(record)

    def _hide_key(self, text: str, whole: str, but_last: str, swapped: str) -> str:
        return hide_key(text, self._config.api_key, whole, but_last, swapped)

    def redact(self, text: str) -> str:
        """A text as a report may show it: without the key, and without other people's contacts."""
        return self._others.mask(self._hide_key(text, REDACTED, REDACTED, REDACTED), self._ledger.created) if text \
            else text

    def _masked_headers(self, headers: Any) -> dict[str, str]:
        out = {}
        for name, value in dict(headers or {}).items():
            value = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            out[str(name)] = self._hide_key(value, *KEY_STAND_INS)
        return out

    def _guard_writes(self, method: str, url: str) -> None:
        """The only writes ever sent: POST /contacts, and DELETE /contacts/{id} of an id this run created or
        made up. Anything else (a DELETE of the collection, PUT, PATCH) could touch data that is not ours."""
        verb, path = method.upper(), urlsplit(url).path
        if verb in ("GET", "HEAD", "OPTIONS") or (verb == "POST" and path.endswith("/contacts")):
            return
        match = _CONTACT_PATH.search(path)
        if verb != "DELETE" or not match:
            raise UnsafeRequest(f"refusing to send {verb} {path}: the checker only writes through POST /contacts "
                                "and DELETE /contacts/{id} of its own contacts")
        target = requests.utils.unquote(match.group(1))
        if target not in self._ledger.created and target not in self._ledger.unknown_ids:
            raise UnsafeRequest(f"refusing to DELETE {target!r}: this run did not create it")

    def _gate(self, method: str):
        return nullcontext() if method.upper() in ("GET", "HEAD", "OPTIONS") else self.writes.write()

    def _count(self) -> None:
        with self._lock:
            metered = not self.unmetered and case_context.current().metered
            if metered and self._ledger.requests >= self._config.budget:
                raise BudgetExhausted(f"not checked: the request budget of {self._config.budget} is used up")
            self._ledger.requests += 1

    def _retry_after(self, response: requests.Response) -> float:
        raw = response.headers.get("Retry-After", "").strip()
        if raw.isdigit():
            return float(raw)
        try:
            return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
        except (TypeError, ValueError):
            return 1.0

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if self.stopping and getattr(self._sending, "pooled", False):
            raise RunStopping(f"not sent: the run is ending ({method} {urlsplit(url).path})")
        self._guard_writes(method, url)
        self._refuse_known_hang(method, url, kwargs)
        kwargs.setdefault("timeout", (self._config.connect_timeout, self._config.read_timeout))
        kwargs["headers"] = _with_user_agent(kwargs.get("headers"))  # schemathesis sends its own otherwise
        kwargs["stream"] = True
        kwargs.setdefault("allow_redirects", False)
        waited = 0.0
        while True:
            self._count()
            with self._gate(method), self.limit:
                self._refuse_known_hang(method, url, kwargs)  # again: it may have hung while this one queued
                response = self._send(method, url, *args, **kwargs)
            if response.status_code != 429:
                self.limit.answered()
                return response
            self.limit.rate_limited()
            delay = self._retry_after(response)
            with self._lock:
                self._ledger.rate_limited += 1
                if len(self._ledger.rate_limit_answers) < RATE_LIMIT_SAMPLES:
                    self._ledger.rate_limit_answers.append(self._sending.record)
                self._ledger.lowest_limit = min(self._ledger.lowest_limit or self.limit.bound, self.limit.limit)
            if delay > self._config.max_rate_limit_wait or waited + delay > self._config.max_rate_limit_wait:
                raise TargetUnusable(
                    f"the target keeps answering 429 (asked to wait {delay:.0f}s; {waited:.0f}s waited already, "
                    f"limit {self._config.max_rate_limit_wait:.0f}s)")
            pause = delay + self._rng.uniform(0, 0.25)
            time.sleep(pause)
            waited += pause
            with self._lock:
                self._ledger.rate_limit_wait_s += pause

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self._sending.prepared = request  # what goes on the wire: full URL with query, final headers and body
        together = _TOGETHER.get()
        if together is not None:
            try:
                together.wait()
            except threading.BrokenBarrierError:
                pass  # a partner never came: this one goes on its own
        return super().send(request, **kwargs)

    def _record_prepared(self, record: Exchange) -> None:
        record.resent, _DROPS.reason = _DROPS.reason, None
        if record.resent:
            with self._lock:
                self._ledger.resent += 1
        prepared = getattr(self._sending, "prepared", None)
        if prepared is None:
            return
        body = prepared.body
        record.url = prepared.url or record.url
        record.request_headers = self._masked_headers(prepared.headers)
        record.request_bytes = body.encode("utf-8") if isinstance(body, str) else body
        record.request_body = None if body is None else (
            body if isinstance(body, str) else body.decode("utf-8", "replace"))

    def _refuse_known_hang(self, method: str, url: str, kwargs: dict) -> None:
        """A target that never answered one kind of request will not answer the next one either: fail it at once
        instead of waiting out another read timeout."""
        if not self._ledger.hangs:  # the usual case: nothing hung, so no body to parse on every request
            return
        kind = request_kind(method, url, _body_text(kwargs))
        if kind in self._ledger.hangs:
            record = Exchange(method.upper(), url, self._masked_headers(kwargs.get("headers")), _body_text(kwargs),
                              error=self._hang_message(kind) + "; not sent again", unanswered=True)
            self._sending.record = record
            self._keep(record)
            raise NotAnswered(record.error)

    def _hang_message(self, kind: str) -> str:
        return f"the target did not answer {kind} within {self._config.read_timeout:g} s"

    def _send(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        started = time.monotonic()
        request_body = _body_text(kwargs)
        record = Exchange(method.upper(), url, self._masked_headers(kwargs.get("headers")), request_body)
        self._sending.record = record
        creating = record.method == "POST" and urlsplit(url).path.endswith("/contacts")
        if creating:
            with self._lock:
                self._ledger.uncertain_creates += 1
        self._sending.prepared = None
        _DROPS.reason = None
        try:
            response = super().request(method, url, *args, **kwargs)
            self._record_prepared(record)
            one_shot = record.request_headers.get("Connection", "").lower() == "close"
            if one_shot:  # a 204 may carry bytes http.client never reads: keep its connection out of the pool
                response.raw._pool = None
            content = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True) or b""
            if one_shot and response.raw.connection is not None:
                response.raw.connection.close()
            response.close()
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            self._record_prepared(record)
            record.error = f"{type(exc).__name__}: {exc}"
            record.elapsed = time.monotonic() - started
            if _is_read_timeout(exc):
                kind = request_kind(method, url, request_body)
                record.error, record.unanswered = self._hang_message(kind), True
                with self._lock:  # parallel requests of one kind wait together: count the first wait only
                    self._ledger.hangs.setdefault(kind, record.elapsed)
            self._keep(record)
            if isinstance(exc, requests.RequestException):
                raise
            raise requests.ConnectionError(record.error) from None
        record.truncated = len(content) > MAX_BODY_BYTES
        response._content = content[:MAX_BODY_BYTES]  # the capped body is what every reader sees
        record.status = response.status_code
        record.headers = {k.lower(): v for k, v in response.headers.items()}
        record.text = response.text
        record.answered_at = time.monotonic()
        record.elapsed = record.answered_at - started
        self._keep(record)
        # a create sent twice and refused as a duplicate may have been made by its first send: cleanup searches for it
        first_send_may_have_made_it = record.resent is not None and record.status == 409
        if creating and not first_send_may_have_made_it and self._track(record):
            with self._lock:
                self._ledger.uncertain_creates -= 1
        return response

    def send_raw(self, method: str, url: str, headers: dict[str, str],
                 body: bytes | None = None) -> tuple[Exchange, wire.RawAnswer | None]:
        """One request on its own connection, judged as sent (wire.py), under the same write guard, request budget
        and in-flight bound as every other; no 429 back-off (a 429 is simply what came)."""
        self._guard_writes(method, url)
        self._count()
        headers = _with_user_agent(headers)
        record = Exchange(method.upper(), url, self._masked_headers({**headers, "Connection": "close"}),
                          None if body is None else body.decode("utf-8", "replace"), request_bytes=body)
        creating = record.method == "POST" and urlsplit(url).path.endswith("/contacts")
        if creating:
            with self._lock:
                self._ledger.uncertain_creates += 1
        started, answer = time.monotonic(), None
        try:
            with self._gate(method), self.limit:
                raw = wire.exchange(url, wire.request_bytes(method, url, headers, body),
                                    connect_timeout=self._config.connect_timeout,
                                    read_timeout=self._config.read_timeout, max_bytes=MAX_BODY_BYTES)
            answer = wire.parse(raw)
        except wire.WireError as exc:
            record.error = str(exc)
        else:
            record.status, record.headers = answer.status, dict(answer.headers)
            record.text, record.truncated = answer.body.decode("utf-8", "replace"), len(raw) > MAX_BODY_BYTES
        record.elapsed = time.monotonic() - started
        self._keep(record)
        if creating and answer is not None and self._track(record):
            with self._lock:
                self._ledger.uncertain_creates -= 1
        return record, answer

    def _track(self, record: Exchange) -> bool:
        """Record the id a create answered with; False when a 2xx create gave no id to record."""
        if not 200 <= record.status < 300:
            return True
        contact_id = created_id(record)
        if contact_id is None:
            return False
        with self._lock:
            if contact_id in self._ledger.created:
                self._ledger.repeated_ids.append(record)
            self._ledger.created.add(contact_id)
        return True


def _body_text(kwargs: dict) -> str | None:
    body = kwargs.get("data", kwargs.get("json"))
    if isinstance(body, str) or body is None:
        return body
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else jsonlib.dumps(body, ensure_ascii=False)


def _with_user_agent(headers: Any) -> dict:
    """The headers of a request with the checker's User-Agent in place of any other."""
    kept = {name: value for name, value in dict(headers or {}).items() if str(name).lower() != "user-agent"}
    return {**kept, "User-Agent": USER_AGENT}


def request_kind(method: str, url: str, body: str | None) -> str:
    """The kind of a request a target may leave unanswered: method, path template and what the body is."""
    path = _CONTACT_PATH.sub("/contacts/{id}", urlsplit(url).path)
    if body is None:
        shape = "no body"
    else:
        try:
            jsonlib.loads(body)
            shape = "valid JSON"
        except ValueError:
            shape = "malformed JSON"
    return f"{method.upper()} {path} ({shape})"


def _is_read_timeout(exc: BaseException) -> bool:
    if isinstance(exc, (requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError)):
        return True
    return isinstance(exc, requests.ConnectionError) and any(
        isinstance(arg, urllib3.exceptions.ReadTimeoutError) for arg in exc.args)


class Client:
    """Calls of the Contacts API relative to the configured base URL; every exchange lands in `history`."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.ledger = Ledger()
        self.history: list[Exchange] = []
        self.session = GuardedSession(config, self.ledger, self.history)
        self._ids_lock = threading.Lock()
        self._pool: case_context.PriorityPool | None = None
        self._in_pool = threading.local()

    def gather(self, calls: Iterable[Callable[[], T]]) -> list[T]:
        """Run independent calls side by side (the session bounds what is in flight) and return their results in
        the order given, so a verdict never depends on which answer came first. The first exception, in that
        order, is raised once every call has ended: nothing is left in flight behind a failure."""
        calls = list(calls)
        if self._one_after_another(calls):
            return [call() for call in calls]
        if self.session.writes.reading_here():
            # the writes this read holds back may fill the shared pool: its own calls go on threads of their own
            with ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="conformance-account") as own:
                return self._gathered([own.submit(case_context.carried(self._pooled), call) for call in calls])
        with self._ids_lock:
            if self._pool is None:
                # more threads than slots, and both taken by priority: the most urgent call gets a thread, and
                # then a slot in flight, before any call queued earlier by a case of lower priority
                self._pool = case_context.PriorityPool(min(4 * self.config.concurrency, 64), "conformance")
            pool = self._pool
        try:
            futures = [pool.submit(case_context.carried(lambda c=call: self._pooled(c))) for call in calls]
        except RuntimeError:  # the pool was shut down: the run is ending
            raise RunStopping("not sent: the run is ending") from None
        return self._gathered(futures)

    def _one_after_another(self, calls: list) -> bool:
        """Whether gather runs the calls in the calling thread: one call, one in flight, or already on a pool thread."""
        return len(calls) < 2 or self.config.concurrency == 1 or getattr(self._in_pool, "active", False)

    def together(self, calls: Iterable[Callable[[], T]]) -> list[T]:
        """As gather, but the calls that can be in flight at once go on the wire at the same moment, each prepared and
        holding its slot: a race between them is a race, on a busy machine too (a server's read-then-insert window
        may be a few milliseconds)."""
        calls = list(calls)
        if self._one_after_another(calls):
            return self.gather(calls)  # nothing to send together
        barrier = threading.Barrier(min(len(calls), self.session.limit.limit), timeout=TOGETHER_WAIT_S)
        token = _TOGETHER.set(barrier)
        try:
            return self.gather(calls)
        finally:
            _TOGETHER.reset(token)

    @staticmethod
    def _gathered(futures: list[Future]) -> list:
        for future in futures:  # not wait(): it never wakes for a future cancelled by the pool's shutdown
            try:
                future.exception()
            except CancelledError:
                pass
        if any(future.cancelled() for future in futures):
            raise RunStopping("not sent: the run is ending")
        return [future.result() for future in futures]

    def _pooled(self, call: Callable[[], T]) -> T:
        self._in_pool.active = self.session._sending.pooled = True
        return call()

    def drain(self) -> None:
        """Let requests already in flight end (their creates must be recorded to be cleaned up); send no more."""
        self.session.stopping = True
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None  # cleanup still gathers (its list walks): it gets a fresh pool
        self.session.limit.drained(self.config.connect_timeout + self.config.read_timeout)

    @property
    def auth_header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.api_key}"}

    def url(self, path: str) -> str:
        return self.config.base_url + path

    def call(self, method: str, path: str, *, json: Any = _MISSING, data: str | bytes | None = None,
             params: dict | None = None, auth: bool | str | None = True, headers: dict | None = None) -> Exchange:
        sent = dict(headers or {})
        if auth is True:
            sent.update(self.auth_header)
        elif isinstance(auth, str):
            sent["Authorization"] = auth
        kwargs: dict[str, Any] = {"headers": sent, "params": params}
        if json is not _MISSING:
            kwargs["data"] = jsonlib.dumps(json, ensure_ascii=False).encode()
            sent.setdefault("Content-Type", "application/json")
        elif data is not None:
            kwargs["data"] = data
            sent.setdefault("Content-Type", "application/json")
        self.session._sending.record = None
        try:
            self.session.request(method, self.url(path), **kwargs)
        except requests.RequestException:
            pass  # the failed exchange is recorded with its error
        return self.session._sending.record

    def create(self, body: Any, **kwargs: Any) -> Exchange:
        return self.call("POST", "/contacts", json=body, **kwargs)

    def list(self, auth: bool | str | None = True, **params: Any) -> Exchange:
        return self.call("GET", "/contacts", params=params or None, auth=auth)

    def delete(self, contact_id: str, **kwargs: Any) -> Exchange:
        # A 204 that wrongly carries bytes would leave them unread on a kept-alive connection, to be taken for the
        # start of the next answer on it: the connection of a DELETE is never reused.
        kwargs["headers"] = {"Connection": "close", **(kwargs.get("headers") or {})}
        exchange = self.call("DELETE", f"/contacts/{contact_id}", **kwargs)
        if exchange.status is not None and (200 <= exchange.status < 300 or exchange.status == 404):
            self.ledger.deleted.add(contact_id)
        return exchange

    def remove_created(self, exchanges: Iterable[Exchange]) -> None:
        """Delete the contacts these exchanges created, once no case needs them: while the run goes on, in slots
        nothing else waits for. What fails here is left to cleanup."""
        ids = [contact_id for contact_id in dict.fromkeys(created_id(e) for e in exchanges if e.method == "POST")
               if contact_id is not None and contact_id not in self.ledger.deleted]
        if not ids or self.session.stopping:
            return
        try:
            case_context.run_as(case_context.REGISTRY.tidy,
                                lambda: self.gather([lambda i=i: self.delete(i) for i in ids]))
        except (RunStopping, UnsafeRequest, BudgetExhausted, TargetUnusable, requests.RequestException):
            pass

    def raw(self, method: str, path: str, *, json: Any = _MISSING, data: bytes | None = None,
            auth: bool = True) -> tuple[Exchange, wire.RawAnswer | None]:
        """A request judged at the wire (see wire.py); its Exchange is in `history` like any other."""
        headers = dict(self.auth_header) if auth else {}
        body = jsonlib.dumps(json, ensure_ascii=False).encode() if json is not _MISSING else data
        if body is not None:
            headers["Content-Type"] = "application/json"
        exchange, answer = self.session.send_raw(method, self.url(path), headers, body)
        if method.upper() == "DELETE" and exchange.status is not None and (
                200 <= exchange.status < 300 or exchange.status == 404):
            self.ledger.deleted.add(path.rsplit("/", 1)[-1])
        return exchange, answer

    def unknown_id(self) -> str:
        """An id no account holds (it carries this run's tag and randomness), so it is safe to DELETE."""
        made_up = case_context.current().stream("unknown ids")  # per case: the same seed makes up the same ids
        with self._ids_lock:
            contact_id = f"cnt_zxconf{self.config.run_tag}missing{made_up.getrandbits(48):012x}"
            self.ledger.unknown_ids.add(contact_id)
        return contact_id

    def cleanup(self, verify: bool = True) -> list[str]:
        """Delete everything this run created and has not deleted; returns the ids left on the account.

        A create whose answer never arrived (interrupted, timed out) may still have created a contact, and a
        target may answer a DELETE without deleting: so the account is searched for contacts carrying this run's
        tag before (when a create is uncertain) and after the deletes; a contact still listed counts as left only
        once the settle time is over (lists may show a delete late). Without `verify` (a target that keeps no
        state, whose list shows examples rather than what it was sent) the deletes are sent and nothing is searched."""
        self.drain()
        self.session.unmetered = True
        if verify and self.ledger.uncertain_creates:
            self.ledger.created.update(self._tagged_on_account())

        def removed(contact_id: str) -> bool:
            try:
                return self.delete(contact_id).status in (200, 204, 404)
            except (UnsafeRequest, BudgetExhausted, TargetUnusable):
                return False

        def not_removed(ids: list[str]) -> list[str]:
            with ThreadPoolExecutor(self.config.concurrency) as pool:  # the session still bounds what is in flight
                return [contact_id for contact_id, ok in zip(ids, pool.map(removed, ids)) if not ok]
        failed = not_removed(self.ledger.live)
        if not verify:
            return []

        def left() -> list[str]:
            return settled(lambda: self._tagged_on_account(also=self.ledger.created), lambda ids: not ids,
                           self.config.settle, self.ledger.settle_waits)
        still_there = left() if self.ledger.created else []
        if still_there:  # deleted and back (a create revived it), or never answered as made (a refusal stored it)
            self.ledger.created.update(still_there)
            failed += not_removed(still_there)
            still_there = left()
        return list(dict.fromkeys(failed + still_there))

    def _tagged_on_account(self, also: set[str] = frozenset(), max_pages: int = 50) -> list[str]:
        """Ids of contacts on the account carrying this run's tag (or among `also`), as far as a bounded walk sees."""
        try:
            found = walk(self, per_page=100, max_pages=max_pages)
        except (BudgetExhausted, TargetUnusable, UnsafeRequest):
            return []
        return tagged_ids(found.items, self.config.run_tag) + [i for i in found.ids if i in also]
