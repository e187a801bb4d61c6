"""One request and its response as plain data, and how evidence shows it: redacted for a report, and as a curl (or
printf | curl) command that sends it again."""
from __future__ import annotations

import base64
import json as jsonlib
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

REDACTED = "[redacted]"
KEY_VARIABLE = "$ZEXA_API_KEY"  # how evidence and repro commands show the run's key: the reader's own shell fills it in
KEY_BUT_LAST = "${ZEXA_API_KEY%?}"  # the key without its last character (keys forged from the real one start so)
KEY_SWAPPED = '$(printf %s "$ZEXA_API_KEY" | tr a-zA-Z A-Za-z)'  # the key with its letters' case swapped
KEY_BASIC = '$(printf %s: "$ZEXA_API_KEY" | base64)'  # the key as Basic credentials (user name, no password)
KEY_STAND_INS = (KEY_VARIABLE, KEY_BUT_LAST, KEY_SWAPPED, KEY_BASIC)  # what evidence shows for the key and its forms


@dataclass(eq=False)
class Exchange:
    """One request and its response as plain data. Cases judge the raw data; only the Authorization header is
    masked here, and everything else is redacted when written out (`to_dict`)."""
    method: str
    url: str  # as sent: with the query string
    request_headers: dict[str, str]  # as sent, the run's key shown as $ZEXA_API_KEY
    request_body: str | None
    request_bytes: bytes | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""
    truncated: bool = False
    not_utf8: bool = False  # the body's bytes are not UTF-8 (text holds them decoded by the declared charset)
    elapsed: float = 0.0
    answered_at: float = 0.0  # time.monotonic() when the answer was read
    error: str | None = None
    unanswered: bool = False  # the target never answered (read timeout), or a request of its kind hung before
    resent: str | None = None  # why the first send got no answer, when it was sent once more (see session.py)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json_or_none(self) -> Any:
        try:
            return jsonlib.loads(self.text)
        except ValueError:
            return None

    def curl(self, redact: Callable[[str], str] = lambda text: text) -> str:
        """A command that sends this request again, runnable as pasted (the key comes from $ZEXA_API_KEY); a text
        body passes through `redact` before it is quoted for the shell, where a redaction could no longer find the
        values inside it."""
        parts = ["curl", "-i", "-X", self.method, shlex.quote(self.url)]
        for name, value in self.request_headers.items():
            if name.lower() in ("content-length", "user-agent", "accept-encoding", "connection") or (
                    name.lower() == "accept" and value == "*/*"):
                continue  # curl sets these itself (an Accept of its own is part of the request)
            parts += ["-H", _shell_word(f"{name}: {value}")]
        binary = self._binary_body()
        if binary is not None:  # bytes that are not text: printf writes them, curl reads them from its stdin
            return f"printf {shlex.quote(_printf_escaped(binary))} | " + " ".join(parts + ["--data-binary", "@-"])
        if self.request_body is not None:
            parts += ["--data-binary", shlex.quote(redact(self.request_body))]
        return " ".join(parts)

    def _binary_body(self) -> bytes | None:
        """The body as sent, when it is not UTF-8 text (a text rendering of it would not be what went out) or holds
        a NUL byte (no shell word can)."""
        if self.request_bytes is None:
            return None
        try:
            self.request_bytes.decode("utf-8")
        except UnicodeDecodeError:
            return self.request_bytes
        return self.request_bytes if b"\x00" in self.request_bytes else None

    def to_dict(self, redact: Callable[[str], str]) -> dict:
        """The exchange for a report, with the key redacted from every text."""
        return {"request": {"method": self.method, "url": redact(self.url),
                            "headers": {k: redact(v) for k, v in self.request_headers.items()},
                            "body": redact(self.request_body) if self.request_body is not None else None,
                            **({"body_base64": base64.b64encode(binary).decode()}
                               if (binary := self._binary_body()) is not None else {})},
                "response": {"status": self.status, "headers": {k: redact(v) for k, v in self.headers.items()},
                             # redacted whole, then cut: a value cut in two would escape its mask
                             "body": redact(self.text)[:4000], "truncated": self.truncated,
                             "elapsed_s": round(self.elapsed, 3)},
                "error": redact(self.error) if self.error else None, "curl": redact(self.curl(redact)),
                **({"resent": self.resent} if self.resent else {})}


def hide_key(text: str, key: str, whole: str = REDACTED, but_last: str = REDACTED, swapped: str = REDACTED,
             basic: str = REDACTED) -> str:
    """text with the key, the key with its letters' case swapped, the key cut one short, and the key as Basic
    credentials replaced (base64 hides nothing: anyone decodes it)."""
    text = text.replace(base64.b64encode(f"{key}:".encode()).decode(), basic).replace(key, whole)
    if key.swapcase() != key:
        text = text.replace(key.swapcase(), swapped)
    return text.replace(key[:-1], but_last) if len(key) > 4 else text


def _printf_escaped(data: bytes) -> str:
    """A printf format that writes exactly `data` (octal escapes for every byte that is not plain ASCII)."""
    return "".join(chr(b) if 32 <= b < 127 and chr(b) not in "%\\" else f"\\{b:03o}" for b in data)


def _shell_word(text: str) -> str:
    """Quote text for a POSIX shell, leaving the key's stand-ins ($ZEXA_API_KEY and keys made from it) to be
    expanded."""
    pieces = re.split(f"({'|'.join(map(re.escape, KEY_STAND_INS))})", text)
    return "".join(f'"{p}"' if p in KEY_STAND_INS else shlex.quote(p) if p else ""
                   for p in pieces) or "''"

