"""Per-area counts of a report, shared by the terminal, Markdown and HTML views."""
from __future__ import annotations

AREAS = ("create", "auth", "errors", "listing", "delete", "spec")


def area_rows(result: dict) -> list[tuple[str, int, int, int, int, int]]:
    """(area, MUST passed, MUST failed, SHOULD failed, not checked or inconclusive, observed) per area."""
    rows = []
    for area in AREAS:
        reqs = [r for r in result["requirements"] if r["area"] == area]
        rows.append((area,
                     sum(r["level"] == "MUST" and r["status"] == "passed" for r in reqs),
                     sum(r["level"] == "MUST" and r["status"] == "failed" for r in reqs),
                     sum(r["level"] == "SHOULD" and r["status"] == "failed" for r in reqs),
                     sum(r["status"] in ("not_checked", "inconclusive") for r in reqs),
                     sum(len(r["observations"]) for r in reqs)))
    return rows
