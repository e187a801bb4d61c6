"""HAR files recorded by a real browser: Playwright driving Debian's chromium records a short client session of the
Contacts API (its own fetch() calls, as a web app makes them) against a reference server.

The session is what an integration suite's traffic holds: valid and invalid creates, lists with and without paging,
deletes, a second delete of a deleted id, a few requests without the key or with a key made from it. It waits a
little longer than the judge's settle time before its last lists, so a delete that did not remove is visible."""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from conformance.strategies import e164_for

CHROMIUM = "/usr/bin/chromium"
SETTLE_S = 1.0  # --settle the tests judge with; the session waits longer than this before its last lists
CLIENT_PAGE = "/conformance-client"  # an HTML page served by the route below at the server's origin
# Names as people type them: spaces kept, decomposed accents, astral characters, HTML's special characters, and one
# longer than a 64- or 100-character column
NAMES = ["  Maria   da  Conceição ", unicodedata.normalize("NFD", "João Ferreira"),
         "𠮷田 👩🏽\u200d💻 Nomvula",
         'Ana "Nita" Sousa & Filhos <Lda>', "Nguyễn Thị Minh Khai", ("Maria da Conceição Santos " * 4).strip()]

SESSION_JS = """
async ([base, key, phones, names, waitMs]) => {
  const out = [];
  const json = {"Content-Type": "application/json"};
  const auth = (k) => k === null ? json : {...json, "Authorization": "Bearer " + k};
  const send = async (method, path, {body = null, k = key} = {}) => {
    const init = {method, headers: method === "GET" || method === "DELETE" ? (k === null ? {} : {"Authorization":
      "Bearer " + k}) : auth(k)};
    if (body !== null) init.body = typeof body === "string" ? body : JSON.stringify(body);
    const r = await fetch(base + path, init);
    const text = await r.text();
    let parsed = null;
    try { parsed = JSON.parse(text); } catch (e) {}
    out.push([method, path, r.status]);
    return {status: r.status, body: parsed};
  };
  const [ao, pt, us, gb, tk, br] = phones;
  const maria = await send("POST", "/contacts", {body: {name: "Maria Santos", phone: ao, email: "maria@example.com"}});
  const joao = await send("POST", "/contacts", {body: {name: "João Ferreira", phone: pt}});
  const ana = await send("POST", "/contacts", {body: {name: "Ana Sousa", phone: us,
                                                      email: "Ana.Sousa+promo@mail.example.museum"}});
  await send("POST", "/contacts", {body: {name: "Zoë O'Brien", phone: gb, email: "zoe@example.org",
                                          lists: ["lst_abc123"]}});
  await send("POST", "/contacts", {body: {name: "Sione", phone: tk}});
  await send("POST", "/contacts", {body: {name: "Dup", phone: ao}});
  let n = 0;
  for (const name of names) {
    await send("POST", "/contacts", {body: {name, phone: br.slice(0, -2) + String(10 + n++)}});
  }
  await send("POST", "/contacts", {body: {name: "Newline Phone", phone: ao + "\\n"}});
  await send("POST", "/contacts", {body: {name: "Fullwidth Digits", phone: "+２４４９１２３４５６７８"}});
  await send("POST", "/contacts", {body: {name: "No Phone"}});
  await send("POST", "/contacts", {body: {phone: br}});
  await send("POST", "/contacts", {body: {}});
  await send("POST", "/contacts", {body: '{"name": "Cut", "phone": '});
  await send("POST", "/contacts", {body: '{"name": "Garbage", "phone": "' + br + '"} xyz'});
  await send("POST", "/contacts", {body: "{'name': 'Quotes', 'phone': '" + br + "'}"});
  await send("POST", "/contacts", {body: {name: "Local", phone: "0912345678"}});
  await send("POST", "/contacts", {body: {name: "Spaces", phone: "+244 912 345 678"}});
  await send("POST", "/contacts", {body: {name: "No Plus", phone: "244912345678"}});
  await send("POST", "/contacts", {body: {name: "Sixteen", phone: "+2449123456789012"}});
  await send("POST", "/contacts", {body: {name: "Bad Email", phone: br, email: "maria.example.com"}});
  await send("POST", "/contacts", {body: {name: "Spaced Email", phone: br, email: "maria santos@example.com"}});
  await send("POST", "/contacts", {body: {name: "Newline Email", phone: br, email: "maria@example.com\\n"}});
  await send("POST", "/contacts", {body: {name: "Two Problems", phone: "0912345678", email: "two.example.com"}});
  await send("GET", "/contacts");
  await send("GET", "/contacts?per_page=2");
  await send("GET", "/contacts?per_page=2&page=2");
  await send("GET", "/contacts?per_page=2&page=3");
  await send("GET", "/contacts?page=1");
  await send("GET", "/contacts?per_page=100");
  await send("GET", "/contacts?per_page=150");
  await send("GET", "/contacts?per_page=101&list_id=lst_abc123");
  await send("GET", "/contacts?list_id=lst_abc123");
  await send("GET", "/contacts", {k: null});
  await send("GET", "/contacts", {k: key.slice(0, -1)});
  await send("GET", "/contacts", {k: key + "0"});
  await send("POST", "/contacts", {body: {name: "No Key", phone: br}, k: null});
  const swapped = key.replace(/[a-z]/gi, c => c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase());
  await send("POST", "/contacts", {body: {name: "Swapped Key", phone: br}, k: swapped});
  await send("POST", "/contacts", {body: {name: "No Key", phone: "0912345678"}, k: null});
  await send("POST", "/contacts", {body: '{"name": ', k: null});
  await send("DELETE", "/contacts/cnt_nosuchcontact0", {k: null});
  const ids = [maria, joao, ana].map(c => c.body && c.body.id).filter(Boolean);
  for (const id of ids.slice(0, 2)) await send("DELETE", "/contacts/" + encodeURIComponent(id));
  if (ids.length) await send("DELETE", "/contacts/" + encodeURIComponent(ids[0]));
  await send("DELETE", "/contacts/cnt_nosuchcontact0");
  await send("DELETE", "/contacts/nosuchcontact");
  await new Promise(done => setTimeout(done, waitMs));
  await send("GET", "/contacts?per_page=100");
  await send("GET", "/contacts?per_page=100&list_id=lst_abc123");
  await send("GET", "/contacts?per_page=1");
  await send("GET", "/contacts?per_page=1&page=2");
  return out;
}
"""


def launch(playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])


def record(browser: Browser, base_url: str, key: str, har_path: str | Path) -> list:
    """Run the client session against the API at base_url in a fresh browser context; the HAR goes to har_path.
    Returns [method, path, status] of every request sent."""
    origin = base_url.split("/v1")[0]
    context = browser.new_context(record_har_path=str(har_path))
    try:
        page = context.new_page()
        page.route(origin + CLIENT_PAGE, lambda route: route.fulfill(status=200, content_type="text/html",
                                                                     body="<!doctype html><title>client</title>"))
        page.goto(origin + CLIENT_PAGE)
        phones = [e164_for(region, 7) for region in ("AO", "PT", "US", "GB", "TK", "BR")]
        return page.evaluate(SESSION_JS, [base_url, key, phones, NAMES, int(SETTLE_S * 1000 + 300)])
    finally:
        context.close()


def main() -> None:
    """Record the session against a faithful reference server into the HAR file named on the command line."""
    import sys
    from conformance.mock.server import BackgroundServer
    with BackgroundServer(api_key="zx_example_key_0123456789", deviations=sys.argv[2:]) as server, \
            sync_playwright() as playwright:
        browser = launch(playwright)
        print(json.dumps(record(browser, server.base_url, "zx_example_key_0123456789", sys.argv[1])))
        browser.close()


if __name__ == "__main__":
    main()


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, driven by Playwright, for the tests that record traffic."""
    with sync_playwright() as playwright:
        running = launch(playwright)
        yield running
        running.close()
