"""Walk the pages of GET /contacts, bounded in requests, noticing when someone else changes the data mid-walk;
and the run tag in contact names by which a walk finds one run's contacts."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from conformance.judgements import page_of
from conformance.judgements.http import as_key

RUN_TAG = re.compile(r"\[zxconf ([0-9a-f]+)\]")


def tag_name(name: str, run_tag: str) -> str:
    return f"{name} [zxconf {run_tag}]"


def tag_first(name: str, run_tag: str) -> str:
    """The name with the run tag before it (the tag is found anywhere in a name): the name's end is kept."""
    return f"[zxconf {run_tag}] {name}"


def tagged_ids(items: list[dict], run_tag: str | None) -> list[str]:
    """Ids of contacts whose name carries a checker run tag (that tag only, unless run_tag is None)."""
    ids = []
    for item in items:
        match = RUN_TAG.search(str(item.get("name", "")))
        if match and (run_tag is None or match.group(1) == run_tag) and isinstance(item.get("id"), str):
            ids.append(item["id"])
    return list(dict.fromkeys(ids))


@dataclass
class Walk:
    items: list[dict] = field(default_factory=list)  # in the order seen, duplicates kept
    totals: list[int] = field(default_factory=list)
    pages: int = 0
    inconclusive: str = ""
    last: object = None

    @property
    def ids(self) -> list[str]:
        return [as_key(item.get("id")) for item in self.items]


def walk(client, *, list_id: str | None = None, per_page: int, max_pages: int) -> Walk:
    """Page 1 first; once meta.total tells how many pages there are, the rest side by side (judged in page order)."""
    result = Walk()
    params = {"per_page": per_page, **({"list_id": list_id} if list_id else {})}
    first = client.list(page=1, **params)
    if not _take(result, first, 1):
        return result
    last_page = max(1, math.ceil(result.totals[0] / per_page))
    if last_page > max_pages:
        result.inconclusive = f"{result.totals[0]} contacts need {last_page} pages, more than the {max_pages} allowed"
        return result
    pages = range(2, last_page + 1)
    answers = client.gather([lambda page=page: client.list(page=page, **params) for page in pages])
    for page, exchange in zip(pages, answers):
        if not _take(result, exchange, page):
            return result
    return result


def _take(result: Walk, exchange, page: int) -> bool:
    """Add one page to the walk; False (with the reason) when it cannot be read or the data changed mid-walk."""
    result.last, result.pages = exchange, result.pages + 1
    page_read = page_of(exchange)
    if page_read is None or not isinstance(page_read[1].get("total"), int):
        result.inconclusive = f"page {page} answered {exchange.status} without data and meta.total"
        return False
    data, meta = page_read
    result.totals.append(meta["total"])
    result.items += [item for item in data if isinstance(item, dict)]
    if len(set(result.totals)) > 1:
        result.inconclusive = f"meta.total changed mid-walk ({result.totals}): someone else changed the data"
        return False
    return True
