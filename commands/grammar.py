"""The text grammar shared by Slack and the console.

A line is `[/]COMMAND SUBCOMMAND... VALUES...`. Values are positional, in option
order, or `name:value`; a value with spaces goes in double quotes (`"a b"`; curly
quotes from phones count too; `\\"` inside quotes is a literal quote). Free text (an
option that takes the rest of the line) keeps the quotes written inside it
(`Sign the "Homes for All" letter?`); only a value wholly in quotes loses them. A
`name:value` the command has no option for is refused, naming the options it takes,
even inside free text (`options:"yes,no"` for `choices:` must not end up in a poll's
question); a colon followed by a space (`Budget: approve`), a quoted `"a:b"` and web
addresses stay text. `help`
or `--help` anywhere asks for help instead of running the command.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from coalition_bot.commands.spec import Command, Option, OptionType, Subcommand
from coalition_bot.errors import CoalitionError, UsageError
from coalition_bot.replies import CommandRef, Text, join
from coalition_bot.rules.times import parse_duration
from coalition_bot.rules.zones import resolve_zone

__all__ = ["Parsed", "Token", "bind", "parse", "resolve", "suggest", "tokenize"]

# which characters close a quote opened by each opening character
_QUOTES = {'"': '"', "“": '”"', "”": '”"', "„": '“”"'}
_KEY = re.compile(r"^([a-z][a-z0-9_-]*):(.*)$", re.DOTALL)
# a line `tokenize` may split on whitespace alone: no quote of _QUOTES, no backslash
_PLAIN_LINE = re.compile(r'[^"“”„\\]*\Z')
_NUMBER = re.compile(r"^#?(\d{1,9})$")
_SCHEMES = frozenset({"mailto", "tel", "sms", "geo"})  # addresses without `//`
HELP_WORDS = ("help", "--help", "-h")
FLAG_HELP = ("--help", "-h")


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    quoted: bool = False  # some part was in quotes: never a subcommand or option name
    key: str = ""  # set for `name:value` tokens; `text` is then the value
    raw: str = field(default="", compare=False)  # as written, quotes kept (`key:` too)
    whole: bool = field(default=False, compare=False)  # one quoted run, nothing else


@dataclass(frozen=True, slots=True)
class Parsed:
    """A line matched to a command. `sub` is None, or `help` True, when help was asked."""

    command: Command | None
    sub: Subcommand | None
    values: dict[str, str]
    help: bool = False


def tokenize(line: str) -> list[Token]:
    """Split a line into words, honouring double quotes and `name:value` pairs."""
    if _PLAIN_LINE.match(line):  # no quote, no backslash: whitespace splits it (most lines)
        return [_plain_token(word) for word in line.split()]
    tokens: list[Token] = []
    buf: list[str] = []
    raw: list[str] = []
    quoted = False
    closing = ""  # non-empty while inside quotes: the characters that end them
    prefix_end = -1  # where the unquoted part before the first quote ended
    i = 0
    started = False
    while i < len(line):
        ch = line[i]
        if closing:
            if ch == "\\" and i + 1 < len(line) and line[i + 1] in '"\\':
                buf.append(line[i + 1])
                raw.append(line[i + 1])
                i += 2
                continue
            if ch in closing:
                closing = ""
            else:
                buf.append(ch)
            raw.append(ch)
        elif ch in _QUOTES:
            closing = _QUOTES[ch]
            quoted = started = True
            raw.append(ch)
            if prefix_end < 0:
                prefix_end = len(buf)
        elif ch.isspace():
            if started:
                tokens.append(_token("".join(buf), quoted, prefix_end, "".join(raw)))
            buf, raw, quoted, started, prefix_end = [], [], False, False, -1
        else:
            buf.append(ch)
            raw.append(ch)
            started = True
        i += 1
    if closing:
        raise UsageError("A double quote (\") was opened but never closed.",
                         hint='Put values with spaces in double quotes: "like this".')
    if started:
        tokens.append(_token("".join(buf), quoted, prefix_end, "".join(raw)))
    return tokens


@functools.lru_cache(maxsize=512)
def _plain_token(word: str) -> Token:
    """`_token` of an unquoted word (no quote character in it): `tokenize`'s fast path.
    Tokens are frozen, so the last 512 words' (command and subcommand names, numbers,
    choices) are made once."""
    if ":" in word:
        return _token(word, False, -1, word)
    return Token(word, False, raw=word)


def _token(text: str, quoted: bool, prefix_end: int, raw: str) -> Token:
    unquoted_head = text if prefix_end < 0 else text[:prefix_end]
    match = _KEY.match(unquoted_head)
    whole = quoted and prefix_end == 0 and len(raw) == len(text) + 2
    if match and not match[2].startswith("//"):  # `https://...` is a value, not a key
        key = match[1]
        return Token(text[len(key) + 1:], quoted, key, raw)
    return Token(text, quoted, raw=raw, whole=whole)


def suggest(word: str, candidates: Sequence[str]) -> str:
    """` Did you mean X?` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(word.lower(), list(candidates), n=1, cutoff=0.5)
    return f" Did you mean `{close[0]}`?" if close else ""


def _find_command(commands: Mapping[str, Command], word: str) -> Command:
    name = word.lstrip("/").lower()
    if name in commands:
        return commands[name]
    names = [CommandRef(n, code=False) for n in commands]
    owners = [c.name for c in commands.values() if any(s.path[0] == name for s in c.subcommands)]
    close = difflib.get_close_matches(name, list(commands), n=1, cutoff=0.5)
    hint = (" Did you mean " + CommandRef(f"{owners[0]} {name}") + "?" if owners
            else " Did you mean " + CommandRef(close[0]) + "?" if close else "")
    raise UsageError(
        f"There is no command `/{name}`." + hint,
        hint="Commands: " + join(", ", names) + ". Type `help` for more.",
    )


def _match_sub(command: Command, words: list[str], typed: str) -> tuple[Subcommand, int]:
    """The longest subcommand path that starts the (plain) words; how many words it used.

    `typed` is what the user wrote there, for the error message.
    """
    lowered = [w.lower() for w in words]
    best: tuple[Subcommand, int] | None = None
    for sub in command.subcommands:
        n = len(sub.path)
        if tuple(lowered[:n]) == sub.path and (best is None or n > best[1]):
            best = (sub, n)
    if best is not None:
        return best
    choices = [s.words for s in command.subcommands]
    starting = [s.words for s in command.subcommands if lowered and s.path[0] == lowered[0]]
    if not starting and lowered:  # `in` → `info`, `invite`: the start of a subcommand
        starting = [c for c in choices if len(lowered[0]) >= 2 and c.startswith(lowered[0])]
    if typed.lower() in choices:
        hint = " Write subcommand words without quotes or `name:`."
    elif starting:
        named = [f"`{c}`" for c in starting]
        listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} or {named[-1]}"
        hint = f" Did you mean {listed}?"
    else:
        hint = suggest(typed, choices)
    raise UsageError(
        CommandRef(command.name) + f" has no subcommand `{typed}`.{hint}",
        hint=f"Subcommands: {', '.join(choices)}. Try " + CommandRef(f"{command.name} help")
        + ".",
    )


def _plain(token: Token, words: tuple[str, ...]) -> bool:
    return not token.quoted and not token.key and token.text.lower() in words


def parse(line: str, commands: Mapping[str, Command]) -> Parsed:
    """Match a text line to a command, subcommand and raw values (not yet typed).

    Help is asked by `--help` or `-h` anywhere, or by `help` in place of the command, of
    the subcommand, or of all the values (`help poll`, `poll help vote`, `poll vote help`);
    elsewhere `help` is an ordinary word (`goal add Help tenants stay housed`).
    """
    tokens = tokenize(line)
    wants_help = any(_plain(t, FLAG_HELP) for t in tokens)
    tokens = [t for t in tokens if not _plain(t, FLAG_HELP)]
    if tokens and _plain(tokens[0], ("help", "/help")):
        wants_help = True
        tokens = [t for t in tokens[1:] if not _plain(t, ("help",))]
    if not tokens:
        return Parsed(None, None, {}, help=True)
    command = _find_command(commands, tokens[0].text)
    rest = tokens[1:]
    if rest and _plain(rest[0], ("help",)):
        wants_help = True
        rest = rest[1:]
    if not rest:
        return Parsed(command, None, {}, help=True)
    words = []
    for token in rest:
        if token.quoted or token.key:
            break
        words.append(token.text)
    typed = " ".join(words[:2]) if words else rest[0].text
    if wants_help:
        try:
            sub, _ = _match_sub(command, words, typed)
        except UsageError:
            return Parsed(command, None, {}, help=True)
        return Parsed(command, sub, {}, help=True)
    sub, used = _match_sub(command, words, typed)
    values = rest[used:]
    if len(values) == 1 and _plain(values[0], ("help",)):  # `poll vote help`
        return Parsed(command, sub, {}, help=True)
    return Parsed(command, sub, _assign(command, sub, values))


def _assign(command: Command, sub: Subcommand, tokens: list[Token]) -> dict[str, str]:
    """Give each value its option: `name:value` by name, the others by position."""
    values: dict[str, str] = {}
    positional: list[Token] = []
    for token in tokens:
        if token.key and sub.option(token.key) is not None:
            if token.key in values:
                raise UsageError(f"`{token.key}` is given twice.",
                                 hint="Usage: " + command.usage(sub), option=token.key)
            values[token.key] = token.text
        elif token.key and (not _takes_free_text(sub, values)
                            or _misspelled_option(token.key, sub)
                            or _option_shaped(token)):
            names = [o.name for o in sub.options]
            in_text = _takes_free_text(sub, values)
            close = in_text and _misspelled_option(token.key, sub)
            hint = f" Did you mean `{close}:`?" if close else suggest(token.key, names)
            takes = (" It takes " + ", ".join(f"`{n}:`" for n in names) + "."
                     if names else " It takes no options.")
            as_text = (f" To write `{token.key}:` as text, put it in double quotes."
                       if in_text else "")
            raise UsageError(
                CommandRef(command.usage(sub).split(" [")[0].removeprefix("/"))
                + f" has no option `{token.key}`.{hint}{takes}",
                hint="Usage: " + command.usage(sub) + as_text,
            )
        else:
            positional.append(token)
    free = [o for o in sub.options if o.name not in values and not o.keyword_only]
    for option in free:
        if not positional:
            break
        if option.rest:
            values[option.name] = _free_text(positional)
            positional = []
        else:
            values[option.name] = positional.pop(0).text
    if positional:
        extra = " ".join(t.text for t in positional)
        raise UsageError(
            "Too many values for " + CommandRef(f"{command.name} {sub.words}")
            + f": `{extra}` is left over.",
            hint="Usage: " + command.usage(sub) + ". Put values with spaces in double quotes.",
        )
    return values


def _free_text(tokens: list[Token]) -> str:
    """Free text as written: quotes inside it kept, a value wholly in quotes unquoted."""
    if len(tokens) == 1 and tokens[0].whole:
        return tokens[0].text
    return " ".join(t.raw or t.text for t in tokens)


def _option_shaped(token: Token) -> bool:
    """Whether an unknown `name:value` inside free text was meant as an option: a value
    follows the colon directly (`options:"yes,no"`). `Note: the hearing moved` (a space
    after the colon), a quoted `"options:yes"`, a web address (`https://…`, kept as a
    value by `tokenize`) and `mailto:`/`tel:` addresses stay text."""
    return token.text != "" and token.key not in _SCHEMES


def _misspelled_option(word: str, sub: Subcommand) -> str:
    """The option `word:` was probably meant to name (`orgg` → `org`), or ''.

    Close means a typing slip: one letter added, dropped or two swapped; for names of
    five letters or more also one changed, and two slips for eight or more; or the start
    of a name (4+ letters: `anon`). Ordinary words with a colon in free text (`Note:`,
    `Deadline:`) are far from every option name, and so are real words one letter off
    a short name (`role:` is not `rule:`).
    """
    for option in sub.options:
        name = option.name
        if name == word:
            continue
        slips = _distance(word, name)
        close = (slips <= 2 if len(name) >= 8 else slips <= 1 if len(name) >= 5
                 else slips == 1 and (len(word) != len(name) or sorted(word) == sorted(name)))
        if close or (len(word) >= 4 and name.startswith(word)):
            return name
    return ""


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (insert, delete, change, swap two neighbours)."""
    if abs(len(a) - len(b)) > 2:
        return 3
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def _takes_free_text(sub: Subcommand, values: Mapping[str, str]) -> bool:
    """Whether an unknown `word:` could be the start of free text (a `rest` option)."""
    return any(o.rest and o.name not in values for o in sub.options)


def bind(command: Command, sub: Subcommand, values: Mapping[str, str]) -> dict[str, Any]:
    """Check raw values against the options and convert the ones that need no database.

    TIME, DATE, USER and ORG values stay text here; the dispatcher resolves them inside the
    caller's coalition.
    """
    usage = _usage(command, sub)
    for name in values:
        if sub.option(name) is None:
            names = [o.name for o in sub.options]
            raise UsageError(CommandRef(f"{command.name} {sub.words}")
                             + f" has no option `{name}`.{suggest(name, names)}", hint=usage)
    out: dict[str, Any] = {}
    for option in sub.options:
        raw = values.get(option.name)
        if raw is None or raw.strip() == "":
            if option.required:
                raise UsageError(
                    CommandRef(f"{command.name} {sub.words}")
                    + f" needs {option.usage}: {option.help}", hint=usage, option=option.name)
            out[option.name] = None
            continue
        try:
            out[option.name] = convert(option, raw.strip(), usage)
        except CoalitionError as error:
            error.option = error.option or option.name  # a form shows it under that input
            raise
    return out


_USAGES: dict[tuple[int, int], tuple[Command, Subcommand, Text]] = {}


def _usage(command: Command, sub: Subcommand) -> Text:
    """`Usage: …` for a subcommand, the hint of its errors: built once per spec, not on
    every command (it took a tenth of a vote's Python)."""
    key = (id(command), id(sub))
    known = _USAGES.get(key)
    if known is None or known[0] is not command or known[1] is not sub:
        known = _USAGES[key] = (command, sub, "Usage: " + command.usage(sub))
    return known[2]


def convert(option: Option, raw: str, usage: str = "") -> Any:
    """Turn one raw value into its option's type, or raise a `UsageError` saying why."""
    label = option.usage if option.required else option.name
    kind = option.type
    if kind in (OptionType.TEXT, OptionType.TIME, OptionType.DATE, OptionType.USER,
                OptionType.ORG):
        if len(raw) > option.max_length:
            raise UsageError(
                f"{label} is {len(raw)} characters long; at most {option.max_length} fit.",
                hint="Shorten it and try again.")
        return raw
    if kind is OptionType.INTEGER:
        try:
            value = int(raw)
        except ValueError:
            raise UsageError(f"{label} must be a whole number, not `{raw}`.", hint=usage) from None
        low, high = option.min_value, option.max_value
        if (low is not None and value < low) or (high is not None and value > high):
            bound = (f"between {low} and {high}" if low is not None and high is not None
                     else f"at least {low}" if low is not None else f"at most {high}")
            raise UsageError(f"{label} must be {bound}, not {value}.", hint=usage)
        return value
    if kind is OptionType.NUMBER:
        match = _NUMBER.match(raw)
        if not match or int(match[1]) == 0:
            what = f"a {option.kind} number" if option.kind else "a number"
            raise UsageError(f"{label} must be {what} like #2, not `{raw}`.", hint=usage)
        return int(match[1])
    if kind is OptionType.CHOICE:
        lowered = raw.lower()
        if lowered in option.choices:
            return lowered
        raise UsageError(
            f"{label} must be one of {', '.join(option.choices)}, not `{raw}`."
            f"{suggest(lowered, option.choices)}", hint=usage)
    if kind is OptionType.BOOL:
        lowered = raw.lower()
        if lowered in ("yes", "y", "true", "on"):
            return True
        if lowered in ("no", "n", "false", "off"):
            return False
        raise UsageError(f"{label} must be yes or no, not `{raw}`.", hint=usage)
    if kind is OptionType.DURATION:
        duration: timedelta = parse_duration(raw)
        return duration
    if kind is OptionType.PERCENT:
        digits = raw.removesuffix("%").strip()
        if not re.fullmatch(r"[0-9]{1,3}", digits) or int(digits) > 100:
            raise UsageError(f"{label} must be a percentage from 0 to 100, like 50%, "
                             f"not `{raw}`.", hint=usage)
        return int(digits)
    if kind is OptionType.TIMEZONE:
        return resolve_timezone(raw, label)
    raise AssertionError(f"unhandled option type {kind}")


def resolve_timezone(raw: str, label: str = "TIMEZONE") -> str:
    """The IANA zone `raw` means (see `rules.zones`), or a `UsageError`."""
    return resolve_zone(raw, label)


def resolve(commands: Mapping[str, Command], name: str, path: Sequence[str]) -> Parsed:
    """Find a command and subcommand by name and path (for front doors with typed options)."""
    command = _find_command(commands, name)
    sub, used = _match_sub(command, list(path), " ".join(path))
    if used != len(path):
        raise UsageError(CommandRef(command.name)
                         + f" has no subcommand `{' '.join(path)}`.")
    return Parsed(command, sub, {})
