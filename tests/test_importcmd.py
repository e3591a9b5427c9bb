"""``flashcards import`` of notes and tables: every format, the shared notes against the
built-in decks, re-import keeping reworded cards' ids and progress, --dry-run, the mark
that lets an import replace only its own decks, and bad input."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from conftest import REPO
from typer.testing import CliRunner

from flashcards.cli import app
from flashcards.deckpaths import builtin_deck_folder
from flashcards.decks import parse_deck
from flashcards.importcmd import MATCH_THRESHOLD, similarity, without_context

NOTES = REPO.parent / "shared" / "notes" / "aws-api-dynamo-lambda.md"
NOW = "2026-11-23T10:00:00+01:00"


def run(runner: CliRunner, *args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input, env={"FLASHCARDS_NOW": NOW})


def ok(runner: CliRunner, *args: str):
    result = run(runner, *args)
    assert result.exit_code == 0, result.output
    return result


def cards_json(runner: CliRunner, deck: str) -> list[dict]:
    return json.loads(ok(runner, "cards", deck, "--json").stdout)


def deck_cards(home: Path, deck: str) -> list:
    path = home / "decks" / f"{deck}.yaml"
    return list(parse_deck(path, path.read_bytes()).cards)


def builtin_pairs() -> set[tuple[str, str]]:
    pairs = set()
    for path in builtin_deck_folder().glob("*.yaml"):
        pairs |= {(c.question, c.answer) for c in parse_deck(path, path.read_bytes()).cards}
    return pairs


# --- the shared notes ------------------------------------------------------------------------


def test_shared_notes_give_the_builtin_cards(runner: CliRunner, isolated_home: Path) -> None:
    out = ok(runner, "import", str(NOTES)).stdout
    assert "10 cards, 10 added, 0 changed, 0 removed" in out
    cards = deck_cards(isolated_home, "aws-api-dynamo-lambda")
    assert len(cards) == 10 == len(builtin_pairs())
    assert {(without_context(c.question), c.answer) for c in cards} == builtin_pairs()
    # Each `##` section is a tag and the line above the question.
    first = cards[0]
    assert first.question == "*AWS API Gateway Overview*\nWhat is Amazon API Gateway?"
    assert first.tags == ("aws-api-gateway-overview",)
    assert {c.tags[0] for c in cards} == {
        "aws-api-gateway-overview",
        "aws-api-gateway",
        "aws-dynamodb-guide",
        "aws-dynamodb",
        "dynamoose",
    }
    listed = ok(runner, "list-decks", "--json").stdout
    assert "AWS: API, Dynamo and Lambda" in listed  # the `#` title names the deck


def test_shared_notes_without_context_equal_the_builtin_decks(
    runner: CliRunner, isolated_home: Path
) -> None:
    ok(runner, "import", str(NOTES), "--no-context", "--deck", "notes")
    rows = cards_json(runner, "notes")
    builtin = [
        r for d in ("aws-api-gateway", "aws-dynamodb", "dynamoose") for r in cards_json(runner, d)
    ]
    assert sorted(r["question"] for r in rows) == sorted(r["question"] for r in builtin)
    assert {(c.question, c.answer) for c in deck_cards(isolated_home, "notes")} == builtin_pairs()


def test_importing_twice_changes_nothing(runner: CliRunner, isolated_home: Path) -> None:
    ok(runner, "import", str(NOTES))
    path = isolated_home / "decks" / "aws-api-dynamo-lambda.yaml"
    before = path.stat().st_mtime_ns, path.read_bytes()
    out = ok(runner, "import", str(NOTES)).stdout
    assert "is up to date" in out
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before


# --- formats ---------------------------------------------------------------------------------

HEADINGS = """\
# Shell tricks

Some intro text that is not a card.

## Files

### 1. How do you list files by size?

Use `ls`:

```bash
# biggest first
ls -lS
### not a heading: inside code
```

#### A sub-heading kept in the answer

- one
- two

> ### 2) What does `chmod 0755` do?

Owner may write; everyone may read and run.

## Processes

### Which signal does Ctrl-C send? ###

SIGINT
"""


def test_headings_keep_code_lists_and_sections(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "shell.md"
    notes.write_text(HEADINGS)
    ok(runner, "import", str(notes))
    cards = deck_cards(isolated_home, "shell")
    assert [without_context(c.question) for c in cards] == [
        "How do you list files by size?",
        "What does `chmod 0755` do?",
        "Which signal does Ctrl-C send?",
    ]
    assert cards[0].answer == (
        "Use `ls`:\n\n```bash\n# biggest first\nls -lS\n### not a heading: inside code\n```\n\n"
        "#### A sub-heading kept in the answer\n\n- one\n- two"
    )
    assert cards[1].answer == "Owner may write; everyone may read and run."
    assert [c.tags for c in cards] == [("files",), ("files",), ("processes",)]
    assert cards[2].question == "*Processes*\nWhich signal does Ctrl-C send?"


QA = """\
# Networking

## Transport

Q: What does TCP guarantee?
A: Ordered, reliable delivery.

It retransmits lost segments.

Q: A question
that goes on over two lines?
A: - a list answer
- second item
Q: What is UDP?
A: Datagrams
"""


def test_qa_blocks(runner: CliRunner, isolated_home: Path, tmp_path: Path) -> None:
    notes = tmp_path / "net.md"
    notes.write_text(QA)
    out = ok(runner, "import", str(notes)).stdout
    assert "3 cards" in out
    cards = deck_cards(isolated_home, "net")
    assert [(without_context(c.question), c.answer) for c in cards] == [
        (
            "What does TCP guarantee?",
            "Ordered, reliable delivery.\n\nIt retransmits lost segments.",
        ),
        ("A question\nthat goes on over two lines?", "- a list answer\n- second item"),
        ("What is UDP?", "Datagrams"),
    ]
    assert {c.tags for c in cards} == {("transport",)}


INLINE = """\
# Spanish

## Animals
- perro::dog
gato :: cat
casa:::house
Just a line of prose.
```
code::not a card
```
"""


def test_inline_cards_and_reversed(runner: CliRunner, isolated_home: Path, tmp_path: Path) -> None:
    notes = tmp_path / "spanish.md"
    notes.write_text(INLINE)
    ok(runner, "import", str(notes), "--no-context")
    rows = cards_json(runner, "spanish")
    assert [(r["question"], r["kind"]) for r in rows] == [
        ("perro", "basic"),
        ("gato", "basic"),
        ("casa", "basic"),
        ("house", "reverse"),
    ]


def test_format_option_overrides_detection(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "mixed.md"
    notes.write_text("### Heading question\n\nits answer\n\nterm::definition\n")
    ok(runner, "import", str(notes), "--format", "inline")
    assert [(c.question, c.answer) for c in deck_cards(isolated_home, "mixed")] == [
        ("term", "definition")
    ]
    ok(runner, "import", str(notes), "--format", "headings", "--deck", "mixed2")
    assert [c.question for c in deck_cards(isolated_home, "mixed2")] == ["Heading question"]


def test_csv_with_header_row_tags_and_quoted_lines(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    table = tmp_path / "vocab.csv"
    table.write_text(
        'question,answer,tags\nperro,dog,animals es\n"a, b","line one\nline two",\ncasa,house,\n'
    )
    ok(runner, "import", str(table))
    cards = deck_cards(isolated_home, "vocab")
    assert [(c.question, c.answer, c.tags) for c in cards] == [
        ("perro", "dog", ("animals", "es")),
        ("a, b", "line one\nline two", ()),
        ("casa", "house", ()),
    ]


def test_tsv_two_columns(runner: CliRunner, isolated_home: Path, tmp_path: Path) -> None:
    table = tmp_path / "caps.tsv"
    table.write_text("France\tParis\nSpain, the country\tMadrid\n")
    ok(runner, "import", str(table))
    assert [(c.question, c.answer) for c in deck_cards(isolated_home, "caps")] == [
        ("France", "Paris"),
        ("Spain, the country", "Madrid"),
    ]


def test_anki_plain_text_export(runner: CliRunner, isolated_home: Path, tmp_path: Path) -> None:
    export = tmp_path / "Anki deck.txt"
    export.write_text(
        "#separator:tab\n#html:true\n#tags column:3\n"
        "<b>TLS</b>&nbsp;version?\t1.3<br>since 2018\tnet::tls crypto\n"
        '"<ul><li>one</li><li>two</li></ul> list?"\t&lt;tag&gt; &amp; more\t\n'
    )
    ok(runner, "import", str(export))
    cards = deck_cards(isolated_home, "anki-deck")
    assert [(c.question, c.answer, c.tags) for c in cards] == [
        ("**TLS** version?", "1.3\nsince 2018", ("net::tls", "crypto")),
        ("- one\n- two\n\nlist?", "<tag> & more", ()),
    ]


def test_anki_export_with_guid_notetype_and_deck_columns(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    export = tmp_path / "full.txt"
    export.write_text(
        "#separator:Semicolon\n#html:false\n#guid column:1\n#notetype column:2\n"
        "#deck column:3\n#tags column:6\n"
        "abc;Basic;Default;front one;back one;t1\n"
        "def;Basic;Default;front two;back two;\n"
    )
    ok(runner, "import", str(export))
    cards = deck_cards(isolated_home, "full")
    assert [(c.question, c.answer, c.tags) for c in cards] == [
        ("front one", "back one", ("t1",)),
        ("front two", "back two", ()),
    ]


# --- re-import -------------------------------------------------------------------------------


def test_reimport_keeps_reworded_cards_and_their_progress(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "aws.md"
    notes.write_text(NOTES.read_text())
    ok(runner, "import", str(notes))
    first = cards_json(runner, "aws")[0]
    assert first["question"].endswith("What is Amazon API Gateway?")
    ok_study = run(runner, "study", "aws", input="\n3\nq\n")  # answer the first card Good
    assert ok_study.exit_code in (0, 130), ok_study.output
    assert cards_json(runner, "aws")[0]["reps"] == 1
    removed = next(r for r in cards_json(runner, "aws") if "key features" in r["question"])

    text = NOTES.read_text()
    edited = (
        text[: text.index("> ### 2. What are some key features of Dynamoose?")]
        .replace("What is Amazon API Gateway?", "What is AWS API Gateway?")
        .replace("What are the some benefits", "What are some benefits")
        + "> ### 2. Does Dynamoose support transactions?\n\nYes.\n"
    )
    notes.write_text(edited)
    path = isolated_home / "decks" / "aws.yaml"
    before = path.read_bytes()
    dry = ok(runner, "import", str(notes), "--dry-run").stdout
    assert path.read_bytes() == before  # --dry-run writes nothing
    assert f"changed  {first['id']}: What is Amazon API Gateway? -> What is AWS API Gateway?" in dry
    assert "changed " in dry and "What are the some benefits" in dry
    assert f"removed  {removed['id']}: What are some key features of Dynamoose?" in dry
    assert "added    " in dry and "Does Dynamoose support transactions?" in dry
    assert "(nothing written)" in dry

    out = ok(runner, "import", str(notes)).stdout
    assert "10 cards, 1 added, 2 changed, 1 removed" in out
    rows = {r["id"]: r for r in cards_json(runner, "aws")}
    assert rows[first["id"]]["question"].endswith("What is AWS API Gateway?")
    assert rows[first["id"]]["reps"] == 1  # the reworded card kept its id, so its progress
    assert removed["id"] not in rows
    history = ok(runner, "progress", "export").stdout
    assert first["id"] in history  # the review stays in the log


def test_threshold_separates_rewordings() -> None:
    """Rewordings of the shared notes' questions, as a learner edits notes (answers kept
    or touched up), all score above the threshold; any two different cards below it."""
    text = NOTES.read_text()
    from flashcards.notes import parse_notes

    cards = parse_notes(NOTES, text).cards
    original = [{"question": c.question, "answer": c.answer} for c in cards]
    rewordings = [
        ("What is AWS API Gateway?", None),
        ("Why does API Gateway matter in the serverless ecosystem?", None),
        ("How does API Gateway work with other AWS services?", None),
        ("What are some benefits of using Amazon API Gateway?", None),
        ("Which two API types can you choose from?", "REST (HTTP) and WebSocket"),
        ("What is Amazon DynamoDB?", "Amazon's NoSQL database service"),
        ("When would you recommend DynamoDB over MongoDB?", None),
        ("Explain how DynamoDB works to a non-technical friend.", None),
        ("What's Dynamoose?", None),
        (
            "What are the key features of Dynamoose?",
            "- User-friendly syntax\n- Strict data modeling\n- Callbacks and promises",
        ),
    ]
    reworded = [
        {"question": q, "answer": a or old["answer"]}
        for (q, a), old in zip(rewordings, original, strict=True)
    ]
    same = [similarity(old, new) for old, new in zip(original, reworded, strict=True)]
    different = [similarity(a, b) for a, b in itertools.permutations(original, 2)] + [
        similarity(original[i], reworded[j]) for i in range(10) for j in range(10) if i != j
    ]
    assert min(same) >= MATCH_THRESHOLD > max(different)
    # The pair that question text alone cannot tell apart:
    dynamo = {"question": "What is DynamoDB?", "answer": original[5]["answer"]}
    dynamoose = {"question": "What is Dynamoose?", "answer": original[8]["answer"]}
    assert similarity(dynamo, dynamoose) < MATCH_THRESHOLD


def test_refuses_a_deck_it_did_not_make_unless_forced(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    own = isolated_home / "decks" / "net.yaml"
    own.parent.mkdir(parents=True)
    hand_made = "# mine\nname: Net\ncards:\n  - id: tcp\n    question: What does TCP guarantee?\n    answer: Order.\n"
    own.write_text(hand_made)
    notes = tmp_path / "net.md"
    notes.write_text(QA)
    refused = run(runner, "import", str(notes))
    assert refused.exit_code == 1 and "not made by `flashcards import`" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    assert own.read_text() == hand_made
    ok(runner, "import", str(notes), "--force")
    cards = deck_cards(isolated_home, "net")
    assert cards[0].id == "tcp"  # found again: the id, and so the progress, is kept
    assert own.read_text().startswith("# Made by `flashcards import` from net.md\n")


def test_deck_id_taken_by_a_builtin_deck(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "aws-dynamodb.md"
    notes.write_text("a::b\n")
    result = run(runner, "import", str(notes))
    assert result.exit_code == 1 and "is taken by" in result.output and "--deck" in result.output
    assert not (isolated_home / "decks").exists()


# --- bad input -------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"


@pytest.mark.parametrize(
    ("name", "content", "where", "message"),
    [
        ("empty.md", b"\n  \n", "empty.md", "the file is empty"),
        (
            "noanswer.md",
            b"# T\n\n### Question one?\n\nAnswer.\n\n### Question two?\n\n",
            "noanswer.md:7",
            "has no answer",
        ),
        ("qa.md", b"Q: one?\nA: yes\n\nQ: two?\n", "qa.md:4", "has no answer"),
        ("lonely.md", b"A: an answer\n", "lonely.md:1", "`A:` without a `Q:`"),
        ("inline.md", b"a::b\nc::\n", "inline.md:2", "has no answer"),
        ("prose.md", b"# Just notes\n\nNo cards here.\n", "prose.md", "no cards found"),
        ("image.md", PNG, "image.md:3", "not a text file"),
        ("image.csv", PNG, "image.csv:3", "not a text file"),
        ("latin.md", "### Qué?\n\nSí\n".encode("latin-1"), "latin.md:1", "not UTF-8 text"),
        ("cols.csv", b"a,b\nc,d,e\n", "cols.csv:2", "3 columns where the first row has 2"),
        ("one.csv", b"just one column\n", "one.csv:1", "a card needs a question and an answer"),
        ("blank.tsv", b"q\t\n", "blank.tsv:1", "has no answer"),
        ("quote.csv", b'a,"b\n', "quote.csv", "malformed row"),
        ("notes.pdf", b"%PDF-1.4", "notes.pdf", "cannot import .pdf"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    runner: CliRunner,
    isolated_home: Path,
    tmp_path: Path,
    name: str,
    content: bytes,
    where: str,
    message: str,
) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    result = run(runner, "import", str(source))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert f"{tmp_path / where}" in lines[0] and message in lines[0]
    assert "Traceback" not in result.output
    assert not (isolated_home / "decks").exists()


def test_bad_reimport_leaves_the_deck(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "net.md"
    notes.write_text(QA)
    ok(runner, "import", str(notes))
    path = isolated_home / "decks" / "net.yaml"
    before = path.read_bytes()
    notes.write_text(QA + "\nQ: dangling?\n")
    result = run(runner, "import", str(notes))
    assert result.exit_code == 1 and "net.md:17" in result.output
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["net.yaml"]


def test_reversed_inline_cards_have_no_section_line(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "words.md"
    notes.write_text("## Animals\nperro::dog\ncasa:::house\n")
    ok(runner, "import", str(notes))
    rows = {r["id"]: r for r in cards_json(runner, "words")}
    assert [r["question"] for r in rows.values()] == ["*Animals*\nperro", "casa", "house"]


def test_add_refuses_an_imported_deck(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "net.md"
    notes.write_text(QA)
    ok(runner, "import", str(notes))
    path = isolated_home / "decks" / "net.yaml"
    before = path.read_bytes()
    result = run(runner, "add", "net", "-q", "Q?", "-a", "A")
    assert result.exit_code == 1
    assert "made by `flashcards import` from net.md" in result.output
    assert path.read_bytes() == before


def test_anki_packages_go_to_the_package_importer(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    package = tmp_path / "broken.apkg"
    package.write_bytes(b"PK\x03\x04 not really a zip")
    result = run(runner, "import", str(package))
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and str(package) in result.output
    assert "Traceback" not in result.output
    misused = run(runner, "import", str(package), "--format", "qa")
    assert misused.exit_code == 1 and "are for notes and tables" in misused.output
    assert not (isolated_home / "decks").exists()


def test_reimport_keeps_what_the_learner_set_in_the_deck(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "net.md"
    notes.write_text(QA)
    ok(runner, "import", str(notes))
    path = isolated_home / "decks" / "net.yaml"
    text = path.read_text().replace(
        "cards:\n", "description: kept\noptions:\n  new_per_day: 3\ncards:\n", 1
    )
    text = text.replace("    answer: Datagrams\n", "    answer: Datagrams\n    typed: true\n")
    path.write_text(text)
    notes.write_text(QA.replace("What is UDP?", "What is UDP, then?"))
    out = ok(runner, "import", str(notes)).stdout
    assert "1 changed" in out
    after = path.read_text()
    assert "description: kept\noptions:\n  new_per_day: 3\n" in after
    rows = {r["question"]: r for r in cards_json(runner, "net")}
    assert rows["*Transport*\nWhat is UDP, then?"]["kind"] == "typed"


def test_a_quoted_card_is_read_without_its_quote_marks(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "quoted.md"
    notes.write_text(
        "> ### 1. All quoted?\n>\n> Yes, the answer too.\n>\n> - and a list\n\n"
        "> ### 2. Answer outside?\n\n> a real quote\n\nthen text\n"
    )
    ok(runner, "import", str(notes))
    assert [(c.question, c.answer) for c in deck_cards(isolated_home, "quoted")] == [
        ("All quoted?", "Yes, the answer too.\n\n- and a list"),
        ("Answer outside?", "> a real quote\n\nthen text"),
    ]


def test_the_card_listing_shows_the_question_under_its_section_line(
    runner: CliRunner, isolated_home: Path
) -> None:
    ok(runner, "import", str(NOTES))
    listing = run(runner, "cards", "aws-api-dynamo-lambda").stdout
    assert "What is Amazon API Gateway?" in listing
    assert "AWS API Gateway Overview" not in listing


def test_deck_id_from_a_file_name_with_spaces_capitals_and_accents(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "My Notes Überblick.md"
    notes.write_text("### Why?\nBecause.\n", encoding="utf-8")
    out = ok(runner, "import", str(notes)).stdout
    assert "into deck my-notes-uberblick " in out
    assert (isolated_home / "decks" / "my-notes-uberblick.yaml").is_file()


def test_reimport_follows_the_new_order_of_the_notes(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "order.md"
    notes.write_text("### One?\n1\n\n### Two?\n2\n\n### Three?\n3\n", encoding="utf-8")
    ok(runner, "import", str(notes))
    notes.write_text("### Three?\n3\n\n### One?\n1\n\n### Two?\n2\n", encoding="utf-8")
    out = ok(runner, "import", str(notes)).stdout
    assert "0 added, 0 changed, 0 removed, the rest in the file's new order" in out
    assert [c.answer for c in deck_cards(isolated_home, "order")] == ["3", "1", "2"]
    assert "up to date" in ok(runner, "import", str(notes)).stdout


@pytest.mark.parametrize("html", [True, False])
def test_anki_notes_in_plain_text_of_every_stock_note_type(
    runner: CliRunner, isolated_home: Path, tmp_path: Path, html: bool
) -> None:
    # Written by Anki's own exporter, with every column it can add.
    from ankibuild import AnkiNote, add_notes, open_collection

    (tmp_path / "anki").mkdir()
    col = open_collection(tmp_path / "anki" / "collection.anki2")
    notes = [
        AnkiNote(
            "Basic", ["What is <b>TLS</b>?", "Transport&nbsp;Layer<br>Security"], tags=["net"]
        ),
        AnkiNote("Basic (and reversed card)", ["chien", "dog"], deck="French::Words"),
        AnkiNote("Cloze", ["{{c1::Paris}} is the capital of {{c2::France}}", ""]),
        AnkiNote("Basic (type in the answer)", ["2+2?", "4"]),
        AnkiNote("Basic (optional reversed card)", ["un", "one", "y"]),
        AnkiNote("Basic (optional reversed card)", ["deux", "two", ""]),
    ]
    add_notes(col, notes, {})
    export = tmp_path / "Anki notes.txt"
    try:
        col.export_note_csv(
            out_path=str(export),
            limit=None,
            with_html=html,
            with_tags=True,
            with_deck=True,
            with_notetype=True,
            with_guid=True,
        )
    finally:
        col.close()
    ok(runner, "import", str(export))
    path = isolated_home / "decks" / "anki-notes.yaml"
    deck = parse_deck(path, path.read_bytes())
    got = {
        (without_context(c.question) if c.template != "cloze" else c.text, c.template, c.typed)
        for c in deck.cards
    }
    assert len(deck.cards) == 9  # 1 + 2 + 2 cloze + 1 + 2 + 1
    assert ("2+2?", "basic", True) in got
    assert ("dog", "reverse", False) in got and ("one", "reverse", False) in got
    assert ("two", "reverse", False) not in got
    clozes = [c for c in deck.cards if c.template == "cloze"]
    assert [c.cloze for c in clozes] == [1, 2]
    first = deck.cards[0]
    assert (first.question, first.answer, first.tags) == (
        "*Default*\nWhat is **TLS**?" if html else "*Default*\nWhat is TLS?",
        ("Transport Layer\nSecurity" if html else "Transport Layer Security"),
        ("net", "default"),  # the rows are in two Anki decks: each card's is its section
    )


def test_a_cloze_row_in_a_table_without_note_types(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    table = tmp_path / "t.csv"
    table.write_text("{{c1::Rome}} is in {{c2::Italy}},,geo\nplain?,yes,\n", encoding="utf-8")
    ok(runner, "import", str(table))
    cards = deck_cards(isolated_home, "t")
    assert [(c.template, c.cloze) for c in cards] == [("cloze", 1), ("cloze", 2), ("basic", 0)]
    assert cards[0].tags == ("geo",)
    before = (isolated_home / "decks" / "t.yaml").read_bytes()
    table.write_text("#notetype column:1\nCloze,no deletion here,\n", encoding="utf-8")
    result = run(runner, "import", str(table))
    assert result.exit_code == 1
    assert result.stderr.strip().startswith(f"error: {table}:2: the cloze text has no cloze")
    assert len(result.stderr.strip().splitlines()) == 1
    assert (isolated_home / "decks" / "t.yaml").read_bytes() == before


def test_notes_of_the_same_name_elsewhere_do_not_replace_a_deck(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "notes.md").write_text("### One?\n1\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("### Two?\n2\n", encoding="utf-8")
    ok(runner, "import", str(tmp_path / "a" / "notes.md"))
    deck = isolated_home / "decks" / "notes.yaml"
    before = deck.read_bytes()
    result = run(runner, "import", str(tmp_path / "b.md"), "--deck", "notes")
    assert result.exit_code == 1
    assert f"{deck} was imported from notes.md, not b.md; --force replaces it" in result.stderr
    assert deck.read_bytes() == before
    ok(runner, "import", str(tmp_path / "b.md"), "--deck", "notes", "--force")
    assert [c.answer for c in deck_cards(isolated_home, "notes")] == ["2"]


def test_an_indented_code_block_holds_no_heading(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "md.md"
    notes.write_text(
        "### How is a heading written?\n\nLike this:\n\n    ### My heading\n\n"
        "    ```\n\n### And a fence?\n\n```\n### inside\n```\n",
        encoding="utf-8",
    )
    ok(runner, "import", str(notes))
    cards = deck_cards(isolated_home, "md")
    assert [(c.question, c.answer) for c in cards] == [
        ("How is a heading written?", "Like this:\n\n    ### My heading\n\n    ```"),
        ("And a fence?", "```\n### inside\n```"),
    ]


def test_dry_run_shows_an_edited_answer_old_and_new(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "a.md"
    notes.write_text("### Capital of Australia?\nSydney\n", encoding="utf-8")
    ok(runner, "import", str(notes))
    notes.write_text("### Capital of Australia?\nCanberra, not Sydney\n", encoding="utf-8")
    dry = ok(runner, "import", str(notes), "--dry-run").stdout
    assert "Capital of Australia? (answer Sydney -> Canberra, not Sydney)" in dry


def test_one_question_in_two_sections_keeps_its_ids_when_they_swap(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "two.md"
    notes.write_text(
        "## Lambda\n### What is it?\nFunctions.\n## DynamoDB\n### What is it?\nA database.\n",
        encoding="utf-8",
    )
    ok(runner, "import", str(notes))
    ids = {c.answer: c.id for c in deck_cards(isolated_home, "two")}
    notes.write_text(
        "## DynamoDB\n### What is it?\nA database.\n## Lambda\n### What is it?\nFunctions.\n",
        encoding="utf-8",
    )
    ok(runner, "import", str(notes))
    assert {c.answer: c.id for c in deck_cards(isolated_home, "two")} == ids


def test_anki_deck_column_names_the_deck_or_each_cards_section(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    one = tmp_path / "one.txt"
    one.write_text("#separator:tab\n#deck column:1\nLang::French\tchat\tcat\n", encoding="utf-8")
    ok(runner, "import", str(one))
    assert "name: Lang::French" in (isolated_home / "decks" / "one.yaml").read_text()
    two = tmp_path / "two.txt"
    two.write_text(
        "#separator:tab\n#deck column:1\n#tags column:4\n"
        "Lang::French\tchat\tcat\tanimal\nGeo\tCapital of Peru?\tLima\t\n",
        encoding="utf-8",
    )
    ok(runner, "import", str(two))
    cards = deck_cards(isolated_home, "two")
    assert [(c.question, c.tags) for c in cards] == [
        ("*Lang::French*\nchat", ("animal", "lang-french")),
        ("*Geo*\nCapital of Peru?", ("geo",)),
    ]


def test_an_import_out_of_the_deck_path_says_so(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "n.md"
    notes.write_text("### Why?\nBecause.\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = runner.invoke(app, ["import", str(notes)], env={"FLASHCARDS_DECKS": str(elsewhere)})
    assert result.exit_code == 0, result.output
    assert "is not on the deck path (FLASHCARDS_DECKS or --decks)" in result.stdout
    assert "not on the deck path" not in ok(runner, "import", str(notes)).stdout


def test_the_summary_counts_the_cards_reversed_and_cloze_entries_make(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    table = tmp_path / "kinds.csv"
    table.write_text("{{c1::Rome}} is in {{c2::Italy}},\nchien,dog\n", encoding="utf-8")
    assert "2 entries (3 cards), 2 added" in ok(runner, "import", str(table)).stdout
    inline = tmp_path / "inline.md"
    inline.write_text("chat:::cat\n", encoding="utf-8")
    assert ": 1 entry (2 cards), 1 added" in ok(runner, "import", str(inline)).stdout
    assert (
        "is up to date with inline.md: 1 entry (2 cards)."
        in ok(runner, "import", str(inline)).stdout
    )


@pytest.mark.parametrize("name", ["notes.md", "deck.apkg"])
def test_a_folder_named_as_a_file_is_said_to_be_a_folder(
    runner: CliRunner, isolated_home: Path, tmp_path: Path, name: str
) -> None:
    (tmp_path / name).mkdir()
    result = run(runner, "import", str(tmp_path / name))
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {tmp_path / name}: is a folder, not a file"
    assert not isolated_home.exists() or not any(isolated_home.rglob("*.yaml"))


def test_a_cloze_gets_the_id_add_gives_it(
    runner: CliRunner, isolated_home: Path, tmp_path: Path
) -> None:
    # made from the text it hides, not from the {{c1::…}} markup
    text = "{{c1::Athens}} is the capital of {{c2::Greece::a country}}"
    table = tmp_path / "greek.txt"
    table.write_text(f"#separator:tab\n#notetype column:1\nCloze\t{text}\t\n")
    assert run(runner, "import", str(table)).exit_code == 0
    added = run(runner, "add", "mine", "--cloze", text)
    assert added.exit_code == 0, added.output
    ids = {row["deck"]: row["note"] for row in json.loads(run(runner, "cards", "--json").stdout)}
    assert ids["greek"] == ids["mine"]
    assert ids["greek"].startswith("athens-is-the-capital-of-greece-")
