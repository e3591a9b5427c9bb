"""What only the JSON store has: a log file to crash in, to corrupt and to share."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flashcards.errors import StoreError
from flashcards.model import Review
from flashcards.scheduling import replay, schedule
from flashcards.stores import jsonstore
from flashcards.stores.jsonstore import JsonStore

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def answer(store: JsonStore, card: str, rating: int = 3, at: datetime = T0) -> Review:
    before = store.load_states().get(("d", card))
    after = schedule("d", card, before, rating, at)
    review = Review(
        f"{card}-{at.timestamp()}",
        "d",
        card,
        rating,
        at,
        1000,
        0 if before is None else before.state,
        after,
    )
    store.record(review, before)
    return review


def test_an_answer_appends_one_fsynced_line(tmp_path: Path) -> None:
    store = JsonStore(tmp_path)
    answer(store, "a")
    size = (tmp_path / "reviews.jsonl").stat().st_size
    answer(store, "b")
    lines = (tmp_path / "reviews.jsonl").read_bytes().splitlines()
    assert len(lines) == 2
    assert (tmp_path / "reviews.jsonl").read_bytes()[:size].count(b"\n") == 1
    assert json.loads(lines[1])["card"] == "b"
    assert json.loads(lines[1])["state"]["reps"] == 1


def test_torn_last_line_is_dropped_by_the_next_writer_with_a_warning_and_kept_aside(
    tmp_path: Path,
) -> None:
    store = JsonStore(tmp_path)
    answer(store, "a")
    answer(store, "b")
    log = tmp_path / "reviews.jsonl"
    whole = log.read_bytes()
    torn = b'{"id":"torn","deck":"d","card":"c","rat'
    log.write_bytes(whole + torn)
    reopened = JsonStore(tmp_path)
    states = reopened.load_states()
    assert set(states) == {("d", "a"), ("d", "b")}
    # reading never changes the log: only a writer, holding the lock, sets a tail aside
    assert log.read_bytes() == whole + torn
    assert not list(tmp_path.glob("reviews.jsonl.torn-*"))
    # and the next answer sets it aside and lands on a clean line
    answer(reopened, "c")
    assert any("incomplete last line" in n for n in reopened.notices)
    assert log.read_bytes().startswith(whole)
    assert b"torn" not in log.read_bytes()
    assert next(tmp_path.glob("reviews.jsonl.torn-*")).read_bytes().startswith(b'{"id":"torn"')
    assert set(JsonStore(tmp_path).load_states()) == {("d", "a"), ("d", "b"), ("d", "c")}


def _valid_line_with(change) -> bytes:  # type: ignore[no-untyped-def]
    line = {
        "id": "x",
        "deck": "d",
        "card": "c",
        "rating": 3,
        "reviewed_at": "2026-01-01T00:00:00+00:00",
        "duration_ms": 5,
        "before": 0,
        "state": schedule("d", "c", None, 3, T0).to_dict(),
    }
    change(line)
    return json.dumps(line).encode() + b"\n"


@pytest.mark.parametrize(
    "bad",
    [
        _valid_line_with(lambda line: line.pop("before")),
        _valid_line_with(lambda line: line.pop("id")),
        _valid_line_with(lambda line: line.update(state={"x": 1})),
        _valid_line_with(lambda line: line["state"].update(due="nope")),
        _valid_line_with(lambda line: line["state"].update(due="2026-01-01T00:00:00")),
        _valid_line_with(lambda line: line.update(reviewed_at="2026-01-01T00:00:00")),
        _valid_line_with(lambda line: line.update(rating=True)),
        b"this is not json\n",
        b'{"id":"x","deck":"d","card":"c","rating":9,"reviewed_at":"2026-01-01T00:00:00+00:00"}\n',
        b"[1,2]\n",
    ],
)
def test_corruption_stops_with_file_and_line_and_changes_nothing(
    tmp_path: Path, bad: bytes
) -> None:
    store = JsonStore(tmp_path)
    answer(store, "a")
    log = tmp_path / "reviews.jsonl"
    good = log.read_bytes()
    log.write_bytes(good + bad + good)
    with pytest.raises(StoreError, match=r"reviews\.jsonl:2: corrupt review log line"):
        JsonStore(tmp_path).load_states()
    with pytest.raises(StoreError):
        answer(JsonStore(tmp_path), "b")
    assert log.read_bytes() == good + bad + good


@pytest.mark.parametrize("kind", ["cards", "activity"])
def test_unreadable_snapshot_is_rebuilt_from_the_log(tmp_path: Path, kind: str) -> None:
    store = JsonStore(tmp_path)
    for card in "abc":
        answer(store, card)
    store.compact()
    answer(store, "d", at=T0 + timedelta(hours=1))
    expected = JsonStore(tmp_path).load_states(), JsonStore(tmp_path).activity()
    (tmp_path / "snapshot" / f"d.{kind}.json").write_bytes(b"\x00garbage")
    reopened = JsonStore(tmp_path)
    assert (reopened.load_states(), reopened.activity()) == expected
    assert any("rebuilt from the review log" in n for n in reopened.notices)
    reopened.maintain()  # a damaged snapshot is rewritten at once, not after 400 kB
    reopened.close()
    again = JsonStore(tmp_path)
    assert (again.load_states(), again.activity()) == expected
    assert again.notices == []


def test_study_path_reads_only_the_log_past_the_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = JsonStore(tmp_path)
    for i in range(30):
        answer(store, f"c{i}")
    store.compact()
    answer(store, "late", at=T0 + timedelta(hours=2))
    starts = []
    original = JsonStore._read

    def spy(self, start, end=None):
        starts.append(start.bytes)
        return original(self, start, end)

    monkeypatch.setattr(JsonStore, "_read", spy)
    reopened = JsonStore(tmp_path)
    states = reopened.load_states(["d"])
    assert len(states) == 31
    log_size = (tmp_path / "reviews.jsonl").stat().st_size
    last_line = (tmp_path / "reviews.jsonl").read_bytes().splitlines(keepends=True)[-1]
    assert starts == [log_size - len(last_line)]


def test_compaction_keeps_every_review_and_the_same_states(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonstore, "COMPACT_AFTER_BYTES", 50_000)
    store = JsonStore(tmp_path)
    at = T0
    for i in range(520):
        answer(store, f"c{i % 40}", rating=(i % 4) + 1, at=at)
        at += timedelta(hours=7)
    before_states = store.load_states()
    before_activity = store.activity()
    store.maintain()
    store.close()  # waits for the background compaction
    assert (tmp_path / "snapshot" / "index.json").exists()
    index = json.loads((tmp_path / "snapshot" / "index.json").read_text().splitlines()[0])
    assert index["log"] == (tmp_path / "reviews.jsonl").stat().st_size
    reopened = JsonStore(tmp_path)
    assert reopened.load_states() == before_states
    assert reopened.activity() == before_activity
    reviews = list(reopened.reviews())
    assert len(reviews) == 520
    assert replay(reviews).states == before_states


def test_undo_is_appended_and_survives_reopening(tmp_path: Path) -> None:
    store = JsonStore(tmp_path)
    first = answer(store, "a")
    second_before = store.load_states()[("d", "a")]
    second = answer(store, "a", 1, T0 + timedelta(minutes=10))
    store.undo(second, second_before)
    reopened = JsonStore(tmp_path)
    assert reopened.load_states()[("d", "a")] == first.state
    assert [r.id for r in reopened.reviews()] == [first.id]
    assert sum(t.reviews for t in reopened.activity()["d"].values()) == 1


TWO_WRITERS = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timedelta, timezone
    from pathlib import Path
    from flashcards.catalog import open_catalog
    from flashcards.session import StudySession
    from flashcards.stores.jsonstore import JsonStore

    folder, decks = Path(sys.argv[1]), Path(sys.argv[2])
    now = datetime.now(timezone.utc)
    catalog = open_catalog([decks], None)
    session = StudySession(JsonStore(folder), catalog, [], now)
    answered = 0
    while (card := session.next_card(now)) is not None and answered < 60:
        session.answer(card, 1 + answered % 4, now)
        answered += 1
        now = datetime.now(timezone.utc) + timedelta(minutes=answered)
    print(answered)
    """
)


def test_two_processes_studying_at_once_lose_no_review(tmp_path: Path) -> None:
    decks = tmp_path / "decks"
    decks.mkdir()
    cards = "\n".join(f"  - {{id: c{i}, question: q{i}, answer: a{i}}}" for i in range(20))
    (decks / "d.yaml").write_text(f"name: D\ncards:\n{cards}\n")
    store_folder = tmp_path / "store"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", TWO_WRITERS, str(store_folder), str(decks)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    answered = [int(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    store = JsonStore(store_folder)
    reviews = list(store.reviews())
    assert len(reviews) == sum(answered)
    assert len({r.id for r in reviews}) == len(reviews)
    # every line was written against the state it followed: replaying gives the cache
    assert replay(reviews).states == store.load_states()


def test_stats_are_the_same_before_and_after_compaction(tmp_path: Path) -> None:
    from flashcards.catalog import DeckInfo
    from flashcards.reports import collect_stats

    store = JsonStore(tmp_path)
    at = T0
    for i in range(200):
        answer(store, f"c{i % 30}", rating=(i * 7 % 4) + 1, at=at)
        at += timedelta(hours=5)
    info = DeckInfo("d", "D", "d.yaml", "", (), tuple(f"c{i}" for i in range(40)))
    now = at + timedelta(hours=1)
    before = collect_stats(JsonStore(tmp_path), [info], now)
    store.compact()
    after = collect_stats(JsonStore(tmp_path), [info], now)
    assert before == after
    assert before[1].reviews_today > 0 and before[1].streak_days > 1


def test_recent_activity_kept_with_the_cards_matches_the_full_history(tmp_path: Path) -> None:
    store = JsonStore(tmp_path)
    at = T0
    for i in range(120):
        answer(store, f"c{i % 25}", rating=(i % 4) + 1, at=at)
        at += timedelta(hours=3)
    store.compact()
    late = answer(store, "late", at=at)
    before_late = None
    store.undo(late, before_late)
    answer(store, "later", at=at + timedelta(hours=1))
    full = JsonStore(tmp_path).activity()["d"]
    for hours_back in (1, 5, 30, 47, 200, 2000):
        since = at - timedelta(hours=hours_back)
        fresh = JsonStore(tmp_path)
        got = fresh.activity(since)["d"]
        first = int(since.timestamp() // 900)
        assert got == {h: t for h, t in full.items() if h >= first}, hours_back


def test_recent_activity_read_from_a_long_log_is_pruned_and_stays_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonstore, "RECENT_SLOTS", 3)  # prune after 12 quarter hours
    store = JsonStore(tmp_path)
    at = T0
    for i in range(80):
        previous = store.load_states().get(("d", f"c{i % 9}"))
        review = answer(store, f"c{i % 9}", rating=(i % 4) + 1, at=at)
        if i % 11 == 5:
            store.undo(review, previous)
        at += timedelta(minutes=50)
    full = JsonStore(tmp_path).activity()["d"]
    fresh = JsonStore(tmp_path)
    fresh.load_states()
    assert len(fresh._recent["d"].extra) <= 4 * 3 + 1  # pruned while reading
    for minutes_back in (10, 100, 200, 1000, 10_000):
        since = at - timedelta(minutes=minutes_back)
        first = int(since.timestamp() // 900)
        got = JsonStore(tmp_path).activity(since)["d"]
        assert got == {h: t for h, t in full.items() if h >= first}, minutes_back
