from django.apps import AppConfig


class J1mskyConfig(AppConfig):
    name = "j1msky"
    verbose_name = "Platform"
