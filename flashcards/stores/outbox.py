"""A local outbox: answers a remote store could not take, kept until they are sent.

One JSON object a line, appended and fsynced before ``append`` returns, framed as every
local log is (``logfile``: only ``\\n`` ends a line; a torn tail left by a crash
mid-append is no entry, and the next append starts on a line of its own after it). A
reader skips any line that is not a whole entry (such a fragment, once an append has
followed it), so a fragment never swallows the entry after it.

An entry is ``{"op": "record" or "undo", "review": {...}}``, an undo with ``"restore"``
(the state it brings back) and either, optionally, with ``"slots"``: the review slots puts
of that review were sent to, any of which a put still in the network may yet fill (an
undo sent later buries them all). Entries without ``slots`` (older ones) stay valid.

An entry is named by its operation and its review id (``identity``). Sent entries are
taken out by identity: under the lock the file is read again and rewritten atomically
with every other entry, so entries appended meanwhile, by this or another process, are
kept. A file lock guards appends and removals.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from filelock import FileLock

from flashcards.errors import StoreError
from flashcards.fsutil import fsync_dir, write_atomically
from flashcards.stores.logfile import append_lines, read_lines

LOCK_TIMEOUT_S = 30

Entry = dict[str, Any]


def identity(entry: Entry) -> tuple[str, str]:
    """What names an entry: ``("record" or "undo", review id)``. A review is recorded
    once and undone at most once, so no two different entries share one."""
    return str(entry["op"]), str(entry["review"]["id"])


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(path.with_name(path.name + ".lock"), timeout=LOCK_TIMEOUT_S)

    def append(self, entry: Entry) -> None:
        """Keep ``entry``; it is on disk (fsynced) when this returns."""
        line = json.dumps(entry, separators=(",", ":")).encode() + b"\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                append_lines(self.path, line)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot keep the answer ({exc.strerror})") from None

    def entries(self) -> list[Entry]:
        """Every whole entry, oldest first."""
        if not self.path.exists():
            return []
        with self._lock:
            return self._read()[0]

    def remove(self, sent: Iterable[Entry]) -> None:
        """Take out every entry with the identity of one that was sent; keep the rest,
        including entries appended since ``sent`` was read."""
        gone = {identity(e) for e in sent}
        try:
            with self._lock:
                present, torn = self._read()  # again, under the lock: it may have grown
                keep = [e for e in present if identity(e) not in gone]
                if len(keep) == len(present) and not torn:
                    return
                if keep:
                    data = b"".join(
                        json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in keep
                    )
                    write_atomically(self.path, data)
                else:
                    self.path.unlink(missing_ok=True)
                    fsync_dir(self.path.parent)
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot update ({exc.strerror})") from None

    def _read(self) -> tuple[list[Entry], bool]:
        """The whole entries, and whether any line was not one (torn by a crash)."""
        out: list[Entry] = []
        torn = False
        for line in read_lines(self.path):
            try:
                entry = json.loads(line.data)
                identity(entry)
            except (ValueError, TypeError, KeyError):
                torn = True  # a fragment left by a crash mid-append: never acknowledged
                continue
            out.append(entry)
        return out, torn
