"""`parcours anonymise [--dry-run]`: the retention job on demand (the worker runs it every night)."""

from django.core.management.base import BaseCommand

from parcours.core import retention
from parcours.households import anonymisation


class Command(BaseCommand):
    help = (
        "Anonymise les foyers dont toutes les durées de conservation sont échues, sans parcours ouvert, "
        "mesure MAP active, aide à recouvrer ni gel légal. --dry-run : compte sans rien écrire."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="ne rien écrire : compter et lister")
        parser.add_argument("--limit", type=int, default=None, help="au plus ce nombre de foyers")

    def handle(self, *args, dry_run, limit, **options):
        for holding in retention.all_holdings():
            self.stderr.write(f"{holding.label} : {holding.days} jours ({holding.setting})")

        reported = [0]

        def progress(done):
            if done - reported[0] >= 10_000:
                reported[0] = done
                self.stderr.write(f"{done} foyer(s) anonymisé(s)…")

        result = anonymisation.run(dry_run=dry_run, limit=limit, progress=progress)
        if dry_run:
            self.stdout.write(f"Essai à blanc : {result.households} foyer(s) seraient anonymisés.")
            for reference in result.references:
                self.stdout.write(f"  {reference}")
            if result.households > len(result.references):
                self.stdout.write(f"  … et {result.households - len(result.references)} autre(s)")
            return
        unlinked = ", ".join(f"{k} : {v}" for k, v in result.unlinked.items())
        self.stdout.write(
            f"Terminé : {result.households} foyer(s) anonymisé(s)"
            + (f" ; hors foyer : {unlinked}" if unlinked else "")
        )
