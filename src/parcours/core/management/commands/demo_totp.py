import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django_otp.oath import TOTP

from parcours.core import demo


class Command(BaseCommand):
    help = "Affiche le code TOTP courant des comptes de démonstration (mode démo uniquement)."

    def handle(self, *args, **options):
        demo.require_demo_mode()
        totp = TOTP(bytes.fromhex(demo.demo_totp_key_hex()))
        remaining = 30 - int(time.time()) % 30
        self.stdout.write(f"{totp.token():06d}")
        self.stderr.write(f"(secret {settings.DEMO_TOTP_SECRET}, valable encore {remaining} s)")
