"""Security jobs on the beat (semantics §14): expired blocks, spent signatures, audit retention."""

import logging

from celery import shared_task

from security.services import audit_retention_purge, ip_blocks_expire
from security.signing import signatures_forget

logger = logging.getLogger(__name__)


@shared_task(name="security.tasks.security_expire")
def security_expire() -> dict[str, int]:
    """Each minute: audit the blocks that ran out; forget signatures past their window."""
    expired = ip_blocks_expire()
    forgotten = signatures_forget()
    if expired:
        logger.info("%d IP block(s) expired", expired)
    return {"blocks_expired": expired, "signatures_forgotten": forgotten}


@shared_task(name="security.tasks.audit_retention_purge", soft_time_limit=300, time_limit=360)
def audit_retention_purge_task() -> int:
    """Hourly: delete audit rows older than the configured retention_days."""
    deleted = audit_retention_purge()
    if deleted:
        logger.info("purged %d audit row(s) past their retention", deleted)
    return deleted
