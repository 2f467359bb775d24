"""Message templates of the workshops module (registry `parcours.notifications.templates`).

Ordinary wording names the session « Parents après la séparation »; on the protected track the
chokepoint uses the `protected_*` texts below, which name neither the topic nor anyone else, and
the services attach a neutral ICS. Reminders, offers and invitation reminders carry a relevance
hook: a cancelled registration, a moved or past session, an answered invitation drop them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import formats, timezone

from parcours.notifications import safety
from parcours.notifications.templates import MessageTemplate, register

WHEN = "{{ starts_at|date:'l j F Y' }} de {{ starts_at|date:'H\\hi' }} à {{ ends_at|date:'H\\hi' }}"
SHORT_WHEN = "{{ starts_at|date:'j F à H\\hi' }}"
SIGNATURE = "\n\nCe message est envoyé automatiquement : merci de ne pas y répondre.\n\n{{ caf_name }}"
PROTECTED_SIGNATURE = "\n\nCe message est envoyé automatiquement : merci de ne pas y répondre.\n\nVotre Caf"
LINK = "\n\nVoir, modifier ou annuler votre inscription (lien personnel, ne le transmettez pas) :\n{{ manage_url }}"
# The examples name no registration or invitation: the relevance hooks judge the one a real message
# is about, and leave an example (about none) to the other checks.
EXAMPLE = {
    "starts_at": datetime(2026, 3, 3, 14, 0, tzinfo=UTC),
    "ends_at": datetime(2026, 3, 3, 16, 0, tzinfo=UTC),
    "place": "En ligne (webinaire)",
    "online": True,
    "party_size": 1,
    "manage_url": "https://parcours.exemple/inscription/exemple/",
    "join_url": "https://parcours.exemple/inscription/exemple/rejoindre/",
    "offer_expires_at": datetime(2026, 3, 1, 18, 0, tzinfo=UTC),
    "reason": "intervenant indisponible",
    "survey_url": "https://parcours.exemple/enquete/exemple/",
    "invitation_url": "https://parcours.exemple/invitation/exemple/",
    "expires_at": datetime(2026, 3, 20, 18, 0, tzinfo=UTC),
}


# --- relevance hooks ------------------------------------------------------------------------------


NOT_ABOUT_ONE = object()
PRELOADED = "_workshops_registration"  # set on a message by `_preload_registrations` (worker's batch)


def _registration(message):
    from parcours.workshops.models import Registration

    context = message.decoded_context
    if "registration_id" not in context:
        return NOT_ABOUT_ONE
    if PRELOADED in message.__dict__:
        return message.__dict__[PRELOADED]
    return Registration.objects.select_related("workshop").filter(pk=context["registration_id"]).first()


def _preload_registrations(messages) -> None:
    """The registrations a batch of messages is about, in one query (the same rows `_registration`
    would read one by one)."""
    from parcours.workshops.models import Registration

    wanted = {}
    for message in messages:
        registration_id = message.decoded_context.get("registration_id")
        if registration_id is not None:
            wanted[message.pk] = registration_id
    found = Registration.objects.select_related("workshop").in_bulk(set(wanted.values()))
    for message in messages:
        if message.pk in wanted:
            message.__dict__[PRELOADED] = found.get(wanted[message.pk])


def _still_confirmed(message):
    registration = _registration(message)
    if registration is NOT_ABOUT_ONE:
        return True
    if registration is None or registration.status != "confirmed":
        return "Inscription annulée ou remplacée."
    return True


def _reminder_relevant(message):
    registration = _registration(message)
    if registration is NOT_ABOUT_ONE:
        return True
    if registration is None or registration.status != "confirmed":
        return "Inscription annulée : rappel abandonné."
    workshop = registration.workshop
    if workshop.status != "published":
        return "Séance annulée ou close : rappel abandonné."
    if workshop.starts_at != message.decoded_context.get("starts_at"):
        return "Séance déplacée : ce rappel est remplacé par celui de la nouvelle date."
    if timezone.now() >= workshop.starts_at:
        return "Séance passée : rappel abandonné."
    return True


def _offer_relevant(message):
    registration = _registration(message)
    if registration is NOT_ABOUT_ONE:
        return True
    if registration is None or registration.status != "offered":
        return "Place proposée déjà acceptée, refusée ou expirée."
    return True


def _invitation_pending(message):
    from parcours.workshops.models import Invitation

    context = message.decoded_context
    if "invitation_id" not in context:
        return True
    invitation = Invitation.objects.filter(pk=context["invitation_id"]).first()
    if invitation is None or not invitation.is_open():
        return "Invitation déjà traitée ou expirée : rappel abandonné."
    return True


# --- the session of a parent is private to them -------------------------------------------------------


@safety.register_private_fragments
def _own_sessions(person):
    """The date and time of a parent's session: no message to the other parent may contain it."""
    from parcours.workshops.models import Registration

    fragments = []
    for registration in Registration.objects.filter(
        person=person, status__in=Registration.ACTIVE
    ).select_related("workshop__department"):
        start = registration.workshop.local_start()
        # As the messages write it: the full day ("mardi 3 mars 2026") and "3 mars à 18h00". The
        # chokepoint ignores fragments the recipient shares (a session of his own the same day).
        fragments += [formats.date_format(start, "l j F Y"), formats.date_format(start, "j F à H\\hi")]
    return fragments


# --- templates ----------------------------------------------------------------------------------------

CONFIRMATION = register(
    MessageTemplate(
        key="workshops.confirmation",
        label="Séance : inscription confirmée",
        email_subject="Votre inscription à la séance du {{ starts_at|date:'j F' }}",
        email_body=(
            "Bonjour {{ first_name }},\n\nVotre place est réservée pour la séance d'information « Parents après "
            "la séparation » :\n" + WHEN + "\n{{ place }}\nNombre de personnes : {{ party_size }}\n\n"
            "{% if online %}Le lien du webinaire s'active 30 minutes avant le début, depuis votre page "
            "d'inscription.\n\n{% endif %}L'invitation à ajouter à votre agenda est jointe à ce message."
            + LINK
            + SIGNATURE
        ),
        sms_text="{{ caf_name }} : inscription confirmée, séance le "
        + SHORT_WHEN
        + ", {{ place }}. Votre inscription : {{ manage_url }}",
        protected_email_body=(
            "Bonjour,\n\nVotre rendez-vous d'information à la Caf est confirmé :\n"
            + WHEN
            + "\n{{ place }}\n\n"
            "L'invitation d'agenda est jointe." + LINK + PROTECTED_SIGNATURE
        ),
        protected_sms_text="Caf : rendez-vous confirmé le " + SHORT_WHEN + ". Détails : {{ manage_url }}",
        channels=("email", "sms"),
        example_context=EXAMPLE,
        is_relevant=_still_confirmed,
        preload=_preload_registrations,
    )
)
WAITLISTED = register(
    MessageTemplate(
        key="workshops.waitlisted",
        label="Séance : inscription sur liste d'attente",
        email_subject="Liste d'attente : séance du {{ starts_at|date:'j F' }}",
        email_body=(
            "Bonjour {{ first_name }},\n\nLa séance « Parents après la séparation » du "
            + WHEN
            + " est complète : "
            "vous êtes inscrit(e) sur la liste d'attente. Dès qu'une place se libère, elle vous est proposée "
            "par message et vous avez alors un temps limité pour la confirmer." + LINK + SIGNATURE
        ),
        sms_text="{{ caf_name }} : séance du "
        + SHORT_WHEN
        + " complète, vous êtes sur liste d'attente. {{ manage_url }}",
        protected_email_body=(
            "Bonjour,\n\nLe rendez-vous d'information du " + WHEN + " est complet : vous êtes sur la liste "
            "d'attente et serez prévenu(e) si une place se libère." + LINK + PROTECTED_SIGNATURE
        ),
        protected_sms_text="Caf : rendez-vous du "
        + SHORT_WHEN
        + " complet, liste d'attente. {{ manage_url }}",
        channels=("email", "sms"),
        example_context=EXAMPLE,
    )
)
ALREADY_REGISTERED = register(
    MessageTemplate(
        key="workshops.already_registered",
        label="Séance : demande répétée",
        email_subject="Vous êtes déjà inscrit(e) à la séance du {{ starts_at|date:'j F' }}",
        email_body=(
            "Bonjour {{ first_name }},\n\nUne nouvelle demande d'inscription a été faite avec cette adresse pour "
            "la séance du " + WHEN + ". Vous y êtes déjà inscrit(e) : rien n'a changé. Si vous n'êtes pas à "
            "l'origine de cette demande, vous pouvez ignorer ce message." + LINK + SIGNATURE
        ),
        sms_text="{{ caf_name }} : vous êtes déjà inscrit(e) à la séance du "
        + SHORT_WHEN
        + ". {{ manage_url }}",
        channels=("email", "sms"),
        example_context=EXAMPLE,
    )
)
OFFER = register(
    MessageTemplate(
        key="workshops.offer",
        label="Séance : place proposée (liste d'attente)",
        email_subject="Une place s'est libérée : séance du {{ starts_at|date:'j F' }}",
        email_body=(
            "Bonjour {{ first_name }},\n\nUne place s'est libérée pour la séance « Parents après la séparation » "
            "du " + WHEN + ".\nElle vous est réservée jusqu'au {{ offer_expires_at|date:'l j F à H\\hi' }} : "
            "confirmez-la ou refusez-la depuis votre page d'inscription. Sans réponse, elle sera proposée à "
            "la personne suivante." + LINK + SIGNATURE
        ),
        sms_text="{{ caf_name }} : une place s'est libérée (séance du "
        + SHORT_WHEN
        + "). Confirmez avant le {{ offer_expires_at|date:'j F à H\\hi' }} : {{ manage_url }}",
        protected_email_body=(
            "Bonjour,\n\nUne place s'est libérée pour votre rendez-vous d'information du "
            + WHEN
            + ". Confirmez-la "
            "avant le {{ offer_expires_at|date:'l j F à H\\hi' }}." + LINK + PROTECTED_SIGNATURE
        ),
        protected_sms_text="Caf : une place est libre le "
        + SHORT_WHEN
        + ". Confirmez avant le {{ offer_expires_at|date:'j F à H\\hi' }} : {{ manage_url }}",
        channels=("email", "sms"),
        example_context=EXAMPLE,
        is_relevant=_offer_relevant,
        preload=_preload_registrations,
    )
)
CANCELLED = register(
    MessageTemplate(
        key="workshops.cancelled",
        label="Séance : inscription annulée",
        email_subject="Annulation de votre inscription du {{ starts_at|date:'j F' }}",
        email_body=(
            "Bonjour {{ first_name }},\n\n{% if replaced %}Votre inscription à la séance du " + WHEN + " est "
            "remplacée par la nouvelle séance choisie (un message de confirmation suit).{% else %}Votre inscription "
            "à la séance « Parents après la séparation » du " + WHEN + " est annulée ; votre place a été "
            "libérée.{% endif %}" + SIGNATURE
        ),
        sms_text="{{ caf_name }} : {% if replaced %}inscription du "
        + SHORT_WHEN
        + " remplacée.{% else %}inscription du "
        + SHORT_WHEN
        + " annulée.{% endif %}",
        protected_email_body="Bonjour,\n\nVotre rendez-vous du "
        + WHEN
        + " est annulé."
        + PROTECTED_SIGNATURE,
        protected_sms_text="Caf : rendez-vous du " + SHORT_WHEN + " annulé.",
        channels=("email", "sms"),
        example_context={**EXAMPLE, "replaced": False},
    )
)
CHANGED = register(
    MessageTemplate(
        key="workshops.changed",
        label="Séance : inscription modifiée",
        email_subject="Votre inscription du {{ starts_at|date:'j F' }} est modifiée",
        email_body=(
            "Bonjour {{ first_name }},\n\nVotre inscription à la séance du " + WHEN + " est modifiée : "
            "{{ party_size }} personne(s). L'invitation d'agenda à jour est jointe." + LINK + SIGNATURE
        ),
        sms_text="{{ caf_name }} : inscription du "
        + SHORT_WHEN
        + " modifiée ({{ party_size }} pers.). {{ manage_url }}",
        protected_email_body="Bonjour,\n\nVotre rendez-vous du "
        + WHEN
        + " est modifié."
        + LINK
        + PROTECTED_SIGNATURE,
        protected_sms_text="Caf : rendez-vous du " + SHORT_WHEN + " modifié. {{ manage_url }}",
        channels=("email", "sms"),
        example_context=EXAMPLE,
        is_relevant=_still_confirmed,
        preload=_preload_registrations,
    )
)
MOVED = register(
    MessageTemplate(
        key="workshops.moved",
        label="Séance : date, heure ou lieu changés",
        email_subject="Changement : votre séance a lieu le {{ starts_at|date:'j F' }}",
        email_body=(
            "Bonjour {{ first_name }},\n\nLa séance « Parents après la séparation » à laquelle vous êtes "
            "inscrit(e) change :\n"
            + WHEN
            + "\n{{ place }}\n\nL'invitation d'agenda à jour est jointe. Si cette "
            "nouvelle date ne vous convient pas, vous pouvez choisir une autre séance ou annuler."
            + LINK
            + SIGNATURE
        ),
        sms_text="{{ caf_name }} : votre séance change, nouvelle date le "
        + SHORT_WHEN
        + ", {{ place }}. {{ manage_url }}",
        protected_email_body=(
            "Bonjour,\n\nVotre rendez-vous d'information change :\n"
            + WHEN
            + "\n{{ place }}"
            + LINK
            + PROTECTED_SIGNATURE
        ),
        protected_sms_text="Caf : votre rendez-vous change, le " + SHORT_WHEN + ". {{ manage_url }}",
        channels=("email", "sms"),
        example_context=EXAMPLE,
    )
)
SESSION_CANCELLED = register(
    MessageTemplate(
        key="workshops.session_cancelled",
        label="Séance annulée par la Caf",
        email_subject="Séance du {{ starts_at|date:'j F' }} annulée",
        email_body=(
            "Bonjour {{ first_name }},\n\nLa séance « Parents après la séparation » du "
            + WHEN
            + " est annulée "
            "({{ reason }}). Nous vous prions de nous en excuser. Vous pouvez vous inscrire à une autre séance "
            "sur {{ site_url }}/seances/." + SIGNATURE
        ),
        sms_text="{{ caf_name }} : la séance du "
        + SHORT_WHEN
        + " est annulée ({{ reason }}). Autres séances : {{ site_url }}/seances/",
        protected_email_body="Bonjour,\n\nVotre rendez-vous du "
        + WHEN
        + " est annulé par la Caf."
        + PROTECTED_SIGNATURE,
        protected_sms_text="Caf : rendez-vous du " + SHORT_WHEN + " annulé.",
        channels=("email", "sms"),
        example_context=EXAMPLE,
    )
)
REMINDER = register(
    MessageTemplate(
        key="workshops.reminder",
        label="Séance : rappel",
        email_subject="Rappel : séance du {{ starts_at|date:'j F à H\\hi' }}",
        email_body=(
            "Bonjour {{ first_name }},\n\nNous vous rappelons la séance « Parents après la séparation » :\n"
            + WHEN
            + "\n{{ place }}\n{% if online %}\nPour rejoindre le webinaire (à partir de 30 minutes avant) :\n"
            "{{ join_url }}\n{% endif %}\nVous ne pouvez plus venir ? Annulez pour libérer votre place."
            + LINK
            + SIGNATURE
        ),
        sms_text="{{ caf_name }} : rappel, séance le "
        + SHORT_WHEN
        + ", {{ place }}.{% if online %} Rejoindre : {{ join_url }}{% else %} {{ manage_url }}{% endif %}",
        protected_email_body=(
            "Bonjour,\n\nRappel de votre rendez-vous d'information :\n" + WHEN + "\n{{ place }}"
            "{% if online %}\nPour vous connecter : {{ join_url }}{% endif %}" + LINK + PROTECTED_SIGNATURE
        ),
        protected_sms_text="Caf : rappel, rendez-vous le "
        + SHORT_WHEN
        + ".{% if online %} {{ join_url }}{% endif %}",
        channels=("email", "sms"),
        example_context=EXAMPLE,
        is_relevant=_reminder_relevant,
        preload=_preload_registrations,
    )
)
SURVEY = register(
    MessageTemplate(
        key="workshops.survey",
        label="Séance : enquête de satisfaction",
        email_subject="Votre avis sur la séance du {{ starts_at|date:'j F' }}",
        email_body=(
            "Bonjour {{ first_name }},\n\nMerci d'avoir participé à la séance « Parents après la séparation ». "
            "Cinq questions, une minute : votre réponse est anonyme (elle n'est pas reliée à votre inscription).\n"
            "{{ survey_url }}" + SIGNATURE
        ),
        sms_text="{{ caf_name }} : merci d'avoir participé. Votre avis anonyme en 1 minute : {{ survey_url }}",
        protected_email_body=(
            "Bonjour,\n\nMerci d'être venu(e). Votre avis anonyme en une minute :\n{{ survey_url }}"
            + PROTECTED_SIGNATURE
        ),
        protected_sms_text="Caf : votre avis anonyme en 1 minute : {{ survey_url }}",
        channels=("email", "sms"),
        example_context=EXAMPLE,
    )
)
INVITATION = register(
    MessageTemplate(
        key="workshops.invitation",
        label="Invitation à une séance Parents après la séparation",
        email_subject="La Caf vous invite à une séance d'information",
        email_body=(
            "Bonjour {{ first_name }},\n\nLa Caf vous invite à une séance d'information gratuite « Parents après "
            "la séparation » (environ deux heures, en salle ou en ligne) : vos droits, l'organisation de la vie "
            "des enfants, la pension alimentaire, les aides. Choisissez votre séance d'ici le "
            "{{ expires_at|date:'j F' }} :\n{{ invitation_url }}" + SIGNATURE
        ),
        sms_text="{{ caf_name }} vous invite à une séance d'information gratuite. Choisissez la vôtre d'ici le {{ expires_at|date:'j F' }} : {{ invitation_url }}",
        protected_email_body=(
            "Bonjour,\n\nVotre Caf vous propose un rendez-vous d'information, en ligne de préférence. Choisissez "
            "une date d'ici le {{ expires_at|date:'j F' }} :\n{{ invitation_url }}" + PROTECTED_SIGNATURE
        ),
        protected_sms_text="Caf : un rendez-vous d'information vous est proposé. Choisissez d'ici le {{ expires_at|date:'j F' }} : {{ invitation_url }}",
        channels=("email", "sms"),
        example_context=EXAMPLE,
    )
)
INVITATION_REMINDER = register(
    MessageTemplate(
        key="workshops.invitation_reminder",
        label="Invitation à une séance : rappel",
        email_subject="Rappel : invitation à une séance d'information",
        email_body=(
            "Bonjour {{ first_name }},\n\nVous n'avez pas encore choisi de séance « Parents après la séparation ». "
            "L'invitation est valable jusqu'au {{ expires_at|date:'j F' }} :\n{{ invitation_url }}\n\n"
            "Vous ne souhaitez pas participer ? Indiquez-le depuis ce lien : vous ne recevrez plus de rappel."
            + SIGNATURE
        ),
        sms_text="{{ caf_name }} : rappel, choisissez votre séance d'information d'ici le {{ expires_at|date:'j F' }} : {{ invitation_url }}",
        protected_email_body=(
            "Bonjour,\n\nRappel : un rendez-vous d'information vous est proposé jusqu'au {{ expires_at|date:'j F' }} :\n"
            "{{ invitation_url }}" + PROTECTED_SIGNATURE
        ),
        protected_sms_text="Caf : rappel, rendez-vous d'information à choisir d'ici le {{ expires_at|date:'j F' }} : {{ invitation_url }}",
        channels=("email", "sms"),
        example_context=EXAMPLE,
        is_relevant=_invitation_pending,
    )
)
