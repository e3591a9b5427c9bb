"""Rich tables for the listing commands."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text

from flashcards.deckpaths import builtin_deck_folder
from flashcards.intervals import interval_label, span_label
from flashcards.text import safe_text

if TYPE_CHECKING:
    from flashcards.browse import CardRow, HistoryRow
    from flashcards.stats import DeckStats

RATING_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


def short_path(path: str) -> str:
    """Built-in decks by name, others with the home folder as ``~``."""
    target = Path(path)
    if target.parent == builtin_deck_folder():
        return f"built-in: {target.name}"
    try:
        return "~/" + str(target.relative_to(Path.home()))
    except ValueError:
        return path


def deck_table(rows: list[dict[str, object]]) -> Table:
    table = Table(title="Decks", title_justify="left")
    for column in ("Deck", "Name", "Cards", "New", "Due", "Learning", "Source"):
        numeric = column in ("Cards", "New", "Due", "Learning")
        table.add_column(
            column,
            justify="right" if numeric else "left",
            overflow="fold",
            no_wrap=numeric or column == "Deck",
        )
    for row in rows:
        cells = [str(row[key]) for key in ("id", "name", "cards", "new", "due", "learning")]
        table.add_row(*(Text(safe_text(c)) for c in [*cells, short_path(str(row["path"]))]))
    return table


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def stats_table(decks: list[DeckStats], total: DeckStats) -> Table:
    table = Table(title="Statistics", title_justify="left", show_footer=False)
    headers = (
        "Deck",
        "Cards",
        "New",
        "Learn",
        "Review",
        "Relearn",
        "Due today",
        "Due 7d",
        "Done today",
        "Retention 30d",
        "Streak",
    )
    for header in headers:
        table.add_column(header, justify="left" if header == "Deck" else "right", overflow="fold")
    for index, row in enumerate([*decks, total]):
        table.add_row(
            Text(safe_text(row.id), style="bold" if row is total else ""),
            *(
                str(v)
                for v in (
                    row.cards,
                    row.new,
                    row.learning,
                    row.review,
                    row.relearning,
                    row.due_today,
                    row.due_7_days,
                    row.reviews_today,
                )
            ),
            _percent(row.retention_30d),
            f"{row.streak_days}d",
            end_section=index == len(decks) - 1,
        )
    return table


_SHORT_STATE = {"new": "new", "learning": "learn", "review": "review", "relearning": "relearn"}


def _due_cell(row: CardRow, now: datetime) -> str:
    state = row.state
    if state is None:
        return "—"
    if state.due_day is not None:
        return state.due_day.isoformat()
    local = state.due.astimezone(now.tzinfo)
    return f"{local:%H:%M}" if local.date() == now.date() else f"{local:%Y-%m-%d}"


def _number(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


#: Width of the columns after the question, with their separators.
_FIXED = {"State": 7, "Due": 10, "Ivl": 5, "S": 6, "D": 4, "R": 4, "Reps": 4, "Laps": 4}


def cards_table(rows: list[CardRow], now: datetime, width: int = 80) -> Table:
    """The card browser: deck, card and question share what the numbers leave of
    ``width`` (shortened with an ellipsis), so every number stays on one line."""
    table = Table(
        title=f"Cards ({len(rows)})",
        title_justify="left",
        box=None,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    free = max(width - sum(_FIXED.values()) - len(_FIXED) - 3, 24)
    longest_deck = max((len(r.card.deck) for r in rows), default=4)
    longest_card = max((len(r.card.id) for r in rows), default=4)
    deck_width = max(4, min(longest_deck, free // 4))
    card_width = max(4, min(longest_card, free // 3))
    question_width = max(8, free - deck_width - card_width)
    for header, size in (("Deck", deck_width), ("Card", card_width), ("Question", question_width)):
        table.add_column(header, overflow="ellipsis", no_wrap=True, max_width=size)
    for header, size in _FIXED.items():
        table.add_column(
            header,
            justify="left" if header in ("State", "Due") else "right",
            no_wrap=True,
            min_width=size,
        )
    for row in rows:
        state = row.state
        text = row.card.question.strip()
        first_line = text.splitlines()[0] if text else ""
        table.add_row(
            Text(safe_text(row.card.deck)),
            Text(safe_text(row.card.id)),
            Text(safe_text(first_line)),
            _SHORT_STATE[row.state_name],
            _due_cell(row, now),
            span_label(state.interval * 86400) if state and state.interval else "—",
            _number(state.stability if state else None, 1),
            _number(state.difficulty if state else None, 1),
            "—" if row.retrievability is None else f"{row.retrievability:.0%}",
            str(state.reps if state else 0),
            str(state.lapses if state else 0),
        )
    return table


def card_detail(row: CardRow, history: list[HistoryRow], now: datetime) -> Group:
    """One card in full, as Anki's card info: its text, state and review history."""
    state = row.state
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("Card", Text(safe_text(f"{row.card.deck}/{row.card.id}")))
    facts.add_row("Question", Text(safe_text(row.card.question.strip())))
    facts.add_row("Answer", Text(safe_text(row.card.answer.strip())))
    tags = sorted({*row.deck_tags, *row.card.tags})
    if tags:
        facts.add_row("Tags", Text(safe_text(", ".join(tags))))
    facts.add_row("State", row.state_name)
    if state is not None:
        facts.add_row("Due", _due_cell(row, now) + f" ({interval_label(state, now)})")
        if state.interval:
            facts.add_row("Interval", span_label(state.interval * 86400))
        facts.add_row("Stability", f"{state.stability:.2f} days")
        facts.add_row("Difficulty", f"{state.difficulty:.2f} (1-10)")
        facts.add_row("Retrievability", f"{row.retrievability:.1%}")
        facts.add_row("Reviews", f"{state.reps} ({state.lapses} lapses)")
    log = Table(title="Reviews", title_justify="left", box=None, pad_edge=False)
    for header in ("Date", "Rating", "Interval", "Stability"):
        log.add_column(header, justify="left" if header in ("Date", "Rating") else "right")
    for item in history:
        when = item.review.reviewed_at.astimezone(now.tzinfo)
        log.add_row(
            f"{when:%Y-%m-%d %H:%M}",
            RATING_NAMES[item.review.rating],
            interval_label(item.state, item.review.reviewed_at),
            f"{item.state.stability:.2f}",
        )
    return Group(facts, Text(""), log if history else Text("No reviews yet."))
