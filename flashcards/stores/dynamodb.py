"""Progress in one DynamoDB table, shared by several learners (see docs/dynamodb.md).

Items, by (pk, sk), with P the URL-quoted profile, D a deck id and C a URL-quoted card id:

* (P, "deck#D") — one per deck: the profile's deck list, and ``chk``, a review time up
  to which every review of the deck is known to be applied to its card items.
* (P#D, "card#C") — a card's state ``s`` (JSON, absent while the card is new), its
  version ``v`` (every card write is conditional on it), ``n``, the highest review
  slot its state includes, ``u`` (JSON, absent when empty): the ``t`` of reviews
  taken out by an undo whose slots may not be tombstones yet, and ``m`` (JSON, absent
  when empty): the marks (suspend, bury, ...) that stand, ``[t, action, time]`` in
  time order, from which the card's flags follow. ``m`` is written with the state, by
  the same conditional write, so the two never disagree.
* (P#D, "rev#C#00000007") — the card's 7th review: ``r`` (the review as JSON) and
  ``t`` ("<UTC time>#<id>"), the sort key of the local secondary index ``by_time``;
  or, once that review is undone, a tombstone: ``x`` (the undone review's ``t``) and
  nothing else, so the slot stays taken and the index does not hold it.

An answer is two writes and no transaction: the review goes into the card's next slot
(conditional on the slot being free: this is where two writers of one card meet), then
the card item (conditional on its version). Whoever finds a slot or version taken
rebuilds the card by replaying its log. A crash between the two writes leaves a review
in a slot above the card's ``n``: loading scans the deck's reviews newer than ``chk`` and
repairs such cards. An undo writes the card item first (naming the review in ``u``),
then turns the review's slot into a tombstone; a rebuild in between, or after a crash
there, finishes the undo instead of undoing it. When DynamoDB cannot be reached
mid-session, answers go to a local outbox (``outbox.py``) that the next open sends
first.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import os
import re
import time
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import parse_qs, quote, unquote, urlsplit

from flashcards.clock import now
from flashcards.days import study_date
from flashcards.due import DueEntry, entry_of
from flashcards.errors import ConflictError, StoreError, StoreUnavailable, UsageError
from flashcards.model import (
    CARD_MARKS,
    CRAM,
    NO_FLAGS,
    SLOT_SECONDS,
    CardState,
    DayStats,
    Flags,
    Review,
    Tally,
    fold_flags,
    slot_of,
)
from flashcards.scheduling import replay
from flashcards.stores import CardKey, StoreContext, register
from flashcards.stores.outbox import Entry, Outbox

INDEX = "by_time"
#: Reviews younger than this may still be on their way to their card item.
IN_FLIGHT = timedelta(hours=1)
LOCAL_REGION = "us-east-1"
#: Request timeouts in seconds, and the store URL options that change them.
TIMEOUTS = {"connect_timeout": 2.0, "read_timeout": 5.0}
#: Tries of one request before DynamoDB counts as unreachable: a first try and 3 retries
#: (botocore's standard retry mode, with its exponential backoff between them).
ATTEMPTS = 4
TRIES = 10
THROTTLED = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
}
#: Error codes of a server that failed; any HTTP status from 500 up counts as one too.
SERVER_FAILED = {"InternalServerError", "ServiceUnavailable", "InternalFailure"}
REJECTED = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredToken",
    "ExpiredTokenException",
    "AccessDeniedException",
    "MissingAuthenticationTokenException",
    "IncompleteSignatureException",
}


class _Outage(Exception):
    """DynamoDB cannot be used right now."""

    def __init__(self, what: str, hint: str) -> None:
        super().__init__(f"{what}; {hint}")
        self.what = what


class _Taken(Exception):
    """A conditional write found the item not as expected."""


class _Failed(StoreError):
    """DynamoDB refused a request for a reason other than an outage."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class _Card:
    state: CardState | None
    v: int = 0  # 0: no item yet
    n: int = 0
    u: frozenset[str] = field(default_factory=frozenset)  # t of reviews taken out
    marks: tuple[_Mark, ...] = ()  # standing marks, in time order


class _Mark(NamedTuple):
    """A standing mark as a card item keeps it: its ``t``, action and time (ISO, with
    the learner's offset, which decides the study day of a bury)."""

    t: str
    action: str
    at: str


def _mark_of(review: Review) -> _Mark:
    assert review.action is not None
    return _Mark(_t(review), review.action, review.reviewed_at.isoformat())


def _with_mark(marks: tuple[_Mark, ...], review: Review) -> tuple[_Mark, ...]:
    """``marks`` with ``review``'s (if it is a mark not yet among them), in time order."""
    if review.action not in CARD_MARKS or any(m.t == _t(review) for m in marks):
        return marks
    return tuple(sorted((*marks, _mark_of(review)), key=lambda m: m.t))


def _without_mark(marks: tuple[_Mark, ...], t: str) -> tuple[_Mark, ...]:
    return tuple(m for m in marks if m.t != t)


def _flags_of(marks: Collection[_Mark]) -> Flags:
    return fold_flags((m.action, datetime.fromisoformat(m.at)) for m in marks)


class _Log(NamedTuple):
    """A card's log as read: the reviews that stand, by slot; the highest slot taken
    (tombstones and all); the ``t`` of the reviews whose slots are tombstones."""

    reviews: list[tuple[int, Review]]
    top: int
    buried: set[str]


class DynamoStore:
    """Progress in a DynamoDB table (see the module docstring)."""

    def __init__(self, url: str, context: StoreContext) -> None:
        self.client, self.table, self.endpoint = _connect(url)
        self._p = quote(context.profile, safe="")
        self._schedulers = context.schedulers  # each deck's, for replays
        self.location = f"DynamoDB table {self.table} at {self.endpoint}"
        self.notices: list[str] = []
        digest = hashlib.sha256(self.endpoint.encode()).hexdigest()[:10]
        self.outbox = Outbox(context.home / "outbox" / f"{self.table}-{self._p}-{digest}.jsonl")
        self._cards: dict[CardKey, _Card] = {}
        self._loaded: set[str] = set()  # decks whose every card item is in _cards
        self._decks: dict[str, str] = {}  # deck -> chk, for every deck item known
        self._listed = False  # whether _decks holds every deck of the profile
        # deck -> (chk the last load started from, chk that maintain() may write)
        self._advance: dict[str, tuple[str, str]] = {}
        self._slots: dict[str, int] = {}  # review id -> slot, for undo
        # Review id -> every slot a put of it was sent to: a put whose answer never came
        # may still be carried out, so an undo makes each of them a tombstone.
        self._tried: dict[str, set[int]] = {}
        self._buried: set[str] = set()  # t of reviews known to lie under a tombstone
        # Reviews from the last activity() query (first hour, decks, reviews by id), kept
        # up to date with this store's own writes: what activity() answers from offline.
        self._seen: tuple[int | None, set[str] | None, dict[str, Review]] | None = None
        self._offline: str | None = None
        try:
            self._ensure_table()
            self._send_outbox()
        except BaseException as exc:
            self.client.close()  # nobody else will: the store is never handed out
            if isinstance(exc, _Outage):
                raise StoreUnavailable(f"{self.location}: {exc}") from None
            raise

    # -- the Store interface -------------------------------------------------

    def due_overview(self, decks: Collection[str] | None = None) -> dict[CardKey, DueEntry]:
        return {key: entry_of(s) for key, s in self.load_states(decks).items()}

    def load_states(self, decks: Collection[str] | None = None) -> dict[CardKey, CardState]:
        if self._offline is None:
            try:
                known = self._deck_items()
                for deck in known if decks is None else [d for d in decks if d in known]:
                    self._load_deck(deck, known[deck])
                self._loaded.update(decks or ())  # a deck without an item has no cards
            except _Outage as exc:
                self._go_offline(exc.what)
        if self._offline and not (self._listed and self._loaded.issuperset(decks or ())):
            raise StoreUnavailable(f"{self.location}: {self._offline}")
        states: dict[CardKey, CardState | None] = {k: c.state for k, c in self._cards.items()}
        for entry in self.outbox.entries():
            review = Review.from_dict(entry["review"])
            if entry["op"] == "undo":
                restore = entry.get("restore")
                states[review.key] = CardState.from_dict(restore) if restore else None
            elif (old := states.get(review.key)) is None or _before(old, review):
                states[review.key] = review.state
        return {
            k: s for k, s in states.items() if s is not None and (decks is None or k[0] in decks)
        }

    def record(self, review: Review, expected: CardState | None) -> None:
        if review.state is None and not review.is_mark:
            raise ValueError("a review to record must carry the state after it")
        if self._offline is None:
            try:
                return self._record(review, expected)
            except _Outage as exc:
                self._go_offline(exc.what)
        entry = {"op": "record", "review": review.to_dict(), **self._hint(review)}
        self._keep(entry, review, expected, review.state)

    def undo(self, review: Review, restore: CardState | None) -> None:
        if self._offline is None:
            try:
                return self._undo(review, restore)
            except _Outage as exc:
                self._go_offline(exc.what)
        entry = {
            "op": "undo",
            "review": review.to_dict(),
            "restore": restore.to_dict() if restore else None,
            **self._hint(review),
        }
        self._keep(entry, review, review.state, restore)

    def flags(self, decks: Collection[str] | None = None) -> dict[CardKey, Flags]:
        # The card items read by the last load (and this store's writes since) carry the
        # marks: a caller that has just loaded the states pays no second read for them.
        wanted = set(self._decks) if decks is None else set(decks)
        if not (self._listed and wanted <= self._loaded):
            self.load_states(decks)  # loads the decks' card items (or says it cannot)
        marks = {
            key: card.marks
            for key, card in self._cards.items()
            if card.marks and (decks is None or key[0] in decks)
        }
        # Marks kept in the outbox while offline count as the card items will.
        for entry in self.outbox.entries():
            review = Review.from_dict(entry["review"])
            if not review.is_mark or (decks is not None and review.deck not in decks):
                continue
            kept = marks.get(review.key, ())
            if entry["op"] == "undo":
                marks[review.key] = _without_mark(kept, _t(review))
            else:
                marks[review.key] = _with_mark(kept, review)
        out = {key: _flags_of(kept) for key, kept in marks.items()}
        return {key: flags for key, flags in out.items() if flags != NO_FLAGS}

    def activity(
        self, since: datetime | None = None, decks: Collection[str] | None = None
    ) -> dict[str, dict[int, Tally]]:
        first = slot_of(since) if since is not None else None
        out: dict[str, dict[int, Tally]] = {}
        for review in self._standing(first, decks):
            hour = slot_of(review.reviewed_at)
            if review.is_mark:
                continue  # not an answer
            if (decks is None or review.deck in decks) and (first is None or hour >= first):
                out.setdefault(review.deck, {}).setdefault(hour, Tally()).add(review)
        return out

    def day_stats(self, decks: Collection[str] | None = None) -> dict[str, dict[date, DayStats]]:
        out: dict[str, dict[date, DayStats]] = {}
        for review in self._standing(None, decks):
            # Cram answers are counted apart (``DayStats.cram``); other marks not at all.
            counted = not review.is_mark or review.action == CRAM
            if counted and (decks is None or review.deck in decks):
                days = out.setdefault(review.deck, {})
                day = study_date(review.reviewed_at)
                days.setdefault(day, DayStats()).add(review, review.last_interval)
        return out

    def active_slots(self, decks: Collection[str] | None = None) -> dict[str, set[int]]:
        out: dict[str, set[int]] = {}
        for review in self._standing(None, decks):
            if not review.is_mark and (decks is None or review.deck in decks):
                out.setdefault(review.deck, set()).add(slot_of(review.reviewed_at))
        return out

    def reviews(self) -> Iterator[Review]:
        yield from sorted(self._standing(None, None), key=lambda r: (r.reviewed_at, r.id))

    def import_reviews(self, reviews: Collection[Review]) -> int:
        try:
            return self._merge(list(reviews), [], {})
        except _Outage as exc:
            raise StoreUnavailable(f"{self.location}: {exc}") from None

    def maintain(self) -> None:
        """Move each loaded deck's checkpoint forward so the next load scans less."""
        if self._offline:
            return
        for deck, (loaded, chk) in list(self._advance.items()):
            # Only from the checkpoint the load started from: one moved since (back, by
            # an import elsewhere that may have died halfway; or on, by another device)
            # covers writes this store never scanned, and stays as it is.
            with contextlib.suppress(_Taken, _Outage):
                self._call(
                    "update_item",
                    Key=_key(self._p, f"deck#{deck}"),
                    UpdateExpression="SET chk = :c",
                    ConditionExpression="chk = :l",
                    ExpressionAttributeValues={":c": {"S": chk}, ":l": {"S": loaded}},
                )
            del self._advance[deck]

    def close(self) -> None:
        self.client.close()

    # -- answering -----------------------------------------------------------

    def _record(self, review: Review, expected: CardState | None) -> None:
        key = review.key
        card = self._check(key, expected)
        self._ensure_deck(review.deck)
        for _ in range(TRIES):
            slot = card.n + 1
            if self._put_review(review, slot):
                break
            card = self._rebuild(key)[0]  # someone else answered this card: catch up
            if card.state != expected:
                raise ConflictError(f"{review.deck}/{review.card} changed meanwhile", card.state)
        else:
            raise StoreError(f"{review.deck}/{review.card}: too many concurrent answers")
        try:
            self._write_card(key, card, review.state, slot, (), _with_mark(card.marks, review))
        except _Taken:
            self._rebuild(key)  # our review is in the log: the rebuilt state includes it

    def _undo(self, review: Review, restore: CardState | None) -> None:
        key = review.key
        card = self._cards.get(key)
        if card is None or card.state != review.state:
            card = self._get_card(key)
        for _ in range(TRIES):
            if _undone(card, review, restore):
                # Undone already: by an earlier try of this undo whose answer was lost, or
                # one cut short before its tombstone. Finish it.
                break
            if card.state != review.state:
                if _t(review) in self._card_log(key).buried:
                    break  # the same, and the card has been answered since
                raise ConflictError(f"{key[0]}/{key[1]} changed meanwhile", card.state)
            try:
                # The card item first, naming the review in ``u``: from then on the undo
                # stands, and whoever rebuilds the card (after a crash here, say) leaves
                # the review out and finishes the undo. ``n`` stays: the slot is kept.
                marks = _without_mark(card.marks, _t(review))
                self._write_card(key, card, restore, card.n, {_t(review)}, marks)
                break
            except _Taken:
                card = self._get_card(key)
        else:
            raise StoreError(f"{review.deck}/{review.card}: too many concurrent answers")
        slots = {self._find_slot(review), *self._tried.get(review.id, ())} - {0}
        self._bury(key, _t(review), slots)

    def _check(self, key: CardKey, expected: CardState | None, fresh: bool = False) -> _Card:
        """The card as last read, re-read when it is not ``expected``; ConflictError if
        it still is not."""
        # A card never read is taken for new: if it is not, its slot or item is taken
        # and the conditional writes say so.
        card = None if fresh else self._cards.get(key, _Card(None))
        if card is None or card.state != expected:
            card = self._get_card(key)
        if card.state != expected:
            raise ConflictError(f"{key[0]}/{key[1]} changed meanwhile", card.state)
        return card

    def _rebuild(
        self,
        key: CardKey,
        plus: Collection[Review] = (),
        minus: Collection[Review] = (),
        hints: Mapping[str, Collection[int]] | None = None,
    ) -> tuple[_Card, set[str]]:
        """Make the card item the replay of the card's log, after putting in the reviews
        of ``plus`` the log does not know and taking out those of ``minus`` (and any
        slot ``hints`` names for them: puts of theirs that may yet be carried out).
        Reviews the card item names in ``u`` stay out too: an undo wrote the item and
        may not have buried them yet. Returns the card and the ids of the reviews put."""
        taking = {_t(r) for r in minus}
        for _ in range(TRIES):
            # The log before the card: a card item read later is no older than the log,
            # so whatever it names in ``u`` is left out even if the log still has it.
            log = self._card_log(key)
            card = self._get_card(key)
            out = taking | card.u
            known = {r.id for _, r in log.reviews} | {_id_of(t) for t in log.buried}
            fresh = {r.id: r for r in plus if r.id not in known}
            standing = [r for _, r in log.reviews if _t(r) not in out]
            result = replay([*standing, *fresh.values()], config=self._schedulers)
            state, top, added = result.states.get(key), log.top, set()
            marks = tuple(sorted(_mark_of(r) for r in result.reviews if r.action in CARD_MARKS))
            try:
                for review in (r for r in result.reviews if r.id in fresh):
                    top += 1
                    if not self._put_review(review, top, strict=True):
                        raise _Taken
                    added.add(review.id)
                # With ``minus``, the card item is written even if unchanged: naming them
                # in ``u`` before any tombstone is what makes a rebuild elsewhere, or a
                # put of theirs arriving now, leave them out.
                if taking or card.state != state or card.n < top or card.marks != marks:
                    card = self._write_card(key, card, state, top, taking, marks)
            except _Taken:
                continue
            graves: dict[str, set[int]] = {t: set() for t in taking}
            for slot, review in log.reviews:
                if _t(review) in out:
                    graves.setdefault(_t(review), set()).add(slot)
            for review in minus:
                graves[_t(review)] |= {
                    *self._tried.get(review.id, ()),
                    *(hints or {}).get(review.id, ()),
                }
            for t, slots in graves.items():
                self._bury(key, t, slots)
            return card, added
        raise StoreError(f"{key[0]}/{key[1]}: too many concurrent answers")

    def _merge(
        self, adds: list[Review], removes: list[Review], hints: Mapping[str, Collection[int]]
    ) -> int:
        """Put reviews not yet in the log, take out ``removes`` (burying the slots
        ``hints`` names for them too), and replay every touched card. Returns how many
        reviews were added."""
        incoming = {r.id: r for r in adds}
        touched: dict[CardKey, tuple[list[Review], list[Review]]] = {}
        for review in incoming.values():
            touched.setdefault(review.key, ([], []))[0].append(review)
        for review in removes:
            touched.setdefault(review.key, ([], []))[1].append(review)
        # Make the next load scan back to the oldest review touched, so that a crash
        # halfway through is repaired there.
        earliest: dict[str, str] = {}
        for review in [*incoming.values(), *removes]:
            stamp = _stamp(review.reviewed_at)
            earliest[review.deck] = min(stamp, earliest.get(review.deck, stamp))
        for deck, stamp in earliest.items():
            self._ensure_deck(deck, stamp)
        added: set[str] = set()
        for key, (plus, minus) in touched.items():
            added |= self._rebuild(key, plus, minus, hints)[1]
        return len(added)

    # -- loading -------------------------------------------------------------

    def _load_deck(self, deck: str, chk: str) -> None:
        started = now()
        pk = f"{self._p}#{deck}"
        cards = {
            (deck, item["card"]["S"]): _card_of(item)
            for item in self._query("pk = :p AND begins_with(sk, :s)", {":p": pk, ":s": "card#"})
        }
        for key in [k for k in self._cards if k[0] == deck]:
            del self._cards[key]
        self._cards.update(cards)
        self._loaded.add(deck)
        # Reviews newer than the checkpoint whose card item may have missed them: above
        # its ``n`` (an answer cut short before its card write), or named in its ``u`` (an
        # undo cut short before its tombstone). Tombstones are not in the index.
        mark, older, stale, recent = _stamp(started - IN_FLIGHT), 0, set(), set()
        for item in self._query(
            "pk = :p AND t > :c", {":p": pk, ":c": chk}, index=True, projection="sk, t"
        ):
            card_id, slot = _slot_of(item["sk"]["S"])
            t = item["t"]["S"]
            card = cards.get((deck, card_id), _Card(None))
            if slot > card.n or t in card.u:
                stale.add((deck, card_id))
            recent.add(t)
            older += t < mark
        for card in cards.values():
            # What ``u`` names and the scan should have met but did not is a tombstone
            # by now: later writes of the card need not name it.
            card.u = frozenset(t for t in card.u if t <= chk or t in recent)
        # States written by an older version are recomputed from the card's log.
        stale.update(key for key, card in cards.items() if card.state and card.state.stale)
        for key in stale:
            self._rebuild(key)
        if older and mark > chk:
            self._advance[deck] = (chk, mark)

    def _standing(self, first_hour: int | None, decks: Collection[str] | None) -> list[Review]:
        """Reviews that stand (of some decks, from an hour on), with the outbox merged in."""
        if self._offline is None:
            try:
                found: dict[str, Review] = {}
                cond, values = "pk = :p", dict[str, str]()
                if first_hour is not None:
                    cond += " AND t >= :t"
                    values[":t"] = _stamp(datetime.fromtimestamp(first_hour * SLOT_SECONDS, UTC))
                for deck in self._deck_items() if decks is None else decks:
                    values[":p"] = f"{self._p}#{deck}"
                    for item in self._query(cond, values, index=True):
                        if review := _review_of(item):
                            found[review.id] = review
                self._seen = (first_hour, None if decks is None else set(decks), found)
            except _Outage as exc:
                self._go_offline(exc.what)
        # Offline, answer from what was read before the outage if that covers the question.
        if self._seen is None or (self._offline and not _covers(self._seen, first_hour, decks)):
            raise StoreUnavailable(f"{self.location}: {self._offline}")
        found = dict(self._seen[2])
        for entry in self.outbox.entries():
            review = Review.from_dict(entry["review"])
            if entry["op"] == "undo":
                found.pop(review.id, None)
            else:
                found.setdefault(review.id, review)
        return list(found.values())

    # -- outage and outbox ---------------------------------------------------

    def _go_offline(self, reason: str) -> None:
        self._offline = reason
        self.notices.append(
            f"{self.location}: {reason}; answers are kept in {self.outbox.path} "
            "and will be sent next time the store is opened"
        )

    def _keep(
        self, entry: Entry, review: Review, expected: CardState | None, after: CardState | None
    ) -> None:
        card = self._cards.get(review.key, _Card(None))
        known = review.key in self._cards or review.deck in self._loaded
        # A card already as the entry leaves it was written before the outage (an undo
        # whose tombstone was cut off, say): the entry is kept all the same, and sending
        # it again does no harm.
        if known and card.state not in (expected, after):
            raise ConflictError(f"{review.deck}/{review.card} changed meanwhile", card.state)
        self.outbox.append(entry)
        self._cards[review.key] = _Card(after, card.v, card.n, card.u, card.marks)

    def _hint(self, review: Review) -> dict[str, list[int]]:
        """For an outbox entry: the slots this store sent puts of the review to. One of
        them may yet be carried out; sending an undo of it buries them all."""
        slots = self._tried.get(review.id, set()) | {self._slots.get(review.id, 0)}
        return {"slots": sorted(slots - {0})} if slots - {0} else {}

    def _send_outbox(self) -> None:
        entries = self.outbox.entries()
        if not entries:
            if self.outbox.path.exists():
                self.outbox.remove([])  # nothing but a fragment torn by a crash
            return
        undone = {e["review"]["id"] for e in entries if e["op"] == "undo"}
        adds = [Review.from_dict(e["review"]) for e in entries if e["op"] == "record"]
        removes = [Review.from_dict(e["review"]) for e in entries if e["op"] == "undo"]
        hints: dict[str, set[int]] = {}
        for e in entries:
            slots = e.get("slots")
            if isinstance(slots, list):
                hints.setdefault(e["review"]["id"], set()).update(
                    s for s in slots if isinstance(s, int) and s > 0
                )
        # An answer taken back while offline may still have reached the table before
        # the outage, or reach it yet (a put whose answer never came): its undo is sent
        # too, and buries every slot a put of it was sent to.
        sent = [r for r in adds if r.id not in undone]
        self._merge(sent, removes, hints)
        self.outbox.remove(entries)
        undos = len(undone - {r.id for r in adds})
        marks = sum(1 for r in sent if r.action in CARD_MARKS)  # a cram answer is an answer
        what = [f"{len(sent) - marks} answer(s)"]
        what += [f"{marks} mark(s)"] if marks else []  # suspend, bury, forget, ...
        what += [f"{undos} undo(s)"] if undos else []
        listed = what[0] if len(what) == 1 else ", ".join(what[:-1]) + " and " + what[-1]
        self.notices.append(f"{self.location}: sent {listed} kept from an earlier session")

    # -- items ---------------------------------------------------------------

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            result: dict[str, Any] = getattr(self.client, operation)(TableName=self.table, **kwargs)
            return result
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ConditionalCheckFailedException":
                raise _Taken from None
            reason = _reason(exc)
            if reason is None:
                raise _Failed(f"{self.location}: {operation} failed ({exc})", code) from None
            raise _Outage(*reason) from None
        except BotoCoreError as exc:
            reason = _reason(exc)
            if reason is None:
                raise
            raise _Outage(*reason) from None

    def _query(
        self, cond: str, values: dict[str, str], index: bool = False, projection: str = ""
    ) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": cond,
            "ExpressionAttributeValues": {k: {"S": v} for k, v in values.items()},
            "ConsistentRead": True,
        }
        if index:
            kwargs["IndexName"] = INDEX
        if projection:
            kwargs["ProjectionExpression"] = projection
        items: list[dict[str, Any]] = []
        while True:
            page = self._call("query", **kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _deck_items(self) -> dict[str, str]:
        items = self._query("pk = :p AND begins_with(sk, :s)", {":p": self._p, ":s": "deck#"})
        self._decks = {i["deck"]["S"]: i["chk"]["S"] for i in items}
        self._listed = True
        return self._decks

    def _ensure_deck(self, deck: str, back_to: str | None = None) -> None:
        """Create the deck item if missing; with ``back_to``, also move its checkpoint back."""
        if back_to is None and deck in self._decks:
            return
        chk = back_to if back_to is not None else _stamp(now() - IN_FLIGHT)
        with contextlib.suppress(_Taken):
            self._call(
                "update_item",
                Key=_key(self._p, f"deck#{deck}"),
                UpdateExpression="SET deck = :d, chk = :c",
                ConditionExpression="attribute_not_exists(pk)"
                + (" OR chk > :c" if back_to is not None else ""),
                ExpressionAttributeValues={":d": {"S": deck}, ":c": {"S": chk}},
            )
        self._decks.setdefault(deck, chk)

    def _get_card(self, key: CardKey) -> _Card:
        pk, sk = f"{self._p}#{key[0]}", f"card#{quote(key[1], safe='')}"
        item = self._call("get_item", Key=_key(pk, sk), ConsistentRead=True).get("Item")
        card = _card_of(item) if item else _Card(None)
        self._cards[key] = card
        return card

    def _write_card(
        self,
        key: CardKey,
        old: _Card,
        state: CardState | None,
        n: int,
        out: Collection[str] = (),
        marks: tuple[_Mark, ...] | None = None,
    ) -> _Card:
        """Write a card item over ``old`` (conditional on its version). Its ``u`` keeps
        what ``old`` named, and ``out``, less what this store knows to be buried; its
        marks are ``marks`` (``old``'s when ``None``)."""
        marks = old.marks if marks is None else marks
        item = _key(f"{self._p}#{key[0]}", f"card#{quote(key[1], safe='')}")
        item.update({"card": {"S": key[1]}, "v": {"N": str(old.v + 1)}, "n": {"N": str(n)}})
        if state is not None:
            item["s"] = {"S": json.dumps(state.to_dict(), separators=(",", ":"))}
        undone = frozenset(old.u.union(out) - self._buried)
        if undone:
            item["u"] = {"S": json.dumps(sorted(undone), separators=(",", ":"))}
        if marks:
            item["m"] = {"S": json.dumps([list(m) for m in marks], separators=(",", ":"))}
        if old.v:
            self._call(
                "put_item",
                Item=item,
                ConditionExpression="v = :v",
                ExpressionAttributeValues={":v": {"N": str(old.v)}},
            )
        else:
            self._call("put_item", Item=item, ConditionExpression="attribute_not_exists(pk)")
        card = self._cards[key] = _Card(state, old.v + 1, n, undone, marks)
        return card

    def _card_log(self, key: CardKey) -> _Log:
        prefix = f"rev#{quote(key[1], safe='')}#"
        items = self._query(
            "pk = :p AND begins_with(sk, :s)", {":p": f"{self._p}#{key[0]}", ":s": prefix}
        )
        reviews: list[tuple[int, Review]] = []
        buried: set[str] = set()
        for item in items:
            if review := _review_of(item):
                reviews.append((_slot_of(item["sk"]["S"])[1], review))
            elif "x" in item:
                buried.add(item["x"]["S"])
        self._slots.update((r.id, s) for s, r in reviews)
        self._buried |= buried
        top = max((_slot_of(i["sk"]["S"])[1] for i in items), default=0)
        return _Log(reviews, top, buried)

    def _put_review(self, review: Review, slot: int, strict: bool = False) -> bool:
        """Put a review into a slot; True if it is there now (put, or put by an earlier
        try of this same answer)."""
        key = _key(f"{self._p}#{review.deck}", _slot_sk(review.card, slot))
        item = {**key, "t": {"S": _t(review)}, "r": {"S": json.dumps(review.to_dict())}}
        tried = self._tried.setdefault(review.id, set())
        tried.add(slot)
        try:
            self._call("put_item", Item=item, ConditionExpression="attribute_not_exists(pk)")
        except _Taken:
            there = None if strict else self._call("get_item", Key=key, ConsistentRead=True)
            if there is None or there.get("Item", {}).get("t", {}).get("S") != _t(review):
                # Another review's slot, or a tombstone: taken for good, so no try of
                # this put can ever land there.
                tried.discard(slot)
                return False
        self._slots[review.id] = slot
        if self._seen is not None:
            self._seen[2][review.id] = review
        return True

    def _bury(self, key: CardKey, t: str, slots: Collection[int]) -> None:
        """Make each slot the tombstone of the review whose ``t`` this is: the review's
        own slot, and free slots a put of it may yet be carried out in. A slot that
        holds anything else is left as it is (no put of the review can land there)."""
        for slot in sorted(slots):
            with contextlib.suppress(_Taken):
                self._call(
                    "put_item",
                    Item={**_key(f"{self._p}#{key[0]}", _slot_sk(key[1], slot)), "x": {"S": t}},
                    ConditionExpression="attribute_not_exists(pk) OR t = :t",
                    ExpressionAttributeValues={":t": {"S": t}},
                )
        self._buried.add(t)
        self._slots.pop(_id_of(t), None)
        if self._seen is not None:
            self._seen[2].pop(_id_of(t), None)

    def _find_slot(self, review: Review) -> int:
        """The review's slot (0 if it is not in the log)."""
        if review.id in self._slots:
            return self._slots[review.id]
        items = self._query(
            "pk = :p AND t = :t", {":p": f"{self._p}#{review.deck}", ":t": _t(review)}, index=True
        )
        return _slot_of(items[0]["sk"]["S"])[1] if items else 0

    def _ensure_table(self) -> None:
        try:
            table = self._call("describe_table")["Table"]
        except _Failed as exc:
            if exc.code != "ResourceNotFoundException":
                raise
            table = self._create_table()
        deadline = time.monotonic() + 60
        while table["TableStatus"] != "ACTIVE":
            if time.monotonic() > deadline:
                raise StoreError(f"{self.location}: the table is still {table['TableStatus']}")
            time.sleep(0.2)
            table = self._call("describe_table")["Table"]
        keys = {k["AttributeName"] for k in table["KeySchema"]}
        indexes = {i["IndexName"] for i in table.get("LocalSecondaryIndexes", [])}
        if keys != {"pk", "sk"} or INDEX not in indexes:
            raise StoreError(
                f"{self.location}: the table has another layout (keys {sorted(keys)}); "
                "name a table of its own for flashcards"
            )

    def _create_table(self) -> dict[str, Any]:
        try:
            return self._call(
                "create_table",
                AttributeDefinitions=[
                    {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "t")
                ],
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                LocalSecondaryIndexes=[
                    {
                        "IndexName": INDEX,
                        "KeySchema": [
                            {"AttributeName": "pk", "KeyType": "HASH"},
                            {"AttributeName": "t", "KeyType": "RANGE"},
                        ],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ],
                BillingMode="PAY_PER_REQUEST",
            )["TableDescription"]
        except _Failed as exc:
            if exc.code != "ResourceInUseException":
                raise
            return self._call("describe_table")["Table"]  # another process created it


# -- helpers -------------------------------------------------------------------


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _slot_sk(card: str, slot: int) -> str:
    return f"rev#{quote(card, safe='')}#{slot:08d}"


def _slot_of(sk: str) -> tuple[str, int]:
    head, _, slot = sk.rpartition("#")
    return unquote(head.removeprefix("rev#")), int(slot)


def _card_of(item: dict[str, Any]) -> _Card:
    state = CardState.from_dict(json.loads(item["s"]["S"])) if "s" in item else None
    undone = frozenset(json.loads(item["u"]["S"])) if "u" in item else frozenset()
    marks = tuple(_Mark(*m) for m in json.loads(item["m"]["S"])) if "m" in item else ()
    return _Card(state, int(item["v"]["N"]), int(item["n"]["N"]), undone, marks)


def _review_of(item: dict[str, Any]) -> Review | None:
    """The review a review item holds; None for a tombstone (an undone review's slot)."""
    return Review.from_dict(json.loads(item["r"]["S"])) if "r" in item else None


def _stamp(moment: datetime) -> str:
    """A UTC time whose text sorts as the time does."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _t(review: Review) -> str:
    return f"{_stamp(review.reviewed_at)}#{review.id}"


def _id_of(t: str) -> str:
    """The review id in a ``t``."""
    return t.partition("#")[2]


def _undone(card: _Card, review: Review, restore: CardState | None) -> bool:
    """Whether the card item already has ``review`` taken out: named in ``u``, or back
    at ``restore`` (for a mark, which may leave the state as it was, with the mark gone
    from its marks too)."""
    if _t(review) in card.u:
        return True
    if review.action in CARD_MARKS and any(m.t == _t(review) for m in card.marks):
        return False
    return card.state == restore


def _before(state: CardState, review: Review) -> bool:
    return state.last_review is None or state.last_review <= review.reviewed_at


def _reason(exc: Exception) -> tuple[str, str] | None:
    """What an error says about reaching DynamoDB and what to check, or None if it
    is not about that."""
    from botocore import exceptions as bx

    text = " ".join(str(exc).split())
    credentials = "check AWS_PROFILE and your credentials (aws sso login? aws configure?)"
    if isinstance(exc, bx.ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in THROTTLED:
            return f"throttled ({code})", "try again in a while"
        if code in SERVER_FAILED or status >= 500:
            what = f"HTTP {status}" + (f" {code}" if code and code != str(status) else "")
            return f"server error ({what})", "try again in a while"
        if code in REJECTED:
            return f"credentials rejected ({text})", f"{credentials} and the region"
        return None
    if isinstance(exc, bx.ConnectionError | bx.HTTPClientError):
        return f"unreachable ({text})", "is the server running and the endpoint right?"
    if isinstance(exc, bx.ProfileNotFound):
        return text, "check AWS_PROFILE"
    if isinstance(
        exc,
        bx.NoCredentialsError
        | bx.PartialCredentialsError
        | bx.CredentialRetrievalError
        | bx.TokenRetrievalError
        | bx.SSOError,
    ):
        return f"no usable credentials ({text})", credentials
    return None


def _covers(
    seen: tuple[int | None, set[str] | None, Any], first_hour: int | None, decks: Any
) -> bool:
    """Whether reviews read from ``seen[0]`` on, of decks ``seen[1]`` (None: all), hold
    those asked for."""
    hours = seen[0] is None or (first_hour is not None and first_hour >= seen[0])
    return hours and (seen[1] is None or (decks is not None and seen[1].issuperset(decks)))


def _is_local(endpoint: str) -> bool:
    host = urlsplit(endpoint).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _connect(url: str) -> tuple[Any, str, str]:
    """A DynamoDB client for ``dynamodb://TABLE[?option=value&...]``, the table name and
    the endpoint. Options: ``endpoint_url``, ``region``, and ``connect_timeout`` and
    ``read_timeout`` in seconds (defaults 2 and 5). boto3's own configuration chain
    does the rest."""
    import boto3
    from botocore import exceptions as bx
    from botocore.config import Config

    parts = urlsplit(url)
    table = parts.netloc
    if not re.fullmatch(r"[A-Za-z0-9_.-]{3,255}", table) or parts.path not in ("", "/"):
        raise UsageError(f"--store {url!r}: expected dynamodb://TABLE (3-255 of A-Z a-z 0-9 _ . -)")
    params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if unknown := set(params) - {"endpoint_url", "region", *TIMEOUTS}:
        raise UsageError(f"--store {url!r}: unknown option(s) {', '.join(sorted(unknown))}")
    connect, read = (_seconds(url, name, params.get(name), d) for name, d in TIMEOUTS.items())
    config = Config(
        connect_timeout=connect,
        read_timeout=read,
        retries={"mode": "standard", "total_max_attempts": ATTEMPTS},
    )
    try:
        # botocore reads AWS_DEFAULT_REGION and the profile; AWS_REGION (which the other
        # SDKs read first) is honoured here.
        session = boto3.Session(region_name=params.get("region") or os.environ.get("AWS_REGION"))
        region = session.region_name
        options: dict[str, Any] = {"endpoint_url": params.get("endpoint_url"), "config": config}
        client = session.client("dynamodb", region_name=region or LOCAL_REGION, **options)
        endpoint: str = client.meta.endpoint_url
        if problem := _endpoint_problem(endpoint):
            if params.get("endpoint_url"):
                raise UsageError(f"--store {url!r}: endpoint_url {endpoint!r}: {problem}")
            raise UsageError(
                f"DynamoDB table {table}: endpoint {endpoint!r} from the AWS configuration "
                f"(AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL or the config file): {problem}"
            )
        local = _is_local(endpoint)
        if region is None and not local:
            raise StoreUnavailable(
                f"DynamoDB table {table}: no AWS region configured; "
                "set AWS_REGION or add ?region=... to the store URL"
            )
        if session.get_credentials() is None:
            if not local:
                raise StoreUnavailable(
                    f"DynamoDB table {table} at {endpoint}: no AWS credentials found; "
                    "set AWS_PROFILE or run aws sso login / aws configure"
                )
            # A local server accepts any key; AWS itself never gets invented ones.
            options.update(aws_access_key_id="local", aws_secret_access_key="local")
            client = session.client("dynamodb", region_name=region or LOCAL_REGION, **options)
    except bx.BotoCoreError as exc:
        reason = _reason(exc)
        message = "; ".join(reason) if reason else " ".join(str(exc).split())
        raise StoreUnavailable(f"DynamoDB table {table}: {message}") from None
    except ValueError as exc:  # botocore refuses a malformed endpoint_url this way
        raise UsageError(f"--store {url!r}: {exc}") from None
    return client, table, endpoint


def _seconds(url: str, name: str, given: str | None, default: float) -> float:
    """A timeout option's value: a number of seconds above 0, at most 300."""
    if given is None:
        return default
    try:
        value = float(given)
    except ValueError:
        value = -1.0
    if not 0 < value <= 300:
        raise UsageError(
            f"--store {url!r}: {name} must be a number of seconds above 0, at most 300"
        )
    return value


def _endpoint_problem(endpoint: str) -> str | None:
    """What is wrong with an endpoint URL that would only show deep inside a request,
    or None."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https"):
        return "expected http:// or https://"
    if not parts.hostname:
        return "no host name"
    try:
        port = parts.port
    except ValueError:
        return "the port must be a number from 1 to 65535"
    if port == 0:
        return "the port must be a number from 1 to 65535"
    return None


def open_dynamodb_store(url: str, context: StoreContext) -> DynamoStore:
    return DynamoStore(url, context)


def register_store() -> None:
    register("dynamodb", open_dynamodb_store)
