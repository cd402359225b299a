"""Headless Chromium (Debian's `chromium`) for tests of pages people open in a browser."""

from __future__ import annotations

import shutil
import subprocess
import tempfile


def chromium_binary() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Debian's chromium is required for browser tests (make browser)")
    return path


def dump_dom(url: str, *, budget_ms: int = 15000, timeout: float = 90) -> str:
    """Load `url` in headless Chromium, let its scripts run, and return the rendered DOM."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                chromium_binary(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                f"--virtual-time-budget={budget_ms}",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    if done.returncode != 0:
        raise RuntimeError(f"chromium failed: {done.stderr[-2000:]}")
    return done.stdout


def screenshot(url: str, path: str, *, budget_ms: int = 15000, size: str = "1280,900") -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium_binary(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                f"--virtual-time-budget={budget_ms}",
                f"--window-size={size}",
                f"--screenshot={path}",
                url,
            ],
            capture_output=True,
            check=True,
            timeout=90,
        )
