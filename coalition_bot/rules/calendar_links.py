""""Add to calendar" links: one event as a Google Calendar or Outlook address, and a
feed's https address as `webcal://` (which calendar apps open as a subscription)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

__all__ = ["google_link", "outlook_link", "webcal"]

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK = "https://outlook.live.com/calendar/0/deeplink/compose"


def _utc(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(microsecond=0)


def google_link(title: str, start: datetime, end: datetime, *, location: str = "",
                details: str = "") -> str:
    """Google Calendar's "create event" form, filled in (times in UTC, `Z`)."""
    dates = f"{_utc(start):%Y%m%dT%H%M%SZ}/{_utc(end):%Y%m%dT%H%M%SZ}"
    query = {"action": "TEMPLATE", "text": title, "dates": dates}
    if location:
        query["location"] = location
    if details:
        query["details"] = details
    return f"{GOOGLE}?{urlencode(query)}"


def outlook_link(title: str, start: datetime, end: datetime, *, location: str = "",
                 details: str = "") -> str:
    """Outlook on the web's compose form, filled in (ISO 8601 times in UTC)."""
    query = {"path": "/calendar/action/compose", "rru": "addevent", "subject": title,
             "startdt": _utc(start).isoformat().replace("+00:00", "Z"),
             "enddt": _utc(end).isoformat().replace("+00:00", "Z")}
    if location:
        query["location"] = location
    if details:
        query["body"] = details
    return f"{OUTLOOK}?{urlencode(query)}"


def webcal(url: str) -> str:
    """`https://host/x.ics` → `webcal://host/x.ics` (a subscription, not a download)."""
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            return "webcal://" + url[len(scheme):]
    return url
