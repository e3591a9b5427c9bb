"""The catalog: decks on the search path, bad decks collected, and the parsed-deck cache."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from flashcards import catalog as catalog_module
from flashcards.catalog import INDEX, RACY_NS, Catalog, open_catalog
from flashcards.config import load_settings
from flashcards.decks import builtin_deck_folder, parse_deck
from flashcards.errors import DeckError, UsageError
from flashcards.model import Deck

HOUR_NS = 3600 * 1_000_000_000


def deck_text(name: str, *cards: tuple[str, str, str]) -> str:
    lines = [f"name: {name}", "tags: [t1, t2]", "description: About " + name, "cards:"]
    for card_id, question, answer in cards:
        lines += [f"  - id: {card_id}", f"    question: {question}", f"    answer: {answer}"]
    return "\n".join(lines) + "\n"


def write(path: Path, text: str, mtime_ns: int | None = None) -> Path:
    path.write_text(text, encoding="utf-8")
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def parse(path: Path) -> Deck:
    return parse_deck(path, path.read_bytes())


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, any deck parsed (rather than read from the cache) fails the test."""

    def refuse(path: Path, data: bytes) -> Deck:
        raise AssertionError(f"{path} was parsed, not read from the cache")

    monkeypatch.setattr(catalog_module, "parse_deck", refuse)


@pytest.fixture
def mixed(deck_folder: Path) -> Path:
    write(
        deck_folder / "alpha.yaml", deck_text("Alpha", ("a1", "Q a1?", "A a1"), ("a2", "Q?", "A"))
    )
    write(deck_folder / "beta.yml", deck_text("Beta", ("b1", "Q b1?", "A b1")))
    write(deck_folder / "broken.yaml", "name: Broken\ncards:\n  - question: no answer\n")
    write(deck_folder / "notes.txt", "not a deck")
    write(deck_folder / "README.md", "# not a deck")
    write(deck_folder / "alpha.yaml.bak", "not: [a deck")
    write(deck_folder / "gamma.json", "{}")
    (deck_folder / "sub").mkdir()
    write(deck_folder / "sub" / "nested.yaml", deck_text("Nested", ("n", "q", "a")))
    return deck_folder


# --- listing and selecting --------------------------------------------------------------------


@pytest.mark.parametrize("use_cache", [True, False])
def test_good_decks_are_listed_and_the_bad_one_is_reported(
    mixed: Path, cache: Path, use_cache: bool
) -> None:
    catalog = open_catalog([mixed], cache if use_cache else None)
    assert catalog.ids() == ["alpha", "beta"]
    alpha = catalog.info("alpha")
    assert alpha.name == "Alpha"
    assert alpha.description == "About Alpha"
    assert alpha.tags == ("t1", "t2")
    assert alpha.card_ids == ("a1", "a2")
    assert alpha.path == str(mixed / "alpha.yaml")
    assert catalog.info("beta").path == str(mixed / "beta.yml")
    assert len(catalog.errors) == 1
    message = str(catalog.errors[0])
    assert message.startswith(f"{mixed / 'broken.yaml'}:3: ")
    assert "`answer`" in message
    assert catalog.failed == {"broken": catalog.errors[0]}
    assert (cache / INDEX).exists() == use_cache


def test_select_none_gives_every_good_deck(mixed: Path, cache: Path) -> None:
    catalog = open_catalog([mixed], cache)
    assert catalog.select([]) == catalog.infos
    assert [info.id for info in catalog.select([])] == ["alpha", "beta"]


def test_select_names_in_the_order_given_once_each(mixed: Path, cache: Path) -> None:
    catalog = open_catalog([mixed], cache)
    assert [info.id for info in catalog.select(["beta", "alpha", "beta"])] == ["beta", "alpha"]


def test_select_unknown_deck_is_a_usage_error_listing_the_ids(mixed: Path, cache: Path) -> None:
    catalog = open_catalog([mixed], cache)
    with pytest.raises(UsageError) as caught:
        catalog.select(["alpha", "nope"])
    assert "'nope'" in str(caught.value)
    assert "alpha, beta" in str(caught.value)


def test_select_a_broken_deck_raises_its_deck_error(mixed: Path, cache: Path) -> None:
    catalog = open_catalog([mixed], cache)
    with pytest.raises(DeckError) as caught:
        catalog.select(["broken"])
    assert caught.value is catalog.failed["broken"]
    assert str(caught.value).startswith(str(mixed / "broken.yaml"))
    with pytest.raises(DeckError):
        catalog.deck("broken")


def test_empty_search_path(tmp_path: Path, cache: Path) -> None:
    catalog = open_catalog([tmp_path / "missing"], cache)
    assert catalog.ids() == [] and catalog.errors == []
    with pytest.raises(UsageError, match="none"):
        catalog.select(["x"])


def test_same_deck_id_in_two_folders_is_reported_once_used(tmp_path: Path, cache: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    write(first / "d.yaml", deck_text("One", ("x", "q", "a")))
    write(second / "d.yml", deck_text("Two", ("y", "q", "a")))
    catalog = open_catalog([first, second], cache)
    assert [info.name for info in catalog.infos] == ["One"]
    assert len(catalog.errors) == 1
    assert str(catalog.errors[0]).startswith(str(second / "d.yml"))
    assert str(first / "d.yaml") in str(catalog.errors[0])


def test_a_folder_and_a_file_in_it_give_the_deck_once(mixed: Path, cache: Path) -> None:
    catalog = open_catalog([mixed / "beta.yml", mixed], cache)
    assert catalog.ids() == ["beta", "alpha"]
    assert len(catalog.errors) == 1  # only broken.yaml


# --- the search path ------------------------------------------------------------------------


def test_default_search_path_is_the_builtin_decks_then_home(isolated_home: Path) -> None:
    settings = load_settings()
    assert settings.deck_path == (builtin_deck_folder(), isolated_home / "decks")
    assert settings.cache_folder.is_relative_to(isolated_home)


def test_decks_option_replaces_the_search_path(mixed: Path, tmp_path: Path) -> None:
    single = write(tmp_path / "single.yaml", deck_text("Single", ("s", "q", "a")))
    settings = load_settings(decks=[single, mixed])
    assert settings.deck_path == (single, mixed)
    catalog = open_catalog(settings.deck_path, settings.cache_folder)
    assert catalog.ids() == ["single", "alpha", "beta"]
    assert not set(catalog.ids()) & {"aws-api-gateway", "aws-dynamodb", "dynamoose"}


def test_env_decks_replaces_the_search_path(
    mixed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    single = write(tmp_path / "single.yaml", deck_text("Single", ("s", "q", "a")))
    monkeypatch.setenv("FLASHCARDS_DECKS", f"{single}{os.pathsep}{mixed}")
    assert load_settings().deck_path == (single, mixed)
    other = write(tmp_path / "other.yml", deck_text("Other", ("o", "q", "a")))
    assert load_settings(decks=[other]).deck_path == (other,)  # the option wins


def test_missing_decks_path_is_a_usage_error_naming_it(
    mixed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "no-such-folder"
    with pytest.raises(UsageError) as caught:
        load_settings(decks=[mixed, missing])
    assert str(missing) in str(caught.value)
    assert "--decks" in str(caught.value)
    monkeypatch.setenv("FLASHCARDS_DECKS", str(missing))
    with pytest.raises(UsageError) as caught:
        load_settings()
    assert str(missing) in str(caught.value)
    assert "FLASHCARDS_DECKS" in str(caught.value)


# --- the cache ------------------------------------------------------------------------------


@pytest.fixture
def old_deck(deck_folder: Path) -> Path:
    """A deck last changed an hour ago, far outside the cache's racy window."""
    text = deck_text("Old", ("aaaa", "First question?", "First answer"), ("z", "Q?", "A"))
    return write(deck_folder / "old.yaml", text, os.stat(deck_folder).st_mtime_ns - HOUR_NS)


def test_second_open_reads_the_cache(
    old_deck: Path, cache: Path, request: pytest.FixtureRequest
) -> None:
    first = open_catalog([old_deck], cache)
    request.getfixturevalue("no_parsing")
    second = open_catalog([old_deck], cache)
    assert second.infos == first.infos
    assert second.errors == []


def test_a_just_written_deck_is_still_read_from_the_cache_when_unchanged(
    deck_folder: Path, cache: Path, request: pytest.FixtureRequest
) -> None:
    path = write(deck_folder / "new.yaml", deck_text("New", ("n", "q", "a")))
    first = open_catalog([path], cache)
    request.getfixturevalue("no_parsing")
    assert open_catalog([path], cache).infos == first.infos


def test_deck_comes_from_the_cache_in_a_fresh_catalog_identical_to_parsing(
    deck_folder: Path, cache: Path, request: pytest.FixtureRequest
) -> None:
    text = (
        "name: Tricky\ndescription: ünïcødé 💡\ntags: [x]\ncards:\n"
        '  - question: "[red]x[/red] \\e[31m"\n    answer: |-\n      - one\n      - two\n'
        "    tags: [a, b]\n"
        "  - question: No id, 0755?\n    answer: no\n"
    )
    path = write(deck_folder / "tricky.yaml", text)
    expected = parse(path)
    open_catalog([path], cache)
    request.getfixturevalue("no_parsing")
    fresh = open_catalog([path], cache)
    assert isinstance(fresh, Catalog)
    assert fresh.deck("tricky") == expected
    assert fresh.deck("tricky") is fresh.deck("tricky")


def test_deck_from_a_fresh_parse_is_the_parsed_deck(old_deck: Path, cache: Path) -> None:
    assert open_catalog([old_deck], cache).deck("old") == parse(old_deck)
    assert open_catalog([old_deck], None).deck("old") == parse(old_deck)


def edit_same_size(path: Path, old: str, new: str) -> None:
    assert len(old) == len(new)
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text
    with open(path, "r+b") as handle:  # in place: same inode, same size
        handle.write(text.replace(old, new).encode())
    assert path.stat().st_size == before.st_size
    assert path.stat().st_ino == before.st_ino


def test_edit_with_a_new_mtime_is_picked_up(old_deck: Path, cache: Path) -> None:
    open_catalog([old_deck], cache)
    mtime = old_deck.stat().st_mtime_ns
    edit_same_size(old_deck, "aaaa", "bbbb")
    os.utime(old_deck, ns=(mtime + 1_000_000_000, mtime + 1_000_000_000))
    catalog = open_catalog([old_deck], cache)
    assert catalog.info("old").card_ids == ("bbbb", "z")
    assert catalog.deck("old") == parse(old_deck)
    assert open_catalog([old_deck], cache).deck("old").cards[0].id == "bbbb"


@pytest.mark.skipif(sys.platform == "win32", reason="st_ctime is the creation time on Windows")
def test_edit_with_the_mtime_forced_back_is_picked_up(old_deck: Path, cache: Path) -> None:
    open_catalog([old_deck], cache)
    mtime = old_deck.stat().st_mtime_ns
    edit_same_size(old_deck, "First answer", "Other answer")
    os.utime(old_deck, ns=(mtime, mtime))
    assert old_deck.stat().st_mtime_ns == mtime
    catalog = open_catalog([old_deck], cache)
    assert catalog.deck("old").cards[0].answer == "Other answer"
    assert open_catalog([old_deck], cache).deck("old").cards[0].answer == "Other answer"


def test_edit_invisible_to_stat_within_the_racy_window_is_picked_up(
    deck_folder: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file system whose timestamps cannot tell the two writes apart: no change time
    # (as on Windows) and the modification time put back, as a coarse clock would leave it.
    monkeypatch.setattr(
        catalog_module,
        "_stat_key",
        lambda st: [st.st_size, st.st_mtime_ns, 0, st.st_ino],
    )
    path = write(deck_folder / "racy.yaml", deck_text("Racy", ("aaaa", "q", "first")))
    open_catalog([path], cache)
    key = catalog_module._stat_key(path.stat())
    mtime = path.stat().st_mtime_ns
    edit_same_size(path, "first", "other")
    edit_same_size(path, "aaaa", "bbbb")
    os.utime(path, ns=(mtime, mtime))
    assert catalog_module._stat_key(path.stat()) == key  # nothing but the content changed
    catalog = open_catalog([path], cache)
    assert catalog.info("racy").card_ids == ("bbbb",)
    assert catalog.deck("racy").cards[0].answer == "other"
    fresh = open_catalog([path], cache)
    assert fresh.deck("racy").cards[0].answer == "other"


def test_the_racy_window_covers_coarse_file_system_clocks() -> None:
    assert RACY_NS >= 2_000_000_000  # FAT keeps modification times to 2 seconds


def test_file_changed_while_being_parsed_is_parsed_again_next_time(
    old_deck: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_parse = catalog_module.parse_deck

    def parse_then_edit(path: Path, data: bytes) -> Deck:
        deck = real_parse(path, data)
        write(path, deck_text("Old", ("new-card", "New question?", "New answer")))
        return deck

    monkeypatch.setattr(catalog_module, "parse_deck", parse_then_edit)
    assert open_catalog([old_deck], cache).info("old").card_ids == ("aaaa", "z")
    monkeypatch.setattr(catalog_module, "parse_deck", real_parse)
    catalog = open_catalog([old_deck], cache)
    assert catalog.info("old").card_ids == ("new-card",)
    assert catalog.deck("old") == parse(old_deck)


@pytest.mark.parametrize(
    "garbage",
    [b"\x00\xff\xfe garbage \x80", b"", b"[1, 2]", b'{"schema": 1, "entries": []}', b"[" * 100_000],
)
def test_corrupt_index_is_ignored_and_rebuilt(
    mixed: Path, cache: Path, garbage: bytes, request: pytest.FixtureRequest
) -> None:
    first = open_catalog([mixed], cache)
    (cache / INDEX).write_bytes(garbage)
    second = open_catalog([mixed], cache)
    assert second.infos == first.infos
    assert [str(e) for e in second.errors] == [str(e) for e in first.errors]
    assert second.deck("alpha") == parse(mixed / "alpha.yaml")
    assert (
        catalog_module._unseal((cache / INDEX).read_bytes())["schema"]
        == catalog_module.CACHE_SCHEMA
    )
    request.getfixturevalue("no_parsing")  # broken.yaml is never cached: leave it out
    third = open_catalog([mixed / "alpha.yaml", mixed / "beta.yml"], cache)
    assert third.infos == first.infos
    assert third.deck("beta") == first.deck("beta")


def test_index_entries_of_the_wrong_shape_are_ignored(old_deck: Path, cache: Path) -> None:
    first = open_catalog([old_deck], cache)
    index = catalog_module._unseal((cache / INDEX).read_bytes())
    for entry in index["entries"].values():
        entry["info"] = "not a mapping"
    (cache / INDEX).write_bytes(catalog_module._seal(index))  # sealed, but of the wrong shape
    second = open_catalog([old_deck], cache)
    assert second.infos == first.infos
    assert second.deck("old") == parse(old_deck)


def content_files(cache: Path) -> list[Path]:
    return sorted(p for p in cache.glob("*.json") if p.name != INDEX)


@pytest.mark.parametrize("garbage", [b"\xff\x00 not json", b'{"digest": "x", "cards": []}', b""])
def test_corrupt_content_file_is_ignored_and_rebuilt(
    old_deck: Path, cache: Path, garbage: bytes, request: pytest.FixtureRequest
) -> None:
    expected = parse(old_deck)
    open_catalog([old_deck], cache)
    (content,) = content_files(cache)
    content.write_bytes(garbage)
    assert open_catalog([old_deck], cache).deck("old") == expected
    assert catalog_module._unseal(content.read_bytes())["cards"]  # written again
    request.getfixturevalue("no_parsing")
    assert open_catalog([old_deck], cache).deck("old") == expected


def test_missing_content_file_is_rebuilt(
    old_deck: Path, cache: Path, request: pytest.FixtureRequest
) -> None:
    expected = parse(old_deck)
    open_catalog([old_deck], cache)
    (content,) = content_files(cache)
    content.unlink()
    assert open_catalog([old_deck], cache).deck("old") == expected
    assert content.exists()
    request.getfixturevalue("no_parsing")
    assert open_catalog([old_deck], cache).deck("old") == expected


def test_deleted_deck_disappears(mixed: Path, cache: Path) -> None:
    assert "beta" in open_catalog([mixed], cache).ids()
    (mixed / "beta.yml").unlink()
    catalog = open_catalog([mixed], cache)
    assert catalog.ids() == ["alpha"]
    with pytest.raises(UsageError):
        catalog.select(["beta"])


def test_deck_that_turns_bad_is_reported_and_good_again_is_listed(
    old_deck: Path, cache: Path
) -> None:
    open_catalog([old_deck], cache)
    good = old_deck.read_text(encoding="utf-8")
    write(old_deck, good + "  - question: no answer\n")
    bad = open_catalog([old_deck], cache)
    assert bad.ids() == [] and "old" in bad.failed
    assert open_catalog([old_deck], cache).ids() == []  # the old cached copy is not used
    write(old_deck, good)
    assert open_catalog([old_deck], cache).info("old").card_ids == ("aaaa", "z")


def test_deck_file_removed_after_listing_is_a_deck_error(old_deck: Path, cache: Path) -> None:
    open_catalog([old_deck], cache)
    catalog = open_catalog([old_deck], cache)  # listed from the cache, cards not read yet
    for content in content_files(cache):
        content.unlink()
    old_deck.unlink()
    with pytest.raises(DeckError) as caught:
        catalog.deck("old")
    assert str(caught.value).startswith(f"{old_deck}: cannot read")


def test_unwritable_cache_only_costs_speed(mixed: Path, tmp_path: Path) -> None:
    blocker = write(tmp_path / "a-file", "not a folder")
    catalog = open_catalog([mixed], blocker / "cache")
    assert catalog.ids() == ["alpha", "beta"]
    assert catalog.deck("alpha") == parse(mixed / "alpha.yaml")


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def cli_app() -> typer.Typer:
    if importlib.util.find_spec("flashcards.stores.dynamodb") is None:
        pytest.skip("flashcards.stores.dynamodb is not written yet")
    from flashcards.cli import app

    return app


def test_cli_list_decks_json(cli_app: typer.Typer, runner: CliRunner, mixed: Path) -> None:
    result = runner.invoke(cli_app, ["list-decks", "--decks", str(mixed / "alpha.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(row["id"], row["cards"], row["new"]) for row in rows] == [("alpha", 2, 2)]


def test_cli_list_decks_reports_a_bad_deck(
    cli_app: typer.Typer, runner: CliRunner, mixed: Path
) -> None:
    result = runner.invoke(cli_app, ["list-decks", "--decks", str(mixed)])
    # not asked for by name: summed up in one line, the listing itself succeeded
    assert result.exit_code == 0
    assert "Alpha" in result.stdout and "Beta" in result.stdout
    assert result.stderr == "1 deck could not be read (broken) — run `flashcards check`\n"
    named = ["--decks", str(mixed / "alpha.yaml"), "--decks", str(mixed / "broken.yaml")]
    result = runner.invoke(cli_app, ["list-decks", *named])
    assert result.exit_code == 1
    assert result.stderr.count("error: ") == 1
    assert f"error: {mixed / 'broken.yaml'}:3: " in result.stderr


def test_cli_missing_decks_path(cli_app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = runner.invoke(cli_app, ["list-decks", "--decks", str(missing)])
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: --decks")
    assert str(missing) in result.stderr
    assert "Traceback" not in result.output


def test_a_cache_file_changed_outside_the_cache_is_not_trusted(mixed: Path, cache: Path) -> None:
    first = open_catalog([mixed], cache)
    good = first.deck(first.ids()[0])
    contents = [p for p in cache.iterdir() if p.name != "index.json"]
    assert contents
    for path in contents:  # change one character of a card's text in every cached deck
        head, body = path.read_bytes().split(b"\n", 1)
        path.write_bytes(
            head + b"\n" + body.replace(good.cards[0].question.encode(), b"Tampered", 1)
        )
    again = open_catalog([mixed], cache)
    assert again.deck(good.id).cards[0].question == good.cards[0].question
    index = cache / "index.json"
    index.write_bytes(index.read_bytes().replace(b'"name": "', b'"name": "X', 1))
    third = open_catalog([mixed], cache)
    assert third.info(good.id).name == good.name
