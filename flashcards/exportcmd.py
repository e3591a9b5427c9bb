"""``flashcards export DECK ... --to FILE.apkg|FILE.csv``: decks out, for Anki or a sheet.

An ``.apkg`` holds the decks' notes, their cards' states and the review history
(:mod:`flashcards.ankiwrite`); a ``.csv`` one row per entry: question (or cloze text),
answer (or extra), tags, with the headers of Anki's "Notes in Plain Text" so Anki and
``flashcards import`` read it back. Nothing but the output file is written, atomically.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from flashcards.errors import UsageError
from flashcards.model import Deck, note_of

if TYPE_CHECKING:
    from flashcards.catalog import Catalog
    from flashcards.config import Settings
    from flashcards.stores import Store

FORMATS = (".apkg", ".csv")


def csv_bytes(decks: Iterable[Deck]) -> bytes:
    """One row per deck entry (a reversed entry once, a cloze entry once) as Anki's
    "Notes in Plain Text": note type, deck name, question (or cloze text), answer (or
    extra), tags separated by spaces (the deck's own too), under Anki's ``#`` headers
    so that Anki and ``flashcards import`` read each row as the same kind of card."""
    from flashcards.ankiwrite import entries_of

    out = io.StringIO()
    out.write("#separator:comma\n#html:false\n#notetype column:1\n#deck column:2\n#tags column:5\n")
    writer = csv.writer(out, lineterminator="\n")
    for deck in decks:
        for entry in entries_of(deck):
            writer.writerow([entry.notetype, deck.name, *entry.fields, " ".join(entry.tags)])
    return out.getvalue().encode("utf-8")


def run(
    settings: Settings,
    catalog: Catalog,
    store: Store,
    names: Sequence[str],
    target: Path,
    now: datetime,
) -> str:
    """Write the named decks (all when none) to ``target``; returns the line to print.

    ``UsageError`` for an unknown format, a folder or an unwritable place; nothing is
    written then (the file is replaced in one step once complete)."""
    from flashcards.fsutil import write_atomically

    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(f"--to {target}: name a .apkg or .csv file")
    if target.is_dir():
        raise UsageError(f"--to {target}: is a folder; name a file")
    if not target.parent.is_dir():
        raise UsageError(f"--to {target}: the folder {target.parent} does not exist")
    infos = catalog.select(list(names))
    decks = [catalog.deck(info.id) for info in infos]
    if not decks:
        raise UsageError("no decks to export")
    if suffix == ".csv":
        data = csv_bytes(decks)
        entries = sum(len({note_of(card.id) for card in deck.cards}) for deck in decks)
        message = (
            f"Wrote {counted(entries, 'entry', 'entries')} of {counted(len(decks), 'deck')} "
            f"to {target}."
        )
    else:
        data, message = _package(settings, catalog, store, decks, target, now)
    try:
        write_atomically(target, data)
    except OSError as exc:
        raise UsageError(f"--to {target}: cannot write ({exc.strerror or exc})") from None
    return message


def _package(
    settings: Settings,
    catalog: Catalog,
    store: Store,
    decks: list[Deck],
    target: Path,
    now: datetime,
) -> tuple[bytes, str]:
    from flashcards.ankiwrite import package_bytes
    from flashcards.tags import is_leech

    ids = [deck.id for deck in decks]
    wanted = set(ids)
    states = store.load_states(ids)
    flags = store.flags(ids)
    options = settings.deck_options(catalog)
    leeches = {
        key for key, state in states.items() if is_leech(state, options(key[0]).leech_threshold)
    }
    reviews = (review for review in store.reviews() if review.deck in wanted)
    data, summary = package_bytes(
        decks, reviews, states, flags, settings.home / "media", now, leeches=leeches
    )
    message = (
        f"Wrote {counted(summary.decks, 'deck')}, {counted(summary.notes, 'note')}, "
        f"{counted(summary.cards, 'card')}, {counted(summary.reviews, 'review')} and "
        f"{counted(summary.media, 'media file')} to {target}."
    )
    if summary.missing_media:
        message += f" Not found, left out: {', '.join(summary.missing_media)}."
    return data, message


def counted(number: int, one: str, many: str | None = None) -> str:
    """``1 deck``, ``2 decks``, ``1 entry``, ``0 entries``."""
    return f"{number} {one if number == 1 else many or one + 's'}"
