"""The MAP services: order, referral, calendar, edits, assignments, outcomes, incidents, end, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from parcours.accompaniment import planning, services
from parcours.accompaniment.models import Handover, Incident, Measure
from parcours.core.models import AuditEntry
from parcours.notifications.models import Message
from tests import factories
from tests.accompaniment import factories as af
from tests.protection import factories as pf


@pytest.fixture
def org(db):
    return af.map_organisation("92")


def test_recording_an_order_takes_the_parties_from_the_household_and_audits(db):
    m = af.measure("92")
    assert m.status == Measure.Status.RECORDED
    assert {m.residential_parent.first_name, m.visiting_parent.first_name} == {"Camille", "Julien"}
    assert AuditEntry.objects.filter(action="accompaniment.measure.recorded").exists()


def test_a_parent_of_another_household_is_refused(db):
    household, mother, _, child = af.family("92")
    _, stranger, _, _ = af.family("92")
    sw = factories.make_user("social_worker", "92")
    with pytest.raises(ValidationError):
        services.record_order(
            actor=sw,
            household=household,
            residential_parent=mother,
            visiting_parent=stranger,
            children=[child],
            values=af.TERMS,
        )


def test_the_scanned_order_goes_through_the_upload_checks(db):
    m = af.measure("92")
    with pytest.raises(ValidationError):
        services.attach_order(actor=m.referent, measure=m, upload=pf.upload("ordonnance.exe", b"MZ\x90\x00"))
    services.attach_order(actor=m.referent, measure=m, upload=pf.upload("ordonnance.png", pf.png_bytes()))
    m.refresh_from_db()
    assert m.order_file_type == "image/png" and len(m.order_file_sha256) == 64


def test_referral_to_another_departments_organisation_is_refused(db):
    m = af.measure("92")
    with pytest.raises(ValidationError):
        services.refer(actor=m.referent, measure=m, map_organisation=af.map_organisation("974"))


def test_only_the_organisation_referred_to_may_accept(db, org):
    m = af.measure("92", map_org=org, accept=False)
    other = af.coordinator(af.map_organisation("92"))
    with pytest.raises(Http404):
        services.answer_referral(actor=other, measure=m, accept=True)
    services.answer_referral(actor=af.coordinator_of(org), measure=m, accept=True)
    assert Measure.objects.get(pk=m.pk).status == Measure.Status.ACTIVE


def test_the_calendar_is_built_from_the_terms_and_keeps_the_parents_apart(db, org):
    m = af.measure("92", map_org=org)
    handovers = af.calendar(m, same=True)
    assert len(handovers) == 2 * len(planning.visit_dates(services.terms_of(m)))
    items = planning.appointments(services._as_leg(h) for h in Handover.objects.filter(measure=m))
    assert planning.stagger_conflicts(items, services.gap()) == []


def test_school_holidays_of_the_departments_zone_are_used(db, org):
    af.holidays("Zone C", (date(2026, 4, 18), date(2026, 5, 4)))
    af.holidays("Réunion", (date(2026, 3, 7), date(2026, 3, 23)))
    m = af.measure("92", map_org=org, holidays=Measure.Holidays.NONE)
    days = {v.starts_on for v in planning.visit_dates(services.terms_of(m))}
    assert date(2026, 4, 25) not in days  # zone C's spring holidays: no visit
    assert date(2026, 3, 14) in days  # La Réunion's holidays do not matter in 92


def test_moving_a_handover_onto_the_other_parents_time_is_refused(db, org):
    m = af.measure("92", map_org=org)
    af.calendar(m, same=True)
    outbound = Handover.objects.filter(measure=m, leg="outbound").first()
    with pytest.raises(ValidationError, match="même lieu"):
        services.edit_handover(
            actor=af.coordinator_of(org), handover=outbound, from_at=outbound.from_at,
            to_at=outbound.from_at + timedelta(minutes=5),
        )  # fmt: skip


def test_moving_the_rest_of_the_series(db, org):
    m = af.measure("92", map_org=org)
    af.calendar(m)
    legs = list(Handover.objects.filter(measure=m, leg="outbound").order_by("visit_number"))
    before = {h.pk: h.from_at for h in legs}
    moved = services.edit_handover(
        actor=af.coordinator_of(org), handover=legs[2], from_at=legs[2].from_at + timedelta(hours=1),
        to_at=legs[2].to_at + timedelta(hours=1), series=True,
    )  # fmt: skip
    assert {h.pk for h in moved} == {h.pk for h in legs[2:]}
    for h in Handover.objects.filter(pk__in=before):
        expected = before[h.pk] + (
            timedelta(hours=1) if h.visit_number >= legs[2].visit_number else timedelta()
        )
        assert h.from_at == expected


def test_an_accompanist_is_never_booked_twice(db, org):
    first, second = af.measure("92", map_org=org), af.measure("92", map_org=org)
    af.calendar(first)
    af.calendar(second)
    person = af.accompanist(org)
    coordinator = af.coordinator_of(org)
    a = Handover.objects.filter(measure=first).order_by("from_at").first()
    b = Handover.objects.filter(measure=second).order_by("from_at").first()  # same terms: same time
    services.assign(actor=coordinator, handovers=[a], accompanist=person)
    with pytest.raises(ValidationError, match="déjà une remise"):
        services.assign(actor=coordinator, handovers=[b], accompanist=person)


def test_travel_time_between_two_handovers_is_required(db, org, settings):
    settings.PARCOURS_MAP_TRAVEL_MINUTES = 45
    first, second = af.measure("92", map_org=org), af.measure("92", map_org=org, pickup_time="11:10")
    af.calendar(first)
    af.calendar(second)
    person = af.accompanist(org)
    coordinator = af.coordinator_of(org)
    a = Handover.objects.filter(measure=first).order_by("from_at").first()  # 10:00–10:30
    b = Handover.objects.filter(measure=second).order_by("from_at").first()  # 11:10: 40 min later
    services.assign(actor=coordinator, handovers=[a], accompanist=person)
    with pytest.raises(ValidationError):
        services.assign(actor=coordinator, handovers=[b], accompanist=person)
    settings.PARCOURS_MAP_TRAVEL_MINUTES = 30
    services.assign(actor=coordinator, handovers=[b], accompanist=person)


def test_an_accompanist_of_another_organisation_cannot_be_assigned(db, org):
    m = af.measure("92", map_org=org)
    af.calendar(m)
    stranger = af.accompanist(af.map_organisation("92"))
    with pytest.raises(ValidationError):
        services.assign(
            actor=af.coordinator_of(org), handovers=list(m.handovers.all()[:1]), accompanist=stranger
        )


def test_a_violent_incident_alerts_the_referent_and_is_encrypted(db, org):
    m = af.measure("92", map_org=org)
    af.calendar(m)
    person = af.accompanist(org)
    handover = m.handovers.order_by("from_at").first()
    services.assign(actor=af.coordinator_of(org), handovers=[handover], accompanist=person)
    services.record_outcome(
        actor=person.user, handover=handover, outcome=Handover.Outcome.DONE,
        incidents=[services.IncidentInput("threat", "Le père a menacé l'accompagnante", m.visiting_parent)],
        child_words="Je veux revoir mon chat",
    )  # fmt: skip
    incident = Incident.objects.get()
    assert incident.flagged_for_report
    assert b"menac" not in bytes(incident.narrative_ciphertext)
    assert incident.narrative == "Le père a menacé l'accompagnante"
    alert = Message.objects.get(template="accompaniment.staff_incident")
    assert alert.direct_value == m.referent.email
    assert "menac" not in str(
        AuditEntry.objects.filter(action__startswith="accompaniment.").values_list("data", "reason")
    )


def test_lateness_does_not_alert(db, org):
    m = af.measure("92", map_org=org)
    af.calendar(m)
    handover = m.handovers.order_by("from_at").first()
    services.record_outcome(
        actor=af.coordinator_of(org), handover=handover, outcome=Handover.Outcome.DONE,
        incidents=[services.IncidentInput("lateness", "20 minutes de retard")],
    )  # fmt: skip
    assert not Message.objects.filter(template="accompaniment.staff_incident").exists()


def test_the_establishment_cancels_only_a_prison_visit(db, org):
    m = af.measure("92", map_org=org)
    af.calendar(m)
    with pytest.raises(ValidationError):
        services.record_outcome(
            actor=af.coordinator_of(org),
            handover=m.handovers.first(),
            outcome="cancelled",
            cancelled_by="establishment",
        )


def test_ending_a_measure_cancels_the_handovers_after_it(db, org):
    m = af.measure("92", map_org=org)
    af.calendar(m)
    services.end_measure(
        actor=m.referent, measure=m, reason=Measure.EndReason.SUSPENSION, on=date(2026, 5, 1)
    )
    assert not m.handovers.filter(outcome="planned", from_at__gte=datetime(2026, 5, 3, tzinfo=UTC)).exists()
    assert Measure.objects.get(pk=m.pk).end_reason == "suspension"


def test_renewal_keeps_the_family_and_the_organisation(db, org):
    m = af.measure("92", map_org=org)
    new = services.renew(
        actor=m.referent, measure=m,
        values={**af.TERMS, "order_date": date(2026, 8, 20), "starts_on": date(2026, 9, 1), "ends_on": date(2027, 2, 28), "first_visit_on": date(2026, 9, 5)},
    )  # fmt: skip
    m.refresh_from_db()
    assert (m.status, m.end_reason) == (Measure.Status.ENDED, Measure.EndReason.RENEWED)
    assert (new.renews_id, new.map_organisation_id, new.status) == (m.pk, org.pk, Measure.Status.ACTIVE)
