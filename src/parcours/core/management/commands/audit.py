import time

from django.core.management.base import BaseCommand, CommandError

from parcours.core import audit


class Command(BaseCommand):
    help = (
        "Journal d'audit : `verify` vérifie les sceaux et les entrées et nomme ce qui est altéré ; "
        "`seal` scelle les entrées en attente ; `purge` applique la durée de conservation."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="vérifier l'intégrité du journal")
        sub.add_parser("seal", help="sceller maintenant les entrées en attente")
        purge = sub.add_parser("purge", help="supprimer les sceaux plus anciens que la durée de conservation")
        purge.add_argument(
            "--days", type=int, default=None, help="durée de conservation (PARCOURS_AUDIT_RETENTION_DAYS)"
        )

    def handle(self, *args, action, **options):
        if action == "seal":
            self.stdout.write(f"{audit.seal(wait=True)} entrée(s) scellée(s).")
        elif action == "purge":
            result = audit.purge(days=options["days"])
            if result.entries:
                self.stdout.write(
                    f"{result.entries} entrée(s) purgée(s) (n° {result.entry_ids[0]} à {result.entry_ids[1]}, "
                    f"sceaux n° {result.seals[0]} à {result.seals[1]})."
                )
            else:
                self.stdout.write("Rien à purger.")
        elif action == "verify":
            started = time.monotonic()
            result = audit.verify()
            elapsed = time.monotonic() - started
            waiting = f"{result.unsealed} entrée(s) en attente de scellement"
            if not result.ok:
                named = "\n".join(f"- {problem}" for problem in result.problems)
                raise CommandError(
                    f"Journal d'audit altéré :\n{named}\n({result.checked} entrées scellées intactes, {waiting}.)"
                )
            purged = f", {result.purged} purgée(s) avant l'ancre" if result.purged else ""
            self.stdout.write(
                self.style.SUCCESS(
                    f"Journal d'audit intègre : {result.checked} entrées scellées vérifiées en {result.seals} "
                    f"sceau(x), {waiting}{purged} ({elapsed:.1f} s)."
                )
            )
