"""The state probe calls a target stateless only when it never lists what it was sent: not when writes show late
(the docs promise no timing), not when it repeats ids (CREATE-ID-UNIQUE's finding), not when lists can't be read."""
from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest

from conformance.exchange import Exchange
from conformance.state_probe import BACKOFF_S, probe_state

LIST_ID = "lst_zxconf_test_state"


class FakeTarget:
    """Creates and lists contacts in memory; `delay` s pass before a create shows in lists."""

    def __init__(self, delay: float = 0.0, keeps: bool = True, same_id: bool = False, lists_exist: bool = True,
                 list_key: str = "data") -> None:
        self.delay, self.keeps, self.same_id, self.lists_exist, self.list_key = delay, keeps, same_id, lists_exist, list_key
        self.contacts: list[tuple[float, dict]] = []

    def gather(self, calls):
        return [call() for call in calls]

    def body(self, name: str, lists: list[str] | None = None) -> dict:
        self.drawn = getattr(self, "drawn", 0) + 1
        return {"name": f"{name} [zxconf test]", "phone": f"+2449123450{self.drawn:02d}",
                **({"lists": lists} if lists else {})}

    def create_all(self, bodies: list[dict]) -> list[SimpleNamespace]:
        return [self.create(body) for body in bodies]

    def create(self, body: dict):
        lists = body.get("lists")
        if lists and not self.lists_exist:
            return SimpleNamespace(body=body, exchange=self._answer(422, {"error": "validation_error", "message": "x"}))
        contact = {"id": "cnt_same" if self.same_id else f"cnt_{len(self.contacts)}", **body}
        if self.keeps:
            self.contacts.append((time.monotonic() + self.delay, contact))
        return SimpleNamespace(body=body, exchange=self._answer(201, contact))

    def list(self, list_id: str | None = None, page: int = 1, per_page: int = 50):
        self.reads = getattr(self, "reads", 0) + 1
        visible = [c for shown_at, c in self.contacts if shown_at <= time.monotonic()
                   and (list_id is None or list_id in c.get("lists", []))]
        data = visible[(page - 1) * per_page:page * per_page]
        return self._answer(200, {self.list_key: data, "meta": {"total": len(visible), "page": page, "per_page": per_page}})

    @staticmethod
    def _answer(status: int, body: dict) -> Exchange:
        return Exchange("GET", "http://target/v1/contacts", {}, None, status=status, text=json.dumps(body))


def probe(target: FakeTarget):
    started = time.monotonic()
    result = probe_state(target, target, LIST_ID)
    return result, time.monotonic() - started


@pytest.mark.parametrize("target", [FakeTarget(), FakeTarget(delay=0.5), FakeTarget(same_id=True),
                                    FakeTarget(lists_exist=False), FakeTarget(delay=0.5, lists_exist=False)],
                         ids=["at-once", "half-a-second-late", "repeated-ids", "lists-must-exist", "late-without-lists"])
def test_a_target_that_lists_what_it_was_sent_keeps_state(target):
    result, _ = probe(target)
    assert result.kept is True, result.message


def test_a_target_that_never_lists_what_it_was_sent_keeps_no_state_within_a_bounded_wait():
    target = FakeTarget(keeps=False)
    result, _ = probe(target)
    assert result.kept is False and "keep no state" in result.message and "--profile contract" in result.message
    assert target.reads == len(BACKOFF_S) + 1  # bounded: one per pause of the back-off, then the whole account


def test_a_list_that_cannot_be_read_is_no_verdict_on_state():
    result, _ = probe(FakeTarget(list_key="items"))
    assert result.kept is None
