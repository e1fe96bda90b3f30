"""The Discord front door (discord.py 2.x): slash commands built from the command specs,
replies as embeds, buttons that carry their command, forms, autocomplete, notices.

`coalition-bot run` calls `build(bot, config.discord)` and then `start()` / `stop()`;
`coalition-bot discord-sync` registers the commands (`sync.py`).

In detail:

`adapters/discord/` only translates, like the others: an interaction becomes one
`Invocation` (workspace = guild id, the member's id and display name); a slash command
gives `command`, `path` and raw `args` (a USER value as `<@id>`, its display name in
`user_names`), a button or `help` gives a `line`.

- **The tree is built from the specs** (`tree.py`), never written by hand: a group per
  command, a nested group per two-word path, option types mapped (TEXT/TIME/DATE/…
  → string with `max_length`, INTEGER → integer with bounds, CHOICE → choices, BOOL →
  boolean, USER → user, NUMBER/ORG/TIMEZONE → string with autocomplete). Discord cannot
  have a command and a group of one name, so a one-word path that starts a two-word one
  becomes `show` in that group (`/meeting agenda show`); each group gets `help`. A test
  holds every command to Discord's limits (25 options, 100-character descriptions,
  8000 characters per command). `coalition-bot discord-sync` registers the same tree.
- **Three seconds.** The bot gets `respond_within` (2 s) to answer; past that the
  interaction is deferred (ephemeral when the answer is expected private) and the answer
  edits the "thinking" message in. If the answer has the other visibility (an error after
  a public deferral) the thinking message is deleted and the answer follows privately.
- **Buttons are commands.** custom_id is `cb:` + the command line; one `DynamicItem`
  (`CommandButton`), registered in `setup_hook`, routes every click by custom_id alone,
  so buttons work after a restart, and a click runs as the clicking user, in the
  coalition of the server it was clicked in. A button sent by direct message (an action
  item's "Mark done") names its server instead: `cb@GUILD:meeting done 4`. Discord caps
  custom_id at 100 characters: a longer line gets no button, the embed lists the command
  to type instead, and the adapter logs it.
- **Forms** (`form=True` subcommands run with no options) are modals built from the spec:
  required options, then free text and times, up to four fields, and a fifth, *More
  options*, read as `name:value` with the grammar's tokenizer. They keep no state: the
  modal's custom_id names the command (`cbf:poll create`), the submission is read from the
  interaction (`on_interaction`), so a form opened before a restart still works.
- **Autocomplete** asks `services.suggest` (platform-neutral: `(label, value)` pairs for
  a kind of value in the caller's coalition only) within the same time budget.
- **Output** (`render.py`): a reply is an embed (red for errors), ephemeral when private;
  text is escaped for Markdown and mentions, except the core's `code spans`.
  `allowed_mentions` is none everywhere; a notice pings exactly its Discord `mentions`,
  listed in the message content. A `When` becomes
  `<t:UNIX:F> (<t:UNIX:R>; 18:00 America/New_York)`, so each reader sees their own local
  time beside the coalition's (titles and field names, where Discord shows no
  timestamps, read as on the console). Files become `discord.File`.
- **Notices** go to the home channel by REST (`get_partial_messageable(id).send`), private
  ones and topic nudges by DM (`create_dm`). Channel messages arrive only with
  `[discord] message_content = true` (the privileged intent; otherwise the bot asks for no
  message events) and go to `Bot.on_message`; the message cache is off, so no text is kept.
- **Shards.** `[discord] shard_count` makes the client a `ShardedCoalitionClient`
  (ours plus discord.py's `AutoShardedClient`, `client.make_client`), running
  `shard_ids` or all of them; nothing else changes, since interactions are answered by
  REST and every shard's events reach the same handlers. The fake gateway routes each
  server's events to its shard's connection, so a shard not connected would be seen.
- **Where Discord is.** `[discord] api_base` sets `discord.http.Route.BASE` (REST, interaction
  callbacks, webhooks) and `gateway_url` sets `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`;
  both are process-wide class attributes that discord.py does not document, set at
  `start()` and restored at `stop()`. They are the only undocumented discord.py attributes
  the code touches; `tests/fake_discord.py` (a recording fake REST API and gateway, payload
  builders, a `World` fixture) saves and restores the same two and nothing else: every
  interaction and message reaches the real client over the fake gateway.
"""

from __future__ import annotations

from coalition_bot.adapters.discord.adapter import DiscordAdapter
from coalition_bot.bot import Bot
from coalition_bot.config import DiscordConfig

__all__ = ["DiscordAdapter", "build"]


def build(bot: Bot, config: DiscordConfig) -> DiscordAdapter:
    """The Discord front door of `bot`, configured by `[discord]` of the config file."""
    return DiscordAdapter(bot, config)
