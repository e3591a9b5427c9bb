"""Deck options: daily limits, steps, retention and the rest, as Anki's deck options.

Each deck's options come from four places, the first that sets an option winning:
``config.toml`` ``[decks."DECK"]``, the deck file's ``options:`` mapping, ``config.toml``
``[options]``, and the defaults below (Anki's). Values are checked where they are read
(``decks.py`` for deck files, ``config.py`` for ``config.toml``) by :func:`check_options`,
so a bad one is reported with its file and line; what reaches :class:`DeckOptions` is
always valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flashcards.catalog import Catalog
    from flashcards.scheduling import SchedulerConfig

NEW_ORDERS = ("deck", "random")
LEECH_ACTIONS = ("tag", "suspend")

#: Options as given in a file: option name to checked value (a partial ``DeckOptions``).
OptionValues = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class DeckOptions:
    """One deck's options, Anki's defaults unless set. Steps are in minutes."""

    new_per_day: int = 20
    reviews_per_day: int = 200
    learning_steps: tuple[float, ...] = (1.0, 10.0)
    relearning_steps: tuple[float, ...] = (10.0,)
    desired_retention: float = 0.9
    maximum_interval: int = 36500
    new_order: str = "deck"  # "deck" | "random"
    bury_siblings: bool = True
    leech_threshold: int = 8
    leech_action: str = "tag"  # "tag" | "suspend"


DEFAULT_OPTIONS = DeckOptions()
OPTION_NAMES: tuple[str, ...] = tuple(f.name for f in fields(DeckOptions))


def is_leech_lapse(lapses: int, threshold: int) -> bool:
    """Whether a card that has just lapsed for the ``lapses``-th time becomes a leech:
    at the threshold, then every half threshold (rounded up) after it, as Anki's
    ``leech_threshold_met``. A threshold of 0 turns leeches off."""
    if threshold <= 0:
        return False
    half = max(-(-threshold // 2), 1)
    return lapses >= threshold and (lapses - threshold) % half == 0


class DeckOptionsMap:
    """Each deck's options: call it with a deck id. ``general`` are the options of no
    deck in particular (``config.toml`` ``[options]`` over the defaults), whose limits
    also cap a study session over several decks (see ``queue.session_limits``)."""

    def __init__(
        self, of_deck: Callable[[str], DeckOptions], general: DeckOptions = DEFAULT_OPTIONS
    ) -> None:
        self._of_deck = of_deck
        self.general = general

    def __call__(self, deck: str) -> DeckOptions:
        return self._of_deck(deck)

    @classmethod
    def from_deck_files(cls, catalog: Catalog) -> DeckOptionsMap:
        """Each deck's options as its deck file sets them, over the defaults (what a
        study session follows when it is given no options)."""
        from_file = {info.id: info.options for info in catalog.infos}
        return cls(lambda deck: resolve(from_file.get(deck, ())))


def resolve(*layers: Iterable[tuple[str, Any]] | Mapping[str, Any]) -> DeckOptions:
    """A deck's options from layers of checked values, lowest precedence first (config
    ``[options]``, deck file ``options:``, config ``[decks."DECK"]``)."""
    values: dict[str, Any] = {}
    for layer in layers:
        values.update(dict(layer))
    return replace(DEFAULT_OPTIONS, **values)


def scheduler_config(
    options: DeckOptions, parameters: tuple[float, ...] | None = None
) -> SchedulerConfig:
    """The scheduler for a deck with these options and fitted FSRS ``parameters``
    (Anki's defaults without). Every scheduler built for a deck comes from here."""
    from flashcards.scheduling import DEFAULT_CONFIG, SchedulerConfig

    if options == DEFAULT_OPTIONS and parameters is None:
        return DEFAULT_CONFIG  # one shared value: its FSRS model is built once
    return SchedulerConfig(
        parameters=parameters or DEFAULT_CONFIG.parameters,
        desired_retention=options.desired_retention,
        learning_steps=options.learning_steps,
        relearning_steps=options.relearning_steps,
        maximum_interval=options.maximum_interval,
    )


# -- checking values read from a file ----------------------------------------------------

#: A step written with a unit, as Anki shows them: ``30s``, ``10m``, ``1h``, ``2d``.
_STEP = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)")
_MINUTES = {"s": 1 / 60, "m": 1.0, "": 1.0, "h": 60.0, "d": 1440.0}
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


class OptionError(ValueError):
    """A bad option value; ``option`` names it, the message says what is allowed."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


def check_options(table: Any, *, text_scalars: bool = False) -> OptionValues:
    """Check a mapping of option names to values; raise :class:`OptionError` naming the
    first bad one. ``text_scalars``: numbers and flags may come as text (deck files keep
    plain scalars as text)."""
    if not isinstance(table, Mapping):
        raise OptionError("", "options must be a mapping of option names to values")
    checked: list[tuple[str, Any]] = []
    for name, value in table.items():
        if name not in OPTION_NAMES:
            raise OptionError(
                str(name), f"unknown option {name!r} (allowed: {', '.join(OPTION_NAMES)})"
            )
        checked.append((name, _CHECKS[name](name, value, text_scalars)))
    return tuple(checked)


def _number(value: Any, text_scalars: bool) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if text_scalars and isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    return None


def _whole(
    minimum: int, meaning: str, maximum: int | None = None
) -> Callable[[str, Any, bool], int]:
    def check(name: str, value: Any, text_scalars: bool) -> int:
        number = _number(value, text_scalars)
        if (
            not isinstance(number, int)
            or number < minimum
            or (maximum is not None and number > maximum)
        ):
            raise OptionError(name, f"{name} must be a whole number {meaning}, not {value!r}")
        return number

    return check


def _steps(name: str, value: Any, text_scalars: bool) -> tuple[float, ...]:
    items = value.split() if isinstance(value, str) else value
    if not isinstance(items, list):
        raise OptionError(
            name, f"{name} must be a list of steps in minutes (or like 30s, 10m, 1h, 2d)"
        )
    steps: list[float] = []
    for item in items:
        number = _number(item, text_scalars)
        if number is None and isinstance(item, str):
            match = _STEP.fullmatch(item.strip())
            if match:
                number = float(match.group(1)) * _MINUTES[match.group(2)]
        if number is None or not number > 0 or number > 1e7:
            raise OptionError(
                name,
                f"{name} must be positive numbers of minutes (or like 30s, 10m, 1h, 2d), "
                f"not {item!r}",
            )
        steps.append(float(number))
    return tuple(steps)


def _retention(name: str, value: Any, text_scalars: bool) -> float:
    number = _number(value, text_scalars)
    if number is None or not 0.7 <= number <= 0.99:
        raise OptionError(name, f"{name} must be a number from 0.70 to 0.99, not {value!r}")
    return float(number)


def _choice(choices: tuple[str, ...]) -> Callable[[str, Any, bool], str]:
    def check(name: str, value: Any, text_scalars: bool) -> str:
        if value not in choices:
            raise OptionError(name, f"{name} must be {' or '.join(choices)}, not {value!r}")
        return str(value)

    return check


def _flag(name: str, value: Any, text_scalars: bool) -> bool:
    if isinstance(value, bool):
        return value
    if text_scalars and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise OptionError(name, f"{name} must be true or false, not {value!r}")


_CHECKS: dict[str, Callable[[str, Any, bool], Any]] = {
    "new_per_day": _whole(0, "of at least 0"),
    "reviews_per_day": _whole(0, "of at least 0"),
    "learning_steps": _steps,
    "relearning_steps": _steps,
    "desired_retention": _retention,
    # Anki's bounds; a longer interval would run a due date past the year 9999.
    "maximum_interval": _whole(1, "of days from 1 to 36500", 36500),
    "new_order": _choice(NEW_ORDERS),
    "bury_siblings": _flag,
    "leech_threshold": _whole(0, "of lapses, at least 0 (0: never)"),
    "leech_action": _choice(LEECH_ACTIONS),
}
