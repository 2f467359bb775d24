"""French labels of the audit journal's actions (« Consultation — fiche de la personne »).

Actions are coded `<app>.<object>.<verb>`; the journal shows a label built from the object's and the
verb's names below, or a whole-action label where the composition would read badly. A test checks
that every action written by the code has its label: a new action without one fails the suite.
"""

from __future__ import annotations

OBJECTS = {
    "address": "adresse",
    "assignment": "affectation au dossier",
    "attendance": "présences à une séance",
    "ceiling_scale": "barème des plafonds de l'aide d'urgence",
    "checklist": "liste de mise en sécurité",
    "comparison": "comparaison des formats de séance",
    "consent": "consentement",
    "contact": "canal de contact",
    "contact_attempt": "tentative de contact",
    "emergency_aid": "aide universelle d'urgence",
    "household": "dossier du foyer",
    "household_log": "journal d'accès du dossier",
    "department_log": "journal d'accès du département",
    "department_journal": "journal d'accès du département",
    "import": "import de déclarations",
    "invitation": "invitation à une séance",
    "keys": "clés de chiffrement",
    "letter": "courrier",
    "message": "message",
    "partner": "partenaire",
    "password": "mot de passe",
    "pathway": "parcours",
    "person": "fiche de la personne",
    "proof": "justificatif",
    "protected_address": "adresse protégée",
    "referral": "orientation vers un partenaire",
    "referral_sheet": "fiche d'orientation",
    "registration": "inscription à une séance",
    "registrations": "liste des inscriptions",
    "room": "salle de visioconférence",
    "safety_step": "étape de mise en sécurité",
    "second_factor": "second facteur (TOTP)",
    "security": "sécurité",
    "series": "série de séances",
    "session": "session de connexion",
    "sign_in_sheet": "feuille d'émargement",
    "situation": "situation du foyer",
    "step": "étape de parcours",
    "survey": "enquête de satisfaction",
    "template": "modèle de parcours",
    "timeline": "chronologie du dossier",
    "token": "jeton d'API",
    "track": "suivi de protection",
    "user": "compte",
    "venue": "lieu de séance",
    "violence": "signalement de violences",
    "webinar_server": "serveur de visioconférence",
    "workshop": "séance",
    "worklist": "liste de travail",
}

VERBS = {
    "activated": "Activation",
    "alert": "Alerte",
    "answered": "Réponse",
    "assigned": "Attribution",
    "cancelled": "Annulation",
    "changed": "Modification",
    "closed": "Clôture",
    "completed": "Achèvement",
    "configured": "Configuration",
    "created": "Création",
    "deactivated": "Désactivation",
    "deleted": "Suppression",
    "downloaded": "Téléchargement",
    "enrolled": "Enrôlement",
    "expired": "Expiration",
    "exported": "Export",
    "facilitators_set": "Choix des animateurs",
    "followed_up": "Suivi",
    "from_video": "Relevé depuis la visioconférence",
    "granted": "Attribution",
    "held": "Tenue",
    "joined": "Connexion",
    "moved": "Changement de séance",
    "offer_accepted": "Place proposée acceptée",
    "offer_declined": "Place proposée refusée",
    "offer_expired": "Place proposée expirée",
    "offered": "Place proposée",
    "opened": "Ouverture",
    "paid": "Paiement",
    "proceedings_changed": "Changement de procédure",
    "protected": "Protection",
    "published": "Publication",
    "reauthenticated": "Nouvelle authentification",
    "reauthentication_failed": "Échec de nouvelle authentification",
    "recorded": "Enregistrement",
    "recovery_recorded": "Recouvrement enregistré",
    "refused": "Refus",
    "registered": "Enregistrement de la demande",
    "repayment_claimed": "Remboursement demandé",
    "repeated": "Inscription répétée",
    "report_downloaded": "Téléchargement du rapport",
    "reported": "Signalement",
    "reset": "Réinitialisation",
    "reset_requested": "Demande de réinitialisation",
    "restarted": "Reprise",
    "restricted": "Restriction de l'accès",
    "retired": "Retrait",
    "retried": "Nouvel essai",
    "revealed": "Affichage en clair",
    "revoked": "Révocation",
    "rotated": "Rotation",
    "searched": "Recherche",
    "second_factor_failed": "Échec du second facteur",
    "sent": "Envoi",
    "signed_in": "Connexion",
    "signed_out": "Déconnexion",
    "updated": "Mise à jour",
    "uploaded": "Dépôt",
    "versioned": "Nouvelle version",
    "viewed": "Consultation",
}

# Whole actions whose composed label would read badly.
ACTIONS = {
    "protection.violence.reported": "Signalement de violences",
    "households.household.restricted": "Restriction de l'accès au dossier",
    "households.household.unrestricted": "Levée de la restriction de l'accès au dossier",
    "protection.violence.confirmed": "Confirmation de la personne exposée aux violences",
    "protection.emergency_aid.decision_corrected": "Correction d'une décision d'aide d'urgence",
    "protection.cross_claim.flagged": "Signalement croisé relevé",
    "protection.cross_claim.decided": "Décision sur un signalement croisé",
    "workshops.registration.held": "Inscription mise en attente de confirmation (famille protégée)",
    "workshops.registration.reviewed": "Décision sur une inscription en attente de confirmation",
    "core.security.alert": "Alerte de sécurité",
}


def label(action: str) -> str:
    """« Consultation — fiche de la personne »; an unknown code is shown as is rather than hidden."""
    if action in ACTIONS:
        return ACTIONS[action]
    parts = action.split(".")
    if len(parts) != 3 or parts[1] not in OBJECTS or parts[2] not in VERBS:
        return action
    return f"{VERBS[parts[2]]} — {OBJECTS[parts[1]]}"


def is_known(action: str) -> bool:
    return label(action) != action
