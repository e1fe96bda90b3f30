""""Are you sure?" on Slack: each irreversible act asks first, privately, and its
button runs the confirmed command as the clicking user."""

from __future__ import annotations

import pytest
import slack_harness as sl

SLACK_ACTS = {
    "close": (["/poll create Go?"], "/poll close 1", "ALICE", "Close poll #1 now",
              "You closed poll #1: no quorum."),
    "org": ([], '/coalition org remove "Climate Now"', "ALICE", "Remove Climate Now",
            "Climate Now left the coalition"),
    "role": (["/role create Host"], "/role delete Host", "ALICE", "Delete Host",
             "Role Host removed"),
    "coordinator": (["/coalition coordinator add <@U0CHEN>"],
                    "/coalition coordinator remove <@U0CHEN>", "ALICE", "Remove Chen",
                    "Chen is no longer a coordinator."),
    "anonymous": (["/poll create Go? anonymous:yes"], "/poll vote 1 agree", "BOB",
                  "Vote agree", "Recorded Tenants United's vote"),
}


@pytest.mark.parametrize("act", SLACK_ACTS)
async def test_each_confirmation_on_slack(coalition: sl.Workspace, act: str) -> None:
    before, line, who, label, done_text = SLACK_ACTS[act]
    user = getattr(sl, who)
    for step in before:
        command, text = step.split(" ", 1)
        await coalition.ok(sl.ALICE, command, text)
    command, text = line.split(" ", 1)
    asked = await coalition.ok(user, command, text)
    assert asked["response_type"] == "ephemeral"
    assert "Nothing has changed yet." in sl.text_of(asked)
    answer = await coalition.click(user, sl.buttons_of(asked)[label])
    assert done_text in sl.text_of(answer)
