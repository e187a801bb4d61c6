"""The input grid for list ids: every class a list id is sent in (letter case, length, characters that mean something
to SQL, URLs, shells or HTML, other scripts and normalisation forms, control characters), and the near neighbours of
an id that an exact filter must tell apart from it. Every class is sent on every run; the docs give list ids a lst_
prefix and say nothing more, so a target may refuse any class with a documented 4xx, and must keep exactly what it
accepts."""
from __future__ import annotations

import unicodedata

TRUNCATIONS = (32, 64, 255)  # lengths common storage cuts text at (VARCHAR(32), (64), (255))


def list_id_classes(base: str) -> dict[str, str]:
    """One list id per class, each starting with `base` (a list id of the run), so none names anyone else's list."""
    return {
        "mixed_case": f"{base}_MixedCase",
        "past_32": f"{base}_{'l' * max(1, 40 - len(base) - 1)}",
        "past_255": f"{base}_{'L' * max(1, 300 - len(base) - 1)}",
        "sql_quote": f"{base}_o'neil--",
        "sql_wildcards": f"{base}_50%_off",
        "url_reserved": f"{base}_a&b=c#d?e/f+g h",
        "comma": f"{base}_a,b",
        "percent_encoded": f"{base}_a%20b%2F",
        "html": f"{base}_<b>&amp;</b>",
        "shell": f"{base}_$(id);`x`|y",
        "latin_nfc": unicodedata.normalize("NFC", f"{base}_caf\u00e9"),
        "latin_nfd": unicodedata.normalize("NFD", f"{base}_caf\u00e9"),
        "other_scripts": f"{base}_\u0441\u043f\u0438\u0441\u043e\u043a_\u5217\u8868",
        "control": f"{base}_tab\there",
        "trailing_space": f"{base}_space ",
    }


def email_classes() -> dict[str, str]:
    """Addresses valid under RFC 5321/5322 (dot-atom local parts: every one of these characters is atext) that carry
    characters with a meaning to SQL, URLs, shells and HTML, and a local part in upper case (local parts are
    case-sensitive). Validators differ on such addresses, so a target may refuse them with a documented 4xx; one it
    takes is kept exactly."""
    return {
        "sql_quote": "o'neil@example.com",
        "sql_wildcards": "50%_off@example.com",
        "url_reserved": "a&b=c?d/e@example.com",
        "shell": "x$y`z|w@example.com",
        "braces_and_marks": "{x}~!#*^@example.com",
        "upper_case_local": "MARIA.SANTOS@example.com",
    }


def neighbours(list_id: str) -> dict[str, str]:
    """Strings close to `list_id` that an exact filter matches nothing of the run's by (unless one is itself a list
    the run used): other case, one character more, less or different, SQL wildcards and globs in a character's
    place, a regular expression's any-character in place of its last one, a U+0000 after it (a C string ends there) or
    a zero-width space (a sanitiser removes it), its last character fullwidth (a width-folding analyzer takes it for
    the ASCII one), and the id cut at each common storage limit it passes."""
    last = list_id[-1]
    other = "0" if last != "0" else "1"
    near = {
        "swapped_case": list_id.swapcase(),
        "one_less": list_id[:-1],
        "one_more": list_id + last,
        "one_different": list_id[:-1] + other,
        "sql_one_char": list_id[:-1] + "_",
        "sql_any_tail": list_id[:-1] + "%",
        "nul_after": list_id + "\x00",
        "glob_one_char": list_id[:-1] + "?",
        "glob_any_tail": list_id[:-1] + "*",
        "regex_one_char": list_id[:-1] + ".",
        "zero_width_after": list_id + "\u200b",
    }
    if "!" <= last <= "~":
        near["fullwidth_last"] = list_id[:-1] + chr(ord(last) + 0xFEE0)
    near.update({f"cut_at_{n}": list_id[:n] for n in TRUNCATIONS if len(list_id) > n})
    return {name: value for name, value in near.items() if value != list_id}


def contact_id_neighbours(probe: str, ids: list[str]) -> dict[str, str]:
    """Ids close to `probe`, an id the target made, that no account holds, given the ids it made (`ids`), each with
    how it differs. Safe to DELETE only for a target whose ids all have one length, a long one (the caller decides):
    one character off; upper-cased when every id starts with the documented lower-case cnt_; with a trailing space,
    question mark, slash, U+0000 or zero-width space, cut by two with a SQL wildcard, its last character
    percent-encoded as text, or a .json suffix (lengths no id has: a trim, a C string, a sanitiser of invisible
    characters, an unescaped LIKE, a second URL decoding, an id spliced unquoted into another service's URL, a router
    that reads an extension as the response format, a gateway that drops a trailing slash would take them for the
    probe); its last character fullwidth when every id is ASCII (NFKC folds it back); the probe, a slash, a dot
    segment and the probe again (no id holds a slash: a path decoded and its dot segments resolved takes it for the
    probe, and for nothing else)."""
    near = {probe[:-1]: "one character off", probe + "0": "one character off"}
    if all(i.startswith("cnt_") for i in ids) and probe.upper() != probe:
        near[probe.upper()] = "upper-cased"
    near.update({probe + " ": "a space after", probe + "?": "a question mark after", probe + "/": "a slash after",
                 probe + "\x00": "a U+0000 (which ends a C string) after", probe + "\u200b": "a zero-width space after",
                 probe[:-2] + "%": "a SQL wildcard for the last two characters of",
                 f"{probe[:-1]}%{ord(probe[-1]):02X}": "the last character percent-encoded as text of",
                 f"{probe}/../{probe}": "a dot segment back to", probe + ".json": "a .json format suffix after"})
    if all(i.isascii() for i in ids) and "!" <= probe[-1] <= "~":
        near[probe[:-1] + chr(ord(probe[-1]) + 0xFEE0)] = "the last character fullwidth of"
    return near


# Spellings of the one media type the docs name for request bodies: a media type's name and a parameter's name are
# case-insensitive, a parameter's value may be a quoted string, whitespace may come before the ';', and a charset
# parameter does not change what application/json is (RFC 9110 §8.3.1 and §5.6.6, RFC 8259 §11).
JSON_CONTENT_TYPES = ("application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8",
                      'application/json; charset="utf-8"', "application/json ;charset=utf-8",
                      "application/json; Charset=UTF-8")
# Accept headers every JSON answer satisfies: what curl and requests send, the exact type, with a parameter, a range,
# in other letter case (media types are case-insensitive, RFC 9110 §8.3.1).
JSON_ACCEPTS = ("*/*", "application/json", "application/json; charset=utf-8", "application/*",
                "application/json, text/plain;q=0.5", "Application/JSON")

# Accept headers that name no JSON type (a browser's, an XML client's, plain text): the API always answers with JSON
# (platform docs), so the answer is JSON whatever its status.
NON_JSON_ACCEPTS = ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/xml",
                    "text/plain")

# page and per_page along the ways a number can be written in a query string: the docs say integer and nothing of
# its spelling, so each is answered with a page or refused with 400/422, never a 5xx. Written in decimal digits, with
# a leading zero too, a number is that decimal number (a parser that reads 010 as octal answers pages of 8).
PAGING_CLASSES = {
    "leading_zero": {"per_page": "010"},
    "plus_sign": {"per_page": "+5"},
    "spaces": {"per_page": " 5 "},
    "exponent": {"per_page": "1e1"},
    "hexadecimal": {"per_page": "0x10"},
    "fullwidth_digits": {"per_page": "\uff15"},
    "arabic_indic_digits": {"page": "\u0661"},
    "repeated": {"per_page": ["5", "7"]},
    "empty": {"per_page": ""},
    "sql": {"page": "1 OR 1=1"},
    "negative_zero": {"page": "-0"},
    "decimal_one": {"page": "1.0"},
}

# Page sizes over the documented maximum written so that a check in front of the code that reads the size (a gateway,
# a validator, another parser) may let them through: the size twice, the small one first or last (HTTP parameter
# pollution: one layer reads the first, the other the last), in exponent notation (parseInt reads 1e3 as 1, Number
# as 1000), and under a name the docs do not give (a legacy limit parameter read as the size); with a digit separator
# or in fullwidth digits (Python's int() reads both, a check of ASCII digits passes them on), and as PER_PAGE (a
# framework that binds query names in any letter case reads it as per_page).
PAGE_SIZES_PAST_THE_CHECK = ({"per_page": ["7", "1000"]}, {"per_page": ["1000", "7"]}, {"per_page": "1e3"},
                             {"limit": 1000}, {"per_page": "1_000"}, {"per_page": "\uff11\uff10\uff10\uff10"},
                             {"PER_PAGE": 1000})


def page_size_over_max(params: dict) -> bool:
    """Whether a list query names a page size over 100 in any of its per_page or limit values."""
    def over(value) -> bool:
        try:
            return float(value) > 100
        except (TypeError, ValueError):
            return False
    values = [value for name, value in params.items() if name.lower() in ("per_page", "limit")]
    return any(over(v) for value in values for v in (value if isinstance(value, list) else [value]))


def id_path_classes(unknown: str) -> dict[str, str]:
    """Ids for DELETE /contacts/{id} in every class, each made from `unknown` (an id no account holds, carrying the
    run's tag and randomness) so that none can name a contact: even a target that compares with LIKE or splices
    the id into its SQL matches nothing by them (nothing here widens a match: no OR, no leading wildcard)."""
    return {
        "upper_case": unknown.upper(),
        "sql_quote": f"{unknown}'--",
        "sql_wildcards": f"{unknown}_%",
        "glob": f"{unknown}*",
        "url_reserved": f"{unknown}?x=1#y",
        "percent_literal": f"{unknown}%2F",
        "html": f"{unknown}<b>",
        "shell": f"{unknown}$(id)",
        "space": f"{unknown} x",
        "latin_nfc": unicodedata.normalize("NFC", f"{unknown}\u00e9"),
        "latin_nfd": unicodedata.normalize("NFD", f"{unknown}\u00e9"),
        "other_scripts": f"{unknown}\u0441\u043f\u0438\u0441\u043e\u043a",
        "control": f"{unknown}\t",
        "past_255": unknown + "x" * (300 - len(unknown)),
    }


def forged_authorizations(key: str) -> dict[str, str]:
    """Authorization values that carry no valid key, made from the real one so that a comparison looser than
    equality takes them for it: SQL wildcards and globs in place of its characters (a LIKE or a glob match), an
    injection that makes a spliced SQL condition true, the key after another word (a parser that takes the last
    word) or before one (a parser that takes the second), the key twice. Each must be 401. The bare wildcards could
    match another account's key, so these are only sent on reads and on DELETEs of ids no account holds. No part of
    the key shorter than all but its last character is sent: evidence masks the key and that one prefix, nothing
    shorter."""
    forged = {
        "the key's last character as a SQL one-character wildcard": f"Bearer {key[:-1]}_",
        "the key's last character as a SQL wildcard": f"Bearer {key[:-1]}%",
        "a SQL wildcard alone": "Bearer %",
        "the key's last character as a glob": f"Bearer {key[:-1]}*",
        "a SQL condition that is always true": "Bearer ' OR '1'='1",
        "another word before the key": f"Bearer conformance {key}",
        "another word after the key": f"Bearer {key} conformance",
        "the key twice": f"Bearer {key}{key}",
        "the key inside quotes": f'Bearer "{key}"',
    }
    return {what: value for what, value in forged.items() if value != f"Bearer {key}"}  # a key may end in _ or %


def key_elsewhere(key: str) -> dict[str, dict[str, str]]:
    """The key sent without an Authorization header, where other APIs look for one: the docs' "no sessions, no
    cookies" makes a cookie no credential (so these are 401, missing key)."""
    cookies = "; ".join(f"{name}={key}" for name in ("api_key", "token", "access_token", "session", "zexa_api_key"))
    return {"the key in cookies": {"Cookie": cookies}}


def key_without_bearer(key: str) -> dict[str, str]:
    """Authorization values that carry the key without the Bearer scheme the docs write: the key alone (a parser that
    removes "Bearer " wherever it is, or splits on it, takes it) and after another scheme of six letters (a parser
    that skips seven characters takes it). Either is a request without its key, so 401."""
    return {"the key with no scheme": key, "the key after ApiKey": f"ApiKey {key}"}


def key_elsewhere_unspecified(key: str) -> dict[str, dict[str, str]]:
    """The key sent without an Authorization header in a header other APIs use, which the docs say nothing of:
    401 or an answer are both within the docs, so an answer is an observation. (Never in the query string: a URL
    is written to access logs.)"""
    return {"the key in X-API-Key": {"X-API-Key": key}}


def authorization_spellings(key: str) -> dict[str, str]:
    """Ways of writing the documented `Bearer <key>` that HTTP allows or that clients send, on which the docs are
    silent: the scheme's letter case (case-insensitive in RFC 9110 §11.1), more than one space, a tab. A target may
    take each as the key or answer 401; no answer may be a 5xx."""
    return {"bearer in lower case": f"bearer {key}", "BEARER in upper case": f"BEARER {key}",
            "two spaces after Bearer": f"Bearer  {key}", "a tab after Bearer": f"Bearer\t{key}"}
