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
        "percent_encoded": f"{base}_a%20b%2F",
        "html": f"{base}_<b>&amp;</b>",
        "shell": f"{base}_$(id);`x`|y",
        "latin_nfc": unicodedata.normalize("NFC", f"{base}_caf\u00e9"),
        "latin_nfd": unicodedata.normalize("NFD", f"{base}_caf\u00e9"),
        "other_scripts": f"{base}_\u0441\u043f\u0438\u0441\u043e\u043a_\u5217\u8868",
        "control": f"{base}_tab\there",
    }


def neighbours(list_id: str) -> dict[str, str]:
    """Strings close to `list_id` that an exact filter matches nothing of the run's by (unless one is itself a list
    the run used): other case, one character more, less or different, SQL wildcards and globs in a character's
    place, and the id cut at each common storage limit it passes."""
    last = list_id[-1]
    other = "0" if last != "0" else "1"
    near = {
        "swapped_case": list_id.swapcase(),
        "one_less": list_id[:-1],
        "one_more": list_id + last,
        "one_different": list_id[:-1] + other,
        "sql_one_char": list_id[:-1] + "_",
        "sql_any_tail": list_id[:-1] + "%",
        "glob_one_char": list_id[:-1] + "?",
        "glob_any_tail": list_id[:-1] + "*",
    }
    near.update({f"cut_at_{n}": list_id[:n] for n in TRUNCATIONS if len(list_id) > n})
    return {name: value for name, value in near.items() if value != list_id}


# Spellings of the one media type the docs name for request bodies: a media type's name is case-insensitive and a
# charset parameter does not change what application/json is (RFC 9110 §8.3.1, RFC 8259 §11).
JSON_CONTENT_TYPES = ("application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8")
# Accept headers every JSON answer satisfies: what curl and requests send, the exact type, with a parameter, a range.
JSON_ACCEPTS = ("*/*", "application/json", "application/json; charset=utf-8", "application/*",
                "application/json, text/plain;q=0.5")

# page and per_page along the ways a number can be written in a query string: the docs say integer and nothing of
# its spelling, so each is answered with a page or refused with 400/422, never a 5xx.
PAGING_CLASSES = {
    "leading_zero": {"per_page": "05"},
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
