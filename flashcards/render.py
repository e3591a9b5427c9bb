"""Rich tables for the listing commands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from flashcards.cardlist import due_cell
from flashcards.deckpaths import builtin_deck_folder
from flashcards.intervals import interval_label, span_label
from flashcards.text import plain

if TYPE_CHECKING:
    from flashcards.browse import CardRow, HistoryRow
    from flashcards.model import Review
    from flashcards.reports import Charts
    from flashcards.stats import DeckStats

RATING_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


def short_path(path: str) -> str:
    """Built-in decks as ``built-in``, others with the home folder as ``~``."""
    target = Path(path)
    if target.parent == builtin_deck_folder():
        return "built-in"
    try:
        return "~/" + str(target.relative_to(Path.home()))
    except ValueError:
        return path


# --- layout: a table when it fits the terminal, one block per record when not ---------


@dataclass(frozen=True)
class _Column:
    header: str
    cells: list[Text]
    footer: Text | None = None
    numeric: bool = False
    #: A text column may wrap down to this many cells (never below its header);
    #: 0 keeps it as wide as its widest cell.
    narrowest: int = 0
    #: Which text column gives up width first when space is short (higher first):
    #: names and paths wrap before ids do.
    yields: int = 0

    def natural(self) -> int:
        cells = [*self.cells, *([self.footer] if self.footer is not None else [])]
        return max([cell_len(self.header), *(cell.cell_len for cell in cells)])

    def floor(self) -> int:
        natural = self.natural()
        if not self.narrowest:
            return natural
        return max(cell_len(self.header), min(natural, self.narrowest))


def _widths(columns: list[_Column], width: int, gap: int) -> list[int] | None:
    """Column widths that fit ``width`` with ``gap`` cells between columns, text
    columns narrowed (the most yielding, then the widest, first) as far as they may;
    ``None`` when it cannot fit."""
    room = width - gap * (len(columns) - 1)
    floors = [column.floor() for column in columns]
    if sum(floors) > room:
        return None
    widths = [column.natural() for column in columns]
    while sum(widths) > room:
        slack = max(
            (i for i in range(len(widths)) if widths[i] > floors[i]),
            key=lambda i: (columns[i].yields, widths[i] - floors[i]),
        )
        widths[slack] -= 1
    return widths


def _table(title: str, columns: list[_Column], width: int) -> Table | None:
    """A table whose every header and number is whole at ``width``, or ``None``.
    Headers are never wrapped: a column is at least as wide as its header."""
    for gap in (2, 1):
        widths = _widths(columns, width, gap)
        if widths is not None:
            break
    else:
        return None
    footer = any(column.footer is not None for column in columns)
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE,
        show_edge=False,
        pad_edge=False,
        padding=(0, gap - 1, 0, 0),  # and the box's blank column divider makes ``gap``
        show_footer=footer,
        collapse_padding=True,
    )
    for column, size in zip(columns, widths, strict=True):
        table.add_column(
            column.header,
            footer=column.footer or "",
            justify="right" if column.numeric else "left",
            no_wrap=column.numeric,
            overflow="fold",
            width=size,
        )
    for row in zip(*(column.cells for column in columns), strict=True):
        table.add_row(*row)
    return table


def _blocks(title: str, records: list[tuple[Text, list[tuple[str, str]]]], width: int) -> Group:
    """One record per block: its heading, then ``label value`` pairs packed into lines
    of at most ``width`` cells (a pair is never split across lines)."""
    lines: list[Text] = [Text(title, style="bold")]
    for heading, pairs in records:
        lines.append(Text(""))
        lines.append(heading)
        line = Text("  ")
        for label, value in pairs:
            pair = plain(value, one_line=True)
            if label:
                pair = Text.assemble((label, "dim"), " ", pair)
            if line.cell_len > 2 and line.cell_len + 3 + pair.cell_len > width:
                lines.append(line)
                line = Text("  ")
            if line.cell_len > 2:
                line.append(" · ", style="dim")
            line.append_text(pair)
        lines.append(line)
    return Group(*lines)


def deck_table(rows: list[dict[str, object]], width: int = 80) -> RenderableType:
    """``list-decks``: a table with each deck's file; when the files' paths do not fit
    beside the numbers, the table without them and the paths listed under it; one
    block per deck when even that does not fit. A name wraps between its words only;
    a long id may fold; a path is never broken inside the table."""
    counts = (
        ("Cards", "cards"),
        ("New", "new"),
        ("Due", "due"),
        ("Learning", "learning"),
        ("Buried", "buried"),
        ("Suspended", "suspended"),
    )
    ids = [plain(str(r["id"]), "bold", one_line=True) for r in rows]
    names = [plain(str(r["name"]), one_line=True) for r in rows]
    sources = [plain(short_path(str(r["path"])), one_line=True) for r in rows]
    longest_word = max((cell_len(w) for name in names for w in name.plain.split()), default=0)
    longest_id = max((i.cell_len for i in ids), default=0)

    def columns_with(id_width: int) -> list[_Column]:
        return [
            _Column("Deck", ids, narrowest=id_width),
            _Column("Name", names, narrowest=max(10, longest_word), yields=1),
            *(_Column(h, [Text(str(r[key])) for r in rows], numeric=True) for h, key in counts),
        ]

    # An id whole is worth more than the source beside it: the sources go below first.
    whole = columns_with(min(max(longest_id, 12), 24))
    table = _table("Decks", [*whole, _Column("Source", sources)], width)
    if table is not None:
        return table
    columns = whole
    table = _table("Decks", columns, width)
    if table is None:
        columns = columns_with(12)
        table = _table("Decks", columns, width)
    if table is not None:
        paths = Table.grid(padding=(0, 2, 0, 0))
        paths.add_column(no_wrap=True)
        paths.add_column(overflow="fold")
        for deck_id, source in zip(ids, sources, strict=True):
            paths.add_row(deck_id, source)
        return Group(table, Text(""), Text("Source", style="bold"), paths)
    records = [
        (
            Text.assemble(ids[i], "  ", names[i]),
            [*((h.lower(), str(r[key])) for h, key in counts), ("source", sources[i].plain)],
        )
        for i, r in enumerate(rows)
    ]
    return _blocks("Decks", records, width)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


#: ``stats`` columns: header, the long label used in blocks and the legend, and the value.
_STATS: tuple[tuple[str, str, Callable[[DeckStats], str]], ...] = (
    ("Cards", "cards", lambda s: str(s.cards)),
    ("New", "new", lambda s: str(s.new)),
    ("Learn", "learning", lambda s: str(s.learning)),
    ("Review", "review", lambda s: str(s.review)),
    ("Relearn", "relearning", lambda s: str(s.relearning)),
    ("Due", "due today", lambda s: str(s.due_today)),
    ("7 days", "due in 7 days", lambda s: str(s.due_7_days)),
    ("Done", "reviewed today", lambda s: str(s.reviews_today)),
    ("Retention", "retention 30d", lambda s: _percent(s.retention_30d)),
    ("Streak", "streak", lambda s: f"{s.streak_days}d"),
)
_STATS_LEGEND = "Due: today · 7 days: within 7 days · Done: reviewed today · Retention: 30 days"


def stats_table(decks: list[DeckStats], total: DeckStats, width: int = 80) -> RenderableType:
    """``stats``: a table with the total as its footer, or one block per deck (and the
    total) when the terminal is too narrow; every number is shown either way."""
    columns = [
        _Column(
            "Deck",
            [plain(d.id, one_line=True) for d in decks],
            footer=Text("total", style="bold"),
            narrowest=10,
        ),
        *(
            _Column(
                header,
                [Text(value(d)) for d in decks],
                footer=Text(value(total), style="bold"),
                numeric=True,
            )
            for header, _, value in _STATS
        ),
    ]
    table = _table("Statistics", columns, width)
    legend = _STATS_LEGEND
    if total.suspended:
        legend += f" · {total.suspended} suspended, never due"
    if table is not None:
        return Group(table, Text(legend, style="dim"))
    records = [
        (
            plain(d.id, "bold", one_line=True) if d is not total else Text("total", "bold"),
            [(label, value(d)) for _, label, value in _STATS]
            + ([("suspended", str(d.suspended))] if total.suspended else []),
        )
        for d in [*decks, total]
    ]
    return _blocks("Statistics", records, width)


def card_detail(
    row: CardRow, history: list[HistoryRow], now: datetime, width: int = 80
) -> RenderableType:
    """One card in full, as Anki's card info: its text, state and review history."""
    state = row.state
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")
    facts.add_row("Card", plain(f"{row.card.deck}/{row.card.id}", one_line=True))
    facts.add_row("Question", plain(row.card.question.strip()))
    facts.add_row("Answer", plain(row.card.answer.strip()))
    tags = sorted({*row.deck_tags, *row.card.tags, *(["leech"] if row.leech else [])})
    if tags:
        facts.add_row("Tags", plain(", ".join(tags)))
    aside = "suspended" if row.flags.suspended else "buried" if row.buried else ""
    facts.add_row("State", row.state_name + (f" ({aside})" if aside else ""))
    if state is not None:
        facts.add_row("Due", due_cell(row, now) + f" ({interval_label(state, now)})")
        if state.interval:
            facts.add_row("Interval", span_label(state.interval * 86400))
        facts.add_row("Stability", f"{state.stability:.2f} days")
        facts.add_row("Difficulty", f"{state.difficulty:.2f} (1-10)")
        facts.add_row("Retrievability", f"{row.retrievability:.1%}")
        facts.add_row("Reviews", f"{state.reps} ({state.lapses} lapses)")
    if not history:
        return Group(facts, Text(""), Text("No reviews yet."))
    dates = [f"{h.review.reviewed_at.astimezone(now.tzinfo):%Y-%m-%d %H:%M}" for h in history]
    ratings = [_history_rating(h.review) for h in history]
    # a mark leaves the schedule as it was: only answers have an interval to show
    shown = [None if h.review.is_mark else h.state for h in history]
    intervals = [
        "—" if s is None else interval_label(s, h.review.reviewed_at)
        for h, s in zip(history, shown, strict=True)
    ]
    stabilities = ["—" if s is None else f"{s.stability:.2f}" for s in shown]
    log = _table(
        "Reviews",
        [
            _Column("Date", [Text(d) for d in dates]),
            _Column("Rating", [Text(r) for r in ratings]),
            _Column("Interval", [Text(i) for i in intervals], numeric=True),
            _Column("Stability", [Text(s) for s in stabilities], numeric=True),
        ],
        width,
    )
    if log is None:
        records = [
            (Text(d), [("", r), ("interval", i), ("stability", s)])
            for d, r, i, s in zip(dates, ratings, intervals, stabilities, strict=True)
        ]
        return Group(facts, _blocks("Reviews", records, width))
    return Group(facts, Text(""), log)


#: How the history of a card names each mark.
_MARK_NAMES = {
    "suspend": "suspended",
    "unsuspend": "unsuspended",
    "bury": "buried",
    "unbury": "unburied",
    "forget": "forgotten: new",
}


def _history_rating(review: Review) -> str:
    """``Good``; ``cram: Good`` for a cram answer; what a mark did (``suspended``)."""
    if review.action is None:
        return RATING_NAMES[review.rating]
    if review.action == "cram":
        return f"cram: {RATING_NAMES[review.rating]}"
    return _MARK_NAMES.get(review.action, review.action)


def charts_view(charts: Charts, width: int) -> RenderableType:
    """The pictures of ``stats``, one under the other."""
    from flashcards.chartrender import (
        buttons_table,
        calendar,
        cram_line,
        forecast_bars,
        memory_bars,
        minutes_bars,
        retention_table,
    )
    from flashcards.charts import PERIODS

    gap = Text("")
    # Cram answers (a line under the answer buttons) only for a learner who crammed.
    cram: list[RenderableType] = []
    if charts.cram_period or charts.cram_today:
        reach = PERIODS[charts.period]
        cram = [cram_line(charts.cram_today, charts.cram_period, reach), gap]
    return Group(
        calendar(charts.calendar, width),
        gap,
        forecast_bars(charts.forecast, charts.calendar.today.isoformat(), width),
        gap,
        retention_table(charts.retention, width),
        gap,
        buttons_table(charts.buttons, width),
        gap,
        *cram,
        minutes_bars(charts.minutes, width),
        gap,
        memory_bars(charts.memory, width),
    )
