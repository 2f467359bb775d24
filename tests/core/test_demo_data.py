from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from parcours.core import audit
from parcours.core.models import User
from parcours.households.models import Household


def test_demo_data_are_refused_outside_demo_mode(db, settings):
    settings.DEMO_MODE = False
    with pytest.raises(ImproperlyConfigured):
        call_command("seed_demo")


def test_demo_data_load_for_the_five_departments_and_print_the_accounts(db, settings):
    settings.DEBUG = True
    settings.DEMO_MODE = True
    out = StringIO()
    call_command("seed_demo", "--scale", "0.2", stdout=out)
    printed = out.getvalue()
    for email in (
        "social_worker.92@demo.parcours.fr",
        "local_pilot.974@demo.parcours.fr",
        "admin@demo.parcours.fr",
    ):
        assert email in printed
        assert User.objects.filter(email=email).exists()
    assert "parcours-demo-2026" in printed and "JBSWY3DPEHPK3PXP" in printed
    assert set(Household.objects.values_list("department__code", flat=True)) == {
        "92",
        "974",
        "27",
        "86",
        "47",
    }
    assert audit.verify().ok
    again = StringIO()
    call_command("seed_demo", stdout=again)  # idempotent: a second `make run` keeps the data
    assert "déjà chargées" in again.getvalue()
