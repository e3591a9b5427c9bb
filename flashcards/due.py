"""The one place that decides when a card is due. Pure: ``now`` is passed in.

A card in a learning step is due at an exact moment. Every other card (review cards, and
learning steps that reach past the day's rollover) is due on a study day, as in Anki:
it shows from 4 a.m. of that day in the learner's offset *now*, so travelling or a
daylight-saving change never moves it to another day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

from flashcards.days import next_day_start, start_of, study_date
from flashcards.model import CardState, from_us, to_us


class DueEntry(NamedTuple):
    """What deciding dueness needs of a card: its state (1 learning, 2 review,
    3 relearning), its due moment in microseconds since the epoch, and the ordinal of
    its due study day (``date.toordinal``; 0 for a card due at a moment)."""

    state: int
    due_us: int
    day: int


def entry_of(state: CardState) -> DueEntry:
    day = state.due_day.toordinal() if state.due_day is not None else 0
    return DueEntry(int(state.state), to_us(state.due), day)


def is_due(entry: DueEntry, now: datetime) -> bool:
    """Due now: a learning step whose moment has come, or a card due today or before."""
    if entry.day:
        return entry.day <= study_date(now).toordinal()
    return entry.due_us <= to_us(now)


def due_within(entry: DueEntry, now: datetime, days: int) -> bool:
    """Due before the end of the ``days``-th study day counted from today
    (``days=1``: by the end of today; ``days=7``: today and the six days after)."""
    if entry.day:
        return entry.day < study_date(now).toordinal() + days
    return entry.due_us < to_us(next_day_start(now) + timedelta(days=days - 1))


def due_date(entry: DueEntry, now: datetime) -> date:
    """The study day the card is due on (for a learning step, the day its moment falls in)."""
    if entry.day:
        return date.fromordinal(entry.day)
    return study_date(from_us(entry.due_us).astimezone(now.tzinfo))


def shows_from(entry: DueEntry, now: datetime) -> datetime:
    """The moment the card can next be studied, seen from ``now``'s offset."""
    if entry.day:
        return start_of(date.fromordinal(entry.day), now)
    return from_us(entry.due_us).astimezone(now.tzinfo)
