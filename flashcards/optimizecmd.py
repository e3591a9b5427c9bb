"""``flashcards optimize``: the command around ``optimize.py`` (progress, output, saving)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from flashcards.errors import UsageError
from flashcards.optimize import (
    MINIMUM_ITEMS,
    RETENTIONS,
    TRAIN_SHARE,
    Fit,
    RetentionPoint,
    TooLittleHistory,
    cheapest,
    optimize,
    retention_curve,
)
from flashcards.text import plain

if TYPE_CHECKING:
    from flashcards.config import Settings
    from flashcards.scheduling import SchedulerConfig
    from flashcards.stores import Store


def _with_progress(console: Console, work: Callable[[Callable[[str], None]], Fit]) -> Fit:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("Optimizing", total=None)
        return work(lambda stage: progress.update(task, description=f"Optimizing: {stage}"))


def fit_report(fit: Fit, saved_to: str | None, dry_run: bool) -> RenderableType:
    """Before and after on the held-out later part, and what became of the parameters."""
    held_out = round(100 * (1 - TRAIN_SHARE))
    heading = Text(
        f"Fitted on the earlier {100 - held_out} %, judged on the later {held_out} % of "
        f"{fit.items} reviews a day or more apart ({fit.reviews} reviews in all):"
    )
    table = Table(box=None, pad_edge=False)
    for header in ("", "Log loss", "RMSE (bins)"):
        table.add_column(header, justify="left" if not header else "right")
    table.add_row("before (current)", f"{fit.before.log_loss:.4f}", f"{fit.before.rmse_bins:.4f}")
    table.add_row("after (fitted)", f"{fit.after.log_loss:.4f}", f"{fit.after.rmse_bins:.4f}")
    lines: list[RenderableType] = [heading, table]
    if not fit.improved:
        lines.append(Text("The fitted parameters are no better; the current ones stay."))
    elif dry_run:
        lines.append(Text("Better; not saved (--dry-run)."))
    elif saved_to:
        lines.append(plain(f"Better; saved in {saved_to}."))
    if fit.improved:
        lines.append(Text("Parameters: " + ", ".join(f"{w:g}" for w in fit.parameters)))
    if fit.health_check_passed is False:
        lines.append(
            Text(
                "Health check: these parameters fit this history poorly (as Anki 25.07 judges "
                "it); review the history before relying on them.",
                style="yellow",
            )
        )
    elif fit.health_check_passed:
        lines.append(Text("Health check: passed."))
    for warning in fit.warnings:
        lines.append(Text(f"Unusual: {warning}.", style="yellow"))
    return Group(*lines)


def retention_report(points: list[RetentionPoint], current: float, width: int) -> RenderableType:
    """The simulated curve: minutes of study per card remembered at each desired
    retention, the cheapest marked."""
    best = cheapest(points)
    top = max(p.minutes_per_card for p in points)
    room = max(8, width - 38)
    lines: list[RenderableType] = [
        Text("Desired retention: minutes of study per card remembered after a year", style="bold")
    ]
    for point in points:
        length = round(room * point.minutes_per_card / top)
        mark = (
            " ◀ cheapest"
            if point is best
            else (" (now)" if point.desired_retention == current else "")
        )
        line = Text(f"{point.desired_retention:.2f} ")
        line.append("█" * length, style="green" if point is best else "cyan")
        line.append(f" {point.minutes_per_card:.2f} min, {point.minutes_per_day:.0f}/day{mark}")
        lines.append(line)
    lines.append(
        Text(
            f"Cheapest: {best.desired_retention:.2f} ({best.minutes_per_card:.2f} minutes per card "
            f"remembered, about {best.remembered:.0f} cards remembered, "
            f"{best.minutes_per_day:.0f} minutes a day)."
        )
    )
    return Group(*lines)


def run(
    settings: Settings,
    store: Store,
    decks: list[str],
    now: datetime,
    console: Console,
    *,
    dry_run: bool,
    retention: bool,
    card_count: int,
    schedulers: Callable[[str], SchedulerConfig],
) -> None:
    """Fit parameters to the reviews of ``decks`` (all when none), starting from those
    of the first deck's scheduler (``Settings.schedulers``), and save them if better."""
    from flashcards.config import save_parameters

    wanted = set(decks)
    reviews = [r for r in store.reviews() if not wanted or r.deck in wanted]
    current = schedulers(decks[0] if decks else "")
    try:
        fit = _with_progress(
            console, lambda stage: optimize(reviews, now, current.parameters, stage)
        )
    except TooLittleHistory as short:
        raise UsageError(
            f"too little history to optimize: {short.items} reviews a day or more after the "
            f"one before; at least {MINIMUM_ITEMS} are needed"
        ) from None
    saved_to = None
    if fit.improved and not dry_run:
        saved_to = str(save_parameters(settings.home, fit.parameters, decks))
    console.print(fit_report(fit, saved_to, dry_run))
    if retention:
        from rich.progress import Progress

        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Simulating a year of study", total=len(RETENTIONS))
            points = retention_curve(
                fit.parameters,
                cards=max(card_count, len({r.key for r in reviews}), 1),
                progress=lambda _: progress.advance(task),
            )
        console.print()
        console.print(retention_report(points, current.desired_retention, console.width))
