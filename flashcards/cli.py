"""The command layer: options in, rendering out. Decisions live in the core modules."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from flashcards.errors import FlashcardsError, UsageError
from flashcards.text import error_line, plain

if TYPE_CHECKING:
    from flashcards.catalog import Catalog
    from flashcards.config import Settings
    from flashcards.stores import Store


_ClickFormatter: Any = typer.Context.formatter_class


class _HelpFormatter(_ClickFormatter):
    """click's help, with each option on a line of its own above its text when the
    terminal is narrow (click would squeeze the text into ten columns and cut words)."""

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        if self.width < 60:
            col_max = min(col_max, 10)
        super().write_dl(rows, col_max, col_spacing)


class _Context(typer.Context):
    formatter_class = _HelpFormatter


class _Commands(TyperGroup):
    """Turns every ``FlashcardsError`` into one red line and exit status 1 — the only place."""

    context_class = _Context

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            command.context_class = _Context  # its help is laid out the same way
        return command

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except FlashcardsError as exc:
            error_console().print(error_line(str(exc)), soft_wrap=True)
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            raise typer.Exit(code=130) from None

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        """Help wrapped to a terminal narrower than click's minimum of 50 columns
        (the commands under this one inherit the width)."""
        if parent is None:
            import shutil

            columns = shutil.get_terminal_size().columns
            if columns < 52:
                extra.setdefault("terminal_width", max(columns - 1, 20))
        return super().make_context(info_name, args, parent, **extra)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list with each command's first sentence whole (click cuts it
        to fit one line and ends it with "...")."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"flashcards {version('flashcards')}")
        raise typer.Exit()


app = typer.Typer(
    cls=_Commands,
    help="Spaced-repetition study in the terminal.",
    no_args_is_help=True,
    # typer's --install-completion/--show-completion: its completion module is
    # imported by typer in any case, so offering them costs start-up nothing.
    add_completion=True,
    pretty_exceptions_enable=False,
    # Plain help: the rich help renderer imports a Markdown parser and costs ~40 ms
    # on every `--help`, half again the start-up of the whole program.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
progress_app = typer.Typer(
    cls=_Commands,
    help="Move review history between stores.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(progress_app, name="progress")


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show the version and exit.",
            is_eager=True,
            callback=_show_version,
        ),
    ] = False,
) -> None:
    """Spaced-repetition study in the terminal."""


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


class Period(StrEnum):
    month = "1m"
    quarter = "3m"
    year = "1y"
    all = "all"


class CramOrder(StrEnum):
    due = "due"
    random = "random"
    difficulty = "difficulty"


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
    from flashcards.stores import StoreContext, lazy_schedulers, open_store

    # Replays (import, repairs) schedule with each deck's options; the decks are read
    # for them only when one happens.
    schedulers = lazy_schedulers(lambda: settings.schedulers(_catalog(settings)))
    context = StoreContext(settings.home, settings.profile, schedulers)
    return open_store(settings.store_url, context)


def _deck_errors(catalog: Catalog, settings: Settings) -> tuple[list[Text], bool]:
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


def _finish(
    catalog: Catalog, store: Store, settings: Settings, deck_errors_shown: bool = False
) -> None:
    """Housekeeping, then bad decks and store notices on stderr; exit status 1 when a
    deck named on the command line was bad (the others have been used all the same)."""
    store.maintain()
    store.close()  # waits for the housekeeping to end, so its notices are reported
    err = error_console()
    lines, failed = _deck_errors(catalog, settings)
    for line in [] if deck_errors_shown else lines:
        err.print(line, soft_wrap=True)
    while store.notices:
        err.print(plain(store.notices.pop(0), "yellow"), soft_wrap=True)
    if failed:
        raise typer.Exit(code=1)


def _complete_decks(ctx: typer.Context, incomplete: str) -> list[str]:
    """Deck ids for shell completion (run only when the shell asks, never at start-up)."""
    try:
        settings = _settings(ctx.params.get("decks"), None, None)
        ids = _catalog(settings).ids()
    except FlashcardsError:
        return []
    return [deck_id for deck_id in ids if deck_id.startswith(incomplete)]


@app.command()
def study(
    decks_to_study: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[DECK]...",
            help="Deck ids to study; all decks when none.",
            autocompletion=_complete_decks,
        ),
    ] = None,
    tag: TagOption = None,
    ahead: Annotated[
        str | None,
        typer.Option(
            "--ahead",
            metavar="SPAN",
            help="Also study cards due within this span after today (3d, 1w); "
            "they are rescheduled as usual.",
            show_default=False,
        ),
    ] = None,
    cram: Annotated[
        bool,
        typer.Option(
            "--cram",
            help="Go through the chosen cards whatever their due date; "
            "the schedule is left as it is.",
        ),
    ] = False,
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state",
            help="With --cram: only cards in this state (new, learning, review, "
            "relearning; repeatable).",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", min=1, help="With --cram: at most this many cards.", show_default=False
        ),
    ] = None,
    order: Annotated[
        CramOrder | None,
        typer.Option(
            "--order",
            help="With --cram: due (soonest first), random or difficulty (hardest first).",
            show_default=False,
        ),
    ] = None,
    decks: DecksOption = None,
    store: StoreOption = None,
    profile: ProfileOption = None,
) -> None:
    """Study the cards that are due (or, with --cram, any cards)."""
    from flashcards import clock
    from flashcards.session import StudySession, ahead_days
    from flashcards.tags import TagFilter
    from flashcards.ui import Keys, StudyScreen

    tags = TagFilter.parse(tag)
    if not cram:
        given = [
            name
            for name, value in (("--state", state), ("--limit", limit), ("--order", order))
            if value
        ]
        if given:
            raise UsageError(f"{given[0]} goes with --cram")
    elif ahead is not None:
        raise UsageError("--ahead and --cram do not go together: cramming takes every card already")
    days = ahead_days(ahead) if ahead is not None else 0
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
        now = clock.now()
        options = settings.deck_options(catalog)
        schedulers = settings.schedulers(catalog)
        session: StudySession
        if cram:
            from flashcards.cram import CramPlan, CramSession, check_states

            plan = CramPlan(check_states(state or []), limit, (order or CramOrder.due).value)
            session = CramSession(
                progress, catalog, names, now, plan, schedulers, options=options, tags=tags
            )
        else:
            session = StudySession(
                progress,
                catalog,
                names,
                now,
                schedulers=schedulers,
                options=options,
                tags=tags,
                ahead_days=days,
            )
        out = console()
        interrupted = False
        with Keys() as keys:
            # Housekeeping starts once the first question is up, while the learner reads.
            screen = StudyScreen(session, out, keys, clock.now, on_first_card=progress.maintain)
            for line in _deck_errors(catalog, settings)[0]:  # under the first card
                screen.say(line)
            try:
                screen.run()
            except KeyboardInterrupt:
                interrupted = True
                out.print()
                out.print(Text("Stopped.", style="yellow"))
                screen.print_summary()
        _finish(catalog, progress, settings, deck_errors_shown=True)
        if interrupted:
            raise typer.Exit(code=130)  # as a shell reports a program stopped by Ctrl-C
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
    from flashcards.reports import buried_cards, deck_rows

    settings = _settings(decks, store, profile)
    catalog = _catalog(settings)
    progress = _store(settings)
    try:
        now, overview = clock.now(), progress.due_overview()
        buried = buried_cards(catalog, progress, overview, now, settings.deck_options(catalog))
        # After due_overview the flags cost no second read of the store.
        rows = deck_rows(catalog, overview, now, buried, progress.flags())
        if as_json:
            typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            out = console()
            out.print(deck_table(rows, out.width))
        _finish(catalog, progress, settings)
    finally:
        progress.close()


@app.command()
def stats(
    decks_to_show: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[DECK]...",
            help="Deck ids; all decks when none.",
            autocompletion=_complete_decks,
        ),
    ] = None,
    decks: DecksOption = None,
    store: StoreOption = None,
    profile: ProfileOption = None,
    period: Annotated[
        Period,
        typer.Option(
            "--period", help="How far back answer buttons and time reach: 1m, 3m, 1y or all."
        ),
    ] = Period.year,
    tag: TagOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cards by state, what is due, retention and streak, then pictures: the review
    calendar, the forecast, true retention, answer buttons, time and memory."""
    from flashcards import clock
    from flashcards.render import charts_view, stats_table
    from flashcards.reports import collect_charts, collect_stats
    from flashcards.tags import TagFilter

    tags = TagFilter.parse(tag)
    settings = _settings(decks, store, profile)
    catalog = _catalog(settings)
    infos = catalog.select(list(decks_to_show or []))
    progress = _store(settings)
    try:
        now = clock.now()
        source: Store = progress
        if tags:
            from flashcards.tagstats import ChosenHistory, chosen_infos

            options = settings.deck_options(catalog)
            states = progress.load_states([info.id for info in infos]) if tags.needs_states else {}
            infos = chosen_infos(
                catalog, infos, tags, states, lambda deck: options(deck).leech_threshold
            )
            keys = [(info.id, card) for info in infos for card in info.card_ids]
            source = cast("Store", ChosenHistory(progress, keys))
        per_deck, total = collect_stats(source, infos, now)
        charts = collect_charts(source, infos, now, period.value, settings.schedulers(catalog))
        if as_json:
            payload = {
                "decks": [d.to_dict() for d in per_deck],
                "total": total.to_dict(),
                "charts": charts.to_dict(),
            }
            typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        else:
            out = console()
            out.print(stats_table(per_deck, total, out.width))
            out.print()
            out.print(charts_view(charts, out.width))
        _finish(catalog, progress, settings)
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
    due: Annotated[
        bool, typer.Option("--due", help="Only cards due today (neither suspended nor buried).")
    ] = False,
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state", help="Only cards in this state: new, learning, review or relearning."
        ),
    ] = None,
    tag: TagOption = None,
    suspended: Annotated[bool, typer.Option("--suspended", help="Only suspended cards.")] = False,
    leech: Annotated[bool, typer.Option("--leech", help="Only leeches.")] = False,
    search: Annotated[
        str, typer.Option("--search", help="Only cards whose question or answer has this text.")
    ] = "",
    sort: Annotated[
        SortChoice | None,
        typer.Option(
            "--sort", metavar="KEY", help="Order by due, stability, difficulty or lapses."
        ),
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
    from flashcards.render import card_detail
    from flashcards.reports import held_siblings
    from flashcards.tags import TagFilter

    tags = TagFilter.parse(tag)
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
        ids = [info.id for info in infos]
        states = progress.load_states(ids)
        loaded = [catalog.deck(info.id) for info in infos]
        filters = Filters(
            due=due,
            states=wanted_states,
            tags=tags,
            search=search,
            suspended=suspended,
            leech=leech,
        )
        options = settings.deck_options(catalog)
        scheduler, flags = settings.schedulers(catalog), progress.flags(ids)
        held = held_siblings(infos, states, now, options)

        def threshold(deck: str) -> int:
            return options(deck).leech_threshold

        if single:
            deck_id, card_id = single[0].split("/", 1)
            every = card_rows(
                loaded,
                states,
                now,
                scheduler=scheduler,
                flags=flags,
                leech_threshold=threshold,
                held=held,
            )
            rows = [r for r in every if r.card.id == card_id]
            if not rows:
                raise UsageError(f"{single[0]}: deck {deck_id!r} has no card {card_id!r}")
            history = card_history(progress.reviews(), (deck_id, card_id), scheduler)
            if as_json:
                payload = rows[0].to_dict() | {
                    "answer": rows[0].card.answer,
                    "reviews": [
                        {
                            "reviewed_at": h.review.reviewed_at.isoformat(),
                            "rating": h.review.rating,
                            "state": h.state.to_dict() if h.state is not None else None,
                        }
                        | ({"action": h.review.action} if h.review.action else {})
                        for h in history
                    ],
                }
                typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
            else:
                out = console()
                out.print(card_detail(rows[0], history, now, out.width))
        else:
            key = SortKey(sort.value) if sort is not None else None
            rows = card_rows(
                loaded,
                states,
                now,
                filters,
                key,
                scheduler=scheduler,
                flags=flags,
                leech_threshold=threshold,
                held=held,
            )
            if as_json:
                typer.echo(json.dumps([r.to_dict() for r in rows], indent=2, ensure_ascii=False))
            else:
                from flashcards.cardlist import card_lines

                width = console().width
                typer.echo("\n".join(card_lines(rows, now, width)))
        _finish(catalog, progress, settings)
    finally:
        progress.close()


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

    settings = _settings(decks, store, profile)
    catalog = _catalog(settings)
    progress = _store(settings)
    try:
        options = settings.deck_options(catalog)
        outcome = apply_marks(action, cards, catalog, progress, clock.now(), options)
        out = console()
        for line in outcome.unchanged:
            out.print(plain(line, "yellow"), soft_wrap=True)
        done = summary(action, outcome)
        if done is not None:
            out.print(plain(done), soft_wrap=True)
        _finish(catalog, progress, settings)
    finally:
        progress.close()


def _mark_command(action: str, doc: str) -> Any:
    def command(
        cards: CardsArgument,
        decks: DecksOption = None,
        store: StoreOption = None,
        profile: ProfileOption = None,
    ) -> None:
        _marks(action, cards, decks, store, profile)

    command.__doc__ = doc
    return command


for _action, _doc in (
    ("suspend", "Set cards aside until unsuspended: they never come up in study."),
    ("unsuspend", "Let suspended cards come up in study again."),
    ("bury", "Set cards aside until the next study day."),
    ("unbury", "Let buried cards come up again today."),
    ("forget", "Make cards new again; their reviews stay in the log (Anki's Reset)."),
):
    app.command(_action)(_mark_command(_action, _doc))


@app.command()
def optimize(
    decks_to_fit: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[DECK]...",
            help="Fit these decks' history and save for them; all decks when none.",
            autocompletion=_complete_decks,
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

    settings = _settings(decks, store, profile)
    catalog = _catalog(settings)
    names = list(decks_to_fit or [])
    infos = catalog.select(names)
    progress = _store(settings)
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


@app.command("export")
def export_decks(
    decks_to_export: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[DECK]...",
            help="Deck ids to export; all decks when none.",
            autocompletion=_complete_decks,
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

    settings = _settings(decks, store, profile)
    catalog = _catalog(settings)
    catalog.select(list(decks_to_export or []))  # unknown deck names fail before the store opens
    progress = _store(settings)
    try:
        message = run(settings, catalog, progress, list(decks_to_export or []), to, clock.now())
    finally:
        progress.close()
    error_console().print(plain(message), soft_wrap=True)


@progress_app.command("export")
def export(
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: standard output).")
    ] = None,
    store: StoreOption = None,
    profile: ProfileOption = None,
) -> None:
    """Write the whole review log as JSON Lines."""
    from flashcards.exchange import export_lines, write_export

    progress = _store(_settings(None, store, profile))
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


@progress_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A JSON Lines file written by `progress export`.")],
    store: StoreOption = None,
    profile: ProfileOption = None,
) -> None:
    """Read reviews into the current store; importing twice changes nothing."""
    from flashcards.exchange import ExportFile

    reviews = ExportFile(file)  # checked whole now, streamed into the store later
    progress = _store(_settings(None, store, profile))
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


def main() -> None:
    app()


@app.command()
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

    settings = _settings(decks, store, profile)
    report = run_check(
        settings.deck_path,
        settings.store_url,
        settings.home,
        settings.profile,
        repair=repair,
        decks_only=decks_only,
    )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
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


# --- commands that write deck files (the work is in addcmd and importcmd) -------------------


@app.command()
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
        _settings(decks, None, None),
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


@app.command("import")
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
    settings = _settings(None, store, profile)
    notices: list[str] = []
    if suffix in PACKAGE_SUFFIXES:
        from flashcards.importcmd import import_package_file

        if deck is not None or notes_format is not None or no_context:
            raise UsageError("--deck, --format and --no-context are for notes and tables")
        progress = _store(settings)
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
