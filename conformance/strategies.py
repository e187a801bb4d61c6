"""Hypothesis strategies for the Contacts API's domain inputs: phones, emails, names and list ids.

Inputs come in named classes (each invalid class a rule from the docs), so a report can say which class a rejected
or accepted value belongs to, and a case can send every class in every run (`every_class`)."""
from __future__ import annotations

import random
import unicodedata
from functools import cache

import phonenumbers
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from conformance.sampling import draws

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


# Valid numbers at E.164's limit of 15 digits, with a two- and a three-digit country code: the prefix of each (a
# mobile range of Austria, Berlin's and Belgrade's fixed lines), libphonenumber's numbers there take 15 digits.
LONGEST_PHONE_PREFIXES: dict[str, str] = {"AT_mobile": "+43664", "DE_fixed_line": "+4930", "RS_fixed_line": "+38111"}
E164_MAX_DIGITS = 15
# Regions whose valid numbers have 7 digits in all, the fewest of any (Tokelau, Tristan da Cunha): a length check
# that wants 8 or more refuses them.
SHORTEST_PHONE_REGIONS = ("TK", "TA")


def e164_15_digits(prefix: str, variation: int) -> str:
    """A number libphonenumber calls valid with 15 digits after the +, starting with `prefix`, its other digits
    varied by `variation`."""
    rng = random.Random(variation)
    for _ in range(200):
        candidate = prefix + "".join(rng.choice("0123456789") for _ in range(E164_MAX_DIGITS + 1 - len(prefix)))
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            return candidate
    raise ValueError(f"no valid 15-digit number starts with {prefix}")


_ZEROS = "０٠۰०০"  # the zero of fullwidth, Arabic-Indic, Extended Arabic-Indic, Devanagari, Bengali digits


def _digits_of_script(phone: str, zero: str) -> str:
    return phone[:2] + "".join(chr(ord(zero) + int(digit)) for digit in phone[2:])


# Characters that show as nothing, which a number copied from a spreadsheet or a right-to-left page carries: a no-break
# space, a zero-width space, left-to-right and right-to-left marks, a word joiner, a byte order mark
INVISIBLE_CHARACTERS = "\u00a0\u200b\u200e\u200f\u2060\ufeff"


def _with_invisible(phone: str, char: str, at: int) -> str:
    at = min(at, len(phone))
    return phone[:at] + char + phone[at:]


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
    # a one-digit country code and no subscriber number (C: + prefix, country code and subscriber number)
    "country_code_alone": st.sampled_from(["+1", "+7"]),
    "empty": st.just(""),
    # a valid number followed by a newline: a validator's `$` takes it (re.match, Ruby, PCRE without D)
    "trailing_newline": st.deferred(lambda: e164_phones().map(lambda phone: phone + "\n")),
    # a valid number whose digits after the first are of another script: `\d` and str.isdigit() take them
    "non_ascii_digits": st.deferred(lambda: st.builds(_digits_of_script, e164_phones(), st.sampled_from(_ZEROS))),
    # valid numbers in notations other than E.164: what a strip(), a libphonenumber parse or a 00-for-+ rule takes
    "surrounding_whitespace": st.deferred(lambda: st.builds("{1}{0}{2}".format, e164_phones(),
                                                            st.sampled_from(["", " ", "\t"]), st.sampled_from([" ", "\n "]))),
    "international_prefix_00": st.deferred(lambda: e164_phones().map(lambda phone: "00" + phone[1:])),
    "double_plus": st.deferred(lambda: e164_phones().map(lambda phone: "+" + phone)),
    "fullwidth_plus": st.deferred(lambda: e164_phones().map(lambda phone: "\uff0b" + phone[1:])),
    "tel_uri": st.deferred(lambda: e164_phones().map(lambda phone: "tel:" + phone)),
    "parentheses": st.from_regex(r"\+244 ?\(9[1-9]\) ?[0-9]{3}[- ]?[0-9]{4}", fullmatch=True),
    "dots": st.from_regex(r"\+244\.9[1-9][0-9]\.[0-9]{3}\.[0-9]{3}", fullmatch=True),
    "extension": st.deferred(lambda: e164_phones().map(lambda phone: phone + " ext. 12")),
    # a valid number with one invisible character in it: a cleaner that removes such characters takes it
    "invisible_character": st.deferred(lambda: st.builds(_with_invisible, e164_phones(),
                                                         st.sampled_from(INVISIBLE_CHARACTERS), st.integers(0, 16))),
    # a valid number, a U+0000 and more: a check that reads a C string stops at the NUL and takes it
    "nul_inside": st.deferred(lambda: e164_phones().map(lambda phone: phone + "\x00" + phone[1:4])),
}
# A valid number in the digits of each script `\d`, str.isdigit() and int() take, one class a script, so each is sent
# on every run: a converter of one script's digits alone (fullwidth to ASCII, as Japanese input normalisers do) meets
# its own (the non_ascii_digits class draws one script a value).
NON_ASCII_DIGIT_PHONES: dict[str, st.SearchStrategy] = {
    f"{script}_digits": st.deferred(lambda zero=zero: st.builds(_digits_of_script, e164_phones(), st.just(zero)))
    for script, zero in zip(("fullwidth", "arabic_indic", "extended_arabic_indic", "devanagari", "bengali"), _ZEROS)}
# Not a JSON string at all: the docs' 422 (not E.164) or 400 (not a valid request) are both right.
NON_STRING_PHONES: dict[str, st.SearchStrategy] = {
    "json_number": st.integers(10**8, 10**14),
    "json_null": st.none(),
    "json_array": st.just(["+244912345678"]),
    "json_object": st.just({"number": "+244912345678"}),
    "json_bool": st.booleans(),
}


_LOCAL = r"[a-z0-9]{1,10}([._+-][a-z0-9]{1,8}){0,2}"
_DOMAIN = r"[a-z0-9]{1,12}(-[a-z0-9]{1,6})?(\.[a-z0-9]{2,8}){0,2}\.(com|ao|pt|org|net|io|co\.ao)"
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_TLDS = ("com", "ao", "pt", "org", "net", "io", "co.ao", "Com", "AO", "info", "museum", "photography")
MAX_LOCAL, MAX_ADDRESS = 64, 254  # RFC 5321's limits on the local part and the whole address

# Well-formed under every reading of RFC 5321/5322 (dot-atom of letters, digits and ._+-, dotted domain of LDH labels):
# sent in every run, whatever the seed draws.
VALID_EMAIL_CLASSES: dict[str, str] = {
    "docs_example": "maria@example.com",
    "plus_tag": "maria.santos+promo@example.com",
    "subdomains": "first.last@mail.corp.example.co.ao",
    "mixed_case": "Maria.Santos@Example.COM",
    "hyphen_underscore": "joao_ferreira-2@my-domain.ao",
    "local_part_64": "m" * 62 + "+1@example.com",
    "address_254": "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com",
    "long_tld": "maria@studio.photography",
    "longest_tlds": "joao.ferreira@correio.international",
    # an internationalised domain in its ASCII form (angolá as xn--angol-1qa): LDH labels, a double hyphen inside
    "punycode_domain": "joao@correio.xn--angol-1qa.ao",
}


def _sized(rng: random.Random, limit: int) -> int:
    """A length up to `limit`, most often short, often at or near the limit."""
    return rng.choice((1, 2, rng.randint(3, 12), rng.randint(3, 24), rng.randint(limit // 2, limit), limit))


def _atoms(rng: random.Random, size: int, alphabet: str, separators: str) -> str:
    """`size` characters of `alphabet`, with single separators inside (never first, last or doubled)."""
    chars = [rng.choice(alphabet)]
    while len(chars) < size:
        last_is_separator = chars[-1] in separators
        pick = rng.choice(separators) if separators and not last_is_separator and len(chars) < size - 1 and rng.random() < 0.15 \
            else rng.choice(alphabet)
        chars.append(pick)
    return "".join(chars)


def _email(seed: int) -> str:
    rng = random.Random(seed)
    tag = "+" + _atoms(rng, rng.randint(1, 6), _ALNUM, "") if rng.random() < 0.4 else ""
    local = _atoms(rng, _sized(rng, MAX_LOCAL - len(tag)), _ALNUM, "._-") + tag
    room = MAX_ADDRESS - len(local) - 1
    labels = [_atoms(rng, _sized(rng, 63), _ALNUM.lower(), "-") for _ in range(rng.randint(1, 4))]
    domain = ".".join(labels + [rng.choice(_TLDS)])
    while len(domain) > room:
        domain = domain.split(".", 1)[1]
    if rng.random() < 0.5:
        domain = "".join(c.upper() if rng.random() < 0.5 else c for c in domain)
    return f"{local}@{domain}"


def valid_emails() -> st.SearchStrategy[str]:
    """Addresses every validator accepts: dot-atom local parts in mixed case, + tags, subdomains, labels up to 63
    characters, up to the 64-character local part and the 254-character address. Built from a drawn seed: drawing
    each character through hypothesis costs a second per batch and gains nothing (no shrinking of a batch)."""
    return st.builds(_email, st.integers(0, 2**63))


MALFORMED_EMAIL_CLASSES: dict[str, st.SearchStrategy] = {
    "no_at": st.builds(lambda l, d: f"{l}{d}", st.from_regex(_LOCAL, fullmatch=True), st.from_regex(_DOMAIN, fullmatch=True)),
    "two_ats": st.builds(lambda l, d: f"{l}@@{d}", st.from_regex(_LOCAL, fullmatch=True), st.from_regex(_DOMAIN, fullmatch=True)),
    "space_inside": st.builds(lambda l, d: f"{l} x@{d}", st.from_regex(_LOCAL, fullmatch=True), st.from_regex(_DOMAIN, fullmatch=True)),
    "missing_domain": st.builds(lambda l: f"{l}@", st.from_regex(_LOCAL, fullmatch=True)),
    "missing_local": st.builds(lambda d: f"@{d}", st.from_regex(_DOMAIN, fullmatch=True)),
    "trailing_dot": st.builds(lambda l, d: f"{l}@{d}.", st.from_regex(_LOCAL, fullmatch=True), st.from_regex(_DOMAIN, fullmatch=True)),
    "double_dot_domain": st.builds(lambda l: f"{l}@example..com", st.from_regex(_LOCAL, fullmatch=True)),
    "leading_dot_domain": st.builds(lambda l, d: f"{l}@.{d}", st.from_regex(_LOCAL, fullmatch=True),
                                    st.from_regex(_DOMAIN, fullmatch=True)),
    "trailing_newline": st.builds(lambda l, d: f"{l}@{d}\n", st.from_regex(_LOCAL, fullmatch=True),
                                  st.from_regex(_DOMAIN, fullmatch=True)),
    # a dot first, last or twice in a row in the local part (RFC 5322 dot-atom): the usual [A-Za-z0-9._%+-]+ takes it
    "local_part_dots": st.builds(lambda form, l, d: form.format(l, d), st.sampled_from([".{0}@{1}", "{0}.@{1}",
                                                                                       "{0}..x@{1}"]),
                                 st.from_regex(_LOCAL, fullmatch=True), st.from_regex(_DOMAIN, fullmatch=True)),
    # a fullwidth commercial at (U+FF20) for the @: no @ at all, so malformed under every RFC; NFKC folds it to @
    "fullwidth_at": st.builds(lambda l, d: f"{l}\uff20{d}", st.from_regex(_LOCAL, fullmatch=True),
                              st.from_regex(_DOMAIN, fullmatch=True)),
    # spaces around an address: SQL's TRIM() (spaces only, not a line break) takes it
    "surrounding_spaces": st.builds(lambda l, d: f" {l}@{d} ", st.from_regex(_LOCAL, fullmatch=True),
                                    st.from_regex(_DOMAIN, fullmatch=True)),
}

# Valid or not depending on the validator: only ever observed, never judged.
AMBIGUOUS_EMAILS: dict[str, str] = {
    "quoted_local_part": '"maria santos"@example.com',
    "ip_literal": "maria@[192.0.2.1]",
    "internationalised_domain": "maria@correio.angolá.ao",
    "unicode_local_part": "joão@example.com",
    "dotless_domain": "maria@localhost",
    # past RFC 5321's 254 octets, within the 320 (64 @ 255) of RFC 3696 before its erratum: a length no syntax forbids
    "address_320": "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 59 + ".com",
    "empty_string": "",  # malformed, or taken as "no email" (email is optional)
}


NAME_CLASSES: dict[str, str] = {name: unicodedata.normalize("NFC", text) for name, text in {
    "docs_example": "Maria Santos",
    "latin_diacritics": "Zoë O'Brien-Łukasiewicz",
    "vietnamese_stacked_marks": "Nguyễn Thị Minh Khai",
    "greek_polytonic": "Ἀριστοτέλης",
    "cjk": "李小龙",
    "arabic_right_to_left": "محمد بن سلمان",
    "hebrew_right_to_left": "דוד בן־גוריון",
    # bidirectional marks and isolates, as a name of two directions is typed to show in order: a sanitiser of
    # "Trojan Source" controls removes them
    "bidi_marks": "\u200fמרים\u200e Santos \u2068محمد\u2069",
    "devanagari_combining_signs": "मनीषा कोइराला",
    "combining_without_precomposed": "Ọ̀lá A̋dé",
    "astral_plane": "𠮷田 𐐷𐑉 Nomvula",
    "emoji_zwj_sequences": "D'Angelo 👩🏽\u200d💻 👨\u200d👩\u200d👧\u200d👦",
    # variation selectors: U+FE0F asks for the emoji form of ❤ and ☎, U+FE0E for the text form of ✌
    "variation_selectors": "Ana \u2764\ufe0f Sousa \u260e\ufe0f \u270c\ufe0e",
    "ampersand_and_quotes": 'Ana "Nita" Sousa & Filhos, Lda.',
    # what a URL decoder (+ and %2F), a shell or a sanitiser ($ ` | ; and the backslash), or a template engine
    # ({{ }}) would change
    "url_and_shell_characters": "Sousa+Filhos 100% a%2Fb $HOME `x` | y; C:\\Dados {{ apelido }}",
    "single_character": "Z",
    # a first character a spreadsheet reads as the start of a formula: a CSV-injection defence applied on the way in
    # puts an apostrophe before it
    "formula_lead": "=Santos, Maria",
    "length_1000": ("Maria da Conceição Santos " * 40)[:999] + "s",
}.items()}
# A name past the lengths text columns and validators cut at (1,024, 2,048, 4,000, 4,096 characters), sent by the
# create case alone (the model's names stay within 1,000): a target may refuse it with 400/422, one it takes comes
# back whole.
LONG_NAME_CLASSES: dict[str, str] = {"length_5000": ("Maria da Conceição Santos " * 200)[:4999] + "s"}
# Names exactly as a person may type them, neither normalised nor trimmed (NAME_CLASSES are NFC): the echo must be the
# same code points. The run tag goes at the end, so the spaces are at the start and inside; for the classes in
# TAG_FIRST_NAME_CLASSES it goes at the start, so their spaces are at the end.
RAW_NAME_CLASSES: dict[str, str] = {
    "leading_spaces": "  Maria Santos",
    "trailing_spaces": "Maria Santos  ",
    "inner_space_runs": "Maria   da  Conceição",
    "nfd_decomposed": unicodedata.normalize("NFD", "João Ferreira"),
    "nfd_stacked_marks": unicodedata.normalize("NFD", "Nguyễn Thị Minh Khai"),
}
TAG_FIRST_NAME_CLASSES = frozenset({"trailing_spaces"})
# Names holding control characters or line separators, which C says nothing of: a target may refuse them (400/422);
# one it takes comes back with the very characters sent (not cut at a NUL, stripped of controls or separators, or with
# its line breaks rewritten)
CONTROL_NAME_CLASSES: dict[str, str] = {
    "line_breaks": "Maria\r\nda Concei\u00e7\u00e3o\rSantos\nFerreira",
    "tab": "Maria\tSantos",
    "nul": "Maria\u0000Santos",
    "escape_and_bell": "Maria\u001b[1mSantos\u0007",
    # Unicode's own line and paragraph separators: a filter for JavaScript string literals (which they ended before
    # ES2019) removes them
    "line_and_paragraph_separators": "Maria\u2028da Concei\u00e7\u00e3o\u2029Santos",
}
_EMOJI = ("", "", "", " 🌍", " 👩🏽\u200d💻", " 👨\u200d👩\u200d👧", " ✨")


def _stretched(name: str, size: int) -> str:
    return unicodedata.normalize("NFC", ((name + " ") * (size // (len(name) + 1) + 1))[:size].rstrip() or name)


def person_names() -> st.SearchStrategy[str]:
    """Names as people write them: words of any script and plane (letters with their combining marks), joined by
    spaces, hyphens or apostrophes, sometimes with emoji (ZWJ sequences too), 1 to 1,000 characters; NFC, no leading
    or trailing space."""
    letters = st.characters(categories=("L",))
    word = st.builds(lambda first, rest: first + rest, letters,
                     st.text(st.characters(categories=("L", "M")), max_size=10))
    joined = st.lists(st.tuples(st.sampled_from([" ", " ", "-", "'"]), word), max_size=3).map(
        lambda parts: "".join(sep + w for sep, w in parts))
    short = st.builds(lambda w, rest, e: unicodedata.normalize("NFC", w + rest + e), word, joined, st.sampled_from(_EMOJI))
    long = st.builds(_stretched, short, st.integers(40, 1000))
    return st.one_of(st.sampled_from(list(NAME_CLASSES.values())), short, long)


def list_id_sets(base: str) -> st.SearchStrategy[list[str]]:
    """0 to 20 list ids of one run, sharing prefixes (lst_x, lst_x_a, lst_x_ab, ...), the way a filter that matches
    prefixes would confuse them."""
    return st.lists(st.text("ab1", max_size=3), max_size=20, unique=True).map(
        lambda suffixes: [f"{base}_{s}" if s else base for s in suffixes])


def every_class(classes: dict[str, st.SearchStrategy], per_class: int, run_seed: int,
                purpose: str) -> list[tuple[str, object]]:
    """`per_class` seeded values of every named class, class by class: a batch never leaves a class out, whatever
    the seed."""
    rows = draws(st.fixed_dictionaries(classes), max(1, per_class), run_seed, purpose)
    picked: list[tuple[str, object]] = []
    for name in classes:
        for row in rows:
            if (name, row[name]) not in picked:
                picked.append((name, row[name]))
    return picked
