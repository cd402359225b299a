"""J1MSKY: the server's project package, and the home of its Python client.

Importing `j1msky` starts nothing of the server: `from j1msky import Agency` loads only the
client (`j1msky.sdk`, httpx and the standard library), and `j1msky.celery_app` loads the Celery
app on first use. Every server process loads the Celery app from `J1mskyConfig.ready()`.
"""

_SDK_NAMES = frozenset(
    {
        "APIConnectionError",
        "APIError",
        "APITimeoutError",
        "Agency",
        "Agent",
        "AgentFailedError",
        "AgentResult",
        "AuthenticationError",
        "BudgetExceededError",
        "ConfigurationError",
        "ConflictError",
        "J1mskyError",
        "NotFoundError",
        "PermissionDeniedError",
        "RateLimitError",
        "Record",
        "ServerError",
        "ServiceUnavailableError",
        "ValidationError",
        "WaitTimeoutError",
    }
)

# The client's names only: `from j1msky import *` must work where only the client is installed.
__all__ = tuple(sorted(_SDK_NAMES))


def __getattr__(name: str):
    # PEP 562: resolved on first access, so importing the package loads neither Celery nor
    # Django, and `celery -A j1msky` still finds the app (through `j1msky.celery`).
    if name == "celery_app":
        from .celery import app

        return app
    if name in _SDK_NAMES:
        from . import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'j1msky' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), "celery_app", *_SDK_NAMES})
