"""`parcours indicators refresh|export`: recompute the bilan's pre-aggregates, or write its figures."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from parcours.evaluation import services


class Command(BaseCommand):
    help = (
        "refresh : recalcule les indicateurs du bilan (pré-agrégats). export : écrit les chiffres publiés "
        "(secret statistique appliqué) d'un département ou du national, d'une année civile, en CSV, ODS ou XLSX."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["refresh", "export"])
        parser.add_argument(
            "--scope", default="national", help="code du département (92, 974…) ou « national »"
        )
        parser.add_argument("--from", dest="start", default="", help="premier mois, AAAA-MM (janvier)")
        parser.add_argument("--to", dest="end", default="", help="dernier mois, AAAA-MM (décembre)")
        parser.add_argument("--format", dest="fmt", choices=["csv", "ods", "xlsx"], default="csv")
        parser.add_argument(
            "--output", default="", help="fichier à écrire (sinon la sortie standard, CSV seulement)"
        )

    def handle(self, *args, action, scope, start, end, fmt, output, **options):
        if action == "refresh":
            run = services.refresh()
            self.stdout.write(
                f"Indicateurs recalculés de {run.first_month:%m/%Y} à {run.last_month:%m/%Y} : "
                f"{run.rows} lignes en {run.seconds:.1f} s."
            )
            return
        from parcours.core import exports
        from parcours.evaluation import tables

        try:
            year = tables.year_of(start, end)
            scope = tables.clean_scope(scope)
        except ValueError as error:
            raise CommandError(str(error)) from error
        content = exports.WRITERS[fmt](tables.figures_table(scope=scope, year=year))
        if output:
            with open(output, "wb") as out:
                out.write(content)
            self.stdout.write(f"Chiffres écrits dans {output}.")
        elif fmt == "csv":
            sys.stdout.buffer.write(content)
        else:
            raise CommandError("Indiquez --output pour un fichier ODS ou XLSX.")
