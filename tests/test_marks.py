"""Marks (suspend, unsuspend, bury, unbury, forget) outside the store contract: the
export file, `progress export`/`progress import`, `check`, the review log's checks, the
snapshot that keeps them, replay and the optimizer's training items."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flashcards.cli import app
from flashcards.exchange import parse_line
from flashcards.model import (
    BURY,
    FORGET,
    SUSPEND,
    UNSUSPEND,
    CardState,
    DayStats,
    Flags,
    Review,
    Tally,
)
from flashcards.optimize import training_items
from flashcards.scheduling import before_of, replay, schedule
from flashcards.stores import flags_of
from flashcards.stores.jsonstore import LOG, JsonStore
from flashcards.stores.snapshot import SnapshotFolder

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
NOW = "2026-03-10T09:00:00+00:00"


def answer(store: JsonStore, card: str, rating: int, at: datetime, deck: str = "d") -> Review:
    before = store.load_states([deck]).get((deck, card))
    review = Review(
        f"{card}-{at.isoformat()}",
        deck,
        card,
        rating,
        at,
        1500,
        int(before_of(before)),
        schedule(deck, card, before, rating, at),
    )
    store.record(review, before)
    return review


def mark(store: JsonStore, card: str, action: str, at: datetime, deck: str = "d") -> Review:
    before = store.load_states([deck]).get((deck, card))
    review = Review(
        f"{card}-{action}-{at.isoformat()}",
        deck,
        card,
        0,
        at,
        None,
        int(before_of(before)),
        None if action == FORGET else before,
        action=action,
    )
    store.record(review, before)
    return review


def test_a_mark_round_trips_through_its_dict_and_an_answer_has_no_action() -> None:
    state = schedule("d", "c", None, 3, T0)
    made = Review("m", "d", "c", 0, T0, None, 1, state, action=SUSPEND)
    assert made.is_mark and made.to_dict()["action"] == SUSPEND
    assert Review.from_dict(made.to_dict()) == made
    plain = Review("a", "d", "c", 3, T0, 10, 0, state)
    assert "action" not in plain.to_dict() and not plain.is_mark
    with pytest.raises(ValueError, match="`action` is not one of"):
        Review.from_dict({**made.to_dict(), "action": "delete"})
    with pytest.raises(ValueError, match="`rating` of a mark is not 0"):
        Review.from_dict({**made.to_dict(), "rating": 3})


def test_counts_leave_marks_out() -> None:
    made = Review("m", "d", "c", 0, T0, None, 2, None, action=BURY)
    tally, day = Tally(), DayStats()
    tally.add(made)
    day.add(made, 30)
    assert tally == Tally() and day == DayStats()


def test_replay_resets_a_card_on_forget_and_passes_other_marks_through() -> None:
    first = Review("1", "d", "c", 4, T0, 1)
    suspend = Review("2", "d", "c", 0, T0 + timedelta(days=1), None, action=SUSPEND)
    forget = Review("3", "d", "c", 0, T0 + timedelta(days=2), None, action=FORGET)
    again = Review("4", "d", "c", 3, T0 + timedelta(days=3), 1)
    got = replay([again, forget, suspend, first])  # any order: replay sorts by time
    by_id = {r.id: r for r in got.reviews}
    assert by_id["2"].state == by_id["1"].state and by_id["2"].before == 2
    assert by_id["3"].state is None and by_id["3"].before == 2
    assert by_id["4"].before == 0  # new again
    assert got.states[("d", "c")] == schedule("d", "c", None, 3, again.reviewed_at)
    assert replay([first, forget]).states == {}


def test_the_optimizer_trains_on_answers_since_the_last_forget_only() -> None:
    answers = [Review(str(n), "d", "c", 3, T0 + timedelta(days=2 * n), 1) for n in range(4)]
    forget = Review("f", "d", "c", 0, T0 + timedelta(days=5), None, action=FORGET)
    suspend = Review("s", "d", "c", 0, T0 + timedelta(days=7), None, action=SUSPEND)
    items, used = training_items([*answers, forget, suspend], T0 + timedelta(days=30))
    assert used == 1  # the one answer after the forget; the marks are none
    assert items == []
    items, used = training_items([*answers, suspend], T0 + timedelta(days=30))
    assert used == 4 and all(rating == 3 for item in items for rating, _ in item.reviews)


def test_the_export_format_carries_the_action_and_checks_it() -> None:
    line = (
        '{"deck": "d", "card": "c", "rating": 0, "action": "suspend",'
        ' "reviewed_at": "2026-01-01T00:00:00+00:00", "duration_ms": null}'
    )
    review = parse_line(line, "f:1")
    assert review.action == SUSPEND and review.rating == 0
    # A derived id tells a mark from an answer at the same moment.
    answer_line = line.replace('"rating": 0, "action": "suspend"', '"rating": 3')
    assert parse_line(answer_line, "f:1").id != review.id
    assert parse_line(line, "f:1").id == review.id


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('"action": "delete"', "f:7: field `action` must be one of suspend, unsuspend,"),
        ('"action": 3', "f:7: field `action` must be one of"),
        ('"action": "bury", "rating": 2', "f:7: field `rating` of a mark (bury) must be 0"),
        ('"action": "bury", "duration_ms": 5', "f:7: field `duration_ms` of a mark (bury)"),
        ('"rating": 0', "f:7: field `rating` must be 1, 2, 3 or 4, not 0"),
    ],
)
def test_the_export_format_refuses_a_bad_mark(change: str, message: str) -> None:
    from flashcards.errors import UsageError

    base = {"deck": "d", "card": "c", "rating": 0, "reviewed_at": "2026-01-01T00:00:00+00:00"}
    text = json.dumps(base)[:-1] + ", " + change + "}"  # a repeated key: the last one wins
    with pytest.raises(UsageError) as caught:
        parse_line(text, "f:7")
    assert str(caught.value).startswith(message)


def test_progress_export_and_import_keep_a_suspended_card_suspended(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    store = JsonStore(isolated_home)
    first = answer(store, "c1", 3, T0)
    mark(store, "c1", SUSPEND, T0 + timedelta(hours=1))
    mark(store, "c2", SUSPEND, T0 + timedelta(hours=2))
    mark(store, "c2", UNSUSPEND, T0 + timedelta(hours=3))
    mark(store, "c3", BURY, T0 + timedelta(hours=4))
    answer(store, "c4", 1, T0)
    mark(store, "c4", FORGET, T0 + timedelta(hours=5))
    store.close()
    out = tmp_path / "history.jsonl"
    env = {"FLASHCARDS_NOW": NOW}
    result = runner.invoke(app, ["progress", "export", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line.get("action") for line in lines] == [
        None,
        SUSPEND,
        SUSPEND,
        UNSUSPEND,
        BURY,
        None,
        FORGET,
    ]
    assert all(line["rating"] == 0 for line in lines if "action" in line)

    other = tmp_path / "other"
    for _ in range(2):  # the second time adds nothing: ids are known
        result = runner.invoke(
            app, ["progress", "import", str(out), "--store", f"json:{other}"], env=env
        )
        assert result.exit_code == 0, result.output
    there = JsonStore(other)
    assert there.flags() == {
        ("d", "c1"): Flags(suspended=True),
        ("d", "c3"): Flags(buried_on=datetime(2026, 3, 1).date()),
    }
    assert there.load_states() == {("d", "c1"): first.state}
    assert len(list(there.reviews())) == len(lines)
    assert JsonStore(isolated_home).flags() == there.flags()


def test_the_review_log_refuses_a_bad_mark_line_naming_the_line(isolated_home: Path) -> None:
    store = JsonStore(isolated_home)
    answer(store, "c1", 3, T0)
    mark(store, "c1", SUSPEND, T0 + timedelta(hours=1))
    log = isolated_home / LOG
    lines = log.read_text().splitlines()
    lines[1] = lines[1].replace('"action":"suspend"', '"action":"hide"')
    log.write_text("\n".join(lines) + "\n")
    with pytest.raises(Exception) as caught:
        JsonStore(isolated_home).flags()
    assert f"{log}:2: corrupt review log line (`action` is not one of" in str(caught.value)


def test_marks_are_kept_in_the_snapshot_and_an_older_snapshot_is_rebuilt(
    isolated_home: Path,
) -> None:
    store = JsonStore(isolated_home)
    answer(store, "c1", 3, T0)
    kept = mark(store, "c1", SUSPEND, T0 + timedelta(hours=1))
    mark(store, "c2", BURY, T0 + timedelta(hours=2))
    store.compact()
    snapshot = SnapshotFolder(isolated_home / "snapshot").read("d", "cards")
    assert snapshot is not None
    assert snapshot.data["marks"]["c1"] == [[kept.id, SUSPEND, kept.reviewed_at.isoformat()]]
    # Read from the snapshot alone: the log is not read again for flags.
    expected = {("d", "c1"): Flags(True), ("d", "c2"): Flags(buried_on=T0.date())}
    reopened = JsonStore(isolated_home)
    assert reopened.flags() == expected
    assert reopened.notices == []

    # A snapshot of the format before marks is rebuilt from the log, without complaint.
    for path in (isolated_home / "snapshot").glob("*.json"):
        header, _, payload = path.read_bytes().partition(b"\n")
        old = json.loads(payload)
        if path.name.endswith(".cards.json"):
            del old["marks"]
        old_header = {**json.loads(header), "format": 4}
        path.write_bytes(json.dumps(old_header).encode() + b"\n" + json.dumps(old).encode())
    again = JsonStore(isolated_home)
    assert again.flags() == expected
    assert again.notices == []


def test_check_accepts_marks_and_counts_only_answers(
    runner: CliRunner, deck_folder: Path, isolated_home: Path
) -> None:
    cards = "\n".join(f"  - {{id: c{i}, question: q{i}, answer: a{i}}}" for i in range(4))
    (deck_folder / "d.yaml").write_text(f"name: D\ncards:\n{cards}\n")
    store = JsonStore(isolated_home)
    answer(store, "c1", 3, T0)
    answer(store, "c2", 3, T0)
    mark(store, "c1", SUSPEND, T0 + timedelta(hours=1))
    mark(store, "c2", FORGET, T0 + timedelta(hours=1))
    mark(store, "c3", BURY, T0 + timedelta(hours=1))
    store.compact()
    result = runner.invoke(
        app, ["check", "--decks", str(deck_folder), "--json"], env={"FLASHCARDS_NOW": NOW}
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["findings"] == []
    assert report["reviews"] == 2


def test_check_finds_flags_the_snapshot_has_wrong(
    runner: CliRunner, deck_folder: Path, isolated_home: Path
) -> None:
    (deck_folder / "d.yaml").write_text("name: D\ncards:\n  - {id: c1, question: q, answer: a}\n")
    store = JsonStore(isolated_home)
    made = mark(store, "c1", SUSPEND, T0)
    store.compact()
    # Rewrite the cards file as a snapshot that lost the mark (a valid file, wrong flags).
    folder = SnapshotFolder(isolated_home / "snapshot")
    found = folder.read("d", "cards")
    assert found is not None and found.data["marks"]
    folder.write("d", "cards", found.offset, found.window, {**found.data, "marks": {}})
    assert JsonStore(isolated_home).flags() == {}
    result = runner.invoke(
        app, ["check", "--decks", str(deck_folder), "--json"], env={"FLASHCARDS_NOW": NOW}
    )
    assert result.exit_code == 1
    assert "deck 'd' disagrees with the review log" in result.stdout
    repaired = runner.invoke(
        app, ["check", "--decks", str(deck_folder), "--repair"], env={"FLASHCARDS_NOW": NOW}
    )
    assert repaired.exit_code == 0, repaired.output
    assert JsonStore(isolated_home).flags() == {("d", "c1"): Flags(True)}
    assert flags_of(JsonStore(isolated_home).reviews()) == {made.key: Flags(True)}


def test_forget_keeps_the_log_and_the_card_is_new_on_every_reading_path(
    isolated_home: Path,
) -> None:
    store = JsonStore(isolated_home)
    answer(store, "c1", 3, T0)
    second = answer(store, "c1", 3, T0 + timedelta(minutes=10))
    assert isinstance(second.state, CardState)
    mark(store, "c1", FORGET, T0 + timedelta(hours=1))
    for view in (store, JsonStore(isolated_home), JsonStore(isolated_home, use_snapshot=False)):
        assert view.load_states() == {} and view.due_overview() == {}
        assert [r.action for r in view.reviews()] == [None, None, FORGET]
        assert sum(t.reviews for t in view.activity()["d"].values()) == 2


def test_stats_count_answers_not_marks(runner: CliRunner, isolated_home: Path) -> None:
    store = JsonStore(isolated_home)
    at = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    answer(store, "dynamodb-what-is", 3, at, deck="aws-dynamodb")
    for minutes, action in enumerate([SUSPEND, UNSUSPEND, BURY, FORGET], start=1):
        mark(store, "dynamodb-what-is", action, at + timedelta(minutes=minutes), "aws-dynamodb")
    store.close()
    result = runner.invoke(app, ["stats", "--json"], env={"FLASHCARDS_NOW": NOW})
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    deck = next(d for d in stats["decks"] if d["id"] == "aws-dynamodb")
    assert deck["reviews_today"] == 1 and stats["total"]["reviews_today"] == 1
    assert deck["new"] == 3  # forgotten: new again (2 without the forget)


def test_a_forget_clears_suspend_and_bury_through_check_and_a_round_trip(
    runner: CliRunner, deck_folder: Path, isolated_home: Path, tmp_path: Path
) -> None:
    (deck_folder / "d.yaml").write_text("name: D\ncards:\n  - {id: c1, question: q, answer: a}\n")
    store = JsonStore(isolated_home)
    first = answer(store, "c1", 3, T0)
    mark(store, "c1", SUSPEND, T0 + timedelta(hours=1))
    mark(store, "c1", BURY, T0 + timedelta(hours=2))
    forget = mark(store, "c1", FORGET, T0 + timedelta(hours=3))
    store.compact()
    env = {"FLASHCARDS_NOW": NOW}
    result = runner.invoke(app, ["check", "--decks", str(deck_folder), "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"] == []
    for view in (JsonStore(isolated_home), JsonStore(isolated_home, use_snapshot=False)):
        assert view.flags() == {} == flags_of(view.reviews())
    out = tmp_path / "history.jsonl"
    result = runner.invoke(app, ["progress", "export", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    other = tmp_path / "other"
    result = runner.invoke(
        app, ["progress", "import", str(out), "--store", f"json:{other}"], env=env
    )
    assert result.exit_code == 0, result.output
    there = JsonStore(other)
    assert there.flags() == {} and there.load_states() == {}
    # Taken back, the forget leaves the card suspended and buried as before it.
    there.undo(next(r for r in there.reviews() if r.id == forget.id), first.state)
    assert there.flags() == {("d", "c1"): Flags(True, T0.date())}
    assert there.load_states() == {("d", "c1"): first.state}


def _history_with_marks_and_cram(path: Path) -> None:
    """Answers, cram answers and every mark on two built-in decks, over weeks."""
    cards = [
        ("aws-dynamodb", "dynamodb-what-is"),
        ("aws-dynamodb", "dynamodb-over-mongodb"),
        ("aws-api-gateway", "api-gateway-what-is"),
    ]
    actions = [None, None, "cram", None, "suspend", None, "cram", "bury", "unsuspend", "forget"]
    at = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    with open(path, "w") as out:
        for n in range(60):
            deck, card = cards[n % 3]
            action = actions[n % len(actions)]
            at += timedelta(hours=7)
            line = {"deck": deck, "card": card, "reviewed_at": at.isoformat()}
            if action in (None, "cram"):
                line.update(rating=1 + n % 4, duration_ms=2000)
            else:
                line.update(rating=0, duration_ms=None)
            if action is not None:
                line["action"] = action
            out.write(json.dumps(line) + "\n")


READING = [
    ["list-decks"],
    ["cards"],
    ["cards", "--json"],
    ["cards", "aws-dynamodb/dynamodb-what-is"],
    ["stats"],
    ["stats", "--json"],
    ["stats", "--tag", "dynamodb"],
    ["export", "--to", "{out}/x.apkg"],
    ["export", "--to", "{out}/x.csv"],
    ["import", "{out}/x.apkg", "--dry-run"],
    ["progress", "export", "--out", "{out}/history.jsonl"],
    ["check"],
]


def _progress_files(home: Path) -> dict[str, bytes]:
    files = [home / LOG, *sorted((home / "snapshot").glob("*"))]
    return {path.name: path.read_bytes() for path in files}


@pytest.mark.parametrize("snapshot", ["current", "before cram counts"])
def test_reading_commands_leave_the_log_and_snapshot_byte_for_byte(
    runner: CliRunner, isolated_home: Path, tmp_path: Path, snapshot: str
) -> None:
    history = tmp_path / "in.jsonl"
    _history_with_marks_and_cram(history)
    env = {"FLASHCARDS_NOW": NOW}
    assert runner.invoke(app, ["progress", "import", str(history)], env=env).exit_code == 0
    fresh = runner.invoke(app, ["stats", "--json"], env=env).stdout
    if snapshot != "current":
        # Files of the format before cram counts: used by no one, rebuilt quietly.
        for path in (isolated_home / "snapshot").glob("*.json"):
            header, _, payload = path.read_bytes().partition(b"\n")
            old = {**json.loads(header), "format": 5}
            if path.name.endswith(".days.json"):  # 21 counts a day, no cram answers
                days = {day: counts[:21] for day, counts in json.loads(payload).items()}
                payload = json.dumps(days).encode()
            path.write_bytes(json.dumps(old).encode() + b"\n" + payload)
    before = _progress_files(isolated_home)
    assert any(b'"cram"' in line for line in before[LOG].splitlines())
    for command in READING:
        args = [arg.format(out=tmp_path) for arg in command]
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 0, (args, result.output)
        assert "rebuilt" not in result.output
        assert _progress_files(isolated_home) == before, f"{args} wrote"
        if args == ["stats", "--json"]:
            assert result.stdout == fresh  # cram counts and all, as before
