"""``flashcards import FILE.apkg|FILE.colpkg``: Anki decks, notes, media and review
history into deck files and the store.

Anki decks become deck files in ``$FLASHCARDS_HOME/decks`` (``Parent::Child`` -> id
``parent-child``, name kept); note types become card kinds; fields become Markdown
(:mod:`flashcards.htmltext`); media files go to ``$FLASHCARDS_HOME/media/DECK/``. Every
answer in the review log becomes a review (ids derived from the revlog row, so a second
import adds nothing), the states are recomputed by the store's replay, and suspended or
buried cards are marked so. Nothing is written until the whole package has been read and
every deck checked; an import only ever adds reviews to the store.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flashcards.ankiread import AnkiCard, AnkiCollection, Note, NoteType, PackageError, read_package
from flashcards.ankiwrite import GUID_PREFIX
from flashcards.csvnotes import BASIC, CLOZE, OPTIONAL_REVERSED, REVERSED, TYPED, stock_name
from flashcards.errors import UsageError
from flashcards.model import BURY, CRAM, FORGET, SUSPEND, Review, to_us

if TYPE_CHECKING:
    from flashcards.config import Settings
    from flashcards.stores import Store

#: Anki's stock note types, each of which becomes a card kind.
STOCK_TYPES = (BASIC, REVERSED, OPTIONAL_REVERSED, TYPED, CLOZE)
#: The guid of a note written by ``flashcards export`` (``fc:DECK/ENTRY``): a package
#: coming back from Anki lands on the same deck and card ids.
_OUR_GUID = re.compile(re.escape(GUID_PREFIX) + r"([^/\x00-\x1f]+)/([^\s/#]+)")
#: Anki's review kinds that are not answers: a manual change (set due date, reset) and a
#: reschedule by FSRS. Their ease is 0.
MANUAL, RESCHEDULED = 4, 5
#: A review in a filtered deck; with factor 0 it is a cram answer (rescheduling off),
#: which Anki leaves out of the card's schedule and memory state.
FILTERED = 3
SUSPENDED_QUEUE = -1
BURIED_QUEUES = (-2, -3)


@dataclass
class DeckPlan:
    """One deck file to write: its id, Anki's name, the file and its entries."""

    id: str
    name: str
    path: Path
    entries: list[dict[str, Any]] = field(default_factory=list)
    replaces: bool = False
    media: set[str] = field(default_factory=set)
    #: Notes that did not come from this deck here (their guid is not ``fc:ID/...``).
    foreign: int = 0
    #: A deck file of this id elsewhere on the deck path (one's own, or built in): it
    #: stays as it is, and only the reviews of its cards are imported.
    kept_at: Path | None = None


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    path: Path
    dry_run: bool
    decks: list[DeckPlan] = field(default_factory=list)
    notes: int = 0
    cards: int = 0
    reviews: int = 0
    added: int = 0
    manual_skipped: int = 0
    resets: int = 0
    cram: int = 0
    orphan_reviews: int = 0
    suspended: int = 0
    buried: int = 0
    media: int = 0
    notices: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The summary a person reads: one line per deck, then the totals."""
        verb = "Would write" if self.dry_run else "Wrote"
        out = [
            f"Kept deck {plan.id} as it is at {plan.kept_at} (its notes came from there); "
            "only its reviews are imported"
            if plan.kept_at is not None
            else f"{verb} deck {plan.id} ({plan.name}): {len(plan.entries)} entries -> "
            f"{plan.path}" + (" (replaced)" if plan.replaces else "")
            for plan in self.decks
        ]
        already = self.reviews - self.added
        out.append(
            f"{self.path.name}: {self.notes} notes, {self.cards} cards, {self.media} media files; "
            f"{self.reviews} reviews ({'would add' if self.dry_run else 'added'} {self.added}, "
            f"{already} already present); skipped {self.manual_skipped} manual reschedules "
            f"and {self.orphan_reviews} reviews of cards not in the package; "
            f"{self.resets} resets (the card made new again, as Anki did); "
            f"{self.cram} cram answers (kept, leaving the schedule alone, as in Anki); "
            f"{self.suspended} suspended, {self.buried} buried."
        )
        return out


def import_package(
    path: Path,
    settings: Settings,
    store: Store,
    *,
    dry_run: bool = False,
    force: bool = False,
    now: datetime | None = None,
) -> ImportReport:
    """Import an Anki package (``.apkg`` or ``.colpkg``, any Anki version's layout).

    Writes one deck file per Anki deck holding notes into ``settings.home / "decks"``
    (a file there not made by ``flashcards import`` is replaced only with ``force``),
    copies the media the notes use into ``settings.home / "media" / DECK``, and adds
    the review history to ``store``. With ``dry_run`` nothing is written. ``now`` (the
    clock's by default) is when suspend and bury marks are made.

    Raises ``PackageError`` (a ``FlashcardsError``) for a file that is not a readable
    package or holds no notes, ``UsageError`` for a deck file it may not replace;
    in both cases nothing is written. Returns an :class:`ImportReport`.
    """
    if now is None:
        from flashcards import clock

        now = clock.now()
    collection = read_package(path)
    try:
        report = ImportReport(path, dry_run)
        plans, card_keys = _plan_decks(collection, settings.home / "decks", report)
        _check_elsewhere(plans, settings, path)
        _check_replaceable(plans, force)
        reviews = _reviews(collection, card_keys, report)
        fresh = _not_yet_in(store, reviews)
        marks = _marks(collection, card_keys, store, now, report)
        report.reviews = sum(not review.is_mark for review in reviews)
        report.added = sum(not review.is_mark for review in fresh)
        report.decks = list(plans.values())
        report.media = sum(len(plan.media) for plan in plans.values())
        if dry_run:
            return report
        _write_media(collection, plans, settings.home / "media")
        _write_decks(plans, path.name)
        if fresh or marks:
            store.import_reviews([*fresh, *marks])
        return report
    finally:
        collection.close()


# --- decks and cards -------------------------------------------------------------------------


def deck_id_of(name: str) -> str:
    """A deck id from an Anki deck name: ``Langues::Français verbes`` ->
    ``langues-francais-verbes`` (:func:`flashcards.addcmd.deck_slug`)."""
    from flashcards.addcmd import deck_slug

    return deck_slug(name, "deck")


def _kind_of(notetype: NoteType) -> str | None:
    name = stock_name(notetype.name)
    if name == CLOZE and notetype.cloze:
        return CLOZE
    if name in STOCK_TYPES and not notetype.cloze and len(notetype.fields) >= 2:
        return name
    return None


def _plan_decks(
    collection: AnkiCollection, folder: Path, report: ImportReport
) -> tuple[dict[str, DeckPlan], dict[int, tuple[str, str]]]:
    """The deck files to write and, for every Anki card id, its (deck, card id)."""
    cards_of: dict[int, list[AnkiCard]] = {}
    for card in collection.cards:
        cards_of.setdefault(card.note, []).append(card)
    plans: dict[str, DeckPlan] = {}
    card_keys: dict[int, tuple[str, str]] = {}
    unknown: Counter[str] = Counter()
    left_out: list[str] = []
    merged: set[str] = set()
    for note in collection.notes:
        notetype = collection.notetypes.get(note.notetype)
        cards = cards_of.get(note.id, [])
        if notetype is None or not cards:
            left_out.append(f"note {note.id} has {'no cards' if cards == [] else 'no note type'}")
            continue
        kind = _kind_of(notetype)
        if kind is None:
            unknown[notetype.name] += 1
        deck_name = collection.decks.get(cards[0].deck, "Default")
        deck_id, entry_id = deck_id_of(deck_name), f"anki-{note.id}"
        ours = _OUR_GUID.fullmatch(note.guid)
        if ours:
            deck_id, entry_id = ours.group(1), ours.group(2)
        plan = plans.get(deck_id)
        if plan is None:
            plan = plans[deck_id] = DeckPlan(deck_id, deck_name, folder / f"{deck_id}.yaml")
        elif plan.name != deck_name and not ours:
            merged.add(f"{deck_name!r} and {plan.name!r} both make deck {deck_id}")
        if not ours:
            plan.foreign += 1
        entry, made = _entry(note, kind, entry_id, plan, collection)
        if entry is None:
            left_out.append(f"note {note.id} ({notetype.name}): {made}")
            continue
        if any(existing["id"] == entry_id for existing in plan.entries):
            left_out.append(f"note {note.id}: its id {entry_id!r} is taken in deck {deck_id}")
            continue
        plan.entries.append(entry)
        report.notes += 1
        for card in cards:
            card_id = made.get(card.ord)
            if card_id is not None:
                card_keys[card.id] = (deck_id, card_id)
                report.cards += 1
    where = str(collection.path)
    for name, count in sorted(unknown.items()):
        report.notices.append(
            f"{where}: note type {name!r} is not one flashcards knows; its {count} note(s) "
            "became basic cards from their first two fields"
        )
    for reason in left_out:
        report.notices.append(f"{where}: {reason}; left out")
    for both in sorted(merged):
        report.notices.append(f"{where}: Anki decks {both}; their notes are in one deck file")
    if not plans or not any(plan.entries for plan in plans.values()):
        raise PackageError(f"{where}: the package holds no notes to import")
    return {key: plan for key, plan in plans.items() if plan.entries}, card_keys


def _entry(
    note: Note, kind: str | None, entry_id: str, plan: DeckPlan, collection: AnkiCollection
) -> tuple[dict[str, Any] | None, Any]:
    """The deck entry of one note and its cards by Anki ``ord`` -> card id; or
    ``(None, reason)`` when the note makes no valid card."""
    from flashcards.cardkinds import ClozeError, cloze_id, parse_cloze, reverse_id

    fields = [_markdown(value, plan, collection) for value in note.fields]
    while len(fields) < 2:
        fields.append("")
    tags = list(note.tags)
    if kind == CLOZE:
        text, extra = fields[0], fields[1]
        try:
            pieces = parse_cloze(text)
        except ClozeError as exc:
            return None, f"`cloze` {exc}"
        numbers = sorted({p.number for p in pieces if not isinstance(p, str)})
        entry: dict[str, Any] = {"id": entry_id, "cloze": text}
        if extra:
            entry["extra"] = extra
        made = {number - 1: cloze_id(entry_id, number) for number in numbers}
    else:
        question, answer = fields[0], fields[1]
        if not question or not answer:
            side = "front" if not question else "back"
            return None, f"its {side} is empty"
        entry = {"id": entry_id, "question": question, "answer": answer}
        made = {0: entry_id}
        reverse = kind == REVERSED or (
            kind == OPTIONAL_REVERSED and len(fields) > 2 and bool(fields[2].strip())
        )
        if reverse:
            entry["reverse"] = True
            made[1] = reverse_id(entry_id)
        if kind == TYPED:
            entry["typed"] = True
    if tags:
        entry["tags"] = tags
    return entry, made


def _markdown(value: str, plan: DeckPlan, collection: AnkiCollection) -> str:
    from flashcards.htmltext import html_to_markdown, sound_files

    def image_source(name: str) -> str:
        if name in collection.media and _safe_media_name(name):
            plan.media.add(name)
            return f"../media/{plan.id}/{name}"
        return name

    for name in sound_files(value):
        if name in collection.media and _safe_media_name(name):
            plan.media.add(name)
    return html_to_markdown(value, image_source)


def _safe_media_name(name: str) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and name not in (".", "..")


def _check_elsewhere(plans: dict[str, DeckPlan], settings: Settings, package: Path) -> None:
    """Mark the decks whose id a deck file elsewhere on the deck path has (one's own
    folder, the built-in decks): a deck exported from there and back from Anki keeps its
    file; any other is refused (``PackageError``, nothing written), as two files of one
    id would hide each other."""
    from flashcards.deckpaths import deck_files

    for other in deck_files(settings.deck_path):
        plan = plans.get(other.stem)
        if plan is None or other.resolve() == plan.path.resolve():
            continue
        if plan.foreign:
            raise PackageError(
                f"{package}: Anki deck {plan.name!r} would be deck {plan.id}, which is "
                f"taken by {other}; rename the deck in Anki and export it again"
            )
        plan.kept_at = other


def _check_replaceable(plans: dict[str, DeckPlan], force: bool) -> None:
    from flashcards.deckwrite import imported_from, made_by_import
    from flashcards.importcmd import PACKAGE_SUFFIXES

    for plan in plans.values():
        if plan.kept_at is not None or not plan.path.exists():
            continue
        try:
            text = plan.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{plan.path}: cannot read ({exc})") from None
        # A deck of one's own (written by hand, by `add`, or imported from notes or a
        # table) whose notes all came back: exported from here and reviewed in Anki. It
        # keeps its file, as a deck elsewhere on the deck path does; only reviews come.
        made_from = imported_from(text) or ""
        from_package = made_from.lower().endswith(PACKAGE_SUFFIXES)
        if not force and not plan.foreign and not from_package:
            plan.kept_at = plan.path
            continue
        if not force and not made_by_import(text):
            raise UsageError(
                f"{plan.path}: exists and was not made by `flashcards import`; "
                "use --force to replace it (its cards' progress is kept)"
            )
        # A deck made from notes or a table is theirs; one made from an Anki package
        # is any package's (Anki names each export afresh).
        if not force and not from_package:
            raise UsageError(
                f"{plan.path}: was imported from {made_from}, not from an Anki package; "
                "use --force to replace it (its cards' progress is kept)"
            )
        plan.replaces = True


def _write_decks(plans: dict[str, DeckPlan], source: str) -> None:
    """Every deck checked by the parser first, then each written atomically."""
    from flashcards.decks import parse_deck
    from flashcards.deckwrite import import_header, new_deck_text, write_deck_file

    texts = {}
    for plan in plans.values():
        if plan.kept_at is not None:
            continue
        text = new_deck_text(plan.name, plan.entries, header=import_header(source))
        parse_deck(plan.path, text.encode())  # a DeckError here leaves every file alone
        texts[plan.id] = text
    for plan in plans.values():
        if plan.kept_at is None:
            write_deck_file(plan.path, texts[plan.id])


def _write_media(collection: AnkiCollection, plans: dict[str, DeckPlan], folder: Path) -> None:
    from flashcards.fsutil import write_atomically

    for plan in plans.values():
        if not plan.media or plan.kept_at is not None:
            continue
        target = folder / plan.id
        target.mkdir(parents=True, exist_ok=True)
        for name in sorted(plan.media):
            data = collection.media_bytes(name)
            path = target / name
            if not path.exists() or path.read_bytes() != data:
                write_atomically(path, data)


# --- review history ---------------------------------------------------------------------------


def review_id(deck: str, card: str, revlog_id: int, ease: int) -> str:
    """A review's id from its revlog row: the same on every import of the package."""
    text = f"anki\n{deck}\n{card}\n{revlog_id}\n{ease}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _reviews(
    collection: AnkiCollection, card_keys: dict[int, tuple[str, str]], report: ImportReport
) -> list[Review]:
    """Every answer of the revlog as a review, and every reset as a forget mark (Anki's
    reset makes the card new and its memory state starts again, as forget does here);
    other manual changes (set due date, FSRS reschedules) are skipped and counted."""
    reviews = []
    for entry in collection.revlog:
        reset = entry.kind == MANUAL and entry.ease == 0 and entry.interval == entry.factor == 0
        if not reset and (entry.kind in (MANUAL, RESCHEDULED) or not 1 <= entry.ease <= 4):
            report.manual_skipped += 1
            continue
        key = card_keys.get(entry.card)
        if key is None:
            report.orphan_reviews += 1
            continue
        deck, card = key
        # The learner's local time: study days roll over at 4 a.m. where they are.
        at = datetime.fromtimestamp(entry.id / 1000, tz=UTC).astimezone()
        if reset:
            report.resets += 1
            reviews.append(
                Review(review_id(deck, card, entry.id, 0), deck, card, 0, at, None, action=FORGET)
            )
            continue
        cram = entry.kind == FILTERED and entry.factor == 0
        report.cram += cram
        reviews.append(
            Review(
                review_id(deck, card, entry.id, entry.ease),
                deck,
                card,
                entry.ease,
                at,
                max(0, entry.time_ms),
                action=CRAM if cram else None,
            )
        )
    return reviews


def _not_yet_in(store: Store, reviews: Iterable[Review]) -> list[Review]:
    """The reviews the store does not hold yet, by id or by what they are: a review
    exported from here and brought back by Anki has a new id but the same card and
    rating, at the same millisecond or, when answers shared a millisecond (a fixed
    clock, a history in whole seconds), a few after it (Anki's revlog ids are unique,
    so the export spread them). Each review held stands for one coming back."""
    wanted = list(reviews)
    if not wanted:
        return []
    cards = {review.key for review in wanted}
    held_ids: set[str] = set()
    held: dict[tuple[str, str, int], list[int]] = {}
    for review in store.reviews():
        if review.key in cards:
            held_ids.add(review.id)
            held.setdefault((*review.key, review.rating), []).append(_ms(review))
    coming = [review for review in wanted if review.id not in held_ids]
    # the same millisecond first, so that a spread answer cannot take another's match
    unmatched = [review for review in coming if not _take(held, review, 0)]
    return [review for review in unmatched if not _take(held, review, _SPREAD_MS)]


#: How far the export moves an answer that shares its millisecond with others.
_SPREAD_MS = 1000


def _ms(review: Review) -> int:
    return to_us(review.reviewed_at) // 1000


def _take(held: dict[tuple[str, str, int], list[int]], review: Review, spread: int) -> bool:
    """Remove and report the held answer ``review`` is a copy of: the same card and
    rating, at most ``spread`` milliseconds before it (the export only moves later)."""
    times = held.get((*review.key, review.rating))
    if not times:
        return False
    ms = _ms(review)
    for index, at in enumerate(times):
        if 0 <= ms - at <= spread:
            del times[index]
            return True
    return False


def _marks(
    collection: AnkiCollection,
    card_keys: dict[int, tuple[str, str]],
    store: Store,
    now: datetime,
    report: ImportReport,
) -> list[Review]:
    """A suspend mark for each suspended card and a bury mark for each buried one that
    is not so here already (ids from the card's last change: importing the same
    package again does not suspend a card unsuspended here since)."""
    decks = {deck for deck, _ in card_keys.values()}
    flags = store.flags(decks)
    marks = []
    for card in collection.cards:
        key = card_keys.get(card.id)
        if key is None:
            continue
        current = flags.get(key)
        action = None
        if card.queue == SUSPENDED_QUEUE:
            report.suspended += 1
            if current is None or not current.suspended:
                action = SUSPEND
        elif card.queue in BURIED_QUEUES:
            report.buried += 1
            if current is None or not current.buried(now):
                action = BURY
        if action is not None:
            mark_id = hashlib.sha256(f"anki\n{key}\n{action}\n{card.mod}".encode()).hexdigest()
            marks.append(Review(mark_id[:32], *key, 0, now, None, action=action))
    return marks
