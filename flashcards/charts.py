"""The figures behind the pictures of ``flashcards stats``. Pure: per-day counts, card
states and ``now`` come in, numbers go out (``render_charts`` draws them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flashcards.due import DueEntry, due_date
from flashcards.model import STATE_NAMES, CardState, DayStats
from flashcards.scheduling import DEFAULT_CONFIG, SchedulerConfig

CardKey = tuple[str, str]
#: ``--period``: how many days back the answer-button and time figures reach.
PERIODS = {"1m": 30, "3m": 91, "1y": 365, "all": None}
FORECAST_DAYS = 30
#: Upper bounds of the stability buckets, in days (the last is open).
STABILITY_BUCKETS = (1, 3, 7, 14, 30, 90, 180, 365, 1000)
#: Upper bounds of the retrievability buckets.
RETRIEVABILITY_BUCKETS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0)


@dataclass(frozen=True)
class Heatmap:
    """Reviews per study day over the last 53 weeks, as a calendar: ``weeks`` columns,
    each a Monday-to-Sunday list (``None`` outside the range); ``today`` and the days of
    the current streak are marked by date."""

    first: date
    weeks: list[list[int | None]]
    today: date
    streak: frozenset[date]
    busiest: int


def heatmap(reviews_per_day: Mapping[date, int], today: date) -> Heatmap:
    start = today - timedelta(days=364)
    first = start - timedelta(days=start.weekday())  # the Monday of the first week
    weeks: list[list[int | None]] = []
    day = first
    while day <= today:
        week: list[int | None] = []
        for _ in range(7):
            inside = start <= day <= today
            week.append(reviews_per_day.get(day, 0) if inside else None)
            day += timedelta(days=1)
        weeks.append(week)
    streak = set()
    cursor = today if reviews_per_day.get(today) else today - timedelta(days=1)
    while reviews_per_day.get(cursor, 0) > 0:
        streak.add(cursor)
        cursor -= timedelta(days=1)
    busiest = max(
        (reviews_per_day.get(start + timedelta(days=i), 0) for i in range(365)), default=0
    )
    return Heatmap(first, weeks, today, frozenset(streak), busiest)


def forecast(entries: Iterable[DueEntry], now: datetime, days: int = FORECAST_DAYS) -> list[int]:
    """Cards due on each of the next ``days`` study days; today includes what is
    overdue and learning steps due later today."""
    from flashcards.days import study_date

    today = study_date(now)
    counts = [0] * days
    for entry in entries:
        offset = (due_date(entry, now) - today).days
        if offset < days:
            counts[max(offset, 0)] += 1
    return counts


@dataclass(frozen=True)
class RetentionCell:
    passed: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.total if self.total else None


TRUE_RETENTION_PERIODS = (
    ("today", 0, 1),
    ("yesterday", 1, 2),
    ("7 days", 0, 7),
    ("30 days", 0, 30),
    ("year", 0, 365),
)


def true_retention(
    days: Mapping[date, DayStats], today: date
) -> dict[str, dict[str, RetentionCell]]:
    """Anki 24.11's true retention table: answers to review cards that were remembered,
    young (interval under 21 days) and mature, over today, yesterday, the last 7 and 30
    days and the year."""
    table: dict[str, dict[str, RetentionCell]] = {}
    for name, newest, oldest in TRUE_RETENTION_PERIODS:
        picked = [days[d] for d in _range(today, newest, oldest) if d in days]
        young = RetentionCell(sum(s.young_passed for s in picked), sum(s.young for s in picked))
        mature = RetentionCell(sum(s.mature_passed for s in picked), sum(s.mature for s in picked))
        table[name] = {
            "young": young,
            "mature": mature,
            "total": RetentionCell(young.passed + mature.passed, young.total + mature.total),
        }
    return table


def _range(today: date, newest: int, oldest: int) -> list[date]:
    """The days from ``newest`` to ``oldest - 1`` days ago."""
    return [today - timedelta(days=back) for back in range(newest, oldest)]


def in_period(days: Mapping[date, DayStats], today: date, period: str) -> dict[date, DayStats]:
    reach = PERIODS[period]
    if reach is None:
        return {d: s for d, s in days.items() if d <= today}
    first = today - timedelta(days=reach - 1)
    return {d: s for d, s in days.items() if first <= d <= today}


def answer_buttons(days: Mapping[date, DayStats]) -> dict[str, list[int]]:
    """How often each rating (Again, Hard, Good, Easy) was given, per card state."""
    out = {name: [0, 0, 0, 0] for name in STATE_NAMES.values()}
    for stats in days.values():
        for state, name in STATE_NAMES.items():
            for rating in range(4):
                out[name][rating] += stats.ratings[state * 4 + rating]
    return out


def days_cram(days: Mapping[date, DayStats], first: date | None, last: date) -> int:
    """Cram answers from study day ``first`` (from the start when ``None``) to ``last``."""
    return sum(s.cram for d, s in days.items() if (first is None or first <= d) and d <= last)


def minutes_per_day(days: Mapping[date, DayStats], today: date, count: int) -> list[float]:
    """Minutes spent on each of the last ``count`` days, oldest first."""
    return [
        round(days[d].milliseconds / 60000, 1) if d in days else 0.0
        for d in reversed(_range(today, 0, count))
    ]


@dataclass(frozen=True)
class Memory:
    """How stable the learner's memory is: cards per stability and retrievability
    bucket, and the estimated number of cards remembered now (sum of retrievability)."""

    stability: list[int]
    retrievability: list[int]
    remembered: float
    cards: int


def memory(
    states: Mapping[CardKey, CardState],
    now: datetime,
    config_of: Callable[[str], SchedulerConfig] = lambda _deck: DEFAULT_CONFIG,
) -> Memory:
    from flashcards.browse import retrievability

    stability = [0] * (len(STABILITY_BUCKETS) + 1)
    recall = [0] * len(RETRIEVABILITY_BUCKETS)
    remembered = 0.0
    for (deck, _), state in states.items():
        stability[_bucket(state.stability, STABILITY_BUCKETS)] += 1
        r = retrievability(state, now, config_of(deck))
        recall[min(_bucket(r, RETRIEVABILITY_BUCKETS), len(recall) - 1)] += 1
        remembered += r
    return Memory(stability, recall, remembered, len(states))


def _bucket(value: float, bounds: tuple[float, ...]) -> int:
    for index, bound in enumerate(bounds):
        if value < bound:
            return index
    return len(bounds)


def charts_json(
    calendar: Heatmap,
    due: list[int],
    retention: dict[str, dict[str, RetentionCell]],
    buttons: dict[str, list[int]],
    minutes: list[float],
    mind: Memory,
) -> dict[str, Any]:
    """Every figure behind the pictures, as ``stats --json`` prints them."""
    days = {}
    for w, week in enumerate(calendar.weeks):
        for d, count in enumerate(week):
            if count is not None:
                days[(calendar.first + timedelta(days=7 * w + d)).isoformat()] = count
    return {
        "calendar": {
            "reviews_per_day": days,
            "today": calendar.today.isoformat(),
            "streak_days": len(calendar.streak),
        },
        "forecast": [
            {"day": (calendar.today + timedelta(days=i)).isoformat(), "due": n}
            for i, n in enumerate(due)
        ],
        "true_retention": {
            period: {
                kind: {"passed": c.passed, "total": c.total, "rate": c.rate}
                for kind, c in cells.items()
            }
            for period, cells in retention.items()
        },
        "answer_buttons": {
            state: dict(zip(("again", "hard", "good", "easy"), counts, strict=True))
            for state, counts in buttons.items()
        },
        "minutes_per_day": [
            {
                "day": (calendar.today - timedelta(days=len(minutes) - 1 - i)).isoformat(),
                "minutes": m,
            }
            for i, m in enumerate(minutes)
        ],
        "stability": {
            "bounds_days": list(STABILITY_BUCKETS),
            "cards": mind.stability,
        },
        "retrievability": {
            "bounds": list(RETRIEVABILITY_BUCKETS),
            "cards": mind.retrievability,
            "remembered": round(mind.remembered, 1),
            "cards_with_state": mind.cards,
        },
    }
