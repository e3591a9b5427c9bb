"""The outbox of the DynamoDB store: torn lines left by a crash, and removal of sent
entries while another process appends."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from flashcards.stores.outbox import Entry, Outbox, identity

REPO = Path(__file__).resolve().parent.parent


def entry(n: int, op: str = "record") -> Entry:
    return {"op": op, "review": {"id": f"review-{n:04d}", "deck": "d", "card": f"c{n}"}}


def line(e: Entry) -> bytes:
    return json.dumps(e, separators=(",", ":")).encode() + b"\n"


def ids(entries: list[Entry]) -> list[str]:
    return [e["review"]["id"] for e in entries]


def test_an_answer_appended_after_a_torn_line_is_kept_whatever_the_cut(tmp_path: Path) -> None:
    first, torn, after = entry(1), entry(2), entry(3)
    whole = line(torn)
    for cut in range(1, len(whole)):
        box = Outbox(tmp_path / f"cut-{cut}.jsonl")
        box.path.write_bytes(line(first) + whole[:cut])  # a crash mid-append
        box.append(after)
        # Cut just before its newline the line is whole: it counts as written.
        expected = [first, torn, after] if cut == len(whole) - 1 else [first, after]
        assert box.entries() == expected, cut
        # Every entry still has a line of its own for the next reader and writer.
        box.append(entry(4))
        assert ids(box.entries())[-2:] == ["review-0003", "review-0004"], cut


def test_a_torn_fragment_is_never_read_together_with_the_next_line(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.jsonl")
    fragment = line(entry(2))[:25]
    # A fragment in the middle (a crash, then later appends), one at the end, and a
    # fragment that could be taken for the start of the next entry's text.
    box.path.write_bytes(
        line(entry(1)) + fragment + b"\n" + line(entry(3)) + b'{"op":"re\n' + line(entry(4))
    )
    assert ids(box.entries()) == ["review-0001", "review-0003", "review-0004"]
    # Only \n ends a line: a carriage return (JSON whitespace) cannot cut an entry in two.
    box.path.write_bytes(line(entry(5)).replace(b",", b",\r") + line(entry(6)))
    assert ids(box.entries()) == ["review-0005", "review-0006"]


def test_removing_sent_entries_tidies_torn_fragments_away(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.jsonl")
    box.path.write_bytes(line(entry(1)) + line(entry(2))[:9])
    box.remove(box.entries())
    assert not box.path.exists()
    box.path.write_bytes(line(entry(1))[:9])  # a fragment alone
    box.remove([])
    assert not box.path.exists()


def test_remove_takes_out_by_identity_and_keeps_entries_appended_meanwhile(
    tmp_path: Path,
) -> None:
    path = tmp_path / "outbox.jsonl"
    mine, other = Outbox(path), Outbox(path)  # two processes, each with its own lock handle
    mine.append(entry(1))
    mine.append(entry(2))
    sent = mine.entries()
    other.append(entry(3))  # after the sender read, before it removes
    other.append(entry(1, "undo"))
    # The same entry written with its keys in another order is still that entry.
    reordered = [json.loads(json.dumps(e, sort_keys=True)) for e in reversed(sent)]
    mine.remove(reordered)
    assert [identity(e) for e in other.entries()] == [
        ("record", "review-0003"),
        ("undo", "review-0001"),
    ]
    # An entry kept twice (appended again by a retry) is sent once and removed once.
    other.append(entry(3))
    mine.remove([entry(3)])
    assert [identity(e) for e in mine.entries()] == [("undo", "review-0001")]


class AppendsFirst:
    """A lock that lets another process append just before it is taken."""

    def __init__(self, lock: Any, other: Outbox, entry: Entry) -> None:
        self.lock, self.other, self.entry = lock, other, entry

    def __enter__(self) -> object:
        self.other.append(self.entry)
        return self.lock.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.lock.__exit__(*exc)


def test_remove_reads_the_file_again_once_it_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "outbox.jsonl"
    mine, other = Outbox(path), Outbox(path)
    mine.append(entry(1))
    sent = mine.entries()
    mine._lock = AppendsFirst(mine._lock, other, entry(2))  # type: ignore[assignment]
    mine.remove(sent)
    assert ids(other.entries()) == ["review-0002"]


APPENDER = """
import sys
from pathlib import Path
from typing import Any
from flashcards.stores.outbox import Outbox

box, count = Outbox(Path(sys.argv[1])), int(sys.argv[2])
for n in range(count):
    box.append({"op": "record", "review": {"id": f"review-{n:04d}"}})
"""


def test_a_sender_removing_entries_while_another_process_appends_loses_none(
    tmp_path: Path,
) -> None:
    path, count = tmp_path / "outbox.jsonl", 300
    script = tmp_path / "appender.py"
    script.write_text(textwrap.dedent(APPENDER))
    appender = subprocess.Popen(
        [sys.executable, str(script), str(path), str(count)],
        env={"PYTHONPATH": str(REPO)},
        stderr=subprocess.PIPE,
    )
    box, sent = Outbox(path), []
    while True:
        running = appender.poll() is None
        entries = box.entries()
        sent += ids(entries)
        box.remove(entries)
        if not running and not entries:
            break
    _, errors = appender.communicate()
    assert appender.returncode == 0, errors
    assert sorted(sent) == [f"review-{n:04d}" for n in range(count)]  # each exactly once
    assert not path.exists()
