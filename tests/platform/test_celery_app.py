"""Every server process configures the Celery app, though importing `j1msky` loads nothing."""

import subprocess

from tests.processes import PYTHON, ROOT, subprocess_env


def python(code: str) -> str:
    done = subprocess.run(
        [PYTHON, "-c", code],
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def test_a_django_process_sends_tasks_through_the_configured_app():
    # As a web process does: set Django up, never import j1msky.celery by hand, send a task.
    out = python(
        "import sys, django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "from agents.tasks import run_next_agent\n"
        "app = run_next_agent.app\n"
        "print(app.main, app.conf.broker_url == settings.CELERY_BROKER_URL,\n"
        "      'j1msky.celery' in sys.modules)\n"
    )
    assert out == "j1msky True True"


def test_celery_dash_a_j1msky_finds_the_app():
    out = python(
        "import sys, j1msky\n"
        "assert 'celery' not in sys.modules and 'django' not in sys.modules\n"
        "from celery.app.utils import find_app\n"
        "app = find_app('j1msky')\n"
        "print(type(app).__name__, app.main, app is j1msky.celery_app)\n"
    )
    assert out == "Celery j1msky True"
