"""Commands that write deck files or read them out: `add`, `import` and `export`
(the work is in addcmd, importcmd and exportcmd)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from flashcards.commands.common import (
    DecksOption,
    ProfileOption,
    StoreOption,
    catalog_for,
    complete_decks,
    console,
    error_console,
    settings_for,
    store_for,
)
from flashcards.errors import UsageError
from flashcards.text import plain


def add(
    deck: Annotated[
        str, typer.Argument(help="Deck id; a deck not found is made in $FLASHCARDS_HOME/decks.")
    ],
    question: Annotated[
        str | None, typer.Option("--question", "-q", help="The question (Markdown).")
    ] = None,
    answer: Annotated[
        str | None, typer.Option("--answer", "-a", help="The answer (Markdown).")
    ] = None,
    cloze: Annotated[
        str | None,
        typer.Option("--cloze", help='A cloze card instead: "{{c1::hidden}} text".'),
    ] = None,
    extra: Annotated[
        str | None, typer.Option("--extra", help="Shown under a cloze card's answer.")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="A tag for the card (repeatable).")
    ] = None,
    reverse: Annotated[
        bool, typer.Option("--reverse", help="Also a card asking the answer.")
    ] = False,
    typed: Annotated[bool, typer.Option("--typed", help="Type the answer when studying.")] = False,
    card_id: Annotated[
        str | None,
        typer.Option("--id", help="The card's id (default: made from the question)."),
    ] = None,
    decks: DecksOption = None,
) -> None:
    """Add a card to a deck file, keeping the file's comments and layout; with no
    --question/--answer/--cloze, write it in $VISUAL or $EDITOR."""
    from flashcards.addcmd import add_card

    message = add_card(
        settings_for(decks, None, None),
        deck,
        question=question,
        answer=answer,
        cloze=cloze,
        extra=extra,
        tags=tag,
        reverse=reverse,
        typed=typed,
        card_id=card_id,
    )
    console().print(plain(message), soft_wrap=True)


class NotesFormat(StrEnum):
    headings = "headings"
    qa = "qa"
    inline = "inline"


def import_file(
    file: Annotated[
        Path,
        typer.Argument(
            help="Markdown notes (.md), a table (.csv, .tsv, .txt) or an Anki package "
            "(.apkg, .colpkg)."
        ),
    ],
    deck: Annotated[
        str | None,
        typer.Option("--deck", help="Deck id (default: from the file name).", show_default=False),
    ] = None,
    notes_format: Annotated[
        NotesFormat | None,
        typer.Option(
            "--format",
            help="How the notes write cards: headings (### question), qa (Q:/A:) or "
            "inline (question::answer); found by looking when not given.",
            show_default=False,
        ),
    ] = None,
    no_context: Annotated[
        bool, typer.Option("--no-context", help="Leave out the ## section above each question.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change; write nothing.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace a deck file that no import made, or another file's import."
        ),
    ] = False,
    store: StoreOption = None,
    profile: ProfileOption = None,
) -> None:
    """Make a deck from notes, a table or an Anki package; importing again updates it,
    keeping the progress of cards whose question was reworded."""
    from flashcards.importcmd import PACKAGE_SUFFIXES, check_source, import_notes

    suffix = check_source(file)
    settings = settings_for(None, store, profile)
    notices: list[str] = []
    if suffix in PACKAGE_SUFFIXES:
        from flashcards.importcmd import import_package_file

        if deck is not None or notes_format is not None or no_context:
            raise UsageError("--deck, --format and --no-context are for notes and tables")
        progress = store_for(settings)
        try:
            lines, notices = import_package_file(
                file, settings, progress, dry_run=dry_run, force=force
            )
            notices += progress.notices
        finally:
            progress.close()
    else:
        lines = import_notes(
            settings,
            file,
            deck_id=deck,
            form=notes_format.value if notes_format else None,
            context=not no_context,
            dry_run=dry_run,
            force=force,
        )
    out, err = console(), error_console()
    for line in lines:
        out.print(plain(line), soft_wrap=True)
    for notice in notices:
        err.print(plain(notice, "yellow"), soft_wrap=True)


def export_decks(
    decks_to_export: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[DECK]...",
            help="Deck ids to export; all decks when none.",
            autocompletion=complete_decks,
        ),
    ] = None,
    to: Annotated[
        Path,
        typer.Option(
            "--to",
            help="File to write: .apkg (Anki package with the review history) or .csv.",
            show_default=False,
        ),
    ] = ...,  # type: ignore[assignment]
    decks: DecksOption = None,
    store: StoreOption = None,
    profile: ProfileOption = None,
) -> None:
    """Write decks as an Anki package (cards, states, review history) or a CSV file."""
    from flashcards import clock
    from flashcards.exportcmd import run

    settings = settings_for(decks, store, profile)
    catalog = catalog_for(settings)
    catalog.select(list(decks_to_export or []))  # unknown deck names fail before the store opens
    progress = store_for(settings)
    try:
        message = run(settings, catalog, progress, list(decks_to_export or []), to, clock.now())
    finally:
        progress.close()
    error_console().print(plain(message), soft_wrap=True)
