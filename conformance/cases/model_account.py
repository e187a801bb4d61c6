"""The model's phases that read the whole account: the run's own contacts filled up past a page of the maximum size
in one of the run's lists, that list and the account read across pages,
the account's first pages at a small size, a contact created, read back, deleted and read back again with no other
write of the run between, a create with the phone of the run's oldest contact (which is then read back) and one
with the phone of a contact the run did not make, and the fillers deleted and everything read once more. A mixin of
the driver (model_driver.Driver): it uses the driver's client, model and helpers."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from conformance.judgements import MAX_PER_PAGE, created_id, is_success, items_of, page_of
from conformance.judgements.contacts import E164, parse_instant
from conformance.model import check_item
from conformance.paging import as_key, tag_name, tagged_ids
from conformance.settling import settled

HEAD_PAGES = 3  # the account's first pages at a small page size: page boundaries crossed on every run
FILL_TO = 51  # own live contacts before the account is walked: more than a page of the default size
# how many fillers a run needs depends on what other cases hold at that moment: numbers of a region of their own
# leave the model's later creates the numbers the seed gives them
FILLER_REGION = "PT"
FULL_PAGE = 101  # contacts of anyone's the account holds when it is walked: a page of the maximum size is full
# the rules a full page, of the account or of a list, bears on, and those the fillers' deletes do: a run judging
# none of them makes no fillers
PAGING_RULES = frozenset({"LIST-DEFAULT-PAGING", "LIST-PER-PAGE-MAX-100", "LIST-META-DESCRIBES-PAGE",
                          "LIST-TOTAL-COUNTS-MATCHES", "LIST-PAGES-PARTITION", "LIST-PAGE-PAST-END-EMPTY",
                          "LIST-OUT-OF-RANGE-PAGING", "LIST-FILTER-BY-LIST", "DELETE-GONE-FROM-LIST",
                          "DELETE-REMOVED-FROM-LISTS"})
# the run's list the fillers join, to hold FULL_PAGE members when it is read: no other list of the run is a prefix of
# it, and no later phase reads it at a page size of its own
LONG_LIST = "m2"
HOLDER_WAIT = timedelta(seconds=1.1)  # from a create's answer until the server's clock has left its second
# the rules that judge a created_at against another: what HOLDER_WAIT makes visible
CREATED_AT_RULES = frozenset({"LIST-ITEM-MATCHES-CREATE", "CREATE-CREATED-AT-MATCHES-DATE"})


class AccountPhases:
    def long_list(self) -> str | None:
        """The run's list that holds more than a page of the maximum size once filled; None where the run's lists
        were refused or are the user's (--list-ids: other members make its pages no exact measure), and under a
        profile that makes no claim that needs state (its pages would be judged by none)."""
        list_id = self.run.run_list(LONG_LIST)
        wanted = self.run.profile.checks_state and self.model.exclusive
        return list_id if wanted and list_id in self.model.lists else None

    def fill_phase(self) -> None:
        """Contacts in the long list, until it holds FULL_PAGE of the run's contacts: its pages of 100 and of the
        default size then cross page boundaries (a LIMIT, a total or a default of the filtered route that holds only
        for short lists shows), and so does the account's walk, which holds them too: at per_page 100 it needs more
        than 50 on its first page (a LIMIT that kept the default would show), at 50-99 it crosses a page boundary.
        Where the run has no list of its own, contacts in no list, until the account holds more than the default
        page size besides the run's other cases' contacts, and more than the maximum page size with them. Contacts
        that are not the run's count there, so an account in use needs few or none: called while the run's other
        writes are held (client.whole_account), up to the walk, the total less the run's own is others', and no
        other case deletes one of the contacts counted before the walk."""
        if self.judged and not self.judged & PAGING_RULES:
            return
        if long_list := self.long_list():
            count = FULL_PAGE - len(self.model.members(long_list))  # their own members outnumber the account's
        else:
            first = page_of(self.client.list(per_page=1))
            total = first[1].get("total") if first else None
            others = total - len(self.client.ledger.live) if isinstance(total, int) else 0
            count = max(FILL_TO - len(self.model.live()) - max(0, others),
                        FULL_PAGE - total if isinstance(total, int) else 0)
        bodies = [self._body("Filler", phone=self.factory.phone(FILLER_REGION), lists=[long_list] if long_list
                             else []) for _ in range(count)]
        answers = self.client.gather([lambda b=b: self.client.create(b) for b in bodies])
        retry = [{**b, "phone": self.factory.phone(FILLER_REGION)} for b, a in zip(bodies, answers) if a.status == 409]
        retried = self.client.gather([lambda b=b: self.client.create(b) for b in retry])  # 409: someone else's phone
        for body, answer in [*zip(bodies, answers), *zip(retry, retried)]:
            if answer.status != 409:
                self._admit(body, answer)

    def account_read_phase(self) -> list:
        """Every list of the run and the whole account read across all pages, once filled: the long list as a
        client that names no page size (the default, 50) and at the maximum (two pages and more), the account as such
        a client too, each judged as every other read of the model; and once at per_page 101, above the maximum:
        clamped or refused, its page never holds more than 100. The unfiltered walks come last."""
        long_list = self.long_list()
        keys = [(list_id, self._per_page()) for list_id in self.model.lists if list_id != long_list]
        over = []  # judged once read, in the order of the run: the read goes out beside the first pages
        extra = [lambda: over.append(self.client.list(list_id=long_list, per_page=MAX_PER_PAGE + 1))] \
            if long_list else []
        # the account as a client that names no page size reads it too: a route of its own may forget a deleted flag
        keys += [(long_list, None), (long_list, MAX_PER_PAGE)] if long_list else []
        listings = self.read_phase(keys=keys + [(None, None)], extra=extra, unfiltered=True)
        self.out.findings += self._meta_findings(over, f"list_id={long_list}",
                                                 ("LIST-PER-PAGE-MAX-100", "LIST-META-DESCRIBES-PAGE"))
        return listings

    def read_back_at_once_phase(self) -> None:
        """One more create, read back before any other write of the run, then deleted and read back once more: an
        index that lists a contact only once a later write flushes it hides this one (beside other cases' creates, the
        model's own contacts may be flushed by them), and a cache of list reads that only one kind of write empties
        answers the same query as before that write. So the query is read first too. Each read settles as any other."""
        if not self.model.lists:
            return
        list_id = self.model.lists[0]
        body = self._body("Listed At Once", lists=[list_id])
        filtered, unfiltered = {"list_id": list_id, "per_page": 100}, {"per_page": 100}

        def shows(exchange) -> bool:
            return any(isinstance(i, dict) and i.get("id") == contact_id for i in items_of(exchange) or [])
        self.client.gather([lambda p=p: self.client.list(**p) for p in (filtered, unfiltered)])  # what a cache keeps
        answer = self.client.create(body)  # run_all holds back the run's other writes
        self._admit(body, answer)
        contact_id = created_id(answer)
        if contact_id not in self.model.contacts:
            return
        listing = settled(lambda: self.client.list(**filtered), shows, self.run.settle, self.client.ledger.settle_waits)
        if listing.status == 200 and items_of(listing) is not None and not shows(listing):  # a bad shape: its own rule
            self._find("LIST-SHOWS-CREATED", f"contact {contact_id}, created with {answer.status}, is not listed under "
                       f"its list {list_id} (read {self.run.settle:g} s long, with no other write of the run between)",
                       listing)
        # the account may hold more than a page, in any order: the unfiltered list is judged only where it showed it
        reads = [(f"list_id={list_id}", filtered, "DELETE-REMOVED-FROM-LISTS", listing),
                 ("the unfiltered list", unfiltered, "DELETE-GONE-FROM-LIST", self.client.list(**unfiltered))]
        deleted, contact = self.client.delete(contact_id), self.model.contacts[contact_id]
        contact.deleted, contact.uncertain = is_success(deleted.status), not is_success(deleted.status)
        for where, params, requirement, _ in (r for r in reads if contact.deleted and shows(r[3])):
            after = settled(lambda p=params: self.client.list(**p), lambda e: not shows(e), self.run.settle,
                            self.client.ledger.settle_waits)
            if shows(after):
                self._find(requirement, f"{where} still shows {contact_id}, deleted with {deleted.status} (read "
                           f"{self.run.settle:g} s long, with no other write of the run between)", after)

    def head_of_account_phase(self) -> None:
        """The account's first HEAD_PAGES pages at a small page size, whatever its size: every run crosses page
        boundaries of the unfiltered list (a walk of the whole account at 50-100 a page may fit on one), and no id
        may show on two of them while every page says the same total. Read again (bounded) before it stands, as
        another client's create and delete between two pages could shift one."""
        per_page = self.rng.randint(2, 5)

        def read() -> list:
            return self.client.gather([lambda p=p: self.client.list(page=p, per_page=per_page)
                                       for p in range(1, HEAD_PAGES + 1)])

        def repeated(pages: list) -> list:
            read = [page_of(e) for e in pages]
            if not all(read):
                return []  # LIST-RESPONSE-SHAPE's finding
            if len({repr(meta.get("total")) for _, meta in read}) > 1:
                return []  # the account changed mid-read
            ids = [as_key(i.get("id")) for data, _ in read for i in data if isinstance(i, dict)]
            return sorted({i for i in ids if ids.count(i) > 1}, key=str)
        pages = settled(read, lambda pages: not repeated(pages), self.run.settle, self.client.ledger.settle_waits)
        self.out.findings += self._meta_findings(pages, "the unfiltered list")
        if again := repeated(pages):
            self._find("LIST-PAGES-PARTITION", f"the unfiltered list's first {HEAD_PAGES} pages of per_page={per_page} "
                       f"show {again[:5]} on more than one page, every page under one meta.total", pages[-1])

    def buried_phone_phase(self) -> None:
        """A create with the phone of the run's oldest live contact, once the fillers and the other cases' contacts
        are newer than it, must be refused with 409 like the create phase's duplicate, sent while it was newest: a
        duplicate check that reads only the newest contacts (the first page's query reused, a cache of recent
        phones) misses a phone held this long. The fill made at least FILL_TO - 1 live contacts after it."""
        if not (live := self.model.live()):
            return
        oldest = live[0]
        self._past_the_second_of(oldest)
        refused = self._expect_status(
            lambda: self.client.create(self._body("Buried Duplicate", phone=oldest.sent["phone"])), 409,
            "CREATE-409-DUPLICATE-PHONE", f"a create with the phone of {oldest.id}, the run's oldest live contact, "
            f"once {len(live) - 1} of the run's live contacts were made after it")()
        if refused.status == 409:
            self._holder_as_created(oldest)

    def _past_the_second_of(self, contact) -> None:
        """Wait (at most a little over a second, and mostly not at all: the fill took longer) until the server's clock
        is in a later second than the contact's created_at: a refused create that writes the row holding its phone
        (an ON UPDATE CURRENT_TIMESTAMP column) then moves created_at visibly, at whole-second precision too. A run
        restricted to rules that read no created_at does not wait."""
        if self.judged and not self.judged & CREATED_AT_RULES:
            return
        answered = next((at for answer, at in self.created_at_answers if created_id(answer) == contact.id), None)
        if answered is not None:
            time.sleep(max(0.0, (answered + HOLDER_WAIT - datetime.now(timezone.utc)).total_seconds()))

    def _holder_as_created(self, holder) -> None:
        """Once a create with its phone was refused with 409, the contact holding the phone is listed exactly as its
        create answered (LIST-ITEM-MATCHES-CREATE): the refused create made nothing and changed nothing. Read under
        the holder's shortest list of the run, else in the account's pages of 100."""
        lists = sorted((i for i in holder.lists if i in self.model.lists), key=lambda i: len(self.model.members(i)))
        listing, = self._read([(lists[0] if lists else None, MAX_PER_PAGE)], past_end=False)
        for exchange in listing.pages:
            for item in items_of(exchange) or []:
                if isinstance(item, dict) and item.get("id") == holder.id:
                    for finding in check_item(holder, item, exchange):
                        self._find(finding.requirement, finding.message + " (read after a create with its phone "
                                   "was refused with 409)", exchange)
                    return

    def others_phone_phase(self, walks: list) -> None:
        """A create with the phone of the oldest listed contact the run did not make must be refused with 409: a
        duplicate check that misses what the account held before (rows imported without the unique key, a cache of
        recent phones) shows only with such a contact. A 201 stands only if that contact is still listed, under its
        id and phone, once the settle time after the create is over: a deleted contact never comes back, so it held
        the phone when the create was answered (another client may delete it meanwhile). The contact made is the
        run's own, deleted at the end like the others."""
        seen = [(walk.per_page, page, item) for walk in walks for page, exchange in enumerate(walk.pages, 1)
                for item in items_of(exchange) or [] if isinstance(item, dict)]
        ours = set(self.client.ledger.created) | set(tagged_ids([item for *_, item in seen], self.run.run_tag))
        held = [(place[2]["created_at"], -index, place) for index, place in enumerate(seen)
                if isinstance(place[2].get("id"), str) and place[2]["id"] not in ours
                and isinstance(place[2].get("phone"), str)
                and E164.fullmatch(place[2]["phone"]) and isinstance(place[2].get("created_at"), str)]
        if not held:
            return
        *_, (per_page, page, holder) = min(held, key=lambda h: h[:2])  # the oldest; of equals, the one listed last
        self.client.borrow(holder["phone"])
        answer = self.client.create(self._body("Others Phone", phone=holder["phone"]))
        if (contact_id := created_id(answer)) is None:
            return

        def still_held(reads: list) -> bool:
            return any(isinstance(i, dict) and i.get("id") == holder["id"] and i.get("phone") == holder["phone"]
                       for read in reads for i in items_of(read) or [])
        # the holder's page and the next one: the run's new contact may push it one place on
        reads = settled(lambda: self.client.gather([lambda p=p: self.client.list(page=p, per_page=per_page)
                                                    for p in (page, page + 1)]),
                        lambda reads: not still_held(reads), self.run.settle, self.client.ledger.settle_waits)
        if still_held(reads):
            self._find("CREATE-409-DUPLICATE-PHONE", f"a create with the phone of {holder['id']} (a contact this run "
                       f"did not make, listed before and still listed {self.run.settle:g} s after) answered "
                       f"{answer.status} with {contact_id}, not 409", answer)

    def fillers_deleted_phase(self) -> None:
        """The fillers deleted (the run's own contacts, which the clean-up would delete anyway), then every list of the
        run and the account read and judged once more: a delete removes its contact for good however many came
        after it (rows a read index keeps, hidden by a bounded set of tombstones, come back once enough others were
        deleted)."""
        filler = tag_name("Filler", self.run.run_tag)
        fillers = [c for c in self.model.live() if c.sent["name"] == filler]
        if not fillers:
            return
        answers = self.client.gather([lambda i=c.id: self.client.delete(i) for c in fillers])
        for contact, answer in zip(fillers, answers):
            self._deleted(contact, answer)
        self.read_phase(unfiltered=True)

    def created_at_kept(self, exchanges: list) -> None:
        """Every contact shows one created_at, however often the run's list reads show it (LIST-ITEM-FIELDS: when the
        contact was created, a fact no later write changes): a time made up at each read for contacts stored without
        one (rows imported before the column existed) moves. The run's own contacts are judged against their create
        (LIST-ITEM-MATCHES-CREATE); this reads every contact, in every read of the run so far, and sends nothing."""
        first: dict[str, tuple[str, object]] = {}  # id -> (created_at as first listed, its instant)
        for exchange in exchanges:
            if exchange.method != "GET" or exchange.status != 200:
                continue
            for item in items_of(exchange) or []:
                stamp = item.get("created_at") if isinstance(item, dict) else None
                if not isinstance(item, dict) or not isinstance(item.get("id"), str) or (
                        instant := parse_instant(stamp)) is None:
                    continue
                seen = first.setdefault(item["id"], (stamp, instant))
                if seen[1] != instant:
                    self._find("LIST-ITEM-FIELDS", f"contact {item['id']} is listed with created_at {stamp}, and "
                               f"earlier in this run with {seen[0]}", exchange)
                    return
