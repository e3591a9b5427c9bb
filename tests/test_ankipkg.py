"""Importing Anki packages made by Anki's own engine: note types, HTML, media, tags, the
review history (states equal Anki's FSRS memory states), marks, and bad input."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ankibuild import (
    AnkiNote,
    add_notes,
    export_package,
    memory_state,
    open_collection,
    utc_environment,
)
from typer.testing import CliRunner

from flashcards.ankipkg import import_package
from flashcards.ankiread import PackageError
from flashcards.cli import app
from flashcards.config import load_settings
from flashcards.errors import UsageError
from flashcards.stores import StoreContext, open_store

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
NOW = "2026-05-01T12:00:00+00:00"
DAY, MINUTE = timedelta(days=1), timedelta(minutes=1)
CAT = b"\xff\xd8\xff not really a jpeg"


def _notes() -> list[AnkiNote]:
    return [
        AnkiNote(
            "Basic",
            ["bonjour&nbsp;<b>le</b> monde", "hello<br>world &amp; a &lt; b"],
            "Lang::French",
            ["fr", "greeting"],
            answers=[
                (0, 3, T0),
                (0, 3, T0 + 10 * MINUTE),
                (0, 3, T0 + 3 * DAY),
                (0, 1, T0 + 12 * DAY),
                (0, 3, T0 + 12 * DAY + 10 * MINUTE),
                (0, 4, T0 + 20 * DAY),
                (0, 2, T0 + 45 * DAY),
            ],
        ),
        AnkiNote(
            "Basic (and reversed card)",
            ["chat", 'cat <img src="cat.jpg">'],
            "Lang::French",
            answers=[(0, 3, T0 + 1 * MINUTE), (1, 2, T0 + 2 * MINUTE), (1, 3, T0 + DAY)],
            suspend=[0],
        ),
        AnkiNote(
            "Cloze",
            ["{{c1::Paris}} is in {{c2::France}}", "<ul><li>one</li><li>two</li></ul>"],
            "Geo",
            ["places"],
            answers=[(1, 4, T0 + 3 * MINUTE), (1, 3, T0 + 9 * DAY), (0, 1, T0 + 4 * MINUTE)],
        ),
        AnkiNote("Basic (type in the answer)", ["2 + 2", "4"], "Geo"),
        AnkiNote("Basic (optional reversed card)", ["one way", "only", ""], "Geo"),
        AnkiNote("Basic (optional reversed card)", ["both", "ways", "y"], "Geo", bury=[1]),
        AnkiNote("Basic", ["sound", "[sound:meow.mp3]"], "Geo"),
        AnkiNote(
            "Image Occlusion",
            ["{{c1::image-occlusion:rect:left=.1:top=.1:width=.2:height=.2}}", "<b>img</b>"],
            "Geo",
        ),
    ]


@dataclass
class Package:
    new: Path  # Anki 2.1.50+ layout (zstd, schema 18)
    legacy: Path  # collection.anki21, schema 11
    colpkg: Path  # a whole collection (Anki's File > Export collection)
    notes: list[AnkiNote]
    anki_states: dict[
        int, tuple[float | None, float | None]
    ]  # card id -> Anki's (stability, difficulty)
    manual: int


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Package]:
    utc_environment()
    folder = tmp_path_factory.mktemp("anki")
    col = open_collection(folder / "collection.anki2")
    notes = _notes()
    add_notes(col, notes, {"cat.jpg": CAT, "meow.mp3": b"ID3 meow"})
    # a manual "set due date" and an FSRS reschedule (revlog kinds 4 and 5, ease 0),
    # which Anki's memory state leaves out, and a reset of the second cloze card
    first = notes[0].card_ids[0]
    for offset, kind in ((30, 4), (31, 5)):
        col.db.execute(
            "INSERT INTO revlog VALUES (?, ?, -1, 0, 30, 9, 2500, 0, ?)",
            int((T0 + offset * DAY).timestamp() * 1000),
            first,
            kind,
        )
    col.sched.schedule_cards_as_new(
        [notes[2].card_ids[1]], restore_position=True, reset_counts=True
    )
    states = {
        cid: memory_state(col, cid)  # (None, None) for a card new again
        for note in notes
        for ord_, cid in note.card_ids.items()
        if any(answer[0] == ord_ for answer in note.answers)
    }
    new = export_package(col, folder / "deck.apkg", legacy=False)
    legacy = export_package(col, folder / "legacy.apkg", legacy=True)
    colpkg = folder / "all.colpkg"
    col.export_collection_package(str(colpkg), include_media=True, legacy=False)  # closes it
    yield Package(new, legacy, colpkg, notes, states, manual=2)


def _store(home: Path) -> Any:
    settings = load_settings()
    return settings, open_store(settings.store_url, StoreContext(settings.home, settings.profile))


def _import(path: Path, **options: Any) -> Any:
    settings, store = _store(Path())
    try:
        return import_package(path, settings, store, now=datetime.fromisoformat(NOW), **options)
    finally:
        store.close()


def _cards_json(runner: CliRunner, monkeypatch: pytest.MonkeyPatch, *decks: str) -> Any:
    monkeypatch.setenv("FLASHCARDS_NOW", NOW)
    result = runner.invoke(app, ["cards", *decks, "--json"])
    assert result.exit_code == 0, result.output
    return {(row["deck"], row["id"]): row for row in json.loads(result.stdout)}


def _files(home: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(home)): p.read_bytes()
        for p in sorted(home.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


def test_every_note_type_html_media_and_tags(package: Package, isolated_home: Path) -> None:
    report = _import(package.new)
    french = (isolated_home / "decks" / "lang-french.yaml").read_text()
    geo = (isolated_home / "decks" / "geo.yaml").read_text()
    from flashcards.decks import parse_deck

    fr = {c.id: c for c in parse_deck(Path("lang-french.yaml"), french.encode()).cards}
    ge = {c.id: c for c in parse_deck(Path("geo.yaml"), geo.encode()).cards}
    ids = [f"anki-{note.note_id}" for note in package.notes]
    assert "name: Lang::French" in french
    basic = fr[ids[0]]
    assert (basic.question, basic.kind, basic.tags) == (
        "bonjour **le** monde",
        "basic",
        ("fr", "greeting"),
    )
    assert basic.answer == "hello\nworld & a < b"  # <br> a line break, entities decoded
    assert fr[ids[1]].answer == "cat ![](../media/lang-french/cat.jpg)"
    assert fr[f"{ids[1]}/reverse"].question == fr[ids[1]].answer
    assert (ge[f"{ids[2]}/c1"].kind, ge[f"{ids[2]}/c2"].question) == ("cloze", "Paris is in [...]")
    assert ge[f"{ids[2]}/c1"].extra == "- one\n- two"
    assert ge[ids[3]].kind == "typed"
    assert f"{ids[4]}/reverse" not in ge and f"{ids[5]}/reverse" in ge
    assert ge[ids[6]].answer == "[sound:meow.mp3]"
    assert (ge[ids[7]].kind, ge[ids[7]].answer) == ("basic", "**img**")
    assert (isolated_home / "media" / "lang-french" / "cat.jpg").read_bytes() == CAT
    assert (isolated_home / "media" / "geo" / "meow.mp3").read_bytes() == b"ID3 meow"
    assert report.notices == [
        f"{package.new}: note type 'Image Occlusion' is not one flashcards knows; its 1 "
        "note(s) became basic cards from their first two fields"
    ]


def test_history_gives_the_states_anki_holds(
    package: Package, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _import(package.new)
    answers = sum(len(note.answers) for note in package.notes)
    assert (report.reviews, report.added, report.manual_skipped) == (answers, answers, 2)
    rows = _cards_json(runner, monkeypatch, "lang-french", "geo")
    compared = 0
    for note in package.notes:
        entry = f"anki-{note.note_id}"
        for ord_, cid in note.card_ids.items():
            if cid not in package.anki_states:
                continue
            card = entry if note.notetype != "Cloze" else f"{entry}/c{ord_ + 1}"
            if ord_ == 1 and note.notetype != "Cloze":
                card = f"{entry}/reverse"
            deck = "lang-french" if note.deck == "Lang::French" else "geo"
            row = rows[(deck, card)]
            stability, difficulty = package.anki_states[cid]
            if stability is None:
                assert (row["state"], row["stability"]) == ("new", None), card
            else:
                assert row["stability"] == pytest.approx(stability, rel=1e-3), card
                assert row["difficulty"] == pytest.approx(difficulty, abs=5e-3), card
            compared += 1
    assert compared == len(package.anki_states) == 5
    assert report.resets == 1


def test_suspended_and_buried_cards_stay_so(package: Package, isolated_home: Path) -> None:
    _import(package.new)
    _, store = _store(isolated_home)
    try:
        flags = store.flags()
    finally:
        store.close()
    chat, both = package.notes[1], package.notes[5]
    assert flags[("lang-french", f"anki-{chat.note_id}")].suspended
    now = datetime.fromisoformat(NOW)
    assert flags[("geo", f"anki-{both.note_id}/reverse")].buried(now)
    assert len(flags) == 2


@pytest.mark.parametrize("layout", ["legacy", "colpkg"])
def test_second_import_adds_nothing_and_keeps_progress(
    package: Package,
    isolated_home: Path,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    layout: str,
) -> None:
    first = _import(package.new)
    before = _cards_json(runner, monkeypatch)
    log = (isolated_home / "reviews.jsonl").read_bytes()
    again = _import(getattr(package, layout))  # the same collection in another layout
    assert (again.added, again.reviews, again.cards) == (0, first.reviews, first.cards)
    assert (isolated_home / "reviews.jsonl").read_bytes() == log
    assert _cards_json(runner, monkeypatch) == before


def test_dry_run_writes_nothing(package: Package, isolated_home: Path) -> None:
    report = _import(package.new, dry_run=True)
    assert report.added > 0 and len(report.decks) == 2
    assert not isolated_home.exists() or _files(isolated_home) == {}


def test_a_deck_file_not_made_by_import_is_replaced_only_with_force(
    package: Package, isolated_home: Path
) -> None:
    mine = isolated_home / "decks" / "geo.yaml"
    mine.parent.mkdir(parents=True)
    mine.write_text("name: Mine\ncards:\n  - {id: a, question: q, answer: a}\n")
    with pytest.raises(UsageError, match=r"geo\.yaml: exists and was not made by"):
        _import(package.new)
    assert sorted(_files(isolated_home)) == ["decks/geo.yaml"]
    _import(package.new, force=True)
    assert "name: Geo" in mine.read_text()


# --- bad input --------------------------------------------------------------------------------


def _empty_package(folder: Path) -> Path:
    col = open_collection(folder / "empty.anki2")
    out = folder / "empty.colpkg"
    col.export_collection_package(str(out), include_media=False, legacy=False)
    return out


def _bad_cloze_package(package: Package, folder: Path) -> Path:
    """The legacy package with its cloze note's text left without a deletion."""
    out = folder / "badcloze.apkg"
    with zipfile.ZipFile(package.legacy) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "collection.anki21":
                database = folder / "c.anki21"
                database.write_bytes(data)
                with sqlite3.connect(database) as db:
                    db.execute(
                        "UPDATE notes SET flds = 'no deletion' || char(31) || '' WHERE id = ?",
                        (package.notes[2].note_id,),
                    )
                data = database.read_bytes()
            target.writestr(item, data)
    return out


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p, f: _write(f / "text.apkg", b"just text"),
            "not an Anki package (not a zip file)",
        ),
        (lambda p, f: _write(f / "cut.apkg", p.new.read_bytes()[:-900]), "not an Anki package"),
        (lambda p, f: _zip(f / "nocol.apkg", {"media": b"{}"}), "the zip holds no collection"),
        (
            lambda p, f: _zip(f / "junk.apkg", {"collection.anki2": b"x" * 600}),
            "not an Anki collection",
        ),
        (lambda p, f: _zip(f / "junk.apkg", {"collection.anki21b": b"x" * 600}), "damaged"),
        (lambda p, f: _empty_package(f), "the package holds no notes"),
    ],
    ids=["not-a-zip", "cut-zip", "no-collection", "not-sqlite", "not-zstd", "empty"],
)
def test_bad_packages_are_one_line_and_write_nothing(
    package: Package, tmp_path: Path, isolated_home: Path, make: Any, message: str
) -> None:
    path = make(package, tmp_path)
    with pytest.raises(PackageError) as error:
        _import(path)
    text = str(error.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text
    assert not isolated_home.exists() or _files(isolated_home) == {}


def test_a_note_that_makes_no_card_is_named_and_the_rest_imported(
    package: Package, tmp_path: Path, isolated_home: Path
) -> None:
    path = _bad_cloze_package(package, tmp_path)
    report = _import(path)
    cloze_id = package.notes[2].note_id
    named = [n for n in report.notices if f"note {cloze_id} (Cloze)" in n]
    assert len(named) == 1 and "has no cloze deletion" in named[0]
    assert f"anki-{cloze_id}" not in (isolated_home / "decks" / "geo.yaml").read_text()
    assert report.orphan_reviews == 4  # its 3 answers and 1 reset have no card to go to


def test_import_command_says_one_line_and_writes_nothing(
    tmp_path: Path, isolated_home: Path, runner: CliRunner
) -> None:
    fake = _write(tmp_path / "photos.apkg", b"\x89PNG not a package")
    result = runner.invoke(app, ["import", str(fake)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip() == f"error: {fake}: not an Anki package (not a zip file)"
    assert not isolated_home.exists() or _files(isolated_home) == {}


def test_import_command_prints_the_report(package: Package, runner: CliRunner) -> None:
    result = runner.invoke(app, ["import", str(package.new), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would write deck lang-french (Lang::French): 2 entries" in result.stdout
    assert "note type 'Image Occlusion' is not one flashcards knows" in result.stderr


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_line_breaks_go_to_anki_and_come_back_as_written() -> None:
    from flashcards.htmltext import html_to_markdown, markdown_to_html

    text = "first line\nsecond line\n\n- item\n- another\n  continued"
    field = markdown_to_html(text, True, lambda _source: None)
    assert "first line<br />" in field and "another<br />" in field
    assert html_to_markdown(field) == text


def test_a_deck_made_from_notes_is_not_replaced_by_a_package(
    package: Package, isolated_home: Path, runner: CliRunner, tmp_path: Path
) -> None:
    notes = tmp_path / "geo.md"
    notes.write_text("### Capital of Peru?\nLima\n", encoding="utf-8")
    assert runner.invoke(app, ["import", str(notes)]).exit_code == 0
    before = _files(isolated_home)
    with pytest.raises(UsageError, match=r"geo\.yaml: was imported from geo\.md, not from an"):
        _import(package.new)
    assert _files(isolated_home) == before
    _import(package.new, force=True)
    assert "name: Geo" in (isolated_home / "decks" / "geo.yaml").read_text()


def test_a_deck_made_from_one_package_is_replaced_by_another(
    package: Package, isolated_home: Path
) -> None:
    _import(package.new)
    report = _import(package.legacy)  # Anki names every export afresh
    assert all(plan.replaces for plan in report.decks)


def test_deck_ids_from_anki_names_drop_accents_and_keep_other_scripts() -> None:
    from flashcards.addcmd import DECK_ID
    from flashcards.ankipkg import deck_id_of

    ids = [deck_id_of(n) for n in ("Langues::Français", "日本語::漢字", "Parent::Child")]
    assert ids == ["langues-francais", "日本語-漢字", "parent-child"]
    assert all(DECK_ID.fullmatch(deck_id) for deck_id in ids)  # `add`, `import --deck` take them


@pytest.mark.parametrize(
    ("field", "markdown"),
    [
        # Anki's editor: a <div> a line, <div><br></div> an empty one.
        ("<div>one</div><div>two</div><div><br></div><div>three</div>", "one\ntwo\n\nthree"),
        ("first<div>second</div><div>third</div>", "first\nsecond\nthird"),
        (
            "<b>Q</b><div><ul><li>a</li><li>b</li></ul></div><div>after</div>",
            "**Q**\n\n- a\n- b\n\nafter",
        ),
    ],
)
def test_anki_editor_lines_are_lines(field: str, markdown: str) -> None:
    from flashcards.htmltext import html_to_markdown, markdown_to_html

    assert html_to_markdown(field) == markdown
    assert html_to_markdown(markdown_to_html(markdown, True, lambda _: None)) == markdown


def test_a_deck_of_the_id_of_a_builtin_deck_is_refused(tmp_path: Path, isolated_home: Path) -> None:
    utc_environment()
    col = open_collection(tmp_path / "collection.anki2")
    add_notes(col, [AnkiNote("Basic", ["What is Dynamoose?", "an ODM"], "Dynamoose")], {})
    out = export_package(col, tmp_path / "dyn.apkg", legacy=False)
    col.close()
    with pytest.raises(PackageError, match=r"Anki deck 'Dynamoose' would be deck dynamoose, "):
        _import(out)
    assert not isolated_home.exists() or _files(isolated_home) == {}


def test_cram_answers_come_and_go_without_touching_the_schedule(
    tmp_path: Path, isolated_home: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ankibuild import import_into_anki

    utc_environment()
    (tmp_path / "a").mkdir()
    col = open_collection(tmp_path / "a" / "collection.anki2")
    note = AnkiNote("Basic", ["q", "a"], "Cram", answers=[(0, 3, T0), (0, 3, T0 + 2 * DAY)])
    add_notes(col, [note], {})
    cid = note.card_ids[0]
    # an answer in a filtered deck with rescheduling off: kind 3 (filtered), factor 0
    at_ms = int((T0 + 3 * DAY).timestamp() * 1000)
    col.db.execute("INSERT INTO revlog VALUES (?, ?, -1, 1, 0, 0, 0, 7000, 3)", at_ms, cid)
    stability, difficulty = memory_state(col, cid)
    package = export_package(col, tmp_path / "cram.apkg", legacy=False)
    col.close()

    report = _import(package)
    assert (report.reviews, report.cram) == (2, 1)
    row = _cards_json(runner, monkeypatch, "cram")[("cram", f"anki-{note.note_id}")]
    assert row["stability"] == pytest.approx(stability, rel=1e-3)
    assert row["difficulty"] == pytest.approx(difficulty, abs=5e-3)
    history = runner.invoke(app, ["progress", "export"]).stdout
    assert '"action": "cram"' in history or '"action":"cram"' in history

    # and back to Anki as the same kind of row
    out = tmp_path / "back.apkg"
    assert runner.invoke(app, ["export", "cram", "--to", str(out)]).exit_code == 0
    (tmp_path / "b").mkdir()
    col = open_collection(tmp_path / "b" / "collection.anki2")
    try:
        import_into_anki(col, out)
        rows = col.db.all("SELECT ease, type, factor, time FROM revlog ORDER BY id")
    finally:
        col.close()
    assert rows[-1] == [1, 3, 0, 7000]
    assert len(rows) == 3
