"""report.html: one self-contained page — verdict banner, requirement matrix, and each failure with its evidence."""
from __future__ import annotations

import json
from html import escape

from conformance.report.areas import AREAS

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2327;background:#f6f7f7}
main{max-width:1100px;margin:auto;padding:1rem 1.5rem}
.banner{padding:1.2rem 1.5rem;color:#fff;font-size:1.4rem;font-weight:600}
.banner.pass{background:#1e7d32}.banner.fail{background:#b3261e}.banner.unusable,.banner.interrupted{background:#8a5a00}
.meta{font-size:.9rem;opacity:.9;font-weight:400}
table{border-collapse:collapse;width:100%;background:#fff;margin:.5rem 0 1.5rem}
th,td{border:1px solid #dcdcde;padding:.35rem .5rem;text-align:left;vertical-align:top}
td.status{font-weight:600;white-space:nowrap}
tr.failed td.status{background:#fde7e9;color:#8c1d18}tr.passed td.status{background:#e7f5ea;color:#1e5e28}
tr.not_checked td.status,tr.inconclusive td.status{background:#f0f0f1;color:#50575e}
tr.baselined td.status{background:#fff4d6;color:#7a5300}
.failure{background:#fff;border-left:4px solid #b3261e;padding:.6rem 1rem;margin:1rem 0}
pre{background:#1d2327;color:#f0f0f1;padding:.6rem;overflow:auto;white-space:pre-wrap;word-break:break-all}
.doc{font-style:italic;color:#50575e}
"""


def _status_cell(req: dict) -> str:
    label = "known (baseline)" if req["baselined"] else req["status"].replace("_", " ")
    if req["status"] == "failed" and not req["gating"] and not req["baselined"]:
        label = f"failed ({req['level']}, not gating)"
    return escape(label)


def _matrix(result: dict) -> str:
    rows = []
    for area in AREAS:
        for req in (r for r in result["requirements"] if r["area"] == area):
            css = "baselined" if req["baselined"] else req["status"]
            notes = "; ".join(req["why_not_checked"] + req["observations"])
            rows.append(f'<tr class="{css}" id="row-{escape(req["id"])}"><td>{escape(area)}</td>'
                        f'<td><a href="#fail-{escape(req["id"])}">{escape(req["id"])}</a></td><td>{req["level"]}</td>'
                        f'<td class="status">{_status_cell(req)}</td><td>{escape(notes)}</td></tr>')
    return ('<table id="matrix"><thead><tr><th>area</th><th>requirement</th><th>level</th><th>status</th>'
            '<th>notes</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")


def _evidence(evidence: dict) -> str:
    request, response = evidence["request"], evidence["response"]
    request_text = f"{request['method']} {request['url']}\n" + "\n".join(
        f"{k}: {v}" for k, v in request["headers"].items()) + (f"\n\n{request['body']}" if request["body"] else "")
    response_text = evidence["error"] or (f"{response['status']}\n" + "\n".join(
        f"{k}: {v}" for k, v in response["headers"].items()) + f"\n\n{response['body']}")
    return (f"<h4>Request</h4><pre>{escape(request_text)}</pre><h4>Response</h4><pre>{escape(response_text)}</pre>"
            f"<h4>Reproduce</h4><pre>{escape(evidence['curl'])}</pre>")


def _failures(result: dict) -> str:
    blocks = []
    for req in (r for r in result["requirements"] if r["status"] == "failed"):
        for failure in req["failures"]:
            evidence = _evidence(failure["evidence"][0]) if failure["evidence"] else "<p>No request evidence.</p>"
            blocks.append(f'<section class="failure" id="fail-{escape(req["id"])}"><h3>{escape(req["id"])} '
                          f'<small>({req["level"]}, case {escape(failure["case"])})</small></h3>'
                          f'<p class="doc">Docs: {escape(req["doc"])}</p><pre>{escape(failure["message"])}</pre>'
                          f"{evidence}</section>")
    return "".join(blocks) or "<p>No failures.</p>"


def _headline_failures(result: dict) -> str:
    failed = [r for r in result["requirements"] if r["status"] == "failed"]
    if not failed:
        return ""
    items = "".join(f'<li><a href="#fail-{escape(r["id"])}">{escape(r["id"])}</a> ({r["level"]}'
                    f'{", baselined" if r["baselined"] else ""}): {escape(r["failures"][0]["message"].splitlines()[0][:160])}'
                    "</li>" for r in failed if r["failures"])
    return f'<h2>What failed</h2><ul id="failed-list">{items}</ul>'


def render(result: dict) -> str:
    data = result.get("data", {})
    verdict = result["verdict"]
    headline = {"pass": "PASS — no MUST requirement failed", "fail": "FAIL — MUST requirements failed",
                }.get(verdict, verdict.upper())
    meta = (f"{escape(str(result.get('target')))} · profile {escape(str(result.get('profile')))} · "
            f"seed {result.get('seed')} · {result.get('requests')} requests in {result.get('seconds')} s · "
            f"created {data.get('created')}, deleted {data.get('deleted')}, leaked {len(data.get('leaked', []))}")
    extra = f"<p><strong>{escape(result['unusable'])}</strong></p>" if result.get("unusable") else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Conformance: {escape(verdict)}'
            f"</title><style>{STYLE}</style></head><body>"
            f'<div class="banner {escape(verdict)}" id="verdict">{escape(headline)}<div class="meta">{meta}</div></div>'
            f"<main>{extra}{_headline_failures(result)}<h2>Requirements</h2>{_matrix(result)}<h2>Failures</h2>{_failures(result)}"
            f'<script type="application/json" id="report-data">{escape(json.dumps({"verdict": verdict}))}</script>'
            "</main></body></html>")
