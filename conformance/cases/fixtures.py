"""The cases' fixtures, declared with `fixture`: the side-by-side runner (side_by_side.py) resolves them itself, and
`plan` says, for a collected case, what it needs, or why pytest would do more for it than the runner does."""
from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

SCOPES = ("function", "module", "session")
BUILT_IN = ("request", "pytestconfig")  # what pytest itself gives; `request` as _Request below
UNSUPPORTED_MARKS = ("skip", "skipif", "xfail", "usefixtures")  # pytest applies them in the setup it does not run


@dataclass(frozen=True)
class Provider:
    """A fixture of the cases: the function that makes its value, and how long that value lives."""
    func: Callable[..., Any]
    scope: str

    @property
    def name(self) -> str:
        return self.func.__name__

    @property
    def argnames(self) -> tuple[str, ...]:
        return tuple(inspect.signature(self.func).parameters)


_PROVIDERS: dict[str, dict[str, Provider]] = {}  # module -> fixture name -> provider


def fixture(func: Callable[..., Any] | None = None, *, scope: str = "function") -> Any:
    """Declare a fixture of the cases (as `@fixture` or `@fixture(scope="module")`). The runner resolves it; pytest
    is told about it too, so that `--fixtures` lists it and a fixture pytest knows but the runner does not is found
    at collection (see `plan`)."""
    if scope not in SCOPES:
        raise ValueError(f"fixture scope {scope!r}: the runner knows {', '.join(SCOPES)}")

    def declare(func: Callable[..., Any]) -> Any:
        _PROVIDERS.setdefault(func.__module__, {})[func.__name__] = Provider(func, scope)
        return pytest.fixture(scope=scope)(func)
    return declare if func is None else declare(func)


class Unsupported(Exception):
    """A case needs something of pytest's fixture machinery that the runner does not do."""


def _is_case_module(module: str) -> bool:
    return module.rpartition(".")[2].startswith("test_")


def _provider(module: str, name: str) -> Provider | None:
    """The fixture `name` as a case of `module` sees it: its own module's first, then those of the support modules
    (conftest and the like), as pytest looks them up."""
    own = _PROVIDERS.get(module, {}).get(name)
    if own is not None:
        return own
    shared = [providers[name] for place, providers in _PROVIDERS.items()
              if name in providers and not _is_case_module(place)]
    if len(shared) > 1:
        raise Unsupported(f"fixture {name!r} is declared in more than one support module")
    return shared[0] if shared else None


@dataclass
class Plan:
    """How a case gets its arguments: its parameters, and every fixture it needs, directly or through another."""
    arguments: tuple[str, ...]
    params: dict[str, Any]
    providers: dict[str, Provider]
    shared: list[str]  # the keys of its session and module fixtures (see shared_key)


def shared_key(item: pytest.Item, name: str, scope: str) -> str:
    """The one instance of a session or module fixture: the same name on every installation and every run."""
    return f"fixture {'' if scope == 'session' else item.path.name}::{name}"


def plan(item: pytest.Item) -> Plan:
    """The case's plan, or Unsupported when pytest would do more for it than the runner does (an autouse fixture, a
    fixture not declared with `fixture`, a skip mark, a wider fixture that needs a narrower one)."""
    if not isinstance(item, pytest.Function):
        raise Unsupported(f"{item.nodeid} is not a test function")
    marks = sorted({mark.name for mark in item.iter_markers() if mark.name in UNSUPPORTED_MARKS})
    if marks:
        raise Unsupported(f"{item.nodeid} is marked {', '.join(marks)}, which the side-by-side runner does not apply")
    params = dict(getattr(getattr(item, "callspec", None), "params", {}))
    arguments = tuple(inspect.signature(item.function).parameters)
    providers: dict[str, Provider] = {}
    builtins: set[str] = set()

    def need(name: str, scope: str, who: str) -> None:
        if name in providers or name in builtins:
            return
        if name in BUILT_IN:
            builtins.add(name)
            return
        if name in params:
            if scope != "function":
                raise Unsupported(f"{who} ({scope} fixture) needs the parameter {name!r} of {item.nodeid}")
            return
        provider = _provider(item.module.__name__, name)
        if provider is None:
            raise Unsupported(f"{item.nodeid} needs fixture {name!r}, which is not declared with "
                              "conformance.cases.fixtures.fixture")
        if SCOPES.index(provider.scope) < SCOPES.index(scope):
            raise Unsupported(f"{who} ({scope} fixture) needs {name!r}, a {provider.scope} fixture")
        providers[name] = provider
        for argname in provider.argnames:
            need(argname, provider.scope, f"fixture {name!r}")

    for name in arguments:
        need(name, "function", item.nodeid)
    extra = sorted(set(item.fixturenames) - set(params) - set(providers) - builtins - {"request"})
    if extra:
        raise Unsupported(f"pytest would also set up {', '.join(extra)} for {item.nodeid} (an autouse fixture, or "
                          "usefixtures), which the side-by-side runner does not")
    keys = {shared_key(item, name, provider.scope) for name, provider in providers.items()
            if provider.scope != "function"}
    if "pytestconfig" in builtins or any("pytestconfig" in p.argnames for p in providers.values()):
        keys.add(shared_key(item, "pytestconfig", "session"))  # pytest's own session fixture: it has a key too
    return Plan(arguments, params, providers, sorted(keys))


def check(items: list[pytest.Item]) -> None:
    """At collection: every case can run side by side, or the run stops here and says why."""
    for item in items:
        try:
            plan(item)
        except Unsupported as exc:
            raise pytest.UsageError(f"internal error: {exc}") from None
