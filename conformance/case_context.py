"""Which case (or shared fixture) the current thread works for: its own exchanges (the evidence of its verdict) and
its own random draws (phones, made-up ids), so cases that run side by side send the same data and keep the same
evidence whatever ran next to them. The context follows a case into the threads it gathers on (`carried`)."""
from __future__ import annotations

import contextvars
import heapq
import itertools
import random
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")
SESSION = "session"  # work outside any case: the probes at session start, cleanup
PARTITIONS = 128  # the phone tails of a region are split among this many contexts


@dataclass
class CaseContext:
    key: str
    ordinal: int
    seed: int
    exchanges: list = field(default_factory=list)
    priority: int = 0  # for a slot in flight: lower goes first (see InFlightLimit)
    metered: bool = True  # counts against the request budget (cleanup does not)
    _tails: dict = field(default_factory=dict)
    _streams: dict = field(default_factory=dict)

    def rng(self, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.key}:{purpose}")

    def stream(self, purpose: str) -> random.Random:
        """The context's one generator for `purpose`, carried on from draw to draw."""
        return self._streams.setdefault(purpose, self.rng(purpose))

    def phone_tail(self, region: str, space: int) -> int:
        """The next tail for a number of `region`: first from this context's own share of `space` (no other
        context draws those), then any."""
        if region not in self._tails:
            self._tails[region] = self._tail_order(region, space)
        return next(self._tails[region])

    def _tail_order(self, region: str, space: int):
        share = space // PARTITIONS
        base = (self.ordinal % PARTITIONS) * share
        rng = self.rng(f"phones:{region}")
        start = rng.randrange(share)
        for j in range(share):
            yield base + (start + j) % share
        while True:
            yield rng.randrange(space)


class _Registry:
    """Ordinals by key, fixed up front from the collected cases, so a context's share never depends on timing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.start(0)

    def start(self, seed: int) -> None:
        with self._lock:
            self.seed = seed
            self._ordinals: dict[str, int] = {SESSION: 0}
            self.session = CaseContext(SESSION, 0, seed)
            # deleting what cases are done with: after every other request, and outside every case's evidence
            self.tidy = CaseContext("cleanup", 0, seed, priority=1 << 30, metered=False)

    def register(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._ordinals.setdefault(key, len(self._ordinals))

    def context(self, key: str, priority: int = 0) -> CaseContext:
        with self._lock:
            ordinal = self._ordinals.setdefault(key, len(self._ordinals))
        return CaseContext(key, ordinal, self.seed, priority=priority)


REGISTRY = _Registry()
_CURRENT: contextvars.ContextVar[CaseContext | None] = contextvars.ContextVar("conformance_case", default=None)


def current() -> CaseContext:
    return _CURRENT.get() or REGISTRY.session


def run_as(context: CaseContext, call: Callable[[], T]) -> T:
    """Run `call` with `context` current, in a copy of the caller's context (the caller's stays as it was)."""
    def inside() -> T:
        _CURRENT.set(context)
        return call()
    return contextvars.copy_context().run(inside)


def carried(call: Callable[..., T]) -> Callable[..., T]:
    """`call`, bound to the context current where it was made: for work handed to another thread."""
    context = contextvars.copy_context()

    def bound(*args: Any, **kwargs: Any) -> T:
        return context.copy().run(call, *args, **kwargs)
    return bound


class Slots:
    """At most `limit` holders at once. A free slot goes to the waiting one of the highest priority (the current
    context's: first what other cases wait for, then cases in the order they started), equal priorities in arrival
    order, handed to that one waiter alone."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.in_flight = self.peak = 0
        self._cv = threading.Condition()
        self._queue: list[tuple[int, int, threading.Event]] = []
        self._arrivals = itertools.count()

    def __enter__(self) -> None:
        with self._cv:
            if self.in_flight < self.limit and not self._queue:
                self._take()
                return
            ticket = (current().priority, next(self._arrivals), threading.Event())
            heapq.heappush(self._queue, ticket)
        try:
            ticket[2].wait()  # the slot is ours once set: whoever set it counted it
        except BaseException:  # interrupted while waiting: give back the slot, or the place in the queue
            with self._cv:
                if ticket[2].is_set():
                    self.in_flight -= 1
                    self._hand_over()
                else:
                    self._queue.remove(ticket)
                    heapq.heapify(self._queue)
            raise

    def _take(self) -> None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)

    def _hand_over(self) -> None:
        """Under the lock: give free slots to the waiters first in line."""
        while self._queue and self.in_flight < self.limit:
            self._take()
            heapq.heappop(self._queue)[2].set()

    def __exit__(self, *exc: object) -> None:
        with self._cv:
            self.in_flight -= 1
            self._hand_over()
            if not self.in_flight:
                self._cv.notify_all()

    def drained(self, timeout: float) -> bool:
        with self._cv:
            return self._cv.wait_for(lambda: self.in_flight == 0, timeout)


class PriorityPool:
    """Threads for the calls cases hand over (Client.gather). A free thread takes the waiting call of the highest
    priority, as a free slot in flight does: a chain other cases wait for is never queued behind a case's cleanup
    deletes, which would otherwise hold every thread while they wait for a slot."""

    def __init__(self, workers: int, name: str) -> None:
        self._workers, self._name = max(1, workers), name
        self._cv = threading.Condition()
        self._queue: list[tuple[int, int, Future, Callable[[], Any]]] = []
        self._arrivals = itertools.count()
        self._threads = 0
        self._idle = 0
        self._closed = False

    def submit(self, call: Callable[[], T]) -> Future:
        future: Future = Future()
        with self._cv:
            if self._closed:
                raise RuntimeError("the pool is shut down")
            heapq.heappush(self._queue, (current().priority, next(self._arrivals), future, call))
            grow = len(self._queue) > self._idle and self._threads < self._workers
            self._threads += grow
            self._cv.notify()
        if grow:
            threading.Thread(target=self._work, name=f"{self._name}-{self._threads}", daemon=True).start()
        return future

    def _work(self) -> None:
        while True:
            with self._cv:
                self._idle += 1
                self._cv.wait_for(lambda: self._queue or self._closed)
                self._idle -= 1
                if not self._queue:
                    return
                _, _, future, call = heapq.heappop(self._queue)
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call())
            except BaseException as exc:  # noqa: BLE001 - the caller sees it, as with any executor
                future.set_exception(exc)

    def shutdown(self) -> None:
        """Calls not started are cancelled; those running end on their own."""
        with self._cv:
            self._closed = True
            for _, _, future, _ in self._queue:
                future.cancel()
            self._queue.clear()
            self._cv.notify_all()
