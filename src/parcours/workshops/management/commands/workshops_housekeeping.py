from django.core.management.base import BaseCommand

from parcours.workshops.tasks import housekeeping


class Command(BaseCommand):
    help = (
        "Séances : fait expirer les places proposées non confirmées (et les propose à la personne suivante) "
        "et les invitations sans réponse. À lancer toutes les 5 minutes (cron ou minuteur systemd)."
    )

    def handle(self, *args, **options):
        result = housekeeping()
        self.stdout.write(
            f"Places proposées expirées : {result['offers_expired']} ; "
            f"invitations expirées : {result['invitations_expired']}"
        )
