"""Issue 15, rule 4: AUU decisions belong to benefits officers. Intake problems are warnings shown
before submission, one state machine says which actions a file allows (services and pages ask it),
a decision is corrected within the appeal delay, and the banner says what happened to the message."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcours.core.models import AuditEntry
from parcours.notifications.models import Message
from parcours.protection import services
from parcours.protection.models import EmergencyAid
from tests import factories
from tests.notifications.factories import family
from tests.protection.factories import protected_family

pytestmark = pytest.mark.django_db
S, A = EmergencyAid.Status, EmergencyAid.Action


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(date(2026, 3, 4), tick=False):
        yield


@pytest.fixture
def officer():
    return factories.make_user("benefits_officer", "92")


@pytest.fixture
def worker():
    return factories.make_user("social_worker", "92")


def register(worker, officer, household, person, **values):
    values = {"received_on": date(2026, 3, 4), "proof_kind": "complaint", "proof_date": date(2026, 2, 20),
              "officer": officer, **values}  # fmt: skip
    return services.register_aid_request(actor=worker, household=household, person=person, **values)


def grant(officer, aid):
    return services.decide_aid(
        actor=officer, aid=aid, monthly_resources="900", children_count=1, amount="800"
    )


# --- the state machine ---------------------------------------------------------------------------


def test_each_status_allows_its_actions_and_nothing_else(worker, officer):
    household, mother, _, _ = protected_family("92", assignee=worker)
    aid = register(worker, officer, household, mother)
    assert aid.allowed_actions() == {A.DECIDE, A.REFUSE, A.ADD_PROOF}
    grant(officer, aid)
    assert aid.allowed_actions() == {A.PAY, A.REFUSE, A.ADD_PROOF, A.CORRECT}
    services.record_payment(actor=officer, aid=aid, paid_on=date(2026, 3, 4))
    assert aid.allowed_actions() == {A.ADD_PROOF}  # a grant, not a loan: nothing to follow
    with pytest.raises(ValidationError, match="Cette action n'est pas possible"):
        services.correct_decision(actor=officer, aid=aid, reason="Montant erroné dans la décision")
    with pytest.raises(ValidationError, match="Cette action n'est pas possible"):
        grant(officer, aid)


def test_the_detail_page_shows_only_the_buttons_the_state_machine_allows(worker, officer, client_for):
    household, mother, _, _ = protected_family("92", assignee=worker)
    aid = register(worker, officer, household, mother)
    client = client_for(officer)
    page = client.get(reverse("backoffice:aid-detail", args=[aid.pk])).content.decode()
    assert reverse("backoffice:aid-decide", args=[aid.pk]) in page
    assert reverse("backoffice:aid-correct", args=[aid.pk]) not in page
    grant(officer, aid)
    page = client.get(reverse("backoffice:aid-detail", args=[aid.pk])).content.decode()
    assert reverse("backoffice:aid-decide", args=[aid.pk]) not in page
    assert (
        reverse("backoffice:aid-correct", args=[aid.pk]) in page and "corrigeable jusqu'au 4 mai 2026" in page
    )
    # A page of an action the file does not allow sends back to the file, with the reason.
    response = client.get(reverse("backoffice:aid-decide", args=[aid.pk]), follow=True)
    assert "Cette action n&#x27;est pas possible : la demande est déjà « accordée, à payer »" in (
        response.content.decode()
    )


# --- intake: warnings before submission ----------------------------------------------------------


def test_the_request_form_shows_the_warnings_before_anything_is_written(worker, officer, client_for):
    household, mother, _, _ = protected_family("92", assignee=worker)
    client = client_for(worker)
    data = {"person": mother.pk, "received_on": "2026-03-04", "is_allocataire": "on", "proof_kind": "main_courante",
            "proof_date": "2026-03-01", "officer": officer.pk}  # fmt: skip
    page = client.post(reverse("backoffice:aid-create", args=[household.pk]), data)
    html = page.content.decode()
    assert page.status_code == 200 and "Points d'attention avant de transmettre la demande" in html
    assert "main courante" in html and not EmergencyAid.objects.exists()
    sent = client.post(
        reverse("backoffice:aid-create", args=[household.pk]), {**data, "acknowledge_warnings": "on"}
    )
    aid = EmergencyAid.objects.get()
    assert sent.status_code == 302 and aid.status == S.RECEIVED and aid.decided_by is None
    detail = client_for(officer).get(reverse("backoffice:aid-detail", args=[aid.pk])).content.decode()
    assert "Points d'attention relevés à l'enregistrement" in detail
    worklist = client_for(officer).get(reverse("backoffice:aid-worklist")).content.decode()
    assert mother.full_name in worklist and "points d'attention" in worklist


def test_a_social_worker_cannot_refuse_or_decide(worker, officer):
    from django.core.exceptions import PermissionDenied

    household, mother, _, _ = protected_family("92", assignee=worker)
    aid = register(worker, officer, household, mother, proof_kind="main_courante", acknowledge_warnings=True)
    with pytest.raises(PermissionDenied):
        services.refuse_aid(actor=worker, aid=aid, reason="Main courante non recevable")
    with pytest.raises(PermissionDenied):
        grant(worker, aid)


# --- correction within the appeal delay ----------------------------------------------------------


def test_a_refusal_is_corrected_within_two_months_and_the_person_is_informed_again(worker, officer):
    household, mother, _, _ = protected_family("92", assignee=worker)
    aid = register(worker, officer, household, mother)
    services.refuse_aid(actor=officer, aid=aid, reason="Justificatif illisible, demande incomplète")
    services.correct_decision(actor=officer, aid=aid, reason="Justificatif lisible reçu : recours gracieux")
    aid.refresh_from_db()
    assert aid.status == S.RECEIVED and aid.revision == 1 and aid.refusal_reason == ""
    entry = AuditEntry.objects.get(action="protection.emergency_aid.decision_corrected")
    assert entry.reason.startswith("Justificatif lisible") and entry.data["from"] == "refused"
    grant(officer, aid)
    keys = set(Message.objects.filter(person=mother).values_list("key", flat=True))
    assert {f"protection.aid.{aid.pk}.refusal", f"protection.aid.{aid.pk}.decision.r1"} <= keys


def test_a_grant_not_yet_paid_is_corrected_and_its_unsent_message_withdrawn(worker, officer):
    household, mother, _, _ = protected_family("92", assignee=worker)
    aid = grant(officer, register(worker, officer, household, mother))
    services.correct_decision(actor=officer, aid=aid, reason="Ressources mal saisies, à reprendre")
    first = Message.objects.get(key=f"protection.aid.{aid.pk}.decision")
    assert first.status == Message.Status.DROPPED
    assert services.decide_aid(
        actor=officer, aid=aid, monthly_resources="5000", children_count=1, amount="800"
    ).is_loan


def test_no_correction_after_the_appeal_delay_and_none_without_a_reason(worker, officer):
    household, mother, _, _ = protected_family("92", assignee=worker)
    aid = register(worker, officer, household, mother)
    services.refuse_aid(actor=officer, aid=aid, reason="Demande retirée par la personne")
    with pytest.raises(ValidationError):
        services.correct_decision(actor=officer, aid=aid, reason="court")
    with time_machine.travel(date(2026, 5, 4), tick=False):  # 2 months to the day: still possible
        assert A.CORRECT in EmergencyAid.objects.get(pk=aid.pk).allowed_actions()
    with time_machine.travel(date(2026, 5, 5), tick=False):
        fresh = EmergencyAid.objects.get(pk=aid.pk)
        assert "délai de recours" in fresh.why_not(A.CORRECT)
        with pytest.raises(ValidationError, match="délai de recours"):
            services.correct_decision(actor=officer, aid=fresh, reason="Recours reçu hors délai")


# --- the banner says what really happened to the message -----------------------------------------


def test_the_banner_never_says_informed_when_no_safe_channel_exists(worker, officer, client_for):
    household, mother, _, _ = family("92", channels=("email",), safe=False, assignee=worker)
    services.record_violence_report(actor=worker, household=household, person=mother, source="person")
    aid = register(worker, officer, household, mother)
    page = client_for(officer).post(
        reverse("backoffice:aid-decide", args=[aid.pk]),
        {"monthly_resources": "900", "children_count": "1", "amount": "800", "decided_on": "2026-03-04"},
        follow=True,
    )
    html = page.content.decode()
    assert "Aide attribuée." in html and "n&#x27;a pas pu partir" in html
    assert "la personne en est informée" not in html


def test_the_banner_names_the_safe_channel_when_the_message_can_leave(worker, officer, client_for):
    household, mother, _, _ = protected_family("92", assignee=worker, channels=("email",))
    aid = register(worker, officer, household, mother)
    page = client_for(officer).post(
        reverse("backoffice:aid-decide", args=[aid.pk]),
        {"monthly_resources": "900", "children_count": "1", "amount": "800", "decided_on": "2026-03-04"},
        follow=True,
    )
    assert "Le message neutre part par un canal sûr (e-mail)" in page.content.decode()
