"""The coalition's shared goals and their progress."""

from __future__ import annotations

from coalition_bot.errors import NotFound
from coalition_bot.model import GOAL_STATUSES, Goal, GoalUpdate
from coalition_bot.replies import CommandRef, Notice
from coalition_bot.rules.text import clean_line
from coalition_bot.services.context import Context
from coalition_bot.store import goals as goal_sql

__all__ = ["add_goal", "goal_board", "update_goal"]


async def add_goal(ctx: Context, text: str) -> Goal:
    """Record a shared goal, status `open`."""
    return await goal_sql.add_goal(ctx.conn, ctx.coalition.id, clean_line(text), GOAL_STATUSES[0],
                                   ctx.caller.person.id, ctx.now)


async def get_goal(ctx: Context, number: int) -> Goal:
    goal = await goal_sql.find_goal(ctx.conn, ctx.coalition.id, number)
    if goal is None:
        raise NotFound(f"There is no goal #{number} in this coalition.",
                       hint="See the goals with " + CommandRef("coalition goals") + ".")
    return goal


async def update_goal(ctx: Context, number: int, status: str, note: str) -> Goal:
    """Record dated progress on a goal and tell the home channel."""
    goal = await get_goal(ctx, number)
    note = clean_line(note)
    await goal_sql.add_goal_update(ctx.conn, goal.id, status, note, ctx.caller.person.id,
                                   ctx.now)
    who = ctx.caller.person.display_name
    ctx.notify(Notice(ctx.coalition.id, f"Goal #{goal.number} is now {status}",
                      f"{goal.text}\n{who}: {note}" if note else f"{goal.text}\n(by {who})"))
    return await get_goal(ctx, number)


async def goal_board(ctx: Context) -> list[tuple[Goal, list[GoalUpdate]]]:
    """Every goal with its progress updates, oldest first."""
    updates = await goal_sql.goal_updates(ctx.conn, ctx.coalition.id)
    return [(g, updates.get(g.id, [])) for g in await goal_sql.list_goals(ctx.conn,
                                                                           ctx.coalition.id)]
