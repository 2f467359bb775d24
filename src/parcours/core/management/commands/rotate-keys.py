"""`parcours rotate-keys`: re-encrypt every protected value with the newest key."""

from django.core.management.base import BaseCommand

from parcours.core import audit, crypto


class Command(BaseCommand):
    help = (
        "Rechiffre chaque valeur protégée (adresses protégées, secrets) avec la clé la plus récente de "
        "PARCOURS_ENCRYPTION_KEYS, par lots, reprenable ; ensuite l'ancienne clé peut être retirée."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        def progress(label, tally):
            self.stderr.write(f"{label} : {tally['rotated']} rechiffrée(s), {tally['current']} déjà à jour")

        counts = crypto.rotate_all(
            batch_size=batch_size, progress=progress if options["verbosity"] > 1 else None
        )
        rotated = sum(t["rotated"] for t in counts.values())
        current = sum(t["current"] for t in counts.values())
        audit.record(None, "core.keys.rotated", data={"rotated": rotated, "current": current})
        for label, tally in counts.items():
            self.stdout.write(f"{label} : {tally['rotated']} rechiffrée(s), {tally['current']} déjà à jour")
        self.stdout.write(
            f"Terminé : {rotated} valeur(s) rechiffrée(s), {current} déjà avec la clé la plus récente. "
            "Vérifiez puis retirez l'ancienne clé de PARCOURS_ENCRYPTION_KEYS."
        )
