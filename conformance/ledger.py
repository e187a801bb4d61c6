"""What the run created and deleted (the only ids it may ever DELETE), and what it asked of the target."""
from __future__ import annotations

from dataclasses import dataclass, field

from conformance.exchange import Exchange


@dataclass
class Ledger:
    """What the run created and deleted, and what it asked of the target."""
    created: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    unknown_ids: set[str] = field(default_factory=set)
    requests: int = 0
    rate_limited: int = 0
    rate_limit_wait_s: float = 0.0
    lowest_limit: int = 0  # the lowest in-flight bound 429s pushed the run to (0: never lowered)
    settle_waits: list[float] = field(default_factory=list)  # seconds waited for a list to show a write
    repeated_ids: list[Exchange] = field(default_factory=list)  # creates that answered an id an earlier one had
    # Ids a create answered that were there before it (listed as another's, or made days before): never deleted
    not_ours: set[str] = field(default_factory=set)
    others_answered: list[Exchange] = field(default_factory=list)  # creates that answered an id listed as another's
    uncertain_creates: int = 0  # POSTs whose outcome is unknown (no answer, or no id in a 2xx): may have created
    hangs: dict[str, float] = field(default_factory=dict)  # request kind the target never answered -> seconds waited
    resent: int = 0  # requests dropped unanswered on a kept-alive connection and sent once more
    rate_limit_answers: list[Exchange] = field(default_factory=list)  # the first 429s, as they came

    @property
    def live(self) -> list[str]:
        return [i for i in self.created if i not in self.deleted and i not in self.not_ours]
