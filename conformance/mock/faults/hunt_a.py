"""Faults and legal variants of creating a contact and of what is stored and echoed, found by a hunt for deviations
the other modules did not declare: names kept differently by the list than by the create, names passed through a
decoder or a sanitiser, a charset parameter that changes how the body is read, a repeated list id, whitespace and
invisible characters around emails, phones and list ids."""
from __future__ import annotations

import contextvars
import json
import re
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from conformance.mock.formats import E164, LIST_ID, email_is_valid
from conformance.mock.registry import Hooks, fault, map_items, only, variant

BODY_FIELDS = {"name", "phone", "email", "lists"}
# Invisible characters a phone pasted from a spreadsheet or a right-to-left page carries: no-break spaces, zero-width
# spaces and joiners, bidirectional marks, the byte order mark
INVISIBLE = re.compile("[\u00a0\u202f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
SHELL_METACHARACTERS = re.compile(r"[$`|;\\]")
CONTROL = re.compile("[\x00-\x1f\x7f]")

# What the request being handled carried, for the hooks that run later in the same request (each request is a task
# of its own, so a context variable set by one hook is seen by the later hooks of that request only)
_charset_given: contextvars.ContextVar[bool] = contextvars.ContextVar("hunt_a_charset_given", default=False)
_lists_repeated: contextvars.ContextVar[bool] = contextvars.ContextVar("hunt_a_lists_repeated", default=False)


def _list_names(fn) -> Callable[[], Hooks]:
    """The list view passes every listed name through fn (the create echo is as sent)."""
    return only("list_body", map_items(lambda item: {**item, "name": fn(item["name"])} if isinstance(
        item.get("name"), str) else item))


def _stored(field: str, fn):
    return only("stored", lambda c, **_: {**c, field: fn(c[field])} if isinstance(c.get(field), str) else c)


def _charset_read_as_latin1() -> Hooks:
    def accepted(ok: bool, content_type: str, **_: Any) -> bool:
        _charset_given.set("charset=" in content_type.lower().replace(" ", ""))
        return ok

    def parser(parse, **_: Any):
        return lambda raw: json.loads(raw.decode("latin-1")) if _charset_given.get() else parse(raw)
    return {"content_type_accepted": accepted, "parse_json": parser}


def _repeated_list_joins_none() -> Hooks:
    def problems(found: dict, body: dict, **_: Any) -> dict:
        lists = body.get("lists")
        _lists_repeated.set(isinstance(lists, list) and len({json.dumps(i) for i in lists}) < len(lists))
        return found
    return {"problems": problems,
            "memberships": lambda lists, **_: [] if _lists_repeated.get() else lists}


def _lower_domain(email: str) -> str:
    local, at, domain = email.rpartition("@")
    return f"{local}{at}{domain.lower()}"


def _repeated_lists(body: dict) -> bool:
    lists = body.get("lists")
    return isinstance(lists, list) and len({json.dumps(i) for i in lists}) < len(lists)


# --- faults: the name ------------------------------------------------------------------------------------------
fault("list_name_nfc_normalised", "The list reads names from a search index that NFC-normalises them: a decomposed "
      "name is listed composed (the create echo is as sent).",
      _list_names(lambda n: unicodedata.normalize("NFC", n)), "LIST-ITEM-MATCHES-CREATE")
fault("list_name_trimmed", "The list view trims names (the create echo keeps leading spaces).",
      _list_names(str.strip), "LIST-ITEM-MATCHES-CREATE")
fault("list_name_spaces_collapsed", "The list view collapses runs of spaces in names to one (the create echo is "
      "as sent).", _list_names(lambda n: re.sub(r" {2,}", " ", n)), "LIST-ITEM-MATCHES-CREATE")
fault("name_rstripped", "Trailing whitespace is stripped from names on storage (rstrip: leading spaces are kept).",
      _stored("name", str.rstrip), "CREATE-NAME-AS-PROVIDED")
fault("name_url_decoded", "Names are URL-decoded once more on storage (a form decoder applied to JSON): + becomes a "
      "space and %2F a slash.", _stored("name", unquote_plus), "CREATE-NAME-AS-PROVIDED")
fault("name_shell_metacharacters_stripped", "An input sanitiser strips $ ` | ; and backslashes from names.",
      _stored("name", lambda n: SHELL_METACHARACTERS.sub("", n)), "CREATE-NAME-AS-PROVIDED")
fault("name_cut_at_255_utf8_bytes", "Names are stored in a 255-byte column: cut at 255 bytes of UTF-8 (a multi-byte "
      "character split is dropped).",
      _stored("name", lambda n: n.encode()[:255].decode(errors="ignore")), "CREATE-NAME-AS-PROVIDED")
fault("name_invisible_characters_stripped", "Zero-width joiners, bidirectional marks and other invisible "
      "characters are stripped from names (emoji sequences fall apart).",
      _stored("name", lambda n: INVISIBLE.sub("", n)), "CREATE-NAME-AS-PROVIDED")
fault("charset_param_read_as_latin1", "A body whose Content-Type carries a charset parameter is decoded as "
      "ISO-8859-1 whatever the parameter says: João sent as UTF-8 is stored as JoÃ£o.",
      _charset_read_as_latin1, "CREATE-NAME-AS-PROVIDED")

# --- faults: phone, email, lists -------------------------------------------------------------------------------
fault("phone_invisible_characters_removed", "Invisible characters (no-break and zero-width spaces, bidirectional "
      "marks, a BOM) are removed from the phone before the E.164 check, and it is stored cleaned.",
      lambda: {"phone_valid": lambda valid, phone, **_: valid or bool(E164.fullmatch(INVISIBLE.sub("", phone))),
               "stored": lambda c, **_: {**c, "phone": INVISIBLE.sub("", c["phone"])}}, "CREATE-422-PHONE-NOT-E164")
fault("phone_read_up_to_nul", "The phone is checked and stored as a C string: it ends at the first U+0000, so "
      "'+244912345678\\u0000x' is accepted and stored as +244912345678.",
      lambda: {"phone_valid": lambda valid, phone, **_: valid or bool(E164.fullmatch(phone.split("\x00")[0])),
               "stored": lambda c, **_: {**c, "phone": c["phone"].split("\x00")[0]}}, "CREATE-422-PHONE-NOT-E164")
fault("email_spaces_trimmed_before_check", "The email is checked and stored as SQL's TRIM() leaves it: spaces "
      "around it are removed (' maria@example.com ' is accepted; TRIM removes spaces only, not a line break).",
      lambda: {"email_valid": lambda valid, email, **_: valid or email_is_valid(email.strip(" ")),
               "stored": lambda c, **_: {**c, "email": c["email"].strip(" ")} if c.get("email") else c},
      "CREATE-422-EMAIL-MALFORMED")
fault("email_echo_lowercased", "The create answer lower-cases the whole email (the list shows it as sent).",
      only("created_body", lambda body, **_: {**body, "email": body["email"].lower()} if body.get("email") else body),
      "CREATE-ECHOES-FIELDS", also=("LIST-ITEM-MATCHES-CREATE",))
fault("phone_echo_formatted", "The create answer gives the phone in international notation (+244 912 345 678); "
      "the list shows E.164.",
      only("created_body", lambda body, **_: {**body, "phone": re.sub(r"^(\+\d{3})(\d{3})(\d{3})(\d+)$",
                                                                       r"\1 \2 \3 \4", body["phone"])}),
      "CREATE-ECHOES-FIELDS", also=("LIST-ITEM-MATCHES-CREATE", "SPEC-RESPONSES-CONFORM"))
fault("echo_drops_last_list", "The create answer leaves out the last of two or more lists (an off-by-one in the "
      "loop that reads memberships back).",
      only("created_body", lambda body, **_: {**body, "lists": body["lists"][:-1]} if len(body["lists"]) > 1
           else body), "CREATE-ECHOES-FIELDS")
fault("repeated_list_joins_none", "A repeated list id makes the memberships' batch insert fail on its key; the "
      "error is swallowed and the contact joins none of its lists (the echo shows them).",
      _repeated_list_joins_none, "LIST-SHOWS-CREATED", also=("LIST-TOTAL-COUNTS-MATCHES",))
fault("list_ids_stripped_in_memberships", "List ids are stripped of surrounding whitespace before they are checked, "
      "and memberships store them stripped while the echo is as sent: a contact created in 'lst_x ' is listed under "
      "lst_x, not under its own list.",
      lambda: {"list_id_valid": lambda valid, list_id, **_: valid or bool(LIST_ID.fullmatch(list_id.strip())),
               "memberships": lambda lists, **_: [i.strip() for i in lists]}, "LIST-SHOWS-CREATED",
      also=("LIST-TOTAL-COUNTS-MATCHES",))

# --- legal variants --------------------------------------------------------------------------------------------
variant("unknown_body_fields_refused_400", "A create body with fields other than name, phone, email and lists gets "
        "400 invalid_request (C names the four request parameters; a body naming others, such as id or created_at, "
        "may be refused).",
        lambda: {"problems": lambda found, body, **_: {**found, "fields": "unknown"} if set(body) - BODY_FIELDS
                 else found,
                 "validation_status": lambda answer, problems, **_: (400, "invalid_request") if "fields" in problems
                 else answer})
variant("empty_email_is_no_email", "An empty email string is taken as no email: the contact is created without one "
        "(email is optional; C does not say whether \"\" is malformed or absent).",
        lambda: {"email_valid": lambda valid, email, **_: valid or email == "",
                 "stored": lambda c, **_: {**c, "email": c["email"] or None}})
variant("repeated_list_ids_refused_422", "A create whose lists repeat an id gets 422 validation_error (C says "
        "nothing of repeated ids; refusing is no alteration).",
        only("problems", lambda found, body, **_: {**found, "lists": "repeat an id"} if _repeated_lists(body)
             else found))
variant("control_characters_in_names_refused", "Names holding control characters (tab, line breaks) get 422 "
        "validation_error (C: a full name; it says nothing of control characters, and refusing is no alteration).",
        only("problems", lambda found, body, **_: {**found, "name": "holds a control character"} if isinstance(
            body.get("name"), str) and CONTROL.search(body["name"]) else found))
variant("list_email_domain_lowercased", "The list view lower-cases the email's domain while the create echo keeps "
        "it as sent (a domain is case-insensitive, RFC 5321 §2.4: the same address, as the echo check already "
        "allows).",
        only("list_body", map_items(lambda item: {**item, "email": _lower_domain(item["email"])}
                                    if isinstance(item.get("email"), str) else item)))
