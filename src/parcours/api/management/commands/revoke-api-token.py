"""`parcours revoke-api-token JETON [--reason MOTIF]`: revoke a token by its prefix or its id."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from parcours.api import services


class Command(BaseCommand):
    help = (
        "Révoque un jeton d'API, désigné par son préfixe (ex. 3f9a1c2e) ou son numéro "
        "(voir `parcours list-api-tokens`) : il est refusé (401) dès la requête suivante."
    )

    def add_arguments(self, parser):
        parser.add_argument("token", help="préfixe du jeton (ex. 3f9a1c2e) ou son numéro")
        parser.add_argument("--reason", default="", help="motif de la révocation (journal d'audit)")

    def handle(self, *args, token, reason, **options):
        try:
            found = services.find_token(token)
            revoked = services.revoke_token(actor=None, token=found, reason=reason)
        except services.TokenError as exc:
            raise CommandError(str(exc)) from exc
        local = timezone.localtime(revoked.revoked_at)
        self.stdout.write(
            f"Jeton {revoked.prefix} ({revoked.name}) de la {revoked.organisation.name} révoqué "
            f"le {local:%d/%m/%Y à %H:%M} : il est refusé dès maintenant."
        )
