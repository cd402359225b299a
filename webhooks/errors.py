"""What the webhooks app refuses, each a named error in the one envelope (semantics §2, §11)."""

from __future__ import annotations

from j1msky.errors import Conflict, InvalidInput, NotFound


class WebhookNotFound(NotFound):
    code = "webhook_not_found"

    def __init__(self, webhook_id: str) -> None:
        super().__init__(f"Webhook {webhook_id} not found")


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"

    def __init__(self, delivery_id: str) -> None:
        super().__init__(f"Delivery {delivery_id} not found")


class WebhookUrlRefused(InvalidInput):
    """400: the URL is not https, or names (or resolves to) an address that is not public."""

    code = "webhook_url_refused"

    def __init__(self, reason: str) -> None:
        super().__init__(f"Webhook URL refused: {reason}", details={"url": [reason]})


class UnknownEventType(InvalidInput):
    def __init__(self, unknown: list[str], allowed: list[str]) -> None:
        names = ", ".join(allowed)
        super().__init__(
            f"Unknown event type: {unknown[0]}. Allowed: {names}",
            details={"events": [f"Unknown event type: {name}" for name in unknown]},
        )


class WebhookSecretInvalid(InvalidInput):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid secret: {reason}", details={"secret": [reason]})


class WebhookLimitReached(Conflict):
    code = "webhook_limit_reached"

    def __init__(self, limit: int) -> None:
        super().__init__(f"An owner may register at most {limit} webhooks; delete one first")


class WebhookDisabled(Conflict):
    code = "webhook_disabled"

    def __init__(self, webhook_id: str) -> None:
        super().__init__(f"Webhook {webhook_id} is disabled; resume it first")


class WebhookStateConflict(Conflict):
    code = "webhook_state_conflict"
