"""Store operations for the crash tests, run as a process of their own.

    python crashdriver.py FOLDER answer SEED ANSWERS [KILL_AT]
    python crashdriver.py FOLDER mark SEED EVENTS [KILL_AT]
    python crashdriver.py FOLDER import FILE [KILL_AT]
    python crashdriver.py HOME apkg PACKAGE [KILL_AT]

Prints ``ack ID`` once an answer is recorded (durable), ``undoing ID`` before an undo and
``undo ID`` once it is durable,
``compacted`` after an explicit compaction and ``imported N`` after an import: what is
printed was acknowledged. With KILL_AT, the process SIGKILLs itself at the KILL_AT-th
call of an fsutil primitive (``write`` after half its bytes, ``fsync`` and ``replace``
before they run) and says where on stderr first; without, it ends with ``calls N``.
Answers conflict with other processes answering the same cards and are recomputed from
the newer state, as a study session does. ``apkg`` imports an Anki package into HOME
(deck files, media, reviews and marks) as ``flashcards import`` does. ``mark`` mixes answers with suspends, buries,
their reverses, forgets and cram answers (each one an ``ack``, some undone).
"""

from __future__ import annotations

import os
import random
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flashcards import fsutil
from flashcards.errors import ConflictError
from flashcards.exchange import ExportFile
from flashcards.model import BURY, CRAM, FORGET, SUSPEND, UNBURY, UNSUSPEND, CardState, Review
from flashcards.scheduling import before_of, schedule
from flashcards.stores import jsonstore
from flashcards.stores.jsonstore import JsonStore

CALLS = 0
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def arm(kill_at: int) -> None:
    """Put a kill switch in front of fsutil's primitives."""
    real_write, real_fsync, real_replace = fsutil.write, fsutil.fsync, fsutil.replace

    def reached(what: str) -> bool:
        global CALLS
        CALLS += 1
        if kill_at == CALLS:
            print(f"kill {what} {CALLS}", file=sys.stderr, flush=True)
            return True
        return False

    def write(fd: int, data: bytes) -> None:
        if reached("write"):
            real_write(fd, bytes(data[: len(data) // 2]))
            os.kill(os.getpid(), signal.SIGKILL)
        real_write(fd, data)

    def fsync(fd: int) -> None:
        if reached("fsync"):
            os.kill(os.getpid(), signal.SIGKILL)
        real_fsync(fd)

    def replace(source: Path | str, target: Path | str) -> None:
        if reached("replace"):
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(source, target)

    fsutil.write, fsutil.fsync, fsutil.replace = write, fsync, replace  # type: ignore[assignment]


def answer_cards(folder: Path, seed: int, answers: int) -> None:
    rng = random.Random(seed)
    # Compact often, in the background as a study session does, to be killed in it too.
    jsonstore.COMPACT_AFTER_BYTES = 2500
    store = JsonStore(folder)
    start = T0 + timedelta(days=seed)
    for n in range(answers):
        card = f"c{rng.randrange(8)}"
        rating = rng.randint(1, 4)
        at = start + timedelta(minutes=7 * n)
        previous = store.load_states(["d"]).get(("d", card))
        for _ in range(20):
            if previous is not None and previous.last_review > at:
                at = previous.last_review  # another process answered it "later"
            review = Review(
                f"{seed}-{n}-{os.getpid()}",
                "d",
                card,
                rating,
                at,
                1000,
                int(before_of(previous)),
                schedule("d", card, previous, rating, at),
            )
            try:
                store.record(review, previous)
                break
            except ConflictError as conflict:
                previous = conflict.current  # type: ignore[assignment]
        else:
            raise SystemExit("too many conflicts")
        print(f"ack {review.id}", flush=True)
        if rng.random() < 0.15:
            print(f"undoing {review.id}", flush=True)  # from here it may or may not hold
            try:
                store.undo(review, previous)
                print(f"undo {review.id}", flush=True)
            except ConflictError:
                pass  # another process answered the card since: nothing to take back
        if rng.random() < 0.1:
            store.compact()
            print("compacted", flush=True)
        store.maintain()
    store.close()


def mark_cards(folder: Path, seed: int, events: int) -> None:
    rng = random.Random(seed)
    jsonstore.COMPACT_AFTER_BYTES = 2500
    store = JsonStore(folder)
    start = T0 + timedelta(days=seed)
    for n in range(events):
        card = f"m{rng.randrange(6)}"
        action = rng.choice([None, None, SUSPEND, UNSUSPEND, BURY, UNBURY, FORGET, CRAM])
        rating = rng.randint(1, 4) if action in (None, CRAM) else 0
        at = start + timedelta(minutes=7 * n)
        previous: CardState | None = store.load_states(["d"]).get(("d", card))
        for _ in range(20):
            # Another process marked or answered the card "later": this event follows it
            # (as a session's answer does), so the log's order is the order of times.
            at = max([at, *(r.reviewed_at for r in store.reviews() if r.card == card)])
            if action is None:
                after: CardState | None = schedule("d", card, previous, rating, at)
            else:
                after = None if action == FORGET else previous
            review = Review(
                f"{seed}-{n}-{os.getpid()}",
                "d",
                card,
                rating,
                at,
                1000 if action in (None, CRAM) else None,
                int(before_of(previous)),
                after,
                action=action,
            )
            try:
                store.record(review, previous)
                break
            except ConflictError as conflict:
                previous = conflict.current  # type: ignore[assignment]
        else:
            raise SystemExit("too many conflicts")
        print(f"ack {review.id}", flush=True)
        if rng.random() < 0.2:
            print(f"undoing {review.id}", flush=True)
            try:
                store.undo(review, previous)
                print(f"undo {review.id}", flush=True)
            except ConflictError:
                pass
        if rng.random() < 0.1:
            store.compact()
            print("compacted", flush=True)
        store.maintain()
    store.close()


def import_anki_package(home: Path, package: Path) -> None:
    """``flashcards import PACKAGE`` with ``FLASHCARDS_HOME`` at ``home``."""
    from flashcards.ankipkg import import_package
    from flashcards.commands.common import store_for
    from flashcards.config import load_settings

    os.environ["FLASHCARDS_HOME"] = str(home)
    settings = load_settings()
    store = store_for(settings)
    try:
        report = import_package(package, settings, store, now=T0)
        store.maintain()
    finally:
        store.close()
    print(f"imported {report.added}", flush=True)


def main() -> None:
    folder, scenario = Path(sys.argv[1]), sys.argv[2]
    args = sys.argv[3:]
    if scenario in ("answer", "mark"):
        seed, answers = int(args[0]), int(args[1])
        kill_at = int(args[2]) if len(args) > 2 else 0
    else:
        kill_at = int(args[1]) if len(args) > 1 else 0
    arm(kill_at)
    if scenario == "answer":
        answer_cards(folder, seed, answers)
    elif scenario == "mark":
        mark_cards(folder, seed, answers)
    elif scenario == "apkg":
        import_anki_package(folder, Path(args[0]))
    else:
        added = JsonStore(folder).import_reviews(ExportFile(Path(args[0])))
        print(f"imported {added}", flush=True)
    print(f"calls {CALLS}", flush=True)


if __name__ == "__main__":
    main()
