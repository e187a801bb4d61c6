"""Whether the target keeps what it is sent, from the probe at session start (conftest): a target that does not
is reported once, here, instead of through every rule about lists and lifecycle."""
from __future__ import annotations

import pytest

from conformance.results import expect

pytestmark = [pytest.mark.listing, pytest.mark.writes]


@pytest.mark.requirement("LIST-SHOWS-CREATED")
def test_created_contact_is_listed(state_probe):
    if state_probe.kept is None:
        pytest.skip(f"inconclusive: {state_probe.message}")
    expect(state_probe.kept, state_probe.message, state_probe.exchange)
