"""What the client hands back: JSON objects with attribute access, agents and their results."""

from __future__ import annotations

import re
from typing import Any

TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})


class Record(dict):
    """A JSON object from the server: a dict whose keys also read as attributes.

    `quote.recommended_price` and `quote["recommended_price"]` are the same value. Fields the
    server adds later appear without a client upgrade.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self):
        return [*super().__dir__(), *(k for k in self if isinstance(k, str))]


# A heading line: Markdown `#`…`######`, a bold line `**Issues**`, or a label line `Issues:`.
_HEADING = re.compile(
    r"^\s*(?:(?P<hashes>#{1,6})\s+(?P<atx>.+?)\s*#*\s*"
    r"|\*\*(?P<bold>[^*]+?)\*\*:?\s*"
    r"|(?P<label>[A-Za-z][\w ]{0,40}?):\s*)$"
)


def text_section(text: str | None, name: str) -> str | None:
    """The text under the first heading whose title contains `name` (any case), or None.

    Headings are Markdown `#` lines, lines that are wholly bold (`**Summary**`), or short label
    lines ending in a colon (`Issues:`). A `#` section runs to the next heading of the same or a
    higher level; the others run to the next heading of any kind.
    """
    if not text:
        return None
    wanted = name.strip().lower()
    lines = text.splitlines()
    for start, line in enumerate(lines):
        match = _HEADING.match(line)
        if not match:
            continue
        title = match.group("atx") or match.group("bold") or match.group("label") or ""
        if wanted not in title.lower():
            continue
        level = len(match.group("hashes") or "") or 7
        body = []
        for following in lines[start + 1 :]:
            other = _HEADING.match(following)
            if other and (len(other.group("hashes") or "") or 7) <= level:
                break
            body.append(following)
        section = "\n".join(body).strip()
        if section:
            return section
    return None


class AgentResult:
    """A finished agent: what `wait_for_completion()` returns.

    - `output`: the agent's result text (a team's: its last step's).
    - `status`: `completed`, `failed` or `cancelled`; `cost`: the actual cost in USD.
    - `summary`: the text under the output's "Summary" heading when it has one, else the whole
      output (what the reference's content pipeline feeds to its next step).
    - `issues`: the text under its "Issues" heading when it has one, else the whole output (what
      the reference's code review hands to its fixer).
    - `section(name)`: the text under any heading, or None.
    """

    def __init__(self, data: Record) -> None:
        self.data = data

    agent_id = property(lambda self: self.data.get("agent_id"))
    status = property(lambda self: self.data.get("status"))
    output = property(lambda self: self.data.get("result"))
    cost = property(lambda self: self.data.get("cost"))
    model = property(lambda self: self.data.get("model"))
    usage = property(lambda self: self.data.get("usage"))
    error = property(lambda self: self.data.get("error"))
    simulated = property(lambda self: self.data.get("simulated"))
    steps = property(lambda self: self.data.get("steps"))

    @property
    def succeeded(self) -> bool:
        return self.status == "completed"

    def section(self, name: str) -> str | None:
        return text_section(self.output, name)

    @property
    def summary(self) -> str | None:
        return self.section("summary") or self.output

    @property
    def issues(self) -> str | None:
        return self.section("issues") or self.output

    def __str__(self) -> str:
        return self.output or ""

    def __repr__(self) -> str:
        return (
            f"AgentResult(agent_id={self.agent_id!r}, status={self.status!r}, cost={self.cost!r})"
        )
