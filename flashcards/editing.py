"""Opening a deck file in the learner's editor at a card's line.

The editor is ``$VISUAL``, else ``$EDITOR`` (either may carry arguments, as git allows:
``EDITOR="code --wait"``), else ``sensible-editor`` (Debian's choice of the user's
editor), ``nano`` or ``vi``, whichever is installed first.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flashcards.decks import card_id_from_question
from flashcards.errors import DeckError, UsageError
from flashcards.model import note_of

#: Tried in order when neither VISUAL nor EDITOR is set.
DEFAULT_EDITORS = ("sensible-editor", "nano", "vi")
#: Editors that open a file at a line given as ``+LINE`` before it.
_PLUS_LINE = frozenset(
    {
        "sensible-editor",
        "editor",
        "vi",
        "vim",
        "nvim",
        "gvim",
        "view",
        "nano",
        "pico",
        "emacs",
        "emacsclient",
        "micro",
        "kak",
        "joe",
        "jed",
        "ne",
        "mcedit",
        "gedit",
    }
)
#: Editors that take ``FILE:LINE`` (after ``--goto`` for VS Code and its kin).
_GOTO = frozenset({"code", "codium", "code-insiders", "cursor"})
_FILE_COLON_LINE = frozenset({"subl", "hx", "helix", "zed", "mate"})


def card_line(path: Path, card_id: str) -> int:
    """The 1-based line where the entry of ``card_id`` starts in the deck file (its
    ``-``). A made card (``tls/c2``, ``x/reverse``) is found by its entry's id; an
    entry without ``id`` by the id its question (or cloze text) gives it.
    ``DeckError`` if the file cannot be read as YAML or has no such entry."""
    import yaml

    entry_id = note_of(card_id)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DeckError(f"{path}: cannot find card {card_id!r} ({exc})") from None
    for item in _card_items(root):
        fields = {
            key.value: value.value
            for key, value in item.value
            if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode)
        }
        own = fields.get("id")
        text = fields.get("question", fields.get("cloze"))
        if own is not None and str(own) == entry_id:
            return int(item.start_mark.line) + 1
        if own is None and text and card_id_from_question(str(text).strip()) == entry_id:
            return int(item.start_mark.line) + 1
    raise DeckError(f"{path}: no card {entry_id!r}")


def _card_items(root: object) -> list[Any]:
    import yaml

    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if (
            isinstance(key, yaml.ScalarNode)
            and key.value == "cards"
            and isinstance(value, yaml.SequenceNode)
        ):
            return [item for item in value.value if isinstance(item, yaml.MappingNode)]
    return []


def editor_command(path: Path, line: int, env: Mapping[str, str]) -> list[str]:
    """The command that opens ``path`` at ``line`` (1-based; 0 or less: no line) in
    the learner's editor: ``$VISUAL``, ``$EDITOR``, else the first of
    ``DEFAULT_EDITORS`` found on ``PATH``. ``UsageError`` when there is none."""
    for name in ("VISUAL", "EDITOR"):
        chosen = env.get(name, "").strip()
        if chosen:
            try:
                words = shlex.split(chosen)
            except ValueError as exc:
                raise UsageError(f"${name} {chosen!r}: {exc}") from None
            break
    else:
        search = env.get("PATH", os.defpath)
        found = next((e for e in DEFAULT_EDITORS if shutil.which(e, path=search)), None)
        if found is None:
            raise UsageError("no editor found: set $VISUAL or $EDITOR (e.g. EDITOR=nano)")
        words = [found]
    program = Path(words[0]).name
    # vim.basic, vim.tiny, nvim-qt... are the same editors under Debian's names
    family = program.split(".", 1)[0].removesuffix("-qt")
    target = str(path)
    if line <= 0:
        return [*words, target]
    if family in _PLUS_LINE:
        return [*words, f"+{line}", target]
    if family in _GOTO:
        return [*words, "--goto", f"{target}:{line}"]
    if family in _FILE_COLON_LINE:
        return [*words, f"{target}:{line}"]
    return [*words, target]


def edit_deck_at(deck_path: Path, card_id: str) -> None:
    """Run the learner's editor on ``deck_path`` at ``card_id``'s entry and wait for it
    to close (the caller then reloads the deck). A file whose entry cannot be found
    (say, left broken by an earlier edit) opens at its top. ``UsageError`` if the
    editor cannot be started or fails."""
    try:
        line = card_line(deck_path, card_id)
    except DeckError:
        line = 0
    command = editor_command(deck_path, line, os.environ)
    try:
        finished = subprocess.run(command, check=False)
    except OSError as exc:
        raise UsageError(
            f"cannot start the editor {command[0]!r} ({exc.strerror}); set $VISUAL or $EDITOR"
        ) from None
    if finished.returncode != 0:
        raise UsageError(f"the editor {command[0]!r} exited with status {finished.returncode}")
