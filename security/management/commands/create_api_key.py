from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from j1msky.errors import DomainError
from security.services import api_key_create
from security.startup import OPERATOR


class Command(BaseCommand):
    help = "Create an API key and print it alone on the last line (it is not stored in clear)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--scopes", required=True, help="comma-separated, e.g. agents:read")
        parser.add_argument(
            "--owner",
            default=OPERATOR,
            help=f"username (created if missing; default the operator account '{OPERATOR}')",
        )
        parser.add_argument(
            "--staff",
            action="store_true",
            help="make a newly created owner staff (may change system-wide settings)",
        )
        parser.add_argument(
            "--signing-secret",
            action="store_true",
            help="issue a request-signing secret too (printed once, on the line before the key)",
        )
        parser.add_argument(
            "--require-signature",
            action="store_true",
            help="refuse the key's unsigned requests (implies --signing-secret)",
        )

    def handle(self, *args, name, scopes, owner, staff, **options):
        signing = options["signing_secret"] or options["require_signature"]
        user, created = get_user_model().objects.get_or_create(username=owner)
        if created:
            user.set_unusable_password()
            # The operator account is staff (semantics §3); others only when asked.
            user.is_staff = staff or owner == OPERATOR
            user.save()
            self.stdout.write(f"created user {owner}{' (staff)' if user.is_staff else ''}")
        try:
            key, secret = api_key_create(
                owner=user,
                name=name,
                scopes=[s.strip() for s in scopes.split(",") if s.strip()],
                signing_secret=signing,
                require_signature=options["require_signature"],
                actor="command:create_api_key",
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"key_id {key.key_id} scopes {','.join(key.scopes)} owner {owner}")
        if key.signing_secret:
            self.stdout.write(f"signing secret (shown once): {key.signing_secret}")
        self.stdout.write(secret)
