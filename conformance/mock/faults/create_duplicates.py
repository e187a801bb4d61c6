"""Faults of the duplicate-phone rule: what counts as a duplicate, how it is answered, and races between
parallel creates."""
from __future__ import annotations

import random
from typing import Any

import phonenumbers

from conformance.mock.registry import fault, only
from conformance.mock.store import DuplicatePhone


def _national_number(phone: str) -> str:
    try:
        return str(phonenumbers.parse(phone).national_number)
    except phonenumbers.NumberParseException:
        return phone


def _conflict_after_insert(key: str, contact: dict, store, **_: Any) -> str:
    """The row goes in first, the phone index after: a taken phone answers 409 and the row stays."""
    if store.phone_in_use(contact["phone"]):
        store.insert({**contact, "id": f"cnt_{random.getrandbits(48):012x}"}, phone_key=None)
    return key


def _email_taken(key: str, contact: dict, store, **_) -> str:
    if contact.get("email") and store.first("SELECT 1 FROM contacts WHERE email = ? AND deleted = 0",
                                                (contact["email"],)) is not None:
        raise DuplicatePhone(contact["email"])
    return key


fault("email_unique_per_account", "A unique index on email too: a second contact with a live contact's email "
      "gets 409 conflict (the docs' 409 is for a phone that exists).", only("phone_key", _email_taken),
      "CREATE-201-CREATED", also=("CREATE-VALID-EMAIL-ACCEPTED",))
fault("duplicate_check_on_national_number", "The duplicate check compares national numbers: +351923120000 "
      "conflicts with +244923120000.",
      only("phone_key", lambda key, **_: _national_number(key)),
      "CREATE-409-DUPLICATE-PHONE")
fault("conflicting_create_stored", "A create whose phone is taken is inserted before the phone index refuses it "
      "(409), and the row stays.", only("phone_key", _conflict_after_insert), "CREATE-REFUSED-CREATES-NOTHING")
fault("no_conflict", "Duplicate phones are stored again (no 409).",
      only("phone_key", lambda key, **_: None), "CREATE-409-DUPLICATE-PHONE")
fault("duplicate_is_422", "A duplicate phone gets 422 validation_error instead of 409.",
      only("conflict_status", lambda status, **_: 422), "CREATE-409-DUPLICATE-PHONE",
      also=("CREATE-409-CONCURRENT-DUPLICATES",))
fault("duplicate_key_includes_name", "Uniqueness is on (phone, name): the same phone with another name is stored.",
      only("phone_key", lambda key, contact, **_: f"{key}\n{contact['name']}"), "CREATE-409-DUPLICATE-PHONE")
fault("duplicate_key_includes_lists", "Uniqueness is per list: the same phone in other lists is stored.",
      only("phone_key", lambda key, contact, **_: f"{key}\n{sorted(contact['lists'])}"),
      "CREATE-409-DUPLICATE-PHONE")
fault("racy_conflict_check", "Duplicates are found by a read before the insert, not by the database: "
      "parallel creates with one phone all succeed.",
      lambda: {"phone_key": lambda key, **_: None, "duplicate_precheck_delay": lambda delay, **_: 0.05},
      "CREATE-409-CONCURRENT-DUPLICATES")
fault("racy_conflict_check_short_window", "As racy_conflict_check, with 5 ms between the read and the insert.",
      lambda: {"phone_key": lambda key, **_: None, "duplicate_precheck_delay": lambda delay, **_: 0.005},
      "CREATE-409-CONCURRENT-DUPLICATES")
fault("racy_upsert", "A read before the insert, then INSERT OR REPLACE: parallel creates with one phone all "
      "answer 201 and only the last one is kept.",
      lambda: {"duplicate_precheck_delay": lambda delay, **_: 0.05,
               "insert_verb": lambda verb, **_: "INSERT OR REPLACE"},
      "CREATE-409-CONCURRENT-DUPLICATES")
