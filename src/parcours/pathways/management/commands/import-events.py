"""`parcours import-events FICHIER [--dry-run]`: import separation events from a CSV or JSON file."""

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parcours.pathways.services import jobs


class Command(BaseCommand):
    help = (
        "Importe des déclarations de séparation (CSV ou JSON) et ouvre leurs parcours. "
        "Tout ou rien : une seule ligne erronée et rien n'est écrit."
    )
    # The system checks load every URL, view and API schema: 40 MB of memory that an import does
    # not need (`parcours check` and the server still run them).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="fichier CSV (en-tête obligatoire, ; ou ,) ou JSON")
        parser.add_argument("--dry-run", action="store_true", help="vérifier seulement, sans rien écrire")

    def handle(self, *args, file, dry_run=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        started = time.monotonic()
        progress = sys.stderr if options.get("verbosity", 1) >= 1 else None

        def checked(count):
            if progress:
                progress.write(f"\rVérification : {count} lignes")
                progress.flush()

        def before_write(count):
            if progress:
                progress.write(f"\rÉcriture de {count} déclarations…\n")
                progress.flush()

        def written(count):
            if progress:
                progress.write(f"\rÉcrites : {count}")
                progress.flush()

        outcome = jobs.import_data(
            actor=None,
            data=path.read_bytes(),
            filename=path.name,
            dry_run=dry_run,
            on_checked=checked,
            before_write=before_write,
            on_written=written,
        )
        if progress:
            progress.write("\n")
        if outcome.unreadable:
            raise CommandError(f"{path.name} : {outcome.unreadable}")
        if outcome.errors:
            for error in outcome.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{path.name} : {len(outcome.errors)} erreur{'s' if len(outcome.errors) > 1 else ''} "
                f"sur {outcome.total} lignes ; rien n'a été écrit."
            )
        elapsed = time.monotonic() - started
        if dry_run:
            self.stdout.write(
                f"Vérification seule : {outcome.total} lignes valides ; {outcome.created} seraient importées, "
                f"{outcome.existing} le sont déjà. Rien n'a été écrit."
            )
        else:
            rate = outcome.total / elapsed if elapsed else 0
            self.stdout.write(
                self.style.SUCCESS(
                    f"{outcome.created} parcours ouverts, {outcome.existing} déclarations déjà importées "
                    f"({outcome.total} lignes en {elapsed:.1f} s, {rate:.0f} lignes/s)."
                )
            )
