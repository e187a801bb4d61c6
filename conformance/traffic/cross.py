"""Exchanges judged against each other, in the order they were sent: only what the traffic makes certain. Other
clients may write to the account meanwhile, so nothing is claimed that such a write could explain (a contact
missing from a list, a 409, a total); what no other client can cause is: a contact changed between its create and a
list, a deleted id listed again past the settle time, a deleted id deleted once more with success, one id given to
two creates."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from conformance.exchange import Exchange
from conformance.judgements import GATEWAY, Judgement, created_id, is_success, operation, page_of, path_id, query
from conformance.model import Contact, check_item

Found = Callable[[Judgement, list[Exchange]], None]


@dataclass
class History:
    """What the traffic so far made certain: the contacts its creates made, and the ids its deletes removed."""
    settle: float
    created: dict[str, tuple[Exchange, dict]] = field(default_factory=dict)  # id -> its create and what it sent
    deleted: dict[str, Exchange] = field(default_factory=dict)  # id -> the delete that removed it (2xx)
    updated: set[str] = field(default_factory=set)  # ids the traffic sent a PATCH or PUT: listed as changed, rightly

    def take(self, exchange: Exchange, sent: dict | None, authenticated: bool, found: Found) -> None:
        """Judge one exchange against what came before it, then remember what it makes certain. `sent` is the
        create's body as an object (None when it was not one)."""
        op = operation(exchange.method, exchange.url)
        if op == "update":
            self.updated.add(path_id(exchange.url))
            return
        if not authenticated or exchange.status is None or op is None:
            return
        if op == "create":
            self._create(exchange, sent, found)
        elif op == "list":
            self._list(exchange, found)
        else:
            self._delete(exchange, found)

    def holds_phone(self, phone: object) -> bool:
        """Whether a contact the traffic created with this phone was not deleted by the traffic (another client
        may have deleted it since)."""
        return any(sent.get("phone") == phone for contact_id, (_, sent) in self.created.items()
                   if contact_id not in self.deleted)

    def _create(self, exchange: Exchange, sent: dict | None, found: Found) -> None:
        contact_id = created_id(exchange)
        if contact_id is None:
            return
        if contact_id in self.created:
            earlier = self.created[contact_id][0]
            found(Judgement("CREATE-ID-UNIQUE", f"two creates answered the id {contact_id}"), [earlier, exchange])
        else:
            found(Judgement("CREATE-ID-UNIQUE"), [exchange])
        self.created[contact_id] = (exchange, sent or {})

    def _list(self, exchange: Exchange, found: Found) -> None:
        page = page_of(exchange)
        if page is None:
            return
        data, meta = page
        filtered = "list_id" in query(exchange.url)
        started = _started(exchange)
        whole = meta.get("page") == 1 and isinstance(meta.get("total"), int) and meta["total"] <= len(data)
        shown = set()
        for item in data:
            item_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(item_id, str):
                continue
            shown.add(item_id)
            made = self.created.get(item_id)
            if made is not None and made[0].answered_at <= started and item_id not in self.updated:
                create, sent = made
                answer = create.json_or_none()
                contact = Contact(sent, answer, tuple(sent.get("lists") or ()))
                problems = check_item(contact, item, exchange)
                found(Judgement("LIST-ITEM-MATCHES-CREATE", problems[0].message if problems else ""),
                      [create, exchange])
                wanted = ["id", "name", "phone", "created_at"] + (["email"] if sent.get("email") else [])
                missing = [name for name in wanted if item.get(name) is None]
                found(Judgement("LIST-ITEM-FIELDS", f"contact {item_id} is listed without {', '.join(missing)}"
                                if missing else ""), [create, exchange])
        rule = "DELETE-REMOVED-FROM-LISTS" if filtered else "DELETE-GONE-FROM-LIST"
        for contact_id, delete in self.deleted.items():
            if delete.answered_at + self.settle > started:
                continue
            if contact_id in shown:
                found(Judgement(rule, f"{contact_id} is listed {started - delete.answered_at:.1f} s after its DELETE "
                                      f"answered {delete.status} (settle time {self.settle:g} s)"
                                + (" under a list filter" if filtered else "")), [delete, exchange])
            elif whole:
                found(Judgement(rule), [delete, exchange])

    def _delete(self, exchange: Exchange, found: Found) -> None:
        status, contact_id = exchange.status, path_id(exchange.url)
        if status in (401, 429) or status in GATEWAY or status >= 500 or contact_id is None:
            return
        earlier = self.deleted.get(contact_id)
        if earlier is not None and earlier.answered_at <= _started(exchange):
            found(Judgement("DELETE-404-AFTER-DELETE", "" if status == 404 else
                            f"{contact_id}, deleted already ({earlier.status}), was deleted again with {status}: "
                            f"{exchange.text[:200]!r} (documented: 404, no contact with the id exists)"),
                  [earlier, exchange])
            return
        if 400 <= status < 500:
            if status != 404:
                found(Judgement("DELETE-404-UNKNOWN-ID", f"DELETE of {contact_id!r} answered {status}: "
                                f"{exchange.text[:200]!r} (documented: 204 when the contact exists, 404 when no "
                                "contact with the id exists)"), [exchange])
            elif contact_id not in self.created:
                found(Judgement("DELETE-404-UNKNOWN-ID"), [exchange])
        if is_success(status):
            self.deleted.setdefault(contact_id, exchange)


def _started(exchange: Exchange) -> float:
    return exchange.answered_at - exchange.elapsed


def judge_all(ordered: Iterable[tuple[Exchange, dict | None, bool]], settle: float, found: Found) -> History:
    history = History(settle)
    for exchange, sent, authenticated in ordered:
        history.take(exchange, sent, authenticated, found)
    return history
