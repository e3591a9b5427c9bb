"""`flashcards progress export` and `import`: the review log in and out as JSON Lines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flashcards.commands.common import (
    ProfileOption,
    StoreOption,
    console,
    error_console,
    settings_for,
    store_for,
)
from flashcards.errors import UsageError
from flashcards.text import plain


def export(
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: standard output).")
    ] = None,
    store: StoreOption = None,
    profile: ProfileOption = None,
) -> None:
    """Write the whole review log as JSON Lines."""
    from flashcards.exchange import export_lines, write_export

    progress = store_for(settings_for(None, store, profile))
    try:
        if out is None:
            for line in export_lines(progress.reviews()):
                typer.echo(line)
        else:
            if out.is_dir():
                raise UsageError(f"--out {out}: is a folder; name a file")
            try:
                count = write_export(out, progress.reviews())
            except OSError as exc:
                raise UsageError(f"--out {out}: cannot write ({exc.strerror})") from None
            error_console().print(plain(f"Wrote {count} reviews to {out}."))
    finally:
        progress.close()


def import_(
    file: Annotated[Path, typer.Argument(help="A JSON Lines file written by `progress export`.")],
    store: StoreOption = None,
    profile: ProfileOption = None,
) -> None:
    """Read reviews into the current store; importing twice changes nothing."""
    from flashcards.exchange import ExportFile

    reviews = ExportFile(file)  # checked whole now, streamed into the store later
    progress = store_for(settings_for(None, store, profile))
    try:
        added = progress.import_reviews(reviews)
        console().print(
            plain(
                f"Imported {added} reviews ({len(reviews) - added} already present) into {progress.location}."
            )
        )
        while progress.notices:
            error_console().print(plain(progress.notices.pop(0), "yellow"), soft_wrap=True)
    finally:
        progress.close()
