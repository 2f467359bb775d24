"""The workshop registrations of a person, in her access file (core/subject_access.py).

Two kinds: those made for her by the staff (linked to her), and those she made herself on the public
page, linked to no household — found by her own channels only: the same e-mail or phone number,
compared once normalised (an e-mail in lower case, a number in E.164), never a name, and never a
channel that another member of her household holds too (it might be the other parent's registration).
"""

from __future__ import annotations

from parcours.core import subject_access
from parcours.core.phones import normalize_french_phone
from parcours.core.subject_access import Entry, Section
from parcours.households.models import ContactChannel
from parcours.workshops.models import Registration
from parcours.workshops.selectors import contact_variants

_KIND = {
    "email": Registration.Channel.EMAIL,
    "sms": Registration.Channel.SMS,
    "phone": Registration.Channel.SMS,
}


def _normalised(kind: str, value: str) -> str:
    value = (value or "").strip()
    if kind == Registration.Channel.EMAIL:
        return value.lower()
    return normalize_french_phone(value) or value


def own_channels(person) -> set[tuple[str, str]]:
    """(registration channel, normalised value) of the person's own e-mails and phones that no other
    member of her household shares."""
    rows = ContactChannel.objects.filter(
        person__household_id=person.household_id, kind__in=list(_KIND)
    ).values_list("person_id", "kind", "value")
    mine, others = set(), set()
    for person_id, kind, value in rows:
        channel = _KIND[kind]
        key = (channel, _normalised(channel, value))
        (mine if person_id == person.pk else others).add(key)
    return {key for key in mine - others if key[1]}


def unlinked_registrations(person) -> list[Registration]:
    channels = own_channels(person)
    if not channels:
        return []
    variants = sorted({v for kind, value in channels for v in contact_variants(kind, value)})
    candidates = Registration.objects.filter(
        person__isnull=True, household__isnull=True, contact_value__in=variants
    ).select_related("workshop__venue")
    # The variants widen the search to the forms a number is typed in; the match itself is exact.
    return [
        r for r in candidates if (r.contact_kind, _normalised(r.contact_kind, r.contact_value)) in channels
    ]


def _entry(r: Registration, *, public: bool) -> Entry:
    fields = [
        ("Séance du", r.workshop.starts_at),
        ("Lieu", r.workshop.venue.name if r.workshop.venue else ""),
        ("Statut", r.get_status_display()),
        ("Inscription du", r.created_at),
        ("Personnes", r.party_size),
        ("Besoins d'accessibilité", r.accessibility_needs),
        ("Présence", r.get_attendance_display() if r.attendance else ""),
    ]
    if public:
        fields[4:4] = [
            ("Origine", "inscription par la page publique"),
            ("Coordonnée utilisée", r.contact_value),
        ]
    return Entry(f"{r.workshop.title} — {r.workshop.get_format_display()}", fields)


def registrations(subject) -> list[Entry]:
    linked = list(Registration.objects.filter(person=subject.person).select_related("workshop__venue"))
    public = unlinked_registrations(subject.person)
    rows = [(r, False) for r in linked] + [(r, True) for r in public]
    rows.sort(key=lambda row: (row[0].workshop.starts_at, row[0].pk))
    return [_entry(r, public=is_public) for r, is_public in rows]


def register() -> None:
    subject_access.register(
        Section(
            key="workshops.registrations",
            title="Séances « Parents après la séparation »",
            order=50,
            collect=registrations,
            empty="Aucune inscription.",
        )
    )
