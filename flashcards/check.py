"""``flashcards check``: what Anki calls Check Database.

Validates every deck (parsed afresh, not from the cache), reads the whole review log
of a JSON store line by line (damage, a torn tail, an import cut short, a review
recorded twice), compares the snapshot with the log replayed from scratch, finds
progress whose card no deck has any more (orphans), and answers waiting in an outbox
to be sent to DynamoDB. Without ``repair`` nothing is changed; with it, what can be
repaired safely is (a torn tail set aside, an import cut short rolled back, the snapshot
rebuilt, temp files removed) — never a line of the log itself.

No terminal here: ``run_check`` returns findings, the command layer prints them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flashcards.errors import FlashcardsError
from flashcards.stores import CardKey, Schedulers

if TYPE_CHECKING:
    from flashcards.catalog import Catalog

ERROR, WARNING, REPAIRED = "error", "warning", "repaired"


@dataclass(frozen=True)
class Finding:
    """One thing found. ``severity`` is ``error`` (needs the user: exit status 1),
    ``warning`` (worth knowing) or ``repaired`` (it was, by ``--repair``)."""

    severity: str
    kind: str
    message: str
    file: str | None = None
    line: int | None = None

    @property
    def where(self) -> str:
        """``file:line``, ``file`` or nothing."""
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    decks: int = 0
    reviews: int = 0

    @property
    def needs_user(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)

    def add(
        self,
        severity: str,
        kind: str,
        message: str,
        file: Path | str | None = None,
        line: int | None = None,
    ) -> None:
        self.findings.append(Finding(severity, kind, message, str(file) if file else None, line))

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.needs_user,
            "decks": self.decks,
            "reviews": self.reviews,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class _Last:
    reviewed_at: datetime
    line: int


def run_check(
    deck_path: tuple[Path, ...],
    store_url: str,
    home: Path,
    profile: str,
    *,
    repair: bool = False,
    decks_only: bool = False,
) -> Report:
    """Check decks and progress; with ``repair``, repair what can be (see module doc)."""
    from flashcards.catalog import open_catalog

    report = Report()
    catalog = open_catalog(deck_path, None)  # afresh: a cache could hide a broken file
    report.decks = len(catalog.infos)
    for error in catalog.errors:
        report.add(ERROR, "deck", str(error))
    if decks_only:
        return report
    _check_config_decks(home, store_url, profile, catalog, report)
    _check_outboxes(home, report)
    from flashcards.stores import StoreContext, lazy_schedulers, scheme_of

    if scheme_of(store_url) != "json":
        return report  # a remote store is not read here: that would send its outbox
    from flashcards.config import load_settings
    from flashcards.stores.jsonstore import open_json_store

    # A replay (of states an older version wrote) schedules with each deck's options,
    # as the learner's sessions did; they are read only if one is needed.
    schedulers = lazy_schedulers(
        lambda: load_settings(store=store_url, profile=profile).schedulers(catalog)
    )
    store = open_json_store(store_url, StoreContext(home, profile, schedulers))
    last = _check_log(store.folder, report, repair, schedulers)
    if last is None:
        return report  # a damaged log: nothing further can be trusted until it is fixed
    answered = _check_snapshot(store.folder, report, repair, schedulers)
    cards = {(info.id, card) for info in catalog.infos for card in info.card_ids}
    kept = {key: seen for key, seen in last.items() if key in answered}
    _check_orphans(kept, cards, set(catalog.failed), store.log_path, report)
    return report


def _check_config_decks(
    home: Path, store_url: str, profile: str, catalog: Catalog, report: Report
) -> None:
    """Options in ``config.toml`` for a deck id no deck has (mistyped, or a deck since
    renamed): they apply to no deck, which nothing else would say."""
    from flashcards.config import CONFIG_FILE, config_line, load_settings

    scheduling = load_settings(store=store_url, profile=profile).scheduling
    known = {info.id for info in catalog.infos} | set(catalog.failed)
    tables: list[tuple[str, tuple[str, ...], str]] = [
        (name, ("decks", name), f'[decks."{name}"]') for name, _ in scheduling.deck_options
    ]
    tables += [
        (name, ("fsrs", "decks", name), f"[fsrs.decks.{name}]") for name, *_ in scheduling.decks
    ]
    path = home / CONFIG_FILE
    for name, keys, table in tables:
        if name not in known:
            report.add(
                WARNING,
                "config",
                f"{table}: no deck on the deck path has this id, so these options apply "
                "to none (`flashcards list-decks` shows the ids)",
                path,
                config_line(path, *keys),
            )


def _check_outboxes(home: Path, report: Report) -> None:
    from flashcards.stores.logfile import read_lines

    folder = home / "outbox"
    paths = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    for path in paths:
        entries = sum(1 for line in read_lines(path) if not line.torn and _is_object(line.data))
        if entries:
            report.add(
                ERROR,
                "outbox",
                f"{entries} answer(s) wait to be sent to DynamoDB; any command that reaches "
                "the table sends them",
                path,
            )


def _check_log(
    folder: Path, report: Report, repair: bool, schedulers: Schedulers
) -> dict[CardKey, _Last] | None:
    """Every line of the log; the last review of each card, or ``None`` if damaged."""
    from flashcards.stores.jsonstore import (
        LOG,
        PENDING,
        JsonStore,
        parse_log_line,
        pending_import,
    )
    from flashcards.stores.logfile import read_lines

    log = folder / LOG
    first_line: dict[str, int] = {}
    last: dict[CardKey, _Last] = {}
    damaged = False
    tail = None
    # An import under way (or cut short) is not read: it is not in the log yet.
    for raw in read_lines(log, end=pending_import(folder)):
        if raw.torn:
            tail = raw
            break
        try:
            entry = parse_log_line(raw.data)
        except ValueError as exc:
            report.add(
                ERROR, "log", f"corrupt review log line ({exc}); fix or remove it", log, raw.number
            )
            damaged = True
            continue
        if not entry.is_review:
            continue
        line = entry.line
        review_id = line["id"]
        if review_id in first_line:
            report.add(
                ERROR,
                "duplicate",
                f"review {review_id} is also on line {first_line[review_id]}: "
                "it counts twice; remove one of the two lines",
                log,
                raw.number,
            )
            continue
        first_line[review_id] = raw.number
        if "action" not in line:  # a mark (suspend, bury, ...) is no answer
            report.reviews += 1
        key = (line["deck"], line["card"])
        at = entry.reviewed_at
        assert at is not None
        if key not in last or at >= last[key].reviewed_at:
            last[key] = _Last(at, raw.number)
    pending = (folder / PENDING).exists()
    leftovers = [p for p in (folder / "snapshot").glob(".*")] + list(folder.glob(".import-*"))
    if not (tail or pending or leftovers):
        return None if damaged else last
    if tail is not None:
        message = "an incomplete last line left by a crash (never acknowledged)"
        report.add(WARNING, "torn", message, log, tail.number)
    if pending:
        report.add(
            WARNING, "pending", "an import was cut short; it is rolled back", folder / PENDING
        )
    for path in leftovers:
        report.add(WARNING, "temp", "a temp file left by a killed process", path)
    if repair and not damaged:
        store = JsonStore(folder, schedulers=schedulers)
        try:
            store.compact()  # a writer: rolls back, sets aside, cleans up, then compacts
        except FlashcardsError as exc:
            report.add(ERROR, "repair", str(exc))
            return None
        fixed = [f for f in report.findings if f.kind in ("torn", "pending", "temp")]
        report.findings = [f for f in report.findings if f not in fixed]
        for f in fixed:
            report.add(REPAIRED, f.kind, f.message, f.file, f.line)
    return None if damaged else last


def _check_snapshot(
    folder: Path, report: Report, repair: bool, schedulers: Schedulers
) -> set[CardKey]:
    """Compare what the snapshot gives with the log replayed from scratch; returns the
    cards that have progress."""
    from flashcards.stores.jsonstore import JsonStore

    cached = JsonStore(folder, schedulers=schedulers)
    replayed = JsonStore(folder, use_snapshot=False, schedulers=schedulers)
    try:
        cached_view = (
            cached.load_states(),
            cached.activity(),
            cached.day_stats(),
            cached.flags(),
        )
        replayed_view = (
            replayed.load_states(),
            replayed.activity(),
            replayed.day_stats(),
            replayed.flags(),
        )
    except FlashcardsError as exc:
        report.add(ERROR, "log", str(exc))
        return set()
    answered = set(replayed_view[0])
    problems = [n.removesuffix("; rebuilt from the review log") for n in cached.notices]
    decks = {deck for deck, _ in cached_view[0]} | {deck for deck, _ in replayed_view[0]}
    decks |= set(cached_view[1]) | set(replayed_view[1])
    decks |= {deck for view in (cached_view, replayed_view) for deck, _ in view[3]}
    for deck in sorted(decks):
        states = [
            {k: v for k, v in view[0].items() if k[0] == deck}
            for view in (cached_view, replayed_view)
        ]
        activity = [view[1].get(deck, {}) for view in (cached_view, replayed_view)]
        days = [view[2].get(deck, {}) for view in (cached_view, replayed_view)]
        flags = [
            {k: v for k, v in view[3].items() if k[0] == deck}
            for view in (cached_view, replayed_view)
        ]
        if (
            states[0] != states[1]
            or activity[0] != activity[1]
            or days[0] != days[1]
            or flags[0] != flags[1]
        ):
            problems.append(f"{folder / 'snapshot'}: deck {deck!r} disagrees with the review log")
    if not problems:
        return answered
    if not repair:
        for problem in problems:
            report.add(ERROR, "snapshot", f"{problem}; `flashcards check --repair` rebuilds it")
        return answered
    try:
        replayed.rebuild_snapshot()
    except FlashcardsError as exc:
        report.add(ERROR, "repair", str(exc))
        return answered
    for problem in problems:
        report.add(REPAIRED, "snapshot", f"{problem}: rebuilt from the log")
    return answered


def _check_orphans(
    last: dict[CardKey, _Last],
    cards: set[CardKey],
    failed_decks: set[str],
    log: Path,
    report: Report,
) -> None:
    """Progress of cards that no deck has (a card deleted, or its question edited
    without an ``id``). Decks that failed to load are not judged."""
    orphans: dict[str, list[CardKey]] = {}
    deck_ids = {deck for deck, _ in cards}
    for key in last:
        if key not in cards and key[0] not in failed_decks:
            orphans.setdefault(key[0], []).append(key)
    for deck, keys in sorted(orphans.items()):
        if deck not in deck_ids:
            latest = max((last[k] for k in keys), key=lambda x: x.reviewed_at)
            report.add(
                WARNING,
                "orphan",
                f"deck {deck!r} is in no deck file; progress of {len(keys)} card(s) is kept "
                f"(last review {latest.reviewed_at:%Y-%m-%d %H:%M})",
                log,
                latest.line,
            )
            continue
        for key in sorted(keys):
            seen = last[key]
            report.add(
                WARNING,
                "orphan",
                f"{key[0]}/{key[1]}: no card has this id any more; its progress is kept "
                f"(last review {seen.reviewed_at:%Y-%m-%d %H:%M})",
                log,
                seen.line,
            )


def _is_object(data: bytes) -> bool:
    try:
        return isinstance(json.loads(data), dict)
    except ValueError:
        return False  # a fragment a crash left: never an entry
