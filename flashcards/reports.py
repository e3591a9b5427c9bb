"""Numbers for ``list-decks`` and ``stats``, gathered from a catalog and a store."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from flashcards.catalog import Catalog, DeckInfo
from flashcards.due import DueEntry, is_due
from flashcards.model import CARD_PART, REVIEW, CardState, Flags
from flashcards.stores import CardKey, Store

if TYPE_CHECKING:
    from flashcards.charts import Heatmap, Memory, RetentionCell
    from flashcards.options import DeckOptions
    from flashcards.scheduling import SchedulerConfig
    from flashcards.stats import DeckStats


def buried_cards(
    catalog: Catalog,
    store: Store,
    overview: Mapping[CardKey, DueEntry],
    now: datetime,
    options: Callable[[str], DeckOptions] | None = None,
) -> set[CardKey]:
    """The cards buried until the next study day because a sibling was answered today,
    in the decks whose ``options`` (``Settings.deck_options``; by default as their deck
    files say) bury siblings. Only decks that bury siblings and have some are read
    (their whole states, for the time of each card's last answer)."""
    from flashcards.options import DeckOptionsMap
    from flashcards.queue import answered_today, buried_today, sibling_notes

    cards = _burying_cards(catalog.infos, options or DeckOptionsMap.from_deck_files(catalog))
    decks = sorted({key[0] for key in sibling_notes(cards)})
    if not decks:
        return set()
    states = store.load_states(decks)
    return buried_today(cards, overview, answered_today(states, now))


def held_siblings(
    infos: Iterable[DeckInfo],
    states: Mapping[CardKey, CardState],
    now: datetime,
    options: Callable[[str], DeckOptions],
) -> set[CardKey]:
    """The cards of ``infos`` buried until the next study day because a sibling was
    answered today, from the decks' whole ``states`` (already read)."""
    from flashcards.queue import answered_today, buried_today, overview_of, sibling_notes

    cards = _burying_cards(infos, options)
    mine = {key: states[key] for key in sibling_notes(cards) if key in states}
    return buried_today(cards, overview_of(mine), answered_today(mine, now))


def _burying_cards(
    infos: Iterable[DeckInfo], options: Callable[[str], DeckOptions]
) -> list[CardKey]:
    """The cards of the decks whose options bury siblings and that may have some."""
    # Only a deck with a made card (an id with ``/``: reverse or cloze) has siblings.
    return [
        (i.id, c)
        for i in infos
        if any(CARD_PART in c for c in i.card_ids) and options(i.id).bury_siblings
        for c in i.card_ids
    ]


def deck_rows(
    catalog: Catalog,
    overview: Mapping[CardKey, DueEntry],
    now: datetime,
    buried: Collection[CardKey] = (),
    flags: Mapping[CardKey, Flags] | None = None,
) -> list[dict[str, object]]:
    """One row per deck: id, name, cards, new, due (now), learning, buried, suspended,
    path. ``overview`` is ``Store.due_overview``; ``flags`` is ``Store.flags``. A card
    set aside is counted where it is set aside only, neither new, due nor learning (as
    Anki's deck list leaves it out): suspended (a mark), else buried (by a mark today,
    or until tomorrow because a sibling was answered today, see ``buried_cards``)."""
    flags = flags or {}
    rows: list[dict[str, object]] = []
    for info in catalog.infos:
        new = due = learning = hidden = suspended = 0
        for card in info.card_ids:
            key = (info.id, card)
            mark = flags.get(key)
            if mark is not None and mark.suspended:
                suspended += 1
                continue
            if key in buried or (mark is not None and mark.buried(now)):
                hidden += 1
                continue
            entry = overview.get(key)
            if entry is None:
                new += 1
            else:
                learning += entry.state != REVIEW
                due += is_due(entry, now)
        rows.append(
            {
                "id": info.id,
                "name": info.name,
                "cards": len(info.card_ids),
                "new": new,
                "due": due,
                "learning": learning,
                "buried": hidden,
                "suspended": suspended,
                "path": info.path,
            }
        )
    return rows


def collect_stats(
    store: Store, infos: list[DeckInfo], now: datetime
) -> tuple[list[DeckStats], DeckStats]:
    from flashcards.stats import RETENTION_DAYS, deck_stats, merge_activity, total_stats

    ids = [info.id for info in infos]
    states = store.load_states(ids)
    activity = store.activity(now - timedelta(days=RETENTION_DAYS + 1), ids)
    hours = store.active_slots(ids)
    flags = store.flags(ids)
    per_deck = [
        deck_stats(
            info.id,
            info.name,
            info.card_ids,
            states,
            activity.get(info.id, {}),
            hours.get(info.id, set()),
            now,
            flags,
        )
        for info in infos
    ]
    all_hours = set().union(*hours.values()) if hours else set()
    return per_deck, total_stats(per_deck, merge_activity(activity.values()), all_hours, now)


@dataclass(frozen=True)
class Charts:
    """The figures behind the pictures of ``stats`` (see ``charts.py``)."""

    calendar: Heatmap
    forecast: list[int]
    retention: dict[str, dict[str, RetentionCell]]
    buttons: dict[str, list[int]]
    minutes: list[float]
    memory: Memory
    period: str
    #: Cram answers (which never change a schedule): today's, and over ``period``.
    cram_today: int = 0
    cram_period: int = 0

    def to_dict(self) -> dict[str, object]:
        from flashcards.charts import charts_json

        figures = charts_json(
            self.calendar, self.forecast, self.retention, self.buttons, self.minutes, self.memory
        )
        cram = {"today": self.cram_today, "period": self.cram_period}
        return {"period": self.period, **figures, "cram_answers": cram}


def collect_charts(
    store: Store,
    infos: list[DeckInfo],
    now: datetime,
    period: str,
    scheduler: Callable[[str], SchedulerConfig],
) -> Charts:
    """The pictures' figures for the given decks, their answer buttons and time over
    ``period`` (``charts.PERIODS``), the calendar over the last 12 months."""
    from flashcards.charts import (
        PERIODS,
        answer_buttons,
        days_cram,
        forecast,
        heatmap,
        in_period,
        memory,
        minutes_per_day,
        true_retention,
    )
    from flashcards.days import study_date
    from flashcards.model import DayStats

    ids = [info.id for info in infos]
    today = study_date(now)
    days: dict[date, DayStats] = {}
    for per_day in store.day_stats(ids).values():
        for day, counts in per_day.items():
            days.setdefault(day, DayStats()).absorb(counts)
    # Cram answers are counted apart; every other figure is of the days with answers.
    crammed = in_period(days, today, period)
    days = {day: counts for day, counts in days.items() if counts.reviews}
    states = store.load_states(ids)
    wanted = {(info.id, card) for info in infos for card in info.card_ids}
    mine = {key: state for key, state in states.items() if key in wanted}
    # A suspended card is due on no day.
    suspended = {key for key, mark in store.flags(ids).items() if mark.suspended}
    overview = [
        entry
        for key, entry in store.due_overview(ids).items()
        if key in wanted and key not in suspended
    ]
    chosen = in_period(days, today, period)
    reach = PERIODS[period] or max(((today - min(chosen)).days + 1) if chosen else 1, 1)
    return Charts(
        calendar=heatmap({d: s.reviews for d, s in days.items()}, today),
        forecast=forecast(overview, now),
        retention=true_retention(days, today),
        buttons=answer_buttons(chosen),
        minutes=minutes_per_day(chosen, today, reach),
        memory=memory(mine, now, scheduler),
        period=period,
        cram_today=days_cram(crammed, today, today),
        cram_period=days_cram(crammed, None, today),
    )
