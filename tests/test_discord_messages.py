"""Channel messages (MESSAGE_CREATE) and off-limits topics through the real client."""

from __future__ import annotations

from pathlib import Path

from fake_discord import BOB, BOT_USER, CHANNEL_ID, GUILD_ID, World, message_create_payload

GUILD_MESSAGES = 1 << 9
MESSAGE_CONTENT = 1 << 15


def stored(tmp_path: Path) -> bytes:
    """Everything in the database files (with the write-ahead log), as bytes."""
    return b"".join(p.read_bytes() for p in tmp_path.glob("coalition.db*"))


async def test_without_the_intent_the_bot_asks_for_no_messages(tmp_path: Path) -> None:
    async with World.open(tmp_path) as world:
        intents = world.fake.identified[-1]["intents"]
        assert not intents & MESSAGE_CONTENT
        assert not intents & GUILD_MESSAGES


async def test_a_message_on_an_agreed_topic_earns_its_author_a_private_nudge(
        tmp_path: Path) -> None:
    async with World.open(tmp_path, message_content=True) as world:
        intents = world.fake.identified[-1]["intents"]
        assert intents & MESSAGE_CONTENT
        assert intents & GUILD_MESSAGES
        await world.coalition()
        await world.ok("topic add", phrase="electoral endorsements", reason="partners differ")
        await world.bot.drain()  # the topic's announcement is out before we count
        start = len(world.fake.calls)
        await world.say("zebra-771 let us talk about the budget", by=BOB)  # no topic
        bot_says = message_create_payload("zebra-772 electoral endorsements", by=BOB,
                                          guild=GUILD_ID, channel=CHANNEL_ID)
        bot_says["author"] = BOT_USER  # the bot's own (or any bot's) messages are ignored
        await world.fake.dispatch("MESSAGE_CREATE", bot_says)
        await world.say("zebra-773 what about Electoral Endorsements this year?", by=BOB)
        dms = await world.fake.wait_for(lambda: world.direct(start))
        opened = world.fake.find("POST", "/users/@me/channels", start)
        assert [c.body["recipient_id"] for c in opened] == [BOB.id]
        (nudge,) = dms
        assert "A gentle reminder" in nudge.text
        assert "electoral endorsements" in nudge.text
        assert nudge.allowed_mentions == {"parse": []}
        assert not world.fake.find("POST", f"/channels/{CHANNEL_ID}/messages", start)
    assert b"zebra-77" not in stored(tmp_path)  # message text is never stored
