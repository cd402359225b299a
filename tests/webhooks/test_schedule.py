"""The retry schedule: delays after each failure, jitter bounds, the final failure."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from webhooks.schedule import MAX_ATTEMPTS, is_final_failure, next_attempt_at, retry_delay

EXPECTED = [
    (1, timedelta(seconds=5)),
    (2, timedelta(minutes=5)),
    (3, timedelta(minutes=30)),
    (4, timedelta(hours=2)),
    (5, timedelta(hours=5)),
    (6, timedelta(hours=10)),
    (7, timedelta(hours=10)),
]


@pytest.mark.parametrize(("failures", "base"), EXPECTED)
def test_delay_after_each_failure_without_jitter(failures, base):
    assert retry_delay(failures, rand=lambda: 0.5) == base
    assert not is_final_failure(failures)


@pytest.mark.parametrize(("failures", "base"), EXPECTED)
def test_jitter_stays_within_ten_percent(failures, base):
    assert retry_delay(failures, rand=lambda: 0.0) == base * 0.9
    assert retry_delay(failures, rand=lambda: 0.999999) == pytest.approx(base * 1.1, rel=1e-5)
    draws = random.Random(failures)
    for _ in range(200):
        delay = retry_delay(failures, rand=draws.random)
        assert base * 0.9 <= delay <= base * 1.1


def test_jitter_spreads_endpoints_that_failed_together():
    draws = random.Random(7)
    delays = {retry_delay(3, rand=draws.random) for _ in range(20)}
    assert len(delays) == 20


def test_the_eighth_failure_is_final():
    assert MAX_ATTEMPTS == 8
    assert retry_delay(8) is None
    assert retry_delay(9) is None
    assert is_final_failure(8)
    assert is_final_failure(9)


def test_failures_start_at_one():
    with pytest.raises(ValueError):
        retry_delay(0)


def test_next_attempt_at_adds_the_delay_to_the_failure_time():
    failed_at = datetime(2026, 2, 21, 2, 30, tzinfo=UTC)
    assert next_attempt_at(failed_at, 1, rand=lambda: 0.5) == failed_at + timedelta(seconds=5)
    assert next_attempt_at(failed_at, 4, rand=lambda: 0.0) == failed_at + timedelta(hours=1.8)
    assert next_attempt_at(failed_at, 8) is None


def test_the_whole_schedule_spans_about_a_day_and_a_half():
    total = sum((retry_delay(n, rand=lambda: 0.5) for n in range(1, 8)), timedelta())
    assert total == timedelta(hours=27, minutes=35, seconds=5)
