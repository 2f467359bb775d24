"""Reads of messages for staff. A message is seen by whoever may see its household (restricted ones:
the assigned staff only); a message without household (public registration) by the department's staff.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from parcours.core import audit, page_memo, policy
from parcours.households.models import Household
from parcours.notifications.models import Message

# What a message's labels read (recipient, department): joined, not fetched one message at a time.
_DISPLAYED = ("household__department", "person", "department")


def messages_visible_to(actor, permission: str = "notifications.view") -> QuerySet[Message]:
    if not policy.can(actor, permission) or actor.department_code is None:
        return Message.objects.none()
    households = policy.scope(actor, Household.objects.all(), permission)
    return Message.objects.filter(
        Q(household__in=households.values("pk"))
        | Q(household__isnull=True, department__code=actor.department_code)
    ).select_related(*_DISPLAYED)


def messages_for_household(actor, household: Household) -> QuerySet[Message]:
    """The household's messages, newest first (the caller has already opened the household).

    A household's messages are seen by whoever may see the household: checked here on the household
    in hand, which spares every household page the subquery of `messages_visible_to`."""
    if not policy.can(actor, "notifications.view", household):
        return Message.objects.none()
    return (
        Message.objects.filter(household=household).select_related(*_DISPLAYED).order_by("-created_at", "-id")
    )


def household_messages(actor, household: Household) -> list[Message]:
    """`messages_for_household` as a list, read once per household page (timeline and panel)."""
    return page_memo.shared(
        household,
        ("messages", actor.pk),
        lambda: page_memo.rows(household, "notifications:messages", messages_for_household(actor, household)),
    )


def register_probes() -> None:
    page_memo.register_probe(Household, "notifications:messages", Message, "household")


def message_for(actor, pk: int, *, permission: str = "notifications.view", audited: bool = True) -> Message:
    policy.require(actor, permission)
    message = messages_visible_to(actor, permission).filter(pk=pk).first()
    if message is None:
        raise Http404
    if audited:
        audit.record(actor, "notifications.message.viewed", message)
    return message


def department_outbox(actor, *, status: str = "", channel: str = "") -> QuerySet[Message]:
    """The department's outbox for the local pilot: status and reasons, no content, no recipient."""
    if not policy.can(actor, "notifications.view_outbox") or actor.department_code is None:
        return Message.objects.none()
    qs = Message.objects.filter(
        Q(household__department__code=actor.department_code)
        | Q(household__isnull=True, department__code=actor.department_code)
    ).select_related("household__department")
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    return qs.order_by("-updated_at", "-id")


def failed_count(actor) -> int:
    return department_outbox(actor, status=Message.Status.FAILED).count()


def messages_to_review(actor, *, days: int = 30) -> QuerySet[Message]:
    """Failed or refused messages of the last days in what the actor may see: someone has to act."""
    from datetime import timedelta

    from django.utils import timezone

    since = timezone.now() - timedelta(days=days)
    return (
        messages_visible_to(actor)
        .filter(status__in=(Message.Status.FAILED, Message.Status.REFUSED), updated_at__gte=since)
        .order_by("-updated_at", "-id")
    )
