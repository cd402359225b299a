"""Who may reach the API: the IP allowlist, blocks (semantics §12.2, §12.3), and the request
signatures already seen (replay guard, §12.4)."""

import secrets

from django.db import models
from django.utils import timezone


class IpAllowlist(models.Model):
    """The allowlist set through `PUT /security/ip-whitelist`, one row, system-wide.

    `J1MSKY_ALLOWED_IPS` adds to it and is enforced whatever this row says."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    allowed_ips = models.JSONField(default=list, blank=True)
    enforce = models.BooleanField(default=False)
    log_violations = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.CharField(max_length=160, blank=True)

    class Meta:
        verbose_name = "IP allowlist"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="ip_allowlist_one")]

    def __str__(self) -> str:
        return f"{len(self.allowed_ips)} network(s), {'enforced' if self.enforce else 'off'}"


def new_block_id() -> str:
    return "blk_" + secrets.token_hex(8)


class IpBlockQuerySet(models.QuerySet):
    def active(self, now=None):
        now = now or timezone.now()
        return self.filter(lifted_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class IpBlock(models.Model):
    """An address or network refused on every route but /health until it expires or is lifted."""

    block_id = models.CharField(max_length=24, unique=True, default=new_block_id, editable=False)
    network = models.CharField(max_length=64, help_text="CIDR, e.g. 198.51.100.100/32.")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=160, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.CharField(max_length=160, blank=True)
    expiry_recorded = models.BooleanField(
        default=False, help_text="The beat has audited that the block ran out."
    )

    objects = IpBlockQuerySet.as_manager()

    class Meta:
        verbose_name = "IP block"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.network} ({self.block_id})"

    def status(self, now=None) -> str:
        if self.lifted_at is not None:
            return "lifted"
        if self.expires_at is not None and self.expires_at <= (now or timezone.now()):
            return "expired"
        return "active"


class SignatureSeen(models.Model):
    """A request signature accepted once: the same one again inside its window is a replay."""

    signature = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.signature[:12]
