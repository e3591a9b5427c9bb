"""Writing deck files: round-trip YAML (comments, order and formatting kept), checked by
the deck parser before anything is written, replaced atomically.

Reading stays with PyYAML in :mod:`flashcards.decks` (fast, strict, safe); writing uses
``ruamel.yaml``, which keeps what a person wrote — comments, key order, quoting, block
and folded scalars — where PyYAML would re-dump the whole file in its own style.
``ruamel.yaml`` is imported only by the commands that write decks.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flashcards import fsutil
from flashcards.decks import card_id_from_question, parse_deck
from flashcards.errors import DeckError, UsageError
from flashcards.model import Deck, note_of

if TYPE_CHECKING:
    from ruamel.yaml import YAML

#: The first line of a deck written by ``flashcards import``: a re-import may replace
#: such a file; any other file at that place is left alone unless ``--force``.
IMPORT_MARK = "# Made by `flashcards import` from "
#: A cloze deletion, for making an id of the text it hides.
_CLOZE = re.compile(r"\{\{c\d+::(.*?)(?:::[^}]*)?\}\}", re.IGNORECASE)
#: Entry keys in the order a new entry is written.
ENTRY_ORDER = ("id", "question", "answer", "cloze", "extra", "tags", "reverse", "typed")


def round_trip_yaml() -> YAML:
    """A ``ruamel.yaml`` loader/dumper that gives back a file as it was written: quotes
    kept, no line re-wrapped, lists indented as the built-in decks indent them."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 1_000_000  # never fold a long line the author kept on one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load_document(path: Path, text: str) -> Any:
    """The deck file's text as an editable document (``CommentedMap``), or ``DeckError``
    naming the file and line of malformed YAML."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return round_trip_yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise DeckError(f"{path}{line}: malformed YAML ({exc.problem or exc})") from None
    except YAMLError as exc:
        raise DeckError(f"{path}: malformed YAML ({exc})") from None


def dump_document(document: Any) -> str:
    """A document loaded by :func:`load_document` (or built of plain values) as text."""
    out = io.StringIO()
    round_trip_yaml().dump(document, out)
    return out.getvalue()


def entry_document(entry: Mapping[str, Any]) -> Any:
    """A card entry as ruamel values in the deck's house style: keys in the usual
    order, text with line breaks as ``|`` blocks, tags as ``[a, b]``."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    made = CommentedMap()
    for key in [*ENTRY_ORDER, *(k for k in entry if k not in ENTRY_ORDER)]:
        if key not in entry or entry[key] is None:
            continue
        value = entry[key]
        if isinstance(value, str) and "\n" in value:
            value = LiteralScalarString(_block_safe(value))
        elif isinstance(value, list | tuple):
            value = CommentedSeq(value)
            value.fa.set_flow_style()
        made[key] = value
    return made


def _block_safe(text: str) -> str:
    # A literal block cannot hold trailing spaces on a line or tabs at a line's start
    # in a way that survives; trailing spaces carry no meaning in Markdown cards.
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n"))


def render_entry(entry: Mapping[str, Any], indent: int) -> str:
    """One ``cards:`` item as text, its ``-`` at column ``indent``, ending in a newline."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.width = 1_000_000
    yaml.indent(mapping=2, sequence=2, offset=0)
    out = io.StringIO()
    yaml.dump([entry_document(entry)], out)
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in out.getvalue().splitlines(True))


def append_entry(path: Path, text: str, entry: Mapping[str, Any]) -> str:
    """The deck text with ``entry`` added as the last of its ``cards``, every other byte
    as it was. When the cards are not a block list this cannot be done by adding text
    alone, and the document is re-written by ``ruamel.yaml`` (comments and order still
    kept). ``DeckError`` if the result would not be a valid deck."""
    import yaml

    old = parse_deck(path, text.encode())
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:  # parse_deck has passed, so this is unexpected
        raise DeckError(f"{path}: malformed YAML ({exc})") from None
    cards = _cards_node(root)
    new_text = None
    if isinstance(cards, yaml.SequenceNode) and not cards.flow_style and cards.value:
        end = _last_leaf(cards.value[-1]).end_mark.index
        while end > 0 and text[end - 1] in " \t\r\n":
            end -= 1  # block scalars end after their line breaks; add after the last text
        line_end = text.find("\n", end)
        at = len(text) if line_end < 0 else line_end + 1
        newline = "\r\n" if "\r\n" in text else "\n"  # the file's own line ends
        before = text[:at] if text[:at].endswith("\n") else text[:at] + newline
        added = render_entry(entry, cards.start_mark.column).replace("\n", newline)
        new_text = before + added + text[at:]
        if not _appended_only(path, old, new_text):
            new_text = None  # e.g. a `|+` block whose kept blank lines were its text
    if new_text is None:
        document = load_document(path, text)
        from ruamel.yaml.comments import CommentedSeq

        if not isinstance(document.get("cards"), list):
            document["cards"] = CommentedSeq()
        document["cards"].append(entry_document(entry))
        new_text = dump_document(document)
        if not _appended_only(path, old, new_text):
            raise DeckError(f"{path}: the card could not be added without changing the others")
    return new_text


def _last_leaf(node: Any) -> Any:
    """The last scalar of a node: a mapping's or list's end is only known at the next
    token, after any comment lines that follow it (which may belong to the next key)."""
    import yaml

    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return node


def _cards_node(root: Any) -> Any:
    import yaml

    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "cards":
                return value
    return None


def _appended_only(path: Path, old: Deck, new_text: str) -> bool:
    """Whether ``new_text`` is a valid deck with ``old``'s cards unchanged, then more."""
    new = parse_deck(path, new_text.encode())
    return new.cards[: len(old.cards)] == old.cards and len(new.cards) > len(old.cards)


def entry_id_base(text: str) -> str:
    """The id an entry's question (or cloze text, by the text its deletions hide) makes:
    a slug with a short hash, as a card without ``id`` would get."""
    return card_id_from_question(_CLOZE.sub(r"\1", text))


def fresh_entry_id(deck: Deck | None, text: str) -> str:
    """An id for a new entry made from its question (or cloze text): a slug with a short
    hash, as a card without ``id`` would get, made unique in the deck."""
    taken = {note_of(card.id) for card in deck.cards} if deck is not None else set()
    base = entry_id_base(text)
    card_id, number = base, 2
    while card_id in taken:
        card_id, number = f"{base}-{number}", number + 1
    return card_id


def new_deck_text(name: str, entries: Sequence[Mapping[str, Any]], header: str = "") -> str:
    """The text of a new deck file: an optional comment header, ``name`` and ``cards``."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    document = CommentedMap()
    document["name"] = name
    document["cards"] = CommentedSeq(entry_document(entry) for entry in entries)
    return header + dump_document(document)


def import_header(source: str) -> str:
    """The comment that marks a deck written by ``flashcards import`` from ``source``."""
    return (
        f"{IMPORT_MARK}{source}\n"
        "# Importing the notes again replaces this file; edit the notes, not this deck.\n"
    )


def made_by_import(text: str) -> bool:
    """Whether a deck file's text starts with the mark of :func:`import_header`."""
    return text.startswith(IMPORT_MARK)


def imported_from(text: str) -> str | None:
    """The file name an imported deck was made from (its :func:`import_header`), or
    ``None`` for a deck no import made."""
    if not made_by_import(text):
        return None
    return text.partition("\n")[0].removeprefix(IMPORT_MARK).strip()


def write_deck_file(path: Path, text_or_document: str | Any, *, create_only: bool = False) -> Deck:
    """Check the text (or a ruamel document) with the deck parser, then write it to
    ``path`` atomically: a crash leaves the old file or the new one, never half.

    ``create_only`` refuses (``UsageError``) if ``path`` exists, even if it appears
    while this runs. Returns the deck as the parser read it; nothing is written when
    the text is not a valid deck (``DeckError``).
    """
    text = (
        text_or_document if isinstance(text_or_document, str) else dump_document(text_or_document)
    )
    data = text.encode()
    deck = parse_deck(path, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not create_only:
        fsutil.write_atomically(path, data)
        return deck
    # Written in full to a temp file, then linked to its name: linking fails if the
    # name exists, so a file made meanwhile by someone else is never replaced.
    fd, temp = fsutil.temp_file_for(path)
    try:
        try:
            fsutil.write(fd, data)
            fsutil.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temp, path)
        except FileExistsError:
            raise UsageError(f"{path} already exists") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    fsutil.fsync_dir(path.parent)
    return deck
