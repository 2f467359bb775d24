"""One member's rights from the local pilot's reference page: the processing limitation (RGPD art. 18)
set and lifted with a reason and a confirmation, and the erasure of one person at her request (art. 17),
refused, in French, while something still needs her."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from parcours.core.models import AuditEntry
from parcours.households import services
from parcours.households.models import Address, ContactChannel, Person, ProtectedAddress
from parcours.notifications.models import Message
from parcours.pathways.models import PathwayStep
from tests import factories
from tests.households.test_anonymisation import close, expired_family
from tests.pathways.factories import open_pathway

REASON = "Demande reçue par courrier le 2 décembre"


@pytest.fixture
def pilot(db):
    return factories.make_user("local_pilot", "92")


def family(n: int = 1, **overrides):
    """A household with an open pathway declared by the mother, the other parent and a child."""
    pathway = open_pathway(
        declarant_last_name=f"Mèrecanari{n}",
        declarant_first_name="Inès",
        email=f"mere{n}@exemple.fr",
        **overrides,
    )
    household = pathway.household
    mother = household.members.get(is_declarant=True)
    father = factories.PersonFactory(
        household=household, first_name="Pèrecanari", last_name=f"Pèrenom{n}", birth_date=date(1985, 7, 14)
    )
    factories.AddressFactory(person=father, line=f"{n} rue du Père-Canari")
    factories.ContactFactory(person=father, value=f"pere{n}@exemple.fr")
    child = factories.PersonFactory(
        household=household, role="child", first_name="Enfantcanari", last_name=f"Enfnom{n}",
        birth_date=date(2007, 9, 21),
    )  # fmt: skip
    return pathway, mother, father, child


# --- Limitation (art. 18): the page --------------------------------------------------------------


def test_the_pilot_limits_a_person_from_her_page_with_a_reason_and_a_confirmation(pilot, client_for):
    pathway, mother, _, _ = family(1)
    client = client_for(pilot)
    url = reverse("backoffice:person-limitation", kwargs={"pk": mother.pk})
    page = client.get(url).content.decode()
    assert "Limiter le traitement" in page and f"Personne n° {mother.pk}" in page
    assert "Mèrecanari1" not in page  # the reference view never shows a name

    response = client.post(url, {"reason": REASON, "confirm": "on"})

    assert response.status_code == 302
    mother.refresh_from_db()
    assert mother.processing_limited and mother.processing_limited_by == pilot
    assert mother.processing_limited_reason == REASON
    assert AuditEntry.objects.filter(action="households.person.processing_limited", reason=REASON).exists()
    # her steps pause (the pathways hook): none open any more
    assert not PathwayStep.objects.filter(pathway=pathway, status=PathwayStep.Status.OPEN).exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"reason": "court", "confirm": "on"}, "au moins 10 caractères"),
        ({"reason": REASON}, "Ce champ est obligatoire"),
    ],
)
def test_a_short_reason_or_no_confirmation_changes_nothing_and_says_why(pilot, client_for, data, error):
    _, mother, _, _ = family(2)
    response = client_for(pilot).post(reverse("backoffice:person-limitation", kwargs={"pk": mother.pk}), data)
    assert response.status_code == 200 and error in response.content.decode()
    mother.refresh_from_db()
    assert not mother.processing_limited
    assert not AuditEntry.objects.filter(action="households.person.processing_limited").exists()


def test_the_pilot_lifts_the_limitation_and_the_steps_resume(pilot, client_for):
    pathway, mother, _, _ = family(3)
    services.set_processing_limitation(actor=pilot, person=mother, limited=True, reason=REASON)
    client = client_for(pilot)
    url = reverse("backoffice:person-limitation", kwargs={"pk": mother.pk})
    page = client.get(url).content.decode()
    assert "Lever la limitation" in page and pilot.get_full_name() in page

    assert client.post(url, {"reason": "Exactitude vérifiée avec elle", "confirm": "on"}).status_code == 302

    mother.refresh_from_db()
    assert not mother.processing_limited and mother.processing_limited_by is None
    assert PathwayStep.objects.filter(pathway=pathway, status=PathwayStep.Status.OPEN).exists()


def test_the_household_pages_show_since_when_and_by_whom(pilot, client_for):
    _, mother, _, _ = family(4)
    services.set_processing_limitation(actor=pilot, person=mother, limited=True, reason=REASON)
    social_worker = factories.make_user("social_worker", "92")
    household_page = client_for(social_worker).get(
        reverse("backoffice:household-detail", kwargs={"pk": mother.household_id})
    )
    text = household_page.content.decode()
    assert "Traitement limité (RGPD art. 18)" in text and f"posée par {pilot.get_full_name()}" in text
    reference = client_for(pilot).get(
        reverse("backoffice:household-reference", kwargs={"pk": mother.household_id})
    )
    text = reference.content.decode()
    assert reverse("backoffice:person-limitation", kwargs={"pk": mother.pk}) in text
    assert reverse("backoffice:person-erase", kwargs={"pk": mother.pk}) in text
    assert "Lever la limitation" in text and pilot.get_full_name() in text
    assert "Mèrecanari4" not in text and "Pèrenom4" not in text


@pytest.mark.parametrize("role", ["social_worker", "service_advisor", "benefits_officer", "national_pilot"])
def test_only_the_local_pilot_opens_the_limitation_page(role, client_for, db):
    _, mother, _, _ = family(5)
    user = factories.make_user(role, "92")
    response = client_for(user).get(reverse("backoffice:person-limitation", kwargs={"pk": mother.pk}))
    assert response.status_code == 403


# --- Erasure of one person (art. 17): the service ------------------------------------------------


def test_the_other_parent_is_erased_alone_while_the_mothers_pathway_goes_on(pilot):
    pathway, mother, father, child = family(6)
    protected = services.protect_address(
        actor=factories.make_user("social_worker", "92"), person=father, reason="Violences signalées",
        elected_kind="association", elected_name="CIDFF", elected_line="1 place de la Mairie",
        elected_postal_code="92000", elected_city="Nanterre",
    )  # fmt: skip
    assert isinstance(protected, ProtectedAddress)
    Message.objects.create(
        key="test-pere-6", household=father.household, person=father, channel="email", template="t",
        recipient="pere6@exemple.fr",
        subject="Sujet Pèrenom6", body="Bonjour Pèrecanari", status=Message.Status.SENT,
    )  # fmt: skip

    services.erase_person_on_request(actor=pilot, person=father, reason=REASON)

    father.refresh_from_db()
    assert father.erased_at is not None
    assert (father.first_name, father.last_name, father.birth_date) == ("", "Anonymisé", date(1985, 1, 1))
    assert not ContactChannel.objects.filter(person=father).exists()
    assert not Address.objects.filter(person=father).exists()
    assert not ProtectedAddress.objects.filter(person=father).exists()
    message = Message.objects.get(person=father)
    assert (message.recipient, message.subject, message.body) == ("", "", "")
    # the rest of the household is untouched, her pathway goes on
    mother.refresh_from_db()
    child.refresh_from_db()
    assert mother.last_name == "Mèrecanari6" and mother.contacts.exists()
    assert child.last_name == "Enfnom6" and child.birth_date == date(2007, 9, 21)
    assert mother.household.anonymised_at is None
    pathway.refresh_from_db()
    assert pathway.status == pathway.Status.OPEN
    entry = AuditEntry.objects.get(action="households.person.erased")
    assert entry.reason == REASON
    assert entry.data["rows"]["households.identity"] == 3  # her row, her channel, her protected address
    assert "Père" not in str(entry.data) + entry.object_ref


def test_the_declarant_of_an_open_pathway_is_not_erased_and_the_refusal_says_why(pilot):
    _, mother, _, _ = family(7)
    with pytest.raises(ValidationError) as refusal:
        services.erase_person_on_request(actor=pilot, person=mother, reason=REASON)
    assert "un parcours séparation en cours qu'elle a déclaré" in " ".join(refusal.value.messages)
    mother.refresh_from_db()
    assert mother.erased_at is None and mother.last_name == "Mèrecanari7"
    assert not AuditEntry.objects.filter(action="households.person.erased").exists()


def test_once_her_pathway_is_closed_the_declarant_is_erased_with_its_free_text(pilot):
    pathway = expired_family(8)
    mother = pathway.household.members.get(is_declarant=True)
    services.erase_person_on_request(actor=pilot, person=mother, reason=REASON)
    mother.refresh_from_db()
    assert mother.erased_at is not None and mother.first_name == ""
    assert not PathwayStep.objects.filter(pathway=pathway).exclude(note="").exists()
    # step outcomes and dates (the indicators' skeleton) stay
    assert PathwayStep.objects.filter(pathway=pathway).count() > 0


def test_a_legal_hold_on_the_household_refuses_the_erasure_of_a_member(pilot):
    _, _, father, _ = family(9)
    services.set_legal_hold(
        actor=pilot, household=father.household, hold=True, reason="Procédure prud'homale"
    )
    with pytest.raises(ValidationError, match="gel légal"):
        services.erase_person_on_request(actor=pilot, person=father, reason=REASON)
    father.refresh_from_db()
    assert father.erased_at is None


def test_her_own_limitation_refuses_her_erasure_until_it_is_lifted(pilot):
    _, _, father, _ = family(10)
    services.set_processing_limitation(actor=pilot, person=father, limited=True, reason=REASON)
    with pytest.raises(ValidationError, match="limitation du traitement"):
        services.erase_person_on_request(actor=pilot, person=father, reason=REASON)


def test_a_message_still_to_send_to_her_refuses_the_erasure(pilot):
    _, _, father, _ = family(11)
    Message.objects.create(
        key="test-pere-11", household=father.household, person=father, channel="email", template="t",
        recipient="x@exemple.fr",
        status=Message.Status.PENDING,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="un message pour elle encore à envoyer"):
        services.erase_person_on_request(actor=pilot, person=father, reason=REASON)


def test_a_child_come_of_age_is_erased_and_the_youngest_child_date_keeps_its_year(pilot):
    pathway, _, _, child = family(12, youngest_child_birth_date=date(2007, 9, 21))
    services.erase_person_on_request(actor=pilot, person=child, reason=REASON)
    child.refresh_from_db()
    assert child.birth_date == date(2007, 1, 1) and child.last_name == "Anonymisé"
    pathway.event.refresh_from_db()
    assert pathway.event.youngest_child_birth_date == date(2007, 1, 1)


def test_a_short_reason_or_a_second_erasure_is_refused(pilot):
    pathway = expired_family(13)
    mother = pathway.household.members.get(is_declarant=True)
    with pytest.raises(ValidationError, match="10 caractères"):
        services.erase_person_on_request(actor=pilot, person=mother, reason="court")
    services.erase_person_on_request(actor=pilot, person=mother, reason=REASON)
    with pytest.raises(ValidationError, match="déjà effacées"):
        services.erase_person_on_request(actor=pilot, person=mother, reason=REASON)
    with pytest.raises(ValidationError, match="déjà effacées"):
        services.set_processing_limitation(actor=pilot, person=mother, limited=True, reason=REASON)


@pytest.mark.parametrize("role", ["social_worker", "service_advisor", "benefits_officer", "national_pilot"])
def test_only_the_local_pilot_erases_a_person(role, db):
    pathway = expired_family(14)
    mother = pathway.household.members.get(is_declarant=True)
    with pytest.raises(PermissionDenied):
        services.erase_person_on_request(actor=factories.make_user(role, "92"), person=mother, reason=REASON)


def test_the_pilot_of_another_department_cannot_reach_the_person(db):
    from django.http import Http404

    pathway = expired_family(15)
    mother = pathway.household.members.get(is_declarant=True)
    with pytest.raises(Http404):
        services.erase_person_on_request(
            actor=factories.make_user("local_pilot", "974"), person=mother, reason=REASON
        )


# --- Erasure of one person: the page -------------------------------------------------------------


def test_the_erase_page_lists_what_keeps_her_refuses_in_french_then_erases(pilot, client_for):
    pathway, mother, _, _ = family(16)
    client = client_for(pilot)
    url = reverse("backoffice:person-erase", kwargs={"pk": mother.pk})
    page = client.get(url).content.decode()
    assert "un parcours séparation en cours qu&#x27;elle a déclaré" in page
    assert "Mèrecanari16" not in page
    response = client.post(url, {"reason": REASON, "confirm": "on"})
    assert response.status_code == 200 and "Effacement refusé" in response.content.decode()
    assert not response.content.decode().count("Mèrecanari16")
    close(pathway)
    response = client.post(url, {"reason": REASON, "confirm": "on"})
    assert response.status_code == 302
    mother.refresh_from_db()
    assert mother.erased_at is not None
    reference = client.get(reverse("backoffice:household-reference", kwargs={"pk": mother.household_id}))
    assert f"Effacée le {timezone.localdate():%-d}" in reference.content.decode()


def test_the_erase_page_without_confirmation_changes_nothing(pilot, client_for):
    pathway = expired_family(17)
    mother = pathway.household.members.get(is_declarant=True)
    response = client_for(pilot).post(
        reverse("backoffice:person-erase", kwargs={"pk": mother.pk}), {"reason": REASON}
    )
    assert response.status_code == 200 and "Ce champ est obligatoire" in response.content.decode()
    assert Person.objects.get(pk=mother.pk).erased_at is None
