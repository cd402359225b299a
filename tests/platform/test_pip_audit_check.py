"""`bin/pip_audit_check.py`, run as `make test` runs it, on pip-audit's three outcomes (a stand-in
executable prints what pip-audit prints: the vulnerability service is not reachable from here)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.processes import ROOT

CHECK = ROOT / "bin" / "pip_audit_check.py"


def fake_pip_audit(tmp_path, report: dict | None, *, stderr: str = "", status: int = 0):
    script = tmp_path / "pip-audit"
    out = json.dumps(report) if report is not None else ""
    script.write_text(
        f"#!{sys.executable}\nimport sys\nsys.stdout.write({out!r})\n"
        f"sys.stderr.write({stderr!r})\nsys.exit({status})\n"
    )
    script.chmod(0o755)
    return script


def check(executable) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CHECK), str(executable)], capture_output=True, text=True, timeout=60
    )


def test_a_known_vulnerability_fails_the_run(tmp_path):
    vuln = {"id": "GHSA-xxxx", "fix_versions": ["9.9"], "aliases": ["CVE-2099-1"]}
    report = {
        "dependencies": [
            {"name": "django", "version": "5.2.19", "vulns": [vuln]},
            {"name": "httpx", "version": "0.28.1", "vulns": []},
            {"name": "j1msky", "skip_reason": "not on PyPI"},
        ]
    }
    done = check(fake_pip_audit(tmp_path, report, status=1))
    assert done.returncode == 1
    assert "django 5.2.19: GHSA-xxxx (fixed in 9.9)" in done.stdout
    assert "2 package(s) audited, 1 not auditable, 1 unaccepted vulnerability" in done.stdout


def test_a_clean_audit_passes(tmp_path):
    report = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}]}
    done = check(fake_pip_audit(tmp_path, report))
    assert done.returncode == 0 and "1 package(s) audited" in done.stdout


@pytest.mark.parametrize(
    ("report", "stderr", "status"),
    [
        ({"dependencies": [{"name": "django", "skip_reason": "Dependency not found"}]}, "", 0),
        (None, "ConnectionError: Failed to resolve 'pypi.org'", 1),
    ],
)
def test_an_unreachable_service_is_said_plainly_and_does_not_fail(tmp_path, report, stderr, status):
    done = check(fake_pip_audit(tmp_path, report, stderr=stderr, status=status))
    assert done.returncode == 0
    assert done.stdout.startswith("pip-audit: NOT RUN")
    assert "No known vulnerabilities" not in done.stdout


def test_a_missing_pip_audit_fails(tmp_path):
    done = check(tmp_path / "absent")
    assert done.returncode != 0 and "not installed" in done.stderr
