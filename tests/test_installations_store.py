"""The core's installations API on every backend: an org-wide install serving the
teams noted in its org, a renewed token kept, and an org-wide uninstall."""

from __future__ import annotations

import pytest

from coalition_bot.bot import Bot, Installation
from coalition_bot.tokens import TokenCipher, new_key

pytestmark = pytest.mark.both_backends

ORG, TEAM, OTHER = "E0ORG", "T0INORG", "T0ELSE"


def org_wide(token: str) -> Installation:
    return Installation(platform="slack", team_id="", bot_token=token, enterprise_id=ORG,
                        is_enterprise_install=True, enterprise_name="Grid Org",
                        refresh_token="xoxe-1-refresh", token_expires_at=1000)


async def test_a_team_noted_in_an_org_is_served_by_the_org_wide_install(bot: Bot) -> None:
    bot.installations.unlock(TokenCipher(new_key()))
    await bot.installations.save(org_wide("xoxe.xoxb-org"))
    assert await bot.installations.find("slack", TEAM) is None  # its org is not known yet
    await bot.installations.note_team("slack", TEAM, ORG)
    await bot.installations.note_team("slack", TEAM, ORG)  # once is enough
    found = await bot.installations.find("slack", TEAM)
    assert found is not None
    assert (found.bot_token, found.team_id, found.is_enterprise_install) \
        == ("xoxe.xoxb-org", "", True)
    assert await bot.installations.find("slack", OTHER) is None

    renewed = await bot.installations.renew(found, bot_token="xoxe.xoxb-new",
                                            refresh_token="xoxe-1-next", expires_at=5000)
    assert renewed.bot_token == "xoxe.xoxb-new"
    again = await bot.installations.find("slack", "", enterprise_id=ORG)
    assert again is not None
    assert (again.bot_token, again.refresh_token, again.token_expires_at) \
        == ("xoxe.xoxb-new", "xoxe-1-next", 5000)

    assert await bot.installations.delete("slack", "", enterprise_id=ORG) == 1
    assert await bot.installations.find("slack", TEAM) is None
