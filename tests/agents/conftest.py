"""Fixtures for the agents tests: the fake provider server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakeprovider import FakeProviderServer, fake_provider_server


@pytest.fixture
def fake_provider() -> Iterator[FakeProviderServer]:
    """A fresh fake provider on 127.0.0.1 (both wire formats), stopped after the test."""
    with fake_provider_server() as server:
        yield server


@pytest.fixture
def live_providers(fake_provider, settings):
    """Every provider configured with a key, pointed at the fake provider server."""
    settings.J1MSKY_PROVIDERS = {
        "ANTHROPIC": {"api_key": "sk-ant-test", "base_url": fake_provider.anthropic_base_url},
        "KIMI": {"api_key": "sk-kimi-test", "base_url": fake_provider.openai_base_url},
        "MINIMAX": {"api_key": "sk-minimax-test", "base_url": fake_provider.openai_base_url},
        "OPENAI": {"api_key": "sk-openai-test", "base_url": fake_provider.openai_base_url},
    }
    return fake_provider


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
