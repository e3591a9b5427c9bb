"""The command line: the app, its help layout and the one place errors become an exit status.
The commands are in `flashcards.commands`; they parse options, hand off and render."""

from __future__ import annotations

from collections.abc import Callable
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


def _typer(**settings: Any) -> typer.Typer:
    return typer.Typer(
        cls=_Commands,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        # Plain help: the rich help renderer imports a Markdown parser and costs ~40 ms
        # on every `--help`, half again the start-up of the whole program.
        rich_markup_mode=None,
        **settings,
    )


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


def _progress(app: typer.Typer) -> None:
    progress_app = _typer(help="Move review history between stores.")
    progress_app.command("export")(progress.export)
    progress_app.command("import")(progress.import_)
    app.add_typer(progress_app, name="progress")


#: Every command, in the order `--help` lists them (``progress`` is a group of two).
COMMANDS: dict[str, Callable[..., None] | None] = {
    "study": study.study,
    "list-decks": overview.list_decks,
    "stats": overview.stats,
    "cards": overview.cards,
    **{action: marks.mark_command(action, doc) for action, doc in marks.ACTIONS},
    "optimize": upkeep.optimize,
    "export": deckfiles.export_decks,
    "check": upkeep.check,
    "add": deckfiles.add,
    "import": deckfiles.import_file,
    "progress": None,
}


def make_app(only: str | None = None) -> typer.Typer:
    """The command line, with every command or with the one named ``only``: click
    builds each command's options from its signature on every run (about a millisecond
    a command), so a run that names its command builds that one alone."""
    made = _typer(
        help="Spaced-repetition study in the terminal.",
        # typer's --install-completion/--show-completion: its completion module is
        # imported by typer in any case, so offering them costs start-up nothing.
        add_completion=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    made.callback()(_options)
    for name, function in COMMANDS.items():
        if only not in (None, name):
            continue
        if function is None:
            _progress(made)
        else:
            made.command(name)(function)
    return made


app = make_app()


def main() -> None:
    import os
    import sys

    named = sys.argv[1] if len(sys.argv) > 1 else None
    # Completion asks the whole tree; so does anything that is not a command's name.
    completing = any(key.startswith("_") and key.endswith("_COMPLETE") for key in os.environ)
    (make_app(named) if named in COMMANDS and not completing else app)()
