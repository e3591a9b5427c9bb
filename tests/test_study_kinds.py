"""The study screen with reversed, cloze and typed-answer cards: what each side shows,
typing with a real line editor (in a terminal) or a line of input (from a pipe), the
comparison, and the key hint that suggests Good."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_screen import ScriptedKeys, screens, terminal

from flashcards.catalog import open_catalog
from flashcards.lineedit import LineEditor
from flashcards.session import StudySession
from flashcards.stores.jsonstore import JsonStore
from flashcards.ui import Keys, StudyScreen

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

DECK = """\
name: Kinds
bury_siblings: false
cards:
  - id: tls
    cloze: "{{c1::TLS}} runs on top of **{{c2::TCP::a protocol}}**"
    extra: See RFC 8446.
  - id: dynamodb-what-is
    question: What is DynamoDB?
    answer: Amazon's NoSQL database service
    reverse: true
  - id: port
    question: Which port does HTTPS use?
    answer: "443"
    typed: true
"""

UNTYPED = DECK.split("  - id: port")[0]


class TypingKeys(ScriptedKeys):
    """Keys from a terminal: raw reads give characters as typed."""

    interactive = True

    def read(self, raw: bool = False) -> str:
        key = super().read()
        return key if raw or len(key) != 1 else key.lower()


class LineKeys(ScriptedKeys):
    """Keys from a pipe: one per line, and a whole line for a typed answer."""

    interactive = False

    def read_line(self) -> str | None:
        key = self.keys.pop(0) if self.keys else None
        return None if key == "eof" else key


def study(
    tmp_path: Path, keys: ScriptedKeys, deck: str = DECK, **size: int
) -> tuple[list[str], StudySession]:
    folder = tmp_path / "decks"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kinds.yaml").write_text(deck, encoding="utf-8")
    session = StudySession(JsonStore(tmp_path / "store"), open_catalog([folder], None), [], NOW)
    console = terminal(**size)
    StudyScreen(session, console, keys, lambda: NOW).run()  # type: ignore[arg-type]
    return screens(console), session


def typed_lines(screen: str) -> list[str]:
    """Each drawing of the answer being typed (redrawn in place on every key)."""
    line = next(line for line in screen.splitlines() if line.startswith("> "))
    return ["> " + drawn for drawn in line.split("> ")[1:]]


def inside(screen: str) -> list[str]:
    return [line[1:-1].strip() for line in screen.splitlines() if line.startswith("│")]


def test_a_cloze_question_and_its_answer(tmp_path: Path) -> None:
    drawn, _ = study(tmp_path, ScriptedKeys(["space", "3", "space", "3", "q"]), UNTYPED)
    assert inside(drawn[0]) == ["[...] runs on top of TCP"]
    assert inside(drawn[1]) == [
        "[...] runs on top of TCP",
        "─" * 20,
        "TLS runs on top of TCP",
        "",
        "See RFC 8446.",
    ]
    assert inside(drawn[2]) == ["TLS runs on top of [a protocol]"]
    assert inside(drawn[3])[2] == "TLS runs on top of TCP"


def test_the_end_of_a_session_says_how_many_siblings_wait(tmp_path: Path) -> None:
    deck = UNTYPED.replace("bury_siblings: false\n", "")
    drawn, _ = study(tmp_path, ScriptedKeys(["space", "4", "space", "4", "q"]), deck)
    assert "Done for now." in drawn[-1]
    assert "2 siblings wait for the next study day." in drawn[-1]


def test_a_reversed_card_asks_the_answer(tmp_path: Path) -> None:
    keys = ["space", "3"] * 3 + ["space", "3", "q"]
    drawn, session = study(tmp_path, ScriptedKeys(keys), UNTYPED)
    assert inside(drawn[4]) == ["What is DynamoDB?"]
    assert inside(drawn[7]) == [
        "Amazon's NoSQL database service",
        "─" * 20,
        "What is DynamoDB?",
    ]
    cards = [review.card for review in session.store.reviews()]
    assert cards == ["tls/c1", "tls/c2", "dynamodb-what-is", "dynamodb-what-is/reverse"]


TYPED = "name: T\ncards:\n  - {id: port, question: Which port?, answer: '443', typed: true}\n"


def test_typing_in_a_terminal_with_the_line_editor(tmp_path: Path) -> None:
    keys = ["4", "x", "3", "left", "backspace", "4", "home", "delete", "right", "end", "enter"]
    drawn, session = study(tmp_path, TypingKeys([*keys, "3", "q"]), TYPED)
    assert "Type the answer:" in drawn[0] and "Enter check" in drawn[0]
    assert "Esc skip" in drawn[0] and "Ctrl-U clear" in drawn[0]
    assert "q quit" not in drawn[0]  # q is a letter to type
    assert typed_lines(drawn[0])[-1] == "> 43"  # what was typed, redrawn on its line
    revealed = drawn[1]
    assert inside(revealed) == ["Which port?", "─" * 20, "-43", "↓", "443"]
    assert "✗ typed answer differs" in revealed and "Space/Enter Good" in revealed
    (review,) = list(session.store.reviews())
    assert review.rating == 3


def test_the_hint_suggests_good_when_the_answer_matches(tmp_path: Path) -> None:
    keys = [*" 443 ", "enter", "enter", "q"]
    drawn, session = study(tmp_path, TypingKeys(keys), TYPED)
    revealed = drawn[1]
    assert inside(revealed)[2:] == ["443", "↓", "443"]  # the spaces typed are marked
    assert "✓ typed answer matches: Space/Enter Good" in revealed
    assert [r.rating for r in session.store.reviews()] == [3]
    drawn, _ = study(tmp_path / "again", TypingKeys([*"443", "enter", "q"]), TYPED)
    assert inside(drawn[1])[2:] == ["443"]
    assert "✓ typed answer matches" in drawn[1]


def test_ctrl_u_clears_and_escape_skips_typing(tmp_path: Path) -> None:
    keys = ["9", "9", "ctrl-u", "escape", "1", "q"]
    drawn, session = study(tmp_path, TypingKeys(keys), TYPED)
    revealed = drawn[1]
    assert inside(revealed) == ["Which port?", "─" * 20, "443"]  # no comparison
    assert "typed answer" not in revealed
    assert [r.rating for r in session.store.reviews()] == [1]


def test_ctrl_d_on_an_empty_line_quits(tmp_path: Path) -> None:
    drawn, session = study(tmp_path, TypingKeys(["4", "left", "ctrl-d", "ctrl-d", "q"]), TYPED)
    assert session.summary.answered == 0 and len(drawn) == 1


def test_a_resize_while_typing_keeps_the_text(tmp_path: Path) -> None:
    drawn, _ = study(tmp_path, TypingKeys(["4", "4", "redraw", "3", "q"]), TYPED)
    assert typed_lines(drawn[0]) == ["> ", "> 4", "> 44"]
    assert typed_lines(drawn[1])[:2] == ["> 44", "> 443"]  # drawn again, the text kept


def test_a_line_of_input_is_the_typed_answer(tmp_path: Path) -> None:
    drawn, session = study(tmp_path, LineKeys(["Q 443", "1", "q"]), TYPED)
    assert "Type the answer on one line, then Enter." in drawn[0]
    assert "q quit" not in drawn[0]
    assert inside(drawn[1])[2:] == ["Q 443", "↓", "443"]
    assert [r.rating for r in session.store.reviews()] == [1]


def test_typed_cloze_and_reverse_cards_expect_their_own_answer(tmp_path: Path) -> None:
    deck = (
        "name: T\ntyped: true\nbury_siblings: false\ncards:\n"
        "  - {id: c, cloze: '{{c1::TLS}} on {{c1::TCP}}', extra: more}\n"
        "  - {id: r, question: 'What is **S3**?', answer: storage, reverse: true}\n"
    )
    keys = [*"TLS, TCP", "enter", "3", *"storage", "enter", "3", *"what is s3?", "enter", "q"]
    drawn, _ = study(tmp_path, TypingKeys(keys), deck)
    assert inside(drawn[1])[2:] == ["TLS on TCP", "", "TLS, TCP", "", "more"]
    assert "✓ typed answer matches" in drawn[1]
    reverse = drawn[5]
    assert inside(reverse)[0] == "storage"
    assert "✓ typed answer matches" in reverse  # case and the Markdown markup ignored


def test_a_long_typed_answer_scrolls_sideways(tmp_path: Path) -> None:
    keys = list("abcdefghij" * 5)
    drawn, _ = study(tmp_path, TypingKeys([*keys, "redraw", "q"]), TYPED, width=30)
    shown = typed_lines(drawn[-1])[0]  # as the redraw after the last key shows it
    assert shown.endswith("abcdefghij") and len(shown) == 28  # and the cursor after it


# --- the line editor and the terminal keys ---------------------------------------------------


def test_line_editor_keys() -> None:
    editor = LineEditor()
    for key in [*"hello world", "ctrl-w", *"there", "home", "right", "delete", "ctrl-k"]:
        editor.press(key)
    assert (editor.text, editor.cursor) == ("h", 1)
    assert not editor.press("\x1b") and not editor.press("pagedown")
    for key in ["end", *"i there", "left", "left", "ctrl-u"]:
        editor.press(key)
    assert (editor.text, editor.cursor) == ("re", 0)
    editor.press("backspace")  # at the start: nothing
    assert editor.text == "re"


def test_line_editor_window_keeps_the_cursor_in_sight() -> None:
    editor = LineEditor("0123456789")
    assert editor.window(5) == ("6789", 4)
    editor.press("home")
    assert editor.window(5) == ("01234", 0)
    wide = LineEditor("漢字漢字")
    shown, column = wide.window(5)
    assert shown == "字漢" or column < 5


@pytest.fixture
def pty_keys() -> Iterator[tuple[Keys, int]]:
    master, slave = os.openpty()
    stream = io.TextIOWrapper(io.FileIO(slave, "r+"), encoding="utf-8")
    with Keys(stream) as keys:
        yield keys, master
    stream.close()
    os.close(master)


def test_keys_in_a_terminal_give_raw_characters_for_typing(pty_keys: tuple[Keys, int]) -> None:
    keys, master = pty_keys
    os.write(master, "Ab é\x1b[D\x1b[C\x1b[3~\x7f\x15\x17\x0b\x1b\r\x04\x07".encode())
    got = [keys.read(raw=True) for _ in range(15)]
    assert got == [
        "A",
        "b",
        " ",
        "é",
        "left",
        "right",
        "delete",
        "backspace",
        "ctrl-u",
        "ctrl-w",
        "ctrl-k",
        "escape",
        "enter",
        "ctrl-d",
        "",
    ]
    os.write(master, b"A\x1b[D ")
    assert [keys.read() for _ in range(3)] == ["a", "left", "space"]


def test_keys_from_a_pipe_read_a_whole_line() -> None:
    keys = Keys(io.StringIO("TLS 1.3\r\n\n"))
    assert keys.read_line() == "TLS 1.3"
    assert keys.read_line() == ""
    assert keys.read_line() is None
