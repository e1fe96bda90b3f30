"""Installing into many Slack workspaces through OAuth: one bot, a token per workspace.

Every test drives the real slack-bolt app with `install = "oauth"` on 127.0.0.1: a
browser opens `/slack/install`, comes back through `/slack/oauth_redirect` with Slack's
code and the state, and the fake Slack answers `oauth.v2.access` with a token of that
workspace only (`check_tokens`: any other token is refused, as Slack would).
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

import pytest
from helpers import MovableClock, query
from oauth_harness import (
    HOME_A,
    HOME_B,
    LINK_CODE,
    TEAM_A,
    TEAM_B,
    Door,
    posts,
    serving_oauth,
    set_oauth_env,
)
from slack_harness import ALICE, BOB, CHEN, DANA, FakeSlack, Workspace, text_of

from coalition_bot.bot import Bot
from coalition_bot.config import ConfigError
from coalition_bot.scheduler import Scheduler
from coalition_bot.tokens import TokenCipher, new_key


async def two_workspaces_one_coalition(door: Door) -> tuple[Workspace, Workspace]:
    """Both install; Alice sets the coalition up in A, Chen connects B with a code."""
    a = await door.install(TEAM_A, "Eastside Org")
    b = await door.install(TEAM_B, "Northside Org")
    await a.ok(ALICE, "/coalition", 'setup "Eastside Tenants" America/New_York',
               channel=HOME_A)
    await a.ok(ALICE, "/coalition", 'org add "Tenants United"', channel=HOME_A)
    await a.ok(ALICE, "/coalition", 'org add "Climate Now"', channel=HOME_A)
    await a.ok(ALICE, "/coalition", f'rep add {BOB.mention} "Tenants United"', channel=HOME_A)
    linked = await a.ok(ALICE, "/coalition", "link", channel=HOME_A)
    found = LINK_CODE.search(text_of(linked))
    assert found
    joined = await b.ok(CHEN, "/coalition", f"connect {found[1]}", channel=HOME_B)
    assert "now part of Eastside Tenants" in text_of(joined)
    await b.ok(CHEN, "/coalition", f'rep add {CHEN.mention} "Climate Now"', channel=HOME_B)
    return a, b


async def test_two_workspaces_install_and_each_hears_results_and_reminders_with_its_token(
        door: Door, bot: Bot, fake: FakeSlack, clock: MovableClock, db_path) -> None:
    a, b = await two_workspaces_one_coalition(door)
    token_a, token_b = fake.token_of(TEAM_A), fake.token_of(TEAM_B)
    assert token_a != token_b
    assert query(db_path, "SELECT team_id, team_name FROM installation ORDER BY team_id") \
        == [(TEAM_A, "Eastside Org"), (TEAM_B, "Northside Org")]
    # a command's look-ups run with the token of the workspace it came from
    assert {c.auth for c in fake.to("users.info") if c.body["user"] == CHEN.id} \
        == {f"Bearer {token_b}"}

    await a.ok(ALICE, "/meeting", 'schedule "Strategy call" "2026-11-23 12:00" remind:1h',
               channel=HOME_A)
    await a.ok(ALICE, "/poll", 'create "March on Friday?" closes:"2026-11-23 11:30"',
               channel=HOME_A)
    await a.ok(BOB, "/poll", "vote 1 agree", channel=HOME_A)
    await b.ok(CHEN, "/poll", "vote 1 agree", channel=HOME_B)
    await bot.drain()
    scheduler = Scheduler(bot)
    for hour, minute in ((16, 0), (16, 30), (17, 0)):
        clock.now = datetime(2026, 11, 23, hour, minute, tzinfo=UTC)
        await scheduler.tick()
    await bot.drain()
    for title in ("Reminder: Strategy call", "Poll #1 closed"):
        (in_a,) = posts(fake, HOME_A, title)
        (in_b,) = posts(fake, HOME_B, title)
        assert in_a.auth == f"Bearer {token_a}", title
        assert in_b.auth == f"Bearer {token_b}", title
    assert query(db_path, "SELECT count(*) FROM delivery WHERE status != 'sent'") == [(0,)]
    # Slack refused no call for a wrong token along the way
    assert not [c for c in fake.calls if c.method not in ("oauth.v2.access",)
                and c not in fake.delivered and c.method.startswith(("chat.", "users."))]


async def test_a_forged_or_replayed_state_is_refused_and_installs_nothing(
        door: Door, fake: FakeSlack, db_path) -> None:
    # a state this bot never signed, with a matching cookie: the signature fails
    forged = await door.visit(TEAM_A, "Eastside Org", state="made-up.0000",
                              cookie="slack-app-oauth-state=made-up.0000")
    assert forged.status == 401
    # a real state in a browser that did not start the install: no cookie
    no_cookie = await door.visit(TEAM_A, "Eastside Org", cookie="")
    assert no_cookie.status == 400
    # a real state used twice: the second time is refused, before any code is exchanged
    first = await door.visit(TEAM_A, "Eastside Org")
    assert first.status == 200
    exchanged = len(fake.to("oauth.v2.access"))
    replay = await door.come_back(code="code-replayed", state=first.state,
                                  cookie=first.cookie)
    assert replay[0] == 401
    assert len(fake.to("oauth.v2.access")) == exchanged
    assert query(db_path, "SELECT team_id FROM installation") == [(TEAM_A,)]
    assert query(db_path, "SELECT count(*) FROM oauth_state") == [(2,)]  # unused ones


async def test_a_workspace_without_an_install_is_told_to_install_and_nothing_runs(
        door: Door, fake: FakeSlack, db_path) -> None:
    await door.install(TEAM_A, "Eastside Org")
    stranger = door.workspace("T0STRANGER")
    answer = await stranger.run(DANA, "/coalition", 'setup "Stray" UTC')
    assert "not installed in this workspace" in text_of(answer)
    assert "/slack/install" in text_of(answer)
    assert query(db_path, "SELECT count(*) FROM coalition") == [(0,)]


async def test_uninstalling_removes_the_tokens_keeps_the_coalition_and_tells_the_others(
        door: Door, bot: Bot, fake: FakeSlack, clock: MovableClock, db_path) -> None:
    a, b = await two_workspaces_one_coalition(door)
    await bot.drain()
    status = await b.event({"type": "app_uninstalled"}, event_id="Ev0UNINSTALL")
    assert status == 200
    await fake.wait_for(lambda: query(db_path, "SELECT team_id FROM installation")
                        == [(TEAM_A,)])
    await bot.drain()
    (told,) = posts(fake, HOME_A, "removed the bot")
    assert "Northside Org" in text_of(told.body)
    assert told.auth == f"Bearer {fake.token_of(TEAM_A)}"
    assert not posts(fake, HOME_B, "removed the bot")
    # the coalition and B's place in it stay
    assert query(db_path, "SELECT platform, workspace_id FROM binding ORDER BY id") \
        == [("slack", TEAM_A), ("slack", TEAM_B)]
    assert query(db_path, "SELECT count(*) FROM org") == [(2,)]
    # a notice for B now fails for good, with the reason, and is never retried
    await a.ok(ALICE, "/coalition", "goal add Stop the rent hike", channel=HOME_A)
    await a.ok(ALICE, "/coalition", 'goal update 1 in-progress "Petition out"',
               channel=HOME_A)
    await bot.drain()
    for _ in range(3):
        clock.advance(hours=1)
        await bot.outbox.send_due()
    (failed,) = query(db_path, "SELECT status, last_error, attempts FROM delivery"
                               " WHERE workspace_id = ? AND kind = 'notice'"
                               " AND status != 'sent'", (TEAM_B,))
    assert failed[0] == "failed"
    assert "not installed in workspace T0BBB" in failed[1]
    assert failed[2] == 1
    assert len(posts(fake, HOME_A, "Goal #1 is now")) == 1
    assert not [c for c in fake.calls if c.body.get("channel") == HOME_B
                and "Goal #1" in text_of(c.body)]  # no call went out for B at all
    # reinstalling brings B back into the same coalition
    b = await door.install(TEAM_B, "Northside Org")
    info = text_of(await b.ok(CHEN, "/coalition", "info", channel=HOME_B))
    assert "Eastside Tenants" in info


async def test_a_bot_deleted_through_bolts_installation_store_is_announced_at_once(
        door: Door, bot: Bot, fake: FakeSlack, db_path) -> None:
    from coalition_bot.adapters.slack.installations import BotInstallationStore

    await two_workspaces_one_coalition(door)
    await bot.drain()
    await BotInstallationStore(bot.installations).async_delete_bot(enterprise_id=None,
                                                                   team_id=TEAM_B)
    await bot.drain()  # no sweep runs here: the delete itself set the outbox going
    (told,) = posts(fake, HOME_A, "removed the bot")
    assert "Northside Org" in text_of(told.body)
    assert query(db_path, "SELECT team_id FROM installation") == [(TEAM_A,)]


async def test_a_revoked_bot_token_is_forgotten(door: Door, bot: Bot, fake: FakeSlack,
                                                db_path) -> None:
    a = await door.install(TEAM_A, "Eastside Org")
    await door.install(TEAM_B, "Northside Org")
    fake.revoked.add(fake.token_of(TEAM_A))
    status = await a.event({"type": "tokens_revoked", "tokens": {"bot": ["U0BOTT0AAA"]}},
                           event_id="Ev0REVOKED")
    assert status == 200
    await fake.wait_for(lambda: query(db_path, "SELECT team_id FROM installation")
                        == [(TEAM_B,)])


async def test_no_token_reaches_the_log_at_debug_even_without_the_cli_filter(
        door: Door, fake: FakeSlack) -> None:
    """A handler of our own with no PayloadFilter: only the filters on slack_sdk's and
    bolt's loggers stand between the oauth.v2.access response and the log."""
    seen = io.StringIO()
    handler = logging.StreamHandler(seen)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        a = await door.install(TEAM_A, "Eastside Org")
        await a.ok(ALICE, "/coalition", 'setup "Eastside Tenants" America/New_York',
                   channel=HOME_A)
        failed = await door.come_back(code="code-unknown",
                                      **_fresh(await door.start_install()))
        assert failed[0] == 401  # bolt logs the failed exchange with its code
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    log = seen.getvalue()
    assert "oauth.v2.access" in log  # slack_sdk did log the exchange at DEBUG
    assert "Received the following response" in log
    assert fake.token_of(TEAM_A) not in log
    assert "xoxb-" not in log
    assert "code-unknown" not in log
    assert "access_token" in log
    assert "[secret]" in log


def _fresh(started: tuple[str, str]) -> dict[str, str]:
    return {"state": started[0], "cookie": started[1]}


async def test_rotating_the_key_reencrypts_tokens_at_start_and_the_old_key_can_go(
        bot: Bot, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch, db_path) -> None:
    fake.check_tokens = True
    old, new = new_key(), new_key()
    set_oauth_env(monkeypatch, key=old)
    async with serving_oauth(bot, fake) as door:
        a = await door.install(TEAM_A, "Eastside Org")
        await a.ok(ALICE, "/coalition", 'setup "Eastside Tenants" UTC', channel=HOME_A)
    (before,), = query(db_path, "SELECT token_cipher FROM installation")
    set_oauth_env(monkeypatch, key=f"{new},{old}")  # the new key first, the old one kept
    async with serving_oauth(bot, fake) as door:
        await door.workspace(TEAM_A).ok(ALICE, "/coalition", "info", channel=HOME_A)
    (after,), = query(db_path, "SELECT token_cipher FROM installation")
    assert after != before
    assert TokenCipher(new).decrypt(after) == fake.token_of(TEAM_A)
    set_oauth_env(monkeypatch, key=new)  # the old key dropped
    async with serving_oauth(bot, fake) as door:
        info = await door.workspace(TEAM_A).ok(ALICE, "/coalition", "info", channel=HOME_A)
        assert "Eastside Tenants" in text_of(info)


async def test_a_key_that_is_not_a_fernet_key_stops_the_start_with_one_sentence(
        bot: Bot, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    set_oauth_env(monkeypatch, key="not-a-key")
    with pytest.raises(ConfigError, match="COALITION_BOT_TOKEN_KEY must hold Fernet keys"):
        async with serving_oauth(bot, fake):
            pass
    monkeypatch.delenv("SLACK_STATE_SECRET")
    with pytest.raises(ConfigError, match="SLACK_STATE_SECRET is not set"):
        async with serving_oauth(bot, fake):
            pass


async def test_enterprise_grid_installs_are_kept_per_team_and_per_org(bot: Bot) -> None:
    from slack_sdk.oauth.installation_store import Installation as SlackInstallation

    from coalition_bot.adapters.slack.installations import BotInstallationStore

    bot.installations.unlock(TokenCipher(new_key()))
    store = BotInstallationStore(bot.installations)
    await store.async_save(SlackInstallation(
        enterprise_id="E1", team_id="T1", team_name="One", bot_token="xoxb-team-one",
        bot_id="B1", bot_user_id="U0B1", user_id="U0INSTALLER"))
    await store.async_save(SlackInstallation(
        enterprise_id="E1", team_id=None, is_enterprise_install=True,
        bot_token="xoxb-org-wide", bot_id="B2", bot_user_id="U0B2", user_id="U0INSTALLER"))
    team = await store.async_find_bot(enterprise_id="E1", team_id="T1")
    assert team is not None
    assert team.bot_token == "xoxb-team-one"
    org = await store.async_find_bot(enterprise_id="E1", team_id="T9",
                                     is_enterprise_install=True)
    assert org is not None
    assert org.bot_token == "xoxb-org-wide"
    assert org.is_enterprise_install
    assert await store.async_find_bot(enterprise_id="E2", team_id="T1") is None
    await store.async_delete_all(enterprise_id="E1", team_id="T1")
    assert await store.async_find_bot(enterprise_id="E1", team_id="T1") is not None  # org's
    assert (await store.async_find_bot(enterprise_id="E1", team_id="T1")).bot_token \
        == "xoxb-org-wide"
    await store.async_delete_bot(enterprise_id="E1", team_id=None)
    assert await store.async_find_bot(enterprise_id="E1", team_id="T1") is None
