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
from typing import TYPE_CHECKING, Any

from flashcards.deckpaths import builtin_deck_folder
from flashcards.errors import UsageError

if TYPE_CHECKING:
    from flashcards.scheduling import SchedulerConfig

CONFIG_FILE = "config.toml"
CONFIG_KEYS = ("store", "profile", "fsrs")
FSRS_KEYS = ("parameters", "desired_retention", "decks")


@dataclass(frozen=True)
class Scheduling:
    """FSRS options from ``config.toml``: for every deck, and per deck where given
    (``[fsrs]`` and ``[fsrs.decks.DECK]``: ``parameters``, ``desired_retention``)."""

    parameters: tuple[float, ...] | None = None
    desired_retention: float | None = None
    decks: tuple[tuple[str, tuple[float, ...] | None, float | None], ...] = ()

    def for_deck(self, deck: str) -> SchedulerConfig:
        """The scheduler a deck uses: its own options, else the general ones, else Anki's
        defaults."""
        from flashcards.scheduling import DEFAULT_CONFIG, SchedulerConfig

        parameters, retention = self.parameters, self.desired_retention
        for name, deck_parameters, deck_retention in self.decks:
            if name == deck:
                parameters = deck_parameters or parameters
                retention = deck_retention or retention
        if parameters is None and retention is None:
            return DEFAULT_CONFIG
        return SchedulerConfig(
            parameters=parameters or DEFAULT_CONFIG.parameters,
            desired_retention=retention or DEFAULT_CONFIG.desired_retention,
        )


@dataclass(frozen=True)
class Settings:
    home: Path
    deck_path: tuple[Path, ...]
    store_url: str
    profile: str
    scheduling: Scheduling = Scheduling()

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
    for source, given in (
        ("--profile", profile),
        ("FLASHCARDS_PROFILE", env.get("FLASHCARDS_PROFILE")),
    ):
        if given is not None and not given.strip() and (source == "--profile" or given != ""):
            raise UsageError(f"{source} {given!r}: name a profile, or leave it out")
    name = profile or env.get("FLASHCARDS_PROFILE") or file_settings.get("profile") or _os_user()
    if not re.fullmatch(r"[\w.@-]{1,64}", name):
        raise UsageError(
            f"profile {name!r}: use letters, digits, '.', '@', '_' or '-' (at most 64)"
        )
    config_file = home / CONFIG_FILE
    scheduling = _scheduling(file_settings.get("fsrs"), config_file)
    return Settings(
        home=home, deck_path=deck_path, store_url=store_url, profile=name, scheduling=scheduling
    )


def _from_file(file_settings: dict[str, Any], home: Path) -> str | None:
    """The config file's store; a relative ``json:`` folder there is under the home."""
    url = file_settings.get("store")
    if url and url.startswith("json:") and url[5:] and not Path(url[5:]).expanduser().is_absolute():
        return f"json:{home / url[5:]}"
    return url


def _parameters(value: Any, where: str) -> tuple[float, ...] | None:
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 21
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise UsageError(f"{where}: parameters must be a list of 21 numbers (FSRS-6)")
    return tuple(float(v) for v in value)


def _retention(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0.7 <= value <= 0.99:
        raise UsageError(f"{where}: desired_retention must be a number from 0.70 to 0.99")
    return float(value)


def _scheduling(table: Any, path: Path) -> Scheduling:
    """``[fsrs]`` validated once: every value checked, with the file and key named."""
    if table is None:
        return Scheduling()
    if not isinstance(table, dict):
        raise UsageError(f"{path}: fsrs must be a table ([fsrs])")
    for key in table:
        if key not in FSRS_KEYS:
            raise UsageError(f"{path}: fsrs: unknown key {key!r} (allowed: {', '.join(FSRS_KEYS)})")
    decks = table.get("decks", {})
    if not isinstance(decks, dict):
        raise UsageError(f"{path}: fsrs.decks must be a table ([fsrs.decks.DECK])")
    per_deck = []
    for deck, options in decks.items():
        where = f"{path}: fsrs.decks.{deck}"
        if not isinstance(options, dict) or set(options) - {"parameters", "desired_retention"}:
            raise UsageError(f"{where}: only parameters and desired_retention may be set")
        per_deck.append(
            (
                deck,
                _parameters(options.get("parameters"), where),
                _retention(options.get("desired_retention"), where),
            )
        )
    return Scheduling(
        parameters=_parameters(table.get("parameters"), f"{path}: fsrs"),
        desired_retention=_retention(table.get("desired_retention"), f"{path}: fsrs"),
        decks=tuple(per_deck),
    )


def save_parameters(home: Path, parameters: tuple[float, ...], decks: Sequence[str] = ()) -> Path:
    """Write fitted parameters into ``config.toml`` (for the given decks, or for every
    deck), keeping everything else in the file as it was, comments included."""
    import tomlkit

    from flashcards.fsutil import write_atomically

    path = home / CONFIG_FILE
    try:
        document = (
            tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
        )
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read ({exc})") from None
    except tomlkit.exceptions.ParseError as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})") from None
    fsrs = document.setdefault("fsrs", tomlkit.table())
    values = tomlkit.array()
    values.extend(round(p, 4) for p in parameters)
    if not decks:
        fsrs["parameters"] = values
    else:
        per_deck = fsrs.setdefault("decks", tomlkit.table())
        for deck in decks:
            per_deck.setdefault(deck, tomlkit.table())["parameters"] = values
    home.mkdir(parents=True, exist_ok=True)
    write_atomically(path, tomlkit.dumps(document).encode("utf-8"))
    return path


def _read_config(path: Path) -> dict[str, Any]:
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
        if key != "fsrs" and not isinstance(value, str):
            raise UsageError(f"{path}: {key} must be a string")
    return data


def _os_user() -> str:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        return "default"
    cleaned = re.sub(r"[^\w.@-]", "_", name)[:64]
    return cleaned or "default"
