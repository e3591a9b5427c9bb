"""The study queue with deck options: Anki's v3 limits per deck and over a session of
several decks, hidden cards, reviewing ahead and the order of new cards."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import card_state

from flashcards.catalog import open_catalog
from flashcards.config import load_settings
from flashcards.model import LEARNING, REVIEW, Tally
from flashcards.options import DeckOptions, DeckOptionsMap
from flashcards.queue import Limits, StudyQueue, new_card_order, overview_of, session_limits
from flashcards.session import StudySession
from flashcards.stores.jsonstore import JsonStore

PARIS = timezone(timedelta(hours=1))
NOW = datetime(2026, 5, 10, 12, 0, tzinfo=PARIS)


def keys(n: int, deck: str = "d") -> list[tuple[str, str]]:
    return [(deck, f"c{i:03d}") for i in range(n)]


def reviews_due(cards: list[tuple[str, str]], days_ago: int = 1) -> dict:
    return {key: card_state(REVIEW, NOW - timedelta(days=days_ago)) for key in cards}


def new_in(queue: StudyQueue) -> list[tuple[str, str]]:
    return [key for key in queue.main if key in queue._new]


# -- limits, as Anki's v3 scheduler ------------------------------------------------------


def test_new_cards_studied_today_count_against_the_review_limit() -> None:
    due = keys(30, "r")
    queue = StudyQueue(
        due, overview_of(reviews_due(due)), NOW, Tally(reviews=5, new=5), Limits(20, 25)
    )
    assert queue.counts().review == 20  # 25 less the 5 new cards seen today


def test_new_cards_never_outnumber_the_reviews_still_allowed() -> None:
    due, fresh = keys(8, "d"), [("d", f"n{i}") for i in range(10)]
    states = reviews_due(due)
    queue = StudyQueue(due + fresh, overview_of(states), NOW, Tally(), Limits(20, 10))
    assert queue.counts().review == 8
    assert queue.counts().new == 2  # the review limit of 10 has 2 left after 8 reviews
    empty = StudyQueue(fresh, {}, NOW, Tally(), Limits(20, 0))
    assert empty.counts().new == 0


def test_a_session_over_several_decks_is_capped_as_a_parent_deck() -> None:
    cards = keys(10, "a") + keys(10, "b")
    queue = StudyQueue(
        cards, {}, NOW, {}, {"a": Limits(4, 200), "b": Limits(9, 200)}, session_limits=Limits(6)
    )
    assert [k[0] for k in new_in(queue)] == ["a"] * 4 + ["b"] * 2
    # what every deck studied today comes off the session's limit
    used = {"a": Tally(reviews=2, new=2), "b": Tally(reviews=3, new=3)}
    later = StudyQueue(cards, {}, NOW, used, Limits(5, 200), session_limits=Limits(6))
    assert later.counts().new == 1
    alone = StudyQueue(cards, {}, NOW, used, Limits(5, 200))
    assert alone.counts().new == 5  # 3 from a and 2 from b without the session's cap


def test_the_session_review_limit_takes_the_most_overdue_across_decks() -> None:
    a, b = keys(5, "a"), keys(5, "b")
    states = reviews_due(a, days_ago=1) | reviews_due(b, days_ago=3)
    queue = StudyQueue(
        a + b, overview_of(states), NOW, {}, Limits(20, 200), session_limits=Limits(20, 6)
    )
    assert sorted(queue.main) == sorted(b + a[:1])
    assert queue.counts().new == 0


def test_session_limits_come_from_the_general_options_for_several_decks_only() -> None:
    options = DeckOptionsMap(lambda _deck: DeckOptions(new_per_day=50), DeckOptions(new_per_day=7))
    assert session_limits(options, ["a", "b"]) == Limits(7, 200)
    assert session_limits(options, ["a"]) is None
    assert session_limits(lambda _deck: DeckOptions(), ["a", "b"]) == Limits()


def test_config_options_cap_a_study_of_every_deck_but_not_of_one(
    tmp_path: Path, deck_folder: Path, isolated_home: Path
) -> None:
    for deck in ("a", "b"):
        lines = [f"name: {deck}", "options:", "  new_per_day: 10", "cards:"]
        lines += [f"  - {{id: {deck}{i}, question: q{i}, answer: x}}" for i in range(12)]
        (deck_folder / f"{deck}.yaml").write_text("\n".join(lines) + "\n")
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text("[options]\nnew_per_day = 15\n")
    settings = load_settings(decks=[deck_folder])
    catalog = open_catalog(settings.deck_path, None)

    def study(names: list[str]) -> StudySession:
        return StudySession(
            JsonStore(tmp_path / "s"), catalog, names, NOW, options=settings.deck_options(catalog)
        )

    assert study(["a"]).counts().new == 10
    both = study([])
    assert both.counts().new == 15
    assert [k[0] for k in new_in(both.queue)] == ["a"] * 10 + ["b"] * 5


# -- hidden cards -------------------------------------------------------------------------


def test_hidden_cards_never_come_up_and_count_against_no_limit() -> None:
    fresh = keys(4, "n")
    due = keys(3, "r")
    learning = ("l", "x")
    states = reviews_due(due) | {learning: card_state(LEARNING, NOW - timedelta(minutes=1))}
    hidden = {fresh[0], due[0], learning}
    queue = StudyQueue(
        [learning, *due, *fresh], overview_of(states), NOW, Tally(), Limits(2, 2), hidden=hidden
    )
    assert set(queue.main) == {fresh[1], fresh[2], due[1], due[2]}
    assert not queue.learning and queue.next(NOW) != learning
    assert not queue.held  # hidden is not "held back for a sibling"


# -- reviewing ahead ----------------------------------------------------------------------


def test_ahead_days_bring_reviews_due_soon_after_the_due_ones() -> None:
    due = keys(2, "due")
    soon = [("soon", "in1"), ("soon", "in2"), ("soon", "in3")]
    states = reviews_due(due)
    for days, key in enumerate(soon, start=1):
        states[key] = card_state(REVIEW, NOW + timedelta(days=days))
    cards = due + soon
    assert StudyQueue(cards, overview_of(states), NOW, Tally()).main == due
    ahead = StudyQueue(cards, overview_of(states), NOW, Tally(), Limits(0, 1), ahead_days=2)
    # one review is due (the limit is 1); those due tomorrow and the day after follow,
    # taking nothing from the limit; the one in three days waits
    assert ahead.main == [due[0], ("soon", "in1"), ("soon", "in2")]
    assert ahead.counts().review == 3


# -- order of new cards -------------------------------------------------------------------


def test_random_new_order_is_the_same_all_day_and_changes_the_next() -> None:
    cards = keys(40)
    morning = StudyQueue(cards, {}, NOW, Tally(), new_order={"d": "random"})
    evening = StudyQueue(
        cards, {}, NOW + timedelta(hours=14), Tally(), new_order={"d": "random"}
    )  # 2 a.m.: still the same study day
    tomorrow = StudyQueue(cards, {}, NOW + timedelta(days=1), Tally(), new_order={"d": "random"})
    in_order = StudyQueue(cards, {}, NOW, Tally())
    assert new_in(morning) == new_in(evening)
    assert new_in(in_order) == cards[:20]
    assert new_in(morning) != cards[:20]
    assert set(new_in(morning)) != set(cards[:20])  # drawn from the whole deck
    assert new_in(tomorrow) != new_in(morning)


def test_random_order_is_per_deck_and_deck_order_stays() -> None:
    a, b = keys(10, "a"), keys(10, "b")
    order = {"a": "random", "b": "deck"}
    queue = StudyQueue(a + b, {}, NOW, Tally(), new_order=order)
    assert [k for k in new_in(queue) if k[0] == "b"] == b
    assert sorted(k for k in new_in(queue) if k[0] == "a") == a
    assert new_card_order(a, "random", NOW) == new_card_order(list(reversed(a)), "random", NOW)


def test_a_restarted_session_shows_the_same_random_order(tmp_path: Path, deck_folder: Path) -> None:
    lines = ["name: R", "options:", "  new_order: random", "cards:"]
    lines += [f"  - {{id: c{i}, question: q{i}, answer: x}}" for i in range(30)]
    (deck_folder / "r.yaml").write_text("\n".join(lines) + "\n")
    settings = load_settings(decks=[deck_folder])
    catalog = open_catalog(settings.deck_path, settings.cache_folder)
    options = settings.deck_options(catalog)
    first = StudySession(JsonStore(tmp_path / "s"), catalog, [], NOW, options=options)
    shown = first.next_card(NOW)
    assert shown is not None
    first.answer(shown, 4, NOW)
    later = NOW + timedelta(minutes=3)
    again = StudySession(JsonStore(tmp_path / "s"), catalog, [], later, options=options)
    assert again.queue.main == first.queue.main
    assert [k[1] for k in first.queue.main] != [f"c{i}" for i in range(1, 20)]
