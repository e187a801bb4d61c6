"""What the cases build on: the contacts they create (`Created`, `ContactFactory`, `expect_created`) and the fixtures
that hand them the run's client, config, contact factory and observations, and skip a case whose setup failed."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from phonenumbers import parse, region_code_for_number

from conformance import case_context
from conformance.cases.fixtures import fixture
from conformance.client import Client
from conformance.exchange import Exchange
from conformance.judgements import created_id, error_judgements, is_success
from conformance.config import Config
from conformance.paging import tag_name
from conformance.plugin.keys import (BLOCKED_BY, CLIENT, CONFIG, FACTORY, OBSERVATIONS, STATE, WRITES_OFF,
                                     requirements_of)
from conformance.results import expect
from conformance.state_probe import StateProbe
from conformance.strategies import e164_for


@dataclass
class Created:
    body: dict  # what was sent
    exchange: Exchange

    @property
    def response(self) -> dict:
        data = self.exchange.json_or_none()
        expect(isinstance(data, dict), f"create answered {self.exchange.status} without a JSON object body",
               self.exchange)
        return data

    @property
    def id(self) -> str:
        contact_id = self.response.get("id")
        expect(isinstance(contact_id, str), f"create response has no string id: {self.response!r}", self.exchange)
        return contact_id


def expect_created(exchange: Exchange, why: str, requirement: str | None = None) -> None:
    """Accepted and created: any 2xx (that it is 201 exactly is CREATE-201-CREATED's rule, judged there).
    `requirement`: the one a failure is blamed on, in a case marked with several."""
    expect(is_success(exchange.status),
           f"{why}: expected 201, got {exchange.status or exchange.error}: {exchange.text[:300]}", exchange,
           requirement=requirement)


def expect_api_errors(answers: Sequence[tuple[str, Exchange]], status: int) -> None:
    """Each answer of `status` is the API's own error like any other (P: every error has the same JSON body; C: the
    code its status has), judged by judgements.error_judgements, each failure blamed on its own rule."""
    for what, answer in answers:
        if answer.status != status:
            continue
        for judgement in error_judgements(answer):
            expect(not judgement.failed, f"{what}: {judgement.problem}", answer, requirement=judgement.requirement)


class ContactFactory:
    """Creates contacts that belong to this run: tagged names, phones no other contact of the run uses, and a new
    number when the account already holds the phone (a 409 from someone else's contact is not a finding).

    Each case draws its phones from its own share of the numbers, by the run's seed: the same seed sends the same
    data whatever ran beside it. Setup phones are Angolan (the docs' own example region), so a target that rejects
    some other region fails only the case that tests regions."""

    def __init__(self, client: Client, run: Config) -> None:
        self.client = client
        self.run = run
        self.used: set[str] = set()
        self._lock = threading.Lock()

    def phone(self, region: str = "AO") -> str:
        context = case_context.current()
        while True:
            number = e164_for(region, context.phone_tail(region, 10_000))
            with self._lock:
                if number not in self.used:
                    self.used.add(number)
                    return number

    def body(self, name: str = "Conformance", region: str = "AO", **fields: Any) -> dict:
        return {"name": tag_name(name, self.run.run_tag), "phone": self.phone(region), **fields}

    def create_all(self, bodies: Sequence[dict], retries: int = 3) -> list[Created]:
        """Send the bodies side by side; a 409 (the phone exists on the account) is sent again with a new number."""
        created = [Created(body, exchange) for body, exchange in
                   zip(bodies, self.client.gather([lambda b=body: self.client.create(b) for body in bodies]))]
        for _ in range(retries - 1):
            taken = [i for i, c in enumerate(created) if c.exchange.status == 409]
            if not taken:
                break
            bodies = [{**created[i].body, "phone": self.phone(_region_of(created[i].body["phone"]))} for i in taken]
            answers = self.client.gather([lambda b=body: self.client.create(b) for body in bodies])
            for i, body, exchange in zip(taken, bodies, answers):
                created[i] = Created(body, exchange)
        return created

    def __call__(self, name: str = "Conformance", region: str = "AO", **fields: Any) -> Created:
        return self.create_all([self.body(name, region, **fields)])[0]


def _region_of(phone: str) -> str:
    return region_code_for_number(parse(phone)) or "AO"


# --- fixtures -------------------------------------------------------------------------------------------------

@fixture(scope="session")
def run_config(pytestconfig: pytest.Config) -> Config:
    return pytestconfig.stash[CONFIG]


@fixture(scope="session")
def client(pytestconfig: pytest.Config) -> Client:
    return pytestconfig.stash[CLIENT]


@fixture
def observe(request: pytest.FixtureRequest):
    """Record what the target does where the docs leave the choice to it; never a failure."""
    ids = requirements_of(request.node)
    store = request.config.stash[OBSERVATIONS]

    def record(message: str, requirement: str | None = None) -> None:
        store.setdefault(requirement or ids[0], []).append(message)
    return record


@fixture(scope="session")
def new_contact(pytestconfig: pytest.Config) -> ContactFactory:
    return pytestconfig.stash[FACTORY]


@fixture(scope="session")
def state_probe(pytestconfig: pytest.Config) -> StateProbe:
    """What the probe at session start saw: whether the target lists the contacts it was sent."""
    return pytestconfig.stash.get(STATE, StateProbe(None, "the state probe did not run"))


@fixture(scope="session")
def judged_requirements(pytestconfig: pytest.Config) -> frozenset[str]:
    """The requirements the run was asked to judge (--requirement); empty when it judges all."""
    return frozenset(pytestconfig.getoption("requirement"))


@fixture(scope="session")
def lists_accepted(new_contact: ContactFactory, run_config: Config) -> bool:
    """Whether the target lets the run put contacts in its own list ids (lists may have to exist first)."""
    if not run_config.allow_writes:
        pytest.skip(f"not checked: the case creates its own contacts and {WRITES_OFF}")
    return new_contact("List Probe", lists=[run_config.run_list("probe")]).exchange.status == 201


@fixture
def need_lists(lists_accepted: bool, run_config: Config) -> None:
    if not lists_accepted:
        pytest.skip(f"not checked: the target would not add a contact to list {run_config.run_list('probe')}; "
                    "pass --list-ids with a list of the account")


@fixture
def needs(request: pytest.FixtureRequest):
    """Setup that must succeed for the case to judge anything: when a contact it needs was not created, the case
    is not checked and names the requirement that failure belongs to (that requirement fails in its own case)."""
    def check(created: Created | Sequence[Created], what: str, blocked_by: str = "CREATE-201-CREATED") -> None:
        for one in [created] if isinstance(created, Created) else created:
            if created_id(one.exchange) is None:
                request.node.stash[BLOCKED_BY] = blocked_by
                answer = f"{one.exchange.status or one.exchange.error} {one.exchange.text[:200]}"
                redact = request.config.stash[CLIENT].session.redact  # the answer may echo the key
                pytest.skip(redact(f"not checked: could not create {what}: {answer}".rstrip()))
    return check


