"""Enterprise Grid org-wide installs and token rotation, through the real slack-bolt app
with `install = "oauth"` against the fake Slack (`check_tokens`: a token Slack did not
issue, revoked or expired is refused as Slack would).

An org-wide install has no team: its token serves every team of the org. Scheduled
notices know their team only, so the bot must remember each team's org. With token
rotation, tokens expire; requests and the outbox renew them before they do.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

import pytest
from helpers import MovableClock, query
from oauth_harness import HOME_A, LINK_CODE, TEAM_A, TOKEN_KEY, Door, oauth_door, posts
from slack_harness import ALICE, BOB, CHEN, FakeSlack, Workspace, text_of

from coalition_bot.bot import Bot
from coalition_bot.scheduler import Scheduler
from coalition_bot.tokens import TokenCipher

ORG = "E0GRID"
GRID_TEAM, GRID_HOME = "T0GRID", "C0GRIDHOME"


async def meeting_and_poll(ws: Workspace, channel: str, *, day: int) -> None:
    """A meeting at noon (New York) with a reminder an hour before, and a poll closing
    at 11:30, on 2026-11-`day`."""
    await ws.ok(ALICE, "/meeting", f'schedule "Call {day}" "2026-11-{day} 12:00" remind:1h',
                channel=channel)
    await ws.ok(ALICE, "/poll", f'create "March {day}?" closes:"2026-11-{day} 11:30"',
                channel=channel)


async def reach_noon(bot: Bot, clock: MovableClock, day: int) -> None:
    scheduler = Scheduler(bot)
    await bot.drain()
    for hour, minute in ((16, 0), (16, 30), (17, 0)):
        clock.now = datetime(2026, 11, day, hour, minute, tzinfo=UTC)
        await scheduler.tick()
    await bot.drain()


async def grid_coalition(door: Door) -> Workspace:
    """The org installs the app org-wide; a team of the org sets up a coalition."""
    await door.install_org(ORG, "Grid Org")
    grid = door.workspace(GRID_TEAM, enterprise=ORG)
    await grid.ok(ALICE, "/coalition", 'setup "Grid Tenants" America/New_York',
                  channel=GRID_HOME)
    await grid.ok(ALICE, "/coalition", 'org add "Tenants United"', channel=GRID_HOME)
    await grid.ok(ALICE, "/coalition", f'rep add {BOB.mention} "Tenants United"',
                  channel=GRID_HOME)
    return grid


async def test_an_org_wide_install_serves_its_teams_scheduled_notices_until_uninstalled(
        door: Door, bot: Bot, fake: FakeSlack, clock: MovableClock, db_path) -> None:
    grid = await grid_coalition(door)
    org_token = fake.token_of(ORG)
    # a partner outside the org, with its own install, connects to the coalition
    code = LINK_CODE.search(text_of(await grid.ok(ALICE, "/coalition", "link",
                                                  channel=GRID_HOME)))
    assert code
    a = await door.install(TEAM_A, "Eastside Org")
    await a.ok(CHEN, "/coalition", f"connect {code[1]}", channel=HOME_A)
    assert query(db_path, "SELECT enterprise_id, team_id, is_enterprise_install"
                          " FROM installation ORDER BY team_id") \
        == [(ORG, "", 1), ("", TEAM_A, 0)]
    assert query(db_path, "SELECT team_id, enterprise_id FROM team_enterprise") \
        == [(GRID_TEAM, ORG)]

    await meeting_and_poll(grid, GRID_HOME, day=23)
    await reach_noon(bot, clock, 23)
    for title in ("Reminder: Call 23", "Poll #1 closed"):
        (posted,) = posts(fake, GRID_HOME, title)
        assert posted.auth == f"Bearer {org_token}", title
    assert query(db_path, "SELECT count(*) FROM delivery WHERE status != 'sent'") == [(0,)]

    # the org removes the app: an org-wide app_uninstalled (no team of its own)
    await meeting_and_poll(grid, GRID_HOME, day=24)
    await bot.drain()
    status = await grid.event(
        {"type": "app_uninstalled"}, event_id="Ev0ORGGONE", team_id=None,
        enterprise_id=ORG, is_ext_shared_channel=False,
        authorizations=[{"enterprise_id": ORG, "team_id": None, "user_id": "U0BOTE0GRID",
                         "is_bot": True, "is_enterprise_install": True}])
    assert status == 200
    await fake.wait_for(lambda: query(db_path, "SELECT team_id FROM installation")
                        == [(TEAM_A,)])
    fake.revoked.add(org_token)
    await reach_noon(bot, clock, 24)
    for _ in range(3):  # never retried
        clock.advance(hours=1)
        await bot.outbox.send_due()
    failed = query(db_path, "SELECT kind, status, last_error, attempts FROM delivery"
                            " WHERE status != 'sent' ORDER BY id")
    assert [row[0] for row in failed] == ["meeting-reminder", "poll-result"], failed
    for kind, state, reason, attempts in failed:
        assert state == "failed", kind
        assert f"not installed in workspace {GRID_TEAM}" in reason, kind
        assert attempts == 1, kind
    assert not posts(fake, GRID_HOME, "Call 24")
    # the partner heard that the org's workspace left, and still gets its notices
    (told,) = posts(fake, HOME_A, "removed the bot")
    assert f"{GRID_TEAM} (Grid Org)" in text_of(told.body)
    assert told.auth == f"Bearer {fake.token_of(TEAM_A)}"
    assert len(posts(fake, HOME_A, "Reminder: Call 24")) == 1
    # the team's link to its org stays: a new org-wide install serves it again
    await door.install_org(ORG, "Grid Org")
    info = await grid.ok(ALICE, "/coalition", "info", channel=GRID_HOME)
    assert "Grid Tenants" in text_of(info)


async def test_a_team_of_the_org_that_installs_itself_keeps_its_own_token(
        door: Door, bot: Bot, fake: FakeSlack, db_path) -> None:
    await door.install_org(ORG, "Grid Org")
    fake.team_orgs[TEAM_A] = ORG
    await door.install(TEAM_A, "Eastside Org")  # a workspace install inside the org
    assert query(db_path, "SELECT team_id, enterprise_id FROM team_enterprise") \
        == [(TEAM_A, ORG)]
    team = door.workspace(TEAM_A)
    await team.ok(ALICE, "/coalition", 'setup "Eastside Tenants" UTC', channel=HOME_A)
    assert {c.auth for c in fake.to("users.info")} == {f"Bearer {fake.token_of(TEAM_A)}"}
    found = await bot.installations.find("slack", TEAM_A)
    assert found is not None
    assert found.bot_token == fake.token_of(TEAM_A) != fake.token_of(ORG)
    # without its own install, the team falls back to the org's
    await bot.installations.delete("slack", TEAM_A, enterprise_id=ORG, announce=False)
    found = await bot.installations.find("slack", TEAM_A)
    assert found is not None
    assert found.bot_token == fake.token_of(ORG)


@pytest.fixture
async def rotating(bot: Bot, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch):
    """Token rotation on: every token Slack issues lives 1 second."""
    fake.token_lifetime = 1
    async with oauth_door(bot, fake, monkeypatch) as door:
        yield door


def stored(db_path) -> tuple[str, str, int]:
    (row,) = query(db_path, "SELECT token_cipher, refresh_cipher, token_expires_at"
                            " FROM installation")
    return row


async def test_an_expired_token_is_renewed_and_a_reminder_still_arrives(
        rotating: Door, bot: Bot, fake: FakeSlack, clock: MovableClock, db_path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # slack_sdk logs each renewal's request and answer
    a = await rotating.install(TEAM_A, "Eastside Org")
    installed = fake.token_of(TEAM_A)
    assert installed.startswith("xoxe.xoxb-")
    await a.ok(ALICE, "/coalition", 'setup "Eastside Tenants" America/New_York',
               channel=HOME_A)
    await a.ok(ALICE, "/meeting", 'schedule "Strategy call" "2026-11-23 12:00" remind:1h',
               channel=HOME_A)
    await asyncio.sleep(1.1)  # every token issued so far has expired
    assert all(time.time() >= dies for dies in fake.expiry.values())
    renewals = len([c for c in fake.delivered if c.method == "oauth.v2.access"])
    await reach_noon(bot, clock, 23)
    (reminder,) = posts(fake, HOME_A, "Reminder: Strategy call")
    used = (reminder.auth or "").removeprefix("Bearer ")
    assert used != installed
    assert used.startswith("xoxe.xoxb-")
    assert [c for c in fake.delivered if c.method == "oauth.v2.access"][renewals:]
    assert query(db_path, "SELECT count(*) FROM delivery WHERE status != 'sent'") == [(0,)]
    # the database holds the renewed pair, encrypted
    token_cipher, refresh_cipher, expires_at = stored(db_path)
    cipher = TokenCipher(TOKEN_KEY)
    assert cipher.decrypt(token_cipher) == fake.token_of(TEAM_A) == used
    assert cipher.decrypt(refresh_cipher) in fake.refresh_tokens  # the live one
    assert expires_at >= int(time.time())
    for path in (db_path, db_path.with_name(db_path.name + "-wal")):
        if path.exists():
            assert b"xoxe" not in path.read_bytes()
    # requests renew the token too (inside the installation store, before bolt uses it)
    await asyncio.sleep(1.1)
    info = await a.ok(ALICE, "/coalition", "info", channel=HOME_A)
    assert "Eastside Tenants" in text_of(info)
    assert not [c for c in fake.calls if c.method.startswith(("chat.", "users."))
                and c not in fake.delivered]  # no call was refused for an expired token
    assert "grant_type" in caplog.text  # the renewals were logged, their secrets not
    issued = [t for t in [*fake.tokens, *fake.refresh_tokens] if t.startswith("xoxe")]
    assert len(issued) > 4
    for secret in issued:
        assert secret.split("-")[-1] not in caplog.text  # its random part
    assert "renewed the expiring token of slack team T0AAA" in caplog.text


async def test_a_refused_renewal_fails_the_delivery_for_good_with_the_reason(
        rotating: Door, bot: Bot, fake: FakeSlack, clock: MovableClock, db_path) -> None:
    a = await rotating.install(TEAM_A, "Eastside Org")
    await a.ok(ALICE, "/coalition", 'setup "Eastside Tenants" America/New_York',
               channel=HOME_A)
    await a.ok(ALICE, "/meeting", 'schedule "Strategy call" "2026-11-23 12:00" remind:1h',
               channel=HOME_A)
    fake.refresh_tokens.clear()  # Slack no longer honours the refresh token
    await asyncio.sleep(1.1)
    await reach_noon(bot, clock, 23)
    for _ in range(3):
        clock.advance(hours=1)
        await bot.outbox.send_due()
    (failed,) = query(db_path, "SELECT status, last_error, attempts FROM delivery"
                               " WHERE kind = 'meeting-reminder'")
    assert failed[0] == "failed"
    assert "refused to renew" in failed[1]
    assert "invalid_refresh_token" in failed[1]
    assert failed[2] == 1
    assert not posts(fake, HOME_A, "Reminder: Strategy call")
    # a command there is told how to install again, and does nothing
    answer = text_of(await a.run(ALICE, "/coalition", "info", channel=HOME_A))
    assert "not installed in this workspace" in answer
    assert "/slack/install" in answer


def test_the_distributed_manifest_may_turn_on_token_rotation_and_org_wide_installs(
        capsys: pytest.CaptureFixture[str]) -> None:
    import json
    from pathlib import Path

    from coalition_bot.adapters.slack.manifest import manifest
    from coalition_bot.cli import main
    from coalition_bot.commands.registry import COMMANDS

    plain = manifest(COMMANDS, url="https://bot.example.org", distribution=True)
    assert plain["settings"]["token_rotation_enabled"] is False
    assert plain["settings"]["org_deploy_enabled"] is False
    assert main(["slack-manifest", "--distribution", "--url", "https://bot.example.org",
                 "--token-rotation", "--org-deploy", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["settings"]["token_rotation_enabled"] is True
    assert data["settings"]["org_deploy_enabled"] is True
    assert data["oauth_config"]["redirect_urls"] == [
        "https://bot.example.org/slack/oauth_redirect"]
    jsonschema = pytest.importorskip("jsonschema")
    schema = Path(__file__).resolve().parent / "data" / "manifest.schema.1.0.0.json"
    jsonschema.validate(data, json.loads(schema.read_text(encoding="utf-8")))
    # a single-token app's one token would expire with nobody to renew it
    assert main(["slack-manifest", "--url", "https://bot.example.org",
                 "--token-rotation"]) == 2
    assert "--token-rotation is for an app installed through OAuth" \
        in capsys.readouterr().err


async def test_two_processes_renewing_one_token_at_once_both_end_with_a_live_one(
        rotating: Door, bot: Bot, fake: FakeSlack, db_path) -> None:
    """Two renewals that no lock serializes (as in two processes): Slack takes the
    refresh token once; the other renewal finds the pair the first one stored."""
    from slack_harness import CLIENT_ID, CLIENT_SECRET
    from slack_sdk.web.async_client import AsyncWebClient

    from coalition_bot.adapters.slack.rotation import TokenRenewal

    await rotating.install(TEAM_A, "Eastside Org")
    await asyncio.sleep(1.1)
    found = await bot.installations.find("slack", TEAM_A)
    assert found is not None
    one, two = (TokenRenewal(bot.installations, client_id=CLIENT_ID,
                             client_secret=CLIENT_SECRET,
                             client=AsyncWebClient(base_url=fake.api_base))
                for _ in range(2))
    fake.holds[("oauth.v2.access", "")] = [0.3, 0.3]  # both are on their way at once
    renewed = await asyncio.gather(one.fresh(found), two.fresh(found))
    taken = {id(c) for c in fake.delivered}
    refused = [c for c in fake.calls if c.method == "oauth.v2.access"
               and c.body.get("grant_type") == "refresh_token" and id(c) not in taken]
    assert len(refused) == 1  # they did race for the one refresh token
    for inst in renewed:
        assert inst.bot_token != found.bot_token
        assert inst.bot_token in fake.tokens
    stored = await bot.installations.find("slack", TEAM_A)
    assert stored is not None
    assert stored.refresh_token in fake.refresh_tokens


async def test_a_token_far_from_expiry_is_used_as_it_is(
        rotating: Door, bot: Bot, fake: FakeSlack, clock: MovableClock) -> None:
    fake.token_lifetime = 3 * 3600  # renewed only in its last 2 hours
    a = await rotating.install(TEAM_A, "Eastside Org")
    installed = fake.token_of(TEAM_A)
    await a.ok(ALICE, "/coalition", 'setup "Eastside Tenants" America/New_York',
               channel=HOME_A)
    await a.ok(ALICE, "/meeting", 'schedule "Strategy call" "2026-11-23 12:00" remind:1h',
               channel=HOME_A)
    await reach_noon(bot, clock, 23)
    (reminder,) = posts(fake, HOME_A, "Reminder: Strategy call")
    assert reminder.auth == f"Bearer {installed}"
    assert not [c for c in fake.calls if c.body.get("grant_type") == "refresh_token"]
