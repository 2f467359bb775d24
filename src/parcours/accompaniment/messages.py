"""Message templates of the MAP module, and the private fragments of each parent.

A parent is only ever told their own appointments: the time and the place where they hand the child
over or receive them. The texts are neutral (no judge, no other parent, no violence: the chokepoint
checks it again) because most of these families are on the protected track. The referent and the
organisation get staff alerts (incident, end of the measure) by e-mail, with a link to the app and no
detail of the family.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.utils import formats, timezone

from parcours.notifications import safety
from parcours.notifications.templates import MessageTemplate, register

WHEN = "{{ item.at|date:'l j F Y' }} à {{ item.at|date:'H\\hi' }}"
SIGNATURE = "\n\nCe message est envoyé automatiquement : merci de ne pas y répondre.\n\nVotre Caf"
EXAMPLE_ITEMS = [
    {"at": datetime(2026, 3, 14, 9, 0, tzinfo=UTC), "place": "Point rencontre de la Caf"},
    {"at": datetime(2026, 3, 28, 9, 0, tzinfo=UTC), "place": "Point rencontre de la Caf"},
]


def _still_planned(message):
    """A reminder is sent only if the handover is still planned at the time it announces."""
    from parcours.accompaniment.models import Handover

    context = message.decoded_context
    if "handover_id" not in context:
        return True
    handover = Handover.objects.filter(pk=context["handover_id"]).first()
    if handover is None or handover.outcome != Handover.Outcome.PLANNED:
        return "remise annulée ou déjà passée"
    mine = handover.from_at if handover.from_parent_id == message.person_id else handover.to_at
    return mine == context["item"]["at"] or "horaire modifié depuis"


SCHEDULE = register(
    MessageTemplate(
        key="accompaniment.schedule",
        label="Accompagnement : vos rendez-vous",
        email_subject="Vos prochains rendez-vous",
        email_body=(
            "Bonjour{% if first_name %} {{ first_name }}{% endif %},\n\n"
            "Voici vos prochains rendez-vous avec l'accompagnant :\n"
            "{% for item in items %}- le " + WHEN + " : {{ item.place }}\n{% endfor %}"
            "\nMerci d'être présent(e) à l'heure indiquée ; en cas d'empêchement, prévenez l'association au plus tôt."
            + SIGNATURE
        ),
        sms_text=(
            "Caf : vos prochains rendez-vous : {% for item in items %}{{ item.at|date:'j/m H\\hi' }} "
            "{{ item.place }}{% if not forloop.last %} ; {% endif %}{% endfor %}."
        ),
        letter_body=(
            "<p>Voici vos prochains rendez-vous avec l'accompagnant :</p><ul>"
            "{% for item in items %}<li>le " + WHEN + " : {{ item.place }}</li>{% endfor %}</ul>"
        ),
        protected_email_body=(
            "Bonjour,\n\nVoici vos prochains rendez-vous :\n"
            "{% for item in items %}- le " + WHEN + " : {{ item.place }}\n{% endfor %}" + SIGNATURE
        ),
        protected_sms_text=(
            "Vos prochains rendez-vous : {% for item in items %}{{ item.at|date:'j/m H\\hi' }} "
            "{{ item.place }}{% if not forloop.last %} ; {% endif %}{% endfor %}."
        ),
        protected_letter_body=(
            "<p>Voici vos prochains rendez-vous :</p><ul>"
            "{% for item in items %}<li>le " + WHEN + " : {{ item.place }}</li>{% endfor %}</ul>"
        ),
        example_context={"measure_id": 1, "items": EXAMPLE_ITEMS},
    )
)

REMINDER = register(
    MessageTemplate(
        key="accompaniment.reminder",
        label="Accompagnement : rappel de la veille",
        email_subject="Rappel : rendez-vous de demain",
        email_body=(
            "Bonjour{% if first_name %} {{ first_name }}{% endif %},\n\n"
            "Rappel : rendez-vous demain, {% with item=item %}"
            + WHEN
            + "{% endwith %} : {{ item.place }}."
            + SIGNATURE
        ),
        sms_text="Rappel : rendez-vous demain {{ item.at|date:'j/m à H\\hi' }}, {{ item.place }}.",
        protected_email_body="Bonjour,\n\nRappel : rendez-vous demain, "
        + WHEN
        + " : {{ item.place }}."
        + SIGNATURE,
        protected_sms_text="Rappel : rendez-vous demain {{ item.at|date:'j/m à H\\hi' }}, {{ item.place }}.",
        channels=("sms", "email"),
        example_context={
            "item": EXAMPLE_ITEMS[0]
        },  # about no handover: the hook leaves it to the other checks
        is_relevant=_still_planned,
    )
)

STAFF_INCIDENT = register(
    MessageTemplate(
        key="accompaniment.staff_incident",
        label="Accompagnement : incident à consulter (agent)",
        email_subject="Parcours : un incident à consulter",
        email_body=(
            "Bonjour,\n\nUn incident a été enregistré lors d'une remise de la mesure {{ reference }} que vous suivez. "
            "Il figurera au prochain rapport au juge.\n\nConsultez-le dans Parcours : {{ url }}\n\nParcours"
        ),
        channels=("email",),
        example_context={"reference": "MAP-12", "url": "https://parcours.exemple/gestion/accompagnement/12/"},
    )
)

STAFF_END = register(
    MessageTemplate(
        key="accompaniment.staff_end",
        label="Accompagnement : fin de mesure prochaine (agent)",
        email_subject="Parcours : une mesure se termine dans {{ days }} jours",
        email_body=(
            "Bonjour,\n\nLa mesure {{ reference }} se termine le {{ ends_on|date:'j F Y' }} (dans {{ days }} jours). "
            "Un renouvellement demande une nouvelle décision.\n\nParcours : {{ url }}\n\nParcours"
        ),
        channels=("email",),
        example_context={
            "reference": "MAP-12",
            "ends_on": date(2026, 6, 30),
            "days": 30,
            "url": "https://parcours.exemple/gestion/accompagnement/12/",
        },
    )
)


def fragments_of(person) -> list[str]:
    """A parent's own appointments as the messages write them, and their places: the other parent's
    messages may contain none of them (a place both parents use is shared, hence not private)."""
    from parcours.accompaniment.models import Handover

    found = []
    now = timezone.now()
    for handover in Handover.objects.filter(
        measure__household_id=person.household_id, outcome=Handover.Outcome.PLANNED, to_at__gte=now
    ).select_related("from_place", "to_place", "measure__household__department"):
        tz = handover.measure.tzinfo
        for parent_id, place, at in (
            (handover.from_parent_id, handover.from_place, handover.from_at),
            (handover.to_parent_id, handover.to_place, handover.to_at),
        ):
            if parent_id != person.pk:
                continue
            local = timezone.localtime(at, tz)
            found += [
                place.label,
                place.address,
                formats.date_format(local, "l j F Y") + " à " + formats.date_format(local, "H\\hi"),
            ]
            found.append(formats.date_format(local, "j/m H\\hi"))
    return found


safety.register_private_fragments(fragments_of)
