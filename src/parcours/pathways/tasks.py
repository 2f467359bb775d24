"""Background jobs of the pathways module (django-tasks; immediate in tests, `parcours worker` in `make run`).

Each task is declared beside the service it runs (no import circle between services and tasks); they
are named here too, so that a job queued under these paths before the move still runs.
"""

from parcours.pathways.services.information import sweep_information_offers
from parcours.pathways.services.jobs import import_separation_events

send_information_offers = sweep_information_offers

__all__ = ["import_separation_events", "send_information_offers", "sweep_information_offers"]
