"""The Celery app: `celery -A j1msky worker` and `celery -A j1msky beat`."""

import logging
import os
import threading

from celery import Celery, bootsteps, signals
from celery.worker import loops
from celery.worker.consumer import Consumer as CeleryConsumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "j1msky.settings")

app = Celery("j1msky")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

# Seconds a pool process keeps its database connection between tasks (docs/decisions.md).
WORKER_DB_CONN_MAX_AGE = 600


# --- Consuming from a polled broker --------------------------------------------------------------


class PolledBroker:
    """The broker connection as `polled_synloop` hands it to Celery's loop.

    ``drain_events`` looks at the queues once (the transport itself declines while every message
    this process may hold is a running task), then waits one polling interval, or less: until a
    finished task's acknowledgement is queued for the loop.
    """

    def __init__(self, connection, interval: float, wake: threading.Event) -> None:
        self._connection = connection
        self._interval = interval
        self._wake = wake

    def drain_events(self, timeout=None, **kwargs):
        try:
            return self._connection.drain_events(timeout=0, **kwargs)
        except TimeoutError:  # socket.timeout: nothing to deliver
            pass
        wait = self._interval if timeout is None else min(timeout, self._interval)
        if self._wake.wait(wait):
            self._wake.clear()
        raise TimeoutError()

    def __getattr__(self, name):
        return getattr(self._connection, name)


def polled_synloop(obj, connection, *args, **kwargs):
    """Celery's loop for brokers it polls (the filesystem transport), without its 2 s stalls.

    That loop runs the late acknowledgements of finished tasks only between two waits for the
    broker, and each wait lasted up to 2 s. With one message per pool process (prefetch 1) a
    process can take no new message before its last one is acknowledged, so every task was
    followed by up to 2 s of idling: one process completed 0.5 runs a second. Here a wait ends
    as soon as an acknowledgement is queued, and otherwise after one polling interval
    (``broker_transport_options["polling_interval"]``, `J1MSKY_BROKER_POLL_SECONDS`).
    """
    options = obj.app.conf.broker_transport_options or {}
    interval = float(options.get("polling_interval") or 1.0)
    return loops.synloop(obj, PolledBroker(connection, interval, obj.loop_wake), *args, **kwargs)


class Consumer(CeleryConsumer):
    """The worker's consumer (`CELERY_WORKER_CONSUMER`): polled brokers run `polled_synloop`.

    Brokers with an event loop (Redis) keep Celery's own loop.
    """

    def __init__(self, *args, **kwargs):
        self.loop_wake = threading.Event()
        super().__init__(*args, **kwargs)
        if self.loop is loops.synloop:
            self.loop = polled_synloop

    def call_soon(self, p, *args, **kwargs):
        # The pool's result thread hands each late acknowledgement to the loop through here.
        pending = super().call_soon(p, *args, **kwargs)
        self.loop_wake.set()
        return pending


# --- Worker processes -----------------------------------------------------------------------------


@signals.worker_process_init.connect
def keep_database_connections(**kwargs) -> None:
    """A pool process keeps its database connection from one task to the next.

    Celery's Django fixup closes connections around every task unless `CONN_MAX_AGE` allows
    keeping them, and the default (0) is meant for web requests: a pool process then opened a new
    connection for every run. It runs one task at a time and holds a connection during each
    anyway; PostgreSQL's health check (`CONN_HEALTH_CHECKS`) still replaces a dead one before use.
    """
    from django.db import connections

    for connection in connections.all():
        if connection.settings_dict.get("CONN_MAX_AGE") == 0:
            connection.settings_dict["CONN_MAX_AGE"] = WORKER_DB_CONN_MAX_AGE


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Writes this worker's heartbeat row every few seconds so the reaper and /health see it."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.tref = None

    def start(self, worker):
        from django.conf import settings

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
