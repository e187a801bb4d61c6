"""Cases run side by side, reported in order.

Against a distant target a case spends its time waiting for answers, and most cases do not depend on each other
(each creates its own contacts, in its own lists). So when the run loop starts, every case that will run is handed
to a pool of `--concurrency` threads; pytest then goes through the cases in their usual order, waits for each one's
result and reports it as if it had just run it (its error raised again, its own exchanges as evidence). The
session's in-flight bound still holds for all of them together, and at `--concurrency 1` the one thread runs the
cases in order, one at a time.

pytest's fixture machinery is not thread-safe, so the fixtures of a case run here are resolved the way pytest would:
function fixtures per case; session and module fixtures once, by the first case that needs one while the others
wait, in a context of their own (so what they draw does not depend on which case got there first), their exchanges
part of the evidence of every case that uses them. Verdicts never depend on timing: each case and each fixture
draws its data from its own seeded context (case_context.py)."""
from __future__ import annotations

import ast
import inspect
from collections import Counter
from itertools import zip_longest
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from _pytest import runner as runner_module

from conformance import case_context
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


def shared_key(item: pytest.Item, fixturedef) -> str:
    """The one instance of a session or module fixture: the same name on every installation and every run."""
    return f"fixture {'' if fixturedef.scope == 'session' else item.path.name}::{fixturedef.argname}"


def _shared_keys(items: list[pytest.Item]) -> list[str]:
    keys = {shared_key(item, defs[-1]) for item in items
            for defs in item._fixtureinfo.name2fixturedefs.values() if defs and defs[-1].scope != "function"}
    return sorted(keys)


class Fixtures:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shared: dict[str, _Shared] = {}

    def arguments(self, item: pytest.Item, used: list, finalizers: list) -> dict[str, Any]:
        local: dict[str, Any] = {}
        return {name: self._value(item, name, local, used, finalizers) for name in item._fixtureinfo.argnames}

    def _value(self, item: pytest.Item, name: str, local: dict, used: list, finalizers: list) -> Any:
        if name in local:
            return local[name]
        params = getattr(getattr(item, "callspec", None), "params", {})
        if name == "request":
            value = _Request(item)
        elif name == "pytestconfig":
            value = item.config
        elif name in params:
            value = params[name]
        else:
            fixturedef = item._fixtureinfo.name2fixturedefs[name][-1]
            if fixturedef.scope == "function":
                value = self._call(item, fixturedef, local, used, finalizers)
            else:
                value = self._shared_value(item, fixturedef, used)
        local[name] = value
        return value

    def _call(self, item: pytest.Item, fixturedef, local: dict, used: list, finalizers: list) -> Any:
        kwargs = {arg: self._value(item, arg, local, used, finalizers) for arg in fixturedef.argnames}
        if not inspect.isgeneratorfunction(fixturedef.func):
            return fixturedef.func(**kwargs)
        generator = fixturedef.func(**kwargs)
        value = next(generator)
        finalizers.append(lambda: next(generator, None))
        return value

    def _shared_value(self, item: pytest.Item, fixturedef, used: list) -> Any:
        key = shared_key(item, fixturedef)
        with self._lock:
            entry = self._shared.get(key)
            mine = entry is None
            if mine:
                entry = self._shared[key] = _Shared(case_context.REGISTRY.context(key))
        if mine:
            def compute() -> None:
                entry.value = self._call(item, fixturedef, {}, entry.uses, entry.finalizers)
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


class SideBySide:
    def __init__(self, session: pytest.Session, items: list[pytest.Item], workers: int,
                 on_thread: Callable[[], None], done_with: Callable[[list], None]) -> None:
        self._fixtures = Fixtures()
        self._on_thread = on_thread
        self._done_with = done_with  # given the exchanges of a case or fixture no case needs any more
        self._needs = {item.nodeid: _shared_keys([item]) for item in items}  # case -> shared fixtures it may use
        self._users = Counter(key for keys in self._needs.values() for key in keys)  # shared -> its cases not done
        self._users_lock = threading.Lock()
        self._stopped = threading.Event()
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="conformance-case")
        case_context.REGISTRY.register([item.nodeid for item in session.items] + _shared_keys(session.items))
        self.futures: dict[str, Future] = {}
        self._items = items
        self._update_env = runner_module._update_current_test_var
        runner_module._update_current_test_var = _environment_kept
        _SYNTAX_TREES.one_at_a_time()

    def start(self) -> None:
        """Every case starts in its turn, a case marked `after_all` once every other case is done (it judges what
        the whole run saw); an interrupt meanwhile leaves a runner that `stop` and `finish` end."""
        order = _modules_interleaved(self._items)
        last = [item for item in order if item.get_closest_marker("after_all")]
        first = [item for item in order if item not in last]
        ranked = list(enumerate(first + last, start=1))
        for _, item in ranked:
            item.setup = _nothing  # its fixtures are resolved here, not by pytest
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
        if self._stopped.is_set():
            future.cancel()
            return
        if self._fixtures.put_aside(self._needs[item.nodeid], lambda: self._submit(item, rank)):
            return
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(self._run(item, rank))
        except BaseException as exc:  # noqa: BLE001 - the reporting loop raises it again, in order
            future.set_exception(exc)

    def _run(self, item: pytest.Item, rank: int) -> Ran:
        self._on_thread()
        context = case_context.REGISTRY.context(item.nodeid, priority=rank)  # fixtures others wait on: 0
        used: list[case_context.CaseContext] = []
        finalizers: list[Callable[[], None]] = []
        started, error = time.monotonic(), None
        try:
            case_context.run_as(context, lambda: item.obj(**self._fixtures.arguments(item, used, finalizers)))
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
        for key in self._needs[item.nodeid]:
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
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._cancel_waiting()
        self._fixtures.finish()
        runner_module._update_current_test_var = self._update_env
        _SYNTAX_TREES.any_number()


class _SyntaxTrees:
    """CPython 3.11 keeps one depth counter per interpreter while it builds a syntax tree: two threads building one
    at once fail with "SystemError: AST constructor recursion depth mismatch". hypothesis parses source while it
    draws (a filter's lambda, the constants of a module) and pytest parses it to show a failure or an interrupt, in
    the main thread, while other cases still run: while another thread works (the state probe beside collection,
    cases side by side), ast.parse builds one at a time. An interrupt formatted meanwhile became exit 4, not 130."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._parse = ast.parse

    def one_at_a_time(self) -> None:
        parse, lock = self._parse, self._lock

        def parse_alone(*args: Any, **kwargs: Any) -> ast.AST:
            with lock:
                return parse(*args, **kwargs)
        ast.parse = parse_alone

    def any_number(self) -> None:
        ast.parse = self._parse


_SYNTAX_TREES = _SyntaxTrees()


def syntax_trees_one_at_a_time() -> None:
    """Before a second thread starts working for the run (see _SyntaxTrees); SideBySide.finish ends it."""
    _SYNTAX_TREES.one_at_a_time()


def _environment_kept(item: pytest.Item, when: str | None) -> None:
    """pytest writes PYTEST_CURRENT_TEST into os.environ at every step of every case; cases running in other threads
    read os.environ all the time (requests looks for proxy settings on every request), and a read while it is
    being changed fails (KeyError). While cases run side by side the variable is left alone."""


def _modules_interleaved(items: list[pytest.Item]) -> list[pytest.Item]:
    """The first case of every module, then the second of every module, and so on: each module's shared fixtures
    (the model's run, the spec's drawing) start at once instead of after all the cases before them."""
    by_module: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_module.setdefault(str(item.path), []).append(item)
    return [item for rank in zip_longest(*by_module.values()) for item in rank if item is not None]


def _nothing() -> None:
    return None


def replay(item: pytest.Item, ran: Ran) -> None:
    """The case's outcome, raised again where pytest expects it."""
    if ran.error is not None:
        raise ran.error
