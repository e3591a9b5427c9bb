"""``flashcards add``: one card appended to a deck file, the rest of the file untouched.

The deck is found on the search path by its id; a deck not found is made in
``$FLASHCARDS_HOME/decks``. Built-in decks are never changed. With no card text on the
command line the learner writes the card in the editor, from a template.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flashcards.errors import DeckError, UsageError

if TYPE_CHECKING:
    from flashcards.config import Settings
    from flashcards.model import Deck

#: A deck id makes a file name: letters (of any script), digits, ``_``, ``.`` and ``-``.
DECK_ID = re.compile(r"[^\W_][\w.-]*")


def deck_slug(name: str, default: str) -> str:
    """A deck id from a name (a file's or an Anki deck's): lower case, accents dropped
    (``Français`` -> ``francais``; other scripts kept), every other run of characters
    as ``-`` (``Lang::French verbs`` -> ``lang-french-verbs``); ``default`` when
    nothing is left."""
    import unicodedata

    letters = "".join(
        char
        for char in unicodedata.normalize("NFKD", name.lower())
        if not unicodedata.combining(char)
    )
    slug = re.sub(r"[\W_]+", "-", letters).strip("-")
    return slug or default


#: What the editor template may hold (the keys of one ``cards:`` entry).
ENTRY_KEYS = ("id", "question", "answer", "cloze", "extra", "tags", "reverse", "typed")
_FLAGS = ("reverse", "typed")


@dataclass(frozen=True)
class Added:
    """Where the card went: the deck file, the new entry's id, and whether the file is new."""

    path: Path
    card_id: str
    created: bool


@dataclass(frozen=True)
class DeckPlace:
    """The file of a deck id: found on the search path (``exists``), or where a new one goes."""

    path: Path
    exists: bool
    builtin: bool


def deck_place(settings: Settings, deck_id: str) -> DeckPlace:
    """The deck file ``deck_id`` names on the search path (the first, as the catalog
    takes it), or ``$FLASHCARDS_HOME/decks/<id>.yaml`` for a deck not there yet."""
    from flashcards.deckpaths import builtin_deck_folder, deck_files

    if not DECK_ID.fullmatch(deck_id):
        raise UsageError(
            f"deck id {deck_id!r}: use letters, digits, '_', '.' and '-' (it names the file)"
        )
    builtin = builtin_deck_folder().resolve()
    for path in deck_files(settings.deck_path):
        if path.stem == deck_id:
            return DeckPlace(path, True, path.resolve().parent == builtin)
    folder = new_deck_folder(settings)
    if folder is None:
        raise UsageError(
            f"deck {deck_id!r} does not exist, and the search path (--decks or "
            "FLASHCARDS_DECKS) names deck files alone: a deck made anywhere else would "
            "not be on the search path; add a folder to it"
        )
    return DeckPlace(folder / f"{deck_id}.yaml", False, False)


def new_deck_folder(settings: Settings) -> Path | None:
    """Where a new deck is made: the first folder of one's own on the search path
    (``$FLASHCARDS_HOME/decks`` unless ``--decks`` or FLASHCARDS_DECKS replace it), so
    that the other commands find it; ``None`` when the path names deck files alone."""
    from flashcards.deckpaths import DECK_SUFFIXES, builtin_deck_folder

    builtin = builtin_deck_folder().resolve()
    own = settings.home / "decks"
    for entry in settings.deck_path:
        folder = entry == own or (entry.suffix not in DECK_SUFFIXES and entry.is_dir())
        if folder and entry.resolve() != builtin:
            return entry
    return None


def builtin_hint(place: DeckPlace, settings: Settings) -> UsageError:
    """The one-line refusal for a built-in deck, saying what to do instead."""
    own = settings.home / "decks"
    return UsageError(
        f"{place.path.stem} is a built-in deck and is not changed; copy it into {own} "
        f"under a new name (cp {place.path} {own}/my-{place.path.name}) and add cards there, "
        "or keep its name and set builtin_decks = false in config.toml"
    )


def existing_deck(path: Path, data: bytes) -> Deck:
    """A deck file a card may be added to, parsed; ``DeckError`` for a broken one,
    ``UsageError`` for one made by ``flashcards import`` (the next import of its notes
    would take the card out again)."""
    from flashcards.decks import parse_deck
    from flashcards.deckwrite import imported_from

    deck = parse_deck(path, data)
    source = imported_from(data.decode())
    if source is not None:
        raise UsageError(
            f"{path} is made by `flashcards import` from {source}: add the card to those "
            "notes and import them again (the next import would remove it from here)"
        )
    return deck


def add_entry(settings: Settings, deck_id: str, entry: dict[str, Any]) -> Added:
    """Append ``entry`` (the fields of one ``cards:`` item) to deck ``deck_id``, giving it
    a fresh id unless it has one; a deck not found is created. The file is written
    only if the result is a valid deck, atomically; every other byte stays as it was."""
    from flashcards.decks import parse_deck
    from flashcards.deckwrite import append_entry, fresh_entry_id, new_deck_text, write_deck_file

    place = deck_place(settings, deck_id)
    if place.builtin:
        raise builtin_hint(place, settings)
    entry = {key: value for key, value in entry.items() if value not in (None, "", [], False)}
    text_of_card = entry.get("question") or entry.get("cloze") or ""
    if not place.exists:
        entry.setdefault("id", fresh_entry_id(None, text_of_card))
        with _entry_errors():
            text = new_deck_text(deck_id, [entry])
            parse_deck(place.path, text.encode())
        write_deck_file(place.path, text, create_only=True)
        return Added(place.path, entry["id"], True)
    try:
        before = place.path.read_bytes()
    except OSError as exc:
        raise DeckError(f"{place.path}: cannot read ({exc.strerror})") from None
    deck = existing_deck(place.path, before)
    if "id" in entry:
        taken = {card.id.partition("/")[0] for card in deck.cards}
        if entry["id"] in taken:
            raise UsageError(f"--id {entry['id']!r}: deck {deck_id} already has a card with it")
    else:
        entry["id"] = fresh_entry_id(deck, text_of_card)
    with _entry_errors():
        new_text = append_entry(place.path, before.decode(), entry)
    if place.path.read_bytes() != before:
        raise UsageError(f"{place.path} changed while the card was added; add it again")
    write_deck_file(place.path, new_text)
    return Added(place.path, entry["id"], False)


class EntryError(UsageError):
    """The new card is not valid (the deck file is fine); the message says why."""


@contextlib.contextmanager
def _entry_errors() -> Iterator[None]:
    """The deck parser's error about the new entry, without the file and line of a
    text that is never written."""
    try:
        yield
    except DeckError as exc:
        raise EntryError(f"the card was not added: {_LOCATION.sub('', str(exc))}") from None


_LOCATION = re.compile(r"^.*?:\d+: ")


# --- the editor template ---------------------------------------------------------------------


def template(deck_id: str) -> str:
    """What the editor shows for a new card: comments, then ``question`` and ``answer``."""
    return (
        f"# A new card for the deck {deck_id}. Write the question and the answer below,\n"
        "# in Markdown, indented under the `|`. Save and close to add it; leave the text\n"
        "# as it is, or empty the file, to add nothing.\n"
        "# Also possible: tags: [word, word]   reverse: true   typed: true\n"
        '# or, instead of question and answer, a cloze card: cloze: "{{c1::hidden}} text"\n'
        "question: |\n"
        "  \n"
        "answer: |\n"
        "  \n"
    )


#: The template's line where the question is written (the editor opens there).
TEMPLATE_QUESTION_LINE = 7


def entry_from_template(path: Path, text: str, original: str) -> dict[str, Any] | None:
    """The entry the learner wrote in the template, or ``None`` when the text was left
    as it was or holds nothing. ``UsageError`` naming ``path`` when it is not one entry."""
    import yaml

    if text == original or not _without_comments(text).strip():
        return None
    try:
        # Every value as text, as the deck parser reads it: `0755` stays 0755.
        raw = yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise UsageError(f"{where}: malformed YAML ({getattr(exc, 'problem', exc)})") from None
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise UsageError(f"{path}:1: write `question:` and `answer:` (or `cloze:`) lines")
    entry: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in ENTRY_KEYS:
            raise UsageError(f"{path}: unknown key {key!r} (allowed: {', '.join(ENTRY_KEYS)})")
        if key == "tags":
            tags = value if isinstance(value, list) else value.split()
            entry[key] = [str(tag) for tag in tags if str(tag).strip()]
        elif key in _FLAGS:
            if str(value).lower() not in ("true", "false", ""):
                raise UsageError(f"{path}: `{key}` must be true or false")
            entry[key] = str(value).lower() == "true"
        elif isinstance(value, str):
            entry[key] = value.strip()
        else:
            raise UsageError(f"{path}: `{key}` must be text")
    if not any(entry.get(key) for key in ("question", "answer", "cloze")):
        return None
    return entry


def _without_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def write_in_editor(deck_id: str) -> tuple[dict[str, Any] | None, Path]:
    """Open the learner's editor on the template; the entry written (or ``None``) and the
    temp file (the caller removes it once the card is added, or keeps it on an error)."""
    import subprocess

    from flashcards.editing import editor_command

    original = template(deck_id)
    fd, name = tempfile.mkstemp(prefix=f"flashcards-{deck_id}-", suffix=".yaml")
    path = Path(name)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(original)
    command = editor_command(path, TEMPLATE_QUESTION_LINE, os.environ)
    try:
        status = subprocess.run(command, check=False).returncode
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise UsageError(f"cannot start the editor {command[0]!r} ({exc.strerror})") from None
    if status != 0:
        path.unlink(missing_ok=True)
        raise UsageError(f"the editor {command[0]!r} exited with status {status}; nothing added")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read what was written ({exc})") from None
    return entry_from_template(path, text, original), path


# --- the command -----------------------------------------------------------------------------


def add_card(
    settings: Settings,
    deck: str,
    *,
    question: str | None = None,
    answer: str | None = None,
    cloze: str | None = None,
    extra: str | None = None,
    tags: list[str] | None = None,
    reverse: bool = False,
    typed: bool = False,
    card_id: str | None = None,
) -> str:
    """``flashcards add``: check the options, add the card (written in the editor when
    neither ``question``/``answer`` nor ``cloze`` is given) and say what was done."""
    given = {
        "question": question,
        "answer": answer,
        "cloze": cloze,
        "extra": extra,
        "id": card_id,
        "tags": list(tags or []),
        "reverse": reverse,
        "typed": typed,
    }
    if cloze is not None and (question is not None or answer is not None):
        raise UsageError("give either --cloze or --question and --answer, not both")
    if cloze is not None and reverse:
        raise UsageError("--reverse does not apply to a --cloze card")
    if extra is not None and cloze is None:
        raise UsageError(
            "--extra goes with --cloze; on a question-and-answer card, put it in --answer"
        )
    for name, value in (("--question", question), ("--answer", answer), ("--cloze", cloze)):
        if value is not None and not value.strip():
            raise UsageError(f"{name} is empty")
    if (question is None) != (answer is None):
        raise UsageError(
            "give both --question and --answer (or neither, to write the card in the editor)"
        )
    kept: Path | None = None
    if question is None and cloze is None:
        place = deck_place(settings, deck)
        if place.builtin:
            raise builtin_hint(place, settings)  # before the learner writes anything
        if place.exists:
            try:
                existing_deck(place.path, place.path.read_bytes())  # say what is wrong first
            except OSError as exc:
                raise DeckError(f"{place.path}: cannot read ({exc.strerror})") from None
        written, kept = write_in_editor(deck)
        if written is None:
            kept.unlink(missing_ok=True)
            return "Nothing added: the template was left unchanged or empty."
        for key in ("tags", "id"):
            if given[key] and key not in written:
                written[key] = given[key]
        written["reverse"] = written.get("reverse") or reverse
        written["typed"] = written.get("typed") or typed
        given = written
    try:
        added = add_entry(settings, deck, given)
    except EntryError as exc:
        if kept is None:
            raise
        raise UsageError(f"{kept}: {exc}; your text is kept there") from None
    if kept is not None:
        kept.unlink(missing_ok=True)
    made = "new deck " if added.created else ""
    return f"Added {deck}/{added.card_id} to {made}{added.path}."
