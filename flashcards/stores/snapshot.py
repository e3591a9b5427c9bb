"""The JSON store's snapshot: per-deck files that cache what the review log says.

For each deck two files, each recording the log offset (bytes and lines) it reflects:

* ``<deck>.cards.json`` — card states, compactly encoded (times as integer
  microseconds since the epoch, exact);
* ``<deck>.activity.json`` — review counts per quarter hour (``model.slot_of``) as a flat list
  ``[hour, reviews, new, review, passed, hour, ...]`` sorted by hour.

``index.json`` is written last by a compaction: its offset ``log`` says that, for
every deck, the log between the deck's own file offset and ``log`` holds nothing for
that deck (so reading may start at ``log``), provided the index lists that very file
offset. Every file is replaced atomically and any file that cannot be read is simply
ignored: the log is replayed from further back instead.
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

INDEX = "index.json"


class Offset(NamedTuple):
    """A position in the log: bytes from the start and the number of whole lines before it."""

    bytes: int = 0
    lines: int = 0


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


@dataclass
class DeckActivity:
    """A deck's counts per quarter hour: a flat sorted list from the snapshot, plus changes since."""

    flat: list[int] = field(default_factory=list)
    extra: dict[int, Tally] = field(default_factory=dict)

    def since(self, first: int | None) -> dict[int, Tally]:
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
        return out

    def hours(self) -> set[int]:
        reviews = dict(zip(self.flat[0::5], self.flat[1::5], strict=True))
        for hour, tally in self.extra.items():
            reviews[hour] = reviews.get(hour, 0) + tally.reviews
        return {hour for hour, count in reviews.items() if count > 0}

    def merged_flat(self) -> list[int]:
        flat: list[int] = []
        for hour, t in sorted(self.since(None).items()):
            if t.reviews or t.new or t.review or t.passed:
                flat += [hour, t.reviews, t.new, t.review, t.passed]
        return flat


class SnapshotFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, deck: str, kind: str) -> Path:
        return self.folder / f"{quote(deck, safe='')}.{kind}.json"

    def read_index(self) -> tuple[Offset, dict[str, int]]:
        data = self._read(self.folder / INDEX)
        try:
            return Offset(int(data["log"]), int(data["lines"])), dict(data["files"])
        except (KeyError, TypeError, ValueError):
            return Offset(), {}

    def decks(self) -> list[str]:
        _, files = self.read_index()
        known = set(files)
        if self.folder.is_dir():
            # The file name is the quoted deck id: no need to open the file.
            known.update(
                unquote(path.name[: -len(".cards.json")])
                for path in self.folder.glob("*.cards.json")
            )
        return sorted(known)

    def read(self, deck: str, kind: str) -> tuple[Offset, Any] | None:
        data = self._read(self._path(deck, kind))
        try:
            offset = Offset(int(data["log"]), int(data["lines"]))
            return offset, data["data"]
        except (KeyError, TypeError, ValueError):
            return None

    def write(self, deck: str, kind: str, offset: Offset, payload: Any) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {
            "schema": SCHEMA_VERSION,
            "deck": deck,
            "log": offset.bytes,
            "lines": offset.lines,
            "data": payload,
        }
        write_atomically(self._path(deck, kind), json.dumps(data, separators=(",", ":")).encode())

    def write_index(self, offset: Offset, files: dict[str, int]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {
            "schema": SCHEMA_VERSION,
            "log": offset.bytes,
            "lines": offset.lines,
            "files": files,
        }
        write_atomically(self.folder / INDEX, json.dumps(data).encode())

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
            return {}
        return data
