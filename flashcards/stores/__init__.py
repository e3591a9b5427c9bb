"""Progress stores: one small interface, chosen by URL scheme from a registry."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from flashcards.due import DueEntry
from flashcards.errors import UsageError
from flashcards.model import NO_FLAGS, CardState, DayStats, Flags, Review, Tally, flags_after

if TYPE_CHECKING:
    from flashcards.scheduling import SchedulerConfig

CardKey = tuple[str, str]
#: Each deck's scheduler, by deck id: what a store's replay schedules each answer with.
Schedulers = Callable[[str], "SchedulerConfig"]


class Store(Protocol):
    """Where answers are kept. Every method is durable when it returns."""

    #: Human-readable location, used in messages.
    location: str
    #: Things the user should hear about (e.g. answers sent from an outbox).
    notices: list[str]

    def load_states(self, decks: Collection[str] | None = None) -> dict[CardKey, CardState]:
        """Current state of every answered card (of the given decks, or all)."""

    def due_overview(self, decks: Collection[str] | None = None) -> dict[CardKey, DueEntry]:
        """The due entry (``due.DueEntry``) of every answered card: all that listing
        decks needs, and far cheaper than whole states."""

    def record(self, review: Review, expected: CardState | None) -> None:
        """Keep one answer. ``expected`` is the state the answer was computed from;
        if the card has changed since, raise ``ConflictError`` carrying the current state."""

    def undo(self, review: Review, restore: CardState | None) -> None:
        """Take back ``review`` (which must be the card's latest) and restore ``restore``."""

    def flags(self, decks: Collection[str] | None = None) -> dict[CardKey, Flags]:
        """The flags (suspended, buried) standing marks leave on each card of the given
        decks (or all); only cards with a flag set are listed."""

    def activity(
        self, since: datetime | None = None, decks: Collection[str] | None = None
    ) -> dict[str, dict[int, Tally]]:
        """Review counts per deck and quarter hour (``model.slot_of``), from ``since`` on,
        for the given decks (or all)."""

    def day_stats(self, decks: Collection[str] | None = None) -> dict[str, dict[date, DayStats]]:
        """Per deck, the answers of each study day (the day in the offset of each answer):
        ratings per card state, young and mature review answers, time spent."""

    def active_slots(self, decks: Collection[str] | None = None) -> dict[str, set[int]]:
        """Every quarter hour with at least one standing review, per deck (for streaks)."""

    def reviews(self) -> Iterator[Review]:
        """Every review that stands (undone ones excluded), oldest first."""

    def import_reviews(self, reviews: Collection[Review]) -> int:
        """Add reviews whose ids are not yet known, recompute the states of the
        cards they touch by replaying, and return how many were added."""

    def maintain(self) -> None:
        """Housekeeping a normal run may do on its way out (e.g. compaction)."""

    def close(self) -> None:
        """Release anything held."""


def flags_of(
    reviews: Iterable[Review], decks: Collection[str] | None = None
) -> dict[CardKey, Flags]:
    """The flags the marks among standing ``reviews`` leave, per card with a flag set:
    the rule every store follows, from its whole history. Marks apply in time order
    (an imported mark may come after later ones in a log)."""
    wanted = None if decks is None else set(decks)
    marks = [
        review
        for review in reviews
        if review.action is not None and (wanted is None or review.deck in wanted)
    ]
    marks.sort(key=lambda review: review.reviewed_at)
    flags: dict[CardKey, Flags] = {}
    for review in marks:
        assert review.action is not None
        flags[review.key] = flags_after(
            flags.get(review.key, NO_FLAGS), review.action, review.reviewed_at
        )
    return {key: value for key, value in flags.items() if value != NO_FLAGS}


def default_schedulers(deck: str) -> SchedulerConfig:
    """Anki's default scheduler, for every deck."""
    from flashcards.scheduling import DEFAULT_CONFIG

    return DEFAULT_CONFIG


def lazy_schedulers(make: Callable[[], Schedulers]) -> Schedulers:
    """Schedulers made by ``make`` when a deck's is first asked for: a store replays
    (and needs the decks' options) only on import or repair, so opening it costs nothing."""
    made: list[Schedulers] = []

    def scheduler_of(deck: str) -> SchedulerConfig:
        if not made:
            made.append(make())
        return made[0](deck)

    return scheduler_of


@dataclass(frozen=True)
class StoreContext:
    """What any store may need besides its URL. ``schedulers`` gives each deck's
    scheduler (its options and fitted parameters): every replay, on import, on a repair
    or on a recompute of old states, schedules a deck's answers with it, so the states
    it gives are those the learner's sessions gave."""

    home: Path
    profile: str
    schedulers: Schedulers = default_schedulers


StoreFactory = Callable[[str, StoreContext], Store]
_registry: dict[str, StoreFactory] = {}


def register(scheme: str, factory: StoreFactory) -> None:
    _registry[scheme] = factory


def scheme_of(url: str) -> str:
    return url.split(":", 1)[0].lower()


# Built-in stores register themselves through ``register`` exactly as any other
# store would; their modules are imported only when their scheme is asked for, so
# the JSON store never pays for the DynamoDB one (or boto3).
_BUILTINS = {"json": "flashcards.stores.jsonstore", "dynamodb": "flashcards.stores.dynamodb"}


def open_store(url: str, context: StoreContext) -> Store:
    """Open the store a URL names: ``json``, ``json:/folder`` or ``dynamodb://TABLE``."""
    scheme = scheme_of(url)
    if scheme not in _registry and scheme in _BUILTINS:
        import importlib

        importlib.import_module(_BUILTINS[scheme]).register_store()
    factory = _registry.get(scheme)
    if factory is None:
        known = ", ".join(sorted(set(_registry) | set(_BUILTINS)))
        raise UsageError(f"--store {url!r}: unknown kind {scheme!r} (known: {known})")
    return factory(url, context)
