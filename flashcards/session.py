"""A study session: queue, answers, marks (suspend, bury, forget), undo. No terminal
here; the time is passed in."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from flashcards.catalog import Catalog
from flashcards.days import study_date
from flashcards.due import entry_of, is_due, shows_from
from flashcards.errors import ConflictError, StoreError
from flashcards.intervals import span_label
from flashcards.model import (
    FORGET,
    NO_FLAGS,
    SUSPEND,
    Card,
    CardState,
    Flags,
    Review,
    flags_after,
    note_of,
)
from flashcards.options import DeckOptions, DeckOptionsMap, is_leech_lapse
from flashcards.queue import (
    Counts,
    Limits,
    StudyQueue,
    answered_today,
    buried_today,
    day_start,
    done_today,
    next_day_start,
    session_limits,
    sibling_notes,
)
from flashcards.scheduling import (
    DEFAULT_CONFIG,
    SchedulerConfig,
    before_of,
    button_seconds,
    preview,
    schedule,
)
from flashcards.stores import CardKey, Store
from flashcards.tags import ALL_TAGS, TagFilter, chosen_cards

#: How many times an answer is recomputed when another process keeps changing the card.
CONFLICT_RETRIES = 5


def record_retrying(
    store: Store,
    key: CardKey,
    expected: CardState | None,
    review_from: Callable[[CardState | None], Review],
    on_conflict: Callable[[CardState | None], None] | None = None,
) -> tuple[Review, CardState | None]:
    """Record the review ``review_from`` makes of the card's ``expected`` state. When
    another process changed the card meanwhile, the review is made again from the state
    the store holds now (``on_conflict`` is told it first), at most ``CONFLICT_RETRIES``
    times, then ``StoreError``. Returns the review kept and the state it went on."""
    for _ in range(CONFLICT_RETRIES):
        review = review_from(expected)
        try:
            store.record(review, expected)
            return review, expected
        except ConflictError as conflict:
            expected = conflict.current if isinstance(conflict.current, CardState) else None
            if on_conflict is not None:
                on_conflict(expected)
    raise StoreError(f"{key[0]}/{key[1]} keeps changing in another session; try again")


class SessionQueue(Protocol):
    """What a session asks of its queue (``queue.StudyQueue``, ``cram.CramQueue``)."""

    main: list[CardKey]
    learning: dict[CardKey, datetime]
    held: set[CardKey]

    def next(self, now: datetime) -> CardKey | None: ...
    def next_due(self) -> datetime | None: ...
    def counts(self, now: datetime | None = None) -> Counts: ...
    def copy(self) -> SessionQueue: ...


@dataclass
class _Step:
    """One thing done in the session and undone as a whole: an answer (with the suspend
    a leech may bring), or a mark on a card (and on its siblings). ``records`` are the
    reviews and marks kept, each with the card's state before it; ``flags`` the flags of
    every card marked, before."""

    card: CardKey
    records: list[tuple[Review, CardState | None]]
    queue: SessionQueue
    flags: dict[CardKey, Flags] = field(default_factory=dict)
    answer: Review | None = None


@dataclass
class Summary:
    answered: int = 0
    again: int = 0


class StudySession:
    """Study the named decks (all when none are named) against a store."""

    #: What the screen says when the session has no card at all.
    nothing_text = "Nothing due now."
    #: What it says when the tags chosen leave no card at all.
    none_tagged_text = "No card in these decks has the tags chosen."

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        deck_ids: list[str],
        now: datetime,
        limits: Limits | None = None,
        schedulers: Callable[[str], SchedulerConfig] | None = None,
        *,
        options: Callable[[str], DeckOptions] | None = None,
        tags: TagFilter = ALL_TAGS,
        ahead_days: int = 0,
    ) -> None:
        """``limits`` (one for every deck) beats each deck's own limits (``options``);
        ``tags`` chooses the cards studied; ``ahead_days`` also brings review cards due
        within that many study days after today."""
        self.store = store
        self.catalog = catalog
        self.decks = [info.id for info in catalog.select(deck_ids)]
        #: Each deck's scheduler (its FSRS parameters and desired retention).
        self.scheduler: Callable[[str], SchedulerConfig] = schedulers or (
            lambda _deck: DEFAULT_CONFIG
        )
        #: Each deck's options (limits, leeches, new card order, burying siblings).
        self.options: Callable[[str], DeckOptions] = options or DeckOptionsMap.from_deck_files(
            catalog
        )
        self.tags = tags
        # The queue needs only each card's state and due time; whole states are read
        # per deck when one of its cards is shown.
        self.overview = store.due_overview(self.decks)
        self._states: dict[str, dict[CardKey, CardState]] = {}
        #: Suspended and buried cards (only those with a flag).
        self.flags: dict[CardKey, Flags] = store.flags(self.decks)
        self.summary = Summary()
        #: Whether the last answer had to be recomputed after another session's.
        self.recomputed = False
        #: Whether the last answer made its card a leech, and whether it was suspended.
        self.leech = False
        self.leech_suspended = False
        self._history: list[_Step] = []
        self._limits, self._ahead_days = limits, ahead_days
        #: The cards the tags choose (``None``: every card of the decks).
        self.chosen: set[CardKey] | None = None
        self.queue: SessionQueue = self._build_queue(now, limits, ahead_days)
        if self.chosen is not None and not self.chosen:
            self.nothing_text = self.none_tagged_text

    def _candidates(self, now: datetime) -> list[CardKey]:
        """Every card of the session's decks that may come up: not suspended, not
        buried, and passing the tag filter."""
        keys: list[CardKey] = []
        self.chosen = set() if self.tags else None
        for info in self.catalog.select(self.decks):
            if self.tags:
                deck = self.catalog.deck(info.id)
                threshold = self.options(info.id).leech_threshold
                states = self._deck_states(info.id) if self.tags.needs_states else {}
                chosen = chosen_cards(deck, self.tags, states, threshold)
                assert self.chosen is not None
                self.chosen.update((info.id, card) for card in chosen)
            else:
                chosen = list(info.card_ids)
            for card in chosen:
                key = (info.id, card)
                if not self.flags.get(key, NO_FLAGS).hidden(now):
                    keys.append(key)
        return keys

    def _build_queue(self, now: datetime, limits: Limits | None, ahead_days: int) -> SessionQueue:
        activity = self.store.activity(day_start(now), self.decks)
        today = {deck: done_today({deck: slots}, now) for deck, slots in activity.items()}
        siblings, buried = self._siblings(now)
        per_deck = {deck: Limits.of(self.options(deck)) for deck in self.decks}
        return StudyQueue(
            self._candidates(now),
            self.overview,
            now,
            today,
            limits or per_deck,
            siblings=siblings,
            buried=buried,
            ahead_days=ahead_days,
            new_order={deck: self.options(deck).new_order for deck in self.decks},
            session_limits=None if limits else session_limits(self.options, self.decks),
        )

    def _siblings(self, now: datetime) -> tuple[dict[CardKey, tuple[str, str]], set[CardKey]]:
        """The entry of each card with siblings in the decks that bury them, and the
        cards buried today because a sibling was answered today. Only those decks'
        states are read (for when each card was last answered)."""
        cards = [
            (info.id, card)
            for info in self.catalog.select(self.decks)
            if self.options(info.id).bury_siblings
            for card in info.card_ids
        ]
        siblings = sibling_notes(cards)
        answered: set[CardKey] = set()
        for deck in dict.fromkeys(key[0] for key in siblings):
            answered |= answered_today(self._deck_states(deck), now)
        return siblings, buried_today(siblings, self.overview, answered)

    def held_back(self) -> int:
        """How many cards (of those the tags choose) wait for the next study day
        because of a sibling."""
        return sum(1 for key in self.queue.held if self._chooses(key))

    def _chooses(self, key: CardKey) -> bool:
        return self.chosen is None or key in self.chosen

    def next_card(self, now: datetime) -> Card | None:
        """The card to show now (``None``: nothing left). A card taken out of its deck
        file by an edit during the session, or set aside in another terminal, is skipped."""
        while (key := self.queue.next(now)) is not None:
            card = self._find(key)
            if card is not None and not self._set_aside_elsewhere(key, now):
                return card
            _take_off(self.queue, key)
        return None

    def _set_aside_elsewhere(self, key: CardKey, now: datetime) -> bool:
        """Whether another process (a terminal running ``flashcards suspend``) has set
        the card aside since the session began, as far as the store tells now."""
        with contextlib.suppress(StoreError):  # unreadable now: the session's flags stand
            flags = self.store.flags([key[0]]).get(key, NO_FLAGS)
            if flags != self.flags.get(key, NO_FLAGS):
                self.flags[key] = flags
        return self.flags.get(key, NO_FLAGS).hidden(now)

    def card(self, key: CardKey) -> Card:
        card = self._find(key)
        if card is None:
            raise StoreError(
                f"card {key[0]}/{key[1]} vanished from its deck file during the session"
            )
        return card

    def _find(self, key: CardKey) -> Card | None:
        """The card as its deck file has it now (``None``: no longer there)."""
        return next((card for card in self.catalog.deck(key[0]).cards if card.id == key[1]), None)

    def counts(self, now: datetime | None = None) -> Counts:
        """The cards left (see :meth:`StudyQueue.counts`)."""
        return self.queue.counts(now)

    def preview(self, card: Card, now: datetime) -> dict[int, CardState]:
        state = self.state((card.deck, card.id))
        return preview(card.deck, card.id, state, now, config=self.scheduler(card.deck))

    def button_seconds(self, card: Card, now: datetime) -> dict[int, int]:
        """What each answer button says, in seconds (see ``scheduling.button_seconds``)."""
        state = self.state((card.deck, card.id))
        return button_seconds(card.deck, card.id, state, now, config=self.scheduler(card.deck))

    def state(self, key: CardKey) -> CardState | None:
        """The card's current state (``None`` while new)."""
        return self._deck_states(key[0]).get(key)

    def _deck_states(self, deck: str) -> dict[CardKey, CardState]:
        """The states of a deck's answered cards, read from the store once."""
        if deck not in self._states:
            self._states[deck] = self.store.load_states([deck])
        return self._states[deck]

    def _set_state(self, key: CardKey, state: CardState | None) -> None:
        self.state(key)  # the deck's states are loaded before one is changed
        if state is None:
            self._states[key[0]].pop(key, None)
            self.overview.pop(key, None)
        else:
            self._states[key[0]][key] = state
            self.overview[key] = entry_of(state)

    def answer(
        self, card: Card, rating: int, now: datetime, duration_ms: int | None = None
    ) -> CardState | None:
        """Keep an answer durably, then move the queue on; returns the card's state
        after it. If another process answered the same card meanwhile, the answer is
        recomputed from that newer state."""
        key = (card.deck, card.id)
        assert isinstance(self.queue, StudyQueue)
        queue_before = self.queue.copy()
        self.recomputed = False

        def answer_to(expected: CardState | None) -> Review:
            at = now
            if expected is not None and expected.last_review and expected.last_review > at:
                # Another session answered this card a moment "later": ours follows it.
                at = expected.last_review
            after = schedule(
                card.deck, card.id, expected, rating, at, config=self.scheduler(card.deck)
            )
            return Review(
                id=new_review_id(),
                deck=card.deck,
                card=card.id,
                rating=rating,
                reviewed_at=at,
                duration_ms=duration_ms,
                before=int(before_of(expected)),
                last_interval=expected.interval if expected is not None else None,
                state=after,
            )

        def recomputed(_: CardState | None) -> None:
            self.recomputed = True

        review, expected = record_retrying(self.store, key, self.state(key), answer_to, recomputed)
        after, now = review.state, review.reviewed_at
        assert after is not None  # an answer's review carries the state it leads to
        self._set_state(key, after)
        self.queue.answered(key, after)
        step = _Step(key, [(review, expected)], queue_before, answer=review)
        self._history.append(step)
        self.summary.answered += 1
        self.summary.again += rating == 1
        self._check_leech(step, expected, after, now)
        return after

    def _check_leech(
        self, step: _Step, before: CardState | None, after: CardState, now: datetime
    ) -> None:
        """Anki's leech rule on a lapse; with ``leech_action: suspend`` the card is also
        suspended, in the same step (undoing the answer undoes both)."""
        options = self.options(step.card[0])
        lapsed = after.lapses > (before.lapses if before is not None else 0)
        self.leech = lapsed and is_leech_lapse(after.lapses, options.leech_threshold)
        self.leech_suspended = False
        suspend = self.leech and options.leech_action == SUSPEND
        if suspend and not self.flags.get(step.card, NO_FLAGS).suspended:
            self._mark(step, step.card, SUSPEND, now)
            self.leech_suspended = True

    def set_aside(self, card: Card, action: str, now: datetime, *, siblings: bool = False) -> int:
        """Bury or suspend a card (``action`` ``model.BURY`` or ``model.SUSPEND``), and with
        ``siblings`` the other cards of its deck entry; returns how many cards were set
        aside (siblings already set aside are left as they are)."""
        key = (card.deck, card.id)
        keys = [key]
        if siblings:
            entry = note_of(card.id)
            keys += [
                (card.deck, other)
                for other in self.catalog.info(card.deck).card_ids
                if other != card.id and note_of(other) == entry
            ]
        step = _Step(key, [], self.queue.copy())
        for other in keys:
            flags = self.flags.get(other, NO_FLAGS)
            done = flags.suspended if action == SUSPEND else flags.hidden(now)
            if other != key and done:
                continue
            self._mark(step, other, action, now)
        self._history.append(step)
        self._requeue(now)
        return len(step.records)

    def forget(self, card: Card, now: datetime) -> None:
        """Make a card new again (Anki's Reset); its answers stay in the log."""
        key = (card.deck, card.id)
        step = _Step(key, [], self.queue.copy())
        self._mark(step, key, FORGET, now)
        self._history.append(step)

    def _requeue(self, now: datetime) -> None:
        """Build the queue again after cards were set aside, as Anki
        rebuilds its queues then: a card set aside used no place under the day's limits,
        so the next card comes in its stead (undo brings the queue before back)."""
        if isinstance(self.queue, StudyQueue):
            # When today's counts cannot be read now (offline), the queue as it is will do.
            with contextlib.suppress(StoreError):
                self.queue = self._build_queue(now, self._limits, self._ahead_days)

    def _mark(self, step: _Step, key: CardKey, action: str, now: datetime) -> None:
        """Keep one mark durably and apply it to the session."""
        # Answered in another session meanwhile: the mark goes on that state.
        mark, before = record_retrying(
            self.store,
            key,
            self.state(key),
            partial(mark_review, key, action, now=now),
            partial(self._set_state, key),
        )
        step.records.append((mark, before))
        flags = self.flags.get(key, NO_FLAGS)
        step.flags.setdefault(key, flags)
        self.flags[key] = flags_after(flags, action, now)
        if action == FORGET:
            self._set_state(key, None)
        if action == FORGET or self.flags[key].hidden(now):
            _take_off(self.queue, key)  # a forgotten card waits among the new ones

    def can_undo(self) -> bool:
        return bool(self._history)

    def last_step(self) -> str | None:
        """What ``undo`` would take back: ``answer``, or the mark (``suspend``, ``bury``,
        ``forget``); ``None`` when nothing can be undone."""
        if not self._history:
            return None
        last = self._history[-1]
        if last.answer is not None or not last.records:
            return "answer"
        return last.records[0][0].action or "answer"

    def undo(self) -> Card | None:
        """Take back the last answer, suspend, bury or forget of this session (all the
        cards it touched); returns its card, to show again."""
        if not self._history:
            return None
        last = self._history[-1]
        while last.records:
            review, previous = last.records[-1]
            try:
                self.store.undo(review, previous)
            except ConflictError:
                raise StoreError(
                    f"cannot undo {review.deck}/{review.card}: it was changed in another session"
                ) from None
            last.records.pop()
            self._set_state(review.key, previous)
            if review.key in last.flags:
                self.flags[review.key] = last.flags[review.key]
        self._history.pop()
        self.queue = last.queue
        if last.answer is not None:
            self.summary.answered -= 1
            self.summary.again -= last.answer.rating == 1
        self.leech = self.leech_suspended = False
        return self.card(last.card)

    def button_labels(self, card: Card, now: datetime) -> dict[int, str]:
        """What each answer button says: the interval it leads to (``1m``, ``3d``)."""
        return {r: span_label(seconds) for r, seconds in self.button_seconds(card, now).items()}

    def reload_deck(self, deck_id: str) -> None:
        """Read a deck file again (after an edit); its cards are matched by id. A deck
        left invalid raises ``DeckError`` and the version in use stays."""
        self.catalog.reload(deck_id)

    def next_due(self, now: datetime) -> datetime | None:
        """When something will next be there to study in these decks (never a
        suspended card; a buried one on the next study day)."""
        candidates: list[datetime] = []
        learning = self.queue.next_due()
        if learning is not None:
            candidates.append(learning)
        later = [
            shows_from(entry, now)
            for key, entry in self.overview.items()
            if not is_due(entry, now) and not self._suspended(key) and self._chooses(key)
        ]
        if later:
            candidates.append(min(later))
        tomorrow = next_day_start(now)
        buried = any(flags.buried(now) and self._chooses(key) for key, flags in self.flags.items())
        if (
            self.held_back()
            or buried
            or any(
                (info.id, card) not in self.overview
                and not self._suspended((info.id, card))
                and self._chooses((info.id, card))
                for info in self.catalog.select(self.decks)
                for card in info.card_ids
            )
        ):
            candidates.append(tomorrow)
        return min(candidates, default=None)

    def _suspended(self, key: CardKey) -> bool:
        return self.flags.get(key, NO_FLAGS).suspended


def _take_off(queue: SessionQueue, key: CardKey) -> None:
    """A card set aside leaves the queue for this session."""
    queue.learning.pop(key, None)
    if key in queue.main:
        queue.main.remove(key)


def mark_review(key: CardKey, action: str, before: CardState | None, now: datetime) -> Review:
    """The mark for ``action`` on a card whose state is ``before``: the state stays, but
    for ``forget``, after which the card is new. A mark is never dated before the card's
    last answer (a clock behind, or another session's answer a moment "later"): every
    replay orders by time, and would put the answer after it."""
    at = max(now, before.last_review) if before is not None else now
    return Review(
        id=new_review_id(),
        deck=key[0],
        card=key[1],
        rating=0,
        reviewed_at=at,
        duration_ms=None,
        before=int(before_of(before)),
        state=None if action == FORGET else before,
        action=action,
    )


def new_review_id() -> str:
    """A unique id made once on this client; ids sort in the order they were made,
    which keeps answers given at the same (simulated) moment in order."""
    return f"{time.time_ns():016x}{secrets.token_hex(8)}"


def describe_wait(moment: datetime, now: datetime) -> str:
    """``in 3h 20m (Tue 14:00)`` style."""
    wait = max(moment - now, timedelta(0))
    minutes = int(wait.total_seconds() // 60)
    if minutes < 1:
        span = "in under a minute"
    elif minutes < 60:
        span = f"in {minutes}m"
    elif minutes < 24 * 60:
        span = f"in {minutes // 60}h {minutes % 60}m"
    else:  # in study days, as the answer buttons count them ("Easy 7d")
        days = (study_date(moment.astimezone(now.tzinfo)) - study_date(now)).days
        span = f"in {max(days, 1)}d"
    return f"{span} ({moment.astimezone(now.tzinfo):%a %Y-%m-%d %H:%M})"


def ahead_days(span: str) -> int:
    """The days of ``--ahead``: ``3d`` (or ``3``) is 3, ``1w`` is 7."""
    import re

    from flashcards.errors import UsageError

    match = re.fullmatch(r"\s*(\d{1,4})\s*([dw]?)\s*", span.lower())
    if match is None or int(match.group(1)) == 0:
        raise UsageError(f"--ahead {span!r}: give days or weeks, like 3d or 1w")
    return int(match.group(1)) * (7 if match.group(2) == "w" else 1)
