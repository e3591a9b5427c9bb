"""Deck files: the built-in decks, the format, and a file:line message for every bad input."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from flashcards import decks
from flashcards.decks import builtin_deck_folder, card_id_from_question, deck_files, parse_deck
from flashcards.errors import DeckError
from flashcards.model import Card, Deck

NOTES = Path(__file__).resolve().parents[2] / "shared" / "notes" / "aws-api-dynamo-lambda.md"
BUILTIN = {"aws-api-gateway": 5, "aws-dynamodb": 3, "dynamoose": 2}


def load(path: Path) -> Deck:
    return parse_deck(path, path.read_bytes())


def builtin_decks() -> list[Deck]:
    return [load(path) for path in deck_files([builtin_deck_folder()])]


def notes_text() -> str:
    if not NOTES.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{NOTES} is missing")
        pytest.skip(f"{NOTES} is not here")
    return NOTES.read_text(encoding="utf-8")


def notes_cards() -> list[tuple[str, str]]:
    """(question, answer) for every ``> ### N. question`` line of the notes."""
    found: list[tuple[str, str]] = []
    question: str | None = None
    body: list[str] = []
    for line in [*notes_text().splitlines(), "> #"]:
        if line.lstrip().startswith(">"):
            if question is not None:
                found.append((question, "\n".join(body).strip()))
                question, body = None, []
            heading = re.match(r"\s*>\s*###\s+\d+\.\s+(.+?)\s*$", line)
            if heading:
                question = heading.group(1)
        elif question is not None:
            body.append(line)
    return found


# --- the built-in decks -------------------------------------------------------------------


def test_builtin_decks_are_the_three_from_the_notes_with_ten_cards() -> None:
    loaded = builtin_decks()
    assert {deck.id: len(deck.cards) for deck in loaded} == BUILTIN
    assert sum(len(deck.cards) for deck in loaded) == 10
    for deck in loaded:
        assert deck.name.strip() and deck.description.strip()
        assert Path(deck.path).stem == deck.id
        assert all(card.deck == deck.id for card in deck.cards)


def test_every_question_of_the_notes_is_a_card_with_the_notes_answer() -> None:
    expected = notes_cards()
    assert len(expected) == 10  # the parser of the notes found them all
    cards = {card.question: card for deck in builtin_decks() for card in deck.cards}
    for question, answer in expected:
        assert question in cards, f"no card asks {question!r}"
        card = cards[question]
        list_lines = [line for line in answer.splitlines() if line.startswith("- ")]
        if list_lines:
            # a Markdown list in the notes stays a Markdown list, one item per line
            assert card.answer.splitlines() == list_lines
        else:
            assert " ".join(card.answer.split()) == " ".join(answer.split())


def test_list_answers_of_the_notes_exist_and_stay_lists() -> None:
    with_lists = [a for _, a in notes_cards() if any(x.startswith("- ") for x in a.splitlines())]
    assert len(with_lists) == 2
    cards = {card.id: card for deck in builtin_decks() for card in deck.cards}
    for card_id in ("dynamodb-over-mongodb", "dynamoose-key-features"):
        lines = cards[card_id].answer.splitlines()
        assert len(lines) >= 2 and all(line.startswith("- ") for line in lines)


def test_builtin_card_ids_are_unique_explicit_and_stable() -> None:
    first = builtin_decks()
    second = builtin_decks()
    assert first == second
    keys = [(card.deck, card.id) for deck in first for card in deck.cards]
    assert len(keys) == len(set(keys)) == 10
    ids = [card.id for deck in first for card in deck.cards]
    assert len(ids) == len(set(ids))  # unique across decks too
    # Written in the files, so rewording a question keeps the card's progress.
    for deck in first:
        raw = yaml.safe_load(Path(deck.path).read_text(encoding="utf-8"))
        assert [card["id"] for card in raw["cards"]] == [card.id for card in deck.cards]


def test_builtin_deck_folder_holds_only_decks() -> None:
    folder = builtin_deck_folder()
    assert folder.is_dir()
    assert sorted(p.stem for p in deck_files([folder])) == sorted(BUILTIN)


# --- the format ---------------------------------------------------------------------------

FULL = """\
# a comment
name: "  My Deck  "
description: >-
  Two lines
  folded.
tags: [aws, api]
cards:
  - id: first
    question: What is one?
    answer: |-
      - a
      - b
    tags: [easy]
  - question: "  Without an id?  "
    answer: 42
"""


def test_full_deck_is_read_field_by_field(tmp_path: Path) -> None:
    path = tmp_path / "my-deck.yml"
    path.write_text(FULL, encoding="utf-8")
    deck = load(path)
    assert deck.id == "my-deck"
    assert deck.name == "My Deck"
    assert deck.path == str(path)
    assert deck.description == "Two lines folded."
    assert deck.tags == ("aws", "api")
    first, second = deck.cards
    assert first == Card("my-deck", "first", "What is one?", "- a\n- b", ("easy",))
    assert second.question == "Without an id?"
    assert second.answer == "42"
    assert second.tags == ()
    assert second.id == card_id_from_question("Without an id?")


def test_deck_id_is_the_file_stem_and_name_defaults_to_it(tmp_path: Path) -> None:
    path = tmp_path / "kubernetes-basics.yaml"
    path.write_text("cards:\n  - question: q\n    answer: a\n", encoding="utf-8")
    deck = load(path)
    assert deck.id == deck.name == "kubernetes-basics"
    assert deck.cards[0].deck == "kubernetes-basics"


def test_derived_card_id_is_stable_and_follows_the_question(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("cards:\n  - question: What is S3?\n    answer: storage\n", encoding="utf-8")
    first = load(path).cards[0].id
    assert first == load(path).cards[0].id == card_id_from_question("What is S3?")
    assert re.fullmatch(r"what-is-s3-[0-9a-f]{8}", first)
    path.write_text("cards:\n  - question: What is S3 for?\n    answer: storage\n", "utf-8")
    assert load(path).cards[0].id != first
    # a changed answer keeps the id
    path.write_text("cards:\n  - question: What is S3?\n    answer: objects\n", encoding="utf-8")
    assert load(path).cards[0].id == first


def test_card_id_from_question_differs_for_questions_with_the_same_slug() -> None:
    a, b = card_id_from_question("What is S3?"), card_id_from_question("what is s3")
    assert a != b
    assert a.rsplit("-", 1)[0] == b.rsplit("-", 1)[0] == "what-is-s3"
    assert card_id_from_question("???").startswith("card-")
    assert len(card_id_from_question("word " * 100)) <= 40 + 9


def test_plain_values_stay_as_written(tmp_path: Path) -> None:
    # YAML 1.1 would read these as 493, 1.1, False, a date and True.
    path = tmp_path / "d.yaml"
    path.write_text(
        "name: 2024\n"
        "cards:\n"
        "  - question: chmod for rwxr-xr-x?\n    answer: 0755\n"
        "  - question: Version?\n    answer: 1.10\n    id: 7\n"
        "  - question: Is DynamoDB relational?\n    answer: no\n    tags: [yes, 2001-01-01]\n",
        encoding="utf-8",
    )
    deck = load(path)
    assert deck.name == "2024"
    assert [card.answer for card in deck.cards] == ["0755", "1.10", "no"]
    assert deck.cards[1].id == "7"
    assert deck.cards[2].tags == ("yes", "2001-01-01")


def test_rich_markup_and_escape_sequences_are_kept_as_literal_text(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(
        'cards:\n  - question: "[red]x[/red] [bold]"\n    answer: "before \\e[31m after"\n',
        encoding="utf-8",
    )
    card = load(path).cards[0]
    assert card.question == "[red]x[/red] [bold]"
    assert card.answer == "before \x1b[31m after"


def test_the_ui_shows_control_characters_instead_of_obeying_them() -> None:
    from flashcards.ui import safe_text

    shown = safe_text("before \x1b[31m after\x07 [red]x[/red]\n\ttab")
    assert shown == "before \\x1b[31m after\\x07 [red]x[/red]\n\ttab"
    assert "\x1b" not in shown


# --- bad input: every message names the file, the line and the field ------------------------


def deck_error(tmp_path: Path, text: str | bytes, name: str = "bad.yaml") -> tuple[Path, str]:
    path = tmp_path / name
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    with pytest.raises(DeckError) as caught:
        load(path)
    message = str(caught.value)
    assert "\n" not in message  # the command layer prints it as one line
    return path, message


CARDS = "cards:\n  - id: fine\n    question: q\n    answer: a\n"
HEAD = "# a deck\nname: Bad\n" + CARDS  # lines 1-6; a bad card added after it is on line 7


@pytest.mark.parametrize(
    ("case", "text", "line", "fragments"),
    [
        ("malformed", HEAD + "  - question: a: b\n    answer: x\n", 7, ["malformed YAML"]),
        (
            "unclosed bracket",
            HEAD + "  - question: q2\n    tags: [a, b\n    answer: x\n",
            9,
            ["malformed YAML", "at line 8"],
        ),
        (
            "unclosed quote",
            HEAD + '  - question: "q2\n    answer: x\n',
            9,
            ["malformed YAML", "at line 7"],
        ),
        ("missing question", HEAD + "  - id: two\n    answer: x\n", 7, ["`question`"]),
        ("missing answer", HEAD + "  - id: two\n    question: x\n", 7, ["`answer`"]),
        ("empty question", HEAD + "  - question: '  '\n    answer: x\n", 7, ["`question`"]),
        (
            "duplicate id",
            HEAD + "  - question: q2\n    answer: a2\n    id: fine\n",
            9,
            ["card id 'fine'", "twice", "card 1"],
        ),
        (
            "duplicate derived id",
            HEAD + "  - question: q\n    answer: a\n  - question: q\n    answer: b\n",
            9,
            ["card id 'q-", "twice", "card 2"],
        ),
        ("unknown deck key", HEAD + "hint: x\n", 7, ["unknown key 'hint'"]),
        ("unknown deck key 2", "name: x\nversion: 2\n" + CARDS, 2, ["'version'"]),
        ("unknown card key", HEAD + "    hint: x\n", 7, ["unknown card key 'hint'"]),
        ("empty cards", "# c\nname: x\ncards: []\n", 3, ["no cards", "`cards:`"]),
        ("no cards", "# c\nname: x\n", 2, ["no cards", "`cards:`"]),
        ("cards not a list", "name: x\ncards:\n  question: q\n", 2, ["`cards`", "list"]),
        ("deck is a list", "# c\n- name: x\n- cards: []\n", 2, ["mapping", "a list"]),
        ("deck is text", "# c\n\njust some text\n", 3, ["mapping", "text"]),
        ("card is text", HEAD + "  - just text\n", 7, ["card", "mapping", "text"]),
        ("question is a list", HEAD + "  - question: [a, b]\n    answer: x\n", 7, ["`question`"]),
        ("answer is a mapping", HEAD + "  - question: q2\n    answer: {a: b}\n", 8, ["`answer`"]),
        (
            "id with spaces",
            HEAD + "  - question: q2\n    id: two words\n    answer: a\n",
            8,
            ["`id`"],
        ),
        ("id with slash", HEAD + "  - question: q2\n    answer: a\n    id: a/b\n", 9, ["`id`"]),
        (
            "id ending in newline",
            HEAD + '  - question: q2\n    id: "two\\n"\n    answer: a\n',
            8,
            ["`id`"],
        ),
        ("card tags", HEAD + "    tags: easy\n", 7, ["`tags`"]),
        ("tag of two words", HEAD + "    tags: [ok, two words]\n", 7, ["`tags`"]),
        ("empty deck tag", 'tags: [""]\n' + HEAD, 1, ["`tags`"]),
        ("deck tags", "tags: [[a]]\n" + HEAD, 1, ["`tags`"]),
        ("name", "name: [x]\n" + CARDS, 1, ["`name`"]),
        ("description", "description: [x]\n" + HEAD, 1, ["`description`"]),
        ("repeated card key", HEAD + "    answer: b\n", 7, ["'answer'", "twice"]),
        ("repeated deck key", HEAD + "cards:\n  - question: q\n    answer: a\n", 7, ["'cards'"]),
        ("two documents", HEAD + "---\nname: y\n", 7, ["malformed YAML", "document"]),
        ("raw escape byte", HEAD + "  - question: q2\n    answer: a\x1b[31m\n", 8, ["U+001B"]),
    ],
)
def test_bad_deck_message_names_file_line_and_field(
    tmp_path: Path, case: str, text: str, line: int, fragments: list[str]
) -> None:
    path, message = deck_error(tmp_path, text)
    assert message.startswith(f"{path}:{line}: "), message
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "~\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path, message = deck_error(tmp_path, text, "empty.yaml")
    assert message.startswith(f"{path}:1: ")
    assert "empty" in message and "`cards`" in message


@pytest.mark.parametrize(
    "tagged",
    [
        '!!python/object/apply:os.system ["touch {marker}"]',
        '!!python/object/new:os.system ["touch {marker}"]',
        "!!python/name:os.system",
        '!!python/object/apply:subprocess.check_call [["touch", "{marker}"]]',
    ],
)
def test_python_tags_are_refused_and_never_run(tmp_path: Path, tagged: str) -> None:
    marker = tmp_path / "marker"
    text = HEAD + f"  - question: q2\n    answer: {tagged.format(marker=marker)}\n"
    path, message = deck_error(tmp_path, text)
    assert message.startswith(f"{path}:8: ")
    assert "tags that build objects are not allowed" in message
    assert "python/" in message
    assert not marker.exists()


def test_python_tag_as_the_whole_document_is_refused_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    path, message = deck_error(
        tmp_path, f'# c\n!!python/object/apply:os.system ["touch {marker}"]\n'
    )
    assert message.startswith(f"{path}:2: ")
    assert "not allowed" in message
    assert not marker.exists()


def test_file_over_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = HEAD + "  - question: q2\n    answer: a2\n"
    monkeypatch.setattr(decks, "MAX_DECK_BYTES", len(good.encode()) - 1)
    path, message = deck_error(tmp_path, good, "big.yaml")
    # the whole file is at fault, so there is no line: the sizes say what is wrong
    assert message.startswith(f"{path}: ")
    assert f"{len(good.encode()):,} bytes" in message
    assert f"{len(good.encode()) - 1:,}-byte limit" in message
    monkeypatch.setattr(decks, "MAX_DECK_BYTES", len(good.encode()))
    assert len(load(path).cards) == 2  # exactly at the limit is fine


def test_non_utf8_bytes(tmp_path: Path) -> None:
    data = HEAD.encode() + b"  - question: caf\xe9\n    answer: a\n"
    path, message = deck_error(tmp_path, data)
    assert message.startswith(f"{path}:7: ")
    assert "not UTF-8" in message
    bad_byte = data.index(b"\xe9")
    assert f"byte {bad_byte}" in message


def test_utf8_with_byte_order_mark_and_crlf_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "windows.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + HEAD.replace("\n", "\r\n").encode())
    deck = load(path)
    assert deck.name == "Bad"
    assert deck.cards[0] == Card("windows", "fine", "q", "a")


# --- finding deck files ---------------------------------------------------------------------


def test_deck_files_lists_yaml_and_yml_sorted_and_skips_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "decks"
    folder.mkdir()
    for name in ("b.yml", "a.yaml", "c.yaml~", "notes.md", "d.json", "e.YAML.bak"):
        (folder / name).write_text("x")
    (folder / "dir.yaml").mkdir()
    (folder / "dir.yaml" / "nested.yaml").write_text("x")
    single = tmp_path / "single.yaml"
    single.write_text("x")
    assert deck_files([folder, single, tmp_path / "missing"]) == [
        folder / "a.yaml",
        folder / "b.yml",
        single,
    ]


def test_deck_files_keeps_a_file_named_twice_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("x")
    (tmp_path / "b.yaml").write_text("x")
    (tmp_path / "sub").mkdir()
    assert deck_files([tmp_path / "b.yaml", tmp_path, tmp_path / "sub" / ".." / "a.yaml"]) == [
        tmp_path / "b.yaml",
        tmp_path / "a.yaml",
    ]
