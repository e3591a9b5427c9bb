"""A one-line text editor for typed answers: pure, keys in, text and cursor out.

Keys are the names ``ui.Keys.read(raw=True)`` gives: a printable character inserts
itself; ``left``/``right``, ``home``/``end`` move; ``backspace``/``delete`` remove a
character; ``ctrl-u`` clears what is before the cursor, ``ctrl-k`` what is after it
and ``ctrl-w`` the word before it (as in a shell).
"""

from __future__ import annotations

from rich.cells import cell_len


class LineEditor:
    """The text typed so far and where the cursor is (an index into ``text``)."""

    def __init__(self, text: str = "") -> None:
        self.text = text
        self.cursor = len(text)
        self._first = 0  # first character in sight, for a line wider than its room

    def press(self, key: str) -> bool:
        """Apply one key; ``False`` if it means nothing here (it is ignored)."""
        text, cursor = self.text, self.cursor
        if len(key) == 1:
            if not key.isprintable():
                return False
            text, cursor = text[:cursor] + key + text[cursor:], cursor + 1
        elif key == "backspace" and cursor:
            text, cursor = text[: cursor - 1] + text[cursor:], cursor - 1
        elif key == "delete":
            text = text[:cursor] + text[cursor + 1 :]
        elif key == "left":
            cursor = max(cursor - 1, 0)
        elif key == "right":
            cursor = min(cursor + 1, len(text))
        elif key == "home":
            cursor = 0
        elif key == "end":
            cursor = len(text)
        elif key == "ctrl-u":
            text, cursor = text[cursor:], 0
        elif key == "ctrl-k":
            text = text[:cursor]
        elif key == "ctrl-w":
            start = len(text[:cursor].rstrip())
            while start and not text[start - 1].isspace():
                start -= 1
            text, cursor = text[:start] + text[cursor:], start
        elif key != "backspace":
            return False
        self.text, self.cursor = text, cursor
        return True

    def window(self, width: int) -> tuple[str, int]:
        """The part of the text that fits in ``width`` terminal cells with the cursor in
        sight (the line scrolls sideways as a shell's does), and the cursor's column in it."""
        width = max(width, 1)
        self._first = min(self._first, self.cursor)
        while cell_len(self.text[self._first : self.cursor]) >= width:
            self._first += 1
        shown, cells = "", 0
        for char in self.text[self._first :]:
            cells += cell_len(char)
            if cells > width:
                break
            shown += char
        return shown, cell_len(self.text[self._first : self.cursor])
