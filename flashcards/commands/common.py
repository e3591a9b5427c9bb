"""What the commands share: the options most of them take, the consoles, and opening
the settings, the decks and the store (each only when a command asks)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from flashcards.errors import FlashcardsError
from flashcards.text import error_line, plain

if TYPE_CHECKING:
    from flashcards.catalog import Catalog
    from flashcards.config import Settings
    from flashcards.stores import Store


DecksOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--decks",
        help="Deck file or folder (repeatable); replaces the search path. Env: FLASHCARDS_DECKS.",
        show_default=False,
    ),
]
StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Where progress lives: json, json:/folder or dynamodb://TABLE. Env: FLASHCARDS_STORE.",
        show_default=False,
    ),
]
ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        help="Whose progress (for shared stores). Env: FLASHCARDS_PROFILE.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
TagOption = Annotated[
    list[str] | None,
    typer.Option(
        "--tag",
        metavar="TAG",
        help="Only cards with this tag or one below it (lang: lang::greek too; * any "
        "text; repeatable: any of them); -TAG leaves out cards with it. Deck tags count; "
        "`leech` marks leeches.",
        show_default=False,
    ),
]


def console() -> Console:
    """Standard output, without rich guessing colours for numbers and paths."""
    return Console(highlight=False, emoji=False)


def error_console() -> Console:
    """Standard error, for errors and notices."""
    return Console(stderr=True, highlight=False, emoji=False)


def print_json(value: object) -> None:
    """What --json prints: ``value`` indented, non-ASCII text as it is."""
    import json  # only --json needs it: ~1 ms off every start-up

    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def settings_for(decks: list[Path] | None, store: str | None, profile: str | None) -> Settings:
    """The settings, the command line's --decks/--store/--profile over the environment and config."""
    from flashcards.config import load_settings

    return load_settings(decks=decks, store=store, profile=profile)


def catalog_for(settings: Settings) -> Catalog:
    """The decks on the settings' deck path (read through the cache)."""
    from flashcards.catalog import open_catalog

    return open_catalog(settings.deck_path, settings.cache_folder)


def store_for(settings: Settings) -> Store:
    """The progress store the settings name, opened."""
    from flashcards.stores import StoreContext, lazy_schedulers, open_store

    # Replays (import, repairs) schedule with each deck's options; the decks are read
    # for them only when one happens.
    schedulers = lazy_schedulers(lambda: settings.schedulers(catalog_for(settings)))
    context = StoreContext(settings.home, settings.profile, schedulers)
    return open_store(settings.store_url, context)


def deck_errors(catalog: Catalog, settings: Settings) -> tuple[list[Text], bool]:
    """What to say about decks that could not be read, and whether one was asked for.

    A deck file named on the command line (``--decks bad.yaml``, or in FLASHCARDS_DECKS)
    fails with its own error line; the others, found in folders, are summed up in one
    line and leave the exit status alone. (A broken deck named by id has already
    failed in ``Catalog.select``.)
    """
    from flashcards.deckpaths import DECK_SUFFIXES

    named = {path.stem for path in settings.deck_path if path.suffix in DECK_SUFFIXES}
    own = [error for deck_id, error in catalog.failed.items() if deck_id in named]
    lines = [error_line(str(error)) for error in own]
    summary = catalog.error_summary(reported=own)
    if summary is not None:
        lines.append(plain(summary, "yellow"))
    return lines, bool(own)


def finish(
    catalog: Catalog, store: Store, settings: Settings, deck_errors_shown: bool = False
) -> None:
    """Housekeeping, then bad decks and store notices on stderr; exit status 1 when a
    deck named on the command line was bad (the others have been used all the same)."""
    store.maintain()
    store.close()  # waits for the housekeeping to end, so its notices are reported
    err = error_console()
    lines, failed = deck_errors(catalog, settings)
    for line in [] if deck_errors_shown else lines:
        err.print(line, soft_wrap=True)
    while store.notices:
        err.print(plain(store.notices.pop(0), "yellow"), soft_wrap=True)
    if failed:
        raise typer.Exit(code=1)


def complete_decks(ctx: typer.Context, incomplete: str) -> list[str]:
    """Deck ids for shell completion (run only when the shell asks, never at start-up)."""
    try:
        settings = settings_for(ctx.params.get("decks"), None, None)
        ids = catalog_for(settings).ids()
    except FlashcardsError:
        return []
    return [deck_id for deck_id in ids if deck_id.startswith(incomplete)]
