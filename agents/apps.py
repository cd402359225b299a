from django.apps import AppConfig

AGENT_EVENTS = (
    "agent.spawned",
    "agent.running",
    "agent.completed",
    "agent.failed",
    "agent.cancelled",
)


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agents"

    def ready(self) -> None:
        from agents import worker  # noqa: F401 - connects the worker's start-up signal
        from agents.selectors import agent_export_list, agent_health_stats
        from agents.startup import startup_lines
        from j1msky.events import event_types_register
        from j1msky.health import health_stats_register
        from j1msky.startup import startup_hook_register
        from security.exports import export_section_register
        from security.services import audit_events_register

        event_types_register(*AGENT_EVENTS)
        health_stats_register(agent_health_stats)
        startup_hook_register(startup_lines, order=20)
        export_section_register("agents", agent_export_list)
        audit_events_register("agent.spawn", "agent.complete", "agent.fail", "agent.purge")
