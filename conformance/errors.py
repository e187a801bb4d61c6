"""Why a request of the run was not sent, or its answer cannot be judged: the errors every layer raises."""
from __future__ import annotations

import requests


class TargetUnusable(Exception):
    """The target cannot be checked at all (unreachable, or rate-limits beyond the allowed wait)."""


class BudgetExhausted(Exception):
    pass


class RunStopping(Exception):
    """The run is ending (interrupted or finished): calls still queued side by side send nothing more."""


class NotAnswered(requests.ReadTimeout):
    """The target left a request of this kind unanswered before: it is not sent again, to bound the wait."""


class CheckerBug(RuntimeError):
    """The checker used its own machinery wrongly: no answer of the target can cause it (the run ends with exit 4)."""


class UnsafeRequest(Exception):
    """A DELETE of an id this run did not create; it is never sent."""
