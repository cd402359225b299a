"""What `manage.py up` says of the agents: which providers run on the simulated backend."""

from __future__ import annotations

from agents.catalogue import simulated_providers


def startup_lines() -> list[str]:
    simulated = simulated_providers()
    if not simulated:
        return []
    return ["SIMULATED providers (no API key set, no real calls): " + ", ".join(simulated)]
