"""Settings, validated once into a typed object.

Precedence for each setting: command-line option, then environment variable, then
``$FLASHCARDS_HOME/config.toml``, then the default.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flashcards.deckpaths import builtin_deck_folder
from flashcards.errors import UsageError

CONFIG_FILE = "config.toml"
CONFIG_KEYS = ("store", "profile")


@dataclass(frozen=True)
class Settings:
    home: Path
    deck_path: tuple[Path, ...]
    store_url: str
    profile: str

    @property
    def cache_folder(self) -> Path:
        return self.home / "cache" / "decks"


def default_home() -> Path:
    from platformdirs import user_data_path

    return user_data_path("flashcards", appauthor=False)


def load_settings(
    decks: Sequence[Path] | None = None,
    store: str | None = None,
    profile: str | None = None,
) -> Settings:
    env = os.environ
    home = (
        Path(env["FLASHCARDS_HOME"]).expanduser() if env.get("FLASHCARDS_HOME") else default_home()
    )
    file_settings = _read_config(home / CONFIG_FILE)
    if decks:
        deck_path = tuple(Path(p).expanduser() for p in decks)
    elif env.get("FLASHCARDS_DECKS"):
        deck_path = tuple(
            Path(p).expanduser() for p in env["FLASHCARDS_DECKS"].split(os.pathsep) if p
        )
    else:
        deck_path = (builtin_deck_folder(), home / "decks")
    for entry in deck_path if (decks or env.get("FLASHCARDS_DECKS")) else ():
        if not entry.exists():
            source = "--decks" if decks else "FLASHCARDS_DECKS"
            raise UsageError(f"{source}: {entry} does not exist")
    store_url = store or env.get("FLASHCARDS_STORE") or _from_file(file_settings, home) or "json"
    name = profile or env.get("FLASHCARDS_PROFILE") or file_settings.get("profile") or _os_user()
    if not re.fullmatch(r"[\w.@-]{1,64}", name):
        raise UsageError(
            f"profile {name!r}: use letters, digits, '.', '@', '_' or '-' (at most 64)"
        )
    return Settings(home=home, deck_path=deck_path, store_url=store_url, profile=name)


def _from_file(file_settings: dict[str, str], home: Path) -> str | None:
    """The config file's store; a relative ``json:`` folder there is under the home."""
    url = file_settings.get("store")
    if url and url.startswith("json:") and url[5:] and not Path(url[5:]).expanduser().is_absolute():
        return f"json:{home / url[5:]}"
    return url


def _read_config(path: Path) -> dict[str, str]:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})") from None
    for key, value in data.items():
        if key not in CONFIG_KEYS:
            raise UsageError(f"{path}: unknown key {key!r} (allowed: {', '.join(CONFIG_KEYS)})")
        if not isinstance(value, str):
            raise UsageError(f"{path}: {key} must be a string")
    return data


def _os_user() -> str:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        return "default"
    cleaned = re.sub(r"[^\w.@-]", "_", name)[:64]
    return cleaned or "default"
