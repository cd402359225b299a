"""django.contrib.admin with the project's site; INSTALLED_APPS names this instead of the admin.

A module of its own: an AppConfig module is imported before any model may be.
"""

from django.contrib.admin.apps import AdminConfig


class J1mskyAdminConfig(AdminConfig):
    default_site = "security.admin_site.J1mskyAdminSite"
