"""The driver of the model-based stateful test (cases/test_model.py): creates, deletes and list reads against the
model in conformance/model.py, every answer compared with what the run made (exact echo, membership under lists that
share prefixes, totals, pages, 404s, phone reuse after delete).

The engine is a seeded driver of fixed phases, not hypothesis' RuleBasedStateMachine: each phase is a batch of
operations that commute (creates with distinct phones, deletes of distinct ids, reads) sent side by side with
client.gather, so the whole test costs about ten round trips; the same --seed sends the same requests; and nothing is
ever shrunk or replayed, which on a live target would meet the state the first run left (the inputs themselves are
hypothesis draws, see sampling.py). A list read that disagrees with the model is read again until it agrees or the
settle time is over, since the docs promise no read-after-write."""
from __future__ import annotations

import math
import random
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from conformance import case_context, grid
from conformance.cases.model_account import AccountPhases
from conformance.cases.model_inputs import ModelInputs
from conformance.judgements import created_id, error_code_problem, is_success, items_of, name_refusable
from conformance.model import (Contact, Finding, Listing, Model, check_account_total, check_create_answer,
                               check_created_at, check_created_at_order, check_listing, check_page_meta, may_be_lag,
                               note_seen, stated_per_page, total_undercounts)
from conformance.settling import settled

# What a walk of the unfiltered list that stopped where a short total said cannot tell: contacts it never reached.
SHORT_WALK = frozenset({"LIST-SHOWS-CREATED", "DELETE-ONLY-THE-GIVEN-ID"})
LIST_PURPOSES = ("m1", "m10", "m1x", "m11", "m2")  # ids that are prefixes of one another catch a LIKE-style filter
UNFILTERED_PER_PAGE, MAX_PAGES = 100, 10  # a longer walk (a filter ignored, a huge account) is judged by page 1
INVALID_CREATES = {  # documented class: (expected status, requirement)
    "missing_name": (400, "CREATE-400-MISSING-FIELD"),
    "missing_phone": (400, "CREATE-400-MISSING-FIELD"),
    "malformed_json": (400, "CREATE-400-MALFORMED-JSON"),
    "phone_not_e164": (422, "CREATE-422-PHONE-NOT-E164"),
    "email_malformed": (422, "CREATE-422-EMAIL-MALFORMED"),
}


@dataclass
class ModelRun:
    findings: list[Finding] = field(default_factory=list)
    observations: list[tuple[str, str]] = field(default_factory=list)


class Driver(AccountPhases, ModelInputs):
    def __init__(self, client, run, factory, lists_ok: bool, judged: frozenset[str] = frozenset()) -> None:
        self.client, self.run, self.factory = client, run, factory
        self.judged = judged  # the requirements the run judges; empty: all
        self.rng = random.Random(run.seed ^ zlib.crc32(b"model"))
        self.lists_wanted = tuple(dict.fromkeys(run.run_list(p) for p in LIST_PURPOSES))
        self.model = Model(lists=self.lists_wanted if lists_ok else (), exclusive=not run.list_ids)
        self.out = ModelRun()
        self.grid_lists: list[str] = []  # list ids of the grid the target took
        self.grid_refused: dict[str, int] = {}  # name of each refused grid create: its status
        self.created_at_answers: list = []  # (answer, our clock when it was read) of every create the model made
        self.phones_reused: list[tuple[Contact, str]] = []  # (a deleted contact, the new one made with its phone)

    # --- phases -------------------------------------------------------------------------------------------------
    def run_all(self) -> ModelRun:
        self.lists_probe()
        self.create_phase()
        live = self.model.live()
        duplicate = [self._expect_status(
            lambda: self.client.create(self._body("Duplicate", phone=live[0].sent["phone"])), 409,
            "CREATE-409-DUPLICATE-PHONE", "a create with a phone a contact of this run holds")] if live else []
        self.read_phase(extra=duplicate)
        self.filter_phase()
        deleted = self.delete_phase()
        again = [self._expect_status(lambda i=c.id: self.client.delete(i), 404, "DELETE-404-AFTER-DELETE",
                                     "deleting a contact a second time", code=True) for c in deleted]
        self.read_phase(extra=again)
        self.recreate_phase(deleted)
        # the account filled, its list and total, and a create read back at once: the run writes nothing else
        # meanwhile
        with self.client.whole_account():
            self.fill_phase()
            listings = self.account_read_phase()
            self.head_of_account_phase()
            self.read_back_at_once_phase()
            self.buried_phone_phase()
            self.others_phone_phase(listings[-2:])
            self.deleted_again_once_reused()
            self.fillers_deleted_phase()
        self.refused_left_no_trace(listings[-2:])
        later = sorted(case_context.current().exchanges, key=lambda e: e.answered_at - e.elapsed)
        self.created_at_kept(list(self.client.history))  # every case's reads: the longer they span, the better
        for answer, received_at in self.created_at_answers:  # judged now: the answers after each one are known
            self.out.findings += check_created_at(answer, received_at, later)
        self.out.findings += check_created_at_order([answer for answer, _ in self.created_at_answers])
        return self.out

    def lists_probe(self) -> None:
        """When the shared probe found no 201 for a create with a list, one more try tells a target that refuses the
        run's list ids (legal: lists may have to exist) from one that assigns them with another 2xx (then the model
        still uses lists, and CREATE-201-CREATED judges that status)."""
        if self.model.lists or not self.lists_wanted:
            return
        body = self._body("List Probe", lists=[self.lists_wanted[0]])
        answer = self.client.create(body)
        if created_id(answer) is not None:
            self.model.lists = self.lists_wanted
            self._admit(body, answer)

    def create_phase(self) -> None:
        bodies = self._valid_bodies(self.run.profile.model_contacts)
        invalid = list(self._invalid_creates())
        grid = self._grid_bodies()
        answers = self.client.gather([lambda b=b: self.client.create(b) for b in bodies] + [c for _, c in invalid]
                                     + [lambda b=b: self.client.create(b) for _, b in grid])
        self._judge_grid(grid, answers[len(answers) - len(grid):])
        answers = answers[:len(answers) - len(grid)]
        retry = [{**b, "phone": self.factory.phone()} for b, a in zip(bodies, answers) if a.status == 409]
        retried = self.client.gather([lambda b=b: self.client.create(b) for b in retry])  # 409: someone else's phone
        for body, answer in [*zip(bodies, answers), *zip(retry, retried)]:
            if answer.status != 409:
                self._admit(body, answer)
        for (name, _), answer in zip(invalid, answers[len(bodies):]):
            status, requirement = INVALID_CREATES[name]
            self._judge_status(answer, status, requirement, f"a create with {name.replace('_', ' ')}")

    def filter_phase(self) -> None:
        """Each list id of the grid the target took, read by its filter: exactly its members (the create's echo of it
        was judged byte for byte on admission). Then the near neighbours of the run's first list and of each grid
        id (other case, a character more, less or different, SQL wildcards and globs, the id cut where storage
        cuts text): each matches only the contacts of the run whose lists hold exactly that string (for a
        neighbour that is no list of the run, none)."""
        if not self.model.lists or not self.model.exclusive:
            return
        near = grid.neighbours(self.model.lists[0])
        for list_id in self.grid_lists:
            near.update({f"{name} of {list_id!r}": value for name, value in grid.neighbours(list_id).items()
                         if name == "swapped_case" or name.startswith("cut_at_")})
        # the neighbours after the lists they neighbour, with no write of the run between: a read cached under a
        # key that folds letter case (or anything else) answers the neighbour once the list's own answer is in it
        keys = [(list_id, 100) for list_id in dict.fromkeys(near.values()) if list_id not in self.grid_lists]
        with self.client.whole_account():
            self.read_phase(keys=[(list_id, 100) for list_id in self.grid_lists], past_end=False)
            self.read_phase(keys=keys, past_end=False)

    def refused_left_no_trace(self, walks: list[Listing]) -> None:
        """A grid create the target refused made no contact: the account's list, read at the end, shows none of
        their names (each carries the run's tag and its class)."""
        for listing in walks:
            for exchange in listing.pages:
                for item in items_of(exchange) or []:
                    if isinstance(item, dict) and item.get("name") in self.grid_refused:
                        self._find("CREATE-REFUSED-CREATES-NOTHING", f"the account lists {item.get('id')!r} named "
                                   f"{item['name']!r}, whose create was refused with "
                                   f"{self.grid_refused[item['name']]}", exchange)
                        return

    def delete_phase(self) -> list[Contact]:
        live = self.model.live()
        doomed = self.rng.sample(live, max(1, len(live) // 3)) if live else []
        sharing: dict[tuple[str, str], list[Contact]] = {}  # contacts sharing an email, or a name
        for contact in live:
            for key in ("email", "name"):
                if contact.sent.get(key):
                    sharing.setdefault((key, contact.sent[key]), []).append(contact)
        for kept_one, *others in (group for group in sharing.values() if len(group) > 1):
            doomed = [c for c in doomed if c is not kept_one] + [c for c in others if c not in doomed]
        # Ids near an own id are safe to DELETE only if no account can hold them: so only when every id the target
        # made has one length (it makes no other), and a long one (not a short sequence number)
        lengths = {len(c.id) for c in self.model.contacts.values()}
        kept = [c for c in live if c not in doomed] if len(lengths) == 1 and min(lengths) >= 12 else []
        probe = next((c for c in kept if c.lists), kept[0] if kept else None)
        ids = [c.id for c in self.model.contacts.values()]
        near = {} if probe is None else grid.contact_id_neighbours(probe.id, ids)
        # Unknown ids carry the run's tag and randomness; one of them lacks the cnt_ prefix: "no contact with the
        # given ID" is 404 whatever the id looks like.
        unknown = self.client.unknown_id()
        made_up = [unknown, unknown.removeprefix("cnt_"), *near]
        self.client.ledger.unknown_ids.update(made_up[1:])
        answers = self.client.gather([lambda i=c.id: self.client.delete(i) for c in doomed]
                                     + [lambda i=i: self.client.delete(quote(i, safe="")) for i in made_up])
        for contact, answer in zip(doomed, answers):
            self._deleted(contact, answer)
        unknown, unprefixed, *edges = answers[len(doomed):]
        self._judge_status(unknown, 404, "DELETE-404-UNKNOWN-ID", "deleting an id no account holds")
        self._judge_status(unprefixed, 404, "DELETE-404-UNKNOWN-ID", "deleting an id no account holds, without the "
                           "cnt_ prefix")
        for made, answer in zip(made_up[2:], edges):  # a 2xx claims a delete; any other answer is not a 404
            claims = is_success(answer.status)
            self._judge_status(answer, 404, "DELETE-ONLY-THE-GIVEN-ID" if claims else "DELETE-404-UNKNOWN-ID",
                               f"deleting {made}, {near[made]} {probe.id}")
        return [c for c in doomed if c.deleted]

    def recreate_phase(self, deleted: list[Contact]) -> None:
        """Three deleted contacts' phones, each in a new contact without email: one of them had an email, which the
        new contact must not come back with (a create 'enriched' from the deleted row). And that email in a new
        contact with a phone of its own: a well-formed address is accepted, whoever had it before."""
        had_email = [c for c in deleted if c.sent.get("email")][:1]
        # those that were in lists first: a new contact must not take over a deleted one's memberships
        reused = had_email + sorted((c for c in deleted if c not in had_email), key=lambda c: not c.lists)[:2]
        for contact in reused:  # the new contacts' created_at then differs from the deleted ones', even in seconds
            self._past_the_second_of(contact)
        # in none of the deleted one's lists: any of them that lists the new contact shows memberships taken over
        bodies = [self._body("Phone Reused", phone=c.sent["phone"], lists=[i for i in self._some_lists()
                                                                           if i not in c.lists]) for c in reused]
        emails = [self._body("Email Reused", email=c.sent["email"]) for c in had_email]
        answers = self.client.gather([lambda b=b: self.client.create(b) for b in bodies + emails])
        for body, answer in zip(bodies + emails, answers):
            if created_id(answer) is not None:  # a 2xx other than 201 is CREATE-201-CREATED's finding, made in _admit
                self._admit(body, answer)
            elif body in emails:
                if answer.status != 409:  # 409: someone else's contact holds the phone drawn for it
                    self._find("CREATE-VALID-EMAIL-ACCEPTED", f"a create with the well-formed email "
                               f"{body['email']!r} of a deleted contact and a phone of its own answered "
                               f"{answer.status or answer.error}: {answer.text[:200]}", answer)
            else:
                self._find("DELETE-FREES-PHONE", f"re-creating a contact with the phone {body['phone']} of a deleted "
                           f"contact answered {answer.status or answer.error}: {answer.text[:200]}", answer)
        self.phones_reused = [(c, new) for c, a in zip(reused, answers) if (new := created_id(a)) is not None]

    def deleted_again_once_reused(self) -> None:
        """Each deleted contact whose phone a new contact now holds, deleted once more, after the reads that judge
        both: still 404 (a DELETE that finds its row through the phone of the given id reaches the new contact). A
        2xx may have deleted the new contact, which the model then no longer knows the state of."""
        again = self.client.gather([self._expect_status(
            lambda i=c.id: self.client.delete(i), 404, "DELETE-404-AFTER-DELETE", f"deleting {c.id} again once a new "
            "contact holds its phone", code=True) for c, _ in self.phones_reused])
        for answer, (_, new) in zip(again, self.phones_reused):
            if is_success(answer.status) and new in self.model.contacts:
                self.model.contacts[new].uncertain = True

    def read_phase(self, extra: list = (), unfiltered: bool = False, keys: list | None = None,
                   past_end: bool = True) -> list[Listing]:
        keys = keys if keys is not None else [(list_id, self._per_page()) for list_id in self.model.lists]
        # at two page sizes: a total off from what the walks agree on is not a page boundary's doing; the second
        # divides no 100, so its second page straddles any block of 100 rows a page may be sliced from
        if unfiltered:
            keys += [(None, UNFILTERED_PER_PAGE), (None, self.rng.randint(51, UNFILTERED_PER_PAGE - 1))]
        listings = self._read(keys, extra, past_end)
        judged = [check_listing(self.model, listing) for listing in listings]
        disagreeing = [i for i, found in enumerate(judged) if may_be_lag(found)]
        if disagreeing:
            again = settled(lambda: self._read([keys[i] for i in disagreeing], past_end=past_end),
                            lambda reads: not any(may_be_lag(check_listing(self.model, r)) for r in reads),
                            self.run.settle, self.client.ledger.settle_waits)
            for i, listing in zip(disagreeing, again):  # what no wait mends stays found
                kept = [f for f in judged[i] if not f.settles]
                listings[i], judged[i] = listing, kept + check_listing(self.model, listing)
        if any(total_undercounts(self.model, listing) for listing in listings):
            # a walk that trusted the short total stopped short: what it did not reach is not judged missing
            judged = [found if listing.list_id is not None else [f for f in found if f.requirement not in SHORT_WALK]
                      for listing, found in zip(listings, judged)]
        for listing, found in zip(listings, judged):
            where = f"list_id={listing.list_id}" if listing.list_id else "the unfiltered list"
            rules = ("LIST-META-DESCRIBES-PAGE", *(() if listing.per_page_sent else ("LIST-DEFAULT-PAGING",)))
            self.out.findings += found + self._meta_findings(listing.pages, where, rules)
            note_seen(self.model, listing)
        if unfiltered:
            self.out.findings += check_account_total(self.model, listings[-2:])
        return listings

    # --- requests -----------------------------------------------------------------------------------------------
    def _read(self, keys: list[tuple[str | None, int | None]], extra: list = (), past_end=True) -> list[Listing]:
        """Page 1 of every key (with the extra calls) side by side, then every other page and the one past the end. A
        key's per_page None reads as a client that names no page size, walked at the size page 1 states."""
        firsts = self.client.gather([lambda k=k: self._page(k, 1) for k in keys] + list(extra))
        listings = [Listing(list_id, per_page or stated_per_page(first), [first], per_page_sent=per_page is not None)
                    for (list_id, per_page), first in zip(keys, firsts)]
        wanted = []
        for listing in listings:
            pages = listing.page_count()
            if pages is None or pages > self._page_cap(listing):
                listing.complete = False
                continue
            wanted += [(listing, page) for page in range(2, pages + 1)]
            if listing.list_id is not None and past_end:
                wanted.append((listing, pages + 1))
        answers = self.client.gather([lambda w=w: self._page((w[0].list_id, w[0].per_page if w[0].per_page_sent
                                                              else None), w[1]) for w in wanted])
        for (listing, page), answer in zip(wanted, answers):
            if page == len(listing.pages) + 1 and page <= listing.page_count():
                listing.pages.append(answer)
            else:
                listing.past_end = answer
        return listings

    def _page_cap(self, listing: Listing) -> int:
        """The run's own lists hold at most the run's contacts; other lists and the account are walked up to a bound."""
        if listing.list_id is None or not self.model.exclusive:
            return MAX_PAGES
        return max(MAX_PAGES, math.ceil(len(self.model.contacts) / listing.per_page) + 1)

    def _page(self, key: tuple[str | None, int | None], page: int):
        list_id, per_page = key
        # without a page size, page 1 names no paging at all: the documented defaults, both of them, are asked for
        paging = {"page": page, "per_page": per_page} if per_page else {"page": page} if page > 1 else {}
        return self.client.list(**paging, **({"list_id": list_id} if list_id else {}))

    def _expect_status(self, call, status: int, requirement: str, what: str, code: bool = False):
        """`code`: the answer of that status also carries the error code the docs give it (a deleted contact's id may
        take a branch of its own that the unknown ids judged elsewhere never reach)."""
        def judged():
            answer = call()
            self._judge_status(answer, status, requirement, what)
            if code and answer.status == status and (problem := error_code_problem(answer)):
                self._find("ERROR-CODE-MATCHES-STATUS", f"{what}: {problem}", answer)
            return answer
        return judged

    def _meta_findings(self, pages: list, where: str, rules=("LIST-META-DESCRIBES-PAGE",)) -> list[Finding]:
        """A stateless mock answers every page from the spec's example (the contract profile judges it page by page
        elsewhere); a target that keeps state is held to describe each page it answers."""
        return check_page_meta(pages, where, rules) if self.run.profile.checks_state else []

    def _judge_grid(self, grid_bodies: list[tuple[str, dict]], answers: list) -> None:
        """The docs say nothing of which strings a list id may be, nor which validator judges an address: a class
        taken is kept exactly (judged on admission and, for list ids, by the filter phase), one refused with a 4xx
        is observed and must leave no trace, and a 5xx is never a documented answer to a well-formed create."""
        for (name, body), answer in zip(grid_bodies, answers):
            field, value = ("lists", body["lists"][0]) if body.get("lists") else ("email", body["email"])
            what = f"list id class {name}" if field == "lists" else f"email class {name.removeprefix('email ')}"
            if created_id(answer) is not None:
                self._admit(body, answer)
                if field == "lists" and value not in self.grid_lists:  # the many-lists contacts share a first
                    self.grid_lists.append(value)
            elif answer.status is not None and 400 <= answer.status < 500:
                self.grid_refused[body["name"]] = answer.status
                self.out.observations.append(("LIST-FILTER-BY-LIST" if field == "lists" else "OBSERVE-AMBIGUOUS-EMAILS",
                                              f"the {what} ({value[:60]!r}) was refused with {answer.status}"))
            else:
                self._find("SPEC-NO-SERVER-ERROR", f"a create with {field} {value[:80]!r} ({what}) answered "
                           f"{answer.status or answer.error}: {answer.text[:200]}", answer)

    # --- the model ----------------------------------------------------------------------------------------------
    def _admit(self, body: dict, answer) -> None:
        """A valid create: exactly 201 (CREATE-201-CREATED); any other 2xx with an id still made the contact, which
        joins the model. A name the docs let a target refuse (a long one) refused with 400/422 is an observation, and
        that contact is not made."""
        if created_id(answer) is None:
            if is_success(answer.status) and isinstance(answer.json_or_none(), dict):
                return  # made, but with no string id to follow it by: CREATE-ID-CNT-PREFIX's finding
            if name_refusable(body["name"]) and answer.status in (400, 422):
                self.out.observations.append(("CREATE-NAME-AS-PROVIDED", f"a {len(body['name'])}-character name was "
                                              f"refused with {answer.status}: {answer.text[:200]}"))
            else:
                self._find("CREATE-201-CREATED", f"a valid contact was answered {answer.status or answer.error}: "
                           f"{answer.text[:200]}", answer)
            return
        if answer.status != 201:
            self._find("CREATE-201-CREATED", f"a valid contact{' with lists' if body.get('lists') else ''} was "
                       f"created with {answer.status}, not 201: {answer.text[:200]}", answer)
        self.out.findings += check_create_answer(body, answer)
        read_at = datetime.now(timezone.utc) - timedelta(seconds=time.monotonic() - answer.answered_at)
        self.created_at_answers.append((answer, read_at))  # our clock when the answer was read, not when admitted
        contact = Contact(sent=body, answer=answer.json_or_none(), lists=tuple(body.get("lists", ())))
        if contact.id in self.model.contacts:  # deleted ones included: an id names one contact, ever
            self._find("CREATE-ID-UNIQUE", f"create answered id {contact.id}, the id of an earlier contact of this "
                       "run", answer)
            return
        self.model.add(contact)

    def _deleted(self, contact: Contact, answer) -> None:
        """The model after a delete of one of its contacts: deleted on a 2xx, else in a state no longer known."""
        if is_success(answer.status):
            contact.deleted = True
        else:
            contact.uncertain = True
            self._find("DELETE-204-EMPTY-BODY", f"deleting {contact.id}, created with 201, answered "
                       f"{answer.status or answer.error}: {answer.text[:200]}", answer)

    def _judge_status(self, answer, status: int, requirement: str, what: str) -> None:
        if answer.status != status:
            self._find(requirement, f"{what}: expected {status}, got {answer.status or answer.error}: "
                       f"{answer.text[:200]}", answer)

    def _find(self, requirement: str, message: str, exchange) -> None:
        self.out.findings.append(Finding(requirement, message, exchange))
