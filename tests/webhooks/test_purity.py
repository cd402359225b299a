"""The delivery building blocks import neither Django nor any app: stdlib, plus httpx for HTTP."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = ["ssrf", "http", "signing", "schedule", "payload"]
THIRD_PARTY = {"http": {"httpx", "httpcore", "certifi"}}


def test_modules_import_without_django():
    imports = "; ".join(f"import webhooks.{name}" for name in MODULES)
    code = f"import sys; {imports}; assert 'django' not in sys.modules, 'django imported'"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", MODULES)
def test_modules_import_only_the_standard_library_and_each_other(name):
    allowed = set(sys.stdlib_module_names) | {"webhooks"} | THIRD_PARTY.get(name, set())
    tree = ast.parse((ROOT / "webhooks" / f"{name}.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= allowed, imported - allowed
