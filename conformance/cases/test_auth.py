"""Authentication on every operation: a missing, foreign-scheme, unknown or forged key is 401, before anything else.

Each case sends every variant on every operation side by side and judges the answers in that order."""
from __future__ import annotations

import base64
import secrets
import string

import pytest

from conformance.results import expect_status

pytestmark = pytest.mark.auth
OPERATIONS = ("create", "list", "delete")


def operations(client) -> tuple[str, ...]:
    """A POST or DELETE could change data on a target that ignores auth: both only where writes are allowed (a
    read-only run judges GET /contacts alone)."""
    return OPERATIONS if client.config.allow_writes else ("list",)


def request_for(operation: str, client, new_contact, auth):
    """One request of the operation, its data drawn now (in the main thread); a DELETE only ever targets an id no
    account holds."""
    if operation == "create":
        body = new_contact.body("Auth Probe")
        return lambda: client.create(body, auth=auth)
    if operation == "list":
        return lambda: client.list(auth=auth)
    contact_id = client.unknown_id()
    return lambda: client.delete(contact_id, auth=auth)


def send_all(client, new_contact, variants: dict[str, object]) -> list[tuple[str, object]]:
    """Every variant on every operation, side by side: (what was sent, its answer) in a fixed order. Keys forged
    from the real one show in the evidence as ${ZEXA_API_KEY%?} plus what was changed (the client hides the key)."""
    plan = [(f"{operation} with {name}", request_for(operation, client, new_contact, auth))
            for name, auth in variants.items() for operation in operations(client)]
    answers = client.gather([call for _, call in plan])
    return list(zip([what for what, _ in plan], answers))


def other_character(ch: str) -> str:
    """A character of the same kind (digit, lower, upper) that differs from `ch`."""
    for alphabet in (string.digits, string.ascii_lowercase, string.ascii_uppercase):
        if ch in alphabet:
            return alphabet[(alphabet.index(ch) + 1) % len(alphabet)]
    return "x"


def forged_keys(key: str) -> dict[str, str]:
    """Keys made from the real one, none of them the real key: its last character changed, a suffix added, cut one
    character short (a comparison of a prefix, or of the shorter length, takes them for the key), its letters' case
    swapped (a case-insensitive comparison, such as a MySQL column's default collation, takes that one)."""
    variants = {"the key with its last character changed": f"Bearer {key[:-1]}{other_character(key[-1])}",
                "the key with a suffix": f"Bearer {key}0"}
    if len(key) > 1:
        variants["the key cut one character short"] = f"Bearer {key[:-1]}"
    if key.swapcase() != key:
        variants["the key with its letters' case swapped"] = f"Bearer {key.swapcase()}"
    return variants


@pytest.mark.requirement("AUTH-401-MISSING-KEY")
def test_missing_key_is_401_unauthorized(client, new_contact, run_config):
    variants = {"no Authorization": None, "Authorization Token <key>": f"Token {run_config.api_key}",
                "Authorization Basic <key>": "Basic " + base64.b64encode(f"{run_config.api_key}:".encode()).decode(),
                "Authorization Bearer and no key": "Bearer "}
    for what, answer in send_all(client, new_contact, variants):
        expect_status(answer, 401, what)


@pytest.mark.requirement("AUTH-401-INVALID-KEY")
def test_unknown_key_is_401_unauthorized(client, new_contact, run_config):
    forged = forged_keys(run_config.api_key)
    variants = {"an unknown key": f"Bearer zx_conformance_not_a_key_{secrets.token_hex(12)}", **forged}
    for what, answer in send_all(client, new_contact, variants):
        expect_status(answer, 401, what)


@pytest.mark.requirement("AUTH-401-BEFORE-VALIDATION")
def test_unauthenticated_bad_request_is_401_first(client, new_contact):
    problems = {"per_page 1000": lambda: client.list(auth=None, per_page=1000)}
    if client.config.allow_writes:
        missing_phone = {"name": new_contact.body("No Phone")["name"]}
        local_phone = {**new_contact.body("Local Phone"), "phone": "0912345678"}
        unknown = client.unknown_id()
        problems |= {"malformed JSON": lambda: client.call("POST", "/contacts", data=b'{"name": ', auth=None),
                     "missing phone": lambda: client.create(missing_phone, auth=None),
                     "bad phone": lambda: client.create(local_phone, auth=None),
                     "unknown id": lambda: client.delete(unknown, auth=None)}
    for problem, answer in zip(problems, client.gather(problems.values())):
        expect_status(answer, 401, f"an unauthenticated request with {problem}")
