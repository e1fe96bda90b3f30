"""The bot's web pages: each coalition's page (`/c/SLUG`) and the calendar feeds
(`/c/SLUG/calendar.ics`, `/feed/TOKEN.ics`), with `[web] enabled`.

- **One server.** The routes go on Slack's aiohttp server when Slack runs over HTTP
  (`Bot.http_routes`, like /healthz), otherwise on the web server's own at `[web] host`
  and `port`. Nothing here needs Slack or Discord; `console --config` serves it too.
- **Read on every request.** A page is read from the database in one short transaction
  per request: turning a page off or rotating its address takes effect at once. An
  unknown address, a page turned off and a revoked feed all get the same plain 404.
- **Templates escape.** HTML comes from Jinja2 templates with autoescaping on, so text
  typed in a chat (a goal, a decision's question) is shown, never run. The page needs no
  JavaScript; a few lines show times in the reader's own zone (the coalition's zone is
  the fallback) and the Content-Security-Policy allows only those lines, by hash.
- **Caching.** Feeds carry a strong ETag (a hash of the bytes) and Last-Modified (when
  those bytes were first served, kept in the database by `services/feeds.py`, so every
  process and every restart agree), and answer 304 to a matching conditional request;
  pages and feeds are `Cache-Control: no-cache`, so a proxy asks again each time and a
  page turned off is gone at once.
- **Rate limit.** Each client address gets `[web] rate_limit` requests a minute (a token
  bucket); beyond it, 429 with Retry-After. Behind a reverse proxy, `behind_proxy = true`
  takes the address from X-Forwarded-For.
- **No secret in the log.** No access log is written: feed tokens and link slugs live
  in paths.
"""

from coalition_bot.web.server import WebServer

__all__ = ["WebServer"]
