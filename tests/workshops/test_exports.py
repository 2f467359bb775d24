"""The session's exporters (workshops/exports.py) through the registry's one download view."""

from io import BytesIO

from django.urls import reverse

from parcours.core.models import AuditEntry
from tests.workshops import factories as wf


def test_the_registrations_come_as_a_spreadsheet_too_with_formulas_neutralised(make_user, client_for):
    workshop = wf.workshop()
    wf.public_registration(workshop, first_name="=1+1")
    client = client_for(make_user("local_pilot", "92"))
    url = reverse("backoffice:export-workshops-registrations", kwargs={"pk": workshop.pk})
    page = client.get(reverse("backoffice:workshop-detail", kwargs={"pk": workshop.pk})).content.decode()
    assert f"{url}?format=xlsx" in page and f"{url}?format=ods" in page
    response = client.get(f"{url}?format=xlsx")
    assert response["Content-Disposition"] == f'attachment; filename="inscriptions-seance-{workshop.pk}.xlsx"'
    from openpyxl import load_workbook

    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("N°", "Prénom") and rows[1][1] == "'=1+1"
    assert client.get(f"{url}?format=pdf").status_code == 404  # a format it does not offer
    assert (
        AuditEntry.objects.filter(action="workshops.registrations.exported", data__format="xlsx").count() == 1
    )


def test_the_former_address_of_the_csv_redirects_after_the_same_checks(make_user, client_for):
    workshop = wf.workshop()
    former = reverse("backoffice:workshop-export", kwargs={"pk": workshop.pk})
    response = client_for(make_user("local_pilot", "92")).get(former)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "backoffice:export-workshops-registrations", kwargs={"pk": workshop.pk}
    )
    assert client_for(make_user("service_advisor", "92")).get(former).status_code == 403
    assert client_for(make_user("local_pilot", "974")).get(former).status_code == 404
