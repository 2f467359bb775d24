import os
import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand

from parcours.core import demo


class Command(BaseCommand):
    help = "Sert l'application de démonstration et lance à côté le worker (messages et tâches de fond)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, addr, **options):
        demo.require_demo_mode()
        # `parcours worker` sends the outbox (e-mails in var/mailbox/, SMS in var/sms/, letters) and runs the
        # database task queue, like db_worker did.
        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "parcours", "worker", "--parent-pid", str(os.getpid())]
        )
        self.stdout.write(self.style.SUCCESS(f"Parcours : http://{addr}/ (agents : http://{addr}/gestion/)"))
        try:
            call_command("runserver", addr, use_reloader=False)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=10)
