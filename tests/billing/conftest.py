"""Billing test fixtures."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps


@pytest.fixture
def catalogue(db):
    """The seeded providers and model aliases, restored if a transactional test flushed them
    (with the data migration's own function, so they match production)."""
    if not apps.get_model("agents", "Provider").objects.exists():
        importlib.import_module("agents.migrations.0002_seed_catalogue").seed(apps, None)
