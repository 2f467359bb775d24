"""The attacker: for every table the evaluation can publish (every indicator × every year of the
seeded demo data — each page, chart, export and the PDF are slices of these cubes), solve the
linear system the visible cells and totals give, and fail if any hidden cell is determined."""

from io import StringIO

import pytest
from django.core.management import call_command

from parcours.core import indicators, secrecy
from parcours.evaluation import publication, services


@pytest.fixture
def demo_year(db, settings):
    settings.DEBUG = True
    settings.DEMO_MODE = True
    call_command("seed_demo", "--scale", "0.2", stdout=StringIO())
    services.refresh()


def test_no_hidden_cell_of_any_publishable_table_can_be_recomputed(demo_year, capsys):
    tried = hidden = secondary = 0
    determined = []
    years = publication.years_available()
    assert len(years) >= 2  # the demo year spans two calendar years
    for year in years:
        for indicator in indicators.all_indicators():
            pub = publication.build(indicator.code, year)
            if not indicator.people:
                assert pub.hidden_primary == pub.hidden_secondary == 0
                continue
            tried += 1
            hidden += int(pub.hidden.sum())
            secondary += pub.hidden_secondary
            # every sensitive cell is hidden, and nothing hidden is shown
            for figure in pub.cells.values():
                assert not (figure.hidden and figure.value is not None)
                if 0 < figure.people < secrecy.threshold():
                    assert figure.hidden, (indicator.code, year)
            for cell, span in secrecy.attack(pub.tables, pub.hidden).items():
                if span.determined:
                    determined.append((indicator.code, year, cell, span))
    with capsys.disabled():
        print(
            f"\nattaquant : {tried} tableaux, {hidden} cases masquées dont {secondary} en secondaire, "
            f"{len(determined)} déterminées"
        )
    assert tried >= 20 and hidden > 100 and secondary > 0
    assert determined == []
