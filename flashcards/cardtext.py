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
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text

from flashcards.text import safe_text

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token
    from rich.console import RenderableType

# Anything this dialect would format: list items, headings, quotes, fences, table
# rows, and inline emphasis, code, strike-through and links. Text without any of
# these is plain text, and the Markdown parser (~40 ms to import) is never loaded.
_SYNTAX = re.compile(r"(^|\n)\s*([-*+]\s|\d+[.)]\s|#|>|```|~~~|\|)|[*`\[~]")
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def card_text(text: str, markdown: bool = True) -> RenderableType:
    """What the screen shows for a question or an answer (control characters escaped
    first, see :mod:`flashcards.text`)."""
    shown = safe_text(text)
    if not markdown or not _SYNTAX.search(shown):
        return Text(shown)
    return _markdown_class()(shown)


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
    scanned = state.scanDelims(state.pos, False)
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


def _as_written(url: str) -> str:
    return url


def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False})
    parser.enable(["strikethrough", "table"])
    parser.disable(["entity", "autolink", "reference", "lheading"])
    parser.inline.ruler.at("escape", _literal_escape)
    parser.inline.ruler.at("emphasis", _star_emphasis)
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
def _markdown_class() -> Any:
    from rich.markdown import ListItem, Markdown
    from rich.segment import Segment

    parser = _parser()

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
