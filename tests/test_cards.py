"""`flashcards cards`, due dates on study days, interval labels, and states rescheduled
by replay when they were written by older rules."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flashcards.cli import app
from flashcards.due import due_within, entry_of, is_due
from flashcards.intervals import span_label
from flashcards.model import REVIEW
from flashcards.scheduling import SchedulerConfig, replay, schedule
from flashcards.stores.jsonstore import JsonStore

MONDAY = "2026-11-23T10:00:00+01:00"


def invoke(runner: CliRunner, *args: str, input: str | None = None, now: str = MONDAY):
    return runner.invoke(app, list(args), input=input, env={"FLASHCARDS_NOW": now})


def cards_json(runner: CliRunner, *args: str, now: str = MONDAY) -> list[dict]:
    result = invoke(runner, "cards", "--json", *args, now=now)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def studied(runner: CliRunner) -> None:
    # dynamodb-what-is: Good (learning, 10m); dynamodb-over-mongodb: Again (learning, 1m);
    # dynamodb-explain-simply: Easy (review)
    result = invoke(runner, "study", "aws-dynamodb", input="\n3\n\n1\n\n4\nq\n")
    assert result.exit_code == 0, result.output


def test_cards_json_has_every_field_for_every_card(runner: CliRunner, studied: None) -> None:
    rows = cards_json(runner)
    assert len(rows) == 10
    by_id = {row["id"]: row for row in rows}
    easy = by_id["dynamodb-explain-simply"]
    assert easy["deck"] == "aws-dynamodb" and easy["state"] == "review"
    assert easy["interval_days"] >= 6 and easy["reps"] == 1 and easy["lapses"] == 0
    due = datetime.fromisoformat(easy["due"])
    assert due.utcoffset() == timedelta(hours=1) and due.hour == 4
    assert (due.date() - date(2026, 11, 23)).days == easy["interval_days"]
    assert 0.99 < easy["retrievability"] <= 1.0
    learning = by_id["dynamodb-what-is"]
    assert learning["state"] == "learning" and learning["interval_days"] is None
    new = by_id["what-is-dynamoose"] if "what-is-dynamoose" in by_id else rows[-1]
    assert new["state"] == "new" and new["due"] is None and new["stability"] is None


def test_cards_filters_and_sorts(runner: CliRunner, studied: None) -> None:
    assert {r["id"] for r in cards_json(runner, "--state", "review")} == {"dynamodb-explain-simply"}
    assert len(cards_json(runner, "--state", "new")) == 7
    assert len(cards_json(runner, "--state", "learning", "--state", "review")) == 3
    # due today: the two learning cards (later today), not the review card (in 6+ days)
    assert {r["id"] for r in cards_json(runner, "--due")} == {
        "dynamodb-what-is",
        "dynamodb-over-mongodb",
    }
    found = cards_json(runner, "--search", "MONGOOSE")  # question or answer, any case
    assert found and all(
        "mongoose" in (r["question"] + json.dumps(r)).lower() or r["deck"] == "dynamoose"
        for r in found
    )
    # deck tags apply to their cards; card tags to the card alone
    assert {r["deck"] for r in cards_json(runner, "--tag", "database")} == {
        "aws-dynamodb",
        "dynamoose",
    }
    assert [r["id"] for r in cards_json(runner, "--tag", "basics")] == ["dynamodb-what-is"]
    assert cards_json(runner, "--tag", "no-such-tag") == []
    by_due = [r["id"] for r in cards_json(runner, "--sort", "due")]
    assert by_due[:3] == ["dynamodb-over-mongodb", "dynamodb-what-is", "dynamodb-explain-simply"]
    by_stability = [r["stability"] for r in cards_json(runner, "--sort", "stability")][:3]
    assert by_stability == sorted(by_stability)
    assert [r["deck"] for r in cards_json(runner, "dynamoose")] == ["dynamoose", "dynamoose"]


def test_cards_rejects_bad_options(runner: CliRunner) -> None:
    bad = invoke(runner, "cards", "--state", "sleeping")
    assert bad.exit_code == 1 and "--state 'sleeping'" in bad.stderr
    missing = invoke(runner, "cards", "aws-dynamodb/no-such-card")
    assert missing.exit_code == 1 and "has no card 'no-such-card'" in missing.stderr
    assert invoke(runner, "cards", "no-such-deck").exit_code != 0


def test_one_card_in_full_with_its_history(runner: CliRunner, studied: None) -> None:
    later = "2026-11-23T10:20:00+01:00"
    again = invoke(runner, "study", "aws-dynamodb", input="\n3\nq\n", now=later)
    assert again.exit_code == 0, again.output
    result = invoke(runner, "cards", "aws-dynamodb/dynamodb-over-mongodb", now=later)
    assert result.exit_code == 0, result.output
    for text in ("Under what circumstances", "Stability", "Retrievability", "Again", "Good"):
        assert text in result.stdout
    detail = json.loads(
        invoke(runner, "cards", "--json", "aws-dynamodb/dynamodb-over-mongodb", now=later).stdout
    )
    assert [r["rating"] for r in detail["reviews"]] == [1, 3]
    assert detail["reviews"][-1]["state"]["stability"] == detail["stability"]


def test_cards_table_fits_80_columns(runner: CliRunner, studied: None) -> None:
    result = runner.invoke(
        app, ["cards"], env={"FLASHCARDS_NOW": MONDAY, "COLUMNS": "80"}, color=False
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(len(line.rstrip()) <= 80 for line in lines)
    assert any("2026-11-" in line and "review" in line for line in lines)
    # every card's id whole, as the commands take it: blocks when a line has no room
    for row in cards_json(runner):
        assert f"{row['deck']}/{row['id']}" in lines


def test_cards_table_on_a_wide_terminal_keeps_every_id_whole(
    runner: CliRunner, studied: None
) -> None:
    result = runner.invoke(
        app, ["cards"], env={"FLASHCARDS_NOW": MONDAY, "COLUMNS": "140"}, color=False
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(len(line.rstrip()) <= 140 for line in lines)
    header = next(line for line in lines if line.startswith("Card "))
    for column in ("Question", "State", "Due", "Ivl", "S", "D", "R", "Reps", "Laps"):
        assert column in header.split()
    ids = [line.split()[0] for line in lines[2:]]
    assert ids == [f"{row['deck']}/{row['id']}" for row in cards_json(runner)]
    assert "…" not in "".join(ids)


@pytest.mark.parametrize(
    ("seconds", "label"),
    [
        (60, "1m"),
        (330, "6m"),
        (600, "10m"),
        (3600, "1h"),
        (5400, "1.5h"),
        (86400, "1d"),
        (15 * 86400, "15d"),
        (70 * 86400, "2.3mo"),
        (400 * 86400, "1.1y"),
        (30, "30s"),
    ],
)
def test_intervals_are_written_as_anki_writes_them(seconds: int, label: str) -> None:
    assert span_label(seconds) == label


def test_a_card_due_on_a_study_day_stays_due_that_day_across_dst_and_travel() -> None:
    berlin_winter = timezone(timedelta(hours=1))
    answered = datetime(2026, 3, 20, 21, 0, tzinfo=berlin_winter)
    state = schedule("d", "c", None, 4, answered, config=SchedulerConfig(fuzz=False))
    assert state.state == REVIEW and state.due_day == date(2026, 3, 28)
    entry = entry_of(state)
    # Berlin moved to summer time (+02:00) on 29 March; the card was due on the 28th
    summer = timezone(timedelta(hours=2))
    assert not is_due(entry, datetime(2026, 3, 28, 3, 59, tzinfo=berlin_winter))
    assert is_due(entry, datetime(2026, 3, 28, 4, 0, tzinfo=berlin_winter))
    assert is_due(entry, datetime(2026, 3, 29, 4, 30, tzinfo=summer))
    # travelling: in New York the card shows from 4 a.m. New York time on the 28th, not
    # 24 * 8 hours after the review (which would be 27 March, 16:00 there)
    new_york = timezone(timedelta(hours=-4))
    assert not is_due(entry, datetime(2026, 3, 27, 23, 0, tzinfo=new_york))
    assert not is_due(entry, datetime(2026, 3, 28, 3, 59, tzinfo=new_york))
    assert is_due(entry, datetime(2026, 3, 28, 4, 0, tzinfo=new_york))
    # and in Tokyo, already the 28th there from its own 4 a.m.
    tokyo = timezone(timedelta(hours=9))
    assert is_due(entry, datetime(2026, 3, 28, 4, 0, tzinfo=tokyo))
    assert due_within(entry, datetime(2026, 3, 22, 12, 0, tzinfo=berlin_winter), 7)
    assert not due_within(entry, datetime(2026, 3, 21, 12, 0, tzinfo=berlin_winter), 7)


OLD_LINES = [
    # two answers as an older version wrote them (py-fsrs states, due as an instant)
    {
        "id": "0001",
        "deck": "aws-dynamodb",
        "card": "dynamodb-what-is",
        "rating": 3,
        "reviewed_at": "2026-11-01T21:45:00+01:00",
        "duration_ms": 4000,
        "before": 0,
        "state": {
            "state": 1,
            "step": 1,
            "stability": 2.3065,
            "difficulty": 2.118103970459016,
            "due": "2026-11-01T21:55:00+00:00",
            "last_review": "2026-11-01T20:45:00+00:00",
            "reps": 1,
            "lapses": 0,
        },
    },
    {
        "id": "0002",
        "deck": "aws-dynamodb",
        "card": "dynamodb-what-is",
        "rating": 3,
        "reviewed_at": "2026-11-02T10:42:00+01:00",
        "duration_ms": 4000,
        "before": 1,
        "state": {
            "state": 2,
            "step": None,
            "stability": 2.5,
            "difficulty": 2.1,
            "due": "2026-11-04T09:42:00+00:00",
            "last_review": "2026-11-02T09:42:00+00:00",
            "reps": 2,
            "lapses": 0,
        },
    },
]


def test_states_from_older_rules_are_recomputed_by_replay(
    runner: CliRunner, isolated_home: Path
) -> None:
    isolated_home.mkdir(parents=True)
    log = isolated_home / "reviews.jsonl"
    original = "".join(json.dumps(line) + "\n" for line in OLD_LINES)
    log.write_text(original)
    expected = replay(JsonStore(isolated_home).reviews()).states
    key = ("aws-dynamodb", "dynamodb-what-is")
    assert expected[key].due_day is not None and not expected[key].stale

    # reading commands recompute in memory and leave the log exactly as it was
    rows = {r["id"]: r for r in cards_json(runner, now="2026-11-03T12:00:00+01:00")}
    assert rows["dynamodb-what-is"]["stability"] == expected[key].stability
    assert rows["dynamodb-what-is"]["due_day"] == expected[key].due_day.isoformat()
    assert log.read_text() == original

    # the first answer keeps the recomputed state; no review is lost or changed
    result = invoke(runner, "study", "aws-dynamodb", input="\n3\nq\n", now="2026-11-03T12:00")
    assert result.exit_code != 0  # FLASHCARDS_NOW without an offset is refused
    result = invoke(
        runner, "study", "aws-dynamodb", input="\n3\nq\n", now="2026-11-03T12:00:00+01:00"
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines[:2] == OLD_LINES
    assert any(line.get("set") and line["card"] == "dynamodb-what-is" for line in lines)
    store = JsonStore(isolated_home)
    assert [r.id for r in store.reviews()][:2] == ["0001", "0002"]
    assert store.load_states()[key] == expected[key]
    assert not any(s.stale for s in store.load_states().values())


def test_list_decks_counts_reviews_due_later_today(runner: CliRunner, studied: None) -> None:
    easy = next(r for r in cards_json(runner) if r["id"] == "dynamodb-explain-simply")
    day = date.fromisoformat(easy["due_day"])

    def listed_due(now: str) -> int:
        result = invoke(runner, "list-decks", "--json", now=now)
        rows = {row["id"]: row for row in json.loads(result.stdout)}
        return int(rows["aws-dynamodb"]["due"])

    # the two learning cards are due at their minute, long past; the review card joins
    # them from 04:30 on its day, though 24 h x interval after the answer is 10:00
    assert listed_due(f"{(day - timedelta(days=1)).isoformat()}T23:59:00+01:00") == 2
    assert listed_due(f"{day.isoformat()}T04:30:00+01:00") == 3


def test_cards_at_40_columns_shows_each_card_as_a_block(runner: CliRunner, studied: None) -> None:
    result = runner.invoke(
        app, ["cards", "aws-dynamodb"], env={"FLASHCARDS_NOW": MONDAY, "COLUMNS": "40"}
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(len(line) <= 40 for line in lines)
    rows = {r["id"]: r for r in cards_json(runner, "aws-dynamodb")}
    easy = rows["dynamodb-explain-simply"]
    block = "\n".join(lines[lines.index("aws-dynamodb/dynamodb-explain-simply") :][:4])
    for text in (easy["due_day"], f"S {easy['stability']:.1f}", f"D {easy['difficulty']:.1f}"):
        assert text in block
    assert "reps 1" in block and "lapses 0" in block


def test_list_decks_counts_buried_siblings(runner: CliRunner, deck_folder: Path) -> None:
    (deck_folder / "pairs.yaml").write_text(
        "name: Pairs\nreverse: true\ncards:\n"
        "  - id: a\n    question: Qa\n    answer: Aa\n"
        "  - id: b\n    question: Qb\n    answer: Ab\n"
    )
    decks = ["--decks", str(deck_folder)]

    def row(now: str) -> dict:
        result = invoke(runner, "list-decks", "--json", *decks, now=now)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)[0]

    assert (row(MONDAY)["new"], row(MONDAY)["buried"]) == (4, 0)
    studied = invoke(runner, "study", *decks, input="\n4\nq\n")  # Easy on the first card
    assert studied.exit_code == 0, studied.output
    today = row("2026-11-23T11:00:00+01:00")
    assert (today["new"], today["buried"]) == (2, 1)  # its reverse waits for tomorrow
    tomorrow = row("2026-11-24T05:00:00+01:00")
    assert (tomorrow["new"], tomorrow["buried"]) == (3, 0)


@pytest.mark.parametrize("columns", ["30", "36", "39"])
def test_narrow_blocks_wrap_numbers_never_cut_them(
    runner: CliRunner, studied: None, columns: str
) -> None:
    result = runner.invoke(
        app, ["cards", "aws-dynamodb"], env={"FLASHCARDS_NOW": MONDAY, "COLUMNS": columns}
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(len(line) <= int(columns) for line in lines)
    easy = next(
        r for r in cards_json(runner, "aws-dynamodb") if r["id"] == "dynamodb-explain-simply"
    )
    question = next(i for i, line in enumerate(lines) if line.startswith("  Explain"))
    end = lines.index("", question) if "" in lines[question:] else len(lines)
    block = lines[question + 1 : end]  # the numbers, below the id and the question
    assert not any("…" in line for line in block), block
    words = " ".join(block).split()
    for label, value in [
        ("due", easy["due_day"]),
        ("S", f"{easy['stability']:.1f}"),
        ("reps", "1"),
        ("lapses", "0"),
    ]:
        assert value == words[words.index(label) + 1], (label, block)
