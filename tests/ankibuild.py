"""Anki packages made with Anki's own engine (the ``anki`` package), for the import and
export tests: notes of every stock note type, media, and a review history written into
the revlog with chosen times (Anki computes its FSRS memory states from that log)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flashcards.model import Review
from flashcards.scheduling import replay

#: Anki's revlog kind for the state a card was in before an answer.
REVLOG_KIND = {0: 0, 1: 0, 2: 1, 3: 2}


@dataclass
class AnkiNote:
    notetype: str
    fields: Sequence[str]
    deck: str = "Default"
    tags: Sequence[str] = ()
    #: (card ord, rating, time) answers, in any order
    answers: Sequence[tuple[int, int, datetime]] = ()
    suspend: Sequence[int] = ()  # card ords
    bury: Sequence[int] = ()
    note_id: int = 0
    card_ids: dict[int, int] = field(default_factory=dict)


def open_collection(path: Path) -> Any:
    from anki.collection import Collection

    col = Collection(str(path))
    col.set_config("fsrs", True)
    return col


def add_notes(col: Any, notes: Sequence[AnkiNote], media: dict[str, bytes]) -> None:
    """Add the notes (and media files), then write each card's answers into the revlog
    with the kinds Anki's scheduler would give them."""
    for name, data in media.items():
        Path(col.media.dir(), name).write_bytes(data)
    for note in notes:
        made = col.new_note(col.models.by_name(note.notetype))
        for index, value in enumerate(note.fields):
            made.fields[index] = value
        made.tags = list(note.tags)
        col.add_note(made, col.decks.id(note.deck))
        note.note_id = made.id
        note.card_ids = {card.ord: card.id for card in made.cards()}
    for note in notes:
        _write_revlog(col, note)
        for ord_ in note.suspend:
            col.sched.suspend_cards([note.card_ids[ord_]])
        for ord_ in note.bury:
            col.sched.bury_cards([note.card_ids[ord_]], manual=True)


def _write_revlog(col: Any, note: AnkiNote) -> None:
    by_card: dict[int, list[tuple[int, datetime]]] = {}
    for ord_, rating, at in note.answers:
        by_card.setdefault(ord_, []).append((rating, at))
    for ord_, answers in by_card.items():
        cid = note.card_ids[ord_]
        plain = [
            Review(f"{cid}-{i}", "d", str(cid), rating, at, 5000)
            for i, (rating, at) in enumerate(sorted(answers, key=lambda a: a[1]))
        ]
        for review in replay(plain).reviews:
            assert review.state is not None
            col.db.execute(
                "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) "
                "VALUES (?, ?, -1, ?, ?, ?, 0, ?, ?)",
                int(review.reviewed_at.timestamp() * 1000),
                cid,
                review.rating,
                review.state.interval,
                review.last_interval or 0,
                review.duration_ms,
                REVLOG_KIND[review.before],
            )


def memory_state(col: Any, cid: int) -> tuple[float, float]:
    """The FSRS (stability, difficulty) Anki computes for a card from its revlog."""
    state = col.compute_memory_state(cid)
    return state.stability, state.difficulty


def export_package(col: Any, out: Path, *, legacy: bool) -> Path:
    from anki.collection import ExportAnkiPackageOptions

    col.export_anki_package(
        out_path=str(out),
        options=ExportAnkiPackageOptions(
            with_scheduling=True, with_deck_configs=True, with_media=True, legacy=legacy
        ),
        limit=None,
    )
    return out


def import_into_anki(col: Any, package: Path) -> Any:
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    return col.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=str(package),
            options=ImportAnkiPackageOptions(with_scheduling=True, with_deck_configs=False),
        )
    )


def utc_environment() -> None:
    """Anki's engine and the import both read the local time zone: UTC for the tests."""
    import time

    os.environ["TZ"] = "UTC"
    time.tzset()
