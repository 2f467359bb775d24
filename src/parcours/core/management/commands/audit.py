from django.core.management.base import BaseCommand, CommandError

from parcours.core import audit


class Command(BaseCommand):
    help = "Journal d'audit : `parcours audit verify` vérifie le chaînage et nomme la première entrée rompue."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="vérifier l'intégrité du journal")

    def handle(self, *args, action, **options):
        if action == "verify":
            result = audit.verify()
            if not result.ok:
                raise CommandError(
                    f"Journal d'audit altéré : {result.problem} ({result.checked} entrées valides avant)."
                )
            self.stdout.write(
                self.style.SUCCESS(f"Journal d'audit intègre : {result.checked} entrées vérifiées.")
            )
