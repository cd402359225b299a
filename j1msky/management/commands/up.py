"""`python manage.py up`: prepare the database, then run web + worker + beat until Ctrl-C."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from j1msky.startup import startup_hooks_run
from j1msky.supervisor import Supervisor

BIN = Path(sys.executable).parent


class Command(BaseCommand):
    help = "Migrate, create the admin user and a first API key, then run web, worker and beat."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("J1MSKY_BIND", "127.0.0.1:8080"))
        parser.add_argument(
            "--web-workers", type=int, default=int(os.environ.get("J1MSKY_WEB_WORKERS", "2"))
        )
        parser.add_argument(
            "--worker-concurrency",
            type=int,
            default=int(os.environ.get("J1MSKY_WORKER_CONCURRENCY", "2")),
        )
        parser.add_argument(
            "--prepare-only", action="store_true", help="Set up the database and exit."
        )

    def handle(self, *args, bind, web_workers, worker_concurrency, prepare_only, **options):
        call_command("migrate", interactive=False, verbosity=0)
        host, _, port = bind.rpartition(":")
        url = f"http://{'localhost' if host in ('0.0.0.0', '127.0.0.1', '') else host}:{port}"
        self.stdout.write(f"J1MSKY on {url}/api/  (docs: {url}/api/docs/, admin: {url}/admin/)")
        self.stdout.write(f"data directory: {settings.DATA_DIR}")
        for line in startup_hooks_run():
            self.stdout.write(line)
        if prepare_only:
            return
        self._run(bind, web_workers, worker_concurrency)

    def _run(self, bind: str, web_workers: int, worker_concurrency: int) -> None:
        commands = {
            "web": [
                str(BIN / "gunicorn"),
                "j1msky.wsgi",
                "--bind",
                bind,
                "--workers",
                str(web_workers),
                "--threads",
                "4",
                "--graceful-timeout",
                "5",
                "--access-logfile",
                "-",
            ],
            "worker": [
                str(BIN / "celery"),
                "-A",
                "j1msky",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(worker_concurrency),
                "--queues",
                "high,normal,low,celery",
            ],
            "beat": [str(BIN / "celery"), "-A", "j1msky", "beat", "--loglevel", "INFO"],
        }
        code = Supervisor(commands, say=self.stdout.write).run()
        if code:
            sys.exit(code)
