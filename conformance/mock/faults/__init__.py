"""Every deviation of the reference server, declared: the faults, one module per area of the API they break, and the
legal variants. Importing this package declares them all; the registry (conformance.mock.registry) knows none."""
from __future__ import annotations

from conformance.mock import legal
from conformance.mock.faults import (auth, content_types, create_body, create_duplicates, create_validation, delete,
                                     errors, list_content, list_paging, rate_limit)
from conformance.mock.registry import REGISTRY, Active, Deviation, faults, only, variants

AREAS = (auth, create_validation, create_duplicates, create_body, errors, rate_limit, content_types, list_paging,
         list_content, delete)
__all__ = ["AREAS", "REGISTRY", "Active", "Deviation", "faults", "legal", "only", "variants"]
