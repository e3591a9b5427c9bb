"""The study screen as a terminal shows it: every character of a card, long cards paged
with the header and the keys kept in sight, redraws, current counts, fresh messages."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from flashcards.catalog import open_catalog
from flashcards.decks import parse_deck
from flashcards.session import StudySession
from flashcards.stores.jsonstore import JsonStore
from flashcards.text import safe_text
from flashcards.ui import StudyScreen

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

#: Text that Markdown, the terminal or rich would eat, hide or obey.
NASTY = [
    "<p>",
    "List<String> names",
    "Map<String, List<Integer>> and a <br> and </div>",
    '<div class="note">kept</div>',
    "<script>alert(1)</script>",
    "a <b>bold</b> c <!-- comment -->",
    "&amp; &lt;tag&gt; &#42; &copy; &nbsp;",
    "C:\\Users\\me\\new_folder\\*.txt",
    "\\*not emphasis\\* and \\_ \\# \\[x\\] \\` \\\\ \\<p\\>",
    "ends with a backslash \\",
    "2*3*4 = 24 and a * b * c",
    "__init__ and __main__ and _private and snake_case_name",
    "*args, **kwargs",
    "~/.bashrc ~user a~b",
    "<https://example.com/path>",
    "[red]X[/red] [bold]b[/bold] [link=https://x]y[/link] [^1]",
    "ESC \x1b[31mred\x1b[0m OSC52 \x1b]52;c;aGVsbG8=\x07 OSC8 \x1b]8;;http://x\x1b\\t\x1b]8;;\x1b\\",
    "bell\x07 backspace\x08 C1\x9b31m DEL\x7f NUL\x00 CR\r tab\tend",
    "bidi a\u202edcba\u202c and isolate \u2067x\u2069",
    "emoji 👩‍💻 👍🏽 🏳️‍🌈 👨‍👩‍👧‍👦 🇫🇷 ❤️ 1️⃣ 🧑🏿‍🦰",
    "CJK 漢字かなカナ 한국어 全角ＡＢＣ",
    "RTL שלום עולם مرحبا بالعالم mixed עברית123",  # noqa: RUF001
    "combining e\u0301 n\u0303 and zero\u200bwidth",
    "a very long technical line " + "x" * 150 + " then words",
]


def yaml_string(text: str) -> str:
    """``text`` as a double-quoted YAML scalar that is pure printable ASCII."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif " " <= char <= "~":
            out.append(char)
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def deck_file(folder: Path, answers: list[str], options: str = "") -> Path:
    folder.mkdir(exist_ok=True)
    cards = "".join(
        f"  - id: c{i}\n    question: Question {i}\n    answer: {yaml_string(a)}\n"
        for i, a in enumerate(answers)
    )
    path = folder / "nasty.yaml"
    path.write_text(f"name: Nasty\n{options}cards:\n{cards}", encoding="ascii")
    return path


class ScriptedKeys:
    """Keys pressed one after another; ``eof`` once they run out. ``before`` is called
    with each key about to be returned (to resize the terminal, say)."""

    def __init__(self, keys: list[str], before=None) -> None:
        self.keys = list(keys)
        self.before = before

    def read(self) -> str:
        key = self.keys.pop(0) if self.keys else "eof"
        if self.before is not None:
            self.before(key)
        return key


def terminal(width: int = 60, height: int = 200) -> Console:
    return Console(
        file=io.StringIO(),
        force_terminal=True,
        width=width,
        height=height,
        color_system=None,
        legacy_windows=False,
    )


def screens(console: Console) -> list[str]:
    """Each screen drawn (the output between two clears), without styles."""
    output = console.file.getvalue()  # type: ignore[attr-defined]
    return [_ANSI.sub("", part) for part in output.split("\x1b[2J")[1:]]


def study(
    tmp_path: Path, answers: list[str], keys: list[str], options: str = "", **size: int
) -> tuple[Console, StudySession]:
    catalog = open_catalog([deck_file(tmp_path / "decks", answers, options)], None)
    session = StudySession(JsonStore(tmp_path / "store"), catalog, [], NOW)
    console = terminal(**size)
    screen = StudyScreen(session, console, ScriptedKeys(keys), lambda: NOW)  # type: ignore[arg-type]
    screen.run()
    return console, session


def card_lines(screen: str) -> list[str]:
    """The lines inside the card's border."""
    return [line for line in screen.splitlines() if line.startswith("│")]


def answer_text(screen: str) -> str:
    inside = [line[1:-1] for line in card_lines(screen)]
    separator = next(i for i, line in enumerate(inside) if line.strip() == "─" * 20)
    return "\n".join(inside[separator + 1 :])


def visible(text: str) -> list[str]:
    return [char for char in text if not char.isspace()]


@pytest.mark.parametrize("markdown", [True, False], ids=["markdown", "markdown-false"])
@pytest.mark.parametrize("bold", [False, True], ids=["alone", "with-bold"])
@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_every_visible_character_of_a_card_reaches_the_screen(
    tmp_path: Path, text: str, bold: bool, markdown: bool
) -> None:
    # With a **bold** word after it, the text surely goes through the Markdown renderer
    # (alone, plain text may skip it), where only the two pairs of stars are formatting.
    answer = text + "\n\n**bold**" if bold else text
    options = "" if markdown else "markdown: false\n"
    console, _ = study(tmp_path, [answer], ["space", "q"], options)
    revealed = screens(console)[-1]
    expected = visible(safe_text(text)) + visible("bold" if markdown else "**bold**") * bold
    assert visible(answer_text(revealed)) == expected
    # nothing that would drive the terminal got through
    output = console.file.getvalue()  # type: ignore[attr-defined]
    for sequence in ("\x1b]", "\x07", "\x9b", "\x08", "\x00", "\u202e", "\u2067"):
        assert sequence not in output
    # and the border stays straight, wide characters and emoji sequences included
    widths = {cell_len(line) for line in revealed.splitlines() if line[:1] in "│╭╰"}
    assert widths == {60}


def test_emoji_sequences_are_measured_as_one_glyph() -> None:
    # rich measures grapheme clusters (rich >= 14): a ZWJ sequence or a skin tone is
    # two cells, as terminals draw it, so the card's right border stays in place.
    for emoji in ("👩‍💻", "👍🏽", "🏳️‍🌈", "👨‍👩‍👧‍👦", "🇫🇷"):
        assert cell_len(emoji) == 2, emoji
    assert cell_len("漢字") == 4 and cell_len("e\u0301") == 1


def test_links_show_their_address_and_markdown_still_formats(tmp_path: Path) -> None:
    answers = [
        "See [the docs](https://example.com/a_b?c=1&d=2) and ![diagram](img/flow.png)",
        "- first\n- second\n\n1. one\n2. two\n\nUse **bold**, *emphasis* and `code`",
        "first line\nsecond line",
    ]
    console, _ = study(tmp_path, answers, ["space", "3", "space", "3", "space", "3", "q"])
    shown = [answer_text(screen) for screen in screens(console)[1::2]]
    words = " ".join(shown[0].split())
    assert "See the docs (https://example.com/a_b?c=1&d=2) and diagram (img/flow.png)" in words
    lines = [line.strip() for line in shown[1].splitlines()]
    assert {"• first", "• second", "1. one", "2. two"} <= set(lines)
    assert "Use bold, emphasis and code" in lines
    assert [line.strip() for line in shown[2].splitlines()] == ["first line", "second line"]


def test_markdown_false_shows_the_text_exactly_as_written(tmp_path: Path) -> None:
    text = "- not a list\n**not bold** [not](a link) `not code`\n    indented"
    console, _ = study(tmp_path, [text], ["space", "q"], "markdown: false\n")
    lines = answer_text(screens(console)[-1]).splitlines()
    assert [line.rstrip() for line in lines] == [" " + line for line in text.splitlines()]


def test_markdown_can_be_switched_off_for_one_card(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(
        "name: D\nmarkdown: false\ncards:\n"
        "  - {id: a, question: q, answer: '**a**'}\n"
        "  - {id: b, question: q, answer: '**b**', markdown: true}\n"
    )
    deck = parse_deck(path, path.read_bytes())
    assert [card.markdown for card in deck.cards] == [False, True]
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: D\ncards:\n  - {question: q, answer: a, markdown: maybe}\n")
    with pytest.raises(Exception, match=r"bad.yaml:3: `markdown` must be true or false"):
        parse_deck(bad, bad.read_bytes())


def test_markdown_false_survives_the_deck_cache(tmp_path: Path) -> None:
    deck_file(tmp_path / "decks", ["**x**"], "markdown: false\n")
    cache = tmp_path / "cache"
    first = open_catalog([tmp_path / "decks"], cache)
    assert first.deck("nasty").cards[0].markdown is False
    again = open_catalog([tmp_path / "decks"], cache)  # now read from the cache
    assert again.deck("nasty").cards[0].markdown is False


LONG = "\n".join(f"line {i:02d} of a long answer" for i in range(40))


def test_a_long_card_pages_with_the_header_and_keys_in_sight(tmp_path: Path) -> None:
    keys = ["space", "pagedown", "down", "up", "pagedown", "pagedown", "pagedown", "space"]
    console, session = study(tmp_path, [LONG], [*keys, "q"], width=60, height=20)
    drawn = screens(console)
    for screen in drawn:
        lines = screen.split("\nAnswered ")[0].rstrip("\n").splitlines()  # not the summary
        assert len(lines) <= 19  # never scrolls the screen: the header stays on top
        assert lines[0].startswith("Nasty") and "New " in lines[0]
        assert "q quit" in lines[-1]
    revealed = drawn[1]
    assert "↓" in revealed and "more below" in revealed
    assert "Question 0" in revealed and "line 00" in revealed and "line 39" not in revealed
    assert "Space/PgDn more" in revealed and "Enter Good" in revealed
    # paging moves through the card, one line kept from the page before
    first_page = [line for line in card_lines(drawn[1]) if "line " in line]
    second_page = [line for line in card_lines(drawn[2]) if "line " in line]
    assert second_page[0] == first_page[-1]
    # a page of 12 (20 lines less the header, the border, three lines of keys with the
    # keys that set a card aside, and the line the cursor rests on), one kept
    assert "↑ 11 lines above" in drawn[2]
    # down then up: one line on and back again
    assert card_lines(drawn[4]) == card_lines(drawn[2])
    end = drawn[-2]
    assert "line 39" in end and "more below" not in end
    assert "Space/Enter Good" in end
    # Space paged while there was more below, and answered Good only at the end
    assert session.summary.answered == 1
    (review,) = list(session.store.reviews())
    assert review.rating == 3


def test_enter_reveals_and_answers_without_paging(tmp_path: Path) -> None:
    console, session = study(tmp_path, [LONG], ["enter", "enter", "q"], width=60, height=20)
    assert len(screens(console)) >= 2 and "more below" in screens(console)[1]
    (review,) = list(session.store.reviews())
    assert review.rating == 3


def test_a_resize_redraws_the_screen_at_the_new_size(tmp_path: Path) -> None:
    catalog = open_catalog([deck_file(tmp_path / "decks", ["short answer"])], None)
    session = StudySession(JsonStore(tmp_path / "store"), catalog, [], NOW)
    console = terminal(width=60, height=30)

    def resize(key: str) -> None:
        if key == "redraw":
            console.size = (40, 30)

    keys = ScriptedKeys(["space", "redraw", "q"], before=resize)
    StudyScreen(session, console, keys, lambda: NOW).run()  # type: ignore[arg-type]
    before, after = screens(console)[-2:]
    assert "╭" + "─" * 58 + "╮" in before
    assert "╭" + "─" * 38 + "╮" in after
    assert "short answer" in after and "Good" in after


def test_counts_are_current_after_the_last_answer(tmp_path: Path) -> None:
    console, _ = study(tmp_path, ["a", "b"], ["space", "4", "space", "4", "q"])
    drawn = screens(console)
    assert "New 2 · Learning 0 · Review 0" in drawn[0]
    assert "New 1 · Learning 0 · Review 0" in drawn[2]
    done = drawn[-1]
    assert "Done for now." in done
    assert done.splitlines()[0] == "Nasty   New 0 · Learning 0 · Review 0"


def test_messages_stay_with_their_screen_and_go_with_the_next(tmp_path: Path) -> None:
    console, _ = study(tmp_path, ["a", "b"], ["u", "redraw", "space", "3", "u", "q"])
    drawn = screens(console)
    nothing = "Nothing to undo in this session."
    assert nothing not in drawn[0]
    assert nothing in drawn[1]  # said under the question
    assert nothing in drawn[2]  # still there when the same screen is drawn again
    assert all(nothing not in screen for screen in drawn[3:])  # gone with the next one
    assert "Undone." in drawn[-1] and "Question 0" in drawn[-1]


def test_a_narrow_terminal_keeps_buttons_and_counts_whole(tmp_path: Path) -> None:
    console, _ = study(tmp_path, ["answer"], ["space", "q"], width=32, height=30)
    revealed = screens(console)[-1].splitlines()
    assert "Nasty" in revealed[0] and revealed[1] == "New 1 · Learning 0 · Review 0"
    buttons = [line for line in revealed if "Again" in line or "Easy" in line]
    for name in ("1  Again 1m", "2  Hard 6m", "3  Good 10m", "4  Easy"):
        assert any(name in line for line in buttons), name
    assert all(cell_len(line) <= 32 for line in revealed)


def test_the_keys_that_set_a_card_aside_fit_forty_columns(tmp_path: Path) -> None:
    console, _ = study(tmp_path, ["answer"], ["space", "q"], width=40, height=30)
    question, revealed = screens(console)[:2]
    for screen in (question, revealed):
        lines = screen.split("\nAnswered ")[0].rstrip("\n").splitlines()  # not the summary
        assert all(cell_len(line) <= 40 for line in lines)
        hints = " · ".join(line for line in lines if "·" in line and "Learning" not in line)
        for hint in ("- bury", "@ suspend", "=/! with siblings", "f forget", "e edit", "u undo"):
            assert hint in hints, hint
        assert lines[-1].endswith("q quit")


@pytest.mark.parametrize(("width", "height"), [(40, 12), (40, 11), (80, 8)])
def test_a_small_terminal_keeps_the_header_in_sight(
    tmp_path: Path, width: int, height: int
) -> None:
    # the keys take more lines at 40 columns: the card gets what is left, even one line
    console, _ = study(tmp_path, [LONG], ["space", "pagedown", "q"], width=width, height=height)
    for screen in screens(console):
        lines = screen.split("\nAnswered ")[0].rstrip("\n").splitlines()
        assert len(lines) <= height - 1, screen  # the cursor's line would scroll one more
        assert lines[0].startswith("Nasty") and "New " in lines[0]


@pytest.mark.parametrize("width", [30, 40])
def test_the_more_below_mark_is_never_cut(tmp_path: Path, width: int) -> None:
    console, _ = study(tmp_path, [LONG], ["space", "pagedown", "q"], width=width, height=20)
    for screen in screens(console)[1:3]:
        bottom = next(line for line in screen.splitlines() if line.startswith("╰"))
        assert "↓" in bottom, screen
        label = bottom.strip("╰╯─ ")
        assert label.endswith(("Space/PgDn", ")")), bottom  # whole, not "Space/PgD"
        assert re.search(r"\(\d+ lines?\)", label), bottom
