"""What the protected track tells the notifications chokepoint (registered when Django starts).

- The person named in a violence report is on the protected track: neutral wording (sender "Caf",
  neutral subject and text), even if the household's restriction is lifted one day.
- In a restricted household where a report names the person at risk, the other parent keeps the
  ordinary wording: switching him to the neutral one would itself tip him off.
- A household with a report is sensitive: no message about it, to anyone, uses violence vocabulary.
- The channels of the person at risk (her e-mail, her numbers) are private to her: no message to
  another member of the household may contain them.
"""

from __future__ import annotations

from parcours.households.models import Household, Person
from parcours.notifications import safety as chokepoint


def persons_at_risk(household: Household) -> set[int]:
    """Ids of the household's members named in a violence report."""
    from parcours.protection.models import ViolenceReport

    if household is None or household.pk is None:
        return set()
    return set(ViolenceReport.objects.filter(household=household).values_list("person_id", flat=True))


def is_at_risk(person: Person) -> bool:
    from parcours.protection.models import ViolenceReport

    return person is not None and ViolenceReport.objects.filter(person=person).exists()


def has_report(household: Household) -> bool:
    from parcours.protection.models import ViolenceReport

    return household is not None and ViolenceReport.objects.filter(household=household).exists()


@chokepoint.register_protected_track_rule
def _named_in_a_report(person: Person) -> bool:
    return is_at_risk(person)


@chokepoint.register_restricted_household_decider
def _only_the_person_at_risk(person: Person) -> bool | None:
    at_risk = persons_at_risk(person.household)
    if not at_risk:
        return None  # restricted for another reason: the restriction alone decides
    return person.pk in at_risk


@chokepoint.register_sensitive_household_rule
def _household_with_a_report(household: Household) -> bool:
    return has_report(household)


@chokepoint.register_private_fragments
def _channels_of_the_person_at_risk(person: Person) -> list[str]:
    if not is_at_risk(person):
        return []
    return [c.value for c in person.contacts.all() if c.value]
