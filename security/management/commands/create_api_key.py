from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from j1msky.api.errors import DomainError
from security.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key and print it alone on the last line (it is not stored in clear)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--scopes", required=True, help="comma-separated, e.g. agents:read")
        parser.add_argument("--owner", default="admin", help="username (created if missing)")

    def handle(self, *args, name, scopes, owner, **options):
        user, created = get_user_model().objects.get_or_create(username=owner)
        if created:
            user.set_unusable_password()
            user.save()
            self.stdout.write(f"created user {owner}")
        try:
            key, secret = api_key_create(
                owner=user, name=name, scopes=[s.strip() for s in scopes.split(",") if s.strip()]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"key_id {key.key_id} scopes {','.join(key.scopes)} owner {owner}")
        self.stdout.write(secret)
