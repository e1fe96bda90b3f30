"""/resource on Slack: typed commands, and the buttons for match, take and close, through
the real bolt app and the fake Slack; private notices arrive as direct messages."""

from __future__ import annotations

from slack_harness import ALICE, BOB, CHEN, HOME, Workspace, buttons_of, text_of


async def test_offer_ask_match_take_and_close_with_buttons(coalition: Workspace) -> None:
    await coalition.ok(ALICE, "/coalition", f'rep add {CHEN.mention} "Climate Now"')
    asked = await coalition.ok(CHEN, "/resource",
                               "ask Spanish canvassers for Saturday tags:spanish,canvass")
    assert asked["response_type"] == "ephemeral"
    assert "Ask #1 posted for Climate Now" in text_of(asked)
    await coalition.ok(BOB, "/resource", "offer Volunteers who canvass in Spanish tags:spanish")
    listed = text_of(await coalition.ok(ALICE, "/resource", "list"))
    assert "Offer #2" in listed
    assert "Ask #1" in listed
    assert "spanish (2)" in listed

    found = await coalition.click(CHEN, buttons_of(asked)["Find matches"])
    assert "Offer #2 of Tenants United: score 4" in text_of(found)
    use = buttons_of(found)["Use offer #2"]
    assert use["value"] == "resource take 2"
    taken = await coalition.click(CHEN, use)
    assert taken["response_type"] == "ephemeral"
    assert "Climate Now will use Tenants United's offer #2" in text_of(taken)

    # Bob is told privately (his direct messages), the home channel once
    dm = await coalition.fake.wait_for(lambda: [c for c in coalition.fake.to("chat.postMessage")
                                                if c.body["channel"] == "D0BOB"])
    assert [c.body["users"] for c in coalition.fake.to("conversations.open")] == [BOB.id]
    assert "Climate Now will use your offer #2" in text_of(dm[0].body)
    home = [c for c in coalition.fake.to("chat.postMessage") if c.body["channel"] == HOME
            and "will use" in text_of(c.body)]
    assert len(home) == 1
    close = buttons_of(dm[0].body)["Close as met"]
    assert close["value"] == "resource close 2 met"
    refused = await coalition.click(CHEN, close)  # not Chen's organization's offer
    assert refused["text"].startswith(":warning:")
    assert "only its representatives or a coordinator close it" in text_of(refused)
    closed = await coalition.click(BOB, close, channel="D0BOB")
    assert "Offer #2 closed as met" in text_of(closed)
    listed = text_of(await coalition.ok(ALICE, "/resource", "list offers"))
    assert "Offer #2" not in listed


async def test_a_member_cannot_post_on_slack(coalition: Workspace) -> None:
    denied = await coalition.run(CHEN, "/resource", "offer A meeting hall")
    assert denied["response_type"] == "ephemeral"
    assert "is for representatives; you are a member here" in text_of(denied)
