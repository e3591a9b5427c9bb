"""Reading Anki packages (``.apkg``, ``.colpkg``): a zip holding an SQLite collection and
its media, in any of the three layouts Anki has written.

- ``collection.anki2`` / ``collection.anki21``: the legacy collection (schema 11, note
  types and decks as JSON in the ``col`` table), media named by a JSON map.
- ``collection.anki21b`` (Anki 2.1.50 on): the collection compressed with zstd (schema
  18, note types, fields, templates and decks in tables of their own, some columns as
  protobuf), the media map as zstd-compressed protobuf, each media file compressed too.
  Such packages also hold a dummy ``collection.anki2`` asking to update Anki: ignored.

Read with the standard library (``zipfile``, ``sqlite3``) plus ``zstandard`` for the
compressed layout; the few protobuf fields needed are decoded by hand (the wire format is
a handful of varints). Nothing here writes anything but a temporary copy of the
collection, removed on close.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flashcards.errors import FlashcardsError

#: Collections in the order they are preferred when a package holds several.
COLLECTION_NAMES = ("collection.anki21b", "collection.anki21", "collection.anki2")
#: Anki's field separator within ``notes.flds``, and its deck-name separator in schema 18.
FIELD_SEPARATOR = "\x1f"
#: A compressed collection is refused past this size (a guard against zip bombs): ten
#: times the largest collections seen in the wild.
MAX_COLLECTION_BYTES = 4 * 1024 * 1024 * 1024


class PackageError(FlashcardsError):
    """An Anki package that cannot be read: the message names the file and what is wrong."""


@dataclass(frozen=True)
class Template:
    name: str
    question: str
    answer: str


@dataclass(frozen=True)
class NoteType:
    """A note type: its fields by name and card templates, in order; ``cloze`` for
    Anki's cloze kind (one card per cloze number rather than per template)."""

    id: int
    name: str
    cloze: bool
    fields: tuple[str, ...]
    templates: tuple[Template, ...]


@dataclass(frozen=True)
class Note:
    id: int
    guid: str
    notetype: int
    fields: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class AnkiCard:
    """One card row: ``ord`` is its template (or cloze number less one); ``queue`` -1
    is suspended, -2 and -3 buried."""

    id: int
    note: int
    deck: int
    ord: int
    type: int
    queue: int
    mod: int


@dataclass(frozen=True)
class RevlogEntry:
    """One row of the review log: ``id`` is the time of the review in epoch
    milliseconds, ``ease`` the button (0 for a manual change), ``kind`` Anki's review
    kind (0 learning, 1 review, 2 relearning, 3 filtered, 4 manual, 5 rescheduled);
    ``interval`` and ``factor`` as Anki wrote them (a reset is manual with both 0)."""

    id: int
    card: int
    ease: int
    time_ms: int
    kind: int
    interval: int = 0
    factor: int = 0


@dataclass
class AnkiCollection:
    """What a package holds, read whole (cards and notes are small next to media)."""

    path: Path
    notetypes: dict[int, NoteType]
    decks: dict[int, str]  # id -> full name with ``::`` between levels
    notes: list[Note]
    cards: list[AnkiCard]
    revlog: list[RevlogEntry]
    #: media file name -> (zip member, whether the member is zstd-compressed)
    media: dict[str, tuple[str, bool]] = field(default_factory=dict)
    _zip: zipfile.ZipFile | None = None

    def media_bytes(self, name: str) -> bytes:
        """The content of one media file, or ``PackageError``."""
        member, compressed = self.media[name]
        assert self._zip is not None
        try:
            data = self._zip.read(member)
        except (KeyError, zipfile.BadZipFile, OSError) as exc:
            raise PackageError(f"{self.path}: media file {name!r} cannot be read ({exc})") from None
        return _unzstd(self.path, data, f"media file {name!r}") if compressed else data

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None


def read_package(path: Path) -> AnkiCollection:
    """Open an Anki package and read its collection; close it with ``close()``.

    ``PackageError`` (one line naming the file) for anything that is not a readable
    package: not a zip, a damaged zip, no collection inside, a collection that is not
    an Anki database."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise PackageError(f"{path}: no such file") from None
    except zipfile.BadZipFile:
        raise PackageError(f"{path}: not an Anki package (not a zip file)") from None
    except OSError as exc:
        raise PackageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        collection = _read(path, archive)
    except BaseException:
        archive.close()
        raise
    collection._zip = archive
    return collection


def _read(path: Path, archive: zipfile.ZipFile) -> AnkiCollection:
    names = set(archive.namelist())
    member = next((name for name in COLLECTION_NAMES if name in names), None)
    if member is None:
        raise PackageError(f"{path}: not an Anki package (the zip holds no collection)")
    info = archive.getinfo(member)
    if info.file_size > MAX_COLLECTION_BYTES:
        raise PackageError(f"{path}: the collection is too large ({info.file_size:,} bytes)")
    with tempfile.TemporaryDirectory(prefix="flashcards-anki-") as scratch:
        database = Path(scratch) / "collection.sqlite"
        try:
            with archive.open(member) as source, open(database, "wb") as target:
                if member.endswith("b"):
                    _unzstd_stream(path, source, target)
                else:
                    shutil.copyfileobj(source, target)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise PackageError(f"{path}: damaged zip ({member}: {exc})") from None
        with _connect(path, database) as db:
            collection = _read_database(path, db)
    try:
        collection.media = _media_map(path, archive, names, compressed=member.endswith("b"))
    except (ValueError, zipfile.BadZipFile, OSError) as exc:
        raise PackageError(f"{path}: the media list is damaged ({exc})") from None
    return collection


class _Closing:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, *exc: object) -> None:
        self.db.close()


def _connect(path: Path, database: Path) -> _Closing:
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    db.text_factory = lambda raw: raw.decode("utf-8", errors="replace")
    return _Closing(db)


def _read_database(path: Path, db: sqlite3.Connection) -> AnkiCollection:
    try:
        (version,) = db.execute("SELECT ver FROM col").fetchone()
        if int(version) >= 15:
            notetypes, decks = _schema18_types(db), _schema18_decks(db)
        else:
            notetypes, decks = _schema11_types(db)
        notes = [
            Note(
                int(nid),
                str(guid),
                int(mid),
                tuple(str(flds).split(FIELD_SEPARATOR)),
                tuple(str(tags).split()),
            )
            for nid, guid, mid, tags, flds in db.execute(
                "SELECT id, guid, mid, tags, flds FROM notes ORDER BY id"
            )
        ]
        cards = [
            AnkiCard(*(int(value) for value in row))
            for row in db.execute(
                "SELECT id, nid, CASE WHEN odid != 0 THEN odid ELSE did END, ord, type, queue, "
                "mod FROM cards ORDER BY nid, ord"
            )
        ]
        revlog = [
            RevlogEntry(*(int(value) for value in row))
            for row in db.execute(
                "SELECT id, cid, ease, time, type, ivl, factor FROM revlog ORDER BY id"
            )
        ]
    except (sqlite3.DatabaseError, TypeError, ValueError) as exc:
        raise PackageError(f"{path}: not an Anki collection ({exc})") from None
    return AnkiCollection(path, notetypes, decks, notes, cards, revlog)


def _schema11_types(db: sqlite3.Connection) -> tuple[dict[int, NoteType], dict[int, str]]:
    models_json, decks_json = db.execute("SELECT models, decks FROM col").fetchone()
    models: dict[str, Any] = json.loads(models_json or "{}")
    decks: dict[str, Any] = json.loads(decks_json or "{}")
    notetypes = {}
    for model in models.values():
        fields = tuple(f["name"] for f in sorted(model.get("flds", []), key=lambda f: f["ord"]))
        templates = tuple(
            Template(t.get("name", ""), t.get("qfmt", ""), t.get("afmt", ""))
            for t in sorted(model.get("tmpls", []), key=lambda t: t["ord"])
        )
        notetypes[int(model["id"])] = NoteType(
            int(model["id"]), str(model["name"]), model.get("type") == 1, fields, templates
        )
    return notetypes, {int(deck["id"]): str(deck["name"]) for deck in decks.values()}


def _schema18_types(db: sqlite3.Connection) -> dict[int, NoteType]:
    fields: dict[int, list[str]] = {}
    for ntid, name in db.execute("SELECT ntid, name FROM fields ORDER BY ntid, ord"):
        fields.setdefault(int(ntid), []).append(str(name))
    templates: dict[int, list[Template]] = {}
    for ntid, name, config in db.execute(
        "SELECT ntid, name, config FROM templates ORDER BY ntid, ord"
    ):
        values = _proto_fields(bytes(config))
        templates.setdefault(int(ntid), []).append(
            Template(str(name), _proto_text(values, 1), _proto_text(values, 2))
        )
    notetypes = {}
    for ntid, name, config in db.execute("SELECT id, name, config FROM notetypes"):
        kind = _proto_fields(bytes(config)).get(1, [0])[0]  # Notetype.Config.kind: 1 = cloze
        notetypes[int(ntid)] = NoteType(
            int(ntid),
            str(name),
            kind == 1,
            tuple(fields.get(int(ntid), ())),
            tuple(templates.get(int(ntid), ())),
        )
    return notetypes


def _schema18_decks(db: sqlite3.Connection) -> dict[int, str]:
    return {
        int(did): str(name).replace(FIELD_SEPARATOR, "::")
        for did, name in db.execute("SELECT id, name FROM decks")
    }


def _media_map(
    path: Path, archive: zipfile.ZipFile, names: set[str], *, compressed: bool
) -> dict[str, tuple[str, bool]]:
    """Media file name -> (zip member, compressed). Legacy packages name the members in
    a JSON map; newer ones list them in a zstd-compressed protobuf ``MediaEntries``
    (entry ``i`` is member ``str(i)`` unless it says otherwise)."""
    if "media" not in names:
        return {}
    raw = archive.read("media")
    if not compressed:
        try:
            mapping = json.loads(raw.decode("utf-8") or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise PackageError(f"{path}: the media list is damaged") from None
        return {str(name): (str(member), False) for member, name in mapping.items()}
    media = {}
    for index, entry in enumerate(_proto_fields(_unzstd(path, raw, "media list")).get(1, [])):
        values = _proto_fields(entry if isinstance(entry, bytes) else b"")
        member = values.get(255, [index])[0]
        media[_proto_text(values, 1)] = (str(member), True)
    return media


def _unzstd(path: Path, data: bytes, what: str) -> bytes:
    import zstandard

    try:
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    except zstandard.ZstdError as exc:
        raise PackageError(f"{path}: {what} is damaged ({exc})") from None


def _unzstd_stream(path: Path, source: Any, target: Any) -> None:
    import zstandard

    try:
        zstandard.ZstdDecompressor().copy_stream(source, target)
    except zstandard.ZstdError as exc:
        raise PackageError(f"{path}: the collection is damaged ({exc})") from None


# --- protobuf wire format: only what the fields above need ---------------------------------


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if position >= len(data):
            raise ValueError("truncated protobuf")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7


def _proto_fields(data: bytes) -> dict[int, list[Any]]:
    """Field number -> values (ints for varints, bytes for length-delimited), in order."""
    found: dict[int, list[Any]] = {}
    for number, value in _proto_iter(data):
        found.setdefault(number, []).append(value)
    return found


def _proto_iter(data: bytes) -> Iterator[tuple[int, Any]]:
    position = 0
    value: int | bytes
    while position < len(data):
        key, position = _varint(data, position)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, position = _varint(data, position)
        elif wire == 2:
            length, position = _varint(data, position)
            value, position = data[position : position + length], position + length
        elif wire == 1:
            value, position = data[position : position + 8], position + 8
        elif wire == 5:
            value, position = data[position : position + 4], position + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, value


def _proto_text(values: dict[int, list[Any]], number: int) -> str:
    raw = values.get(number, [b""])[0]
    return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
