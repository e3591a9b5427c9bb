"""The pictures of ``flashcards stats``, drawn with rich and block characters.

Shading is done with characters (`·░▒▓█`) as well as colour, so the pictures read the
same without colour (NO_COLOR, a pipe); every number shown is also in ``--json``.
"""

from __future__ import annotations

from datetime import timedelta

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from flashcards.charts import (
    RETRIEVABILITY_BUCKETS,
    STABILITY_BUCKETS,
    Heatmap,
    Memory,
    RetentionCell,
)

SHADES = "·░▒▓█"
STYLES = ("grey42", "green4", "green3", "green1", "bold bright_green")
BAR = "█"
WEEKDAYS = ("Mon", "", "Wed", "", "Fri", "", "Sun")


def _shade(count: int, busiest: int) -> int:
    if count <= 0 or busiest <= 0:
        return 0
    return 1 + min(3, (count * 4 - 1) // busiest)


def calendar(heat: Heatmap, width: int) -> RenderableType:
    """The review calendar: one cell per day, a column per week, as many recent weeks as
    fit the width; today is ``◆`` and the days of the current streak are underlined."""
    fits = max(4, width - 5)
    weeks = heat.weeks[-fits:]
    skipped = len(heat.weeks) - len(weeks)
    first = heat.first + timedelta(days=7 * skipped)
    lines = []
    months = Text("     ")
    for w in range(len(weeks)):
        monday = first + timedelta(days=7 * w)
        label = f"{monday:%b}" if monday.day <= 7 else ""
        if label and len(months.plain) <= 5 + w:
            months.append(label[: max(0, len(weeks) - w)])
        elif len(months.plain) <= 5 + w:
            months.append(" ")
    lines.append(months)
    for d in range(7):
        line = Text(f"{WEEKDAYS[d]:<4} ")
        for w, week in enumerate(weeks):
            count = week[d]
            day = first + timedelta(days=7 * w + d)
            if count is None:
                line.append(" ")
            elif day == heat.today:
                line.append("◆", style="bold yellow")
            else:
                level = _shade(count, heat.busiest)
                style = STYLES[level] + (" underline" if day in heat.streak else "")
                line.append(SHADES[level], style=style)
        lines.append(line)
    span = f"last {len(weeks)} weeks" if skipped else "last 12 months"
    legend = Text(
        f"Reviews, {span}: · none  ░▒▓█ more (busiest day {heat.busiest})  ◆ today"
        f"  streak {len(heat.streak)} days",
        style="dim",
    )
    return Group(Text("Calendar", style="bold"), *lines, legend)


def _bars(rows: list[tuple[str, float, str]], width: int, title: str) -> RenderableType:
    """Horizontal bars: a label, a bar as long as the value allows, the value written."""
    label_width = max((len(label) for label, _, _ in rows), default=0)
    value_width = max((len(text) for _, _, text in rows), default=0)
    room = max(4, width - label_width - value_width - 3)
    top = max((value for _, value, _ in rows), default=0) or 1
    lines = [Text(title, style="bold")]
    for label, value, text in rows:
        length = round(room * value / top) if value > 0 else 0
        line = Text(f"{label:>{label_width}} ")
        line.append(BAR * length, style="cyan")
        line.append(" " * (room - length) + f" {text:>{value_width}}")
        lines.append(line)
    return Group(*lines)


def forecast_bars(due: list[int], today_label: str, width: int) -> RenderableType:
    rows = [("today" if i == 0 else f"+{i}d", float(n), str(n)) for i, n in enumerate(due)]
    total = sum(due)
    title = f"Forecast: {total} cards due in the next {len(due)} days (from {today_label})"
    return _bars(rows, width, title)


def _percent(cell: RetentionCell) -> str:
    rate = cell.rate
    return "—" if rate is None else f"{rate:.1%} ({cell.passed}/{cell.total})"


def retention_table(table: dict[str, dict[str, RetentionCell]], width: int) -> RenderableType:
    """Anki's true retention table: one row per period, young, mature and all."""
    if width < 60:
        lines = [Text("True retention", style="bold")]
        for period, cells in table.items():
            lines.append(Text(period, style="bold"))
            for kind in ("young", "mature", "total"):
                lines.append(Text(f"  {kind:<6} {_percent(cells[kind])}"))
        return Group(*lines)
    grid = Table(title="True retention", title_justify="left", box=None, pad_edge=False)
    for header in ("", "Young", "Mature", "All"):
        grid.add_column(header, justify="left" if not header else "right", no_wrap=True)
    for period, cells in table.items():
        grid.add_row(period, *(_percent(cells[k]) for k in ("young", "mature", "total")))
    return grid


def buttons_table(buttons: dict[str, list[int]], width: int) -> RenderableType:
    rows = [(state, counts) for state, counts in buttons.items() if any(counts)]
    if width < 60:
        lines = [Text("Answer buttons", style="bold")]
        for state, counts in rows:
            parts = " · ".join(
                f"{name} {n}"
                for name, n in zip(("Again", "Hard", "Good", "Easy"), counts, strict=True)
            )
            lines.append(Text(f"{state}: {parts}"))
        return Group(*lines)
    grid = Table(title="Answer buttons", title_justify="left", box=None, pad_edge=False)
    for header in ("", "Again", "Hard", "Good", "Easy", "Correct"):
        grid.add_column(header, justify="left" if not header else "right", no_wrap=True)
    for state, counts in rows:
        total = sum(counts)
        correct = f"{(total - counts[0]) / total:.1%}" if total else "—"
        grid.add_row(state, *(str(n) for n in counts), correct)
    return grid


def cram_line(today: int, over_period: int, reach: int | None) -> RenderableType:
    """Cram answers today and over the period (``reach`` days, ``None`` for all): shown
    apart, as they change no schedule and count in no other figure."""
    period = f"in {reach} days" if reach is not None else "in all"
    return Text(f"Cram answers: {today} today, {over_period} {period} (not used for scheduling)")


def minutes_bars(minutes: list[float], width: int) -> RenderableType:
    days = minutes[-14:]
    rows = [
        ("today" if i == len(days) - 1 else f"-{len(days) - 1 - i}d", m, f"{m:g} min")
        for i, m in enumerate(days)
    ]
    total = sum(minutes)
    return _bars(rows, width, f"Time studied: {total:g} minutes in {len(minutes)} days")


def memory_bars(mind: Memory, width: int) -> RenderableType:
    stability_labels = [f"<{b}d" for b in STABILITY_BUCKETS] + [f"≥{STABILITY_BUCKETS[-1]}d"]
    recall_labels = []
    lower = 0.0
    for bound in RETRIEVABILITY_BUCKETS:
        recall_labels.append(f"{lower:.0%}-{bound:.0%}")
        lower = bound
    stability = _bars(
        [
            (label, float(n), str(n))
            for label, n in zip(stability_labels, mind.stability, strict=True)
        ],
        width,
        "Stability (days a memory lasts at 90 % recall)",
    )
    recall = _bars(
        [
            (label, float(n), str(n))
            for label, n in zip(recall_labels, mind.retrievability, strict=True)
        ],
        width,
        f"Retrievability now: about {mind.remembered:.0f} of {mind.cards} cards remembered",
    )
    return Group(stability, Text(""), recall)
