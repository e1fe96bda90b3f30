"""`services.suggest`: what autocomplete offers, from the caller's coalition only."""

from __future__ import annotations

from helpers import Chat

from coalition_bot.services.suggest import KINDS, Suggestion, suggest


async def offered(chat: Chat, kind: str, typed: str = "", workspace: str = "local") -> list:
    return await suggest(chat.bot.db, platform="console", workspace_id=workspace, kind=kind,
                         typed=typed, now=chat.bot.clock())


async def test_open_polls_newest_first_matched_by_number_or_words(coalition: Chat) -> None:
    for question in ("Join the march?", "Endorse the union?", "Rent strike?"):
        await coalition.ok("Alice", f'poll create "{question}"')
    await coalition.ok("Alice", "poll close 2 confirm:yes")
    assert await offered(coalition, "poll") == [
        Suggestion("#3 Rent strike?", "3"), Suggestion("#1 Join the march?", "1")]
    assert await offered(coalition, "poll", "#1") == [Suggestion("#1 Join the march?", "1")]
    assert await offered(coalition, "poll", "MARCH") == [Suggestion("#1 Join the march?", "1")]
    coalition.bot.clock.advance(days=4)  # type: ignore[attr-defined]  # past their deadline
    assert await offered(coalition, "poll") == []


async def test_meetings_goals_actions_and_organizations(coalition: Chat) -> None:
    await coalition.ok("Alice", 'meeting schedule "Strategy call" "2026-12-01 18:00"')
    assert await offered(coalition, "meeting") == [
        Suggestion("#1 Strategy call (Tue 1 Dec, 18:00)", "1")]
    await coalition.ok("Alice", "coalition goal add Pass the ordinance")
    assert await offered(coalition, "goal", "ordin") == [
        Suggestion("#1 Pass the ordinance [open]", "1")]
    assert await offered(coalition, "org", "un") == [
        Suggestion("Tenants United", "Tenants United")]
    assert await offered(coalition, "action") == []


async def test_nothing_from_another_workspace_and_nothing_for_unknown_kinds(
        coalition: Chat) -> None:
    await coalition.ok("Alice", "poll create Secret?")
    assert await offered(coalition, "poll", workspace="elsewhere") == []
    assert await offered(coalition, "spaceship") == []
    assert "timezone" in KINDS


async def test_time_zones_need_no_coalition(chat: Chat) -> None:
    zones = await offered(chat, "timezone", "berl", workspace="nowhere")
    assert zones[0] == Suggestion("Europe/Berlin", "Europe/Berlin")
    assert len(await offered(chat, "timezone", "")) == 25


async def test_labels_fit_in_a_hundred_characters(coalition: Chat) -> None:
    await coalition.ok("Alice", "poll create " + "very long question " * 12)
    (only,) = await offered(coalition, "poll")
    assert len(only.label) <= 100
    assert only.label.endswith("…")
