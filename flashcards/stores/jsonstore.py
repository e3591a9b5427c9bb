"""The default store: an append-only JSON Lines review log plus a snapshot cache.

Layout of the folder:

* ``reviews.jsonl`` — the source of truth. One JSON object a line: a review
  (with the card's state after it), an ``undo`` (naming the review taken back
  and the state restored) or a ``set`` (a state recomputed by an import). Framing
  (what is a line, a torn tail) is ``logfile``'s.
* ``snapshot/`` — per-deck card states and activity per quarter hour as of an offset of
  the log (see ``snapshot.py``); replaced atomically, never rewritten in place,
  and ignored (the log is replayed instead) whenever unreadable or no longer matching
  the log.
* ``reviews.lock`` — held by writers: while appending, setting aside a torn tail,
  importing and compacting. Readers take no lock and never change the log.
* ``reviews.jsonl.pending`` — present only while an import appends: the log size before
  it. Readers stop there; a writer finding it (the import was killed) cuts the log
  back to it, so an import is in the log whole or not at all.

Opening a deck reads its snapshot files and the few log lines after them; the
whole log is read only by export, import, compaction and ``flashcards check``.
"""

from __future__ import annotations

import bisect
import json
import shutil
import tempfile
import threading
import zlib
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path
from typing import IO, Any, NamedTuple

from flashcards import fsutil
from flashcards.days import study_date
from flashcards.due import DueEntry, entry_of
from flashcards.errors import ConflictError, StoreError
from flashcards.exchange import YEARS, in_years
from flashcards.model import (
    CARD_MARKS,
    CRAM,
    NO_FLAGS,
    CardState,
    DayStats,
    Flags,
    Review,
    Tally,
    action_of,
    fold_flags,
    slot_of,
)
from flashcards.stores import CardKey, Schedulers, StoreContext, default_schedulers, register
from flashcards.stores.logfile import (
    Line,
    Offset,
    append_lines,
    first_of_each,
    read_lines,
    set_aside,
    window_digest,
)
from flashcards.stores.snapshot import (
    Damaged,
    DeckActivity,
    SnapshotFolder,
    decode_state,
    encode_state,
    encoded_entry,
)

LOG = "reviews.jsonl"
LOCK = "reviews.lock"
PENDING = "reviews.jsonl.pending"
#: Compact the log into the snapshot once this many bytes sit past it (~1,000 answers).
COMPACT_AFTER_BYTES = 400_000
LOCK_TIMEOUT_S = 30
#: Quarter hours of activity, back from a deck's latest, kept with its cards (two days).
RECENT_SLOTS = 48 * 4
#: An import replays its cards in groups of about this many reviews (bounded memory).
IMPORT_GROUP = 50_000

REBUILT = "rebuilt from the review log"

CARDS, ACTIVITY, DAYS = "cards", "activity", "days"
#: Every kind of snapshot file a deck has.
KINDS = (CARDS, ACTIVITY, DAYS)


class JsonStore:
    """Progress in a folder of plain files (see the module docstring)."""

    def __init__(
        self,
        folder: Path,
        *,
        use_snapshot: bool = True,
        schedulers: Schedulers = default_schedulers,
    ) -> None:
        """Open the store in ``folder`` (made by the first write, never by a reader).
        With ``use_snapshot`` off, nothing is read from the snapshot: everything comes
        from the log (``flashcards check`` compares the two). ``schedulers`` gives each
        deck's scheduler, for replays."""
        self.folder = folder
        self._schedulers = schedulers
        self._use_snapshot = use_snapshot
        self.location = str(folder)
        self.notices: list[str] = []
        self.log_path = folder / LOG
        self.snapshot = SnapshotFolder(folder / "snapshot")
        self._lock: Any = None  # a filelock.FileLock, made when first written
        self._compactor: threading.Thread | None = None
        self._damaged: set[str] = set()  # decks whose snapshot had to be rebuilt
        self._index_damaged = False
        self._wrote = False  # whether this object appended to the log
        # What is in memory, per deck, and up to which log offset it is current.
        self._cards: dict[str, dict[str, CardState | list[Any]]] = {}
        #: Per deck and card, the marks that stand, in time order (they make its flags).
        self._marks: dict[str, dict[str, list[Mark]]] = {}
        self._activity: dict[str, DeckActivity] = {}
        #: Per deck, the answers of each study day (in the offset of each answer).
        self._days: dict[str, dict[date, DayStats]] = {}
        # The last two days of each deck's activity travel with its cards, so that
        # "what was done today" needs no activity file: ``_recent_from`` says from
        # which hour that copy is complete.
        self._recent: dict[str, DeckActivity] = {}
        self._recent_from: dict[str, float] = {}
        self._pos: dict[tuple[str, str], Offset] = {}
        self._all: set[str] = set()  # kinds loaded for every deck
        self._end = Offset()
        #: A torn tail found by the last catch-up (set aside by a writer).
        self._tail: Line | None = None
        #: Digests of the log before offsets that snapshot files name (they do not change).
        self._windows: dict[int, str | None] = {}
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
        if review.state is None and not review.is_mark:
            raise ValueError("a review to record must carry the state after it")
        with self._writing():
            self._catch_up(CARDS, [review.deck], repair=True)
            self._save_recomputed()
            current = self._current(review.key)
            if current != expected:
                raise ConflictError(f"{review.deck}/{review.card} changed meanwhile", current)
            self._append([dict(review.to_dict())])

    def undo(self, review: Review, restore: CardState | None) -> None:
        with self._writing():
            self._catch_up(CARDS, [review.deck], repair=True)
            self._save_recomputed()
            current = self._current(review.key)
            if current != review.state:
                raise ConflictError(f"{review.deck}/{review.card} changed meanwhile", current)
            self._append([_undo_line(review, restore)])

    def flags(self, decks: Collection[str] | None = None) -> dict[CardKey, Flags]:
        self._read_up(CARDS, decks)
        wanted = self._marks.keys() if decks is None else [d for d in decks if d in self._marks]
        out: dict[CardKey, Flags] = {}
        for deck in wanted:
            for card, marks in self._marks[deck].items():
                flags = fold_flags((mark.action, mark.at) for mark in marks)
                if flags != NO_FLAGS:
                    out[(deck, card)] = flags
        return out

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

    def day_stats(self, decks: Collection[str] | None = None) -> dict[str, dict[date, DayStats]]:
        self._read_up(DAYS, decks)
        wanted = self._days.keys() if decks is None else [d for d in decks if d in self._days]
        out = {}
        for deck in wanted:
            days = {day: stats for day, stats in self._days[deck].items() if not stats.empty}
            if days:  # a deck whose answers were all undone has none, as in every store
                out[deck] = days
        return out

    def active_slots(self, decks: Collection[str] | None = None) -> dict[str, set[int]]:
        self._read_up(ACTIVITY, decks)
        wanted = (
            self._activity.keys() if decks is None else [d for d in decks if d in self._activity]
        )
        return {deck: self._activity[deck].hours() for deck in wanted}

    def reviews(self) -> Iterator[Review]:
        """Every standing review, oldest first in the log; a review id the log holds
        twice (a duplicated line) counts once. Streams: the log is read twice, and any
        damage is reported by the first pass, before anything is yielded."""
        end = self._readable_end()
        undone = {e.line["undo"] for e, _, _ in self._read(Offset(), end) if "undo" in e.line}
        entries = (
            entry
            for entry, _, _ in self._read(Offset(), end)
            if entry.is_review and entry.line["id"] not in undone
        )
        for entry in first_of_each(entries, lambda entry: entry.line["id"]):
            yield entry.review()

    def import_reviews(self, reviews: Iterable[Review]) -> int:
        """Add the reviews whose ids the log does not hold (each id once), with the
        states of their cards recomputed by replaying; returns how many were added.

        Streams in bounded memory: the fresh reviews are spilled to files by card, each
        group is replayed with its cards' history, and the result is appended in one
        all-or-nothing append (``PENDING`` marks it until it is durable)."""
        with self._writing():
            self._catch_up(KINDS, None, repair=True)
            self._save_recomputed()
            size_hint = len(reviews) if isinstance(reviews, Collection) else 0
            groups = max(1, size_hint // IMPORT_GROUP + 1)
            try:
                with tempfile.TemporaryDirectory(prefix=".import-", dir=self.folder) as scratch:
                    with _Spill(Path(scratch), groups) as spill:
                        added = self._spill_import(reviews, spill)
                    if not added:
                        return 0
                    payload = Path(scratch) / "payload.jsonl"
                    with open(payload, "wb") as out:
                        for group in range(groups):
                            _replay_group(spill.read(group), out, self._schedulers)
                    self._append_import(payload)
            except OSError as exc:
                raise StoreError(
                    f"{self.folder}: cannot import ({_reason(exc)}); nothing was written"
                ) from None
            self._catch_up(KINDS, None, repair=True)
            try:
                self._compact(repair_log=True)
            except (OSError, StoreError) as exc:
                self.notices.append(f"{self.folder}: compaction skipped ({_reason(exc)})")
            return added

    def maintain(self) -> None:
        """Compact in the background when enough of the log sits past the snapshot.

        The work runs in a thread on a store object of its own (so it shares no
        memory with this one) and ``close`` waits for it: a session goes on while
        the snapshot is rewritten, and nothing is left half done at exit. It changes
        the log only if this object has written to it (a reading command never does).
        """
        if self._compactor is not None:
            return
        try:
            index = self.snapshot.read_index()
        except Damaged:
            index = None
        try:
            size = self.log_path.stat().st_size
        except FileNotFoundError:
            return
        behind = size - (index.offset.bytes if index is not None else 0)
        due = behind >= COMPACT_AFTER_BYTES or bool(self._damaged) or self._index_damaged
        if not due:
            return
        worker = JsonStore(self.folder, schedulers=self._schedulers)
        repair_log = self._wrote

        def compact() -> None:
            try:
                worker.compact(repair_log=repair_log)
            except (StoreError, OSError) as exc:
                self.notices.append(f"{self.folder}: compaction skipped ({_reason(exc)})")
            # (damage the worker found again was reported when this object read it)
            self.notices.extend(n for n in worker.notices if not n.endswith(REBUILT))

        self._compactor = threading.Thread(target=compact, name="compaction")
        self._compactor.start()

    def compact(self, *, repair_log: bool = True) -> None:
        """Write the snapshot as of the end of the log, atomically, file by file.

        With ``repair_log`` (a writer) a torn tail is set aside, an import cut short is
        rolled back and recomputed states are appended first; without it the log is
        left exactly as it is, and the snapshot stops before anything unfinished."""
        with self._locked():
            if repair_log:
                self._recover()
            self._compact(repair_log=repair_log)

    def rebuild_snapshot(self) -> None:
        """Remove every snapshot file and write them again from the log (as a writer)."""
        with self._writing():
            for path in self.snapshot.folder.glob("*.json"):
                try:
                    path.unlink()
                except OSError as exc:
                    raise StoreError(f"{path}: cannot remove ({exc.strerror})") from None
            self._compact(repair_log=True)

    def close(self) -> None:
        if self._compactor is not None:
            self._compactor.join()
            self._compactor = None

    # -- reading -------------------------------------------------------------

    def _read_up(self, kind: str, decks: Collection[str] | None) -> None:
        """Catch up for reading: no lock, nothing written. Appends are whole lines; a
        line without its newline at the end (a write under way, or a crash) is left
        for a writer to deal with."""
        self._catch_up(kind, decks)
        if kind == CARDS:
            self._recompute_stale()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        from filelock import FileLock, Timeout  # only writers pay for importing it

        if self._lock is None:
            # Made by the first writer: a reading command never creates the folder.
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"{self.folder}: cannot create the progress folder ({exc.strerror})"
                ) from None
            self._lock = FileLock(self.folder / LOCK, timeout=LOCK_TIMEOUT_S)
        try:
            self._lock.acquire()
        except Timeout:
            raise StoreError(
                f"{self._lock.lock_file}: another flashcards process has held the lock for "
                f"{LOCK_TIMEOUT_S}s; close it and try again"
            ) from None
        except OSError as exc:
            raise StoreError(
                f"{self._lock.lock_file}: cannot take the lock ({exc.strerror}); "
                "is the folder read-only?"
            ) from None
        try:
            yield
        finally:
            self._lock.release()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """The lock, with an import cut short by a crash rolled back first."""
        with self._locked():
            self._recover()
            yield

    def _current(self, key: CardKey) -> CardState | None:
        raw = self._cards.get(key[0], {}).get(key[1])
        if raw is None or isinstance(raw, CardState):
            return raw
        return decode_state(raw)

    def _pending(self) -> int | None:
        return pending_import(self.folder)

    def _readable_end(self) -> int | None:
        """Where reading stops: before an import still being appended (or cut short)."""
        return self._pending()

    def _recover(self) -> None:
        """Roll back an import a crash cut short (caller holds the lock)."""
        start = self._pending()
        marker = self.folder / PENDING
        if start is None:
            if marker.exists():  # unreadable: nothing was appended after it was made
                self._remove_marker()
            return
        try:
            # A first import killed before its first byte reached the log leaves no log.
            size = self.log_path.stat().st_size if self.log_path.exists() else 0
            if size > start:
                fsutil.truncate_durably(self.log_path, start)
            self._remove_marker()
        except OSError as exc:
            raise StoreError(
                f"{self.log_path}: cannot roll back an import cut short ({exc.strerror})"
            ) from None
        if size > start:
            self.notices.append(
                f"{self.log_path}: an import cut short was rolled back "
                f"({size - start} bytes); run it again"
            )

    def _remove_marker(self) -> None:
        (self.folder / PENDING).unlink(missing_ok=True)
        fsutil.fsync_dir(self.folder)

    def _catch_up(
        self, kinds: str | tuple[str, ...], decks: Collection[str] | None, repair: bool = False
    ) -> None:
        """Load the snapshot of ``kinds`` for the decks (all when ``None``) and apply
        the log lines after it, in one pass. With ``repair`` the caller holds the lock,
        and a torn tail is set aside."""
        kinds = (kinds,) if isinstance(kinds, str) else kinds
        index, files = self._index()
        known = self.snapshot.decks(files) if self._use_snapshot else []
        wanted = set(known) if decks is None else set(decks)
        for kind in kinds:
            for deck in wanted:
                if (deck, kind) not in self._pos:
                    self._load(deck, kind, index, files)
            if decks is None:
                self._all.add(kind)
        positions = [pos for (deck, k), pos in self._pos.items() if k in kinds and deck in wanted]
        start = min([*positions, index] if decks is None else positions or [index])
        end = start
        reading = self._read(start, self._readable_end())
        for entry, begin, after in reading:
            end = after
            deck = entry.line["deck"]
            for kind in kinds:
                if (deck, kind) not in self._pos and kind in self._all:
                    self._fresh(deck, kind, index)
                pos = self._pos.get((deck, kind))
                if pos is not None and begin.bytes >= pos.bytes:
                    self._apply(entry, kind)
        self._end = end
        self._tail = reading.tail
        # Every deck whose position was at or past ``start`` has now seen every line.
        for key, pos in self._pos.items():
            if key[1] in kinds and pos.bytes >= start.bytes:
                self._pos[key] = self._end
        if repair and self._tail is not None:
            self._set_aside_torn_tail(self._tail)

    def _index(self) -> tuple[Offset, dict[str, int]]:
        """The index's offset and deck files, if it can be trusted (else nothing)."""
        if not self._use_snapshot:
            return Offset(), {}
        try:
            found = self.snapshot.read_index()
            if found is not None and not self._matches_log(found.offset, found.window):
                raise Damaged(
                    f"{self.snapshot.folder / 'index.json'}: does not match {LOG} "
                    "(was the log edited?)"
                )
        except Damaged as exc:
            if not self._index_damaged:
                self._index_damaged = True
                self._note_rebuild(str(exc))
            return Offset(), {}
        if found is None:
            return Offset(), {}
        return found.offset, found.data

    def _matches_log(self, offset: Offset, window: str) -> bool:
        if offset.bytes not in self._windows:
            self._windows[offset.bytes] = window_digest(self.log_path, offset.bytes)
        return self._windows[offset.bytes] == window

    def _note_rebuild(self, reason: str) -> None:
        if not self._damaged and not any(n.endswith(REBUILT) for n in self.notices):
            self.notices.append(f"{reason}; {REBUILT}")

    def _load(self, deck: str, kind: str, index: Offset, files: dict[str, int]) -> None:
        if not self._use_snapshot:
            self._fresh(deck, kind, Offset())
            return
        try:
            found = self.snapshot.read(deck, kind)
            path = self.snapshot.path(deck, kind)
            if found is not None and not _is_payload(kind, found.data):
                raise Damaged(f"{path}: not a {kind} file")
            if found is not None and not self._matches_log(found.offset, found.window):
                raise Damaged(f"{path}: does not match {LOG} (was the log edited?)")
        except Damaged as exc:
            self._rebuild(deck, kind, str(exc))
            return
        if found is None:
            if files.get(deck, -1) >= 0:
                self._note_rebuild(f"{self.snapshot.path(deck, kind)}: missing")
                self._damaged.add(deck)
            # A deck the index does not list had no line before the index's offset;
            # one it lists without a usable file is read from the start.
            self._fresh(deck, kind, Offset() if deck in files else index)
            return
        offset, payload = found.offset, found.data
        if files.get(deck) == offset.bytes and index.bytes > offset.bytes:
            offset = index  # nothing for this deck between its files and the index
        if kind == CARDS:
            marks = _marks_of(payload["marks"])
            if marks is None:
                self._rebuild(deck, kind, f"{self.snapshot.path(deck, kind)}: not a {kind} file")
                return
            self._marks[deck] = marks
            self._cards[deck] = dict(payload["cards"])
            self._recent[deck] = DeckActivity(flat=list(payload["recent"]))
            self._recent_from[deck] = payload["recent_from"]
        elif kind == DAYS:
            days = _days_of(payload)
            if days is None:
                self._rebuild(deck, kind, f"{self.snapshot.path(deck, kind)}: not a {kind} file")
                return
            self._days[deck] = days
        else:
            self._activity[deck] = DeckActivity(flat=list(payload))
        self._pos[(deck, kind)] = offset

    def _rebuild(self, deck: str, kind: str, reason: str) -> None:
        """A snapshot file that cannot be used: say why (once) and read the deck's lines
        from the start of the log."""
        self._note_rebuild(reason)
        self._damaged.add(deck)
        self._fresh(deck, kind, Offset())

    def _fresh(self, deck: str, kind: str, start: Offset) -> None:
        if kind == CARDS:
            self._cards[deck] = {}
            self._marks[deck] = {}
            # Nothing for this deck before ``start``: its recent activity is all there is.
            self._recent[deck] = DeckActivity()
            self._recent_from[deck] = float("-inf")
        elif kind == DAYS:
            self._days[deck] = {}
        else:
            self._activity[deck] = DeckActivity()
        self._pos[(deck, kind)] = start

    def _read(self, start: Offset, end: int | None = None) -> _Reading:
        """Parse the log from ``start`` up to byte ``end`` (the end of the file when
        ``None``); see ``_Reading``. Any bad line stops everything with the file and
        line number; a torn tail ends the reading (``tail``) and is left alone."""
        try:
            size = self.log_path.stat().st_size
        except FileNotFoundError:
            size = 0
        if start.bytes > size:
            raise StoreError(
                f"{self.log_path}: shorter than its snapshot says; restore the log "
                f"from a backup or remove {self.snapshot.folder} to rebuild from it"
            )
        return _Reading(self, start, end)

    def _corrupt(self, lineno: int, reason: str) -> StoreError:
        return StoreError(
            f"{self.log_path}:{lineno}: corrupt review log line ({reason}); "
            "fix or remove that line — the file was left untouched"
        )

    def _set_aside_torn_tail(self, tail: Line) -> None:
        """A crash mid-append leaves half a line; keep its bytes aside and cut it off.
        Caller holds the lock."""
        try:
            aside = set_aside(self.log_path, tail)
        except OSError as exc:
            raise StoreError(
                f"{self.log_path}:{tail.number}: cannot set aside an incomplete last line "
                f"left by a crash ({exc.strerror}); the file was left untouched"
            ) from None
        self._tail = None
        self.notices.append(
            f"{self.log_path}: dropped an incomplete last line left by a crash (kept in {aside.name})"
        )

    def _apply(self, entry: LogEntry, kind: str) -> None:
        line = entry.line
        deck, card = line["deck"], line["card"]
        if kind == CARDS:
            cards = self._cards[deck]
            if entry.state is None:
                cards.pop(card, None)
            else:
                cards[card] = entry.state
            if "undo" in line or "action" in line:
                self._apply_mark(entry)
        if entry.reviewed_at is None:
            return  # a ``set`` line (a state, no review)
        action = line.get("action")
        if action is not None and not (kind == DAYS and action == CRAM):
            return  # a mark (not an answer); a cram answer counts in the days only
        sign = -1 if "undo" in line else 1
        if kind == DAYS:
            answer = Review(
                "",
                deck,
                card,
                line["rating"],
                entry.reviewed_at,
                line.get("duration_ms"),
                line["before"],
                action=action,
            )
            day = study_date(entry.reviewed_at)
            self._days[deck].setdefault(day, DayStats()).add(answer, line.get("last_ivl"), sign)
            return
        slot = slot_of(entry.reviewed_at)
        if kind == CARDS and slot < self._recent_from[deck]:
            return  # older than the recent activity kept with the cards
        review = Review("", deck, card, line["rating"], entry.reviewed_at, None, line["before"])
        counts = self._recent[deck] if kind == CARDS else self._activity[deck]
        counts.extra.setdefault(slot, Tally()).add(review, sign)
        if kind == CARDS and len(counts.extra) > 4 * RECENT_SLOTS:
            # Replaying a long history: keep only the last two days with the cards
            # (what is older is in the activity counts), so memory stays small.
            latest = counts.latest()
            assert latest is not None
            counts.prune(latest - RECENT_SLOTS)
            self._recent_from[deck] = max(self._recent_from[deck], latest - RECENT_SLOTS)

    def _apply_mark(self, entry: LogEntry) -> None:
        """Keep a mark with its card's standing marks (in time order; an imported one may
        be older than some), or take out the mark an ``undo`` names."""
        line = entry.line
        marks = self._marks[line["deck"]]
        card = line["card"]
        kept = marks.get(card, [])
        if "undo" in line:
            kept = [mark for mark in kept if mark.id != line["undo"]]
        elif line["action"] not in CARD_MARKS:
            return  # a cram answer: nothing to keep with the card
        elif entry.reviewed_at is not None and all(mark.id != line["id"] for mark in kept):
            at = entry.reviewed_at
            kept.insert(
                bisect.bisect_right([mark.at for mark in kept], at),
                Mark(line["id"], line["action"], at),
            )
        if kept:
            marks[card] = kept
        else:
            marks.pop(card, None)

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
        for entry, _, _ in self._read(Offset(), self._end.bytes):
            line = entry.line
            if "undo" in line:
                undone.add(line["undo"])
            elif entry.is_review and (line["deck"], line["card"]) in stale:
                history.append(entry.review())
        standing = first_of_each((r for r in history if r.id not in undone), lambda r: r.id)
        states = replay(standing, config=self._schedulers).states
        for deck, card in stale:
            state = states.get((deck, card))
            if state is None:
                self._cards[deck].pop(card, None)
            else:
                self._cards[deck][card] = state
            self._recomputed.add((deck, card))

    def _has_stale(self) -> bool:
        return any(
            isinstance(raw, CardState) and raw.stale
            for cards in self._cards.values()
            for raw in cards.values()
        )

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
        if lines:
            self._append(lines)
        self._recomputed.clear()

    # -- writing -------------------------------------------------------------

    def _append(self, lines: list[dict[str, Any]]) -> None:
        """Append lines durably and apply them to what is in memory. Caller holds the
        lock and has caught up what it needs, up to the old end of the log."""
        payload = b"".join(
            json.dumps(line, separators=(",", ":")).encode() + b"\n" for line in lines
        )
        try:
            begin = append_lines(self.log_path, payload)
        except OSError as exc:
            raise StoreError(
                f"{self.log_path}: cannot save ({exc.strerror}); nothing was written"
            ) from None
        self._wrote = True
        old_end = self._end
        for line in lines:
            entry = _entry_of(line)
            for kind in KINDS:
                key = (line["deck"], kind)
                if key not in self._pos and kind in self._all:
                    self._fresh(line["deck"], kind, old_end)
                # Only what is current up to the old end takes the lines now; what lags
                # behind (other processes appended since it was read) reads them later,
                # with the lines before them, and must not count them twice.
                if self._pos.get(key) == old_end:
                    self._apply(entry, kind)
        self._end = Offset(begin + len(payload), old_end.lines + len(lines))
        for key, pos in self._pos.items():
            if pos == old_end:
                self._pos[key] = self._end

    def _spill_import(self, reviews: Iterable[Review], spill: _Spill) -> int:
        """Spill the reviews the log does not hold to ``spill`` by card, and the
        standing history of their cards after them; returns how many are fresh."""
        known: set[str] = set()
        undone: set[str] = set()
        for entry, _, _ in self._read(Offset(), self._end.bytes):
            if "undo" in entry.line:
                undone.add(entry.line["undo"])
            elif entry.is_review:
                known.add(entry.line["id"])
        touched: set[CardKey] = set()
        added = 0
        for review in first_of_each(reviews, lambda r: r.id, known):
            fields = [review.id, review.deck, review.card, review.rating]
            at = review.reviewed_at.isoformat()
            spill.add(True, [*fields, at, review.duration_ms, review.action])
            touched.add(review.key)
            added += 1
        del known
        if added:
            standing = (
                entry.line
                for entry, _, _ in self._read(Offset(), self._end.bytes)
                if entry.is_review
                and (entry.line["deck"], entry.line["card"]) in touched
                and entry.line["id"] not in undone
            )
            for line in first_of_each(standing, lambda line: line["id"]):
                spill.add(
                    False,
                    [line[k] for k in ("id", "deck", "card", "rating", "reviewed_at")]
                    + [line.get("duration_ms"), line.get("action")],
                )
        return added

    def _append_import(self, payload: Path) -> None:
        """Append an import's lines all or nothing: ``PENDING`` names the log's end first,
        so that a crash before the append is durable leaves a marker the next writer
        rolls back to."""
        start = self.log_path.stat().st_size if self.log_path.exists() else 0
        try:
            fsutil.write_atomically(self.folder / PENDING, json.dumps({"start": start}).encode())
            with open(payload, "rb") as source:
                append_lines(self.log_path, iter(lambda: source.read(1 << 20), b""))
        except OSError as exc:
            with suppress(OSError):
                self._recover()
            raise StoreError(
                f"{self.log_path}: cannot import ({exc.strerror}); nothing was written"
            ) from None
        self._wrote = True
        try:
            self._remove_marker()
        except OSError as exc:
            raise StoreError(
                f"{self.folder / PENDING}: cannot remove ({exc.strerror}); the import is "
                "complete, but the next command will roll it back: remove that file"
            ) from None

    def _terminate_last_line(self) -> None:
        """Give a whole last line its missing newline (caller holds the lock)."""
        if self._end.bytes == 0 or _byte_before(self.log_path, self._end.bytes) == b"\n":
            return
        try:
            end = append_lines(self.log_path, b"")
        except OSError as exc:
            raise StoreError(f"{self.log_path}: cannot write ({exc.strerror})") from None
        old_end, self._end = self._end, Offset(end, self._end.lines)
        for key, pos in self._pos.items():
            if pos == old_end:
                self._pos[key] = self._end

    def _compact(self, repair_log: bool) -> None:
        self._clean_leftovers()
        self._catch_up(KINDS, None, repair=repair_log)
        if repair_log:
            self._save_recomputed()
            self._terminate_last_line()
        elif self._has_stale() or (
            self._end.bytes > 0 and _byte_before(self.log_path, self._end.bytes) != b"\n"
        ):
            return  # only a writer may append what that needs; the next one compacts
        _, files = self._index()
        end = self._end
        window = window_digest(self.log_path, end.bytes)
        if window is None:
            raise StoreError(f"{self.log_path}: shrank while being compacted")
        failed = []
        for deck in sorted(set(self._cards) | set(self._activity) | set(self._days)):
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
            marks = {
                card: [[mark.id, mark.action, mark.at.isoformat()] for mark in kept]
                for card, kept in self._marks.get(deck, {}).items()
            }
            payload = {
                "cards": cards,
                "marks": marks,
                "recent": recent_flat,
                "recent_from": recent_from,
            }
            try:
                self.snapshot.write(deck, CARDS, end, window, payload)
                self.snapshot.write(deck, ACTIVITY, end, window, flat)
                days = {
                    day.isoformat(): stats.as_list()
                    for day, stats in sorted(self._days.get(deck, {}).items())
                    if not stats.empty
                }
                self.snapshot.write(deck, DAYS, end, window, days)
            except OSError as exc:
                # One deck's trouble must not keep the others from being compacted: the
                # index says its files are not to be trusted, so it is read from the start.
                files[deck] = -1
                failed.append(f"deck {deck!r}: {exc.strerror}")
                continue
            self._activity[deck] = DeckActivity(flat=flat)
            self._recent[deck] = DeckActivity(flat=recent_flat)
            self._recent_from[deck] = recent_from
            files[deck] = end.bytes
            self._damaged.discard(deck)
        self.snapshot.write_index(end, window, files)
        self._index_damaged = False
        if failed:
            self.notices.append(
                f"{self.snapshot.folder}: could not write the snapshot of {', '.join(failed)}"
            )

    def _clean_leftovers(self) -> None:
        """Temp files and import scratch folders a killed process left (under the lock)."""
        self.snapshot.clean_temp_files()
        for scratch in self.folder.glob(".import-*"):
            shutil.rmtree(scratch, ignore_errors=True)


def pending_import(folder: Path) -> int | None:
    """Where the log in ``folder`` ended before an import that is under way or was cut
    short (``PENDING``), if one is."""
    try:
        data = json.loads((folder / PENDING).read_bytes())
        return int(data["start"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not ours to guess; `flashcards check` reports the file


class _Reading:
    """Parsed log lines ``(entry, offset before, offset after)`` from ``start`` to ``end``;
    once exhausted, ``tail`` is the torn tail that ended it, if any."""

    def __init__(self, store: JsonStore, start: Offset, end: int | None) -> None:
        self.store, self.start, self.end = store, start, end
        self.tail: Line | None = None

    def __iter__(self) -> Iterator[tuple[LogEntry, Offset, Offset]]:
        for raw in read_lines(self.store.log_path, self.start, self.end):
            if raw.torn:
                self.tail = raw
                return
            try:
                entry = parse_log_line(raw.data)
            except ValueError as exc:
                raise self.store._corrupt(raw.number, str(exc)) from None
            yield entry, raw.start, raw.end


class _Spill:
    """Reviews to import, spilled to a few files by card so that each file can be
    replayed on its own (a card's reviews are all in one file): fresh ones first,
    then their cards' history from the log."""

    def __init__(self, folder: Path, groups: int) -> None:
        self.paths = [folder / f"group-{i}.jsonl" for i in range(groups)]
        self._files: list[IO[bytes]] = []
        for path in self.paths:
            self._files.append(open(path, "wb"))  # noqa: SIM115 (closed by __exit__)

    def add(self, fresh: bool, fields: list[Any]) -> None:
        """Keep one review: ``[id, deck, card, rating, reviewed_at (ISO), duration_ms,
        action]`` (``action`` ``None`` for an answer)."""
        group = zlib.crc32(f"{fields[1]}\n{fields[2]}".encode()) % len(self.paths)
        record = json.dumps([fresh, *fields], separators=(",", ":")).encode()
        self._files[group].write(record + b"\n")

    def __enter__(self) -> _Spill:
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._files:
            handle.close()

    def read(self, group: int) -> tuple[list[Review], list[Review]]:
        """The fresh reviews of one group, and the standing history of their cards."""
        fresh: list[Review] = []
        standing: list[Review] = []
        with open(self.paths[group], "rb") as handle:
            for raw in handle:
                is_fresh, rid, deck, card, rating, at, duration, action = json.loads(raw)
                moment = datetime.fromisoformat(at)
                review = Review(rid, deck, card, rating, moment, duration, action=action)
                (fresh if is_fresh else standing).append(review)
        return fresh, standing


def _replay_group(
    group: tuple[list[Review], list[Review]], out: IO[bytes], schedulers: Schedulers
) -> None:
    """Replay one group's cards and write the lines to append: the fresh reviews with
    the states they lead to, and a ``set`` line wherever a card's final state is not
    the one its last written review leaves (an imported review older than others; a
    forget among them leaves the card new, with no state)."""
    fresh, standing = group
    if not fresh:
        return
    from flashcards.scheduling import replay  # FSRS is needed only to import

    replayed = replay(standing + fresh, config=schedulers)
    fresh_ids = {r.id for r in fresh}
    last_written: dict[CardKey, Any] = {}
    for review in replayed.reviews:
        if review.id in fresh_ids:
            written = review.to_dict()
            last_written[review.key] = written["state"]
            out.write(json.dumps(written, separators=(",", ":")).encode() + b"\n")
    for key, written in last_written.items():
        state = replayed.states.get(key)
        final = state.to_dict() if state is not None else None
        if written != final:
            line = {"set": 1, "deck": key[0], "card": key[1], "state": final}
            out.write(json.dumps(line, separators=(",", ":")).encode() + b"\n")


def _byte_before(path: Path, offset: int) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(offset - 1)
        return handle.read(1)


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def _days_of(payload: dict[str, Any]) -> dict[date, DayStats] | None:
    """A days file's counts, or ``None`` when any of them is not what it should be."""
    try:
        return {date.fromisoformat(day): DayStats.from_list(v) for day, v in payload.items()}
    except (AttributeError, TypeError, ValueError):
        return None


class Mark(NamedTuple):
    """A mark that stands, as kept per card: its review id, action and time."""

    id: str
    action: str
    at: datetime


def _marks_of(payload: Any) -> dict[str, list[Mark]] | None:
    """A cards file's marks (``{card: [[id, action, time], ...]}``, each list in time
    order; the time in ISO 8601 with the learner's offset, which decides the study day
    of a bury), or ``None`` when any of them is not what it should be."""
    try:
        out = {}
        for card, marks in payload.items():
            kept = [Mark(rid, action, datetime.fromisoformat(at)) for rid, action, at in marks]
            if not (
                isinstance(card, str)
                and kept
                and all(
                    isinstance(m.id, str) and m.action in CARD_MARKS and m.at.tzinfo is not None
                    for m in kept
                )
                and all(a.at <= b.at for a, b in pairwise(kept))
            ):
                return None
            out[card] = kept
        return out
    except (AttributeError, TypeError, ValueError, OverflowError):
        return None


def _is_payload(kind: str, payload: Any) -> bool:
    if kind == ACTIVITY:
        return isinstance(payload, list) and len(payload) % 5 == 0
    if kind == DAYS:
        return isinstance(payload, dict)  # each day is checked as it is read (``_days_of``)
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("cards"), dict)
        and isinstance(payload.get("marks"), dict)
        and isinstance(payload.get("recent"), list)
        and isinstance(payload.get("recent_from"), int | float)
    )


class LogEntry(NamedTuple):
    """One log line, checked: the object, the card state it carries and (unless it is
    a ``set`` line) the time of its review, parsed once."""

    line: dict[str, Any]
    state: CardState | None
    reviewed_at: datetime | None

    @property
    def is_review(self) -> bool:
        """A review (not an ``undo`` naming one, nor a recomputed state)."""
        return self.reviewed_at is not None and "undo" not in self.line

    def review(self) -> Review:
        line = self.line
        assert self.reviewed_at is not None
        return Review(
            line["id"],
            line["deck"],
            line["card"],
            line["rating"],
            self.reviewed_at,
            line.get("duration_ms"),
            line["before"],
            self.state,
            action=line.get("action"),
        )


def parse_log_line(data: bytes) -> LogEntry:
    """One log line, checked; ``ValueError`` saying what is wrong otherwise."""
    try:
        return _entry_of(json.loads(data))
    except KeyError as exc:
        raise ValueError(f"missing `{exc.args[0]}`") from None
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        raise ValueError(str(exc)) from None


def _entry_of(line: Any) -> LogEntry:
    state, reviewed_at = _check_line(line)
    return LogEntry(line, state, reviewed_at)


def _check_line(line: Any) -> tuple[CardState | None, datetime | None]:
    """Refuse a line that is JSON but not one of ours: every field used later is checked
    here, so a damaged line stops with its line number instead of failing further on.
    Returns the state and review time it carries."""
    if not isinstance(line, dict):
        raise ValueError("not an object")
    for key in ("deck", "card"):
        if not isinstance(line[key], str) or not line[key]:
            raise ValueError(f"`{key}` is not text")
    state = line["state"]
    parsed = None
    if state is not None:
        parsed = CardState.from_dict(state)
        if parsed.due.tzinfo is None or (parsed.last_review and parsed.last_review.tzinfo is None):
            raise ValueError("a time in `state` has no UTC offset")
        if not (in_years(parsed.due) and in_years(parsed.last_review)):
            raise ValueError(
                f"a time in `state` is not between the years {YEARS[0]} and {YEARS[1]}"
            )
    if "set" in line:
        return parsed, None  # a state recomputed from the log (null: the card is new again)
    key = "undo" if "undo" in line else "id"
    if not isinstance(line[key], str):
        raise ValueError(f"`{key}` is not text")
    if action_of(line) is None and (
        line["rating"] not in (1, 2, 3, 4) or isinstance(line["rating"], bool)
    ):
        raise ValueError("`rating` is not 1-4")
    if line["before"] not in (0, 1, 2, 3) or isinstance(line["before"], bool):
        raise ValueError("`before` is not 0-3")
    reviewed_at = datetime.fromisoformat(line["reviewed_at"])
    if reviewed_at.tzinfo is None:
        raise ValueError("`reviewed_at` has no UTC offset")
    if not in_years(reviewed_at):
        raise ValueError(f"`reviewed_at` is not between the years {YEARS[0]} and {YEARS[1]}")
    for field in ("duration_ms", "last_ivl"):
        value = line.get(field)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            raise ValueError(f"`{field}` is not a whole number")
    return parsed, reviewed_at


def _undo_line(review: Review, restore: CardState | None) -> dict[str, Any]:
    return {
        "undo": review.id,
        "deck": review.deck,
        "card": review.card,
        "rating": review.rating,
        "reviewed_at": review.reviewed_at.isoformat(),
        "before": review.before,
        "state": restore.to_dict() if restore else None,
        "duration_ms": review.duration_ms,
        "last_ivl": review.last_interval,
        **({"action": review.action} if review.action is not None else {}),
    }


def open_json_store(url: str, context: StoreContext) -> JsonStore:
    _, _, rest = url.partition(":")
    folder = Path(rest).expanduser() if rest else context.home
    return JsonStore(folder, schedulers=context.schedulers)


def register_store() -> None:
    register("json", open_json_store)


__all__ = ["JsonStore", "register_store"]
