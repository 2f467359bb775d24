from datetime import date, datetime

from django.template import Context, Template

from parcours.notifications.templates import _compile


def test_the_first_of_the_month_is_written_1er_in_pages():
    out = Template(
        '{{ d|date:"j F Y" }} / {{ e|date:"l j F" }} / {{ f|date:"j F" }} / {{ d|date:"d/m/Y" }}'
    ).render(Context({"d": date(2026, 12, 1), "e": datetime(2026, 3, 1, 10), "f": date(2026, 12, 11)}))
    assert out == "1er décembre 2026 / dimanche 1er mars / 11 décembre / 01/12/2026"


def test_and_in_messages():
    assert _compile("{{ d|date:'j F' }}", False).render(Context({"d": date(2027, 1, 1)})) == "1er janvier"
