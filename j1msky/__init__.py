"""J1MSKY: the server's project package, and the home of its Python client.

Importing `j1msky` starts nothing of the server: `from j1msky import Agency` loads only the
client (`j1msky.sdk`, httpx and the standard library), and `j1msky.celery_app` loads the Celery
app on first use. Every server process loads the Celery app from `J1mskyConfig.ready()`.
"""

import importlib


def _sdk():
    return importlib.import_module(f"{__name__}.sdk")


def __getattr__(name: str):
    # PEP 562: resolved on first access, so importing the package loads neither Celery nor
    # Django, and `celery -A j1msky` still finds the app (through `j1msky.celery`). The client's
    # names are the SDK's own `__all__` (also what `from j1msky import *` takes).
    if name == "celery_app":
        return importlib.import_module(f"{__name__}.celery").app
    if name == "__all__":
        return tuple(_sdk().__all__)
    sdk = _sdk()
    if name in sdk.__all__:
        return getattr(sdk, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), "celery_app", *_sdk().__all__})
