"""Card kinds beyond question and answer: reversed cards, cloze deletions and typed
answers, as Anki makes them. Pure text in, text out; the screen is in ``ui``/``cardtext``.

A deck entry may make several cards (siblings): a reversed entry makes its forward card
(the entry's own id) and ``<id>/reverse``; a ``cloze`` entry makes ``<id>/c1``,
``<id>/c2``, ... one per cloze number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from flashcards.model import BASIC, CARD_PART, CLOZE, REVERSE, Card

#: The part a reverse card's id adds to its entry's id.
REVERSE_PART = "reverse"
#: What opens a cloze deletion, as Anki writes it (``{{c1::``, any case): anything
#: between ``{{c`` and ``::`` is taken as its number, so ``{{c0::`` or ``{{cx::`` is
#: reported rather than shown as text. ``{{ name }}`` and other braces are text.
_OPEN = re.compile(r"\{\{c([^:{}\s]*)::", re.IGNORECASE)
_CLOSE = "}}"
_NUMBER = re.compile(r"[0-9]+")


class ClozeError(ValueError):
    """A ``cloze`` text Anki would not make cards from; the message says what to fix."""


class Deletion(NamedTuple):
    """One ``{{cN::text::hint}}``: its number, the text it hides and the hint, if any."""

    number: int
    text: str
    hint: str | None = None


Piece = str | Deletion


def parse_cloze(text: str) -> list[Piece]:
    """The text split into plain pieces and deletions, or ``ClozeError``.

    As Anki reads ``{{cN::text::hint}}``: the deletion ends at the first ``}}``, its
    text at the first ``::`` (the rest is the hint). Refused: a text with no deletion,
    a number that is not a positive whole number, a deletion never closed, one inside
    another, an empty one.
    """
    pieces: list[Piece] = []
    position = 0
    for opening in _OPEN.finditer(text):
        number = opening.group(1)
        if not _NUMBER.fullmatch(number) or int(number) == 0:
            raise ClozeError(
                f"cloze number {number!r} in {_quote(opening.group())} is not a positive "
                "whole number (write {{c1::…}}, {{c2::…}}, …)"
            )
        end = text.find(_CLOSE, opening.end())
        if end < 0:
            raise ClozeError(
                f"{_quote(_excerpt(text, opening.start()))} is not closed: a deletion "
                "ends with `}}`"
            )
        inner = _OPEN.search(text, opening.end(), end)
        if inner is not None:
            raise ClozeError(
                f"{_quote(inner.group())} is inside {_quote(opening.group())}: cloze "
                "deletions cannot be nested"
            )
        hidden, separator, hint = text[opening.end() : end].partition("::")
        if not hidden.strip():
            raise ClozeError(f"{_quote(text[opening.start() : end + 2])} hides nothing")
        pieces.append(text[position : opening.start()])
        pieces.append(Deletion(int(number), hidden, hint if separator else None))
        position = end + len(_CLOSE)
    pieces.append(text[position:])
    if not any(isinstance(piece, Deletion) for piece in pieces):
        raise ClozeError("has no cloze deletion; mark one as {{c1::text}} (or {{c1::text::hint}})")
    return [piece for piece in pieces if piece != ""]


def _excerpt(text: str, start: int, length: int = 30) -> str:
    part = text[start : start + length]
    return part + "…" if start + length < len(text) else part


def _quote(text: str) -> str:
    return f"`{' '.join(text.split())}`"


def cloze_numbers(pieces: Sequence[Piece]) -> list[int]:
    """The cloze numbers of a text, each once, in order: one card each."""
    return sorted({piece.number for piece in pieces if isinstance(piece, Deletion)})


def cloze_side(pieces: Sequence[Piece], number: int, question: bool) -> str:
    """The text of one side of cloze card ``number``, as written in the deck: on the
    question its deletions are ``[...]`` (``[hint]``), on the answer they are filled in;
    the other numbers' deletions are always shown."""
    return "".join(
        piece
        if isinstance(piece, str)
        else shown_deletion(piece)
        if question and piece.number == number
        else piece.text
        for piece in pieces
    )


def shown_deletion(deletion: Deletion) -> str:
    """What the question shows for a hidden deletion: ``[...]`` or ``[hint]``."""
    return f"[{deletion.hint}]" if deletion.hint and deletion.hint.strip() else "[...]"


def reverse_id(card_id: str) -> str:
    return f"{card_id}{CARD_PART}{REVERSE_PART}"


def cloze_id(card_id: str, number: int) -> str:
    return f"{card_id}{CARD_PART}c{number}"


def forward_and_reverse(card: Card) -> tuple[Card, Card]:
    """A basic card and its reverse: the answer asked, the question expected."""
    forward = _replace(card, reversed_too=True)
    backward = _replace(
        card,
        id=reverse_id(card.id),
        question=card.answer,
        answer=card.question,
        template=REVERSE,
    )
    return forward, backward


def cloze_cards(
    deck: str,
    card_id: str,
    text: str,
    extra: str,
    *,
    tags: tuple[str, ...] = (),
    markdown: bool = True,
    typed: bool = False,
) -> list[Card]:
    """One card per cloze number of ``text`` (``ClozeError`` if it has none)."""
    pieces = parse_cloze(text)
    cards = []
    for number in cloze_numbers(pieces):
        answer = cloze_side(pieces, number, question=False)
        cards.append(
            Card(
                deck,
                cloze_id(card_id, number),
                cloze_side(pieces, number, question=True),
                f"{answer}\n\n{extra}" if extra else answer,
                tags,
                markdown,
                template=CLOZE,
                typed=typed,
                cloze=number,
                text=text,
                extra=extra,
            )
        )
    return cards


def _replace(card: Card, **changes: object) -> Card:
    from dataclasses import replace

    return replace(card, **changes)  # type: ignore[arg-type]


# --- typed answers ------------------------------------------------------------------------


def expected_answer(card: Card) -> str:
    """What a typed card expects, as Anki compares it: the answer's text without its
    Markdown markup, line breaks as spaces, trimmed; for a cloze card, the text of its
    deletions, joined with ", " as Anki joins several."""
    from flashcards.cardtext import plain_text

    if card.template == CLOZE:
        hidden = [
            piece.text
            for piece in parse_cloze(card.text)
            if isinstance(piece, Deletion) and piece.number == card.cloze
        ]
        return ", ".join(_one_line(plain_text(text, card.markdown)) for text in hidden)
    return _one_line(plain_text(card.answer, card.markdown))


_LINE_BREAKS = re.compile(r"\n+")


def _one_line(text: str) -> str:
    return _LINE_BREAKS.sub(" ", text).strip()


GOOD, BAD, MISSED, PLAIN = "good", "bad", "missed", "plain"


class Span(NamedTuple):
    """A run of characters in a comparison: ``good`` (as expected), ``bad`` (typed but
    wrong), ``missed`` (expected but not typed; on the typed line, one ``-`` each) or
    ``plain`` (the expected answer when nothing was typed)."""

    kind: str
    text: str


@dataclass(frozen=True)
class Comparison:
    """The typed answer against the expected one, as Anki shows it: ``typed`` and
    ``expected`` are the two marked lines (for an exact match, ``expected`` alone, all
    good; for nothing typed, ``expected`` alone, unmarked)."""

    typed: tuple[Span, ...]
    expected: tuple[Span, ...]
    #: Typed exactly as expected (after Unicode normalization).
    exact: bool
    #: The same but for case, surrounding spaces and Markdown markup: worth a Good.
    matches: bool
    #: Nothing was typed.
    empty: bool


def compare_typed(typed: str, expected: str, markdown: bool = True) -> Comparison:
    """Anki's comparison (``rslib/src/typeanswer.rs``): both texts in Unicode NFC,
    compared character by character with the longest-matching-block diff
    (``difflib.SequenceMatcher``, the algorithm of the Rust ``difflib`` Anki uses)."""
    import difflib

    wanted = unicodedata.normalize("NFC", expected.strip())
    given = unicodedata.normalize("NFC", typed)
    matches = bool(given.strip()) and _loose(given, markdown) == _loose(wanted, False)
    if not given:
        return Comparison((), (Span(PLAIN, wanted),), False, False, True)
    if given == wanted:
        return Comparison((), (Span(GOOD, wanted),), True, True, False)
    typed_spans: list[Span] = []
    expected_spans: list[Span] = []
    matcher = difflib.SequenceMatcher(None, given, wanted)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            typed_spans.append(Span(GOOD, given[i1:i2]))
            expected_spans.append(Span(GOOD, wanted[j1:j2]))
        elif tag == "delete":
            typed_spans.append(Span(BAD, given[i1:i2]))
        elif tag == "insert":
            typed_spans.append(Span(MISSED, "-" * (j2 - j1)))
            expected_spans.append(Span(MISSED, wanted[j1:j2]))
        else:  # replace
            typed_spans.append(Span(BAD, given[i1:i2]))
            expected_spans.append(Span(MISSED, wanted[j1:j2]))
    return Comparison(tuple(typed_spans), tuple(expected_spans), False, matches, False)


def _loose(text: str, markdown: bool) -> str:
    """Text as the Good hint compares it: no markup, no case, no surrounding space."""
    if markdown:
        from flashcards.cardtext import plain_text

        text = _one_line(plain_text(text, True))
    return unicodedata.normalize("NFC", text).strip().casefold()


__all__ = [
    "BASIC",
    "ClozeError",
    "Comparison",
    "Deletion",
    "Span",
    "cloze_cards",
    "cloze_id",
    "compare_typed",
    "expected_answer",
    "forward_and_reverse",
    "parse_cloze",
    "reverse_id",
]
