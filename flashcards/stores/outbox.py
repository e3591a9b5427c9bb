"""A local outbox: answers a remote store could not take, kept until they are sent.

One JSON object a line (``\\n`` ends a line, nothing else does), appended and fsynced
before ``append`` returns. A crash mid-append can leave a torn last line: the next
append starts on a fresh line after it, and a reader takes any line that is not a whole
entry for such a fragment and skips it, so a fragment never swallows the entry after it.

An entry is named by its operation and its review id (``identity``). Sent entries are
taken out by identity: under the lock the file is read again and rewritten atomically
with every other entry, so entries appended meanwhile, by this or another process, are
kept. A file lock guards appends and removals.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from filelock import FileLock

from flashcards.errors import StoreError
from flashcards.fsutil import fsync_dir, write_atomically

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
                new_file = not self.path.exists()
                with open(self.path, "ab+") as handle:
                    # After a torn tail, start on a line of our own: appended to the
                    # fragment, this entry would be part of one unreadable line.
                    if handle.seek(0, os.SEEK_END) > 0:
                        handle.seek(-1, os.SEEK_END)
                        if handle.read(1) != b"\n":
                            line = b"\n" + line
                    handle.write(line)
                    handle.flush()
                    os.fsync(handle.fileno())
                if new_file:
                    fsync_dir(self.path.parent)
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
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return [], False
        out: list[Entry] = []
        torn = False
        for line in raw.split(b"\n"):
            if not line:
                continue
            try:
                entry = json.loads(line)
                identity(entry)
            except (ValueError, TypeError, KeyError):
                torn = True  # a fragment left by a crash mid-append: never acknowledged
                continue
            out.append(entry)
        return out, torn
