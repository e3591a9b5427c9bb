"""A local outbox: answers a remote store could not take, kept until they are sent.

One JSON object a line, appended and fsynced before ``append`` returns. Entries are
taken out only once sent, by rewriting the file atomically without them (entries
appended meanwhile, by this or another process, are kept). A file lock guards both.
A line torn by a crash mid-append is not an entry: it is skipped and dropped.
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


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(path.with_name(path.name + ".lock"), timeout=LOCK_TIMEOUT_S)

    def append(self, entry: Entry) -> None:
        line = json.dumps(entry, separators=(",", ":")).encode() + b"\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                new_file = not self.path.exists()
                with open(self.path, "ab+") as handle:
                    # Start on a line of our own after a torn tail.
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
            return self._read()

    def remove(self, sent: Iterable[Entry]) -> None:
        """Take out entries that were sent (each once); keep everything else."""
        gone = [json.dumps(e, sort_keys=True) for e in sent]
        with self._lock:
            keep: list[Entry] = []
            for entry in self._read():
                text = json.dumps(entry, sort_keys=True)
                if text in gone:
                    gone.remove(text)
                else:
                    keep.append(entry)
            if keep:
                data = b"".join(json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in keep)
                write_atomically(self.path, data)
            else:
                self.path.unlink(missing_ok=True)
                fsync_dir(self.path.parent)

    def _read(self) -> list[Entry]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        out: list[Entry] = []
        for line in raw.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # torn by a crash mid-append: never acknowledged
            if isinstance(entry, dict):
                out.append(entry)
        return out
