"""Staff roles (GLOSSARY.md): the UI labels are French, the values English."""

from django.db import models


class Role(models.TextChoices):
    SOCIAL_WORKER = "social_worker", "Travailleur social"
    SERVICE_ADVISOR = "service_advisor", "Conseiller de service à l'usager"
    BENEFITS_OFFICER = "benefits_officer", "Gestionnaire-conseil"
    LOCAL_PILOT = "local_pilot", "Pilote départemental"
    NATIONAL_PILOT = "national_pilot", "Pilote national"
    PARTNER = "partner", "Partenaire"
    ACCOMPANIST = "accompanist", "Accompagnant (mesure d'accompagnement protégé)"
    ADMIN = "admin", "Administrateur"


ALL_ROLES = frozenset(Role.values)
# Roles that work on families of their own department.
CASEWORK_ROLES = frozenset({Role.SOCIAL_WORKER, Role.SERVICE_ADVISOR, Role.BENEFITS_OFFICER})
# Roles whose accounts belong to the Cnaf and see the whole country (aggregates only).
NATIONAL_ROLES = frozenset({Role.NATIONAL_PILOT, Role.ADMIN})
