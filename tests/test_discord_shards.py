"""Discord at many servers: `[discord] shard_count` runs discord.py's AutoShardedClient.

The fake gateway sends each server's events on the connection of its shard
((guild_id >> 22) % shard_count), as Discord does, so an interaction from a server on a
shard the bot did not connect would never reach it.
"""

from __future__ import annotations

from pathlib import Path

import fake_discord as dc
import pytest

from coalition_bot.config import ConfigError, parse_config

GUILD_ON_1 = dc.GUILD_ID + (1 << 22)  # the next server id that falls on shard 1 of 2


async def test_two_shards_answer_interactions_from_servers_on_both(tmp_path: Path) -> None:
    async with dc.World.open(tmp_path, shard_count=2) as world:
        assert sorted(d["shard"] for d in world.fake.identified) == [[0, 2], [1, 2]]
        assert (world.fake.shard_of(dc.GUILD_ID), world.fake.shard_of(GUILD_ON_1)) == (0, 1)
        assert world.door is not None
        assert world.door.client.shard_count == 2
        east = await world.ok("coalition setup", name="Eastside Tenants",
                              timezone="America/New_York")
        assert "Eastside Tenants" in east.text
        north = await world.ok("coalition setup", name="Northside Renters", timezone="UTC",
                               guild=GUILD_ON_1, by=dc.BOB)
        assert "Northside Renters" in north.text
        # each server stays in its own coalition, whichever shard its events came on
        assert "Northside Renters" in (await world.ok("coalition info", guild=GUILD_ON_1,
                                                      by=dc.BOB)).text
        assert "Eastside Tenants" in (await world.ok("coalition info")).text


def test_shard_settings_are_checked() -> None:
    assert parse_config({"discord": {"shard_count": 4, "shard_ids": [2, 3]}}).discord \
        .shard_ids == ("2", "3")
    with pytest.raises(ConfigError, match="shard_ids needs shard_count"):
        parse_config({"discord": {"shard_ids": [0]}})
    with pytest.raises(ConfigError, match="from 0 to 1, not 2"):
        parse_config({"discord": {"shard_count": 2, "shard_ids": [0, 2]}})
    with pytest.raises(ConfigError, match="shard_count must be 0"):
        parse_config({"discord": {"shard_count": -1}})
