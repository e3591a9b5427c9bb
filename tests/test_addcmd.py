"""``flashcards add`` and the editor: a card appended with every other byte of the deck file
kept, decks made when missing, built-in decks refused, the editor template, and opening a
deck file at a card's line."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flashcards.cli import app
from flashcards.deckpaths import builtin_deck_folder
from flashcards.editing import card_line, edit_deck_at, editor_command
from flashcards.errors import UsageError

# Comments everywhere, a folded and a literal block, odd quoting and spacing, a flow list,
# and keys after `cards:`: everything a re-dump would change.
COMMENTED = """\
# My own deck -- keep this header
name:   "Networking"   # the display name
cards:
    # Transport layer
    -   id: tcp
        question: 'What does TCP guarantee?'
        answer: >-
          Ordered, reliable delivery
          of a byte stream.
        tags: [ transport,  basics ]   # two tags

    -   id: udp
        question: What does UDP add to IP?
        answer: |
          Ports and a checksum.

          Nothing else.
    # more cards later
# The deck's tags, for every card
tags:
  - net
"""


def run(runner: CliRunner, *args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env)


def added_id(output: str, deck: str) -> str:
    """The card id the command reports: ``Added DECK/ID to ...``."""
    line = next(line for line in output.splitlines() if line.startswith("Added "))
    return line.split()[1].removeprefix(f"{deck}/")


def home_deck(home: Path, name: str, text: str) -> Path:
    path = home / "decks" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def cards_json(runner: CliRunner, deck: str) -> list[dict]:
    result = run(runner, "cards", deck, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_add_keeps_every_other_byte(runner: CliRunner, isolated_home: Path) -> None:
    path = home_deck(isolated_home, "net", COMMENTED)
    result = run(
        runner, "add", "net", "--question", "What is a port?", "--answer", "A number: 0-65535"
    )
    assert result.exit_code == 0, result.output
    card = added_id(result.stdout, "net")
    after = path.read_text(encoding="utf-8")
    entry = (
        f"    - id: {card}\n      question: What is a port?\n      answer: 'A number: 0-65535'\n"
    )
    # The entry goes right after the last card, before the comments that follow it.
    assert entry in after
    assert after.index(entry) + len(entry) == after.index("    # more cards later")
    assert after.replace(entry, "", 1) == COMMENTED
    rows = cards_json(runner, "net")
    assert [r["id"] for r in rows] == ["tcp", "udp", card]
    assert rows[2]["question"] == "What is a port?"


def test_add_multiline_answer_tags_and_kinds(runner: CliRunner, isolated_home: Path) -> None:
    path = home_deck(isolated_home, "net", COMMENTED)
    reverse = run(
        runner,
        "add",
        "net",
        "-q",
        "Port of HTTPS?",
        "-a",
        "443\n\nusually",
        "--tag",
        "web",
        "-t",
        "tls",
        "--reverse",
        "--typed",
    )
    assert reverse.exit_code == 0, reverse.output
    cloze = run(runner, "add", "net", "--cloze", "{{c1::TLS}} over {{c2::TCP}}", "--extra", "RFC")
    assert cloze.exit_code == 0, cloze.output
    first, second = added_id(reverse.stdout, "net"), added_id(cloze.stdout, "net")
    assert path.read_text().startswith(COMMENTED.split("    # more cards later")[0])
    rows = {r["id"]: r for r in cards_json(runner, "net")}
    assert rows[first]["kind"] == "typed" and {"web", "tls"} <= set(rows[first]["tags"])
    assert rows[f"{first}/reverse"]["kind"] == "reverse"
    assert rows[f"{first}/reverse"]["question"] == "443\n\nusually"
    assert {rows[f"{second}/c1"]["kind"], rows[f"{second}/c2"]["kind"]} == {"cloze"}
    assert second.startswith("tls-over-tcp-")  # the id reads as the text, not its markup


def test_same_question_twice_gets_two_ids(runner: CliRunner, isolated_home: Path) -> None:
    ids = []
    for _ in range(2):
        result = run(runner, "add", "mine", "-q", "Same?", "-a", "Yes")
        assert result.exit_code == 0, result.output
        ids.append(added_id(result.stdout, "mine"))
    assert ids[0] != ids[1]
    assert [r["id"] for r in cards_json(runner, "mine")] == ids


def test_add_creates_a_missing_deck_in_the_home(runner: CliRunner, isolated_home: Path) -> None:
    result = run(runner, "add", "spanish", "-q", "perro", "-a", "dog", "--id", "perro")
    assert result.exit_code == 0, result.output
    assert "new deck" in result.stdout
    path = isolated_home / "decks" / "spanish.yaml"
    assert path.read_text() == (
        "name: spanish\ncards:\n  - id: perro\n    question: perro\n    answer: dog\n"
    )
    taken = run(runner, "add", "spanish", "-q", "gato", "-a", "cat", "--id", "perro")
    assert taken.exit_code == 1 and "already has a card" in taken.output
    assert path.read_text().count("id:") == 1


def test_add_refuses_builtin_decks(runner: CliRunner, isolated_home: Path) -> None:
    builtin = builtin_deck_folder() / "aws-dynamodb.yaml"
    before = builtin.read_bytes()
    result = run(runner, "add", "aws-dynamodb", "-q", "Q?", "-a", "A")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "built-in deck" in lines[0] and "cp " in lines[0]
    assert builtin.read_bytes() == before
    assert not (isolated_home / "decks").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-q", "Q?"], "give both --question and --answer"),
        (["-q", "  ", "-a", "A"], "--question is empty"),
        (["--cloze", "no deletion here"], "has no cloze deletion"),
        (["--cloze", "{{c1::x}}", "--reverse"], "--reverse does not apply"),
        (["-q", "Q", "-a", "A", "--extra", "E"], "--extra goes with --cloze"),
        (["-q", "Q", "-a", "A", "--id", "has space"], "`id` must be text"),
        (["-q", "Q", "-a", "A", "-t", "two words"], "`tags` must be a list of words"),
    ],
)
def test_bad_card_writes_nothing(
    runner: CliRunner, isolated_home: Path, args: list[str], message: str
) -> None:
    path = home_deck(isolated_home, "net", COMMENTED)
    result = run(runner, "add", "net", *args)
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert path.read_text() == COMMENTED
    assert sorted(p.name for p in path.parent.iterdir()) == ["net.yaml"]  # no temp file left


def test_broken_deck_is_reported_not_changed(runner: CliRunner, isolated_home: Path) -> None:
    broken = "name: Broken\ncards:\n  - question: no answer\n"
    path = home_deck(isolated_home, "broken", broken)
    result = run(runner, "add", "broken", "-q", "Q", "-a", "A")
    assert result.exit_code == 1
    assert f"{path}:3: card has no `answer`" in result.output
    assert path.read_text() == broken


# --- the editor ------------------------------------------------------------------------------


def editor_script(folder: Path, name: str, body: str) -> Path:
    """An executable editor named ``name`` that runs ``body`` (Python) with the file as
    ``path`` and its arguments as ``args``; it records its arguments in ``args.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        "from pathlib import Path\n"
        "args = sys.argv[1:]\n"
        "path = Path(args[-1])\n"
        f"Path({str(folder / 'args.json')!r}).write_text(json.dumps(args))\n" + body
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


FILL_TEMPLATE = """\
text = path.read_text()
text = text.replace("question: |\\n  \\n", "question: |\\n  What is 0755 in octal?\\n")
text = text.replace("answer: |\\n  \\n", "answer: 0755\\ntags: [unix]\\n")
path.write_text(text)
"""


def test_add_in_the_editor(runner: CliRunner, isolated_home: Path, tmp_path: Path) -> None:
    path = home_deck(isolated_home, "net", COMMENTED)
    editor = editor_script(tmp_path / "bin", "vim", FILL_TEMPLATE)
    result = run(runner, "add", "net", env={"EDITOR": str(editor), "VISUAL": ""})
    assert result.exit_code == 0, result.output
    args = json.loads((tmp_path / "bin" / "args.json").read_text())
    assert args[0] == "+7" and args[1].endswith(".yaml")  # opened on the question's line
    assert not Path(args[1]).exists()  # the template is removed once the card is added
    card = added_id(result.stdout, "net")
    rows = {r["id"]: r for r in cards_json(runner, "net")}
    assert rows[card]["question"] == "What is 0755 in octal?"
    assert "unix" in rows[card]["tags"]
    detail = run(runner, "cards", f"net/{card}", "--json")
    assert json.loads(detail.stdout)["answer"] == "0755"  # text, not the number 493
    assert path.read_text().startswith(COMMENTED.split("    # more cards later")[0])


@pytest.mark.parametrize(
    "body",
    ["pass\n", "path.write_text('')\n", "path.write_text('# only a comment\\n')\n"],
    ids=["unchanged", "emptied", "comments"],
)
def test_editor_left_alone_adds_nothing(
    runner: CliRunner, isolated_home: Path, tmp_path: Path, body: str
) -> None:
    path = home_deck(isolated_home, "net", COMMENTED)
    editor = editor_script(tmp_path / "bin", "nano", body)
    result = run(runner, "add", "net", env={"VISUAL": str(editor)})
    assert result.exit_code == 0, result.output
    assert "Nothing added" in result.stdout
    assert path.read_text() == COMMENTED
    assert not Path(json.loads((tmp_path / "bin" / "args.json").read_text())[-1]).exists()


def test_editor_text_that_is_no_card_is_kept(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    path = home_deck(isolated_home, "net", COMMENTED)
    body = "path.write_text('question: Q\\nanswer: A\\ncolour: red\\n')\n"
    editor = editor_script(tmp_path / "bin", "nano", body)
    result = run(runner, "add", "net", env={"EDITOR": str(editor), "VISUAL": ""})
    assert result.exit_code == 1
    assert "unknown key 'colour'" in result.output
    kept = Path(json.loads((tmp_path / "bin" / "args.json").read_text())[-1])
    assert kept.read_text().endswith("colour: red\n")  # what was written is not lost
    assert path.read_text() == COMMENTED
    kept.unlink()


def test_editor_for_a_new_deck_with_a_bad_cloze(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    body = "path.write_text('cloze: nothing hidden\\n')\n"
    editor = editor_script(tmp_path / "bin", "nano", body)
    result = run(runner, "add", "fresh", env={"EDITOR": str(editor), "VISUAL": ""})
    assert result.exit_code == 1
    assert "has no cloze deletion" in result.output and "your text is kept" in result.output
    assert not (isolated_home / "decks" / "fresh.yaml").exists()
    Path(json.loads((tmp_path / "bin" / "args.json").read_text())[-1]).unlink()


def test_card_line_finds_entries_and_made_cards(tmp_path: Path) -> None:
    path = tmp_path / "kinds.yaml"
    path.write_text(
        "name: Kinds\n"
        "cards:\n"
        "  - id: tls\n"
        '    cloze: "{{c1::TLS}} on {{c2::TCP}}"\n'
        "  # no id: found by the id its question makes\n"
        "  - question: What is DynamoDB?\n"
        "    answer: A database\n"
        "    reverse: true\n"
    )
    from flashcards.decks import parse_deck

    deck = parse_deck(path, path.read_bytes())
    made = {card.id: card_line(path, card.id) for card in deck.cards}
    assert made["tls/c1"] == made["tls/c2"] == 3
    assert [line for card, line in made.items() if card.endswith("/reverse")] == [6]
    with pytest.raises(Exception, match="no card 'nope'"):
        card_line(path, "nope")


def test_edit_deck_at_opens_the_card_line(isolated_home: Path, tmp_path: Path, monkeypatch) -> None:
    path = home_deck(isolated_home, "net", COMMENTED)
    fix = "path.write_text(path.read_text().replace('Ports and', 'Ports, and'))\n"
    editor = editor_script(tmp_path / "bin", "vi", fix)
    monkeypatch.setenv("VISUAL", str(editor))
    edit_deck_at(path, "udp")
    args = json.loads((tmp_path / "bin" / "args.json").read_text())
    assert args == ["+12", str(path)]
    assert path.read_text().splitlines()[11] == "    -   id: udp"
    assert "Ports, and a checksum." in path.read_text()


def test_edit_deck_at_reports_a_failing_editor(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("name: broken: yaml: [\n")  # unreadable: opened at the top
    editor = editor_script(tmp_path / "bin", "micro", "sys.exit(3)\n")
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    with pytest.raises(UsageError, match="exited with status 3"):
        edit_deck_at(path, "any")
    assert json.loads((tmp_path / "bin" / "args.json").read_text()) == [str(path)]


def _bin_with(folder: Path, *names: str) -> str:
    folder.mkdir()
    for name in names:
        exe = folder / name
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    return str(folder)


def test_editor_command_defaults_and_line_styles(tmp_path: Path) -> None:
    file = Path("deck.yaml")
    both = _bin_with(tmp_path / "a", "sensible-editor", "nano", "vi")
    assert editor_command(file, 4, {"PATH": both}) == ["sensible-editor", "+4", "deck.yaml"]
    nano = _bin_with(tmp_path / "b", "nano", "vi")
    assert editor_command(file, 4, {"PATH": nano}) == ["nano", "+4", "deck.yaml"]
    vi = _bin_with(tmp_path / "c", "vi")
    assert editor_command(file, 4, {"PATH": vi}) == ["vi", "+4", "deck.yaml"]
    with pytest.raises(UsageError, match="set \\$VISUAL or \\$EDITOR"):
        editor_command(file, 4, {"PATH": _bin_with(tmp_path / "d")})
    env = {"PATH": vi, "EDITOR": "code --wait", "VISUAL": ""}
    assert editor_command(file, 9, env) == ["code", "--wait", "--goto", "deck.yaml:9"]
    env = {"EDITOR": "nano", "VISUAL": "/usr/bin/vim.basic -p"}
    assert editor_command(file, 2, env) == ["/usr/bin/vim.basic", "-p", "+2", "deck.yaml"]
    assert editor_command(file, 2, {"EDITOR": "hx"}) == ["hx", "deck.yaml:2"]
    assert editor_command(file, 2, {"EDITOR": "my-editor"}) == ["my-editor", "deck.yaml"]
    assert editor_command(file, 0, {"EDITOR": "vim"}) == ["vim", "deck.yaml"]


def test_write_is_atomic_and_create_only(tmp_path: Path, monkeypatch) -> None:
    from flashcards import fsutil
    from flashcards.deckwrite import write_deck_file

    path = tmp_path / "d.yaml"
    path.write_text(COMMENTED)
    failing = fsutil.replace

    def crash(source, target):  # the power goes between the temp file and the rename
        raise OSError(5, "I/O error")

    monkeypatch.setattr(fsutil, "replace", crash)
    with pytest.raises(OSError):
        write_deck_file(path, "name: New\ncards:\n  - question: q\n    answer: a\n")
    assert path.read_text() == COMMENTED
    assert os.listdir(tmp_path) == ["d.yaml"]
    monkeypatch.setattr(fsutil, "replace", failing)
    with pytest.raises(UsageError, match="already exists"):
        write_deck_file(
            path, "name: New\ncards:\n  - question: q\n    answer: a\n", create_only=True
        )
    assert path.read_text() == COMMENTED
    assert os.listdir(tmp_path) == ["d.yaml"]


@pytest.mark.parametrize(
    ("text", "entry_text"),
    [
        (
            "name: W\r\ncards:\r\n- id: a\r\n  question: q\r\n  answer: a\r\n# end\r\n",
            "- id: b\r\n  question: Q2\r\n  answer: A2\r\n",
        ),
        (
            "name: W\ncards:\n  - id: a\n    question: q\n    answer: a  # no newline at the end",
            "\n  - id: b\n    question: Q2\n    answer: A2\n",
        ),
    ],
    ids=["crlf", "no-final-newline"],
)
def test_append_keeps_line_ends(tmp_path: Path, text: str, entry_text: str) -> None:
    from flashcards.deckwrite import append_entry

    path = tmp_path / "w.yaml"
    new = append_entry(path, text, {"id": "b", "question": "Q2", "answer": "A2"})
    assert new.replace(entry_text, "", 1) == text


def test_a_new_deck_goes_where_the_decks_are_read_from(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    # with FLASHCARDS_DECKS (or --decks) replacing the search path, a deck made in the
    # home's folder would be one no other command sees
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "old.yaml").write_text("name: Old\ncards:\n  - {id: a, question: q, answer: a}\n")
    env = {"FLASHCARDS_DECKS": str(folder)}
    result = run(runner, "add", "fresh", "-q", "perro", "-a", "dog", env=env)
    assert result.exit_code == 0, result.output
    assert (folder / "fresh.yaml").exists() and not (isolated_home / "decks").exists()
    assert [
        row["question"]
        for row in json.loads(run(runner, "cards", "fresh", "--json", env=env).stdout)
    ] == ["perro"]
    # a search path of deck files alone has no folder to make a deck in: refused
    alone = run(runner, "add", "other", "-q", "x", "-a", "y", "--decks", str(folder / "old.yaml"))
    assert alone.exit_code == 1 and "Traceback" not in alone.output
    assert "names deck files alone" in alone.output
    assert sorted(p.name for p in folder.iterdir()) == ["fresh.yaml", "old.yaml"]
    assert not (isolated_home / "decks").exists()
