"""Rules for user-supplied names and text (coalition_bot/rules/text.py)."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coalition_bot.commands.grammar import parse, tokenize
from coalition_bot.commands.registry import COMMANDS
from coalition_bot.rules.text import (
    clean_line,
    drop_format,
    latin_lookalike,
    lookalike_key,
    name_key,
    quote_arg,
)

# --- clean_line -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Tenants United", "Tenants United"),
    ("  Tenants    United  ", "Tenants United"),
    ("Tenants\tUnited\n", "Tenants United"),
    ("line one\r\nline two", "line one line two"),
    ("Tenants\x00 United", "Tenants United"),
    ("bell\x07", "bell"),
    ("\x1b[31mred\x1b[0m", "[31mred [0m"),
    ("del\x7f ete", "del ete"),
    ("c1\x9b code", "c1 code"),
    ("", ""),
    (" \t\n ", ""),
])
def test_clean_line_drops_control_characters_and_folds_spaces(text: str, expected: str) -> None:
    assert clean_line(text) == expected


def test_clean_line_folds_unicode_spaces() -> None:
    assert clean_line("Tenants\u00a0\u3000United\u2003now") == "Tenants United now"


def test_clean_line_removes_bidi_overrides() -> None:
    cleaned = clean_line("invoice\u202egpj.exe")
    assert "\u202e" not in cleaned
    assert cleaned == "invoicegpj.exe"


def test_clean_line_keeps_letters_punctuation_and_emoji() -> None:
    text = "Mieter:innen-Verein „Nord“ — 100% 🏠 ¿Sí? 日本語"
    assert clean_line(text) == text


def test_clean_line_keeps_zero_width_joiner_in_emoji_sequences() -> None:
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467 Families United"
    assert clean_line(family) == family


def test_clean_line_keeps_zero_width_non_joiner_in_persian_words() -> None:
    word = "می\u200cخواهیم"
    assert clean_line(word) == word


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_clean_line_output_is_one_tidy_line(text: str) -> None:
    cleaned = clean_line(text)
    assert not any(unicodedata.category(ch) == "Cc" for ch in cleaned)
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    assert clean_line(cleaned) == cleaned


# --- name_key ---------------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [
    ("Tenants United", "tenants united"),
    ("Straße", "STRASSE"),
    ("Straße", "strasse"),
    ("ＴＥＮＡＮＴＳ　Ｕｎｉｔｅｄ", "Tenants United"),
    ("  Tenants \t United ", "Tenants United"),
    ("Tenants\u00a0United", "Tenants United"),
    ("Caf\u00e9", "Cafe\u0301"),  # composed and decomposed é
    ("ΟΔΟΣ", "οδος"),  # final sigma folds like sigma
    ("ﬁre brigade", "fire brigade"),
])
def test_name_key_treats_these_spellings_as_the_same_name(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(("name", "key"), [
    ("Straße", "strasse"),
    ("ＴＥＮＡＮＴＳ　Ｕｎｉｔｅｄ", "tenants united"),
    ("  Tenants \t United ", "tenants united"),
    ("Local Ⅻ", "local xii"),
    ("İstanbul", "i̇stanbul"),
])
def test_name_key_value(name: str, key: str) -> None:
    assert name_key(name) == key


@pytest.mark.parametrize(("a", "b"), [
    ("Café", "Cafe"),  # accents are part of the name
    ("Tenants United", "Tenants Unite"),
    ("Tenants United", "TenantsUnited"),
    ("Local 12", "Local 1 2"),
])
def test_name_key_keeps_different_names_apart(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_name_key_is_idempotent_and_case_blind(name: str) -> None:
    key = name_key(name)
    assert name_key(key) == key
    assert name_key(name.upper()) == name_key(name.lower()) or not name.isascii()
    assert key == key.strip()
    assert "  " not in key


# --- quote_arg --------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "quoted"), [
    ("Yes", "Yes"),
    ("#2", "#2"),
    ("Tenants United", '"Tenants United"'),
    ("", '""'),
    ("reason:x", '"reason:x"'),
    ("https://x.org", '"https://x.org"'),
    ('say "no"', r'"say \"no\""'),
    ("back\\slash", r'"back\\slash"'),
])
def test_quote_arg_quotes_only_when_needed(value: str, quoted: str) -> None:
    assert quote_arg(value) == quoted


@pytest.mark.parametrize("value", ["Yes", "Tenants United", "reason:x", 'say "no"',
                                   "back\\slash", "landlord's", "a\\", "„Nord"])
def test_quote_arg_reads_back_as_one_value(value: str) -> None:
    (token,) = tokenize(quote_arg(value))
    assert (token.text, token.key) == (value, "")


def test_quote_arg_value_is_the_vote_choice() -> None:
    parsed = parse(f"poll vote 3 {quote_arg('Option B: later')}", COMMANDS)
    assert parsed.help is False
    assert parsed.values == {"poll": "3", "choice": "Option B: later"}


@pytest.mark.parametrize("choice", ["help", "Help", "-h", "--help"])
def test_quote_arg_choice_named_help_still_votes(choice: str) -> None:
    parsed = parse(f"poll vote 3 {quote_arg(choice)}", COMMANDS)
    assert parsed.help is False
    assert parsed.values == {"poll": "3", "choice": choice}


def test_quote_arg_choice_with_curly_quotes_reads_back_unchanged() -> None:
    # Was a bug: curly quotes inside straight quotes ended the value.
    choice = "the “Fair Rent” act"
    (token,) = tokenize(quote_arg(choice))
    assert token.text == choice


# --- invisible characters and look-alike letters ---------------------------------------


@pytest.mark.parametrize("invisible", ["\u200b", "\u00ad", "\u2060", "\u200d", "\u200c",
                                       "\ufeff", "\u200e"])
def test_name_key_drops_format_characters(invisible: str) -> None:
    assert unicodedata.category(invisible) == "Cf"
    assert name_key(f"Tenants{invisible} Uni{invisible}ted{invisible}") == "tenants united"
    assert drop_format(f"a{invisible}b") == "ab"


@pytest.mark.parametrize(("text", "expected"), [
    ("Tenаnts United", "Tenants United"),  # Cyrillic а inside a Latin word
    ("uniоn", "union"),  # Cyrillic о
    ("ΤΕΝΑΝΤS", "TENANTS"),  # Greek capitals with a Latin S
    ("сор", "cop"),  # a word made only of look-alikes displays as Latin
    ("Союз жильцов", "Союз жильцов"),  # Russian words stay Russian
    ("Ένωση", "Ένωση"),  # so do Greek ones
    ("Tenants United", "Tenants United"),
])
def test_latin_lookalike_respells_words_that_display_as_latin(text: str, expected: str) -> None:
    assert latin_lookalike(text) == expected


def test_lookalike_key_is_one_for_names_that_look_the_same() -> None:
    assert lookalike_key("Tenаnts Unitеd\u200b") == lookalike_key("tenants united")
    assert lookalike_key("Союз жильцов") != lookalike_key("Cojuz")


def test_drop_format_drops_every_format_character_and_nothing_else() -> None:
    every = "".join(chr(c) for c in range(sys.maxunicode + 1)
                    if not 0xD800 <= c <= 0xDFFF)
    kept = drop_format(every)
    assert not [ch for ch in kept if unicodedata.category(ch) == "Cf"]
    dropped = set(every) - set(kept)
    assert all(unicodedata.category(ch) in ("Cf", "Cn") for ch in dropped)
