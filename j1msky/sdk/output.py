"""How the command line prints: JSON for scripts, aligned tables for people, progress on stderr."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

MAX_CELL = 80


def to_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested objects as dotted keys: `{"usage": {"input_tokens": 3}}` → `usage.input_tokens`."""
    if isinstance(value, dict) and value:
        rows: list[tuple[str, Any]] = []
        for key, item in value.items():
            rows.extend(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    return [(prefix, value)]


def cell(value: Any, width: int = MAX_CELL) -> str:
    if value is None:
        text = "-"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        if all(not isinstance(v, (dict, list)) for v in value):
            text = ", ".join(str(v) for v in value) or "-"
        else:
            text = json.dumps(value, separators=(",", ":"), default=str)
    elif isinstance(value, dict):
        text = json.dumps(value, separators=(",", ":"), default=str)
    else:
        text = str(value)
    text = " ".join(text.split()) if "\n" in text else text
    return text if len(text) <= width else text[: width - 1] + "…"


def key_value_table(value: dict, *, skip: Iterable[str] = ()) -> str:
    rows = [(k, cell(v)) for k, v in flatten(value) if k not in set(skip)]
    if not rows:
        return ""
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def rows_table(rows: Sequence[dict], columns: Sequence[str] | None = None) -> str:
    if not rows:
        return "(none)"
    if columns is None:
        columns = list(dict.fromkeys(k for row in rows for k in row))
    cells = [[cell(row.get(c), 40) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(widths[i]) for i, c in enumerate(columns)).rstrip()]
    lines += ["  ".join(v.ljust(widths[i]) for i, v in enumerate(r)).rstrip() for r in cells]
    return "\n".join(lines)


class Progress:
    """Shows a waiting agent on stderr: one updating line on a terminal, else a line per status."""

    FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

    def __init__(self, stream: TextIO, *, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = enabled and hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()
        self.last_status: str | None = None
        self.frame = 0

    def __call__(self, agent: Any) -> None:
        if not self.enabled:
            return
        data = agent.data
        status = data.get("status")
        elapsed = time.monotonic() - self.started
        tokens = (data.get("progress") or {}).get("output_tokens")
        if self.tty:
            self.frame += 1
            spinner = self.FRAMES[self.frame % len(self.FRAMES)]
            extra = f" · {tokens} output tokens" if tokens else ""
            line = f"{spinner} {data.get('agent_id')} {status} · {elapsed:.1f} s{extra}"
            self.stream.write("\r\x1b[2K" + line)
            self.stream.flush()
        elif status != self.last_status:
            self.stream.write(f"{data.get('agent_id')} {status} ({elapsed:.1f} s)\n")
            self.stream.flush()
        self.last_status = status

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
