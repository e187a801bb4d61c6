"""The request and the answer as every judgement reads them: which operation, the query, the body sent, the status
class, the id a create made; and the Judgement they all give."""
from __future__ import annotations

import json
import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

# A gateway's own answers (bad gateway, unavailable, timeout) say nothing of the API behind it.
GATEWAY = frozenset({502, 503, 504})
_CONTACTS = re.compile(r"/contacts(?:/([^/]+))?/?$")


@dataclass(frozen=True)
class Judgement:
    requirement: str
    problem: str = ""  # empty: the exchange meets the requirement

    @property
    def failed(self) -> bool:
        return bool(self.problem)


def operation(method: str, url: str) -> str | None:
    """create, list or delete for the Contacts API's three operations (any base URL); "update" for a PATCH or PUT of
    a contact (no documented operation: never judged, but what it changed is no longer its create's); None for
    anything else."""
    match = _CONTACTS.search(urlsplit(url).path)
    if not match:
        return None
    verb = method.upper()
    if match.group(1) is None:
        return {"POST": "create", "GET": "list"}.get(verb)
    return {"DELETE": "delete", "PATCH": "update", "PUT": "update"}.get(verb)


def path_id(url: str) -> str | None:
    match = _CONTACTS.search(urlsplit(url).path)
    return match.group(1) if match else None


def query(url: str) -> dict[str, str | None]:
    """The query's parameters; a repeated one is None (which of its values counts is the target's choice)."""
    params = parse_qs(urlsplit(url).query, keep_blank_values=True)
    return {name: values[0] if len(values) == 1 else None for name, values in params.items()}


def whole(value: str | None) -> int | None:
    return int(value) if value is not None and re.fullmatch(r"[0-9]{1,9}", value) else None


def strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def repeats_a_name(text: str) -> bool:
    """Whether a JSON text names one member twice in an object: RFC 8259 §4 leaves which value counts to the parser,
    so such a body says nothing certain of what was sent."""
    repeated = False

    def pairs(members: list) -> dict:
        nonlocal repeated
        repeated |= len({name for name, _ in members}) < len(members)
        return dict(members)
    try:
        json.loads(text, object_pairs_hook=pairs)
    except ValueError:
        return False
    return repeated


def is_success(status: int | None) -> bool:
    """A 2xx: the request did what it asked (whether its exact status is the documented one is a rule of its own)."""
    return status is not None and 200 <= status < 300


def created_id(exchange) -> str | None:
    """The id a create's 2xx answer gave the contact it made; None when it made none that can be named."""
    body = exchange.json_or_none()
    if not is_success(exchange.status) or not isinstance(body, dict):
        return None
    return body["id"] if isinstance(body.get("id"), str) else None


def body_known(exchange) -> bool:
    """False when a recording left the answer's body out (the judgements of the body are then not made)."""
    return getattr(exchange, "body_known", True)


def as_key(value: object) -> Hashable:
    """A value from an answer, fit for a set: JSON the target should not have sent there (an object, an array)
    becomes its canonical text, so an odd id or list id is a finding, never a crash of the checker."""
    try:
        hash(value)
    except TypeError:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return value
