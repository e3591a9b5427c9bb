"""The JSON store's snapshot: per-deck files that cache what the review log says.

For each deck three files, each recording the log offset (bytes and lines) it reflects:

* ``<deck>.cards.json`` — card states, compactly encoded (times as integer
  microseconds since the epoch, exact), and each card's standing marks
  (``[id, action, ISO time]``, in time order), from which its flags follow;
* ``<deck>.activity.json`` — review counts per quarter hour (``model.slot_of``) as a flat list
  ``[hour, reviews, new, review, passed, hour, ...]`` sorted by hour;
* ``<deck>.days.json`` — each study day's counts for ``stats`` (``model.DayStats.as_list``:
  ratings per card state, young and mature answers, time, cram answers).

``index.json`` is written last by a compaction: its offset ``log`` says that, for
every deck, the log between the deck's own file offset and ``log`` holds nothing for
that deck (so reading may start at ``log``), provided the index lists that very file
offset. Every file is replaced atomically and any file that cannot be read is simply
ignored: the log is replayed from further back instead.

Each file is a header line and a payload. The header carries a checksum of itself and
the payload (a changed digit makes the file unreadable, never silently different) and a digest of
the log bytes just before its offset (``logfile.window_digest``): when the log is edited
before that offset, the offset no longer falls where it did and the file is not used.
A deck id too long for a file name gets a name cut short and ended by a hash of the id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, unquote

from flashcards.due import DueEntry
from flashcards.fsutil import write_atomically
from flashcards.model import EPOCH, SCHEMA_VERSION, CardState, State, Tally, to_us
from flashcards.stores.logfile import Offset

INDEX = "index.json"
#: The layout of the files (a header line with checksums, then the payload). 5: a cards
#: file keeps its cards' standing marks (suspend, bury, ...) too. 6: a days file counts
#: each day's cram answers too (older ones are rebuilt from the log).
FORMAT = 6
#: File names longer than this (in bytes, before the suffix) are cut and end in a hash.
NAME_BYTES = 120
HASHED = "#"  # never in a quoted deck id, so it marks a hashed name


def encode_state(state: CardState) -> list[Any]:
    """A state as a flat list: times as integer microseconds, the due day as an ordinal."""
    return [
        int(state.state),
        state.left,
        state.stability,
        state.difficulty,
        state.interval,
        to_us(state.due),
        state.due_day.toordinal() if state.due_day is not None else 0,
        to_us(state.last_review),
        state.reps,
        state.lapses,
    ]


def decode_state(raw: list[Any]) -> CardState:
    kind, left, stability, difficulty, interval, due, day, last, reps, lapses = raw
    return CardState(
        State(kind),
        left,
        stability,
        difficulty,
        interval,
        EPOCH + timedelta(microseconds=due),
        date.fromordinal(day) if day else None,
        EPOCH + timedelta(microseconds=last),
        reps,
        lapses,
    )


def encoded_entry(raw: list[Any]) -> DueEntry:
    """The due entry of an encoded state, without decoding all of it."""
    return DueEntry(raw[0], raw[5], raw[6])


_NOTHING = Tally()


@dataclass
class DeckActivity:
    """A deck's counts per quarter hour: a flat sorted list from the snapshot, plus changes since."""

    flat: list[int] = field(default_factory=list)
    extra: dict[int, Tally] = field(default_factory=dict)

    def since(self, first: int | None) -> dict[int, Tally]:
        """Counts per quarter hour from ``first`` on; a quarter hour whose answers were
        all undone counts nothing and is left out, wherever its counts came from."""
        out: dict[int, Tally] = {}
        flat = self.flat
        start = 0
        if first is not None:
            # the list is sorted by hour: find the first bucket from the end
            start = len(flat)
            while start >= 5 and flat[start - 5] >= first:
                start -= 5
        for i in range(start, len(flat), 5):
            out[flat[i]] = Tally(flat[i + 1], flat[i + 2], flat[i + 3], flat[i + 4])
        for hour, tally in self.extra.items():
            if first is not None and hour < first:
                continue
            out.setdefault(hour, Tally()).absorb(tally)
        return {hour: tally for hour, tally in out.items() if tally != _NOTHING}

    def hours(self) -> set[int]:
        reviews = dict(zip(self.flat[0::5], self.flat[1::5], strict=True))
        for hour, tally in self.extra.items():
            reviews[hour] = reviews.get(hour, 0) + tally.reviews
        return {hour for hour, count in reviews.items() if count > 0}

    def merged_flat(self) -> list[int]:
        """Everything as one flat sorted list (quarter hours that count nothing left
        out), merged without an object per quarter hour: it may hold years of them."""
        flat, extra = self.flat, self.extra
        out: list[int] = []
        i = 0
        for hour in sorted(extra):
            while i < len(flat) and flat[i] < hour:
                _put(out, flat[i : i + 5])
                i += 5
            t = extra[hour]
            row = [hour, t.reviews, t.new, t.review, t.passed]
            if i < len(flat) and flat[i] == hour:
                row = [hour, *(a + b for a, b in zip(row[1:], flat[i + 1 : i + 5], strict=True))]
                i += 5
            _put(out, row)
        while i < len(flat):
            _put(out, flat[i : i + 5])
            i += 5
        return out

    def prune(self, first: int) -> None:
        """Forget the quarter hours before ``first``."""
        start = 0
        while start < len(self.flat) and self.flat[start] < first:
            start += 5
        del self.flat[:start]
        for hour in [h for h in self.extra if h < first]:
            del self.extra[hour]

    def latest(self) -> int | None:
        """The last quarter hour with any count, if any."""
        last = max(self.extra, default=None)
        if self.flat and (last is None or self.flat[-5] > last):
            return self.flat[-5]
        return last


def _put(out: list[int], row: list[int]) -> None:
    if any(row[1:]):
        out += row


class Damaged(Exception):
    """A snapshot file is there but cannot be used: the message says why."""


class Snapshot(NamedTuple):
    """What one snapshot file holds: the log offset it reflects, the digest of the log
    bytes before that offset when it was written, and its payload."""

    offset: Offset
    window: str
    data: Any


class SnapshotFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, deck: str, kind: str) -> Path:
        """The file of a deck's ``kind`` (``cards`` or ``activity``)."""
        name = quote(deck, safe="")
        if len(name) > NAME_BYTES:
            import hashlib

            digest = hashlib.sha256(deck.encode()).hexdigest()[:16]
            name = f"{name[: NAME_BYTES - 20]}{HASHED}{digest}"
        return self.folder / f"{name}.{kind}.json"

    def read_index(self) -> Snapshot | None:
        """The index (its payload: ``{deck: file offset}``), or ``None`` when there is
        none or it was written by an older version. Raises ``Damaged``."""
        found = self._read(self.folder / INDEX, None, "index")
        if found is not None and not _is_files(found.data):
            raise Damaged(f"{self.folder / INDEX}: not an index")
        return found

    def decks(self, files: dict[str, int]) -> list[str]:
        """Every deck with a snapshot: those the index lists and those with a file."""
        known = set(files)
        if self.folder.is_dir():
            for path in self.folder.glob("*.cards.json"):
                stem = path.name[: -len(".cards.json")]
                if HASHED not in stem:
                    known.add(unquote(stem))  # the file name is the quoted deck id
                else:
                    deck = _header_deck(path)
                    if deck is not None:
                        known.add(deck)
        return sorted(known)

    def read(self, deck: str, kind: str) -> Snapshot | None:
        """A deck's file, or ``None`` when there is none or it is of an older version.
        Raises ``Damaged``."""
        return self._read(self.path(deck, kind), deck, kind)

    def write(self, deck: str, kind: str, offset: Offset, window: str, payload: Any) -> None:
        """Replace a deck's file atomically."""
        self._write(self.path(deck, kind), deck, kind, offset, window, payload)

    def write_index(self, offset: Offset, window: str, files: dict[str, int]) -> None:
        self._write(self.folder / INDEX, None, "index", offset, window, files)

    def clean_temp_files(self) -> list[Path]:
        """Remove temp files a killed writer left (``.<name>.<random>``). Only while no
        snapshot is being written, that is under the store's lock."""
        removed = []
        if self.folder.is_dir():
            for path in self.folder.glob(".*"):
                try:
                    path.unlink()
                except OSError:
                    continue
                removed.append(path)
        return removed

    def _write(
        self, path: Path, deck: str | None, kind: str, offset: Offset, window: str, payload: Any
    ) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = json.dumps(payload, separators=(",", ":")).encode()
        header: dict[str, Any] = {
            "format": FORMAT,
            "schema": SCHEMA_VERSION,
            "deck": deck,
            "kind": kind,
            "log": offset.bytes,
            "lines": offset.lines,
            "window": window,
        }
        header["sum"] = _checksum(header, data)
        write_atomically(path, [json.dumps(header).encode(), b"\n", data])

    @staticmethod
    def _read(path: Path, deck: str | None, kind: str) -> Snapshot | None:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise Damaged(f"{path}: cannot read ({exc.strerror})") from None
        first, newline, data = raw.partition(b"\n")
        try:
            header = json.loads(first)
        except ValueError:
            raise Damaged(f"{path}: not a snapshot file") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            return None  # written by an older version: rebuilt, nothing is wrong
        if header.get("schema") != SCHEMA_VERSION:
            return None
        if not newline or header.get("sum") != _checksum(header, data):
            raise Damaged(f"{path}: checksum mismatch")
        if header.get("deck") != deck or header.get("kind") != kind:
            raise Damaged(f"{path}: holds another deck")
        try:
            offset = Offset(int(header["log"]), int(header["lines"]))
            window = str(header["window"])
            return Snapshot(offset, window, json.loads(data))
        except (KeyError, TypeError, ValueError):
            raise Damaged(f"{path}: malformed header") from None


def _checksum(header: dict[str, Any], data: bytes) -> str:
    """Of the payload and every header field but the checksum itself."""
    fields = json.dumps({k: v for k, v in header.items() if k != "sum"}, sort_keys=True)
    import hashlib  # lazily: a run that reads no snapshot pays nothing for it

    return hashlib.sha256(fields.encode() + b"\n" + data).hexdigest()[:32]


def _is_files(data: Any) -> bool:
    return isinstance(data, dict) and all(
        isinstance(k, str) and isinstance(v, int) for k, v in data.items()
    )


def _header_deck(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            header = json.loads(handle.readline())
    except (OSError, ValueError):
        return None
    deck = header.get("deck") if isinstance(header, dict) else None
    return deck if isinstance(deck, str) else None
