"""Background jobs of the pathways module (django-tasks; immediate in tests, db_worker in `make run`)."""

from django_tasks import task

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
