"""Reads of household data. Every function takes the acting user; the policy decides what it sees."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from parcours.core import audit, policy
from parcours.households.models import (
    ContactChannel,
    Household,
    HouseholdAssignment,
    Person,
    fold,
)


def households_visible_to(actor, permission: str = "households.view") -> QuerySet[Household]:
    return policy.scope(actor, Household.objects.select_related("department"), permission)


def household_for(actor, pk: int, *, permission: str = "households.view", audited: bool = True) -> Household:
    """One household, or 404 when it lies outside the actor's scope; opening it is audited."""
    policy.require(actor, permission)
    members = Person.objects.select_related(
        "address", "protected_address", "processing_limited_by"
    ).prefetch_related("contacts", "consents")
    household = get_object_or_404(
        households_visible_to(actor, permission).prefetch_related(
            Prefetch("members", queryset=members), "assignments__user"
        ),
        pk=pk,
    )
    if audited:
        audit.record(actor, "households.household.viewed", household)
    return household


def search_page(actor, query: str, page_number, *, per_page: int = 25) -> Page:
    """One page of a household search; the search is audited (how many were found, not the words)."""
    page = Paginator(search_households(actor, query), per_page).get_page(page_number)
    audit.record(actor, "households.household.searched", data={"results": page.paginator.count})
    return page


def household_log_for(actor, pk: int) -> tuple[Household, QuerySet]:
    """Who opened or changed a household (for the local pilot); the consultation is audited first,
    so the log lists it too and its counts stay consistent."""
    from parcours.core.models import AuditEntry

    household = household_reference_for(actor, pk)
    audit.record(actor, "audit.household_log.viewed", household)
    entries = AuditEntry.objects.filter(scope=f"household:{household.pk}").select_related("actor")
    return household, entries.order_by("-id")


def household_reference_for(actor, pk: int) -> Household:
    """The reference view of the local pilot: department scope, restricted included, no content."""
    return get_object_or_404(
        policy.scope(
            actor,
            Household.objects.select_related("department").prefetch_related("assignments__user"),
            "households.view_reference",
            restricted="reference",
        ),
        pk=pk,
    )


def person_reference_for(actor, pk: int, permission: str) -> Person:
    """One member as the local pilot's reference view knows her (her household's department,
    restricted included): the page shows her number, role and flags, never her name or contacts.
    No audit entry of its own: the write it leads to records one."""
    return get_object_or_404(
        policy.scope(
            actor,
            Person.objects.select_related("household__department", "processing_limited_by"),
            permission,
            restricted="reference",
        ),
        pk=pk,
    )


def household_references(actor, *, query: str = "", restricted_only: bool = False) -> QuerySet[Household]:
    qs = policy.scope(
        actor,
        Household.objects.select_related("department"),
        "households.view_reference",
        restricted="reference",
    )
    if query:
        qs = qs.filter(file_number__icontains=query.strip())
    if restricted_only:
        qs = qs.filter(restricted=True)
    return qs.order_by("file_number")


def search_households(actor, query: str) -> QuerySet[Household]:
    """By file number (exact prefix) or by a member's name (accents and case ignored)."""
    query = (query or "").strip()
    qs = households_visible_to(actor)
    if not query:
        return qs.none()
    folded = fold(query)
    by_name = Person.objects.filter(search_name__contains=folded).values("household_id")
    return (
        qs.filter(Q(file_number__startswith=query) | Q(pk__in=by_name))
        .prefetch_related(Prefetch("members", queryset=Person.objects.filter(role=Person.Role.PARENT)))
        .order_by("file_number")
    )


def person_for(actor, pk: int, permission: str = "households.view", *, audited: bool = True) -> Person:
    """One person of a household in the actor's scope (404 otherwise); the read is audited."""
    person = get_object_or_404(
        policy.scope(actor, Person.objects.select_related("household__department"), permission), pk=pk
    )
    if audited:
        audit.record(actor, "households.person.viewed", person)
    return person


def contact_for(
    actor, pk: int, permission: str = "households.edit", *, audited: bool = True
) -> ContactChannel:
    contact = get_object_or_404(
        policy.scope(
            actor, ContactChannel.objects.select_related("person__household__department"), permission
        ),
        pk=pk,
    )
    if audited:
        audit.record(actor, "households.contact.viewed", contact)
    return contact


def national_counts(actor) -> list[dict]:
    """Households per department, for the national pilot: aggregates only, small counts hidden."""
    from django.db.models import Count

    from parcours.core import secrecy

    policy.require(actor, "evaluation.view_national")

    rows = (
        Household.objects.values("department__code", "department__name")
        .annotate(total=Count("id"), restricted=Count("id", filter=Q(restricted=True)))
        .order_by("department__code")
    )
    return [
        {
            "code": r["department__code"],
            "name": r["department__name"],
            # no total is published beside these counts: primary suppression is enough
            "total": secrecy.shown(r["total"]),
            "restricted": secrecy.shown(r["restricted"]),
        }
        for r in rows
    ]


def assignment_for(actor, pk: int) -> HouseholdAssignment:
    return get_object_or_404(
        policy.scope(
            actor,
            HouseholdAssignment.objects.select_related("household__department", "user"),
            "households.assign",
            restricted="reference",
        ),
        pk=pk,
    )


def assignable_staff(actor, household: Household):
    from parcours.core.models import User
    from parcours.core.roles import CASEWORK_ROLES

    return (
        User.objects.filter(
            is_active=True,
            organisation__department=household.department,
            organisation__kind="caf",
            role_rows__role__in=CASEWORK_ROLES,
        )
        .exclude(assignments__household=household)
        .distinct()
        .order_by("last_name", "first_name")
    )


def safe_contacts_for(actor, person) -> list[ContactChannel]:
    """The person's channels confirmed safe, to call or write from a task — never the others.

    No audit entry of its own: the page that shows them (a step) records its one view.
    """
    if person is None:
        return []
    policy.require(actor, "households.view", person)
    return person.safe_channels()


def erasure_blockers(actor, household: Household) -> list[str]:
    """What would refuse an erasure on request now (French), for the page that offers it; the
    service checks again under the lock."""
    from django.utils import timezone

    from parcours.households import anonymisation

    policy.require(actor, "households.erase", household, restricted="reference")
    if household.anonymised_at is not None:
        return ["le dossier est déjà anonymisé"]
    blockers = ["un gel légal"] if household.legal_hold else []
    return blockers + anonymisation.still_kept_by(household.pk, timezone.now())


def person_erasure_blockers(actor, person: Person) -> list[str]:
    """What would refuse the erasure of this one member now (French), for the page that offers it;
    the service checks again under the lock."""
    from django.utils import timezone

    from parcours.households import anonymisation

    policy.require(actor, "households.erase", person, restricted="reference")
    return anonymisation.person_blockers(person, timezone.now())


# The changes of a person's data the history shows (rectification, RGPD art. 16): from the audit
# trail, which names the fields changed and never their values — so no value, protected or not,
# can appear in the history.
HISTORY_ACTIONS = {
    "households.person.created": "Fiche créée",
    "households.person.changed": "Identité modifiée",
    "households.address.changed": "Adresse modifiée",
    "households.address.protected": "Adresse protégée (l'adresse élue la remplace)",
    "households.protected_address.changed": "Adresse protégée : modifiée",
    "households.contact.created": "Canal de contact ajouté",
    "households.contact.changed": "Canal de contact modifié",
    "households.consent.recorded": "Consentement enregistré",
    "households.person.processing_limited": "Traitement limité (RGPD art. 18)",
    "households.person.processing_unlimited": "Limitation du traitement levée",
    "households.person.erased": "Données effacées à sa demande (RGPD art. 17)",
}
_HISTORY_MODELS = {"person": Person, "contact": ContactChannel}


def person_history(actor, pk: int) -> tuple[Person, list[dict]]:
    """Who changed what, when, in one person's data (newest first); the consultation is audited."""
    from parcours.core.models import AuditEntry

    person = person_for(actor, pk, audited=False)
    audit.record(actor, "households.person.history_viewed", person)
    ref_suffix = f"de la personne n° {person.pk}"
    entries = (
        AuditEntry.objects.filter(scope=f"household:{person.household_id}", action__in=HISTORY_ACTIONS)
        .filter(
            Q(object_type="households.person", object_id=str(person.pk))
            | Q(
                object_type__in=(
                    "households.contactchannel",
                    "households.protectedaddress",
                    "households.consent",
                ),
                object_ref__endswith=ref_suffix,
            )
        )
        .order_by("-id")
    )
    rows = []
    for entry in entries:
        model = ContactChannel if entry.object_type == "households.contactchannel" else Person
        fields = [_field_label(model, name) for name in (entry.data or {}).get("fields", [])]
        rows.append(
            {
                "at": entry.created_at,
                "who": entry.actor_label,
                "what": HISTORY_ACTIONS[entry.action],
                "fields": fields,
                "reason": entry.reason if entry.action.endswith(("limited", "unlimited")) else "",
            }
        )
    return person, rows


def _field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # a field renamed since: its code name rather than nothing
        return name


def pending_contact_proposals(actor, household) -> QuerySet:
    """Contacts that came with a declaration for this family with violence on record, waiting for the
    assigned social worker (household page). Nobody else — and never the other parent — sees them."""
    from parcours.households.models import ContactProposal

    return policy.scope(
        actor,
        ContactProposal.objects.filter(household=household, status=ContactProposal.Status.PENDING),
        "households.review_contact_proposal",
    ).select_related("person")


def contact_proposal_for(actor, pk: int, permission: str = "households.review_contact_proposal"):
    from parcours.households.models import ContactProposal

    return get_object_or_404(
        policy.scope(
            actor, ContactProposal.objects.select_related("household__department", "person"), permission
        ),
        pk=pk,
    )
