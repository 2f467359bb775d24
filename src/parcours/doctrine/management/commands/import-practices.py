"""`parcours import-practices FICHIER [--dry-run]`: import an inventory of practices (XLSX, ODS, CSV)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parcours.doctrine import imports


class Command(BaseCommand):
    help = (
        "Importe un inventaire de pratiques (XLSX, ODS ou CSV, une ligne par pratique) ; les fiches arrivent "
        "« soumises ». Tout ou rien : une seule ligne erronée et rien n'est écrit."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="fichier XLSX, ODS ou CSV (en-tête obligatoire)")
        parser.add_argument("--dry-run", action="store_true", help="vérifier seulement, sans rien écrire")

    def handle(self, *args, file, dry_run=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        outcome = imports.import_file(actor=None, data=path.read_bytes(), filename=path.name, dry_run=dry_run)
        if outcome.unreadable:
            raise CommandError(f"{path.name} : {outcome.unreadable}")
        if outcome.errors:
            for error in outcome.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{path.name} : {len(outcome.errors)} erreur{'s' if len(outcome.errors) > 1 else ''} "
                f"sur {outcome.total} lignes ; rien n'a été écrit."
            )
        if dry_run:
            self.stdout.write(
                f"Vérification seule : {outcome.total} lignes valides ; {outcome.total} fiches seraient importées. "
                "Rien n'a été écrit."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"{outcome.created} fiches pratiques importées (état « soumise »).")
            )
