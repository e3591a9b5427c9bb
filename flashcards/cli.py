"""The command layer: options in, rendering out. Decisions live in the core modules."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from flashcards.errors import FlashcardsError, UsageError

if TYPE_CHECKING:
    from flashcards.catalog import Catalog
    from flashcards.config import Settings
    from flashcards.stores import Store


class _Commands(TyperGroup):
    """Turns every ``FlashcardsError`` into one red line and exit status 1 — the only place."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except FlashcardsError as exc:
            error_console().print(Text(f"error: {exc}", style="red"), soft_wrap=True)
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            raise typer.Exit(code=130) from None


app = typer.Typer(
    cls=_Commands,
    help="Spaced-repetition study in the terminal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: the rich help renderer imports a Markdown parser and costs ~40 ms
    # on every `--help`, half again the start-up of the whole program.
    rich_markup_mode=None,
)
progress_app = typer.Typer(
    cls=_Commands,
    help="Move review history between stores.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(progress_app, name="progress")

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


class SortChoice(StrEnum):
    due = "due"
    stability = "stability"
    difficulty = "difficulty"
    lapses = "lapses"


def console() -> Console:
    return Console(highlight=False)


def error_console() -> Console:
    return Console(stderr=True, highlight=False)


def _settings(decks: list[Path] | None, store: str | None, profile: str | None) -> Settings:
    from flashcards.config import load_settings

    return load_settings(decks=decks, store=store, profile=profile)


def _catalog(settings: Settings) -> Catalog:
    from flashcards.catalog import open_catalog

    return open_catalog(settings.deck_path, settings.cache_folder)


def _store(settings: Settings) -> Store:
    from flashcards.stores import StoreContext, open_store

    return open_store(settings.store_url, StoreContext(settings.home, settings.profile))


def _finish(catalog: Catalog, store: Store, deck_errors_shown: bool = False) -> None:
    """Housekeeping, then bad decks and store notices on stderr; exit status 1 when a
    deck was bad (the good ones have been used all the same)."""
    store.maintain()
    store.close()  # waits for the housekeeping to end, so its notices are reported
    err = error_console()
    for error in [] if deck_errors_shown else catalog.errors:
        err.print(Text(f"error: {error}", style="red"), soft_wrap=True)
    while store.notices:
        err.print(Text(store.notices.pop(0), style="yellow"), soft_wrap=True)
    if catalog.errors:
        raise typer.Exit(code=1)


@app.command()
def study(
    decks_to_study: Annotated[
        list[str] | None,
        typer.Argument(metavar="[DECK]...", help="Deck ids to study; all decks when none."),
    ] = None,
    decks: DecksOption = None,
    store: StoreOption = None,
    profile: ProfileOption = None,
) -> None:
    """Study the cards that are due."""
    from flashcards import clock
    from flashcards.session import StudySession
    from flashcards.ui import Keys, StudyScreen

    settings = _settings(decks, store, profile)
    catalog = _catalog(settings)
    names = list(decks_to_study or [])
    catalog.select(names)  # unknown or broken deck names fail before anything opens
    progress = _store(settings)
    try:
        if not catalog.infos:
            raise UsageError(
                "no decks found in "
                + ", ".join(str(p) for p in settings.deck_path)
                + "; add *.yaml decks there or point --decks at some"
            )
        session = StudySession(progress, catalog, names, clock.now())
        out = console()
        with Keys() as keys:
            # Housekeeping starts once the first question is up, while the learner reads.
            screen = StudyScreen(session, out, keys, clock.now, on_first_card=progress.maintain)
            for error in catalog.errors:  # shown under the first card, not wiped by it
                screen.say(f"error: {error}", style="red")
            try:
                screen.run()
            except KeyboardInterrupt:
                out.print()
                out.print(Text("Stopped.", style="yellow"))
                screen.print_summary()
        _finish(catalog, progress, deck_errors_shown=True)
    finally:
        progress.close()


@app.command("list-decks")
def list_decks(
    decks: DecksOption = None,
    store: StoreOption = None,
    profile: ProfileOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the decks with their card counts."""
    from flashcards import clock
    from flashcards.render import deck_table
    from flashcards.reports import deck_rows

    settings = _settings(decks, store, profile)
    catalog = _catalog(settings)
    progress = _store(settings)
    try:
        rows = deck_rows(catalog, progress.due_overview(), clock.now())
        if as_json:
            typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            console().print(deck_table(rows))
        _finish(catalog, progress)
    finally:
        progress.close()


@app.command()
def stats(
    decks_to_show: Annotated[
        list[str] | None,
        typer.Argument(metavar="[DECK]...", help="Deck ids; all decks when none."),
    ] = None,
    decks: DecksOption = None,
    store: StoreOption = None,
    profile: ProfileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cards by state, what is due, reviews today, retention and streak."""
    from flashcards import clock
    from flashcards.render import stats_table
    from flashcards.reports import collect_stats

    settings = _settings(decks, store, profile)
    catalog = _catalog(settings)
    infos = catalog.select(list(decks_to_show or []))
    progress = _store(settings)
    try:
        per_deck, total = collect_stats(progress, infos, clock.now())
        if as_json:
            payload = {"decks": [d.to_dict() for d in per_deck], "total": total.to_dict()}
            typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        else:
            console().print(stats_table(per_deck, total))
        _finish(catalog, progress)
    finally:
        progress.close()


@app.command()
def cards(
    selection: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[DECK | DECK/CARD]...",
            help="Deck ids (all decks when none), or one DECK/CARD to show in full.",
        ),
    ] = None,
    due: Annotated[bool, typer.Option("--due", help="Only cards due today.")] = False,
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state", help="Only cards in this state: new, learning, review or relearning."
        ),
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Only cards with this tag.")
    ] = None,
    search: Annotated[
        str, typer.Option("--search", help="Only cards whose question or answer has this text.")
    ] = "",
    sort: Annotated[
        SortChoice | None,
        typer.Option("--sort", help="Order by due, stability, difficulty or lapses."),
    ] = None,
    decks: DecksOption = None,
    store: StoreOption = None,
    profile: ProfileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Browse cards with their scheduling state, or show one card and its reviews."""
    from flashcards import clock
    from flashcards.browse import Filters, SortKey, card_history, card_rows
    from flashcards.model import STATE_NAMES
    from flashcards.render import card_detail, cards_table

    names = list(selection or [])
    wanted_states = frozenset(state or [])
    unknown = wanted_states - set(STATE_NAMES.values())
    if unknown:
        raise UsageError(f"--state {sorted(unknown)[0]!r}: use new, learning, review or relearning")
    single = [n for n in names if "/" in n]
    if single and len(names) > 1:
        raise UsageError("name either decks or one DECK/CARD, not both")
    settings = _settings(decks, store, profile)
    catalog = _catalog(settings)
    deck_ids = [single[0].split("/", 1)[0]] if single else names
    infos = catalog.select(deck_ids)
    progress = _store(settings)
    try:
        now = clock.now()
        states = progress.load_states([info.id for info in infos])
        loaded = [catalog.deck(info.id) for info in infos]
        filters = Filters(due=due, states=wanted_states, tags=frozenset(tag or []), search=search)
        if single:
            deck_id, card_id = single[0].split("/", 1)
            rows = [r for r in card_rows(loaded, states, now) if r.card.id == card_id]
            if not rows:
                raise UsageError(f"{single[0]}: deck {deck_id!r} has no card {card_id!r}")
            history = card_history(progress.reviews(), (deck_id, card_id))
            if as_json:
                payload = rows[0].to_dict() | {
                    "answer": rows[0].card.answer,
                    "reviews": [
                        {
                            "reviewed_at": h.review.reviewed_at.isoformat(),
                            "rating": h.review.rating,
                            "state": h.state.to_dict(),
                        }
                        for h in history
                    ],
                }
                typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
            else:
                console().print(card_detail(rows[0], history, now))
        else:
            key = SortKey(sort.value) if sort is not None else None
            rows = card_rows(loaded, states, now, filters, key)
            if as_json:
                typer.echo(json.dumps([r.to_dict() for r in rows], indent=2, ensure_ascii=False))
            else:
                out = console()
                out.print(cards_table(rows, now, out.width))
        _finish(catalog, progress)
    finally:
        progress.close()


@progress_app.command("export")
def export(
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: standard output).")
    ] = None,
    store: StoreOption = None,
    profile: ProfileOption = None,
) -> None:
    """Write the whole review log as JSON Lines."""
    from flashcards.exchange import export_lines
    from flashcards.fsutil import write_atomically

    progress = _store(_settings(None, store, profile))
    try:
        if out is None:
            for line in export_lines(progress.reviews()):
                typer.echo(line)
        else:
            if out.is_dir():
                raise UsageError(f"--out {out}: is a folder; name a file")
            data = "".join(line + "\n" for line in export_lines(progress.reviews()))
            try:
                write_atomically(out, data.encode())
            except OSError as exc:
                raise UsageError(f"--out {out}: cannot write ({exc.strerror})") from None
            error_console().print(f"Wrote {data.count(chr(10))} reviews to {out}.")
    finally:
        progress.close()


@progress_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A JSON Lines file written by `progress export`.")],
    store: StoreOption = None,
    profile: ProfileOption = None,
) -> None:
    """Read reviews into the current store; importing twice changes nothing."""
    from flashcards.exchange import read_export

    reviews = read_export(file)
    progress = _store(_settings(None, store, profile))
    try:
        added = progress.import_reviews(reviews)
        console().print(
            f"Imported {added} reviews ({len(reviews) - added} already present) into {progress.location}."
        )
        while progress.notices:
            error_console().print(Text(progress.notices.pop(0), style="yellow"), soft_wrap=True)
    finally:
        progress.close()


def main() -> None:
    app()
