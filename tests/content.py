"""Finding rows by their content in tests: task and result are sealed at rest, so the database
cannot match them (semantics §12.6); the rows are opened and compared here instead."""

from __future__ import annotations

from agents.models import Agent


def agents_with_task(task: str, **filters) -> list[Agent]:
    return [agent for agent in Agent.objects.filter(**filters) if agent.task == task]
