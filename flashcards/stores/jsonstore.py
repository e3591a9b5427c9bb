"""The default store: an append-only JSON Lines review log plus a snapshot cache.

Layout of the folder:

* ``reviews.jsonl`` — the source of truth. One JSON object a line: a review
  (with the card's state after it), an ``undo`` (naming the review taken back
  and the state restored) or a ``set`` (a state recomputed by an import).
* ``snapshot/`` — per-deck card states and activity per quarter hour as of an offset of
  the log (see ``snapshot.py``); replaced atomically, never rewritten in place,
  and ignored (the log is replayed instead) whenever unreadable.
* ``reviews.lock`` — held while reading the log's tail or appending to it.

Opening a deck reads its snapshot files and the few log lines after them; the
whole log is read only by export, import and compaction.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from flashcards.due import DueEntry, entry_of
from flashcards.errors import ConflictError, StoreError
from flashcards.fsutil import append_durably
from flashcards.model import CardState, Review, Tally, slot_of
from flashcards.stores import CardKey, StoreContext, register
from flashcards.stores.snapshot import (
    DeckActivity,
    Offset,
    SnapshotFolder,
    decode_state,
    encode_state,
    encoded_entry,
)

LOG = "reviews.jsonl"
LOCK = "reviews.lock"
#: Compact the log into the snapshot once this many bytes sit past it (~1,000 answers).
COMPACT_AFTER_BYTES = 400_000
LOCK_TIMEOUT_S = 30
#: Quarter hours of activity, back from a deck's latest, kept with its cards (two days).
RECENT_SLOTS = 48 * 4

CARDS, ACTIVITY = "cards", "activity"


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
        self.snapshot = SnapshotFolder(folder / "snapshot")
        self._lock: Any = None  # a filelock.FileLock, made when first written
        self._torn = False
        self._compactor: threading.Thread | None = None
        self._damaged: set[str] = set()  # decks whose snapshot had to be rebuilt
        # What is in memory, per deck, and up to which log offset it is current.
        self._cards: dict[str, dict[str, CardState | list[Any]]] = {}
        self._activity: dict[str, DeckActivity] = {}
        # The last two days of each deck's activity travel with its cards, so that
        # "what was done today" needs no activity file: ``_recent_from`` says from
        # which hour that copy is complete.
        self._recent: dict[str, DeckActivity] = {}
        self._recent_from: dict[str, float] = {}
        self._pos: dict[tuple[str, str], Offset] = {}
        self._all: set[str] = set()  # kinds loaded for every deck
        self._end = Offset()
        #: Cards whose state was recomputed from the log and is not yet written back.
        self._recomputed: set[CardKey] = set()

    # -- the Store interface -------------------------------------------------

    def load_states(self, decks: Collection[str] | None = None) -> dict[CardKey, CardState]:
        self._read_up(CARDS, decks)
        wanted = self._cards.keys() if decks is None else [d for d in decks if d in self._cards]
        out: dict[CardKey, CardState] = {}
        for deck in wanted:
            cards = self._cards[deck]
            for card, raw in cards.items():
                state = raw if isinstance(raw, CardState) else decode_state(raw)
                cards[card] = state
                out[(deck, card)] = state
        return out

    def due_overview(self, decks: Collection[str] | None = None) -> dict[CardKey, DueEntry]:
        self._read_up(CARDS, decks)
        wanted = self._cards.keys() if decks is None else [d for d in decks if d in self._cards]
        return {
            (deck, card): entry_of(raw) if isinstance(raw, CardState) else encoded_entry(raw)
            for deck in wanted
            for card, raw in self._cards[deck].items()
        }

    def record(self, review: Review, expected: CardState | None) -> None:
        if review.state is None:
            raise ValueError("a review to record must carry the state after it")
        with self._locked():
            self._catch_up(CARDS, [review.deck])
            self._save_recomputed()
            current = self._current(review.key)
            if current != expected:
                raise ConflictError(f"{review.deck}/{review.card} changed meanwhile", current)
            self._append([dict(review.to_dict())])

    def undo(self, review: Review, restore: CardState | None) -> None:
        with self._locked():
            self._catch_up(CARDS, [review.deck])
            self._save_recomputed()
            current = self._current(review.key)
            if current != review.state:
                raise ConflictError(f"{review.deck}/{review.card} changed meanwhile", current)
            self._append([_undo_line(review, restore)])

    def activity(
        self, since: datetime | None = None, decks: Collection[str] | None = None
    ) -> dict[str, dict[int, Tally]]:
        first = slot_of(since) if since is not None else None
        if first is not None:
            self._read_up(CARDS, decks)
            known = list(self._cards) if decks is None else [d for d in decks if d in self._cards]
            if all(self._recent_from[deck] <= first for deck in known):
                return {deck: self._recent[deck].since(first) for deck in known}
        self._read_up(ACTIVITY, decks)
        wanted = (
            self._activity.keys() if decks is None else [d for d in decks if d in self._activity]
        )
        return {deck: self._activity[deck].since(first) for deck in wanted}

    def active_slots(self, decks: Collection[str] | None = None) -> dict[str, set[int]]:
        self._read_up(ACTIVITY, decks)
        wanted = (
            self._activity.keys() if decks is None else [d for d in decks if d in self._activity]
        )
        return {deck: self._activity[deck].hours() for deck in wanted}

    def reviews(self) -> Iterator[Review]:
        end = self._log_end()
        undone = {line["undo"] for line, _, _ in self._read(Offset(), end) if "undo" in line}
        for line, _, _ in self._read(Offset(), end):
            if "undo" not in line and "set" not in line and line["id"] not in undone:
                yield Review.from_dict(line)  # type: ignore[arg-type]

    def import_reviews(self, reviews: list[Review]) -> int:
        with self._locked():
            self._catch_up(CARDS, None)
            self._catch_up(ACTIVITY, None)
            end = self._end
            known: set[str] = set()
            undone: set[str] = set()
            history: dict[CardKey, list[Review]] = {}
            touched = {r.key for r in reviews}
            for line, _, _ in self._read(Offset(), end):
                if "undo" in line:
                    undone.add(line["undo"])
                elif "set" not in line:
                    known.add(line["id"])
                    if (line["deck"], line["card"]) in touched:
                        history.setdefault((line["deck"], line["card"]), []).append(
                            Review.from_dict(line)  # type: ignore[arg-type]
                        )
            fresh = list({r.id: r for r in reviews if r.id not in known}.values())
            if not fresh:
                return 0
            keys = {r.key for r in fresh}
            standing = [r for key in keys for r in history.get(key, []) if r.id not in undone]
            from flashcards.scheduling import replay  # FSRS is needed only to import

            replayed = replay(standing + fresh)
            fresh_ids = {r.id for r in fresh}
            lines = [dict(r.to_dict()) for r in replayed.reviews if r.id in fresh_ids]
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
        """Compact in the background when enough of the log sits past the snapshot.

        The work runs in a thread on a store object of its own (so it shares no
        memory with this one) and ``close`` waits for it: a session goes on while
        the snapshot is rewritten, and nothing is left half done at exit.
        """
        index, _ = self.snapshot.read_index()
        try:
            size = self.log_path.stat().st_size
        except FileNotFoundError:
            return
        due = size - index.bytes >= COMPACT_AFTER_BYTES or bool(self._damaged)
        if not due or self._compactor is not None:
            return
        worker = JsonStore(self.folder)

        def compact() -> None:
            try:
                worker.compact()
            except (StoreError, OSError) as exc:
                self.notices.append(f"{self.folder}: compaction skipped ({exc})")

        self._compactor = threading.Thread(target=compact, name="compaction")
        self._compactor.start()

    def compact(self) -> None:
        """Write the snapshot as of the end of the log, atomically, file by file."""
        with self._locked():
            self._compact()

    def close(self) -> None:
        if self._compactor is not None:
            self._compactor.join()
            self._compactor = None

    # -- reading -------------------------------------------------------------

    def _read_up(self, kind: str, decks: Collection[str] | None) -> None:
        """Catch up for reading. Appends are whole lines, so readers need no lock; only
        a line without its newline at the end (a write under way, or a crash) sends the
        reader to take the lock, which tells the two apart and repairs a torn tail."""
        self._catch_up(kind, decks, repair=False)
        if self._torn:
            with self._locked():
                self._catch_up(kind, decks)
        if kind == CARDS:
            self._recompute_stale()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        from filelock import FileLock, Timeout  # only writers pay for importing it

        if self._lock is None:
            self._lock = FileLock(self.folder / LOCK, timeout=LOCK_TIMEOUT_S)
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
        if raw is None or isinstance(raw, CardState):
            return raw
        return decode_state(raw)

    def _log_end(self) -> Offset:
        """Where the log ends now (as an end to read up to; its line count is not needed)."""
        try:
            return Offset(self.log_path.stat().st_size, 0)
        except FileNotFoundError:
            return Offset()

    def _catch_up(self, kind: str, decks: Collection[str] | None, repair: bool = True) -> None:
        """Load the snapshot of ``kind`` for the decks (all when ``None``) and apply
        the log lines after it. With ``repair`` the caller holds the lock."""
        index, files = self.snapshot.read_index()
        wanted = set(self.snapshot.decks()) if decks is None else set(decks)
        for deck in wanted:
            if (deck, kind) not in self._pos:
                self._load(deck, kind, index, files)
        if decks is None:
            self._all.add(kind)
        positions = [pos for (deck, k), pos in self._pos.items() if k == kind and deck in wanted]
        start = min([*positions, index] if decks is None else positions or [index])
        self._torn = False
        for line, begin, _ in self._read(start, None, repair=repair):
            deck = line["deck"]
            if (deck, kind) not in self._pos and kind in self._all:
                self._fresh(deck, kind, index)
            pos = self._pos.get((deck, kind))
            if pos is not None and begin.bytes >= pos.bytes:
                self._apply(line, kind)
        # Every deck whose position was at or past ``start`` has now seen every line.
        for key, pos in self._pos.items():
            if key[1] == kind and pos.bytes >= start.bytes:
                self._pos[key] = self._end

    def _load(self, deck: str, kind: str, index: Offset, files: dict[str, int]) -> None:
        found = self.snapshot.read(deck, kind)
        if found is not None and kind == CARDS and not _is_cards_payload(found[1]):
            found = None
        if found is None:
            if deck in files:
                if not self._damaged:
                    self.notices.append(
                        f"{self.snapshot.folder}: unreadable (first for deck {deck!r}); "
                        "rebuilt from the review log"
                    )
                self._damaged.add(deck)
                self._fresh(deck, kind, Offset())
            else:
                self._fresh(deck, kind, index)
            return
        offset, payload = found
        if files.get(deck) == offset.bytes and index.bytes > offset.bytes:
            offset = index  # nothing for this deck between its files and the index
        if kind == CARDS:
            self._cards[deck] = dict(payload["cards"])
            self._recent[deck] = DeckActivity(flat=list(payload["recent"]))
            self._recent_from[deck] = payload["recent_from"]
        else:
            self._activity[deck] = DeckActivity(flat=list(payload))
        self._pos[(deck, kind)] = offset

    def _fresh(self, deck: str, kind: str, start: Offset) -> None:
        if kind == CARDS:
            self._cards[deck] = {}
            # Nothing for this deck before ``start``: its recent activity is all there is.
            self._recent[deck] = DeckActivity()
            self._recent_from[deck] = float("-inf")
        else:
            self._activity[deck] = DeckActivity()
        self._pos[(deck, kind)] = start

    def _read(
        self, start: Offset, end: Offset | None, repair: bool = False
    ) -> Iterator[tuple[dict[str, Any], Offset, Offset]]:
        """Parse the log from ``start`` (to ``end``, or the end of the file), yielding
        each object with the offsets before and after it. A torn last line (no newline
        at the end of the file) is set aside when ``repair`` is on; any other bad line
        stops everything with the file and line number."""
        try:
            with open(self.log_path, "rb") as handle:
                if start.bytes > os.fstat(handle.fileno()).st_size:
                    raise StoreError(
                        f"{self.log_path}: shorter than its snapshot says; restore the log "
                        f"from a backup or remove {self.snapshot.folder} to rebuild from it"
                    )
                handle.seek(start.bytes)
                data = handle.read() if end is None else handle.read(end.bytes - start.bytes)
        except FileNotFoundError:
            return
        position, lineno = start.bytes, start.lines
        limit = start.bytes + len(data)
        for raw in data.splitlines(keepends=True):
            before = Offset(position, lineno)
            if not raw.endswith(b"\n"):
                if repair and end is None:
                    self._set_aside_torn_tail(position, raw)
                else:
                    self._torn = True
                break
            lineno += 1
            try:
                line = json.loads(raw)
                _check_line(line)
            except KeyError as exc:
                raise self._corrupt(lineno, f"missing `{exc.args[0]}`") from None
            except (ValueError, TypeError, AttributeError) as exc:
                raise self._corrupt(lineno, str(exc)) from None
            position += len(raw)
            yield line, before, Offset(position, lineno)
        if end is None and position <= limit:
            self._end = Offset(position, lineno)

    def _corrupt(self, lineno: int, reason: str) -> StoreError:
        return StoreError(
            f"{self.log_path}:{lineno}: corrupt review log line ({reason}); "
            "fix or remove that line — the file was left untouched"
        )

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

    def _apply(self, line: dict[str, Any], kind: str) -> None:
        deck, card = line["deck"], line["card"]
        if kind == CARDS:
            state = line.get("state")
            cards = self._cards[deck]
            if state is None:
                cards.pop(card, None)
            else:
                cards[card] = CardState.from_dict(state)
        if "set" in line:
            return
        sign = -1 if "undo" in line else 1
        review = Review(
            id="",
            deck=deck,
            card=card,
            rating=line["rating"],
            reviewed_at=datetime.fromisoformat(line["reviewed_at"]),
            duration_ms=None,
            before=line["before"],
        )
        counts = self._recent[deck] if kind == CARDS else self._activity[deck]
        counts.extra.setdefault(slot_of(review.reviewed_at), Tally()).add(review, sign)

    # -- states written by an older version ----------------------------------

    def _recompute_stale(self) -> None:
        """Replace states written under older scheduling rules (``CardState.stale``) by
        replaying their cards' reviews from the log. In memory only: a writer keeps
        them (``_save_recomputed``), so a reading command never changes the log."""
        stale = {
            (deck, card)
            for deck, cards in self._cards.items()
            for card, raw in cards.items()
            if isinstance(raw, CardState) and raw.stale
        }
        if not stale:
            return
        from flashcards.scheduling import replay

        undone: set[str] = set()
        history: list[Review] = []
        for line, _, _ in self._read(Offset(), self._end):
            if "undo" in line:
                undone.add(line["undo"])
            elif "set" not in line and (line["deck"], line["card"]) in stale:
                history.append(Review.from_dict(line))  # type: ignore[arg-type]
        states = replay(r for r in history if r.id not in undone).states
        for deck, card in stale:
            state = states.get((deck, card))
            if state is None:
                self._cards[deck].pop(card, None)
            else:
                self._cards[deck][card] = state
            self._recomputed.add((deck, card))

    def _save_recomputed(self) -> None:
        """Append the states recomputed by ``_recompute_stale`` as ``set`` lines (the
        reviews themselves stay exactly as they were). Caller holds the lock."""
        self._recompute_stale()
        lines = []
        for deck, card in sorted(self._recomputed):
            state = self._current((deck, card))
            lines.append(
                {"set": 1, "deck": deck, "card": card, "state": state.to_dict() if state else None}
            )
        self._recomputed.clear()
        if lines:
            self._append(lines)

    # -- writing -------------------------------------------------------------

    def _append(self, lines: list[dict[str, Any]]) -> None:
        """Append lines durably and apply them to what is in memory. Caller holds the
        lock and has caught up, so memory is current up to the old end of the log."""
        payload = b"".join(
            json.dumps(line, separators=(",", ":")).encode() + b"\n" for line in lines
        )
        append_durably(self.log_path, payload)
        for line in lines:
            for kind in (CARDS, ACTIVITY):
                if (line["deck"], kind) not in self._pos and kind in self._all:
                    self._fresh(line["deck"], kind, self._end)
                if (line["deck"], kind) in self._pos:
                    self._apply(line, kind)
        old_end = self._end
        self._end = Offset(old_end.bytes + len(payload), old_end.lines + len(lines))
        for key, pos in self._pos.items():
            if pos == old_end:
                self._pos[key] = self._end

    def _compact(self) -> None:
        self._catch_up(CARDS, None)
        self._catch_up(ACTIVITY, None)
        self._save_recomputed()
        _, files = self.snapshot.read_index()
        end = self._end
        for deck in set(self._cards) | set(self._activity):
            if files.get(deck) == end.bytes and deck not in self._damaged:
                continue
            cards = {
                card: encode_state(raw) if isinstance(raw, CardState) else raw
                for card, raw in self._cards.get(deck, {}).items()
            }
            flat = self._activity.get(deck, DeckActivity()).merged_flat()
            recent_from = (flat[-5] - RECENT_SLOTS) if flat else 0
            recent = DeckActivity(flat=flat).since(recent_from)
            recent_flat = [x for hour in sorted(recent) for x in (hour, *recent[hour].as_list())]
            payload = {"cards": cards, "recent": recent_flat, "recent_from": recent_from}
            self.snapshot.write(deck, CARDS, end, payload)
            self.snapshot.write(deck, ACTIVITY, end, flat)
            self._activity[deck] = DeckActivity(flat=flat)
            self._recent[deck] = DeckActivity(flat=recent_flat)
            self._recent_from[deck] = recent_from
            files[deck] = end.bytes
        self.snapshot.write_index(end, files)
        self._damaged.clear()


def _is_cards_payload(payload: Any) -> bool:
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("cards"), dict)
        and isinstance(payload.get("recent"), list)
        and isinstance(payload.get("recent_from"), int | float)
    )


def _check_line(line: Any) -> None:
    """Refuse a line that is JSON but not one of ours: every field used later is checked
    here, so a damaged line stops with its line number instead of failing further on."""
    if not isinstance(line, dict):
        raise ValueError("not an object")
    for key in ("deck", "card"):
        if not isinstance(line[key], str) or not line[key]:
            raise ValueError(f"`{key}` is not text")
    state = line["state"]
    if state is not None:
        parsed = CardState.from_dict(state)
        if parsed.due.tzinfo is None or (parsed.last_review and parsed.last_review.tzinfo is None):
            raise ValueError("a time in `state` has no UTC offset")
    if "set" in line:
        return  # a state recomputed from the log (null: the card is new again)
    key = "undo" if "undo" in line else "id"
    if not isinstance(line[key], str):
        raise ValueError(f"`{key}` is not text")
    if line["rating"] not in (1, 2, 3, 4) or isinstance(line["rating"], bool):
        raise ValueError("`rating` is not 1-4")
    if line["before"] not in (0, 1, 2, 3) or isinstance(line["before"], bool):
        raise ValueError("`before` is not 0-3")
    if datetime.fromisoformat(line["reviewed_at"]).tzinfo is None:
        raise ValueError("`reviewed_at` has no UTC offset")


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
