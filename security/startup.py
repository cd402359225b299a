"""What the security app prepares at `manage.py up`: the operator account, a first key, and the
data key (generated into the data dir on first start when J1MSKY_DATA_KEY is not set)."""

from __future__ import annotations

import os
import secrets
import sys

from django.conf import settings
from django.contrib.auth import get_user_model

from j1msky.api.permissions import SCOPES
from security.crypto import KEY_FILE_NAME, keyring_get
from security.models import ApiKey
from security.services import api_key_create

OPERATOR = "admin"


def operator_password_ensure() -> str | None:
    """Create the operator account (a superuser, so staff) on first start. The password is
    returned, to be shown once, only when it was generated here, never when the operator
    supplied it (`J1MSKY_ADMIN_PASSWORD`)."""
    users = get_user_model().objects
    if users.filter(is_superuser=True).exists():
        return None
    given = os.environ.get("J1MSKY_ADMIN_PASSWORD")
    password = given or secrets.token_urlsafe(12)
    users.create_superuser(OPERATOR, f"{OPERATOR}@localhost", password)
    return None if given else password


def first_key_ensure() -> str | None:
    """A first key with every scope for the operator, on a fresh install: its secret, once."""
    operator = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    if ApiKey.objects.filter(owner=operator).exists():
        return None
    _, secret = api_key_create(
        owner=operator, name="first key", scopes=list(SCOPES), actor="command:up"
    )
    return secret


def data_key_line() -> str:
    """Where the data key comes from (loading it creates the key file on a fresh install)."""
    key_id = keyring_get().current.key_id
    source = (
        "J1MSKY_DATA_KEY"
        if os.environ.get("J1MSKY_DATA_KEY", "").strip()
        else str(settings.DATA_DIR / KEY_FILE_NAME)
    )
    return f"data key {key_id} from {source} (back it up with the database)"


def startup_lines() -> list[str]:
    python = f"{sys.executable} manage.py"
    password = operator_password_ensure()
    if password:
        lines = [f"admin login: {OPERATOR} / {password}  (shown once)"]
    else:
        lines = [f"admin login: {OPERATOR} (change it with: {python} changepassword {OPERATOR})"]
    lines.append(data_key_line())
    key = first_key_ensure()
    if key:
        lines.append(f"first API key (all scopes, shown once): {key}")
    else:
        lines.append(f"API keys: create more with {python} create_api_key or POST /api/keys")
    return lines
