"""A create body that names fields of the answer: `id` and `created_at` are what the target gives a contact (C,
Response Fields), not request parameters. A target may refuse such a body with a 4xx or ignore the fields; a contact
it makes has an id of its own and the time of its creation, whatever the body said."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from conformance.client import created_id
from conformance.judgements import judge_created_at
from conformance.model import parse_instant
from conformance.results import expect

pytestmark = [pytest.mark.create, pytest.mark.writes]
LONG_AGO = "2001-01-01T00:00:00Z"


@pytest.mark.requirement("CREATE-ID-UNIQUE")
def test_id_in_the_body_is_not_taken(new_contact, needs):
    """C: id is the unique contact identifier. A create whose body carries the id of a live contact of the run
    makes a contact with another id (or is refused)."""
    held = new_contact("Id Holder")
    needs(held, "the contact whose id the body names")
    twin = new_contact("Id In Body", id=held.id)
    if created_id(twin.exchange) is None:
        pytest.skip(f"not checked: the create naming an id was not taken ({twin.exchange.status}), as it may be")
    expect(twin.id != held.id, f"a create whose body named the id {held.id!r} of a live contact was answered with "
           f"that id: two contacts share it", twin.exchange)


@pytest.mark.requirement("CREATE-CREATED-AT-MATCHES-DATE")
def test_created_at_in_the_body_is_not_taken(new_contact):
    """C: created_at is when the contact was created. A create whose body says it was created in 2001 is answered
    with the time of its creation (or refused), judged as every created_at is (judgements.judge_created_at)."""
    made = new_contact("Created At In Body", created_at=LONG_AGO)
    if created_id(made.exchange) is None:
        pytest.skip(f"not checked: the create naming a created_at was not taken ({made.exchange.status}), as it may be")
    read_at = datetime.now(timezone.utc) - timedelta(seconds=time.monotonic() - made.exchange.answered_at)
    verdicts = judge_created_at(made.exchange, read_at)
    if not verdicts:
        pytest.skip("not checked: created_at does not parse (CREATE-CREATED-AT-ISO-UTC reports it)")
    taken = parse_instant(made.response.get("created_at")) == parse_instant(LONG_AGO)
    failed = [v.problem for v in verdicts if v.failed and (taken or v.requirement == "CREATE-CREATED-AT-MATCHES-DATE")]
    expect(not failed, f"a create whose body said created_at {LONG_AGO} was answered so: {'; '.join(failed)}",
           made.exchange)
