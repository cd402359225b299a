"""Every page of the admin renders for a superuser: each model's list, and its add page where one
may add (403 where records only move through services)."""

import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

MODELS = sorted((model._meta.app_label, model._meta.model_name) for model in admin.site._registry)


@pytest.fixture
def root(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))
    return client


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_every_admin_list_and_add_page_renders(root, app, model):
    listing = root.get(reverse(f"admin:{app}_{model}_changelist"))
    assert listing.status_code == 200
    assert b"errornote" not in listing.content
    add = root.get(reverse(f"admin:{app}_{model}_add"))
    assert add.status_code in (200, 403)


def test_the_index_lists_every_app_and_the_dashboard(root):
    page = root.get("/admin/").content.decode()
    assert 'href="/admin/dashboard/"' in page
    for app in {app for app, _ in MODELS}:
        assert f'href="/admin/{app}/"' in page
