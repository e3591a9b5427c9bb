"""The default store: an append-only JSON Lines review log plus a snapshot cache.

Layout of the folder:

* ``reviews.jsonl`` — the source of truth. One JSON object a line: a review
  (with the card's state after it), an ``undo`` (naming the review taken back
  and the state restored) or a ``set`` (a state recomputed by an import).
* ``snapshot.json`` — card states and hourly activity as of a byte offset of
  the log; replaced atomically, never rewritten in place, rebuilt from the log
  whenever it is missing or unreadable.
* ``reviews.lock`` — held while reading the log's tail or appending to it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from flashcards.errors import ConflictError, StoreError
from flashcards.fsutil import append_durably, write_atomically
from flashcards.model import SCHEMA_VERSION, CardState, CardStateDict, Review, Tally, hour_of
from flashcards.scheduling import replay
from flashcards.stores import CardKey, StoreContext, register

LOG = "reviews.jsonl"
SNAPSHOT = "snapshot.json"
LOCK = "reviews.lock"
#: Compact the log into the snapshot once this many lines sit past it.
COMPACT_AFTER_LINES = 500
LOCK_TIMEOUT_S = 30


class JsonStore:
    """Progress in a folder of plain files (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.location = str(folder)
        self.notices: list[str] = []
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"{folder}: cannot create the progress folder ({exc.strerror})"
            ) from None
        self.log_path = folder / LOG
        self.snapshot_path = folder / SNAPSHOT
        self._lock = FileLock(folder / LOCK, timeout=LOCK_TIMEOUT_S)
        # In-memory view: raw state dicts per deck, hourly tallies, and how far
        # into the log (bytes and lines) that view goes.
        self._cards: dict[str, dict[str, CardStateDict]] = {}
        self._activity: dict[str, dict[int, Tally]] = {}
        self._offset = 0
        self._lines = 0
        self._snapshot_lines = 0
        self._loaded = False

    # -- the Store interface -------------------------------------------------

    def load_states(self, decks: Collection[str] | None = None) -> dict[CardKey, CardState]:
        with self._locked():
            self._catch_up()
        wanted = self._cards.keys() if decks is None else [d for d in decks if d in self._cards]
        return {
            (deck, card): CardState.from_dict(raw)
            for deck in wanted
            for card, raw in self._cards[deck].items()
        }

    def record(self, review: Review, expected: CardState | None) -> None:
        if review.state is None:
            raise ValueError("a review to record must carry the state after it")
        with self._locked():
            self._catch_up()
            current = self._current(review.key)
            if current != expected:
                raise ConflictError(f"{review.deck}/{review.card} changed meanwhile", current)
            self._append([dict(review.to_dict())])

    def undo(self, review: Review, restore: CardState | None) -> None:
        with self._locked():
            self._catch_up()
            current = self._current(review.key)
            if current != review.state:
                raise ConflictError(f"{review.deck}/{review.card} changed meanwhile", current)
            self._append([_undo_line(review, restore)])

    def activity(
        self, since: datetime | None = None, decks: Collection[str] | None = None
    ) -> dict[str, dict[int, Tally]]:
        with self._locked():
            self._catch_up()
        first = hour_of(since) if since is not None else None
        wanted = (
            self._activity.keys() if decks is None else [d for d in decks if d in self._activity]
        )
        return {
            deck: {h: t for h, t in self._activity[deck].items() if first is None or h >= first}
            for deck in wanted
        }

    def reviews(self) -> Iterator[Review]:
        with self._locked():
            self._catch_up()
            end = self._offset
        undone = {line["undo"] for line, _ in self._read_lines(0, end) if "undo" in line}
        for line, _ in self._read_lines(0, end):
            if "undo" not in line and "set" not in line and line["id"] not in undone:
                yield Review.from_dict(line)  # type: ignore[arg-type]

    def import_reviews(self, reviews: list[Review]) -> int:
        with self._locked():
            self._catch_up()
            known: set[str] = set()
            undone: set[str] = set()
            history: dict[CardKey, list[Review]] = {}
            incoming = {r.id: r for r in reviews}
            touched = {r.key for r in reviews}
            for line, _ in self._read_lines(0, self._offset):
                if "undo" in line:
                    undone.add(line["undo"])
                elif "set" not in line:
                    known.add(line["id"])
                    if (line["deck"], line["card"]) in touched:
                        history.setdefault((line["deck"], line["card"]), []).append(
                            Review.from_dict(line)  # type: ignore[arg-type]
                        )
            fresh = [r for r in incoming.values() if r.id not in known]
            if not fresh:
                return 0
            fresh_keys = {r.key for r in fresh}
            standing = [r for key in fresh_keys for r in history.get(key, []) if r.id not in undone]
            replayed = replay(standing + fresh)
            fresh_ids = {r.id for r in fresh}
            lines: list[dict[str, Any]] = [
                dict(r.to_dict()) for r in replayed.reviews if r.id in fresh_ids
            ]
            last_written = {(line["deck"], line["card"]): line["state"] for line in lines}
            for key, state in replayed.states.items():
                if last_written.get(key) != state.to_dict():
                    lines.append(
                        {"set": 1, "deck": key[0], "card": key[1], "state": state.to_dict()}
                    )
            self._append(lines)
            self._compact()
            return len(fresh)

    def maintain(self) -> None:
        if self._lines - self._snapshot_lines >= COMPACT_AFTER_LINES:
            self.compact()

    def compact(self) -> None:
        """Write the snapshot as of the end of the log, atomically."""
        with self._locked():
            self._catch_up()
            self._compact()

    def close(self) -> None:
        pass

    # -- internals -----------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            with self._lock:
                yield
        except Timeout:
            raise StoreError(
                f"{self._lock.lock_file}: another flashcards process has held the lock for "
                f"{LOCK_TIMEOUT_S}s; close it and try again"
            ) from None

    def _current(self, key: CardKey) -> CardState | None:
        raw = self._cards.get(key[0], {}).get(key[1])
        return CardState.from_dict(raw) if raw is not None else None

    def _catch_up(self) -> None:
        """Bring the in-memory view up to the end of the log. Caller holds the lock."""
        if not self._loaded:
            self._read_snapshot()
            self._loaded = True
        try:
            size = self.log_path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size < self._offset:
            raise StoreError(
                f"{self.log_path}: the log is shorter than the snapshot says; "
                f"restore it from a backup or remove {self.snapshot_path} to rebuild"
            )
        if size == self._offset:
            return
        for line, end in self._read_lines(self._offset, size, repair=True):
            self._apply(line)
            self._offset = end
            self._lines += 1

    def _read_snapshot(self) -> None:
        try:
            data = json.loads(self.snapshot_path.read_bytes())
            if data.get("schema") != SCHEMA_VERSION:
                raise ValueError("unknown schema")
            cards = data["cards"]
            activity = {
                deck: {int(h): Tally(*counts) for h, counts in hours.items()}
                for deck, hours in data["activity"].items()
            }
            offset, lines = int(data["log_bytes"]), int(data["log_lines"])
        except FileNotFoundError:
            return
        except (ValueError, KeyError, TypeError, AttributeError):
            # The snapshot is only a cache: start from the log instead.
            self.notices.append(f"{self.snapshot_path}: unreadable, rebuilt from the review log")
            return
        self._cards, self._activity = cards, activity
        self._offset, self._lines, self._snapshot_lines = offset, lines, lines

    def _read_lines(
        self, start: int, end: int, repair: bool = False
    ) -> Iterator[tuple[dict[str, Any], int]]:
        """Parse the log between two byte offsets, yielding each object and the
        offset just past it. A torn last line (no newline at the end of the file)
        is set aside when ``repair`` is on; any other bad line stops everything."""
        try:
            with open(self.log_path, "rb") as handle:
                handle.seek(start)
                data = handle.read(end - start)
        except FileNotFoundError:
            return
        lineno = self._lines if start == self._offset else 0
        position = start
        for raw in data.splitlines(keepends=True):
            lineno += 1
            if not raw.endswith(b"\n") and position + len(raw) == end:
                if repair:
                    self._set_aside_torn_tail(position, raw)
                return
            try:
                line = json.loads(raw)
                _check_line(line)
            except (ValueError, KeyError, TypeError) as exc:
                raise StoreError(
                    f"{self.log_path}:{lineno}: corrupt review log line ({exc}); "
                    "fix or remove that line — the file was left untouched"
                ) from None
            position += len(raw)
            yield line, position

    def _set_aside_torn_tail(self, position: int, raw: bytes) -> None:
        """A crash mid-append leaves half a line; keep its bytes aside and cut it off."""
        aside = self.folder / f"{LOG}.torn-{position}"
        aside.write_bytes(raw)
        with open(self.log_path, "r+b") as handle:
            handle.truncate(position)
            os.fsync(handle.fileno())
        self.notices.append(
            f"{self.log_path}: dropped an incomplete last line left by a crash (kept in {aside.name})"
        )

    def _apply(self, line: dict[str, Any]) -> None:
        deck, card = line["deck"], line["card"]
        state = line.get("state")
        if "undo" in line:
            undone = Review(
                id=line["undo"],
                deck=deck,
                card=card,
                rating=line["rating"],
                reviewed_at=datetime.fromisoformat(line["reviewed_at"]),
                duration_ms=None,
                before=line["before"],
            )
            self._tally(undone, -1)
        elif "set" not in line:
            self._tally(Review.from_dict(line), 1)  # type: ignore[arg-type]
        cards = self._cards.setdefault(deck, {})
        if state is None:
            cards.pop(card, None)
        else:
            cards[card] = state

    def _tally(self, review: Review, sign: int) -> None:
        hours = self._activity.setdefault(review.deck, {})
        hours.setdefault(hour_of(review.reviewed_at), Tally()).add(review, sign)

    def _append(self, lines: list[dict[str, Any]]) -> None:
        payload = b"".join(
            json.dumps(line, separators=(",", ":")).encode() + b"\n" for line in lines
        )
        append_durably(self.log_path, payload)
        for line in lines:
            self._apply(line)
            self._lines += 1
        self._offset += len(payload)

    def _compact(self) -> None:
        data = {
            "schema": SCHEMA_VERSION,
            "log_bytes": self._offset,
            "log_lines": self._lines,
            "cards": self._cards,
            "activity": {
                deck: {str(h): t.as_list() for h, t in hours.items()}
                for deck, hours in self._activity.items()
            },
        }
        write_atomically(self.snapshot_path, json.dumps(data, separators=(",", ":")).encode())
        self._snapshot_lines = self._lines


def _check_line(line: Any) -> None:
    if not isinstance(line, dict):
        raise ValueError("not an object")
    for key in ("deck", "card"):
        if not isinstance(line[key], str):
            raise ValueError(f"{key} is not text")
    if "undo" not in line and "set" not in line:
        if line["rating"] not in (1, 2, 3, 4):
            raise ValueError("rating is not 1-4")
        datetime.fromisoformat(line["reviewed_at"])


def _undo_line(review: Review, restore: CardState | None) -> dict[str, Any]:
    return {
        "undo": review.id,
        "deck": review.deck,
        "card": review.card,
        "rating": review.rating,
        "reviewed_at": review.reviewed_at.isoformat(),
        "before": review.before,
        "state": restore.to_dict() if restore else None,
    }


def open_json_store(url: str, context: StoreContext) -> JsonStore:
    _, _, rest = url.partition(":")
    folder = Path(rest).expanduser() if rest else context.home
    return JsonStore(folder)


def register_store() -> None:
    register("json", open_json_store)


__all__ = ["JsonStore", "register_store"]
