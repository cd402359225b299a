"""Schemathesis against a real server: no server error, no schema violation, no undocumented
status, and the published schema as strict as the server (tests/fuzz/, docs/reliability.md)."""

from __future__ import annotations

import os

import pytest

from tests.fuzz.run import run

pytestmark = pytest.mark.fuzz


def test_schemathesis_finds_nothing_in_every_operation():
    seconds = int(os.environ.get("J1MSKY_FUZZ_SECONDS", "200"))
    result = run(max_time=seconds, key_time=max(20, seconds // 5))
    assert result.ok, result.summary()
    for name, _, output in result.passes:
        assert " generated, " in output and " passed" in output, f"{name} ran no test:\n{output}"
