"""The JavaScript client (sdk/js) under node's built-in test runner: its own tests against
scripted servers, then the reference's example and its calls against the live server, with a
spawn retried through injected faults."""

import os
import re
import shutil
import subprocess

import pytest

from tests.content import agents_with_task
from tests.processes import ROOT
from tests.sdk.faultproxy import fault_proxy

JS = ROOT / "sdk" / "js"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node >= 18 is not installed")


def node_test(files: list[str], **env: str) -> dict[str, int]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("J1MSKY_")}
    done = subprocess.run(
        [NODE, "--test", *files],
        cwd=JS,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    return {k: int(v) for k, v in re.findall(r"^# (pass|fail|skipped) (\d+)$", done.stdout, re.M)}


def test_the_javascript_client_tests_pass():
    counts = node_test(["test/transport.test.js", "test/agency.test.js", "test/types.test.js"])
    assert counts["fail"] == 0 and counts["skipped"] == 0 and counts["pass"] >= 20


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_javascript_example_and_client_against_the_live_server(j1msky_server):
    with fault_proxy(j1msky_server.url) as proxy:
        proxy.fail("POST", "/api/spawn", when="before", status=429, retry_after=2)
        proxy.fail("POST", "/api/spawn", when="after", status=503, retry_after=1)
        counts = node_test(
            ["test/reference-example.test.js", "test/live.test.js"],
            J1MSKY_BASE_URL=j1msky_server.url,
            J1MSKY_API_KEY=j1msky_server.key,
            J1MSKY_FAULT_PROXY_URL=proxy.url,
        )
    assert counts == {"pass": 3, "fail": 0, "skipped": 0}
    calls = proxy.calls("POST", "/api/spawn")
    assert [(c.forwarded, c.answered) for c in calls] == [(False, 429), (True, 503), (True, 201)]
    assert len({c.idempotency_key for c in calls}) == 1 and calls[0].idempotency_key
    assert len(agents_with_task("retry probe (js)")) == 1
    assert agents_with_task("Write a blog post about AI", status="completed")
