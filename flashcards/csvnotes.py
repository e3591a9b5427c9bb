"""Cards from a table: CSV, TSV or text with one card a row (question, answer, optional
tags), including Anki's "Notes in Plain Text" export and its ``#key:value`` headers:
``#separator:``, ``#html:``, ``#tags column:``, ``#columns:``, ``#deck:``, a
``#notetype column:`` (Anki's stock note types become card kinds: reversed, typed,
cloze; others basic cards from their first two fields) and ``#guid/deck column:``
columns, which are skipped. Without a note type column, a question holding
``{{c1::...}}`` is a cloze text and the second column its extra.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from flashcards.notes import NoteCard, Notes, NotesError

#: Anki's names for separators in ``#separator:``.
SEPARATORS = {
    "tab": "\t",
    "comma": ",",
    "semicolon": ";",
    "space": " ",
    "pipe": "|",
    "colon": ":",
}
_HEADER = re.compile(r"^#([A-Za-z ]+):(.*)$")
#: First rows that name the columns rather than hold a card.
_COLUMN_NAMES = ({"question", "front", "q"}, {"answer", "back", "a"})
#: Anki's stock note types by name (read here from a text export's note type column,
#: and by ``ankipkg`` from a package).
BASIC, REVERSED, OPTIONAL_REVERSED, TYPED, CLOZE = (
    "Basic",
    "Basic (and reversed card)",
    "Basic (optional reversed card)",
    "Basic (type in the answer)",
    "Cloze",
)
_COPY_SUFFIX = re.compile(r"(?:-[0-9a-f]{5}|\+)$")
_CLOZE_MARK = re.compile(r"\{\{c\d+::")


def stock_name(notetype: str) -> str:
    """The note type's name without the suffix Anki gives a copy it makes on import when
    one of the same name clashes (``NAME-xxxxx``; older versions ``NAME+``)."""
    return _COPY_SUFFIX.sub("", notetype)


def parse_table(path: Path, text: str) -> Notes:
    """The cards of a table file; ``NotesError`` naming file and line for a row with too
    few or a different number of columns, an empty question or answer, or no rows."""
    lines = text.splitlines(keepends=True)
    headers: dict[str, str] = {}
    start = 0
    for line in lines:
        match = _HEADER.match(line.rstrip("\r\n"))
        if match is None:
            break
        headers[match.group(1).strip().lower()] = match.group(2).strip()
        start += 1
    separator = _separator(path, headers, lines[start:])
    html = headers.get("html", "false").lower() == "true"
    notetype_at = (
        _column(path, headers, "notetype column") if "notetype column" in headers else None
    )
    skipped = {
        _column(path, headers, key)
        for key in ("guid column", "notetype column", "deck column")
        if key in headers
    }
    deck_at = _column(path, headers, "deck column") if "deck column" in headers else None
    decks: list[str] = []  # each card's Anki deck, from the deck column
    tags_at = _column(path, headers, "tags column") if "tags column" in headers else None
    if tags_at is None and "columns" in headers:
        names = [name.strip().lower() for name in headers["columns"].split(separator)]
        tags_at = names.index("tags") if "tags" in names else None
    notes = Notes(headers.get("deck") or None, "table")
    reader = csv.reader(lines[start:], delimiter=separator, strict=True)
    width: int | None = None
    first = True
    try:
        for row in reader:
            row_line = start + reader.line_num  # the row's last line, as csv counts them
            if not any(cell.strip() for cell in row):
                continue
            if first and not headers and _names_columns(row):
                first = False
                continue
            first = False
            if width is not None and len(row) != width:
                raise NotesError(
                    f"{path}:{row_line}: {len(row)} columns where the first row has {width}"
                )
            width = len(row)
            kept = [i for i in range(len(row)) if i not in skipped]
            if tags_at is None and len(kept) >= 3:
                tags_at = kept[2]  # question, answer, tags
            fields = [cell for i, cell in enumerate(row) if i not in skipped and i != tags_at]
            if len(fields) < 2:
                raise NotesError(
                    f"{path}:{row_line}: {len(row)} column(s); a card needs a question and an "
                    f"answer{' (is the separator right? add a #separator: line)' if len(row) == 1 else ''}"
                )
            question, answer = (_markdown(cell, html) for cell in fields[:2])
            tags = tuple(row[tags_at].split()) if tags_at is not None and tags_at < len(row) else ()
            notetype = (
                stock_name(row[notetype_at].strip())
                if notetype_at is not None and notetype_at < len(row)
                else None
            )
            notes.cards.append(
                _card(path, row_line, question, answer, fields[2:], notetype, html, tags)
            )
            if deck_at is not None:
                decks.append(row[deck_at].strip() if deck_at < len(row) else "")
    except csv.Error as exc:
        raise NotesError(f"{path}:{start + reader.line_num}: malformed row ({exc})") from None
    if not notes.cards:
        raise NotesError(f"{path}: no cards found (one card a row: question, answer, tags)")
    _place_decks(notes, decks)
    return notes


def _place_decks(notes: Notes, decks: list[str]) -> None:
    """Anki's deck column, in the one deck a table makes: the deck's name when all
    rows share one; otherwise each card's deck is its section (shown above the
    question, and a tag), as a ``##`` heading is in notes."""
    from dataclasses import replace

    from flashcards.notes import tag_of

    names = set(decks)
    if len(names) == 1 and notes.title is None:
        notes.title = names.pop() or None
    elif len(names) > 1:
        notes.cards[:] = [
            replace(card, section=deck, tags=tuple(dict.fromkeys((*card.tags, tag_of(deck)))))
            if tag_of(deck)
            else card
            for card, deck in zip(notes.cards, decks, strict=True)
        ]


def _card(
    path: Path,
    line: int,
    question: str,
    answer: str,
    more: list[str],
    notetype: str | None,
    html: bool,
    tags: tuple[str, ...],
) -> NoteCard:
    """One row's card, of the kind its note type (or, with none, its text) says."""
    cloze = notetype == CLOZE if notetype is not None else bool(_CLOZE_MARK.search(question))
    if not question:
        raise NotesError(f"{path}:{line}: the {'cloze text' if cloze else 'question'} is empty")
    if cloze:
        from flashcards.cardkinds import ClozeError, parse_cloze

        try:
            parse_cloze(question)
        except ClozeError as exc:
            raise NotesError(f"{path}:{line}: the cloze text {exc}") from None
        return NoteCard(question, answer, line, tags=tags, cloze=True)
    if not answer:
        raise NotesError(f"{path}:{line}: the question {question[:60]!r} has no answer")
    reverse = notetype == REVERSED or (
        notetype == OPTIONAL_REVERSED and bool(more and _markdown(more[0], html))
    )
    return NoteCard(question, answer, line, tags=tags, reverse=reverse, typed=notetype == TYPED)


def _separator(path: Path, headers: dict[str, str], rows: list[str]) -> str:
    given = headers.get("separator")
    if given is not None:
        separator = SEPARATORS.get(given.lower(), given)
        if len(separator) != 1:
            raise NotesError(f"{path}: #separator:{given} is not one character or a name")
        return separator
    if path.suffix.lower() == ".tsv":
        return "\t"
    sample = "".join(rows[:20])
    candidates = "\t,;|" if path.suffix.lower() == ".txt" else ",;\t|"
    try:
        return csv.Sniffer().sniff(sample, delimiters=candidates).delimiter
    except csv.Error:
        return candidates[0]


def _column(path: Path, headers: dict[str, str], key: str) -> int:
    value = headers[key]
    if not value.isdigit() or int(value) < 1:
        raise NotesError(f"{path}: #{key}:{value} must be a column number (1 is the first)")
    return int(value) - 1


def _names_columns(row: list[str]) -> bool:
    cells = [cell.strip().lower() for cell in row]
    return len(cells) >= 2 and cells[0] in _COLUMN_NAMES[0] and cells[1] in _COLUMN_NAMES[1]


def _markdown(cell: str, html: bool) -> str:
    if not html:
        return cell.strip()
    from flashcards.htmltext import html_to_markdown

    return html_to_markdown(cell).strip()
