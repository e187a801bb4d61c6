"""Cases run side by side, reported in order.

Against a distant target a case spends its time waiting for answers, and most cases do not depend on each other
(each creates its own contacts, in its own lists). So when the run loop starts, every case that will run is handed
to a pool of threads as a plain function, its arguments resolved here; pytest then goes through the cases in their
usual order, waits for each one's result and reports it as if it had just run it (its error raised again, its own
exchanges as evidence). The session's in-flight bound still holds for all of them together; two cases run at once
while they keep the CPU busy, more while it idles (concurrency.CaseAdmission), and at
`--concurrency 1` the one thread runs the cases in order, one at a time.

The cases' fixtures are declared with fixtures.fixture, and resolved here the way pytest would: function fixtures per
case; session and module fixtures once, by the first case that needs one while the others wait, in a context of
their own (so what they draw does not depend on which case got there first), their exchanges part of the evidence of
every case that uses them. Verdicts never depend on timing: each case and each fixture draws its data from its own
seeded context (case_context.py).

CPython 3.11 keeps one depth counter per interpreter while it turns source into a syntax tree (ast.parse), so two
threads building one at once fail with "SystemError: AST constructor recursion depth mismatch". Cases' threads build
them only inside hypothesis' turn (sampling.HYPOTHESIS: hypothesis naming lambdas and reading modules' constants,
schemathesis importing its strategies); pytest builds them in the main thread to show a failure, which it does in
that turn too (plugin/runner.py), and to show an interrupt, which it does once the cases still running have ended."""
from __future__ import annotations

import inspect
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

import pytest

from conformance import case_context
from conformance.cases.fixtures import Plan, Provider, plan, shared_key
from conformance.concurrency import CaseAdmission
from conformance.errors import CheckerBug

RUNNER = pytest.StashKey["SideBySide"]()


@dataclass
class Ran:
    error: BaseException | None
    seconds: float
    exchanges: list


@dataclass
class _Request:
    """What the cases' fixtures read of pytest's `request`: the case's item and the run's config."""
    node: pytest.Item

    @property
    def config(self) -> pytest.Config:
        return self.node.config

    @property
    def session(self) -> pytest.Session:
        return self.node.session

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise CheckerBug(f"request.{name} is not available to a fixture of a case run side by side")


@dataclass
class _Shared:
    """A session or module fixture: computed once, in its own context, by whichever case needs it first."""
    context: case_context.CaseContext
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None
    uses: list[case_context.CaseContext] = field(default_factory=list)  # the shared fixtures it needed in turn
    finalizers: list[Callable[[], None]] = field(default_factory=list)
    resume: list[Callable[[], None]] = field(default_factory=list)  # cases put aside until it is computed


class Fixtures:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shared: dict[str, _Shared] = {}

    def arguments(self, item: pytest.Item, plan: Plan, used: list, finalizers: list) -> dict[str, Any]:
        local: dict[str, Any] = {}
        return {name: self._value(item, plan, name, local, used, finalizers) for name in plan.arguments}

    def _value(self, item: pytest.Item, plan: Plan, name: str, local: dict, used: list, finalizers: list) -> Any:
        if name in local:
            return local[name]
        if name == "request":
            value = _Request(item)
        elif name == "pytestconfig":
            value = item.config
        elif name in plan.params:
            value = plan.params[name]
        elif plan.providers[name].scope == "function":
            value = self._call(item, plan, plan.providers[name], local, used, finalizers)
        else:
            value = self.shared_value(item, plan, plan.providers[name], used)
        local[name] = value
        return value

    def _call(self, item: pytest.Item, plan: Plan, provider: Provider, local: dict, used: list,
              finalizers: list) -> Any:
        kwargs = {arg: self._value(item, plan, arg, local, used, finalizers) for arg in provider.argnames}
        if not inspect.isgeneratorfunction(provider.func):
            return provider.func(**kwargs)
        generator = provider.func(**kwargs)
        value = next(generator)
        finalizers.append(lambda: next(generator, None))
        return value

    def shared_value(self, item: pytest.Item, plan: Plan, provider: Provider, used: list) -> Any:
        key = shared_key(item, provider.name, provider.scope)
        with self._lock:
            entry = self._shared.get(key)
            mine = entry is None
            if mine:
                entry = self._shared[key] = _Shared(case_context.REGISTRY.context(key))
        if mine:
            def compute() -> None:
                entry.value = self._call(item, plan, provider, {}, entry.uses, entry.finalizers)
            try:
                case_context.run_as(entry.context, compute)
            except BaseException as exc:  # noqa: BLE001 - a skip or failure of the fixture is each user's outcome
                entry.error = exc
            finally:
                with self._lock:
                    entry.done.set()
                    resume, entry.resume = entry.resume, []
                for call in resume:
                    call()
        entry.done.wait()
        for context in [*entry.uses, entry.context]:
            if context not in used:
                used.append(context)
        if entry.error is not None:
            raise entry.error
        return entry.value

    def put_aside(self, keys: list[str], resume: Callable[[], None]) -> bool:
        """Whether one of the shared fixtures `keys` is being computed; if so, `resume` is called once it is."""
        with self._lock:
            busy = next((self._shared[key] for key in keys
                         if key in self._shared and not self._shared[key].done.is_set()), None)
            if busy is not None:
                busy.resume.append(resume)
        return busy is not None

    def computed(self, key: str) -> _Shared | None:
        with self._lock:
            entry = self._shared.get(key)
        return entry if entry is not None and entry.done.is_set() else None

    def finish(self) -> None:
        for entry in reversed(list(self._shared.values())):
            for finalizer in reversed(entry.finalizers):
                finalizer()
        self._shared.clear()


class SideBySide:
    def __init__(self, session: pytest.Session, items: list[pytest.Item], workers: int,
                 on_thread: Callable[[], None], done_with: Callable[[list], None]) -> None:
        self._fixtures = Fixtures()
        self._on_thread = on_thread
        self._done_with = done_with  # given the exchanges of a case or fixture no case needs any more
        plans = {item.nodeid: plan(item) for item in session.items}
        self._plans = {item.nodeid: plans[item.nodeid] for item in items}
        self._users = Counter(key for p in self._plans.values() for key in p.shared)  # shared -> its cases not done
        self._users_lock = threading.Lock()
        self._stopped = threading.Event()
        self._finished = False
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="conformance-case")
        self._admission = CaseAdmission(workers)
        every = sorted({key for p in plans.values() for key in p.shared})
        case_context.REGISTRY.register([item.nodeid for item in session.items] + every)
        self.futures: dict[str, Future] = {}
        self._items = items

    def start(self) -> None:
        """Every case starts in its turn, a case marked `after_all` once every other case is done (it judges what
        the whole run saw); an interrupt meanwhile leaves a runner that `stop` and `finish` end."""
        order = _modules_interleaved(self._items)
        last = [item for item in order if item.get_closest_marker("after_all")]
        first = [item for item in order if item not in last]
        ranked = list(enumerate(first + last, start=1))
        for _, item in ranked:
            self.futures[item.nodeid] = Future()
        waiting = {item.nodeid for item in first}
        lock = threading.Lock()

        def one_done(future: Future, nodeid: str) -> None:
            with lock:
                waiting.discard(nodeid)
                now = not waiting
            if now:
                for rank, item in ranked[len(first):]:
                    self._submit(item, rank)
        for _, item in ranked[:len(first)]:
            self.futures[item.nodeid].add_done_callback(lambda future, nodeid=item.nodeid: one_done(future, nodeid))
        if not first:
            one_done(Future(), "")
        for rank, item in ranked[:len(first)]:
            self._submit(item, rank)

    def _submit(self, item: pytest.Item, rank: int) -> None:
        try:
            self._pool.submit(self._attempt, item, rank)
        except RuntimeError:  # the pool is shut down: the run is ending
            self.futures[item.nodeid].cancel()

    def _attempt(self, item: pytest.Item, rank: int) -> None:
        """Run the case, unless a shared fixture it needs is still being computed by another case: then the thread
        goes on to the next case instead of waiting (a thread waiting is a thread sending nothing), and the case is
        handed back to the pool once that fixture is done. Which thread runs a case, and when, changes no verdict."""
        future = self.futures[item.nodeid]
        with self._admission:
            if self._stopped.is_set():
                future.cancel()
                return
            if self._fixtures.put_aside(self._plans[item.nodeid].shared, lambda: self._submit(item, rank)):
                return
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(self._run(item, rank))
            except BaseException as exc:  # noqa: BLE001 - the reporting loop raises it again, in order
                future.set_exception(exc)

    def _run(self, item: pytest.Item, rank: int) -> Ran:
        self._on_thread()
        plan = self._plans[item.nodeid]
        context = case_context.REGISTRY.context(item.nodeid, priority=rank)  # fixtures others wait on: 0
        used: list[case_context.CaseContext] = []
        finalizers: list[Callable[[], None]] = []
        started, error = time.monotonic(), None
        try:
            case_context.run_as(context, lambda: item.function(**self._fixtures.arguments(item, plan, used,
                                                                                          finalizers)))
        except BaseException as exc:  # noqa: BLE001 - every outcome of a case is reported by pytest, in order
            error = exc
        finally:
            for finalizer in reversed(finalizers):
                finalizer()
        seconds = time.monotonic() - started
        setup = [exchange for shared in used for exchange in shared.exchanges]
        ran = Ran(error, seconds, setup + context.exchanges)
        self._release(item, context)
        return ran

    def _release(self, item: pytest.Item, context: case_context.CaseContext) -> None:
        """The case is done: what it created goes, and so does what a shared fixture created once its last case
        is done."""
        self._done_with(list(context.exchanges))
        for key in self._plans[item.nodeid].shared:
            with self._users_lock:
                self._users[key] -= 1
                last = self._users[key] == 0
            shared = self._fixtures.computed(key)
            if last and shared is not None:
                self._done_with(list(shared.context.exchanges))

    def _cancel_waiting(self) -> None:
        """Cases not started (queued, or put aside) never will be: whoever waits for their result hears so."""
        for future in self.futures.values():
            future.cancel()

    def result(self, item: pytest.Item) -> Ran | None:
        """What the case did, once it is done; None when it never started (the run is ending)."""
        future = self.futures.get(item.nodeid)
        try:
            return None if future is None else future.result()
        except CancelledError:
            return None

    def stop(self) -> None:
        """Start no more cases (those running end on their own: the client sends nothing once the run is ending)."""
        self._stopped.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._cancel_waiting()

    def finish(self) -> None:
        """Once the cases still running have ended, the shared fixtures' finalizers run."""
        if self._finished:
            return
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._cancel_waiting()
        self._finished = True
        self._fixtures.finish()


def _modules_interleaved(items: list[pytest.Item]) -> list[pytest.Item]:
    """The first case of every module, then the second of every module, and so on: each module's shared fixtures
    (the model's run, the spec's drawing) start at once instead of after all the cases before them."""
    by_module: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_module.setdefault(str(item.path), []).append(item)
    return [item for rank in zip_longest(*by_module.values()) for item in rank if item is not None]
