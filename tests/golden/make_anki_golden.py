"""Write the golden scheduling files in this folder by driving Anki's own scheduler.

Run by hand from the repository root (the test suite only reads the files):

    python tests/golden/make_anki_golden.py [--anki-python PATH] [--only NAME ...]

It needs a separate virtual environment with Anki installed
(``python3 -m venv /work/anki-venv && /work/anki-venv/bin/pip install anki==26.9.3``)
and Debian's libfaketime (``apt-get install faketime``). See README.md beside this file
for what the files hold and how Anki's clock, time zone and fuzz are controlled.

The script runs itself again inside the Anki environment ("worker" mode) with libfaketime
preloaded; the fake clock is stopped at each review's instant by rewriting a timestamp file.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import shutil
import struct
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
REAL_HISTORY_CSV = REPO.parent / "shared" / "data" / "anki-review-log-sample.csv"

ANKI_VERSION = "26.9.3"
DEFAULT_ANKI_PYTHON = "/work/anki-venv/bin/python"
FAKETIME_LIBRARIES = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
    "/usr/local/lib/faketime/libfaketime.so.1",
)

SEED = 20260329
ROLLOVER_HOUR = 4
DESIRED_RETENTION = 0.9
LEARNING_STEPS_MINUTES = (1.0, 10.0)
RELEARNING_STEPS_MINUTES = (10.0,)
MAXIMUM_INTERVAL = 36500
FUZZ_CARDS = 200
#: FSRS-6 defaults used by Anki when a preset's parameter list is empty. The worker checks
#: that answering with these given explicitly gives the same results as the empty list.
FSRS6_DEFAULT_PARAMETERS = (
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

ZONES = (
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Adelaide",
)
DST_ZONES = ("America/New_York", "Europe/Berlin", "Australia/Adelaide")
#: The learner of the real history reviewed between 15:00 and 06:00 UTC and never between
#: 06:00 and 15:00 UTC: a night of 23:00-08:00 at UTC-7, Pacific daylight time, which
#: covers the whole history (2024-03-29 to 2024-10-06).
REAL_HISTORY_ZONE = "America/Los_Angeles"
#: Review times stay before 2037: Anki keeps learning due times as 32-bit seconds.
LAST_INSTANT = int(datetime(2036, 12, 31, tzinfo=UTC).timestamp())

STATE_NAMES = {0: "new", 1: "learning", 2: "review", 3: "relearning"}
QUEUE_LEARN = 1
QUEUE_REVIEW = 2
QUEUE_DAY_LEARN = 3

DAY = 86_400
HOUR = 3_600
MINUTE = 60


# --------------------------------------------------------------------------------------
# Time zones and study days (plain standard library: used by both sides)
# --------------------------------------------------------------------------------------


def utc_offset_minutes(zone: str, epoch: int) -> int:
    """Minutes east of UTC in ``zone`` at the instant ``epoch``."""
    offset = datetime.fromtimestamp(epoch, ZoneInfo(zone)).utcoffset()
    assert offset is not None
    return int(offset.total_seconds()) // 60


def iso(epoch: int, zone: str) -> str:
    return datetime.fromtimestamp(epoch, ZoneInfo(zone)).isoformat()


def study_date(epoch: int, zone: str) -> date:
    """The study day of an instant: its local date, less one before 4 a.m."""
    local = datetime.fromtimestamp(epoch, ZoneInfo(zone))
    return (local - timedelta(hours=ROLLOVER_HOUR)).date()


def instant_in_study_day(day: date, seconds_after_rollover: int, zone: str) -> int:
    """The instant ``seconds_after_rollover`` wall-clock seconds after 4 a.m. on ``day``.

    Wall-clock times in a spring-forward gap resolve as Python's zoneinfo does (fold=0)."""
    naive = datetime.combine(day, datetime.min.time()) + timedelta(
        hours=ROLLOVER_HOUR, seconds=seconds_after_rollover
    )
    return int(naive.replace(tzinfo=ZoneInfo(zone)).timestamp())


def anki_timing(epoch: int, zone: str, crt: int, creation_offset_west: int) -> tuple[int, int, int]:
    """(days since creation, next rollover instant, minutes west) as Anki computes them
    for a collection created at ``crt`` and opened at ``epoch`` in ``zone``."""
    east = utc_offset_minutes(zone, epoch)
    fixed = timezone(timedelta(minutes=east))
    local = datetime.fromtimestamp(epoch, fixed)
    rollover = local.replace(hour=ROLLOVER_HOUR, minute=0, second=0, microsecond=0)
    passed = rollover <= local
    created = datetime.fromtimestamp(crt, timezone(timedelta(minutes=-creation_offset_west)))
    days = (local.date() - created.date()).days - (0 if passed else 1)
    next_day_at = rollover + timedelta(days=1) if passed else rollover
    return max(days, 0), int(next_day_at.timestamp()), -east


def dst_transitions(zone: str, year: int) -> list[int]:
    """Instants (UTC, on the hour) at which ``zone`` changes its offset during ``year``."""
    start = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    found = []
    previous = utc_offset_minutes(zone, start)
    for t in range(start + HOUR, end, HOUR):
        offset = utc_offset_minutes(zone, t)
        if offset != previous:
            found.append(t)
            previous = offset
    return found


def f32(value: float) -> float:
    """The shortest decimal that reads back as the same 32-bit float (Anki stores f32)."""
    packed = struct.pack("<f", value)
    for digits in range(6, 10):
        candidate = float(f"{value:.{digits}g}")
        if struct.pack("<f", candidate) == packed:
            return candidate
    return value


def fsrs_retrievability(elapsed_days: float, stability: float, decay: float) -> float:
    factor = 0.9 ** (-1 / decay) - 1
    return float((1 + factor * elapsed_days / stability) ** (-decay))


# --------------------------------------------------------------------------------------
# History plans (which rating, and when the next review happens)
# --------------------------------------------------------------------------------------

#: (again, hard, good, easy) weights by kind of history and state before the review.
BASE_RATINGS = {
    "new": (20, 15, 50, 15),
    "learning": (20, 15, 50, 15),
    "review": (15, 10, 60, 15),
    "relearning": (20, 20, 45, 15),
}
KIND_RATINGS: dict[str, dict[str, tuple[int, int, int, int]]] = {
    "lapse": {"review": (45, 10, 35, 10), "relearning": (25, 25, 35, 15)},
    "hardeasy": {
        "new": (5, 45, 10, 40),
        "learning": (10, 40, 15, 35),
        "relearning": (10, 40, 15, 35),
    },
    "long": {
        "new": (5, 5, 85, 5),
        "learning": (5, 5, 85, 5),
        "review": (5, 12, 70, 13),
        "relearning": (10, 10, 70, 10),
    },
    "dst": {"new": (30, 20, 40, 10), "learning": (25, 20, 45, 10)},
    "fuzz-learn": {
        "new": (35, 25, 40, 0),
        "learning": (30, 25, 45, 0),
        "review": (40, 10, 40, 10),
    },
    "fuzz-lapse": {
        "new": (0, 0, 60, 40),
        "learning": (0, 0, 100, 0),
        "review": (50, 10, 30, 10),
        "relearning": (30, 30, 30, 10),
    },
    "fuzz-long": {
        "new": (0, 0, 50, 50),
        "learning": (0, 0, 80, 20),
        "review": (3, 12, 55, 30),
        "relearning": (0, 20, 60, 20),
    },
}
#: How the next review time is chosen, by kind of history.
KIND_TIMING: dict[str, dict[str, int]] = {
    "random": {"on": 40, "late": 20, "early": 10, "same": 5, "near4": 10, "random": 15},
    "near4am": {"on": 20, "near4": 70, "late": 10},
    "sameday": {"same": 50, "on": 35, "late": 15},
    "dst": {"night": 55, "on": 30, "same": 10, "late": 5},
    "overdue": {"far": 60, "on": 30, "early": 10},
    "early": {"early": 60, "on": 30, "same": 10},
    "lapse": {"on": 60, "late": 15, "near4": 10, "random": 15},
    "hardeasy": {"on": 70, "random": 15, "near4": 15},
    "long": {"on": 55, "early": 25, "late": 12, "same": 8},
    "travel": {"on": 45, "late": 20, "near4": 20, "random": 15},
    "fuzz-learn": {"on": 70, "late": 15, "random": 15},
    "fuzz-lapse": {"on": 75, "late": 15, "near4": 10},
    "fuzz-long": {"on": 85, "late": 10, "random": 5},
    "fuzz-random": {"on": 50, "late": 20, "early": 10, "same": 5, "random": 15},
}
#: (kind, number of histories, fewest reviews, most reviews)
HISTORY_KINDS = (
    ("random", 84, 5, 14),
    ("near4am", 30, 5, 12),
    ("sameday", 22, 6, 12),
    ("dst", 40, 6, 14),
    ("overdue", 20, 4, 8),
    ("early", 20, 5, 10),
    ("lapse", 26, 6, 14),
    ("hardeasy", 26, 4, 10),
    ("long", 12, 30, 42),
    ("travel", 20, 6, 14),
)
FUZZ_KINDS = (
    ("fuzz-learn", 15, 4, 7),
    ("fuzz-lapse", 15, 5, 9),
    ("fuzz-long", 20, 6, 10),
    ("fuzz-random", 10, 4, 8),
)


@dataclass
class Plan:
    """One card history to replay: its zones over time, first instant and length."""

    hid: str
    kind: str
    zones: list[tuple[int, str]]  # (index of the first review in the zone, zone)
    start: int
    reviews: int
    created: int  # when the collection and its card are made: noon the day before

    def zone_at(self, index: int) -> str:
        current = self.zones[0][1]
        for first, zone in self.zones:
            if index >= first:
                current = zone
        return current


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    names = list(weights)
    return rng.choices(names, weights=[weights[n] for n in names])[0]


def time_of_day(rng: random.Random) -> int:
    """Seconds after 4 a.m.: mostly waking hours, sometimes any time, sometimes night."""
    roll = rng.random()
    if roll < 0.6:
        return rng.randint(3 * HOUR, 19 * HOUR + 30 * MINUTE)  # 07:00-23:30
    if roll < 0.85:
        return rng.randrange(DAY)
    return rng.randint(20 * HOUR, DAY - 1)  # 00:00-03:59:59


def near_rollover(rng: random.Random) -> int:
    """Seconds after 4 a.m.: just after it, or just before the next one."""
    roll = rng.random()
    if roll < 0.15:
        return 0  # 04:00:00
    if roll < 0.3:
        return DAY - 1  # 03:59:59 next morning
    if roll < 0.65:
        return rng.randint(1, 15 * MINUTE)
    return rng.randint(DAY - 15 * MINUTE, DAY - 2)


NIGHT_EXACT = (
    (1, 59, 59),
    (2, 0, 0),
    (2, 30, 0),
    (3, 0, 0),
    (3, 30, 0),
    (3, 59, 59),
    (4, 0, 0),
)


def night_time(rng: random.Random) -> int:
    """Seconds after 4 a.m. for a night-time review, 00:30-05:00, around DST changes."""
    if rng.random() < 0.35:
        hour, minute, second = rng.choice(NIGHT_EXACT)
    else:
        hour = rng.choice((0, 1, 1, 2, 2, 3, 3, 4))
        minute, second = rng.randrange(60), rng.randrange(60)
        if hour == 0:
            minute = 30 + minute // 2
    seconds = (hour * HOUR + minute * MINUTE + second) - ROLLOVER_HOUR * HOUR
    return seconds % DAY


def choose_rating(rng: random.Random, kind: str, state: str) -> int:
    weights = KIND_RATINGS.get(kind, {}).get(state, BASE_RATINGS[state])
    return rng.choices((1, 2, 3, 4), weights=weights)[0]


def next_instant(
    rng: random.Random,
    kind: str,
    now: int,
    zone: str,
    queue: int,
    due: int,
    due_day: date | None,
    interval: int,
) -> int:
    """Choose when the next review happens, from the card's due time as Anki set it."""
    mode = weighted(rng, KIND_TIMING[kind])
    today = study_date(now, zone)
    if queue == QUEUE_LEARN:
        if mode in ("on", "same", "near4"):
            candidate = due + rng.randint(0, 90)
            if mode == "near4":
                day = study_date(due, zone)
                candidate = instant_in_study_day(day, near_rollover(rng), zone)
                if candidate <= due:
                    candidate = instant_in_study_day(
                        day + timedelta(days=1), near_rollover(rng), zone
                    )
        elif mode == "early":
            candidate = due - rng.randint(1, 20 * MINUTE)
        elif mode == "night":
            day = study_date(due, zone)
            candidate = instant_in_study_day(day, night_time(rng), zone)
            if candidate <= due:
                candidate = instant_in_study_day(day + timedelta(days=1), night_time(rng), zone)
        elif mode == "far":
            candidate = due + rng.randint(1, 30) * DAY + rng.randrange(DAY)
        else:  # late, random
            candidate = due + rng.randint(5 * MINUTE, 20 * HOUR)
        if candidate <= now or candidate > LAST_INSTANT:
            candidate = now + rng.randint(30, 10 * MINUTE)
        return candidate

    assert due_day is not None
    ivl = max(interval, 1)
    day = max(due_day, today)
    seconds = time_of_day(rng)
    if mode == "late":
        day += timedelta(days=rng.randint(1, max(2, ivl)))
    elif mode == "far":
        day += timedelta(days=int(ivl * rng.uniform(2, 10)) + rng.randint(5, 120))
    elif mode == "early":
        if due_day - timedelta(days=1) > today:
            span = (due_day - today).days - 1
            day = today + timedelta(days=rng.randint(1, span))
        elif due_day > today:
            day = today + timedelta(days=rng.randint(0, 1))
        else:
            day = today
    elif mode == "same":
        day = today
    elif mode == "near4":
        seconds = near_rollover(rng)
    elif mode == "night":
        seconds = night_time(rng)
    elif mode == "random":
        day = today + timedelta(days=rng.randint(0, 2 * ivl + 5))
    candidate = instant_in_study_day(day, seconds, zone)
    if candidate <= now:
        # the chosen time of the study day has passed: later on the same study day
        end = instant_in_study_day(today + timedelta(days=1), 0, zone) - 1
        if end - now > 2 * MINUTE:
            candidate = now + rng.randint(MINUTE, min(end - now, 6 * HOUR))
        else:
            candidate = now + rng.randint(MINUTE, 10 * HOUR)
    if candidate > LAST_INSTANT:
        candidate = now + rng.randint(HOUR, 20 * DAY)
    return candidate


def history_plans(
    rng: random.Random, kinds: tuple[tuple[str, int, int, int], ...], prefix: str
) -> list[Plan]:
    """The seeded list of histories to generate."""
    transitions = {zone: dst_transitions(zone, 2026) for zone in DST_ZONES}
    plans: list[Plan] = []
    first_day = date(2026, 1, 5)
    for kind, count, fewest, most in kinds:
        for _ in range(count):
            hid = f"{prefix}{len(plans) + 1:04d}"
            reviews = rng.randint(fewest, most)
            if kind == "dst":
                zone = rng.choice(DST_ZONES)
                change = rng.choice(transitions[zone])
                start = change - int(rng.uniform(0.3, 5.0) * DAY)
                zones = [(0, zone)]
            else:
                zone = rng.choice(ZONES)
                span = 120 if kind == "long" else 340
                day = first_day + timedelta(days=rng.randint(0, span))
                seconds = near_rollover(rng) if kind == "near4am" else time_of_day(rng)
                start = instant_in_study_day(day, seconds, zone)
                zones = [(0, zone)]
                if kind == "travel":
                    others = [z for z in ZONES if z != zone]
                    rng.shuffle(others)
                    switches = sorted(rng.sample(range(2, reviews), k=rng.randint(1, 2)))
                    zones += [(index, others[i]) for i, index in enumerate(switches)]
            created_day = study_date(start, zones[0][1]) - timedelta(days=1)
            created = instant_in_study_day(created_day, 8 * HOUR, zones[0][1])  # noon
            plans.append(Plan(hid, kind, zones, start, reviews, created))
    return plans


# --------------------------------------------------------------------------------------
# Worker: runs inside the Anki environment under libfaketime
# --------------------------------------------------------------------------------------


def neutral_zone(epoch: int) -> str:
    """A fixed-offset zone in which ``epoch`` reads as 12:xx local time.

    With ANKI_TEST_MODE set, Anki moves its clock back two hours whenever the process's
    local time is between 02:00 and 04:00. The collection is therefore opened in server
    mode, where Anki takes the user's UTC offset from the collection's ``localOffset``
    setting instead of the process time zone, and the process time zone (read by the Rust
    code through TZ) is one in which the current instant is around noon."""
    hour = datetime.fromtimestamp(epoch, UTC).hour
    return "Etc/GMT" if hour == 12 else f"Etc/GMT{hour - 12:+d}"


class FakeClock:
    """libfaketime's stopped clock, moved by rewriting its timestamp file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self, epoch: int, zone: str | None = None) -> None:
        os.environ["TZ"] = zone or neutral_zone(epoch)
        time.tzset()
        self.path.write_text(f"{epoch}\n")
        now = time.time()
        if now != epoch:
            raise RuntimeError(f"fake clock reads {now}, wanted {epoch}")


@dataclass
class CardView:
    state: str
    queue: int
    due: int
    interval: int
    stability: float | None
    difficulty: float | None
    reps: int
    lapses: int
    left: int
    last_review: int | None


class AnkiDriver:
    """One Anki collection (one file), opened afresh at each instant it is used.

    Reopening makes Anki compute the day afresh (it caches the day until the next
    rollover, so a process left open across a DST change or a move would keep the old
    UTC offset until then)."""

    def __init__(
        self, path: Path, clock: FakeClock, zone: str, created: int, params: list[float]
    ) -> None:
        from anki.collection import Collection

        self.path = path
        self.clock = clock
        if path.exists():
            path.unlink()
        # created as the desktop program would: process zone = the learner's zone, at noon
        clock.set(created, zone)
        col = Collection(str(path))
        col.set_config("fsrs", True)  # rslib BoolKey::Fsrs
        col.set_config("loadBalancerEnabled", False)  # BoolKey::LoadBalancerEnabled
        conf = col.decks.config_dict_for_deck_id(1)
        conf["new"]["delays"] = list(LEARNING_STEPS_MINUTES)
        conf["lapse"]["delays"] = list(RELEARNING_STEPS_MINUTES)
        conf["rev"]["maxIvl"] = MAXIMUM_INTERVAL
        conf["desiredRetention"] = DESIRED_RETENTION
        conf["fsrsParams6"] = list(params)
        col.decks.update_config(conf)
        self.crt = col.crt
        self.creation_offset = int(col.get_config("creationOffset"))
        self.crt_date = datetime.fromtimestamp(
            self.crt, timezone(timedelta(minutes=-self.creation_offset))
        ).date()
        assert col.get_preferences().scheduling.rollover == ROLLOVER_HOUR
        assert col.v3_scheduler()
        col.close()

    @contextmanager
    def at(self, epoch: int, zone: str) -> Iterator[Any]:
        from anki.collection import Collection

        self.clock.set(epoch)
        col = Collection(str(self.path), server=True)
        try:
            days, next_day_at, west = anki_timing(epoch, zone, self.crt, self.creation_offset)
            if col.get_config("localOffset", None) != west:
                col.set_config("localOffset", west)
                col.close()
                col = Collection(str(self.path), server=True)
            timing = col._backend.sched_timing_today()
            if (timing.days_elapsed, timing.next_day_at) != (days, next_day_at):
                raise RuntimeError(
                    f"Anki's day at {iso(epoch, zone)} is {timing}, expected {days} {next_day_at}"
                )
            if (study_date(epoch, zone) - self.crt_date).days != days:
                raise RuntimeError(f"study-day convention broken at {iso(epoch, zone)}")
            yield col
        finally:
            col.close()

    def add_card(self, col: Any, text: str) -> int:
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"] = text
        note["Back"] = text
        col.add_note(note, 1)
        return int(note.cards()[0].id)


def view(col: Any, cid: int) -> CardView:
    card = col.get_card(cid)
    memory = card.memory_state
    return CardView(
        state=STATE_NAMES[card.type],
        queue=card.queue,
        due=card.due,
        interval=card.ivl,
        stability=f32(memory.stability) if memory else None,
        difficulty=f32(memory.difficulty) if memory else None,
        reps=card.reps,
        lapses=card.lapses,
        left=card.left,
        last_review=card.last_review_time,
    )


def answer(col: Any, cid: int, rating: int) -> dict[str, dict[str, Any]]:
    """Answer a card with button ``rating`` (1-4) at the fake clock's instant, as the
    desktop reviewer does; return what each of the four buttons would have scheduled."""
    from anki.scheduler.v3 import CardAnswer

    buttons = {1: CardAnswer.AGAIN, 2: CardAnswer.HARD, 3: CardAnswer.GOOD, 4: CardAnswer.EASY}
    card = col.get_card(cid)
    card.start_timer()
    states = col._backend.get_scheduling_states(cid)
    col.sched.answer_card(col.sched.build_answer(card=card, states=states, rating=buttons[rating]))
    # the card's modification time is Anki's own (Rust) clock: it must read the fake
    # clock unshifted, or learning due times and the day would be off
    modified = col.get_card(cid).mod
    if modified != int(time.time()):
        raise RuntimeError(f"Anki's clock reads {modified}, the fake clock {time.time()}")
    return button_outcomes(states)


def button_outcomes(states: Any) -> dict[str, dict[str, Any]]:
    """The state and raw interval each button leads to: whole days for review states,
    seconds for (re)learning steps (a step that reaches past the rollover becomes a
    day-learning card due on a later study day when answered)."""
    outcomes = {}
    for name in ("again", "hard", "good", "easy"):
        normal = getattr(states, name).normal
        kind = normal.WhichOneof("kind")
        if kind == "review":
            outcomes[name] = {"state": "review", "days": normal.review.scheduled_days}
        elif kind == "learning":
            outcomes[name] = {"state": "learning", "secs": normal.learning.scheduled_secs}
        elif kind == "relearning":
            outcomes[name] = {
                "state": "relearning",
                "secs": normal.relearning.learning.scheduled_secs,
                "days": normal.relearning.review.scheduled_days,
            }
        else:
            raise RuntimeError(f"unexpected state {kind} for {name}")
    return outcomes


def anki_elapsed_days(col: Any, before: CardView) -> int | None:
    """The elapsed days Anki feeds FSRS: whole days from the last review to the next
    rollover (``next_day_at``), not a difference of study days."""
    if before.last_review is None:
        return None
    next_day_at = col._backend.sched_timing_today().next_day_at
    return max(next_day_at - before.last_review, 0) // DAY


def revlog_entry(col: Any, cid: int, epoch: int) -> dict[str, int]:
    row = col.db.first(
        "select id, ease, ivl, lastIvl, factor, type from revlog where cid = ? "
        "order by id desc limit 1",
        cid,
    )
    if row[0] // 1000 != epoch:
        raise RuntimeError(f"revlog id {row[0]} is not at {epoch}")
    return {"ease": row[1], "ivl": row[2], "last_ivl": row[3], "type": row[5], "factor": row[4]}


def after_record(driver: AnkiDriver, col: Any, cid: int, epoch: int, zone: str) -> dict:
    """The card as Anki holds it after a review at ``epoch`` in ``zone``."""
    after = view(col, cid)
    due = due_day = None
    if after.queue == QUEUE_LEARN:
        due = iso(after.due, zone)
    elif after.queue in (QUEUE_REVIEW, QUEUE_DAY_LEARN):
        day = study_date(epoch, zone) + timedelta(days=after.due - col.sched.today)
        if day != driver.crt_date + timedelta(days=after.due):
            raise RuntimeError("due day convention broken")
        due_day = day.isoformat()
    else:
        raise RuntimeError(f"unexpected queue {after.queue}")
    return {
        "state": after.state,
        "stability": after.stability,
        "difficulty": after.difficulty,
        "interval_days": after.interval,
        "due": due,
        "due_day": due_day,
        "reps": after.reps,
        "lapses": after.lapses,
        "remaining_steps": after.left,
        "queue": after.queue,
        "revlog": revlog_entry(col, cid, epoch),
    }


def replay_adaptive(
    plan: Plan, workdir: Path, clock: FakeClock, params: list[float]
) -> tuple[dict, list[tuple[int, str, int]]]:
    """Answer one card of ``plan``, choosing each review time from Anki's due times.

    Returns the history and its (instant, zone, rating) sequence."""
    rng = random.Random(f"{SEED}:{plan.hid}")
    driver = AnkiDriver(workdir / "h.anki2", clock, plan.zones[0][1], plan.created, params)
    with driver.at(plan.created, plan.zones[0][1]) as col:
        cid = driver.add_card(col, plan.hid)
    epoch = plan.start
    reviews = []
    sequence = []
    for index in range(plan.reviews):
        zone = plan.zone_at(index)
        with driver.at(epoch, zone) as col:
            before = view(col, cid)
            rating = choose_rating(rng, plan.kind, before.state)
            elapsed = anki_elapsed_days(col, before)
            buttons = answer(col, cid, rating)
            after = after_record(driver, col, cid, epoch, zone)
            card = view(col, cid)
        sequence.append((epoch, zone, rating))
        reviews.append(
            {
                "at": iso(epoch, zone),
                "tz": zone,
                "rating": rating,
                "elapsed_days": elapsed,
                "buttons": buttons,
                "after": after,
            }
        )
        due_day = None
        if card.queue in (QUEUE_REVIEW, QUEUE_DAY_LEARN):
            due_day = driver.crt_date + timedelta(days=card.due)
        epoch = next_instant(
            rng,
            plan.kind,
            epoch,
            plan.zone_at(index + 1),
            card.queue,
            card.due,
            due_day,
            card.interval,
        )
    history = {"id": plan.hid, "kind": plan.kind, "tz": plan.zones[0][1], "reviews": reviews}
    return history, sequence


def parameters_check(workdir: Path, clock: FakeClock, plans: list[Plan]) -> None:
    """Explicit FSRS-6 defaults give the same results as Anki's empty parameter list,
    and a new card's first stability is w0..w3."""
    for plan in plans:
        default, _ = replay_adaptive(plan, workdir, clock, [])
        explicit, _ = replay_adaptive(plan, workdir, clock, list(FSRS6_DEFAULT_PARAMETERS))
        if default != explicit:
            raise RuntimeError(f"{plan.hid}: Anki's default parameters are not the listed ones")
        first = default["reviews"][0]
        wanted = f32(FSRS6_DEFAULT_PARAMETERS[first["rating"] - 1])
        if first["after"]["stability"] != wanted:
            raise RuntimeError(f"{plan.hid}: first stability is not w{first['rating'] - 1}")


def common_header(fuzz: bool) -> dict:
    import anki.buildinfo

    return {
        "anki_version": anki.buildinfo.version,
        "anki_buildhash": anki.buildinfo.buildhash,
        "parameters": list(FSRS6_DEFAULT_PARAMETERS),
        "desired_retention": DESIRED_RETENTION,
        "learning_steps_minutes": list(LEARNING_STEPS_MINUTES),
        "relearning_steps_minutes": list(RELEARNING_STEPS_MINUTES),
        "maximum_interval": MAXIMUM_INTERVAL,
        "rollover_hour": ROLLOVER_HOUR,
        "fsrs_short_term_with_steps": False,
        "load_balancer": False,
        "fuzz": fuzz,
        "seed": SEED,
    }


def write_lines(path: Path, header: dict, sections: dict[str, list[Any]]) -> None:
    """Compact JSON: the header on the first line, then one item per line."""
    text = json.dumps(header, separators=(",", ":"))[:-1]
    for key, items in sections.items():
        body = ",\n".join(json.dumps(item, separators=(",", ":")) for item in items)
        text += f',"{key}":[\n{body}\n]'
    path.write_text(text + "}\n")


def worker_histories(out: Path, workdir: Path, clock: FakeClock) -> None:
    plans = history_plans(random.Random(SEED), HISTORY_KINDS, "h")
    parameters_check(workdir, clock, plans[:10])
    histories = [replay_adaptive(plan, workdir, clock, [])[0] for plan in plans]
    write_lines(out, common_header(fuzz=False), {"histories": histories})


def worker_fuzz_reference(out: Path, workdir: Path, clock: FakeClock) -> None:
    """Fuzz off: one card per history; its review times are then replayed with fuzz."""
    plans = history_plans(random.Random(SEED + 1), FUZZ_KINDS, "f")
    items = []
    for plan in plans:
        history, sequence = replay_adaptive(plan, workdir, clock, [])
        history["created"] = plan.created
        for review, (epoch, _, _) in zip(history["reviews"], sequence, strict=True):
            review["epoch"] = epoch
        items.append(history)
    out.write_text(json.dumps(items))


def desktop_timing_check(workdir: Path, clock: FakeClock) -> int:
    """Anki's day in server mode (UTC offset from the collection) is the desktop's (UTC
    offset from the process time zone), around 4 a.m. and DST changes in every zone.

    Runs without ANKI_TEST_MODE, whose clock shift would spoil the desktop side."""
    from anki.collection import Collection

    rng = random.Random(SEED + 2)
    checked = 0
    path = workdir / "timing.anki2"
    for zone in ZONES:
        first = instant_in_study_day(date(2026, 1, 1), 8 * HOUR, zone)
        driver = AnkiDriver(path, clock, zone, first, [])
        instants = set()
        for change in dst_transitions(zone, 2026):
            instants.update(change + k * 15 * MINUTE for k in range(-16, 17))
        for _ in range(40):
            day = date(2026, 1, 2) + timedelta(days=rng.randrange(360))
            for seconds in (-HOUR, -1, 0, 1, HOUR, rng.randrange(DAY)):
                instants.add(instant_in_study_day(day, seconds, zone))
        for epoch in sorted(instants):
            clock.set(epoch, zone)
            col = Collection(str(path))
            desktop = col._backend.sched_timing_today()
            col.close()
            with driver.at(epoch, zone) as col:
                server = col._backend.sched_timing_today()
            if desktop != server:
                raise RuntimeError(f"desktop {desktop} != server {server} at {iso(epoch, zone)}")
            checked += 1
    return checked


def worker_fuzz(out: Path, workdir: Path, clock: FakeClock, reference: Path) -> None:
    """Fuzz on: the same (time, rating) sequence on FUZZ_CARDS cards of one collection."""
    if os.environ.get("ANKI_TEST_MODE"):
        raise RuntimeError("the fuzz run must not have ANKI_TEST_MODE set")
    print(f"desktop and server timing agree at {desktop_timing_check(workdir, clock)} instants")
    histories = []
    for item in json.loads(reference.read_text()):
        driver = AnkiDriver(workdir / "f.anki2", clock, item["tz"], item["created"], [])
        with driver.at(item["created"], item["tz"]) as col:
            cids = []
            for k in range(FUZZ_CARDS):
                clock.set(item["created"] + k)  # card ids a second apart
                cids.append(driver.add_card(col, f"{item['id']}-{k}"))
        steps = []
        for step in item["reviews"]:
            epoch, zone, rating = step["epoch"], step["tz"], step["rating"]
            with driver.at(epoch, zone) as col:
                results = []
                intervals_before = []
                for cid in cids:
                    intervals_before.append(col.get_card(cid).ivl)
                    answer(col, cid, rating)
                    results.append(view(col, cid))
                today = col.sched.today
            steps.append(fuzz_step(item["id"], step, epoch, today, intervals_before, results))
        histories.append(
            {"id": item["id"], "kind": item["kind"], "tz": item["tz"], "reviews": steps}
        )
    header = common_header(fuzz=True)
    header["cards_per_history"] = FUZZ_CARDS
    write_lines(out, header, {"histories": histories})


def fuzz_step(
    hid: str,
    step: dict,
    epoch: int,
    today: int,
    intervals_before: list[int],
    results: list[CardView],
) -> dict:
    """One review answered on every card: the spread of what fuzz made of it."""
    unfuzzed = step["after"]
    states = {r.state for r in results}
    queues = {r.queue for r in results}
    memory = {(r.stability, r.difficulty) for r in results}
    if states != {unfuzzed["state"]} or queues != {unfuzzed["queue"]}:
        raise RuntimeError(f"{hid}: card states diverged under fuzz: {states} {queues}")
    if memory != {(unfuzzed["stability"], unfuzzed["difficulty"])}:
        raise RuntimeError(f"{hid}: memory states diverged under fuzz: {memory}")
    queue = unfuzzed["queue"]
    unfuzzed_delay = None
    unfuzzed_due_in_days = None
    if queue == QUEUE_LEARN:
        unfuzzed_delay = int(datetime.fromisoformat(unfuzzed["due"]).timestamp()) - epoch
    else:
        unfuzzed_due_in_days = (
            date.fromisoformat(unfuzzed["due_day"]) - study_date(epoch, step["tz"])
        ).days
    record: dict[str, Any] = {
        "at": step["at"],
        "tz": step["tz"],
        "rating": step["rating"],
        "state": unfuzzed["state"],
        "queue": queue,
        "stability": unfuzzed["stability"],
        "difficulty": unfuzzed["difficulty"],
        "unfuzzed": {
            "interval_days": unfuzzed["interval_days"],
            "due_in_days": unfuzzed_due_in_days,
            "delay_secs": unfuzzed_delay,
            "buttons": step["buttons"],
        },
        "interval_days_before_min": min(intervals_before),
        "interval_days_before_max": max(intervals_before),
    }
    if queue == QUEUE_LEARN:
        values = [r.due - epoch for r in results]
        record["delay_secs_min"] = min(values)
        record["delay_secs_max"] = max(values)
    elif queue == QUEUE_REVIEW:
        values = [r.interval for r in results]
        record["interval_days_min"] = min(values)
        record["interval_days_max"] = max(values)
    else:
        values = [r.due - today for r in results]
        record["due_in_days_min"] = min(values)
        record["due_in_days_max"] = max(values)
    record["values"] = values
    return record


def worker_real(out: Path, workdir: Path, clock: FakeClock, source: Path) -> None:
    """Replay the real review log through Anki in one zone, fuzz off."""
    zone = REAL_HISTORY_ZONE
    with source.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    events = sorted(
        (
            int(datetime.fromisoformat(row["review_time"]).timestamp()),  # whole seconds
            row["card_id"],
            int(row["review_rating"]),
        )
        for row in rows
    )
    first = events[0][0]
    created = instant_in_study_day(study_date(first, zone) - timedelta(days=1), 8 * HOUR, zone)
    driver = AnkiDriver(workdir / "real.anki2", clock, zone, created, [])
    cards: dict[str, int] = {}
    last_day: dict[str, date] = {}
    table = []
    for epoch, card_id, rating in events:
        if card_id not in cards:
            with driver.at(epoch - 1, zone) as col:
                cards[card_id] = driver.add_card(col, card_id)
        cid = cards[card_id]
        with driver.at(epoch, zone) as col:
            before = view(col, cid)
            elapsed = anki_elapsed_days(col, before)
            answer(col, cid, rating)
            after = view(col, cid)
        day = study_date(epoch, zone)
        study_days = (day - last_day[card_id]).days if card_id in last_day else None
        last_day[card_id] = day
        table.append(
            [
                int(card_id),
                iso(epoch, "UTC").replace("+00:00", "Z"),
                rating,
                elapsed,
                study_days,
                before.state,
                before.stability,
                before.difficulty,
                after.state,
                after.stability,
                after.difficulty,
                after.interval,
            ]
        )
    finals = []
    with driver.at(events[-1][0] + 1, zone) as col:
        for card_id, cid in cards.items():
            card = view(col, cid)
            due = due_day = None
            if card.queue == QUEUE_LEARN:
                due = iso(card.due, zone)
            else:
                due_day = (driver.crt_date + timedelta(days=card.due)).isoformat()
            finals.append(
                {
                    "card_id": int(card_id),
                    "state": card.state,
                    "stability": card.stability,
                    "difficulty": card.difficulty,
                    "interval_days": card.interval,
                    "due": due,
                    "due_day": due_day,
                    "reps": card.reps,
                    "lapses": card.lapses,
                }
            )
        evaluation = col._backend.evaluate_params_legacy(
            params=[], search="", ignore_revlogs_before_ms=0
        )
    header = common_header(fuzz=False)
    header.update(
        {
            "source": "shared/data/anki-review-log-sample.csv",
            "tz": zone,
            "review_count": len(events),
            "card_count": len(cards),
            "log_loss": real_log_loss(table),
            "anki_evaluate": {
                # rounded: Anki's evaluation is not bit-for-bit repeatable
                "log_loss": round(evaluation.log_loss, 5),
                "rmse_bins": round(evaluation.rmse_bins, 5),
                "note": "Anki's own Evaluate with the default parameters "
                "(fsrs-rs evaluate on the items Anki builds from the review log)",
            },
            "review_columns": REAL_COLUMNS,
        }
    )
    write_lines(out, header, {"reviews": table, "cards": finals})


REAL_COLUMNS = [
    "card_id",
    "at",
    "rating",
    "elapsed_days",
    "study_days_elapsed",
    "state_before",
    "stability_before",
    "difficulty_before",
    "state_after",
    "stability_after",
    "difficulty_after",
    "interval_days_after",
]


def real_log_loss(table: list[list[Any]]) -> dict[str, Any]:
    """Log loss of Anki's recall predictions: R from the memory state before each review
    and Anki's elapsed days, over reviews at least a day after the previous one."""
    column = {name: i for i, name in enumerate(REAL_COLUMNS)}
    decay = FSRS6_DEFAULT_PARAMETERS[20]
    total = 0.0
    count = 0
    for row in table:
        elapsed = row[column["elapsed_days"]]
        stability = row[column["stability_before"]]
        if elapsed is None or elapsed < 1 or stability is None:
            continue
        recall = fsrs_retrievability(elapsed, stability, decay)
        recall = min(max(recall, 1e-12), 1 - 1e-12)
        total -= math.log(recall) if row[column["rating"]] > 1 else math.log(1 - recall)
        count += 1
    return {
        "value": total / count,
        "reviews": count,
        "formula": "R = (1 + factor * t / S) ** -w20, factor = 0.9 ** (-1 / w20) - 1; "
        "y = rating > 1; t = elapsed_days (Anki's); reviews with t >= 1",
    }


def worker_main(args: argparse.Namespace) -> None:
    clock = FakeClock(Path(os.environ["FAKETIME_TIMESTAMP_FILE"]))
    workdir = Path(args.workdir)
    out = Path(args.out)
    if args.worker == "histories":
        worker_histories(out, workdir, clock)
    elif args.worker == "fuzz-reference":
        worker_fuzz_reference(out, workdir, clock)
    elif args.worker == "fuzz":
        worker_fuzz(out, workdir, clock, Path(args.reference))
    elif args.worker == "real":
        worker_real(out, workdir, clock, Path(args.source))
    else:
        raise SystemExit(f"unknown worker {args.worker}")


# --------------------------------------------------------------------------------------
# Main: check the tools, run the workers, check what they wrote
# --------------------------------------------------------------------------------------


def find_faketime(given: str | None) -> str:
    candidates = [given] if given else list(FAKETIME_LIBRARIES)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise SystemExit(
        "libfaketime not found (looked for "
        + ", ".join(c for c in candidates if c)
        + "); install it with `apt-get install faketime` or pass --faketime-lib"
    )


def check_anki(python: str) -> str:
    if not Path(python).is_file():
        raise SystemExit(
            f"no Python at {python}: make the Anki environment with\n"
            f"  python3 -m venv /work/anki-venv && /work/anki-venv/bin/pip install anki=={ANKI_VERSION}\n"
            "or pass --anki-python"
        )
    probe = subprocess.run(
        [python, "-c", "import anki.buildinfo as b; print(b.version)"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        raise SystemExit(f"{python} cannot import anki:\n{probe.stderr.strip()}")
    version = probe.stdout.strip()
    wanted = tuple(int(p) for p in ANKI_VERSION.split("."))
    if tuple(int(p) for p in version.split(".")) != wanted:
        raise SystemExit(f"{python} has Anki {version}, these files need {ANKI_VERSION}")
    return version


def run_worker(
    python: str, faketime: str, name: str, out: Path, fuzz: bool, extra: list[str], scratch: Path
) -> subprocess.Popen[bytes]:
    work = scratch / name
    work.mkdir()
    stamp = work / "faketime"
    stamp.write_text("1767225600\n")  # 2026-01-01, until the worker sets its own
    env = {k: v for k, v in os.environ.items() if k not in ("ANKI_TEST_MODE", "TZ")}
    env.update(
        {
            "LD_PRELOAD": faketime,
            "FAKETIME_TIMESTAMP_FILE": str(stamp),
            "FAKETIME_NO_CACHE": "1",
            "FAKETIME_FMT": "%s",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "TZ": "UTC",
        }
    )
    if not fuzz:
        env["ANKI_TEST_MODE"] = "1"  # rslib: no fuzz of intervals or learning steps
    command = [python, str(Path(__file__).resolve()), "--worker", name, "--out", str(out)]
    command += ["--workdir", str(work), *extra]
    print(f"running {name} ...", flush=True)
    return subprocess.Popen(command, env=env)


def wait(processes: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    failed = []
    for name, process in processes:
        if process.wait() != 0:
            failed.append(name)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--anki-python", default=DEFAULT_ANKI_PYTHON)
    parser.add_argument("--faketime-lib", default=None)
    parser.add_argument(
        "--only",
        nargs="*",
        choices=("histories", "fuzz", "real"),
        default=("histories", "fuzz", "real"),
    )
    parser.add_argument("--out-dir", default=str(HERE))
    parser.add_argument("--check-only", action="store_true", help="only check existing files")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--reference", help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args)
        return
    out_dir = Path(args.out_dir)
    if not args.check_only:
        faketime = find_faketime(args.faketime_lib)
        check_anki(args.anki_python)
        generate(args.anki_python, faketime, out_dir, set(args.only))
    check_outputs(out_dir, set(args.only))


def generate(python: str, faketime: str, out_dir: Path, only: set[str]) -> None:
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="anki-golden-"))
    try:
        running = []
        if "histories" in only:
            target = out_dir / "anki_histories.json"
            running.append(
                ("histories", run_worker(python, faketime, "histories", target, False, [], scratch))
            )
        if "real" in only:
            if not REAL_HISTORY_CSV.is_file():
                raise SystemExit(f"missing {REAL_HISTORY_CSV}")
            target = out_dir / "anki_real_history.json"
            extra = ["--source", str(REAL_HISTORY_CSV)]
            running.append(
                ("real", run_worker(python, faketime, "real", target, False, extra, scratch))
            )
        if "fuzz" in only:
            reference = scratch / "fuzz_reference.json"
            wait(
                [
                    (
                        "fuzz-reference",
                        run_worker(
                            python, faketime, "fuzz-reference", reference, False, [], scratch
                        ),
                    )
                ]
            )
            target = out_dir / "anki_fuzz.json"
            extra = ["--reference", str(reference)]
            running.append(
                ("fuzz", run_worker(python, faketime, "fuzz", target, True, extra, scratch))
            )
        wait(running)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"generated in {time.monotonic() - started:.0f} s")


# --------------------------------------------------------------------------------------
# Checks of the written files (standard library only)
# --------------------------------------------------------------------------------------


OUTPUT_FILES = {
    "histories": "anki_histories.json",
    "fuzz": "anki_fuzz.json",
    "real": "anki_real_history.json",
}


def check_outputs(out_dir: Path, only: set[str]) -> None:
    checks: dict[str, Callable[[dict], None]] = {
        "histories": check_histories,
        "fuzz": check_fuzz,
        "real": check_real,
    }
    for name, filename in OUTPUT_FILES.items():
        if name in only:
            path = out_dir / filename
            data = json.loads(path.read_text())
            assert data["parameters"] == list(FSRS6_DEFAULT_PARAMETERS)
            assert data["anki_version"].replace(".0", ".") == ANKI_VERSION
            checks[name](data)
            print(f"{filename}: {path.stat().st_size / 1e6:.2f} MB, checks passed")


def check_histories(data: dict) -> None:
    notes: Counter[str] = Counter()
    longest = 0
    for history in data["histories"]:
        notes[f"kind {history['kind']}"] += 1
        previous: dict | None = None
        for review in history["reviews"]:
            check_review(review, previous, notes)
            longest = max(longest, review["after"]["interval_days"])
            previous = review
        if len({r["tz"] for r in history["reviews"]}) > 1:
            notes["histories changing zone"] += 1
        if len(history["reviews"]) >= 30:
            notes["histories of 30+ reviews"] += 1
    assert len(data["histories"]) >= 250
    notes["longest interval"] = longest
    for name, count in sorted(notes.items()):
        print(f"  {name}: {count}")


def check_review(review: dict, previous: dict | None, notes: Counter[str]) -> None:
    at = datetime.fromisoformat(review["at"])
    zone = review["tz"]
    notes[f"zone {zone}"] += 1
    epoch = int(at.timestamp())
    assert at.utcoffset() == datetime.fromtimestamp(epoch, ZoneInfo(zone)).utcoffset()
    today = study_date(epoch, zone)
    after = review["after"]
    rating = review["rating"]
    chosen = review["buttons"][("again", "hard", "good", "easy")[rating - 1]]
    assert chosen["state"] == after["state"]
    assert after["stability"] > 0 and 1 <= after["difficulty"] <= 10
    assert (after["due"] is None) != (after["due_day"] is None)
    assert after["revlog"]["ease"] == rating
    if after["state"] == "review":
        assert (date.fromisoformat(after["due_day"]) - today).days == after["interval_days"]
        assert after["interval_days"] == chosen["days"] == after["revlog"]["ivl"] >= 1
    elif after["due"] is not None:
        delay = int(datetime.fromisoformat(after["due"]).timestamp()) - epoch
        assert delay == chosen["secs"] == -after["revlog"]["ivl"], review  # no fuzz
        notes[f"{after['state']} step of {delay}s"] += 1
    else:
        rollover = instant_in_study_day(today + timedelta(days=1), 0, zone)
        assert chosen["secs"] >= rollover - epoch - HOUR  # Anki's rollover: fixed offset
        assert date.fromisoformat(after["due_day"]) > today
        notes[f"{after['state']} step past the rollover"] += 1
    local = at.time()
    if (local.hour, local.minute) >= (3, 45) and (local.hour, local.minute) < (4, 15):
        notes["reviews at 03:45-04:15"] += 1
    if previous is None:
        assert after["reps"] == 1 and after["lapses"] == 0
        notes[f"rating {rating} on a new card"] += 1
        return
    before = previous["after"]
    assert at > datetime.fromisoformat(previous["at"])
    assert after["reps"] == before["reps"] + 1
    lapsed = before["state"] == "review" and rating == 1
    assert after["lapses"] == before["lapses"] + lapsed
    notes[f"rating {rating} on a {before['state']} card"] += 1
    if at.utcoffset() != datetime.fromisoformat(previous["at"]).utcoffset():
        notes["reviews after a change of UTC offset"] += 1
    last_day = study_date(int(datetime.fromisoformat(previous["at"]).timestamp()), zone)
    if review["elapsed_days"] != (today - last_day).days:
        notes["Anki's elapsed days differ from study days"] += 1
    if before["due_day"] is not None and before["state"] == "review":
        due_day = date.fromisoformat(before["due_day"])
        if today == last_day:
            notes["same-day reviews of review cards"] += 1
        elif today < due_day:
            notes["early reviews of review cards"] += 1
        elif (today - due_day).days > max(before["interval_days"], 3):
            notes["overdue reviews (late by more than the interval)"] += 1


def check_fuzz(data: dict) -> None:
    notes: Counter[str] = Counter()
    cards = data["cards_per_history"]
    for history in data["histories"]:
        for review in history["reviews"]:
            values = review["values"]
            assert len(values) == cards
            unfuzzed = review["unfuzzed"]
            if review["queue"] == QUEUE_LEARN:
                base = unfuzzed["delay_secs"]
                spread = min(base // 4, 300)
                assert base == min(values) or spread > 0
                assert all(base <= v < base + max(spread, 1) for v in values), review
                notes[f"{review['state']} step {base}s"] += 1
            elif review["queue"] == QUEUE_REVIEW:
                notes["review results"] += 1
                low, high = min(values), max(values)
                notes["review results with spread"] += high > low
                notes["review results with the unfuzzed interval inside the spread"] += (
                    low <= unfuzzed["interval_days"] <= high
                )
                if unfuzzed["interval_days"] >= 100:
                    notes["review results of 100+ days"] += 1
            else:
                notes["day-learning results"] += 1
    for name, count in sorted(notes.items()):
        print(f"  {name}: {count}")


def check_real(data: dict) -> None:
    assert len(data["reviews"]) == data["review_count"]
    assert len(data["cards"]) == data["card_count"]
    column = {name: i for i, name in enumerate(data["review_columns"])}
    assert real_log_loss(data["reviews"]) == data["log_loss"]
    differ = sum(
        1
        for row in data["reviews"]
        if row[column["elapsed_days"]] is not None
        and row[column["elapsed_days"]] != row[column["study_days_elapsed"]]
    )
    states = Counter(card["state"] for card in data["cards"])
    print(
        f"  log loss {data['log_loss']['value']:.5f} over {data['log_loss']['reviews']} reviews"
        f" (Anki's Evaluate: {data['anki_evaluate']['log_loss']:.5f});"
        f" elapsed days differing from study days: {differ}; final states {dict(states)}"
    )


if __name__ == "__main__":
    main()
