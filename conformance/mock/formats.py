"""What the reference server takes as valid JSON, phone, list id and email: shared by the app and by the faults that
loosen or tighten one of these checks."""
from __future__ import annotations

import json
import re

# Used with fullmatch: `re.match` with a `$` would also take the value followed by a newline
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
LIST_ID = re.compile(r"lst_[A-Za-z0-9_]+")
EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
EMAIL_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?")


def email_is_valid(email: str, longest: int = 254) -> bool:
    """Dot-atom addresses with a dotted domain; quoted local parts and IP literals are not accepted."""
    local, at, domain = email.rpartition("@")
    if not at or len(email) > longest or len(local) > 64:
        return False
    labels = domain.split(".")
    return bool(EMAIL_LOCAL.fullmatch(local)) and len(labels) >= 2 and all(EMAIL_LABEL.fullmatch(l) for l in labels)


def long_address_taken(valid: bool, email: str, **_: object) -> bool:
    """An email_valid hook: addresses up to 320 characters (64 @ 255, RFC 3696 before its erratum) are taken."""
    return valid or email_is_valid(email, longest=320)


def repeats_an_item(body: dict) -> bool:
    """Whether a create body's lists name one id (or any JSON value) twice."""
    lists = body.get("lists")
    return isinstance(lists, list) and len({json.dumps(i) for i in lists}) < len(lists)


def strict_json(raw: bytes) -> object:
    """RFC 8259 JSON only: NaN and Infinity are no JSON values (Python's json takes them by default)."""
    def refuse(constant: str) -> object:
        raise ValueError(f"{constant} is not JSON")
    return json.loads(raw, parse_constant=refuse)


def first_wins(pairs: list[tuple[str, object]]) -> dict:
    """An object_pairs_hook for json.loads that keeps the first value of a repeated name (Python keeps the last)."""
    kept: dict = {}
    for key, value in pairs:
        kept.setdefault(key, value)
    return kept


def utf8_safe(value: object) -> bool:
    r"""Every string in a parsed body is Unicode text that UTF-8 can carry: an escaped lone surrogate ("\ud800") is
    valid JSON syntax but no character."""
    if isinstance(value, str):
        return not any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    if isinstance(value, list):
        return all(utf8_safe(item) for item in value)
    if isinstance(value, dict):
        return all(utf8_safe(k) and utf8_safe(v) for k, v in value.items())
    return True
