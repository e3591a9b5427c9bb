"""The lines ``flashcards cards`` prints: a fixed-width listing, fast at 50,000 cards.

A rich ``Table`` measures every cell of every row before printing anything (about a
minute for 50,000 cards); these columns have known widths, so each line is made
directly. All card text goes through ``safe_text``; nothing here is parsed as markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from rich.cells import cell_len, chop_cells, set_cell_size

from flashcards.intervals import span_label
from flashcards.text import safe_line

if TYPE_CHECKING:
    from flashcards.browse import CardRow

_SHORT_STATE = {
    "new": "new",
    "learning": "learn",
    "review": "review",
    "relearning": "relearn",
    "suspended": "suspended",
    "buried": "buried",
}
#: The columns after the question, with their widths (numbers right-aligned).
_FIXED = (
    ("State", 9),
    ("Due", 10),
    ("Ivl", 5),
    ("S", 6),
    ("D", 4),
    ("R", 4),
    ("Reps", 4),
    ("Laps", 4),
)
#: Below this width a card takes a block of lines instead of one line.
NARROW = 64
#: A one-line listing leaves the question at least this many cells (else blocks) ...
MIN_QUESTION = 12
#: ... and at most this many, so the numbers stay near the question on a wide terminal.
QUESTION_ROOM = 48


def fit(text: str, width: int) -> str:
    """``text`` in exactly ``width`` terminal cells: padded, or cut with an ellipsis."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, max(width - 1, 0)) + "…"


def due_cell(row: CardRow, now: datetime) -> str:
    """The due date of a card due on a study day; the time of a learning step due today."""
    state = row.state
    if state is None:
        return "—"
    if state.due_day is not None:
        return state.due_day.isoformat()
    local = state.due.astimezone(now.tzinfo)
    return f"{local:%H:%M}" if local.date() == now.date() else f"{local:%Y-%m-%d}"


def _cells(row: CardRow, now: datetime) -> list[str]:
    state = row.state
    return [
        _SHORT_STATE[row.shown_state],
        due_cell(row, now),
        span_label(state.interval * 86400) if state and state.interval else "—",
        "—" if state is None else f"{state.stability:.1f}",
        "—" if state is None else f"{state.difficulty:.1f}",
        "—" if row.retrievability is None else f"{row.retrievability:.0%}",
        str(state.reps if state else 0),
        str(state.lapses if state else 0),
    ]


_CONTEXT_LINE = re.compile(r"\*[^*\s](?:[^*]*[^*\s])?\*")


def _question(row: CardRow) -> str:
    """The question's first line, passing over a context line above it (an italic line
    such as the ``*Section*`` that ``flashcards import`` puts over a note's question)."""
    lines = [line for line in row.card.question.strip().splitlines() if line.strip()]
    if len(lines) > 1 and _CONTEXT_LINE.fullmatch(lines[0].strip()):
        lines = lines[1:]
    return safe_line(lines[0] if lines else "")


def card_lines(rows: list[CardRow], now: datetime, width: int) -> Iterator[str]:
    """The listing, a line at a time, never wider than ``width`` cells. A card's id
    (``DECK/CARD``, what ``cards``, ``suspend`` and the rest take) is never cut: when
    the longest one leaves too little room for the question, every card takes a block
    of lines instead."""
    yield f"Cards ({len(rows)})"
    fixed = sum(size for _, size in _FIXED) + len(_FIXED)
    ids = [safe_line(f"{r.card.deck}/{r.card.id}") for r in rows]
    id_width = max((cell_len(text) for text in ids), default=4)
    question_width = width - fixed - id_width - 1
    if width < NARROW or question_width < MIN_QUESTION:
        yield from _blocks(rows, now, width)
        return
    question_width = min(question_width, max(QUESTION_ROOM, id_width))
    heads = [fit("Card", id_width), fit("Question", question_width)]
    heads += [fit(h, size) if h in ("State", "Due") else h.rjust(size) for h, size in _FIXED]
    yield " ".join(heads).rstrip()
    for row, text in zip(rows, ids, strict=True):
        cells = [fit(text, id_width), fit(_question(row), question_width)]
        for (header, size), value in zip(_FIXED, _cells(row, now), strict=True):
            cells.append(fit(value, size) if header in ("State", "Due") else value.rjust(size))
        yield " ".join(cells).rstrip()


def _blocks(rows: list[CardRow], now: datetime, width: int) -> Iterator[str]:
    """One record per block, for terminals too narrow for a card's id, its question and
    its numbers on one line: the id on lines of its own (folded, never cut), the
    question, then every number labelled (on one line where it fits)."""
    for row in rows:
        values = dict(zip((h for h, _ in _FIXED), _cells(row, now), strict=True))
        yield ""
        yield from chop_cells(safe_line(f"{row.card.deck}/{row.card.id}"), max(width, 1))
        yield fit("  " + _question(row), width).rstrip()
        state = [values["State"], f"due {values['Due']}", f"ivl {values['Ivl']}"]
        memory = [f"S {values['S']}", f"D {values['D']}", f"R {values['R']}"]
        memory += [f"reps {values['Reps']}", f"lapses {values['Laps']}"]
        if len(lines := list(_labelled(state + memory, width))) == 1:
            yield from lines
        else:
            yield from _labelled(state, width)
            yield from _labelled(memory, width)


def _labelled(items: list[str], width: int) -> Iterator[str]:
    """Labelled numbers on as few lines as fit ``width``, each number whole: a line
    breaks between them (only one alone wider than the line is cut)."""
    line = ""
    for item in items:
        if line and cell_len(f"{line}  {item}") > width:
            yield fit(line, width).rstrip()
            line = ""
        line = f"{line}  {item}"
    if line:
        yield fit(line, width).rstrip()
