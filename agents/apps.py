from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agents"

    def ready(self) -> None:
        from agents.selectors import agent_live_ids
        from billing.services import reservation_holders_register

        # An agent holds its reservation from admission to its terminal state (`agent:<id>`).
        reservation_holders_register("agent:", agent_live_ids)
