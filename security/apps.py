from django.apps import AppConfig

SECURITY_EVENTS = (
    # A protection fired (semantics §12.7): an address refused or blocked, a lock-out, a
    # per-IP ceiling, a bad or replayed signature; `data.reason` says which.
    "security.violation",
    "security.key_suspended",
    "security.key_reinstated",
)


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        from j1msky.events import event_types_register
        from j1msky.sealing import ContentCodec, content_codec_register
        from j1msky.startup import startup_hook_register
        from security.crypto import data_decrypt, data_encrypt, looks_sealed
        from security.services import audit_events_register
        from security.startup import startup_lines

        content_codec_register(
            ContentCodec(seal=data_encrypt, open=data_decrypt, looks_sealed=looks_sealed)
        )
        event_types_register(*SECURITY_EVENTS)
        audit_events_register("api.key.used", "privacy.export")
        audit_events_register(
            "config.change",
            "security.violation",
            "api.key.created",
            "api.key.revoked",
            "api.key.rotated",
            "api.key.reinstated",
            "admin.action",
            essential=True,
        )
        startup_hook_register(startup_lines, order=10)
