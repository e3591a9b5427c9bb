"""Reading YAML decks: strict validation with file:line messages, safe loading only."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from flashcards.cardkinds import ClozeError, cloze_cards, forward_and_reverse
from flashcards.deckpaths import DECK_SUFFIXES, builtin_deck_folder, deck_files
from flashcards.errors import DeckError
from flashcards.model import Card, Deck, note_of
from flashcards.options import OptionError, check_options

#: Deck files larger than this are refused (a deck of 10,000 long cards is ~5 MB).
MAX_DECK_BYTES = 16 * 1024 * 1024
DECK_KEYS = (
    "name",
    "description",
    "tags",
    "markdown",
    "reverse",
    "typed",
    "bury_siblings",
    "options",
    "cards",
)
CARD_KEYS = ("id", "question", "answer", "cloze", "extra", "tags", "markdown", "reverse", "typed")
#: Card ids have no spaces, '#' or '/' (``model.CARD_PART``, kept for the ids of the
#: cards an entry makes: ``<id>/reverse``, ``<id>/c1``).
_ID_PATTERN = re.compile(r"[^\s/#]+")

# libyaml's C loader is ~10x faster; it is optional in PyYAML builds.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KEEP_IMPLICIT = ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge")
_TEXT_RESOLVERS = {
    first: kept
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    if (kept := [(tag, regexp) for tag, regexp in resolvers if tag in _KEEP_IMPLICIT])
}


class _Loader(_BaseLoader):
    """Safe loading where plain scalars stay text: an answer ``0755``, ``1.10`` or ``no``
    is shown as written, not as 493, 1.1 or false. Empty values are still null, and a
    key given twice in one mapping is an error rather than silently dropping the first."""

    yaml_implicit_resolvers = _TEXT_RESOLVERS

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key_node.value!r} is given twice", key_node.start_mark
                    )
                seen.add(key_node.value)
        result: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return result


def too_big(path: Path, size: int) -> DeckError:
    return DeckError(
        f"{path}: {size:,} bytes is over the {MAX_DECK_BYTES:,}-byte limit "
        "for a deck file; split it into several decks"
    )


def card_id_from_question(question: str) -> str:
    """A stable id for a card that has none: a slug of the question plus a short hash."""
    slug = re.sub(r"[^a-z0-9]+", "-", question.lower()).strip("-")[:40].strip("-")
    digest = hashlib.sha1(question.encode()).hexdigest()[:8]
    return f"{slug or 'card'}-{digest}"


def parse_deck(path: Path, data: bytes) -> Deck:
    """Build a deck from a file's bytes, or raise ``DeckError`` saying where it is wrong."""
    if len(data) > MAX_DECK_BYTES:
        raise too_big(path, len(data))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DeckError(f"{path}:{line}: not UTF-8 text (byte {exc.start})") from None
    try:
        document = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise DeckError(_yaml_error(path, text, exc)) from None
    return _build_deck(path, text, document)


def _yaml_error(path: Path, text: str, exc: yaml.YAMLError) -> str:
    bad = (
        yaml.reader.Reader.NON_PRINTABLE.search(text)
        if isinstance(exc, yaml.reader.ReaderError)
        else None
    )
    if bad:
        # A reader error has no mark, and the C reader counts in bytes: find the character.
        code = ord(bad.group())
        escape = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
        return (
            f"{path}:{text.count(chr(10), 0, bad.start()) + 1}: malformed YAML (character "
            f'U+{code:04X} is not allowed; write it as the escape "{escape}" in double quotes)'
        )
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    problem = getattr(exc, "problem", None) or str(exc)
    if isinstance(exc, yaml.constructor.ConstructorError) and "constructor for the tag" in problem:
        return f"{where}: YAML tags that build objects are not allowed in decks ({problem.strip()})"
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None and mark is not None and context_mark.line != mark.line:
        # e.g. an unclosed quote or bracket is only noticed lines later: say where it began
        problem = f"{problem}; {context} at line {context_mark.line + 1}"
    return f"{where}: malformed YAML ({problem})"


def _build_deck(path: Path, text: str, document: object) -> Deck:
    deck_id = path.stem

    def fail(message: str, *node_path: str | int) -> DeckError:
        return DeckError(f"{path}:{_line_of(text, node_path)}: {message}")

    if document is None:
        raise DeckError(f"{path}:1: the deck is empty; it needs `name` and `cards`")
    if not isinstance(document, dict):
        raise fail(f"a deck must be a mapping with `name` and `cards`, not {_kind(document)}")
    for key in document:
        if key not in DECK_KEYS:
            raise fail(f"unknown key {key!r} (allowed: {', '.join(DECK_KEYS)})", key)
    name = document.get("name", deck_id)
    if not isinstance(name, str) or not name.strip():
        raise fail("`name` must be non-empty text", "name")
    description = document.get("description") or ""
    if not isinstance(description, str):
        raise fail("`description` must be text", "description")
    tags = _tags(document.get("tags"), lambda: fail("`tags` must be a list of words", "tags"))
    defaults = _Defaults(
        **{
            field: _flag(document.get(field), default, lambda f=field: fail(_flag_error(f), f))
            for field, default in _Defaults._field_defaults.items()
        }
    )
    bury = _flag(
        document.get("bury_siblings"),
        True,
        lambda: fail(_flag_error("bury_siblings"), "bury_siblings"),
    )
    options = _options(document.get("options"), fail)
    # ``bury_siblings`` at the top level is a deck option too; ``options:`` wins.
    if "bury_siblings" in dict(options):
        bury = dict(options)["bury_siblings"]
    elif document.get("bury_siblings") is not None:
        options += (("bury_siblings", bury),)
    raw_cards = document.get("cards")
    if raw_cards is None or raw_cards == []:
        raise fail(
            "the deck has no cards; add a `cards:` list", *(["cards"] if raw_cards == [] else [])
        )
    if not isinstance(raw_cards, list):
        raise fail("`cards` must be a list", "cards")
    cards: list[Card] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_cards):
        made = _build_entry(
            deck_id,
            raw,
            lambda message, *sub, i=index: fail(message, "cards", i, *sub),
            defaults,
        )
        entry_id = note_of(made[0].id)
        if entry_id in seen:
            raise fail(
                f"card id {entry_id!r} is used twice (first by card {seen[entry_id] + 1})",
                "cards",
                index,
                "id",
            )
        seen[entry_id] = index
        cards.extend(made)
    return Deck(
        id=deck_id,
        name=name.strip(),
        path=str(path),
        cards=tuple(cards),
        description=description.strip(),
        tags=tags,
        bury_siblings=bury,
        options=options,
    )


def _options(value: object, fail: Any) -> tuple[tuple[str, Any], ...]:
    """The deck's ``options:`` mapping, every value checked (``options.check_options``)."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise fail(
            f"`options` must be a mapping of option names to values, not {_kind(value)}",
            "options",
        )
    try:
        return check_options(value, text_scalars=True)
    except OptionError as exc:
        raise fail(f"`options`: {exc}", "options", exc.option) from None


class _Defaults(NamedTuple):
    """What a deck sets for all its cards (each card may say otherwise)."""

    markdown: bool = True
    reverse: bool = False
    typed: bool = False


def _build_entry(deck_id: str, raw: object, fail: Any, defaults: _Defaults) -> list[Card]:
    """The cards one entry of ``cards:`` makes: itself, with its reverse when
    ``reverse`` is true, or one card per cloze number of a ``cloze`` text."""
    if not isinstance(raw, dict):
        raise fail(f"a card must be a mapping with `question` and `answer`, not {_kind(raw)}")
    for key in raw:
        if key not in CARD_KEYS:
            raise fail(f"unknown card key {key!r} (allowed: {', '.join(CARD_KEYS)})", key)
    flags = {
        field: _flag(raw.get(field), default, lambda f=field: fail(_flag_error(f), f))
        for field, default in defaults._asdict().items()
    }
    tags = _tags(raw.get("tags"), lambda: fail("`tags` must be a list of words", "tags"))
    if "cloze" in raw:
        return _cloze_entry(deck_id, raw, fail, tags, flags)
    if "extra" in raw:
        raise fail(
            "`extra` goes with `cloze`; on a question-and-answer card, put it in `answer`", "extra"
        )
    texts = {field: _text(raw, field, fail) for field in ("question", "answer")}
    card_id = _card_id(raw, fail, texts["question"])
    card = Card(
        deck_id,
        card_id,
        texts["question"],
        texts["answer"],
        tags,
        flags["markdown"],
        typed=flags["typed"],
    )
    if flags["reverse"]:
        return list(forward_and_reverse(card))
    return [card]


def _cloze_entry(
    deck_id: str, raw: dict[Any, Any], fail: Any, tags: tuple[str, ...], flags: dict[str, bool]
) -> list[Card]:
    for field in ("question", "answer"):
        if field in raw:
            raise fail("a card has either `cloze` or `question` and `answer`, not both", field)
    if raw.get("reverse") is not None and flags["reverse"]:
        raise fail(
            "`reverse` does not apply to a `cloze` card (each deletion is its own card)", "reverse"
        )
    text = _text(raw, "cloze", fail)
    extra = _text(raw, "extra", fail) if raw.get("extra") is not None else ""
    card_id = _card_id(raw, fail, text)
    try:
        return cloze_cards(
            deck_id,
            card_id,
            text,
            extra,
            tags=tags,
            markdown=flags["markdown"],
            typed=flags["typed"],
        )
    except ClozeError as exc:
        raise fail(f"`cloze` {exc}", "cloze") from None


def _text(raw: dict[Any, Any], field: str, fail: Any) -> str:
    value = raw.get(field)
    if value is None and field not in raw:
        raise fail(f"card has no `{field}`")
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise fail(f"`{field}` must be non-empty text", field)
    return value.strip()


def _card_id(raw: dict[Any, Any], fail: Any, text: str) -> str:
    """The entry's ``id``, or one made from its question (or cloze text)."""
    card_id = raw.get("id")
    if card_id is None:
        return card_id_from_question(text)
    if isinstance(card_id, int) and not isinstance(card_id, bool):
        card_id = str(card_id)
    if not isinstance(card_id, str) or not _ID_PATTERN.fullmatch(card_id):
        raise fail("`id` must be text without spaces, '/' or '#'", "id")
    return card_id


def _flag_error(field: str) -> str:
    return f"`{field}` must be true or false"


def _flag(value: object, default: bool, fail: Any) -> bool:
    """``true``/``false`` (plain scalars are read as text, see ``_Loader``)."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise fail()


def _tags(value: object, fail: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise fail()
    # a tag is one word, as in Anki: `--tag` names one, and Anki splits a tag at spaces
    if any(not tag or any(char.isspace() for char in tag) for tag in value):
        raise fail()
    return tuple(value)


def _kind(value: object) -> str:
    return {
        list: "a list",
        str: "text",
        int: "a number",
        float: "a number",
        bool: "true/false",
    }.get(type(value), type(value).__name__)


def _line_of(text: str, node_path: Sequence[str | int]) -> int:
    """The 1-based line of the YAML node at ``node_path`` (keys and list indexes).

    Only called on errors, so the cost of composing the document again is paid rarely.
    """
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return 1
    line = node.start_mark.line if node is not None else 0
    last = len(node_path) - 1
    for depth, step in enumerate(node_path):
        if node is None:
            break
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(step):
                    child = key_node if depth == last else value_node
                    break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value)
        ):
            child = node.value[step]
        if child is None:
            break
        node, line = child, child.start_mark.line
    return line + 1


__all__ = [
    "DECK_SUFFIXES",
    "builtin_deck_folder",
    "card_id_from_question",
    "deck_files",
    "parse_deck",
    "too_big",
]
