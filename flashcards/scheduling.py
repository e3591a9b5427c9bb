"""FSRS-6 scheduling through py-fsrs, with Anki's defaults and reproducible fuzz.

Everything here is pure: the time of a review is always passed in.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import IntEnum

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from flashcards.model import CardState, Review

LEARNING_STEPS = (timedelta(minutes=1), timedelta(minutes=10))
RELEARNING_STEPS = (timedelta(minutes=10),)
DESIRED_RETENTION = 0.90
MAXIMUM_INTERVAL = 36500

# Anki's fuzz: intervals of 2.5 days or more move by up to
# 1 day + 15% of the part between 2.5 and 7 days + 10% of 7..20 + 5% above 20.
FUZZ_RANGES = ((2.5, 7.0, 0.15), (7.0, 20.0, 0.10), (20.0, float("inf"), 0.05))


class Before(IntEnum):
    """What a card was when it was answered (Anki's review-log "type")."""

    NEW = 0
    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


RATINGS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


def fuzz_range(interval_days: int, maximum: int = MAXIMUM_INTERVAL) -> tuple[int, int]:
    """The interval bounds (in days) fuzz may pick from, as Anki computes them."""
    delta = 1.0
    for start, end, factor in FUZZ_RANGES:
        delta += factor * max(min(float(interval_days), end) - start, 0.0)
    low = max(2, round(interval_days - delta))
    high = min(round(interval_days + delta), maximum)
    return min(low, high), high


class _SeededScheduler(Scheduler):
    """py-fsrs draws fuzz from the global random generator; we seed it per card and
    review count so a preview is exactly what the answer then gives."""

    seed: str = ""

    def _get_fuzzed_interval(self, *, interval: timedelta) -> timedelta:
        if interval.days < 2.5:
            return interval
        low, high = fuzz_range(interval.days, self.maximum_interval)
        return timedelta(days=random.Random(self.seed).randint(low, high))


_scheduler = _SeededScheduler(
    desired_retention=DESIRED_RETENTION,
    learning_steps=LEARNING_STEPS,
    relearning_steps=RELEARNING_STEPS,
    maximum_interval=MAXIMUM_INTERVAL,
    enable_fuzzing=True,
)


def _to_fsrs(state: CardState | None, reviewed_at: datetime) -> FsrsCard:
    if state is None:
        return FsrsCard(card_id=0, due=reviewed_at)
    return FsrsCard(
        card_id=0,
        state=State(state.state),
        step=state.step,
        stability=state.stability,
        difficulty=state.difficulty,
        due=state.due,
        last_review=state.last_review,
    )


def before_of(state: CardState | None) -> Before:
    return Before.NEW if state is None else Before(state.state)


def schedule(
    deck: str, card: str, state: CardState | None, rating: int, reviewed_at: datetime
) -> CardState:
    """The state a card gets when answered with ``rating`` (1-4) at ``reviewed_at``."""
    if reviewed_at.tzinfo is None:
        raise ValueError("reviewed_at must be timezone-aware")
    at = reviewed_at.astimezone(UTC)
    reps = state.reps if state else 0
    _scheduler.seed = f"{deck}/{card}/{reps}"
    result, _ = _scheduler.review_card(_to_fsrs(state, at), Rating(rating), at)
    lapses = state.lapses if state else 0
    if state is not None and state.state == State.Review and rating == Rating.Again:
        lapses += 1
    return CardState(
        state=int(result.state),
        step=result.step,
        stability=result.stability,
        difficulty=result.difficulty,
        due=result.due,
        last_review=result.last_review,
        reps=reps + 1,
        lapses=lapses,
    )


def preview(
    deck: str, card: str, state: CardState | None, reviewed_at: datetime
) -> dict[int, CardState]:
    """The state each rating would give; ``schedule`` returns exactly these."""
    return {r: schedule(deck, card, state, r, reviewed_at) for r in RATINGS}


def format_interval(delta: timedelta) -> str:
    """A short label such as ``10m``, ``5.5m``, ``3h`` or ``4d``, exact to what is scheduled."""
    seconds = delta.total_seconds()
    if seconds < 3600:
        minutes = seconds / 60
        return f"{minutes:.0f}m" if minutes == round(minutes) else f"{minutes:.1f}m"
    if seconds < 86400:
        hours = seconds / 3600
        return f"{hours:.0f}h" if hours == round(hours) else f"{hours:.1f}h"
    days = seconds / 86400
    return f"{days:.0f}d" if days == round(days) else f"{days:.1f}d"


@dataclass(frozen=True)
class Replayed:
    states: dict[tuple[str, str], CardState]
    reviews: list[Review]


def replay(reviews: Iterable[Review]) -> Replayed:
    """Recompute every card's state from ratings and times alone.

    Reviews are applied in time order per card (reviews at the same moment keep
    the order they come in); the result carries each review with its recomputed
    ``before`` and ``state`` so a store can write them back.
    """
    ordered = sorted(reviews, key=lambda r: r.reviewed_at)
    states: dict[tuple[str, str], CardState] = {}
    out: list[Review] = []
    for review in ordered:
        key = (review.deck, review.card)
        current = states.get(key)
        after = schedule(review.deck, review.card, current, review.rating, review.reviewed_at)
        states[key] = after
        out.append(replace(review, before=int(before_of(current)), state=after))
    return Replayed(states, out)
