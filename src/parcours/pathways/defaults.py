"""The national default pathway template, shipped as data (migration 0002) and used by tests and demo.

Deadlines follow the Cnaf's parcours séparation: information on the offer the day of the
declaration; rights appointment within 10 working days (5 when violence is reported); proactive
social-worker contact within 15 working days when there are children, and within 72 hours for
everyone when violence is reported; invitation to a "Parents après la séparation" session within
30 days; information on child support and the Aripa intermediation (30 days: with the rights
review); family mediation only where no violence is reported (30 days); review and closure at
6 months.
"""

NATIONAL_TEMPLATE_NAME = "Parcours séparation — modèle national"

NATIONAL_STEPS = [
    {
        "kind": "information_offer",
        "label": "Information sur l'offre de service envoyée par un canal sûr",
        "responsible_role": "service_advisor",
        "deadline_value": 0,
        "deadline_unit": "working_days",
        "conditions": [],
    },
    {
        "kind": "rights_appointment",
        "label": "Rendez-vous des droits (ASF, aide au logement, prime d'activité, RSA, Aripa)",
        "responsible_role": "benefits_officer",
        "deadline_value": 10,
        "deadline_unit": "working_days",
        "protected_deadline_value": 5,
        "protected_deadline_unit": "working_days",
        "conditions": [],
    },
    {
        "kind": "social_worker_contact",
        "label": "Contact proactif d'un travailleur social",
        "responsible_role": "social_worker",
        "deadline_value": 15,
        "deadline_unit": "working_days",
        "protected_deadline_value": 72,
        "protected_deadline_unit": "hours",
        "conditions": [{"has_children": True}, {"violence_reported": True}],
    },
    {
        "kind": "workshop_invitation",
        "label": "Invitation à une séance « Parents après la séparation »",
        "responsible_role": "service_advisor",
        "deadline_value": 30,
        "deadline_unit": "calendar_days",
        "conditions": [{"has_children": True}],
    },
    {
        "kind": "child_support_information",
        "label": "Information sur la pension alimentaire et l'intermédiation financière (Aripa)",
        "responsible_role": "benefits_officer",
        "deadline_value": 30,
        "deadline_unit": "calendar_days",
        "conditions": [{"has_children": True}],
    },
    {
        "kind": "mediation_offer",
        "label": "Proposition de médiation familiale",
        "responsible_role": "social_worker",
        "deadline_value": 30,
        "deadline_unit": "calendar_days",
        "conditions": [{"has_children": True, "violence_reported": False}],
    },
    {
        "kind": "review_closure",
        "label": "Bilan et clôture du parcours",
        "responsible_role": "social_worker",
        "deadline_value": 6,
        "deadline_unit": "months",
        "conditions": [],
    },
]


def ensure_national_template():
    """The national default with the current models (tests that flush the base, benchmark)."""
    from parcours.pathways.models import PathwayTemplate, TemplateStep

    current = PathwayTemplate.objects.filter(department__isnull=True, is_current=True).first()
    if current is not None:
        return current
    template = PathwayTemplate.objects.create(
        department=None, name=NATIONAL_TEMPLATE_NAME, version=1, is_current=True,
        change_note="Modèle national livré avec Parcours",
    )  # fmt: skip
    TemplateStep.objects.bulk_create(
        TemplateStep(
            template=template,
            position=position,
            kind=step["kind"],
            label=step["label"],
            responsible_role=step["responsible_role"],
            deadline_value=step["deadline_value"],
            deadline_unit=step["deadline_unit"],
            protected_deadline_value=step.get("protected_deadline_value"),
            protected_deadline_unit=step.get("protected_deadline_unit", ""),
            conditions=step["conditions"],
        )  # fmt: skip
        for position, step in enumerate(NATIONAL_STEPS, start=1)
    )
    return template
