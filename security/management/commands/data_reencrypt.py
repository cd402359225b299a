"""Write every sealed value again under the current data key (the rotation's step 3,
security/crypto.py), or write the content in clear (`--clear`, turning J1MSKY_ENCRYPT_CONTENT
off) or sealed (`--seal`, turning it back on).

Secrets (`EncryptedTextField`: signing secrets, webhook secrets) are always sealed; content
fields (`ContentTextField`, `ContentJSONField`: tasks, results, event data, audit details) as
the flag or the setting says. Every process must already hold the new key (and the old one in
J1MSKY_DATA_KEYS_OLD). Safe to run again; values already under the current key are rewritten
with a fresh nonce, nothing else changes.
"""

from contextlib import nullcontext

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from j1msky.sealing import content_fields, content_rows_reseal, content_sealing
from security.crypto import EncryptedTextField, keyring_get, keyring_reset


def secret_fields(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


class Command(BaseCommand):
    help = "Re-seal secrets and content under the current data key (or write content in clear)."

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--clear", action="store_true", help="write content in clear")
        mode.add_argument("--seal", action="store_true", help="write content sealed")

    def handle(self, *args, clear: bool, seal: bool, **options):
        keyring_reset()
        self.stdout.write(f"current data key id {keyring_get().current.key_id}")
        forced = content_sealing(False) if clear else content_sealing(True) if seal else None
        total = 0
        with forced or nullcontext():
            for model in apps.get_models():
                names = content_fields(model) + secret_fields(model)
                if not names or model._meta.proxy:
                    continue
                try:
                    written = content_rows_reseal(model, names=names)
                except Exception as exc:
                    raise CommandError(f"{model._meta.label}: {exc}") from exc
                self.stdout.write(f"{model._meta.label}: {written} row(s) ({', '.join(names)})")
                total += written
        self.stdout.write(f"done: {total} row(s) written")
