"""The one way user text reaches the terminal: shown, never obeyed.

Deck names, ids, card text, file names and error lines all come from files a user
(or someone who sent them a deck) wrote. Every table, screen and error line turns
such text into a rich ``Text`` here, so that none of it is read as rich markup
(``[red]X[/red]`` stays as written) and no terminal control sequence (``ESC [31m``,
an OSC 52 clipboard write, a bidirectional override) reaches the terminal.
"""

from __future__ import annotations

import re

from rich.text import Text

# C0 controls but tab and newline, DEL and the C1 controls (0x9b is a one-byte CSI).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional embeddings, overrides and isolates, and the line and paragraph
# separators: invisible, yet they reorder or break the rest of the terminal line.
# Right-to-left letters themselves are kept; the terminal lays them out.
_FORMAT = re.compile("[\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_LINE_BREAKS = re.compile(r"[\t\n]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(text: str) -> str:
    """``\\x1b[31m`` stays visible as text instead of turning the terminal red."""
    return _FORMAT.sub(_escape, _CONTROL.sub(_escape, text))


def safe_line(text: str) -> str:
    """:func:`safe_text` for one line (a header, a table cell of ids): tabs and newlines
    are shown as escapes too, so nothing can break the line it sits in."""
    return _LINE_BREAKS.sub(_escape, safe_text(text))


def plain(text: str, style: str = "", *, one_line: bool = False) -> Text:
    """User text as a rich ``Text``: never markup, never terminal control."""
    return Text(safe_line(text) if one_line else safe_text(text), style=style)


def error_line(message: str, style: str = "red") -> Text:
    """``error: <message>``, the message shown as text (it may quote file names)."""
    return Text.assemble(("error: ", style), plain(message, style))
