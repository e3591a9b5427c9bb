"""Writing decks as an Anki package (``.apkg``) with their review history.

The package is the layout every Anki since 2.1 and AnkiDroid read: a zip holding
``collection.anki21`` (an SQLite collection, schema 11: note types, decks and options as
JSON in the ``col`` table), ``meta`` saying so, and the media files named ``0``, ``1``, ...
with a JSON ``media`` map. Entries map to Anki's stock note types (basic, reversed,
typed, cloze); cards carry their state (type, queue, due, interval, FSRS memory) and
every answer is a revlog row at its millisecond. Each note's guid is ``fc:DECK/ENTRY``
so that the package coming back from Anki lands on the same cards.

Pure: decks, reviews, states and flags in; bytes out (the command writes them).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flashcards.cardkinds import REVERSE_PART
from flashcards.days import day_start, study_date
from flashcards.model import (
    CLOZE,
    CRAM,
    FORGET,
    LEARNING,
    RELEARNING,
    REVIEW,
    Card,
    CardState,
    Deck,
    Flags,
    Review,
    note_of,
)
from flashcards.tags import LEECH

CardKey = tuple[str, str]

#: The start of the guid of every note written here (``fc:DECK/ENTRY``); the import of
#: a package recognises its own notes by it.
GUID_PREFIX = "fc:"

#: (name, stock kind as Anki numbers it, cloze, fields, templates as (name, front, back))
_HR = "{{FrontSide}}\n\n<hr id=answer>\n\n"
NOTE_TYPES: dict[str, tuple[int, bool, tuple[str, ...], tuple[tuple[str, str, str], ...]]] = {
    "Basic": (1, False, ("Front", "Back"), (("Card 1", "{{Front}}", _HR + "{{Back}}"),)),
    "Basic (and reversed card)": (
        2,
        False,
        ("Front", "Back"),
        (("Card 1", "{{Front}}", _HR + "{{Back}}"), ("Card 2", "{{Back}}", _HR + "{{Front}}")),
    ),
    "Basic (type in the answer)": (
        4,
        False,
        ("Front", "Back"),
        (
            (
                "Card 1",
                "{{Front}}\n\n{{type:Back}}",
                "{{Front}}\n\n<hr id=answer>\n\n{{type:Back}}",
            ),
        ),
    ),
    "Cloze": (
        5,
        True,
        ("Text", "Back Extra"),
        (("Cloze", "{{cloze:Text}}", "{{cloze:Text}}<br>\n{{Back Extra}}"),),
    ),
}
_CSS = (
    ".card {\n    font-family: arial;\n    font-size: 20px;\n    line-height: 1.5;\n"
    "    text-align: center;\n    color: black;\n    background-color: white;\n}\n"
)
_CLOZE_CSS = ".cloze {\n    font-weight: bold;\n    color: blue;\n}\n"
_LATEX_PRE = (
    "\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n"
    "\\usepackage[utf8]{inputenc}\n\\usepackage{amssymb,amsmath}\n\\pagestyle{empty}\n"
    "\\setlength{\\parindent}{0in}\n\\begin{document}\n"
)
#: Anki's revlog kind for the state a card was in before an answer.
_REVLOG_KIND = {0: 0, LEARNING: 0, REVIEW: 1, RELEARNING: 2}
_TAG_SPACE = re.compile(r"\s+")
#: Where imported media live, relative to a deck file.
_MEDIA_LINK = re.compile(r"^\.\./media/([^/]+)/([^/]+)$")


@dataclass
class ExportSummary:
    """What a package holds: counts, and the media files referenced but not found."""

    decks: int = 0
    notes: int = 0
    cards: int = 0
    reviews: int = 0
    media: int = 0
    missing_media: list[str] = field(default_factory=list)


@dataclass
class _Entry:
    deck: str
    id: str
    notetype: str
    fields: tuple[str, str]
    tags: tuple[str, ...]
    cards: list[tuple[int, Card]]  # (Anki ord, card)
    markdown: bool


def entries_of(deck: Deck) -> list[_Entry]:
    """A deck's entries with the note type each maps to and its cards by Anki ``ord``."""
    entries: dict[str, _Entry] = {}
    for card in deck.cards:
        entry_id = note_of(card.id)
        entry = entries.get(entry_id)
        if entry is None:
            if card.template == CLOZE:
                notetype, fields = "Cloze", (card.text, card.extra)
            elif card.reversed_too:
                notetype, fields = "Basic (and reversed card)", (card.question, card.answer)
            elif card.typed:
                notetype, fields = "Basic (type in the answer)", (card.question, card.answer)
            else:
                notetype, fields = "Basic", (card.question, card.answer)
            # Anki has no deck tags: the deck's own go on each of its notes.
            tags = tuple(
                dict.fromkeys(_TAG_SPACE.sub("_", tag) for tag in (*deck.tags, *card.tags))
            )
            entry = entries[entry_id] = _Entry(
                deck.id, entry_id, notetype, fields, tags, [], card.markdown
            )
        if card.template == CLOZE:
            entry.cards.append((card.cloze - 1, card))
        else:
            entry.cards.append((1 if card.id.endswith(f"/{REVERSE_PART}") else 0, card))
    return list(entries.values())


def package_bytes(
    decks: Iterable[Deck],
    reviews: Iterable[Review],
    states: Mapping[CardKey, CardState],
    flags: Mapping[CardKey, Flags],
    media_folder: Path,
    now: datetime,
    desired_retention: float = 0.9,
    leeches: Collection[CardKey] = (),
) -> tuple[bytes, ExportSummary]:
    """The ``.apkg`` of ``decks``: their cards with ``states`` and ``flags``, the
    answers and resets among ``reviews`` as revlog rows, and the media their text
    refers to under ``media_folder`` (``$FLASHCARDS_HOME/media``). A note with a card
    among ``leeches`` is tagged ``leech``, as Anki tags its own."""
    decks = list(decks)
    summary = ExportSummary(decks=len(decks))
    with tempfile.TemporaryDirectory(prefix="flashcards-apkg-") as scratch:
        database = Path(scratch) / "collection.anki21"
        db = sqlite3.connect(database)
        try:
            media = _Collection(db, now, desired_retention).fill(
                decks, reviews, states, flags, media_folder, summary, leeches
            )
            db.commit()
        finally:
            db.close()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("meta", b"\x08\x02")  # PackageMetadata: version LEGACY_2
            archive.write(database, "collection.anki21")
            names: dict[str, str] = {}
            for index, (name, path) in enumerate(sorted(media.items())):
                archive.write(path, str(index))
                names[str(index)] = name
            archive.writestr("media", json.dumps(names))
    summary.media = len(media)
    return out.getvalue(), summary


class _Collection:
    """Builds one schema-11 collection in an empty SQLite database."""

    def __init__(self, db: sqlite3.Connection, now: datetime, desired_retention: float) -> None:
        self.db = db
        self.now = now
        self.retention = desired_retention
        self.base_ms = int(now.timestamp() * 1000)
        self.crt = day_start(now) - timedelta(days=3650)  # before any review worth keeping
        self.crt_day = study_date(self.crt)
        self.model_ids = {name: self.base_ms + i for i, name in enumerate(NOTE_TYPES)}
        self.revlog_ids: set[int] = set()
        self.deck_names: dict[int, tuple[str, str]] = {}  # Anki deck id -> (name, description)

    def fill(
        self,
        decks: list[Deck],
        reviews: Iterable[Review],
        states: Mapping[CardKey, CardState],
        flags: Mapping[CardKey, Flags],
        media_folder: Path,
        summary: ExportSummary,
        leeches: Collection[CardKey] = (),
    ) -> dict[str, Path]:
        self.db.executescript(_SCHEMA)
        deck_ids: dict[str, int] = {}
        names_taken: set[str] = {"Default"}
        card_ids: dict[CardKey, int] = {}
        media: dict[str, Path] = {}
        note_id, card_id = self.base_ms, self.base_ms
        for position, deck in enumerate(decks):
            anki_deck = self.base_ms + 1000 + position
            name = deck.name if deck.name not in names_taken else f"{deck.name} ({deck.id})"
            names_taken.add(name)
            deck_ids[deck.id] = anki_deck
            self.deck_names[anki_deck] = (name, deck.description)
            for entry in entries_of(deck):
                note_id += 1
                fields = [
                    self._field(text, entry, media_folder, media, summary) for text in entry.fields
                ]
                if any((deck.id, card.id) in leeches for _, card in entry.cards):
                    entry.tags = (*[t for t in entry.tags if t.lower() != LEECH], LEECH)
                self._note(note_id, entry, fields)
                summary.notes += 1
                for ord_, card in entry.cards:
                    card_id += 1
                    key = (deck.id, card.id)
                    card_ids[key] = card_id
                    self._card(card_id, note_id, anki_deck, ord_, states.get(key), flags.get(key))
                    summary.cards += 1
        self._col()
        for review in sorted(reviews, key=lambda r: r.reviewed_at):
            cid = card_ids.get(review.key)
            if cid is not None and (not review.is_mark or review.action in (FORGET, CRAM)):
                self._revlog(cid, review)
                summary.reviews += 0 if review.is_mark else 1
        return media

    # -- rows --------------------------------------------------------------------------------

    def _field(
        self,
        text: str,
        entry: _Entry,
        media_folder: Path,
        media: dict[str, Path],
        summary: ExportSummary,
    ) -> str:
        from flashcards.htmltext import markdown_to_html, sound_files

        def image_name(source: str) -> str | None:
            link = _MEDIA_LINK.match(source)
            if link is None:
                return None
            self._media(media_folder / link.group(1), link.group(2), media, summary)
            return link.group(2)

        for name in sound_files(text):
            self._media(media_folder / entry.deck, name, media, summary)
        return markdown_to_html(text, entry.markdown, image_name)

    @staticmethod
    def _media(folder: Path, name: str, media: dict[str, Path], summary: ExportSummary) -> None:
        path = folder / name
        if name in media:
            return
        if path.is_file():
            media[name] = path
        elif str(path) not in summary.missing_media:
            summary.missing_media.append(str(path))

    def _note(self, note_id: int, entry: _Entry, fields: list[str]) -> None:
        first = re.sub(r"<[^>]*>", "", fields[0])  # Anki's sort field: text without tags
        checksum = int(hashlib.sha1(first.encode()).hexdigest()[:8], 16)
        tags = f" {' '.join(entry.tags)} " if entry.tags else ""
        self.db.execute(
            "INSERT INTO notes VALUES (?, ?, ?, ?, -1, ?, ?, ?, ?, 0, '')",
            (
                note_id,
                f"{GUID_PREFIX}{entry.deck}/{entry.id}",
                self.model_ids[entry.notetype],
                int(self.now.timestamp()),
                tags,
                "\x1f".join(fields),
                first,
                checksum,
            ),
        )

    def _card(
        self,
        card_id: int,
        note_id: int,
        deck_id: int,
        ord_: int,
        state: CardState | None,
        flags: Flags | None,
    ) -> None:
        kind, queue, due, interval, left, data = 0, 0, note_id - self.base_ms, 0, 0, "{}"
        reps = lapses = 0
        if state is not None:
            kind, interval, reps, lapses, left = (
                int(state.state),
                state.interval,
                state.reps,
                state.lapses,
                state.left,
            )
            if state.due_day is not None:
                queue = 2 if state.state == REVIEW else 3
                due = (state.due_day - self.crt_day).days
            else:
                queue, due = 1, int(state.due.timestamp())
            data = json.dumps(
                {
                    "s": round(state.stability, 4),
                    "d": round(state.difficulty, 4),
                    "dr": self.retention,
                    "lrt": int(state.last_review.timestamp()),
                }
            )
        if flags is not None and flags.suspended:
            queue = -1
        elif flags is not None and flags.buried(self.now):
            queue = -3
        factor = 2500 if state is not None and state.state != LEARNING else 0
        self.db.execute(
            "INSERT INTO cards VALUES (?, ?, ?, ?, ?, -1, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?)",
            (
                card_id,
                note_id,
                deck_id,
                ord_,
                int(self.now.timestamp()),
                kind,
                queue,
                due,
                interval,
                factor,
                reps,
                lapses,
                left,
                data,
            ),
        )

    def _revlog(self, card_id: int, review: Review) -> None:
        revlog_id = int(review.reviewed_at.timestamp() * 1000)
        while revlog_id in self.revlog_ids:  # two answers in one millisecond
            revlog_id += 1
        self.revlog_ids.add(revlog_id)
        if review.action == CRAM:  # Anki's filtered-deck answer with factor 0: no schedule
            duration = min(review.duration_ms or 0, 2**31 - 1)
            row = (revlog_id, card_id, review.rating, 0, 0, 0, duration, 3)
        elif review.is_mark:  # a reset: Anki's manual entry with interval and factor 0
            row = (revlog_id, card_id, 0, 0, 0, 0, 0, 4)
        else:
            state = review.state
            if state is None or state.due_day is not None:
                interval = state.interval if state is not None else 0
            else:  # a learning step: Anki writes it as negative seconds
                interval = -max(1, int((state.due - review.reviewed_at).total_seconds()))
            row = (
                revlog_id,
                card_id,
                review.rating,
                interval,
                review.last_interval or 0,
                2500 if review.before else 0,
                min(review.duration_ms or 0, 2**31 - 1),
                _REVLOG_KIND.get(review.before, 0),
            )
        self.db.execute("INSERT INTO revlog VALUES (?, ?, -1, ?, ?, ?, ?, ?, ?)", row)

    def _col(self) -> None:
        mod_ms = self.base_ms
        models = {str(mid): self._model(mid, name) for name, mid in self.model_ids.items()}
        anki_decks = {"1": _deck_json(1, "Default", "")}
        for did, (name, description) in self.deck_names.items():
            anki_decks[str(did)] = _deck_json(did, name, description)
        offset = self.now.utcoffset()
        west = -int(offset.total_seconds()) // 60 if offset is not None else 0
        conf = {
            "activeDecks": [1],
            "curDeck": 1,
            "newSpread": 0,
            "collapseTime": 1200,
            "timeLim": 0,
            "estTimes": True,
            "dueCounts": True,
            "curModel": self.model_ids["Basic"],
            "nextPos": 1,
            "sortType": "noteFld",
            "sortBackwards": False,
            "addToCur": True,
            "schedVer": 2,
            "sched2021": True,
            "creationOffset": west,
            "fsrs": True,
        }
        self.db.execute(
            "INSERT INTO col VALUES (1, ?, ?, ?, 11, 0, 0, 0, ?, ?, ?, ?, '{}')",
            (
                int(self.crt.timestamp()),
                mod_ms,
                mod_ms,
                json.dumps(conf),
                json.dumps(models),
                json.dumps(anki_decks),
                json.dumps({"1": _DECK_OPTIONS}),
            ),
        )

    def _model(self, model_id: int, name: str) -> dict[str, Any]:
        stock, cloze, fields, templates = NOTE_TYPES[name]
        return {
            "id": model_id,
            "name": name,
            "type": 1 if cloze else 0,
            "mod": int(self.now.timestamp()),
            "usn": -1,
            "sortf": 0,
            "did": None,
            "tmpls": [
                {
                    "name": template,
                    "ord": ord_,
                    "qfmt": front,
                    "afmt": back,
                    "bqfmt": "",
                    "bafmt": "",
                    "did": None,
                    "bfont": "",
                    "bsize": 0,
                }
                for ord_, (template, front, back) in enumerate(templates)
            ],
            "flds": [
                {
                    "name": field_name,
                    "ord": ord_,
                    "sticky": False,
                    "rtl": False,
                    "font": "Arial",
                    "size": 20,
                    "description": "",
                    "plainText": False,
                    "collapsed": False,
                    "excludeFromSearch": False,
                }
                for ord_, field_name in enumerate(fields)
            ],
            "css": _CSS + (_CLOZE_CSS if cloze else ""),
            "latexPre": _LATEX_PRE,
            "latexPost": "\\end{document}",
            "latexsvg": False,
            "req": [[ord_, "any", [ord_ % len(fields)]] for ord_ in range(len(templates))],
            "originalStockKind": stock,
        }


def _deck_json(deck_id: int, name: str, description: str) -> dict[str, Any]:
    return {
        "id": deck_id,
        "mod": 0,
        "name": name,
        "usn": -1,
        "lrnToday": [0, 0],
        "revToday": [0, 0],
        "newToday": [0, 0],
        "timeToday": [0, 0],
        "collapsed": False,
        "browserCollapsed": False,
        "desc": description,
        "dyn": 0,
        "conf": 1,
        "extendNew": 0,
        "extendRev": 0,
    }


_DECK_OPTIONS: dict[str, Any] = {
    "id": 1,
    "mod": 0,
    "name": "Default",
    "usn": 0,
    "maxTaken": 60,
    "autoplay": True,
    "timer": 0,
    "replayq": True,
    "new": {
        "bury": False,
        "delays": [1.0, 10.0],
        "initialFactor": 2500,
        "ints": [1, 4, 0],
        "order": 1,
        "perDay": 20,
    },
    "rev": {
        "bury": False,
        "ease4": 1.3,
        "ivlFct": 1.0,
        "maxIvl": 36500,
        "perDay": 200,
        "hardFactor": 1.2,
    },
    "lapse": {"delays": [10.0], "leechAction": 1, "leechFails": 8, "minInt": 1, "mult": 0.0},
    "dyn": False,
    "desiredRetention": 0.9,
}

_SCHEMA = """
CREATE TABLE col (
  id integer PRIMARY KEY, crt integer NOT NULL, mod integer NOT NULL,
  scm integer NOT NULL, ver integer NOT NULL, dty integer NOT NULL, usn integer NOT NULL,
  ls integer NOT NULL, conf text NOT NULL, models text NOT NULL, decks text NOT NULL,
  dconf text NOT NULL, tags text NOT NULL
);
CREATE TABLE notes (
  id integer PRIMARY KEY, guid text NOT NULL, mid integer NOT NULL, mod integer NOT NULL,
  usn integer NOT NULL, tags text NOT NULL, flds text NOT NULL, sfld integer NOT NULL,
  csum integer NOT NULL, flags integer NOT NULL, data text NOT NULL
);
CREATE TABLE cards (
  id integer PRIMARY KEY, nid integer NOT NULL, did integer NOT NULL, ord integer NOT NULL,
  mod integer NOT NULL, usn integer NOT NULL, type integer NOT NULL, queue integer NOT NULL,
  due integer NOT NULL, ivl integer NOT NULL, factor integer NOT NULL, reps integer NOT NULL,
  lapses integer NOT NULL, left integer NOT NULL, odue integer NOT NULL,
  odid integer NOT NULL, flags integer NOT NULL, data text NOT NULL
);
CREATE TABLE revlog (
  id integer PRIMARY KEY, cid integer NOT NULL, usn integer NOT NULL, ease integer NOT NULL,
  ivl integer NOT NULL, lastIvl integer NOT NULL, factor integer NOT NULL,
  time integer NOT NULL, type integer NOT NULL
);
CREATE TABLE graves (usn integer NOT NULL, oid integer NOT NULL, type integer NOT NULL);
CREATE INDEX ix_notes_usn ON notes (usn);
CREATE INDEX ix_cards_usn ON cards (usn);
CREATE INDEX ix_revlog_usn ON revlog (usn);
CREATE INDEX ix_cards_nid ON cards (nid);
CREATE INDEX ix_cards_sched ON cards (did, queue, due);
CREATE INDEX ix_revlog_cid ON revlog (cid);
CREATE INDEX ix_notes_csum ON notes (csum);
"""
