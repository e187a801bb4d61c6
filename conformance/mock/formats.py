"""What the reference server takes as a valid phone, list id and email: shared by the app and by the faults that
loosen or tighten one of these checks."""
from __future__ import annotations

import re

# Used with fullmatch: `re.match` with a `$` would also take the value followed by a newline
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
LIST_ID = re.compile(r"lst_[A-Za-z0-9_]+")
EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
EMAIL_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?")


def email_is_valid(email: str) -> bool:
    """Dot-atom addresses with a dotted domain; quoted local parts and IP literals are not accepted."""
    local, at, domain = email.rpartition("@")
    if not at or len(email) > 254 or len(local) > 64:
        return False
    labels = domain.split(".")
    return bool(EMAIL_LOCAL.fullmatch(local)) and len(labels) >= 2 and all(EMAIL_LABEL.fullmatch(l) for l in labels)
