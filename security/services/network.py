"""Who may reach the API (semantics §12.2, §12.3, §12.7): the allowlist, blocks, and the record
every protection leaves when it fires.

The allowlist in force is `J1MSKY_ALLOWED_IPS` plus what `PUT /security/ip-whitelist` saved;
it is enforced when the variable is set or the saved `enforce` is true. A change that would
refuse the caller's own address is refused (409), and so is a block that covers it.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from j1msky.api.ratelimit import counter_hit
from j1msky.errors import InvalidInput, ServiceUnavailable
from j1msky.events import event_emit
from security.errors import AllowlistLocksOutCaller, BlockNotActive
from security.models import ApiKey, AuditLog, IpAllowlist, IpBlock
from security.services.audit import actor_of, audit_record

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_ALLOWLIST_ENTRIES = 1000
# One record per protection, address and minute: a flood of refusals writes one row, not many.
VIOLATION_RECORD_SECONDS = 60


def network_parse(text: str) -> Network:
    """A CIDR or a single address (v4 or v6) as a network; ValueError when it is neither."""
    if not isinstance(text, str) or not text.strip() or len(text) > 64:
        raise ValueError("not an IP address or CIDR")
    network = ipaddress.ip_network(text.strip(), strict=False)
    mapped = getattr(network.network_address, "ipv4_mapped", None)
    if mapped is not None and network.prefixlen >= 96:
        network = ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
    return network


def networks_parse(entries: list[str], *, field: str) -> list[Network]:
    """Every entry as a network, or 400 naming each bad one."""
    networks, bad = [], []
    for index, entry in enumerate(entries):
        try:
            networks.append(network_parse(entry))
        except ValueError:
            bad.append(f"Entry {index} is not an IP address or CIDR: {str(entry)[:64]}")
    if bad:
        raise InvalidInput(bad[0], details={field: bad})
    return networks


def _address(ip: str | None):
    try:
        return ipaddress.ip_address(ip or "")
    except ValueError:
        return None


@dataclass(frozen=True)
class Allowlist:
    """The allowlist in force: the environment's networks and the saved ones."""

    networks: tuple[Network, ...]
    enforce: bool
    log_violations: bool

    def admits(self, ip: str | None) -> bool:
        address = _address(ip)
        return address is not None and any(address in net for net in self.networks)


def _environment_networks() -> list[Network]:
    networks = []
    for entry in settings.J1MSKY_ALLOWED_IPS:
        try:
            networks.append(network_parse(entry))
        except ValueError:
            logger.error("J1MSKY_ALLOWED_IPS: %r is not an IP address or CIDR; ignored", entry)
    return networks


def allowlist_in_force(row: IpAllowlist | None = None) -> Allowlist:
    if row is None:
        row = IpAllowlist.objects.filter(pk=1).first() or IpAllowlist()
    env = _environment_networks()
    saved = [network_parse(entry) for entry in row.allowed_ips]
    return Allowlist(
        networks=tuple(dict.fromkeys([*env, *saved])),
        enforce=bool(settings.J1MSKY_ALLOWED_IPS) or row.enforce,
        log_violations=row.log_violations,
    )


@transaction.atomic
def allowlist_set(
    *,
    allowed_ips: list[str],
    enforce: bool,
    log_violations: bool,
    caller_ip: str,
    actor_key: ApiKey | None = None,
    actor: str = "",
) -> IpAllowlist:
    """Save the allowlist (system-wide); audited as `config.change`. 409 when the allowlist in
    force afterwards would refuse `caller_ip`."""
    if len(allowed_ips) > MAX_ALLOWLIST_ENTRIES:
        raise InvalidInput(
            f"At most {MAX_ALLOWLIST_ENTRIES} entries",
            details={"allowed_ips": [f"At most {MAX_ALLOWLIST_ENTRIES} entries"]},
        )
    networks = networks_parse(allowed_ips, field="allowed_ips")
    row = IpAllowlist.objects.select_for_update().filter(pk=1).first() or IpAllowlist()
    before = {"allowed_ips": row.allowed_ips, "enforce": row.enforce}
    row.allowed_ips = [str(n) for n in dict.fromkeys(networks)]
    row.enforce = enforce
    row.log_violations = log_violations
    after = allowlist_in_force(row)
    if after.enforce and not after.admits(caller_ip):
        raise AllowlistLocksOutCaller(your_ip=caller_ip, what="allowlist")
    row.updated_at = timezone.now()
    row.updated_by = (actor or actor_of(api_key=actor_key))[:160]
    row.save()
    audit_record(
        event="config.change",
        api_key=actor_key,
        actor=actor,
        resource_type="ip_whitelist",
        resource_id="ip_whitelist",
        details={
            "setting": "ip_whitelist",
            "before": before,
            "after": {"allowed_ips": row.allowed_ips, "enforce": enforce},
            "log_violations": log_violations,
        },
    )
    return row


@transaction.atomic
def ip_block_create(
    *,
    ip: str,
    reason: str = "",
    duration_hours: int = 24,
    caller_ip: str,
    actor_key: ApiKey | None = None,
    actor: str = "",
) -> IpBlock:
    """Block an address or network for `duration_hours` (semantics §12.3); 409 when it covers
    the caller's own address. Audited as `config.change`."""
    network = networks_parse([ip], field="ip")[0]
    caller = _address(caller_ip)
    if caller is not None and caller in network:
        raise AllowlistLocksOutCaller(your_ip=caller_ip, what="block")
    now = timezone.now()
    block = IpBlock.objects.create(
        network=str(network),
        reason=reason[:200],
        created_at=now,
        expires_at=now + timedelta(hours=duration_hours),
        created_by=(actor or actor_of(api_key=actor_key))[:160],
    )
    _block_audited(block, action="block", actor_key=actor_key, actor=actor)
    return block


@transaction.atomic
def ip_block_lift(*, block: IpBlock, actor_key: ApiKey | None = None, actor: str = "") -> IpBlock:
    """Lift an active block at once; 409 when it has already expired or been lifted."""
    now = timezone.now()
    who = (actor or actor_of(api_key=actor_key))[:160]
    if not IpBlock.objects.active(now).filter(pk=block.pk).update(lifted_at=now, lifted_by=who):
        raise BlockNotActive()
    block.refresh_from_db()
    _block_audited(block, action="unblock", actor_key=actor_key, actor=actor)
    return block


def ip_blocks_expire(*, now=None) -> int:
    """Record each block that ran out (once); returns how many."""
    now = now or timezone.now()
    recorded = 0
    ended = IpBlock.objects.filter(
        expires_at__lte=now, lifted_at__isnull=True, expiry_recorded=False
    )
    for block in ended:
        with transaction.atomic():
            if IpBlock.objects.filter(pk=block.pk, expiry_recorded=False).update(
                expiry_recorded=True
            ):
                _block_audited(block, action="expired", actor_key=None, actor="system")
                recorded += 1
    return recorded


def _block_audited(block: IpBlock, *, action: str, actor_key, actor: str) -> None:
    audit_record(
        event="config.change",
        api_key=actor_key,
        actor=actor,
        resource_type="ip_block",
        resource_id=block.block_id,
        details={
            "setting": "ip_blocks",
            "action": action,
            "network": block.network,
            "reason": block.reason,
            "expires_at": block.expires_at,
        },
    )


def ip_block_matching(ip: str | None, *, now=None) -> IpBlock | None:
    """The active block covering `ip` that lasts longest, or None."""
    address = _address(ip)
    if address is None:
        return None
    matching = [
        block
        for block in IpBlock.objects.active(now).only("network", "expires_at", "block_id")
        if address in network_parse(block.network)
    ]
    return max(matching, key=lambda b: b.expires_at or timezone.now(), default=None)


def protection_fired(
    *,
    reason: str,
    ip: str | None,
    owner=None,
    api_key: ApiKey | None = None,
    details: dict[str, Any] | None = None,
    throttle_key: str | None = None,
) -> bool:
    """A protection refused a request: write its `security.violation` audit row and event.

    At most once per `throttle_key` (default: the reason and the address) a minute, so a flood
    of refusals writes one record, not one per request. False when nothing was written."""
    key = f"violation:{throttle_key or f'{reason}:{ip}'}"
    try:
        count, _ = counter_hit(key, window_seconds=VIOLATION_RECORD_SECONDS)
    except ServiceUnavailable:
        logger.warning("protection %s fired for %s (not recorded: counter store down)", reason, ip)
        return False
    if count != 1:
        return False
    data = {"reason": reason, "ip": ip, **(details or {})}
    if api_key is not None:
        data["api_key_id"] = api_key.key_id
    with transaction.atomic():
        audit_record(
            event="security.violation",
            owner=owner,
            api_key=api_key,
            actor=actor_of(api_key=api_key),
            ip_address=ip,
            details=data,
            severity=AuditLog.Severity.WARNING,
        )
        event_emit(type="security.violation", owner=owner, data=data)
    return True
