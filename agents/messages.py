"""Run messages: what tells a worker that an agent may be waiting for it.

A message names the task, not an import of it, so the services that send one need not import
the tasks that run them (and those import the services). When the task is registered in this
process the signature uses it (eager mode in tests included); otherwise it is sent by name.
"""

from __future__ import annotations

from celery import current_app
from django.db import transaction

RUN_NEXT_AGENT = "agents.tasks.run_next_agent"


def run_message_send(hint: str | None = None) -> None:
    """Send one run message now."""
    current_app.signature(RUN_NEXT_AGENT, args=(hint,)).delay()


def run_message_send_on_commit(hint: str | None = None) -> None:
    """Send one run message once the current transaction commits (never for a rolled-back one)."""
    transaction.on_commit(lambda: run_message_send(hint))
