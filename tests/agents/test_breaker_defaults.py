"""The circuit breaker figures that apply: each provider's seeded row (spec §7.5 defaults)."""

from __future__ import annotations

import pytest

from agents.catalogue import breaker_policy
from agents.models import Provider

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("provider", "threshold", "seconds"),
    [
        ("anthropic", 3, 90),
        ("kimi-coding", 5, 60),
        ("minimax-portal", 5, 60),
        ("openai-codex", 5, 60),
    ],
)
def test_the_seeded_breaker_policy_per_provider(provider, threshold, seconds):
    policy = breaker_policy(Provider.objects.get(pk=provider))
    assert (policy.failure_threshold, policy.open_seconds, policy.success_threshold) == (
        threshold,
        seconds,
        3,
    )
