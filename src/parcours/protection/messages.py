"""Messages of the protection module: the AUU decision, payment and refusal, to the applicant.

The applicant is always on the protected track, so the chokepoint always uses the neutral wording
(sender "Caf", subject "Message de votre Caf"): it says what she needs to know (an amount, a date, to
call the Caf) and nothing of the topic — someone reading over her shoulder learns nothing. The
ordinary wording exists for completeness and never names violence either. Contexts carry no person
id: only dates and amounts already formatted in French.
"""

from datetime import date

from parcours.notifications.templates import MessageTemplate, register

AID_GRANTED = register(
    MessageTemplate(
        key="protection.aid_granted",
        label="Aide d'urgence : décision d'attribution",
        email_subject="Votre demande d'aide d'urgence : décision",
        email_body=(
            "Bonjour {{ first_name }},\n\n"
            "Votre demande d'aide d'urgence reçue le {{ received_on|date:'j F Y' }} est acceptée : "
            "{% if loan %}un prêt sans intérêt{% else %}une aide non remboursable{% endif %} de {{ amount }} € "
            "vous sera versé au plus tard le {{ due_on|date:'l j F Y' }}.\n\n"
            "Pour toute question, appelez le {{ caf_phone }} (service gratuit + prix d'un appel).\n\n{{ caf_name }}"
        ),
        sms_text=(
            "{{ caf_name }} : votre demande du {{ received_on|date:'j F' }} est acceptée. Versement de "
            "{{ amount }} € au plus tard le {{ due_on|date:'j F' }}."
        ),
        letter_body=(
            "<p>Votre demande d'aide d'urgence reçue le {{ received_on|date:'j F Y' }} est acceptée : "
            "{% if loan %}un prêt sans intérêt{% else %}une aide non remboursable{% endif %} de {{ amount }} € "
            "vous sera versé au plus tard le {{ due_on|date:'j F Y' }}.</p>"
            "<p>Pour toute question, appelez le {{ caf_phone }} (service gratuit + prix d'un appel).</p>"
        ),
        protected_email_body=(
            "Bonjour,\n\nVotre demande du {{ received_on|date:'j F Y' }} est acceptée : un versement de "
            "{{ amount }} € sera effectué au plus tard le {{ due_on|date:'l j F Y' }}"
            "{% if loan %} (prêt sans intérêt){% endif %}.\n\n"
            "Pour toute question, appelez votre Caf au {{ caf_phone }}.\n\nVotre Caf"
        ),
        protected_sms_text=(
            "Votre Caf : demande du {{ received_on|date:'j F' }} acceptée, versement de {{ amount }} € "
            "au plus tard le {{ due_on|date:'j F' }}."
        ),
        protected_letter_body=(
            "<p>Votre demande du {{ received_on|date:'j F Y' }} est acceptée : un versement de {{ amount }} € "
            "sera effectué au plus tard le {{ due_on|date:'j F Y' }}{% if loan %} (prêt sans intérêt){% endif %}.</p>"
            "<p>Pour toute question, appelez votre Caf au {{ caf_phone }}.</p>"
        ),
        example_context={
            "received_on": date(2026, 3, 2),
            "amount": "1\u202f250,00",
            "loan": False,
            "due_on": date(2026, 3, 5),
        },
    )
)

AID_PAID = register(
    MessageTemplate(
        key="protection.aid_paid",
        label="Aide d'urgence : versement effectué",
        email_subject="Votre aide d'urgence a été versée",
        email_body=(
            "Bonjour {{ first_name }},\n\nLe versement de {{ amount }} € prévu suite à votre demande du "
            "{{ received_on|date:'j F Y' }} a été effectué le {{ paid_on|date:'j F Y' }}.\n\n{{ caf_name }}"
        ),
        sms_text="{{ caf_name }} : versement de {{ amount }} € effectué le {{ paid_on|date:'j F' }}.",
        letter_body=(
            "<p>Le versement de {{ amount }} € prévu suite à votre demande du {{ received_on|date:'j F Y' }} "
            "a été effectué le {{ paid_on|date:'j F Y' }}.</p>"
        ),
        protected_email_body=(
            "Bonjour,\n\nUn versement de {{ amount }} € a été effectué le {{ paid_on|date:'j F Y' }}.\n\n"
            "Pour toute question, appelez votre Caf au {{ caf_phone }}.\n\nVotre Caf"
        ),
        protected_sms_text="Votre Caf : versement de {{ amount }} € effectué le {{ paid_on|date:'j F' }}.",
        protected_letter_body=(
            "<p>Un versement de {{ amount }} € a été effectué le {{ paid_on|date:'j F Y' }}.</p>"
            "<p>Pour toute question, appelez votre Caf au {{ caf_phone }}.</p>"
        ),
        example_context={
            "received_on": date(2026, 3, 2),
            "amount": "1\u202f250,00",
            "paid_on": date(2026, 3, 4),
        },
    )
)

AID_REFUSED = register(
    MessageTemplate(
        key="protection.aid_refused",
        label="Aide d'urgence : demande non retenue",
        email_subject="Votre demande d'aide d'urgence",
        email_body=(
            "Bonjour {{ first_name }},\n\nVotre demande d'aide d'urgence reçue le {{ received_on|date:'j F Y' }} "
            "n'a pas pu être acceptée. Pour en connaître le motif et les possibilités de recours, appelez le "
            "{{ caf_phone }} (service gratuit + prix d'un appel).\n\n{{ caf_name }}"
        ),
        sms_text=(
            "{{ caf_name }} : votre demande du {{ received_on|date:'j F' }} n'a pas pu être acceptée. "
            "Appelez le {{ caf_phone }}."
        ),
        letter_body=(
            "<p>Votre demande d'aide d'urgence reçue le {{ received_on|date:'j F Y' }} n'a pas pu être acceptée.</p>"
            "<p>Pour en connaître le motif et les possibilités de recours, appelez le {{ caf_phone }}.</p>"
        ),
        protected_email_body=(
            "Bonjour,\n\nVotre Caf a examiné votre demande du {{ received_on|date:'j F Y' }}. Appelez-la au "
            "{{ caf_phone }} pour connaître sa réponse et les possibilités de recours.\n\nVotre Caf"
        ),
        protected_sms_text=(
            "Votre Caf a examiné votre demande du {{ received_on|date:'j F' }}. Appelez-la au {{ caf_phone }}."
        ),
        protected_letter_body=(
            "<p>Votre Caf a examiné votre demande du {{ received_on|date:'j F Y' }}.</p>"
            "<p>Appelez-la au {{ caf_phone }} pour connaître sa réponse et les possibilités de recours.</p>"
        ),
        example_context={"received_on": date(2026, 3, 2)},
    )
)
