"""`parcours periodic`: the periodic jobs of every module (core.schedule), their last run, and a run on demand."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from parcours.core import schedule
from parcours.core.models import PeriodicRun


class Command(BaseCommand):
    help = (
        "Liste les tâches périodiques, lance celles qui sont dues (run-due) ou une tâche précise (run NOM)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "run", "run-due"], nargs="?", default="list")
        parser.add_argument("name", nargs="?", default="")

    def handle(self, *args, action, name, **options):
        if action == "list":
            runs = {row.name: row for row in PeriodicRun.objects.all()}
            for job in schedule.jobs():
                row = runs.get(job.name)
                last = (
                    f"{row.last_started_at:%d/%m/%Y %H:%M} ({row.last_status})"
                    if row and row.last_started_at
                    else "jamais"
                )
                when = (
                    f"chaque jour à {job.at:%H:%M}"
                    if job.at
                    else f"toutes les {int(job.every.total_seconds())} s"
                )
                self.stdout.write(f"{job.name} — {when} — dernière exécution : {last} — {job.description}")
            return
        if action == "run-due":
            ran = schedule.run_due()
            self.stdout.write(f"Tâches lancées : {', '.join(ran) if ran else 'aucune'}.")
            return
        try:
            schedule.get(name)
        except KeyError:
            raise CommandError(
                f"Tâche périodique inconnue : « {name} ». Voir `parcours periodic list`."
            ) from None
        result = schedule.run_now(name)
        self.stdout.write(f"{name} : {result}")
