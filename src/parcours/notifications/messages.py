"""Message templates of the notifications module itself (other modules declare theirs in their own messages.py)."""

from datetime import date

from django.conf import settings

from parcours.notifications.templates import MessageTemplate, register

CALLBACK_REQUEST = register(
    MessageTemplate(
        key="notifications.callback_request",
        label="Demande de rappel",
        email_subject="Votre Caf souhaite vous parler",
        email_body=(
            "Bonjour {{ first_name }},\n\n"
            "{{ caf_name }} souhaite échanger avec vous au sujet de votre dossier. Vous pouvez rappeler "
            "{% if agent_name %}{{ agent_name }} {% endif %}au {{ caf_phone }} (service gratuit + prix d'un appel)"
            "{% if callback_before %}, de préférence avant le {{ callback_before|date:'l j F' }}{% endif %}.\n\n"
            "Ce message est envoyé automatiquement : merci de ne pas y répondre.\n\n{{ caf_name }}"
        ),
        sms_text=(
            "{{ caf_name }} souhaite vous parler. Rappelez le {{ caf_phone }}"
            "{% if callback_before %} avant le {{ callback_before|date:'j F' }}{% endif %}."
        ),
        letter_body=(
            "<p>{{ caf_name }} souhaite échanger avec vous au sujet de votre dossier.</p>"
            "<p>Vous pouvez nous appeler au {{ caf_phone }} (service gratuit + prix d'un appel)"
            "{% if callback_before %}, de préférence avant le {{ callback_before|date:'j F Y' }}{% endif %}.</p>"
        ),
        protected_email_body=(
            "Bonjour,\n\nVotre Caf souhaite vous parler. Vous pouvez la rappeler au {{ caf_phone }}"
            "{% if callback_before %}, de préférence avant le {{ callback_before|date:'l j F' }}{% endif %}.\n\n"
            "Votre Caf"
        ),
        protected_sms_text=(
            "Votre Caf souhaite vous parler. Rappelez le {{ caf_phone }}"
            "{% if callback_before %} avant le {{ callback_before|date:'j F' }}{% endif %}."
        ),
        example_context={"agent_name": "Mme Payet", "callback_before": date(2026, 3, 12)},
    )
)


def _password_reset_link(message) -> dict | str:
    """The one-time link, made at send time (never stored): the context only names the account."""
    from parcours.core.models import User

    user_id = message.decoded_context.get("user_id")
    if user_id is None:  # the example context, rendered by the template tests
        return {"reset_url": ""}
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return "Compte désactivé ou inconnu : lien de réinitialisation non envoyé."
    return {"reset_url": _set_password_url(user)}


def _activation_link(message) -> dict | str:
    """Like the reset link, for an account that has no password yet (and only then)."""
    from parcours.core.models import User

    user_id = message.decoded_context.get("user_id")
    if user_id is None:
        return {"activation_url": ""}
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.has_usable_password():
        return "Compte désactivé ou déjà activé : lien d'activation non envoyé."
    return {"activation_url": _set_password_url(user)}


def _set_password_url(user) -> str:
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    path = reverse(
        "backoffice:password-reset-confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.PARCOURS_SITE_URL.rstrip("/") + path


STAFF_PASSWORD_RESET = register(
    MessageTemplate(
        key="notifications.staff_password_reset",
        label="Réinitialisation du mot de passe (agent)",
        email_subject="Parcours : choisir un nouveau mot de passe",
        email_body=(
            "Bonjour,\n\n"
            "Une demande de nouveau mot de passe a été faite pour votre compte Parcours.\n"
            "Pour choisir un nouveau mot de passe, ouvrez ce lien :\n\n{{ reset_url }}\n\n"
            "Le lien ne sert qu'une fois. Le code de votre application d'authentification vous sera "
            "toujours demandé à la connexion.\n"
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message et prévenez "
            "l'administrateur de votre Caf."
        ),
        channels=("email",),
        example_context={},
        secrets=_password_reset_link,
    )
)

STAFF_ACCOUNT_ACTIVATION = register(
    MessageTemplate(
        key="notifications.staff_account_activation",
        label="Activation d'un compte (agent)",
        email_subject="Parcours : activer votre compte",
        email_body=(
            "Bonjour,\n\n"
            "Un compte Parcours a été créé pour vous par l'administrateur de votre Caf.\n"
            "Pour l'activer, choisissez votre mot de passe en ouvrant ce lien :\n\n{{ activation_url }}\n\n"
            "Le lien ne sert qu'une fois. À la première connexion, vous associerez une application "
            "d'authentification (code à 6 chiffres) à votre compte.\n"
            "Si vous n'attendiez pas ce message, ignorez-le et prévenez l'administrateur de votre Caf."
        ),
        channels=("email",),
        example_context={},
        secrets=_activation_link,
    )
)

SECURITY_ALERT = register(
    MessageTemplate(
        key="notifications.security_alert",
        label="Alerte de sécurité (administrateurs)",
        email_subject="Parcours : alerte de sécurité",
        email_body=(
            "Bonjour,\n\n"
            "Parcours a relevé une activité inhabituelle : {{ detail }}\n"
            "Compte concerné : n° {{ account_id }}. Le détail est dans le journal d'audit "
            "(« Alerte de sécurité »).\n\nParcours"
        ),
        channels=("email",),
        example_context={"detail": "10 codes de second facteur erronés en 24 h.", "account_id": 1},
    )
)
