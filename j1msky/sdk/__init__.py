"""The J1MSKY Python client: `from j1msky import Agency` (or `from j1msky.sdk import Agency`).

It depends only on httpx and never imports Django: a client machine installs it alone
(`pip install ./sdk/python`, see docs/sdk.md).
"""

from .agents import Agent
from .client import Agency
from .errors import (
    AgentFailedError,
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BudgetExceededError,
    ConfigurationError,
    ConflictError,
    J1mskyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    ValidationError,
    WaitTimeoutError,
)
from .records import AgentResult, Record
from .version import __version__

__all__ = (
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
    "__version__",
)
