from collections import Counter
from io import StringIO

from django.core.management import call_command

from parcours.core.models import User
from parcours.doctrine import selectors
from parcours.doctrine.models import Chapter, Practice


def test_demo_sheets_cover_the_five_departments_in_every_state(db, settings):
    settings.DEBUG = True
    settings.DEMO_MODE = True
    call_command("seed_demo", "--scale", "0.1", stdout=StringIO())
    states = Counter(Practice.objects.values_list("state", flat=True))
    assert set(states) == set(Practice.State.values)
    assert 25 <= sum(states.values()) <= 40
    assert set(Practice.objects.values_list("department__code", flat=True)) == {"92", "974", "27", "86", "47"}
    assert Chapter.objects.count() == 3
    reader = User.objects.get(email="service_advisor.47@demo.parcours.fr")
    found = selectors.search_practices(reader, selectors.SearchQuery(q="reunion webinaire"))
    assert "Séance Parents après la séparation en webinaire" in [h.practice.title for h in found.hits]
