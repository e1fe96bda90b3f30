"""What the bot sends to Discord: escaping, mentions, timestamps, buttons and limits."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
import pytest
from fake_discord import BOB, CHEN, World

from coalition_bot.adapters.discord.buttons import command_id, parse_id
from coalition_bot.adapters.discord.render import markup, render_notice, render_reply
from coalition_bot.replies import Button, CommandRef, Field, Mention, Notice, Reply, Text, When

# ---- escaping and timestamps ------------------------------------------------------------


@pytest.mark.parametrize(("text", "must_not_contain"), [
    ("**bold** and __under__", "**bold**"),
    ("~~gone~~", "~~gone~~"),
    ("||spoiler||", "||spoiler||"),
    ("@everyone look", "@everyone"),
    ("@here look", "@here"),
    ("<@123456789012345678> and <@&123456789012345678>", "<@1"),
])
def test_user_text_is_escaped(text: str, must_not_contain: str) -> None:
    assert must_not_contain not in markup(text)


def test_masked_links_headings_quotes_and_lists_are_escaped() -> None:
    assert markup("[click me](https://evil.example)").startswith("\\[click me]")
    assert markup("# Big").startswith("\\#")
    assert markup("> quoted").startswith("\\>")
    assert markup("- item").startswith("\\-")


def test_the_cores_code_spans_are_kept_and_an_odd_backtick_is_escaped() -> None:
    assert markup("Vote with `/poll vote #1 CHOICE`.") == "Vote with `/poll vote #1 CHOICE`."
    assert markup("a ` b") == "a \\` b"
    assert "@everyone" not in markup("`@everyone`")


def test_the_cores_times_become_discord_timestamps_with_the_zone_named() -> None:
    when = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    text = "First: " + When(when, "America/New_York") + "."
    unix = int(when.timestamp())
    assert markup(text) == f"First: <t:{unix}:F> (<t:{unix}:R>; 18:00 America/New\\_York)."


def test_the_cores_commands_are_code_spans() -> None:
    text = "Vote with " + CommandRef("poll vote #1 CHOICE") + "; see " \
        + CommandRef("poll help", code=False) + "."
    assert markup(text) == "Vote with `/poll vote #1 CHOICE`; see /poll help."


def test_titles_and_field_names_keep_times_as_text() -> None:
    when = When(datetime(2026, 12, 1, 23, 0, tzinfo=UTC), "UTC")
    embed = render_reply(Reply(title="At " + when, fields=(Field("At " + when, Text(when)),)))
    title, field = embed.embeds[0].title or "", embed.embeds[0].fields[0]
    assert title == "At Tue 1 Dec 2026, 23:00 (UTC)"
    assert field.name == "At Tue 1 Dec 2026, 23:00 (UTC)"
    assert (field.value or "").startswith("<t:")


@pytest.mark.parametrize("text", [
    "Tue 1 Dec 2026, 18:00 (America/New_York)",  # written like the bot writes times
    "meet 5/3 at 6pm?",
    "tomorrow 18:00",
])
def test_user_text_that_looks_like_a_time_stays_text(text: str) -> None:
    assert markup(text) == discord.utils.escape_markdown(text)
    assert markup("Poll #1: " + text) == "Poll #1: " + discord.utils.escape_markdown(text)


# ---- buttons and limits ---------------------------------------------------------------


def test_a_custom_id_carries_at_most_97_characters_of_command() -> None:
    assert command_id("x" * 97) == "cb:" + "x" * 97
    assert command_id("x" * 98) is None
    assert parse_id("cb:poll vote 1 agree") == (None, "poll vote 1 agree")
    assert parse_id("other:thing") is None
    dm = command_id("meeting done 4", "333333333333333333")
    assert dm == "cb@333333333333333333:meeting done 4"
    assert parse_id(dm) == ("333333333333333333", "meeting done 4")


def test_a_button_whose_line_is_too_long_is_shown_as_a_command_to_type() -> None:
    long = "poll vote 12 " + '"' + "a very long choice " * 5 + '"'
    out = render_reply(Reply(title="Vote", buttons=(Button("ok", "poll vote 1 ok"),
                                                    Button("long one", long))))
    assert out.typed_instead == 1
    assert out.view is not None
    assert [c.custom_id for c in out.view.children] == [
        "cb:poll vote 1 ok"]
    field = out.embeds[0].fields[-1]
    assert field.name == "Type instead"
    assert "long one" in field.value
    assert "a very long" in \
        field.value


def test_discord_size_limits_are_kept() -> None:
    reply = Reply(title="T" * 300, text="x" * 5000,
                  fields=tuple(Field(f"f{i}", "v" * 2000) for i in range(30)))
    embed = render_reply(reply).embeds[0]
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    assert all(len(f.value or "") <= 1024 for f in embed.fields)
    assert len(embed) <= 6000
    assert embed.footer.text
    assert "more not shown" in embed.footer.text


def test_private_and_error_replies_are_ephemeral() -> None:
    assert render_reply(Reply(text="only you", private=True)).ephemeral
    assert render_reply(Reply(text="bad", error=True)).ephemeral
    assert not render_reply(Reply(text="everyone")).ephemeral


def test_a_notice_pings_its_discord_mentions_one_by_one_and_nobody_else() -> None:
    notice = Notice(1, "Reminder @everyone", "@here please vote", mentions=(
        Mention("discord", "500000000000000002", "Bob"),
        Mention("discord", "500000000000000002", "Bob"),
        Mention("slack", "U123", "Sam")))
    out = render_notice(notice)
    assert out.content == "<@500000000000000002>"
    assert out.allowed_mentions.to_dict() == {"parse": [], "users": [500000000000000002]}
    assert "@everyone" not in (out.embeds[0].title or "")
    quiet = render_notice(notice, ping=False)
    assert quiet.content is None
    assert quiet.allowed_mentions.to_dict() == {"parse": []}


# ---- through the real client ------------------------------------------------------------


async def test_a_poll_question_with_everyone_pings_no_one(world: World) -> None:
    await world.coalition()
    created = await world.ok("poll create", question="@everyone come to the @here march?")
    assert created.allowed_mentions == {"parse": []}
    assert "@everyone" not in created.text
    assert "@here" not in created.text
    assert "@\u200beveryone come to the @\u200bhere march?" in created.text


async def test_a_poll_reminder_mentions_only_the_representatives_who_have_not_voted(
        world: World) -> None:
    await world.coalition()
    await world.ok("coalition rep add", user=CHEN, org="Climate Now")
    await world.ok("poll create", question="@everyone: march?")
    await world.ok("poll vote", poll="1", choice="agree", by=BOB)
    start = len(world.fake.calls)
    await world.ok("poll remind", poll="1")
    (notice,) = await world.posted(start)
    assert notice.body["content"] == f"<@{CHEN.id}>"
    assert notice.allowed_mentions == {"parse": [], "users": [CHEN.id]}
    assert "@everyone" not in notice.text
    assert [label for label, _ in notice.buttons] == ["agree", "abstain", "disagree"]


async def test_a_private_notice_is_a_direct_message(world: World) -> None:
    start = len(world.fake.calls)
    await world.door.post_private(str(BOB.id), Notice(1, "Just for you", "@everyone no"))
    opened = world.fake.find("POST", "/users/@me/channels", start)
    assert opened
    assert opened[0].body == {"recipient_id": BOB.id}
    (dm,) = world.direct(start)
    assert "Just for you" in dm.text
    assert dm.allowed_mentions == {"parse": []}


@pytest.mark.parametrize(("channel_id", "shown"), [
    ("123456789012345678", "<#123456789012345678>"),  # a link to the channel
    ("C0HOME", "channel @\u200beveryone"),  # not a Discord id: the escaped text
    ("1> @everyone <#2", "channel @\u200beveryone"),
    ("", "channel @\u200beveryone"),
])
def test_a_field_naming_a_channel_links_it_only_when_it_is_a_discord_id(
        channel_id: str, shown: str) -> None:
    out = render_reply(Reply(fields=(
        Field("Home channel", "channel @everyone", inline=True, channel_id=channel_id),)))
    [embed] = out.embeds
    assert embed.fields[0].value == shown


async def test_a_block_is_announced_in_the_home_channel_with_its_reason_pinging_no_one(
        world: World) -> None:
    await world.coalition()
    await world.ok("poll create", question="March on Friday?", rule="consensus")
    start = len(world.fake.calls)
    await world.ok("poll vote", poll="1", choice="block",
                   reason="@everyone **not** without a safety plan", by=BOB)
    (notice,) = await world.posted(start)
    assert notice.allowed_mentions == {"parse": []}
    assert "Tenants United blocks" in notice.text
    assert "@everyone" not in notice.text
    assert "**not**" not in notice.text
    assert "not\\*\\* without a safety plan" in notice.text
