"""report.html: one self-contained page that opens on what failed, in the API's words, grouped by root cause."""
from __future__ import annotations

import json
from html import escape

from conformance.report.areas import AREAS
from conformance.report.findings import Finding, groups, headline
from conformance.report.wording import completeness_lines, case_title, doc_source, plain_curl, plain_message, plain_notes, request_headers

STYLE = """
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2327;background:#f6f7f7;overflow-wrap:anywhere}
main{max-width:1100px;margin:auto;padding:1rem}
h2{margin:1.6rem 0 .6rem}h3{margin:.2rem 0 .5rem}h4{margin:.8rem 0 .3rem;font-size:.95rem}
.banner{padding:1rem;color:#fff;font-size:1.35rem;font-weight:600}
.banner.pass{background:#1e7d32}.banner.fail{background:#b3261e}
.banner.unusable,.banner.interrupted,.banner.error,.banner.partial{background:#8a5a00}
.meta{font-size:.85rem;opacity:.92;font-weight:400}
.headline{background:#fff;border:2px solid #b3261e;padding:.8rem 1rem;margin:1rem 0}
.headline p{margin:.3rem 0}
.group{background:#fff;border-left:5px solid #b3261e;padding:.6rem 1rem;margin:1rem 0}
.group.quiet{border-left-color:#c9a227}
.group>p.cause{margin:.2rem 0 .6rem;color:#50575e}
.failure{border-top:1px solid #dcdcde;padding:.6rem 0}.failure:first-of-type{border-top:0}
.tag{display:inline-block;font-size:.75rem;font-weight:600;padding:0 .4rem;border-radius:3px;background:#fde7e9;
color:#8c1d18;vertical-align:middle}.tag.quiet{background:#fff4d6;color:#7a5300}
.doc{border-left:3px solid #8c8f94;margin:.4rem 0;padding:.1rem .6rem;color:#3c434a}
.got{font-weight:600}
pre{background:#1d2327;color:#f0f0f1;padding:.6rem;margin:.3rem 0;white-space:pre-wrap;overflow-wrap:anywhere;
max-width:100%;font-size:.85rem}
.exchanges{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:.6rem}
@media (max-width:700px){.exchanges{grid-template-columns:minmax(0,1fr)}}
.repro{position:relative}
button.copy{float:right;margin:.2rem 0 .2rem .5rem;padding:.3rem .7rem;font:inherit;font-size:.85rem;cursor:pointer}
details{background:#fff;margin:.4rem 0;padding:.4rem .8rem;border:1px solid #dcdcde}
details summary{cursor:pointer;font-weight:600}
details.technical{background:#f6f7f7;font-size:.85rem}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #dcdcde;padding:.3rem .5rem;text-align:left;vertical-align:top}
ul.notes li{margin:.3rem 0}
#selftest{display:none}
"""

# Copies a repro script; falls back to a selection copy where the clipboard API is unavailable (file:// pages).
# With #selftest in the URL the page records its width (and tells an embedding page, as headless chromium's window
# is never narrower than 500 px), so a test can check that a phone-width screen never scrolls sideways.
SCRIPT = """
document.querySelectorAll('button.copy').forEach(function (button) {
  button.addEventListener('click', function () {
    var text = document.getElementById(button.dataset.target).textContent;
    var done = function () { button.textContent = 'Copied'; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      var area = document.createElement('textarea');
      area.value = text; document.body.appendChild(area); area.select();
      document.execCommand('copy'); area.remove(); done();
    }
  });
});
if (location.hash === '#selftest') {
  var out = document.getElementById('selftest');
  out.textContent = JSON.stringify({scrollWidth: document.documentElement.scrollWidth,
                                    innerWidth: window.innerWidth});
  if (window.parent !== window) { window.parent.postMessage(out.textContent, '*'); }
}
"""

HEADLINES = {"pass": "PASS — no MUST requirement failed", "fail": "FAIL — MUST requirements failed",
             "partial": "PARTIAL — no MUST requirement failed, but the run did not judge them all",
             "unusable": "TARGET UNUSABLE — nothing was judged",
             "interrupted": "INTERRUPTED — the run did not finish",
             "error": "ERROR — the checker itself failed"}


def render(result: dict) -> str:
    verdict = result["verdict"]
    extra = "".join(f"<p><strong>{escape(str(result[key]))}</strong></p>" for key in ("unusable", "error")
                    if result.get(key))
    extra += _completeness(result)
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Conformance: {escape(verdict)}</title><style>{STYLE}</style></head><body>"
            f'<div class="banner {escape(verdict)}" id="verdict">{escape(HEADLINES.get(verdict, verdict.upper()))}'
            f'<div class="meta">{_meta(result)}</div></div>'
            f"<main>{extra}{_headline(result)}{_failures(result)}{_not_checked(result)}{_observations(result)}"
            f"{_all_requirements(result)}"
            f'<script type="application/json" id="report-data">{escape(json.dumps({"verdict": verdict}))}</script>'
            f'<output id="selftest"></output></main><script>{SCRIPT}</script></body></html>')


def _completeness(result: dict) -> str:
    lines = completeness_lines(result)
    if not lines:
        return ""
    items = "".join(f"<li>{escape(line)}</li>" for line in lines[1:])
    return f'<section id="completeness"><p>{escape(lines[0])}</p>{f"<ul>{items}</ul>" if items else ""}</section>'


def _meta(result: dict) -> str:
    data = result.get("data", {})
    leaked = data.get("leaked", [])
    text = (f"{result.get('target')} · profile {result.get('profile')} · seed {result.get('seed')} · "
            f"{result.get('requests')} requests in {result.get('seconds')} s · created {data.get('created')}, "
            f"deleted {data.get('deleted')}, leaked {len(leaked)}")
    if leaked:
        text += f" · LEAKED: {', '.join(leaked)} (delete them with `conformance cleanup`)"
    if result.get("stale_baseline"):
        text += f" · stale baseline entries: {', '.join(result['stale_baseline'])}"
    return escape(text)


def _headline(result: dict) -> str:
    first = headline(result)
    if first is None:
        return ""
    req = first.requirement
    return (f'<section class="headline" id="headline"><h2>First violation: <a href="#fail-{escape(req["id"])}">'
            f'{escape(req["id"])}</a></h2><p class="got">{escape(plain_message(first.failure["message"]))}</p>'
            f'<p class="doc">Rule: {escape(doc_source(req["doc"]))}</p></section>')


def _failures(result: dict) -> str:
    found = groups(result)
    if not found:
        return "<h2>Failures</h2><p>No requirement failed.</p>"
    count = sum(len(group) for group in found)
    return (f"<h2>Failures ({count}, {len(found)} root cause{'s' if len(found) > 1 else ''})</h2>"
            + "".join(_group(group, n) for n, group in enumerate(found, 1)))


def _group(group: list[Finding], number: int) -> str:
    """One root cause; a heading names it only when several failures share it."""
    lead = group[0].requirement
    gating = any(f.requirement["gating"] for f in group)
    others = sorted({f.requirement["id"] for f in group} - {lead["id"]})
    heading = "" if len(group) == 1 else (
        f"<h3>{number}. {escape(lead['id'])} and {len(group) - 1} more failure{'s' if len(group) > 2 else ''}</h3>"
        + (f'<p class="cause">Also fails, probably for the same reason: {escape(", ".join(others))}</p>'
           if others else ""))
    anchored, blocks = set(), []
    for finding in group:
        blocks.append(_finding(finding, f"{number}-{len(blocks) + 1}", finding.requirement["id"] not in anchored))
        anchored.add(finding.requirement["id"])
    return (f'<section class="group{"" if gating else " quiet"}" id="cause-{number}">{heading}{"".join(blocks)}'
            "</section>")


def _state(req: dict) -> tuple[str, str]:
    if req["gating"]:
        return f"{req['level']} · fails the gate", "tag"
    if req["baselined"]:
        return "known deviation (baseline)", "tag quiet"
    return f"{req['level']} · does not fail the gate", "tag quiet"


def _finding(finding: Finding, key: str, anchor: bool) -> str:
    req, failure = finding.requirement, finding.failure
    label, css = _state(req)
    anchor_id = f' id="fail-{escape(req["id"])}"' if anchor else ""
    blocked = ""
    if finding.root_cause and finding.root_cause != req["id"]:
        blocked = f'<p>Caused by <a href="#fail-{escape(finding.root_cause)}">{escape(finding.root_cause)}</a>.</p>'
    return (f'<article class="failure"{anchor_id}><h3>{escape(req["id"])} <span class="{css}">{escape(label)}</span>'
            f'</h3><p>Found while checking: {escape(case_title(failure["case"]))}</p>'
            f'<p class="doc">Rule: {escape(doc_source(req["doc"]))}</p>'
            f'<p class="got">{escape(plain_message(failure["message"]))}</p>{blocked}'
            f"{_exchanges(failure['evidence'])}{_repro(failure, key)}{_technical(failure)}</article>")


def _exchanges(evidence: list[dict]) -> str:
    if not evidence:
        return "<p>No request was recorded for this failure.</p>"
    steps = []
    for n, exchange in enumerate(evidence, 1):
        label = f"Step {n}: " if len(evidence) > 1 else ""
        steps.append(f'<div class="exchanges"><div><h4>{label}Sent</h4><pre>{escape(_request_text(exchange))}</pre>'
                     f'</div><div><h4>{label}Came back</h4><pre>{escape(_response_text(exchange))}</pre></div></div>')
    return "".join(steps)


def _request_text(exchange: dict) -> str:
    request = exchange["request"]
    headers = "".join(f"\n{k}: {v}" for k, v in request_headers(request["headers"]).items())
    return f"{request['method']} {request['url']}{headers}" + (f"\n\n{request['body']}" if request["body"] else "")


def _response_text(exchange: dict) -> str:
    response = exchange["response"]
    if exchange.get("error"):
        return plain_message(exchange["error"])
    headers = "".join(f"\n{k}: {v}" for k, v in response["headers"].items())
    return f"{response['status']}{headers}\n\n{response['body']}"


def _repro(failure: dict, key: str) -> str:
    script = failure.get("repro") or (plain_curl(failure["evidence"][0]["curl"]) if failure["evidence"] else "")
    if not script:
        return ""
    return (f'<div class="repro"><h4>Reproduce <button type="button" class="copy" data-target="repro-{key}">'
            f'Copy</button></h4><pre id="repro-{key}">{escape(script)}</pre></div>')


def _technical(failure: dict) -> str:
    return (f'<details class="technical"><summary>Technical details</summary>'
            f"<p>Case: {escape(failure['case'])}</p><pre>{escape(failure['message'])}</pre></details>")


def _not_checked(result: dict) -> str:
    reqs = [r for r in result["requirements"] if r["status"] in ("not_checked", "inconclusive")]
    if not reqs:
        return ""
    items = "".join(f'<li id="why-{escape(r["id"])}"><strong>{escape(r["id"])}</strong> ({r["level"]}): '
                    f"{escape(_why_not_checked(r))}</li>" for r in reqs)
    return f'<h2>Not checked ({len(reqs)})</h2><ul class="notes" id="not-checked">{items}</ul>'


def _why_not_checked(req: dict) -> str:
    why = "; ".join(plain_notes(req["why_not_checked"]))
    if req.get("blocked_by"):
        return f"{why} (blocked by {', '.join(req['blocked_by'])}, which failed)"
    return why


def _observations(result: dict) -> str:
    reqs = [r for r in result["requirements"] if r["observations"]]
    if not reqs:
        return ""
    items = "".join(f"<li><strong>{escape(r['id'])}</strong>: {escape('; '.join(plain_notes(r['observations'])))}"
                    "</li>" for r in reqs)
    return f'<h2>What the target chose where the docs leave it open</h2><ul class="notes">{items}</ul>'


def _all_requirements(result: dict) -> str:
    sections = []
    for area in AREAS:
        reqs = [r for r in result["requirements"] if r["area"] == area]
        passed = sum(r["status"] == "passed" for r in reqs)
        rows = "".join(f'<tr class="{"baselined" if r["baselined"] else r["status"]}" id="row-{escape(r["id"])}">'
                       f'<td>{escape(r["id"])}</td><td>{r["level"]}</td><td>{escape(_status(r))}</td>'
                       f'<td>{escape(doc_source(r["doc"]))}</td></tr>' for r in reqs)
        sections.append(f'<details class="area" id="area-{area}"><summary>{area}: {passed} of {len(reqs)} passed'
                        f'</summary><div class="scroll"><table><thead><tr><th>requirement</th><th>level</th>'
                        f"<th>status</th><th>rule</th></tr></thead><tbody>{rows}</tbody></table></div></details>")
    return "<h2>All requirements by area</h2>" + "".join(sections)


def _status(req: dict) -> str:
    if req["status"] == "failed":
        return _state(req)[0]
    return req["status"].replace("_", " ")
