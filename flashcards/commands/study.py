"""`flashcards study`: the due cards, or with --cram any chosen cards."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.text import Text

from flashcards.commands.common import (
    DecksOption,
    ProfileOption,
    StoreOption,
    TagOption,
    catalog_for,
    complete_decks,
    console,
    deck_errors,
    finish,
    settings_for,
    store_for,
)
from flashcards.errors import UsageError


class CramOrder(StrEnum):
    due = "due"
    random = "random"
    difficulty = "difficulty"


def study(
    decks_to_study: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[DECK]...",
            help="Deck ids to study; all decks when none.",
            autocompletion=complete_decks,
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
    settings = settings_for(decks, store, profile)
    catalog = catalog_for(settings)
    names = list(decks_to_study or [])
    catalog.select(names)  # unknown or broken deck names fail before anything opens
    progress = store_for(settings)
    try:
        if not catalog.infos:
            where = ", ".join(str(p) for p in settings.deck_path)
            broken = catalog.error_summary()
            if broken is not None:  # "no decks" would send the learner to the wrong place
                raise UsageError(f"no deck to study in {where}: {broken}")
            raise UsageError(
                f"no decks found in {where}; add *.yaml decks there or point --decks at some"
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
            for line in deck_errors(catalog, settings)[0]:  # under the first card
                screen.say(line)
            try:
                screen.run()
            except KeyboardInterrupt:
                interrupted = True
                out.print()
                out.print(Text("Stopped.", style="yellow"))
                screen.print_summary()
        finish(catalog, progress, settings, deck_errors_shown=True)
        if interrupted:
            raise typer.Exit(code=130)  # as a shell reports a program stopped by Ctrl-C
    finally:
        progress.close()
