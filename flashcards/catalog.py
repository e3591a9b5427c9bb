"""The decks on the search path, with a cache of parsed decks under ``$FLASHCARDS_HOME``.

A deck file is parsed again whenever its size, modification time, change time or
inode differ from what the cache saw. A file changed within the file system's
timestamp resolution of being cached could keep all four, so such "racy" entries
are also checked against a digest of the content (the trick git uses for its index).
A cache that cannot be read is ignored and rebuilt.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flashcards.deckpaths import deck_files
from flashcards.errors import DeckError, UsageError
from flashcards.fsutil import write_atomically
from flashcards.model import Card, Deck
from flashcards.options import OptionValues, check_options

#: 2: card kinds and bury_siblings; 3: every file sealed by a checksum; 4: deck options;
#: 6: a tag of two words is refused, so decks cached with one are read again
CACHE_SCHEMA = 6
INDEX = "index.json"
#: Entries whose file changed less than this before caching are checked by digest.
RACY_NS = 3_000_000_000


@dataclass(frozen=True)
class DeckInfo:
    """What listing a deck needs, without the card texts."""

    id: str
    name: str
    path: str
    description: str
    tags: tuple[str, ...]
    #: Every card the deck makes, in deck order (a reversed entry makes two, a cloze
    #: entry one per number; ``model.note_of`` gives the entry of each).
    card_ids: tuple[str, ...]
    #: Answering a card buries its siblings (``model.note_of``) until the next study day.
    bury_siblings: bool = True
    #: The deck file's ``options:`` (checked values; see ``options.check_options``).
    options: OptionValues = ()


@dataclass
class Catalog:
    """Decks found on the search path, in search-path order, and the ones that failed."""

    infos: list[DeckInfo]
    errors: list[DeckError]
    failed: dict[str, DeckError] = field(default_factory=dict)
    _cache: _DeckCache | None = None
    _parsed: dict[str, Deck] = field(default_factory=dict)

    def ids(self) -> list[str]:
        return [info.id for info in self.infos]

    def info(self, deck_id: str) -> DeckInfo:
        for info in self.infos:
            if info.id == deck_id:
                return info
        if deck_id in self.failed:
            raise self.failed[deck_id]
        raise UsageError(f"unknown deck {deck_id!r}; decks: {', '.join(self.ids()) or 'none'}")

    def select(self, names: Sequence[str]) -> list[DeckInfo]:
        """The decks named (all when none are), or a usage error listing the deck ids."""
        if not names:
            return list(self.infos)
        return [self.info(name) for name in dict.fromkeys(names)]

    def error_summary(self, reported: Collection[DeckError] = ()) -> str | None:
        """One line for the decks that could not be read, leaving out those ``reported``
        on their own lines: ``2 decks could not be read (bad, worse) — run `flashcards
        check```. ``None`` when there are none. Each deck's own error is for ``check``
        to show: ten broken decks must not push the screen off the terminal."""
        rest = [error for error in self.errors if all(error is not r for r in reported)]
        if not rest:
            return None
        ids = [deck_id for deck_id, error in self.failed.items() if any(error is r for r in rest)]
        named = f" ({', '.join(ids[:3])}{', …' if len(ids) > 3 else ''})" if ids else ""
        decks = "1 deck" if len(rest) == 1 else f"{len(rest)} decks"
        return f"{decks} could not be read{named} — run `flashcards check`"

    def deck(self, deck_id: str) -> Deck:
        """The full deck, cards and all."""
        if deck_id in self._parsed:
            return self._parsed[deck_id]
        info = self.info(deck_id)
        deck = self._cache.read_deck(info) if self._cache else None
        if deck is None:
            deck = self._read_file(info)  # a missing or corrupt cached copy is rebuilt
        self._parsed[deck_id] = deck
        return deck

    def reload(self, deck_id: str) -> Deck:
        """Read one deck file again (after it was edited) and use it from now on. A deck
        left invalid raises ``DeckError``; the version read before stays in use."""
        deck = self._read_file(self.info(deck_id))
        self._parsed[deck_id] = deck
        self.infos = [_info_of(deck) if i.id == deck_id else i for i in self.infos]
        return deck

    def _read_file(self, info: DeckInfo) -> Deck:
        """The deck parsed from its file, kept in the cache; an unreadable file is a
        ``DeckError`` naming it."""
        path = Path(info.path)
        try:
            deck = _load(path, self._cache)
        except OSError as exc:
            raise DeckError(f"{path}: cannot read ({exc.strerror})") from None
        if self._cache:
            self._cache.save()
        return deck


def open_catalog(search_path: Sequence[Path], cache_folder: Path | None) -> Catalog:
    """Find every deck on the search path; bad decks are collected, not raised."""
    cache = _DeckCache(cache_folder) if cache_folder is not None else None
    infos: list[DeckInfo] = []
    errors: list[DeckError] = []
    failed: dict[str, DeckError] = {}
    parsed: dict[str, Deck] = {}
    seen: dict[str, str] = {}
    for path in deck_files(search_path):
        deck_id = path.stem
        if deck_id in seen:
            errors.append(
                DeckError(
                    f"{path}: deck id {deck_id!r} is already used by {seen[deck_id]}; rename one"
                )
            )
            continue
        try:
            info = cache.lookup(path) if cache else None
            if info is None:
                deck = _load(path, cache)
                parsed[deck_id] = deck
                info = _info_of(deck)
        except DeckError as exc:
            errors.append(exc)
            failed.setdefault(deck_id, exc)
            continue
        except OSError as exc:
            errors.append(DeckError(f"{path}: cannot read ({exc.strerror})"))
            failed.setdefault(deck_id, errors[-1])
            continue
        seen[deck_id] = str(path)
        infos.append(info)
    if cache:
        cache.save()
    return Catalog(infos, errors, failed, cache, parsed)


def _load(path: Path, cache: _DeckCache | None) -> Deck:
    """Parse a deck file and remember it in the cache.

    The file is stat-ed before it is read and the cache keeps the digest of the bytes
    parsed, so a change made while it is being read is seen on the next run.
    """
    st = path.stat()
    from flashcards.decks import MAX_DECK_BYTES, too_big

    if st.st_size > MAX_DECK_BYTES:
        raise too_big(path, st.st_size)  # refused before reading it into memory
    data = path.read_bytes()
    deck = parse_deck(path, data)
    if cache:
        cache.remember(path, deck, _info_of(deck), data, st)
    return deck


def parse_deck(path: Path, data: bytes) -> Deck:
    """Parse a deck file; YAML is imported only when some deck has to be read afresh."""
    from flashcards.decks import parse_deck as parse

    return parse(path, data)


def _info_of(deck: Deck) -> DeckInfo:
    return DeckInfo(
        id=deck.id,
        name=deck.name,
        path=deck.path,
        description=deck.description,
        tags=deck.tags,
        card_ids=tuple(card.id for card in deck.cards),
        bury_siblings=deck.bury_siblings,
        options=deck.options,
    )


_OPTIONS = ("markdown", "template", "typed", "cloze", "text", "extra", "reversed_too")
_PLAIN = {name: getattr(Card("", "", "", ""), name) for name in _OPTIONS}


def _card_options(card: Card) -> list[dict[str, Any]]:
    """A card's fields past its text and tags that differ from a plain Markdown card:
    nothing for most cards, so the cache of a large deck stays small."""
    options = {
        name: getattr(card, name) for name in _OPTIONS if getattr(card, name) != _PLAIN[name]
    }
    return [options] if options else []


def _stat_key(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _seal(payload: dict[str, Any]) -> bytes:
    """A cache file: a first line with the checksum of the JSON on the second, so that
    a file changed by anything but the cache itself is noticed and not trusted."""
    body = json.dumps(payload).encode()
    return json.dumps({"check": _digest(body)}).encode() + b"\n" + body


def _unseal(data: bytes) -> dict[str, Any]:
    """The payload of a sealed cache file; ``ValueError`` if its checksum disagrees."""
    head, _, body = data.partition(b"\n")
    if json.loads(head).get("check") != _digest(body):
        raise ValueError("cache file changed outside the cache")
    payload = json.loads(body)
    if not isinstance(payload, dict):
        raise ValueError("cache file is not an object")
    return payload


def _digest(data: bytes) -> str:
    """A checksum of ``data``: CRC-32 catches the accidental changes a cache must
    notice, and zlib is loaded already (hashlib would cost ~3 ms of start-up)."""
    import zlib

    return f"{zlib.crc32(data):08x}"


class _DeckCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.entries: dict[str, dict[str, Any]] = {}
        self.dirty = False
        try:
            data = _unseal((folder / INDEX).read_bytes())
            if data.get("schema") == CACHE_SCHEMA and isinstance(data.get("entries"), dict):
                self.entries = data["entries"]
            else:
                self.dirty = True
        except (OSError, ValueError, AttributeError, RecursionError):
            self.dirty = True  # missing, corrupt or edited: rebuilt as decks are parsed

    def lookup(self, path: Path) -> DeckInfo | None:
        key = str(path.resolve())
        entry = self.entries.get(key)
        if entry is None:
            return None
        try:
            st = path.stat()
            if entry["stat"] != _stat_key(st):
                return None
            newest = max(st.st_mtime_ns, st.st_ctime_ns)
            if newest >= entry["cached_at"] - RACY_NS:
                if _digest(path.read_bytes()) != entry["digest"]:
                    return None
                now = time.time_ns()
                if now - newest > RACY_NS:
                    # Verified long enough after its last change: no longer racy.
                    entry["cached_at"] = now
                    self.dirty = True
            info = entry["info"]
            return DeckInfo(
                id=path.stem,
                name=info["name"],
                path=str(path),
                description=info["description"],
                tags=tuple(info["tags"]),
                card_ids=tuple(info["cards"]),
                bury_siblings=bool(info["bury_siblings"]),
                # checked again: the steps come back from JSON as lists, not tuples
                options=check_options(info["options"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def remember(
        self, path: Path, deck: Deck, info: DeckInfo, data: bytes, st: os.stat_result
    ) -> None:
        """Keep ``deck``, parsed from ``data``, read after ``path`` had the status ``st``."""
        digest = _digest(data)
        key = str(path.resolve())
        content = _digest(key.encode())[:20] + ".json"
        cards = [[c.id, c.question, c.answer, list(c.tags), *_card_options(c)] for c in deck.cards]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            payload = {"digest": digest, "cards": cards}
            write_atomically(self.folder / content, _seal(payload))
        except OSError:
            return
        self.entries[key] = {
            "stat": _stat_key(st),
            "digest": digest,
            "cached_at": time.time_ns(),
            "content": content,
            "info": {
                "name": info.name,
                "description": info.description,
                "tags": list(info.tags),
                "cards": list(info.card_ids),
                "bury_siblings": info.bury_siblings,
                "options": dict(info.options),
            },
        }
        self.dirty = True

    def read_deck(self, info: DeckInfo) -> Deck | None:
        entry = self.entries.get(str(Path(info.path).resolve()))
        if entry is None:
            return None
        try:
            data = _unseal((self.folder / entry["content"]).read_bytes())
            if data["digest"] != entry["digest"]:
                return None
            cards = tuple(
                Card(info.id, c[0], c[1], c[2], tuple(c[3]), **(c[4] if len(c) > 4 else {}))
                for c in data["cards"]
            )
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None
        return Deck(
            info.id,
            info.name,
            info.path,
            cards,
            info.description,
            info.tags,
            info.bury_siblings,
            info.options,
        )

    def save(self) -> None:
        if not self.dirty:
            return
        payload = {"schema": CACHE_SCHEMA, "entries": self.entries}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_atomically(self.folder / INDEX, _seal(payload))
        except OSError:
            pass  # a cache that cannot be written only costs speed
