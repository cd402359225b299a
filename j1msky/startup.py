"""What `manage.py up` prints once the database is ready, contributed by the apps.

Each app registers a hook from its AppConfig; a hook may prepare what it owns (the security app
creates the operator account and a first key on a fresh install) and returns the lines to show.
"""

from __future__ import annotations

from collections.abc import Callable

StartupHook = Callable[[], list[str]]
_hooks: list[tuple[int, StartupHook]] = []


def startup_hook_register(hook: StartupHook, *, order: int = 50) -> None:
    """Run `hook` at start-up, lower `order` first."""
    _hooks.append((order, hook))


def startup_hooks_run() -> list[str]:
    lines: list[str] = []
    for _, hook in sorted(_hooks, key=lambda item: item[0]):
        lines.extend(hook())
    return lines
