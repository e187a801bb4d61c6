"""Faults of the API key check: which keys are taken, what a refusal says, and whether it comes first."""
from __future__ import annotations

from conformance.mock.registry import fault, only


fault("any_key_accepted", "Any Bearer key is accepted, not only the account's.",
      only("key_valid", lambda valid, **_: True), "AUTH-401-INVALID-KEY")
fault("invalid_key_is_403", "A wrong key gets 403 forbidden instead of 401.",
      only("auth_failure_status", lambda s, reason, **_: 403 if reason == "invalid" else s), "AUTH-401-INVALID-KEY")
fault("key_compared_by_prefix", "Only the first 8 characters of the key are compared.",
      only("key_valid", lambda valid, key, expected, **_: valid or key[:8] == expected[:8]), "AUTH-401-INVALID-KEY")
fault("key_compared_case_insensitively", "Keys are compared ignoring case (a column with a case-insensitive "
      "collation).", only("key_valid", lambda valid, key, expected, **_: valid or key.lower() == expected.lower()),
      "AUTH-401-INVALID-KEY")
fault("invalid_key_accepted_on_list", "GET /contacts accepts any key (only a missing one gets 401).",
      only("key_valid", lambda valid, operation, **_: valid or operation == "list"), "AUTH-401-INVALID-KEY")
fault("missing_key_allowed_on_list", "GET /contacts without Authorization answers 200.",
      only("auth_required", lambda required, operation, **_: required and operation != "list"),
      "AUTH-401-MISSING-KEY")
fault("delete_skips_auth", "DELETE runs without checking the key.",
      only("auth_required", lambda required, operation, **_: required and operation != "delete"),
      "AUTH-401-MISSING-KEY")
fault("missing_key_is_403", "A request without Authorization gets 403 forbidden instead of 401.",
      only("auth_failure_status", lambda s, reason, **_: 403 if reason == "missing" else s), "AUTH-401-MISSING-KEY")
fault("validates_before_auth", "Create validates the body before the key check (a bad body gets 400/422 "
      "unauthenticated).", only("auth_first", lambda first, operation, **_: first and operation != "create"),
      "AUTH-401-BEFORE-VALIDATION")
fault("unknown_id_404_before_auth", "DELETE looks the id up before the key check: an unknown id gets 404 "
      "unauthenticated.", only("auth_first", lambda first, operation, **_: first and operation != "delete"),
      "AUTH-401-BEFORE-VALIDATION")
fault("paging_validated_before_auth", "GET /contacts validates page/per_page before the key check.",
      only("auth_first", lambda first, operation, **_: first and operation != "list"), "AUTH-401-BEFORE-VALIDATION")
