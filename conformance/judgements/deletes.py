"""DELETE /contacts/{id} judged on one answer: a successful deletion is 204 with an empty body (what a 4xx says is
judged against the history, in traffic/cross.py and the model)."""
from __future__ import annotations

from conformance.judgements.http import Judgement, body_known, is_success


def judge_delete(exchange) -> list[Judgement]:
    """An authenticated delete answered 2xx: 204 with no body (what a 4xx says is judged against the history)."""
    status = exchange.status
    if not is_success(status):
        return []
    if status != 204:
        return [Judgement("DELETE-204-EMPTY-BODY", f"a successful deletion answered {status} (documented: 204 No "
                                                   f"Content with an empty body): {exchange.text[:200]!r}")]
    if body_known(exchange) and exchange.text:
        return [Judgement("DELETE-204-EMPTY-BODY", f"a 204 came with a body: {exchange.text[:200]!r}")]
    return [Judgement("DELETE-204-EMPTY-BODY")]

