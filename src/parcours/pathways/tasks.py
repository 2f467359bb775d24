"""Background jobs of the pathways module (django-tasks; immediate in tests, db_worker in `make run`)."""

from datetime import timedelta

from django_tasks import task

from parcours.core import schedule
from parcours.pathways.services import jobs


@task()
def import_separation_events(job_id: int) -> dict:
    """Import an uploaded file of separation events (see services.jobs.run_import)."""
    return jobs.run_import(job_id)


@task()
def send_information_offers() -> int:
    """Queue, through the outbox, the day-0 information of recent pathways opened by a file or the API."""
    from parcours.pathways.services.information import send_information_offers as sweep

    return sweep()


@schedule.periodic("pathways.purge_import_files", every=timedelta(hours=1))
def purge_import_files() -> int:
    """Supprime les fichiers d'import déposés une fois l'import terminé (ou en échec depuis trop longtemps)."""
    return jobs.purge_import_files()
