"""Deck statistics. Pure: states, activity and ``now`` come in, numbers go out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flashcards.days import ROLLOVER_HOUR, day_start
from flashcards.due import due_within, entry_of, is_due
from flashcards.model import (
    LEARNING,
    NO_FLAGS,
    RELEARNING,
    REVIEW,
    SLOT_SECONDS,
    CardState,
    Flags,
    Tally,
    slot_of,
)

CardKey = tuple[str, str]
RETENTION_DAYS = 30


@dataclass(frozen=True)
class DeckStats:
    id: str
    name: str
    cards: int
    new: int
    learning: int
    review: int
    relearning: int
    due_now: int
    due_today: int
    due_7_days: int
    reviews_today: int
    retention_30d: float | None
    streak_days: int
    #: Cards suspended (counted in their state, never as due).
    suspended: int = 0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def deck_stats(
    deck_id: str,
    name: str,
    card_ids: Iterable[str],
    states: Mapping[CardKey, CardState],
    activity: Mapping[int, Tally],
    hours: Iterable[int],
    now: datetime,
    flags: Mapping[CardKey, Flags] | None = None,
) -> DeckStats:
    """Counts for one deck. ``activity`` is that deck's reviews per quarter-hour slot
    over the last 30 days at least; ``hours`` every slot in which it had a review;
    ``flags`` (``Store.flags``) the cards set aside: a suspended card is never due, a
    buried one not today (it is back the next study day)."""
    flags = flags or {}
    counts: dict[int, int] = {LEARNING: 0, REVIEW: 0, RELEARNING: 0}
    total = new = due_now = due_today = due_week = suspended = 0
    for card in card_ids:
        total += 1
        key = (deck_id, card)
        state = states.get(key)
        mark = flags.get(key, NO_FLAGS)
        suspended += mark.suspended
        if state is None:
            new += 1
            continue
        counts[state.state] += 1
        if mark.suspended:
            continue
        entry = entry_of(state)
        if not mark.buried(now):
            due_now += is_due(entry, now)
            due_today += due_within(entry, now, 1)
        due_week += due_within(entry, now, 7)
    return DeckStats(
        id=deck_id,
        name=name,
        cards=total,
        new=new,
        learning=counts[LEARNING],
        review=counts[REVIEW],
        relearning=counts[RELEARNING],
        due_now=due_now,
        due_today=due_today,
        due_7_days=due_week,
        reviews_today=reviews_since(activity, day_start(now)),
        retention_30d=retention(activity, now),
        streak_days=streak(hours, now),
        suspended=suspended,
    )


def total_stats(
    decks: list[DeckStats], activity: Mapping[int, Tally], hours: Iterable[int], now: datetime
) -> DeckStats:
    """The decks summed; retention and streak come from the merged activity."""

    def summed(field: str) -> int:
        return sum(int(getattr(d, field)) for d in decks)

    return DeckStats(
        id="total",
        name="Total",
        cards=summed("cards"),
        new=summed("new"),
        learning=summed("learning"),
        review=summed("review"),
        relearning=summed("relearning"),
        due_now=summed("due_now"),
        due_today=summed("due_today"),
        due_7_days=summed("due_7_days"),
        reviews_today=summed("reviews_today"),
        retention_30d=retention(activity, now),
        streak_days=streak(hours, now),
        suspended=summed("suspended"),
    )


def merge_activity(per_deck: Iterable[Mapping[int, Tally]]) -> dict[int, Tally]:
    merged: dict[int, Tally] = {}
    for hours in per_deck:
        for hour, tally in hours.items():
            merged.setdefault(hour, Tally()).absorb(tally)
    return merged


def reviews_since(activity: Mapping[int, Tally], since: datetime) -> int:
    first = slot_of(since)
    return sum(t.reviews for h, t in activity.items() if h >= first)


def retention(activity: Mapping[int, Tally], now: datetime) -> float | None:
    """Share of review-card answers in the last 30 days that were not Again."""
    first = slot_of(now - timedelta(days=RETENTION_DAYS))
    answered = sum(t.review for h, t in activity.items() if h >= first)
    passed = sum(t.passed for h, t in activity.items() if h >= first)
    return passed / answered if answered else None


def _day_shift(now: datetime) -> int:
    """Seconds to add to a UTC time so that whole days count from the 4 a.m. rollover in
    the offset of ``now``."""
    utc_offset = now.utcoffset()
    offset = int(utc_offset.total_seconds()) if utc_offset is not None else 0
    return offset - ROLLOVER_HOUR * 3600


def study_day(slot: int, now: datetime) -> int:
    """The study day (days since the epoch, rolling over at 4 a.m.) of a quarter-hour
    slot, in the UTC offset of ``now``. Integer arithmetic: years of slots become days."""
    return (slot * SLOT_SECONDS + _day_shift(now)) // 86400


def streak(hours: Iterable[int], now: datetime) -> int:
    """Consecutive study days with at least one review, ending today (or yesterday,
    when today has no review yet)."""
    shift = _day_shift(now)
    # ``study_day`` inlined: hundreds of thousands of quarter hours on a long history
    days = {(h * SLOT_SECONDS + shift) // 86400 for h in hours}
    today = study_day(slot_of(now), now)
    day = today if today in days else today - 1
    count = 0
    while day in days:
        count += 1
        day -= 1
    return count
