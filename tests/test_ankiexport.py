"""``flashcards export --to FILE.apkg|FILE.csv``, and the round trip through Anki's engine:
export here, import into Anki, export from Anki, import here — no card and no review
lost, none doubled, the same states."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ankibuild import (
    export_package,
    import_into_anki,
    memory_state,
    open_collection,
    utc_environment,
)
from typer.testing import CliRunner

from flashcards.ankipkg import import_package
from flashcards.cli import app
from flashcards.config import load_settings
from flashcards.model import SUSPEND, Review, to_us
from flashcards.stores import StoreContext, open_store

NOW = "2026-05-01T12:00:00+00:00"
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
DAY, MINUTE = timedelta(days=1), timedelta(minutes=1)
SPANISH = """\
name: Spanish verbs
description: the first ones
cards:
  - id: ser
    question: to be (*permanent*)
    answer: ser
    reverse: true
    tags: [verb, irregular]
  - id: tener
    question: to have
    answer: tener
    typed: true
  - id: yo
    cloze: "{{c1::Yo}} {{c2::soy}} estudiante"
    extra: I am a student
  - id: pic
    question: "What is this? ![](../media/spanish/gato.png)"
    answer: un gato
"""
CODE = """\
name: Code
markdown: false
cards:
  - id: lt
    question: "a < b && c"
    answer: |-
      true
      when both hold
"""
#: (deck, card, rating, time) answers given here
ANSWERS = [
    ("spanish", "ser", 3, T0),
    ("spanish", "ser", 3, T0 + 10 * MINUTE),
    ("spanish", "ser", 1, T0 + 4 * DAY),
    ("spanish", "ser", 3, T0 + 4 * DAY + 10 * MINUTE),
    ("spanish", "ser/reverse", 4, T0 + MINUTE),
    ("spanish", "tener", 2, T0 + 2 * MINUTE),
    ("spanish", "tener", 3, T0 + 2 * DAY),
    ("spanish", "yo/c2", 3, T0 + 3 * MINUTE),
    ("spanish", "yo/c2", 3, T0 + 13 * MINUTE),
    ("spanish", "yo/c2", 3, T0 + 9 * DAY),
    ("code", "lt", 1, T0 + 4 * MINUTE),
    ("code", "lt", 3, T0 + 5 * MINUTE + 500 * timedelta(microseconds=1)),
]


@pytest.fixture(autouse=True)
def _utc() -> None:
    utc_environment()


@pytest.fixture
def learner(tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two decks outside the home, a history of answers, a suspended card, a picture."""
    folder = tmp_path / "mydecks"
    folder.mkdir()
    (folder / "spanish.yaml").write_text(SPANISH)
    (folder / "code.yaml").write_text(CODE)
    (isolated_home / "media" / "spanish").mkdir(parents=True)
    (isolated_home / "media" / "spanish" / "gato.png").write_bytes(b"\x89PNG gato")
    monkeypatch.setenv("FLASHCARDS_DECKS", str(folder))
    monkeypatch.setenv("FLASHCARDS_NOW", NOW)
    reviews = [
        Review(f"r{i}", deck, card, rating, at, 4000 + i)
        for i, (deck, card, rating, at) in enumerate(ANSWERS)
    ]
    reviews.append(Review("m1", "spanish", "tener", 0, T0 + 3 * DAY, None, action=SUSPEND))
    with _opened() as store:
        store.import_reviews(reviews)
    return folder


class _opened:
    def __enter__(self) -> Any:
        settings = load_settings()
        self.store = open_store(settings.store_url, StoreContext(settings.home, settings.profile))
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store.close()


def _answers() -> Counter[tuple[str, str, int, int]]:
    with _opened() as store:
        return Counter(
            (r.deck, r.card, to_us(r.reviewed_at) // 1000, r.rating)
            for r in store.reviews()
            if not r.is_mark
        )


def _cards(runner: CliRunner) -> dict[tuple[str, str], dict[str, Any]]:
    result = runner.invoke(app, ["cards", "spanish", "code", "--json"])
    assert result.exit_code == 0, result.output
    return {(row["deck"], row["id"]): row for row in json.loads(result.stdout)}


def _files(home: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(home)): p.read_bytes()
        for p in sorted(home.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


def _export(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, ["export", *args])
    assert result.exit_code == 0, result.output
    return result.stderr


def test_package_opens_in_anki_with_note_types_states_and_history(
    learner: Path, tmp_path: Path, isolated_home: Path, runner: CliRunner
) -> None:
    _cards(runner)  # the deck cache is written by any command; not by export alone
    before = _files(isolated_home)
    out = tmp_path / "out.apkg"
    said = _export(runner, "spanish", "code", "--to", str(out))
    assert "2 decks, 5 notes, 7 cards, 12 reviews and 1 media file" in said
    assert _files(isolated_home) == before  # reading writes nothing but the package
    ours = _cards(runner)
    (tmp_path / "anki").mkdir()
    col = open_collection(tmp_path / "anki" / "collection.anki2")
    try:
        import_into_anki(col, out)
        notes = {
            guid: (notetype, flds.split("\x1f"))
            for guid, notetype, flds in col.db.all(
                "SELECT n.guid, m.name, n.flds FROM notes n JOIN notetypes m ON m.id = n.mid"
            )
        }
        # Anki adds a "+" to the name of a note type that clashes with one it has
        assert {guid: kind.removesuffix("+") for guid, (kind, _) in notes.items()} == {
            "fc:spanish/ser": "Basic (and reversed card)",
            "fc:spanish/tener": "Basic (type in the answer)",
            "fc:spanish/yo": "Cloze",
            "fc:spanish/pic": "Basic",
            "fc:code/lt": "Basic",
        }
        assert notes["fc:spanish/ser"][1] == ["to be (<em>permanent</em>)", "ser"]
        assert notes["fc:code/lt"][1] == ["a &lt; b &amp;&amp; c", "true<br>when both hold"]
        assert 'src="gato.png"' in notes["fc:spanish/pic"][1][0]
        assert Path(col.media.dir(), "gato.png").read_bytes() == b"\x89PNG gato"
        assert col.db.scalar("SELECT count() FROM revlog") == len(ANSWERS)
        assert {d.name for d in col.decks.all_names_and_ids()} == {
            "Code",
            "Default",
            "Spanish verbs",
        }
        rows = col.db.all(
            "SELECT n.guid, c.ord, c.id, c.queue FROM cards c JOIN notes n ON n.id = c.nid"
        )
        by_card = {}
        for guid, ord_, cid, queue in rows:
            deck, entry = guid.removeprefix("fc:").split("/")
            kind = "Cloze" if entry == "yo" else ""
            card = f"{entry}/c{ord_ + 1}" if kind else entry if ord_ == 0 else f"{entry}/reverse"
            by_card[(deck, card)] = (cid, queue)
        assert set(by_card) == set(ours)
        assert by_card[("spanish", "tener")][1] == -1  # suspended here, suspended there
        for key, row in ours.items():
            stability, difficulty = memory_state(col, by_card[key][0])
            if row["stability"] is None:
                assert stability is None, key
            else:  # Anki's FSRS reads the same history from the revlog
                assert stability == pytest.approx(row["stability"], rel=1e-3), key
                assert difficulty == pytest.approx(row["difficulty"], abs=5e-3), key
    finally:
        col.close()


def test_round_trip_through_anki_loses_no_card_and_no_review(
    learner: Path, tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, answers = _cards(runner), _answers()
    out = tmp_path / "out.apkg"
    _export(runner, "--to", str(out))
    (tmp_path / "anki").mkdir()
    col = open_collection(tmp_path / "anki" / "collection.anki2")
    try:
        import_into_anki(col, out)
        back = export_package(col, tmp_path / "back.apkg", legacy=False)
    finally:
        col.close()

    # into the same home: every review is already there, nothing is doubled, and the
    # deck files stay the learner's own (no second file of the same id in the home)
    decks_before = {p.name: p.read_bytes() for p in learner.iterdir()}
    with _opened() as store:
        report = import_package(back, load_settings(), store, now=datetime.fromisoformat(NOW))
    assert (report.reviews, report.added, report.cards) == (len(ANSWERS), 0, len(ours))
    assert _answers() == answers
    assert {p.name: p.read_bytes() for p in learner.iterdir()} == decks_before
    assert {plan.kept_at for plan in report.decks} == {
        learner / "spanish.yaml",
        learner / "code.yaml",
    }
    assert not (load_settings().home / "decks").exists()

    # into a new home: the same cards, reviews and states
    monkeypatch.setenv("FLASHCARDS_HOME", str(tmp_path / "other"))
    monkeypatch.delenv("FLASHCARDS_DECKS")
    with _opened() as store:
        again = import_package(back, load_settings(), store, now=datetime.fromisoformat(NOW))
    assert again.added == len(ANSWERS) and again.suspended == 1
    assert _answers() == answers
    theirs = _cards(runner)
    assert set(theirs) == set(ours)
    for key, row in ours.items():
        for field in ("state", "due", "stability", "difficulty", "reps", "lapses", "kind"):
            assert theirs[key][field] == row[field], (key, field)
        assert theirs[key]["question"] == row["question"], key
    assert (tmp_path / "other" / "media" / "spanish" / "gato.png").read_bytes() == b"\x89PNG gato"
    with _opened() as store:
        assert store.flags()[("spanish", "tener")].suspended


def test_csv_has_note_type_deck_question_answer_and_tags_per_entry(
    learner: Path, tmp_path: Path, runner: CliRunner
) -> None:
    out = tmp_path / "out.csv"
    _export(runner, "spanish", "code", "--to", str(out))
    lines = out.read_text().splitlines(keepends=True)
    assert lines[:5] == [
        "#separator:comma\n",
        "#html:false\n",
        "#notetype column:1\n",
        "#deck column:2\n",
        "#tags column:5\n",
    ]
    rows = list(csv.reader(lines[5:]))
    assert rows == [
        [
            "Basic (and reversed card)",
            "Spanish verbs",
            "to be (*permanent*)",
            "ser",
            "verb irregular",
        ],
        ["Basic (type in the answer)", "Spanish verbs", "to have", "tener", ""],
        ["Cloze", "Spanish verbs", "{{c1::Yo}} {{c2::soy}} estudiante", "I am a student", ""],
        ["Basic", "Spanish verbs", "What is this? ![](../media/spanish/gato.png)", "un gato", ""],
        ["Basic", "Code", "a < b && c", "true\nwhen both hold", ""],
    ]


def test_csv_comes_back_with_the_same_card_kinds(
    learner: Path, tmp_path: Path, runner: CliRunner, isolated_home: Path
) -> None:
    out = tmp_path / "spanish.csv"
    _export(runner, "spanish", "--to", str(out))
    result = runner.invoke(app, ["import", str(out), "--deck", "back"])
    assert result.exit_code == 0, result.output
    imported = {"FLASHCARDS_DECKS": str(isolated_home / "decks")}
    listed = runner.invoke(app, ["cards", "back", "--json"], env=imported)
    kinds = Counter(row["kind"] for row in json.loads(listed.stdout))
    original = runner.invoke(app, ["cards", "spanish", "--json"])
    assert kinds == Counter(row["kind"] for row in json.loads(original.stdout))
    assert sum(kinds.values()) == 6  # ser both ways, tener, yo/c1, yo/c2, pic


def test_anki_reads_the_csv_as_the_same_note_types_decks_and_tags(
    learner: Path, tmp_path: Path, runner: CliRunner
) -> None:
    from anki.collection import ImportCsvRequest

    (learner / "spanish.yaml").write_text(SPANISH.replace("cards:", "tags: [es]\ncards:"))
    out = tmp_path / "out.csv"
    _export(runner, "spanish", "--to", str(out))
    (tmp_path / "anki").mkdir()
    col = open_collection(tmp_path / "anki" / "collection.anki2")
    try:
        metadata = col.get_csv_metadata(path=str(out), delimiter=None)
        col.import_csv(ImportCsvRequest(path=str(out), metadata=metadata))
        notes = [col.get_note(nid) for nid in col.find_notes("")]
        got = sorted(
            (n.note_type()["name"], col.decks.name(n.cards()[0].did), len(n.cards()), n.tags)
            for n in notes
        )
    finally:
        col.close()
    assert got == [
        ("Basic", "Spanish verbs", 1, ["es"]),
        ("Basic (and reversed card)", "Spanish verbs", 2, ["es", "irregular", "verb"]),
        ("Basic (type in the answer)", "Spanish verbs", 1, ["es"]),
        ("Cloze", "Spanish verbs", 2, ["es"]),
    ]


@pytest.mark.parametrize(
    ("target", "message"),
    [("out.txt", "name a .apkg or .csv file"), ("nowhere/out.apkg", "does not exist")],
)
def test_a_bad_target_is_one_line_and_writes_nothing(
    learner: Path, tmp_path: Path, runner: CliRunner, target: str, message: str
) -> None:
    result = runner.invoke(app, ["export", "--to", str(tmp_path / target)])
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / target).exists()


def test_counts_in_messages_agree_with_their_numbers() -> None:
    from flashcards.exportcmd import counted

    assert [counted(n, "review") for n in (0, 1, 2)] == ["0 reviews", "1 review", "2 reviews"]
    assert counted(1, "entry", "entries") == "1 entry" and counted(3, "entry", "entries") == (
        "3 entries"
    )
