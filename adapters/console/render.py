"""Replies and notices as plain terminal text. Buttons show the command they carry."""

from __future__ import annotations

from coalition_bot.replies import Button, Field, Notice, Reply

__all__ = ["render_notice", "render_reply"]


def _strip_controls(text: str) -> str:
    """Drop terminal control characters (escape sequences) from user text; keep newlines."""
    return "".join(ch for ch in text if ch == "\n" or ch == "\t" or ch >= " ")


def _body(title: str, text: str, fields: tuple[Field, ...],
          buttons: tuple[Button, ...]) -> list[str]:
    lines: list[str] = []
    if title:
        lines.append(f"== {title} ==")
    if text:
        lines.extend(text.splitlines())
    for f in fields:
        value_lines = f.value.splitlines() or [""]
        lines.append(f"  {f.name}: {value_lines[0]}")
        lines.extend(f"    {v}" for v in value_lines[1:])
    for b in buttons:
        lines.append(f"  [{b.label}] → {b.command}")
    return [_strip_controls(line) for line in lines]


def render_reply(reply: Reply) -> str:
    """A reply as the console prints it: errors start with `!`, private ones say so."""
    lines = _body(reply.title, reply.text, reply.fields, reply.buttons)
    if reply.error:
        lines = [f"! {line}" for line in lines]
    elif reply.private and lines:
        lines[0] = f"(only you) {lines[0]}"
    return "\n".join(lines)


def render_notice(notice: Notice, *, private_to: str = "") -> str:
    """A notice to the home channel (📣), or to one person (✉ to NAME), marked so it
    stands out from replies."""
    lines = _body(notice.title, notice.text, notice.fields, notice.buttons)
    if notice.mentions:
        lines.append(_strip_controls(" ".join(f"@{m.name}" for m in notice.mentions)))
    mark = f"✉ to {private_to}:" if private_to else "📣"
    return "\n".join(f"{mark} {line}" for line in lines)
