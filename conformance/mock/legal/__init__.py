"""Legal variants of the reference server: behaviours the docs allow (each description names the sentence or the
silence that allows it), one module per area. The checker must pass every one of them clean. Importing this package
declares them all."""
from __future__ import annotations

from conformance.mock.legal import account, answers, auth, contacts, listing  # noqa: F401
