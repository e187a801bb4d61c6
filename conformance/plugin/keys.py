"""What the plugin's modules share on the pytest config and items: the run's objects, what the run saw so far, and
the messages more than one module writes."""
from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pytest

from conformance.client import Client
from conformance.config import Config
from conformance.state_probe import StateProbe

CONFIG = pytest.StashKey[Config]()
CLIENT = pytest.StashKey[Client]()
FACTORY = pytest.StashKey[Any]()  # the run's ContactFactory (support.py)
OUTCOMES = pytest.StashKey[list]()
OBSERVATIONS = pytest.StashKey[dict]()
BASELINE = pytest.StashKey[set]()
STARTED = pytest.StashKey[float]()
UNUSABLE = pytest.StashKey[str]()
STATE = pytest.StashKey[StateProbe]()
PROBING = pytest.StashKey[Future]()  # the state probe, while it runs beside collection
BLAMED = pytest.StashKey[set]()  # requirements a case's failure is narrowed to (set by the case)
BLOCKED_BY = pytest.StashKey[str]()  # the requirement whose failure kept a case from setting up what it needs
RAN = pytest.StashKey[Any]()  # what a case run side by side did (side_by_side.Ran: its exchanges and seconds)
INTERNAL = pytest.StashKey[str]()  # the first error of the checker itself inside a case (the run ends with exit 4)
INTERNAL_TRACEBACK = pytest.StashKey[str]()  # its traceback, written to the report directory for a bug report

WRITES_OFF = "writes are off for this target (pass --allow-writes, or set ZEXA_ALLOW_WRITES=1)"
NO_STATE_CLAIMS = "not checked: the contract profile makes no claim that needs state"
KEEPS_NO_STATE = "not checked: the target keeps no state"


def requirements_of(item: pytest.Item) -> tuple[str, ...]:
    """The catalogue requirements a case names in its `requirement` markers."""
    return tuple(arg for marker in item.iter_markers("requirement") for arg in marker.args)
