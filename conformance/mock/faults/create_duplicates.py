"""Faults of the duplicate-phone rule: what counts as a duplicate, how it is answered, and races between
parallel creates."""
from __future__ import annotations

import contextvars
import random
from typing import Any

import phonenumbers
from starlette.responses import Response

from conformance.mock.faults.common import soft_delete
from conformance.mock.registry import fault, only
from conformance.mock.seeds import seed
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


def _identical_creates_replayed() -> dict:
    """A retry-safe layer keyed on the request body (no Idempotency-Key): an identical create gets the first
    answer again."""
    seen: dict[bytes, tuple[bytes, dict]] = {}
    raw_body: contextvars.ContextVar[bytes] = contextvars.ContextVar("raw_body", default=b"")

    def parser(parse, **_: Any):
        def remembered(raw: bytes) -> Any:
            raw_body.set(raw)
            return parse(raw)
        return remembered

    def response(answer: Response, operation: str, **_: Any) -> Response:
        raw = raw_body.get()
        if operation != "create" or not raw:
            return answer
        if raw in seen:
            body, headers = seen[raw]
            return Response(body, status_code=201, headers=headers)
        if answer.status_code == 201:
            seen[raw] = (answer.body, dict(answer.headers))
        return answer
    return {"parse_json": parser, "response": response}


fault("duplicate_check_skipped_with_lists", "A create that assigns lists takes another code path (insert the "
      "contact, then its memberships) that never checks the phone: a taken phone sent with lists is stored again.",
      only("phone_key", lambda key, contact, **_: None if contact["lists"] else key), "CREATE-409-DUPLICATE-PHONE")
fault("phone_unique_on_first_12_characters", "The unique index on the phone is a prefix index on its first 12 "
      "characters (MySQL's KEY(phone(12))): +244923123457 conflicts with +244923123456.",
      only("phone_key", lambda key, **_: key[:12]), "CREATE-409-DUPLICATE-PHONE",
      also=("CREATE-201-CREATED", "CREATE-NAME-AS-PROVIDED", "CREATE-VALID-EMAIL-ACCEPTED",
            "CREATE-409-CONCURRENT-DUPLICATES"))
fault("identical_create_replayed", "A create whose body is byte for byte that of an earlier 201 gets that 201 "
      "again (a retry cache keyed on the body): a second create of a contact is not refused with 409.",
      _identical_creates_replayed, "CREATE-409-DUPLICATE-PHONE", also=("CREATE-ID-UNIQUE",))


JOIN_HOLDER = ("INSERT OR IGNORE INTO memberships (contact_id, list_id) SELECT id, ? FROM contacts WHERE phone = ? "
               "AND deleted = 0")
FIRST_ROW_DELETED = "SELECT deleted FROM contacts WHERE phone = ? ORDER BY seq LIMIT 1"


def _conflict_joins_lists(key: str, contact: dict, store, **_: Any) -> str:
    """INSERT ... ON CONFLICT (phone) DO NOTHING, then the memberships for whichever contact holds the phone."""
    for list_id in contact["lists"]:
        store.write(JOIN_HOLDER, (list_id, contact["phone"]))
    return key


def _unique_key_only_for_new_phones(key: str, contact: dict, store, **_: Any) -> str | None:
    first = store.first(FIRST_ROW_DELETED, (contact["phone"],))
    return None if first is not None and first[0] == 1 else key


fault("conflicting_create_joins_lists", "A create whose phone is taken inserts the contact with ON CONFLICT DO "
      "NOTHING, then its memberships for whichever contact holds the phone: answered 409, the live contact joins the "
      "refused body's lists.", only("phone_key", _conflict_joins_lists), "CREATE-REFUSED-CREATES-NOTHING")
fault("readded_phone_not_unique", "Deletes are soft; a create looks up the phone's first row and, when that row is "
      "a deleted contact's, takes a 're-add' path that never claims the unique phone key: once a deleted contact's "
      "phone is used again, it may be used any number of times.",
      soft_delete(phone_key=_unique_key_only_for_new_phones), "CREATE-409-DUPLICATE-PHONE")
fault("duplicate_check_only_for_home_country", "Angolan numbers (+244) are stored in a normalised column with a "
      "unique index; numbers of other countries are stored as given with none: a foreign phone may be used twice.",
      only("phone_key", lambda key, **_: key if key.startswith("+244") else None), "CREATE-409-DUPLICATE-PHONE")


fault("duplicate_check_misses_imported_contacts", "The account already holds 62 contacts imported before the unique "
      "phone key existed (the docs' Maria Santos, +244912345678, among them), and they hold no key: a create with one "
      "of their phones is stored beside it.",
      only("opened", lambda store, **_: seed(store, phone_key=lambda contact: None)), "CREATE-409-DUPLICATE-PHONE")


EMAIL_HOLDER = "SELECT id, created_at FROM contacts WHERE email = ? AND deleted = 0 ORDER BY seq LIMIT 1"
TAKE_OVER = "UPDATE contacts SET name = ?, phone = ?, phone_key = ? WHERE id = ?"


def _upsert_by_email() -> dict:
    """INSERT ... ON CONFLICT (email) DO UPDATE ... RETURNING *: a create with a live contact's email rewrites that
    contact's name and phone and answers 201 with its id and created_at."""
    merged: contextvars.ContextVar[bool] = contextvars.ContextVar("merged", default=False)

    def stored(contact: dict, store, **_: Any) -> dict:
        holder = store.first(EMAIL_HOLDER, (contact["email"],)) if contact.get("email") else None
        merged.set(holder is not None and not store.phone_in_use(contact["phone"]))
        if not merged.get():
            return contact
        store.write(TAKE_OVER, (contact["name"], contact["phone"], contact["phone"], holder[0]))
        return {**contact, "id": holder[0], "created_at": holder[1]}
    return {"opened": lambda store, **_: seed(store), "stored": stored,
            "keeps_contact": lambda keeps, **_: keeps and not merged.get()}


fault("create_upserts_by_email", "The account already holds 62 contacts (the docs' Maria Santos, maria@example.com, "
      "among them); a create with the email of a live contact rewrites that contact's name and phone and answers "
      "201 with its id (an upsert keyed on email): no new contact is made.", _upsert_by_email, "CREATE-ID-UNIQUE")


NEWEST_50_HOLD = ("SELECT 1 FROM (SELECT phone FROM contacts WHERE deleted = 0 ORDER BY seq DESC LIMIT 50) "
                  "WHERE phone = ?")


fault("duplicate_check_sees_newest_50", "The duplicate check reads the account's first page (the newest 50 contacts, "
      "the list query reused) and the database holds no unique key on the phone: a phone held by an older contact "
      "is stored again (and parallel creates of one phone race past the check).",
      lambda: {"duplicate_precheck_delay": lambda delay, **_: 0.0, "precheck_query": lambda query, **_: NEWEST_50_HOLD,
               "phone_key": lambda key, **_: None}, "CREATE-409-DUPLICATE-PHONE",
      also=("CREATE-409-CONCURRENT-DUPLICATES",))
