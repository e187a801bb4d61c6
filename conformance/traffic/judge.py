"""The traffic judge: exchanges in (from a HAR file or the proxy), judgements out, and the same report as a run.

Exchanges are judged one by one as they come (the proxy feeds them live): each on its own (judgements/), then
against the ones before it (cross.py). A requirement no exchange gave evidence for is "not checked (no such
traffic)", never passed."""
from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import datetime, timezone

from conformance import judgements
from conformance.exchange import KEY_STAND_INS, REDACTED, Exchange, hide_key
from conformance.judgements import Judgement
from conformance.requirements import catalogue
from conformance.results import CaseOutcome, summarize
from conformance.traffic.cross import History

FAILURES_SHOWN = 5  # failing exchanges kept as evidence per requirement; the rest are counted
NO_TRAFFIC = "not checked (no such traffic): no exchange of the traffic shows this rule"


def account_key(exchanges: list) -> str | None:
    """The key of the account the traffic talks to: the Bearer token most answers other than 401 were given to."""
    tokens = Counter(judgements.bearer_token(e.authorization) for e in exchanges if e.status not in (None, 401))
    tokens.pop(None, None)
    if not tokens:
        tokens = Counter(judgements.bearer_token(e.authorization) for e in exchanges)
        tokens.pop(None, None)
    return tokens.most_common(1)[0][0] if tokens else None


class TrafficJudge:
    """Judges exchanges fed one at a time (`add`); `report` gives the run's report of everything so far."""

    def __init__(self, settle: float, key: str | None = None, source: str = "") -> None:
        self.key = key
        self.source = source
        self.tokens: set[str] = set()  # every Bearer token seen, all hidden from every report
        self.history = History(settle)
        self.failures: dict[str, list[tuple[Judgement, list[Exchange]]]] = {}
        self.failed_count: Counter = Counter()
        self.evidence: Counter = Counter()
        self.exchanges = 0
        self._pending_dates: list[Exchange] = []  # 2xx creates whose created_at waits for the next answer's Date
        self._lock = threading.Lock()

    # --- feeding -----------------------------------------------------------------------------------------------------
    def add(self, exchange) -> list[tuple[Judgement, list[Exchange]]]:
        """Judge one exchange (with `authorization`: its Authorization header as sent); returns the new failures."""
        with self._lock:
            new: list[tuple[Judgement, list[Exchange]]] = []
            token = judgements.bearer_token(exchange.authorization)
            if token:
                self.tokens.add(token)
            kind = judgements.key_kind(exchange.authorization, self.key, exchange.request_headers)
            self._mask(exchange)
            self.exchanges += 1
            for judgement in self._own(exchange, kind):
                self._found(judgement, [exchange], new)
            authenticated = kind == "key" or (kind == "other" and exchange.status != 401)
            self.history.take(exchange, _sent(exchange), authenticated,
                              lambda judgement, evidence: self._found(judgement, evidence, new))
            self._dates(exchange, authenticated, new)
            return new

    def _own(self, exchange, kind: str) -> list[Judgement]:
        if exchange.status is None or judgements.operation(exchange.method, exchange.url) == "update":
            return []  # an update is no documented operation: only what it changed counts (cross.py)
        out = judgements.judge_answer(exchange) + judgements.judge_auth(exchange, kind)
        if kind == "key" or (kind == "other" and exchange.status != 401):
            op = judgements.operation(exchange.method, exchange.url)
            mine = {"create": judgements.judge_create, "list": judgements.judge_list,
                    "delete": judgements.judge_delete}[op](exchange)
            if op == "create" and exchange.status in (400, 422) and self.history.holds_phone(_sent_phone(exchange)):
                # a valid body refused while a contact of the traffic holds its phone: the conflict's status is wrong
                mine = [Judgement("CREATE-409-DUPLICATE-PHONE", j.problem + " (a contact this traffic created "
                                  "holds that phone: documented is 409 conflict)")
                        if j.failed and j.requirement.startswith(("CREATE-201", "CREATE-VALID")) else j for j in mine]
            out += mine
        return out

    def _dates(self, exchange, authenticated: bool, new: list) -> None:
        """created_at against the answer's Date, forgiving a Date that lags when the next answer's Date agrees."""
        waiting, self._pending_dates = self._pending_dates, []
        for create in waiting:
            if exchange.answered_at - exchange.elapsed >= create.answered_at and exchange.headers.get("date"):
                self._judge_date(create, [exchange], new)
            else:
                self._pending_dates.append(create)
        if authenticated and judgements.operation(exchange.method, exchange.url) == "create" and \
                judgements.is_success(exchange.status) and judgements.body_known(exchange):
            self._pending_dates.append(exchange)

    def _judge_date(self, create, later: list, new: list) -> None:
        received = datetime.fromtimestamp(create.answered_at, timezone.utc)
        for judgement in judgements.judge_created_at(create, received, later):
            self._found(judgement, [create], new)

    def _found(self, judgement: Judgement, evidence: list, new: list) -> None:
        requirement = judgement.requirement
        self.evidence[requirement] += 1
        if not judgement.failed:
            return
        self.failed_count[requirement] += 1
        kept = self.failures.setdefault(requirement, [])
        if len(kept) < FAILURES_SHOWN:
            kept.append((judgement, list(evidence)))
        if self.failed_count[requirement] == 1:
            new.append((judgement, list(evidence)))

    def _mask(self, exchange) -> None:
        """The account's key as $ZEXA_API_KEY (and keys made from it as in a run); any other token as [redacted]."""
        masked = {}
        for name, value in exchange.request_headers.items():
            if self.key:
                value = hide_key(value, self.key, *KEY_STAND_INS)
            for token in self.tokens - {self.key}:
                if token not in KEY_STAND_INS:
                    value = value.replace(token, REDACTED)
            masked[name] = value
        exchange.request_headers = masked

    def redact(self, text: str) -> str:
        if not text:
            return text
        for token in sorted(self.tokens | ({self.key} if self.key else set()), key=len, reverse=True):
            text = hide_key(text, token) if len(token) > 4 else text.replace(token, REDACTED)
        return text

    # --- reporting --------------------------------------------------------------------------------------------------
    def finish(self) -> None:
        """Judge what still waits for a later answer (the created_at of the last creates)."""
        with self._lock:
            waiting, self._pending_dates = self._pending_dates, []
            for create in waiting:
                self._judge_date(create, [], [])

    def outcomes(self) -> list[CaseOutcome]:
        out = []
        for requirement in catalogue():
            failed = self.failures.get(requirement, [])
            for n, (judgement, evidence) in enumerate(failed):
                more = self.failed_count[requirement] - len(failed)
                message = judgement.problem + (f" (and {more} more exchanges break this rule)"
                                               if more and n == len(failed) - 1 else "")
                place = self.place(evidence[-1])
                out.append(CaseOutcome(case=place, nodeid=f"{self.source}#{place}",
                                       requirements=(requirement,), status="failed", message=self.redact(message),
                                       evidence=[self.evidence_of(e) for e in evidence],
                                       repro=self.redact("\n".join(e.curl() for e in evidence))
                                       if len(evidence) > 1 else None))
            if not failed:
                seen = self.evidence[requirement]
                out.append(CaseOutcome(case="traffic", nodeid=f"{self.source}#traffic", requirements=(requirement,),
                                       status="passed" if seen else "not_checked",
                                       message=f"{seen} judgements of the traffic hold" if seen else NO_TRAFFIC))
        return out

    @staticmethod
    def place(exchange) -> str:
        return f"{exchange.kind} {exchange.index}"

    def evidence_of(self, exchange) -> dict:
        where = "har_entry" if exchange.kind == "HAR entry" else "exchange"
        return {**exchange.to_dict(self.redact), where: {"index": exchange.index, "started": exchange.started}}

    def report(self, meta: dict) -> dict:
        self.finish()
        created = len(self.history.created)
        return summarize(self.outcomes(), {}, set(), {
            "mode": "traffic", "source": self.source, "target": meta.get("target"), "profile": "traffic",
            "seed": None, "run_tag": None, "requests": self.exchanges, "seconds": meta.get("seconds", 0),
            "settle": {"limit_s": self.history.settle},
            "data": {"created": created, "deleted": len(self.history.deleted), "leaked": []}, **meta})


def _sent_phone(exchange) -> object:
    return (_sent(exchange) or {}).get("phone")


def _sent(exchange) -> dict | None:
    try:
        body = json.loads(exchange.request_body or "")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
