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
