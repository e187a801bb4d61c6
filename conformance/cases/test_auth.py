"""Authentication on every operation: a missing, foreign-scheme or unknown key is 401, before anything else."""
from __future__ import annotations

import base64
import secrets

import pytest

from conformance.cases.conftest import WRITES_OFF
from conformance.results import expect_status

pytestmark = pytest.mark.auth
OPERATIONS = ("create", "list", "delete")


def send(operation: str, client, new_contact, auth):
    """One request of the operation; a DELETE only ever targets an id no account holds. A POST or DELETE could
    change data on a target that ignores auth, so both run only where writes are allowed."""
    if operation != "list" and not client.config.allow_writes:
        pytest.skip(f"not checked: a POST or DELETE writes if the target ignores auth, and {WRITES_OFF}")
    if operation == "create":
        return client.create(new_contact.body("Auth Probe"), auth=auth)
    if operation == "list":
        return client.list(auth=auth)
    return client.delete(client.unknown_id(), auth=auth)


@pytest.mark.requirement("AUTH-401-MISSING-KEY")
@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("header", ["absent", "other-scheme", "basic", "bearer-without-key"])
def test_missing_key_is_401_unauthorized(client, new_contact, run_config, operation, header):
    auth = {"absent": None, "other-scheme": f"Token {run_config.api_key}",
            "basic": "Basic " + base64.b64encode(f"{run_config.api_key}:".encode()).decode(),
            "bearer-without-key": "Bearer "}[header]
    expect_status(send(operation, client, new_contact, auth), 401, f"{operation} with Authorization {header}")


@pytest.mark.requirement("AUTH-401-INVALID-KEY")
@pytest.mark.parametrize("operation", OPERATIONS)
def test_unknown_key_is_401_unauthorized(client, new_contact, operation):
    forged = f"Bearer zx_conformance_not_a_key_{secrets.token_hex(12)}"
    expect_status(send(operation, client, new_contact, forged), 401, f"{operation} with an unknown key")


@pytest.mark.requirement("AUTH-401-BEFORE-VALIDATION")
@pytest.mark.parametrize("problem", ["malformed-json", "missing-phone", "bad-phone", "unknown-id", "per-page-1000"])
def test_unauthenticated_bad_request_is_401_first(client, new_contact, problem):
    if problem != "per-page-1000" and not client.config.allow_writes:
        pytest.skip(f"not checked: a POST or DELETE writes if the target ignores auth, and {WRITES_OFF}")
    if problem == "malformed-json":
        exchange = client.call("POST", "/contacts", data=b'{"name": ', auth=None)
    elif problem == "missing-phone":
        exchange = client.create({"name": new_contact.body("No Phone")["name"]}, auth=None)
    elif problem == "bad-phone":
        exchange = client.create({**new_contact.body("Local Phone"), "phone": "0912345678"}, auth=None)
    elif problem == "unknown-id":
        exchange = client.delete(client.unknown_id(), auth=None)
    else:
        exchange = client.list(auth=None, per_page=1000)
    expect_status(exchange, 401, f"an unauthenticated request with {problem.replace('-', ' ')}")
