from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        from j1msky.startup import startup_hook_register
        from security.startup import startup_lines

        startup_hook_register(startup_lines, order=10)
