"""The Celery app: `celery -A j1msky worker` and `celery -A j1msky beat`."""

import logging
import os

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "j1msky.settings")

app = Celery("j1msky")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Writes this worker's heartbeat row every few seconds so the reaper and /health see it."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.tref = None

    def start(self, worker):
        from django.conf import settings

        from agents.catalogue import simulated_providers

        simulated = simulated_providers()
        if simulated:
            logger.warning(
                "providers without an API key run on the SIMULATED backend (no real calls): %s",
                ", ".join(simulated),
            )
        self._beat(worker)
        self.tref = worker.timer.call_repeatedly(
            settings.J1MSKY_WORKER_HEARTBEAT_SECONDS, self._beat, (worker,), priority=10
        )

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        from j1msky.services import worker_heartbeat_stop

        try:
            worker_heartbeat_stop(hostname=worker.hostname)
        except Exception:  # the database may already be gone at shutdown
            logger.warning("could not mark worker %s stopped", worker.hostname, exc_info=True)

    @staticmethod
    def _beat(worker):
        from django.db import close_old_connections

        from j1msky.services import worker_heartbeat_record

        close_old_connections()
        try:
            worker_heartbeat_record(hostname=worker.hostname, pid=os.getpid())
        except Exception:
            logger.warning("worker heartbeat failed", exc_info=True)


app.steps["worker"].add(WorkerHeartbeat)
