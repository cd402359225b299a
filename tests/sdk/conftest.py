"""Fixtures for the client tests: a live server (gunicorn + a Celery worker on the simulated
provider) and a fresh virtual environment holding only the client wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ALL_SCOPES
from tests.processes import ROOT, celery_worker, gunicorn_server, subprocess_env

EXAMPLES = ROOT / "sdk" / "python" / "examples"
PIP = ("-m", "pip", "--quiet", "--disable-pip-version-check")


@dataclass
class LiveServer:
    url: str
    key: str  # an API key with every scope
    user: object


@pytest.fixture
def j1msky_server(make_client):
    """The real server and a worker on the test database; simulated runs take no time."""
    client = make_client(ALL_SCOPES)
    env = subprocess_env(J1MSKY_SIMULATED_TOKEN_DELAY="0")
    with gunicorn_server(workers=1, threads=4, env=env) as url, celery_worker(env=env):
        yield LiveServer(url, client.secret, client.user)


@pytest.fixture
def j1msky_web_only(make_client):
    """The real server without a worker: spawned agents wait in `spawning`."""
    client = make_client(ALL_SCOPES)
    with gunicorn_server(workers=1, threads=4) as url:
        yield LiveServer(url, client.secret, client.user)


@dataclass
class ClientVenv:
    path: Path

    @property
    def python(self) -> str:
        return str(self.path / "bin" / "python")

    @property
    def cli(self) -> str:
        return str(self.path / "bin" / "j1msky")

    def env(self, **extra: str) -> dict[str, str]:
        """A plain environment: nothing of the checkout (no PYTHONPATH, no Django settings)."""
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        env.update(extra)
        return env


@pytest.fixture(scope="session")
def client_venv(tmp_path_factory) -> ClientVenv:
    """A new virtual environment with the client wheel installed (httpx comes from PyPI)."""
    root = tmp_path_factory.mktemp("client")
    dist = root / "dist"
    build = ["wheel", "--no-deps", "--no-build-isolation", str(ROOT / "sdk" / "python")]
    subprocess.run([sys.executable, *PIP, *build, "-w", str(dist)], check=True, timeout=300)
    (wheel,) = dist.glob("j1msky_sdk-*.whl")
    venv.create(root / "venv", with_pip=True, clear=True)
    client = ClientVenv(root / "venv")
    install = [client.python, *PIP, "install", str(wheel)]
    subprocess.run(install, check=True, timeout=600, env=client.env())
    return client
