"""Scheduling compared with Anki's own engine.

The files in tests/golden/ were written by tests/golden/make_anki_golden.py, which drives
the `anki` package (FSRS-6, default parameters) under libfaketime; see the README there.
Every history is replayed here through flashcards and compared review by review.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import SHARED_DATA

from flashcards.days import elapsed_days, next_day_start, study_date
from flashcards.model import STATE_NAMES, CardState
from flashcards.scheduling import (
    DEFAULT_PARAMETERS,
    SchedulerConfig,
    button_seconds,
    interval_range,
    preview,
    schedule,
)

GOLDEN = Path(__file__).resolve().parent / "golden"
NO_FUZZ = SchedulerConfig(fuzz=False)
FUZZ = SchedulerConfig(fuzz=True)
BUTTONS = ("again", "hard", "good", "easy")


def load(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN / name).read_text())


def test_golden_files_were_made_with_our_configuration() -> None:
    for name in ("anki_histories.json", "anki_fuzz.json", "anki_real_history.json"):
        data = load(name)
        assert data["anki_version"].startswith(("25.", "26."))
        assert tuple(data["parameters"]) == pytest.approx(DEFAULT_PARAMETERS, abs=1e-6)
        assert data["desired_retention"] == NO_FUZZ.desired_retention
        assert tuple(data["learning_steps_minutes"]) == NO_FUZZ.learning_steps
        assert tuple(data["relearning_steps_minutes"]) == NO_FUZZ.relearning_steps
        assert data["maximum_interval"] == NO_FUZZ.maximum_interval
        assert data["rollover_hour"] == 4 and data["load_balancer"] is False


def _span(button: dict[str, Any], at: datetime) -> int:
    """What Anki's button says, in seconds: a (re)learning step as it is, or in whole
    days when it reaches past the rollover (Anki's ``maybe_as_days``); else days."""
    if "secs" not in button:
        return int(button["days"]) * 86400
    whole = at.replace(microsecond=0)
    until_rollover = int(next_day_start(whole).timestamp() - whole.timestamp())
    secs = int(button["secs"])
    return secs if secs < until_rollover else ((secs - until_rollover) // 86400 + 1) * 86400


def _differences(ours: CardState, anki: dict[str, Any]) -> list[str]:
    found = []
    if STATE_NAMES[ours.state] != anki["state"]:
        found.append(f"state {STATE_NAMES[ours.state]} != {anki['state']}")
    if ours.interval != anki["interval_days"]:
        found.append(f"interval {ours.interval} != {anki['interval_days']}")
    day = ours.due_day.isoformat() if ours.due_day else None
    if day != anki["due_day"]:
        found.append(f"due day {day} != {anki['due_day']}")
    if anki["due"] is not None and ours.due != datetime.fromisoformat(anki["due"]):
        found.append(f"due {ours.due.isoformat()} != {anki['due']}")
    if not math.isclose(ours.stability, anki["stability"], rel_tol=0.001):
        found.append(f"stability {ours.stability} != {anki['stability']}")
    if abs(ours.difficulty - anki["difficulty"]) > 0.005:
        found.append(f"difficulty {ours.difficulty} != {anki['difficulty']}")
    if (ours.reps, ours.lapses) != (anki["reps"], anki["lapses"]):
        found.append(f"reps/lapses {(ours.reps, ours.lapses)}")
    if anki.get("remaining_steps") is not None and ours.left != anki["remaining_steps"]:
        found.append(f"steps left {ours.left} != {anki['remaining_steps']}")
    return found


def test_every_review_of_every_history_matches_anki_without_fuzz() -> None:
    """Same state, interval and due day for every review, stability within 0.1 %,
    difficulty within 0.005; and every answer button says what Anki's says."""
    data = load("anki_histories.json")
    histories = data["histories"]
    assert len(histories) >= 300
    zones = Counter(h["tz"] for h in histories)
    assert {"America/New_York", "Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu"} <= set(zones)
    mismatches: list[str] = []
    reviews = 0
    for history in histories:
        state: CardState | None = None
        for index, review in enumerate(history["reviews"]):
            at = datetime.fromisoformat(review["at"])
            where = f"{history['id']} review {index + 1} ({review['at']}, {review['tz']})"
            if state is not None and review.get("elapsed_days") is not None:
                days = elapsed_days(state.last_review, at)
                if days != review["elapsed_days"]:
                    mismatches.append(f"{where}: elapsed days {days} != {review['elapsed_days']}")
            spans = button_seconds("g", history["id"], state, at, config=NO_FUZZ)
            anki_spans = [_span(review["buttons"][name], at) for name in BUTTONS]
            if [spans[r] for r in (1, 2, 3, 4)] != anki_spans:
                mismatches.append(f"{where}: buttons {spans} != {anki_spans}")
            state = schedule("g", history["id"], state, review["rating"], at, config=NO_FUZZ)
            mismatches += [f"{where}: {d}" for d in _differences(state, review["after"])]
            reviews += 1
    assert reviews > 2500
    assert not mismatches, f"{len(mismatches)} of {reviews} reviews differ:\n" + "\n".join(
        mismatches[:30]
    )


def test_fuzzed_intervals_stay_in_ankis_range() -> None:
    """With fuzz on, Anki answered each history on 200 cards. Every interval (or learning
    delay) it gave lies in the range flashcards computes for that answer; flashcards'
    own 200 cards stay in that range, and where all cards share one range, Anki's draws
    and ours reach near both of its ends (the range is not wider than Anki's, and our
    draws use all of it)."""
    data = load("anki_fuzz.json")
    cards = data["cards_per_history"]
    outside: list[str] = []
    checked = 0
    for history in data["histories"]:
        states: list[CardState | None] = [None] * cards
        for index, review in enumerate(history["reviews"]):
            at = datetime.fromisoformat(review["at"])
            rating = review["rating"]
            where = f"{history['id']} review {index + 1}"
            if review.get("delay_secs_min") is not None:
                kind, low, high = "step", review["delay_secs_min"], review["delay_secs_max"]
            elif review.get("due_in_days_min") is not None:
                # a step reaching past the rollover: due on a study day, never fuzzed
                kind, low, high = "day", review["due_in_days_min"], review["due_in_days_max"]
            else:
                kind, low, high = (
                    "interval",
                    review["interval_days_min"],
                    review["interval_days_max"],
                )
            bounds = set()
            values = []
            for k in range(cards):
                card = f"{history['id']}-{k}"
                before = states[k]
                options = preview("g", card, before, at, config=FUZZ)
                after = options[rating]
                assert after == schedule("g", card, before, rating, at, config=FUZZ)
                if kind == "step":
                    values.append(round((after.due - at.replace(microsecond=0)).total_seconds()))
                    bounds.add(interval_range(before, rating, at, config=FUZZ))
                elif kind == "day":
                    assert after.due_day is not None
                    values.append((after.due_day - study_date(at)).days)
                    bounds.add((values[-1], values[-1]))
                else:
                    values.append(after.interval)
                    bounds.add(interval_range(before, rating, at, config=FUZZ))
                states[k] = after
            ours_low = min(b[0] for b in bounds)
            ours_high = max(b[1] for b in bounds)
            if not ours_low <= low <= high <= ours_high:
                outside.append(
                    f"{where}: Anki gave {low}..{high}, our range {ours_low}..{ours_high}"
                )
            if not ours_low <= min(values) <= max(values) <= ours_high:
                outside.append(f"{where}: ours gave {min(values)}..{max(values)} out of range")
            if len(bounds) == 1:
                # Every card had the same range: Anki's 200 uniform draws should reach
                # near both ends of it. Missing the last k of w + 1 values at one end has
                # probability ((w + 1 - k) / (w + 1)) ** 200, under 1e-4 for this k.
                width = ours_high - ours_low + 1
                k = math.ceil(width * (1 - 1e-4 ** (1 / cards)))
                if low - ours_low > k or ours_high - high > k:
                    outside.append(
                        f"{where}: our range {ours_low}..{ours_high} is wider than Anki's "
                        f"draws {low}..{high} suggest"
                    )
                if min(values) - ours_low > k or ours_high - max(values) > k:
                    outside.append(
                        f"{where}: our draws {min(values)}..{max(values)} do not spread over "
                        f"{ours_low}..{ours_high}"
                    )
            checked += cards
    assert checked > 50_000
    assert not outside, "\n".join(outside[:30])


def _real_history() -> dict[str, Any]:
    if not (SHARED_DATA / "anki-review-log-sample.csv").exists():
        pytest.skip("../shared/data is missing")
    return load("anki_real_history.json")


def _forgetting_curve(elapsed: float, stability: float) -> float:
    decay = DEFAULT_PARAMETERS[20]
    factor = 0.9 ** (-1 / decay) - 1
    return float((1 + factor * elapsed / stability) ** -decay)


def test_real_history_replays_to_ankis_states_and_predicts_as_well() -> None:
    """The real review history, each review in the learner's offset, replayed through
    flashcards: the same final state for every card as Anki's, and a recall-prediction
    log loss on inter-day reviews no worse than Anki's + 0.01."""
    from zoneinfo import ZoneInfo

    data = _real_history()
    zone = ZoneInfo(data["tz"])
    columns = data["review_columns"]
    states: dict[str, CardState] = {}
    losses: list[float] = []
    mismatched_steps = 0
    for raw in data["reviews"]:
        row = dict(zip(columns, raw, strict=True))
        card = str(row["card_id"])
        at = datetime.fromisoformat(row["at"]).astimezone(zone)
        before = states.get(card)
        if before is not None:
            days = elapsed_days(before.last_review, at)
            if days >= 1:
                recall = _forgetting_curve(days, before.stability)
                passed = row["rating"] > 1
                losses.append(-math.log(recall if passed else 1 - recall))
        after = schedule("anki", card, before, row["rating"], at, config=NO_FUZZ)
        if row["stability_after"] is not None and not math.isclose(
            after.stability, row["stability_after"], rel_tol=0.001
        ):
            mismatched_steps += 1
        states[card] = after
    assert mismatched_steps == 0
    differences = []
    for anki in data["cards"]:
        ours = states[str(anki["card_id"])]
        differences += [f"{anki['card_id']}: {d}" for d in _differences(ours, anki)]
    assert not differences, "\n".join(differences[:30])
    ours_loss = sum(losses) / len(losses)
    anki_loss = data["log_loss"]["value"]
    assert len(losses) == data["log_loss"]["reviews"]
    assert ours_loss <= anki_loss + 0.01


def test_due_days_in_golden_data_are_after_the_review_day() -> None:
    """A sanity check of the golden data itself: review cards are due after the day
    they were answered on, by their interval."""
    for history in load("anki_histories.json")["histories"]:
        for review in history["reviews"]:
            after = review["after"]
            if after["state"] == "review":
                answered = study_date(datetime.fromisoformat(review["at"]))
                due = date.fromisoformat(after["due_day"])
                assert (due - answered).days == after["interval_days"]
