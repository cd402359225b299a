"""Test processes of one run that share nothing but the database server (a pytest plugin, loaded
with `-p tests.isolation` before Django reads its settings).

Under pytest-xdist each worker has its own test database already; here it also gets its own
data directory (the filesystem broker's folders) and, on Redis, its own database number, so a
Celery worker one test process starts never takes a run message another one sent.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_worker = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1", … (unset without xdist)
if _worker:
    index = int(_worker.removeprefix("gw"))
    root = Path(__file__).resolve().parent.parent
    base = Path(os.environ.get("J1MSKY_DATA_DIR", root / "var"))
    os.environ["J1MSKY_DATA_DIR"] = str(base / f"xdist-{_worker}")
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        match = re.match(r"^(redis://[^/]+)(?:/(\d+))?$", redis_url)
        if match:
            db = int(match.group(2) or 0) + 1 + index
            os.environ["REDIS_URL"] = f"{match.group(1)}/{db}"
