"""Reversed and cloze cards through the commands and the stores: ``cards --json`` kind and
note, one card by its made id, list-decks, progress export/import, and every store
keeping ``<id>/reverse`` and ``<id>/c<N>`` progress."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_store_contract import Factory, _factory, history, record_all
from typer.testing import CliRunner

from flashcards.cli import app

MONDAY = "2026-11-23T10:00:00+01:00"
DECK = """\
name: Kinds
cards:
  - id: dynamodb-what-is
    question: What is DynamoDB?
    answer: Amazon's NoSQL database service
    reverse: true
  - id: tls
    cloze: "{{c1::TLS}} runs on top of {{c2::TCP::a protocol}}"
    extra: RFC 8446
  - id: port
    question: Which port does HTTPS use?
    answer: "443"
    typed: true
  - id: plain
    question: A plain card?
    answer: Yes.
"""


@pytest.fixture
def decks(tmp_path: Path) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "kinds.yaml").write_text(DECK, encoding="utf-8")
    return folder


def invoke(runner: CliRunner, decks: Path, *args: str, input: str | None = None, now=MONDAY):
    command = args[0]
    options = (
        ["--decks", str(decks)] if command in ("study", "cards", "list-decks", "stats") else []
    )
    result = runner.invoke(app, [*args, *options], input=input, env={"FLASHCARDS_NOW": now})
    assert result.exit_code == 0, result.output
    return result


def test_cards_json_gives_kind_and_note(runner: CliRunner, decks: Path) -> None:
    rows = json.loads(invoke(runner, decks, "cards", "--json").stdout)
    assert [(r["id"], r["kind"], r["note"]) for r in rows] == [
        ("dynamodb-what-is", "basic", "dynamodb-what-is"),
        ("dynamodb-what-is/reverse", "reverse", "dynamodb-what-is"),
        ("tls/c1", "cloze", "tls"),
        ("tls/c2", "cloze", "tls"),
        ("port", "typed", None),
        ("plain", "basic", None),
    ]
    assert rows[2]["question"] == "[...] runs on top of TCP"
    assert rows[1]["question"] == "Amazon's NoSQL database service"


def test_one_card_by_its_made_id(runner: CliRunner, decks: Path) -> None:
    result = invoke(runner, decks, "cards", "kinds/tls/c2", "--json")
    card = json.loads(result.stdout)
    assert card["id"] == "tls/c2" and card["question"] == "TLS runs on top of [a protocol]"
    assert card["answer"] == "TLS runs on top of TCP\n\nRFC 8446"
    shown = invoke(runner, decks, "cards", "kinds/dynamodb-what-is/reverse").stdout
    assert "kinds/dynamodb-what-is/reverse" in shown


def test_study_by_lines_answers_every_kind_and_export_import_keep_the_ids(
    runner: CliRunner, decks: Path, tmp_path: Path
) -> None:
    # forward card, cloze 1, typed card (a line is its answer), plain: each Easy;
    # their siblings are buried until tomorrow
    out = invoke(runner, decks, "study", input="\n4\n\n4\n443\n4\n\n4\n").stdout
    assert "✓ typed answer matches" in out
    assert "Done for now." in out
    listed = json.loads(invoke(runner, decks, "list-decks", "--json").stdout)[0]
    assert listed["cards"] == 6
    exported = invoke(runner, decks, "progress", "export").stdout.splitlines()
    assert [json.loads(line)["card"] for line in exported] == [
        "dynamodb-what-is",
        "tls/c1",
        "port",
        "plain",
    ]
    tomorrow = "2026-11-24T10:00:00+01:00"
    out = invoke(runner, decks, "study", input="\n3\n\n3\nq\n", now=tomorrow).stdout
    # the reverse card comes first: its question is the answer, its answer the question
    assert out.index("Amazon's NoSQL") < out.index("What is DynamoDB?")
    lines = invoke(runner, decks, "progress", "export").stdout
    file = tmp_path / "history.jsonl"
    file.write_text(lines, encoding="utf-8")
    other = tmp_path / "elsewhere"
    result = runner.invoke(app, ["progress", "import", str(file), "--store", f"json:{other}"])
    assert result.exit_code == 0, result.output
    assert "Imported 6 reviews" in result.stdout
    again = runner.invoke(
        app,
        ["cards", "--json", "--decks", str(decks), "--store", f"json:{other}"],
        env={"FLASHCARDS_NOW": tomorrow},
    )
    states = {row["id"]: row["state"] for row in json.loads(again.stdout)}
    assert states["dynamodb-what-is/reverse"] != "new" and states["tls/c2"] != "new"


@pytest.fixture(params=["json", "moto", "dynalite"])
def any_store(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Factory]:
    yield from _factory(request.param, request, monkeypatch, tmp_path)


def test_every_store_keeps_progress_of_made_ids(any_store: Factory) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    ids = ["tls/c1", "tls/c12", "dynamodb-what-is/reverse", "dynamodb-what-is", "tls"]
    reviews = [r for card in ids for r in history("kinds", card, [3, 3, 4], start)]
    store = any_store()
    record_all(store, reviews)
    if any_store.kind == "json":
        store.compact()  # and read back from the snapshot
    reopened = any_store()
    states = reopened.load_states(["kinds"])
    assert {key[1] for key in states} == set(ids)
    for card in ids:
        mine = [r for r in reviews if r.card == card]
        assert states[("kinds", card)] == mine[-1].state
    assert set(reopened.due_overview(["kinds"])) == {("kinds", card) for card in ids}
    assert sorted(r.card for r in reopened.reviews()) == sorted(r.card for r in reviews)
    activity = reopened.activity(start - timedelta(days=1))["kinds"]
    assert sum(tally.reviews for tally in activity.values()) == 15
