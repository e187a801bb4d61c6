"""Named deviations of the reference server: faults (break one documented rule) and variants (legal behaviours
the faithful server does not use). Each is a small set of hooks; the app folds values through the active ones.
A name may carry one number, `lagging_lists=2`, for the deviations that take a parameter (their description says)."""
from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.mock.hook_points import POINTS

Hooks = Mapping[str, Callable[..., Any]]


@dataclass(frozen=True)
class Deviation:
    name: str
    kind: str  # "fault" or "variant"
    description: str
    make_hooks: Callable[..., Hooks]
    breaks: str = ""  # the requirement ID a fault violates; empty for variants
    also_breaks: tuple[str, ...] = ()  # rules the same deviation necessarily breaks too (a delete of an unknown id
    # answered 204 is also a second delete answered 204)


REGISTRY: dict[str, Deviation] = {}


def register(name: str, description: str, make_hooks: Callable[..., Hooks], breaks: str = "",
             also: tuple[str, ...] = ()) -> None:
    assert name not in REGISTRY, name
    REGISTRY[name] = Deviation(name, "fault" if breaks else "variant", description, make_hooks, breaks, also)


def only(point: str, hook: Callable[..., Any]) -> Callable[[], Hooks]:
    """A deviation made of one stateless hook."""
    return lambda: {point: hook}


def rate_limited_every(n: int, **hooks: Callable[..., Any]) -> Callable[[], Hooks]:
    """A deviation that answers every n-th request with 429, and `hooks` beside it (what that 429 says)."""
    def make() -> Hooks:
        counter = itertools.count(1)
        return {"rate_limited": lambda limited, **_: limited or next(counter) % n == 0, **hooks}
    return make


def faults() -> list[Deviation]:
    return [d for d in REGISTRY.values() if d.kind == "fault"]


def variants() -> list[Deviation]:
    return [d for d in REGISTRY.values() if d.kind == "variant"]


def split_name(name: str) -> tuple[str, tuple[float, ...]]:
    """`lagging_lists=2` -> ("lagging_lists", (2.0,)); a bad number is a ValueError naming the deviation."""
    base, sep, value = name.partition("=")
    if not sep:
        return base, ()
    try:
        return base, (float(value),)
    except ValueError:
        raise ValueError(f"{base}: {value!r} is not a number") from None


@dataclass
class Active:
    """The deviations switched on for one server; `apply` passes a value through each one's hook for a point."""
    names: tuple[str, ...] = ()
    _hooks: list[Hooks] = field(default_factory=list)

    def __post_init__(self) -> None:
        parsed = [split_name(n) for n in self.names]
        unknown = [base for base, _ in parsed if base not in REGISTRY]
        if unknown:
            raise ValueError(f"unknown fault or variant: {', '.join(unknown)} (see `conformance mock --list-faults`)")
        try:
            self._hooks = [REGISTRY[base].make_hooks(*args) for base, args in parsed]
        except TypeError:
            raise ValueError(f"only some deviations take a value: {', '.join(self.names)}") from None
        for (base, _), hooks in zip(parsed, self._hooks):
            undeclared = sorted(set(hooks) - set(POINTS))
            if undeclared:
                raise ValueError(f"{base} hooks into undeclared point(s) {', '.join(undeclared)} "
                                 "(conformance/mock/hook_points.py)")

    def apply(self, point: str, value: Any, **context: Any) -> Any:
        if POINTS.get(point) != tuple(sorted(context)):
            raise TypeError(f"hook point {point!r} is declared with {POINTS.get(point)}, folded with {sorted(context)}")
        for hooks in self._hooks:
            if point in hooks:
                value = hooks[point](value, **context)
        return value


# Registration happens on import of these modules; they need `register` above, hence the late import.
from conformance.mock import broken, legal  # noqa: E402,F401
