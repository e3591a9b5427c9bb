"""Rich tables for the listing commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from flashcards.deckpaths import builtin_deck_folder
from flashcards.text import safe_text

if TYPE_CHECKING:
    from flashcards.stats import DeckStats


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
