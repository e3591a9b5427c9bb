"""Settings, validated once into a typed object.

Precedence for each setting: command-line option, then environment variable, then
``$FLASHCARDS_HOME/config.toml``, then the default.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flashcards.deckpaths import builtin_deck_folder
from flashcards.errors import UsageError
from flashcards.options import (
    DEFAULT_OPTIONS,
    DeckOptions,
    DeckOptionsMap,
    OptionError,
    OptionValues,
    check_options,
    resolve,
    scheduler_config,
)

if TYPE_CHECKING:
    from flashcards.catalog import Catalog
    from flashcards.scheduling import SchedulerConfig

CONFIG_FILE = "config.toml"
CONFIG_KEYS = ("store", "profile", "builtin_decks", "options", "decks", "fsrs")
FSRS_KEYS = ("parameters", "desired_retention", "decks")


@dataclass(frozen=True)
class Scheduling:
    """Deck options and FSRS parameters from ``config.toml``: ``[options]`` and
    ``[fsrs]`` for every deck, ``[decks."DECK"]`` and ``[fsrs.decks.DECK]`` for one."""

    parameters: tuple[float, ...] | None = None
    desired_retention: float | None = None
    decks: tuple[tuple[str, tuple[float, ...] | None, float | None], ...] = ()
    #: ``[options]``: checked values for every deck.
    options: OptionValues = ()
    #: ``[decks."DECK"]``: checked values per deck, beating the deck file's.
    deck_options: tuple[tuple[str, OptionValues], ...] = ()

    def options_for(self, deck: str, from_file: OptionValues = ()) -> DeckOptions:
        """A deck's options: ``[decks."DECK"]``, then the deck file's ``options:``
        (``from_file``), then ``[options]``, then Anki's defaults. The retention set in
        ``[fsrs]`` counts as one of ``[options]``, that of ``[fsrs.decks.DECK]`` as one
        of ``[decks."DECK"]``."""
        general = self._general()
        own: list[tuple[str, Any]] = []
        for name, _parameters, retention in self.decks:
            if name == deck and retention is not None:
                own.append(("desired_retention", retention))
        for name, values in self.deck_options:
            if name == deck:
                own += values
        if not general and not from_file and not own:
            return DEFAULT_OPTIONS
        return resolve(general, from_file, own)

    def general_options(self) -> DeckOptions:
        """The options of no deck in particular: ``[options]`` over the defaults."""
        general = self._general()
        return resolve(general) if general else DEFAULT_OPTIONS

    def _general(self) -> list[tuple[str, Any]]:
        general: list[tuple[str, Any]] = []
        if self.desired_retention is not None:
            general.append(("desired_retention", self.desired_retention))
        return general + list(self.options)

    def parameters_for(self, deck: str) -> tuple[float, ...] | None:
        """The fitted FSRS parameters of a deck: its own, else the general ones."""
        parameters = self.parameters
        for name, deck_parameters, _retention in self.decks:
            if name == deck and deck_parameters is not None:
                parameters = deck_parameters
        return parameters

    def for_deck(self, deck: str, from_file: OptionValues = ()) -> SchedulerConfig:
        """The scheduler a deck uses: its options (see ``options_for``) with its fitted
        parameters, else Anki's defaults."""
        return scheduler_config(self.options_for(deck, from_file), self.parameters_for(deck))


@dataclass(frozen=True)
class Settings:
    home: Path
    deck_path: tuple[Path, ...]
    store_url: str
    profile: str
    scheduling: Scheduling = Scheduling()
    #: ``builtin_decks = false`` leaves the decks shipped with the program off the path.
    builtin_decks: bool = True

    @property
    def cache_folder(self) -> Path:
        return self.home / "cache" / "decks"

    def deck_options(self, catalog: Catalog) -> DeckOptionsMap:
        """Each deck's options, its deck file's ``options:`` taken from ``catalog``; the
        general ones (``[options]``) too."""
        from_file = {info.id: info.options for info in catalog.infos}

        @cache
        def options_of(deck: str) -> DeckOptions:
            return self.scheduling.options_for(deck, from_file.get(deck, ()))

        return DeckOptionsMap(options_of, self.scheduling.general_options())

    def schedulers(self, catalog: Catalog) -> Callable[[str], SchedulerConfig]:
        """Each deck's scheduler: its options (``deck_options``) and fitted parameters.
        Study, ``cards``, ``stats`` and ``optimize`` all take their schedulers from here."""
        options_of = self.deck_options(catalog)

        @cache
        def scheduler_of(deck: str) -> SchedulerConfig:
            return scheduler_config(options_of(deck), self.scheduling.parameters_for(deck))

        return scheduler_of


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
    config = _read_config(home / CONFIG_FILE)
    file_settings = config.data
    builtin_decks = _builtin_decks(config)
    if decks:
        deck_path = tuple(Path(p).expanduser() for p in decks)
    elif env.get("FLASHCARDS_DECKS"):
        deck_path = tuple(
            Path(p).expanduser() for p in env["FLASHCARDS_DECKS"].split(os.pathsep) if p
        )
    else:
        builtin = (builtin_deck_folder(),) if builtin_decks else ()
        deck_path = (*builtin, home / "decks")
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
    return Settings(
        home=home,
        deck_path=deck_path,
        store_url=store_url,
        profile=name,
        scheduling=_scheduling(config),
        builtin_decks=builtin_decks,
    )


def _from_file(file_settings: dict[str, Any], home: Path) -> str | None:
    """The config file's store; a relative ``json:`` folder there is under the home."""
    url = file_settings.get("store")
    if url and url.startswith("json:") and url[5:] and not Path(url[5:]).expanduser().is_absolute():
        return f"json:{home / url[5:]}"
    return url


def _builtin_decks(config: _ConfigFile) -> bool:
    value = config.data.get("builtin_decks", True)
    if not isinstance(value, bool):
        raise UsageError(f"{config.at('builtin_decks')}: builtin_decks must be true or false")
    return value


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


def _scheduling(config: _ConfigFile) -> Scheduling:
    """``[fsrs]``, ``[options]`` and ``[decks."DECK"]`` validated once: every value
    checked, with the file, line and option named."""
    table = config.data.get("fsrs")
    options = _options(config, config.data.get("options"), ("options",))
    deck_options = _deck_options(config)
    if table is None:
        return Scheduling(options=options, deck_options=deck_options)
    if not isinstance(table, dict):
        raise UsageError(f"{config.at('fsrs')}: fsrs must be a table ([fsrs])")
    for key in table:
        if key not in FSRS_KEYS:
            raise UsageError(
                f"{config.at('fsrs', key)}: fsrs: unknown key {key!r} "
                f"(allowed: {', '.join(FSRS_KEYS)})"
            )
    decks = table.get("decks", {})
    if not isinstance(decks, dict):
        raise UsageError(
            f"{config.at('fsrs', 'decks')}: fsrs.decks must be a table ([fsrs.decks.DECK])"
        )
    per_deck = []
    for deck, deck_table in decks.items():
        keys = ("fsrs", "decks", deck)
        if not isinstance(deck_table, dict) or set(deck_table) - {
            "parameters",
            "desired_retention",
        }:
            raise UsageError(
                f"{config.at(*keys)}: fsrs.decks.{deck}: only parameters and "
                'desired_retention may be set (other options go in [decks."DECK"])'
            )
        per_deck.append(
            (
                deck,
                _parameters(
                    deck_table.get("parameters"),
                    f"{config.at(*keys, 'parameters')}: fsrs.decks.{deck}",
                ),
                _retention(
                    deck_table.get("desired_retention"),
                    f"{config.at(*keys, 'desired_retention')}: fsrs.decks.{deck}",
                ),
            )
        )
    return Scheduling(
        parameters=_parameters(table.get("parameters"), f"{config.at('fsrs', 'parameters')}: fsrs"),
        desired_retention=_retention(
            table.get("desired_retention"), f"{config.at('fsrs', 'desired_retention')}: fsrs"
        ),
        decks=tuple(per_deck),
        options=options,
        deck_options=deck_options,
    )


def _options(config: _ConfigFile, table: Any, keys: tuple[str, ...]) -> OptionValues:
    """One table of deck options, checked; a bad value names its line and option."""
    if table is None:
        return ()
    name = _table_name(keys)
    if not isinstance(table, dict):
        raise UsageError(f"{config.at(*keys)}: {name} must be a table of deck options")
    try:
        return check_options(table)
    except OptionError as exc:
        raise UsageError(f"{config.at(*keys, exc.option)}: {name}: {exc}") from None


def _deck_options(config: _ConfigFile) -> tuple[tuple[str, OptionValues], ...]:
    decks = config.data.get("decks")
    if decks is None:
        return ()
    if not isinstance(decks, dict):
        raise UsageError(f'{config.at("decks")}: decks must be tables ([decks."DECK"])')
    return tuple((deck, _options(config, table, ("decks", deck))) for deck, table in decks.items())


def _table_name(keys: Sequence[str]) -> str:
    """``[decks."aws-s3"]`` style, as the table is written in the file."""
    parts = [key if re.fullmatch(r"[A-Za-z0-9_]+", key) else f'"{key}"' for key in keys]
    return f"[{'.'.join(parts)}]"


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


def config_line(path: Path, *keys: str) -> int:
    """The line of the table or key at ``keys`` in the TOML file at ``path`` (or of the
    nearest table holding it; 1 when the file cannot be read)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 1
    lines = _key_lines(text)
    for end in range(len(keys), 0, -1):
        if keys[:end] in lines:
            return lines[keys[:end]]
    return 1


class _ConfigFile:
    """``config.toml`` as read: its values, and the line of each key for messages."""

    def __init__(self, path: Path, text: str, data: dict[str, Any]) -> None:
        self.path, self.text, self.data = path, text, data
        self._lines: dict[tuple[str, ...], int] | None = None

    def at(self, *keys: str) -> str:
        """``FILE:LINE`` of the key at ``keys`` (or of the nearest table holding it)."""
        if self._lines is None:
            self._lines = _key_lines(self.text)
        for end in range(len(keys), 0, -1):
            if keys[:end] in self._lines:
                return f"{self.path}:{self._lines[keys[:end]]}"
        return f"{self.path}:1"


_HEADER = re.compile(r"\s*\[\[?(?P<name>[^\[\]]+)\]\]?\s*(#.*)?")
_ASSIGNMENT = re.compile(r"\s*(?P<key>[\w\-.\s\"']+?)\s*=")


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The first line of every table and key in a TOML text (found line by line; only
    error messages use it, and an unusual layout only costs a less precise line)."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.fullmatch(line)
        if header:
            table = _dotted(header["name"]) or ()
            for end in range(1, len(table) + 1):
                lines.setdefault(table[:end], number)
            continue
        assignment = _ASSIGNMENT.match(line)
        key = _dotted(assignment["key"]) if assignment else None
        if key:
            full = table + key
            for end in range(len(table) + 1, len(full) + 1):
                lines.setdefault(full[:end], number)
    return lines


def _dotted(key: str) -> tuple[str, ...] | None:
    """The parts of a TOML key (``decks."aws-s3"`` is ``("decks", "aws-s3")``)."""
    import tomllib

    try:
        value: Any = tomllib.loads(f"{key} = 0")
    except tomllib.TOMLDecodeError:
        return None
    parts: list[str] = []
    while isinstance(value, dict) and len(value) == 1:
        part, value = next(iter(value.items()))
        parts.append(part)
    return tuple(parts)


def _read_config(path: Path) -> _ConfigFile:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _ConfigFile(path, "", {})
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read ({exc})") from None
    import tomllib  # only when there is a file to read

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})") from None
    config = _ConfigFile(path, text, data)
    for key, value in data.items():
        if key not in CONFIG_KEYS:
            raise UsageError(
                f"{config.at(key)}: unknown key {key!r} (allowed: {', '.join(CONFIG_KEYS)})"
            )
        if key in ("store", "profile") and not isinstance(value, str):
            raise UsageError(f"{config.at(key)}: {key} must be a string")
    return config


def _os_user() -> str:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        return "default"
    cleaned = re.sub(r"[^\w.@-]", "_", name)[:64]
    return cleaned or "default"
