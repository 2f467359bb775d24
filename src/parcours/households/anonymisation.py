"""The anonymisation job: households every holding has let go of lose what identifies them.

The holdings are declared by the modules (core/retention.py). A household is anonymised when it is
not anonymised yet, has no legal hold, and no holding keeps it (each module says what keeps it:
an open pathway, an active MAP measure, an aid still recoverable, a recent session…). Each household
is anonymised in its own transaction, re-checked under a row lock: a run killed midway leaves every
household either untouched or fully anonymised, and the next run carries on (`anonymised_at`).
Every run writes one audit entry with counts, never names.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Concat
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


def candidates(now: datetime | None = None) -> QuerySet[Household]:
    """Households no holding keeps alive any more, not held, not anonymised yet."""
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


def anonymise_household(pk: int, now: datetime, *, on_request: bool = False) -> bool:
    """Anonymise one household in its own transaction, if it is still a candidate under the lock.

    `on_request`: an erasure the person asked for (RGPD art. 17, `services.erase_on_request`): the
    retention durations do not count, only what is still open (a pathway, a measure, an aid…)."""
    with transaction.atomic():
        locked = Household.objects.select_for_update().filter(pk=pk).first()
        if locked is None or locked.anonymised_at is not None or locked.legal_hold:
            return False
        if any(
            holding.keeps_household(now, pk, on_request=on_request) for holding in retention.all_holdings()
        ):
            return False
        for holding in retention.all_holdings():
            if holding.erase is not None:
                holding.erase([pk])
        Household.objects.filter(pk=pk).update(anonymised_at=now, file_number=Concat(Value("anon-"), F("id")))
        return True


def run(
    *, dry_run: bool = False, limit: int | None = None, now: datetime | None = None, progress=None
) -> Result:
    now = now or timezone.now()
    result = Result(dry_run=dry_run)
    ids = list(candidates(now).order_by("pk").values_list("pk", flat=True)[:limit])
    if dry_run:
        result.households = len(ids)
        result.references = list(
            Household.objects.filter(pk__in=ids[:1000])
            .order_by("pk")
            .values_list("department__code", "file_number")
        )
        result.references = [Household.reference_for(d, f) for d, f in result.references]
        for holding in retention.all_holdings():
            if holding.erase_unlinked is not None:
                result.unlinked[holding.key] = 0  # counted by the real run only
        return result
    try:
        for pk in ids:
            if anonymise_household(pk, now):
                result.households += 1
                if progress and result.households % 1000 == 0:
                    progress(result.households, len(ids))
        for holding in retention.all_holdings():
            if holding.erase_unlinked is not None:
                result.unlinked[holding.key] = holding.erase_unlinked(now, holding.cutoff(now))
    finally:
        # One entry per run, counts only — also for a run interrupted midway (what was done is done).
        audit.record(None, "households.anonymisation.ran", data=result.as_data())
    return result


# --- What the households module itself holds: identity, contacts, addresses --------------------


def erase_identity(household_ids: list[int]) -> int:
    persons = Person.objects.filter(household_id__in=household_ids)
    changed = 0
    for person in persons.only("pk", "birth_date"):
        birth = person.birth_date
        Person.objects.filter(pk=person.pk).update(
            first_name="",
            last_name=retention.ANONYMISED,
            search_name=retention.ANONYMISED.lower(),
            birth_date=date(birth.year, 1, 1) if birth else None,
        )
        changed += 1
    person_ids = persons.values("pk")
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
        )
    )
