"""The benchmark: whole processes on a 50,000-card corpus with 500,000 reviews.

    .venv/bin/python bench/run.py [--runs 7]

Generates the corpus under ``bench/corpus/`` once (decks, then the history through
``flashcards progress import``), measures each figure as the median of several runs
next to a floor measured in the same run (``python -c "import typer, rich.console"``),
prints the table and writes it to ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pexpect

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.corpus import CARDS_PER_DECK, DECKS, write_decks, write_history  # noqa: E402

CORPUS = REPO / "bench" / "corpus"
FLASHCARDS = [str(Path(sys.executable).parent / "flashcards")]
FLOOR = [sys.executable, "-c", "import typer, rich.console"]


@dataclass
class Row:
    figure: str
    value: float
    unit: str
    target: float
    floor_ratio: float | None = None
    ratio_target: bool = False

    @property
    def passed(self) -> bool:
        measured = self.floor_ratio if self.ratio_target else self.value
        return measured is not None and measured <= self.target

    def cells(self) -> list[str]:
        value = (
            f"{self.value:.3f} {self.unit}" if self.unit == "s" else f"{self.value:.1f} {self.unit}"
        )
        target = f"≤ {self.target} x floor" if self.ratio_target else f"≤ {self.target} {self.unit}"
        ratio = f"{self.floor_ratio:.2f}" if self.floor_ratio is not None else "—"
        return [self.figure, value, target, ratio, "pass" if self.passed else "FAIL"]


def env_for(home: Path, decks: Path | None, **extra: str) -> dict[str, str]:
    # Bytecode is cached as in an installed copy (pip compiles it at install time);
    # PYTHONDONTWRITEBYTECODE would make every run compile the package afresh.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FLASHCARDS_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["FLASHCARDS_HOME"] = str(home)
    if decks is not None:
        env["FLASHCARDS_DECKS"] = str(decks)
    env.update(extra)
    return env


def timed(command: list[str], env: dict[str, str], stdin: str | None = None) -> tuple[float, int]:
    """Wall time of a whole process and its peak memory (KiB)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if stdin is not None and process.stdin is not None:
        process.stdin.write(stdin.encode())
        process.stdin.close()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{command} exited with {process.returncode}")
    return elapsed, usage.ru_maxrss


def time_to_question(args: list[str], env: dict[str, str]) -> float:
    """From process start until the question and its key hint are on a pseudo-terminal."""
    start = time.perf_counter()
    child = pexpect.spawn(
        FLASHCARDS[0], args, env=env, encoding="utf-8", timeout=60, dimensions=(50, 160)
    )
    child.expect("show answer")
    elapsed = time.perf_counter() - start
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    return elapsed


def median(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def prepare_corpus() -> tuple[Path, Path]:
    decks, home = CORPUS / "decks", CORPUS / "home"
    marker = CORPUS / "imported"
    if not marker.exists():
        shutil.rmtree(CORPUS, ignore_errors=True)
        print("generating the corpus (25 decks x 2,000 cards, 500,000 reviews)...", flush=True)
        write_decks(decks)
        history = CORPUS / "history.jsonl"
        write_history(history, datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))
        started = time.perf_counter()
        subprocess.run(
            [*FLASHCARDS, "progress", "import", str(history)], env=env_for(home, decks), check=True
        )
        print(f"imported in {time.perf_counter() - started:.1f} s", flush=True)
        marker.write_text("ok\n")
    return decks, home


def answer_latency(store_folder: Path, answers: int = 300) -> tuple[float, float]:
    """Median and 99th percentile of one durable answer on a copy of a JSON store."""
    from flashcards.model import Review
    from flashcards.scheduling import schedule
    from flashcards.session import new_review_id
    from flashcards.stores.jsonstore import JsonStore

    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "store"
        shutil.copytree(store_folder, copy)
        store = JsonStore(copy)
        states = store.load_states(["bench-07"])
        now = datetime.now(UTC)
        samples = []
        for i in range(answers):
            key = ("bench-07", f"d07-c{i:04d}")
            before = states.get(key)
            after = schedule(key[0], key[1], before, 3, now)
            review = Review(
                new_review_id(),
                key[0],
                key[1],
                3,
                now,
                2000,
                0 if before is None else before.state,
                after,
            )
            start = time.perf_counter()
            store.record(review, before)
            samples.append(time.perf_counter() - start)
            states[key] = after
    samples.sort()
    return statistics.median(samples) * 1000, samples[int(len(samples) * 0.99) - 1] * 1000


def small_store(history: Path, target: Path, reviews: int = 5000) -> Path:
    subset = target / "history-5k.jsonl"
    with open(history) as source, open(subset, "w") as out:
        for _, line in zip(range(reviews), source, strict=False):
            out.write(line)
    home = target / "home-5k"
    subprocess.run(
        [*FLASHCARDS, "progress", "import", str(subset)],
        env=env_for(home, None),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return home


def touch_every_deck(decks: Path, round_: int) -> None:
    for path in decks.glob("*.yaml"):
        with open(path, "a") as handle:
            handle.write(f"# edit {round_}\n")


def dynamodb_rows(decks: Path, runs: int) -> list[Row]:
    """Study start and writes per answer on a dynalite server, when one is installed."""
    try:
        from tests.servers import DYNALITE, Dynalite
    except ImportError:
        return []
    if not DYNALITE.exists() or not shutil.which("node"):
        print("dynalite not installed: DynamoDB rows skipped (npm ci --prefix tests/dynalite)")
        return []
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as scratch:
        server = Dynalite(Path(scratch) / "data")
        server.start()
        try:
            url = server.url("bench")
            home = Path(scratch) / "home"
            env = env_for(
                home,
                decks / "bench-00.yaml",
                FLASHCARDS_STORE=url,
                FLASHCARDS_PROFILE="bench",
                AWS_ACCESS_KEY_ID="local",
                AWS_SECRET_ACCESS_KEY="local",
            )
            deck_history = Path(scratch) / "bench-00.jsonl"
            with open(CORPUS / "history.jsonl") as source, open(deck_history, "w") as out:
                out.writelines(line for line in source if '"deck": "bench-00"' in line)
            subprocess.run(
                [*FLASHCARDS, "progress", "import", str(deck_history)],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            start = median(runs, lambda: time_to_question(["study", "bench-00"], env))
            rows.append(
                Row(
                    "`study bench-00` on dynalite (2,000 cards, 20,000 reviews): first question",
                    start,
                    "s",
                    1.0,
                )
            )
            most = max(dynamodb_writes_per_answer(url, home))
            rows.append(
                Row("write requests per answer on dynalite (most of 20)", most, "requests", 2)
            )
        finally:
            server.stop()
    return rows


def dynamodb_writes_per_answer(url: str, home: Path, answers: int = 20) -> list[int]:
    """Write requests of each of ``answers`` answers on a deck already in the table."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    from flashcards.model import Review
    from flashcards.scheduling import schedule
    from flashcards.session import new_review_id
    from flashcards.stores import StoreContext, open_store

    store = open_store(url, StoreContext(home, "bench"))
    writes: list[str] = []

    def count(**kwargs: object) -> None:
        name = str(kwargs.get("event_name", ""))
        if any(op in name for op in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem")):
            writes.append(name)

    store.client.meta.events.register("before-send.dynamodb", count)  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    states = store.load_states(["bench-00"])
    per_answer = []
    for i in range(answers):
        key = ("bench-00", f"d00-c{1000 + i:04d}")
        before = states.get(key)
        after = schedule(key[0], key[1], before, 3, now)
        writes.clear()
        review = Review(
            new_review_id(),
            key[0],
            key[1],
            3,
            now,
            1500,
            0 if before is None else before.state,
            after,
        )
        store.record(review, before)
        per_answer.append(len(writes))
    store.close()
    return per_answer


def exchange_memory(runs_from: Path) -> float:
    """Peak memory (MB) of `progress import` and `progress export --out` of 1,000,000
    reviews: the corpus history twice over (each review again, 90 s later, its own id)."""
    import json

    with tempfile.TemporaryDirectory() as scratch:
        history = Path(scratch) / "history-1m.jsonl"
        with open(runs_from) as source, open(history, "w") as out:
            for line in source:
                review = json.loads(line)
                out.write(line)
                later = datetime.fromisoformat(review["reviewed_at"]) + timedelta(seconds=90)
                again = review | {"id": review["id"] + "b", "reviewed_at": later.isoformat()}
                out.write(json.dumps(again) + "\n")
        env = env_for(Path(scratch) / "home", None)
        _, imported = timed([*FLASHCARDS, "progress", "import", str(history)], env)
        out_file = Path(scratch) / "export.jsonl"
        _, exported = timed([*FLASHCARDS, "progress", "export", "--out", str(out_file)], env)
    return max(imported, exported) / 1024


def machine() -> str:
    memory = ""
    try:
        with open("/proc/meminfo") as info:
            kib = int(info.readline().split()[1])
            memory = f", {kib / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    decks, home = prepare_corpus()
    corpus = env_for(home, decks)
    rows: list[Row] = []

    floor = median(runs, lambda: timed(FLOOR, corpus)[0])
    with tempfile.TemporaryDirectory() as scratch:
        builtin = env_for(Path(scratch) / "home", None)
        timed([*FLASHCARDS, "list-decks"], builtin)
        help_time = median(runs, lambda: timed([*FLASHCARDS, "--help"], builtin)[0])
        rows.append(Row("`flashcards --help`", help_time, "s", 1.3, help_time / floor, True))
        listing = median(runs, lambda: timed([*FLASHCARDS, "list-decks"], builtin)[0])
        rows.append(Row("`list-decks`, built-in decks", listing, "s", 1.5, listing / floor, True))

    timed([*FLASHCARDS, "list-decks"], corpus)
    warm = median(runs, lambda: timed([*FLASHCARDS, "list-decks"], corpus)[0])
    rows.append(Row("`list-decks`, 50,000 cards, decks unchanged", warm, "s", 0.25, warm / floor))
    one = median(runs, lambda: time_to_question(["study", "bench-03"], corpus))
    rows.append(
        Row(
            "`study bench-03` (2,000 cards, 500,000 reviews): first question",
            one,
            "s",
            0.25,
            one / floor,
        )
    )
    every = median(runs, lambda: time_to_question(["study"], corpus))
    rows.append(Row("`study` over all 25 decks: first question", every, "s", 0.4, every / floor))
    stats_time = median(runs, lambda: timed([*FLASHCARDS, "stats"], corpus)[0])
    rows.append(Row("`stats` over the whole history", stats_time, "s", 1.0, stats_time / floor))
    cards_time = median(runs, lambda: timed([*FLASHCARDS, "cards", "--sort", "due"], corpus)[0])
    rows.append(Row("`cards --sort due`, 50,000 cards", cards_time, "s", 2.0, cards_time / floor))

    with tempfile.TemporaryDirectory() as scratch:
        small = small_store(CORPUS / "history.jsonl", Path(scratch))
        for label, folder in (("5,000", small), ("500,000", home)):
            p50, p99 = answer_latency(folder)
            rows.append(
                Row(f"one durable answer, {label} reviews of history, median", p50, "ms", 3)
            )
            rows.append(
                Row(
                    f"one durable answer, {label} reviews of history, 99th percentile",
                    p99,
                    "ms",
                    10,
                )
            )

    cold_runs = []
    for round_ in range(max(3, runs // 2)):
        touch_every_deck(decks, round_)
        cold_runs.append(timed([*FLASHCARDS, "list-decks"], corpus)[0])
    cold = statistics.median(cold_runs) / (DECKS * CARDS_PER_DECK / 10_000)
    rows.append(
        Row("first `list-decks` after every deck changed, per 10,000 cards", cold, "s", 1.5)
    )

    study_mem = max(timed([*FLASHCARDS, "study"], corpus, stdin="q\n")[1] for _ in range(3)) / 1024
    stats_mem = max(timed([*FLASHCARDS, "stats"], corpus)[1] for _ in range(3)) / 1024
    rows.append(Row("peak memory of `study` (all decks)", study_mem, "MB", 250))
    rows.append(Row("peak memory of `stats`", stats_mem, "MB", 250))

    exchange = exchange_memory(CORPUS / "history.jsonl")
    rows.append(
        Row(
            "peak memory of `progress import` / `export --out`, 1,000,000 reviews",
            exchange,
            "MB",
            300,
        )
    )

    rows += dynamodb_rows(decks, max(3, runs // 2))
    report(rows, floor, runs)


def report(rows: list[Row], floor: float, runs: int) -> None:
    header = ["figure", "median", "target", "ratio to floor", "result"]
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `.venv/bin/python bench/run.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"Machine: {machine()}.",
        "",
        f"Corpus: {DECKS} decks of {CARDS_PER_DECK:,} cards (50,000 cards) and 500,000 reviews of 20,000 "
        "cards over two years, imported with `flashcards progress import`. Each figure is the median of "
        f"{runs} whole-process runs; time to the first question is measured from outside, in a "
        "pseudo-terminal, until the question and its key hint are on screen.",
        "",
        f'Floor (`python -c "import typer, rich.console"`, same environment, same run): {floor:.3f} s.',
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    docs = REPO / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "benchmarks.md").write_text(text)


if __name__ == "__main__":
    main()
