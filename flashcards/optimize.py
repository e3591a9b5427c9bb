"""Fitting FSRS-6 parameters to a learner's own reviews, as Anki's "Optimize" does.

The optimizer and the evaluation are those of the Rust ``fsrs`` crate that Anki runs
(through ``fsrs_rs_python``; no torch). Training items are built as Anki builds them
(``rslib/src/scheduler/fsrs/params.rs``): per card, every review from its first
learning step on, with elapsed days counted against one fixed rollover; one item per
review that came at least a day after the one before it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flashcards.days import DAY_SECONDS, next_day_start
from flashcards.model import FORGET, Review
from flashcards.scheduling import DEFAULT_PARAMETERS

#: Fewer training items than this and the fit is refused (Anki asks for 400 as well).
MINIMUM_ITEMS = 400
#: The share of items, oldest first, the held-out comparison fits on.
TRAIN_SHARE = 0.75
#: Anki trains for 8 epochs.
EPOCHS = 8


@dataclass(frozen=True)
class Evaluation:
    log_loss: float
    rmse_bins: float


@dataclass(frozen=True)
class Fit:
    """The result of ``optimize``: the parameters to use, and how they were judged."""

    parameters: tuple[float, ...]
    items: int
    reviews: int
    before: Evaluation  # current parameters on the held-out later part
    after: Evaluation  # parameters fitted on the earlier part, on the same later part
    improved: bool
    health_check_passed: bool | None
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class _Item:
    at: float  # when its last review happened (seconds since the epoch)
    card: str
    reviews: tuple[tuple[int, int], ...]  # (rating, delta_t in days)


def training_items(reviews: Iterable[Review], now: datetime) -> tuple[list[_Item], int]:
    """Anki's training items from a review log, oldest first, and how many reviews
    they come from."""
    cutoff = int(next_day_start(now).timestamp())
    per_card: dict[tuple[str, str], list[Review]] = {}
    for review in reviews:
        per_card.setdefault(review.key, []).append(review)
    items: list[_Item] = []
    used = 0
    for (deck, card), every in per_card.items():
        history = answers_since_reset(every)
        if not history:
            continue
        used += len(history)
        days = [max(0, cutoff - int(r.reviewed_at.timestamp())) // DAY_SECONDS for r in history]
        steps: list[tuple[int, int]] = []
        for index, review in enumerate(history):
            delta = 0 if index == 0 else days[index - 1] - days[index]
            steps.append((review.rating, delta))
            if index >= 1 and delta > 0:
                items.append(_Item(review.reviewed_at.timestamp(), f"{deck}/{card}", tuple(steps)))
    items.sort(key=lambda item: item.at)
    return items, used


def answers_since_reset(history: list[Review]) -> list[Review]:
    """One card's answers after its last ``forget``, oldest first: as Anki drops the
    review log before a card was reset, and marks (suspend, bury, ...) are no answers."""
    ordered = sorted(history, key=lambda r: r.reviewed_at)
    start = 0
    for index, review in enumerate(ordered):
        if review.action == FORGET:
            start = index + 1
    return [r for r in ordered[start:] if not r.is_mark]


def _fsrs_items(items: list[_Item]) -> list[Any]:
    import fsrs_rs_python as fsrs

    return [fsrs.FSRSItem([fsrs.FSRSReview(r, d) for r, d in item.reviews]) for item in items]


def _evaluate(parameters: tuple[float, ...], items: list[Any]) -> Evaluation:
    import fsrs_rs_python as fsrs

    result = fsrs.FSRS(list(parameters)).evaluate(items)
    return Evaluation(float(result.log_loss), float(result.rmse_bins))


def _fit(items: list[Any]) -> tuple[float, ...]:
    import fsrs_rs_python as fsrs

    config = fsrs.TrainingConfig()
    config.num_epochs = EPOCHS
    model = fsrs.FSRS(list(DEFAULT_PARAMETERS))
    fitted = model.compute_parameters(items, None, True, 1, config)
    return tuple(round(float(w), 4) for w in fitted)


def _log_loss_adjustment(r: float) -> float:
    return float(0.623 * (4 * r * (1 - r)) ** 0.738)


def _rmse_adjustment(r: float, count: int) -> float:
    return 0.0135 / (r**0.504 - 1.14) + 0.176 / ((count / 1000) ** 0.825 + 2.22) + 0.101


def health_check(items: list[_Item], fsrs_items: list[Any]) -> bool | None:
    """Anki 25.07's health check: fits and evaluates on time-series splits, then
    judges log loss and RMSE against what a history with this retention and size can
    reach. ``None`` when there are 300 items or fewer (Anki does not judge those)."""
    if len(items) <= 300:
        return None
    import fsrs_rs_python as fsrs

    result = fsrs.evaluate_with_time_series_splits(fsrs_items, None, True, 1, None)
    retention = sum(item.reviews[-1][0] > 1 for item in items) / len(items)
    log_loss = float(result.log_loss) / _log_loss_adjustment(retention)
    rmse = float(result.rmse_bins) / _rmse_adjustment(retention, len(items))
    return log_loss <= 1.11 or rmse <= 1.53


def unusual(parameters: tuple[float, ...]) -> tuple[str, ...]:
    """Parameters that look odd for a history, said plainly (shown after a fit)."""
    notes = []
    initial = parameters[:4]
    if any(b < a for a, b in itertools.pairwise(initial)):
        notes.append("initial stabilities are not in order Again ≤ Hard ≤ Good ≤ Easy")
    if parameters[2] > 100:
        notes.append(f"a new card answered Good is first kept {parameters[2]:.0f} days")
    if parameters[20] < 0.11 or parameters[20] > 0.7:
        notes.append(
            f"the forgetting curve's decay ({parameters[20]:.3f}) is unusually flat or steep"
        )
    return tuple(notes)


class TooLittleHistory(Exception):
    def __init__(self, items: int) -> None:
        super().__init__(items)
        self.items = items


def optimize(
    reviews: Iterable[Review],
    now: datetime,
    current: tuple[float, ...] = DEFAULT_PARAMETERS,
    progress: Callable[[str], None] = lambda _: None,
) -> Fit:
    """Fit parameters to ``reviews``. The current parameters and a fit on the earlier
    75 % of items are compared on the later 25 %; the parameters returned are a fit on
    all items when that comparison shows an improvement, else the current ones."""
    progress("preparing the review history")
    items, used = training_items(reviews, now)
    if len(items) < MINIMUM_ITEMS:
        raise TooLittleHistory(len(items))
    everything = _fsrs_items(items)
    split = int(len(items) * TRAIN_SHARE)
    train, test = everything[:split], everything[split:]
    progress("fitting on the earlier part")
    early = _fit(train)
    progress("evaluating on the later part")
    before = _evaluate(current, test)
    after = _evaluate(early, test)
    improved = after.log_loss < before.log_loss
    progress("fitting on the whole history")
    parameters = _fit(everything) if improved else current
    progress("health check")
    healthy = health_check(items, everything) if improved else None
    return Fit(
        parameters=parameters,
        items=len(items),
        reviews=used,
        before=before,
        after=after,
        improved=improved,
        health_check_passed=healthy,
        warnings=unusual(parameters) if improved else (),
    )


#: Desired retentions simulated by ``retention_curve``: 0.70 to 0.97.
RETENTIONS = tuple(percent / 100 for percent in range(70, 98))


@dataclass(frozen=True)
class RetentionPoint:
    desired_retention: float
    minutes_per_day: float  # average study time a day over the simulated year
    remembered: float  # cards remembered at the end (sum of retrievability)
    minutes_per_card: float  # total time for each card remembered


def retention_curve(
    parameters: tuple[float, ...],
    *,
    cards: int,
    new_per_day: int = 20,
    reviews_per_day: int = 200,
    days: int = 365,
    retentions: Iterable[float] = RETENTIONS,
    progress: Callable[[float], None] = lambda _: None,
) -> list[RetentionPoint]:
    """Simulate a year of study (fsrs-rs's simulator, seeded) at each desired retention:
    the daily workload and what is remembered, to find the cheapest retention per card
    remembered."""
    import fsrs_rs_python as fsrs

    config = fsrs.default_simulator_config()
    config.deck_size = max(cards, 1)
    config.learn_span = days
    config.learn_limit = new_per_day
    config.review_limit = reviews_per_day
    points = []
    for retention in retentions:
        result = fsrs.simulate(list(parameters), retention, config, 42)
        total_minutes = sum(result.cost_per_day) / 60
        remembered = float(result.memorized_cnt_per_day[-1])
        points.append(
            RetentionPoint(
                desired_retention=round(retention, 2),
                minutes_per_day=total_minutes / days,
                remembered=remembered,
                minutes_per_card=total_minutes / remembered if remembered else float("inf"),
            )
        )
        progress(retention)
    return points


def cheapest(points: list[RetentionPoint]) -> RetentionPoint:
    """The desired retention with the least study time per card remembered."""
    return min(points, key=lambda p: p.minutes_per_card)
