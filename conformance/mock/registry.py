"""The registry of the reference server's named deviations: faults (break one documented rule) and variants (legal
behaviours the faithful server does not use). Each is a small set of hooks; the app folds values through the active
ones. A name may carry one number, `lagging_lists=2`, for the deviations that take a parameter (their description
says). The deviations themselves are declared elsewhere (conformance.mock.faults loads them all); this module knows
none of them."""
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
    # Rules the same deviation necessarily breaks too (the self-check's attribution figure counts a fault as exactly
    # attributed when nothing else fails): a delete of an unknown id answered 204 is also a second delete answered
    # 204, a response off the spec's shape is also SPEC-RESPONSES-CONFORM's finding, a wrong total also breaks the
    # page partition.
    also_breaks: tuple[str, ...] = ()

    @property
    def rules(self) -> tuple[str, ...]:
        """Every rule the deviation breaks, the one it exists for first; none for a variant."""
        return (self.breaks, *self.also_breaks) if self.breaks else ()


REGISTRY: dict[str, Deviation] = {}


def _declare(deviation: Deviation) -> None:
    if deviation.name in REGISTRY:
        raise ValueError(f"{deviation.name} is declared twice")
    REGISTRY[deviation.name] = deviation


def fault(name: str, description: str, make_hooks: Callable[..., Hooks], breaks: str,
          also: tuple[str, ...] = ()) -> None:
    """Declare a fault: it exists to break the rule `breaks`, and necessarily breaks the rules `also` too."""
    if not breaks:
        raise ValueError(f"fault {name} must name the rule it breaks")
    _declare(Deviation(name, "fault", description, make_hooks, breaks, tuple(also)))


def variant(name: str, description: str, make_hooks: Callable[..., Hooks]) -> None:
    """Declare a legal variant: the description names the sentence or the silence of the docs that allows it."""
    _declare(Deviation(name, "variant", description, make_hooks))


def only(point: str, hook: Callable[..., Any]) -> Callable[[], Hooks]:
    """A deviation made of one stateless hook."""
    return lambda: {point: hook}


def rate_limited_every(n: int, **hooks: Callable[..., Any]) -> Callable[[], Hooks]:
    """A deviation that answers every n-th request with 429, and `hooks` beside it (what that 429 says)."""
    def make() -> Hooks:
        counter = itertools.count(1)
        return {"rate_limited": lambda limited, **_: limited or next(counter) % n == 0, **hooks}
    return make


def map_items(fn: Callable[[dict], dict]) -> Callable[..., dict]:
    """A `list_body` hook that passes every listed contact through `fn`."""
    return lambda body, **_: {**body, "data": [fn(item) for item in body["data"]]}


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
