"""Deep pages: the last cursor page of 100,000 rows against the first (semantics §5).

Prints the median time of each page and their ratio (kept below 2), the offset page at the
same depth for contrast, and a bare DRF list of the same table as the floor. In-process
(Django's test client), so it measures the list machinery and the database, not the network.

    .venv/bin/python bench/bench_lists.py            # SQLite
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_lists.py
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import backend, bootstrap

ROWS = 100_000
REPEAT = 25


def median_seconds(client, url: str) -> float:
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, response.content[:300]
    return statistics.median(samples)


def main() -> None:
    bootstrap("lists")
    from django.contrib.auth import get_user_model
    from django.core import signing
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from agents.models import Agent
    from j1msky.api.pagination import CURSOR_SALT
    from j1msky.models import Event
    from security.services import api_key_create

    owner = get_user_model().objects.create_user("bench")
    _, secret = api_key_create(owner=owner, name="bench", scopes=["agents:read"])
    start = timezone.now() - timedelta(days=30)
    batch = 5000
    for offset in range(0, ROWS, batch):
        Agent.objects.bulk_create(
            Agent(
                agent_id=f"subagent_{1700000000 + i}_{i:06d}",
                owner=owner,
                model_id="k2p5",
                requested_model="k2p5",
                task="benchmark task",
                max_tokens=4096,
                status="completed",
                created_at=start + timedelta(seconds=i),
            )
            for i in range(offset, offset + batch)
        )
        Event.objects.bulk_create(
            Event(type="agent.completed", owner=owner, data={"n": i}, created_at=start)
            for i in range(offset, offset + batch)
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # planner statistics, as autovacuum would keep them
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    # The cursors a client holds after walking to the end of each list.
    event_ids = list(Event.objects.order_by("id").values_list("id", flat=True))
    tail = event_ids[-21]
    events_cursor = signing.dumps({"o": ["id"], "v": [tail]}, salt=CURSOR_SALT)
    agents = Agent.objects.order_by("-created_at", "-pk").values_list("created_at", "pk")
    last_created, last_pk = agents[ROWS - 21]
    agents_cursor = signing.dumps(
        {"o": ["-created_at", "-pk"], "v": [last_created.isoformat(), last_pk]}, salt=CURSOR_SALT
    )

    rows = [
        ("bare DRF list, first 20 (floor)", "/bench/bare-list"),
        ("/events cursor, first page", "/api/events?limit=20"),
        ("/events cursor, last page", f"/api/events?limit=20&cursor={events_cursor}"),
        ("/agents cursor, first page", "/api/agents?limit=20&cursor="),
        ("/agents cursor, first, include=meta", "/api/agents?limit=20&cursor=&include=meta"),
        ("/agents cursor, last page", f"/api/agents?limit=20&cursor={agents_cursor}"),
        ("/agents offset, first page", "/api/agents?limit=20&offset=0"),
        ("/agents offset, last page", f"/api/agents?limit=20&offset={ROWS - 20}"),
    ]
    print(f"deep pages over {ROWS:,} rows on {backend()}, median of {REPEAT}")
    times = {}
    for label, url in rows:
        times[label] = median_seconds(client, url)
        print(f"  {label:36s} {times[label] * 1000:8.2f} ms")
    events_ratio = times["/events cursor, last page"] / times["/events cursor, first page"]
    agents_ratio = times["/agents cursor, last page"] / times["/agents cursor, first page"]
    offset_ratio = times["/agents offset, last page"] / times["/agents offset, first page"]
    print(
        f"  ratio last/first: /events cursor {events_ratio:.2f}, /agents cursor "
        f"{agents_ratio:.2f}, /agents offset {offset_ratio:.2f}"
    )
    bare = times["bare DRF list, first 20 (floor)"]
    for label in ("/agents cursor, first page", "/agents offset, first page"):
        print(f"  {label} / bare DRF list: {times[label] / bare:.1f}x (target <= 3x)")
    if max(events_ratio, agents_ratio) >= 2:
        print("FAIL: a cursor page at the end costs twice the first page or more")
        sys.exit(1)


if __name__ == "__main__":
    main()
