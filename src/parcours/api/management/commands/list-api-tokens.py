"""`parcours list-api-tokens [DÉPARTEMENT] [--actifs]`: the tokens, never their secret nor its hash."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from parcours.api.models import ApiToken
from parcours.core.models import Department


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%d/%m/%Y %H:%M}" if moment else "jamais"


class Command(BaseCommand):
    help = (
        "Liste les jetons d'API (d'un département, ou tous) : numéro, préfixe, usage, organisation, "
        "création, dernière utilisation, état. Ni le jeton ni son empreinte ne sont affichés."
    )

    def add_arguments(self, parser):
        parser.add_argument("department", nargs="?", help="code du département, ex. 92 ou 974 (tous sinon)")
        parser.add_argument("--actifs", action="store_true", help="seulement les jetons non révoqués")

    def handle(self, *args, department, actifs, **options):
        tokens = ApiToken.objects.select_related("organisation__department").only(
            # Named field by field: the hash never leaves the database.
            "id", "prefix", "name", "created_at", "last_used_at", "revoked_at",
            "organisation__name", "organisation__is_active", "organisation__department__code",
        ).order_by("organisation__department__code", "organisation__name", "-created_at", "-pk")  # fmt: skip
        if department:
            if not Department.objects.filter(code=department).exists():
                raise CommandError(f"Aucun département « {department[:10]} ».")
            tokens = tokens.filter(organisation__department__code=department)
        if actifs:
            tokens = tokens.filter(revoked_at__isnull=True)
        tokens = list(tokens)
        where = f" pour le département {department}" if department else ""
        if not tokens:
            self.stdout.write(f"Aucun jeton d'API{where}.")
            return
        self.stdout.write(f"{len(tokens)} jeton(s) d'API{where} :")
        for token in tokens:
            if token.revoked_at:
                state = f"révoqué le {_when(token.revoked_at)}"
            elif not token.organisation.is_active:
                state = "refusé (organisation désactivée)"
            else:
                state = "actif"
            self.stdout.write(
                f"- n° {token.pk}, préfixe {token.prefix} : {token.name} — {token.organisation.name} ; "
                f"créé le {_when(token.created_at)}, dernière utilisation : {_when(token.last_used_at)} ; {state}"
            )
