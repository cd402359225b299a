"""The agents app's part in a Celery worker's start (connected from AgentsConfig.ready)."""

from __future__ import annotations

import logging

from celery import signals
from django.db import connection

from agents.catalogue import provider_config, simulated_providers
from agents.models import Provider
from agents.providers import adapter_for

logger = logging.getLogger(__name__)


@signals.worker_init.connect
def provider_sdks_preload(**kwargs) -> None:
    """Import the SDK of every live provider in the worker's main process, before it forks, and
    say which providers run on the simulated backend.

    An SDK takes 0.5 to 1.5 s to import and 40 MB of memory: imported here once, no pool process
    pays that on its first run, and they share those pages.
    """
    try:
        for provider in Provider.objects.all():
            config = provider_config(provider)
            if config.kind != "simulated":
                adapter_for(config)  # imports the SDK; its client is built on first use
        simulated = simulated_providers()
        if simulated:
            logger.warning(
                "providers without an API key run on the SIMULATED backend (no real calls): %s",
                ", ".join(simulated),
            )
    except Exception:  # a database not migrated yet: the runs import what they need
        logger.warning("could not preload the provider SDKs", exc_info=True)
    finally:
        connection.close()  # no open database handle crosses the fork
