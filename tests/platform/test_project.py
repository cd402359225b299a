"""Project hygiene that must hold on every commit."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_openapi_schema_builds_with_zero_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/keys" in text and "/api/v1/health" in text
    assert "/api/keys:" not in text  # the unversioned copy is not documented twice


def test_every_setting_read_from_the_environment_is_in_env_example():
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, re.M))
    used = set()
    settings_modules = ROOT.glob("j1msky/*settings.py")  # settings.py, service_settings.py
    for path in [*settings_modules, *ROOT.glob("*/management/commands/*.py")]:
        used |= set(
            re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""", path.read_text())
        )
        used |= set(re.findall(r"""environ\.get\(\s*["']([A-Z][A-Z0-9_]+)["']""", path.read_text()))
    for name in ("ANTHROPIC", "KIMI", "MINIMAX", "OPENAI"):
        used |= {f"J1MSKY_{name}_API_KEY", f"J1MSKY_{name}_BASE_URL"}
    assert used, "no settings found"
    assert sorted(used - documented) == []
