"""The portable review-history format of ``progress export`` / ``progress import``.

One JSON object a line: ``id``, ``deck``, ``card``, ``rating`` (1-4),
``reviewed_at`` (ISO 8601 with offset) and ``duration_ms`` (integer or null).
A mark (a card suspended, unsuspended, buried, unburied or forgotten) has
``action`` (``suspend``, ``unsuspend``, ``bury``, ``unbury`` or ``forget``) and
``rating`` 0; a cram answer (which never changes the schedule) has ``action``
``cram`` and its rating 1-4; an answer has no ``action``. ``id`` is optional on
import; a missing one is derived from the other fields so that importing the same
file twice adds nothing.

Both directions stream: ``ExportFile`` checks a whole file in one pass (keeping
nothing but a count) and then yields its reviews as often as asked; ``write_export``
writes reviews to a file as they come, replacing it atomically at the end.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from flashcards.errors import UsageError
from flashcards.model import ACTIONS, CRAM, Review

# The ids decks allow: a deck id is a file name; a card id is an entry's id (no spaces,
# '/' or '#'), and for a card made from it, '/reverse' or '/c<number>' after it.
_DECK_ID = re.compile(r"[^/\x00-\x1f]+")
_CARD_ID = re.compile(r"[^\s/#]+(?:/(?:reverse|c[1-9][0-9]*))?")
#: Review times outside these years are refused: scheduling adds up to a century to them.
YEARS = (1900, 9000)


def export_lines(reviews: Iterable[Review]) -> Iterator[str]:
    """One line of the export format per review (marks included), without newlines."""
    for review in reviews:
        line: dict[str, object] = {
            "id": review.id,
            "deck": review.deck,
            "card": review.card,
            "rating": review.rating,
            "reviewed_at": review.reviewed_at.isoformat(),
            "duration_ms": review.duration_ms,
        }
        if review.action is not None:
            line["action"] = review.action
        yield json.dumps(line, ensure_ascii=False)


def derived_id(
    deck: str, card: str, reviewed_at: datetime, rating: int, action: str | None = None
) -> str:
    """The id of a line that names none: the same line always gets the same one."""
    import hashlib  # here: the JSON store imports this module on every start

    text = f"{deck}\n{card}\n{reviewed_at.isoformat()}\n{rating}"
    if action is not None:
        text += f"\n{action}"  # (answers keep the ids earlier versions gave them)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def write_export(path: Path, reviews: Iterable[Review]) -> int:
    """Write ``reviews`` to ``path`` as JSON Lines, streamed, replacing the file atomically
    once all are written (an error on the way leaves the old file, or none). Returns how
    many were written; raises ``OSError``."""
    from flashcards.fsutil import write_atomically

    count = 0

    def chunks() -> Iterator[bytes]:
        nonlocal count
        batch: list[str] = []
        for line in export_lines(reviews):
            batch.append(line)
            count += 1
            if len(batch) >= 4096:
                yield ("\n".join(batch) + "\n").encode()
                batch.clear()
        if batch:
            yield ("\n".join(batch) + "\n").encode()

    write_atomically(path, chunks())
    return count


class ExportFile:
    """An export file, checked whole when opened (the first bad line raises
    ``UsageError`` with file and line, before anything is written anywhere); then a
    collection of its reviews, read from the file again each time it is iterated."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._count = sum(1 for _ in self._parse())

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Review]:
        return self._parse()

    def __contains__(self, item: object) -> bool:
        return any(review == item for review in self)

    def _parse(self) -> Iterator[Review]:
        try:
            with open(self.path, "rb") as handle:
                for number, raw in enumerate(handle, start=1):  # only \n ends a line
                    try:
                        line = raw.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        raise UsageError(
                            f"{self.path}:{number}: not UTF-8 ({exc.reason})"
                        ) from None
                    if line.strip():
                        yield parse_line(line, f"{self.path}:{number}")
        except OSError as exc:
            raise UsageError(f"{self.path}: cannot read ({exc.strerror or exc})") from None


def read_export(path: Path) -> list[Review]:
    """Parse a whole export file into a list (``ExportFile`` streams instead)."""
    return list(ExportFile(path))


def parse_line(line: str, where: str) -> Review:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{where}: each line must be a JSON object")
    for field in ("deck", "card", "rating", "reviewed_at"):
        if field not in data:
            raise UsageError(f"{where}: missing field `{field}`")
    deck, card, rating = data["deck"], data["card"], data["rating"]
    if not isinstance(deck, str) or not _DECK_ID.fullmatch(deck):
        raise UsageError(
            f"{where}: `deck` must be a deck id (text without '/' or control characters)"
        )
    if not isinstance(card, str) or not _CARD_ID.fullmatch(card):
        raise UsageError(
            f"{where}: `card` must be a card id (text without spaces, '/' or '#', "
            "then '/reverse' or '/c<number>' for a reverse or cloze card)"
        )
    action = data.get("action")
    if action is not None and (not isinstance(action, str) or action not in ACTIONS):
        raise UsageError(f"{where}: field `action` must be one of {', '.join(ACTIONS)}")
    # A cram answer has its rating and time, as an answer does.
    mark = action is not None and action != CRAM
    if mark and (rating != 0 or isinstance(rating, bool)):
        raise UsageError(f"{where}: field `rating` of a mark ({action}) must be 0, not {rating!r}")
    if not mark and (rating not in (1, 2, 3, 4) or isinstance(rating, bool)):
        raise UsageError(f"{where}: field `rating` must be 1, 2, 3 or 4, not {rating!r}")
    try:
        reviewed_at = datetime.fromisoformat(str(data["reviewed_at"]))
    except ValueError:
        raise UsageError(f"{where}: field `reviewed_at` is not an ISO 8601 time") from None
    if reviewed_at.tzinfo is None:
        raise UsageError(f"{where}: field `reviewed_at` needs a UTC offset")
    if not in_years(reviewed_at):
        raise UsageError(
            f"{where}: field `reviewed_at` must be between the years {YEARS[0]} and {YEARS[1]}"
        )
    duration = data.get("duration_ms")
    if duration is not None and (
        not isinstance(duration, int) or isinstance(duration, bool) or duration < 0
    ):
        raise UsageError(
            f"{where}: field `duration_ms` must be a whole number of milliseconds or null"
        )
    if mark and duration is not None:
        raise UsageError(f"{where}: field `duration_ms` of a mark ({action}) must be null")
    review_id = data.get("id") or derived_id(deck, card, reviewed_at, rating, action)
    if not isinstance(review_id, str):
        raise UsageError(f"{where}: field `id` must be text")
    return Review(review_id, deck, card, rating, reviewed_at, duration, action=action)


def in_years(moment: datetime) -> bool:
    """Whether a time (with offset) falls between ``YEARS``, in UTC."""
    try:
        year = moment.astimezone(UTC).year
    except OverflowError:
        return False
    return YEARS[0] <= year < YEARS[1]
