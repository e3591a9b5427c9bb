"""Where deck files are: kept apart from parsing so that listing never imports YAML."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

DECK_SUFFIXES = (".yaml", ".yml")


def builtin_deck_folder() -> Path:
    """The decks shipped with the package (or the repository's ``decks/`` in a checkout)."""
    here = Path(__file__).resolve().parent
    packaged = here / "decks"
    return packaged if packaged.is_dir() else here.parent / "decks"


def deck_files(search_path: Sequence[Path]) -> list[Path]:
    """Every deck file named by the search path: folders are listed (sorted), files kept.

    A file named twice (say, a folder and a file in it) is kept once, where first named.
    """
    found: list[Path] = []
    for entry in search_path:
        if entry.is_dir():
            found.extend(
                sorted(p for p in entry.iterdir() if p.suffix in DECK_SUFFIXES and p.is_file())
            )
        elif entry.is_file():
            found.append(entry)
    unique: dict[str, Path] = {}
    for path in found:
        unique.setdefault(os.path.abspath(path), path)
    return list(unique.values())
