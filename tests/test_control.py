"""The learner in control, through the command line: suspend, unsuspend, bury, unbury
and forget; cards set aside never studied; cram leaving every schedule alone; study
ahead; tags on study, cards and stats. Where the store matters, on both stores."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import card_state
from typer.testing import CliRunner

from flashcards.cli import app
from flashcards.model import REVIEW, Review

NOW = "2026-11-23T10:00:00+01:00"
TOMORROW = "2026-11-24T10:00:00+01:00"

DECK = """\
name: D
tags: [deckwide]
cards:
  - {id: a, question: qa, answer: aa, tags: [greek]}
  - {id: b, question: qb, answer: ab, reverse: true}
  - {id: c, question: qc, answer: ac, tags: [latin]}
"""


@pytest.fixture
def decks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "d.yaml").write_text(DECK)
    monkeypatch.setenv("FLASHCARDS_DECKS", str(folder))
    return folder


@pytest.fixture
def store(store_kind: str, decks: Path) -> str:
    """Each test on the JSON store and on DynamoDB (moto, in this process)."""
    return store_kind


def run(runner: CliRunner, *args: str, input: str | None = None, now: str = NOW) -> Any:
    return runner.invoke(app, list(args), input=input, env={"FLASHCARDS_NOW": now})


def ok(runner: CliRunner, *args: str, input: str | None = None, now: str = NOW) -> str:
    result = run(runner, *args, input=input, now=now)
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def rows(runner: CliRunner, *args: str, now: str = NOW) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in json.loads(ok(runner, "cards", "--json", *args, now=now))}


def logged() -> list[dict[str, Any]]:
    """Every standing review and mark in the store, as the log keeps them."""
    with opened() as store:
        return [dict(review.to_dict()) for review in store.reviews()]


def shown(output: str) -> list[str]:
    """The questions a study session put up, in order: each card's first line, once per
    card (a card is drawn with its question, then again with its answer)."""
    import re

    firsts = re.findall(r"╭─+╮\n│ (\S+)", output)
    return [q for i, q in enumerate(firsts) if i % 2 == 0]


# -- suspend, unsuspend, bury, unbury ---------------------------------------------------


def test_a_card_that_does_not_exist_stops_the_command_before_anything_is_written(
    runner: CliRunner, decks: Path
) -> None:
    result = run(runner, "suspend", "d/a", "d/nope")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "d/nope" in lines[0] and "Traceback" not in result.output
    assert not rows(runner)["a"]["suspended"]
    assert logged() == []
    for bad in ("a", "nodeck/a", "d/"):
        result = run(runner, "bury", bad)
        assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1


def test_suspended_cards_never_come_up_until_unsuspended(runner: CliRunner, store: str) -> None:
    assert "Suspended d/a." in ok(runner, "suspend", "d/a")
    again = run(runner, "suspend", "d/a", "d/c")
    assert again.exit_code == 0
    assert "d/a is already suspended." in again.output and "Suspended d/c." in again.output
    by_id = rows(runner)
    assert by_id["a"]["suspended"] and by_id["c"]["suspended"] and not by_id["b"]["suspended"]
    assert set(rows(runner, "--suspended")) == {"a", "c"}
    listing = ok(runner, "cards")
    assert any(line.startswith("d/a ") and "suspended" in line for line in listing.splitlines())
    # a restart later (a new process opens the store): still suspended, never studied
    studied = ok(runner, "study", input="\n3\n\n3\n\n3\n\n3\nq\n", now=TOMORROW)
    assert "qa" not in shown(studied) and "qc" not in shown(studied)
    assert "qb" in shown(studied)
    assert "Unsuspended d/a." in ok(runner, "unsuspend", "d/a")
    assert "d/a is not suspended." in ok(runner, "unsuspend", "d/a")
    assert "qa" in shown(ok(runner, "study", input="\n3\nq\n", now=TOMORROW))
    actions = [line.get("action") for line in logged()]
    assert actions.count("suspend") == 2 and actions.count("unsuspend") == 1


def test_buried_cards_return_the_next_study_day(runner: CliRunner, store: str) -> None:
    assert "Buried 2 cards." in ok(runner, "bury", "d/a", "d/c")
    assert "d/a is already buried." in ok(runner, "bury", "d/a")
    by_id = rows(runner)
    assert by_id["a"]["buried"] and not by_id["a"]["suspended"] and by_id["a"]["state"] == "new"
    studied = ok(runner, "study", input="\n3\n\n3\n\n3\nq\n")
    assert "qa" not in shown(studied) and "qc" not in shown(studied)
    assert not rows(runner, now=TOMORROW)["a"]["buried"]  # the next study day
    assert "qa" in shown(ok(runner, "study", input="\n3\nq\n", now=TOMORROW))
    assert "Unburied d/c." in ok(runner, "unbury", "d/c")
    assert not rows(runner)["c"]["buried"]


def test_forget_makes_a_card_new_and_keeps_its_history(runner: CliRunner, store: str) -> None:
    ok(runner, "study", input="\n4\nq\n")  # qa: Easy, a review card now
    assert rows(runner)["a"]["state"] == "review"
    assert "d/c is new already." in ok(runner, "forget", "d/c")
    assert "Forgot d/a." in ok(runner, "forget", "d/a")
    card = json.loads(ok(runner, "cards", "d/a", "--json"))
    assert card["state"] == "new" and card["reps"] == 0 and card["due"] is None
    # the log keeps the answer, and says when the card was forgotten
    assert [(r["rating"], r.get("action")) for r in card["reviews"]] == [(4, None), (0, "forget")]
    assert card["reviews"][0]["state"]["state"] == 2 and card["reviews"][1]["state"] is None
    detail = ok(runner, "cards", "d/a")
    assert "Easy" in detail and "forgotten: new" in detail
    assert [line.get("action") for line in logged()] == [None, "forget"]
    assert "qa" in shown(ok(runner, "study", input="\n3\nq\n", now=TOMORROW))


# -- cram -------------------------------------------------------------------------------


def test_cram_goes_through_every_card_and_leaves_every_schedule_alone(
    runner: CliRunner, store: str
) -> None:
    ok(runner, "study", input="\n4\n\n1\nq\n")  # a review card, one learning card
    before = ok(runner, "cards", "--json")
    # every card, due or not; Again or Hard brings one back at the end, as Anki's preview
    out = ok(runner, "study", "--cram", input="\n1\n\n3\n\n3\n\n3\n\n2\n\n3\nq\n")
    cards = shown(out)
    # soonest due first (the learning card, then the review card), new cards last
    assert cards == ["qb", "qa", "ab", "qc", "qb", "qb"]  # Again, then Hard: back twice
    assert "Answered 6 cards (1 Again)" in out
    assert ok(runner, "cards", "--json") == before
    crammed = [line for line in logged() if line.get("action") == "cram"]
    assert len(crammed) == 6 and {line["rating"] for line in crammed} == {1, 2, 3}
    history = ok(runner, "cards", "d/b")  # the card's history shows its cram answers
    assert "cram: Again" in history and "cram: Hard" in history
    assert ok(runner, "cards", "--json", now=TOMORROW) == ok(
        runner, "cards", "--json", now=TOMORROW
    )


def test_cram_chooses_by_tag_state_and_limit(runner: CliRunner, decks: Path) -> None:
    ok(runner, "study", input="\n4\nq\n")  # qa is a review card
    assert shown(ok(runner, "study", "--cram", "--state", "review", input="\n3\nq\n")) == ["qa"]
    out = ok(runner, "study", "--cram", "--tag", "-greek", "--limit", "2", input="\n3\n\n3\nq\n")
    assert len(shown(out)) == 2 and "qa" not in shown(out)
    assert "Answered 2 cards" in out
    result = run(runner, "study", "--limit", "2")
    assert result.exit_code == 1 and "--limit goes with --cram" in result.output


# -- study ahead ------------------------------------------------------------------------


def test_study_ahead_brings_cards_due_within_the_span(runner: CliRunner, decks: Path) -> None:
    (decks / "d.yaml").write_text(DECK.replace("name: D\n", "name: D\noptions: {new_per_day: 0}\n"))
    now = datetime.fromisoformat(NOW)
    with opened() as store:  # a due in 2 days, c in 5
        for card, days in (("a", 2), ("c", 5)):
            state = card_state(REVIEW, now + timedelta(days=days))
            store.record(
                Review(f"r-{card}", "d", card, 3, now - timedelta(days=3), 1, 0, state), None
            )
    assert "Nothing due now." in ok(runner, "study", input="q\n")
    before = rows(runner)["a"]["due_day"]
    out = ok(runner, "study", "--ahead", "3d", input="\n3\nq\n")
    assert shown(out) == ["qa"] and "Answered 1 card" in out
    assert rows(runner)["a"]["due_day"] != before  # rescheduled as usual
    assert rows(runner)["a"]["reps"] == 3
    assert "qc" in shown(ok(runner, "study", "--ahead", "1w", input="\n3\nq\n"))
    result = run(runner, "study", "--ahead", "soon")
    assert result.exit_code == 1 and "--ahead 'soon'" in result.output


@contextlib.contextmanager
def opened() -> Iterator[Any]:
    from flashcards.commands.common import settings_for, store_for

    store = store_for(settings_for(None, None, None))
    try:
        yield store
    finally:
        store.close()


# -- tags -------------------------------------------------------------------------------


def test_tags_include_and_exclude_on_cards(runner: CliRunner, decks: Path) -> None:
    assert set(rows(runner, "--tag", "greek")) == {"a"}
    assert set(rows(runner, "--tag", "GREEK", "--tag", "latin")) == {"a", "c"}
    assert set(rows(runner, "--tag", "-greek")) == {"b", "b/reverse", "c"}
    assert set(rows(runner, "--tag", "deckwide", "--tag", "-latin")) == {"a", "b", "b/reverse"}
    assert rows(runner, "--tag", "-deckwide") == {}
    result = run(runner, "cards", "--tag", "-")
    assert result.exit_code == 1 and "--tag '-'" in result.output


def test_tags_choose_what_is_studied(runner: CliRunner, decks: Path) -> None:
    assert shown(ok(runner, "study", "--tag", "greek", input="\n4\nq\n")) == ["qa"]
    out = ok(runner, "study", "--tag", "-greek", input="\n3\n\n3\n\n3\nq\n")
    assert "qa" not in shown(out) and "qc" in shown(out)


def test_stats_count_only_the_cards_a_tag_chooses(runner: CliRunner, store: str) -> None:
    ok(runner, "study", input="\n3\n\n3\n\n3\nq\n")  # qa, qb, qc (b/reverse buried)
    every = json.loads(ok(runner, "stats", "--json"))
    greek = json.loads(ok(runner, "stats", "--json", "--tag", "greek"))
    rest = json.loads(ok(runner, "stats", "--json", "--tag", "-greek"))
    assert every["total"]["cards"] == 4 and every["total"]["reviews_today"] == 3
    assert greek["total"]["cards"] == 1 and greek["total"]["reviews_today"] == 1
    assert greek["total"]["learning"] == 1 and greek["total"]["new"] == 0
    assert rest["total"]["cards"] == 3 and rest["total"]["reviews_today"] == 2
    assert sum(greek["charts"]["answer_buttons"]["new"].values()) == 1
    assert sum(rest["charts"]["answer_buttons"]["new"].values()) == 2
    assert sum(every["charts"]["answer_buttons"]["new"].values()) == 3


def test_leeches_are_tagged_and_listed(runner: CliRunner, decks: Path) -> None:
    options = "options: {leech_threshold: 1}\n"
    (decks / "d.yaml").write_text(DECK.replace("name: D\n", f"name: D\n{options}"))
    ok(runner, "study", "d", input="\n4\nq\n", now="2026-11-01T10:00:00+01:00")
    assert rows(runner, "--leech") == {}
    # the review card lapses: a leech at a threshold of 1
    out = ok(runner, "study", "d", "--tag", "greek", input="\n1\nq\n")
    assert "Leech: d/a has lapsed 1 time; tagged leech" in out
    leeches = rows(runner, "--leech")
    assert set(leeches) == {"a"} and leeches["a"]["leech"] and "leech" in leeches["a"]["tags"]
    assert set(rows(runner, "--tag", "leech")) == {"a"}
    assert not leeches["a"]["suspended"]  # leech_action: tag (Anki's default)
    assert json.loads(ok(runner, "stats", "--json", "--tag", "leech"))["total"]["cards"] == 1


def test_cram_answers_travel_with_export_and_import(
    runner: CliRunner, decks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(runner, "study", input="\n4\nq\n")
    ok(runner, "study", "--cram", input="\n2\n\n3\nq\n")
    before = ok(runner, "cards", "--json")
    exported = tmp_path / "progress.jsonl"
    ok(runner, "progress", "export", "--out", str(exported))
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    crammed = [line for line in lines if line.get("action") == "cram"]
    assert [line["rating"] for line in crammed] == [2, 3]
    monkeypatch.setenv("FLASHCARDS_HOME", str(tmp_path / "elsewhere"))
    assert "Imported 3 reviews" in ok(runner, "progress", "import", str(exported))
    assert instants(ok(runner, "cards", "--json")) == instants(before)
    assert [line.get("action") for line in logged()] == [None, "cram", "cram"]


def instants(listing: str) -> list[dict[str, Any]]:
    """``cards --json`` rows with their times as moments (an import replays the states,
    which may name the same moment in another offset)."""
    rows = json.loads(listing)
    for row in rows:
        for field in ("due", "last_review"):
            if row[field] is not None:
                row[field] = datetime.fromisoformat(row[field])
    return list(rows)


def test_suspend_and_bury_survive_an_export_and_import(
    runner: CliRunner, store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(runner, "suspend", "d/a")
    ok(runner, "bury", "d/c")
    exported = tmp_path / "progress.jsonl"
    ok(runner, "progress", "export", "--out", str(exported))
    monkeypatch.setenv("FLASHCARDS_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("FLASHCARDS_STORE", "json")
    assert "Imported 2 reviews" in ok(runner, "progress", "import", str(exported))
    by_id = rows(runner)
    assert by_id["a"]["suspended"] and by_id["c"]["buried"] and not by_id["b"]["buried"]
    assert "qa" not in shown(ok(runner, "study", input="\n3\n\n3\nq\n"))


def test_cram_with_nothing_chosen_says_so(runner: CliRunner, decks: Path) -> None:
    out = ok(runner, "study", "--cram", "--tag", "nosuchtag", input="q\n")
    assert "No cards to cram" in out and "Answered" not in out


def test_with_every_card_suspended_nothing_is_ever_due(runner: CliRunner, decks: Path) -> None:
    ok(runner, "suspend", "d/a", "d/b", "d/b/reverse", "d/c")
    out = ok(runner, "study", input="q\n")
    assert "Nothing due now." in out and "Next card due" not in out
    ok(runner, "bury", "d/a")
    ok(runner, "unsuspend", "d/a")
    assert "Next card due in 18h 0m" in ok(runner, "study", input="q\n")  # when it is unburied


def test_list_decks_counts_cards_set_aside_apart_from_new_and_due(
    runner: CliRunner, store: str
) -> None:
    def deck_row(now: str = NOW) -> dict[str, Any]:
        (row,) = [r for r in json.loads(ok(runner, "list-decks", "--json", now=now))]
        return dict(row)

    before = deck_row()
    assert (before["new"], before["buried"], before["suspended"]) == (4, 0, 0)
    ok(runner, "suspend", "d/a")
    ok(runner, "bury", "d/c")
    row = deck_row()
    assert (row["cards"], row["new"], row["buried"], row["suspended"]) == (4, 2, 1, 1)
    # a review card due today, then suspended: neither due nor learning any more
    ok(runner, "study", input="\n4\nq\n")  # Easy on b: a review card
    ok(runner, "suspend", "d/b")
    later = "2026-12-30T10:00:00+01:00"  # long after b's interval; c's bury is over
    row = deck_row(now=later)
    assert (row["new"], row["due"], row["learning"]) == (2, 0, 0)
    assert (row["buried"], row["suspended"]) == (0, 2)
    ok(runner, "unsuspend", "d/b", now=later)
    row = deck_row(now=later)
    assert (row["due"], row["suspended"]) == (1, 1)
    table = ok(runner, "list-decks", now=later)
    assert "Suspended" in table or "suspended 1" in table


@pytest.mark.parametrize(("key", "then"), [("@", "ab"), ("-", "ab"), ("!", "qc"), ("=", "qc")])
def test_a_card_set_aside_in_study_leaves_its_place_to_the_next_new_card(
    runner: CliRunner, store: str, decks: Path, key: str, then: str
) -> None:
    # As Anki rebuilds its queue after a bury or suspend: a new card set aside takes
    # no place among the day's new cards, so the next one comes in its stead.
    text = DECK.replace("name: D\n", "name: D\noptions: {new_per_day: 2, bury_siblings: false}\n")
    (decks / "d.yaml").write_text(text)
    out = ok(runner, "study", input=f"\n4\n{key}\n\n3\nq\n")  # Easy on qa, then qb aside
    assert shown(out) == ["qa", "qb", then]
    assert "Answered 2 cards" in out


def test_a_tag_chooses_its_child_tags_and_a_star_any_text_as_in_anki() -> None:
    from flashcards.tags import TagFilter

    chosen = TagFilter.parse(["lang"])
    assert chosen.matches({"lang::greek"}) and chosen.matches({"lang"})
    assert not chosen.matches({"language"}) and not chosen.matches({"other::lang"})
    assert TagFilter.parse(["lang::*k"]).matches({"lang::greek"})
    assert not TagFilter.parse(["lang::*k"]).matches({"lang::latin"})
    assert not TagFilter.parse(["-lang"]).matches({"lang::latin::verbs"})
    assert TagFilter.parse(["-lang::greek"]).matches({"lang::latin"})


@pytest.mark.parametrize(("key", "step"), [("@", "suspend"), ("-", "bury"), ("\n4", "answer")])
def test_the_end_screen_names_the_step_u_takes_back(
    runner: CliRunner, decks: Path, key: str, step: str
) -> None:
    (decks / "d.yaml").write_text("name: D\ncards:\n  - {id: a, question: qa, answer: aa}\n")
    out = ok(runner, "study", input=f"{key}\nu\nq\n")
    _, found, after = out.partition("Done for now.")
    assert found and f"u undo the last {step} · any other key" in after
    assert "Undone." in after and not rows(runner)["a"]["suspended"]
    assert not rows(runner)["a"]["buried"] and rows(runner)["a"]["state"] == "new"


def test_a_card_held_back_by_its_sibling_shows_as_buried_and_unbury_says_why(
    runner: CliRunner, store: str
) -> None:
    ok(runner, "study", input="\n4\n\n4\nq\n")  # a, then b: b/reverse waits for tomorrow
    by_id = rows(runner)
    assert by_id["b/reverse"]["buried"] and by_id["b/reverse"]["state"] == "new"
    assert not by_id["c"]["buried"]
    assert any(
        line.split()[:1] == ["d/b/reverse"] and "buried" in line
        for line in ok(runner, "cards").splitlines()
    )
    said = ok(runner, "unbury", "d/b/reverse")
    assert "d/b/reverse waits for the next study day because a sibling was answered" in said
    assert not rows(runner, now=TOMORROW)["b/reverse"]["buried"]


def test_a_tag_no_card_has_says_so_and_promises_no_card_later(
    runner: CliRunner, store: str
) -> None:
    ok(runner, "study", input="\n4\n\n4\nq\n")  # a review card, and b/reverse held back
    out = ok(runner, "study", "--tag", "nosuch", input="q\n")
    assert "No card in these decks has the tags chosen." in out
    assert "Next card due" not in out and "sibling waits" not in out
    # chosen by tag, the held sibling is not counted for a card the tag leaves out
    latin = ok(runner, "study", "--tag", "latin", input="\n3\nq\n")
    assert set(shown(latin)) == {"qc"} and "sibling waits" not in latin


def test_forget_takes_a_new_card_out_of_suspension_as_anki_reset(
    runner: CliRunner, store: str
) -> None:
    ok(runner, "suspend", "d/a")
    ok(runner, "bury", "d/c")
    said = ok(runner, "forget", "d/a", "d/c", "d/b")
    assert "Forgot 2 cards." in said and "d/b is new already." in said
    by_id = rows(runner)
    assert not by_id["a"]["suspended"] and not by_id["c"]["buried"]
    assert by_id["a"]["state"] == by_id["c"]["state"] == "new"


def test_cards_due_leaves_out_cards_set_aside_as_ankis_is_due(
    runner: CliRunner, store: str
) -> None:
    ok(runner, "study", input="\n4\n\n4\n\n4\nq\n")  # a, b and c: review cards
    later = "2026-12-30T10:00:00+01:00"
    assert {"a", "b", "c"} <= set(rows(runner, "--due", now=later))
    ok(runner, "suspend", "d/a", now=later)
    ok(runner, "bury", "d/c", now=later)
    assert set(rows(runner, "--due", now=later)) == {"b"}


def test_stats_count_no_card_set_aside_as_due(runner: CliRunner, store: str) -> None:
    ok(runner, "study", input="\n4\n\n4\nq\n")  # Easy on a and b: two review cards
    later = "2026-12-30T10:00:00+01:00"  # long after their intervals

    def figures() -> tuple[int, int, int, int, int]:
        data = json.loads(ok(runner, "stats", "--json", now=later))
        total = data["total"]
        return (
            total["due_now"],
            total["due_today"],
            total["due_7_days"],
            total["suspended"],
            sum(day["due"] for day in data["charts"]["forecast"]),
        )

    assert figures() == (2, 2, 2, 0, 2)
    ok(runner, "suspend", "d/a", now=later)
    assert figures() == (1, 1, 1, 1, 1)  # never due, in no forecast
    ok(runner, "bury", "d/b", now=later)
    assert figures() == (0, 0, 1, 1, 1)  # back the next study day, within 7 days
    assert "1 suspended, never due" in ok(runner, "stats", now=later)


def test_a_forget_with_the_clock_behind_the_last_answer_stands_after_a_replay(
    runner: CliRunner, decks: Path, tmp_path: Path
) -> None:
    ok(runner, "study", input="\n4\nq\n")  # a answered at 10:00
    ok(runner, "forget", "d/a", now="2026-11-23T09:00:00+01:00")  # a clock an hour behind
    assert rows(runner)["a"]["state"] == "new"
    history = tmp_path / "history.jsonl"
    ok(runner, "progress", "export", "--out", str(history))
    other = f"json:{tmp_path / 'other'}"
    ok(runner, "progress", "import", str(history), "--store", other)
    replayed = json.loads(ok(runner, "cards", "--json", "--store", other))
    assert {row["id"]: row["state"] for row in replayed}["a"] == "new"
