from django.apps import AppConfig


class J1mskyConfig(AppConfig):
    name = "j1msky"
    verbose_name = "Platform"

    def ready(self) -> None:
        # Every server process (web, worker, beat, management commands) configures the Celery
        # app here, so `.delay()` sends through it; importing the package itself does not.
        from . import celery  # noqa: F401
