"""The model's inputs: the bodies of its creates (valid ones, the grid's classes, the documented invalid ones) and its
page sizes and list choices, drawn by the run's seed. A mixin of the driver (model_driver.Driver): it uses the
driver's run, client, factory, model and random source."""
from __future__ import annotations

import json

from conformance import grid
from conformance.paging import tag_name
from conformance.sampling import draws
from conformance.strategies import (INVALID_PHONE_CLASSES, MALFORMED_EMAIL_CLASSES, NAME_CLASSES, RAW_NAME_CLASSES,
                                    person_names, valid_emails)

MANY_LISTS = (20, 100)  # how many lists each of two contacts of the model joins (the docs set no limit)
LONG_NAME = "Maria da Conceição " * 20  # about 380 characters, in every list: kept exactly, or refused with 400/422
OTHER_PLANES = "𝔐𝔞𝔯𝔦𝔞 𠀋𠂉 Santos 👩🏽\u200d💻"  # mathematical letters, CJK extension B, an emoji sequence
SYNTAX_NAMES = tuple(name for name in NAME_CLASSES.values() if set(name) & set("'\"%;\\`$"))  # O'Brien, 100%, …


class ModelInputs:
    def _per_page(self) -> int:
        return self.rng.choice((self.rng.randint(1, 3), self.rng.randint(1, 100)))

    def _some_lists(self) -> list[str]:
        return self.rng.sample(self.model.lists, self.rng.randint(0, len(self.model.lists)))

    def _body(self, name: str, phone: str | None = None, **fields) -> dict:
        body = {"name": tag_name(name, self.run.run_tag), "phone": phone or self.factory.phone(), **fields}
        if not body.get("lists"):
            body.pop("lists", None)
        return body

    def _valid_bodies(self, count: int) -> list[dict]:
        seed = self.run.seed
        names = [LONG_NAME, OTHER_PLANES] + draws(person_names(), count, seed, "model-names")
        # Two contacts join every list: the long name (a target may refuse it) and the short OTHER_PLANES one.
        emails = draws(valid_emails(), count, seed, "model-emails")
        bodies = []
        for i in range(count):
            local, _, domain = emails[i % len(emails)].rpartition("@")
            # the variations below add up to 6 characters on each side: keep the result within the 64/254 limits
            local, domain = local[:56].rstrip("."), domain if len(domain) <= 180 else "mail.example.co.ao"
            email = [None, f"{local.capitalize()}@Mail.{domain.upper()}", f"{local}+zx{i}@news.{domain}",
                     f"{local}@{domain}"][i % 4]
            lists = list(self.model.lists) if names[i % len(names)] in (LONG_NAME, OTHER_PLANES) \
                else self._some_lists()
            bodies.append(self._body(names[i % len(names)], lists=lists, **({"email": email} if email else {})))
        # one more contact with the email of another (C makes only the phone unique): delete_phase deletes this one
        # and keeps that one, which a delete keyed on the email would take too
        shared = next((b["email"] for b in bodies if b.get("email")), None)
        twin = [self._body("Shared Email", email=shared)] if shared else []
        # and one with the full name of another that has no email: delete_phase deletes this one and keeps that one,
        # which a delete keyed on the name (two people called Maria Santos) would take too; that one is in a list, so
        # the reads before the delete have listed it
        if named := next((b for b in bodies[2:] if "email" not in b), None):
            if not named.get("lists") and self.model.lists:
                named["lists"] = list(self.model.lists[:1])
            twin.append({**self._body("Shared Name"), "name": named["name"]})
        # names as typed (leading spaces, runs of spaces, NFD), each in a list at least: the reads before any delete
        # see them there
        typed = [self._body(name, lists=self._some_lists() or self.model.lists[:1])
                 for name in RAW_NAME_CLASSES.values()]
        # names holding what SQL, a URL or a shell reads as syntax, in every list: each membership is written too
        spliced = [self._body(name, lists=list(self.model.lists)) for name in SYNTAX_NAMES]
        return bodies + twin + typed + spliced

    def _grid_bodies(self) -> list[tuple[str, dict]]:
        """One contact per class of email in the grid, and one per class of list id, each in that list alone (a
        refusal refuses only it); two in many lists (a target may refuse the longer array alone); two in a pair of lists
        that a key folding letter case or normalisation form takes for one (the first of each pair is also read)."""
        emails = [(f"email {name}", self._body(f"Grid email {name}", email=email))
                  for name, email in grid.email_classes().items()]
        if not self.model.lists or not self.model.exclusive:
            return emails
        classes = grid.list_id_classes(self.run.run_list("g"))
        # one list id given twice: a contact joins that list once (or the create is refused); and two ids that
        # differ only in letter case, or only in normalisation form, given together: distinct lists, each joined
        repeated = f"{self.run.run_list('g')}_twice"
        twins = {"case_twins": [f"{self.run.run_list('g')}_mixedcase", classes["mixed_case"]],
                 "form_twins": [classes["latin_nfd"], classes["latin_nfc"]]}
        # and contacts in 20 and 100 lists, the run's own last: a cap on how many a contact joins drops those
        many = {count: [f"{self.run.run_list('g')}_many{i}" for i in range(count - len(self.model.lists))]
                for count in MANY_LISTS}
        return emails + [(name, self._body(f"Grid {name}", lists=[list_id])) for name, list_id in classes.items()] + [
            ("repeated_id", self._body("Grid repeated_id", lists=[repeated, repeated]))] + [
            (name, self._body(f"Grid {name}", lists=ids)) for name, ids in twins.items()] + [
            (f"{count}_lists", self._body(f"Grid {count}_lists", lists=[*ids, *self.model.lists]))
            for count, ids in many.items()]

    def _invalid_creates(self):
        seed = self.run.seed
        phone_classes = {k: v for k, v in INVALID_PHONE_CLASSES.items() if k not in ("empty", "plus_alone")}
        phone_class = list(phone_classes)[seed % len(phone_classes)]  # one class a run, each class in some run
        bad_phone = draws(phone_classes[phone_class], 1, seed, f"model-bad-phone {phone_class}")[0]
        bad_email = draws(next(iter(MALFORMED_EMAIL_CLASSES.values())), 1, seed, "model-bad-email")[0]
        valid, malformed, bad_email_body = self._body("Invalid"), self._body("Malformed"), self._body("Invalid Email")
        truncated = json.dumps(malformed, ensure_ascii=False)[:-3].encode()  # a lenient parser creates a tagged contact
        yield "missing_name", lambda: self.client.create({"phone": valid["phone"]})
        yield "missing_phone", lambda: self.client.create({"name": valid["name"]})
        yield "malformed_json", lambda: self.client.call("POST", "/contacts", data=truncated)
        yield "phone_not_e164", lambda: self.client.create({**valid, "phone": bad_phone})
        yield "email_malformed", lambda: self.client.create({**bad_email_body, "email": bad_email})
