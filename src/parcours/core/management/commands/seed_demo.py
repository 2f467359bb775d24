import random
import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import autodiscover_modules

from parcours.core import demo
from parcours.core.models import Organisation


class Command(BaseCommand):
    help = "Charge les données de démonstration des cinq départements pilotes (mode démo uniquement)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="recharger même si des données de démo existent"
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="graine du générateur (données reproductibles)"
        )
        parser.add_argument(
            "--scale", type=float, default=1.0, help="multiplie les volumes (0.1 pour un jeu réduit)"
        )

    def handle(self, *args, force=False, seed=2026, scale=1.0, **options):
        demo.require_demo_mode()
        autodiscover_modules("demo_data")
        if Organisation.objects.filter(kind=Organisation.Kind.NATIONAL).exists() and not force:
            self.stdout.write("Données de démonstration déjà chargées.")
        else:
            rng = random.Random(seed)
            for seeder in demo.SEEDERS.entries():
                started = time.monotonic()
                with transaction.atomic():
                    summary = seeder.func(rng=rng, scale=scale, stdout=self.stdout)
                self.stdout.write(f"  {seeder.key} : {summary or 'ok'} ({time.monotonic() - started:.1f} s)")
        self.print_accounts()

    def print_accounts(self):
        from django.conf import settings

        from parcours.core.models import User

        users = (
            User.objects.filter(email__endswith=f"@{demo.DEMO_DOMAIN}")
            .select_related("organisation")
            .order_by("email")
        )
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Comptes de démonstration"))
        self.stdout.write(f"  mot de passe : {settings.DEMO_PASSWORD}")
        self.stdout.write(
            f"  secret TOTP  : {settings.DEMO_TOTP_SECRET} (code courant : .venv/bin/parcours demo_totp)"
        )
        for user in users:
            self.stdout.write(
                f"  {user.email:<48} {', '.join(user.role_labels())} — {user.organisation.name}"
            )
