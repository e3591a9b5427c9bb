"""Every test gets its own FLASHCARDS_HOME and a clean flashcards environment."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from servers import Dynalite, isolate_aws
from typer.testing import CliRunner

from flashcards.days import study_date
from flashcards.model import REVIEW, CardState

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    for name in ("FLASHCARDS_DECKS", "FLASHCARDS_STORE", "FLASHCARDS_PROFILE", "FLASHCARDS_NOW"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FLASHCARDS_HOME", str(home))
    # Rich output at a fixed, wide width and without colour, as fastapi-cli's tests do.
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    yield home


@pytest.fixture(scope="session")
def dynalite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dynalite]:
    """One real dynalite server for the whole run (started on first use)."""
    server = Dynalite(tmp_path_factory.mktemp("dynalite") / "data")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def deck_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "decks"
    folder.mkdir()
    return folder


def card_state(kind: int, due: datetime, *, reps: int = 2, lapses: int = 0) -> CardState:
    """A card state for tests: a review card is due on the study day of ``due``, a
    (re)learning card at the moment ``due``."""
    day = study_date(due) if kind == REVIEW else None
    last = due - timedelta(days=1)
    return CardState(kind, 0 if kind == REVIEW else 1, 3.0, 5.0, 1, due, day, last, reps, lapses)


@pytest.fixture(params=["json", "moto"])
def store_kind(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    """The command line's store for the test: the JSON store, or DynamoDB on moto in this
    process (``FLASHCARDS_STORE`` names a fresh table). Yields ``json`` or ``moto``."""
    mock: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if request.param == "moto":
        from moto import mock_aws

        isolate_aws(monkeypatch, tmp_path, credentials=True)
        monkeypatch.setenv("FLASHCARDS_STORE", f"dynamodb://t-{uuid.uuid4().hex[:12]}")
        mock = mock_aws()
    with mock:
        yield request.param
