"""The pure off-limits topic matcher (`rules/topics.py`): examples, then hypothesis laws."""

from __future__ import annotations

import string

import pytest
from budget import law_settings
from hypothesis import given
from hypothesis import strategies as st

from coalition_bot.rules.topics import (
    TopicPhrase,
    _forms,
    compile_topics,
    phrase_key,
    phrase_words,
)

FAST = law_settings(600)


def hits(phrases: list[str], text: str) -> list[str]:
    """The phrases (of a list compiled together) that `text` touches, in the matcher's order."""
    matcher = compile_topics(TopicPhrase(i, p) for i, p in enumerate(phrases))
    return [phrases[i] for i in matcher.matches(text)]


def touches(phrase: str, text: str) -> bool:
    return hits([phrase], text) == [phrase]


# --- examples ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "RENT CONTROL", "Rent Control", "rEnT cOnTrOl", "ＲＥＮＴ ＣＯＮＴＲＯＬ",
    "We talked about ｒｅｎｔ control today",
])
def test_any_case_or_width_of_a_phrase_matches(text: str) -> None:
    assert touches("rent control", text)


@pytest.mark.parametrize(("phrase", "text"), [
    ("café", "CAFE"), ("cafe", "café"), ("cafe", "CAFÉ"), ("CAFÉ", "cafe"),
    ("cafe", "cafe\u0301"), ("niño", "NINO"), ("straße", "STRASSE"), ("fire", "ﬁre"),
])
def test_accents_and_compatibility_forms_are_ignored(phrase: str, text: str) -> None:
    assert touches(phrase, text)


@pytest.mark.parametrize("text", [
    "rent-control", "rent,  control", "rent—control", "rent – control", "rent\tcontrol",
    "rent\n\ncontrol", "rent/control", "rent...control", "(rent) [control]", "rent\u3000control",
    "rent\u00a0control", "#rent #control",
])
def test_words_of_a_phrase_match_across_any_run_of_spaces_and_punctuation(text: str) -> None:
    assert touches("rent control", f"They said {text} again.")


def test_punctuation_inside_the_phrase_itself_does_not_matter() -> None:
    assert touches("rent-control", "rent control")
    assert touches("rent, control", "RENT CONTROL!")


@pytest.mark.parametrize("text", [
    "union", "unions", "union's", "union’s", "unions'", "unions’", "UNIONS", "Union's",
])
def test_plural_and_possessive_forms_match(text: str) -> None:
    assert touches("union", f"The {text} position")


def test_y_plurals_and_plural_phrases_match_both_ways() -> None:
    assert touches("party", "which parties")
    assert touches("parties", "the party")
    assert touches("endorsements", "an endorsement")
    assert touches("endorsement", "no endorsements")
    assert touches("tax", "new taxes")
    assert touches("electoral endorsements", "an electoral endorsement's timing")


@pytest.mark.parametrize("text", [
    "reunion", "unionize", "disunion", "unionism", "the reunions", "nonunion's",
])
def test_a_phrase_never_matches_inside_a_longer_word(text: str) -> None:
    assert not touches("union", f"A {text} party")


def test_a_multi_word_phrase_needs_its_words_in_order_and_adjacent() -> None:
    assert not touches("rent control", "control rent")
    assert not touches("rent control", "rent and control")
    assert not touches("rent control", "rent")
    assert not touches("rent control", "parent controls")
    assert not touches("rent control", "rent controller")


@pytest.mark.parametrize(("phrase", "text"), [
    ("C++ (v2)", "Is C++ v2 ready?"),
    ("C++ (v2)", "c (V2)"),
    ("a.b*", "see a b"),
    ("[x]", "option x please"),
    ("(?i)", "I said"),
])
def test_regex_characters_in_a_phrase_are_taken_literally_as_its_words(
        phrase: str, text: str) -> None:
    assert touches(phrase, text)


@pytest.mark.parametrize(("phrase", "text"), [
    ("a.b*", "aXb"),      # `.` is not "any character"
    ("a.b*", "a bbbb"),   # `*` is not "repeat"
    ("[x]", "["),
    ("[abc]", "a"),       # not a character class
    ("C++ (v2)", "CCC v2"),
    ("(?i)", "idea"),
    (".*", "anything at all"),
])
def test_regex_characters_never_widen_a_match(phrase: str, text: str) -> None:
    assert hits([phrase], text) == []


@pytest.mark.parametrize("phrase", [
    "(", ")", "[", "(?P<x", "*", "+?", "\\", "\\1", "{2,}", "|", "^$", "(?i)(",
])
def test_phrases_that_are_broken_regular_expressions_never_raise(phrase: str) -> None:
    matcher = compile_topics([TopicPhrase(1, phrase), TopicPhrase(2, "union")])
    assert matcher.matches("a union text") == [2]
    assert matcher.matches(phrase) == ([1] if phrase_words(phrase) else [])
    assert matcher.matches(f"{phrase} union {phrase}") == ([1, 2] if phrase_words(phrase)
                                                           else [2])


@pytest.mark.parametrize("phrase", ["", "   ", "!!!", "...", "—", "(?)", "*+?", "«»"])
def test_a_phrase_with_no_letters_or_digits_is_ignored(phrase: str) -> None:
    assert phrase_words(phrase) == ()
    matcher = compile_topics([TopicPhrase(1, phrase)])
    assert matcher.size == 0
    assert matcher.matches(f"text with {phrase} in it") == []
    assert matcher.matches(phrase) == []


def test_several_topics_in_one_text_come_back_in_order_of_appearance() -> None:
    phrases = ["rent control", "union", "pipeline", "party"]
    text = "The pipeline vote, then the union's dues, the party, rent control, the pipeline."
    assert hits(phrases, text) == ["pipeline", "union", "party", "rent control"]
    assert hits(phrases, "nothing to see") == []


def test_when_phrases_start_at_the_same_word_the_longest_comes_first() -> None:
    phrases = ["rent", "rent control", "rent control board"]
    assert hits(phrases, "The rent control board meets") == [
        "rent control board", "rent control", "rent"]
    assert hits(phrases, "The rent control meets") == ["rent control", "rent"]


def test_the_longest_phrase_comes_first_even_when_the_first_word_is_a_plural() -> None:
    assert hits(["unions", "union dues"], "unions dues")[0] == "union dues"


def test_a_fullwidth_possessive_matches_like_an_ascii_one() -> None:
    assert touches("union", "UNION'S")  # passes
    assert touches("union", "ＵＮＩＯＮ＇Ｓ")


def test_an_underscore_between_words_is_punctuation() -> None:
    assert touches("rent control", "rent_control")


def test_a_phrase_of_underscores_has_no_words() -> None:
    assert phrase_words("___") == ()


def test_the_matcher_is_reusable_and_independent_of_earlier_texts() -> None:
    matcher = compile_topics([TopicPhrase(7, "rent control"), TopicPhrase(8, "unions")])
    assert matcher.size == 2
    for _ in range(3):
        assert matcher.matches("rent control") == [7]
        assert matcher.matches("the union's rent control") == [8, 7]
        assert matcher.matches("rent") == []


# --- properties --------------------------------------------------------------------------

LETTERS = string.ascii_lowercase
words = st.text(alphabet=LETTERS, min_size=1, max_size=8)
phrases = st.lists(words, min_size=1, max_size=3)
filler = st.lists(st.text(alphabet=LETTERS, min_size=1, max_size=8), max_size=4)
# Separators: whitespace and punctuation, never an apostrophe or underscore (both join
# words, see the examples above), never a letter or digit.
SEPARATORS = " \t\n-—–,.;:!?()[]{}/\\|\"*&^%$#@+=<>~`…«»¡¿\u00a0\u3000·•"
separators = st.text(alphabet=SEPARATORS, min_size=1, max_size=4)


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c in string.ascii_letters else c for c in text)


@st.composite
def variant(draw, word: str) -> str:
    """`word` with each letter in any case, any width, with or without an accent."""
    out = []
    for c in word:
        if draw(st.booleans()):
            c = c.upper()
        if draw(st.booleans()):
            c = fullwidth(c)
        if draw(st.booleans()):
            c += "\u0301"  # combining acute: é, Á, ...
        out.append(c)
    return "".join(out)


@FAST
@given(st.data(), phrases, filler, filler)
def test_any_case_width_or_accent_variant_of_a_phrase_matches(
        data: st.DataObject, phrase: list[str], before: list[str], after: list[str]) -> None:
    spelled = " ".join(data.draw(variant(w)) for w in phrase)
    text = " ".join([*before, spelled, *after])
    assert touches(" ".join(phrase), text), text


@FAST
@given(st.data(), phrases, filler, filler)
def test_any_run_of_punctuation_and_spaces_between_the_words_matches(
        data: st.DataObject, phrase: list[str], before: list[str], after: list[str]) -> None:
    glued = phrase[0] + "".join(data.draw(separators) + w for w in phrase[1:])
    text = data.draw(separators).join([*before, glued, *after])
    assert touches(" ".join(phrase), text), text


# Prefix letters never include `s` or `e`: `s` + `s` = `ss` is the plural of `s`, and
# `e` + `ees` = `eees`, whose plural base `ee` is also the base of `ees`. With any other
# letter in front, the longer word is never a plural form of the phrase's word.
PREFIX = st.text(alphabet=[c for c in LETTERS if c not in "es"], min_size=1, max_size=4)


numbers = st.lists(st.integers(min_value=0, max_value=999).map(str), max_size=4)


@FAST
@given(phrases, PREFIX, numbers, numbers)
def test_a_phrase_glued_inside_a_longer_word_does_not_match(
        phrase: list[str], prefix: str, before: list[str], after: list[str]) -> None:
    text = " ".join([*before, prefix + " ".join(phrase), *after])
    assert not touches(" ".join(phrase), text), text


@FAST
@given(words.filter(lambda w: not w.endswith("s")), st.text(alphabet=LETTERS, min_size=1,
                                                            max_size=4).filter(
    lambda s: not s.endswith("s")))
def test_a_word_with_letters_added_after_it_does_not_match(word: str, suffix: str) -> None:
    assert not touches(word, f"0 {word}{suffix} 9")  # digits: never the word itself


@law_settings(800)
@given(st.lists(st.text(max_size=20), max_size=5), st.text())
def test_matching_never_raises_for_any_text_or_phrase(phrase_list: list[str], text: str) -> None:
    matcher = compile_topics(TopicPhrase(i, p) for i, p in enumerate(phrase_list))
    found = matcher.matches(text)
    assert len(found) == len(set(found))
    assert set(found) <= set(range(len(phrase_list)))
    assert all(phrase_words(phrase_list[i]) for i in found)


# --- invisible characters and look-alike letters ---------------------------------------


@pytest.mark.parametrize("invisible", ["\u200b", "\u00ad", "\u2060", "\u200d", "\u200c",
                                       "\ufeff"],
                         ids=["zero-width space", "soft hyphen", "word joiner",
                              "zero-width joiner", "zero-width non-joiner", "BOM"])
def test_an_invisible_character_inside_a_word_does_not_hide_it(invisible: str) -> None:
    assert touches("union", f"join the un{invisible}ion now")
    assert touches("rent control", f"r{invisible}ent con{invisible}trol")
    assert touches(f"un{invisible}ion", "union")


@pytest.mark.parametrize("text", [
    "join the uniоn",  # Cyrillic о
    "join the UNІON",  # Cyrillic І
    "join the υnion",  # Greek υ
    "join the unіоns",  # a plural, two look-alikes
])
def test_cyrillic_and_greek_look_alikes_inside_a_latin_word_do_not_hide_it(text: str) -> None:
    assert touches("union", text)


def test_russian_and_greek_words_are_not_read_as_latin() -> None:
    assert not touches("union", "Союз")
    assert touches("союз", "Наш СОЮЗ")


# --- phrase_key: one key for what the matcher takes as one --------------------------------


@pytest.mark.parametrize(("one", "other"), [
    ("bus", "buses"), ("tie", "ties"), ("union", "unions"), ("party", "parties"),
    ("kiss", "kisses"), ("horse", "horses"), ("box", "boxes"), ("city", "cities"),
    ("Rent Control", "rent controls"), ("union dues", "Union's dues"), ("taxi", "taxis"),
    ("don’t", "don't"),
])
def test_phrase_key_is_one_for_a_word_and_its_plural(one: str, other: str) -> None:
    assert touches(one, other)
    assert touches(other, one)
    assert phrase_key(one) == phrase_key(other)


@pytest.mark.parametrize(("one", "other"), [
    ("union", "reunion"), ("rent", "rent control"), ("bus", "but"), ("tie", "tin"),
    ("don't", "dont"),
])
def test_phrase_key_differs_for_different_topics(one: str, other: str) -> None:
    assert phrase_key(one) != phrase_key(other)


def test_phrase_key_examples() -> None:
    assert phrase_key("Buses") == "bu"
    assert phrase_key("Rent  CONTROL!") == "rent control"
    assert phrase_key("parties") == "party"
    assert phrase_key("s") == "s"
    assert phrase_key("...") == ""


@FAST
@given(st.text(alphabet="abceisy", min_size=1, max_size=6),
       st.sampled_from(["", "s", "es", "ies", "ses", "e"]))
def test_every_form_of_a_word_shares_its_phrase_key(base: str, ending: str) -> None:
    # if each form keys like its word, two words with a form in common key alike
    word = base + ending
    for form in _forms(word):
        assert phrase_key(form) == phrase_key(word), (form, word)


# --- gaps found by mutation testing (rules/MUTANTS.md) -----------------------------------


@pytest.mark.parametrize(("phrase", "text"), [
    ("don't", "I don’t know"), ("don’t", "I don't know"), ("don’t", "I DON’T know"),
    ("union's dues", "the union’s dues"), ("unions", "the union’s"),
    ("don't", "the don’ts"), ("rock ’n’ roll", "rock 'n' roll"),
])
def test_curly_and_straight_apostrophes_inside_words_are_one(phrase: str, text: str) -> None:
    assert touches(phrase, text)
    assert phrase_key(phrase.replace("’", "'")) == phrase_key(phrase.replace("'", "’"))


def test_an_apostrophe_does_not_join_a_word_to_another() -> None:
    assert not touches("don", "I don’t know")
    assert not touches("t", "I don't know")


def test_the_longest_phrase_matches_first_when_the_text_word_is_a_plural() -> None:
    phrases = ["union", "union dues"]
    assert hits(phrases, "unions dues are due") == ["union dues", "union"]
    assert hits(phrases, "union’s dues are due") == ["union dues", "union"]
    assert hits(["union dues", "union"], "the union dues") == ["union dues", "union"]
    assert hits(phrases, "unions only") == ["union"]


@pytest.mark.parametrize(("word", "forms"), [
    ("union", ("union",)), ("unions", ("unions", "union")),
    ("parties", ("parties", "party", "parti", "partie")), ("buses", ("buses", "bus", "buse")),
    ("ies", ("ies", "i", "ie")), ("es", ("es", "e")), ("s", ("s",)),
    ("ties", ("ties", "ti", "tie")), ("skies", ("skies", "sky", "ski", "skie")),
    ("don’t", ("don't",)),
])
def test_the_forms_a_word_may_stand_for(word: str, forms: tuple[str, ...]) -> None:
    assert _forms(word) == forms


def test_a_y_plural_needs_a_stem_of_two_letters() -> None:
    assert touches("sky", "skies")
    assert touches("spy", "spies")
    assert touches("tie", "ties")
    assert not touches("ty", "ties")
    assert not touches("ly", "lies")
