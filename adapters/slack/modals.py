"""Forms (modals) for the subcommands whose spec says `form=True`, built from their options.

`/poll create` or `/meeting schedule` typed with no values opens a modal with one input
per option; its submission is turned back into the command line the user could have
typed (`poll create question:"…" rule:consensus`), which then takes the one command path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coalition_bot.adapters.slack.render import truncate
from coalition_bot.adapters.slack.text import escape
from coalition_bot.commands.grammar import parse
from coalition_bot.commands.spec import Command, Option, OptionType, Subcommand
from coalition_bot.errors import CoalitionError
from coalition_bot.rules.text import quote_arg

__all__ = ["CALLBACK_ID", "Form", "errors_for", "form_view", "read_submission", "wanted_form"]

CALLBACK_ID = "coalition-form"
ACTION = "value"
TITLE_MAX = 24
LABEL_MAX = 2000
HINT_MAX = 2000
PLACEHOLDER_MAX = 150
INPUT_MAX = 3000
OPTIONS_MAX = 100
ERROR_MAX = 300
_PLACEHOLDERS = {
    OptionType.TIME: "tomorrow 6pm, tuesday 18:00, 2026-12-01 18:00",
    OptionType.DATE: "2026-12-31",
    OptionType.DURATION: "90m",
    OptionType.PERCENT: "50%",
    OptionType.NUMBER: "#1",
    OptionType.ORG: "an organization's name or #number",
}


@dataclass(frozen=True, slots=True)
class Form:
    """A submitted form: the command line it stands for and where it was opened."""

    line: str
    channel_id: str
    response_url: str
    values: dict[str, str]


def wanted_form(commands: Mapping[str, Command], line: str
                ) -> tuple[Command, Subcommand] | None:
    """The form to show for `line`: a `form=True` subcommand given with no values."""
    try:
        parsed = parse(line, commands)
    except CoalitionError:
        return None  # the command path will say what is wrong
    if parsed.help or parsed.command is None or parsed.sub is None:
        return None
    if not parsed.sub.form or parsed.values:
        return None
    return parsed.command, parsed.sub


def _text(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(escape(truncate(text, limit)), limit)}


def _element(option: Option) -> dict[str, Any]:
    if option.type is OptionType.CHOICE or option.type is OptionType.BOOL:
        choices = option.choices if option.type is OptionType.CHOICE else ("yes", "no")
        return {"type": "static_select", "action_id": ACTION,
                "options": [{"text": _text(c, 75), "value": c}
                            for c in choices[:OPTIONS_MAX]]}
    if option.type is OptionType.USER:
        return {"type": "users_select", "action_id": ACTION}
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": ACTION,
                               "max_length": min(option.max_length, INPUT_MAX)}
    if option.max_length > 300:
        element["multiline"] = True
    placeholder = _PLACEHOLDERS.get(option.type)
    if placeholder:
        element["placeholder"] = _text(placeholder, PLACEHOLDER_MAX)
    return element


def _label(option: Option) -> str:
    return option.name.replace("_", " ").capitalize()


def form_view(command: Command, sub: Subcommand, *, slash: str, channel_id: str,
              response_url: str) -> dict[str, Any]:
    """The modal for one subcommand. `slash` is the command as this workspace calls it."""
    blocks = [{"type": "input", "block_id": option.name, "optional": not option.required,
               "label": _text(_label(option), LABEL_MAX),
               "hint": _text(option.help, HINT_MAX),
               "element": _element(option)} for option in sub.options]
    meta = {"command": command.name, "path": list(sub.path), "channel": channel_id,
            "response_url": response_url}
    return {"type": "modal", "callback_id": CALLBACK_ID,
            "title": _text(f"{slash} {sub.words}", TITLE_MAX),
            "submit": _text("Submit", 24), "close": _text("Cancel", 24),
            "private_metadata": json.dumps(meta), "blocks": blocks}


def _value(state: Mapping[str, Any]) -> str:
    kind = state.get("type")
    if kind == "static_select":
        selected = state.get("selected_option") or {}
        return str(selected.get("value") or "")
    if kind == "users_select":
        user = state.get("selected_user")
        return f"<@{user}>" if user else ""
    return str(state.get("value") or "")


def read_submission(commands: Mapping[str, Command], view: Mapping[str, Any]) -> Form:
    """The command line a submitted form stands for. Values go in as `name:value`, each
    quoted the way the grammar reads it back."""
    meta = json.loads(view.get("private_metadata") or "{}")
    command = commands[meta["command"]]
    sub = command.find(tuple(meta["path"]))
    if sub is None:
        raise KeyError(f"no subcommand {meta['path']} in /{command.name}")
    state = (view.get("state") or {}).get("values") or {}
    values: dict[str, str] = {}
    for option in sub.options:
        raw = _value((state.get(option.name) or {}).get(ACTION) or {}).strip()
        if raw:
            values[option.name] = raw
    words = [command.name, *sub.path, *(f"{k}:{quote_arg(v)}" for k, v in values.items())]
    return Form(" ".join(words), str(meta.get("channel") or ""),
                str(meta.get("response_url") or ""), values)


def errors_for(view: Mapping[str, Any], message: str, option: str = "") -> dict[str, str]:
    """An error to show in the modal: under the input of the `option` the error names,
    else under the first input (the error is about the command as a whole)."""
    blocks = [b.get("block_id", "") for b in view.get("blocks") or () if b.get("block_id")]
    target = option if option in blocks else (blocks[0] if blocks else "")
    return {target: truncate(message.replace("\n", " "), ERROR_MAX)} if target else {}
