"""Invitations from pathways; never both parents of a household where violence is reported in the same session."""

from datetime import date, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcours.core.policy import LinkHolder
from parcours.workshops import links, services
from parcours.workshops.models import Invitation, Registration
from parcours.workshops.services.invitations import sessions_for
from parcours.workshops.services.workshops import SeriesRule, occurrence_dates
from tests import factories
from tests.workshops import factories as wf


def test_each_parent_with_a_safe_channel_is_invited(db, make_user):
    advisor = make_user("service_advisor", "92")
    household, mother, father = wf.household_with_parents("92")
    wf.workshop("92")
    result = services.invite_household(actor=advisor, household=household)
    assert {i.person_id for i in result.invitations} == {mother.pk, father.pk}
    assert all(not i.separate_sessions and i.expires_at > i.sent_at for i in result.invitations)


def test_a_parent_without_a_safe_channel_is_not_invited_and_staff_are_told_why(db, make_user):
    advisor = make_user("service_advisor", "92")
    household, mother, father = wf.household_with_parents("92")
    father.contacts.update(is_safe=False)
    wf.workshop("92")
    result = services.invite_household(actor=advisor, household=household)
    assert [i.person_id for i in result.invitations] == [mother.pk]
    assert result.skipped == [(father, "aucun canal sûr (e-mail ou SMS) confirmé")]


def test_a_parent_is_not_invited_twice_while_an_invitation_waits(db, make_user):
    advisor = make_user("service_advisor", "92")
    household, *_ = wf.household_with_parents("92")
    wf.workshop("92")
    services.invite_household(actor=advisor, household=household)
    second = services.invite_household(actor=advisor, household=household)
    assert second.invitations == [] and len(second.skipped) == 2


def _violence_household(make_user):
    social_worker = make_user("social_worker", "92")
    household, mother, father = wf.household_with_parents("92", restricted=True)
    from parcours.households.models import HouseholdAssignment

    HouseholdAssignment.objects.create(household=household, user=social_worker)
    return social_worker, household, mother, father


def test_with_violence_reported_the_parents_are_offered_different_sessions_webinars_first(db, make_user):
    social_worker, household, mother, father = _violence_household(make_user)
    webinars = [wf.workshop("92", format="webinar", days=d) for d in (5, 12, 19, 26)]
    wf.workshop("92", format="in_person", days=8)
    result = services.invite_household(actor=social_worker, household=household)
    by_person = {
        i.person_id: set(i.offered_workshops.values_list("pk", flat=True)) for i in result.invitations
    }
    assert by_person[mother.pk] and by_person[father.pk]
    assert by_person[mother.pk].isdisjoint(by_person[father.pk])
    assert by_person[mother.pk] | by_person[father.pk] == {w.pk for w in webinars}
    invitation = next(i for i in result.invitations if i.person_id == mother.pk)
    assert invitation.separate_sessions and invitation.preferred_format == "webinar"
    assert {w.pk for w in sessions_for(invitation)} == by_person[mother.pk]


def test_with_violence_reported_the_second_parent_is_refused_a_session_the_first_attends(db, make_user):
    social_worker, household, mother, father = _violence_household(make_user)
    workshop = wf.workshop("92", format="webinar")
    services.register(actor=social_worker, workshop=workshop, person=mother)
    with pytest.raises(ValidationError, match="même séance"):
        services.register(actor=social_worker, workshop=workshop, person=father)
    assert Registration.objects.filter(workshop=workshop).count() == 1


def test_without_violence_both_parents_may_attend_the_same_session(db, make_user):
    advisor = make_user("service_advisor", "92")
    _, mother, father = wf.household_with_parents("92")
    workshop = wf.workshop("92")
    services.register(actor=advisor, workshop=workshop, person=mother)
    services.register(actor=advisor, workshop=workshop, person=father)
    assert workshop.registrations.count() == 2


def test_answering_an_invitation_registers_the_person_and_closes_it(db, make_user):
    advisor = make_user("service_advisor", "92")
    household, mother, _ = wf.household_with_parents("92")
    workshop = wf.workshop("92")
    invitation = next(
        i
        for i in services.invite_household(actor=advisor, household=household).invitations
        if i.person_id == mother.pk
    )
    outcome = services.answer_invitation(
        actor=LinkHolder(invitation=invitation), invitation=invitation, workshop=workshop, party_size=1
    )
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REGISTERED
    assert outcome.registration.person == mother and outcome.registration.source == "invitation"
    assert outcome.registration.contact_value == ""  # messages use her safe channel


def test_the_invitation_page_registers_and_leads_to_the_private_page(db, make_user, client):
    advisor = make_user("service_advisor", "92")
    household, mother, _ = wf.household_with_parents("92")
    workshop = wf.workshop("92", format="webinar")
    invitation = services.invite_household(actor=advisor, household=household).invitations[0]
    url = reverse("portal:invitation", kwargs={"token": links.invitation_token(invitation)})
    page = client.get(url).content.decode()
    assert "la Caf vous invite" in page
    response = client.post(url, {"workshop": workshop.pk, "party_size": 1, "accessibility_needs": ""})
    assert response.status_code == 302 and "/inscription/" in response["Location"]
    assert client.get(response["Location"]).status_code == 200


def test_declining_and_expiry_close_the_invitation(db, make_user):
    advisor = make_user("service_advisor", "92")
    household, *_ = wf.household_with_parents("92")
    wf.workshop("92")
    first, second = services.invite_household(actor=advisor, household=household).invitations
    services.decline_invitation(actor=LinkHolder(invitation=first), invitation=first)
    with time_machine.travel(second.expires_at + timedelta(minutes=1)):
        assert services.expire_invitations() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Invitation.Status.DECLINED, Invitation.Status.EXPIRED)
    with pytest.raises(ValidationError, match="plus valable"):
        services.answer_invitation(
            actor=LinkHolder(invitation=second), invitation=second, workshop=wf.workshop("92"), party_size=1
        )


def test_a_withdrawn_invitation_link_no_longer_works(db, make_user, client):
    advisor = make_user("service_advisor", "92")
    household, *_ = wf.household_with_parents("92")
    wf.workshop("92")
    invitation = services.invite_household(actor=advisor, household=household).invitations[0]
    token = links.invitation_token(invitation)
    services.cancel_invitation(actor=advisor, invitation=invitation)
    assert client.get(reverse("portal:invitation", kwargs={"token": token})).status_code == 404


def test_staff_of_another_department_cannot_invite(db, make_user):
    from django.http import Http404

    household, *_ = wf.household_with_parents("92")
    with pytest.raises(Http404):
        services.invite_household(actor=make_user("service_advisor", "974"), household=household)


# --- recurring series ---------------------------------------------------------------------------------


def test_first_tuesday_of_each_month():
    rule = SeriesRule("monthly", 1, 1, 1, date(2026, 1, 1), date(2026, 6, 30))
    assert occurrence_dates(rule) == [
        date(2026, 1, 6), date(2026, 2, 3), date(2026, 3, 3), date(2026, 4, 7), date(2026, 5, 5), date(2026, 6, 2),
    ]  # fmt: skip


def test_last_friday_and_every_other_thursday():
    assert occurrence_dates(SeriesRule("monthly", 1, 4, -1, date(2026, 1, 1), date(2026, 3, 31))) == [
        date(2026, 1, 30), date(2026, 2, 27), date(2026, 3, 27),
    ]  # fmt: skip
    assert occurrence_dates(SeriesRule("weekly", 2, 3, None, date(2026, 1, 1), date(2026, 2, 1))) == [
        date(2026, 1, 1), date(2026, 1, 15), date(2026, 1, 29),
    ]  # fmt: skip


def test_a_series_in_la_reunion_creates_sessions_at_local_time(db, make_user):
    pilot = make_user("local_pilot", "974")
    with time_machine.travel("2026-01-01 08:00 +0400"):
        series, workshops = services.create_series(
            actor=pilot, title="Parents après la séparation", format="webinar", frequency="monthly", interval=1,
            weekday=1, week_of_month=1, start_time=time(18), duration_minutes=120, capacity=25, languages=["fr", "rcf"],
            first_date=date(2026, 1, 1), last_date=date(2026, 3, 31), publish=True,
        )  # fmt: skip
    assert [w.local_start().strftime("%d/%m %H:%M") for w in workshops] == [
        "06/01 18:00",
        "03/02 18:00",
        "03/03 18:00",
    ]
    assert workshops[0].starts_at.utcoffset() is not None
    assert [w.starts_at.astimezone(factories.department("92").tzinfo).hour for w in workshops] == [15, 15, 15]
    assert all(w.status == "published" and w.series == series for w in workshops)
