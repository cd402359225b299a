"""The deliver loop a worker runs: recover lapsed claims, read the outbox, send what is due.

The POSTs run in `senders()` threads; claims and records stay in the calling thread (its
database connection). Both are batched so the database's commits do not set the pace: a claim
takes up to `CLAIM_ROUNDS` deliveries per thread, and results are recorded together, at the
latest `RECORD_LINGER` after the first of them arrived (a crash in between leaves those claims
to lapse: they are sent again, never lost).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Min, Q
from django.utils import timezone

from webhooks.conf import (
    CLAIM_ROUNDS,
    RESPONSE_EXCERPT_BYTES,
    claim_lease,
    delivery_timeout,
    senders,
    ssrf_policy,
)
from webhooks.http import DeliveryResult, webhook_post
from webhooks.messages import deliver_message_send
from webhooks.models import Delivery, WebhookEndpoint
from webhooks.services.attempts import (
    Outgoing,
    deliveries_claim,
    deliveries_recover,
    delivery_attempts_record,
    delivery_outgoing,
)
from webhooks.services.outbox import outbox_behind, outbox_dispatch
from webhooks.ssrf import Resolver

Clock = Callable[[], datetime]
# A retry due within this long gets a message of its own; later ones wait for the beat.
SHORT_RETRY = timedelta(seconds=120)
# How long one deliver task goes on claiming before it hands over to a new message.
DELIVER_LOOP_SECONDS = 30.0
RECORD_BATCH = 32
RECORD_LINGER = 0.05  # seconds


@dataclass
class SendReport:
    delivered: int = 0
    failed: int = 0
    recovered: int = 0
    dispatched: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "delivered": self.delivered,
            "failed": self.failed,
            "recovered": self.recovered,
            "dispatched": self.dispatched,
        }


def _claim_outgoing(*, limit: int, clock: Clock, report: SendReport) -> list[Outgoing]:
    """Claim and prepare up to `limit` attempts; reads new events first when too few are due."""
    lease = claim_lease()
    claimed = deliveries_claim(limit=limit, now=clock(), lease=lease)
    if len(claimed) < limit and outbox_behind():
        report.dispatched += outbox_dispatch(now=clock())
        claimed += deliveries_claim(limit=limit - len(claimed), now=clock(), lease=lease)
    return [delivery_outgoing(d, now=clock()) for d in claimed]


class _Recorder:
    """Results waiting to be recorded, flushed in one transaction when enough are waiting,
    the oldest has waited `RECORD_LINGER`, or the loop ends."""

    def __init__(self, clock: Clock, report: SendReport) -> None:
        self.clock, self.report = clock, report
        self.waiting: list[tuple[Outgoing, DeliveryResult]] = []
        self.since = 0.0

    def add(self, outgoing: Outgoing, result: DeliveryResult) -> None:
        if not self.waiting:
            self.since = time.monotonic()
        self.waiting.append((outgoing, result))
        self.report.delivered += result.delivered
        self.report.failed += not result.delivered

    def due_in(self) -> float | None:
        """Seconds until the waiting results must be flushed (None: nothing waits)."""
        if not self.waiting:
            return None
        return max(self.since + RECORD_LINGER - time.monotonic(), 0.0)

    def flush(self, *, force: bool = False) -> None:
        if self.waiting and (force or len(self.waiting) >= RECORD_BATCH or self.due_in() == 0):
            delivery_attempts_record(self.waiting, now=self.clock())
            self.waiting = []


def deliveries_send(
    *,
    clock: Clock = timezone.now,
    resolver: Resolver = socket.getaddrinfo,
    budget_seconds: float = DELIVER_LOOP_SECONDS,
    report: SendReport | None = None,
) -> SendReport:
    """Send due deliveries, `senders()` at a time, until none is due or the budget is spent.

    Each claimed attempt goes into the sending threads' queue at once, so a thread that is done
    takes the next one while this thread claims or records: the database's round trips overlap
    the POSTs instead of pausing them. At most `CLAIM_ROUNDS` attempts per thread wait in that
    queue (what the claim's lease allows for)."""
    report = report or SendReport()
    width = senders()
    most = (CLAIM_ROUNDS + 1) * width  # claimed and not yet sent: queued, and one per thread
    stop_claiming = time.monotonic() + budget_seconds
    recorder = _Recorder(clock, report)
    pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="webhook-send")
    sending = _Sending(pool, resolver)
    try:
        while True:
            if len(sending.futures) < 2 * width and time.monotonic() < stop_claiming:
                limit = most - len(sending.futures)
                sending.submit(_claim_outgoing(limit=limit, clock=clock, report=report))
            if not sending.futures:
                recorder.flush(force=True)
                return report
            for outgoing, result in sending.finished(timeout=recorder.due_in()):
                recorder.add(outgoing, result)
            recorder.flush()
    finally:
        # On the way out by an exception, the queued attempts are not sent (their claims lapse
        # and are recovered); the ones in flight end within their timeout.
        pool.shutdown(wait=True, cancel_futures=True)


class _Sending:
    """The attempts handed to the sending threads: queued or in flight."""

    def __init__(self, pool: ThreadPoolExecutor, resolver: Resolver) -> None:
        self.pool, self.resolver = pool, resolver
        self.policy, self.timeout = ssrf_policy(), delivery_timeout()
        self.futures: dict[Future[DeliveryResult], Outgoing] = {}

    def submit(self, attempts: list[Outgoing]) -> None:
        for outgoing in attempts:
            future = self.pool.submit(
                webhook_post,
                outgoing.url,
                body=outgoing.body,
                headers=outgoing.headers,
                policy=self.policy,
                resolver=self.resolver,
                timeout=self.timeout,
                read_limit=RESPONSE_EXCERPT_BYTES,
            )
            self.futures[future] = outgoing

    def finished(self, *, timeout: float | None) -> list[tuple[Outgoing, DeliveryResult]]:
        done, _ = wait(self.futures, timeout=timeout, return_when=FIRST_COMPLETED)
        return [(self.futures.pop(future), future.result()) for future in done]


def next_wake_after(*, now: datetime) -> float | None:
    """Seconds until the next retry that is due soon (within `SHORT_RETRY`), else None."""
    soonest = (
        Delivery.objects.filter(status=Delivery.Status.PENDING, claim_token="")
        .filter(Q(endpoint__status=WebhookEndpoint.Status.ACTIVE) | Q(event__isnull=True))
        .aggregate(at=Min("next_attempt_at"))["at"]
    )
    if soonest is None or soonest - now > SHORT_RETRY:
        return None
    return max((soonest - now).total_seconds(), 0.0)


def webhooks_deliver(
    *,
    clock: Clock = timezone.now,
    resolver: Resolver = socket.getaddrinfo,
    budget_seconds: float = DELIVER_LOOP_SECONDS,
) -> SendReport:
    """What a deliver message and the beat run: recover lapsed claims, read the outbox, send
    what is due; then ask for a message when the next retry is due soon (or work is left)."""
    report = SendReport(recovered=deliveries_recover(now=clock()))
    if outbox_behind():
        report.dispatched += outbox_dispatch(now=clock())
    deliveries_send(clock=clock, resolver=resolver, budget_seconds=budget_seconds, report=report)
    wake = next_wake_after(now=clock())
    if wake is not None:
        deliver_message_send(countdown=wake)
    return report
