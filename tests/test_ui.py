"""Rendering card text: Markdown where it is Markdown, plain text otherwise, never markup."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from flashcards.ui import markdown


def render(text: str) -> str:
    console = Console(width=60, record=True, color_system=None)
    console.print(markdown(text))
    return console.export_text()


def test_lists_render_as_lists() -> None:
    out = render("- User-friendly syntax\n- Strict data modeling")
    assert "• User-friendly syntax" in out and "• Strict data modeling" in out


def test_emphasis_and_code_are_markdown() -> None:
    out = render("Use **bold** and `code`")
    assert "**" not in out and "`" not in out and "bold" in out


def test_plain_prose_is_plain_text_and_kept_whole() -> None:
    assert isinstance(markdown("Amazon's NoSQL database service offering"), Text)
    assert render("It ties together all of the serverless services.").strip() == (
        "It ties together all of the serverless services."
    )


def test_rich_markup_is_never_interpreted() -> None:
    assert "[red]alarm[/red]" in render("[red]alarm[/red]")
    assert "[bold]x[/bold]" in render("- [bold]x[/bold]")


def test_html_entities_and_backslashes_are_shown_as_written() -> None:
    for text in ("<p>", "List<String> names", "&amp; &lt;", "C:\\Users\\me\\new_folder\\*.txt"):
        assert render(text + " `x`").split() == [*text.split(), "x"]


def test_stars_and_underscores_inside_words_are_not_emphasis() -> None:
    for text in ("2*3*4 = 24", "__init__ and snake_case_name", "*args, **kwargs"):
        assert render(text + " **b**").split() == [*text.split(), "b"]


def test_links_and_images_show_their_address() -> None:
    out = " ".join(render("[docs](https://example.com/a_b?x=1) ![flow](img/f.png)").split())
    assert out == "docs (https://example.com/a_b?x=1) flow (img/f.png)"


def test_ordered_lists_keep_their_numbers_and_lines_their_breaks() -> None:
    assert [line.strip() for line in render("3. three\n4. four").split("\n") if line.strip()] == [
        "3. three",
        "4. four",
    ]
    assert [line.strip() for line in render("one *a*\ntwo").split("\n") if line.strip()] == [
        "one a",
        "two",
    ]
