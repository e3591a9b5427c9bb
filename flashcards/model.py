"""The plain data the rest of the program passes around, with typed serialization."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import IntEnum
from typing import Any, NamedTuple, NotRequired, TypedDict

from flashcards.days import study_date

SCHEMA_VERSION = 3  # 3: card states as Anki keeps them (study-day due dates, remaining steps)
#: The version written into every card state; states without it were scheduled by older
#: rules and are recomputed from the review log.
STATE_VERSION = 3


class State(IntEnum):
    """What a card is once answered (a card with no state is new); Anki's card types."""

    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


LEARNING, REVIEW, RELEARNING = State.LEARNING, State.REVIEW, State.RELEARNING
STATE_NAMES = {0: "new", LEARNING: "learning", REVIEW: "review", RELEARNING: "relearning"}


#: How a card was made from its entry in the deck file (Anki's card templates): the
#: entry as written, its reverse (the answer asked, the question expected), or one
#: cloze number of a ``cloze`` text.
BASIC, REVERSE, CLOZE = "basic", "reverse", "cloze"


@dataclass(frozen=True)
class Card:
    """One card to study. ``question`` and ``answer`` are the text of each side as the
    deck writes it (for a reverse card, the entry's answer and question; for a cloze
    card, ``text`` with its deletion as ``[...]`` and filled in, ``extra`` below)."""

    deck: str
    id: str
    question: str
    answer: str
    tags: tuple[str, ...] = ()
    #: Whether question and answer are Markdown (``markdown: false`` on the card or its
    #: deck shows them exactly as written).
    markdown: bool = True
    template: str = BASIC
    #: The learner types the answer before seeing it (``typed: true``).
    typed: bool = False
    #: For a cloze card: its number, the whole ``cloze`` text and the ``extra`` field.
    cloze: int = 0
    text: str = ""
    extra: str = ""
    #: For a basic card: a reverse card is made from the same entry (its sibling).
    reversed_too: bool = False

    @property
    def kind(self) -> str:
        """``basic``, ``reverse``, ``cloze`` or ``typed`` (a typed basic card)."""
        if self.template == BASIC and self.typed:
            return "typed"
        return self.template

    @property
    def note(self) -> str | None:
        """The id of the deck entry a reverse or cloze card (or the forward card of a
        reversed entry, whose id is the entry's) was made from; ``None`` for a card
        that is its entry alone. See :func:`note_of`."""
        if self.template == BASIC and not self.reversed_too:
            return None
        return note_of(self.id)


#: Separates an entry's id from the part that names one of the cards made from it:
#: ``dynamodb-what-is/reverse``, ``tls/c2``. Entry ids may not contain it, so a made
#: id never equals an entry's id.
CARD_PART = "/"


def note_of(card_id: str) -> str:
    """The id of the deck entry a card was made from: ``tls`` for ``tls/c2``."""
    return card_id.partition(CARD_PART)[0]


@dataclass(frozen=True)
class Deck:
    id: str
    name: str
    path: str
    cards: tuple[Card, ...]
    description: str = ""
    tags: tuple[str, ...] = ()
    #: Answering a card buries the other cards of its entry until the next study day.
    bury_siblings: bool = True
    #: The deck file's options (``options.check_options``: name and checked value).
    options: tuple[tuple[str, Any], ...] = ()


class CardStateDict(TypedDict):
    v: int
    state: int
    left: int
    stability: float
    difficulty: float
    ivl: int
    due: str
    due_day: str | None
    last_review: str
    reps: int
    lapses: int


class CardState(NamedTuple):
    """A card's scheduling state once it has been answered at least once, as Anki keeps it.

    ``left`` is the number of learning (or relearning) steps still to go; ``interval``
    the review interval in days (Anki's ``ivl``, 0 while learning). A card due on a study
    day has ``due_day`` set (and ``due`` is that day's 4 a.m. in the offset of the
    review); a card in a learning step has ``due_day`` ``None`` and ``due`` the exact
    moment. ``stale`` marks a state read from an older format, to be recomputed.
    A named tuple rather than a dataclass: tens of thousands are built on every start.
    """

    state: int
    left: int
    stability: float
    difficulty: float
    interval: int
    due: datetime
    due_day: date | None
    last_review: datetime
    reps: int = 0
    lapses: int = 0
    stale: bool = False

    def to_dict(self) -> CardStateDict:
        return {
            "v": STATE_VERSION,
            "state": int(self.state),
            "left": self.left,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "ivl": self.interval,
            "due": self.due.isoformat(),
            "due_day": self.due_day.isoformat() if self.due_day is not None else None,
            "last_review": self.last_review.isoformat(),
            "reps": self.reps,
            "lapses": self.lapses,
        }

    @classmethod
    def from_dict(cls, data: CardStateDict) -> CardState:
        if data.get("v") != STATE_VERSION:
            return _stale_state(data)  # type: ignore[arg-type]
        day = data["due_day"]
        return cls(
            state=State(int(data["state"])),
            left=int(data["left"]),
            stability=float(data["stability"]),
            difficulty=float(data["difficulty"]),
            interval=int(data["ivl"]),
            due=datetime.fromisoformat(data["due"]),
            due_day=date.fromisoformat(day) if day is not None else None,
            last_review=datetime.fromisoformat(data["last_review"]),
            reps=int(data["reps"]),
            lapses=int(data["lapses"]),
        )


def _stale_state(data: dict[str, Any]) -> CardState:
    """A state written by an older version: kept only until the log is replayed."""
    due = datetime.fromisoformat(data["due"])
    last = data.get("last_review")
    return CardState(
        state=State(int(data["state"])),
        left=0,
        stability=float(data.get("stability") or 0.0),
        difficulty=float(data.get("difficulty") or 0.0),
        interval=0,
        due=due,
        due_day=None,
        last_review=datetime.fromisoformat(last) if last else due,
        reps=int(data["reps"]),
        lapses=int(data["lapses"]),
        stale=True,
    )


#: What a learner does to a card besides answering it (Anki's suspend, bury, reset). Each
#: is kept in the review log as a mark: a ``Review`` with ``rating`` 0 and ``action`` set.
SUSPEND, UNSUSPEND, BURY, UNBURY, FORGET = "suspend", "unsuspend", "bury", "unbury", "forget"
#: A cram answer (Anki's filtered deck with rescheduling off): kept with its rating 1-4
#: and passed through like a mark, so it never changes the card's schedule.
CRAM = "cram"
#: The marks a store keeps with each card (its flags and the forgets): every action but
#: cram answers, which may be many and say nothing about the card's flags.
CARD_MARKS = (SUSPEND, UNSUSPEND, BURY, UNBURY, FORGET)
ACTIONS = (*CARD_MARKS, CRAM)


class ReviewDict(TypedDict):
    id: str
    deck: str
    card: str
    rating: int
    reviewed_at: str
    duration_ms: int | None
    before: int
    state: CardStateDict | None
    last_ivl: NotRequired[int | None]
    action: NotRequired[str]


@dataclass(frozen=True)
class Review:
    """One answer, or a mark. ``before`` is what the card was (0 new, 1 learning,
    2 review, 3 relearning); ``state`` is what it became; ``last_interval`` the card's
    interval in days before it (Anki's ``lastIvl``; ``None`` when not known).

    A mark (``action`` one of ``CARD_MARKS``) has ``rating`` 0 and no duration; its
    ``state`` is the card's state unchanged, or ``None`` for ``forget`` (the card is
    new again, its older reviews stay in the log). A cram answer (``action`` ``CRAM``)
    keeps its rating 1-4 and duration, and leaves the state unchanged as a mark does."""

    id: str
    deck: str
    card: str
    rating: int
    reviewed_at: datetime
    duration_ms: int | None
    before: int = 0
    state: CardState | None = None
    #: Derived from the card's history (as ``before`` and ``state`` are recomputed by a
    #: replay), so not part of what makes two reviews equal.
    last_interval: int | None = field(default=None, compare=False)
    #: ``None`` for an answer; for a mark or a cram answer, what was done (``ACTIONS``).
    action: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.deck, self.card)

    @property
    def is_mark(self) -> bool:
        """A mark or a cram answer (anything with an ``action``) rather than an answer
        that moves the schedule: counts of answers leave it out (``DayStats`` counts cram
        answers apart)."""
        return self.action is not None

    def to_dict(self) -> ReviewDict:
        data: ReviewDict = {
            "id": self.id,
            "deck": self.deck,
            "card": self.card,
            "rating": self.rating,
            "reviewed_at": self.reviewed_at.isoformat(),
            "duration_ms": self.duration_ms,
            "before": self.before,
            "state": self.state.to_dict() if self.state else None,
            "last_ivl": self.last_interval,
        }
        if self.action is not None:
            data["action"] = self.action
        return data

    @classmethod
    def from_dict(cls, data: ReviewDict) -> Review:
        state = data.get("state")
        return cls(
            id=str(data["id"]),
            deck=str(data["deck"]),
            card=str(data["card"]),
            rating=int(data["rating"]),
            reviewed_at=datetime.fromisoformat(data["reviewed_at"]),
            duration_ms=data.get("duration_ms"),
            before=int(data.get("before", 0)),
            state=CardState.from_dict(state) if state else None,
            last_interval=_whole_or_none(data.get("last_ivl")),
            action=action_of(data),
        )


def action_of(data: Any) -> str | None:
    """The ``action`` of a serialized review (``None`` for an answer); ``ValueError``
    when it is not one of ``ACTIONS`` or its rating is not 0 (an answer's and a cram
    answer's are 1-4)."""
    action = data.get("action")
    if action is None:
        return None
    if not isinstance(action, str) or action not in ACTIONS:
        raise ValueError(f"`action` is not one of {', '.join(ACTIONS)}")
    rating = data.get("rating")
    if action == CRAM:
        if rating not in (1, 2, 3, 4) or isinstance(rating, bool):
            raise ValueError("`rating` of a cram answer is not 1-4")
    elif rating != 0 or isinstance(rating, bool):
        raise ValueError("`rating` of a mark is not 0")
    return action


@dataclass(frozen=True)
class Flags:
    """What marks say of a card beyond its state: suspended (until unsuspended), and
    buried on a study day (``days.study_date`` of the bury), hidden that day only."""

    suspended: bool = False
    buried_on: date | None = None

    def buried(self, now: datetime) -> bool:
        """Whether the card is buried at ``now`` (it was buried this study day)."""
        return self.buried_on is not None and study_date(now) == self.buried_on

    def hidden(self, now: datetime) -> bool:
        """Whether the card is kept out of study at ``now``."""
        return self.suspended or self.buried(now)


NO_FLAGS = Flags()


def flags_after(flags: Flags, action: str, reviewed_at: datetime) -> Flags:
    """The flags a card has after a mark made at ``reviewed_at``. A forget clears them,
    as Anki's reset does: the card goes back among the new cards, neither suspended nor
    buried (taking the forget back brings back what it cleared, as the marks before it
    still stand)."""
    if action == SUSPEND:
        return Flags(True, flags.buried_on)
    if action == UNSUSPEND:
        return Flags(False, flags.buried_on)
    if action == BURY:
        return Flags(flags.suspended, study_date(reviewed_at))
    if action == UNBURY:
        return Flags(flags.suspended, None)
    if action == FORGET:
        return NO_FLAGS
    return flags


def fold_flags(marks: Iterable[tuple[str, datetime]]) -> Flags:
    """The flags a card's standing marks (``(action, reviewed_at)``, oldest first) leave."""
    flags = NO_FLAGS
    for action, at in marks:
        flags = flags_after(flags, action, at)
    return flags


def _whole_or_none(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("`last_ivl` is not a whole number of days")
    return value


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (no float rounding)."""
    delta = moment - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    """The UTC moment ``us`` microseconds after the epoch."""
    return EPOCH + timedelta(microseconds=us)


#: Activity is counted per quarter hour: fine enough for the 4 a.m. rollover in every
#: time zone (some are offset by 30 or 45 minutes), coarse enough to stay small.
SLOT_SECONDS = 900


def slot_of(moment: datetime) -> int:
    """The quarter hour (counted from the epoch, in UTC) a moment falls in."""
    return int(moment.timestamp() // SLOT_SECONDS)


@dataclass
class Tally:
    """Reviews counted in one quarter hour: all of them, of new cards, of review cards,
    and of review cards that were remembered (rating above Again)."""

    reviews: int = 0
    new: int = 0
    review: int = 0
    passed: int = 0

    def add(self, review: Review, sign: int = 1) -> None:
        if review.is_mark:
            return  # a suspend or bury is not an answer
        self.reviews += sign
        if review.before == 0:
            self.new += sign
        elif review.before == 2:
            self.review += sign
            if review.rating > 1:
                self.passed += sign

    def absorb(self, other: Tally) -> None:
        """Add another tally's counts to this one."""
        self.reviews += other.reviews
        self.new += other.new
        self.review += other.review
        self.passed += other.passed

    def as_list(self) -> list[int]:
        return [self.reviews, self.new, self.review, self.passed]


#: Answers to review cards whose interval was at least this many days are "mature".
MATURE_DAYS = 21


@dataclass
class DayStats:
    """One study day's answers (the day in the learner's offset at each answer), for the
    pictures of ``stats``: counts per card state before the answer (0 new, 1 learning,
    2 review, 3 relearning) and rating, answers to review cards split into young and
    mature (interval under or from 21 days) with how many were remembered, and time.
    Cram answers are counted apart (``cram``) and in nothing else: they are no part of
    the schedule, nor of what the other figures say of it."""

    ratings: list[int] = field(default_factory=lambda: [0] * 16)  # [state * 4 + rating - 1]
    young: int = 0
    young_passed: int = 0
    mature: int = 0
    mature_passed: int = 0
    milliseconds: int = 0
    cram: int = 0

    @property
    def reviews(self) -> int:
        """Answers (cram answers not among them)."""
        return sum(self.ratings)

    @property
    def empty(self) -> bool:
        """Nothing counted: no answer and no cram answer (all undone, say)."""
        return not self.reviews and not self.cram

    def add(self, review: Review, last_interval: int | None, sign: int = 1) -> None:
        """Count ``review`` (``sign`` -1 takes it back); ``last_interval`` is the card's
        interval in days before it, when it was a review card. A cram answer counts in
        ``cram`` only; other marks count nothing."""
        if review.action == CRAM:
            self.cram += sign
            return
        if review.is_mark:
            return
        self.ratings[review.before * 4 + review.rating - 1] += sign
        self.milliseconds += sign * (review.duration_ms or 0)
        if review.before == REVIEW:
            passed = sign if review.rating > 1 else 0
            if (last_interval or 0) >= MATURE_DAYS:
                self.mature += sign
                self.mature_passed += passed
            else:
                self.young += sign
                self.young_passed += passed

    def absorb(self, other: DayStats) -> None:
        self.ratings = [a + b for a, b in zip(self.ratings, other.ratings, strict=True)]
        self.young += other.young
        self.young_passed += other.young_passed
        self.mature += other.mature
        self.mature_passed += other.mature_passed
        self.milliseconds += other.milliseconds
        self.cram += other.cram

    def as_list(self) -> list[int]:
        return [
            *self.ratings,
            self.young,
            self.young_passed,
            self.mature,
            self.mature_passed,
            self.milliseconds,
            self.cram,
        ]

    @classmethod
    def from_list(cls, values: list[int]) -> DayStats:
        if len(values) != 22 or not all(type(v) is int for v in values):
            raise ValueError("a day's counts are 22 whole numbers")
        return cls(values[:16], *values[16:])
