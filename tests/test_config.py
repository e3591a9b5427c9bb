"""FSRS options in config.toml: validated once, per deck, written back keeping comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from flashcards.config import load_settings, save_parameters
from flashcards.errors import UsageError
from flashcards.scheduling import DEFAULT_CONFIG

FITTED = tuple(round(0.1 * i + 0.05, 4) for i in range(21))


def write(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text(text)
    return path


def test_no_fsrs_table_means_ankis_defaults(isolated_home: Path) -> None:
    assert load_settings().scheduling.for_deck("any") is DEFAULT_CONFIG


def test_per_deck_options_beat_the_general_ones(isolated_home: Path) -> None:
    numbers = ", ".join(str(p) for p in FITTED)
    write(
        isolated_home,
        f"[fsrs]\ndesired_retention = 0.85\n\n[fsrs.decks.spanish]\nparameters = [{numbers}]\n",
    )
    scheduling = load_settings().scheduling
    spanish, other = scheduling.for_deck("spanish"), scheduling.for_deck("other")
    assert spanish.parameters == FITTED and spanish.desired_retention == 0.85
    assert other.parameters == DEFAULT_CONFIG.parameters and other.desired_retention == 0.85


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[fsrs]\nparameters = [1, 2]\n", "fsrs: parameters must be a list of 21 numbers"),
        ("[fsrs]\ndesired_retention = 1.5\n", "desired_retention must be a number from 0.70"),
        ("[fsrs]\nretention = 0.9\n", "fsrs: unknown key 'retention'"),
        ("[fsrs.decks.x]\nsteps = 1\n", "fsrs.decks.x: only parameters and desired_retention"),
        ("fsrs = 3\n", "fsrs must be a table"),
    ],
)
def test_bad_fsrs_options_are_named(isolated_home: Path, text: str, message: str) -> None:
    path = write(isolated_home, text)
    with pytest.raises(UsageError, match=message) as caught:
        load_settings()
    assert str(path) in str(caught.value)


def test_saving_parameters_keeps_the_rest_of_the_file(isolated_home: Path) -> None:
    original = '# my settings\nprofile = "alice"  # who studies\n'
    path = write(isolated_home, original)
    save_parameters(isolated_home, FITTED, ["spanish"])
    text = path.read_text()
    assert text.startswith(original)
    settings = load_settings()
    assert settings.profile == "alice"
    assert settings.scheduling.for_deck("spanish").parameters == FITTED
    assert settings.scheduling.for_deck("french") is DEFAULT_CONFIG
    save_parameters(isolated_home, FITTED)
    assert load_settings().scheduling.for_deck("french").parameters == FITTED


def test_an_empty_profile_is_refused_not_taken_for_the_os_user(isolated_home: Path) -> None:
    with pytest.raises(UsageError, match="--profile '': name a profile"):
        load_settings(profile="")
    with pytest.raises(UsageError, match="--profile '  '"):
        load_settings(profile="  ")
