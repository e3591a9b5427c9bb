"""``flashcards import FILE``: notes (``.md``), tables (``.csv``/``.tsv``/``.txt``) and
Anki packages (``.apkg``/``.colpkg``, :mod:`flashcards.ankipkg`) into deck files.

Notes and tables become one deck in ``$FLASHCARDS_HOME/decks``, each card with a stable
``id``. Importing the same file again updates that deck in place: a card whose question
was reworded keeps its id, so its progress (:func:`plan_import`); new cards are added;
cards gone from the file are removed from the deck, their reviews staying in the log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flashcards.errors import UsageError

if TYPE_CHECKING:
    from flashcards.config import Settings
    from flashcards.notes import Notes
    from flashcards.stores import Store

NOTES_SUFFIXES = (".md", ".markdown")
TABLE_SUFFIXES = (".csv", ".tsv", ".txt")
PACKAGE_SUFFIXES = (".apkg", ".colpkg")
#: How alike two cards must be (0-100) for a re-import to take one for the other: the
#: mean of rapidfuzz's ``token_sort_ratio`` over the questions and over the answers.
#: On rewordings of the real notes' questions (answers kept, or lightly edited) the
#: score is 81 or more; between different cards of those notes — "What is DynamoDB?"
#: against "What is Dynamoose?" included, 85 on the questions alone — 62 at most
#: (``tests/test_importcmd.py::test_threshold_separates_rewordings``). 72 sits in the gap.
MATCH_THRESHOLD = 72.0
#: Card keys the notes never set: kept from the deck when a card is imported again.
LEARNER_FLAGS = ("typed", "markdown")
#: A section shown above a question: its first line, in italics.
_CONTEXT = re.compile(r"\A\*([^*\n]+)\*\n(?=\S)")


class Kind(StrEnum):
    added = "added"
    changed = "changed"
    removed = "removed"
    same = "same"


@dataclass(frozen=True)
class Change:
    """What a re-import does to one card: its id, the entry before (``None`` when added)
    and after (``None`` when removed)."""

    kind: Kind
    id: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None


def with_context(section: str, question: str) -> str:
    """The question as the deck holds it: its section, in italics, on the line above."""
    if not section or "*" in section or "\n" in section:
        return question
    return f"*{section}*\n{question}"


def without_context(question: str) -> str:
    """The question without the section line :func:`with_context` put above it."""
    return _CONTEXT.sub("", question, count=1)


def note_entries(notes: Notes, *, context: bool = True) -> list[dict[str, Any]]:
    """The deck entries (without ids) for the cards of a notes or table file."""
    entries = []
    for card in notes.cards:
        if card.cloze:
            entry: dict[str, Any] = {"cloze": card.question}
            if card.answer:
                entry["extra"] = card.answer
            if card.tags:
                entry["tags"] = list(card.tags)
            entries.append(entry)
            continue
        entry = {
            # A reversed card asks its answer and expects the question: no section there.
            "question": (
                with_context(card.section, card.question)
                if context and not card.reverse
                else card.question
            ),
            "answer": card.answer,
        }
        if card.tags:
            entry["tags"] = list(card.tags)
        if card.reverse:
            entry["reverse"] = True
        if card.typed:
            entry["typed"] = True
        entries.append(entry)
    return entries


def similarity(old: dict[str, Any], new: dict[str, Any]) -> float:
    """How alike two entries are, 0-100 (see :data:`MATCH_THRESHOLD`)."""
    from rapidfuzz import fuzz, utils

    def score(a: str, b: str) -> float:
        return float(fuzz.token_sort_ratio(a, b, processor=utils.default_process))

    return (score(asked(old), asked(new)) + score(told(old), told(new))) / 2


def asked(entry: dict[str, Any]) -> str:
    """An entry's question without its section line, or its cloze text."""
    if "cloze" in entry:
        return str(entry["cloze"])
    return without_context(str(entry.get("question", "")))


def _whole(entry: dict[str, Any]) -> str:
    return str(entry.get("cloze", entry.get("question", "")))


def told(entry: dict[str, Any]) -> str:
    """An entry's answer, or a cloze entry's extra."""
    return str(entry.get("answer", entry.get("extra", "")))


def plan_import(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[Change]:
    """Match the entries of the deck as it is (``old``, with ids) to the cards read now
    (``new``, without): first the same question, then the most alike pairs above
    :data:`MATCH_THRESHOLD`; each new card keeps the id of its match or gets a fresh one.
    Returns the changes in the new cards' order, then the removed entries."""
    from flashcards.deckwrite import entry_id_base

    matched: dict[int, int] = {}  # new index -> old index
    free = set(range(len(old)))
    # The same question under the same section first: two cards asking "What is it?"
    # in two sections keep their own ids when the sections change places.
    for key in (_whole, asked):
        by_question: dict[str, list[int]] = {}
        for index in sorted(free):
            by_question.setdefault(key(old[index]), []).append(index)
        for index, entry in enumerate(new):
            same = by_question.get(key(entry), []) if index not in matched else []
            if same:
                matched[index] = same.pop(0)
                free.discard(matched[index])
    pairs = sorted(
        (
            (similarity(old[o], new[n]), n, o)
            for n in range(len(new))
            if n not in matched
            for o in free
        ),
        key=lambda pair: (-pair[0], pair[1], pair[2]),
    )
    for score, n, o in pairs:
        if score < MATCH_THRESHOLD:
            break
        if n not in matched and o in free:
            matched[n] = o
            free.discard(o)
    taken = {str(entry["id"]) for entry in old if entry.get("id")}
    changes = []
    for index, entry in enumerate(new):
        if index in matched:
            before = old[matched[index]]
            # What the learner set on the card in the deck (notes cannot say it) stays.
            kept = {key: before[key] for key in LEARNER_FLAGS if key in before}
            after = {"id": before["id"], **kept, **entry}
            kind = Kind.same if _comparable(before) == _comparable(after) else Kind.changed
            changes.append(Change(kind, after["id"], before, after))
            continue
        base = entry_id_base(asked(entry))
        card_id, number = base, 2
        while card_id in taken:
            card_id, number = f"{base}-{number}", number + 1
        taken.add(card_id)
        changes.append(Change(Kind.added, card_id, None, {"id": card_id, **entry}))
    changes.extend(Change(Kind.removed, old[o]["id"], old[o], None) for o in sorted(free))
    return changes


def _comparable(entry: dict[str, Any]) -> dict[str, Any]:
    keys = ("question", "answer", "cloze", "extra", "tags", "reverse", "typed")
    return {
        key: [str(t) for t in entry[key]] if key == "tags" else str(entry[key]).strip()
        for key in keys
        if entry.get(key) not in (None, "", [], False, "false")
    }


# --- reading the deck there is ---------------------------------------------------------------


def deck_entries(path: Path, text: str) -> list[dict[str, Any]]:
    """The entries of a deck file, every value as text (checked by the deck parser
    first), each with its id (made from its question when it has none)."""
    import yaml

    from flashcards.decks import card_id_from_question, parse_deck

    parse_deck(path, text.encode())
    document = yaml.load(text, Loader=yaml.BaseLoader)
    entries = []
    for raw in document.get("cards") or []:
        entry = {key: value for key, value in raw.items() if value != ""}
        if "id" not in entry:
            entry["id"] = card_id_from_question(str(entry.get("question", "")).strip())
        for flag in ("reverse", *LEARNER_FLAGS):
            if flag in entry:
                entry[flag] = str(entry[flag]).lower() == "true"
        entries.append(entry)
    return entries


@dataclass(frozen=True)
class ImportPlan:
    """A notes or table import worked out: the deck file, its name, the changes, and
    the text to write (``None`` when the deck is already as the file says)."""

    source: Path
    deck_id: str
    name: str
    path: Path
    created: bool
    changes: list[Change]
    text: str | None
    reordered: bool = False


def plan_file_import(
    settings: Settings,
    source: Path,
    *,
    deck_id: str | None = None,
    form: str | None = None,
    context: bool = True,
    force: bool = False,
) -> ImportPlan:
    """Read a notes or table file and work out what importing it does to its deck; no
    file is written. ``UsageError`` (``NotesError``) for a file that cannot be read as
    cards, a deck id taken by another deck, or a deck file not made by an import
    (unless ``force``)."""
    from flashcards.addcmd import DECK_ID
    from flashcards.deckpaths import deck_files
    from flashcards.deckwrite import (
        entry_document,
        import_header,
        load_document,
        made_by_import,
        new_deck_text,
    )
    from flashcards.notes import parse_notes, read_text

    suffix = source.suffix.lower()
    if suffix in NOTES_SUFFIXES:
        notes = parse_notes(source, read_text(source, "Markdown notes"), form)
    else:
        from flashcards.csvnotes import parse_table

        if form is not None:
            raise UsageError(f"--format is for Markdown notes, not {suffix} files")
        notes = parse_table(source, read_text(source, f"a {suffix} table"))
    deck_id = deck_id or _id_from_name(source.stem)
    if not DECK_ID.fullmatch(deck_id):
        raise UsageError(f"--deck {deck_id!r}: use letters, digits, '_', '.' and '-'")
    path = settings.home / "decks" / f"{deck_id}.yaml"
    for other in deck_files(settings.deck_path):
        if other.stem == deck_id and other.resolve() != path.resolve():
            raise UsageError(
                f"deck id {deck_id!r} is taken by {other}; import under another with --deck ID"
            )
    name = notes.title or source.stem
    new = note_entries(notes, context=context)
    old_text: str | None = None
    if path.exists():
        try:
            old_text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: cannot read the deck there ({exc})") from None
        if not force:
            _check_same_source(path, old_text, source.name)
    old = deck_entries(path, old_text) if old_text is not None else []
    changes = plan_import(old, new)
    kept = [change.new for change in changes if change.new is not None]
    header = import_header(source.name)
    # The deck follows the file's order (it is the order new cards are studied in).
    old_ids, kept_ids = [e["id"] for e in old], [e["id"] for e in kept]
    both = set(old_ids) & set(kept_ids)
    reordered = [i for i in old_ids if i in both] != [i for i in kept_ids if i in both]
    if old_text is None:
        text: str | None = new_deck_text(name, kept, header=header)
    elif (
        all(c.kind == Kind.same for c in changes)
        and not reordered
        and _same_name(old_text, name, header)
    ):
        text = None
    else:
        from ruamel.yaml.comments import CommentedSeq

        # The deck's other keys (description, options, tags) stay as they are.
        document = load_document(path, old_text)
        document["name"] = name
        document["cards"] = CommentedSeq(entry_document(entry) for entry in kept)
        from flashcards.deckwrite import dump_document

        text = dump_document(document)
        if not made_by_import(text):
            text = header + text
    return ImportPlan(source, deck_id, name, path, old_text is None, changes, text, reordered)


def _check_same_source(path: Path, old_text: str, source: str) -> None:
    """Refuse (``UsageError``) a deck file that no import made, or that was imported
    from another file: importing ``b/notes.md`` must not empty the deck ``a/notes.md``
    made."""
    from flashcards.deckwrite import imported_from

    made_from = imported_from(old_text)
    if made_from is None:
        raise UsageError(
            f"{path} exists and was not made by `flashcards import`; --force replaces "
            "it (cards found again keep their ids), --deck ID imports under another id"
        )
    if made_from != source:
        raise UsageError(
            f"{path} was imported from {made_from}, not {source}; --force replaces it "
            "(cards found again keep their ids), --deck ID imports under another id"
        )


def _same_name(old_text: str, name: str, header: str) -> bool:
    import yaml

    document = yaml.load(old_text, Loader=yaml.BaseLoader)
    return document.get("name") == name and old_text.startswith(header)


def _id_from_name(stem: str) -> str:
    from flashcards.addcmd import deck_slug

    return deck_slug(stem, "notes")


def write_plan(plan: ImportPlan) -> None:
    """Write the deck file of a plan (atomically; checked by the deck parser first)."""
    from flashcards.deckwrite import write_deck_file

    if plan.text is not None:
        write_deck_file(plan.path, plan.text, create_only=plan.created)


def plan_lines(plan: ImportPlan, dry_run: bool) -> list[str]:
    """What a person reads about an import: one line per card added, changed or
    removed (old and new wording), then a summary."""
    lines = []
    for change in plan.changes:
        if change.kind == Kind.added and change.new is not None:
            lines.append(f"  added    {change.id}: {_one_line(asked(change.new))}")
        elif change.kind == Kind.changed and change.old is not None and change.new is not None:
            before, after = asked(change.old), asked(change.new)
            if before != after:
                lines.append(
                    f"  changed  {change.id}: {_one_line(str(before))} -> {_one_line(after)}"
                )
            else:
                old_answer, new_answer = told(change.old).strip(), told(change.new).strip()
                what = (
                    f"answer {_one_line(old_answer, 30)} -> {_one_line(new_answer, 30)}"
                    if old_answer != new_answer
                    else "section, tags, direction or kind"
                )
                lines.append(f"  changed  {change.id}: {_one_line(after, 40)} ({what})")
        elif change.kind == Kind.removed and change.old is not None:
            lines.append(
                f"  removed  {change.id}: {_one_line(asked(change.old))} "
                "(its reviews stay in the log)"
            )
    counts = {kind: sum(c.kind == kind for c in plan.changes) for kind in Kind}
    entries = [change.new for change in plan.changes if change.new is not None]
    total = _cards_of(entries)
    if plan.text is None:
        summary = f"Deck {plan.deck_id} is up to date with {plan.source.name}: {total}."
    else:
        verb = "Would import" if dry_run else "Imported"
        summary = (
            f"{verb} {plan.source.name} into deck {plan.deck_id} ({plan.name}): {total}, "
            f"{counts[Kind.added]} added, {counts[Kind.changed]} changed, "
            f"{counts[Kind.removed]} removed"
            + (", the rest in the file's new order" if plan.reordered else "")
            + f" -> {plan.path}"
            + (" (nothing written)" if dry_run else "")
        )
    return [*lines, summary]


def _cards_of(entries: list[dict[str, Any]]) -> str:
    """``10 cards``, or ``5 entries (7 cards)`` when reversed or cloze entries make more."""
    from flashcards.cardkinds import ClozeError, parse_cloze

    cards = 0
    for entry in entries:
        if "cloze" in entry:
            try:
                pieces = parse_cloze(str(entry["cloze"]))
            except ClozeError:
                pieces = []
            cards += len({piece.number for piece in pieces if not isinstance(piece, str)}) or 1
        else:
            cards += 2 if entry.get("reverse") else 1
    if cards == len(entries):
        return _cards(cards)
    count = len(entries)
    return f"{count} {'entry' if count == 1 else 'entries'} ({_cards(cards)})"


def _cards(count: int) -> str:
    return "1 card" if count == 1 else f"{count} cards"


def _one_line(text: str, size: int = 70) -> str:
    one = " ".join(without_context(text).split())
    return one if len(one) <= size else one[: size - 1] + "…"


# --- the command -----------------------------------------------------------------------------


def check_source(file: Path) -> str:
    """The lower-case extension of a file to import; ``UsageError`` for a kind not
    imported or a file that is not there."""
    suffix = file.suffix.lower()
    known = (*NOTES_SUFFIXES, *TABLE_SUFFIXES, *PACKAGE_SUFFIXES)
    if suffix not in known:
        raise UsageError(
            f"{file}: cannot import {suffix or 'a file without an extension'}; "
            f"use one of {', '.join(known)}"
        )
    if file.is_dir():
        raise UsageError(f"{file}: is a folder, not a file")
    if not file.is_file():
        raise UsageError(f"{file}: no such file")
    return suffix


def import_notes(
    settings: Settings,
    file: Path,
    *,
    deck_id: str | None = None,
    form: str | None = None,
    context: bool = True,
    dry_run: bool = False,
    force: bool = False,
) -> list[str]:
    """Import a notes or table file (nothing written with ``dry_run``); the lines that
    say what changed."""
    plan = plan_file_import(
        settings, file, deck_id=deck_id, form=form, context=context, force=force
    )
    if not dry_run:
        write_plan(plan)
    return plan_lines(plan, dry_run) + off_path_notice(settings)


def off_path_notice(settings: Settings) -> list[str]:
    """A line saying that imported decks are out of sight, when the deck path (set
    with ``--decks`` or ``FLASHCARDS_DECKS``) leaves out ``$FLASHCARDS_HOME/decks``."""
    folder = (settings.home / "decks").resolve()
    if any(path.resolve() == folder for path in settings.deck_path):
        return []
    return [
        f"Note: {folder} is not on the deck path (FLASHCARDS_DECKS or --decks); "
        "add it there to study the imported decks."
    ]


def import_package_file(
    file: Path, settings: Settings, store: Store, *, dry_run: bool, force: bool
) -> tuple[list[str], list[str]]:
    """Import an Anki package through :mod:`flashcards.ankipkg`: the report's lines
    and its notices."""
    try:
        from flashcards.ankipkg import import_package
    except ImportError:
        raise UsageError(
            f"{file}: importing Anki packages is not available in this version"
        ) from None
    report = import_package(file, settings, store, dry_run=dry_run, force=force)
    written = any(plan.kept_at is None for plan in report.decks)
    return report.lines() + (off_path_notice(settings) if written else []), list(report.notices)
