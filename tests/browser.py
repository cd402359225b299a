"""Headless Chromium (Debian's `chromium`) for tests of pages people open in a browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path


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


# --- Selenium: a real browser session (Debian's chromium, driven by its chromedriver) ---------

ROOT = Path(__file__).resolve().parents[1]


def chromedriver_binary() -> str:
    path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not Path(path).exists():
        raise RuntimeError("Debian's chromium-driver is required for browser tests (make browser)")
    return path


def chrome(*, size: tuple[int, int] = (1280, 1000)):
    """A headless Chromium under Selenium; the caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium_binary()
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={size[0]},{size[1]}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(chromedriver_binary()), options=options)
    driver.set_page_load_timeout(60)
    return driver


def screenshots_dir() -> Path:
    """Where browser tests write their screenshots: J1MSKY_SCREENSHOTS_DIR (`make screenshots`
    sets docs/screenshots), else var/screenshots, which git ignores."""
    folder = Path(os.environ.get("J1MSKY_SCREENSHOTS_DIR") or ROOT / "var" / "screenshots")
    if not folder.is_absolute():
        folder = ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_screenshot(driver, name: str, *, width: int = 1280) -> Path:
    """The whole page (not only the window, at least `width` wide) as
    `<screenshots dir>/<name>.png`."""
    driver.set_window_size(width, 1000)
    scroll_width = driver.execute_script("return document.documentElement.scrollWidth")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(max(scroll_width, width), min(max(height + 120, 800), 4000))
    path = screenshots_dir() / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def admin_sign_in(driver, base: str, username: str, password: str) -> None:
    """Sign in through the admin's own form, as a person would."""
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/admin/login/")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    if "/admin/login/" in driver.current_url:
        raise AssertionError("admin sign-in failed")
