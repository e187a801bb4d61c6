"""GET /contacts judged on one answer: the list body's shape (data and meta, the one reading of it that cases, the
model and the traffic judge share), the paging defaults, per_page's maximum, and meta against what was asked."""
from __future__ import annotations

import json

from conformance.judgements.http import Judgement, body_known, query, whole

DEFAULT_PAGE, DEFAULT_PER_PAGE, MAX_PER_PAGE = 1, 50, 100


def page_of(exchange) -> tuple[list, dict] | None:
    """data and meta of a 200 list answer of the documented shape, else None."""
    body = exchange.json_or_none()
    if exchange.status != 200 or not isinstance(body, dict):
        return None
    data, meta = body.get("data"), body.get("meta")
    if not isinstance(data, list) or not isinstance(meta, dict):
        return None
    return data, meta


def meta_of(exchange) -> dict | None:
    """The meta object of a list answer, whatever its status and data; None when the body has none."""
    body = exchange.json_or_none()
    return body.get("meta") if isinstance(body, dict) and isinstance(body.get("meta"), dict) else None


def items_of(exchange) -> list | None:
    """The data array of a list answer, whatever its status and meta; None when the body has none."""
    body = exchange.json_or_none()
    return body.get("data") if isinstance(body, dict) and isinstance(body.get("data"), list) else None


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def judge_list(exchange) -> list[Judgement]:
    """An authenticated list: its shape, the paging defaults, per_page's maximum, and meta against what was asked."""
    params = query(exchange.url)
    per_page_asked = whole(params.get("per_page"))
    status = exchange.status
    out = []
    # only a first page asked for nothing else: a deep page or another parameter may be refused for itself
    first_page_only = set(params) <= {"page", "per_page"} and whole(params.get("page", "1")) == 1
    if per_page_asked == MAX_PER_PAGE and status in (400, 422) and first_page_only:
        out.append(Judgement("LIST-PER-PAGE-MAX-100", f"per_page={MAX_PER_PAGE}, the documented maximum, was "
                                                      f"refused with {status}: {exchange.text[:200]}"))
    if status != 200 or not body_known(exchange):
        return out
    body = exchange.json_or_none()
    page = page_of(exchange)
    if page is None or not all(_integer(page[1].get(n)) for n in ("total", "page", "per_page")):
        return out + [Judgement("LIST-RESPONSE-SHAPE", "a 200 list is not an object with a data array and a meta "
                                f"object of integers total, page and per_page: {json.dumps(body)[:300]}")]
    data, meta = page
    out.append(Judgement("LIST-RESPONSE-SHAPE"))
    if "page" not in params and "per_page" not in params:
        problem = "" if meta["page"] == DEFAULT_PAGE and meta["per_page"] == DEFAULT_PER_PAGE and len(
            data) <= DEFAULT_PER_PAGE else (f"without page and per_page, meta says page {meta['page']}, per_page "
                                            f"{meta['per_page']} and data holds {len(data)} (documented defaults: "
                                            f"page 1, per_page 50)")
        out.append(Judgement("LIST-DEFAULT-PAGING", problem))
    elif "per_page" not in params:
        out.append(Judgement("LIST-DEFAULT-PAGING", "" if meta["per_page"] == DEFAULT_PER_PAGE else
                             f"without per_page, meta says per_page {meta['per_page']} (documented default: 50)"))
    elif "page" not in params:
        out.append(Judgement("LIST-DEFAULT-PAGING", "" if meta["page"] == DEFAULT_PAGE else
                             f"without page, meta says page {meta['page']} (documented default: 1)"))
    if per_page_asked is not None and per_page_asked > MAX_PER_PAGE:
        problem = "" if meta["per_page"] <= MAX_PER_PAGE and len(data) <= MAX_PER_PAGE else (
            f"per_page={per_page_asked} was honoured (meta per_page {meta['per_page']}, {len(data)} contacts): "
            f"the maximum is {MAX_PER_PAGE}")
        out.append(Judgement("LIST-PER-PAGE-MAX-100", problem))
    elif per_page_asked == MAX_PER_PAGE:
        out.append(Judgement("LIST-PER-PAGE-MAX-100", "" if meta["per_page"] == MAX_PER_PAGE else
                             f"per_page=100 (the documented maximum) answered meta per_page {meta['per_page']}"))
    problems = []
    page_asked = whole(params.get("page"))
    if page_asked is not None and page_asked >= 1 and meta["page"] != page_asked:
        problems.append(f"page={page_asked} answered meta page {meta['page']}")
    if per_page_asked is not None and 1 <= per_page_asked <= MAX_PER_PAGE and meta["per_page"] != per_page_asked:
        problems.append(f"per_page={per_page_asked} answered meta per_page {meta['per_page']}")
    if len(data) > meta["per_page"]:
        problems.append(f"the page holds {len(data)} contacts, more than its meta per_page {meta['per_page']}")
    out.append(Judgement("LIST-META-DESCRIBES-PAGE", "; ".join(problems)))
    ids = [item.get("id") for item in data if isinstance(item, dict) and isinstance(item.get("id"), str)]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    out.append(Judgement("LIST-PAGES-PARTITION", f"one page shows {', '.join(repeated)} more than once"
                         if repeated else ""))
    return out

