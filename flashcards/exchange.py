"""The portable review-history format of ``progress export`` / ``progress import``.

One JSON object a line: ``id``, ``deck``, ``card``, ``rating`` (1-4),
``reviewed_at`` (ISO 8601 with offset) and ``duration_ms`` (integer or null).
``id`` is optional on import; a missing one is derived from the other fields so
that importing the same file twice adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from flashcards.errors import UsageError
from flashcards.model import Review

# The ids decks allow: a deck id is a file name, a card id has no spaces, '/' or '#'.
_DECK_ID = re.compile(r"[^/\x00-\x1f]+")
_CARD_ID = re.compile(r"[^\s/#]+")


def export_lines(reviews: Iterable[Review]) -> Iterator[str]:
    for review in reviews:
        yield json.dumps(
            {
                "id": review.id,
                "deck": review.deck,
                "card": review.card,
                "rating": review.rating,
                "reviewed_at": review.reviewed_at.isoformat(),
                "duration_ms": review.duration_ms,
            },
            ensure_ascii=False,
        )


def derived_id(deck: str, card: str, reviewed_at: datetime, rating: int) -> str:
    text = f"{deck}\n{card}\n{reviewed_at.isoformat()}\n{rating}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def read_export(path: Path) -> list[Review]:
    """Parse a whole export file first, so a bad line stops the import before any write."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read ({exc})") from None
    return [
        parse_line(line, f"{path}:{number}")
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


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
        raise UsageError(f"{where}: `card` must be a card id (text without spaces, '/' or '#')")
    if rating not in (1, 2, 3, 4) or isinstance(rating, bool):
        raise UsageError(f"{where}: field `rating` must be 1, 2, 3 or 4, not {rating!r}")
    try:
        reviewed_at = datetime.fromisoformat(str(data["reviewed_at"]))
    except ValueError:
        raise UsageError(f"{where}: field `reviewed_at` is not an ISO 8601 time") from None
    if reviewed_at.tzinfo is None:
        raise UsageError(f"{where}: field `reviewed_at` needs a UTC offset")
    duration = data.get("duration_ms")
    if duration is not None and (
        not isinstance(duration, int) or isinstance(duration, bool) or duration < 0
    ):
        raise UsageError(
            f"{where}: field `duration_ms` must be a whole number of milliseconds or null"
        )
    review_id = data.get("id") or derived_id(deck, card, reviewed_at, rating)
    if not isinstance(review_id, str):
        raise UsageError(f"{where}: field `id` must be text")
    return Review(review_id, deck, card, rating, reviewed_at, duration)
