"""The enumerations the AUU rules (rules.py) and the models share: here, so that the rules never
import the models (the models use the rules: one direction, no import circle)."""

from django.db import models


class ProofKind(models.TextChoices):
    PROTECTION_ORDER = "protection_order", "Ordonnance de protection (juge aux affaires familiales)"
    COMPLAINT = "complaint", "Dépôt de plainte"
    PROSECUTOR_REPORT = "prosecutor_report", "Signalement au procureur de la République"
    # Kept so that the refusal is recorded with its reason: a main courante is not a proof.
    MAIN_COURANTE = "main_courante", "Main courante (n'est pas un justificatif recevable)"


ACCEPTED_PROOFS = (ProofKind.PROTECTION_ORDER, ProofKind.COMPLAINT, ProofKind.PROSECUTOR_REPORT)


class AidForm(models.TextChoices):
    GRANT = "grant", "Aide non remboursable"
    LOAN = "loan", "Prêt sans intérêt"


# The resource scale's last line is "3 enfants ou plus".
CEILING_MAX_CHILDREN = 3
