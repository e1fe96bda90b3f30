"""The Slack front door (slack-bolt, async): slash commands, Block Kit, buttons, modals,
over HTTP (`/slack/events`) or Socket Mode.

`build(bot, config)` reads the tokens from the environment variables that `[slack]` in
config.toml names, and refuses to go on without the ones the chosen transport needs.

In detail:

`adapters/slack/` only translates. A slash command, a button click and a form submission
each become one `Invocation` whose `line` is the command as text (`/cb-poll vote 1 agree`
→ `poll vote 1 agree`; the workspace is the team id); the commands registered are the
registry's, with the configured prefix.

- **Ack first, answer through `response_url`.** Answering inside the ack would save a
  round trip, but the ack must reach Slack within 3 s and a command's time is not ours
  to bound: a `users.info` lookup, a transaction waiting behind the scheduler on the one
  SQLite connection (5 s busy timeout), a file upload. A late ack shows an error for a
  command that did run, and the user runs it again; a round trip is invisible to a
  person, a duplicate poll is not. `response_url` also answers in channels the bot was
  never invited to. Bolt runs with `process_before_response=True` and each listener
  acks, hands the rest to a task of the adapter (`_spawn`, awaited by `stop()`) and
  returns, so the ack goes out at once; bolt's other mode polls for the ack every 10 ms,
  which made every ack 10-12 ms (bench/slack_latency.py: now ~1 ms, the bare-bolt floor
  ~0.5 ms). One aiohttp session, its connections kept alive, carries every Web API call
  and `response_url` POST (slack_sdk would open a session and a connection per call).
  The exception is a form submission: a modal shows input errors only through its ack,
  so the command is answered in the ack when it finishes within 2 s (an error keeps the
  form open, with the message under the input of the option the error names, or the
  first input); otherwise the form closes and
  the answer follows as a message.
- **Retries.** A global middleware, after bolt has verified the signature, remembers the
  last 2048 event ids and drops redeliveries (`X-Slack-Retry-Num`, or in Socket Mode
  `retry_attempt`, which bolt mirrors into that header); any other request marked as a
  retry (Slack does not retry commands or clicks) is acked and dropped, so no command runs
  twice.
- **Text.** Incoming Slack markup becomes plain text (`text.from_slack`: `<!channel>` →
  `@channel`, a link → its address, entities decoded; user mentions stay `<@U…>` for USER
  values, their display names from `users.info`, cached: 512 people, one hour). Outgoing,
  every text is escaped (`&`, `<`, `>`), titles and labels included, and `link_names` is
  never set; the only pings are a notice's mentions of Slack users with well-formed ids.
  A `When` becomes `<!date^UNIX^{date_short_pretty} at {time}|fallback>` in mrkdwn
  (the fallback, and headers and field names, read as on the console); a `CommandRef`
  gets the configured prefix (`/cb-poll vote`).
- **Titles** go in a `header` block, which Slack cuts at 150 characters; a longer title
  (a long poll question people vote on) goes in a section instead, whole.
- **Files** (exports, minutes, calendars) are uploaded with `files.uploadV2`, into the
  channel for a public reply and into the person's DM with the bot (`conversations.open`)
  for a private one, or when the bot may not post in the channel; not as snippets, which
  Block Kit's 3000-character sections would cut.
- **Notices** → `chat.postMessage` to the home channel (`chat:write.public` reaches a public
  one without an invitation); `post_private` → the person's DM. Channel messages
  (`message.channels`, `message.groups`) → `Bot.on_message`; its nudge is a
  `chat.postEphemeral` to the author. The text is never stored or logged.
- **Transports.** HTTP: our aiohttp server, one route (`POST /slack/events`), signatures
  checked by bolt; the adapter refuses to exist without a signing secret (in Socket Mode,
  where nothing is served, bolt gets a random one, never `""`). Socket Mode: bolt's
  `AsyncSocketModeHandler`. `start()` calls `auth.test` (and `apps.connections.open`) first,
  so a bad token stops the start with a clear message. `config.api_base` points the Web
  API client elsewhere, which is how `tests/slack/` (a recording fake Slack, signed
  requests, the real app on 127.0.0.1:0, one `coalition-bot run` process) works offline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coalition_bot.config import SlackConfig, secret

if TYPE_CHECKING:
    from coalition_bot.adapters.slack.app import SlackAdapter
    from coalition_bot.bot import Bot

__all__ = ["build"]


def build(bot: Bot, config: SlackConfig) -> SlackAdapter:
    """The Slack adapter for `bot`, with its secrets read from the environment."""
    from coalition_bot.adapters.slack.app import SlackAdapter

    if config.oauth:
        return _oauth(bot, config)
    bot_token = secret(config.bot_token_env, needed_for="the Slack front door")
    signing_secret = app_token = None
    if config.transport == "http":
        signing_secret = secret(config.signing_secret_env,
                                needed_for="Slack over HTTP (to verify that requests come "
                                           "from Slack)")
    else:
        app_token = secret(config.app_token_env, needed_for="Slack Socket Mode")
    return SlackAdapter(bot, config, bot_token=bot_token, signing_secret=signing_secret,
                        app_token=app_token)


def _oauth(bot: Bot, config: SlackConfig) -> SlackAdapter:
    """Many workspaces: the install flow's secrets, and the key tokens are kept under."""
    from coalition_bot.adapters.slack.app import SlackAdapter
    from coalition_bot.adapters.slack.oauth import OAuthSecrets
    from coalition_bot.tokens import TokenCipher

    mode = 'Slack with install = "oauth"'
    oauth = OAuthSecrets(
        client_id=secret(config.client_id_env, needed_for=f"{mode} (the app's client id)"),
        client_secret=secret(config.client_secret_env,
                             needed_for=f"{mode} (the app's client secret)"),
        state_secret=secret(config.state_secret_env,
                            needed_for=f"{mode} (to sign the install flow's state)"))
    bot.installations.unlock(TokenCipher(
        secret(config.token_key_env, needed_for=f"{mode} (to encrypt workspace tokens)"),
        env=config.token_key_env))
    signing_secret = secret(config.signing_secret_env,
                            needed_for="Slack over HTTP (to verify that requests come "
                                       "from Slack)")
    return SlackAdapter(bot, config, bot_token=None, signing_secret=signing_secret,
                        oauth=oauth)
