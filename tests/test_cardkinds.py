"""Reversed, cloze and typed-answer cards: the deck format, every bad case with its
file, line and field, cloze text on both sides, and the typed answer's comparison."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from flashcards.cardkinds import (
    BAD,
    GOOD,
    MISSED,
    ClozeError,
    Deletion,
    Span,
    cloze_side,
    compare_typed,
    expected_answer,
    parse_cloze,
)
from flashcards.cardtext import cloze_text, plain_text, typed_comparison
from flashcards.catalog import open_catalog
from flashcards.decks import card_id_from_question, parse_deck
from flashcards.errors import DeckError
from flashcards.exchange import parse_line
from flashcards.model import Card, Deck


def load(tmp_path: Path, text: str, name: str = "kinds.yaml") -> Deck:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse_deck(path, path.read_bytes())


ALL_KINDS = """\
name: Kinds
cards:
  - id: dynamodb-what-is
    question: What is DynamoDB?
    answer: Amazon's NoSQL database service
    reverse: true
  - id: tls
    cloze: "{{c1::TLS}} runs on top of {{c2::TCP::a protocol}}; HTTPS is HTTP over {{c1::TLS}}."
    extra: TLS 1.3 is RFC 8446.
  - id: port
    question: Which port does HTTPS use?
    answer: "`443`"
    typed: true
  - id: plain
    question: q
    answer: a
"""


def test_one_card_of_each_kind_and_their_ids(tmp_path: Path) -> None:
    deck = load(tmp_path, ALL_KINDS)
    assert [(c.id, c.kind, c.note) for c in deck.cards] == [
        ("dynamodb-what-is", "basic", "dynamodb-what-is"),
        ("dynamodb-what-is/reverse", "reverse", "dynamodb-what-is"),
        ("tls/c1", "cloze", "tls"),
        ("tls/c2", "cloze", "tls"),
        ("port", "typed", None),
        ("plain", "basic", None),
    ]
    forward, backward = deck.cards[:2]
    assert (backward.question, backward.answer) == (forward.answer, forward.question)
    c1, c2 = deck.cards[2:4]
    assert c1.question == "[...] runs on top of TCP; HTTPS is HTTP over [...]."
    assert c2.question == "TLS runs on top of [a protocol]; HTTPS is HTTP over TLS."
    assert (
        c1.answer
        == c2.answer
        == ("TLS runs on top of TCP; HTTPS is HTTP over TLS.\n\nTLS 1.3 is RFC 8446.")
    )
    assert (c1.cloze, c2.cloze, c1.extra) == (1, 2, "TLS 1.3 is RFC 8446.")
    assert deck.bury_siblings is True


def test_deck_wide_reverse_and_typed_with_a_card_saying_otherwise(tmp_path: Path) -> None:
    deck = load(
        tmp_path,
        "name: D\nreverse: true\ntyped: true\nbury_siblings: false\ncards:\n"
        "  - {id: a, question: qa, answer: aa}\n"
        "  - {id: b, question: qb, answer: ab, reverse: false, typed: false}\n"
        "  - {id: c, cloze: '{{c1::x}} y'}\n",  # a deck's reverse leaves cloze cards alone
    )
    assert [(c.id, c.typed) for c in deck.cards] == [
        ("a", True),
        ("a/reverse", True),
        ("b", False),
        ("c/c1", True),
    ]
    assert deck.bury_siblings is False


def test_the_same_cloze_number_twice_is_one_card_and_numbers_may_skip(tmp_path: Path) -> None:
    deck = load(tmp_path, "cards:\n  - {id: n, cloze: '{{c3::a}} {{c1::b}} {{c3::c}}'}\n")
    assert [card.id for card in deck.cards] == ["n/c1", "n/c3"]
    assert deck.cards[1].question == "[...] b [...]"


def test_a_cloze_without_id_gets_one_from_its_text(tmp_path: Path) -> None:
    text = "{{c1::Paris}} is the capital of France"
    deck = load(tmp_path, f"cards:\n  - cloze: '{text}'\n")
    assert deck.cards[0].id == card_id_from_question(text) + "/c1"


def test_progress_keys_survive_the_edits_the_issue_names(tmp_path: Path) -> None:
    before = load(
        tmp_path,
        "cards:\n  - {id: tls, cloze: '{{c1::TLS}} on {{c2::TCP}}'}\n"
        "  - {question: What is S3?, answer: storage, reverse: true}\n",
    )
    after = load(
        tmp_path,
        "cards:\n  - {id: tls, cloze: 'Today {{c1::TLS 1.3}} runs on {{c2::TCP::transport}}'}\n"
        "  - {question: What is S3?, answer: object storage, reverse: true}\n",
    )
    assert [c.id for c in before.cards] == [c.id for c in after.cards]


BASE = "# kinds\nname: Bad\ncards:\n  - id: fine\n    question: q\n    answer: a\n"  # 1-6


@pytest.mark.parametrize(
    ("case", "text", "line", "fragments"),
    [
        ("no deletion", "  - cloze: just text\n", 7, ["`cloze`", "no cloze deletion", "{{c1::"]),
        (
            "cloze and question",
            "  - cloze: '{{c1::a}}'\n    question: q\n",
            8,
            ["`question`", "either `cloze`", "not both"],
        ),
        (
            "cloze and answer",
            "  - cloze: '{{c1::a}}'\n    answer: a\n",
            8,
            ["`answer`", "not both"],
        ),
        ("number zero", "  - cloze: '{{c0::a}}'\n", 7, ["`cloze`", "'0'", "positive whole"]),
        ("number a word", "  - cloze: '{{cx::a}}'\n", 7, ["'x'", "positive whole"]),
        ("number missing", "  - cloze: '{{c::a}}'\n", 7, ["''", "positive whole"]),
        ("number negative", "  - cloze: '{{c-1::a}}'\n", 7, ["'-1'", "positive whole"]),
        ("number a fraction", "  - cloze: '{{c1.5::a}}'\n", 7, ["'1.5'", "positive whole"]),
        ("not closed", "  - cloze: '{{c1::TLS} runs'\n", 7, ["`{{c1::TLS} runs`", "not closed"]),
        (
            "second not closed",
            "  - cloze: '{{c1::a}} and {{c2::b'\n",
            7,
            ["`{{c2::b`", "not closed"],
        ),
        ("nested", "  - cloze: '{{c1::a {{c2::b}} c}}'\n", 7, ["`{{c2::`", "nested"]),
        ("empty deletion", "  - cloze: 'x {{c1::  }} y'\n", 7, ["`{{c1:: }}`", "hides nothing"]),
        ("cloze not text", "  - cloze: [a, b]\n", 7, ["`cloze` must be non-empty text"]),
        ("cloze empty", "  - id: e\n    cloze:\n", 8, ["`cloze` must be non-empty text"]),
        (
            "extra without cloze",
            "  - question: q2\n    answer: a2\n    extra: more\n",
            9,
            ["`extra` goes with `cloze`"],
        ),
        (
            "reverse on a cloze",
            "  - cloze: '{{c1::a}}'\n    reverse: true\n",
            8,
            ["`reverse` does not apply to a `cloze` card"],
        ),
        ("reverse not a flag", "    reverse: sometimes\n", 7, ["`reverse` must be true or false"]),
        ("typed not a flag", "    typed: 1\n", 7, ["`typed` must be true or false"]),
        ("deck typed not a flag", "typed: [x]\n", 7, ["`typed` must be true or false"]),
        (
            "bury_siblings not a flag",
            "bury_siblings: nope\n",
            7,
            ["`bury_siblings` must be true or false"],
        ),
        ("unknown card key", "    hint: x\n", 7, ["unknown card key 'hint'", "cloze", "typed"]),
        ("unknown deck key", "siblings: x\n", 7, ["unknown key 'siblings'", "bury_siblings"]),
        (
            "made ids cannot be written",
            "  - question: q2\n    answer: a2\n    id: fine/reverse\n",
            9,
            ["`id`", "'/'"],
        ),
        (
            "a cloze entry's id used twice",
            "  - id: fine\n    cloze: '{{c1::a}}'\n",
            7,
            ["card id 'fine'", "twice", "card 1"],
        ),
    ],
)
def test_bad_card_kinds_name_file_line_and_field(
    tmp_path: Path, case: str, text: str, line: int, fragments: list[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BASE + text, encoding="utf-8")
    with pytest.raises(DeckError) as caught:
        parse_deck(path, path.read_bytes())
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_card_kinds_survive_the_deck_cache(tmp_path: Path) -> None:
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "kinds.yaml").write_text(ALL_KINDS.replace("name: Kinds", "bury_siblings: false"))
    cache = tmp_path / "cache"
    parsed = open_catalog([folder], cache)
    fresh = parsed.deck("kinds")
    cached = open_catalog([folder], cache)  # read from the cache now
    assert cached._parsed == {}
    info = cached.info("kinds")
    assert info.bury_siblings is False
    assert info.card_ids == tuple(card.id for card in fresh.cards)
    assert cached.deck("kinds") == fresh


# --- cloze text -------------------------------------------------------------------------------


def test_cloze_parsing_keeps_every_character() -> None:
    text = "a {{ name }} b {{c1::x::hint}} c }} d {{C2::y}} {x} {{c1::z::}}"
    pieces = parse_cloze(text)
    assert pieces == [
        "a {{ name }} b ",
        Deletion(1, "x", "hint"),
        " c }} d ",
        Deletion(2, "y"),
        " {x} ",
        Deletion(1, "z", ""),
    ]
    assert cloze_side(pieces, 1, question=True) == "a {{ name }} b [hint] c }} d y {x} [...]"
    assert cloze_side(pieces, 2, question=False) == "a {{ name }} b x c }} d y {x} z"


def test_a_hint_may_hold_double_colons_as_anki_reads_it() -> None:
    assert parse_cloze("{{c1::std::vector::a C++ type}}") == [
        Deletion(1, "std", "vector::a C++ type")
    ]


def test_no_deletion_is_refused() -> None:
    with pytest.raises(ClozeError, match="no cloze deletion"):
        parse_cloze("{{ template }} and {x}")


def render(renderable: object, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def styled(renderable: object, width: int = 80) -> str:
    """Rendered with styles kept as rich markup-free ANSI, to see what is marked."""
    console = Console(
        file=io.StringIO(),
        width=width,
        force_terminal=True,
        color_system="standard",
        no_color=False,
        legacy_windows=False,
    )
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


BLUE_BOLD = "\x1b[1;34m"


@pytest.mark.parametrize("markdown", [True, False])
def test_one_deletion_hidden_on_the_question_and_marked_on_the_answer(markdown: bool) -> None:
    text = "{{c1::TLS}} runs on top of {{c2::TCP::a protocol}}"
    question = render(cloze_text(text, 1, question=True, markdown=markdown))
    assert question.strip() == "[...] runs on top of TCP"
    assert render(cloze_text(text, 2, question=True, markdown=markdown)).strip() == (
        "TLS runs on top of [a protocol]"
    )
    answer = cloze_text(text, 2, question=False, markdown=markdown)
    assert render(answer).strip() == "TLS runs on top of TCP"
    assert f"{BLUE_BOLD}TCP\x1b[0m" in styled(answer)
    assert f"{BLUE_BOLD}[...]\x1b[0m" in styled(cloze_text(text, 1, question=True))


def test_markdown_around_and_inside_clozes_still_renders() -> None:
    text = (
        "**{{c1::TLS}}** runs on `{{c2::tcp}}`, see [the RFC](https://x/8446) "
        "and {{c1::*this*}}(not a link) [{{c2::y}}]"
    )
    question = render(cloze_text(text, 1, question=True))
    assert " ".join(question.split()) == (
        "[...] runs on tcp, see the RFC (https://x/8446) and [...](not a link) [y]"
    )
    answer = styled(cloze_text(text, 1, question=False))
    assert "\x1b[1;34mTLS" in answer  # bold (its own) and marked
    assert "\x1b[1;3;34mthis" in answer  # emphasis inside the deletion renders
    hint = render(cloze_text("x {{c1::y::*not* `code` [a](b)}}", 1, question=True))
    assert hint.strip() == "x [*not* `code` [a](b)]"  # a hint is shown as written


def test_cloze_in_lists_code_blocks_and_markup_loses_nothing() -> None:
    text = "- first {{c1::one}}\n- second <b>{{c2::two}}</b> &amp; \\*\n\n```\ncode {{c1::x}}\n```"
    question = render(cloze_text(text, 1, question=True))
    lines = [line.strip() for line in question.splitlines() if line.strip()]
    assert "• first [...]" in lines
    assert "• second <b>two</b> &amp; \\*" in lines
    assert "code [...]" in lines
    assert "\x01" not in question and "\x02" not in question and "\x03" not in question


def test_cloze_text_is_escaped_like_every_card_text() -> None:
    text = "{{c1::\x1b[31mred::[bold]hint\x07}} [red]x[/red]"
    shown = render(cloze_text(text, 1, question=True)) + render(cloze_text(text, 1, question=False))
    assert "\x1b" not in shown and "\x07" not in shown
    assert "[\\x1b[31mred" not in shown  # the hidden text is not on the question...
    assert "[[bold]hint\\x07]" in shown and "[red]x[/red]" in shown
    assert "\\x1b[31mred" in shown  # ...and is on the answer, escaped


def test_a_deletion_across_a_line_wrap_keeps_the_width() -> None:
    text = "word " * 12 + "{{c1::a long deleted part that wraps}} end"
    for question in (True, False):
        lines = render(cloze_text(text, 1, question=question), width=30).splitlines()
        assert all(len(line) <= 30 for line in lines)


# --- typed answers ----------------------------------------------------------------------------


def test_comparison_is_anki_s_own_example() -> None:
    # rslib/src/typeanswer.rs, test `tokens`
    result = compare_typed("y ahora qe vamosa hacer", "¿Y ahora qué vamos a hacer?")
    assert result.typed == (
        Span(BAD, "y"),
        Span(GOOD, " ahora q"),
        Span(BAD, "e"),
        Span(GOOD, " vamos"),
        Span(MISSED, "-"),
        Span(GOOD, "a hacer"),
        Span(MISSED, "-"),
    )
    assert result.expected == (
        Span(MISSED, "¿Y"),
        Span(GOOD, " ahora q"),
        Span(MISSED, "ué"),
        Span(GOOD, " vamos"),
        Span(MISSED, " "),
        Span(GOOD, "a hacer"),
        Span(MISSED, "?"),
    )
    assert not result.exact and not result.matches


def test_anki_s_smaller_cases() -> None:
    assert compare_typed("23", "1").typed == (Span(BAD, "23"),)
    assert compare_typed("1", "12").typed == (Span(GOOD, "1"), Span(MISSED, "-"))
    cyrillic = compare_typed("нс", "нос")
    assert cyrillic.typed == (Span(GOOD, "н"), Span(MISSED, "-"), Span(GOOD, "с"))  # noqa: RUF001
    assert compare_typed("스다뜸다", "쓰다듬다").typed == (
        Span(BAD, "스"),
        Span(GOOD, "다"),
        Span(BAD, "뜸"),
        Span(GOOD, "다"),
    )


def test_exact_answer_is_one_line_all_good() -> None:
    result = compare_typed("443", "443")
    assert result.exact and result.matches and not result.empty
    assert (result.typed, result.expected) == ((), (Span(GOOD, "443"),))
    assert render(typed_comparison(result)).strip() == "443"


def test_case_and_surrounding_spaces_are_marked_but_still_match() -> None:
    result = compare_typed("  dynamodb ", "DynamoDB")
    assert not result.exact and result.matches
    assert result.typed == (Span(BAD, "  d"), Span(GOOD, "ynamo"), Span(BAD, "db "))
    assert render(typed_comparison(result)).splitlines() == ["  dynamodb ", "↓", "DynamoDB"]


def test_wrong_characters_do_not_match() -> None:
    result = compare_typed("TCB", "TCP")
    assert not result.matches
    assert result.typed == (Span(GOOD, "TC"), Span(BAD, "B"))
    assert result.expected == (Span(GOOD, "TC"), Span(MISSED, "P"))


def test_empty_input_shows_the_expected_answer_unmarked() -> None:
    result = compare_typed("", "TCP")
    assert result.empty and not result.matches and not result.exact
    assert render(typed_comparison(result)).strip() == "TCP"
    assert not compare_typed("   ", "TCP").matches


def test_unicode_is_compared_after_normalization() -> None:
    decomposed = unicodedata.normalize("NFD", "café")
    assert compare_typed(decomposed, "café").exact
    assert compare_typed("CAFÉ", "café").matches
    assert compare_typed("漢字", "漢字").exact
    emoji = compare_typed("👍 ok", "👍 OK")
    assert emoji.matches and Span(GOOD, "👍 ") in emoji.typed


def test_markdown_markup_is_ignored_when_matching() -> None:
    card = Card("d", "c", "Which command lists files?", "`ls -la` (**long**)", typed=True)
    assert expected_answer(card) == "ls -la (long)"
    assert compare_typed("ls -la (long)", expected_answer(card)).exact
    assert compare_typed("`LS -la` (long)", expected_answer(card), markdown=True).matches
    raw = Card("d", "c", "q", "**a**", markdown=False, typed=True)
    assert expected_answer(raw) == "**a**"


def test_expected_answer_of_reverse_and_cloze_cards(tmp_path: Path) -> None:
    deck = load(
        tmp_path,
        "typed: true\ncards:\n"
        "  - {id: a, question: 'What is **S3**?', answer: storage, reverse: true}\n"
        "  - {id: b, cloze: '{{c1::TLS}} on {{c2::TCP}}, {{c1::*again*}}'}\n",
    )
    expected = [expected_answer(card) for card in deck.cards]
    assert expected == ["storage", "What is S3?", "TLS, again", "TCP"]


def test_plain_text_keeps_words_and_drops_markup() -> None:
    text = "# Title\n\n- **one**\n- `two` [three](http://x)\n\n```\ncode\n```"
    assert plain_text(text).split() == ["Title", "one", "two", "three", "code"]
    assert plain_text("2*3*4 and C:\\dir") == "2*3*4 and C:\\dir"


def test_the_comparison_is_shown_never_obeyed() -> None:
    result = compare_typed("[red]x\x1b[31m", "[red]x")
    shown = render(typed_comparison(result))
    assert "[red]x\\x1b[31m" in shown and "\x1b" not in shown


# --- ids everywhere ---------------------------------------------------------------------------


@pytest.mark.parametrize("card", ["tls/c1", "tls/c12", "dynamodb-what-is/reverse", "plain"])
def test_progress_export_lines_accept_the_made_ids(card: str) -> None:
    line = f'{{"deck": "d", "card": "{card}", "rating": 3, "reviewed_at": "2026-01-01T10:00:00+00:00"}}'
    assert parse_line(line, "f:1").card == card


@pytest.mark.parametrize("card", ["a/b", "a/c0", "a/reverse/c1", "/reverse", "a b/c1", "a#b"])
def test_progress_import_still_refuses_other_ids(card: str) -> None:
    from flashcards.errors import UsageError

    line = f'{{"deck": "d", "card": "{card}", "rating": 3, "reviewed_at": "2026-01-01T10:00:00+00:00"}}'
    with pytest.raises(UsageError, match="/reverse"):
        parse_line(line, "f:1")


def test_the_readme_example_shows_every_field_and_every_kind(tmp_path: Path) -> None:
    import re

    from flashcards.decks import CARD_KEYS, DECK_KEYS

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```yaml\n(.*?)```", readme, flags=re.S)
    written = set(re.findall(r"^\s*(?:- |# )?([a-z_]+):", example, flags=re.M))
    assert set(DECK_KEYS) | set(CARD_KEYS) <= written
    deck = load(tmp_path, example)
    assert {card.kind for card in deck.cards} == {"basic", "reverse", "cloze", "typed"}
    assert {"dynamodb-table/reverse", "tls/c1", "tls/c2"} <= {card.id for card in deck.cards}


_PLAIN = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Zl", "Zp")), max_size=12
).filter(lambda text: "{{" not in text and "}" not in text and not text.endswith("{"))
_HIDDEN = _PLAIN.filter(
    lambda text: text.strip() != "" and "::" not in text and ":" not in text[-1:]
)


@given(
    st.lists(st.tuples(_PLAIN, st.integers(1, 3), _HIDDEN), min_size=1, max_size=5),
    _PLAIN,
)
def test_cloze_sides_lose_no_character(parts: list[tuple[str, int, str]], tail: str) -> None:
    text = "".join(f"{before}{{{{c{number}::{hidden}}}}}" for before, number, hidden in parts)
    text += tail
    filled = "".join(before + hidden for before, _, hidden in parts) + tail
    for number in {number for _, number, _ in parts}:
        answer = cloze_text(text, number, question=False, markdown=False)
        assert isinstance(answer, Text) and answer.plain == filled
        question = cloze_text(text, number, question=True, markdown=False)
        expected = "".join(
            before + ("[...]" if n == number else hidden) for before, n, hidden in parts
        )
        assert isinstance(question, Text) and question.plain == expected + tail
