"""`parcours map-remind`: queue the end-of-measure alerts of the MAP module now (the worker does it daily)."""

from django.core.management.base import BaseCommand

from parcours.accompaniment.tasks import remind


class Command(BaseCommand):
    help = "Alertes de fin des mesures d'accompagnement protégé (30 et 7 jours avant la fin)."

    def handle(self, *args, **options):
        count = remind()
        self.stdout.write(f"{count} alerte(s) de fin de mesure mise(s) en file d'attente.")
