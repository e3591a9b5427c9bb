"""The plain data the rest of the program passes around, with typed serialization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, TypedDict

SCHEMA_VERSION = 2  # 2: activity per quarter hour

# Card states, numbered as py-fsrs numbers them (a card with no state is new).
LEARNING, REVIEW, RELEARNING = 1, 2, 3


@dataclass(frozen=True)
class Card:
    deck: str
    id: str
    question: str
    answer: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Deck:
    id: str
    name: str
    path: str
    cards: tuple[Card, ...]
    description: str = ""
    tags: tuple[str, ...] = ()


class CardStateDict(TypedDict):
    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: str
    last_review: str | None
    reps: int
    lapses: int


class CardState(NamedTuple):
    """A card's scheduling state once it has been answered at least once.

    ``state`` follows py-fsrs: 1 learning, 2 review, 3 relearning. A card with
    no state is new. A named tuple rather than a dataclass: tens of thousands are
    built on every start, and a tuple is several times cheaper to make.
    """

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reps: int = 0
    lapses: int = 0

    def to_dict(self) -> CardStateDict:
        return {
            "state": self.state,
            "step": self.step,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "due": self.due.isoformat(),
            "last_review": self.last_review.isoformat() if self.last_review else None,
            "reps": self.reps,
            "lapses": self.lapses,
        }

    @classmethod
    def from_dict(cls, data: CardStateDict) -> CardState:
        last = data["last_review"]
        return cls(
            state=int(data["state"]),
            step=data["step"],
            stability=data["stability"],
            difficulty=data["difficulty"],
            due=datetime.fromisoformat(data["due"]),
            last_review=datetime.fromisoformat(last) if last is not None else None,
            reps=int(data["reps"]),
            lapses=int(data["lapses"]),
        )


class ReviewDict(TypedDict):
    id: str
    deck: str
    card: str
    rating: int
    reviewed_at: str
    duration_ms: int | None
    before: int
    state: CardStateDict | None


@dataclass(frozen=True)
class Review:
    """One answer. ``before`` is what the card was (0 new, 1 learning, 2 review,
    3 relearning); ``state`` is what it became."""

    id: str
    deck: str
    card: str
    rating: int
    reviewed_at: datetime
    duration_ms: int | None
    before: int = 0
    state: CardState | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.deck, self.card)

    def to_dict(self) -> ReviewDict:
        return {
            "id": self.id,
            "deck": self.deck,
            "card": self.card,
            "rating": self.rating,
            "reviewed_at": self.reviewed_at.isoformat(),
            "duration_ms": self.duration_ms,
            "before": self.before,
            "state": self.state.to_dict() if self.state else None,
        }

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
        )


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
