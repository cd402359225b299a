"""Settings for benchmarks: the project's, plus bare DRF endpoints as same-run baselines."""

from j1msky.settings import *  # noqa: F403
from j1msky.settings import J1MSKY_RATE_LIMITS

ROOT_URLCONF = "bench.urls"
J1MSKY_RATE_LIMITS = {name: 10**9 for name in J1MSKY_RATE_LIMITS}
J1MSKY_IP_RATE_LIMIT = 10**9
J1MSKY_AUTH_FAILURE_LIMIT = 10**9
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
