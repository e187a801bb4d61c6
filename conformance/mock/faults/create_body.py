"""Faults of the created contact: its id, the fields echoed, the name and email as stored, and created_at."""
from __future__ import annotations

import html
import itertools
import random
import re
import time
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote_plus

import phonenumbers

from conformance.mock.faults.common import (INVISIBLE, ISO_SECONDS, SOFT_DELETE_KEEPING_PHONE, seconds_later,
                                            soft_delete, without)
from conformance.mock.formats import long_address_taken
from conformance.mock.registry import Hooks, fault, only
from conformance.mock.store import Store

SHELL_METACHARACTERS = re.compile(r"[$`|;\\]")
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _stored(field: str, fn: Callable[[str], str]) -> Callable[[], Hooks]:
    """The value is changed before it is stored: the create echo and the list both show the changed value."""
    return only("stored", lambda c, **_: {**c, field: fn(c[field])} if c.get(field) is not None else c)


def _ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _lower_local_part(email: str) -> str:
    local, _, domain = email.rpartition("@")
    return f"{local.lower()}@{domain}"


def _undotted_local_part(email: str) -> str:
    local, _, domain = email.rpartition("@")
    return f"{local.replace('.', '')}@{domain}"


def _repeated_ids() -> Hooks:
    previous: list[str] = []

    def hook(body: dict, **_: Any) -> dict:
        if previous:
            body = {**body, "id": previous[0]}
        previous[:] = [body["id"]]
        return body
    return {"created_body": hook}


def _worker_counter_ids() -> Hooks:
    counter = itertools.count()
    return {"new_id": lambda _id, **_: f"cnt_{next(counter) // 2 + 1:06d}"}


def _short_random_ids() -> Hooks:
    rng = random.Random(7)
    return {"new_id": lambda _id, **_: f"cnt_{rng.randrange(256):02x}"}


def _timestamp_of_start() -> Hooks:
    started = datetime.now(timezone.utc).strftime(ISO_SECONDS)
    return {"timestamp": lambda stamp, **_: started}


def _deleted_holder(store: Store, phone: str) -> str | None:
    """The id of a soft-deleted contact that still holds this phone."""
    row = store.first("SELECT id FROM contacts WHERE phone = ? AND deleted = 1 AND phone_key IS NOT NULL", (phone,))
    return row[0] if row else None


def _revived(contact: dict, store, **_: Any) -> dict:
    holder = _deleted_holder(store, contact["phone"])
    return contact if holder is None else {**contact, "id": holder}


fault("created_at_fixed_at_start", "created_at is computed once, when the server starts (a default argument "
      "evaluated at import): every contact has the same one.", _timestamp_of_start, "CREATE-CREATED-AT-MATCHES-DATE")
fault("id_without_prefix", "Ids lack the cnt_ prefix.",
      only("new_id", lambda id_, **_: id_.removeprefix("cnt_")), "CREATE-ID-CNT-PREFIX",
      also=("SPEC-RESPONSES-CONFORM",))
fault("id_prefix_contact", "Ids are prefixed contact_ instead of cnt_.",
      only("new_id", lambda id_, **_: id_.replace("cnt_", "contact_", 1)), "CREATE-ID-CNT-PREFIX",
      also=("SPEC-RESPONSES-CONFORM",))
fault("id_prefix_upper_case", "Ids are prefixed CNT_ (upper case).",
      only("new_id", lambda id_, **_: id_.replace("cnt_", "CNT_", 1)), "CREATE-ID-CNT-PREFIX",
      also=("SPEC-RESPONSES-CONFORM",))
fault("id_unprefixed_without_email", "A contact with no email skips the email channel's registration, which is "
      "where ids get their prefix: its id is the bare hex.",
      only("stored", lambda contact, **_: contact if contact.get("email") else
           {**contact, "id": contact["id"].removeprefix("cnt_")}), "CREATE-ID-CNT-PREFIX",
      also=("SPEC-RESPONSES-CONFORM",))
fault("id_prefix_dash", "Ids are prefixed cnt- (dash instead of underscore).",
      only("new_id", lambda id_, **_: id_.replace("cnt_", "cnt-", 1)), "CREATE-ID-CNT-PREFIX",
      also=("SPEC-RESPONSES-CONFORM",))
fault("repeated_ids", "Each create answers with the id of the previous one.", _repeated_ids, "CREATE-ID-UNIQUE",
      also=("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION", "LIST-FILTER-BY-LIST", "DELETE-204-EMPTY-BODY",
            "DELETE-CONCURRENT-ONE-204"))
fault("ids_from_two_worker_counters", "Two workers count ids separately: cnt_000001 is given out twice, "
      "then cnt_000002 …", _worker_counter_ids, "CREATE-ID-UNIQUE",
      also=("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION", "LIST-FILTER-BY-LIST", "LIST-ITEM-FIELDS",
            "LIST-ITEM-MATCHES-CREATE", "DELETE-CONCURRENT-ONE-204"))
fault("ids_from_clock_seconds", "Ids are the Unix time in hex: contacts created in one second share an id.",
      only("new_id", lambda id_, **_: f"cnt_{int(time.time()):x}"), "CREATE-ID-UNIQUE",
      also=("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION", "LIST-FILTER-BY-LIST", "LIST-ITEM-FIELDS",
            "LIST-ITEM-MATCHES-CREATE", "DELETE-CONCURRENT-ONE-204"))
fault("ids_too_short", "Ids hold one random byte (cnt_3f): they collide after a few dozen creates.",
      _short_random_ids, "CREATE-ID-UNIQUE",
      also=("LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION", "LIST-FILTER-BY-LIST", "LIST-ITEM-FIELDS",
            "LIST-ITEM-MATCHES-CREATE", "LIST-SHOWS-CREATED", "DELETE-204-EMPTY-BODY"))
fault("client_id_taken", "A create body's id field becomes the contact's id (the body is passed whole to the "
      "model).", only("answer_fields_taken", lambda taken, body, **_: {**taken, **(
          {"id": body["id"]} if isinstance(body.get("id"), str) else {})}), "CREATE-ID-UNIQUE")
fault("echo_drops_lists", "The create response leaves out lists.",
      only("created_body", without("lists")), "CREATE-ECHOES-FIELDS")
fault("echo_lists_as_objects", "The create response gives lists as objects ({\"id\": \"lst_…\"}), not ids.",
      only("created_body", lambda body, **_: {**body, "lists": [{"id": i} for i in body["lists"]]}),
      "CREATE-ECHOES-FIELDS", also=("SPEC-RESPONSES-CONFORM",))
fault("echo_drops_email", "The create response leaves out email (it is stored and listed).",
      only("created_body", without("email")), "CREATE-ECHOES-FIELDS", also=("LIST-ITEM-MATCHES-CREATE",))
fault("echo_lists_empty", "The create response says lists: [] (memberships are stored).",
      only("created_body", lambda body, **_: {**body, "lists": []}), "CREATE-ECHOES-FIELDS")
fault("echo_drops_last_list", "The create answer leaves out the last of two or more lists (an off-by-one in the "
      "loop that reads memberships back).",
      only("created_body", lambda body, **_: {**body, "lists": body["lists"][:-1]} if len(body["lists"]) > 1
           else body), "CREATE-ECHOES-FIELDS")
fault("email_echo_lowercased", "The create answer lower-cases the whole email (the list shows it as sent).",
      only("created_body", lambda body, **_: {**body, "email": body["email"].lower()} if body.get("email") else body),
      "CREATE-ECHOES-FIELDS", also=("LIST-ITEM-MATCHES-CREATE",))
fault("phone_echo_formatted", "The create answer gives the phone in international notation (+244 912 345 678); "
      "the list shows E.164.",
      only("created_body", lambda body, **_: {**body, "phone": re.sub(r"^(\+\d{3})(\d{3})(\d{3})(\d+)$",
                                                                       r"\1 \2 \3 \4", body["phone"])}),
      "CREATE-ECHOES-FIELDS", also=("LIST-ITEM-MATCHES-CREATE", "SPEC-RESPONSES-CONFORM"))
fault("email_local_part_lowercased", "The email's local part is lower-cased before it is stored.",
      _stored("email", _lower_local_part), "CREATE-ECHOES-FIELDS")
fault("email_plus_tag_dropped", "A + tag is dropped from the email's local part before it is stored "
      "(maria+promo@… becomes maria@…, as one mail provider reads addresses).",
      _stored("email", lambda email: re.sub(r"\+[^@]*@", "@", email)), "CREATE-ECHOES-FIELDS")
fault("email_local_dots_removed", "Dots are removed from the email's local part (one provider's rule applied "
      "to every address).", _stored("email", _undotted_local_part), "CREATE-ECHOES-FIELDS")
fault("email_cut_at_64", "Emails are cut to a 64-character column.",
      _stored("email", lambda email: email[:64]), "CREATE-ECHOES-FIELDS")
fault("email_cut_at_255", "The validator takes addresses up to 320 characters (64 @ 255), the column holds 255 and "
      "the database (MySQL, not in strict mode) cuts longer ones silently: the create answers 201 with the cut address.",
      lambda: {"email_valid": long_address_taken,
               "stored": lambda c, **_: {**c, "email": c["email"][:255]} if c.get("email") else c},
      "CREATE-ECHOES-FIELDS")
fault("email_quote_doubled", "An apostrophe in an email is stored doubled (escaped for SQL by hand, then bound "
      "as a parameter): o'neil@ comes back as o''neil@.", _stored("email", lambda e: e.replace("'", "''")),
      "CREATE-ECHOES-FIELDS")
fault("email_html_escaped", "Emails are HTML-escaped on storage: a&b@ comes back as a&amp;b@.",
      _stored("email", lambda e: html.escape(e, quote=False)), "CREATE-ECHOES-FIELDS")
fault("name_ascii_folded", "Names come back with accents and other non-ASCII characters stripped.",
      _stored("name", _ascii_fold), "CREATE-NAME-AS-PROVIDED")
fault("name_html_escaped", "Names are stored HTML-escaped (& < > become entities), as a sanitising layer does.",
      _stored("name", lambda name: html.escape(name, quote=False)), "CREATE-NAME-AS-PROVIDED")
fault("name_url_decoded", "Names are URL-decoded once more on storage (a form decoder applied to JSON): + becomes a "
      "space and %2F a slash.", _stored("name", unquote_plus), "CREATE-NAME-AS-PROVIDED")
fault("name_shell_metacharacters_stripped", "An input sanitiser strips $ ` | ; and backslashes from names.",
      _stored("name", lambda n: SHELL_METACHARACTERS.sub("", n)), "CREATE-NAME-AS-PROVIDED")
fault("name_trimmed", "Leading and trailing whitespace is trimmed from names.",
      _stored("name", str.strip), "CREATE-NAME-AS-PROVIDED")
fault("name_rstripped", "Trailing whitespace is stripped from names on storage (rstrip: leading spaces are kept).",
      _stored("name", str.rstrip), "CREATE-NAME-AS-PROVIDED")
fault("name_whitespace_collapsed", "Runs of whitespace in names are collapsed to one space.",
      _stored("name", lambda name: " ".join(name.split()) if name.strip() else name), "CREATE-NAME-AS-PROVIDED")
fault("name_cut_at_100", "Names are cut to a 100-character column.",
      _stored("name", lambda name: name[:100]), "CREATE-NAME-AS-PROVIDED")
fault("name_cut_at_2048", "Names are cut to a 2048-character column (the create still answers 201).",
      _stored("name", lambda name: name[:2048]), "CREATE-NAME-AS-PROVIDED")
fault("name_cut_at_255_utf8_bytes", "Names are stored in a 255-byte column: cut at 255 bytes of UTF-8 (a multi-byte "
      "character split is dropped).",
      _stored("name", lambda n: n.encode()[:255].decode(errors="ignore")), "CREATE-NAME-AS-PROVIDED")
fault("name_nfc_normalised", "Names are stored NFC-normalised (a decomposed é comes back composed).",
      _stored("name", lambda name: unicodedata.normalize("NFC", name)), "CREATE-NAME-AS-PROVIDED")
fault("name_outside_bmp_dropped", "Characters outside the BMP (emoji, some CJK) are dropped (utf8mb3).",
      _stored("name", lambda name: "".join(ch for ch in name if ord(ch) <= 0xFFFF)), "CREATE-NAME-AS-PROVIDED")
fault("name_combining_marks_dropped", "Combining marks are dropped from names.",
      _stored("name", lambda name: "".join(ch for ch in name if not unicodedata.combining(ch))),
      "CREATE-NAME-AS-PROVIDED")
fault("name_invisible_characters_stripped", "Zero-width joiners, bidirectional marks and other invisible "
      "characters are stripped from names (emoji sequences fall apart).",
      _stored("name", lambda n: INVISIBLE.sub("", n)), "CREATE-NAME-AS-PROVIDED")
fault("name_bidi_controls_stripped", "Bidirectional marks, embeddings and isolates (U+200E, U+200F, U+202A-U+202E, "
      "U+2066-U+2069) are stripped from names, a 'Trojan Source' defence: a name typed with them comes back without.",
      _stored("name", lambda n: BIDI_CONTROLS.sub("", n)), "CREATE-NAME-AS-PROVIDED")
fault("name_template_placeholders_rendered", "Names pass through a template engine before they are stored (merge "
      "fields for campaign previews): a {{...}} placeholder names no variable there and renders as nothing.",
      _stored("name", lambda n: re.sub(r"\{\{.*?\}\}", "", n)), "CREATE-NAME-AS-PROVIDED")
fault("created_at_local_offset", "created_at is given in local time (+01:00), not UTC.",
      only("created_body", lambda body, **_: {**body, "created_at": body["created_at"].replace("Z", "+01:00")}),
      "CREATE-CREATED-AT-ISO-UTC",
      also=("CREATE-CREATED-AT-MATCHES-DATE", "LIST-ITEM-MATCHES-CREATE", "SPEC-RESPONSES-CONFORM"))
fault("created_at_without_zone", "created_at has no zone designator (2026-06-24T10:00:00).",
      only("timestamp", lambda stamp, **_: stamp.removesuffix("Z")), "CREATE-CREATED-AT-ISO-UTC",
      also=("SPEC-RESPONSES-CONFORM",))
fault("created_at_rfc1123", "created_at is an HTTP date (Wed, 24 Jun 2026 10:00:00 GMT), not ISO 8601.",
      only("timestamp", lambda stamp, now, **_: now.strftime("%a, %d %b %Y %H:%M:%S GMT")),
      "CREATE-CREATED-AT-ISO-UTC", also=("SPEC-RESPONSES-CONFORM",))
fault("created_at_local_wall_clock", "created_at is the server's local wall clock (UTC+1) labelled Z.",
      only("clock", lambda now, **_: now + timedelta(hours=1)), "CREATE-CREATED-AT-MATCHES-DATE")
fault("created_at_clock_behind", "The database clock is 30 s behind the web server's.",
      only("clock", lambda now, **_: now - timedelta(seconds=30)), "CREATE-CREATED-AT-MATCHES-DATE")
fault("created_at_date_only", "created_at comes from a DATE column: midnight of the day (T00:00:00Z).",
      only("clock", lambda now, **_: now.replace(hour=0, minute=0, second=0, microsecond=0)),
      "CREATE-CREATED-AT-MATCHES-DATE")
fault("client_created_at_taken", "A create body's created_at field becomes the contact's created_at.",
      only("answer_fields_taken", lambda taken, body, **_: {**taken, **(
          {"created_at": body["created_at"]} if isinstance(body.get("created_at"), str) else {})}),
      "CREATE-CREATED-AT-MATCHES-DATE")
fault("lists_null_when_empty", "A create without lists answers lists: null instead of an array.",
      only("created_body", lambda body, **_: {**body, "lists": body["lists"] or None}), "SPEC-RESPONSES-CONFORM")
fault("recreate_revives_deleted_id", "Deletes are soft and keep the phone; a create with a deleted contact's "
      "phone revives that row (upsert on the phone): the new contact gets the deleted one's id.",
      lambda: {"delete_mode": lambda mode, **_: (SOFT_DELETE_KEEPING_PHONE, mode[1]), "stored": _revived,
               "insert_verb": lambda verb, contact, store, **_:
               "INSERT OR REPLACE" if _deleted_holder(store, contact["phone"]) is not None else verb},
      "CREATE-ID-UNIQUE",
      also=("DELETE-GONE-FROM-LIST", "DELETE-REMOVED-FROM-LISTS", "LIST-TOTAL-COUNTS-MATCHES"))
fault("created_at_30s_ahead_of_date", "created_at is 30 s later than the answer's Date header.",
      only("created_body", lambda body, **_: {**body, "created_at": seconds_later(body["created_at"], 30)}),
      "CREATE-CREATED-AT-MATCHES-DATE", also=("LIST-ITEM-MATCHES-CREATE",))
fault("name_nfkc_normalised", "Names are stored NFKC-normalised (compatibility forms folded: 𝔐𝔞𝔯𝔦𝔞 becomes Maria, "
      "ﬁ becomes fi, ² becomes 2).", _stored("name", lambda name: unicodedata.normalize("NFKC", name)),
      "CREATE-NAME-AS-PROVIDED")
fault("name_smart_quotes", "A typography filter turns the apostrophe in names into a right single quotation mark "
      "(O'Brien becomes O’Brien).", _stored("name", lambda name: name.replace("'", "\u2019")),
      "CREATE-NAME-AS-PROVIDED")
fault("name_variation_selectors_stripped", "Variation selectors (U+FE00-U+FE0F) are stripped from names, as a "
      "sanitiser of 'invisible' characters does: the emoji ❤️ comes back as the text heart ❤.",
      _stored("name", lambda name: re.sub("[\ufe00-\ufe0f]", "", name)), "CREATE-NAME-AS-PROVIDED")

# The characters XML 1.0 cannot hold: the C0 controls but tab, line feed and carriage return, and U+FFFE, U+FFFF
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

fault("name_cut_at_nul", "Names are stored as C strings: a name ends at its first U+0000 ('Maria\\u0000Santos' "
      "comes back as 'Maria').", _stored("name", lambda name: name.split("\x00")[0]), "CREATE-NAME-AS-PROVIDED")
fault("name_xml_invalid_characters_stripped", "Characters XML 1.0 cannot hold (C0 controls other than tab and line "
      "breaks) are stripped from names on storage, by a sanitiser meant for an XML export.",
      _stored("name", lambda name: XML_INVALID.sub("", name)), "CREATE-NAME-AS-PROVIDED")
fault("name_line_breaks_normalised", "Line breaks in names are normalised to \\n on storage (a CR LF or a lone CR "
      "comes back as LF, as a text-mode layer writes them).",
      _stored("name", lambda name: name.replace("\r\n", "\n").replace("\r", "\n")), "CREATE-NAME-AS-PROVIDED")


def _echo_keeps_previous(field: str) -> Callable[[], Hooks]:
    """The create answer is built on a response object reused from one create to the next: an optional field the
    body leaves out (lists, email) keeps the value the previous create gave it. What is stored is right."""
    def make() -> Hooks:
        kept: dict[str, Any] = {}

        def hook(body: dict, **_: Any) -> dict:
            if body.get(field):
                kept[field] = body[field]
                return body
            return {**body, field: kept[field]} if field in kept else body
        return {"created_body": hook}
    return make


fault("echo_lists_kept_from_previous_create", "The create answer is built on a response object reused from one "
      "create to the next: a create that names no lists echoes the lists of the last create that did (the contact "
      "joins none: memberships are stored from the body).", _echo_keeps_previous("lists"), "CREATE-ECHOES-FIELDS")
fault("echo_email_kept_from_previous_create", "The create answer is built on a response object reused from one "
      "create to the next: a create without an email echoes the email of the last create that had one (stored and "
      "listed without).", _echo_keeps_previous("email"), "CREATE-ECHOES-FIELDS", also=("LIST-ITEM-MATCHES-CREATE",))


def _two_clocks() -> Hooks:
    """Creates go round robin to two application servers, each stamping created_at from its own clock; the second's
    runs 3 s behind the first's (no time service on that host). Each answer is within a few seconds of its Date."""
    turn = itertools.count()
    return {"clock": lambda now, **_: now - timedelta(seconds=3) if next(turn) % 2 else now}


fault("created_at_from_two_clocks", "Creates go round robin to two application servers whose clocks are 3 s apart, "
      "each stamping created_at from its own: a contact created just after another can have the earlier created_at.",
      _two_clocks, "CREATE-CREATED-AT-MATCHES-DATE")
fault("created_at_zero_time_in_answer", "The create answers the contact as the handler built it, before the database "
      "filled created_at's default: Go's zero time, 0001-01-01T00:00:00Z (the list shows the time the row got).",
      only("created_body", lambda body, **_: {**body, "created_at": "0001-01-01T00:00:00Z"}),
      "CREATE-CREATED-AT-MATCHES-DATE", also=("LIST-ITEM-MATCHES-CREATE",))


def _email_kept_from_previous_create() -> Hooks:
    """The handler fills a per-worker contact template (`template.update(body)`) that nothing resets: a body without
    email keeps the address of the last create that named one, stored and answered."""
    last: list[str] = []

    def stored(contact: dict, **_: Any) -> dict:
        if contact.get("email"):
            last[:] = [contact["email"]]
            return contact
        return {**contact, "email": last[0]} if last else contact
    return {"stored": stored}


def _archived_email(contact: dict, store: Store, **_: Any) -> dict:
    """A contact without email takes the address of the newest deleted (archived) contact with its phone."""
    if contact.get("email"):
        return contact
    row = store.first("SELECT email FROM contacts WHERE phone = ? AND deleted = 1 AND email IS NOT NULL "
                      "ORDER BY seq DESC", (contact["phone"],))
    return {**contact, "email": row[0]} if row else contact


fault("email_kept_from_previous_create", "A create without email is stored and answered with the email of the last "
      "create that named one (a per-worker template filled with template.update(body) that nothing resets).",
      _email_kept_from_previous_create, "CREATE-ECHOES-FIELDS")
fault("recreate_takes_deleted_contacts_email", "Deletes archive the contact (its phone freed); a create with an "
      "archived contact's phone and no email is 'enriched' from the archive: stored and answered with the deleted "
      "contact's email.", soft_delete(stored=_archived_email), "CREATE-ECHOES-FIELDS")


def _trunk_zero_dropped(phone: str) -> str:
    """A 0 typed after the country code is taken for a national trunk prefix (+44 07700… written by hand) and
    removed: right for the UK, wrong where the 0 belongs to the number (Côte d'Ivoire's +225 0…, Italy's +39 06…)."""
    try:
        country = str(phonenumbers.parse(phone).country_code)
    except phonenumbers.NumberParseException:  # no country code it knows: nothing to strip after it
        return phone
    national = phone[1 + len(country):].lstrip("0")
    return f"+{country}{national}" if len(national) >= 6 else phone  # all zeros, or too short: no trunk prefix


fault("phone_trunk_zero_dropped", "A 0 right after the country code is taken for a trunk prefix and removed before "
      "the phone is stored (+2250123456789 becomes +225123456789): a valid E.164 number comes back another number.",
      _stored("phone", _trunk_zero_dropped), "CREATE-ECHOES-FIELDS")
fault("name_unicode_line_separators_removed", "U+2028 and U+2029, which ended a JavaScript string literal before "
      "ES2019, are removed from names by a filter meant for the campaign preview's inline script: a name typed with "
      "them comes back without.",
      only("stored", lambda contact, **_: {**contact, "name": re.sub("[\u2028\u2029]", "", contact["name"])}),
      "CREATE-NAME-AS-PROVIDED")


def _rowid_ids() -> Hooks:
    """Ids are the row's number, worked out as SQLite gives an INTEGER PRIMARY KEY without AUTOINCREMENT its value:
    one more than the largest in the table now."""
    stores: list[Store] = []

    def new_id(fresh: str, **_: Any) -> str:
        row = stores[0].first("SELECT COALESCE(MAX(CAST(substr(id, 5) AS INTEGER)), 0) FROM contacts "
                              "WHERE id GLOB 'cnt_[0-9]*'")
        return f"cnt_{row[0] + 1:06d}"
    return {"opened": lambda store, **_: stores.append(store) or store, "new_id": new_id}


fault("ids_reused_after_delete", "Ids are the row's number, an INTEGER PRIMARY KEY without AUTOINCREMENT (SQLite "
      "gives a new row one more than the largest now in the table): once the newest contact is deleted, the next "
      "create gets its id again, and the deleted id names a live contact.", _rowid_ids, "CREATE-ID-UNIQUE",
      also=("DELETE-GONE-FROM-LIST", "DELETE-404-AFTER-DELETE", "LIST-ITEM-FIELDS"))
fault("name_spreadsheet_formula_escaped", "Names that start with =, +, -, @, a tab or a carriage return get a "
      "leading apostrophe on storage (OWASP's CSV-injection defence, applied when the name comes in rather than when "
      "a file is exported): '=Santos, Maria' comes back as \"'=Santos, Maria\".",
      only("stored", lambda contact, **_: {**contact, "name": "'" + contact["name"]}
           if contact["name"][:1] in ("=", "+", "-", "@", "\t", "\r") else contact), "CREATE-NAME-AS-PROVIDED")


def _revived_created_at(contact: dict, store: Store, **_: Any) -> dict:
    """The newest deleted row with the phone lends the new contact its created_at."""
    row = store.first("SELECT created_at FROM contacts WHERE phone = ? AND deleted = 1 ORDER BY seq DESC",
                      (contact["phone"],))
    return {**contact, "created_at": row[0]} if row else contact


fault("recreate_keeps_deleted_created_at", "Deletes are soft; a create with a deleted contact's phone revives that "
      "row with INSERT … ON CONFLICT (phone) DO UPDATE SET id, name, email, deleted = 0, whose column list leaves "
      "created_at out: the new contact (a new id) is answered and listed with the deleted one's creation time.",
      soft_delete(stored=_revived_created_at), "CREATE-CREATED-AT-MATCHES-DATE")
fault("email_lowercased_with_lists", "A create that assigns lists goes through the list-import path, which lower-cases "
      "the whole email before it is stored (the plain path keeps it as sent): Maria@Example.com joined to a list "
      "comes back maria@example.com.",
      only("stored", lambda c, **_: {**c, "email": c["email"].lower()} if c.get("email") and c.get("lists") else c),
      "CREATE-ECHOES-FIELDS")
