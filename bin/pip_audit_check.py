"""`make test`'s dependency audit: pip-audit over the project's virtualenv, read honestly.

- A known vulnerability in an installed package fails the run (exit 1), each one listed, unless
  its id is accepted in `AUDIT_ACCEPTED` below with the reason (docs/decisions.md, Security).
- When the vulnerability service cannot be reached (no network to PyPI's JSON API, or it does
  not answer for the versions installed, so every package comes back "could not be audited"),
  pip-audit would report "No known vulnerabilities found"; here that is said for what it is, in
  a clear message, and the run goes on (exit 0): no audit took place.

Usage: .venv/bin/python bin/pip_audit_check.py [path to pip-audit]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Vulnerability ids accepted after review, each with its reason: {"GHSA-…": "why"}.
AUDIT_ACCEPTED: dict[str, str] = {}


def run_pip_audit(executable: str) -> tuple[dict | None, str]:
    if not Path(executable).exists():
        raise SystemExit(f"pip-audit: not installed at {executable} (make install)")
    try:
        done = subprocess.run(
            [executable, "--format", "json", "--progress-spinner", "off"],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, str(exc)
    try:
        return json.loads(done.stdout), done.stderr
    except ValueError:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return None, lines[-1] if lines else f"exit status {done.returncode}"


def main() -> int:
    default = str(Path(sys.executable).with_name("pip-audit"))
    executable = sys.argv[1] if len(sys.argv) > 1 else default
    report, errors = run_pip_audit(executable)
    if report is None:
        print(f"pip-audit: NOT RUN, the vulnerability service is unreachable ({errors})")
        return 0
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    skipped = [d for d in dependencies if "skip_reason" in d]
    if dependencies and not audited:
        print(
            f"pip-audit: NOT RUN, the vulnerability service answered for none of the "
            f"{len(skipped)} installed packages (PyPI's per-version JSON API is unreachable "
            "from here); no audit took place"
        )
        return 0
    found = [
        (d["name"], d["version"], v)
        for d in audited
        for v in d.get("vulns", [])
        if v["id"] not in AUDIT_ACCEPTED and not set(v.get("aliases", [])) & set(AUDIT_ACCEPTED)
    ]
    for name, version, vuln in found:
        fixed = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
        print(f"pip-audit: {name} {version}: {vuln['id']} (fixed in {fixed})")
    print(
        f"pip-audit: {len(audited)} package(s) audited, {len(skipped)} not auditable, "
        f"{len(found)} unaccepted vulnerabilit{'y' if len(found) == 1 else 'ies'}"
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
