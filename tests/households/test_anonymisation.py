"""The retention job (households/anonymisation.py, core/retention.py): what expires is anonymised,
what is kept alive is not, nothing is half done, and nothing identifying remains."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from parcours.core import retention
from parcours.core.models import AuditEntry
from parcours.households import anonymisation, services
from parcours.households.models import (
    Address,
    ContactChannel,
    ContactProposal,
    Household,
    Person,
    ProtectedAddress,
)
from parcours.notifications.models import Message
from parcours.pathways.models import Pathway, PathwayStep
from parcours.protection.models import CrossClaim, ProofDocument
from tests import factories
from tests.pathways.factories import open_pathway
from tests.protection import factories as protection

LATER = timedelta(days=800)  # past the 2 years of the pathway data, within the 5 years of an aid


def expired_family(n: int = 1, **overrides) -> Pathway:
    """A pathway closed today, with identifying data everywhere: expired `LATER` from now."""
    values = {
        "declarant_last_name": f"Canarinom{n}",
        "declarant_first_name": f"Canariprenom{n}",
        "email": f"canari{n}@exemple.fr",
        "phone": f"06 12 34 56 {n:02d}",
        "address_line": f"{n} rue du Canari",
        "postal_code": "92000",
        "city": "Nanterre",
        "declarant_birth_date": "1988-06-15",
    }
    values.update(overrides)
    values["declarant_birth_date"] = date.fromisoformat(values["declarant_birth_date"])
    pathway = open_pathway(**values)
    PathwayStep.objects.filter(pathway=pathway).update(note=f"Note libre canari {n}")
    close(pathway)
    return pathway


def close(pathway: Pathway) -> None:
    Pathway.objects.filter(pk=pathway.pk).update(status=Pathway.Status.CLOSED, closed_at=timezone.now())
    Message.objects.filter(household=pathway.household).update(status=Message.Status.SENT)


def anonymised(household: Household) -> bool:
    household.refresh_from_db()
    return household.anonymised_at is not None


def run(**kwargs):
    return anonymisation.run(now=timezone.now() + LATER, **kwargs)


def test_every_module_declares_its_holdings_with_a_setting():
    keys = {h.key for h in retention.all_holdings()}
    assert {
        "households.identity",
        "pathways.pathway",
        "protection.track",
        "protection.emergency_aid",
        "workshops.registration",
        "accompaniment.measure",
        "notifications.message",
    } <= keys
    assert retention.get("pathways.pathway").days == 730
    assert retention.get("workshops.registration").days == 365
    assert retention.get("protection.emergency_aid").days == 1826


def test_dry_run_counts_and_lists_but_writes_nothing(db):
    pathway = expired_family()
    entries = AuditEntry.objects.count()
    out = StringIO()
    result = run(dry_run=True)
    assert result.households == 1
    assert result.references == [pathway.household.reference]
    assert not anonymised(pathway.household)
    assert Person.objects.filter(last_name="Canarinom1").exists()
    assert AuditEntry.objects.count() == entries
    # The command says the same without a name.
    call_command("anonymise", "--dry-run", stdout=out, stderr=StringIO())
    assert "0 foyer(s)" in out.getvalue()  # not expired today
    assert AuditEntry.objects.count() == entries


def test_expired_household_is_anonymised_and_keeps_its_skeleton(db):
    pathway = expired_family()
    household = pathway.household
    steps_before = list(PathwayStep.objects.filter(pathway=pathway).values_list("kind", "status", "outcome"))
    result = run()
    assert result.households == 1
    assert anonymised(household)
    declarant = Person.objects.get(household=household)
    assert declarant.last_name == retention.ANONYMISED and declarant.first_name == ""
    assert declarant.birth_date == date(1988, 1, 1)
    assert not ContactChannel.objects.filter(person__household=household).exists()
    assert not Address.objects.filter(person__household=household).exists()
    assert household.file_number == f"anon-{household.pk}"
    assert set(PathwayStep.objects.filter(pathway=pathway).values_list("note", flat=True)) == {""}
    # The skeleton: department, dates, track, step outcomes, counts.
    pathway.refresh_from_db()
    assert pathway.department_id == household.department_id and pathway.status == Pathway.Status.CLOSED
    assert (
        list(PathwayStep.objects.filter(pathway=pathway).values_list("kind", "status", "outcome"))
        == steps_before
    )
    entry = AuditEntry.objects.filter(action="households.anonymisation.ran").get()
    assert entry.data["households"] == 1
    assert "Canari" not in str(entry.data) + entry.object_ref + entry.reason


def test_not_expired_open_pathway_and_legal_hold_are_kept(db):
    expired = expired_family(1)
    recent = expired_family(2)
    Pathway.objects.filter(pk=recent.pk).update(closed_at=timezone.now() + timedelta(days=400))
    still_open = expired_family(3)
    Pathway.objects.filter(pk=still_open.pk).update(status=Pathway.Status.OPEN, closed_at=None)
    held = expired_family(4)
    pilot = factories.make_user("local_pilot", "92")
    services.set_legal_hold(
        actor=pilot, household=held.household, hold=True, reason="Procédure judiciaire en cours"
    )

    assert run().households == 1
    assert anonymised(expired.household)
    for kept in (recent, still_open, held):
        assert not anonymised(kept.household)
        assert (
            Person.objects.filter(household=kept.household).exclude(last_name=retention.ANONYMISED).exists()
        )
    held.household.refresh_from_db()
    assert held.household.legal_hold_reason == "Procédure judiciaire en cours"
    assert AuditEntry.objects.filter(
        action="households.household.legal_hold_set", reason__contains="judiciaire"
    ).exists()

    # Lifted with a reason: the next run takes it.
    services.set_legal_hold(
        actor=pilot, household=held.household, hold=False, reason="Procédure close, jugement rendu"
    )
    assert run().households == 1
    assert anonymised(held.household)


def test_a_legal_hold_needs_the_pilot_and_a_reason(db):
    household = expired_family().household
    worker = factories.make_user("social_worker", "92")
    pilot = factories.make_user("local_pilot", "92")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.set_legal_hold(actor=worker, household=household, hold=True, reason="Procédure en cours ici")
    with pytest.raises(ValidationError):
        services.set_legal_hold(actor=pilot, household=household, hold=True, reason="court")
    household.refresh_from_db()
    assert not household.legal_hold


def test_an_aid_within_the_recovery_limitation_keeps_the_household(db, django_capture_on_commit_callbacks):
    pathway = expired_family()
    household = pathway.household
    person = Person.objects.get(household=household)
    protection.ensure_ceilings()
    aid = protection.aid(household, person)
    aid.status, aid.paid_on = aid.Status.PAID, timezone.localdate()
    aid.save()
    document = protection.proof(aid)
    stored = document.file.storage
    name = document.file.name
    assert stored.exists(name)

    assert run().households == 0  # 800 days: the loan may still be recovered
    assert not anonymised(household)

    with django_capture_on_commit_callbacks(execute=True):
        result = anonymisation.run(now=timezone.now() + timedelta(days=1900))
    assert result.households == 1
    assert anonymised(household)
    assert not ProofDocument.objects.filter(aid=aid).exists()
    assert not stored.exists(name)  # deleted from disk on commit


def test_a_protected_address_is_deleted(db):
    pathway = expired_family()
    person = Person.objects.get(household=pathway.household)
    ProtectedAddress.objects.create(
        person=person,
        ciphertext=b"x",
        elected_kind="lawyer",
        elected_name="Cabinet Canari",
        elected_line="1 place du Palais",
        elected_postal_code="92000",
        elected_city="Nanterre",
    )
    run()
    assert not ProtectedAddress.objects.filter(person=person).exists()


def test_a_channel_a_proposal_points_at_is_deleted_and_the_proposal_unlinked(db):
    # The channels are deleted in one statement (no Django collector): what the foreign key's
    # SET_NULL did must still be done, or the database refuses the commit.
    expired = expired_family(1)
    alive = expired_family(2)
    Pathway.objects.filter(pk=alive.pk).update(status=Pathway.Status.OPEN)
    channel = ContactChannel.objects.filter(person__household=expired.household).first()
    other = Person.objects.filter(household=alive.household).first()
    proposal = ContactProposal.objects.create(
        household=alive.household, person=other, kind=channel.kind, value="x", contact=channel
    )
    assert run().households == 1
    assert not ContactChannel.objects.filter(pk=channel.pk).exists()
    proposal.refresh_from_db()
    assert proposal.contact_id is None
    connection.check_constraints()  # no row points at a deleted one


def test_a_second_run_is_idempotent(db):
    pathway = expired_family()
    assert run().households == 1
    stamp = Household.objects.get(pk=pathway.household_id).anonymised_at
    assert run().households == 0
    assert Household.objects.get(pk=pathway.household_id).anonymised_at == stamp
    assert AuditEntry.objects.filter(action="households.anonymisation.ran").count() == 2


def test_a_run_killed_midway_leaves_nothing_half_done_and_the_next_completes(db, monkeypatch):
    families = [expired_family(n) for n in range(1, 6)]
    holding = retention.get("pathways.pathway")
    real_erase = holding.erase
    calls = {"n": 0}

    def erase_then_die(ids):
        real_erase(ids)  # this batch's steps are already blanked when the process dies
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed")

    monkeypatch.setitem(retention._REGISTRY, holding.key, _replace(holding, erase=erase_then_die))
    with pytest.raises(KeyboardInterrupt):
        run(batch_size=2)  # batches of two households: the run dies in the second batch
    done = [f for f in families if anonymised(f.household)]
    assert done == families[:2]
    for family in families:
        names = set(Person.objects.filter(household=family.household).values_list("last_name", flat=True))
        notes = set(PathwayStep.objects.filter(pathway=family).values_list("note", flat=True))
        if anonymised(family.household):
            assert names == {retention.ANONYMISED} and notes == {""}
        else:  # untouched, including the household the run died in
            assert retention.ANONYMISED not in names and notes != {""}
            assert ContactChannel.objects.filter(person__household=family.household).exists()
    assert AuditEntry.objects.get(action="households.anonymisation.ran").data["households"] == 2

    monkeypatch.setitem(retention._REGISTRY, holding.key, holding)
    assert run().households == 3
    assert all(anonymised(f.household) for f in families)


def _replace(holding, **changes):
    from dataclasses import replace

    return replace(holding, **changes)


def test_no_trace_of_the_names_phone_or_email_remains_in_the_tables(db):
    pathway = expired_family(7)
    household = pathway.household
    secrets = [
        "Canarinom7",
        "Canariprenom7",
        "canari7@exemple.fr",
        "0612345607",
        "+33612345607",
        "7 rue du Canari",
    ]
    assert _tables_containing(secrets), "the canary must be visible before"
    run()
    assert anonymised(household)
    assert _tables_containing(secrets) == {}


TOUCHED_APPS = ("households", "pathways", "protection", "workshops", "accompaniment", "notifications")


def _tables_containing(needles: list[str]) -> dict[str, list[str]]:
    from django.apps import apps

    found: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.app_label not in TOUCHED_APPS:
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            text = "\n".join(repr(row) for row in cursor.fetchall()).lower()
            hits = [n for n in needles if n.lower() in text]
            if hits:
                found[model._meta.db_table] = hits
    return found


def test_the_periodic_job_is_registered():
    from parcours.core import schedule

    assert schedule.get("households.anonymise").at is not None


def test_a_limited_processing_keeps_the_household_and_needs_the_pilot(db):
    pathway = expired_family()
    person = Person.objects.get(household=pathway.household)
    pilot = factories.make_user("local_pilot", "92")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.set_processing_limitation(
            actor=factories.make_user("social_worker", "92"),
            person=person,
            limited=True,
            reason="Demande écrite reçue",
        )
    services.set_processing_limitation(
        actor=pilot, person=person, limited=True, reason="Demande écrite reçue"
    )
    assert AuditEntry.objects.filter(action="households.person.processing_limited").exists()
    assert run().households == 0
    services.set_processing_limitation(
        actor=pilot, person=person, limited=False, reason="Contestation tranchée"
    )
    assert run().households == 1


def _cross_claim(pathway: Pathway, **values) -> CrossClaim:
    person = Person.objects.filter(household=pathway.household).first()
    return CrossClaim.objects.create(
        household=pathway.household,
        person=person,
        kind=CrossClaim.Kind.ADDRESS_PROTECTION,
        reason="Motif canari de la décision",
        request_ciphertext=b"demande chiffree canari",
        **values,
    )


def test_a_decided_cross_claim_loses_its_reason_and_its_encrypted_request(db):
    pathway = expired_family()
    claim = _cross_claim(pathway, decision=CrossClaim.Decision.DISMISSED, decided_at=timezone.now())
    assert run().households == 1
    claim.refresh_from_db()
    assert claim.reason == "" and claim.request_ciphertext is None
    assert claim.decision == CrossClaim.Decision.DISMISSED  # the skeleton stays


def test_a_cross_claim_still_to_decide_keeps_the_household(db):
    pathway = expired_family()
    claim = _cross_claim(pathway)
    assert run().households == 0
    assert not anonymised(pathway.household)
    CrossClaim.objects.filter(pk=claim.pk).update(
        decision=CrossClaim.Decision.CONFIRMED, decided_at=timezone.now()
    )
    assert run().households == 1
