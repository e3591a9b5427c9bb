"""Intervals written as Anki writes them on its answer buttons: ``1m``, ``10m``, ``1.5h``,
``1d``, ``15d``, ``2.3mo``, ``1.1y``. Pure: ``now`` is passed in."""

from __future__ import annotations

import math
from datetime import datetime

from flashcards.days import DAY_SECONDS, study_date
from flashcards.model import CardState

_YEAR = 365 * DAY_SECONDS
_MONTH = _YEAR / 12
# (upper bound in seconds, seconds per unit, suffix, decimals shown)
_UNITS = (
    (60, 1, "s", False),
    (3600, 60, "m", False),
    (DAY_SECONDS, 3600, "h", True),
    (_MONTH, DAY_SECONDS, "d", False),
    (_YEAR, _MONTH, "mo", True),
    (math.inf, _YEAR, "y", True),
)


def _half_up(x: float) -> float:
    return math.floor(abs(x) + 0.5) * (1 if x >= 0 else -1)


def span_label(seconds: float) -> str:
    """A span in Anki's answer-button style: whole seconds, minutes and days; hours,
    months and years to one decimal (a trailing ``.0`` dropped)."""
    for limit, unit, suffix, decimals in _UNITS:
        if abs(seconds) < limit:
            amount = seconds / unit
            value = _half_up(amount * 10) / 10 if decimals else _half_up(amount)
            text = f"{value:.1f}".removesuffix(".0")
            return f"{text}{suffix}"
    raise AssertionError("unreachable")


def wait_seconds(state: CardState, now: datetime) -> float:
    """How long from ``now`` until the card is due, as Anki counts it for its buttons:
    whole days for a card due on a study day, seconds for a learning step."""
    if state.due_day is not None:
        return (state.due_day - study_date(now)).days * DAY_SECONDS
    return max(0.0, (state.due - now.replace(microsecond=0)).total_seconds())


def interval_label(state: CardState, now: datetime) -> str:
    """The label of the button that leads to ``state``, or of a card's next due."""
    return span_label(wait_seconds(state, now))
