"""`suspend`, `unsuspend`, `bury`, `unbury` and `forget`: one command each, made by
`mark_command` (the work is in `flashcards.markcmd`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from flashcards.commands.common import (
    DecksOption,
    ProfileOption,
    StoreOption,
    catalog_for,
    console,
    finish,
    settings_for,
    store_for,
)
from flashcards.text import plain

CardsArgument = Annotated[
    list[str],
    typer.Argument(
        metavar="DECK/CARD...", help="The cards, as DECK/CARD (see `flashcards cards DECK`)."
    ),
]


def _marks(
    action: str, cards: list[str], decks: list[Path] | None, store: str | None, profile: str | None
) -> None:
    """Suspend, unsuspend, bury, unbury or forget cards: each named card is checked first,
    then marked; a card with nothing to change is said so (exit status 0)."""
    from flashcards import clock
    from flashcards.markcmd import apply_marks, summary

    settings = settings_for(decks, store, profile)
    catalog = catalog_for(settings)
    progress = store_for(settings)
    try:
        options = settings.deck_options(catalog)
        outcome = apply_marks(action, cards, catalog, progress, clock.now(), options)
        out = console()
        for line in outcome.unchanged:
            out.print(plain(line, "yellow"), soft_wrap=True)
        done = summary(action, outcome)
        if done is not None:
            out.print(plain(done), soft_wrap=True)
        finish(catalog, progress, settings)
    finally:
        progress.close()


def mark_command(action: str, doc: str) -> Any:
    """The command that applies ``action`` to the cards named, with ``doc`` as its help."""

    def command(
        cards: CardsArgument,
        decks: DecksOption = None,
        store: StoreOption = None,
        profile: ProfileOption = None,
    ) -> None:
        _marks(action, cards, decks, store, profile)

    command.__doc__ = doc
    return command


# Each mark's command name and help, in the order `--help` lists them.
ACTIONS = (
    ("suspend", "Set cards aside until unsuspended: they never come up in study."),
    ("unsuspend", "Let suspended cards come up in study again."),
    ("bury", "Set cards aside until the next study day."),
    ("unbury", "Let buried cards come up again today."),
    ("forget", "Make cards new again; their reviews stay in the log (Anki's Reset)."),
)
