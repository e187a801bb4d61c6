"""The requirement catalogue (requirements.yaml) as plain data."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from conformance import resources

LEVELS = ("MUST", "SHOULD", "MAY")


@dataclass(frozen=True)
class Requirement:
    id: str
    level: str
    area: str
    doc: str
    cases: tuple[str, ...]
    needs_state: bool = False  # holds only on a target that keeps what it is sent; the contract profile skips it
    needs_in_flight: int = 1  # requests that must be in flight together to judge it (a race needs two)
    judged_in: str = ""  # the one file (from the repository's root) where the rule is judged

    @property
    def gates(self) -> bool:
        """Only a MUST failure fails the gate; SHOULD findings and MAY observations are reported."""
        return self.level == "MUST"


@cache
def catalogue() -> dict[str, Requirement]:
    entries = resources.load(resources.CATALOGUE_NAME)["requirements"]
    return {e["id"]: Requirement(e["id"], e["level"], e["area"], e["doc"], tuple(e["cases"]), e.get("needs_state", False),
                                 e.get("needs_in_flight", 1), e["judged_in"])
            for e in entries}
