"""Platform writes: worker heartbeats."""

from django.utils import timezone

from j1msky.models import WorkerHeartbeat


def worker_heartbeat_record(*, hostname: str, pid: int) -> None:
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(hostname=hostname).update(
        pid=pid, last_seen=now, stopped_at=None
    )
    if not updated:
        WorkerHeartbeat.objects.update_or_create(
            hostname=hostname,
            defaults={"pid": pid, "last_seen": now, "started_at": now, "stopped_at": None},
        )


def worker_heartbeat_stop(*, hostname: str) -> None:
    WorkerHeartbeat.objects.filter(hostname=hostname).update(stopped_at=timezone.now())
