"""What bounds the run's concurrency: slots in flight handed out by priority, the threads cases gather on, how many
cases run at once, the gate that holds the run's writes while the whole account is read, and the barrier of calls
sent together."""
from __future__ import annotations

import contextvars
import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

from conformance.case_context import current

T = TypeVar("T")
# An answer sooner than this leaves no wait worth another thread: a case's own work between two requests takes
# about a millisecond of CPU, and handing a call to a thread costs switches between threads on both ends.
QUICK_ANSWER_S = 0.002
TOGETHER_WAIT_S = 0.5  # a partner that gets no slot within this goes on its own
# Calls sent together (Client.together) meet here, prepared and holding their slots, and go on the wire at once.
_TOGETHER: contextvars.ContextVar[threading.Barrier | None] = contextvars.ContextVar("conformance_together",
                                                                                      default=None)


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

    def __init__(self, workers: int, name: str, on_thread: Callable[[], None] = lambda: None) -> None:
        self._workers, self._name, self._on_thread = max(1, workers), name, on_thread
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
        self._on_thread()
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


class CpuUse:
    """How much of the last `window` seconds the process spent on the CPU (all its threads), read again once the
    window has passed."""

    def __init__(self, window: float = 0.01) -> None:
        self.window = window
        self._lock = threading.Lock()
        self._since = (time.monotonic(), time.process_time())
        self._share = 0.0

    def share(self) -> float:
        with self._lock:
            wall, cpu = time.monotonic(), time.process_time()
            if wall - self._since[0] >= self.window:
                self._share = (cpu - self._since[1]) / (wall - self._since[0])
                self._since = (wall, cpu)
            return self._share


class CaseAdmission:
    """How many cases run at once: `floor` (one computes while the other waits for an answer), and one more each
    time the process has left the CPU mostly idle, up to `ceiling`. Against a distant target the cases wait and the
    CPU idles, so they grow to the ceiling; against a quick one the interpreter is the bottleneck, and more cases
    would only take turns for it, each turn a switch between threads. The CPU decides, not how long answers take:
    those include the time an answering thread waited for the interpreter, so with many cases running every answer
    looks slow, and more cases would be admitted."""

    def __init__(self, ceiling: int, floor: int = 2, cpu: CpuUse | None = None, idle_below: float = 0.5) -> None:
        self.ceiling, self.floor = max(1, ceiling), max(1, min(floor, ceiling))
        self._cpu, self._idle_below = cpu or CpuUse(), idle_below
        self._cv = threading.Condition()
        self._head = threading.Lock()
        self._running = 0
        self._admitted_at = 0.0

    def __enter__(self) -> None:
        with self._head, self._cv:  # one waiter at a time looks again; the others queue behind it
            while not self._room():
                self._cv.wait(self._cpu.window)
            self._running += 1
            self._admitted_at = time.monotonic()

    def __exit__(self, *exc: object) -> None:
        with self._cv:
            self._running -= 1
            self._cv.notify()

    def _room(self) -> bool:
        if self._running < self.floor:
            return True
        if self._running >= self.ceiling:
            return False
        # a case admitted within the window has not had the time to show what it uses
        return time.monotonic() - self._admitted_at >= self._cpu.window and self._cpu.share() < self._idle_below


class InFlightLimit(Slots):
    """At most `limit` requests in flight, a free slot to the waiting request of the highest priority (so the long
    chains of dependent requests are not queued behind everything else). A 429 halves the limit; every `limit`
    answers without one grow it by one, back up to the configured bound (additive increase, multiplicative
    decrease, as TCP does)."""

    def __init__(self, bound: int) -> None:
        super().__init__(bound)
        self.bound = self.limit
        self._calm = 0
        # how long the latest answers took: the quickest of them is the target's own time, the others may also
        # hold the time their thread waited for the interpreter while other threads ran
        self._answer_s: deque[float] = deque(maxlen=16)

    def answers_quickly(self) -> bool:
        """Whether answers come sooner than another thread would be of use (QUICK_ANSWER_S); not before one came."""
        with self._cv:
            return min(self._answer_s, default=QUICK_ANSWER_S) < QUICK_ANSWER_S

    def rate_limited(self) -> None:
        with self._cv:
            self.limit, self._calm = max(1, self.limit // 2), 0

    def answered(self, seconds: float) -> None:
        with self._cv:
            self._answer_s.append(seconds)
            self._calm += 1
            if self._calm >= self.limit and self.limit < self.bound:
                self.limit, self._calm = self.limit + 1, 0
                self._hand_over()


# The gate whose whole-account read the current context holds: calls the holder hands to other threads carry it
_HOLDING: contextvars.ContextVar[WriteGate | None] = contextvars.ContextVar("conformance_holding", default=None)


class WriteGate:
    """Reads of the whole account are judged against what the run knows it holds, so while one is made the run's
    own writes wait (reads go on; several such reads may run together). The holder itself may write (a create
    read back before any other write of the run), from its own thread or from the calls it gathers."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._writing = 0
        self._reading = 0
        self._waiting = 0
        self._readers: set[int] = set()

    @contextmanager
    def write(self) -> Iterator[None]:
        if self.reading_here() or _HOLDING.get() is self:
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
        holding = _HOLDING.set(self)
        try:
            yield
        finally:
            _HOLDING.reset(holding)
            with self._cv:
                self._reading -= 1
                self._readers.discard(threading.get_ident())
                self._cv.notify_all()



@contextmanager
def sent_together(parties: int) -> Iterator[None]:
    """Calls made inside (and carried to other threads) wait for each other in `meet` before going on the wire."""
    token = _TOGETHER.set(threading.Barrier(parties, timeout=TOGETHER_WAIT_S))
    try:
        yield
    finally:
        _TOGETHER.reset(token)


def meet() -> None:
    """Wait, prepared, for the partners of a call sent together; a partner that never comes is not waited for."""
    together = _TOGETHER.get()
    if together is not None:
        try:
            together.wait()
        except threading.BrokenBarrierError:
            pass  # a partner never came: this one goes on its own
