"""The study screen: rich rendering and single-key input. Decides nothing about scheduling."""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import re
import sys
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any

from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.panel import Panel
from rich.segment import Segment
from rich.text import Text

from flashcards.cardkinds import Comparison, compare_typed, expected_answer
from flashcards.cardtext import card_text, cloze_text, plain_text, typed_comparison
from flashcards.errors import FlashcardsError, StoreError
from flashcards.intervals import interval_label
from flashcards.lineedit import LineEditor
from flashcards.model import BURY, CLOZE, SUSPEND, Card
from flashcards.scheduling import RATINGS
from flashcards.session import StudySession, Summary, describe_wait
from flashcards.text import plain, safe_text

__all__ = ["Keys", "StudyScreen", "markdown", "safe_text"]

RATING_KEYS = {"1": 1, "2": 2, "3": 3, "4": 4}
REVEAL_KEYS = ("space", "enter")
#: Anki's keys to set a card aside: what is done, and whether to its siblings too.
MARK_KEYS = {"-": (BURY, False), "=": (BURY, True), "@": (SUSPEND, False), "!": (SUSPEND, True)}
EDIT_KEY, FORGET_KEY, UNDO_KEY = "e", "f", "u"
#: Keys that leave the card shown (to another, or to the end), on either side of it.
LEAVE_KEYS = ("q", "eof", UNDO_KEY, EDIT_KEY, FORGET_KEY, *MARK_KEYS)
#: The hint for the keys above, an item each (the footer wraps between items): ``=``
#: buries and ``!`` suspends the card with its siblings.
CONTROL_HINTS = ["- bury", "@ suspend", "=/! with siblings", "f forget", "e edit"]
#: Keys that move a card taller than the screen; Space pages too while there is more.
PAGE_KEYS = ("pagedown", "pageup", "down", "up", "home", "end")
#: What a terminal sends for the keys that move through a long card.
_SEQUENCES = {
    "\x1b[A": "up",
    "\x1bOA": "up",
    "\x1b[B": "down",
    "\x1bOB": "down",
    "\x1b[5~": "pageup",
    "\x1b[6~": "pagedown",
    "\x1b[H": "home",
    "\x1bOH": "home",
    "\x1b[1~": "home",
    "\x1b[F": "end",
    "\x1bOF": "end",
    "\x1b[4~": "end",
    "\x1b[C": "right",
    "\x1bOC": "right",
    "\x1b[D": "left",
    "\x1bOD": "left",
    "\x1b[3~": "delete",
}
#: What control characters mean while a typed answer is edited (as in a shell).
_EDIT_CONTROLS = {
    "\x7f": "backspace",
    "\x08": "backspace",
    "\x15": "ctrl-u",
    "\x0b": "ctrl-k",
    "\x17": "ctrl-w",
    "\x01": "home",
    "\x05": "end",
    "\x02": "left",
    "\x06": "right",
    "\r": "enter",
    "\n": "enter",
    "\x04": "ctrl-d",
}
_ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|O.)?")


def markdown(text: str) -> RenderableType:
    """Card text as the screen shows it (see :mod:`flashcards.cardtext`)."""
    return card_text(text)


class Keys:
    """Single keystrokes from a terminal, or one key per line from a pipe.

    In a terminal, the terminal is kept usable around the single-key mode: Ctrl-Z gives
    the shell back its own settings before the program stops, ``fg`` puts single keys
    back (dropping what was typed meanwhile, so no card is graded unseen) and asks for a
    redraw, as does a resize. ``read`` then returns ``"redraw"``.
    """

    def __init__(self, stream: IO[str] | None = None) -> None:
        # With standard input closed (``<&-``) there is nothing to read: end of input.
        self.stream: IO[str] = stream or sys.stdin or io.StringIO("")
        self.interactive = self.stream.isatty()
        self._saved: list[Any] | None = None
        self._pending = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._wake: tuple[int, int] | None = None
        self._previous_handlers: dict[int, Any] = {}
        self._redraw = False

    def __enter__(self) -> Keys:
        if self.interactive:
            import termios

            self._saved = termios.tcgetattr(self.stream.fileno())
            self._single_keys()
            self._watch_signals()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._wake is not None:
            import signal

            for signum, handler in self._previous_handlers.items():
                signal.signal(signum, handler)
            self._previous_handlers.clear()
            for fd in self._wake:
                os.close(fd)
            self._wake = None
        self._restore_terminal()
        self._saved = None

    @contextlib.contextmanager
    def released(self) -> Iterator[None]:
        """The terminal as the shell had it, for another program in the foreground (an
        editor); single keys again afterwards, what was typed meanwhile dropped (the
        caller draws its screen afresh)."""
        if self._saved is None:
            yield
            return
        import signal

        self._restore_terminal()
        stop = self._previous_handlers.get(signal.SIGTSTP)
        if stop is not None:
            # Ctrl-Z in the editor stops it and us together, as any foreground job.
            signal.signal(signal.SIGTSTP, stop)
        try:
            yield
        finally:
            if stop is not None:
                signal.signal(signal.SIGTSTP, self._on_signal)
            self._single_keys()
            self._pending = ""
            self._redraw = False

    def _single_keys(self) -> None:
        import tty

        # TCSAFLUSH: keys typed while the program was stopped are dropped, not obeyed.
        tty.setcbreak(self.stream.fileno())

    def _restore_terminal(self) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self._saved)

    def _watch_signals(self) -> None:
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread
        self._wake = os.pipe()
        for fd in self._wake:
            os.set_blocking(fd, False)
        for signum in (signal.SIGTSTP, signal.SIGCONT, signal.SIGWINCH):
            self._previous_handlers[signum] = signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        import signal

        if signum == signal.SIGTSTP:
            self._restore_terminal()  # the shell gets its terminal back as it was
            signal.signal(signal.SIGTSTP, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTSTP)  # stopped here until `fg`
            signal.signal(signal.SIGTSTP, self._on_signal)
            self._single_keys()
        elif signum == signal.SIGCONT:
            self._single_keys()  # whatever the shell left the terminal in
        self._redraw = True
        if self._wake is not None:
            with contextlib.suppress(BlockingIOError):  # when full, it is awake already
                os.write(self._wake[1], b"!")  # wakes a `read` waiting for a key

    def read(self, raw: bool = False) -> str:
        """``enter``, ``space``, ``eof``, ``redraw``, a movement key (``up``, ``down``,
        ``pageup``, ``pagedown``, ``home``, ``end``, ``left``, ``right``) or the key's
        character (lower-cased).

        ``raw`` (in a terminal, to edit a typed answer): the character as typed, Space
        included, and line-editing keys by name (``backspace``, ``delete``, ``ctrl-u``,
        ``ctrl-k``, ``ctrl-w``, ``ctrl-d``, ``escape``; see ``_EDIT_CONTROLS``); other
        control characters are ``""``; ``eof`` is only the end of input."""
        if self.interactive:
            while not self._pending:
                if self._redraw:
                    self._redraw = False
                    return "redraw"
                key_fd = self.stream.fileno()
                if self._wake is not None:
                    import select

                    ready, _, _ = select.select([key_fd, self._wake[0]], [], [])
                    if key_fd not in ready:
                        self._drain_wake()
                        continue
                try:
                    data = os.read(key_fd, 64)
                except OSError:
                    return "eof"  # the terminal went away
                if not data:
                    return "eof"
                self._pending = self._decoder.decode(data)
            if self._pending.startswith("\x1b"):
                match = _ESCAPE_SEQUENCE.match(self._pending)
                sequence = match.group() if match else "\x1b"
                self._pending = self._pending[len(sequence) :]
                return _SEQUENCES.get(sequence, "escape")
            char, self._pending = self._pending[0], self._pending[1:]
            if raw:
                return _EDIT_CONTROLS.get(char, "" if char < " " else char)
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

    def read_line(self) -> str | None:
        """One line of input without its line ending (``None`` at the end of input):
        the typed answer, when standard input is not a terminal."""
        line = self.stream.readline()
        return line.rstrip("\r\n") if line else None

    def _drain_wake(self) -> None:
        assert self._wake is not None
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake[0], 64):
                pass


def _question(card: Card) -> RenderableType:
    """The question side: a cloze card's text with its deletion hidden."""
    if card.template == CLOZE:
        return cloze_text(card.text, card.cloze, question=True, markdown=card.markdown)
    return card_text(card.question, card.markdown)


def _answer(card: Card, comparison: Comparison | None) -> list[RenderableType]:
    """The answer side: a cloze card's text filled in, then its ``extra``; for a typed
    answer, the comparison (with the answer under it, for a cloze card or when the
    answer has several lines, which the comparison's one line cannot show)."""
    typed: list[RenderableType] = []
    if comparison is not None:
        typed.append(typed_comparison(comparison))
    if card.template == CLOZE:
        parts = [cloze_text(card.text, card.cloze, question=False, markdown=card.markdown)]
        if typed:
            parts += [Text(""), *typed]
        if card.extra:
            parts += [Text(""), card_text(card.extra, card.markdown)]
        return parts
    answer = card_text(card.answer, card.markdown)
    if not typed:
        return [answer]
    if "\n" not in plain_text(card.answer, card.markdown):
        return typed  # the expected line is the answer, but for its inline markup
    return [*typed, Text(""), answer]


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _imported_from(path: Path) -> str | None:
    """What ``flashcards import`` made the deck file at ``path`` from, or ``None`` for a
    deck of one's own (or one that cannot be read: the editor will say so)."""
    from flashcards.deckwrite import imported_from

    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            first = file.readline(4096)
    except OSError:
        return None
    return imported_from(first)


def _lines(count: int) -> str:
    return f"{count} line{'s' * (count != 1)}"


class _Lines:
    """Lines already rendered, to be drawn as they are (a window on a long card)."""

    def __init__(self, lines: list[list[Segment]]) -> None:
        self.lines = lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        for line in self.lines:
            yield from line
            yield Segment.line()


@dataclass
class _View:
    """What the screen shows: a card (question, or question and answer), or — with no
    card — the end of the session. ``offset`` is the first line of the card shown when
    it is taller than the screen."""

    card: Card | None
    revealed: bool = False
    labels: dict[int, str] | None = None
    offset: int = 0
    #: Scroll so that this line (where the answer begins) is in sight on the next draw.
    focus: int | None = None
    #: A typed card's answer being typed (in a terminal) ...
    editor: LineEditor | None = None
    #: ... or, once revealed, the typed answer against the expected one.
    comparison: Comparison | None = None
    #: A typed card waiting for its answer (from a line of input, not a terminal).
    awaiting_line: bool = False


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
        # so that clearing the screen for a card never wipes them unread; they stay
        # while that screen is redrawn (resize, paging) and go with the next one.
        self._messages: list[Text] = []
        self._shown: list[Text] = []
        self._view = _View(None)
        #: Lines of card text in sight and in all, as last drawn (for paging).
        self._window = 0
        self._body_lines = 0

    def say(self, text: str | Text, style: str = "yellow") -> None:
        self._messages.append(plain(text, style) if isinstance(text, str) else text)

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
        typing = card.typed and self.keys.interactive
        self._present(
            _View(
                card,
                editor=LineEditor() if typing else None,
                awaiting_line=card.typed and not typing,
            )
        )
        shown = time.monotonic()
        if self.on_first_card is not None:
            first, self.on_first_card = self.on_first_card, None
            first()
        comparison = None
        if card.typed:
            typed = self._type_answer()
            if typed is None:
                return "quit"
            if typed:
                comparison = compare_typed(typed, expected_answer(card), card.markdown)
        else:
            key = self._wait_for(REVEAL_KEYS)
            if key not in REVEAL_KEYS:
                return self._leave(key, card)
        now = self.clock()
        labels = self.session.button_labels(card, now)
        self._present(
            _View(
                card,
                True,
                labels,
                self._view.offset,
                self._answer_line(card),
                comparison=comparison,
            )
        )
        key = self._wait_for({*RATING_KEYS, *REVEAL_KEYS})
        if key not in RATING_KEYS and key not in REVEAL_KEYS:
            return self._leave(key, card)
        rating = RATING_KEYS.get(key, 3)  # Space/Enter on the answer is Good, as in Anki
        elapsed_ms = int((time.monotonic() - shown) * 1000)
        after = self.session.answer(card, rating, now, elapsed_ms)
        if self.session.recomputed and after is not None:
            self.say(
                "That card was just answered in another session too; your answer was "
                f"applied after it: next due in {interval_label(after, now)}."
            )
        if self.session.leech and after is not None:
            aside = " and suspended" if self.session.leech_suspended else ""
            self.say(
                f"Leech: {card.deck}/{card.id} has lapsed {after.lapses} "
                f"time{'s' * (after.lapses != 1)}; tagged leech"
                f"{aside} (u undoes)."
            )
        self._drain_notices()
        return None

    def _wait_for(self, keys: Collection[str]) -> str:
        """The next key among ``keys`` or a way out (q, Ctrl-D/end of input, u). Keys
        that page a long card, and redraws, are handled here. Space pages while there
        is more of the card below, so nothing is revealed or graded unseen."""
        while True:
            key = self.keys.read()
            if key == "redraw":
                self._redraw()
            elif key in PAGE_KEYS or (key == "space" and self._more_below()):
                self._scroll("pagedown" if key == "space" else key)
            elif key in keys or key in LEAVE_KEYS:
                return key

    def _type_answer(self) -> str | None:
        """The answer typed for a typed card ("" when Esc skips typing, or for an empty
        line), or ``None`` to quit (end of input, or Ctrl-D on an empty line). In a
        terminal the line is edited in place, the card paging with ↑/↓/PgUp/PgDn."""
        editor = self._view.editor
        if editor is None:
            return self.keys.read_line()
        while True:
            key = self.keys.read(raw=True)
            if key == "redraw":
                self._redraw()
            elif key in ("up", "down", "pageup", "pagedown"):
                self._scroll(key)
            elif key == "enter":
                return editor.text
            elif key == "escape":
                return ""
            elif key == "eof" or (key == "ctrl-d" and not editor.text):
                return None
            elif editor.press("delete" if key == "ctrl-d" else key):
                self._draw_input()

    def _leave(self, key: str, card: Card) -> Card | str | None:
        """Quit; undo the last step and return the card to show again; set the card
        aside or forget it (``None``: on to the next card); or edit it and show it again."""
        if key == UNDO_KEY:
            return self._undo() or card
        if key == EDIT_KEY:
            return self._edit(card)
        if key in MARK_KEYS or key == FORGET_KEY:
            return self._set_aside(key, card)
        return "quit"

    def _set_aside(self, key: str, card: Card) -> Card | None:
        now = self.clock()
        name = f"{card.deck}/{card.id}"
        try:
            if key == FORGET_KEY:
                if self.session.state((card.deck, card.id)) is None:
                    self.say(f"{name} is new already.")
                    return card
                self.session.forget(card, now)
                self.say(f"Forgot {name}: it is new again (u undoes).")
            else:
                action, siblings = MARK_KEYS[key]
                count = self.session.set_aside(card, action, now, siblings=siblings)
                done = "Buried" if action == BURY else "Suspended"
                others = count - 1
                what = f"{name} and {others} sibling{'s' * (others != 1)}" if others else name
                until = " until the next study day" if action == BURY else ""
                self.say(f"{done} {what}{until} (u undoes).")
        except StoreError as exc:
            self.say(str(exc), style="red")
            return card
        self._drain_notices()
        return None

    def _edit(self, card: Card) -> Card | None:
        """The card's deck file in the editor at the card's line; then the deck is read
        again and the card (matched by id) shown again. A deck left invalid is reported
        and the version read before stays in use."""
        from flashcards.deckpaths import builtin_deck_folder
        from flashcards.editing import edit_deck_at

        path = Path(self.session.catalog.info(card.deck).path)
        if path.resolve().parent == builtin_deck_folder().resolve():
            # Shipped with the program: an edit would be lost on upgrade, if allowed at all.
            self.say(
                f"{card.deck} is a built-in deck and is not edited; copy {path} into your "
                "decks folder under another name to keep your own",
                style="red",
            )
            return card
        source = _imported_from(path)
        if source is not None:
            # The next import of its source rewrites the file: an edit here would be lost.
            self.say(
                f"{card.deck} is made by `flashcards import` from {source}: fix the card "
                "there and import it again (or delete the file's first line to make the "
                "deck your own)",
                style="red",
            )
            return card
        try:
            with self.keys.released():
                edit_deck_at(path, card.id)
            self.session.reload_deck(card.deck)
        except FlashcardsError as exc:
            self.say(f"{exc} — the deck as it was before is used", style="red")
            return card
        try:
            return self.session.card((card.deck, card.id))
        except StoreError:
            self.say(f"{card.deck}/{card.id} is no longer in its deck; on to the next card.")
            return None

    def _finished(self) -> Card | None:
        """Nothing left: say so with the counts as they are now, and still let the last
        answer be undone."""
        self._present(_View(None))
        if not self.session.can_undo():
            return None
        while True:
            key = self.keys.read()
            if key != "redraw":
                break
            self._redraw()
        if key != "u":
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

    # --- drawing ---------------------------------------------------------------------

    def _present(self, view: _View) -> None:
        """Draw a new screen: the messages waiting are shown with it, older ones go."""
        self._drain_notices()
        self._view = view
        self._shown, self._messages = self._messages, []
        self._draw()

    def _redraw(self) -> None:
        """The same screen again, at the terminal's size now (after a resize or ``fg``)."""
        if self.console.is_terminal:
            try:
                size = os.get_terminal_size(self.console.file.fileno())
            except (OSError, ValueError, io.UnsupportedOperation):
                pass
            else:
                self.console.size = (size.columns, size.lines)
        self._draw()

    def _header(self) -> list[Text]:
        """Deck name and counts, now; the counts go on a line of their own rather than
        be broken up when the terminal is narrow."""
        card = self._view.card
        counts = self.session.counts(self.clock())
        name = self.session.catalog.info(card.deck).name if card else self._deck_label()
        title = plain(name, "bold", one_line=True)
        numbers = Text.assemble(
            (f"New {counts.new}", "blue"),
            " · ",
            (f"Learning {counts.learning}", "red"),
            " · ",
            (f"Review {counts.review}", "green"),
        )
        if title.cell_len + 3 + numbers.cell_len <= self.console.width:
            return [Text.assemble(title, "   ", numbers)]
        return [title, numbers]

    def _deck_label(self) -> str:
        decks = self.session.decks
        if len(decks) == 1:
            return self.session.catalog.info(decks[0]).name
        return f"{len(decks)} decks"

    def _footer(self, more: bool = False, back: bool = False) -> list[Text]:
        """The answer buttons and the keys, wrapped between items, never inside one.
        ``more``: there is more of the card below (Space pages); ``back``: above."""
        view = self._view
        if view.card is None:
            return []
        enter = "Enter" if more else "Space/Enter"
        if view.editor is not None:
            return self._packed(self._typing_hints(more, back), Text(" · ", style="dim"))
        hints = ["Space/PgDn more"] if more else []
        buttons: list[Text] = []
        keys: list[Text] = []
        if view.revealed and view.labels:
            matched = view.comparison is not None and view.comparison.matches
            buttons = [
                Text.assemble(
                    (f" {rating} ", "reverse"),
                    (
                        f" {name} {view.labels[rating]}",
                        "bold green" if matched and rating == 3 else "",
                    ),
                )
                for rating, name in RATINGS.items()
            ]
            if view.comparison is not None:
                keys.append(
                    Text(f"✓ typed answer matches: {enter} Good", "bold green")
                    if matched
                    else Text("✗ typed answer differs", "bold red")
                )
            hints += ["1-4 answer"] if matched else ["1-4 answer", f"{enter} Good"]
        elif view.awaiting_line:
            # every line is the answer now, "q" and "u" too: only the end of input quits
            return [Text("Type the answer on one line, then Enter.", style="dim")]
        else:
            hints += [f"{enter} show answer"]
        hints += [*(["PgUp back"] if back else []), *CONTROL_HINTS, "u undo", "q quit"]
        keys += [Text(hint, style="dim") for hint in hints]
        return [*self._packed(buttons, "   "), *self._packed(keys, Text(" · ", style="dim"))]

    def _typing_hints(self, more: bool, back: bool) -> list[Text]:
        hints = [
            Text.assemble(("Type the answer:", "bold")),
            *(Text(hint, style="dim") for hint in ["Enter check", "Esc skip", "Ctrl-U clear"]),
        ]
        if more or back:
            hints.append(Text("↑/↓ PgUp/PgDn card", style="dim"))
        return hints

    def _packed(self, items: list[Text], separator: str | Text) -> list[Text]:
        """``items`` joined by ``separator`` in lines no wider than the terminal."""
        lines: list[Text] = []
        for item in items:
            if lines and lines[-1].cell_len + len(separator) + item.cell_len <= self.console.width:
                lines[-1].append(separator)
                lines[-1].append_text(item)
            else:
                lines.append(item.copy())
        return lines

    def _card_parts(self, card: Card, revealed: bool) -> list[RenderableType]:
        parts: list[RenderableType] = [_question(card)]
        if revealed:
            parts += [Text("─" * 20, style="dim"), *_answer(card, self._view.comparison)]
        return parts

    def _answer_line(self, card: Card) -> int:
        """The line of the card where the answer begins (its separator)."""
        if not self.console.is_terminal:
            return 0
        question = self.console.render_lines(_question(card), self._card_options())
        return len(question)

    def _card_options(self) -> ConsoleOptions:
        # Inside the card's border and its one-cell padding on each side.
        return self.console.options.update(width=max(self.console.width - 4, 1), height=None)

    def _draw(self) -> None:
        view = self._view
        console = self.console
        if console.is_terminal:
            console.clear()
        for line in self._header():
            console.print(line)
        if view.card is None:
            self._draw_finished()
        elif console.is_terminal:
            self._draw_card_window(view.card)
        else:
            # A pipe or a log: everything, once, in order.
            console.print(
                Panel(Group(*self._card_parts(view.card, view.revealed)), border_style="cyan")
            )
            for line in self._footer():
                console.print(line)
        for message in self._shown:
            console.print(message, soft_wrap=True)
        if view.editor is not None:
            self._draw_input()

    def _draw_input(self) -> None:
        """The typed answer on the screen's last line, the cursor in it: redrawn alone
        on every key (the line scrolls sideways when it is wider than the terminal)."""
        editor, console = self._view.editor, self.console
        if editor is None or not console.is_terminal:
            return
        from rich.control import Control, ControlType

        prompt = "> "
        shown, column = editor.window(console.width - len(prompt) - 1)
        console.control(Control.move_to_column(0), Control((ControlType.ERASE_IN_LINE, 2)))
        console.print(Text.assemble((prompt, "bold"), plain(shown, one_line=True)), end="")
        console.control(Control.move_to_column(len(prompt) + column))

    def _draw_card_window(self, card: Card) -> None:
        """The card in a border, as much as the terminal has room for, with the header
        above and the keys below kept in sight; "more below" when it does not fit."""
        view, console = self._view, self.console
        options = self._card_options()
        lines = [
            line
            for part in self._card_parts(card, view.revealed)
            for line in console.render_lines(part, options)
        ]
        # Room for card text: all but the header, the border, the keys, the messages
        # and the line the cursor rests on (a last full line would scroll the screen).
        room = console.height - 2 - 1
        room -= sum(len(console.render_lines(line)) for line in self._header())
        room -= sum(len(console.render_lines(line)) for line in self._footer(more=True, back=True))
        room -= sum(self._height(message) for message in self._shown)
        # At least a line of the card; less room than that scrolls the header away.
        window = max(room, 1)
        paged = len(lines) > window
        if paged:
            last = len(lines) - window
            if view.focus is not None and not view.offset <= view.focus < view.offset + window:
                view.offset = view.focus
            view.offset = min(max(view.offset, 0), last)
        else:
            view.offset = 0
        view.focus = None
        self._window, self._body_lines = window, len(lines)
        shown = lines[view.offset : view.offset + window]
        above = view.offset
        below = len(lines) - view.offset - len(shown)
        console.print(
            Panel(
                _Lines(shown),
                border_style="cyan",
                title=Text(f"↑ {_lines(above)} above", "dim") if above else None,
                title_align="right",
                subtitle=Text(self._more_below_label(below), "bold") if below else None,
                subtitle_align="right",
            )
        )
        for line in self._footer(more=bool(below), back=bool(above)):
            console.print(line)

    def _more_below_label(self, below: int) -> str:
        """What the bottom border says of the lines below: the keys too where they fit
        (a border label that does not fit is cut, and a cut key reads as another)."""
        room = self.console.width - 6  # the corners, a line each side, a space each side
        for label in (
            f"↓ more below ({_lines(below)}) · Space/PgDn",
            f"↓ more below ({_lines(below)})",
        ):
            if len(label) <= room:
                return label
        return f"↓ {below} more"

    def _height(self, text: Text) -> int:
        """Lines a message takes, printed without hard wraps (the terminal wraps it)."""
        width = max(self.console.width, 1)
        return sum(max(1, -(-text_line.cell_len // width)) for text_line in text.split("\n"))

    def _draw_finished(self) -> None:
        self.console.print(Text("Done for now.", style="bold green"))
        self._next_due_line()
        last = self.session.last_step()
        if last is not None:
            self.console.print(
                Text(f"u undo the last {last} · any other key to finish", style="dim")
            )

    def _more_below(self) -> bool:
        return self._view.offset + self._window < self._body_lines

    def _scroll(self, key: str) -> None:
        """Move through a card taller than the screen (a page keeps one line in sight)."""
        view = self._view
        if view.card is None or self._body_lines <= self._window:
            return
        page = max(self._window - 1, 1)
        step = {"pagedown": page, "pageup": -page, "down": 1, "up": -1}
        last = self._body_lines - self._window
        if key == "home":
            offset = 0
        elif key == "end":
            offset = last
        else:
            offset = min(max(view.offset + step[key], 0), last)
        if offset != view.offset:
            view.offset = offset
            self._draw()

    def _flush(self) -> None:
        """Print the waiting messages (store notices too) under what is on screen."""
        self._drain_notices()
        while self._messages:
            message = self._messages.pop(0)
            self._shown.append(message)
            self.console.print(message, soft_wrap=True)

    def _drain_notices(self) -> None:
        while self.session.store.notices:
            self.say(self.session.store.notices.pop(0))

    def _nothing_due(self) -> None:
        self.console.print(Text(self.session.nothing_text, style="bold"))
        self._next_due_line()

    def _next_due_line(self) -> None:
        now = self.clock()
        moment = self.session.next_due(now)
        if moment is not None:
            self.console.print(Text(f"Next card due {describe_wait(moment, now)}."))
        held = self.session.held_back()
        if held:
            siblings = "1 sibling waits" if held == 1 else f"{held} siblings wait"
            self.console.print(Text(f"{siblings} for the next study day."))

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
