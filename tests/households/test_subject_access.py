"""The right of access (RGPD art. 15): the file of ONE person, as a PDF and a JSON, from the household page."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcours.core import exports
from parcours.core.models import AuditEntry
from parcours.households import services as household_services
from parcours.households.models import Person
from parcours.notifications.models import Message
from parcours.pathways.models import PathwayStep
from parcours.protection import services as protection_services
from tests import factories
from tests.authz.outputs_core import readable
from tests.pathways.factories import open_pathway

MOTHER_TOKEN = "JETON-MERE-5c1a"
FATHER_TOKEN = "JETON-PERE-9e2b"
URL = "backoffice:export-households-subject-access"


@pytest.fixture
def family(db):
    """A declared separation: the mother declared it, the father is on the file; each has private data."""
    social_worker = factories.make_user("social_worker", "92")
    pathway = open_pathway()
    household = pathway.household
    mother = pathway.declarant
    father = household_services.add_person(
        actor=social_worker, household=household, role="parent", first_name="Julien", last_name="Martin"
    )
    for person, token in ((mother, MOTHER_TOKEN), (father, FATHER_TOKEN)):
        household_services.set_address(
            actor=social_worker, person=person, line=f"{token} rue", postal_code="92000", city="Nanterre"
        )
        household_services.add_contact(
            actor=social_worker,
            person=person,
            kind="email",
            value=f"{token.lower()}@exemple.fr",
            is_safe=True,
        )
        Message.objects.create(
            key=f"test.{token}", template="test", person=person, household=household,
            channel="email", status=Message.Status.SENT, subject=f"Objet {token}", body=f"Bonjour {token}",
        )  # fmt: skip
    return social_worker, household, mother, father


def _json(actor, person) -> dict:
    rendered = exports.produce(actor=actor, identifier="households.subject_access", fmt="json", obj=person)
    assert rendered.content_type.startswith("application/json")
    return json.loads(rendered.content)


def _pdf_text(actor, person) -> str:
    rendered = exports.produce(actor=actor, identifier="households.subject_access", fmt="pdf", obj=person)
    assert rendered.content.startswith(b"%PDF")
    return readable("pdf", rendered.content)


def test_the_household_page_offers_the_file_of_each_member_to_the_social_worker(family, client_for):
    social_worker, household, mother, _ = family
    page = client_for(social_worker).get(reverse("backoffice:household-detail", kwargs={"pk": household.pk}))
    assert reverse(URL, kwargs={"pk": mother.pk}) in page.content.decode()


def test_the_file_is_downloaded_as_json_and_pdf_and_each_download_is_audited(family, client_for):
    social_worker, _, mother, _ = family
    client = client_for(social_worker)
    url = reverse(URL, kwargs={"pk": mother.pk})
    response = client.get(f"{url}?format=json")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["personne"] == mother.full_name
    titles = [section["rubrique"] for section in data["rubriques"]]
    assert titles[:4] == ["Identité", "Adresse", "Canaux de contact", "Consentements"]
    assert "Parcours séparation et étapes" in titles and "Messages qui vous ont été envoyés" in titles
    assert client.get(f"{url}?format=pdf")["Content-Type"] == "application/pdf"
    entries = AuditEntry.objects.filter(action="households.subject_access.exported")
    assert sorted(e.data["format"] for e in entries) == ["json", "pdf"]


def test_each_parents_file_holds_her_own_data_and_none_of_the_other_parents(family):
    social_worker, _, mother, father = family
    for person, own, other in ((mother, MOTHER_TOKEN, FATHER_TOKEN), (father, FATHER_TOKEN, MOTHER_TOKEN)):
        text = json.dumps(_json(social_worker, person), ensure_ascii=False)
        pdf = _pdf_text(social_worker, person)
        assert own in text and own in pdf  # her address, her channel, her message
        assert other not in text and other not in pdf


def test_the_declarant_file_holds_her_pathway_and_its_steps_but_not_the_staff_notes(family):
    social_worker, household, mother, father = family
    step = PathwayStep.objects.filter(household=household).first()
    PathwayStep.objects.filter(pk=step.pk).update(note="NOTE-INTERNE-33aa")
    data = json.dumps(_json(social_worker, mother), ensure_ascii=False)
    assert step.label in data and "Échéance" in data
    assert "NOTE-INTERNE-33aa" not in data
    # The other parent did not declare the separation: the pathway is not his data.
    assert step.label not in json.dumps(_json(social_worker, father), ensure_ascii=False)


def test_a_report_naming_the_mother_stays_out_of_the_fathers_file_with_the_protected_steps(family):
    social_worker, household, mother, father = family
    # The father declared the separation this time: his file would show the pathway's steps.
    Person.objects.filter(pk=mother.pk).update(is_declarant=False)
    household.pathways.update(declarant=father)
    step = PathwayStep.objects.filter(household=household).first()
    assert step.label in json.dumps(_json(social_worker, father), ensure_ascii=False)
    protection_services.record_violence_report(
        actor=social_worker, household=household, person=mother, source="police", note="MARQUEUR-7d"
    )
    his = json.dumps(_json(social_worker, father), ensure_ascii=False)
    hers = json.dumps(_json(social_worker, mother), ensure_ascii=False)
    assert "Signalement du" in hers and "Signalement du" not in his
    assert step.label not in his  # the protected track's steps would tell him
    assert "MARQUEUR-7d" not in hers + his  # the report's note is the staff's


def test_a_file_that_would_carry_another_members_private_text_is_refused(family, monkeypatch):
    """The guard under the sections: a section that leaked the father's address stops the file."""
    from parcours.core import subject_access

    social_worker, _, mother, _ = family
    leaky = subject_access.Section(
        key="test.leak",
        title="Fuite",
        collect=lambda subject: [subject_access.Entry("x", [("Adresse", f"{FATHER_TOKEN} rue")])],
    )
    monkeypatch.setitem(subject_access._SECTIONS, "test.leak", leaky)
    with pytest.raises(ValidationError):
        _json(social_worker, mother)


def test_the_protected_address_is_never_decrypted_into_the_file(family):
    social_worker, _, mother, _ = family
    household_services.protect_address(
        actor=social_worker, person=mother, reason="Mise à l'abri", elected_kind="association",
        elected_name="CIDFF", elected_line="1 place de la Mairie", elected_postal_code="92000",
        elected_city="Nanterre",
    )  # fmt: skip
    text = json.dumps(_json(social_worker, mother), ensure_ascii=False)
    assert f"{MOTHER_TOKEN} rue" not in text  # her real address, now encrypted
    assert "1 place de la Mairie" in text and "non reproduite" in text


# --- MAP handovers (accompaniment) and public registrations linked to no household ----------------


def test_each_parents_file_tells_her_own_handovers_and_nothing_of_the_other_parents_side(db):
    from parcours.accompaniment import services as map_services
    from parcours.accompaniment.models import Handover
    from tests.accompaniment import factories as af

    org = af.map_organisation("92")
    m = af.measure("92", map_org=org)
    coordinator = af.coordinator_of(org)
    mother, father = m.residential_parent, m.visiting_parent
    hers = map_services.add_place(
        actor=coordinator, measure=m, label=f"Lieu {MOTHER_TOKEN}", address=f"{MOTHER_TOKEN} adresse du lieu"
    )
    his = map_services.add_place(
        actor=coordinator, measure=m, label=f"Lieu {FATHER_TOKEN}", address=f"{FATHER_TOKEN} adresse du lieu"
    )
    map_services.generate_calendar(
        actor=coordinator, measure=m, residential_place=hers, visiting_place=his, from_day=m.starts_on
    )
    first, second = m.handovers.order_by("from_at", "pk")[:2]
    map_services.record_outcome(
        actor=coordinator, handover=first, outcome=Handover.Outcome.DONE,
        incidents=[
            map_services.IncidentInput("threat", f"RECIT-SUR-LE-PERE {FATHER_TOKEN}", father),
            map_services.IncidentInput("lateness", "RECIT-SUR-LA-MERE en retard", mother),
        ],
        child_words="PAROLE-ENFANT-71",
    )  # fmt: skip
    map_services.record_outcome(
        actor=coordinator, handover=second, outcome=Handover.Outcome.NOT_PRESENTED, absent_parent=father
    )
    actor = m.referent
    files = {}
    for person in (mother, father):
        files[person.pk] = json.dumps(_json(actor, person), ensure_ascii=False) + _pdf_text(actor, person)
    mother_file, father_file = files[mother.pk], files[father.pk]
    # Each has her own appointments: her place's name, never the other's, never a place's address.
    assert f"Lieu {MOTHER_TOKEN}" in mother_file and f"Lieu {FATHER_TOKEN}" in father_file
    assert FATHER_TOKEN not in mother_file and MOTHER_TOKEN not in father_file
    assert "adresse du lieu" not in mother_file + father_file
    # The incidents about her, by category; never a narrative, never the child's words.
    assert "Retard" in mother_file and "Menace" not in mother_file
    assert "Menace" in father_file and "Retard" not in father_file
    assert "RECIT-SUR" not in mother_file + father_file and "PAROLE-ENFANT" not in mother_file + father_file
    # The father's absence is his: her file tells the outcome, not who failed to come.
    assert "vous ne vous êtes pas présenté" in father_file
    assert "vous ne vous êtes pas présenté" not in mother_file
    assert "Remises accompagnées" in mother_file and "vous accueillez l'enfant" in mother_file


def test_a_public_registration_made_with_her_own_channel_is_in_her_file_and_not_in_the_others(family):
    from parcours.households.models import ContactChannel
    from tests.workshops import factories as wf

    social_worker, _, mother, father = family
    session = wf.workshop("92", days=12, title=f"Séance {MOTHER_TOKEN}")
    # Typed in capitals on the public page: the match is on the normalised e-mail.
    wf.public_registration(session, email=f"{MOTHER_TOKEN.lower()}@EXEMPLE.fr")
    other = wf.workshop("92", days=14, title=f"Séance {FATHER_TOKEN}")
    wf.public_registration(other, email=f"{FATHER_TOKEN.lower()}@exemple.fr")
    # A number typed in any form matches her mobile; a stranger's does not.
    ContactChannel.objects.create(person=mother, kind="sms", value="+33611223344", is_safe=True)
    phoned = wf.workshop("92", days=16, title="Séance par SMS")
    from parcours.core.policy import THE_PUBLIC
    from parcours.workshops import services as workshop_services

    workshop_services.register(
        actor=THE_PUBLIC,
        workshop=phoned,
        first_name="Nadia",
        contact_kind="sms",
        contact_value="06 11 22 33 44",
    )
    stranger = wf.workshop("92", days=18, title="Séance d'une inconnue")
    wf.public_registration(stranger, email="une.inconnue@exemple.fr")
    hers = json.dumps(_json(social_worker, mother), ensure_ascii=False) + _pdf_text(social_worker, mother)
    his = json.dumps(_json(social_worker, father), ensure_ascii=False) + _pdf_text(social_worker, father)
    assert f"Séance {MOTHER_TOKEN}" in hers and "Séance par SMS" in hers and "page publique" in hers
    assert f"Séance {FATHER_TOKEN}" in his
    assert FATHER_TOKEN not in hers and MOTHER_TOKEN not in his
    assert "inconnue" not in hers + his


def test_a_channel_both_parents_hold_finds_no_public_registration(family):
    """A shared e-mail may be the other parent's: his registration must not enter her file."""
    from parcours.households.models import ContactChannel
    from tests.workshops import factories as wf

    social_worker, _, mother, father = family
    for person in (mother, father):
        ContactChannel.objects.create(person=person, kind="email", value="famille@exemple.fr")
    session = wf.workshop("92", days=12, title="Séance de la boîte commune")
    wf.public_registration(session, email="famille@exemple.fr")
    for person in (mother, father):
        assert "boîte commune" not in json.dumps(_json(social_worker, person), ensure_ascii=False)
