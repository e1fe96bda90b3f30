"""Slack text both ways, Block Kit rendering, and the app manifest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from coalition_bot.adapters.slack.manifest import BOT_EVENTS, BOT_SCOPES, manifest, to_yaml
from coalition_bot.adapters.slack.render import BLOCKS_MAX, Renderer, mention_text
from coalition_bot.adapters.slack.text import escape, from_slack, mentioned_users
from coalition_bot.cli import main
from coalition_bot.commands.registry import COMMANDS
from coalition_bot.config import ConfigError
from coalition_bot.replies import (
    Button,
    CommandRef,
    Field,
    Mention,
    Notice,
    Reply,
    Text,
    When,
    join,
)


def test_escape_neutralises_markup() -> None:
    assert escape("<!channel> & <@U123> > x") == "&lt;!channel&gt; &amp; &lt;@U123&gt; &gt; x"


@pytest.mark.parametrize(("raw", "plain"), [
    ("vote 1 agree", "vote 1 agree"),
    ("rep add <@U0BOB|bob> \"Tenants United\"", 'rep add <@U0BOB> "Tenants United"'),
    ("<!channel> march?", "@channel march?"),
    ("<!here|here> and <!everyone>", "@here and @everyone"),
    ("&lt;!here&gt; typed", "<!here> typed"),
    ("Rock &amp; roll &amp;lt;", "Rock & roll &lt;"),
    ("where:<https://meet.example/abc?a=1&amp;b=2>", "where:https://meet.example/abc?a=1&b=2"),
    ("<https://x.example|x.example> <mailto:a@b.org|a@b.org>", "https://x.example a@b.org"),
    ("<#C0HOME|home> <!subteam^S1|@partners>", "#home @partners"),
])
def test_from_slack(raw: str, plain: str) -> None:
    assert from_slack(raw) == plain


def test_from_slack_for_messages_names_mentions() -> None:
    assert from_slack("hi <@U0BOB|bob> <@U0ALICE>", keep_mentions=False) == "hi @bob @U0ALICE"


def test_mentioned_users() -> None:
    assert mentioned_users("<@U0BOB|bob> and <@W0ALICE> <!channel>") == {
        "U0BOB": "bob", "W0ALICE": ""}


def test_only_well_formed_slack_mentions_ping() -> None:
    mentions = (Mention("slack", "U0BOB", "Bob"), Mention("slack", "U0BOB", "Bob"),
                Mention("slack", "!channel", "everyone"), Mention("discord", "123", "Chen <3"))
    assert mention_text(mentions) == "<@U0BOB> @everyone @Chen &lt;3"


def test_reply_rendering() -> None:
    renderer = Renderer()
    message = renderer.reply(Reply(title="Poll #1: <b>", text="a & b", fields=(
        Field("x", "1", inline=True), Field("y", "2", inline=True), Field("Long", "z")),
        buttons=(Button("agree", "poll vote 1 agree", "primary"),
                 Button("other", "poll vote 1 other"))))
    kinds = [b["type"] for b in message["blocks"]]
    assert kinds == ["header", "section", "section", "section", "actions"]
    assert message["blocks"][0]["text"]["text"] == "Poll #1: &lt;b&gt;"
    assert message["blocks"][2]["fields"][1]["text"] == "*y*\n2"
    elements = message["blocks"][-1]["elements"]
    assert "style" not in elements[1]
    assert message["text"].startswith("Poll #1: &lt;b&gt;\na &amp; b")


def test_long_replies_fit_slack_limits() -> None:
    renderer = Renderer()
    message = renderer.reply(Reply(text="word " * 2000, fields=tuple(
        Field(f"f{i}", "v") for i in range(80)),
        buttons=tuple(Button(str(i), f"poll vote 1 {i}") for i in range(30))))
    blocks = message["blocks"]
    assert len(blocks) == BLOCKS_MAX
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert sum(len(b["elements"]) for b in blocks if b["type"] == "actions") == 30
    assert len(message["text"]) <= 3000


def test_a_prefix_shows_the_workspace_command_names() -> None:
    renderer = Renderer(COMMANDS, "cb-")
    text = ("Vote with " + CommandRef("poll vote #1 CHOICE") + "; see "
            + CommandRef("coalition help", code=False) + ". Not /poll typed by someone.")
    message = renderer.reply(Reply(title=Text(CommandRef("poll", code=False)), text=text))
    assert message["blocks"][0]["text"]["text"] == "/cb-poll"
    assert message["blocks"][1]["text"]["text"] == (
        "Vote with `/cb-poll vote #1 CHOICE`; see /cb-coalition help. Not /poll typed by "
        "someone.")


def test_times_are_slack_dates_with_the_coalitions_time_as_fallback() -> None:
    when = When(datetime(2026, 12, 1, 23, 0, tzinfo=UTC), "America/New_York")
    message = Renderer().notice(Notice(1, "Closes " + when, "Closes " + when + ".",
                                       fields=(Field("When", Text(when)),)))
    date = ("<!date^1796166000^{date_short_pretty} at {time}"
            "|Tue 1 Dec 2026, 18:00 (America/New_York)>")
    header, body, field = message["blocks"]
    assert header["text"]["text"] == "Closes Tue 1 Dec 2026, 18:00 (America/New_York)"
    assert body["text"]["text"] == f"Closes {date}."
    assert field["text"]["text"] == f"*When*\n{date}"
    assert message["text"].endswith("Closes Tue 1 Dec 2026, 18:00 (America/New_York).")


def test_a_long_text_is_never_cut_inside_a_slack_date() -> None:
    when = When(datetime(2026, 12, 1, 23, 0, tzinfo=UTC), "America/New_York")
    text = join(" ", ["x" * 40 + " " + when] * 60)
    message = Renderer().reply(Reply(text=text, fields=(Field("Due", text, inline=True),)))
    for block in message["blocks"]:
        for piece in [block.get("text") or {}, *block.get("fields", [])]:
            chunk = piece.get("text", "")
            assert chunk.count("<") == chunk.count(">")


def test_notice_rendering() -> None:
    message = Renderer().notice(Notice(1, "Reminder", "vote!", mentions=(
        Mention("slack", "U0BOB", "Bob"),)))
    assert message["blocks"][-1]["text"]["text"] == "<@U0BOB>"
    assert "<@U0BOB>" in message["text"]


# --- manifest --------------------------------------------------------------------------------


def test_manifest_for_http() -> None:
    data = manifest(COMMANDS, prefix="cb-", url="https://bot.example.org/")
    commands = data["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [f"/cb-{name}" for name in COMMANDS]
    endpoint = "https://bot.example.org/slack/events"
    assert {c["url"] for c in commands} == {endpoint}
    assert all(c["should_escape"] and len(c["description"]) <= 100
               and len(c["usage_hint"]) <= 100 for c in commands)
    settings = data["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["event_subscriptions"]["request_url"] == endpoint
    assert settings["event_subscriptions"]["bot_events"] == list(BOT_EVENTS)
    assert settings["interactivity"] == {"is_enabled": True, "request_url": endpoint}
    assert data["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)


def test_manifest_for_socket_mode() -> None:
    data = manifest(COMMANDS)
    assert data["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in data["settings"]["event_subscriptions"]
    assert all("url" not in c for c in data["features"]["slash_commands"])


@pytest.mark.parametrize(("prefix", "url"), [("CB-", None), ("a b", None),
                                             ("", "http://plain.example")])
def test_manifest_refuses_what_slack_would(prefix: str, url: str | None) -> None:
    with pytest.raises(ConfigError):
        manifest(COMMANDS, prefix=prefix, url=url)


def test_to_yaml() -> None:
    assert to_yaml({"a": {"b": [1, "x: y"], "c": True, "d": []},
                    "e": [{"f": "g", "h": "i"}]}) == (
        'a:\n  b:\n    - 1\n    - "x: y"\n  c: true\n  d: []\ne:\n  - f: "g"\n    h: "i"')


def test_slack_manifest_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["slack-manifest", "--prefix", "cb-", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == manifest(COMMANDS, prefix="cb-")
    assert main(["slack-manifest", "--url", "https://bot.example.org"]) == 0
    yaml = capsys.readouterr().out
    assert '  - command: "/coalition"' in yaml
    assert "  socket_mode_enabled: false" in yaml
    assert main(["slack-manifest", "--url", "http://insecure.example"]) == 2
    assert "https://" in capsys.readouterr().err


@pytest.mark.parametrize(("channel_id", "shown"), [
    ("C0HOME", "<#C0HOME>"),  # a link to the channel
    ("G0PRIVATE1", "<#G0PRIVATE1>"),
    ("console", "channel &lt;!here&gt;"),  # not a Slack id: the escaped text
    ("C0X>|<!here", "channel &lt;!here&gt;"),
    ("", "channel &lt;!here&gt;"),
])
def test_a_field_naming_a_channel_links_it_only_when_it_is_a_slack_id(
        channel_id: str, shown: str) -> None:
    message = Renderer().reply(Reply(fields=(
        Field("Home channel", "channel <!here>", inline=True, channel_id=channel_id),)))
    assert message["blocks"][0]["fields"][0]["text"] == f"*Home channel*\n{shown}"


def test_a_question_longer_than_a_header_is_shown_whole() -> None:
    question = "Should the coalition " + "really " * 30 + "join the May Day march & rally?"
    assert len(question) > 200
    message = Renderer().notice(Notice(1, f"Poll #1: {question}", "Vote with a button.",
                                       buttons=(Button("agree", "poll vote 1 agree"),)))
    shown = [b["text"]["text"] for b in message["blocks"] if b["type"] in ("header", "section")]
    assert shown[0] == escape(f"Poll #1: {question}")
    assert message["blocks"][0]["type"] == "section"
    short = Renderer().notice(Notice(1, "Poll #2: Lunch?", "Vote."))
    assert short["blocks"][0] == {"type": "header", "text": {
        "type": "plain_text", "text": "Poll #2: Lunch?", "emoji": True}}


def test_manifest_for_a_distributed_app(capsys: pytest.CaptureFixture[str]) -> None:
    data = manifest(COMMANDS, url="https://bot.example.org", distribution=True)
    assert data["oauth_config"]["redirect_urls"] == [
        "https://bot.example.org/slack/oauth_redirect"]
    events = data["settings"]["event_subscriptions"]["bot_events"]
    assert "app_uninstalled" in events
    assert "tokens_revoked" in events
    assert "redirect_urls" not in manifest(COMMANDS, url="https://bot.example.org")[
        "oauth_config"]
    assert main(["slack-manifest", "--distribution"]) == 2  # no --url: nowhere to redirect
    assert "--url" in capsys.readouterr().err


def test_the_distributed_manifest_meets_slacks_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    # Slack's published manifest schema (MIT, see data/LICENSE.slack-manifest-schema)
    schema = Path(__file__).resolve().parent / "data" / "manifest.schema.1.0.0.json"
    jsonschema.validate(manifest(COMMANDS, url="https://bot.example.org", distribution=True),
                        json.loads(schema.read_text(encoding="utf-8")))
