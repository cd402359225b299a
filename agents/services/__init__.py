"""Agent writes: admission (`admission`), a run's life after it (`lifecycle`), cost planning
(`planning`)."""

from agents.services.admission import (
    Caller,
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
)
from agents.services.planning import REVIEW_PROMPT, Plan, estimate_tokens, plan_costs

__all__ = [
    "REVIEW_PROMPT",
    "Caller",
    "Plan",
    "SpawnRequest",
    "agent_cancel",
    "agent_claim",
    "agent_claim_next",
    "agent_claimable_count",
    "agent_claimable_exists",
    "agent_finish",
    "agent_heartbeat",
    "agent_spawn",
    "agent_spawn_batch",
    "estimate_tokens",
    "plan_costs",
]
