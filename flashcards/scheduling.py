"""FSRS-6 scheduling exactly as Anki does it. Pure: the time of a review is passed in.

The memory model (stability, difficulty and the interval each rating would give) comes
from ``fsrs_rs_python``, the Python binding of the Rust ``fsrs`` crate that Anki itself
runs. Everything Anki adds around it is ported from Anki's ``rslib/src/scheduler``
(``states/learning.rs``, ``relearning.rs``, ``review.rs``, ``steps.rs``, ``fuzz.rs`` and
``answering/``): learning steps, graduation, the order between buttons, fuzz and due
dates on study days. Anki computes in 32-bit floats; so does this module (``_f32``),
so that roundings fall the same way.
"""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import IntEnum
from functools import cache
from typing import Any

from flashcards.days import (
    DAY_SECONDS,
    elapsed_days,
    fixed,
    next_day_start,
    start_of,
    study_date,
)
from flashcards.model import FORGET, LEARNING, RELEARNING, REVIEW, CardState, Review

#: FSRS-6 default parameters, as Anki ships them.
DEFAULT_PARAMETERS: tuple[float, ...] = (
    0.212,
    1.2931,
    2.3065,
    8.2956,
    6.4133,
    0.8334,
    3.0194,
    0.001,
    1.8722,
    0.1666,
    0.796,
    1.4835,
    0.0614,
    0.2629,
    1.6483,
    0.6014,
    1.8729,
    0.5425,
    0.0912,
    0.0658,
    0.1542,
)


class Rating(IntEnum):
    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


class Before(IntEnum):
    """What a card was when it was answered (Anki's review-log "type")."""

    NEW = 0
    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


RATINGS = {Rating.AGAIN: "Again", Rating.HARD: "Hard", Rating.GOOD: "Good", Rating.EASY: "Easy"}


@dataclass(frozen=True)
class SchedulerConfig:
    """Deck options that shape scheduling, Anki's defaults unless given.

    Steps are in minutes, as Anki's deck options hold them. ``fuzz`` off gives the
    unfuzzed intervals (Anki's behaviour in its own test mode).
    """

    parameters: tuple[float, ...] = DEFAULT_PARAMETERS
    desired_retention: float = 0.90
    learning_steps: tuple[float, ...] = (1.0, 10.0)
    relearning_steps: tuple[float, ...] = (10.0,)
    maximum_interval: int = 36500
    short_term_with_steps: bool = False
    fuzz: bool = True
    _model: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not 0.7 <= self.desired_retention <= 0.99:
            raise ValueError(f"desired retention {self.desired_retention} is outside 0.70-0.99")
        if self.maximum_interval < 1:
            raise ValueError("the maximum interval must be at least 1 day")
        if any(step <= 0 for step in (*self.learning_steps, *self.relearning_steps)):
            raise ValueError("learning steps must be positive")

    @property
    def allow_short_term(self) -> bool:
        """Anki allows same-day FSRS intervals when w17 and w18 are positive."""
        p = self.parameters
        return p[17] > 0 and p[18] > 0 if len(p) >= 19 else not p


DEFAULT_CONFIG = SchedulerConfig()


@cache
def _fsrs(parameters: tuple[float, ...]) -> Any:
    import fsrs_rs_python

    return fsrs_rs_python.FSRS(list(parameters))


def _memory(stability: float, difficulty: float) -> Any:
    import fsrs_rs_python

    return fsrs_rs_python.MemoryState(stability, difficulty)


# -- 32-bit float arithmetic, as in Anki ------------------------------------------------

_F32 = struct.Struct("f")


def _f32(x: float) -> float:
    """``x`` rounded to the nearest 32-bit float (one f32 operation's result)."""
    return float(_F32.unpack(_F32.pack(x))[0])


def _round(x: float) -> int:
    """Rust's ``f32::round``: halves away from zero (Python's ``round`` goes to even)."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


_FUZZ_RANGES = ((2.5, 7.0, _f32(0.15)), (7.0, 20.0, _f32(0.1)), (20.0, 3.4e38, _f32(0.05)))


def _to_places(value: float, places: int) -> float:
    """Anki keeps stability to 4 decimal places and difficulty to 3 (in 32-bit floats)
    when it saves a card, and schedules the next review from the saved values."""
    factor = float(10**places)
    return _f32(_round(_f32(_f32(value) * factor)) / factor)


def fuzz_delta(interval: float) -> float:
    """How far fuzz may move an interval of ``interval`` days (``fuzz.rs``)."""
    if interval < 2.5:
        return 0.0
    delta = 1.0
    for start, end, factor in _FUZZ_RANGES:
        delta = _f32(delta + _f32(factor * max(_f32(min(interval, end) - start), 0.0)))
    return delta


def fuzz_bounds(interval: float, minimum: int, maximum: int) -> tuple[int, int]:
    """The lowest and highest interval fuzz may pick (Anki's ``constrained_fuzz_bounds``)."""
    minimum = min(minimum, maximum)
    interval = min(max(_f32(interval), float(minimum)), float(maximum))
    delta = fuzz_delta(interval)
    lower = min(max(max(_round(_f32(interval - delta)), 0), minimum), maximum)
    upper = min(max(max(_round(_f32(interval + delta)), 0), minimum), maximum)
    if upper == lower and upper > 2 and upper < maximum:
        upper = lower + 1
    return lower, upper


def with_fuzz(factor: float | None, interval: float, minimum: int, maximum: int) -> int:
    """An interval in days, fuzzed by ``factor`` (0 to 1) or, without one, rounded;
    always within ``minimum`` and ``maximum``."""
    if factor is None:
        return min(max(_round(interval), minimum), maximum)
    lower, upper = fuzz_bounds(interval, minimum, maximum)
    return math.floor(_f32(lower + _f32(factor * float(1 + upper - lower))))


def _minimum_fuzz_interval(interval: float, previous: int, maximum: int) -> int:
    """Anki's ``minimum_review_fuzz_interval``: a passed review does not shrink below the
    previous interval when fuzz could have reached it."""
    _, upper = fuzz_bounds(interval, 1, maximum)
    if _round(interval) > previous:
        return previous + 1
    return previous if previous <= upper else 0


def learning_fuzz(seed: str | None, secs: int) -> int:
    """A learning step of ``secs`` seconds spread by up to 25 % (at most 5 minutes)."""
    if seed is None:
        return secs
    upper = secs + math.floor(min(_f32(secs * 0.25), 300.0))
    return secs if secs >= upper else random.Random(seed + "/step").randrange(secs, upper)


# -- learning steps (steps.rs) -----------------------------------------------------------


@dataclass(frozen=True)
class _Steps:
    minutes: tuple[float, ...]

    def _secs(self, index: int) -> int | None:
        if 0 <= index < len(self.minutes):
            return int(_f32(_f32(self.minutes[index]) * 60.0))
        return None

    def _index(self, remaining: int) -> int:
        total = len(self.minutes)
        return max(0, min(max(total - remaining % 1000, 0), total - 1))

    def again(self) -> int | None:
        return self._secs(0)

    def hard(self, remaining: int) -> int | None:
        index = self._index(remaining)
        current = self._secs(index)
        if current is None:
            current = self._secs(0)
        if current is None:
            return None
        if index != 0:
            return current
        following = self._secs(1)
        if following is not None:
            secs = (current + following) // 2
        else:
            secs = min(current * 3 // 2, current + DAY_SECONDS)
        if secs > DAY_SECONDS:
            secs = _round(_f32(secs / DAY_SECONDS)) * DAY_SECONDS
        return secs

    def good(self, remaining: int) -> int | None:
        return self._secs(self._index(remaining) + 1)

    def remaining_for_good(self, remaining: int) -> int:
        return max(0, len(self.minutes) - (self._index(remaining) + 1))

    def remaining_for_failed(self) -> int:
        return len(self.minutes)


# -- answering ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    """What a rating leads to, before it is turned into a state with a due date."""

    state: int
    left: int
    memory: tuple[float, float]
    interval: int  # the review interval (Anki's ivl)
    secs: int | None = None  # a learning step, when the card stays in one
    lapses: int = 0


def _seed(deck: str, card: str, reps: int) -> str:
    return f"{deck}/{card}/{reps}"


def fuzz_factor(seed: str | None) -> float | None:
    """The fuzz factor (0 to 1) a seed gives, or ``None`` (no fuzz) without one."""
    return random.Random(seed).random() if seed is not None else None


def _outcomes(
    state: CardState | None, at: datetime, factor: float | None, config: SchedulerConfig
) -> dict[int, _Outcome]:
    memory = None if state is None else _memory(state.stability, state.difficulty)
    days = 0 if state is None else elapsed_days(state.last_review, at)
    nxt = _fsrs(config.parameters).next_states(memory, config.desired_retention, days)
    fsrs = {
        Rating.AGAIN: nxt.again,
        Rating.HARD: nxt.hard,
        Rating.GOOD: nxt.good,
        Rating.EASY: nxt.easy,
    }
    mem = {r: (s.memory.stability, s.memory.difficulty) for r, s in fsrs.items()}
    ivl = {r: float(s.interval) for r, s in fsrs.items()}
    maximum = max(config.maximum_interval, 1)
    lapses = state.lapses if state else 0
    if state is None or state.state == LEARNING:
        steps = _Steps(config.learning_steps)
        remaining = steps.remaining_for_failed() if state is None else state.left
        previous = 0 if state is None else state.interval
        return _learning(steps, remaining, previous, mem, ivl, factor, maximum, config, lapses)
    if state.state == RELEARNING:
        return _relearning(state, mem, ivl, factor, maximum, config)
    return _review(state, mem, ivl, factor, maximum, config)


def _short_term(config: SchedulerConfig, steps: _Steps, interval: float) -> bool:
    return (
        config.allow_short_term
        and (config.short_term_with_steps or not steps.minutes)
        and interval < 0.5
    )


def _graduate(interval: float, factor: float | None, maximum: int, minimum: int = 1) -> int:
    return with_fuzz(factor, float(max(_round(interval), 1)), minimum, maximum)


def _day_secs(days: float) -> int:
    """A same-day interval in seconds, as Anki converts it (``(days * 86400.0) as u32``)."""
    return int(_f32(_f32(days) * 86_400.0))


def _easy(
    mem: dict[Rating, tuple[float, float]],
    ivl: dict[Rating, float],
    factor: float | None,
    maximum: int,
    lapses: int,
) -> _Outcome:
    """Easy on a (re)learning card: graduates, at least a day beyond what Good would."""
    good = with_fuzz(factor, ivl[Rating.GOOD], 1, maximum)
    easy = _graduate(ivl[Rating.EASY], factor, maximum, minimum=good + 1)
    return _Outcome(REVIEW, 0, mem[Rating.EASY], easy, None, lapses)


def _learning(
    steps: _Steps,
    remaining: int,
    previous: int,
    mem: dict[Rating, tuple[float, float]],
    ivl: dict[Rating, float],
    factor: float | None,
    maximum: int,
    config: SchedulerConfig,
    lapses: int,
) -> dict[int, _Outcome]:
    out: dict[int, _Outcome] = {}
    delays = {
        Rating.AGAIN: (steps.again(), steps.remaining_for_failed()),
        Rating.HARD: (steps.hard(remaining), remaining),
        Rating.GOOD: (steps.good(remaining), steps.remaining_for_good(remaining)),
    }
    for rating, (delay, left) in delays.items():
        if delay is not None:
            out[rating] = _Outcome(LEARNING, left, mem[rating], previous, delay, lapses)
        elif _short_term(config, steps, ivl[rating]):
            secs = _day_secs(ivl[rating])
            left = steps.remaining_for_failed() if rating == Rating.AGAIN else remaining
            out[rating] = _Outcome(LEARNING, left, mem[rating], previous, secs, lapses)
        else:
            days = _graduate(ivl[rating], factor, maximum)
            out[rating] = _Outcome(REVIEW, 0, mem[rating], days, None, lapses)
    out[Rating.EASY] = _easy(mem, ivl, factor, maximum, lapses)
    return out


def _relearning(
    state: CardState,
    mem: dict[Rating, tuple[float, float]],
    ivl: dict[Rating, float],
    factor: float | None,
    maximum: int,
    config: SchedulerConfig,
) -> dict[int, _Outcome]:
    steps = _Steps(config.relearning_steps)
    remaining, lapses = state.left, state.lapses
    out: dict[int, _Outcome] = {}
    again = steps.again()
    if again is not None:
        failing = max(_round(ivl[Rating.AGAIN]), 1)
        out[Rating.AGAIN] = _Outcome(
            RELEARNING, steps.remaining_for_failed(), mem[Rating.AGAIN], failing, again, lapses
        )
    delays = {
        Rating.HARD: (steps.hard(remaining), remaining),
        Rating.GOOD: (steps.good(remaining), steps.remaining_for_good(remaining)),
    }
    for rating, (delay, left) in delays.items():
        if delay is not None:
            out[rating] = _Outcome(RELEARNING, left, mem[rating], state.interval, delay, lapses)
    for rating in (Rating.AGAIN, Rating.HARD, Rating.GOOD):
        if rating in out:
            continue
        days = _graduate(ivl[rating], factor, maximum)
        left = {
            Rating.AGAIN: steps.remaining_for_failed(),
            Rating.HARD: remaining,
            Rating.GOOD: steps.remaining_for_good(remaining),
        }[rating]
        if _short_term(config, steps, ivl[rating]):
            secs = _day_secs(ivl[rating])
            out[rating] = _Outcome(RELEARNING, left, mem[rating], days, secs, lapses)
        else:
            out[rating] = _Outcome(REVIEW, 0, mem[rating], days, None, lapses)
    out[Rating.EASY] = _easy(mem, ivl, factor, maximum, lapses)
    return out


def _review(
    state: CardState,
    mem: dict[Rating, tuple[float, float]],
    ivl: dict[Rating, float],
    factor: float | None,
    maximum: int,
    config: SchedulerConfig,
) -> dict[int, _Outcome]:
    previous = state.interval
    out: dict[int, _Outcome] = {}

    def passing(rating: Rating, floor: int) -> int:
        minimum = max(_minimum_fuzz_interval(ivl[rating], previous, maximum), floor)
        return with_fuzz(factor, ivl[rating], min(max(minimum, 1), maximum), maximum)

    hard = passing(Rating.HARD, 1)
    good = passing(Rating.GOOD, hard + 1)
    easy = passing(Rating.EASY, good + 1)
    for rating, days in ((Rating.HARD, hard), (Rating.GOOD, good), (Rating.EASY, easy)):
        out[rating] = _Outcome(REVIEW, 0, mem[rating], days, None, state.lapses)
    lapses = state.lapses + 1
    steps = _Steps(config.relearning_steps)
    failing = max(_round(ivl[Rating.AGAIN]), 1)
    again = steps.again()
    if again is not None:
        out[Rating.AGAIN] = _Outcome(
            RELEARNING, steps.remaining_for_failed(), mem[Rating.AGAIN], failing, again, lapses
        )
    elif _short_term(config, steps, ivl[Rating.AGAIN]):
        secs = _day_secs(ivl[Rating.AGAIN])
        out[Rating.AGAIN] = _Outcome(
            RELEARNING, steps.remaining_for_failed(), mem[Rating.AGAIN], failing, secs, lapses
        )
    else:
        out[Rating.AGAIN] = _Outcome(REVIEW, 0, mem[Rating.AGAIN], failing, None, lapses)
    return out


def _state_of(outcome: _Outcome, at: datetime, reps: int, seed: str | None) -> CardState:
    """Turn an outcome into a state with its due date (Anki's ``apply_*_state``)."""
    local = fixed(at)
    whole = local.replace(microsecond=0)
    today = study_date(local)
    until_rollover = int(next_day_start(local).timestamp()) - int(whole.timestamp())
    stability, difficulty = _to_places(outcome.memory[0], 4), _to_places(outcome.memory[1], 3)
    days: int | None = outcome.interval if outcome.secs is None else None
    due: datetime
    if outcome.secs is not None:
        if outcome.secs >= until_rollover:
            days = (outcome.secs - until_rollover) // DAY_SECONDS + 1
        else:
            due = whole + timedelta(seconds=learning_fuzz(seed, outcome.secs))
    if days is not None:
        due_day = today + timedelta(days=days)
        due = start_of(due_day, local)
    return CardState(
        state=outcome.state,
        left=outcome.left,
        stability=stability,
        difficulty=difficulty,
        interval=outcome.interval,
        due=due,
        due_day=due_day if days is not None else None,
        last_review=local,
        reps=reps + 1,
        lapses=outcome.lapses,
    )


def interval_range(
    state: CardState | None,
    rating: int,
    reviewed_at: datetime,
    *,
    config: SchedulerConfig = DEFAULT_CONFIG,
) -> tuple[int, int]:
    """The lowest and highest interval in days that fuzz may give this answer, or for a
    learning step, the lowest and highest delay in seconds."""
    low = _outcomes(state, reviewed_at, 0.0, config)[rating]
    # A factor just below 1 reaches the top of every range. (The largest f32 below 1
    # would not: in 32-bit floats ``lower + factor * width`` rounds up past it.)
    high = _outcomes(state, reviewed_at, 1 - 1e-4, config)[rating]
    if low.secs is not None:
        spread = math.floor(min(_f32(low.secs * 0.25), 300.0))
        return low.secs, low.secs + max(spread - 1, 0)
    return low.interval, high.interval


def before_of(state: CardState | None) -> Before:
    return Before.NEW if state is None else Before(int(state.state))


def preview(
    deck: str,
    card: str,
    state: CardState | None,
    reviewed_at: datetime,
    *,
    config: SchedulerConfig = DEFAULT_CONFIG,
) -> dict[int, CardState]:
    """The state each rating (1-4) would give at ``reviewed_at``; ``schedule`` returns
    exactly these (fuzz is seeded by deck, card and review count)."""
    if reviewed_at.tzinfo is None:
        raise ValueError("reviewed_at must be timezone-aware")
    reps = state.reps if state else 0
    seed = _seed(deck, card, reps) if config.fuzz else None
    outcomes = _outcomes(state, reviewed_at, fuzz_factor(seed), config)
    return {r: _state_of(o, reviewed_at, reps, seed) for r, o in outcomes.items()}


def button_seconds(
    deck: str,
    card: str,
    state: CardState | None,
    now: datetime,
    *,
    config: SchedulerConfig = DEFAULT_CONFIG,
) -> dict[int, int]:
    """The span each answer button names, in seconds, as Anki's ``describe_next_states``
    gives it: a learning step as configured (its fuzz of a few seconds is not shown),
    anything reaching past the day's rollover in whole days."""
    reps = state.reps if state else 0
    seed = _seed(deck, card, reps) if config.fuzz else None
    whole = fixed(now).replace(microsecond=0)
    until_rollover = int(next_day_start(whole).timestamp()) - int(whole.timestamp())
    spans: dict[int, int] = {}
    for rating, outcome in _outcomes(state, now, fuzz_factor(seed), config).items():
        if outcome.secs is None:
            spans[rating] = outcome.interval * DAY_SECONDS
        elif outcome.secs < until_rollover:
            spans[rating] = outcome.secs
        else:
            spans[rating] = ((outcome.secs - until_rollover) // DAY_SECONDS + 1) * DAY_SECONDS
    return spans


def schedule(
    deck: str,
    card: str,
    state: CardState | None,
    rating: int,
    reviewed_at: datetime,
    *,
    config: SchedulerConfig = DEFAULT_CONFIG,
) -> CardState:
    """The state a card gets when answered with ``rating`` (1-4) at ``reviewed_at``:
    exactly what ``preview`` gives for that rating (the buttons depend on each other,
    so all four are worked out; only the chosen one gets its due date)."""
    if reviewed_at.tzinfo is None:
        raise ValueError("reviewed_at must be timezone-aware")
    reps = state.reps if state else 0
    seed = _seed(deck, card, reps) if config.fuzz else None
    outcome = _outcomes(state, reviewed_at, fuzz_factor(seed), config)[Rating(rating)]
    return _state_of(outcome, reviewed_at, reps, seed)


@dataclass(frozen=True)
class Replayed:
    states: dict[tuple[str, str], CardState]
    reviews: list[Review]


def replay(
    reviews: Iterable[Review],
    *,
    config: SchedulerConfig | Callable[[str], SchedulerConfig] = DEFAULT_CONFIG,
) -> Replayed:
    """Recompute every card's state from ratings and times alone.

    Reviews are applied in time order per card (reviews at the same moment keep
    the order they come in); the result carries each review with its recomputed
    ``before`` and ``state`` so a store can write them back. ``config`` is one
    scheduler for every deck, or a function giving each deck's. A mark leaves the
    state as it is, except ``forget``, after which the card is new (it has no state,
    and ``states`` does not list it).
    """
    config_of = config if callable(config) else (lambda _deck: config)
    ordered = sorted(reviews, key=lambda r: r.reviewed_at)
    states: dict[tuple[str, str], CardState] = {}
    out: list[Review] = []
    for review in ordered:
        key = (review.deck, review.card)
        current = states.get(key)
        if review.is_mark:
            if review.action == FORGET:
                states.pop(key, None)
            kept = None if review.action == FORGET else current
            before = int(before_of(current))
            out.append(replace(review, before=before, state=kept, last_interval=None))
            continue
        after = schedule(
            review.deck,
            review.card,
            current,
            review.rating,
            review.reviewed_at,
            config=config_of(review.deck),
        )
        states[key] = after
        out.append(
            replace(
                review,
                before=int(before_of(current)),
                state=after,
                last_interval=current.interval if current is not None else None,
            )
        )
    return Replayed(states, out)
