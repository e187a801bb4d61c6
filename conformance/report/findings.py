"""The failures of a report in the order they were seen, the headline, and their grouping by root cause."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    requirement: dict
    failure: dict
    rank: int  # place in the run when the report has it, else catalogue order

    @property
    def root_cause(self) -> str | None:
        return self.failure.get("root_cause")


def findings(result: dict) -> list[Finding]:
    """Every failure of every failed requirement, first seen first."""
    flat = [(req, failure) for req in result["requirements"] if req["status"] == "failed"
            for failure in req["failures"]]
    ranked = [Finding(req, failure, failure.get("order", i)) for i, (req, failure) in enumerate(flat)]
    return sorted(ranked, key=lambda f: f.rank)


def headline(result: dict) -> Finding | None:
    """The first violation that fails the gate, or the first finding at all when none does."""
    seen = findings(result)
    return next((f for f in seen if f.requirement["gating"]), seen[0] if seen else None)


def groups(result: dict) -> list[list[Finding]]:
    """Findings that share a cause: the same first request (method, URL, body), or a `root_cause` naming another
    failed requirement. A finding's own requirement joins its other failures."""
    seen = findings(result)
    parent: dict[object, object] = {}

    def find(node: object) -> object:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    for index, finding in enumerate(seen):
        find(index)
        keys = [("requirement", finding.requirement["id"])]
        if finding.root_cause:
            keys.append(("requirement", finding.root_cause))
        if finding.failure["evidence"]:
            request = finding.failure["evidence"][0]["request"]
            keys.append(("request", request["method"], request["url"], request["body"]))
        for key in keys:
            parent[find(key)] = find(index)
    grouped: dict[object, list[Finding]] = {}
    for index, finding in enumerate(seen):
        grouped.setdefault(find(index), []).append(finding)
    return [_cause_first(group) for group in grouped.values()]


def _cause_first(group: list[Finding]) -> list[Finding]:
    """The named root cause leads its group; otherwise the first finding seen does."""
    named = {f.root_cause for f in group if f.root_cause and f.root_cause != f.requirement["id"]}
    return sorted(group, key=lambda f: (f.requirement["id"] not in named, f.rank))
