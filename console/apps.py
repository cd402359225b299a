from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = "Operations"

    def ready(self):
        from django.contrib import admin

        # The admin index links the operations dashboard (console/templates/console/index.html).
        admin.site.index_template = "console/index.html"
