"""Looking after progress: `optimize` fits parameters, `check` finds and repairs damage."""

from __future__ import annotations

from typing import Annotated

import typer

from flashcards.commands.common import (
    DecksOption,
    JsonOption,
    ProfileOption,
    StoreOption,
    catalog_for,
    complete_decks,
    console,
    error_console,
    print_json,
    settings_for,
    store_for,
)
from flashcards.text import plain


def optimize(
    decks_to_fit: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[DECK]...",
            help="Fit these decks' history and save for them; all decks when none.",
            autocompletion=complete_decks,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Fit and evaluate, but save nothing.")
    ] = False,
    retention: Annotated[
        bool,
        typer.Option(
            "--retention",
            help="Also simulate a year at desired retention 0.70 to 0.97 and mark the cheapest.",
        ),
    ] = False,
    decks: DecksOption = None,
    store: StoreOption = None,
    profile: ProfileOption = None,
) -> None:
    """Fit FSRS parameters to your own reviews (as Anki's Optimize) and keep them if better."""
    from flashcards import clock
    from flashcards.optimizecmd import run

    settings = settings_for(decks, store, profile)
    catalog = catalog_for(settings)
    names = list(decks_to_fit or [])
    infos = catalog.select(names)
    progress = store_for(settings)
    try:
        run(
            settings,
            progress,
            names,
            clock.now(),
            console(),
            dry_run=dry_run,
            retention=retention,
            card_count=sum(len(info.card_ids) for info in infos),
            schedulers=settings.schedulers(catalog),
        )
    finally:
        progress.close()


def check(
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Also repair what can be: rebuild snapshots that disagree with the log, set "
            "aside a torn last line, roll back an import cut short, remove temp files.",
        ),
    ] = False,
    decks_only: Annotated[
        bool,
        typer.Option("--decks-only", help="Only validate the decks (for a pre-commit hook)."),
    ] = False,
    decks: DecksOption = None,
    store: StoreOption = None,
    profile: ProfileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check decks and progress (Anki's Check Database); exit status 1 if something needs you."""
    from flashcards.check import ERROR, REPAIRED, run_check

    settings = settings_for(decks, store, profile)
    report = run_check(
        settings.deck_path,
        settings.store_url,
        settings.home,
        settings.profile,
        repair=repair,
        decks_only=decks_only,
    )
    if as_json:
        print_json(report.to_dict())
    else:
        out, err = console(), error_console()
        styles = {ERROR: "red", REPAIRED: "green"}
        for finding in report.findings:
            where = f"{finding.where}: " if finding.where else ""
            text = f"{finding.severity}: {where}{finding.message}"
            err.print(plain(text, styles.get(finding.severity, "yellow")), soft_wrap=True)
        errors = sum(f.severity == ERROR for f in report.findings)
        summary = f"Checked {report.decks} decks and {report.reviews} reviews: "
        summary += f"{errors} problem(s) need you." if errors else "nothing needs you."
        out.print(plain(summary), soft_wrap=True)
    if report.needs_user:
        raise typer.Exit(code=1)
