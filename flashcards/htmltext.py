"""Card text between Anki's HTML fields and the Markdown of deck files.

HTML to Markdown is ``markdownify`` (BeautifulSoup underneath): entities decoded,
``&nbsp;`` as a plain space, ``<br>`` as a line break (two in a row as a new
paragraph: the screen shows a deck's line breaks as written, and so does the way
back), lists as ``-`` / ``1.`` items, images pointed at the deck's media folder.
Markdown to HTML is ``markdown-it`` (CommonMark, already here through rich). Anki's
``[sound:FILE]`` references are kept as they are written, in both directions.
Both libraries are imported only when a package is read or written.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

#: Anki's reference to a sound or video file in a field.
SOUND = re.compile(r"\[sound:([^\]]+)\]")
_HARD_BREAKS = re.compile(r"(?:[ \t]*\\\n){2,}")
_TRAILING_BREAK = re.compile(r"(?:\s*\\)+\s*$")
_BACKSLASH_BREAK = re.compile(r"[ \t]*\\\n")
_BLANK_LINES = re.compile(r"\n{3,}")
_BLOCKS = {"div", "p", "ul", "ol", "pre", "table", "blockquote", "br", "hr"}
_BLOCK_START = re.compile(r"\s*(?:[-*+] |\d+\. |```|\|)")


def html_to_markdown(text: str, image_source: Callable[[str], str] = lambda src: src) -> str:
    """An Anki field as Markdown; ``image_source`` maps each ``<img src>`` (a media file
    name) to what the Markdown refers to."""
    from markdownify import MarkdownConverter

    class Converter(MarkdownConverter):
        def convert_div(self, el: Any, text: str, parent_tags: Any) -> str:
            # Anki's editor writes each line of a field as a <div> (an empty line as
            # <div><br></div>): a line break each, not a paragraph each.
            if "_inline" in parent_tags:
                return f" {text} "
            body = text.strip("\n")
            if _BLOCK_START.match(body):  # a list, code or table keeps blank lines around
                return f"\n\n{body}\n\n"
            # Text before it in the same field ("first<div>second</div>") ends its line.
            before = el.previous_sibling
            start = "\\\n" if before is not None and before.name not in _BLOCKS else ""
            if before is not None and before.name is None and not str(before).strip():
                start = ""
            if not body.strip() or _BACKSLASH_BREAK.fullmatch(body + "\n"):
                return start + "\\\n"
            return f"{start}{body}\\\n"

        def convert_img(self, el: Any, text: str, parent_tags: Any) -> str:
            source = el.attrs.get("src") or ""
            alt = (el.attrs.get("alt") or "").replace("]", "")
            return f"![{alt}]({quote(image_source(unquote(source)), safe='/:.%-_~')})"

    converted = Converter(
        heading_style="ATX",
        bullets="-",
        newline_style="BACKSLASH",
        escape_underscores=False,  # snake_case words in plain fields stay as written
        escape_misc=False,
    ).convert(text)
    converted = converted.replace("\xa0", " ")
    converted = _HARD_BREAKS.sub("\n\n", converted)
    converted = _TRAILING_BREAK.sub("", converted)
    converted = _BACKSLASH_BREAK.sub("\n", converted)
    lines = [line.rstrip() for line in converted.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def markdown_to_html(text: str, markdown: bool, image_name: Callable[[str], str | None]) -> str:
    """A card side as an Anki field: Markdown rendered (CommonMark), or plain text
    escaped with its line breaks kept. ``image_name`` gives the media file name an image
    source stands for (``None`` leaves the source as it is)."""
    if not markdown:
        return html.escape(text).replace("\n", "<br>")
    from markdown_it import MarkdownIt

    # A line break in a deck is shown as one, so it goes to Anki as ``<br>``.
    parser = MarkdownIt("commonmark", {"breaks": True})
    tokens = parser.parse(text)
    for token in tokens:
        for child in token.children or []:
            if child.type == "image":
                source = str(child.attrGet("src") or "")
                name = image_name(unquote(source))
                if name is not None:
                    child.attrSet("src", name)
    rendered = parser.renderer.render(tokens, parser.options, {}).strip()
    # A single paragraph is the field's text alone, as Anki's editor writes it.
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        rendered = rendered[3:-4]
    return rendered if "<pre>" in rendered else re.sub(r">\n+<", "><", rendered)


def sound_files(text: str) -> list[str]:
    """The file names of the ``[sound:FILE]`` references in a field."""
    return [name.strip() for name in SOUND.findall(text)]
