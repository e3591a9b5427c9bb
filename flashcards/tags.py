"""Choosing cards by tag: ``--tag TAG`` (any of these), ``--tag -TAG`` (none of these).

A tag also names the tags below it (``lang`` names ``lang::greek``) and ``*`` stands for
any text, as in Anki's ``tag:`` search. A card's tags are its own, its deck's, and
``leech`` once its lapses have reached its deck's leech threshold (Anki tags a leech at
the threshold; the tag stays while the lapses do). Tags match without regard to case,
as in Anki. Pure: no store, no clock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from flashcards.errors import UsageError
from flashcards.model import Card, CardState, Deck

#: The tag every card whose lapses reached its deck's leech threshold carries.
LEECH = "leech"


@dataclass(frozen=True)
class TagFilter:
    """Cards with at least one of ``include`` (when there are any) and none of ``exclude``."""

    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, values: Iterable[str] | None) -> TagFilter:
        """From the values of ``--tag``: ``TAG`` includes, ``-TAG`` excludes."""
        include: set[str] = set()
        exclude: set[str] = set()
        for value in values or ():
            wanted = value.strip()
            target = include
            if wanted.startswith("-"):
                wanted, target = wanted[1:].strip(), exclude
            if not wanted or any(char.isspace() for char in wanted):
                raise UsageError(f"--tag {value!r}: name one tag, or -TAG to leave one out")
            target.add(wanted.casefold())
        return cls(frozenset(include), frozenset(exclude))

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    @property
    def needs_states(self) -> bool:
        """Whether the filter names the derived ``leech`` tag (which needs card states)."""
        return LEECH in self.include or LEECH in self.exclude

    def matches(self, tags: Collection[str]) -> bool:
        """Whether a card with these tags (already case-folded) passes."""
        if self.include and not any(_names(wanted, tags) for wanted in self.include):
            return False
        return not any(_names(unwanted, tags) for unwanted in self.exclude)


def _names(wanted: str, tags: Collection[str]) -> bool:
    """Whether ``wanted`` names one of ``tags`` as Anki's ``tag:`` search does: the tag
    itself or one below it (``lang`` names ``lang::greek``), ``*`` standing for any
    text within a tag."""
    if "*" not in wanted:
        return wanted in tags or any(tag.startswith(f"{wanted}::") for tag in tags)
    import re

    pattern = re.compile(".*".join(map(re.escape, wanted.split("*"))) + "(::.*)?")
    return any(pattern.fullmatch(tag) for tag in tags)


#: The filter that lets every card through.
ALL_TAGS = TagFilter()


def is_leech(state: CardState | None, threshold: int) -> bool:
    """A card whose lapses reached the threshold (a threshold of 0 tags none)."""
    return state is not None and threshold > 0 and state.lapses >= threshold


def card_tags(
    card: Card, deck_tags: Iterable[str], state: CardState | None, leech_threshold: int
) -> frozenset[str]:
    """Every tag of a card, case-folded: its own, its deck's, and ``leech`` when it is one."""
    tags = {tag.casefold() for tag in (*card.tags, *deck_tags)}
    if is_leech(state, leech_threshold):
        tags.add(LEECH)
    return frozenset(tags)


def chosen_cards(
    deck: Deck,
    tags: TagFilter,
    states: Mapping[tuple[str, str], CardState],
    leech_threshold: int,
) -> list[str]:
    """The ids of the deck's cards the filter chooses, in deck order; ``states`` (the
    answered cards' states, by deck and card) tell which are leeches."""
    return [
        card.id
        for card in deck.cards
        if tags.matches(card_tags(card, deck.tags, states.get((deck.id, card.id)), leech_threshold))
    ]
