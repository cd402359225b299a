"""The structure holds: the import contracts (pyproject.toml) pass and catch a wrong arrow, and
no module or function outgrows what one reading takes in (docs/architecture.md)."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.processes import BIN, ROOT

PACKAGES = (
    "j1msky",
    "security",
    "billing",
    "agents",
    "pricing",
    "orchestrator",
    "webhooks",
    "console",
)
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": str(BIN)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory) -> Path:
    """The project's packages and contracts, copied so a test may add a wrong import."""
    tree = tmp_path_factory.mktemp("tree")
    shutil.copy(ROOT / "pyproject.toml", tree)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return tree


def test_the_import_contracts_hold():
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "contract"),
    [
        ("billing/_probe.py", "import agents.models\n", "Each app imports only the layers below"),
        ("j1msky/_probe.py", "import security.models\n", "Each app imports only the layers below"),
        ("security/_probe.py", "from pricing import engine\n", "Each app imports only the layers"),
        ("webhooks/_probe.py", "import console.views\n", "Each app imports only the layers"),
        ("pricing/engine/_probe.py", "import django\n", "The pricing engine is pure"),
        ("pricing/engine/_probe.py", "import billing.models\n", "The pricing engine is pure"),
        ("orchestrator/rules/_probe.py", "import django.db\n", "Domain rules"),
        ("j1msky/sdk/_probe.py", "import django.conf\n", "The client SDK needs only httpx"),
    ],
)
def test_a_wrong_arrow_breaks_a_contract(tree_copy, module, wrong_import, contract):
    probe = tree_copy / module
    probe.write_text(wrong_import)
    try:
        done = _lint_imports(tree_copy)
    finally:
        probe.unlink()
    assert done.returncode != 0
    assert f"{contract}" in done.stdout and "BROKEN" in done.stdout, done.stdout


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_module_over_400_lines_and_no_function_over_60():
    too_long = []
    for path in _sources():
        text = path.read_text()
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length}")
    assert too_long == []
