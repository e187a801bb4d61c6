"""Every deviation of the reference server, declared: the faults, one module per area of the API they break, and the
legal variants. Importing this package declares them all; the registry (conformance.mock.registry) knows none."""
from __future__ import annotations

from conformance.mock import legal  # noqa: F401 (declares the variants)
from conformance.mock.faults import (account_history, auth, content_types, create_body,  # noqa: F401
                                     create_duplicates, create_validation, delete, errors, list_content, list_paging,
                                     rate_limit)
from conformance.mock.registry import REGISTRY, Active, Deviation, faults, only, variants

__all__ = ["REGISTRY", "Active", "Deviation", "faults", "only", "variants"]
