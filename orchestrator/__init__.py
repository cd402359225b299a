"""The orchestrator: status rollup, model recommendation, `/system`, `/metrics` and budget alerts.

It reads every app below it (agents, billing, pricing) and nothing imports it. The rules are
pure (`orchestrator.rules`); `orchestrator.system` reads the host.
"""
