"""The command line: the app, its help layout and the one place errors become an exit status.
The commands are in `flashcards.commands`; they parse options, hand off and render."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from flashcards.commands import deckfiles, marks, overview, progress, study, upkeep
from flashcards.commands.common import error_console
from flashcards.errors import FlashcardsError
from flashcards.text import error_line

_ClickFormatter: Any = typer.Context.formatter_class


class _HelpFormatter(_ClickFormatter):
    """click's help, with each option on a line of its own above its text when the
    terminal is narrow (click would squeeze the text into ten columns and cut words)."""

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        if self.width < 60:
            col_max = min(col_max, 10)
        super().write_dl(rows, col_max, col_spacing)


class _Context(typer.Context):
    formatter_class = _HelpFormatter


class _Commands(TyperGroup):
    """Turns every ``FlashcardsError`` into one red line and exit status 1 — the only place."""

    context_class = _Context

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            command.context_class = _Context  # its help is laid out the same way
        return command

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except FlashcardsError as exc:
            error_console().print(error_line(str(exc)), soft_wrap=True)
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            raise typer.Exit(code=130) from None

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        """Help wrapped to a terminal narrower than click's minimum of 50 columns
        (the commands under this one inherit the width)."""
        if parent is None:
            import shutil

            columns = shutil.get_terminal_size().columns
            if columns < 52:
                extra.setdefault("terminal_width", max(columns - 1, 20))
        return super().make_context(info_name, args, parent, **extra)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list with each command's first sentence whole (click cuts it
        to fit one line and ends it with "...")."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"flashcards {version('flashcards')}")
        raise typer.Exit()


app = typer.Typer(
    cls=_Commands,
    help="Spaced-repetition study in the terminal.",
    no_args_is_help=True,
    # typer's --install-completion/--show-completion: its completion module is
    # imported by typer in any case, so offering them costs start-up nothing.
    add_completion=True,
    pretty_exceptions_enable=False,
    # Plain help: the rich help renderer imports a Markdown parser and costs ~40 ms
    # on every `--help`, half again the start-up of the whole program.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
progress_app = typer.Typer(
    cls=_Commands,
    help="Move review history between stores.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(progress_app, name="progress")


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show the version and exit.",
            is_eager=True,
            callback=_show_version,
        ),
    ] = False,
) -> None:
    """Spaced-repetition study in the terminal."""


# The commands in the order `--help` lists them.
app.command()(study.study)
app.command("list-decks")(overview.list_decks)
app.command()(overview.stats)
app.command()(overview.cards)
for _action, _doc in marks.ACTIONS:
    app.command(_action)(marks.mark_command(_action, _doc))
app.command()(upkeep.optimize)
app.command("export")(deckfiles.export_decks)
app.command()(upkeep.check)
app.command()(deckfiles.add)
app.command("import")(deckfiles.import_file)
progress_app.command("export")(progress.export)
progress_app.command("import")(progress.import_)


def main() -> None:
    app()
