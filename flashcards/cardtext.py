"""Card text for the screen: Markdown that never hides a character the learner wrote.

CommonMark is made for web pages, and on a terminal it silently eats what technical
notes are full of: ``<p>`` and ``List<String>`` vanish as HTML, ``C:\\Users\\*.txt``
loses its backslash as an escape, ``&amp;`` turns into ``&``, ``__init__`` and
``2*3*4`` become emphasis, a link shows only its text. The dialect here keeps
Markdown's formatting (lists, headings, quotes, code, tables, ``**bold**``, ``*em*``)
and shows everything else as written:

- HTML is text; entities (``&amp;``) are text; ``<https://…>`` is text;
- a backslash is shown; before punctuation it still stops that character from being
  syntax (``\\*`` is a literal star), but stays on screen;
- emphasis is written with ``*`` only, and never inside a word (``2*3*4``,
  ``snake_case``, ``__init__`` are shown as written);
- a link or image shows its address: ``text (url)``, as written (no percent-encoding);
- a line break in a paragraph is a line break, as in the deck file;
- reference definitions (``[1]: url``) and underlined headings are plain lines.

``markdown: false`` on a deck or a card skips all of this: the text is shown exactly.

A cloze card's text is rendered the same way, its deletion marked: on the question,
``[...]`` (or ``[hint]``) exactly as written, never read as Markdown; on the answer,
the deleted text, formatted like the text around it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text

from flashcards.text import safe_text

if TYPE_CHECKING:
    from collections.abc import Iterator

    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token
    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.segment import Segment

    from flashcards.cardkinds import Comparison

# Anything this dialect would format: list items, headings, quotes, fences, table
# rows, and inline emphasis, code, strike-through and links. Text without any of
# these is plain text, and the Markdown parser (~40 ms to import) is never loaded.
_SYNTAX = re.compile(r"(^|\n)\s*([-*+]\s|\d+[.)]\s|#|>|```|~~~|\|)|[*`\[~]")
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# A cloze deletion in the text handed to the renderer: HIDDEN ... END is what the
# question shows instead (shown as written), SHOWN ... END the deleted text on the
# answer (Markdown). Control characters: ``safe_text`` has escaped any the card had,
# and they take no room on screen, so lines wrap as they will be drawn.
HIDDEN, SHOWN, END = "\x01", "\x02", "\x03"
_MARKS = re.compile("([\x01\x02\x03])")
_HIDDEN_SPAN = re.compile("\x01[^\x03]*\x03")
#: How a cloze deletion is marked (Anki: bold blue).
CLOZE_STYLE = "bold blue"
#: The marks of a typed answer's comparison (Anki: green, red and grey backgrounds);
#: wrong characters are also underlined, for a terminal without colour.
TYPED_STYLES = {"good": "green", "bad": "red underline", "missed": "dim", "plain": ""}


def card_text(text: str, markdown: bool = True) -> RenderableType:
    """What the screen shows for a question or an answer (control characters escaped
    first, see :mod:`flashcards.text`)."""
    shown = safe_text(text)
    if not markdown or not _SYNTAX.search(shown):
        return Text(shown)
    return _markdown_class()(shown)


def cloze_text(text: str, number: int, *, question: bool, markdown: bool = True) -> RenderableType:
    """One side of cloze card ``number`` of a ``cloze`` text: its deletions hidden
    (``question``) or filled in, marked in both cases; the other deletions in the clear."""
    from flashcards.cardkinds import Deletion, parse_cloze, shown_deletion

    parts = []
    for piece in parse_cloze(text):
        if not isinstance(piece, Deletion):
            parts.append(safe_text(piece))
        elif piece.number != number:
            parts.append(safe_text(piece.text))
        elif question:
            parts.append(HIDDEN + safe_text(shown_deletion(piece)) + END)
        else:
            parts.append(SHOWN + safe_text(piece.text) + END)
    shown = "".join(parts)
    if not markdown or not _SYNTAX.search(_HIDDEN_SPAN.sub("", shown)):
        return _marked_text(shown)
    return _Marked(_markdown_class()(shown))


def _marked_text(shown: str) -> Text:
    text = Text()
    style = ""
    for part in _MARKS.split(shown):
        if part in (HIDDEN, SHOWN):
            style = CLOZE_STYLE
        elif part == END:
            style = ""
        elif part:
            text.append(part, style)
    return text


class _Marked:
    """A rendered card text whose deletions (between the marks) are styled, marks gone."""

    def __init__(self, inner: RenderableType) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        from rich.segment import Segment

        mark = console.get_style(CLOZE_STYLE)
        marking = False
        for segment in console.render(self.inner, options):
            if segment.control or not (marking or _MARKS.search(segment.text)):
                yield segment
                continue
            for part in _MARKS.split(segment.text):
                if part in (HIDDEN, SHOWN):
                    marking = True
                elif part == END:
                    marking = False
                elif part:
                    style = (segment.style + mark) if segment.style else mark
                    yield Segment(part, style if marking else segment.style)


def typed_comparison(comparison: Comparison) -> Text:
    """A typed answer against the expected one, as Anki shows it: the typed line with
    right, wrong and missing (``-``) characters marked, an arrow, the expected line with
    what was missed marked; just the expected answer when it was typed exactly, or when
    nothing was typed. Both texts are shown, never obeyed (``safe_text``)."""
    text = Text()
    for span in comparison.typed:
        text.append(safe_text(span.text), TYPED_STYLES[span.kind])
    if comparison.typed:
        text.append("\n↓\n", "dim")
    for span in comparison.expected:
        text.append(safe_text(span.text), TYPED_STYLES[span.kind])
    return text


def plain_text(text: str, markdown: bool = True) -> str:
    """The text of a card side without its Markdown markup (what a typed answer is
    compared with): the words of paragraphs, list items, headings and code; link
    addresses and formatting left out; a line break between blocks."""
    if not markdown or not _SYNTAX.search(text):
        return text
    out: list[str] = []
    for token in _shared_parser().parse(text):
        if token.type == "inline":
            for child in token.children or []:
                if child.type in ("text", "code_inline", "image"):
                    out.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    out.append("\n")
        elif token.type in ("fence", "code_block"):
            out.append(token.content)
        elif token.nesting == -1 and token.block:
            out.append("\n")
    return "".join(out).strip()


_TERMINATORS = re.compile(r"[\n!#$%&*+\-:<=>@\[\\\]^_`{}~\x01]")


def _text_run(state: StateInline, silent: bool) -> bool:
    """markdown-it's plain-text rule, stopping also where a hidden deletion begins."""
    match = _TERMINATORS.search(state.src, state.pos, state.posMax)
    end = match.start() if match else state.posMax
    if end == state.pos:
        return False
    if not silent:
        state.pending += state.src[state.pos : end]
    state.pos = end
    return True


def _hidden_deletion(state: StateInline, silent: bool) -> bool:
    """``[...]``/``[hint]`` of a cloze question: text as written, never a link or
    emphasis (its marks stay in it, for ``_Marked``)."""
    if state.src[state.pos] != HIDDEN:
        return False
    end = state.src.find(END, state.pos, state.posMax)
    if end < 0:
        return False
    if not silent:
        state.pending += state.src[state.pos : end + 1]
    state.pos = end + 1
    return True


def _literal_escape(state: StateInline, silent: bool) -> bool:
    """``\\*`` keeps its star from being syntax, and both characters are shown."""
    pos = state.pos
    if state.src[pos] != "\\" or pos + 1 >= state.posMax:
        return False
    if state.src[pos + 1] not in _ASCII_PUNCTUATION:
        return False  # a backslash before anything else is plain text anyway
    if not silent:
        state.pending += state.src[pos : pos + 2]
    state.pos += 2
    return True


def _star_emphasis(state: StateInline, silent: bool) -> bool:
    """CommonMark's emphasis tokenizer for ``*`` alone, never splitting a word."""
    from markdown_it.rules_inline.state_inline import Delimiter

    if silent or state.src[state.pos] != "*":
        return False
    scanned = _scan_stars(state)
    for _ in range(scanned.length):
        token = state.push("text", "", 0)
        token.content = "*"
        state.delimiters.append(
            Delimiter(
                marker=ord("*"),
                length=scanned.length,
                token=len(state.tokens) - 1,
                end=-1,
                open=scanned.can_open,
                close=scanned.can_close,
            )
        )
    state.pos += scanned.length
    return True


def _scan_stars(state: StateInline) -> Any:
    """``state.scanDelims`` for the stars at ``state.pos``, never splitting a word, and
    looking through the marks of a cloze deletion on either side: they are not on
    screen, so ``**{{c1::TLS}}**`` is bold as ``**TLS**`` is."""
    src, start, limit = state.src, state.pos, state.posMax
    end = start
    while end < limit and src[end] == "*":
        end += 1
    marked_before = start > 0 and src[start - 1] in _MARK_CHARS
    marked_after = end < limit and src[end] in _MARK_CHARS
    if not (marked_before or marked_after):
        return state.scanDelims(start, False)
    probe = list(src)
    if marked_before:
        probe[start - 1] = next((c for c in reversed(src[:start]) if c not in _MARK_CHARS), " ")
    if marked_after:
        probe[end] = next((c for c in src[end:limit] if c not in _MARK_CHARS), " ")
    state.src = "".join(probe)
    try:
        return state.scanDelims(start, False)
    finally:
        state.src = src


_MARK_CHARS = frozenset((HIDDEN, SHOWN, END))


def _as_written(url: str) -> str:
    return url


def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False})
    parser.enable(["strikethrough", "table"])
    parser.disable(["entity", "autolink", "reference", "lheading"])
    parser.inline.ruler.at("escape", _literal_escape)
    parser.inline.ruler.at("emphasis", _star_emphasis)
    parser.inline.ruler.at("text", _text_run)
    parser.inline.ruler.before("text", "cloze_hidden", _hidden_deletion)
    # Link addresses are shown, so show them as written rather than percent-encoded.
    parser.normalizeLink = _as_written  # type: ignore[method-assign]
    parser.normalizeLinkText = _as_written  # type: ignore[method-assign, assignment]
    return parser


def _faithful_inline(token: Token) -> Token:
    from markdown_it.token import Token

    if token.type == "softbreak":
        return Token("hardbreak", "br", 0)
    if token.type == "image":
        source = str(token.attrs.get("src", ""))
        return Token("text", "", 0, content=f"{token.content} ({source})")
    return token


@cache
def _shared_parser() -> MarkdownIt:
    return _parser()


@cache
def _markdown_class() -> Any:
    from rich.markdown import ListItem, Markdown
    from rich.segment import Segment

    parser = _shared_parser()

    class NumberedItem(ListItem):
        """A list item whose number keeps the delimiter written (``1.`` or ``1)``)."""

        delimiter = "."

        @classmethod
        def create(cls, markdown: Any, token: Token) -> NumberedItem:
            item = cls()
            item.delimiter = token.markup if token.markup in (".", ")") else "."
            return item

        def render_number(self, console: Any, options: Any, number: int, last_number: int) -> Any:
            width = len(str(last_number)) + 2
            lines = console.render_lines(
                self.elements, options.update(width=options.max_width - width), style=self.style
            )
            style = console.get_style("markdown.item.number", default="none")
            numeral = Segment(f"{number}{self.delimiter}".rjust(width - 1) + " ", style)
            padding = Segment(" " * width, style)
            for index, line in enumerate(lines):
                yield numeral if index == 0 else padding
                yield from line
                yield Segment.line()

    class CardMarkdown(Markdown):
        """rich's Markdown renderer over the dialect above; links as ``text (url)``."""

        elements: ClassVar = {**Markdown.elements, "list_item_open": NumberedItem}

        def __init__(self, markup: str) -> None:
            super().__init__("", hyperlinks=False)
            self.markup = markup
            self.parsed = parser.parse(markup)
            for token in self.parsed:
                if token.children:
                    token.children = [_faithful_inline(child) for child in token.children]

    return CardMarkdown
