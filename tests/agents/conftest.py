"""Fixtures for the agents tests (`fake_provider`, `live_providers`: tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def run_one():
    """Claim one given waiting agent and run it in this process, as a worker would."""
    from agents.runner import agent_run_safely
    from agents.services import agent_claim

    def run(agent_id: str) -> None:
        agent = agent_claim(agent_id=agent_id, worker="test#1")
        assert agent is not None, f"{agent_id} is not claimable"
        agent_run_safely(agent=agent)

    return run
