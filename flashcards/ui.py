"""The study screen: rich rendering and single-key input. Decides nothing about scheduling."""

from __future__ import annotations

import io
import os
import re
import sys
import time
from collections.abc import Callable, Collection
from datetime import datetime
from types import TracebackType
from typing import IO, Any

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from flashcards.errors import StoreError
from flashcards.intervals import interval_label, span_label
from flashcards.model import Card
from flashcards.scheduling import RATINGS
from flashcards.session import StudySession, Summary, describe_wait
from flashcards.text import safe_text

RATING_KEYS = {"1": 1, "2": 2, "3": 3, "4": 4}
REVEAL_KEYS = ("space", "enter")


# Anything that could be Markdown syntax: list items, headings, quotes, fences,
# emphasis, code, links, HTML, tables, escapes.
_MARKDOWN = re.compile(r"(^|\n)\s*([-*+]\s|\d+[.)]\s|#|>|```|~~~|\|)|[*_`\[<\\]")


def markdown(text: str) -> RenderableType:
    """Card text as Markdown. Plain prose needs no parser: the Markdown renderer (and
    the parser it imports, ~40 ms) is loaded only for text that could use it."""
    if not _MARKDOWN.search(text):
        return Text(text)
    from rich.markdown import Markdown

    return Markdown(text)


class Keys:
    """Single keystrokes from a terminal, or one key per line from a pipe."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        # With standard input closed (``<&-``) there is nothing to read: end of input.
        self.stream: IO[str] = stream or sys.stdin or io.StringIO("")
        self.interactive = self.stream.isatty()
        self._saved: list[Any] | None = None
        self._pending = ""

    def __enter__(self) -> Keys:
        if self.interactive:
            import termios
            import tty

            fd = self.stream.fileno()
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self._saved)
            self._saved = None

    def read(self) -> str:
        """``enter``, ``space``, ``eof`` or the key's character (lower-cased)."""
        if self.interactive:
            if not self._pending:
                self._pending = os.read(self.stream.fileno(), 64).decode(errors="replace")
                if not self._pending:
                    return "eof"
            if self._pending.startswith("\x1b"):
                self._pending = ""  # arrow keys and the like arrive whole: drop them
                return "escape"
            char, self._pending = self._pending[0], self._pending[1:]
        else:
            line = self.stream.readline()
            if not line:
                return "eof"
            char = line.strip()[:1] or "\n"
        if char in "\r\n":
            return "enter"
        if char == " ":
            return "space"
        if char == "\x04":
            return "eof"
        return char.lower()


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


class StudyScreen:
    """Runs the question / answer loop of a session on a console."""

    def __init__(
        self,
        session: StudySession,
        console: Console,
        keys: Keys,
        clock: Callable[[], datetime],
        on_first_card: Callable[[], None] | None = None,
    ) -> None:
        self.session = session
        self.on_first_card = on_first_card
        self.console = console
        self.keys = keys
        self.clock = clock
        self.started = time.monotonic()
        # Messages for the learner wait here and are printed under the next screen,
        # so that clearing the screen for a card never wipes them unread.
        self._messages: list[Text] = []

    def say(self, text: str, style: str = "yellow") -> None:
        self._messages.append(Text(text, style=style))

    def run(self) -> Summary:
        card = self.session.next_card(self.clock())
        if card is None:
            self._flush()
            self._nothing_due()
            return self.session.summary
        while card is not None:
            outcome = self._study(card)
            if outcome == "quit":
                break
            card = outcome if isinstance(outcome, Card) else self.session.next_card(self.clock())
            if card is None:
                card = self._finished()
        self._flush()
        self.print_summary()
        return self.session.summary

    def _study(self, card: Card) -> Card | str | None:
        """Show one card and handle its keys: returns "quit", a card to show again
        (after an undo) or ``None`` when the card was answered."""
        self._show(card, revealed=False)
        shown = time.monotonic()
        if self.on_first_card is not None:
            first, self.on_first_card = self.on_first_card, None
            first()
        key = self._wait_for(REVEAL_KEYS)
        if key not in REVEAL_KEYS:
            return self._leave(key, card)
        now = self.clock()
        spans = self.session.button_seconds(card, now)
        self._show(
            card,
            revealed=True,
            labels={r: span_label(seconds) for r, seconds in spans.items()},
        )
        key = self._wait_for({*RATING_KEYS, *REVEAL_KEYS})
        if key not in RATING_KEYS and key not in REVEAL_KEYS:
            return self._leave(key, card)
        rating = RATING_KEYS.get(key, 3)  # Space/Enter on the answer is Good, as in Anki
        elapsed_ms = int((time.monotonic() - shown) * 1000)
        after = self.session.answer(card, rating, now, elapsed_ms)
        if self.session.recomputed:
            self.say(
                "That card was just answered in another session too; your answer was "
                f"applied after it: next due in {interval_label(after, now)}."
            )
        self._drain_notices()
        return None

    def _wait_for(self, keys: Collection[str]) -> str:
        """The next key among ``keys`` or a way out (q, Ctrl-D/end of input, u)."""
        while True:
            key = self.keys.read()
            if key in keys or key in ("q", "eof", "u"):
                return key

    def _leave(self, key: str, card: Card) -> Card | str:
        """Quit, or undo the last answer and return the card to show again."""
        if key == "u":
            return self._undo() or card
        return "quit"

    def _finished(self) -> Card | None:
        """Nothing left: say so, and still let the last answer be undone."""
        self._flush()
        self.console.print(Text("Done for now.", style="bold green"))
        self._next_due_line()
        if not self.session.can_undo():
            return None
        self.console.print(Text("u undo the last answer · any other key to finish", style="dim"))
        if self.keys.read() != "u":
            return None
        return self._undo()

    def _undo(self) -> Card | None:
        if not self.session.can_undo():
            self.say("Nothing to undo in this session.")
            return None
        try:
            card = self.session.undo()
        except StoreError as exc:
            self.say(str(exc), style="red")
            return None
        self._drain_notices()
        self.say("Undone.")
        return card

    def _show(self, card: Card, revealed: bool, labels: dict[int, str] | None = None) -> None:
        if self.console.is_terminal:
            self.console.clear()
        counts = self.session.counts()
        deck_name = self.session.catalog.info(card.deck).name
        header = Text.assemble(
            (safe_text(deck_name), "bold"),
            "   ",
            (f"New {counts.new}", "blue"),
            " · ",
            (f"Learning {counts.learning}", "red"),
            " · ",
            (f"Review {counts.review}", "green"),
        )
        parts: list[object] = [markdown(safe_text(card.question))]
        if revealed:
            parts += [Text("─" * 20, style="dim"), markdown(safe_text(card.answer))]
        self.console.print(header)
        self.console.print(Panel(Group(*parts), border_style="cyan"))  # type: ignore[arg-type]
        if revealed and labels:
            buttons = Text()
            for rating, name in RATINGS.items():
                buttons.append(f" {rating} ", style="reverse")
                buttons.append(f" {name} {labels[rating]}   ")
            self.console.print(buttons)
            self.console.print(Text("1-4 answer · Space/Enter Good · u undo · q quit", style="dim"))
        else:
            self.console.print(Text("Space/Enter show answer · u undo · q quit", style="dim"))
        self._flush()

    def _flush(self) -> None:
        """Print the waiting messages (store notices too) once the screen is drawn."""
        self._drain_notices()
        while self._messages:
            self.console.print(self._messages.pop(0), soft_wrap=True)

    def _drain_notices(self) -> None:
        while self.session.store.notices:
            self.say(self.session.store.notices.pop(0))

    def _nothing_due(self) -> None:
        self.console.print(Text("Nothing due now.", style="bold"))
        self._next_due_line()

    def _next_due_line(self) -> None:
        now = self.clock()
        moment = self.session.next_due(now)
        if moment is not None:
            self.console.print(Text(f"Next card due {describe_wait(moment, now)}."))

    def print_summary(self) -> None:
        self._flush()
        summary = self.session.summary
        spent = _duration(time.monotonic() - self.started)
        self.console.print(
            Text(
                f"Answered {summary.answered} card{'' if summary.answered == 1 else 's'} "
                f"({summary.again} Again) in {spent}."
            )
        )
