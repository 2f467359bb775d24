"""Who may open a MAP record, beyond the department (core.policy.in_scope asks the record).

- the MAP organisation's coordinators (role partner): the measures referred to their organisation;
- an accompanist: the handovers assigned to them, nothing else of the household;
- a social worker: the measures they are the referent of, or of a household assigned to them;
- nobody else (other Caf staff see the household, not the measure).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from parcours.core.roles import Role


def measure_visible(user, measure) -> bool:
    roles = user.roles
    if (
        Role.PARTNER in roles
        and measure.map_organisation_id
        and measure.map_organisation.organisation_id == user.organisation_id
    ):
        return True
    return Role.SOCIAL_WORKER in roles and (
        measure.referent_id == user.pk or measure.household.is_assigned(user)
    )


def handover_visible(user, handover) -> bool:
    if Role.ACCOMPANIST in user.roles and handover.accompanist_id and handover.accompanist.user_id == user.pk:
        return True
    return measure_visible(user, handover.measure)


def measures_filter(user, prefix: str = "") -> Q:
    """The same rule as a filter on measures (`prefix` leads from the model to its measure)."""
    from parcours.households.models import HouseholdAssignment

    roles = user.roles
    q = Q(pk__in=[])
    if Role.PARTNER in roles:
        q |= Q(**{f"{prefix}map_organisation__organisation_id": user.organisation_id})
    if Role.SOCIAL_WORKER in roles:
        assigned = HouseholdAssignment.objects.filter(user=user).values("household_id")
        q |= Q(**{f"{prefix}referent_id": user.pk}) | Q(**{f"{prefix}household_id__in": assigned})
    return q


def scope_measures(user, qs: QuerySet) -> QuerySet:
    if user.department_code is None:
        return qs.none()
    return qs.filter(household__department__code=user.department_code).filter(measures_filter(user))


def scope_handovers(user, qs: QuerySet) -> QuerySet:
    if user.department_code is None:
        return qs.none()
    q = measures_filter(user, "measure__")
    if Role.ACCOMPANIST in user.roles:
        q |= Q(accompanist__user_id=user.pk)
    return qs.filter(measure__household__department__code=user.department_code).filter(q)
