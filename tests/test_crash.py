"""Crashes, power losses and concurrent writers against the JSON store, for real.

Three kinds of trial, all seeded:

* **Kill points**: ``crashdriver.py`` runs store operations in a process of its own
  and SIGKILLs itself at a chosen call of an ``fsutil`` primitive (half-way through a
  write, before an fsync or a rename), while answering, undoing, compacting (also in
  the background) and importing.
* **Kill at a random moment**: the driver, the real ``flashcards study`` and the real
  ``flashcards progress import`` are SIGKILLed from outside.
* **Power loss**: a test double of ``fsutil.fsync`` remembers what a disk would keep
  (a file's bytes as of its last fsync, a folder's names as of its last fsync); the
  test then puts every file back to that.

After each: every acknowledged answer is there and every acknowledged undo holds,
nothing is there twice, every file is readable (the snapshot never needs rebuilding),
the states are what replaying the log gives, and the next command works.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flashcards import fsutil
from flashcards.model import BURY, CARD_MARKS, CRAM, FORGET, SUSPEND, UNBURY, UNSUSPEND, Review
from flashcards.scheduling import replay, schedule
from flashcards.stores import flags_of
from flashcards.stores.jsonstore import LOG, PENDING, JsonStore, parse_log_line
from flashcards.stores.logfile import read_lines

DRIVER = Path(__file__).with_name("crashdriver.py")
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
NOW = "2026-03-01T09:00:00+00:00"


@dataclass
class Figures:
    """What the trials did, printed at the end of the run (``pytest -s``)."""

    kills: Counter[str] = field(default_factory=Counter)
    acknowledged: int = 0
    lost: int = 0
    torn_tails: int = 0

    def report(self) -> str:
        points = ", ".join(f"{k} {v}" for k, v in sorted(self.kills.items()))
        return (
            f"crash trials: {sum(self.kills.values())} kills ({points}); "
            f"{self.acknowledged} answers acknowledged, {self.lost} lost; "
            f"{self.torn_tails} torn tails left by a kill"
        )


FIGURES = Figures()


@pytest.fixture(scope="module", autouse=True)
def figures() -> Iterator[Figures]:
    yield FIGURES
    print("\n" + FIGURES.report())


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "FLASHCARDS_NOW": NOW}


def driver(*args: object) -> list[str]:
    return [sys.executable, str(DRIVER), *map(str, args)]


@dataclass
class Outcome:
    acked: set[str] = field(default_factory=set)
    undone: set[str] = field(default_factory=set)
    undoing: set[str] = field(default_factory=set)  # an undo was under way
    imported: bool = False
    calls: int | None = None
    kill_point: str | None = None


def outcome_of(stdout: str, stderr: str = "") -> Outcome:
    out = Outcome()
    for line in stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word == "ack":
            out.acked.add(rest)
        elif word == "undo":
            out.undone.add(rest)
        elif word == "undoing":
            out.undoing.add(rest)
        elif word == "imported":
            out.imported = True
        elif word == "calls":
            out.calls = int(rest)
    for line in stderr.splitlines():
        if line.startswith("kill "):
            out.kill_point = line.split()[1]
        elif line.strip():
            raise AssertionError(f"the driver failed:\n{stderr}")
    return out


def run_driver(*args: object) -> Outcome:
    done = subprocess.run(driver(*args), capture_output=True, text=True, env=env(), timeout=60)
    assert done.returncode in (0, -signal.SIGKILL), done.stderr
    return outcome_of(done.stdout, done.stderr)


def log_only(folder: Path) -> JsonStore:
    """The store as its log alone says it (a copy without the snapshot)."""
    copy = folder.parent / f"{folder.name}-log-only"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir()
    if (folder / LOG).exists():
        shutil.copyfile(folder / LOG, copy / LOG)
    if (folder / PENDING).exists():
        shutil.copyfile(folder / PENDING, copy / PENDING)
    return JsonStore(copy)


def verify(
    folder: Path, acked: set[str], undone: set[str], undoing: frozenset[str] = frozenset()
) -> set[str]:
    """The checks after every trial (``undoing``: undos under way when the process was
    killed, which may or may not hold); returns the ids of the standing reviews."""
    ids: list[str] = []
    for line in read_lines(folder / LOG):
        if line.torn:
            FIGURES.torn_tails += 1
            continue
        entry = parse_log_line(line.data)  # every line reads (raises otherwise)
        if entry.is_review:
            ids.append(entry.line["id"])
    assert len(ids) == len(set(ids)), "a review is in the log twice"
    store = JsonStore(folder)
    reviews = list(store.reviews())
    standing = {r.id for r in reviews}
    missing = (acked - undone - undoing) - standing
    FIGURES.lost += len(missing)
    assert not missing, f"acknowledged answers lost: {sorted(missing)}"
    assert not (undone & standing), "an acknowledged undo did not hold"
    states = store.load_states()
    assert store.notices == [], store.notices  # nothing had to be rebuilt
    assert states == replay(reviews).states
    plain = log_only(folder)
    assert states == plain.load_states()
    assert store.activity() == plain.activity()
    assert store.day_stats() == plain.day_stats()  # cram answers counted apart too
    # Marks: the flags kept with the cards are those the standing marks make.
    assert store.flags() == plain.flags() == flags_of(reviews)
    return standing


def answer_one_more(folder: Path, at: datetime) -> None:
    """The next command works: a writer answers one more card."""
    store = JsonStore(folder)
    before = store.load_states(["d"]).get(("d", "next"))
    review = Review(f"next-{at.timestamp()}", "d", "next", 3, at, 1, 0 if before is None else 2)
    review = Review(**{**review.__dict__, "state": schedule("d", "next", before, 3, at)})
    store.record(review, before)
    assert review.id in {r.id for r in JsonStore(folder).reviews()}


# -- kill points -------------------------------------------------------------------------


def test_killed_at_fs_calls_while_answering_undoing_and_compacting(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    dry = run_driver(folder, "answer", 1, 40)
    assert dry.calls and dry.calls > 100  # answers, undos and several compactions
    acked, undone = set(dry.acked), set(dry.undone)
    verify(folder, acked, undone)
    rng = random.Random(8)
    for trial in range(2, 42):
        result = run_driver(folder, "answer", trial, 40, rng.randint(1, dry.calls))
        assert result.kill_point is not None or result.calls is not None
        FIGURES.kills[f"answering, at {result.kill_point or 'the end'}"] += 1
        FIGURES.acknowledged += len(result.acked)
        acked |= result.acked
        undone |= result.undone
        # an undo cut short by the kill may hold or not; once checked, it is settled
        standing = verify(folder, acked, undone, frozenset(result.undoing - result.undone))
        undone |= (result.undoing - result.undone) - standing
    answer_one_more(folder, T0 + timedelta(days=400))
    verify(folder, acked, undone)


def test_killed_at_fs_calls_while_marking_loses_no_mark_and_applies_none_by_half(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "store"
    dry = run_driver(folder, "mark", 1, 40)
    assert dry.calls and dry.calls > 100
    acked, undone = set(dry.acked), set(dry.undone)
    standing = verify(folder, acked, undone)
    actions = {r.action for r in JsonStore(folder).reviews() if r.id in standing}
    assert {SUSPEND, BURY, FORGET, CRAM, None} <= actions  # the trial made every kind
    rng = random.Random(11)
    for trial in range(2, 32):
        result = run_driver(folder, "mark", trial, 40, rng.randint(1, dry.calls))
        assert result.kill_point is not None or result.calls is not None
        FIGURES.kills[f"marking, at {result.kill_point or 'the end'}"] += 1
        FIGURES.acknowledged += len(result.acked)
        acked |= result.acked
        undone |= result.undone
        standing = verify(folder, acked, undone, frozenset(result.undoing - result.undone))
        undone |= (result.undoing - result.undone) - standing
    # The marks stand with their actions (a kill after the write but before the
    # acknowledgement may keep one more), and the cards' flags are what they make.
    store = JsonStore(folder)
    marks = [r for r in store.reviews() if r.action in CARD_MARKS]
    assert marks and all(r.rating == 0 and r.duration_ms is None for r in marks)
    assert store.flags() == flags_of(marks) != {}
    answer_one_more(folder, T0 + timedelta(days=400))
    verify(folder, acked, undone)


def _history_file(path: Path, reviews: int, seed: int) -> set[str]:
    rng = random.Random(seed)
    ids = set()
    with open(path, "w") as out:
        for n in range(reviews):
            review_id = f"h{seed}-{n}"
            ids.add(review_id)
            at = T0 - timedelta(days=300) + timedelta(hours=n * 5 + rng.randrange(4))
            line = {
                "id": review_id,
                "deck": "d",
                "card": f"c{rng.randrange(8)}",
                "rating": rng.randint(1, 4),
                "reviewed_at": at.isoformat(),
                "duration_ms": 1000,
            }
            if n % 7 == 3:  # marks and cram answers travel too
                action = rng.choice([SUSPEND, UNSUSPEND, BURY, UNBURY, FORGET, CRAM])
                line["action"] = action
                if action != CRAM:
                    line.update(rating=0, duration_ms=None)
            out.write(json.dumps(line) + "\n")
    return ids


def test_killed_at_fs_calls_while_importing_is_all_or_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    history = tmp_path / "history.jsonl"
    ids = _history_file(history, 300, 1)
    base = run_driver(folder, "answer", 1, 10)
    scratch = tmp_path / "scratch"
    dry_folder = tmp_path / "dry"
    shutil.copytree(folder, dry_folder)
    dry = run_driver(dry_folder, "import", history)
    assert dry.imported and dry.calls
    rng = random.Random(3)
    points = sorted({rng.randint(1, dry.calls) for _ in range(12)} | {1, dry.calls})
    for kill_at in points:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.copytree(folder, scratch)
        result = run_driver(scratch, "import", history, kill_at)
        FIGURES.kills[f"importing, at {result.kill_point}"] += 1
        standing = verify(scratch, base.acked, base.undone)
        present = ids & standing
        assert present in (set(), ids), f"part of an import stands ({len(present)} of {len(ids)})"
        # the next writer finishes the job: the import again adds exactly what is missing
        again = run_driver(scratch, "import", history)
        assert again.imported
        assert ids <= verify(scratch, base.acked, base.undone)


def _anki_package(folder: Path) -> Path:
    """An Anki package of two decks with answers, a suspended and a buried card."""
    from ankibuild import AnkiNote, add_notes, export_package, open_collection, utc_environment

    utc_environment()
    folder.mkdir()
    col = open_collection(folder / "collection.anki2")
    start = T0 - timedelta(days=60)
    notes = [
        AnkiNote(
            "Basic",
            [f"question {n}", f"answer {n}"],
            "Lang::French" if n % 2 else "Geo",
            answers=[
                (0, 1 + (n + k) % 4, start + timedelta(days=3 * k, minutes=n)) for k in range(6)
            ],
            suspend=[0] if n % 5 == 1 else [],
            bury=[0] if n % 5 == 2 else [],
        )
        for n in range(12)
    ]
    add_notes(col, notes, {})
    package = export_package(col, folder / "deck.apkg", legacy=False)
    col.close()
    return package


def _imported(home: Path) -> tuple[object, ...]:
    """What an Anki package import leaves: deck files, reviews, states and flags (a temp
    file a killed atomic write left, ``.NAME.RANDOM``, is no deck)."""
    decks = {p.name: p.read_bytes() for p in sorted((home / "decks").glob("[!.]*"))}
    store = JsonStore(home)
    reviews = sorted((r.id, r.key, r.rating, r.reviewed_at, r.action) for r in store.reviews())
    return decks, reviews, store.load_states(), store.flags()


def test_killed_at_fs_calls_while_importing_an_anki_package_converges(tmp_path: Path) -> None:
    pytest.importorskip("anki")
    package = _anki_package(tmp_path / "anki")
    reference = tmp_path / "reference"
    done = run_driver(reference, "apkg", package)
    assert done.calls
    expected = _imported(reference)
    decks, reviews, _, flags = expected
    assert len(decks) == 2 and len(reviews) > 60
    assert sum(f.suspended for f in flags.values()) == 3
    assert sum(f.buried_on is not None for f in flags.values()) == 2
    ids = {review[0] for review in reviews}
    home = tmp_path / "home"
    for kill_at in range(1, done.calls + 1):  # every one: there are a few dozen
        shutil.rmtree(home, ignore_errors=True)
        result = run_driver(home, "apkg", package, kill_at)
        FIGURES.kills[f"importing an Anki package, at {result.kill_point}"] += 1
        if (home / LOG).exists():
            standing = verify(home, set(), set())
            assert standing in (set(), ids), "part of an import stands"
        # running the command again finishes the job: the same as an import never killed
        again = run_driver(home, "apkg", package)
        assert again.calls
        assert _imported(home) == expected
        verify(home, ids, set())


# -- kills at random moments -------------------------------------------------------------


def _kill_after(command: list[str], delay: float, stdin: str | None = None) -> tuple[str, str]:
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    assert process.stdin is not None
    if stdin is not None:
        process.stdin.write(stdin)
        process.stdin.flush()
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    stdout, stderr = process.communicate(timeout=60)
    return stdout, stderr


def test_killed_at_random_moments_while_answering(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    acked: set[str] = set()
    undone: set[str] = set()
    rng = random.Random(5)
    for trial in range(1, 21):
        stdout, _ = _kill_after(driver(folder, "answer", trial, 400), rng.uniform(0.05, 0.35))
        result = outcome_of(stdout)
        FIGURES.kills["answering, at a random moment"] += 1
        FIGURES.acknowledged += len(result.acked)
        acked |= result.acked
        undone |= result.undone
        standing = verify(folder, acked, undone, frozenset(result.undoing - result.undone))
        undone |= (result.undoing - result.undone) - standing
    assert len(acked) > 100  # the kills landed mid-session, not before it began
    answer_one_more(folder, T0 + timedelta(days=400))


def test_the_real_study_command_killed_at_random_moments(
    tmp_path: Path, isolated_home: Path
) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    cards = "\n".join(f"  - {{id: c{i}, question: q{i}, answer: a{i}}}" for i in range(60))
    (decks / "d.yaml").write_text(f"name: D\ncards:\n{cards}\n")
    command = [sys.executable, "-m", "flashcards", "study", "--decks", str(decks)]
    rng = random.Random(11)
    answered = 0
    for _ in range(8):
        keys = "".join(f"\n{rng.randint(1, 4)}\n" for _ in range(200))
        stdout, _ = _kill_after(command, rng.uniform(0.2, 0.8), keys)
        # an answer is acknowledged once the next question is on screen
        acknowledged = max(stdout.count("show answer") - 1, 0)
        FIGURES.kills["`flashcards study`, at a random moment"] += 1
        FIGURES.acknowledged += acknowledged
        before = answered
        reviews = list(JsonStore(isolated_home).reviews())
        answered = len(reviews)
        FIGURES.lost += max(before + acknowledged - answered, 0)
        assert answered >= before + acknowledged
        assert answered <= before + acknowledged + 1  # at most the one being shown
        verify(isolated_home, {r.id for r in reviews}, set())
    final = subprocess.run(
        [*command, "--decks", str(decks)],
        input="\n3\nq\n",
        capture_output=True,
        text=True,
        env=env(),
    )
    assert final.returncode == 0, final.stderr
    check = subprocess.run(
        [sys.executable, "-m", "flashcards", "check", "--decks", str(decks)],
        capture_output=True,
        text=True,
        env=env(),
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_real_import_command_killed_at_random_moments(
    tmp_path: Path, isolated_home: Path
) -> None:
    history = tmp_path / "history.jsonl"
    ids = _history_file(history, 3000, 2)
    command = [sys.executable, "-m", "flashcards", "progress", "import", str(history)]
    rng = random.Random(13)
    for _ in range(6):
        stdout, _ = _kill_after(command, rng.uniform(0.1, 1.0))
        FIGURES.kills["`flashcards progress import`, at a random moment"] += 1
        standing = verify(isolated_home, set(), set())
        if "Imported" in stdout:
            assert ids <= standing
        assert standing & ids in (set(), ids)
        if standing & ids:
            shutil.rmtree(isolated_home)  # start again, to be killed again
    done = subprocess.run(command, capture_output=True, text=True, env=env())
    assert done.returncode == 0, done.stderr
    assert ids <= verify(isolated_home, set(), set())


# -- concurrent writers ------------------------------------------------------------------


@pytest.mark.parametrize("writers", [2, 3])
@pytest.mark.parametrize("scenario", ["answer", "mark"])
def test_concurrent_writers_lose_nothing(tmp_path: Path, writers: int, scenario: str) -> None:
    # ``mark``: the writers answer, suspend, bury, forget and undo the same six cards
    folder = tmp_path / "store"
    processes = [
        subprocess.Popen(
            driver(folder, scenario, 7, 60),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env(),
        )
        for _ in range(writers)
    ]
    acked: set[str] = set()
    undone: set[str] = set()
    for process in processes:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        result = outcome_of(stdout)
        assert len(result.acked) == 60
        acked |= result.acked
        undone |= result.undone
    FIGURES.acknowledged += len(acked)
    standing = verify(folder, acked, undone)
    assert standing == acked - undone


def test_two_study_commands_at_once(tmp_path: Path, isolated_home: Path) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    cards = "\n".join(f"  - {{id: c{i}, question: q{i}, answer: a{i}}}" for i in range(4))
    (decks / "d.yaml").write_text(f"name: D\ncards:\n{cards}\n")
    command = [sys.executable, "-m", "flashcards", "study", "--decks", str(decks)]
    keys = "".join(f"\n{1 + n % 4}\n" for n in range(30)) + "q\n"
    (tmp_path / "keys").write_text(keys)
    processes = []
    for _ in range(2):
        with open(tmp_path / "keys") as stdin:
            processes.append(
                subprocess.Popen(
                    command,
                    stdin=stdin,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=env(),
                )
            )
    answered = 0
    for process in processes:
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
        said = re.search(r"Answered (\d+) card", stdout)  # a session may find nothing due
        answered += int(said.group(1)) if said else 0
    reviews = list(JsonStore(isolated_home).reviews())
    assert len(reviews) == answered
    verify(isolated_home, {r.id for r in reviews}, set())


# -- power loss --------------------------------------------------------------------------


class PowerLoss:
    """Stands in for ``fsutil.fsync`` to know what a power loss would keep: a file's
    bytes as of its last fsync, a folder's names as of its last fsync. What is on disk
    when the double is made counts as synced. ``cut`` puts every file back to that."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.synced: dict[int, bytes] = {}
        self.names: dict[str, dict[str, int]] = {}
        for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
            self._sync_folder(str(folder))
            for name, inode in self.names[str(folder)].items():
                self.synced[inode] = (folder / name).read_bytes()
        real = fsutil.fsync

        def fsync(fd: int) -> None:
            info = os.fstat(fd)
            where = os.readlink(f"/proc/self/fd/{fd}")
            if stat.S_ISDIR(info.st_mode):
                self._sync_folder(where)
            else:
                with open(f"/proc/self/fd/{fd}", "rb") as handle:
                    self.synced[info.st_ino] = handle.read()
            real(fd)

        monkeypatch.setattr(fsutil, "fsync", fsync)

    def _sync_folder(self, folder: str) -> None:
        self.names[folder] = {
            entry.name: entry.inode()
            for entry in os.scandir(folder)
            if entry.is_file(follow_symlinks=False)
        }

    def cut(self) -> None:
        for folder in [self.root, *(p for p in self.root.rglob("*") if p.is_dir())]:
            durable = self.names.get(str(folder), {})
            for entry in os.scandir(folder):
                if entry.is_file(follow_symlinks=False) and entry.name not in durable:
                    os.unlink(entry.path)
            for name, inode in durable.items():
                (folder / name).write_bytes(self.synced.get(inode, b""))


def _answer(store: JsonStore, card: str, at: datetime) -> Review:
    before = store.load_states(["d"]).get(("d", card))
    review = Review(f"{card}-{at.timestamp()}", "d", card, 3, at, 1, 0 if before is None else 2)
    review = Review(**{**review.__dict__, "state": schedule("d", card, before, 3, at)})
    store.record(review, before)
    return review


@pytest.mark.parametrize("earlier", [0, 3])
def test_an_answer_survives_a_power_loss_once_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, earlier: int
) -> None:
    store = JsonStore(tmp_path)
    for n in range(earlier):
        _answer(store, f"c{n}", T0 + timedelta(minutes=n))
    power = PowerLoss(tmp_path, monkeypatch)
    review = _answer(store, "new", T0 + timedelta(hours=1))
    power.cut()
    assert review.id in {r.id for r in JsonStore(tmp_path).reviews()}


@pytest.mark.parametrize("action", [SUSPEND, UNSUSPEND, BURY, UNBURY, FORGET])
def test_a_mark_and_its_undo_survive_a_power_loss_once_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    store = JsonStore(tmp_path)
    answered = _answer(store, "c", T0)
    before = answered.state
    power = PowerLoss(tmp_path, monkeypatch)
    made = Review(
        f"{action}-1",
        "d",
        "c",
        0,
        T0 + timedelta(hours=1),
        None,
        int(before.state) if before else 0,
        None if action == FORGET else before,
        action=action,
    )
    store.record(made, before)
    power.cut()
    kept = JsonStore(tmp_path)
    assert [r.action for r in kept.reviews()] == [None, action]
    assert kept.flags() == flags_of(kept.reviews())
    assert kept.load_states() == ({} if action == FORGET else {("d", "c"): before})
    kept.undo(made, before)
    power.cut()
    assert [r.id for r in JsonStore(tmp_path).reviews()] == [answered.id]
    assert JsonStore(tmp_path).flags() == {}


def test_an_atomic_write_is_the_old_file_or_the_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "file.json"
    path.write_bytes(b"old contents")
    with open(path, "rb") as old:
        fsutil.write_atomically(path, b"new contents")
        # a reader holding the old file still reads all of it: the file was replaced,
        # never rewritten in place
        assert old.read() == b"old contents"
    assert path.read_bytes() == b"new contents"
    power = PowerLoss(tmp_path, monkeypatch)
    fsutil.write_atomically(path, [b"newer ", b"contents"])
    power.cut()
    assert path.read_bytes() == b"newer contents"


def test_a_snapshot_survives_a_power_loss_once_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = JsonStore(tmp_path)
    for n in range(12):
        _answer(store, f"c{n % 5}", T0 + timedelta(hours=n))
    JsonStore(tmp_path).compact()
    _answer(store, "late", T0 + timedelta(days=2))
    expected = JsonStore(tmp_path).load_states()
    power = PowerLoss(tmp_path, monkeypatch)
    JsonStore(tmp_path).compact()
    power.cut()
    reopened = JsonStore(tmp_path)
    assert reopened.load_states() == expected
    assert reopened.notices == []


def test_an_import_survives_a_power_loss_once_acknowledged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = JsonStore(tmp_path)
    _answer(store, "c0", T0)
    reviews = [Review(f"i{n}", "d", f"k{n % 4}", 3, T0 - timedelta(days=n), 5) for n in range(30)]
    power = PowerLoss(tmp_path, monkeypatch)
    assert JsonStore(tmp_path).import_reviews(reviews) == 30
    power.cut()
    monkeypatch.undo()
    _answer(JsonStore(tmp_path), "c1", T0 + timedelta(hours=1))  # a writer comes next
    assert {f"i{n}" for n in range(30)} <= {r.id for r in JsonStore(tmp_path).reviews()}
