"""Other people's contacts stay out of the reports: the name, phone and email of every listed contact this run did
not create are masked wherever a report would quote them (evidence, messages), their count and ids kept."""
from __future__ import annotations

import json
import re
import threading
from collections.abc import Container
from urllib.parse import urlsplit

from conformance.paging import RUN_TAG

PLACEHOLDER = "[not this run's]"
FIELDS = ("name", "phone", "email")
# A JSON string literal, or a Python one in single quotes (a message quoting a value with !r)
_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')


class OthersContacts:
    """What the run's list answers showed of contacts that are not its own, and how to mask them in a text."""

    def __init__(self, run_tag: str) -> None:
        self._run_tag = run_tag
        self._listed: dict[str, tuple[str, ...]] = {}  # id -> the values of FIELDS it was listed with
        self._sent: set[str] = set()  # values the run sent in its own creates: never another's secret
        self._borrowed: set[str] = set()  # values the run copied from another's contact to send: still theirs
        self._lock = threading.Lock()
        self._forms: frozenset[str] = frozenset()
        self._version: tuple[int, ...] = (-1,)

    def saw(self, method: str, url: str, status: int | None, request_body: str | None, text: str) -> None:
        """Take note of an exchange: a list answer's contacts, or the values of a create the run sent."""
        path = urlsplit(url).path
        if not path.endswith("/contacts"):
            return
        if method == "POST":
            body = _json(request_body)
            if isinstance(body, dict):
                with self._lock:
                    self._sent.update(v for v in (body.get(f) for f in FIELDS)
                                      if isinstance(v, str) and v not in self._borrowed)
        elif method == "GET" and status == 200:
            page = _json(text)
            items = page.get("data") if isinstance(page, dict) else None
            if not isinstance(items, list):
                return
            listed = {item["id"]: tuple(v for v in (item.get(f) for f in FIELDS) if isinstance(v, str))
                      for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)
                      and not _tagged(item, self._run_tag)}
            with self._lock:
                self._listed.update(listed)

    def borrow(self, value: str) -> None:
        """A value the run is about to send, copied from a contact that is not its own: it stays masked."""
        with self._lock:
            self._borrowed.add(value)
            self._sent.discard(value)

    def listed(self, contact_id: str) -> bool:
        """Whether a list answer showed this id as a contact that is not the run's."""
        with self._lock:
            return contact_id in self._listed

    def mask(self, text: str, ours: Container[str]) -> str:
        """The text with every quoted value of a contact that is not in `ours` (the ids the run created) replaced."""
        if not text or not self._listed:
            return text
        forms = self._quoted_forms(ours)
        if not forms:
            return text
        return _QUOTED.sub(lambda m: _placeholder(m.group()) if m.group() in forms else m.group(), text)

    def _quoted_forms(self, ours: Container[str]) -> frozenset[str]:
        """Every way a report may quote the others' values: JSON (escaped or not, `/` escaped) and Python repr."""
        with self._lock:
            version = (len(self._listed), len(ours) if hasattr(ours, "__len__") else 0, len(self._sent),
                       len(self._borrowed))
            if version != self._version:
                values = {v for cid, found in self._listed.items() if cid not in ours for v in found} - self._sent
                self._forms = frozenset(form for v in values if v for form in (
                    json.dumps(v), json.dumps(v, ensure_ascii=False), json.dumps(v).replace("/", "\\/"), repr(v)))
                self._version = version
            return self._forms


def _tagged(item: dict, run_tag: str) -> bool:
    match = RUN_TAG.search(str(item.get("name", "")))
    return match is not None and match.group(1) == run_tag


def _placeholder(quoted: str) -> str:
    return repr(PLACEHOLDER) if quoted.startswith("'") else json.dumps(PLACEHOLDER)


def _json(text: str | None) -> object:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None
