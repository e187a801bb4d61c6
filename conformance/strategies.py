"""Hypothesis strategies for the Contacts API's domain inputs: phones, emails and names.

Invalid inputs come as (class_name, value) pairs, each class a rule from the docs, so a report can say which rule
a rejected or accepted value belongs to."""
from __future__ import annotations

import unicodedata
from functools import cache

import phonenumbers
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
# Angola first, then the docs' other examples: shrinking lands on the numbers a reader of the docs knows.
_FIRST_REGIONS = ("AO", "PT", "US")


@cache
def phone_regions() -> tuple[str, ...]:
    """Every region libphonenumber has an example number for, the docs' own regions first."""
    usable = {r for r in phonenumbers.SUPPORTED_REGIONS if _example(r) is not None}
    return tuple(r for r in _FIRST_REGIONS if r in usable) + tuple(sorted(usable - set(_FIRST_REGIONS)))


@cache
def _example(region: str) -> phonenumbers.PhoneNumber | None:
    for kind in _TYPES:
        number = phonenumbers.example_number_for_type(region, kind)
        if number is not None:
            return number
    return None


def e164_for(region: str, variation: int) -> str:
    """A valid number of `region` in E.164, its last digits varied by `variation` (the example number at 0)."""
    example = _example(region)
    national = str(example.national_number)
    tail = min(4, len(national) - 1)
    for step in range(50):
        digits = f"{(variation + step * 7919) % 10 ** tail:0{tail}d}"
        candidate = phonenumbers.PhoneNumber(country_code=example.country_code,
                                             national_number=int(national[:-tail] + digits),
                                             italian_leading_zero=example.italian_leading_zero)
        if phonenumbers.is_valid_number(candidate):
            return phonenumbers.format_number(candidate, PhoneNumberFormat.E164)
    return phonenumbers.format_number(example, PhoneNumberFormat.E164)


def e164_phones(regions: tuple[str, ...] | None = None) -> st.SearchStrategy[str]:
    """Valid E.164 numbers of every region libphonenumber knows; shrinks to Angola's example number."""
    return st.builds(e164_for, st.sampled_from(regions or phone_regions()), st.integers(0, 9999))


INVALID_PHONE_CLASSES: dict[str, st.SearchStrategy] = {
    "local_format": st.from_regex(r"0[1-9][0-9]{7,9}", fullmatch=True),
    "missing_plus": st.from_regex(r"[1-9][0-9]{7,13}", fullmatch=True),
    "spaces": st.from_regex(r"\+[1-9][0-9]{2} [0-9]{3} [0-9]{3} [0-9]{3}", fullmatch=True),
    "dashes": st.from_regex(r"\+[1-9][0-9]{2}-[0-9]{3}-[0-9]{3}-[0-9]{3}", fullmatch=True),
    "letters": st.from_regex(r"\+[1-9][0-9]{4,8}[A-Za-z]{1,3}[0-9]{0,3}", fullmatch=True),
    "too_long": st.from_regex(r"\+[1-9][0-9]{15,20}", fullmatch=True),
    "country_code_zero": st.from_regex(r"\+0[0-9]{7,13}", fullmatch=True),
    "plus_alone": st.just("+"),
    "empty": st.just(""),
}
# Not a JSON string at all: the docs' 422 (not E.164) or 400 (not a valid request) are both right.
NON_STRING_PHONES: dict[str, st.SearchStrategy] = {
    "json_number": st.integers(10**8, 10**14),
    "json_null": st.none(),
    "json_array": st.just(["+244912345678"]),
    "json_object": st.just({"number": "+244912345678"}),
    "json_bool": st.booleans(),
}


def _classes(classes: dict[str, st.SearchStrategy]) -> st.SearchStrategy[tuple[str, object]]:
    return st.one_of([st.tuples(st.just(name), strategy) for name, strategy in classes.items()])


def invalid_phones(*, include_non_strings: bool = True) -> st.SearchStrategy[tuple[str, object]]:
    classes = {**INVALID_PHONE_CLASSES, **(NON_STRING_PHONES if include_non_strings else {})}
    return _classes(classes)


_LOCAL = r"[a-z0-9]{1,10}([._+-][a-z0-9]{1,8}){0,2}"
_DOMAIN = r"[a-z0-9]{1,12}(-[a-z0-9]{1,6})?(\.[a-z0-9]{2,8}){0,2}\.(com|ao|pt|org|net|io|co\.ao)"


def valid_emails() -> st.SearchStrategy[str]:
    """Addresses every validator accepts: dot-atom local parts (with + tags) at conventional domains."""
    return st.builds(lambda local, domain: f"{local}@{domain}",
                     st.from_regex(_LOCAL, fullmatch=True), st.from_regex(_DOMAIN, fullmatch=True))


MALFORMED_EMAIL_CLASSES: dict[str, st.SearchStrategy] = {
    "no_at": st.builds(lambda l, d: f"{l}{d}", st.from_regex(_LOCAL, fullmatch=True), st.from_regex(_DOMAIN, fullmatch=True)),
    "two_ats": st.builds(lambda l, d: f"{l}@@{d}", st.from_regex(_LOCAL, fullmatch=True), st.from_regex(_DOMAIN, fullmatch=True)),
    "space_inside": st.builds(lambda l, d: f"{l} x@{d}", st.from_regex(_LOCAL, fullmatch=True), st.from_regex(_DOMAIN, fullmatch=True)),
    "missing_domain": st.builds(lambda l: f"{l}@", st.from_regex(_LOCAL, fullmatch=True)),
    "missing_local": st.builds(lambda d: f"@{d}", st.from_regex(_DOMAIN, fullmatch=True)),
    "trailing_dot": st.builds(lambda l, d: f"{l}@{d}.", st.from_regex(_LOCAL, fullmatch=True), st.from_regex(_DOMAIN, fullmatch=True)),
    "double_dot_domain": st.builds(lambda l: f"{l}@example..com", st.from_regex(_LOCAL, fullmatch=True)),
}

# Valid or not depending on the validator: only ever observed, never judged.
AMBIGUOUS_EMAILS: dict[str, str] = {
    "quoted_local_part": '"maria santos"@example.com',
    "ip_literal": "maria@[192.0.2.1]",
    "internationalised_domain": "maria@correio.angolá.ao",
    "unicode_local_part": "joão@example.com",
    "dotless_domain": "maria@localhost",
    "empty_string": "",  # malformed, or taken as "no email" (email is optional)
}


def malformed_emails() -> st.SearchStrategy[tuple[str, str]]:
    return _classes(MALFORMED_EMAIL_CLASSES)


def ambiguous_emails() -> st.SearchStrategy[tuple[str, str]]:
    return st.sampled_from(sorted(AMBIGUOUS_EMAILS.items()))


NAME_SAMPLES = ("Maria Santos", "João Ferreira", "Zoë O'Brien-Łukasiewicz", "李小龙", "محمد بن سلمان",
                "Ngozi 🌍 Okafor", "Ἀριστοτέλης", "Nguyễn Thị Minh Khai", "Ömer Çelik", "D'Angelo 👩🏽‍💻")


def person_names() -> st.SearchStrategy[str]:
    """Names as people write them: words of any script (letters with their combining marks), joined by spaces,
    hyphens or apostrophes, sometimes with an emoji; NFC, no leading or trailing space."""
    letters = st.characters(categories=("L",))
    word = st.builds(lambda first, rest: first + rest, letters,
                     st.text(st.characters(categories=("L", "M")), max_size=10))
    joined = st.lists(st.tuples(st.sampled_from([" ", " ", "-", "'"]), word), max_size=3).map(
        lambda parts: "".join(sep + w for sep, w in parts))
    emoji = st.sampled_from(["", "", "", " 🌍", " 👩🏽\u200d💻", " ✨"])
    generated = st.builds(lambda w, rest, e: unicodedata.normalize("NFC", w + rest + e), word, joined, emoji)
    return st.one_of(st.sampled_from(NAME_SAMPLES), generated)
