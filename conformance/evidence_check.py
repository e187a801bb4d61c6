"""Is a report's evidence what went over the wire? Each recorded request is looked up in the reference server's
own log of what it received, and each failure's repro command is sent again to a fresh server with the same fault."""
from __future__ import annotations

import base64
import json
import re
import secrets
import shutil
import subprocess
from urllib.parse import urlsplit

from conformance.exchange import KEY_STAND_INS
from conformance.mock.request_log import read
from conformance.privacy import PLACEHOLDER

MASKED = json.dumps(PLACEHOLDER).encode()
_NOT_COMPARED = {"host"}  # the one header http.client adds after the request is prepared


def _received(entry: dict) -> tuple[str, str, bytes, dict[str, str]]:
    headers = {name.lower(): value for name, value in entry["headers"]}
    return entry["method"], entry["target"], base64.b64decode(entry["body"]), headers


def _same_header(recorded: str, received: str | None) -> bool:
    """Equal as field values: surrounding whitespace is not part of one (RFC 9110 5.5), so servers drop it."""
    recorded = recorded.strip(" \t")
    if received is None:
        return False
    pieces = re.split("|".join(map(re.escape, KEY_STAND_INS)), recorded)
    if len(pieces) == 1:
        return recorded == received
    return re.fullmatch(".+".join(re.escape(piece) for piece in pieces), received) is not None


def _same_body(recorded: bytes, received: bytes) -> bool:
    """Equal, but for the values of other people's contacts the report masked: each stands for one JSON string."""
    pieces = recorded.split(MASKED)
    if len(pieces) == 1:
        return recorded == received
    return re.fullmatch(rb'"(?:[^"\\]|\\.)*"'.join(re.escape(piece) for piece in pieces), received, re.S) is not None


def _matches(request: dict, entry: tuple[str, str, bytes, dict[str, str]]) -> bool:
    method, target, body, headers = entry
    url = urlsplit(request["url"])
    sent_target = url.path + (f"?{url.query}" if url.query else "")
    sent_body = base64.b64decode(request["body_base64"]) if "body_base64" in request else (
        request["body"] or "").encode("utf-8")
    return (request["method"] == method and sent_target == target and _same_body(sent_body, body)
            and all(_same_header(v, headers.get(k.lower())) for k, v in request["headers"].items()
                    if k.lower() not in _NOT_COMPARED))


def unmatched_evidence(report: dict, log_path) -> list[str]:
    """Evidence requests of failures that the server never received as recorded."""
    try:
        received = [_received(entry) for entry in read(str(log_path))]
    except OSError:
        return ["the server's request log is missing"]
    missing = []
    for requirement in report["requirements"]:
        for failure in requirement["failures"]:
            for evidence in failure["evidence"]:
                request = evidence["request"]
                if evidence.get("error") and evidence["response"]["status"] is None:
                    continue  # never answered: it may not have arrived whole
                if not any(_matches(request, entry) for entry in received):
                    missing.append(f"{requirement['id']}: {request['method']} {request['url']}")
    return missing


def replay_statuses(report: dict, fault: str) -> dict:
    """Send each failure's first repro command to a fresh server with the same fault; compare statuses. Deletes of
    contacts the run created are left out: a fresh server never held them."""
    from conformance.mock.server import BackgroundServer
    curl = shutil.which("curl")
    if curl is None:
        raise RuntimeError("curl is required to replay repro commands (make tools installs it)")
    key = secrets.token_urlsafe(16)
    same, differ = 0, []
    with BackgroundServer(api_key=key, deviations=[fault]) as server:
        for requirement in report["requirements"]:
            for failure in requirement["failures"][:1]:
                if not failure["evidence"]:
                    continue
                evidence = failure["evidence"][0]
                request, status = evidence["request"], evidence["response"]["status"]
                if status is None or (request["method"] == "DELETE" and "missing" not in request["url"]):
                    continue
                if MASKED.decode() in (request["body"] or ""):
                    continue  # it sent another's value the report masked: the repro is not what went out
                origin = "{0.scheme}://{0.netloc}".format(urlsplit(request["url"]))
                command = evidence["curl"].replace(origin, f"http://127.0.0.1:{server.port}", 1)
                try:
                    done = subprocess.run(["bash", "-c", command + " -s -o /dev/null -w '%{http_code}'"],
                                          capture_output=True, text=True, timeout=30,
                                          env={"ZEXA_API_KEY": key, "PATH": "/usr/bin:/bin"})
                except (OSError, ValueError, subprocess.TimeoutExpired) as exc:  # a repro that cannot even run
                    differ.append(f"{requirement['id']}: the repro did not run: {type(exc).__name__}: {exc}")
                    continue
                if done.stdout.strip() == str(status):
                    same += 1
                else:
                    differ.append(f"{requirement['id']}: recorded {status}, replay {done.stdout.strip() or done.stderr[-100:]}")
    return {"same": same, "differ": differ}
