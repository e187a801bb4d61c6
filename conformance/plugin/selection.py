"""Which collected cases run: none when the target is unusable, only those of the requirements asked for, and only
the one that reports it when the target keeps no state."""
from __future__ import annotations

import pytest

from conformance.plugin.keys import KEEPS_NO_STATE, OUTCOMES, STATE, UNUSABLE, requirements_of
from conformance.plugin.probe import probed
from conformance.requirements import catalogue
from conformance.results import CaseOutcome


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    probed(config)
    if UNUSABLE in config.stash:
        config.hook.pytest_deselected(items=list(items))
        items[:] = []
        return
    known = catalogue()
    for item in items:
        unknown = [r for r in requirements_of(item) if r not in known]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid} names unknown requirement(s) {unknown}")
    _only_requirements(config, items)
    if STATE in config.stash and config.stash[STATE].kept is False:
        _stop_early(config, items)


def _only_requirements(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = set(config.getoption("requirement"))
    if not wanted:
        return
    unknown = sorted(wanted - set(catalogue()))
    if unknown:
        raise pytest.UsageError(f"--requirement names no requirement of the catalogue: {', '.join(unknown)}")
    kept, other = [], []
    for item in items:
        (kept if wanted & set(requirements_of(item)) else other).append(item)
    config.hook.pytest_deselected(items=other)
    items[:] = kept


def _stop_early(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A target that keeps no state would fail every rule about lists and lifecycle for that one reason: only the
    case that reports the probe's finding runs, and the rest are not checked."""
    finding = [item for item in items if "state_probe" in getattr(item, "fixturenames", ())]
    rest = [item for item in items if item not in finding]
    config.stash[OUTCOMES].extend(CaseOutcome(case=getattr(item, "originalname", item.name), nodeid=item.nodeid,
                                              requirements=requirements_of(item), status="not_checked",
                                              message=KEEPS_NO_STATE) for item in rest)
    config.hook.pytest_deselected(items=rest)
    items[:] = finding

