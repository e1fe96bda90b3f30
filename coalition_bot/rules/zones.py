"""Which time zone a person means. Pure functions over the IANA database.

A coalition's zone must be a place, so that daylight saving follows the place: `EST` in
the IANA database is fixed at UTC-5 all year, and a July meeting typed as 18:00 would
land at 19:00 in New York. Common abbreviations are read as the place people mean by
them (`EST`, `EDT`, `ET` → America/New_York); ones that name several places (`IST`,
`BST`, `CET`) are refused with the candidates; zones that are not places (`localtime`,
`Factory`, `Etc/GMT+5`, `posix/…`) are refused. UTC stays allowed: a coalition spread
over continents may want no daylight saving at all.
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones

from coalition_bot.errors import UsageError

__all__ = ["ABBREVIATIONS", "AMBIGUOUS", "describe_zone", "geographic_zones", "resolve_zone"]

UTC_NAME = "UTC"

# abbreviation (any case) → the place people mean by it
ABBREVIATIONS: dict[str, str] = {
    **dict.fromkeys(("est", "edt", "et", "est5edt", "eastern"), "America/New_York"),
    **dict.fromkeys(("cst", "cdt", "ct", "cst6cdt", "central"), "America/Chicago"),
    **dict.fromkeys(("mst", "mdt", "mt", "mst7mdt", "mountain"), "America/Denver"),
    **dict.fromkeys(("pst", "pdt", "pt", "pst8pdt", "pacific"), "America/Los_Angeles"),
    **dict.fromkeys(("akst", "akdt"), "America/Anchorage"),
    **dict.fromkeys(("hst", "hast"), "Pacific/Honolulu"),
    **dict.fromkeys(("nst", "ndt"), "America/St_Johns"),
    **dict.fromkeys(("aest", "aedt"), "Australia/Sydney"),
    **dict.fromkeys(("acst", "acdt"), "Australia/Adelaide"),
    "awst": "Australia/Perth",
    **dict.fromkeys(("nzst", "nzdt"), "Pacific/Auckland"),
    "jst": "Asia/Tokyo", "kst": "Asia/Seoul", "hkt": "Asia/Hong_Kong",
    "sgt": "Asia/Singapore", "pkt": "Asia/Karachi", "msk": "Europe/Moscow",
    "sast": "Africa/Johannesburg", "eat": "Africa/Nairobi", "wat": "Africa/Lagos",
    "brt": "America/Sao_Paulo", "art": "America/Argentina/Buenos_Aires",
    **dict.fromkeys(("utc", "uct", "universal", "zulu", "z", "etc/utc", "etc/uct",
                     "etc/universal", "etc/zulu"), UTC_NAME),
}

# abbreviations that name several places → the candidates
AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "ist": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "bst": ("Europe/London", "Asia/Dhaka"),
    "gmt": ("UTC", "Europe/London"),
    "ast": ("America/Halifax", "America/Puerto_Rico", "Asia/Riyadh"),
    "cet": ("Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome", "Europe/Warsaw"),
    "eet": ("Europe/Athens", "Europe/Helsinki", "Europe/Kyiv", "Europe/Bucharest"),
    "wet": ("Europe/Lisbon", "Atlantic/Canary"),
}
for _summer, _winter in (("cest", "cet"), ("met", "cet"), ("mest", "cet"), ("eest", "eet"),
                         ("west", "wet"), ("gmt0", "gmt"), ("greenwich", "gmt"),
                         ("etc/gmt", "gmt"), ("etc/gmt0", "gmt"), ("etc/greenwich", "gmt"),
                         ("gmt+0", "gmt"), ("gmt-0", "gmt"), ("etc/gmt+0", "gmt"),
                         ("etc/gmt-0", "gmt")):
    AMBIGUOUS[_summer] = AMBIGUOUS[_winter]

_NOT_PLACES = {"localtime", "factory", "posixrules"}
_NOT_PLACE_PREFIXES = ("etc/", "posix/", "right/", "systemv/")
_ZONES: dict[str, str] = {}


def _is_place(zone: str) -> bool:
    key = zone.lower()
    return not (key in _NOT_PLACES or key in ABBREVIATIONS or key in AMBIGUOUS
                or key.startswith(_NOT_PLACE_PREFIXES))


def geographic_zones() -> dict[str, str]:
    """lower-cased name → IANA name, for every zone that is a place (and UTC)."""
    if not _ZONES:
        _ZONES.update({z.lower(): z for z in available_timezones() if _is_place(z)})
        _ZONES[UTC_NAME.lower()] = UTC_NAME
    return _ZONES


def resolve_zone(raw: str, label: str = "TIMEZONE") -> str:
    """The IANA zone `raw` means: a place (`America/New_York`, any case, spaces for `_`),
    a city alone when only one zone has it (`Chicago`), a common abbreviation (`CST`), or
    UTC. Ambiguous abbreviations and zones that are not places are a `UsageError`."""
    key = raw.strip().replace(" ", "_").lower()
    if key in ABBREVIATIONS:
        return ABBREVIATIONS[key]
    if key in AMBIGUOUS:
        raise UsageError(f"`{raw}` names more than one time zone: "
                         f"{', '.join(AMBIGUOUS[key])}.",
                         hint="Give the zone of your city, like Europe/London.")
    zones = geographic_zones()
    if key in zones:
        return zones[key]
    if key in {z.lower() for z in available_timezones()} or key in _NOT_PLACES:
        raise UsageError(f"`{raw}` is not the time zone of a place: its clocks do not follow "
                         "any place's daylight saving.",
                         hint="Give the zone of your city, like America/New_York, or UTC.")
    cities = [z for k, z in zones.items() if k.rsplit("/", 1)[-1] == key]
    if len(cities) == 1:
        return cities[0]
    close = cities or [zones[k] for k in difflib.get_close_matches(key, list(zones), n=1,
                                                                   cutoff=0.6)]
    hint = f" Did you mean {' or '.join(f'`{z}`' for z in close)}?" if close else ""
    raise UsageError(f"{label} must be a time zone name like America/New_York or "
                     f"Europe/Berlin, not `{raw}`.{hint}")


def describe_zone(zone: str, now: datetime) -> str:
    """`America/Chicago (now UTC-06:00; follows daylight saving)`, or `UTC`."""
    if zone == UTC_NAME:
        return UTC_NAME
    tz = ZoneInfo(zone)
    offset = now.astimezone(tz).strftime("%z")
    year = now.astimezone(tz).year
    offsets = {datetime(year, m, 1, tzinfo=UTC).astimezone(tz).utcoffset() for m in (1, 7)}
    dst = "follows daylight saving" if len(offsets) > 1 else "no daylight saving"
    return f"{zone} (now UTC{offset[:3]}:{offset[3:]}; {dst})"
