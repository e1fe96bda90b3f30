"""The text grammar shared by Slack and the console: tokenize, parse, bind, convert."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from coalition_bot.commands.grammar import (
    Parsed,
    Token,
    bind,
    convert,
    parse,
    resolve,
    resolve_timezone,
    suggest,
    tokenize,
)
from coalition_bot.commands.registry import COMMANDS
from coalition_bot.commands.spec import Command, Option, OptionType, Subcommand
from coalition_bot.errors import CoalitionError, UsageError
from coalition_bot.model import Level
from coalition_bot.replies import Reply

EVERY_COALITION_SUBCOMMAND = ", ".join(s.words for s in COMMANDS["coalition"].subcommands)


async def _noop(ctx: Any, args: dict[str, Any]) -> Reply:  # never called by the grammar
    return Reply()


def _parse(line: str) -> Parsed:
    return parse(line, COMMANDS)


def _usage_error(line: str) -> UsageError:
    with pytest.raises(UsageError) as info:
        _parse(line)
    return info.value


def _parse_and_bind(line: str, commands: dict[str, Command] = COMMANDS) -> dict[str, Any]:
    parsed = parse(line, commands)
    assert parsed.command is not None
    assert parsed.sub is not None
    assert not parsed.help
    return bind(parsed.command, parsed.sub, parsed.values)


# A small spec of our own: a subcommand whose path is a prefix of another, and one option
# of every type `convert` handles.
DEMO = Command(
    name="demo",
    help="A command for tests.",
    subcommands=(
        Subcommand(("org",), "Show an organization.", Level.MEMBER, _noop,
                   (Option("org", OptionType.ORG, "an organization"),)),
        Subcommand(("org", "add"), "Add an organization.", Level.COORDINATOR, _noop,
                   (Option("name", OptionType.TEXT, "the name", max_length=10),)),
        Subcommand(("all",), "One option of each type.", Level.MEMBER, _noop, (
            Option("count", OptionType.INTEGER, "how many", min_value=1, max_value=10),
            Option("item", OptionType.NUMBER, "the item", required=False, kind="goal"),
            Option("status", OptionType.CHOICE, "the status", required=False,
                   choices=("open", "in-progress", "done")),
            Option("public", OptionType.BOOL, "shown to all", required=False),
            Option("length", OptionType.DURATION, "how long", required=False),
            Option("zone", OptionType.TIMEZONE, "the zone", required=False),
            Option("when", OptionType.TIME, "when", required=False),
            Option("note", OptionType.TEXT, "a note", required=False, rest=True),
        )),
        Subcommand(("say",), "Keyword-only options after free text.", Level.MEMBER, _noop, (
            Option("text", OptionType.TEXT, "what to say", rest=True),
            Option("loud", OptionType.BOOL, "shout", required=False, keyword_only=True),
            Option("quorum", OptionType.PERCENT, "share", required=False, keyword_only=True),
        )),
    ),
)
DEMO_COMMANDS = {"demo": DEMO}


# --- tokenize ---------------------------------------------------------------------------


def test_plain_words_split_on_any_whitespace() -> None:
    assert tokenize("a  b\tc\n d") == [Token("a"), Token("b"), Token("c"), Token("d")]


def test_empty_and_blank_lines_have_no_tokens() -> None:
    assert tokenize("") == []
    assert tokenize("   \t ") == []


def test_double_quotes_group_words_into_one_quoted_token() -> None:
    assert tokenize('add "Tenants United" now') == [
        Token("add"), Token("Tenants United", quoted=True), Token("now"),
    ]


def test_curly_quotes_group_words_like_straight_quotes() -> None:
    assert tokenize("add “Tenants United”") == [
        Token("add"), Token("Tenants United", quoted=True),
    ]


def test_low_german_opening_quote_is_closed_by_a_curly_quote() -> None:
    assert tokenize("„Mieter Verein“") == [Token("Mieter Verein", quoted=True)]


def test_escaped_quote_inside_quotes_is_a_literal_quote() -> None:
    assert tokenize(r'"say \"no\" loudly"') == [Token('say "no" loudly', quoted=True)]


def test_escaped_backslash_inside_quotes_is_one_backslash() -> None:
    assert tokenize(r'"a\\b"') == [Token("a\\b", quoted=True)]


def test_other_backslashes_inside_quotes_stay_literal() -> None:
    assert tokenize(r'"a\nb"') == [Token(r"a\nb", quoted=True)]


def test_apostrophe_is_literal_and_does_not_quote() -> None:
    assert tokenize("the landlord's rent") == [
        Token("the"), Token("landlord's"), Token("rent"),
    ]


def test_apostrophe_inside_curly_quotes_is_kept() -> None:
    assert tokenize("“it's ours”") == [Token("it's ours", quoted=True)]


def test_empty_quotes_make_an_empty_quoted_token() -> None:
    assert tokenize('a ""') == [Token("a"), Token("", quoted=True)]


def test_quotes_in_the_middle_of_a_word_join_the_parts() -> None:
    assert tokenize('x"a b"y') == [Token("xa by", quoted=True)]


def test_unclosed_quote_is_a_usage_error_that_says_so() -> None:
    with pytest.raises(UsageError) as info:
        tokenize('add "Tenants United')
    assert "never closed" in info.value.message
    assert "double quotes" in info.value.hint


def test_unclosed_curly_quote_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="never closed"):
        tokenize("add “Tenants United")


def test_backslash_outside_quotes_does_not_escape_a_quote() -> None:
    with pytest.raises(UsageError, match="never closed"):
        tokenize(r"a\"b")


def test_curly_quotes_inside_straight_quotes_are_part_of_the_value() -> None:
    # Was a bug: any curly quote closed a straight-quoted value.
    assert tokenize('note:"passed the “Fair Rent” act"') == [
        Token("passed the “Fair Rent” act", quoted=True, key="note"),
    ]
    assert tokenize('"He said ”no” today"') == [Token("He said ”no” today", quoted=True)]


def test_straight_quote_inside_curly_quotes_still_closes_them() -> None:
    assert tokenize("“a\" b") == [Token("a", quoted=True), Token("b")]


# --- name:value tokens -----------------------------------------------------------------


def test_name_colon_value_is_a_keyed_token() -> None:
    assert tokenize("observer:yes") == [Token("yes", key="observer")]


def test_name_colon_quoted_value_keeps_the_spaces() -> None:
    assert tokenize('name:"with spaces" next') == [
        Token("with spaces", quoted=True, key="name"), Token("next"),
    ]


def test_name_colon_curly_quoted_value_keeps_the_spaces() -> None:
    assert tokenize("name:“with spaces”") == [Token("with spaces", quoted=True, key="name")]


def test_name_colon_escaped_quote_value() -> None:
    assert tokenize(r'note:"a \"b\""') == [Token('a "b"', quoted=True, key="note")]


def test_key_names_may_hold_digits_dashes_and_underscores() -> None:
    assert tokenize("k-1_x:v") == [Token("v", key="k-1_x")]


def test_only_the_first_colon_separates_the_key() -> None:
    assert tokenize("at:18:00") == [Token("18:00", key="at")]


def test_empty_value_after_colon_gives_an_empty_keyed_token() -> None:
    assert tokenize("note:") == [Token("", key="note")]


def test_url_is_a_value_not_a_key() -> None:
    assert tokenize("https://x.org") == [Token("https://x.org")]
    assert tokenize("http://x.org/a?b=c") == [Token("http://x.org/a?b=c")]


def test_url_may_be_the_value_of_a_key() -> None:
    assert tokenize("link:https://x.org") == [Token("https://x.org", key="link")]


def test_colon_inside_quotes_makes_no_key() -> None:
    assert tokenize('"a:b"') == [Token("a:b", quoted=True)]
    assert tokenize('a"b:c d"') == [Token("ab:c d", quoted=True)]


def test_capitalised_or_digit_first_words_are_not_keys() -> None:
    assert tokenize("Note:x") == [Token("Note:x")]
    assert tokenize("1a:b") == [Token("1a:b")]


# --- parse: commands and subcommands ---------------------------------------------------


def test_parse_matches_command_and_subcommand() -> None:
    parsed = _parse('coalition setup "Eastside Tenants" America/New_York')
    assert parsed.command is COMMANDS["coalition"]
    assert parsed.sub is not None
    assert parsed.sub.path == ("setup",)
    assert parsed.values == {"name": "Eastside Tenants", "timezone": "America/New_York"}
    assert parsed.help is False


def test_leading_slash_is_optional() -> None:
    with_slash = _parse("/coalition info")
    without = _parse("coalition info")
    assert with_slash.sub is not None
    assert with_slash.sub.path == ("info",)
    assert with_slash == without


def test_command_and_subcommand_words_are_case_insensitive() -> None:
    parsed = _parse('/Coalition ORG Add "Tenants United"')
    assert parsed.sub is not None
    assert parsed.sub.path == ("org", "add")
    assert parsed.values == {"name": "Tenants United"}


def test_values_keep_their_case() -> None:
    assert _parse("coalition join TENANTS").values == {"org": "TENANTS"}


def test_two_word_subcommand_is_matched_before_its_values() -> None:
    parsed = _parse("coalition rep add Bob #1")
    assert parsed.sub is not None
    assert parsed.sub.path == ("rep", "add")
    assert parsed.values == {"user": "Bob", "org": "#1"}


def test_longest_subcommand_path_wins() -> None:
    parsed = parse("demo org add Acme", DEMO_COMMANDS)
    assert parsed.sub is not None
    assert parsed.sub.path == ("org", "add")
    assert parsed.values == {"name": "Acme"}


def test_shorter_subcommand_path_matches_when_the_longer_does_not() -> None:
    parsed = parse("demo org Acme", DEMO_COMMANDS)
    assert parsed.sub is not None
    assert parsed.sub.path == ("org",)
    assert parsed.values == {"org": "Acme"}


def test_quoted_word_is_a_value_even_if_it_spells_a_subcommand() -> None:
    parsed = parse('demo org "add"', DEMO_COMMANDS)
    assert parsed.sub is not None
    assert parsed.sub.path == ("org",)
    assert parsed.values == {"org": "add"}


def test_name_value_by_name_and_the_rest_by_position() -> None:
    parsed = _parse("coalition org add observer:yes Acme")
    assert parsed.values == {"observer": "yes", "name": "Acme"}


def test_optional_value_may_be_given_by_position() -> None:
    assert _parse("coalition org add Acme no").values == {"name": "Acme", "observer": "no"}


def test_url_value_is_positional_not_an_unknown_option() -> None:
    assert _parse("coalition setup https://x.org").values == {"name": "https://x.org"}


# --- parse: help -----------------------------------------------------------------------


@pytest.mark.parametrize("line", ["", "help", "--help", "/help", "HELP"])
def test_general_help(line: str) -> None:
    assert _parse(line) == Parsed(None, None, {}, help=True)


@pytest.mark.parametrize("line", [
    "coalition", "/coalition", "coalition help", "coalition --help", "coalition -h",
    "help coalition", "--help coalition",
])
def test_help_for_one_command(line: str) -> None:
    assert _parse(line) == Parsed(COMMANDS["coalition"], None, {}, help=True)


@pytest.mark.parametrize("line", [
    "coalition org add --help", "coalition org add help", "help coalition org add",
    "coalition help org add", "coalition org add -h Acme",
])
def test_help_for_one_subcommand(line: str) -> None:
    parsed = _parse(line)
    assert parsed.command is COMMANDS["coalition"]
    assert parsed.sub is not None
    assert parsed.sub.path == ("org", "add")
    assert parsed.help is True
    assert parsed.values == {}


def test_help_with_an_unknown_subcommand_falls_back_to_command_help() -> None:
    assert _parse("coalition nonsense --help") == Parsed(
        COMMANDS["coalition"], None, {}, help=True)


def test_quoted_help_is_a_value_not_a_help_request() -> None:
    parsed = _parse('coalition goal update #1 done note:"help"')
    assert parsed.help is False
    assert parsed.values == {"note": "help", "goal": "#1", "status": "done"}


def test_help_for_an_unknown_command_is_a_usage_error() -> None:
    error = _usage_error("help coalitoin")
    assert "There is no command `/coalitoin`." in error.message


@pytest.mark.parametrize("line", ["help help", "help --help", "help -h"])
def test_help_twice_still_asks_for_general_help(line: str) -> None:
    # Was a bug: the second help word was looked up as the command `/help`.
    assert _parse(line) == Parsed(None, None, {}, help=True)


# --- parse: errors ---------------------------------------------------------------------


def test_unknown_command_suggests_the_closest_one() -> None:
    error = _usage_error("coalitoin info")
    assert error.message == "There is no command `/coalitoin`. Did you mean `/coalition`?"
    assert "/coalition" in error.hint
    assert error.hint.startswith("Commands: ")


def test_subcommand_typed_as_command_suggests_the_owning_command() -> None:
    error = _usage_error("org add Acme")
    assert error.message == "There is no command `/org`. Did you mean `/coalition org`?"


def test_unknown_command_with_nothing_close_has_no_suggestion() -> None:
    error = _usage_error("zzzzqqq")
    assert error.message == "There is no command `/zzzzqqq`."
    assert "Did you mean" not in str(error)


def test_unknown_subcommand_suggests_the_closest_one() -> None:
    error = _usage_error("coalition orgg add Acme")
    assert error.message == ("`/coalition` has no subcommand `orgg add`. "
                             "Did you mean `org add`?")
    assert f"Subcommands: {EVERY_COALITION_SUBCOMMAND}. Try `/coalition help`." in error.hint


def test_incomplete_two_word_subcommand_is_refused() -> None:
    error = _usage_error("coalition org")
    assert error.message.startswith("`/coalition` has no subcommand `org`.")
    assert "org add, org remove, org list" in error.hint


def test_incomplete_two_word_subcommand_suggests_those_that_start_with_it() -> None:
    # Was a bug: `org` was matched by spelling and suggested `log`.
    error = _usage_error("coalition org")
    assert error.message == ("`/coalition` has no subcommand `org`. "
                             "Did you mean `org add`, `org remove` or `org list`?")


@pytest.mark.parametrize(("line", "meant"), [
    ("coalition in", "`info`"), ("coalition inf", "`info`"), ("coalition work", "`workspaces`"),
    ("coalition coord", "`coordinator add` or `coordinator remove`"),
    ("poll st", "`status`"), ("meeting sched", "`schedule`"),
])
def test_the_start_of_a_subcommand_suggests_the_subcommands_it_starts(
        line: str, meant: str) -> None:
    # Was a bug: `/coalition in` suggested `link` (closest by spelling), not `info`.
    assert _usage_error(line).message.endswith(f"Did you mean {meant}?")


def test_quoted_unknown_subcommand_error_names_what_was_typed() -> None:
    # Was a bug: the message named an empty subcommand (``).
    error = _usage_error('coalition "infoo"')
    assert error.message.startswith("`/coalition` has no subcommand `infoo`.")
    error = _usage_error("coalition name:x")
    assert "has no subcommand ``" not in error.message


@pytest.mark.parametrize("line", ["coalition name:info", "poll closes:list",
                                  'coalition "info"'])
def test_keyed_or_quoted_word_is_never_a_subcommand(line: str) -> None:
    error = _usage_error(line)
    assert "has no subcommand" in error.message


def test_quoted_two_word_subcommand_is_not_suggested_back_unchanged() -> None:
    error = _usage_error('coalition "org add" Acme')
    assert "Did you mean `org add`?" not in error.message


def test_too_many_values_says_which_are_left_over() -> None:
    error = _usage_error("coalition join Acme Extra words")
    assert error.message == ("Too many values for `/coalition join`: "
                             "`Extra words` is left over.")
    assert "Usage: /coalition join ORG" in error.hint
    assert "double quotes" in error.hint


def test_values_for_a_subcommand_without_options_are_too_many() -> None:
    error = _usage_error("coalition info now")
    assert "`now` is left over" in error.message


def test_unknown_option_name_suggests_the_closest_one() -> None:
    error = _usage_error("coalition org add Acme obsrver:yes")
    assert error.message == ("`/coalition org add NAME` has no option `obsrver`. "
                             "Did you mean `observer`? It takes `name:`, `observer:`.")
    assert error.hint == "Usage: /coalition org add NAME [observer:yes|no]"


def test_an_unknown_option_in_free_text_is_refused_listing_the_options() -> None:
    error = _usage_error('poll create "Lunch?" options:"yes,no"')
    assert str(error.message).startswith("`/poll create QUESTION` has no option `options`.")
    assert "It takes `question:`, `choices:`, `electorate:`" in str(error.message)
    assert "To write `options:` as text, put it in double quotes." in str(error.hint)
    for line in ["coalition goal add Deadline: March foo:bar",
                 "poll vote 1 agree because colour:red", "coalition goal add see:it"]:
        assert "has no option" in str(_usage_error(line).message), line
    assert "It takes no options." in str(_usage_error("coalition info now:yes").message)


def test_colons_that_are_not_options_stay_free_text() -> None:
    for text in ["Budget: approve the plan", '"options:yes"', "see https://x.org/a:b",
                 "write to mailto:info@x.org", "call tel:+15550100", "meet at 6:30pm",
                 "Q3:agenda", ":tada: we won"]:
        want = text.strip('"')
        assert _parse_and_bind(f"coalition goal add {text}")["text"] == want, text


def test_option_given_twice_is_refused() -> None:
    error = _usage_error("coalition org add Acme observer:yes observer:no")
    assert error.message == "`observer` is given twice."
    assert error.hint == "Usage: /coalition org add NAME [observer:yes|no]"


def test_missing_required_option_says_which_and_what_it_is() -> None:
    parsed = _parse("coalition rep add")
    assert parsed.values == {}
    assert parsed.command is not None
    assert parsed.sub is not None
    with pytest.raises(UsageError) as info:
        bind(parsed.command, parsed.sub, parsed.values)
    assert info.value.message.startswith("`/coalition rep add` needs USER: the person")
    assert info.value.hint == "Usage: /coalition rep add USER ORG"


def test_second_missing_required_option_is_named() -> None:
    parsed = _parse("coalition rep add Bob")
    assert parsed.command is not None
    assert parsed.sub is not None
    with pytest.raises(UsageError) as info:
        bind(parsed.command, parsed.sub, parsed.values)
    assert info.value.message == ("`/coalition rep add` needs ORG: "
                                  "an organization's name or #number")


def test_empty_quoted_value_counts_as_missing() -> None:
    parsed = _parse('coalition setup ""')
    assert parsed.command is not None
    assert parsed.sub is not None
    with pytest.raises(UsageError, match="needs NAME: the coalition's name"):
        bind(parsed.command, parsed.sub, parsed.values)


# --- rest options ----------------------------------------------------------------------


def test_rest_option_takes_all_remaining_words() -> None:
    args = _parse_and_bind("coalition goal add Pass the rent stabilization ordinance")
    assert args == {"text": "Pass the rent stabilization ordinance"}


def test_rest_option_keeps_colon_words_that_are_not_options_as_text() -> None:
    args = _parse_and_bind("coalition goal add Deadline: March, see https://x.org foo:")
    assert args == {"text": "Deadline: March, see https://x.org foo:"}


def test_rest_option_keeps_quotes_written_inside_free_text() -> None:
    assert _parse_and_bind('coalition goal add Pass "the" ordinance') == {
        "text": 'Pass "the" ordinance'}
    args = _parse_and_bind('poll create Sign on to the "Homes for All" letter? rule:majority')
    assert args["question"] == 'Sign on to the "Homes for All" letter?'
    assert _parse_and_bind("coalition goal add Back the “Fair Rent” bill")["text"] == \
        "Back the “Fair Rent” bill"


def test_free_text_wholly_in_quotes_loses_its_quotes() -> None:
    assert _parse_and_bind('poll create "Should we march?"')["question"] == "Should we march?"
    assert _parse_and_bind('poll create question:"Should we march?"')["question"] == \
        "Should we march?"
    assert _parse_and_bind('poll vote 1 agree "He said \\"no\\""')["reason"] == 'He said "no"'


def test_a_misspelled_option_inside_free_text_is_refused_with_the_option_meant() -> None:
    error = _usage_error('poll vote #1 agree orgg:"Dock Workers"')
    assert error.message == ("`/poll vote #N CHOICE` has no option `orgg`. "
                             "Did you mean `org:`? It takes `poll:`, `choice:`, `reason:`, "
                             "`org:`, `confirm:`.")
    for line, meant in [("poll vote 1 agree because reson:hi", "reason"),
                        ("poll create Should we? anonymus:yes", "anonymous"),
                        ("poll create Should we? quorom:60%", "quorum"),
                        ("poll create Should we? anon:yes", "anonymous"),
                        ("poll create Should we? rlue:consensus", "rule"),
                        ("coalition goal update 1 done Great news satus:x", "status")]:
        assert f"Did you mean `{meant}:`?" in _usage_error(line).message, line


def test_a_colon_in_ordinary_prose_stays_free_text() -> None:
    for text in ["Note: the hearing moved", "Deadline: March, see https://x.org",
                 "Should we add a role: treasurer?", "or: maybe not", "Q3: agenda",
                 "ratio 2:1 it is"]:
        assert _parse_and_bind(f"coalition goal add {text}")["text"] == text
        assert _parse_and_bind(f"poll create {text}")["question"] == text


def test_rest_option_after_required_positional_options() -> None:
    args = _parse_and_bind("coalition goal update #1 in-progress Hearing set for March 3")
    assert args == {"goal": 1, "status": "in-progress", "note": "Hearing set for March 3"}


def test_optional_rest_option_may_be_left_out() -> None:
    args = _parse_and_bind("coalition goal update 2 DONE")
    assert args == {"goal": 2, "status": "done", "note": None}


def test_rest_option_given_by_name_takes_no_more_words() -> None:
    error = _usage_error("coalition goal add text:Pass more")
    assert "`more` is left over" in error.message


def test_keyword_only_options_are_not_filled_by_position() -> None:
    assert _parse_and_bind("demo say hello yes 50%", DEMO_COMMANDS) == {
        "text": "hello yes 50%", "loud": None, "quorum": None}


def test_keyword_only_options_are_given_by_name_anywhere() -> None:
    assert _parse_and_bind("demo say loud:yes hello there quorum:50%", DEMO_COMMANDS) == {
        "text": "hello there", "loud": True, "quorum": 50}


def test_real_poll_create_takes_free_text_and_keyword_only_options() -> None:
    args = _parse_and_bind('poll create Should we march? choices:"yes|no" rule:majority')
    assert args["question"] == "Should we march?"
    assert args["choices"] == "yes|no"
    assert args["rule"] == "majority"
    assert args["quorum"] is None


# --- bind ------------------------------------------------------------------------------


def test_bind_converts_every_type() -> None:
    args = _parse_and_bind(
        "demo all 3 #2 DONE yes 1h30m europe/berlin tomorrow Bring signs", DEMO_COMMANDS)
    assert args == {
        "count": 3, "item": 2, "status": "done", "public": True,
        "length": timedelta(hours=1, minutes=30), "zone": "Europe/Berlin",
        "when": "tomorrow", "note": "Bring signs",
    }


def test_bind_sets_missing_optional_options_to_none() -> None:
    args = _parse_and_bind("demo all 7", DEMO_COMMANDS)
    assert args == {"count": 7, "item": None, "status": None, "public": None,
                    "length": None, "zone": None, "when": None, "note": None}


def test_bind_strips_values_before_converting() -> None:
    sub = DEMO.find(("all",))
    assert sub is not None
    assert bind(DEMO, sub, {"count": "  4 ", "note": "  hi  "})["note"] == "hi"


def test_bind_refuses_a_value_for_an_unknown_option() -> None:
    sub = DEMO.find(("all",))
    assert sub is not None
    with pytest.raises(UsageError) as info:
        bind(DEMO, sub, {"count": "1", "stauts": "done"})
    assert info.value.message == "`/demo all` has no option `stauts`. Did you mean `status`?"


def test_bind_error_hint_is_the_usage() -> None:
    sub = DEMO.find(("all",))
    assert sub is not None
    with pytest.raises(UsageError) as info:
        bind(DEMO, sub, {"count": "many"})
    assert info.value.hint.startswith("Usage: /demo all COUNT [item:#N]")


# --- convert: each option type ---------------------------------------------------------

TEXT = Option("name", OptionType.TEXT, "the name", max_length=5)
COUNT = Option("count", OptionType.INTEGER, "how many", min_value=1, max_value=10)
GOAL = Option("goal", OptionType.NUMBER, "the goal", kind="goal")
STATUS = Option("status", OptionType.CHOICE, "the status",
                choices=("open", "in-progress", "blocked", "done", "dropped"))
FLAG = Option("observer", OptionType.BOOL, "observer", required=False)
LENGTH = Option("length", OptionType.DURATION, "how long")
ZONE = Option("timezone", OptionType.TIMEZONE, "the zone", required=False)


def _convert_error(option: Option, raw: str) -> UsageError:
    with pytest.raises(UsageError) as info:
        convert(option, raw, "Usage: here")
    return info.value


def test_text_up_to_max_length_is_kept() -> None:
    assert convert(TEXT, "abcde") == "abcde"


def test_text_longer_than_max_length_is_refused_with_both_lengths() -> None:
    error = _convert_error(TEXT, "abcdef")
    assert error.message == "NAME is 6 characters long; at most 5 fit."


@pytest.mark.parametrize("kind", [OptionType.TIME, OptionType.USER, OptionType.ORG])
def test_time_user_and_org_stay_text_but_are_length_checked(kind: OptionType) -> None:
    option = Option("x", kind, "x", max_length=3)
    assert convert(option, "abc") == "abc"
    assert "4 characters long; at most 3" in _convert_error(option, "abcd").message


@pytest.mark.parametrize(("raw", "value"), [("1", 1), ("10", 10), ("7", 7), ("+5", 5)])
def test_integer_within_bounds(raw: str, value: int) -> None:
    assert convert(COUNT, raw) == value


@pytest.mark.parametrize("raw", ["0", "11", "-3"])
def test_integer_outside_bounds_is_refused(raw: str) -> None:
    error = _convert_error(COUNT, raw)
    assert error.message == f"COUNT must be between 1 and 10, not {int(raw)}."
    assert error.hint == "Usage: here"


@pytest.mark.parametrize("raw", ["x", "1.5", "#3", "ten"])
def test_non_integer_is_refused(raw: str) -> None:
    assert _convert_error(COUNT, raw).message == f"COUNT must be a whole number, not `{raw}`."


def test_integer_without_bounds_accepts_any_whole_number() -> None:
    option = Option("n", OptionType.INTEGER, "n")
    assert convert(option, "-1000000") == -1_000_000


def test_integer_with_only_a_lower_bound_says_at_least() -> None:
    # Was a bug: the message said "between 1 and None".
    option = Option("count", OptionType.INTEGER, "how many", required=False, min_value=1)
    assert _convert_error(option, "0").message == "count must be at least 1, not 0."


def test_integer_with_only_an_upper_bound_says_at_most() -> None:
    option = Option("count", OptionType.INTEGER, "how many", max_value=5)
    assert _convert_error(option, "9").message == "COUNT must be at most 5, not 9."


@pytest.mark.parametrize(("raw", "value"), [("#3", 3), ("3", 3), ("#007", 7),
                                            ("#999999999", 999_999_999)])
def test_number_with_or_without_hash(raw: str, value: int) -> None:
    assert convert(GOAL, raw) == value


@pytest.mark.parametrize("raw", ["#0", "0", "abc", "#-1", "# 3", "##3", "#1234567890", "3#"])
def test_bad_number_is_refused_naming_the_kind(raw: str) -> None:
    error = _convert_error(GOAL, raw)
    assert error.message == f"#N must be a goal number like #2, not `{raw}`."


def test_number_without_kind_says_a_number() -> None:
    option = Option("n", OptionType.NUMBER, "n", required=False)
    assert _convert_error(option, "x").message == "n must be a number like #2, not `x`."


QUORUM = Option("quorum", OptionType.PERCENT, "share", required=False)


@pytest.mark.parametrize(("raw", "value"), [("50%", 50), ("50", 50), ("0", 0), ("100%", 100),
                                            ("50 %", 50)])
def test_percent_with_or_without_sign(raw: str, value: int) -> None:
    assert convert(QUORUM, raw) == value


@pytest.mark.parametrize("raw", ["101", "-1", "x", "%", "50%%", "1.5"])
def test_bad_percent_is_refused(raw: str) -> None:
    assert _convert_error(QUORUM, raw).message == (
        f"quorum must be a percentage from 0 to 100, like 50%, not `{raw}`.")


@pytest.mark.parametrize("raw", ["²", "5²%", "١٢"])
def test_superscript_percent_is_a_usage_error(raw: str) -> None:
    # Was a bug: str.isdigit() let `²` through to int(), which raised ValueError.
    with pytest.raises(UsageError, match="percentage"):
        convert(QUORUM, raw)


@pytest.mark.parametrize(("raw", "value"), [("done", "done"), ("DONE", "done"),
                                            ("In-Progress", "in-progress")])
def test_choice_is_case_insensitive(raw: str, value: str) -> None:
    assert convert(STATUS, raw) == value


def test_bad_choice_lists_the_choices_and_suggests_one() -> None:
    error = _convert_error(STATUS, "progress")
    assert error.message == ("STATUS must be one of open, in-progress, blocked, done, "
                             "dropped, not `progress`. Did you mean `in-progress`?")


def test_bad_choice_with_nothing_close_has_no_suggestion() -> None:
    error = _convert_error(STATUS, "xyz")
    assert error.message.endswith("not `xyz`.")


@pytest.mark.parametrize("raw", ["yes", "Y", "TRUE", "on", "Yes"])
def test_bool_yes_words(raw: str) -> None:
    assert convert(FLAG, raw) is True


@pytest.mark.parametrize("raw", ["no", "N", "False", "OFF"])
def test_bool_no_words(raw: str) -> None:
    assert convert(FLAG, raw) is False


@pytest.mark.parametrize("raw", ["maybe", "1", "0", "yess"])
def test_bool_other_words_are_refused(raw: str) -> None:
    assert _convert_error(FLAG, raw).message == f"observer must be yes or no, not `{raw}`."


@pytest.mark.parametrize(("raw", "value"), [
    ("90m", timedelta(minutes=90)), ("1h30m", timedelta(hours=1, minutes=30)),
    ("2h", timedelta(hours=2)), ("1d", timedelta(days=1)), ("1w", timedelta(weeks=1)),
])
def test_duration(raw: str, value: timedelta) -> None:
    assert convert(LENGTH, raw) == value


def test_bad_duration_is_refused() -> None:
    error = _convert_error(LENGTH, "soon")
    assert error.message == "`soon` is not a duration."
    assert "90m" in error.hint


@pytest.mark.parametrize(("raw", "zone"), [
    ("America/New_York", "America/New_York"), ("america/new_york", "America/New_York"),
    ("America/New York", "America/New_York"), ("EUROPE/BERLIN", "Europe/Berlin"),
    ("utc", "UTC"),
])
def test_timezone_is_case_insensitive_and_canonical(raw: str, zone: str) -> None:
    assert convert(ZONE, raw) == zone


def test_misspelt_timezone_suggests_the_real_one() -> None:
    error = _convert_error(ZONE, "Europe/Berln")
    assert error.message == ("timezone must be a time zone name like America/New_York or "
                             "Europe/Berlin, not `Europe/Berln`. Did you mean `Europe/Berlin`?")


def test_unknown_timezone_with_nothing_close_has_no_suggestion() -> None:
    error = _convert_error(ZONE, "Mars/Olympus_Mons")
    assert "not `Mars/Olympus_Mons`." in error.message
    assert "Did you mean" not in error.message


def test_resolve_timezone_uses_the_given_label() -> None:
    assert resolve_timezone("asia/kolkata") == "Asia/Kolkata"
    with pytest.raises(UsageError, match=r"^TIMEZONE must be a time zone name"):
        resolve_timezone("nowhere")


def test_required_option_labels_use_the_usage_word() -> None:
    required_zone = Option("timezone", OptionType.TIMEZONE, "the zone")
    assert _convert_error(required_zone, "nowhere").message.startswith("TIMEZONE must be")
    assert _convert_error(GOAL, "x").message.startswith("#N must be")


# --- suggest and resolve ---------------------------------------------------------------


def test_suggest_finds_the_closest_candidate_case_insensitively() -> None:
    assert suggest("OBSRVER", ["observer", "name"]) == " Did you mean `observer`?"
    assert suggest("zzz", ["observer", "name"]) == ""


def test_resolve_finds_a_subcommand_by_path() -> None:
    parsed = resolve(COMMANDS, "coalition", ["org", "add"])
    assert parsed.sub is not None
    assert parsed.sub.path == ("org", "add")
    assert parsed.values == {}
    assert parsed.help is False


def test_resolve_refuses_a_path_with_extra_words() -> None:
    with pytest.raises(UsageError, match="has no subcommand `org add now`"):
        resolve(COMMANDS, "coalition", ["org", "add", "now"])


def test_usage_errors_are_coalition_errors_with_message_and_hint() -> None:
    error = _usage_error("coalition join a b")
    assert isinstance(error, CoalitionError)
    assert str(error) == f"{error.message}\n{error.hint}"
