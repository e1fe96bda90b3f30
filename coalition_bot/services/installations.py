"""When a workspace removes the bot: tell the coalition's other workspaces.

Its tokens are deleted by the caller in the same transaction; the coalition's data
(binding, people, votes, decisions) stays, so reinstalling brings the workspace back.
"""

from __future__ import annotations

from datetime import datetime

from coalition_bot.replies import Notice
from coalition_bot.services.delivery_kinds import NOTICE_KEEP, home_targets, notice_to_json
from coalition_bot.store import coalitions as coalition_sql
from coalition_bot.store import coordination
from coalition_bot.store import deliveries as delivery_sql
from coalition_bot.store.database import Conn

__all__ = ["announce_departure", "departure_notice"]

PLATFORM_NAMES = {"slack": "Slack", "discord": "Discord"}


def departure_notice(coalition_id: int, platform: str, name: str) -> Notice:
    where = PLATFORM_NAMES.get(platform, platform)
    return Notice(
        coalition_id=coalition_id,
        title=f"The {where} workspace {name} removed the bot",
        text=(f"The {where} workspace {name} uninstalled the app (or revoked its token), "
              f"so its members no longer get this coalition's notices and cannot run "
              f"commands. Nothing of the coalition was deleted: its organizations, "
              f"people, polls and decisions stay, and installing the app there again "
              f"brings the workspace back."))


async def announce_departure(conn: Conn, platform: str, workspace_id: str, name: str,
                             now: datetime) -> int:
    """Queue a notice to the home channels of every other workspace of the coalition
    that `workspace_id` is bound to; how many delivery rows were written."""
    binding = await coalition_sql.find_binding(conn, platform, workspace_id)
    if binding is None:
        return 0
    notice = departure_notice(binding.coalition_id, platform, name or workspace_id)
    targets = [t for t in await home_targets(conn, binding.coalition_id)
               if (t.platform, t.workspace_id) != (platform, workspace_id)]
    if not targets:
        return 0
    notice_id = await delivery_sql.add_notice(conn, binding.coalition_id,
                                              notice_to_json(notice), now)
    rows = 0
    for target in targets:
        rows += await delivery_sql.create(
            conn, coalition_id=binding.coalition_id, kind="notice", subject_id=notice_id,
            occurrence="", offset_min=0, platform=target.platform,
            workspace_id=target.workspace_id, target=target.key, due_at=now,
            expires_at=now + NOTICE_KEEP, status="pending", now=now)
    await coordination.announce_due(conn)  # other processes send it at once
    return rows
