"""The anonymisation job: households every holding has let go of lose what identifies them.

The holdings are declared by the modules (core/retention.py). A household is anonymised when it is
not anonymised yet, has no legal hold, and no holding keeps it (each module says what keeps it:
an open pathway, an active MAP measure, an aid still recoverable, a recent session…). Households are
anonymised by batches, each in its own transaction, re-checked under row locks, erased with set-based
SQL: a run killed midway leaves every household either untouched or fully anonymised, and the next run carries on (`anonymised_at`).
Every run writes one audit entry with counts, never names.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import DateField, F, QuerySet, Value
from django.db.models.functions import Concat, TruncYear
from django.utils import timezone

from parcours.core import audit, retention
from parcours.households.models import (
    Address,
    Consent,
    ContactChannel,
    ContactProposal,
    Household,
    Person,
    ProtectedAddress,
)

logger = logging.getLogger("parcours.anonymisation")


@dataclass
class Result:
    dry_run: bool
    households: int = 0
    unlinked: dict[str, int] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)

    def as_data(self) -> dict:
        return {"dry_run": self.dry_run, "households": self.households, "unlinked": self.unlinked}


BATCH_SIZE = 500  # households per transaction: big enough for set-based SQL, small enough to lock briefly


def candidates(now: datetime | None = None) -> QuerySet[Household]:
    """Households no holding keeps alive any more, not held, not anonymised yet (one query: for a
    look at a small set; the job itself checks the holdings batch by batch, see `_expired_among`)."""
    now = now or timezone.now()
    qs = Household.objects.filter(anonymised_at__isnull=True, legal_hold=False)
    for holding in retention.all_holdings():
        for kept in holding.kept(now):
            qs = qs.exclude(pk__in=kept)
    return qs


def still_kept_by(pk: int, now: datetime) -> list[str]:
    """What keeps this household alive whatever its age (French labels), for an erasure on request."""
    return [
        holding.open_label or holding.label
        for holding in retention.all_holdings()
        if holding.keeps_household(now, pk, on_request=True)
    ]


def person_blockers(person: Person, now: datetime) -> list[str]:
    """What refuses the erasure of this one member now (French labels, empty when she may be erased):
    her file's legal hold, and what each module still needs her for (`Holding.keeps_person`)."""
    if person.erased_at is not None:
        return ["les données de cette personne sont déjà effacées"]
    if person.household.anonymised_at is not None:
        return ["le dossier est déjà anonymisé"]
    blockers = ["un gel légal posé sur le dossier"] if person.household.legal_hold else []
    return blockers + [
        holding.person_open_label or holding.open_label or holding.label
        for holding in retention.all_holdings()
        if holding.keeps_this_person(now, person.pk)
    ]


def erase_person(pk: int, now: datetime) -> dict[str, int]:
    """Erase one member in the caller's transaction: each module blanks what it holds about her
    (households last: the others read her birth date first), then she is marked erased. Returns the
    rows changed per holding (for the audit entry: counts, never a name)."""
    counts = {}
    for holding in retention.all_holdings():
        if holding.erase_person is not None:
            counts[holding.key] = holding.erase_person([pk])
    Person.objects.filter(pk=pk).update(erased_at=now)
    return counts


def _expired_among(now: datetime, ids: list[int], on_request: bool = False) -> list[int]:
    """Those of `ids` no holding keeps: every holding's querysets narrowed to these ids, in one
    query (index lookups per batch, never an anti-join over every household of the country)."""
    kept = retention.kept_among(now, ids, on_request=on_request)
    return [pk for pk in ids if pk not in kept]


def _batches(batch_size: int):
    """The not-yet-anonymised, not-held households, by ascending id, `batch_size` at a time (keyset
    pagination: constant memory, each batch an index range scan)."""
    last = 0
    while True:
        ids = list(
            Household.objects.filter(anonymised_at__isnull=True, legal_hold=False, pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def anonymise_households(ids: list[int], now: datetime, *, on_request: bool = False) -> int:
    """Anonymise, in one transaction, those of `ids` still candidates under their row locks.

    The rows are locked first, then every holding is asked again (a pathway opened meanwhile keeps
    its household), then each module erases the batch with set-based updates. Killed midway, the
    transaction rolls back: the batch is untouched and the next run takes it again."""
    with transaction.atomic():
        locked = list(
            Household.objects.select_for_update()
            .filter(pk__any_of=ids, anonymised_at__isnull=True, legal_hold=False)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        expired = _expired_among(now, locked, on_request) if locked else []
        if not expired:
            return 0
        for holding in retention.all_holdings():
            if holding.erase is not None:
                holding.erase(expired)
        return Household.objects.filter(pk__any_of=expired).update(
            anonymised_at=now, file_number=Concat(Value("anon-"), F("id"))
        )


def anonymise_household(pk: int, now: datetime, *, on_request: bool = False) -> bool:
    """Anonymise one household in its own transaction, if it is still a candidate under the lock.

    `on_request`: an erasure the person asked for (RGPD art. 17, `services.erase_on_request`): the
    retention durations do not count, only what is still open (a pathway, a measure, an aid…)."""
    return anonymise_households([pk], now, on_request=on_request) == 1


def run(
    *,
    dry_run: bool = False,
    limit: int | None = None,
    now: datetime | None = None,
    progress=None,
    batch_size: int = BATCH_SIZE,
) -> Result:
    now = now or timezone.now()
    result = Result(dry_run=dry_run)
    if dry_run:
        # The same scan, read-only: counts every candidate, names the first 1,000.
        shown: list[int] = []
        for ids in _batches(batch_size):
            expired = _expired_among(now, ids)
            if limit is not None:
                expired = expired[: limit - result.households]
            result.households += len(expired)
            shown.extend(expired[: 1000 - len(shown)])
            if limit is not None and result.households >= limit:
                break
        references = (
            Household.objects.filter(pk__in=shown)
            .order_by("pk")
            .values_list("department__code", "file_number")
        )
        result.references = [Household.reference_for(d, f) for d, f in references]
        for holding in retention.all_holdings():
            if holding.erase_unlinked is not None:
                result.unlinked[holding.key] = 0  # counted by the real run only
        return result
    try:
        for ids in _batches(batch_size):
            # Asked first without a lock, so that the households still alive (most of them, on an
            # ordinary night) are never locked; the expired ones are asked again under the lock.
            expired = _expired_among(now, ids)
            if limit is not None:
                expired = expired[: limit - result.households]
            if expired:
                result.households += anonymise_households(expired, now)
            if progress:
                progress(result.households)
            if limit is not None and result.households >= limit:
                break
        for holding in retention.all_holdings():
            if holding.erase_unlinked is not None:
                result.unlinked[holding.key] = holding.erase_unlinked(now, holding.cutoff(now))
    finally:
        # One entry per run, counts only — also for a run interrupted midway (what was done is done).
        audit.record(None, "households.anonymisation.ran", data=result.as_data())
    return result


# --- What the households module itself holds: identity, contacts, addresses --------------------


def erase_identity(household_ids: list[int]) -> int:
    persons = Person.objects.filter(household_id__any_of=household_ids)
    # One UPDATE for the batch; the birth date keeps its year only (1 January), NULL stays NULL.
    changed = persons.update(
        first_name="",
        last_name=retention.ANONYMISED,
        search_name=retention.ANONYMISED.lower(),
        birth_date=TruncYear("birth_date", output_field=DateField()),
    )
    person_ids = persons.values("pk")
    channels = ContactChannel.objects.filter(person_id__in=person_ids)
    # The proposals' SET_NULL done in one UPDATE, then one DELETE: `QuerySet.delete()` would load
    # every channel to do it row by row (the foreign key, checked by the database, stays).
    ContactProposal.objects.filter(contact__in=channels).update(contact=None)
    changed += channels._raw_delete(channels.db)
    changed += ContactProposal.objects.filter(person_id__in=person_ids).delete()[0]
    changed += Address.objects.filter(person_id__in=person_ids).delete()[0]
    changed += ProtectedAddress.objects.filter(person_id__in=person_ids).delete()[0]
    changed += Consent.objects.filter(person_id__in=person_ids).exclude(note="").update(note="")
    return changed


def erase_person_identity(person_ids: list[int]) -> int:
    """The same as `erase_identity`, for these persons alone (the rest of the household untouched)."""
    persons = Person.objects.filter(pk__in=person_ids)
    changed = persons.update(
        first_name="",
        last_name=retention.ANONYMISED,
        search_name=retention.ANONYMISED.lower(),
        birth_date=TruncYear("birth_date", output_field=DateField()),
        processing_limited_reason="",
    )
    changed += ContactChannel.objects.filter(person_id__in=person_ids).delete()[0]
    changed += ContactProposal.objects.filter(person_id__in=person_ids).delete()[0]
    changed += Address.objects.filter(person_id__in=person_ids).delete()[0]
    changed += ProtectedAddress.objects.filter(person_id__in=person_ids).delete()[0]
    changed += Consent.objects.filter(person_id__in=person_ids).exclude(note="").update(note="")
    return changed


def register() -> None:
    def keeps(now, cutoff):
        # A file with nothing else in it (no pathway yet) is kept as long as a pathway would be; a
        # person whose processing is limited (RGPD art. 18, e.g. for a legal claim) keeps hers.
        return (
            Household.objects.filter(created_at__gte=cutoff).values("pk"),
            Person.objects.filter(processing_limited=True).values("household_id"),
        )

    retention.register(
        retention.Holding(
            key="households.identity",
            label="Identité, coordonnées et adresses des membres du foyer",
            setting="PARCOURS_RETENTION_PATHWAY_DAYS",
            default_days=730,
            justification="Suivent les données du parcours ; un dossier sans parcours est gardé "
            "autant qu'un parcours le serait.",
            keeps=keeps,
            erase=erase_identity,
            order=1000,  # last: the modules above read the persons before they are blanked
            open_label="une limitation du traitement (RGPD art. 18) en cours",
            # A limited person is frozen: lift the limitation first (its reason has ceased).
            keeps_person=lambda now: Person.objects.filter(processing_limited=True).values("pk"),
            person_open_label="une limitation du traitement (RGPD art. 18) en cours : levez-la d'abord",
            erase_person=erase_person_identity,
        )
    )
