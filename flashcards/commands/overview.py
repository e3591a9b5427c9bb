"""The reading commands: `list-decks`, `stats` and `cards` (they never write user files)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, cast

import typer

from flashcards.commands.common import (
    DecksOption,
    JsonOption,
    ProfileOption,
    StoreOption,
    TagOption,
    catalog_for,
    complete_decks,
    console,
    finish,
    print_json,
    settings_for,
    store_for,
)
from flashcards.errors import UsageError

if TYPE_CHECKING:
    from flashcards.stores import Store


class Period(StrEnum):
    month = "1m"
    quarter = "3m"
    year = "1y"
    all = "all"


class SortChoice(StrEnum):
    due = "due"
    stability = "stability"
    difficulty = "difficulty"
    lapses = "lapses"


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

    settings = settings_for(decks, store, profile)
    catalog = catalog_for(settings)
    progress = store_for(settings)
    try:
        now, overview = clock.now(), progress.due_overview()
        buried = buried_cards(catalog, progress, overview, now, settings.deck_options(catalog))
        # After due_overview the flags cost no second read of the store.
        rows = deck_rows(catalog, overview, now, buried, progress.flags())
        if as_json:
            print_json(rows)
        else:
            out = console()
            out.print(deck_table(rows, out.width))
        finish(catalog, progress, settings)
    finally:
        progress.close()


def stats(
    decks_to_show: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[DECK]...",
            help="Deck ids; all decks when none.",
            autocompletion=complete_decks,
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
    settings = settings_for(decks, store, profile)
    catalog = catalog_for(settings)
    infos = catalog.select(list(decks_to_show or []))
    progress = store_for(settings)
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
            print_json(payload)
        else:
            out = console()
            out.print(stats_table(per_deck, total, out.width))
            out.print()
            out.print(charts_view(charts, out.width))
        finish(catalog, progress, settings)
    finally:
        progress.close()


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
    settings = settings_for(decks, store, profile)
    catalog = catalog_for(settings)
    deck_ids = [single[0].split("/", 1)[0]] if single else names
    infos = catalog.select(deck_ids)
    progress = store_for(settings)
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
                print_json(payload)
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
                print_json([r.to_dict() for r in rows])
            else:
                from flashcards.cardlist import card_lines

                width = console().width
                typer.echo("\n".join(card_lines(rows, now, width)))
        finish(catalog, progress, settings)
    finally:
        progress.close()
