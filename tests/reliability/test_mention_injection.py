"""Mention injection: `@everyone`, `@here`, `<!channel>`, `<!here>`, `<!everyone>`, role
and user mentions typed into every free-text field, and into display names, never ping
anyone on Slack or Discord.

Three levels:

- the core: a coalition whose every free-text field (each TEXT option of every command in
  the registry; a test fails when one is added without being covered here) and several
  display names carry pings; every reply and notice that shows them is rendered with the
  real Slack and Discord renderers and checked (`reliability_support.slack_problems`,
  `discord_problems`): Slack text holds no `<…>` markup except the individual mentions a
  notice intends, Discord's allowed_mentions allow no everyone, no roles and only the
  intended users, and `@everyone`/`@here` and snowflake mentions are escaped;
- Slack end to end: pings typed the way Slack delivers them (markup, entity-escaped
  literals, a display name from users.info), everything the real adapter sent to the
  fake Slack checked;
- Discord end to end: the same through the real discord.py client and the fake Discord,
  every message body the bot sent checked.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from fake_discord import ALICE as D_ALICE
from fake_discord import BOB as D_BOB
from fake_discord import Person, World
from helpers import Chat, MovableClock, RecordingOutlet, text_of
from reliability_support import (
    PINGS,
    discord_body,
    discord_limit_problems,
    discord_problems,
    render_problems,
    slack_limit_problems,
    slack_problems,
)
from slack_harness import ALICE, BOB, CHEN, User, Workspace

from coalition_bot.adapters.discord.render import render_reply
from coalition_bot.bot import Bot
from coalition_bot.commands.registry import COMMANDS
from coalition_bot.commands.spec import OptionType
from coalition_bot.replies import Mention, Notice, Reply
from coalition_bot.rules.text import quote_arg

# TEXT options that are not free text: a recurrence, reminder offsets, an occurrence date,
# a time of day, a due time, a list of page sections.
STRUCTURED = {("meeting", "schedule", "every"), ("meeting", "schedule", "remind"),
              ("meeting", "update", "remind"), ("meeting", "cancel", "occurrence"),
              ("coalition", "digest on", "time"), ("meeting", "action edit", "due"),
              ("coalition", "page show", "what")}


def free_text_fields() -> set[tuple[str, str, str]]:
    return {(c.name, s.words, o.name) for c in COMMANDS.values() for s in c.subcommands
            for o in s.options if o.type is OptionType.TEXT} - STRUCTURED


def max_length(command: str, words: str, option: str) -> int:
    sub = COMMANDS[command].find(tuple(words.split()))
    assert sub is not None
    found = sub.option(option)
    assert found is not None
    return found.max_length


def payload(rotation: int, limit: int, *, no_pipe: bool = False) -> str:
    """As many pings as fit in `limit` characters, starting at the `rotation`-th."""
    pings = [p for p in PINGS if not (no_pipe and "|" in p)]
    words: list[str] = []
    for i in range(len(pings)):
        ping = pings[(rotation + i) % len(pings)]
        if len(" ".join([*words, ping])) > limit:
            break
        words.append(ping)
    return " ".join(words)


def scenario(r: int) -> tuple[list[tuple[str, str]], set[tuple[str, str, str]]]:
    """(who, line) for a coalition whose every free-text field carries pings (rotation
    `r` of them), then every command that shows them; and the fields it filled."""
    filled: set[tuple[str, str, str]] = set()

    def p(command: str, words: str, option: str, *, suffix: str = "", **kw: bool) -> str:
        filled.add((command, words, option))
        text = payload(r, max_length(command, words, option) - len(suffix) - 1, **kw)
        return f"{text} {suffix}".strip()

    def q(command: str, words: str, option: str, **kw: Any) -> str:
        return quote_arg(p(command, words, option, **kw))

    # people whose display names carry pings (on the console a person is their name)
    rep, coord = payload(r, 60) + " rep", payload(r + 3, 60) + " coord"
    role = q("role", "create", "name")
    choice_a, choice_b = (p("poll", "create", "choices", suffix=s, no_pipe=True)[-40:].strip()
                          for s in ("A", "B"))
    # references to the names above carry their pings too
    filled |= {("poll", "vote", "choice"), ("role", "assign", "role"),
               ("role", "unassign", "role"), ("role", "delete", "role")}
    spare_role = quote_arg(payload(r + 5, 50) + " spare")
    unwanted = p("topic", "propose-remove", "phrase", suffix="four")
    # a link code is only hashed, never stored or shown back (tests/test_linked_workspaces)
    filled.add(("coalition", "connect", "code"))
    # attendees are people, named like `rep` and `coord` below (whose names carry pings);
    # the scenario's meetings are still to come, so nobody can have attended yet
    filled.add(("meeting", "attended", "people"))
    lines = [
        ("Alice", f"coalition setup {q('coalition', 'setup', 'name')} UTC"),
        ("Alice", f"coalition org add {q('coalition', 'org add', 'name')}"),
        ("Alice", 'coalition org add "Plain Org"'),
        ("Alice", f"coalition rep add {quote_arg(rep)} #1"),
        ("Alice", f"coalition coordinator add {quote_arg(coord)}"),
        ("Alice", f"coalition goal add {p('coalition', 'goal add', 'text')}"),
        ("Alice", f"coalition goal update 1 in-progress {p('coalition', 'goal update', 'note')}"),
        ("Alice", f"meeting schedule {q('meeting', 'schedule', 'title')} \"2026-12-01 18:00\" "
                  f"every:weekly where:{q('meeting', 'schedule', 'where')}"),
        ("Alice", "meeting schedule Second \"2026-12-02 18:00\" remind:1h"),
        ("Alice", f"coalition update name:{q('coalition', 'update', 'name')} "
                  "timezone:Europe/Berlin"),
        ("Alice", f"meeting update 2 title:{q('meeting', 'update', 'title')} "
                  f"where:{q('meeting', 'update', 'where')}"),
        (rep, f"meeting agenda add 1 {p('meeting', 'agenda add', 'text')}"),
        ("Alice", f"meeting note 1 action {p('meeting', 'note', 'text')} "
                  f"owner:{quote_arg(rep)}"),
        ("Alice", f"meeting note 1 decision {p('meeting', 'note', 'text')}"),
        ("Alice", "meeting note 1 action Spare owner:Alice"),
        ("Alice", f"meeting action edit 2 text:{q('meeting', 'action edit', 'text')}"),
        ("Alice", f"meeting action reassign 2 {quote_arg(coord)}"),
        (rep, "meeting rsvp 1 yes"),
        ("Alice", f"role create {role} {p('role', 'create', 'description')}"),
        ("Alice", f"role assign {role} {quote_arg(rep)}"),
        ("Alice", f"role assign {role} {quote_arg(coord)}"),
        ("Alice", f"role unassign {role} {quote_arg(coord)}"),
        ("Alice", f"role create {spare_role}"),
        ("Alice", f"role delete {spare_role} confirm:yes"),
        ("Alice", f"poll create details:{q('poll', 'create', 'details')} "
                  f"{p('poll', 'create', 'question')}"),
        ("Alice", f"poll edit 1 question:{q('poll', 'edit', 'question', suffix='edited')} "
                  f"details:{q('poll', 'edit', 'details', suffix='edited')}"),
        ("Alice", f"poll create {p('poll', 'create', 'question')} electorate:members "
                  f"choices:{quote_arg(choice_a + '|' + choice_b)}"),
        (rep, f"poll vote 2 {quote_arg(choice_b)} {p('poll', 'vote', 'reason')}"),
        ("Alice", f"topic add {p('topic', 'add', 'phrase', suffix='one')} "
                  f"reason:{q('topic', 'add', 'reason')}"),
        ("Alice", f"topic add {p('topic', 'add', 'phrase', suffix='two')}"),
        ("Alice", f"topic remove {p('topic', 'remove', 'phrase', suffix='two')}"),
        (rep, f"topic propose {p('topic', 'propose', 'phrase', suffix='three')} "
              f"reason:{q('topic', 'propose', 'reason')}"),
        ("Alice", f"topic add {unwanted}"),
        (rep, f"topic propose-remove {unwanted}"),
        (coord, f"topic check {p('topic', 'check', 'text', suffix='one')}"),
        (rep, f"resource offer {p('resource', 'offer', 'text')} "
              f"tags:{q('resource', 'offer', 'tags')}"),
        ("Alice", f"resource ask {p('resource', 'ask', 'text')} "
                  f"tags:{q('resource', 'ask', 'tags')} org:#2"),
        (rep, f"resource take 2 {p('resource', 'take', 'note')}"),
        ("Alice", f"resource list all tag:{q('resource', 'list', 'tag')}"),
        ("Alice", "resource match 1"), ("Alice", "resource list"),
        ("Alice", f"resource close 2 met {p('resource', 'close', 'note')}"),
        ("Alice", "coalition export resources json"),
        # everything that shows them, and the notices
        ("Alice", "coalition info"), ("Alice", "coalition org list"),
        ("Alice", "coalition goals"), ("Alice", "poll list all"), ("Alice", "poll status 1"),
        ("Alice", "poll status 2"), ("Alice", "poll remind 1"), ("Alice", "poll remind 2"),
        ("Alice", "poll close 2 confirm:yes"), ("Alice", "coalition log"),
        ("Alice", "coalition export decisions json"), ("Alice", "meeting list"),
        ("Alice", "meeting info 1"), ("Alice", "meeting info 2"), ("Alice", "meeting agenda 1"),
        ("Alice", "meeting minutes 1"), ("Alice", "meeting actions all"),
        ("Alice", "role list"), (rep, "role mine"), ("Alice", "role workload"),
        ("Alice", "topic list"), ("Alice", "poll status 3"),
        ("Alice", "coalition health"), ("Alice", "coalition digest on monday 09:00"),
        ("Alice", "coalition digest preview"),
        ("Alice", f"poll outcome 2 {p('poll', 'outcome', 'text')}"),
        ("Alice", f"poll withdraw 1 {p('poll', 'withdraw', 'reason')}"),
        ("Alice", "poll status 1"), ("Alice", "poll status 2"), ("Alice", "poll list all"),
        ("Alice", "coalition log"), ("Alice", "coalition export log"),
    ]
    return lines, filled


@pytest.mark.parametrize("rotation", range(0, len(PINGS), 3))
async def test_pings_in_every_free_text_field_and_name_ping_nobody(
        tmp_path: Path, rotation: int) -> None:
    lines, filled = scenario(rotation)
    assert filled == free_text_fields(), (
        "free-text options without an injection case: "
        f"{sorted(free_text_fields() - filled)}")
    bot = await Bot.open(tmp_path / "pings.db", clock=MovableClock())
    outlet = RecordingOutlet("console")
    bot.add_outlet(outlet)
    chat = Chat(bot, outlet)
    shown: list[Reply | Notice] = []
    try:
        for user, line in lines:
            reply = await chat.say(user, line)
            assert not reply.error, f"{line!r} failed: {reply.text}"
            shown.append(reply)
        shown += chat.notices
        assert outlet.private, "the scenario sent no direct message to check"
        shown += [notice for _, notice in outlet.private]  # direct messages too
    finally:
        await bot.close()
    for item in shown:
        problems = render_problems(item)
        assert not problems, f"{text_of(item) if isinstance(item, Reply) else item}: {problems}"
    everything = "\n".join(text_of(i) if isinstance(i, Reply) else
                           "\n".join([i.title, i.text, *(f.value for f in i.fields)])
                           for i in shown)
    for ping in PINGS:  # the pings did reach the output the renderers had to make safe
        assert ping.lstrip("@") in everything, ping


def test_the_checks_catch_a_ping() -> None:
    """The checks above are not vacuous: raw pings, loose allowed_mentions and mentions
    nobody intended are all reported."""
    assert slack_problems({"text": "<!channel> hi"})
    assert slack_problems({"blocks": [{"type": "section", "text": {"text": "<@U0BOB>"}}]})
    assert not slack_problems({"text": "<@U0BOB>"}, intended=["U0BOB"])
    assert not slack_problems({"text": "home: <#C0HOME>"})  # a channel link pings nobody
    assert slack_problems({"text": "<#C0HOME|x> <!subteam^S1>"})
    assert slack_problems({"text": "x", "link_names": True})
    assert discord_problems({"content": "@everyone", "allowed_mentions": {"parse": []}})
    assert discord_problems({"content": "x", "allowed_mentions": {"parse": ["everyone"]}})
    assert discord_problems({"content": "<@1>", "allowed_mentions": {"parse": [],
                                                                     "users": [1]}})
    assert discord_problems({"embeds": [{"description": "<@&123456789012345678>"}],
                             "allowed_mentions": {"parse": []}})
    assert discord_problems({"content": "x"})  # no allowed_mentions: Discord's default
    assert not discord_problems({"content": "<@1>", "allowed_mentions": {
        "parse": [], "users": [1]}}, intended=[1])
    # and the real renderers pass them for a plain reply and a pinging notice
    assert not discord_problems(discord_body(render_reply(Reply(text="@everyone"))))
    notice = Notice(1, "Vote", "@here", mentions=(Mention("discord", "5", "Chen"),
                                                   Mention("slack", "U0CHEN", "Chen")))
    assert render_problems(notice)  # mentions nobody said were intended
    assert not render_problems(notice, slack_users=["U0CHEN"], discord_users=[5])


# --- Slack, end to end -----------------------------------------------------------------

# How pings arrive in a Slack command's text: typed `@channel` comes as markup, a typed
# literal `<!here>` as entities, a mention of a person as `<@U…|name>`, a user group as
# `<!subteam^…>`; plain `@everyone` stays text.
SLACK_TYPED = ("<!channel> <!here|here> <!everyone> <!subteam^S0TEAM|@team> "
               "&lt;!here&gt; &lt;@U0ALICE&gt; &lt;@&amp;123456&gt; @everyone @here "
               "<@U0ALICE|alice>")
EVIL = User("U0EVIL", "<!channel> @everyone <@U0ALICE>")  # users.info display name
EVIL_MENTION = "<@U0EVIL|evil>"  # as Slack sends a mention: the handle, not the name


async def test_pings_typed_on_slack_ping_nobody(slack: Workspace) -> None:
    slack.fake.users[EVIL.id] = EVIL.name
    ws, t = slack, SLACK_TYPED
    steps = [
        (ALICE, "/coalition", f'setup "{t[:70]}" UTC'),
        (ALICE, "/coalition", f'org add "{t[:70]}"'),
        (ALICE, "/coalition", 'org add "Plain Org"'),
        (ALICE, "/coalition", f"rep add {EVIL_MENTION} #1"),
        (ALICE, "/coalition", f"rep add {BOB.mention} #2"),
        (ALICE, "/coalition", f"goal add {t}"),
        (EVIL, "/coalition", f"goal update 1 blocked {t}"),
        (ALICE, "/meeting", f'schedule "{t[:110]}" "2026-12-01 18:00" where:"{t}"'),
        (EVIL, "/meeting", f"agenda add 1 {t}"),
        (ALICE, "/meeting", f"note 1 action {t} owner:{EVIL_MENTION}"),
        (EVIL, "/meeting", "rsvp 1 yes"),
        (ALICE, "/role", f'create "{t[:55]}" {t}'),
        (ALICE, "/role", f'assign "{t[:55]}" {EVIL_MENTION}'),
        (ALICE, "/poll", f"create {t}"),
        (EVIL, "/poll", f"vote 1 agree {t}"),
        (ALICE, "/topic", f'add {t[:90]} reason:"{t}"'),
        (ALICE, "/coalition", "info"), (ALICE, "/coalition", "org list"),
        (ALICE, "/coalition", "goals"), (ALICE, "/poll", "status 1"),
        (ALICE, "/poll", "remind 1"), (ALICE, "/poll", "close 1 confirm:yes"),
        (ALICE, "/coalition", "log"), (ALICE, "/meeting", "info 1"),
        (ALICE, "/meeting", "agenda 1"), (ALICE, "/meeting", "actions all"),
        (ALICE, "/role", "list"), (EVIL, "/role", "mine"), (ALICE, "/role", "workload"),
        (ALICE, "/topic", "list"), (CHEN, "/coalition", "info"),
    ]
    for user, command, text in steps:
        answer = await ws.run(user, command, text)
        assert ":warning:" not in answer["text"], f"{command} {text}: {answer['text']}"
    await ws.ok(ALICE, "/coalition", "info")  # notices posted before this answer
    await ws.fake.wait_for(lambda: len(ws.fake.to("chat.postMessage")) >= 3)
    sent = [c for c in ws.fake.calls
            if c.method.startswith("response_url:") or c.method.startswith("chat.")]
    assert len(sent) >= len(steps)
    for call in sent:
        # only the reminder pings, and only the representative who has not voted (Bob)
        intended = [BOB.id] if call.method == "chat.postMessage" else []
        problems = slack_problems(call.body, intended) + slack_limit_problems(call.body)
        assert not problems, f"{call.method}: {problems}\n{call.dump()[:600]}"
    reminder = next(c for c in ws.fake.to("chat.postMessage") if "Reminder" in c.dump())
    assert f"<@{BOB.id}>" in reminder.dump()  # the one ping meant
    shown = "\n".join(c.dump() for c in sent)
    assert "&lt;!channel&gt; @everyone &lt;@U0ALICE&gt;" in shown  # EVIL's name, harmless
    assert "@channel" in shown
    assert "&lt;!here&gt;" in shown


# --- Discord, end to end ---------------------------------------------------------------

DISCORD_TYPED = ("@everyone @here <@&123456789012345678> <@&123456> "
                 "<@!223456789012345678> <@223456789012345678> <!channel> <!here>")
D_EVIL = Person(500000000000000666, "@everyone <@&123456789012345678> @here")


def _bodies(world: World) -> list[tuple[str, dict[str, Any]]]:
    """(what, message body) of everything the bot sent: interaction answers, edits and
    follow-ups, channel posts and direct messages."""
    found = []
    for call in world.fake.calls:
        body = call.body
        if not isinstance(body, dict):
            continue
        if call.path.startswith("/interactions/") and body.get("type") in (4, 7):
            found.append((f"{call.method} {call.path}", body["data"]))
        elif call.path.startswith(("/webhooks/", "/channels/")) and call.method in (
                "POST", "PATCH"):
            found.append((f"{call.method} {call.path}", body))
    return found


async def test_pings_typed_on_discord_ping_nobody(world: World) -> None:
    t = DISCORD_TYPED
    await world.ok("coalition setup", name=t[:70], timezone="UTC")
    await world.ok("coalition org add", name=t[:70])
    await world.ok("coalition org add", name="Plain Org")
    await world.ok("coalition rep add", user=D_EVIL, org="#1")
    await world.ok("coalition rep add", user=D_BOB, org="#2")
    await world.ok("coalition goal add", text=t)
    await world.ok("coalition goal update", goal="1", status="blocked", note=t, by=D_EVIL)
    await world.ok("meeting schedule", title=t[:110], when="2026-12-01 18:00", where=t)
    await world.ok("meeting agenda add", meeting="1", text=t, by=D_EVIL)
    await world.ok("meeting note", meeting="1", kind="action", text=t, owner=D_EVIL)
    await world.ok("meeting rsvp", meeting="1", answer="yes", by=D_EVIL)
    await world.ok("role create", name=t[:55], description=t)
    await world.ok("role assign", role=t[:55], user=D_EVIL)
    await world.ok("poll create", question=t)
    await world.ok("poll vote", poll="1", choice="agree", reason=t, by=D_EVIL)
    await world.ok("topic add", phrase=t[:90], reason=t)
    for words in ("coalition info", "coalition org list", "coalition goals", "poll list",
                  "meeting list", "meeting actions", "role list", "role workload",
                  "topic list"):
        await world.ok(words)
    await world.ok("poll status", poll="1")
    await world.ok("poll remind", poll="1")
    await world.ok("poll close", poll="1", confirm="yes")
    await world.ok("coalition log show")
    await world.ok("meeting info", meeting="1")
    await world.ok("meeting agenda show", meeting="1")
    await world.ok("role mine", by=D_EVIL)
    await world.bot.drain()
    sent = _bodies(world)
    assert len(sent) >= 30
    for what, body in sent:
        # only the reminder pings, and only the representative who has not voted (Bob)
        intended = [D_BOB.id] if what.startswith("POST /channels/") else []
        problems = discord_problems(body, intended) + discord_limit_problems(body)
        assert not problems, f"{what}: {problems}\n{json.dumps(body)[:600]}"
    reminder = next(b for w, b in sent if w.startswith("POST /channels/") and b.get("content"))
    assert reminder["content"] == f"<@{D_BOB.id}>"
    assert {int(u) for u in reminder["allowed_mentions"]["users"]} == {D_BOB.id}
    assert D_ALICE.id not in {int(u) for _, b in sent
                              for u in (b.get("allowed_mentions") or {}).get("users", [])}
    shown = "\n".join(json.dumps(b, ensure_ascii=False) for _, b in sent)  # escaped pings
    for escaped in ("@\u200beveryone", "@\u200bhere", "<@\u200b&123456789012345678>",
                    "<@\u200b!223456789012345678>", "<@\u200b223456789012345678>"):
        assert escaped in shown, escaped


async def test_pings_in_deferred_discord_answers_ping_nobody(tmp_path: Path) -> None:
    """Answers later than `respond_within` go out as an edit of the "thinking" message, or
    (an error after a public deferral) as a follow-up: the same checks hold there."""
    t = DISCORD_TYPED
    async with World.open(tmp_path, respond_within=0.05) as slow:
        await slow.coalition()
        await slow.ok("poll create", question=t)
        start = len(slow.fake.calls)
        for words, options in (("coalition goal add", {"text": t}),  # an edit, public
                               ("coalition org add", {"name": t[:70], "by": D_BOB})):  # error
            async with slow.bot.db.transaction():  # the bot cannot answer in time
                pushed = asyncio.create_task(slow.command(words, **options))
                await slow.fake.wait_for(lambda since=start: [
                    c for c in slow.fake.find("POST", "/interactions/", since)
                    if c.body["type"] == 5])
            answer = await pushed
            assert answer.type == 5
            assert answer.message is not None
            start = len(slow.fake.calls)
        late = [(f"{c.method} {c.path}", c.body) for c in slow.fake.calls
                if c.path.startswith("/webhooks/") and c.method in ("PATCH", "POST")]
        assert {what.split()[0] for what, _ in late} == {"PATCH", "POST"}
        for what, body in late:
            problems = discord_problems(body) + discord_limit_problems(body)
            assert not problems, f"{what}: {problems}"
