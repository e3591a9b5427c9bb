"""The small I/O layer every durable write goes through.

Three primitives — ``write``, ``fsync`` and ``replace`` — and the patterns built on them:
``append_durably`` (append, fsync; on any failure cut the file back to its old size),
``write_atomically`` (temp file, fsync, rename, fsync the folder) and ``truncate_durably``.
Everything that must survive a crash or a power loss calls these, so a test can stand in
for the primitives to crash or lose power between any two of them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

#: A temp file is named ``.<name>.<random>``; the name part is cut to stay within the
#: 255 bytes most file systems allow in a name.
TEMP_NAME_BYTES = 150


def write(fd: int, data: bytes) -> None:
    """Write all of ``data`` (``os.write`` may take only part of it)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def fsync(fd: int) -> None:
    """Flush a file (or a folder's entries) to the device."""
    os.fsync(fd)


def replace(source: Path | str, target: Path | str) -> None:
    """Rename ``source`` over ``target`` in one step."""
    os.replace(source, target)


def fsync_dir(folder: Path) -> None:
    """Make the folder's entries (new, renamed and removed names) durable."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise  # (some file systems cannot sync a folder at all: that is not an error)
    finally:
        os.close(fd)


def _chunks(data: bytes | Iterable[bytes]) -> Iterable[bytes]:
    return (data,) if isinstance(data, bytes | bytearray) else data


def temp_prefix(path: Path) -> str:
    """The prefix of ``path``'s temp files in its folder: ``.<name>.``, name cut if long."""
    name = path.name.encode()[:TEMP_NAME_BYTES].decode(errors="ignore")
    return f".{name}."


# Read once, while the program is still one thread (setting the umask is the only
# way to read it, and would race with a thread creating a file).
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def mode_for(path: Path) -> int:
    """The permissions a file written in place of ``path`` gets: those of the file it
    replaces, or what a plain ``open`` would give a new one (0666 less the umask),
    rather than the 0600 of a temp file."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_UMASK


def temp_file_for(path: Path) -> tuple[int, str]:
    """A temp file beside ``path`` (``mkstemp``) with the permissions ``path`` should
    end up with: an open descriptor and its name."""
    fd, temp = tempfile.mkstemp(prefix=temp_prefix(path), dir=path.parent)
    try:
        os.fchmod(fd, mode_for(path))
    except BaseException:
        os.close(fd)
        os.unlink(temp)
        raise
    return fd, temp


def write_atomically(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Replace ``path`` with ``data`` (bytes, or chunks of bytes streamed in order):
    temp file, fsync, rename, fsync the folder. The file keeps its permissions (a new
    one gets the umask's).

    A crash at any moment leaves either the old file or the new one, never half of one;
    on failure the temp file is removed and the old file is untouched.
    """
    fd, temp = temp_file_for(path)
    try:
        try:
            for chunk in _chunks(data):
                write(fd, chunk)
            fsync(fd)
        finally:
            os.close(fd)
        replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_dir(path.parent)


def append_durably(path: Path, data: bytes | Iterable[bytes]) -> int:
    """Append ``data`` (bytes, or chunks streamed in order) and fsync before returning
    (and the folder, for a new file). Returns the offset the data starts at.

    All or nothing: if a write or the fsync fails (a full disk, say), the file is cut
    back to its old size before the error is raised, so no half-written tail is left.
    """
    new_file = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        start = os.lseek(fd, 0, os.SEEK_END)
        try:
            for chunk in _chunks(data):
                write(fd, chunk)
            fsync(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)
                fsync(fd)
            raise
    finally:
        os.close(fd)
    if new_file:
        fsync_dir(path.parent)
    return start


def truncate_durably(path: Path, size: int) -> None:
    """Cut ``path`` to ``size`` bytes and fsync."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.ftruncate(fd, size)
        fsync(fd)
    finally:
        os.close(fd)
