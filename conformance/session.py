"""The one HTTP session every request of the run goes through (schemathesis' included): the write guard, the request
budget, the bound in flight and 429 back-off, the memory of requests a target never answered, capped reads, the
capture of each exchange as sent, redaction, and the record of what the run created."""
from __future__ import annotations

import importlib.metadata
import json as jsonlib
import os
import random
import re
import threading
import time
from contextlib import nullcontext
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from conformance import case_context, wire
from conformance.concurrency import InFlightLimit, WriteGate, meet
from conformance.config import Config
from conformance.connection_policy import DROPS, NoCookies, ResendDropped
from conformance.errors import BudgetExhausted, NotAnswered, RunStopping, TargetUnusable, UnsafeRequest
from conformance.exchange import KEY_STAND_INS, REDACTED, Exchange, hide_key
from conformance.judgements import created_id
from conformance.judgements.contacts import parse_instant
from conformance.ledger import Ledger
from conformance.privacy import OthersContacts

MAX_BODY_BYTES = 1_000_000
# Every request says who sends it, so an API team can find the checker's traffic in its logs or let it past a WAF.
USER_AGENT = f"zexa-conformance/{importlib.metadata.version('zexa-conformance')} (+conformance checker)"
EXISTED_BEFORE_S = 2 * 86400  # a create answered with a created_at this long before it named an existing contact
RATE_LIMIT_SAMPLES = 20  # 429 answers kept for RATE-LIMIT-RETRY-AFTER to judge
_CONTACT_PATH = re.compile(r"/contacts/([^/?#]+)$")
# what a request ended with: the response (None when none came), its exchange, and the error to raise (if any)
Sent = tuple["requests.Response | None", Exchange, "requests.RequestException | None"]


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
                                                max_retries=ResendDropped(total=1, connect=0, read=1, redirect=0,
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
        self.cookies.set_policy(NoCookies())
        self.headers["User-Agent"] = USER_AGENT
        self.unmetered = False  # cleanup is never stopped by the request budget
        self.stopping = False  # set once the run ends: side-by-side calls may send nothing more, cleanup may

    def stop_with_run(self) -> None:
        """This thread works for cases run side by side: once the run is stopping, its calls send nothing more."""
        self._sending.pooled = True

    def _keep(self, record: Exchange) -> None:
        """Every exchange goes in the run's history and in the evidence of the case it was sent for."""
        self._others.saw(record.method, record.url, record.status, record.request_body, record.text)
        self._history.append(record)
        case_context.current().exchanges.append(record)

    def _hide_key(self, text: str, *stand_ins: str) -> str:
        return hide_key(text, self._config.api_key, *stand_ins)

    def borrow(self, value: str) -> None:
        """A value copied from another's contact, about to be sent: reports keep masking it."""
        self._others.borrow(value)

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
        if self._ledger.theirs(target) or (target not in self._ledger.created
                                               and target not in self._ledger.unknown_ids):
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
        """requests' own call (schemathesis sends through it): the response, or the error of a request not answered."""
        response, _, error = self._exchange(method, url, *args, **kwargs)
        if error is not None:
            raise error
        return response

    def exchange(self, method: str, url: str, **kwargs: Any) -> Exchange:
        """Send a request; its exchange, which holds the error of a request not answered."""
        return self._exchange(method, url, **kwargs)[1]

    def _exchange(self, method: str, url: str, *args: Any, **kwargs: Any) -> Sent:
        if self.stopping and getattr(self._sending, "pooled", False):
            raise RunStopping(f"not sent: the run is ending ({method} {urlsplit(url).path})")
        self._guard_writes(method, url)
        refused = self._refuse_known_hang(method, url, kwargs)
        if refused is not None:
            return refused
        kwargs.setdefault("timeout", (self._config.connect_timeout, self._config.read_timeout))
        kwargs["headers"] = _with_user_agent(kwargs.get("headers"))  # schemathesis sends its own otherwise
        kwargs["stream"] = True
        kwargs.setdefault("allow_redirects", False)
        waited = 0.0
        while True:
            self._count()
            with self._gate(method), self.limit:
                # the hang check again: a request of this kind may have hung while this one queued
                sent = self._refuse_known_hang(method, url, kwargs) or self._send(method, url, *args, **kwargs)
            response, record, error = sent
            if error is not None:
                return sent
            if response.status_code != 429:
                self.limit.answered(record.elapsed)
                return sent
            self.limit.rate_limited()
            delay = self._retry_after(response)
            with self._lock:
                self._ledger.rate_limited += 1
                if len(self._ledger.rate_limit_answers) < RATE_LIMIT_SAMPLES:
                    self._ledger.rate_limit_answers.append(record)
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
        meet()
        return super().send(request, **kwargs)

    def _record_prepared(self, record: Exchange) -> None:
        record.resent, DROPS.reason = DROPS.reason, None
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

    def _refuse_known_hang(self, method: str, url: str, kwargs: dict) -> Sent | None:
        """A target that never answered one kind of request will not answer the next one either: fail it at once
        instead of waiting out another read timeout."""
        if not self._ledger.hangs:  # the usual case: nothing hung, so no body to parse on every request
            return None
        kind = request_kind(method, url, _body_sent(kwargs))
        if kind not in self._ledger.hangs:
            return None
        record = Exchange(method.upper(), url, self._masked_headers(kwargs.get("headers")), _body_text(kwargs),
                          error=self._hang_message(kind) + "; not sent again", unanswered=True)
        self._keep(record)
        return None, record, NotAnswered(record.error)

    def _hang_message(self, kind: str) -> str:
        return f"the target did not answer {kind} within {self._config.read_timeout:g} s"

    def _send(self, method: str, url: str, *args: Any, **kwargs: Any) -> Sent:
        started = time.monotonic()
        request_body = _body_text(kwargs)
        record = Exchange(method.upper(), url, self._masked_headers(kwargs.get("headers")), request_body)
        creating = self._create_sent(record)
        self._sending.prepared = None
        DROPS.reason = None
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
                kind = request_kind(method, url, _body_sent(kwargs))
                record.error, record.unanswered = self._hang_message(kind), True
                with self._lock:  # parallel requests of one kind wait together: count the first wait only
                    self._ledger.hangs.setdefault(kind, record.elapsed)
            self._keep(record)
            error = exc if isinstance(exc, requests.RequestException) else requests.ConnectionError(record.error)
            return None, record, error
        record.truncated = len(content) > MAX_BODY_BYTES
        response._content = content[:MAX_BODY_BYTES]  # the capped body is what every reader sees
        record.status = response.status_code
        record.headers = {k.lower(): v for k, v in response.headers.items()}
        record.text = response.text
        record.not_utf8 = not record.truncated and not _is_utf8(response.content)
        record.answered_at = time.monotonic()
        record.elapsed = record.answered_at - started
        self._keep(record)
        if creating:
            self._create_answered(record)
        return response, record, None

    def send_raw(self, method: str, url: str, headers: dict[str, str],
                 body: bytes | None = None) -> tuple[Exchange, wire.RawAnswer | None]:
        """One request on its own connection, judged as sent (wire.py), under the same write guard, request budget
        and in-flight bound as every other; no 429 back-off (a 429 is simply what came)."""
        self._guard_writes(method, url)
        self._count()
        headers = _with_user_agent(headers)
        record = Exchange(method.upper(), url, self._masked_headers({**headers, "Connection": "close"}),
                          None if body is None else body.decode("utf-8", "replace"), request_bytes=body)
        creating = self._create_sent(record)
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
            # the body its framing delimits (a chunked answer de-chunked), as requests would give it; how it was
            # framed is judged on `answer` (wire.error_problems)
            body, _ = wire.framed_body(answer)
            record.text, record.truncated = body.decode("utf-8", "replace"), len(raw) > MAX_BODY_BYTES
        now = time.monotonic()
        record.elapsed = now - started
        if answer is not None:
            record.answered_at = now
        self._keep(record)
        if creating and answer is not None:
            self._create_answered(record)
        return record, answer

    def _create_sent(self, record: Exchange) -> bool:
        """Whether `record` is a create; one is counted as uncertain (it may have made a contact) until its answer
        names what it made."""
        creating = record.method == "POST" and urlsplit(record.url).path.endswith("/contacts")
        if creating:
            with self._lock:
                self._ledger.uncertain_creates += 1
        return creating

    def _create_answered(self, record: Exchange) -> None:
        """Record the id an answered create made. It stays uncertain (cleanup searches the account for it) when a
        2xx named none, or when a create sent twice was refused as a duplicate: its first send may have made it."""
        if record.resent is not None and record.status == 409:
            return
        contact_id = created_id(record)
        with self._lock:
            if 200 <= record.status < 300:
                if contact_id is None:
                    return
                old = _made_long_before(record)
                self._ledger.clock_right = self._ledger.clock_right or old is False
                if contact_id in self._ledger.created or contact_id in self._ledger.not_ours:
                    self._ledger.repeated_ids.append(record)
                # a target declared stateless (the contract profile) answers every create with its example
                # contact, and deleting that touches nothing
                elif self._config.profile.checks_state and self._others.listed(contact_id):
                    self._ledger.not_ours.add(contact_id)  # an upsert's answer: the contact it rewrote is not ours
                    self._ledger.others_answered.append(record)
                elif self._config.profile.checks_state and old:
                    self._ledger.made_before.add(contact_id)
                if contact_id not in self._ledger.not_ours:
                    self._ledger.created.add(contact_id)
            self._ledger.uncertain_creates -= 1


def _made_long_before(record: Exchange) -> bool | None:
    """Whether a create's answer names a contact made days before the create was sent (None: it gives no time): one
    that was there already (an upsert), or a clock days behind. Days: a created_at off by a time zone or cut to its
    date is not that."""
    made = parse_instant((record.json_or_none() or {}).get("created_at"))
    return None if made is None else made.timestamp() < time.time() - record.elapsed - EXISTED_BEFORE_S


def _body_sent(kwargs: dict) -> str | bytes | None:
    """The body as it goes on the wire: bytes stay bytes (text decoded from them would hide bytes that are not
    UTF-8)."""
    body = kwargs.get("data", kwargs.get("json"))
    return body if isinstance(body, (str, bytes)) or body is None else jsonlib.dumps(body, ensure_ascii=False)


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _body_text(kwargs: dict) -> str | None:
    body = _body_sent(kwargs)
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else body


def _with_user_agent(headers: Any) -> dict:
    """The headers of a request with the checker's User-Agent in place of any other."""
    kept = {name: value for name, value in dict(headers or {}).items() if str(name).lower() != "user-agent"}
    return {**kept, "User-Agent": USER_AGENT}


def request_kind(method: str, url: str, body: str | bytes | None) -> str:
    """The kind of a request a target may leave unanswered: method, path template and what the body is (bytes that
    are not UTF-8 are no JSON, RFC 8259 §8.1)."""
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
