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
    # Ids a create answered that were there before it: listed as another's before the create was sent (never
    # deleted), or made days before it was sent (not deleted once another create's answer showed the target's clock
    # right: a clock stuck days behind makes every answer old, an upsert only some)
    not_ours: set[str] = field(default_factory=set)
    made_before: set[str] = field(default_factory=set)
    clock_right: bool = False
    others_answered: list[Exchange] = field(default_factory=list)  # creates that answered an id listed as another's
    uncertain_creates: int = 0  # POSTs whose outcome is unknown (no answer, or no id in a 2xx): may have created
    hangs: dict[str, float] = field(default_factory=dict)  # request kind the target never answered -> seconds waited
    resent: int = 0  # requests dropped unanswered on a kept-alive connection and sent once more
    rate_limit_answers: list[Exchange] = field(default_factory=list)  # the first 429s, as they came

    @property
    def live(self) -> list[str]:
        return [i for i in self.created if i not in self.deleted and not self.theirs(i)]

    def theirs(self, contact_id: str) -> bool:
        """Whether a create answered this id for a contact that is not the run's, so it must never be deleted."""
        return contact_id in self.not_ours or (self.clock_right and contact_id in self.made_before)
