"""Other people's contacts stay out of the reports: a failure whose evidence holds a list page with contacts from
before the run shows their ids and their number, never their names, phones or emails, in any report format."""
from __future__ import annotations

import json

from conformance.privacy import PLACEHOLDER, OthersContacts
from tests.conftest import run_cli

URL = "https://api.example/v1/contacts"
PAGE = json.dumps({"data": [
    {"id": "cnt_ours", "name": "Own [zxconf 0a0a0a0a]", "phone": "+244923000001", "email": "own@example.com"},
    {"id": "cnt_theirs", "name": "João Ferreira", "phone": "+244923456789", "email": "joao/x@example.com"},
    {"id": "cnt_created", "name": "Created Untagged", "phone": "+244923000002"},
], "meta": {"total": 3, "page": 1, "per_page": 50}}, ensure_ascii=True)


def seen() -> OthersContacts:
    others = OthersContacts("0a0a0a0a")
    others.saw("GET", URL, 200, None, PAGE)
    return others


def test_a_contact_the_run_did_not_create_is_masked_and_still_counted():
    masked = json.loads(seen().mask(PAGE, ours={"cnt_created"}))
    assert [item["id"] for item in masked["data"]] == ["cnt_ours", "cnt_theirs", "cnt_created"]
    assert masked["data"][1] == {"id": "cnt_theirs", "name": PLACEHOLDER, "phone": PLACEHOLDER, "email": PLACEHOLDER}
    assert masked["data"][0]["name"] == "Own [zxconf 0a0a0a0a]"  # the run's tag: its own, created id or not
    assert masked["data"][2]["name"] == "Created Untagged"  # an id the run created


def test_every_way_a_report_quotes_a_value_is_masked():
    others = seen()
    for text in ('"name": "João Ferreira"', "named 'João Ferreira'", '"joao\\/x@example.com"',
                 json.dumps({"name": "João Ferreira"}, ensure_ascii=False)):
        assert "Ferreira" not in others.mask(text, ours=set()) and "joao" not in others.mask(text, ours=set())


def test_values_the_run_sent_itself_and_unquoted_words_stay():
    others = seen()
    others.saw("POST", URL, 201, json.dumps({"name": "X", "phone": "+244923456789"}), "{}")
    text = '{"phone": "+244923456789", "note": "Ferreira"}'
    assert others.mask(text, ours=set()) == text


def test_a_list_answer_with_others_contacts_in_a_failure_leaves_no_trace_in_any_report(tmp_path):
    done = run_cli("run", "--profile", "quick", "--seed", "4", "--report-dir", str(tmp_path),
                   "--reference-fault", "existing_contacts", "--reference-fault", "default_per_page_20",
                   "-k", "test_defaults_are_page_1_per_page_50")
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    failure = next(r for r in result["requirements"] if r["id"] == "LIST-DEFAULT-PAGING")["failures"][0]
    page = json.loads(failure["evidence"][0]["response"]["body"])
    theirs = [item for item in page["data"] if item["id"].startswith("cnt_old")]
    assert len(page["data"]) == 20 and theirs  # the unfiltered page, with the account's earlier contacts in it
    assert all(item["name"] == item["phone"] == PLACEHOLDER for item in theirs)
    preloaded = [value for n in range(1, 61) for value in (f"Cliente Antigo {n}", f"+24493{n:07d}",
                                                           f"cliente{n}@example.ao")]
    for name in ("report.json", "report.html", "summary.md", "junit.xml"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert not [value for value in preloaded if value in text], name
    assert not [value for value in preloaded if value in done.stdout + done.stderr]


def test_a_value_borrowed_from_anothers_contact_stays_masked_though_the_run_sends_it():
    others = seen()
    others.borrow("+244923456789")
    others.saw("POST", URL, 201, json.dumps({"name": "Probe [zxconf 0a0a0a0a]", "phone": "+244923456789"}), "{}")
    assert "+244923456789" not in others.mask('{"phone": "+244923456789"}', ours=set())


def test_a_duplicate_of_anothers_phone_taken_by_the_target_leaves_no_trace_in_any_report(tmp_path):
    done = run_cli("run", "--seed", "4", "--settle", "1", "--report-dir", str(tmp_path),
                   "--reference-fault", "duplicate_check_misses_imported_contacts",
                   "--requirement", "CREATE-409-DUPLICATE-PHONE")
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    failures = next(r for r in result["requirements"] if r["id"] == "CREATE-409-DUPLICATE-PHONE")["failures"]
    assert any("not this run's" in f["evidence"][0]["request"]["body"] for f in failures)
    preloaded = [value for n in range(1, 61) for value in (f"Cliente Antigo {n}", f"+24493{n:07d}",
                                                           f"cliente{n}@example.ao")]
    for name in ("report.json", "report.html", "summary.md", "junit.xml"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert not [value for value in preloaded if value in text], name
