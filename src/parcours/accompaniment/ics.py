"""An accompanist's private calendar feed (ICS): their handovers' times and a link to each in the app.

Calendar providers (Google, Apple, Microsoft) read the feed: it carries no name, no place, no address,
no measure reference, only "Remise accompagnée" and the link (the page behind it asks to sign in).
The link is signed (salt of its own) and names the accompanist and their current feed key: turning
the feed off, or on again, changes the key and revokes every earlier link.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from parcours.accompaniment.models import Accompanist, Handover

SALT = "parcours.accompaniment.agenda"
PRODID = "-//Caf//Parcours//FR"


def token_for(accompanist: Accompanist) -> str:
    return signing.dumps({"a": accompanist.pk, "k": accompanist.feed_key}, salt=SALT, compress=True)


def accompanist_for(token: str) -> Accompanist:
    """The accompanist of a valid, current link; BadSignature for anything else (revoked, disabled, forged)."""
    data = signing.loads(token, salt=SALT)
    accompanist = Accompanist.objects.select_related("user").filter(pk=data.get("a")).first()
    if (
        accompanist is None
        or not accompanist.feed_enabled
        or not accompanist.user.is_active
        or accompanist.feed_key != data.get("k")
    ):
        raise signing.BadSignature("lien révoqué")
    return accompanist


def feed(accompanist: Accompanist) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Remises")
    since = timezone.now() - timedelta(days=30)
    base = settings.PARCOURS_SITE_URL.rstrip("/")
    for handover in Handover.objects.filter(accompanist=accompanist, to_at__gte=since).exclude(
        outcome=Handover.Outcome.CANCELLED
    ):
        event = Event()
        event.add("uid", f"handover-{handover.pk}@parcours.caf.fr")
        event.add("dtstamp", timezone.now())
        event.add("dtstart", handover.from_at)
        event.add("dtend", handover.to_at)
        event.add("summary", "Remise accompagnée")
        event.add("url", base + reverse("backoffice:map-handover", kwargs={"pk": handover.pk}))
        calendar.add_component(event)
    return calendar.to_ical()
