"""Messages of the parcours séparation, sent through the notifications outbox (never directly).

Step 1 of the default pathway, "information on the offer sent through a safe channel — day 0":
the outbox's chokepoint picks one of the declarant's safe channels (or refuses, visibly), and uses
the neutral wording on the protected track — for this module, the declarant whose declaration
reports violence (never the other parent).
"""

from datetime import date

from parcours.notifications import safety
from parcours.notifications.templates import MessageTemplate, register

INFORMATION_OFFER = register(
    MessageTemplate(
        key="pathways.information_offer",
        label="Information sur l'offre de service (parcours séparation)",
        email_subject="Votre Caf vous accompagne après votre séparation",
        email_body=(
            "Bonjour {{ first_name }},\n\n"
            "{{ caf_name }} a bien enregistré votre déclaration de séparation du {{ declared_on|date:'j F Y' }}. "
            "Voici ce que nous pouvons faire pour vous :\n\n"
            "- un rendez-vous des droits avec un gestionnaire-conseil : allocation de soutien familial, "
            "aide au logement, prime d'activité, RSA ;\n"
            "- l'intermédiation financière des pensions alimentaires (Aripa), qui verse la pension chaque mois"
            "{% if has_children %} ;\n- une séance d'information « Parents après la séparation »"
            "{% if mediation %} ;\n- une médiation familiale, si vous le souhaitez{% endif %}{% endif %} ;\n"
            "- un échange avec un travailleur social de la Caf.\n\n"
            "Un conseiller vous contactera dans les prochains jours. Vous pouvez aussi nous appeler au "
            "{{ caf_phone }} (service gratuit + prix d'un appel).\n\n"
            "Ce message est envoyé automatiquement : merci de ne pas y répondre.\n\n{{ caf_name }}"
        ),
        sms_text=(
            "{{ caf_name }} : votre déclaration de séparation est enregistrée. Un conseiller vous contactera "
            "pour un rendez-vous des droits. Infos : {{ caf_phone }}."
        ),
        letter_body=(
            "<p>{{ caf_name }} a bien enregistré votre déclaration de séparation du {{ declared_on|date:'j F Y' }}.</p>"
            "<p>Nous pouvons vous proposer un rendez-vous des droits (allocation de soutien familial, aide au "
            "logement, prime d'activité, RSA), l'intermédiation financière des pensions alimentaires (Aripa)"
            "{% if has_children %}, une séance d'information « Parents après la séparation »"
            "{% if mediation %}, une médiation familiale{% endif %}{% endif %} et un échange avec un travailleur "
            "social.</p><p>Un conseiller vous contactera prochainement. Vous pouvez aussi nous appeler au "
            "{{ caf_phone }} (service gratuit + prix d'un appel).</p>"
        ),
        protected_email_body=(
            "Bonjour,\n\nVotre Caf souhaite faire le point avec vous sur vos droits. Un conseiller vous "
            "contactera prochainement ; vous pouvez aussi appeler le {{ caf_phone }} (service gratuit + prix "
            "d'un appel).\n\nCe message est envoyé automatiquement : merci de ne pas y répondre.\n\nVotre Caf"
        ),
        protected_sms_text="Votre Caf souhaite faire le point avec vous sur vos droits. Contact : {{ caf_phone }}.",
        protected_letter_body=(
            "<p>Votre Caf souhaite faire le point avec vous sur vos droits.</p><p>Un conseiller vous contactera "
            "prochainement ; vous pouvez aussi appeler le {{ caf_phone }} (service gratuit + prix d'un appel).</p>"
        ),
        example_context={
            "pathway_id": 1,
            "declared_on": date(2026, 3, 2),
            "has_children": True,
            "mediation": True,
        },
        is_relevant=lambda message: _still_to_inform(message),
    )
)


def _still_to_inform(message):
    """Just before sending: the information step is still to do on a pathway in progress."""
    from parcours.pathways.models import Pathway, PathwayStep

    pathway = Pathway.objects.filter(pk=message.decoded_context.get("pathway_id")).first()
    if pathway is None:
        return True  # not a pathway's message (the tests' example context): nothing to say against it
    if pathway.status != Pathway.Status.OPEN:
        return "parcours clôturé"
    if not PathwayStep.objects.filter(pathway=pathway, kind="information_offer", status="open").exists():
        return "information déjà donnée"
    return True


@safety.register_protected_track_rule
def _declarant_reporting_violence(person) -> bool:
    # The declarant whose own declaration reports violence: neutral wording at once. Only her: the
    # other parent keeps exactly the wording he had (changing it would tell him that she spoke), and
    # so does a parent whose new declaration is protected only because violence is on record.
    from parcours.pathways.models import Pathway

    return Pathway.objects.filter(
        declarant=person, status=Pathway.Status.OPEN, event__violence_reported=True
    ).exists()


@safety.register_sensitive_household_rule
def _household_with_violence(household) -> bool:
    from parcours.pathways.selectors import violence_reported

    return violence_reported(household)
