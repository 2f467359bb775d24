"""Message templates of the notifications module itself (other modules declare theirs in their own messages.py)."""

from datetime import date

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
