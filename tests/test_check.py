"""`flashcards check`: every finding, one line each, exit status 1 when it needs you."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flashcards.cli import app
from flashcards.model import Review
from flashcards.scheduling import schedule
from flashcards.stores.jsonstore import PENDING, JsonStore
from flashcards.stores.snapshot import SnapshotFolder

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
NOW = "2026-03-10T09:00:00+00:00"


@pytest.fixture
def decks(deck_folder: Path) -> Path:
    cards = "\n".join(f"  - {{id: c{i}, question: q{i}, answer: a{i}}}" for i in range(6))
    (deck_folder / "d.yaml").write_text(f"name: D\ncards:\n{cards}\n")
    return deck_folder


def fill(home: Path, answers: int, deck: str = "d") -> list[Review]:
    store = JsonStore(home)
    out = []
    for n in range(answers):
        card, at = f"c{n % 6}", T0 + timedelta(hours=7 * n)
        before = store.load_states([deck]).get((deck, card))
        review = Review(
            f"{deck}-{n}",
            deck,
            card,
            3,
            at,
            1,
            0 if before is None else before.state,
            schedule(deck, card, before, 3, at),
        )
        store.record(review, before)
        out.append(review)
    return out


def check(runner: CliRunner, decks: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["check", "--decks", str(decks), *args], env={"FLASHCARDS_NOW": NOW})


def findings(runner: CliRunner, decks: Path, *args: str) -> list[dict]:
    result = check(runner, decks, "--json", *args)
    return json.loads(result.stdout)["findings"]


def test_check_passes_on_a_clean_store(runner: CliRunner, decks: Path, isolated_home: Path) -> None:
    fill(isolated_home, 20)
    JsonStore(isolated_home).compact()
    result = check(runner, decks)
    assert result.exit_code == 0, result.output
    assert "Checked 1 decks and 20 reviews: nothing needs you." in result.stdout
    payload = json.loads(check(runner, decks, "--json").stdout)
    assert payload == {"ok": True, "decks": 1, "reviews": 20, "findings": []}


def test_a_broken_deck_is_reported_with_file_and_line(
    runner: CliRunner, decks: Path, isolated_home: Path
) -> None:
    (decks / "bad.yaml").write_text("name: Bad\ncards:\n  - question: no answer\n")
    result = check(runner, decks)
    assert result.exit_code == 1
    assert "bad.yaml:3" in result.stderr
    only = check(runner, decks, "--decks-only")
    assert only.exit_code == 1 and "bad.yaml:3" in only.stderr
    (decks / "bad.yaml").unlink()
    assert check(runner, decks, "--decks-only").exit_code == 0


def test_damaged_lines_and_duplicates_are_named_and_the_log_left_alone(
    runner: CliRunner, decks: Path, isolated_home: Path
) -> None:
    fill(isolated_home, 5)
    log = isolated_home / "reviews.jsonl"
    lines = log.read_bytes().split(b"\n")[:-1]
    damaged = b"\n".join([*lines[:3], b'{"id": 1}', lines[1], *lines[3:]]) + b"\n"
    log.write_bytes(damaged)
    result = check(runner, decks, "--repair")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2
    assert f"{log}:4: corrupt review log line" in errors[0]
    assert f"{log}:5: review d-1 is also on line 2" in errors[1]
    assert log.read_bytes() == damaged


def test_a_snapshot_that_disagrees_with_the_log_is_rebuilt_with_repair(
    runner: CliRunner, decks: Path, isolated_home: Path
) -> None:
    fill(isolated_home, 12)
    store = JsonStore(isolated_home)
    store.compact()
    # a snapshot that is sound as a file but says something the log does not (as one
    # written by a faulty version would): the card states of another card
    folder = SnapshotFolder(isolated_home / "snapshot")
    found = folder.read("d", "cards")
    assert found is not None
    cards = found.data["cards"]
    cards["c0"], cards["c1"] = cards["c1"], cards["c0"]
    folder.write("d", "cards", found.offset, found.window, found.data)
    result = check(runner, decks)
    assert result.exit_code == 1
    assert "deck 'd' disagrees with the review log" in result.stderr
    assert "--repair" in result.stderr
    repaired = check(runner, decks, "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert "repaired:" in repaired.stderr and "rebuilt from the log" in repaired.stderr
    assert check(runner, decks).exit_code == 0
    assert (
        JsonStore(isolated_home).load_states()
        == JsonStore(isolated_home, use_snapshot=False).load_states()
    )


def test_a_snapshot_file_damaged_is_reported_then_rebuilt(
    runner: CliRunner, decks: Path, isolated_home: Path
) -> None:
    fill(isolated_home, 12)
    JsonStore(isolated_home).compact()
    path = isolated_home / "snapshot" / "d.activity.json"
    path.write_bytes(path.read_bytes().replace(b"1", b"2", 1))
    result = check(runner, decks)
    assert result.exit_code == 1 and "checksum mismatch" in result.stderr
    assert check(runner, decks, "--repair").exit_code == 0
    assert findings(runner, decks) == []


def test_orphans_are_listed_with_their_last_review(
    runner: CliRunner, decks: Path, isolated_home: Path
) -> None:
    fill(isolated_home, 12)
    gone = JsonStore(isolated_home)
    at = T0 + timedelta(days=5)
    review = Review("old-1", "old", "x", 3, at, 1, 0, schedule("old", "x", None, 3, at))
    gone.record(review, None)
    cards = "\n".join(f"  - {{id: c{i}, question: q{i}, answer: a{i}}}" for i in range(1, 6))
    (decks / "d.yaml").write_text(f"name: D\ncards:\n{cards}\n")  # c0 is gone
    result = check(runner, decks)
    assert result.exit_code == 0, result.output  # worth knowing; nothing is wrong
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2
    assert "d/c0: no card has this id any more" in warnings[0]
    assert "reviews.jsonl:7:" in warnings[0]  # c0's last review: the 7th answer
    assert "(last review 2026-03-03 03:00)" in warnings[0]
    assert "deck 'old' is in no deck file; progress of 1 card(s) is kept" in warnings[1]
    assert "reviews.jsonl:13:" in warnings[1] and "2026-03-06 09:00" in warnings[1]


def test_an_outbox_waiting_to_be_sent_needs_the_user(
    runner: CliRunner, decks: Path, isolated_home: Path
) -> None:
    outbox = isolated_home / "outbox"
    outbox.mkdir(parents=True)
    (outbox / "cards-me-1234.jsonl").write_text(
        '{"op": "record", "review": {"id": "a"}}\n{"op": "undo", "review": {"id": "a"}}\n{"op": "re'
    )
    result = check(runner, decks, "--store", "dynamodb://cards")
    assert result.exit_code == 1
    assert "cards-me-1234.jsonl: 2 answer(s) wait to be sent to DynamoDB" in result.stderr


def test_crash_leftovers_are_reported_and_repaired(
    runner: CliRunner, decks: Path, isolated_home: Path
) -> None:
    fill(isolated_home, 6)
    JsonStore(isolated_home).compact()
    log = isolated_home / "reviews.jsonl"
    whole = log.read_bytes()
    (isolated_home / "snapshot" / ".d.cards.json.abc123").write_bytes(b"{")
    log.write_bytes(whole + b'{"id":"torn')
    before = log.read_bytes()
    found = findings(runner, decks)
    assert [(f["kind"], f["severity"]) for f in found] == [("torn", "warning"), ("temp", "warning")]
    assert found[0]["line"] == 7
    assert log.read_bytes() == before  # without --repair, nothing changes
    result = check(runner, decks, "--repair")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("repaired:") == 2
    assert log.read_bytes() == whole
    assert (isolated_home / f"reviews.jsonl.torn-{len(whole)}").read_bytes() == b'{"id":"torn'
    assert not list((isolated_home / "snapshot").glob(".*"))
    assert findings(runner, decks) == []


def test_an_import_cut_short_is_reported_and_rolled_back(
    runner: CliRunner, decks: Path, isolated_home: Path
) -> None:
    fill(isolated_home, 6)
    log = isolated_home / "reviews.jsonl"
    whole = log.read_bytes()
    (isolated_home / PENDING).write_text(json.dumps({"start": len(whole)}))
    log.write_bytes(whole + b'{"half of":"an import"}\n{"id":"cut')
    found = findings(runner, decks)
    assert [(f["kind"], f["severity"]) for f in found] == [("pending", "warning")]
    result = check(runner, decks, "--repair")
    assert result.exit_code == 0, result.output
    assert "repaired:" in result.stderr
    assert log.read_bytes() == whole
    assert not (isolated_home / PENDING).exists()
    assert findings(runner, decks) == []


def test_options_for_a_deck_no_file_has_are_named(
    runner: CliRunner, decks: Path, isolated_home: Path
) -> None:
    # a deck id mistyped in config.toml would leave its options unused without a word
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text(
        '[options]\nnew_per_day = 5\n\n[decks."d"]\nnew_per_day = 3\n\n'
        '[decks."aws_dynamodb"]\nnew_per_day = 2\n\n[fsrs.decks.dd]\ndesired_retention = 0.85\n'
    )
    result = check(runner, decks)
    assert result.exit_code == 0, result.output  # worth knowing; nothing is broken
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    said = (
        ": no deck on the deck path has this id, so these options apply to none "
        "(`flashcards list-decks` shows the ids)"
    )
    config = isolated_home / "config.toml"
    assert warnings == [
        f'warning: {config}:7: [decks."aws_dynamodb"]{said}',
        f"warning: {config}:10: [fsrs.decks.dd]{said}",
    ]
