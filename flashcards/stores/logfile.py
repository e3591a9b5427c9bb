"""JSON Lines files appended to by several processes: framing, appending, de-duplication.

Shared by the stores that keep a local log (the JSON store's review log, the DynamoDB
store's outbox). The rules:

* Only ``\\n`` ends a line: a stray ``\\r`` (or any other byte) inside a line is that
  line's business, never a line break. Blank lines are skipped but counted, so line
  numbers are the ones an editor shows.
* The end of the file after the last ``\\n`` is either a **whole line without its
  newline** (it parses as JSON: it is kept, and ``append_lines`` writes the missing
  ``\\n`` before anything else) or a **torn tail** — what a crash mid-append, or an
  append still under way in another process, left. Readers skip a torn tail and never
  touch the file; only a writer holding the file's lock may ``set_aside`` one.
* Appends are all or nothing (``fsutil.append_durably``): a failed append is cut back.

Reading streams the file in bounded memory, from any ``Offset`` a reader kept.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Hashable, Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import NamedTuple, TypeVar

from flashcards import fsutil

#: How much of a file before an offset ``window_digest`` covers (a few lines).
WINDOW_BYTES = 4096

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


class Offset(NamedTuple):
    """A position in a file: bytes from the start, and how many lines come before it."""

    bytes: int = 0
    lines: int = 0


class Line(NamedTuple):
    """One line, without its newline, and where it starts and ends.

    ``torn`` marks the unfinished end of the file rather than a line; its ``end`` is its
    ``start`` (nothing of it counts as read).
    """

    data: bytes
    start: Offset
    end: Offset
    torn: bool = False

    @property
    def number(self) -> int:
        """The line's number in the file, counted from 1."""
        return self.start.lines + 1


def is_whole(data: bytes) -> bool:
    """Whether bytes after the last newline are a whole line (they parse as JSON)."""
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def read_lines(path: Path, start: Offset | None = None, end: int | None = None) -> Iterator[Line]:
    """The lines of ``path`` from ``start`` up to byte ``end`` (the end of the file when
    ``None``), streamed. The last item may be a torn tail (``Line.torn``). A missing file
    has no lines. Never writes."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below; a generator holds it)
    except FileNotFoundError:
        return
    with handle:
        size = os.fstat(handle.fileno()).st_size
        limit = size if end is None else min(end, size)
        position, lines = start or Offset()
        if position >= limit:
            return
        handle.seek(position)
        if position > 0:
            # A reader that stopped after a whole line without its newline resumes right
            # before the newline a writer has added since: that newline ends the old line.
            handle.seek(position - 1)
            pair = handle.read(2)
            if pair[:1] != b"\n" and pair[1:] == b"\n":
                position += 1
            handle.seek(position)
        for raw in handle:
            if position >= limit:
                break
            if position + len(raw) > limit:
                raw = raw[: limit - position]
            after = position + len(raw)
            if raw.endswith(b"\n"):
                lines += 1
                if raw.strip():
                    yield Line(raw[:-1], Offset(position, lines - 1), Offset(after, lines))
            elif is_whole(raw):
                yield Line(raw, Offset(position, lines), Offset(after, lines + 1))
            elif raw.strip():
                here = Offset(position, lines)
                yield Line(raw, here, here, torn=True)
            position = after


def ends_with_newline(path: Path) -> bool:
    """Whether the file is missing, empty or ends with ``\\n`` (so an append starts a line)."""
    try:
        with open(path, "rb") as handle:
            if handle.seek(0, os.SEEK_END) == 0:
                return True
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) == b"\n"
    except FileNotFoundError:
        return True


def append_lines(path: Path, payload: bytes | Iterable[bytes]) -> int:
    """Append whole lines (bytes, or chunks of bytes, ending in ``\\n``) durably and
    return the offset the first of them starts at.

    If the file ends without a newline, one is written first, so the payload always
    starts a line of its own. Raises ``OSError``; a failed append leaves the file as it
    was. The caller holds the file's lock (and has set aside a torn tail it cares about).
    """
    prefix = b"" if ends_with_newline(path) else b"\n"
    chunks = (payload,) if isinstance(payload, bytes) else payload
    return fsutil.append_durably(path, chain([prefix], chunks)) + len(prefix)


def set_aside(path: Path, tail: Line) -> Path:
    """Keep a torn tail's bytes in ``<name>.torn-<offset>`` and cut the file before it.

    The copy is written atomically first: if that fails (a full disk), the file is left
    as it was and the error raised, and no empty copy is left. The caller holds the lock.
    """
    aside = path.with_name(f"{path.name}.torn-{tail.start.bytes}")
    number = 1
    while aside.exists() and aside.read_bytes() != tail.data:
        number += 1
        aside = path.with_name(f"{path.name}.torn-{tail.start.bytes}-{number}")
    fsutil.write_atomically(aside, tail.data)
    fsutil.truncate_durably(path, tail.start.bytes)
    return aside


def window_digest(path: Path, offset: int) -> str | None:
    """A digest of the bytes just before ``offset`` (up to ``WINDOW_BYTES``), to tell
    later whether an offset kept elsewhere still falls at the same place of the file.
    ``None`` if the file is shorter than ``offset``."""
    data = b""
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size < offset:
                return None
            first = max(0, offset - WINDOW_BYTES)
            handle.seek(first)
            data = handle.read(offset - first)
    except FileNotFoundError:
        if offset > 0:
            return None
    import hashlib  # lazily: a run that reads no log pays nothing for it

    return hashlib.sha256(data).hexdigest()[:32]


def first_of_each(
    items: Iterable[T], key: Callable[[T], K], seen: set[K] | None = None
) -> Iterator[T]:
    """The items whose key is not in ``seen``, each key once (the first item wins).

    ``seen`` (the keys already kept, e.g. the review ids a store has) grows as items
    pass, so an import file naming one review twice adds it once.
    """
    seen = set() if seen is None else seen
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            yield item
