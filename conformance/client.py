"""The calls of the Contacts API a case makes, and how they are scheduled: side by side (gather), on the wire at
once (together), or one after another; every call goes through the one guarded session (session.py)."""
from __future__ import annotations

import json as jsonlib
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import requests

from conformance import case_context, wire
from conformance.concurrency import PriorityPool, sent_together
from conformance.config import Config
# the errors and the exchange are imported from here by the cases and their plugin
from conformance.errors import BudgetExhausted, RunStopping, TargetUnusable, UnsafeRequest
from conformance.exchange import Exchange
from conformance.judgements import created_id
from conformance.ledger import Ledger
from conformance.session import GuardedSession

_MISSING = object()
T = TypeVar("T")


class Client:
    """Calls of the Contacts API relative to the configured base URL; every exchange lands in `history`."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.ledger = Ledger()
        self.history: list[Exchange] = []
        self.session = GuardedSession(config, self.ledger, self.history)
        self._ids_lock = threading.Lock()
        self._pool: PriorityPool | None = None
        self._in_pool = threading.local()

    def gather(self, calls: Iterable[Callable[[], T]]) -> list[T]:
        """Run independent calls side by side (the session bounds what is in flight) and return their results in
        the order given, so a verdict never depends on which answer came first. The first exception, in that
        order, is raised once no call is in flight: nothing is left on the wire behind a failure (calls run one
        after another, as at one in flight or against a quick target, stop at it)."""
        return self._gather(list(calls), alone=False)

    def _gather(self, calls: list[Callable[[], T]], alone: bool) -> list[T]:
        """gather; `alone`: each call on a thread of its own, even when the target answers quickly."""
        if self._one_after_another(calls) or (not alone and self.session.limit.answers_quickly()):
            # a quick answer comes sooner than a thread would wake to send the next call
            return [call() for call in calls]
        if self.session.writes.reading_here():
            # the writes this read holds back may fill the shared pool: its own calls go on threads of their own
            with ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="conformance-account",
                                    initializer=self._on_pool_thread) as own:
                return self._gathered([own.submit(case_context.carried(call)) for call in calls])
        with self._ids_lock:
            if self._pool is None:
                # more threads than slots, and both taken by priority: the most urgent call gets a thread, and
                # then a slot in flight, before any call queued earlier by a case of lower priority
                self._pool = PriorityPool(min(4 * self.config.concurrency, 64), "conformance", self._on_pool_thread)
            pool = self._pool
        try:
            futures = [pool.submit(case_context.carried(call)) for call in calls]
        except RuntimeError:  # the pool was shut down: the run is ending
            raise RunStopping("not sent: the run is ending") from None
        return self._gathered(futures)

    def _one_after_another(self, calls: list) -> bool:
        """Whether gather runs the calls in the calling thread: one call, one in flight, already on a pool thread, or
        the run ending (a pool thread sends nothing then; cleanup's own walks are sent from its thread)."""
        return (len(calls) < 2 or self.config.concurrency == 1 or getattr(self._in_pool, "active", False)
                or self.session.stopping)

    def together(self, calls: Iterable[Callable[[], T]]) -> list[T]:
        """As gather, but the calls that can be in flight at once go on the wire at the same moment, each prepared and
        holding its slot: a race between them is a race, on a busy machine too (a server's read-then-insert window
        may be a few milliseconds)."""
        calls = list(calls)
        if self._one_after_another(calls):
            return self.gather(calls)  # nothing to send together
        with sent_together(min(len(calls), self.session.limit.limit)):
            return self._gather(calls, alone=True)  # each partner on a thread of its own, to meet the others

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

    def _on_pool_thread(self) -> None:
        self._in_pool.active = True
        self.session.stop_with_run()

    def drain(self) -> None:
        """Let requests already in flight end (their creates must be recorded to be cleaned up); send no more."""
        self.session.stopping = True
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self.session.limit.drained(self.config.connect_timeout + self.config.read_timeout)

    def whole_account(self) -> AbstractContextManager[None]:
        """Hold the run's writes while the whole account is read, so what it lists is what the run knows it holds
        (the holder's own thread may still write)."""
        return self.session.writes.whole_account()

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
        return self.session.exchange(method, self.url(path), **kwargs)  # an exchange not answered holds its error

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
               if contact_id is not None and contact_id not in self.ledger.deleted
               and not self.ledger.theirs(contact_id)]
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

    def borrow(self, value: str) -> None:
        """Take note of a value copied from a contact the run did not make before sending it: reports mask it
        though the run sent it."""
        self.session.borrow(value)

    def unknown_id(self) -> str:
        """An id no account holds (it carries this run's tag and randomness), so it is safe to DELETE."""
        made_up = case_context.current().stream("unknown ids")  # per case: the same seed makes up the same ids
        with self._ids_lock:
            contact_id = f"cnt_zxconf{self.config.run_tag}missing{made_up.getrandbits(48):012x}"
            self.ledger.unknown_ids.add(contact_id)
        return contact_id
