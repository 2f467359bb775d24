"""Anonymisation keeps the statistical skeleton: on the seeded demo year, every indicator the
evaluation stores has the same value before and after the retention job (households/anonymisation.py)."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from parcours.evaluation import services
from parcours.households import anonymisation
from parcours.households.models import Household, Person


def _values(window) -> dict:
    return {
        (row.indicator, row.department, row.month, row.breakdown_key): (
            row.numerator,
            row.denominator,
            row.distribution,
        )
        for row in services.compute_rows(window)
    }


def test_indicators_are_unchanged_by_the_anonymisation_of_a_seeded_year(db, settings):
    settings.DEBUG = True
    settings.DEMO_MODE = True
    call_command("seed_demo", "--scale", "0.2", stdout=StringIO())
    window = services.default_window()
    before = _values(window)
    assert len(before) > 50

    # Ten years on: every closed file has expired; open pathways, measures and aids keep theirs.
    result = anonymisation.run(now=timezone.now() + timedelta(days=3650))

    assert result.households > 10
    assert Household.objects.filter(anonymised_at__isnull=False).count() == result.households
    assert Person.objects.filter(household__anonymised_at__isnull=False, first_name="").exists()
    assert _values(window) == before


def test_indicators_are_unchanged_by_the_erasure_of_single_persons_on_request(db, settings):
    """RGPD art. 17 for one member (households.services.erase_person_on_request): every member the
    rules let go of (her pathway closed, no measure, no aid open…) is erased, one by one, and the
    indicators keep their values."""
    settings.DEBUG = True
    settings.DEMO_MODE = True
    call_command("seed_demo", "--scale", "0.2", stdout=StringIO())
    window = services.default_window()
    before = _values(window)
    assert len(before) > 50

    now = timezone.now()
    erased = 0
    for person in Person.objects.select_related("household").order_by("pk"):
        if not anonymisation.person_blockers(person, now):
            anonymisation.erase_person(person.pk, now)
            erased += 1

    assert erased > 10
    assert Person.objects.filter(erased_at__isnull=False, first_name="").count() == erased
    assert Person.objects.filter(erased_at__isnull=True).exists()  # the others are kept
    assert _values(window) == before
