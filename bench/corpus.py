"""Generate the benchmark corpus: 25 decks of 2,000 cards and a two-year history.

The history is 500,000 reviews of 20,000 of those cards, written in the format of
``flashcards progress export`` so that it goes in through ``progress import``.
Deterministic: the same seed gives the same files.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

DECKS = 25
CARDS_PER_DECK = 2000
REVIEWED_CARDS = 20_000
REVIEWS = 500_000
HISTORY_DAYS = 730

WORDS = [
    "table",
    "partition",
    "key",
    "index",
    "query",
    "scan",
    "stream",
    "lambda",
    "gateway",
    "throughput",
    "capacity",
    "item",
    "attribute",
    "consistency",
    "replica",
    "region",
    "latency",
    "cache",
    "model",
    "schema",
    "record",
    "transaction",
    "endpoint",
    "request",
    "response",
    "function",
    "trigger",
    "event",
    "queue",
    "topic",
    "policy",
    "role",
    "user",
    "token",
    "memory",
    "storage",
    "network",
    "protocol",
    "header",
    "payload",
    "version",
    "deploy",
    "stage",
    "route",
    "method",
]


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize()


def deck_yaml(rng: random.Random, index: int) -> str:
    lines = [
        f"name: Benchmark deck {index:02d}",
        "description: Generated cards",
        "tags: [bench]",
        "cards:",
    ]
    for card in range(CARDS_PER_DECK):
        question = sentence(rng, 6, 18) + "?"
        if rng.random() < 0.3:
            answer = "\n".join(f"      - {sentence(rng, 3, 10)}" for _ in range(rng.randint(2, 5)))
            lines += [
                f"  - id: d{index:02d}-c{card:04d}",
                f"    question: {question}",
                "    answer: |",
                answer,
            ]
        else:
            lines += [
                f"  - id: d{index:02d}-c{card:04d}",
                f"    question: {question}",
                f"    answer: {json.dumps(sentence(rng, 8, 50) + '.')}",
            ]
    return "\n".join(lines) + "\n"


def write_decks(folder: Path, seed: int = 7) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for index in range(DECKS):
        (folder / f"bench-{index:02d}.yaml").write_text(deck_yaml(rng, index))


def write_history(path: Path, end: datetime, seed: int = 11) -> None:
    """500,000 reviews of 20,000 cards spread over two years, ending ``end``, oldest first."""
    rng = random.Random(seed)
    start = end - timedelta(days=HISTORY_DAYS)
    per_card = REVIEWS // REVIEWED_CARDS
    events: list[tuple[float, str, str, int, int]] = []
    span = HISTORY_DAYS * 86400
    for n in range(REVIEWED_CARDS):
        deck = n % DECKS
        card = f"d{deck:02d}-c{n // DECKS:04d}"
        first = rng.uniform(0, span * 0.5)
        # Spread the card's reviews from its first review to the end of the history,
        # with some shorter gaps, as learning and relearning steps give.
        times = sorted(first + rng.random() * (span - first) for _ in range(per_card))
        for t in times:
            rating = (
                1 if rng.random() < 0.12 else (3 if rng.random() < 0.85 else rng.choice((2, 4)))
            )
            events.append((t, f"bench-{deck:02d}", card, rating, rng.randint(1500, 20000)))
    events.sort()
    with open(path, "w") as out:
        for i, (t, deck, card, rating, duration) in enumerate(events):
            at = start + timedelta(seconds=t)
            out.write(
                json.dumps(
                    {
                        "id": f"bench-{i:07d}",
                        "deck": deck,
                        "card": card,
                        "rating": rating,
                        "reviewed_at": at.isoformat(),
                        "duration_ms": duration,
                    }
                )
                + "\n"
            )


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1])
    write_decks(target / "decks")
    write_history(target / "history.jsonl", datetime.now(UTC).replace(microsecond=0))
