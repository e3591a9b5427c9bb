"""The study screen's keys for setting cards aside, forgetting, leeches and editing, in
a real pseudo-terminal with the installed command."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pexpect
import pytest
from test_pty import flashcards_command, spawn

pytestmark = pytest.mark.pty

NOW = "2026-11-23T10:00:00+01:00"
EARLIER = "2026-11-01T10:00:00+01:00"
DECK = """\
name: D
cards:
  - {id: a, question: qa, answer: aa}
  - {id: b, question: qb, answer: ab, reverse: true}
  - {id: c, question: qc, answer: ac}
"""


@pytest.fixture
def env(isolated_home: Path, tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "d.yaml").write_text(DECK)
    variables = dict(os.environ)
    variables.update(
        {
            "FLASHCARDS_HOME": str(isolated_home),
            "FLASHCARDS_DECKS": str(folder),
            "FLASHCARDS_NOW": NOW,
            "TERM": "xterm-256color",
        }
    )
    for name in ("NO_COLOR", "COLUMNS", "LINES", "VISUAL", "EDITOR"):
        variables.pop(name, None)
    return variables


def deck_file(env: dict[str, str]) -> Path:
    return Path(env["FLASHCARDS_DECKS"]) / "d.yaml"


def cards(env: dict[str, str], now: str = NOW) -> dict[str, dict[str, Any]]:
    result = subprocess.run(
        [*flashcards_command(), "cards", "--json"],
        env={**env, "FLASHCARDS_NOW": now},
        capture_output=True,
        text=True,
        check=True,
    )
    return {row["id"]: row for row in json.loads(result.stdout)}


def study_piped(env: dict[str, str], keys: str, now: str) -> None:
    """A session with keys from a pipe (one a line), at ``now``."""
    subprocess.run(
        [*flashcards_command(), "study"],
        env={**env, "FLASHCARDS_NOW": now},
        input=keys,
        capture_output=True,
        text=True,
        check=True,
    )


def finish(child: pexpect.spawn) -> None:
    child.send("q")
    child.expect("Answered")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def screen(child: pexpect.spawn, card: str, message: str) -> None:
    """The next screen shows ``card`` with ``message`` under it."""
    child.expect(f"{card}[^╭]*{message}")


def test_bury_and_suspend_keys_and_their_undo(env: dict[str, str]) -> None:
    child = spawn(["study"], env)
    child.expect("qa")
    child.expect("- bury")  # the keys are in the hint
    child.expect("@ suspend")
    child.send("-")
    screen(child, "qb", "Buried d/a until the next study day")
    assert cards(env)["a"]["buried"]
    child.send("u")
    screen(child, "qa", "Undone")
    assert not cards(env)["a"]["buried"]
    child.send("@")
    screen(child, "qb", "Suspended d/a")
    assert cards(env)["a"]["suspended"]
    child.send("u")
    screen(child, "qa", "Undone")
    assert not cards(env)["a"]["suspended"]
    child.send(" ")  # the answer side takes the keys too
    child.expect("aa")
    child.send("!")
    screen(child, "qb", "Suspended d/a")
    child.send("=")  # b and its reverse card
    screen(child, "qc", r"Buried d/b and 1 sibling until")
    finish(child)
    after = cards(env)
    assert after["a"]["suspended"] and not after["b"]["suspended"]
    assert after["b"]["buried"] and after["b/reverse"]["buried"] and not after["c"]["buried"]
    assert after["a"]["state"] == after["b"]["state"] == "new"  # nothing answered


def test_forget_key_and_its_undo(env: dict[str, str]) -> None:
    deck_file(env).write_text("name: D\ncards:\n  - {id: a, question: qa, answer: aa}\n")
    child = spawn(["study"], env)
    child.expect("qa")
    child.expect("q quit")
    child.send("f")
    screen(child, "qa", "d/a is new already")
    child.send(" ")
    child.expect("Good")
    child.send("3")  # learning: back within the learn-ahead limit
    child.expect("show answer")
    child.send("f")
    child.expect("Done for now")
    child.expect("Forgot d/a: it is new again")
    assert cards(env)["a"]["state"] == "new"
    child.send("u")
    screen(child, "qa", "Undone")
    finish(child)
    assert cards(env)["a"]["state"] == "learning"


def test_a_leech_is_said_on_the_screen_and_suspended(env: dict[str, str]) -> None:
    deck_file(env).write_text(
        "name: D\noptions: {leech_threshold: 1, leech_action: suspend}\n"
        "cards:\n  - {id: a, question: qa, answer: aa}\n"
    )
    study_piped(env, "\n4\nq\n", EARLIER)  # Easy: a review card, due by now
    child = spawn(["study"], env)
    child.expect("qa")
    child.send(" ")
    child.expect("Again")
    child.send("1")
    # suspended: it does not come back
    child.expect("Done for now[^╭]*Leech: d/a has lapsed 1 time; tagged leech and suspended")
    assert cards(env)["a"]["suspended"] and cards(env)["a"]["leech"]
    child.send("u")  # the answer and the suspend, together
    screen(child, "qa", "Undone")
    finish(child)
    after = cards(env)["a"]
    assert not after["suspended"] and after["lapses"] == 0 and after["state"] == "review"


EDITOR = """\
#!/bin/sh
# Edits the deck file (the last argument) the first time, breaks it the second; notes
# the terminal's settings each time.
for last; do :; done
stty -a > "$STTY_LOG.$(ls "$STTY_LOG".* 2>/dev/null | wc -l)"
if grep -q "qa edited" "$last"; then
  printf 'name: D\\ncards: [\\n' > "$last"
else
  sed -i 's/question: qa,/question: qa edited,/' "$last"
fi
"""


def test_e_edits_the_card_in_the_editor_and_shows_it_again(
    env: dict[str, str], tmp_path: Path
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text(EDITOR)
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "stty"
    env = {**env, "EDITOR": str(editor), "STTY_LOG": str(log)}
    child = spawn(["study"], env)
    child.expect("qa")
    child.expect("e edit")
    child.send(" ")
    child.expect("aa")
    child.send("e")
    child.expect("qa edited")  # the card again, from the deck read afresh
    child.expect("show answer")
    child.send(" ")  # single keys are back
    child.expect("aa")
    child.send("e")  # this time the editor leaves the deck invalid
    screen(child, "qa edited", "the deck as it was before is used")
    child.send(" ")
    child.expect("Good")
    child.send("3")  # the answer is kept for the card, matched by id
    child.expect("qb")
    finish(child)
    settings = [(tmp_path / f"stty.{i}").read_text() for i in range(2)]
    # the editor had the terminal as the shell has it, not in single-key mode
    assert all(" icanon" in s and " echo" in s for s in settings)
    deck_file(env).write_text(DECK.replace("question: qa,", "question: qa edited,"))
    assert cards(env)["a"]["reps"] == 1 and cards(env)["a"]["question"] == "qa edited"


def test_e_on_a_built_in_deck_says_how_to_make_it_yours_and_starts_no_editor(
    env: dict[str, str], tmp_path: Path
) -> None:
    started = tmp_path / "started"
    editor = tmp_path / "editor.sh"
    editor.write_text(f"#!/bin/sh\ntouch {started}\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    env = {**env, "EDITOR": str(editor)}
    env.pop("FLASHCARDS_DECKS")
    child = spawn(["study", "dynamoose"], env)
    child.expect("Dynamoose")
    child.expect("e edit")
    child.send("e")
    screen(child, "What is Dynamoose", "dynamoose is a built-in deck and is not edited")
    finish(child)
    assert not started.exists()


def test_e_with_an_editor_that_fails_then_one_that_takes_the_card_out(
    env: dict[str, str], tmp_path: Path
) -> None:
    editor = tmp_path / "editor.sh"
    # the first time the editor fails; the second it takes card a out of the deck
    editor.write_text(
        "#!/bin/sh\nfor last; do :; done\n"
        f"if [ ! -e {tmp_path}/failed ]; then touch {tmp_path}/failed; exit 3; fi\n"
        "sed -i '/id: a,/d' \"$last\"\n"
    )
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    child = spawn(["study"], {**env, "EDITOR": str(editor)})
    child.expect("qa")
    child.expect("e edit")
    child.send("e")
    screen(child, "qa", "exited with status 3 — the deck as it was before is used")
    child.send("e")
    screen(child, "qb", "d/a is no longer in its deck; on to the next card")
    finish(child)
    assert "a" not in cards(env)


def test_e_on_an_imported_deck_points_to_its_notes_and_starts_no_editor(
    env: dict[str, str], tmp_path: Path
) -> None:
    # the next import of the notes would undo an edit made here, without a word
    started = tmp_path / "started"
    editor = tmp_path / "editor.sh"
    editor.write_text(f"#!/bin/sh\ntouch {started}\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    notes = tmp_path / "greek.md"
    notes.write_text("# Greek\n\nQ: First letter?\nA: alpha\n")
    subprocess.run([*flashcards_command(), "import", str(notes)], env=env, check=True)
    env = {**env, "EDITOR": str(editor)}
    env.pop("FLASHCARDS_DECKS")
    deck = Path(env["FLASHCARDS_HOME"]) / "decks" / "greek.yaml"
    before = deck.read_bytes()
    child = spawn(["study", "greek"], env)
    child.expect("First letter")
    child.expect("e edit")
    child.send("e")
    screen(child, "First letter", "greek is made by `flashcards import` from greek.md")
    finish(child)
    assert not started.exists()
    assert deck.read_bytes() == before
