"""Snapshot files are replaced atomically, never rewritten in place: a reader (or a
crash) at any moment finds either the old file or the new one. Every open of the
snapshot folder's files is watched (Python's audit hook for ``open``), whatever layer
does the writing: only temp files are written, and they are renamed into place."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flashcards.model import Review
from flashcards.scheduling import before_of, schedule
from flashcards.stores.jsonstore import JsonStore

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC

#: While a test watches: the folder, and what was seen (written in place, renamed in).
_watch: dict[str, Any] = {}


def _hook(event: str, args: tuple[Any, ...]) -> None:
    folder = _watch.get("folder")
    if folder is None:
        return
    if event == "open":
        path, mode, flags = args
        if isinstance(path, int):
            return
        written = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        target = Path(os.path.realpath(os.fsdecode(path)))
        if written and target.parent == folder and not target.name.startswith("."):
            _watch["in_place"].append(target.name)
    elif event == "os.rename":
        target = Path(os.path.realpath(os.fsdecode(args[1])))
        if target.parent == folder:
            _watch["renamed"].append(target.name)


sys.addaudithook(_hook)


def answer_cards(store: JsonStore, deck: str, cards: int, at: datetime, rating: int) -> None:
    states = store.load_states([deck])
    for i in range(cards):
        key = (deck, f"c{i}")
        before = states.get(key)
        after = schedule(deck, key[1], before, rating, at)
        rid = f"{deck}-{i}-{int(at.timestamp())}"
        store.record(
            Review(rid, deck, key[1], rating, at, 900, int(before_of(before)), after), before
        )
        states[key] = after


def test_compaction_replaces_snapshot_files_and_never_writes_them_in_place(
    tmp_path: Path,
) -> None:
    store = JsonStore(tmp_path / "s")
    for deck in ("a", "b"):
        answer_cards(store, deck, 5, T0, 3)
    store.compact()
    folder = store.snapshot.folder
    first = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert first, "the first compaction wrote no snapshot"
    for deck in ("a", "b"):
        answer_cards(store, deck, 5, T0 + timedelta(days=3), 4)

    _watch.update(folder=Path(os.path.realpath(folder)), in_place=[], renamed=[])
    try:
        store.compact()
        JsonStore(tmp_path / "s").rebuild_snapshot()
    finally:
        seen, _watch["folder"] = dict(_watch), None
    assert seen["in_place"] == [], "snapshot files were written in place"
    assert set(first) <= set(seen["renamed"]), "the snapshot files were not replaced"
    reopened = JsonStore(tmp_path / "s")
    assert reopened.load_states() == JsonStore(tmp_path / "s", use_snapshot=False).load_states()
