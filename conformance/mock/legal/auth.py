"""Legal variants of how the API key is read and a 401 answered."""
from __future__ import annotations

import re

from starlette.responses import Response

from conformance.mock.registry import only, variant


def _www_authenticate(answer: Response) -> Response:
    if answer.status_code == 401:
        answer.headers["www-authenticate"] = 'Bearer realm="zexa"'
    return answer


variant("bearer_spelt_exactly", "Only `Bearer <key>` spelt exactly as the docs write it is read: another letter "
        "case of the scheme or more than one space is a missing key, 401 (the docs write one spelling).",
        only("credentials", lambda header, **_: header if re.fullmatch(r"Bearer [^ \t]+", header) else ""))
variant("x_api_key_accepted", "A request without Authorization may carry the key in X-API-Key (the docs name "
        "Authorization and say nothing of other headers).",
        only("credentials", lambda header, request, **_: header or (
            f"Bearer {request.headers['x-api-key']}" if request.headers.get("x-api-key") else header)))
variant("www_authenticate_on_401", "401 answers carry WWW-Authenticate: Bearer realm=\"zexa\" (RFC 9110 asks for "
        "it; extra headers are allowed).",
        only("response", lambda answer, **_: _www_authenticate(answer)))
variant("bearer_removed_everywhere", "The key is read as header.replace('Bearer ', ''), a common idiom, so 'Bearer "
        "Bearer <key>' is taken as the key (the docs name the header, not how it is parsed).",
        only("credentials", lambda header, **_: f"Bearer {header.replace('Bearer ', '')}"
             if header.startswith("Bearer ") else header))
