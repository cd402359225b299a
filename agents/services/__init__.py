"""Agent writes: admission (`admission`), a run's life after it (`lifecycle`), cost planning
(`planning`)."""

from agents.services.admission import (
    Caller,
    PrivacyOptions,
    SpawnRequest,
    agent_spawn,
    agent_spawn_batch,
)
from agents.services.lifecycle import (
    agent_cancel,
    agent_claim,
    agent_claim_next,
    agent_claimable_count,
    agent_claimable_exists,
    agent_finish,
    agent_heartbeat,
    agent_purge,
)
from agents.services.planning import REVIEW_PROMPT, Plan, estimate_tokens, plan_costs
from agents.services.privacy import agents_content_expire

__all__ = [
    "REVIEW_PROMPT",
    "Caller",
    "Plan",
    "PrivacyOptions",
    "SpawnRequest",
    "agent_cancel",
    "agent_claim",
    "agent_claim_next",
    "agent_claimable_count",
    "agent_claimable_exists",
    "agent_finish",
    "agent_heartbeat",
    "agent_purge",
    "agent_spawn",
    "agent_spawn_batch",
    "agents_content_expire",
    "estimate_tokens",
    "plan_costs",
]
