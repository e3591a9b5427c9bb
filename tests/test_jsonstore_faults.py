"""The JSON store against damaged files, full disks, read-only homes and edited logs.

Each test here failed before the fix it covers: the log is never changed by a reader,
nothing half-written is left by a failed write, and a snapshot that no longer matches
its log is never used.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flashcards import fsutil
from flashcards.cli import app
from flashcards.errors import StoreError
from flashcards.model import Review
from flashcards.scheduling import replay, schedule
from flashcards.stores import jsonstore
from flashcards.stores.jsonstore import JsonStore
from flashcards.stores.logfile import first_of_each, read_lines

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
NOW = "2026-03-01T09:00:00+00:00"


def answer(
    store: JsonStore, card: str, rating: int = 3, at: datetime = T0, deck: str = "d"
) -> Review:
    before = store.load_states([deck]).get((deck, card))
    after = schedule(deck, card, before, rating, at)
    review = Review(
        f"{deck}-{card}-{at.timestamp()}",
        deck,
        card,
        rating,
        at,
        1000,
        0 if before is None else before.state,
        after,
    )
    store.record(review, before)
    return review


def fill(folder: Path, answers: int, deck: str = "d", cards: int = 10) -> list[Review]:
    store = JsonStore(folder)
    return [
        answer(store, f"c{i % cards}", (i % 4) + 1, T0 + timedelta(hours=6 * i), deck)
        for i in range(answers)
    ]


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def without_snapshot(folder: Path) -> JsonStore:
    """The store as its log alone says it: a copy of the log, with no snapshot."""
    copy = folder.parent / f"{folder.name}-log-only"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir()
    shutil.copyfile(folder / "reviews.jsonl", copy / "reviews.jsonl")
    return JsonStore(copy)


def cli(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real program, in a process of its own (it inherits FLASHCARDS_HOME)."""
    env = {**os.environ, "FLASHCARDS_NOW": NOW}
    return subprocess.run(
        [sys.executable, "-m", "flashcards", *args],
        input=input,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


# -- one CR byte, a last line without its newline, reading commands --------------------


def test_a_cr_byte_between_fields_is_not_a_line_break(isolated_home: Path) -> None:
    reviews = fill(isolated_home, 6)
    log = isolated_home / "reviews.jsonl"
    data = log.read_bytes()
    cut = data.index(b'"card"', len(data) // 3)
    damaged = data[:cut] + b"\r" + data[cut:]  # JSON allows the CR there: every line reads
    log.write_bytes(damaged)
    result = cli("stats", "--json")
    assert result.returncode == 0, result.stderr
    assert log.read_bytes() == damaged
    exported = cli("progress", "export")
    assert exported.returncode == 0, exported.stderr
    assert [json.loads(line)["id"] for line in exported.stdout.splitlines()] == [
        r.id for r in reviews
    ]


def test_a_cr_byte_inside_a_value_stops_readers_with_file_and_line_and_changes_nothing(
    isolated_home: Path, tmp_path: Path
) -> None:
    fill(isolated_home, 6)
    log = isolated_home / "reviews.jsonl"
    data = log.read_bytes()
    third = data.index(b"\n", data.index(b"\n") + 1) + 1
    cut = data.index(b'"reviewed_at":"', third) + len('"reviewed_at":"') + 2
    damaged = data[:cut] + b"\r" + data[cut:]
    log.write_bytes(damaged)
    for args in (["stats"], ["list-decks"], ["cards", "--decks", str(tmp_path)]):
        result = cli(*args)
        assert "reviews.jsonl:3: corrupt review log line" in result.stderr, args
        assert "Traceback" not in result.stderr
        assert result.returncode == 1
        assert log.read_bytes() == damaged
    out = tmp_path / "history.jsonl"
    exported = cli("progress", "export", "--out", str(out))
    assert exported.returncode == 1
    assert "reviews.jsonl:3:" in exported.stderr and len(exported.stderr.splitlines()) == 1
    assert not out.exists()
    to_stdout = cli("progress", "export")
    assert to_stdout.returncode == 1 and to_stdout.stdout == ""
    assert log.read_bytes() == damaged
    assert not list(isolated_home.glob("reviews.jsonl.torn-*"))


def test_a_whole_last_line_without_its_newline_is_kept(isolated_home: Path) -> None:
    fill(isolated_home, 3)
    log = isolated_home / "reviews.jsonl"
    cut = log.read_bytes()[:-1]  # the last line is whole but lacks its "\n"
    log.write_bytes(cut)
    store = JsonStore(isolated_home)
    assert store.load_states() == without_snapshot(isolated_home).load_states()
    assert len(store.load_states()) == 3
    assert log.read_bytes() == cut  # a reader adds nothing
    answer(store, "new", at=T0 + timedelta(days=3))
    assert log.read_bytes().startswith(cut + b"\n")
    assert len(lines_of(log)) == 4
    assert [r.card for r in JsonStore(isolated_home).reviews()] == ["c0", "c1", "c2", "new"]


def test_a_reader_resuming_after_a_line_a_writer_has_since_ended_reads_on(
    isolated_home: Path,
) -> None:
    fill(isolated_home, 2)
    log = isolated_home / "reviews.jsonl"
    log.write_bytes(log.read_bytes()[:-1])
    reader = JsonStore(isolated_home)
    assert len(reader.load_states()) == 2
    answer(JsonStore(isolated_home), "late", at=T0 + timedelta(days=2))
    # the reader stopped right before the newline the writer added: it reads on
    assert len(reader.load_states()) == 3
    assert reader.load_states() == without_snapshot(isolated_home).load_states()


@pytest.mark.parametrize(
    "args",
    [
        ["stats"],
        ["stats", "--json"],
        ["list-decks"],
        ["cards"],
        ["cards", "dynamoose/dynamoose-what-is"],
        ["progress", "export"],
        ["check"],
        ["check", "--json"],
    ],
)
def test_reading_commands_never_change_the_log(
    runner: CliRunner, isolated_home: Path, args: list[str]
) -> None:
    runner.invoke(app, ["study", "dynamoose"], input="\n3\n\n3\nq\n", env={"FLASHCARDS_NOW": NOW})
    log = isolated_home / "reviews.jsonl"
    torn = log.read_bytes() + b'{"id":"half","deck":"dynamoose","card":"x","rati'
    log.write_bytes(torn)
    before = sorted(p.name for p in isolated_home.iterdir())
    result = runner.invoke(app, args, env={"FLASHCARDS_NOW": NOW})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert log.read_bytes() == torn
    assert not list(isolated_home.glob("reviews.jsonl.torn-*"))
    assert sorted(p.name for p in isolated_home.iterdir() if p.name != "reviews.lock") == [
        name for name in before if name != "reviews.lock"
    ]


# -- the same review twice in one import file ------------------------------------------


def test_one_review_id_twice_in_an_import_file_is_imported_once(tmp_path: Path) -> None:
    first = Review("same", "d", "a", 3, T0, 100)
    second = Review("same", "d", "b", 1, T0 + timedelta(days=1), 100)
    store = JsonStore(tmp_path)
    assert store.import_reviews([first, second, first]) == 1
    assert [(r.id, r.card) for r in JsonStore(tmp_path).reviews()] == [("same", "a")]
    assert set(JsonStore(tmp_path).load_states()) == {("d", "a")}


def test_first_of_each_keeps_the_first_and_skips_known_keys() -> None:
    seen = {"known"}
    items = ["a1", "known", "b1", "a2", "c1", "b2"]
    assert list(first_of_each(items, lambda s: s[0] if s != "known" else s, seen)) == [
        "a1",
        "b1",
        "c1",
    ]
    assert seen == {"known", "a", "b", "c"}


# -- full disk and read-only home --------------------------------------------------------


class _DiskFull:
    """fsutil.write that lets ``room`` more bytes through, then fails as a full disk does."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.real = fsutil.write

    def __call__(self, fd: int, data: bytes) -> None:
        if len(data) > self.room:
            self.real(fd, bytes(data[: self.room]))
            self.room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        self.real(fd, data)


@pytest.mark.parametrize("room", [0, 1, 40])
def test_a_full_disk_while_answering_is_one_error_and_leaves_the_log_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, room: int
) -> None:
    fill(tmp_path, 3)
    log = tmp_path / "reviews.jsonl"
    before = log.read_bytes()
    store = JsonStore(tmp_path)
    monkeypatch.setattr(fsutil, "write", _DiskFull(room))
    with pytest.raises(StoreError, match=r"No space left on device.*nothing was written"):
        answer(store, "c9", at=T0 + timedelta(days=9))
    assert log.read_bytes() == before
    monkeypatch.undo()
    answer(store, "c9", at=T0 + timedelta(days=9))  # once there is room, it carries on
    assert len(list(JsonStore(tmp_path).reviews())) == 4


def test_a_full_disk_while_setting_aside_a_torn_tail_leaves_no_empty_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(tmp_path, 2)
    log = tmp_path / "reviews.jsonl"
    torn = log.read_bytes() + b'{"id":"half'
    log.write_bytes(torn)
    store = JsonStore(tmp_path)
    monkeypatch.setattr(fsutil, "write", _DiskFull(0))
    with pytest.raises(StoreError, match="No space left on device"):
        answer(store, "c5", at=T0 + timedelta(days=5))
    assert log.read_bytes() == torn
    assert list(tmp_path.glob("reviews.jsonl.torn-*")) == []
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_full_disk_during_an_import_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(tmp_path, 3)
    log = tmp_path / "reviews.jsonl"
    before = log.read_bytes()
    reviews = [Review(f"i{n}", "d", f"k{n % 7}", 3, T0 + timedelta(hours=n), 5) for n in range(50)]
    monkeypatch.setattr(fsutil, "write", _DiskFull(3000))
    with pytest.raises(StoreError, match="No space left on device"):
        JsonStore(tmp_path).import_reviews(reviews)
    assert log.read_bytes() == before
    assert not (tmp_path / jsonstore.PENDING).exists()
    monkeypatch.undo()
    assert JsonStore(tmp_path).import_reviews(reviews) == 50


def _limit_file_size(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_full_disk_for_real_study_and_import_exit_with_one_line_and_no_tail(
    isolated_home: Path, tmp_path: Path
) -> None:
    """RLIMIT_FSIZE makes the kernel refuse to grow a file, as a full disk does (EFBIG)."""
    assert cli("study", "dynamoose", input="\n3\nq\n").returncode == 0
    log = isolated_home / "reviews.jsonl"
    before = log.read_bytes()
    history = tmp_path / "history.jsonl"
    history.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"h{n}",
                    "deck": "aws-dynamodb",
                    "card": f"c{n % 5}",
                    "rating": 3,
                    "reviewed_at": (T0 - timedelta(days=n)).isoformat(),
                }
            )
            + "\n"
            for n in range(200)
        )
    )
    env = {**os.environ, "FLASHCARDS_NOW": NOW}
    limit = len(before) + 100
    for args, keys in (
        (["study", "aws-dynamodb"], "\n3\nq\n"),
        (["progress", "import", str(history)], None),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "flashcards", *args],
            input=keys,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            preexec_fn=lambda: _limit_file_size(limit),
        )
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, result.stderr
        assert "File too large" in result.stderr and "nothing was written" in result.stderr
        assert log.read_bytes() == before
        assert not list(isolated_home.glob("reviews.jsonl.torn-*"))
        assert not (isolated_home / jsonstore.PENDING).exists()
    imported = cli("progress", "import", str(history))
    assert imported.returncode == 0 and "Imported 200 reviews" in imported.stdout


@pytest.fixture
def read_only_home(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every attempt to create, change or remove a file under the home fails with
    EROFS (a read-only mount; chmod would not stop root)."""
    runner = CliRunner()
    runner.invoke(app, ["study", "dynamoose"], input="\n3\nq\n", env={"FLASHCARDS_NOW": NOW})
    writes = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    home = str(isolated_home)

    def under_home(path: object) -> bool:
        return os.path.abspath(os.fsdecode(path)).startswith(home)  # type: ignore[arg-type]

    def refuse(path: object) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))  # type: ignore[arg-type]

    real_open, real_mkdir = os.open, os.mkdir
    real_replace, real_unlink, real_rename = os.replace, os.unlink, os.rename

    def fake_open(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if flags & writes and under_home(path):
            refuse(path)
        return real_open(path, flags, *args, **kwargs)

    def guard(real):  # type: ignore[no-untyped-def]
        def fake(path, *args, **kwargs):  # type: ignore[no-untyped-def]
            if under_home(path):
                refuse(path)
            return real(path, *args, **kwargs)

        return fake

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "mkdir", guard(real_mkdir))
    monkeypatch.setattr(os, "replace", guard(real_replace))
    monkeypatch.setattr(os, "unlink", guard(real_unlink))
    monkeypatch.setattr(os, "rename", guard(real_rename))
    yield isolated_home


def test_a_read_only_home_answers_with_one_error_line(
    runner: CliRunner, read_only_home: Path
) -> None:
    log = read_only_home / "reviews.jsonl"
    before = log.read_bytes()
    result = runner.invoke(
        app, ["study", "aws-dynamodb"], input="\n3\nq\n", env={"FLASHCARDS_NOW": NOW}
    )
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.output
    assert "Read-only file system" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1
    assert log.read_bytes() == before
    stats = runner.invoke(app, ["stats", "--json"], env={"FLASHCARDS_NOW": NOW})
    assert stats.exit_code == 0, stats.output
    assert json.loads(stats.stdout)["total"]["reviews_today"] == 1


# -- snapshot file names, one deck's failure ---------------------------------------------


def test_a_deck_id_too_long_for_a_file_name_is_compacted_with_the_others(
    tmp_path: Path,
) -> None:
    long_id = "ü" * 120  # 240 bytes of UTF-8, 720 once quoted
    fill(tmp_path, 4, deck="short")
    fill(tmp_path, 4, deck=long_id)
    store = JsonStore(tmp_path)
    store.compact()
    assert store.notices == []
    names = [p.name for p in (tmp_path / "snapshot").iterdir()]
    assert len(names) == 2 * len(jsonstore.KINDS) + 1  # each deck's files and the index
    assert all(len(name.encode()) <= 255 for name in names)
    reopened = JsonStore(tmp_path)
    assert reopened.load_states() == without_snapshot(tmp_path).load_states()
    assert reopened.notices == []
    assert {deck for deck, _ in reopened.load_states()} == {"short", long_id}


def test_one_deck_that_cannot_be_written_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(tmp_path, 4, deck="good")
    fill(tmp_path, 4, deck="bad")
    real_write = jsonstore.SnapshotFolder.write

    def write(self, deck, kind, offset, window, payload):  # type: ignore[no-untyped-def]
        if deck == "bad":
            raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG))
        return real_write(self, deck, kind, offset, window, payload)

    monkeypatch.setattr(jsonstore.SnapshotFolder, "write", write)
    store = JsonStore(tmp_path)
    store.compact()
    assert any("deck 'bad'" in n for n in store.notices)
    assert (tmp_path / "snapshot" / "good.cards.json").exists()
    monkeypatch.undo()
    fill(tmp_path, 1, deck="bad")  # one more line for the deck with no snapshot file
    reopened = JsonStore(tmp_path)
    assert reopened.load_states() == without_snapshot(tmp_path).load_states()
    assert len(reopened.load_states()) == 8


# -- edits before the snapshot's offset, a changed snapshot ------------------------------


@pytest.fixture
def compacted(tmp_path: Path) -> Path:
    fill(tmp_path, 30)
    JsonStore(tmp_path).compact()
    fill_more = JsonStore(tmp_path)
    answer(fill_more, "tail", at=T0 + timedelta(days=30))
    return tmp_path


def _edit_log(folder: Path, edit) -> None:  # type: ignore[no-untyped-def]
    log = folder / "reviews.jsonl"
    lines = lines_of(log)
    edit(lines)
    log.write_bytes(b"".join(line + b"\n" for line in lines))


@pytest.mark.parametrize(
    "edit",
    [
        lambda lines: lines.pop(4),  # as the corruption message advises
        lambda lines: lines.insert(3, lines[3]),  # a duplicated line
        lambda lines: lines.__setitem__(slice(24, 26), [lines[25], lines[24]]),  # swapped
    ],
    ids=["deleted", "duplicated", "swapped"],
)
def test_a_log_edited_before_the_snapshot_offset_is_read_from_the_log(
    compacted: Path, edit
) -> None:  # type: ignore[no-untyped-def]
    _edit_log(compacted, edit)
    reopened = JsonStore(compacted)
    assert reopened.load_states() == without_snapshot(compacted).load_states()
    assert reopened.activity() == without_snapshot(compacted).activity()
    assert any("does not match reviews.jsonl" in n for n in reopened.notices)


def test_after_deleting_a_line_an_error_names_the_damaged_line(compacted: Path) -> None:
    store = JsonStore(compacted)
    for n in range(6):
        answer(store, f"late{n}", at=T0 + timedelta(days=40 + n))

    def edit(lines: list[bytes]) -> None:
        lines.append(b'{"id": "broken"}')
        lines.pop(2)

    _edit_log(compacted, edit)
    total = len(lines_of(compacted / "reviews.jsonl"))
    with pytest.raises(StoreError, match=rf"reviews\.jsonl:{total}: corrupt review log line"):
        JsonStore(compacted).load_states()


@pytest.mark.parametrize("kind", ["cards", "activity", "index"])
def test_a_changed_digit_in_a_snapshot_file_is_never_used(compacted: Path, kind: str) -> None:
    from flashcards.catalog import DeckInfo
    from flashcards.reports import collect_stats

    info = DeckInfo("d", "D", "d.yaml", "", (), tuple(f"c{i}" for i in range(10)))
    now = T0 + timedelta(days=30, hours=1)
    expected = collect_stats(JsonStore(compacted), [info], now)
    name = "index.json" if kind == "index" else f"d.{kind}.json"
    path = compacted / "snapshot" / name
    data = path.read_bytes()
    digit = next(i for i in range(len(data) - 1, 0, -1) if data[i : i + 1].isdigit())
    changed = (
        data[:digit] + str((int(data[digit : digit + 1]) + 1) % 10).encode() + data[digit + 1 :]
    )
    path.write_bytes(changed)
    reopened = JsonStore(compacted)
    assert collect_stats(reopened, [info], now) == expected
    assert reopened.load_states() == without_snapshot(compacted).load_states()
    assert any("checksum mismatch" in n for n in reopened.notices)


# -- times out of range ------------------------------------------------------------------


def test_a_review_in_the_year_9999_is_refused_with_file_and_line(
    isolated_home: Path, tmp_path: Path
) -> None:
    history = tmp_path / "far.jsonl"
    ok = {"id": "a", "deck": "d", "card": "c", "rating": 3, "reviewed_at": NOW}
    far = ok | {"id": "b", "reviewed_at": "9999-12-31T23:00:00-05:00"}
    history.write_text(json.dumps(ok) + "\n" + json.dumps(far) + "\n")
    result = cli("progress", "import", str(history))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{history}:2: field `reviewed_at` must be between the years" in result.stderr
    assert not (isolated_home / "reviews.jsonl").exists()

    fill(isolated_home, 2)
    log = isolated_home / "reviews.jsonl"
    line = json.loads(lines_of(log)[1])
    line["reviewed_at"] = "0001-01-01T00:00:00+05:00"
    log.write_bytes(lines_of(log)[0] + b"\n" + json.dumps(line).encode() + b"\n")
    stats = cli("stats")
    assert stats.returncode == 1 and "Traceback" not in stats.stderr
    assert "reviews.jsonl:2: corrupt review log line (`reviewed_at` is not between" in stats.stderr


# -- leftovers of a killed process -------------------------------------------------------


def test_temp_files_a_killed_compaction_left_are_removed_by_the_next(tmp_path: Path) -> None:
    fill(tmp_path, 5)
    JsonStore(tmp_path).compact()
    left = [tmp_path / "snapshot" / ".d.cards.json.k2j3h4", tmp_path / "snapshot" / ".index.json.x"]
    for path in left:
        path.write_bytes(b"half a snapsh")
    (tmp_path / ".import-abc").mkdir()
    answer(JsonStore(tmp_path), "more", at=T0 + timedelta(days=9))
    JsonStore(tmp_path).compact()
    assert not any(path.exists() for path in left)
    assert not (tmp_path / ".import-abc").exists()


class Crash(BaseException):
    """The process dies here: nothing after it runs, nothing is cleaned up."""


def test_an_import_killed_mid_append_is_invisible_then_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(tmp_path, 3)
    log = tmp_path / "reviews.jsonl"
    before = log.read_bytes()
    states_before = JsonStore(tmp_path).load_states()
    reviews = [Review(f"i{n}", "d", f"k{n % 5}", 3, T0 + timedelta(hours=n), 5) for n in range(40)]

    def dies_halfway(path: Path, data) -> int:  # type: ignore[no-untyped-def]
        whole = b"".join(data)
        with open(path, "ab") as handle:
            handle.write(whole[: len(whole) // 2])
        raise Crash

    monkeypatch.setattr(fsutil, "append_durably", dies_halfway)
    with pytest.raises(Crash):
        JsonStore(tmp_path).import_reviews(reviews)
    monkeypatch.undo()
    assert len(log.read_bytes()) > len(before)
    # readers stop where the import began; the next writer cuts it off
    assert JsonStore(tmp_path).load_states() == states_before
    assert len(list(JsonStore(tmp_path).reviews())) == 3
    writer = JsonStore(tmp_path)
    answer(writer, "c1", at=T0 + timedelta(days=20))
    assert any("import cut short was rolled back" in n for n in writer.notices)
    assert log.read_bytes().startswith(before)
    assert len(lines_of(log)) == 4
    assert JsonStore(tmp_path).import_reviews(reviews) == 40
    assert len(list(JsonStore(tmp_path).reviews())) == 44


# -- import in groups ----------------------------------------------------------------------


def test_an_import_replayed_in_many_small_groups_gives_the_same_states(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = [
        Review(f"r{n}", "d", f"c{n % 13}", (n * 7) % 4 + 1, T0 + timedelta(hours=5 * n), 9)
        for n in range(300)
    ]
    fill(tmp_path / "one", 20)
    fill(tmp_path / "many", 20)
    assert JsonStore(tmp_path / "one").import_reviews(history) == 300
    monkeypatch.setattr(jsonstore, "IMPORT_GROUP", 7)
    assert JsonStore(tmp_path / "many").import_reviews(iter(history)) == 300  # one pass
    one, many = JsonStore(tmp_path / "one"), JsonStore(tmp_path / "many")
    assert many.load_states() == one.load_states()
    assert sorted(r.id for r in many.reviews()) == sorted(r.id for r in one.reviews())
    assert replay(many.reviews()).states == many.load_states()
    assert many.activity() == one.activity()


def test_read_lines_counts_blank_lines_and_reports_a_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(b'{"a":1}\n\n{"b":\r2}\n{"c":')
    lines = list(read_lines(path))
    assert [(line.number, line.data, line.torn) for line in lines] == [
        (1, b'{"a":1}', False),
        (3, b'{"b":\r2}', False),
        (4, b'{"c":', True),
    ]
    assert lines[-1].start.bytes == len(b'{"a":1}\n\n{"b":\r2}\n')


def test_an_answer_after_another_process_answered_is_counted_once(tmp_path: Path) -> None:
    first, second = JsonStore(tmp_path), JsonStore(tmp_path)
    answer(first, "a")
    first.compact()  # the activity counts are loaded, as of the end of the log
    answer(second, "b", at=T0 + timedelta(minutes=1))  # another process appends
    answer(first, "c", at=T0 + timedelta(minutes=2))
    assert first.activity() == without_snapshot(tmp_path).activity()
    assert sum(t.reviews for t in first.activity()["d"].values()) == 3
    first.compact()
    assert JsonStore(tmp_path).activity() == without_snapshot(tmp_path).activity()


def test_a_reading_command_rewrites_a_damaged_snapshot_but_never_the_log(
    runner: CliRunner, isolated_home: Path
) -> None:
    runner.invoke(app, ["study", "dynamoose"], input="\n3\n\n3\nq\n", env={"FLASHCARDS_NOW": NOW})
    JsonStore(isolated_home).compact()
    cards = isolated_home / "snapshot" / "dynamoose.cards.json"
    cards.write_bytes(cards.read_bytes()[:-3])
    log = isolated_home / "reviews.jsonl"
    torn = log.read_bytes() + b'{"id":"half'
    log.write_bytes(torn)
    result = runner.invoke(app, ["stats"], env={"FLASHCARDS_NOW": NOW})
    assert result.exit_code == 0, result.output
    assert "rebuilt from the review log" in result.stderr
    assert log.read_bytes() == torn
    again = JsonStore(isolated_home)
    again.load_states()
    assert again.notices == []  # the background compaction rewrote it


def test_a_first_import_killed_before_the_log_was_made_is_rolled_back(tmp_path: Path) -> None:
    # The marker is written before the first byte of the import: a kill in between
    # leaves a marker and no log, and the next writer must carry on, not stop.
    (tmp_path / jsonstore.PENDING).write_text(json.dumps({"start": 0}))
    store = JsonStore(tmp_path)
    review = answer(store, "c1", 3, T0)
    assert (tmp_path / jsonstore.PENDING).exists() is False
    assert [r.id for r in JsonStore(tmp_path).reviews()] == [review.id]
