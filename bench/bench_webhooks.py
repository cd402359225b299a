"""Webhook deliveries per second per worker process, and the lag from event to first attempt.

Measured in one run, against one local receiver (its own process, HTTP/1.0: every POST opens a
new connection, as every delivery does), next to a bare `httpx` POST loop of the same body and
headers to the same receiver (the floor: no database, no signing, no SSRF check):

- deliveries per second of one worker process (Celery, concurrency 1): N events committed at
  once, drained; the rate spans the first attempt's start to the last attempt's end (the
  attempts' own timestamps), once with one sending thread and once with the default;
- the worker's CPU time per delivery (its process tree, from `/proc`) next to the bare loop's
  per POST: what compares fairly when other work shares the cores;
- event-to-first-attempt lag with an idle worker: each event after a random pause, so it lands
  anywhere in the broker's polling interval; p50 / p99 / p100.

    .venv/bin/python bench/bench_webhooks.py            # SQLite + filesystem broker
    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/bench_webhooks.py
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import backend, bootstrap, cpu_seconds, process_tree, summary

EVENTS = 600
BASELINE_POSTS = 600
LAGS = 40
IDLE_PAUSE = (0.2, 0.5)  # seconds the worker sits idle before each lag event
DEFAULT_SENDERS = 4

RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass

class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def sample_data(n: int) -> dict:
    return {
        "agent_id": f"subagent_1708473600_{n:06d}",
        "model": "k2p5",
        "task": "Write a Python function that returns the n-th Fibonacci number.",
        "result": "def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n"
        "        a, b = b, a + b\n    return a\n",
        "cost": 0.0013,
    }


def baseline(url: str) -> tuple[float, float]:
    """POSTs per second of a bare httpx loop (one client, the same body and headers), and the
    loop's CPU seconds per POST."""
    import httpx

    body = json.dumps(
        {"event": "agent.completed", "timestamp": "2026-02-19T10:02:30Z", "data": sample_data(0)}
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "webhook-id": "evt_1",
        "webhook-timestamp": str(int(time.time())),
        "webhook-signature": "v1," + "A" * 44,
    }
    with httpx.Client(timeout=10) as client:
        for _ in range(50):
            client.post(url, content=body, headers=headers)
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(BASELINE_POSTS):
            assert client.post(url, content=body, headers=headers).status_code == 200
        cpu = (time.process_time() - cpu) / BASELINE_POSTS
        return BASELINE_POSTS / (time.perf_counter() - start), cpu


def drain_rate(owner, env: dict, senders: int) -> tuple[float, int, float]:
    """Deliveries per second of one worker process with `senders` threads; (rate, failed, the
    worker's CPU seconds per delivery: reading the outbox, claiming, sending, recording)."""
    from django.db import transaction
    from django.db.models import Max, Min

    from j1msky.events import event_emit
    from tests.processes import celery_worker, wait_for
    from webhooks.models import Delivery, DeliveryAttempt

    env = {**env, "J1MSKY_WEBHOOK_SENDERS": str(senders)}
    with celery_worker(env=env, concurrency=1, name=f"hooks{senders}") as worker:
        time.sleep(1)  # the pool process done starting
        cpu = cpu_seconds(process_tree(worker.pid))
        with transaction.atomic():
            first = event_emit(type="agent.completed", owner=owner, data=sample_data(0)).pk
            for n in range(1, EVENTS):
                event_emit(type="agent.completed", owner=owner, data=sample_data(n))
        batch = Delivery.objects.filter(event_id__gte=first)
        wait_for(
            lambda: batch.count() == EVENTS and not batch.filter(status="pending").exists(),
            timeout=600,
            interval=0.1,
            message="the deliveries to drain",
        )
        cpu = (cpu_seconds(process_tree(worker.pid)) - cpu) / EVENTS
    attempts = DeliveryAttempt.objects.filter(delivery__event_id__gte=first)
    span = attempts.aggregate(first=Min("started_at"), last=Max("started_at"))
    last = attempts.filter(started_at=span["last"]).values_list("duration_ms", flat=True)[0]
    seconds = (span["last"] - span["first"]).total_seconds() + last / 1000
    return EVENTS / seconds, batch.exclude(status="delivered").count(), cpu


def lags(owner, env: dict) -> list[float]:
    from j1msky.events import event_emit
    from tests.processes import celery_worker, wait_for
    from webhooks.models import DeliveryAttempt

    samples = []
    with celery_worker(env=env, concurrency=1, name="lag"):
        for n in range(LAGS):
            time.sleep(random.uniform(*IDLE_PAUSE))
            event = event_emit(type="agent.completed", owner=owner, data=sample_data(n))
            attempt = wait_for(
                lambda event=event: DeliveryAttempt.objects.filter(
                    delivery__event=event, number=1
                ).first(),
                timeout=60,
                interval=0.01,
                message="the first attempt",
            )
            samples.append((attempt.started_at - event.created_at).total_seconds())
    return samples


def main() -> None:
    os.environ["J1MSKY_WEBHOOK_ALLOW_HTTP"] = "true"
    os.environ["J1MSKY_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    env = bootstrap("webhooks")
    from django.contrib.auth import get_user_model

    from webhooks.services import webhook_create

    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(receiver.stdout.readline())
        url = f"http://127.0.0.1:{port}/hooks"
        owner = get_user_model().objects.create_user("bench")
        webhook_create(owner=owner, kind="agent", url=url, events=["agent.completed"])
        print(
            f"webhook benchmark on {backend()}: {EVENTS} deliveries per run, one worker "
            "process, a local receiver in its own process"
        )
        floor, floor_cpu = baseline(url)
        print(
            f"  bare httpx POST loop (floor)       {floor:8.1f} POST/s  "
            f"CPU {floor_cpu * 1000:.2f} ms per POST"
        )
        for senders in (1, DEFAULT_SENDERS):
            rate, failed, cpu = drain_rate(owner, env, senders)
            print(
                f"  deliveries, 1 process, {senders} sender(s) {rate:8.1f} /s  "
                f"= {rate / floor:.2f}x the bare loop ({failed} not delivered)  "
                f"worker CPU {cpu * 1000:.2f} ms per delivery ({floor_cpu / cpu:.2f}x the "
                "loop's rate on one free core)"
            )
        print(f"  event to first attempt, idle worker: {summary(lags(owner, env))}")
    finally:
        receiver.terminate()
        receiver.wait()


if __name__ == "__main__":
    main()
