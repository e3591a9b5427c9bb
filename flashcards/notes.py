"""Markdown notes read as cards: pure text in, cards out (no files written here).

Three ways of writing a card are understood, one per file (found by looking, or named):

- ``headings``: a ``###`` heading is the question (optionally quoted with ``> `` and
  numbered ``1.``), everything below it until the next heading is the answer —
  paragraphs, lists and code blocks kept as Markdown;
- ``qa``: ``Q:`` starts a question (it may go on over lines), ``A:`` its answer, which
  runs until the next ``Q:`` or heading (blank lines inside are kept);
- ``inline``: one line ``question::answer``, or ``question:::answer`` for a card that is
  also asked the other way round.

In every format the first ``#`` heading is the deck's name and each ``##`` heading is the
section of the cards under it. Headings inside fenced code blocks are code, not headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from flashcards.errors import UsageError

HEADINGS, QA, INLINE = "headings", "qa", "inline"
FORMATS = (HEADINGS, QA, INLINE)
#: Notes files larger than this are refused (as deck files are).
MAX_NOTES_BYTES = 16 * 1024 * 1024

# A heading, optionally inside a quote (`> ## Section`); closing #s are dropped.
# Up to three spaces before it (four make an indented code block), in a quote or not.
_INDENT = r"^ {0,3}(?:> ?(?: {0,3}))*"
_HEADING = re.compile(_INDENT + r"(#{1,6})(?:[ \t]+(.*?))?[ \t]*(?:[ \t]#+[ \t]*)?$")
_NUMBER = re.compile(r"^\d{1,4}[.)]\s+")
_FENCE = re.compile(_INDENT + r"(`{3,}|~{3,})")
_Q = re.compile(r"^\s*Q:\s?(.*)$")
_A = re.compile(r"^\s*A:\s?(.*)$")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d{1,4}[.)])\s+")


class NotesError(UsageError):
    """A notes or table file that cannot be imported; the message names file and line."""


@dataclass(frozen=True)
class NoteCard:
    """One card found in a notes file: its question and answer as Markdown, the line
    its question starts on, its section (``##``) and tags, whether it is reversed or
    typed, and whether it is a cloze text (``question``) with an optional extra
    (``answer``)."""

    question: str
    answer: str
    line: int
    section: str = ""
    tags: tuple[str, ...] = ()
    reverse: bool = False
    typed: bool = False
    cloze: bool = False


@dataclass
class Notes:
    """A whole notes file: its title (the ``#`` heading), the format read, the cards."""

    title: str | None
    format: str
    cards: list[NoteCard] = field(default_factory=list)


def read_text(path: Path, kind: str) -> str:
    """A file's text, or ``NotesError`` for an empty file, one that is not text (binary
    data), or text that is not UTF-8 — each naming the file (and line)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotesError(f"{path}: cannot read ({exc.strerror})") from None
    if len(data) > MAX_NOTES_BYTES:
        raise NotesError(f"{path}: {len(data):,} bytes is too big for {kind}; split it")
    if not data.strip():
        raise NotesError(f"{path}: the file is empty")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise NotesError(
            f"{path}:{line}: not a text file (binary data at byte {nul}); expected {kind}"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise NotesError(f"{path}:{line}: not UTF-8 text (byte {exc.start})") from None


def tag_of(section: str) -> str:
    """A section heading as a tag: lower case words joined by ``-``."""
    return re.sub(r"[^\w]+", "-", section.lower()).strip("-_")


def heading(line: str) -> tuple[int, str] | None:
    """A Markdown heading's level and text (numbering kept), or ``None``."""
    match = _HEADING.match(line)
    if match is None:
        return None
    return len(match.group(1)), (match.group(2) or "").strip()


def _code_lines(lines: list[str]) -> set[int]:
    """The indexes of lines inside fenced code blocks (the fences included)."""
    inside: set[int] = set()
    fence: str | None = None
    for index, line in enumerate(lines):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)[0] * 3
            inside.add(index)
        elif fence is not None:
            inside.add(index)
            if match and match.group(1).startswith(fence):
                fence = None
    return inside


def detect_format(lines: list[str], code: set[int]) -> str | None:
    """The format a file is written in: ``###`` headings, else ``Q:``/``A:`` lines, else
    ``::`` lines; ``None`` when it has none of them."""
    found = {HEADINGS: False, QA: False, INLINE: False}
    for index, line in enumerate(lines):
        if index in code:
            continue
        level = heading(line)
        if level is not None:
            found[HEADINGS] |= level[0] == 3
            continue
        found[QA] |= bool(_Q.match(line) or _A.match(line))
        found[INLINE] |= "::" in line
    return next((name for name in FORMATS if found[name]), None)


def parse_notes(path: Path, text: str, form: str | None = None) -> Notes:
    """The cards of a notes file in format ``form`` (found by :func:`detect_format`
    when ``None``). ``NotesError`` naming the file and line for a question without an
    answer, an answer without a question, or a file with no cards."""
    lines = text.splitlines()
    code = _code_lines(lines)
    chosen = form or detect_format(lines, code)
    if chosen is None:
        raise NotesError(
            f"{path}: no cards found: write questions as `### Question` headings with the "
            "answer below, `Q:`/`A:` lines, or `question::answer` lines"
        )
    reader = {HEADINGS: _read_headings, QA: _read_qa, INLINE: _read_inline}[chosen]
    notes = Notes(None, chosen)
    reader(path, lines, code, notes)
    if not notes.cards:
        raise NotesError(f"{path}: no cards found in the {chosen} format (--format {chosen})")
    return notes


class _Sections:
    """The title and the current section, as headings go by."""

    def __init__(self, notes: Notes) -> None:
        self.notes = notes
        self.section = ""

    def take(self, level: int, text: str) -> bool:
        """Follow a ``#`` or ``##`` heading; whether it was one."""
        if level == 1:
            if self.notes.title is None:
                self.notes.title = text
            self.section = ""
            return True
        if level == 2:
            self.section = _NUMBER.sub("", text)
            return True
        return False

    def card(self, question: str, answer: str, line: int, reverse: bool = False) -> NoteCard:
        tags = (tag_of(self.section),) if tag_of(self.section) else ()
        return NoteCard(question, answer, line, self.section, tags, reverse)


_QUOTED = re.compile(r"^\s{0,3}>")
_QUOTE_MARK = re.compile(r"^\s{0,3}> ?")


def _unquoted(lines: list[str]) -> list[str]:
    """The answer under a quoted heading: when every line of it is quoted too (the
    whole card is one quote), without the quote marks; otherwise as written."""
    if all(_QUOTED.match(line) for line in lines if line.strip()):
        return [_QUOTE_MARK.sub("", line, count=1) for line in lines]
    return lines


def _block(lines: list[str]) -> str:
    """Lines as one Markdown text: blank lines around it dropped, trailing spaces too."""
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _no_answer(path: Path, line: int, question: str) -> NotesError:
    return NotesError(f"{path}:{line}: the question {_short(question)!r} has no answer")


def _short(text: str, size: int = 60) -> str:
    one = " ".join(text.split())
    return one if len(one) <= size else one[: size - 1] + "…"


def _read_headings(path: Path, lines: list[str], code: set[int], notes: Notes) -> None:
    sections = _Sections(notes)
    question: tuple[str, int] | None = None
    body: list[str] = []

    def close() -> None:
        if question is None:
            return
        answer = _block(_unquoted(body) if _QUOTED.match(lines[question[1] - 1]) else body)
        if not answer:
            raise _no_answer(path, question[1], question[0])
        notes.cards.append(sections.card(question[0], answer, question[1]))

    for index, line in enumerate(lines):
        found = heading(line) if index not in code else None
        if found is not None and found[0] <= 3:
            close()
            question, body = None, []
            level, text = found
            if not sections.take(level, text):
                text = _NUMBER.sub("", text)
                if not text:
                    raise NotesError(f"{path}:{index + 1}: a `###` heading with no question")
                question = (text, index + 1)
            continue
        if question is not None:
            body.append(line)
    close()


def _read_qa(path: Path, lines: list[str], code: set[int], notes: Notes) -> None:
    sections = _Sections(notes)
    question: list[str] = []
    answer: list[str] | None = None
    start = 0

    def close() -> None:
        if not question:
            return
        text = _block(question)
        if answer is None or not _block(answer):
            raise _no_answer(path, start, text)
        notes.cards.append(sections.card(text, _block(answer), start))

    for index, line in enumerate(lines):
        inside = index in code
        found = heading(line) if not inside else None
        if found is not None and found[0] <= 2:
            close()
            question, answer = [], None
            sections.take(*found)
            continue
        q = _Q.match(line) if not inside else None
        a = _A.match(line) if not inside and answer is None else None
        if q is not None:
            close()
            question, answer, start = [q.group(1)], None, index + 1
        elif a is not None:
            if not question:
                raise NotesError(f"{path}:{index + 1}: `A:` without a `Q:` before it")
            answer = [a.group(1)]
        elif answer is not None:
            answer.append(line)
        elif question:
            question.append(line)
    close()


def _read_inline(path: Path, lines: list[str], code: set[int], notes: Notes) -> None:
    sections = _Sections(notes)
    for index, line in enumerate(lines):
        if index in code:
            continue
        found = heading(line)
        if found is not None:
            sections.take(*found)
            continue
        if "::" not in line:
            continue
        text = _BULLET.sub("", line, count=1)
        three, two = text.find(":::"), text.find("::")
        reverse = three >= 0 and three == two
        question, answer = text[:two].strip(), text[two + (3 if reverse else 2) :].strip()
        if not question:
            raise NotesError(f"{path}:{index + 1}: nothing before `::` to ask")
        if not answer:
            raise _no_answer(path, index + 1, question)
        notes.cards.append(sections.card(question, answer, index + 1, reverse))
