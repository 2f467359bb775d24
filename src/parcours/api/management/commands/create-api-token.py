"""`parcours create-api-token DÉPARTEMENT [--name USAGE]`: a token for a Caf's benefit system."""

from django.core.management.base import BaseCommand, CommandError

from parcours.api import services
from parcours.core.models import Organisation


class Command(BaseCommand):
    help = "Crée un jeton d'API pour la Caf d'un département (affiché une seule fois, conservé haché)."

    def add_arguments(self, parser):
        parser.add_argument("department", help="code du département de la Caf, ex. 92 ou 974")
        parser.add_argument("--name", default="Système d'information des prestations", help="usage du jeton")

    def handle(self, *args, department, name, **options):
        caf = Organisation.objects.filter(kind=Organisation.Kind.CAF, department__code=department).first()
        if caf is None:
            raise CommandError(f"Aucune Caf pour le département « {department} ».")
        if not caf.is_active:
            raise CommandError(f"La {caf.name} est désactivée.")
        _, clear = services.issue_token(actor=None, organisation=caf, name=name)
        self.stdout.write(f"Jeton créé pour {caf.name} ({name}). Il ne sera plus jamais affiché :")
        self.stdout.write(clear)
