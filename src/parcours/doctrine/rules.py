"""The workflow of a practice sheet: which transition goes from which states to which, by which permission.

brouillon → soumise → (à revoir → soumise)* → validée → publiée → archivée. The permission of each
transition is in the policy table (core/policy.py, "doctrine.*"); the record scope (own Caf, or any
Caf for the national pilot) is checked by the policy with the URL's `branch` flag.
"""

from __future__ import annotations

from dataclasses import dataclass

from parcours.doctrine.models import Practice

S = Practice.State


@dataclass(frozen=True)
class Rule:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    permission: str
    # National pilot actions reach every Caf's sheets (policy `branch`); the others stay in the Caf.
    branch: bool = False
    comment_required: bool = False


TRANSITIONS: dict[str, Rule] = {
    rule.action: rule
    for rule in (
        Rule(
            "submit",
            "Soumettre au pilote départemental",
            (S.DRAFT, S.CHANGES_REQUESTED),
            S.SUBMITTED,
            "doctrine.propose",
        ),
        Rule(
            "request_changes",
            "Demander des modifications",
            (S.SUBMITTED, S.VALIDATED, S.PUBLISHED),
            S.CHANGES_REQUESTED,
            "doctrine.review",
            comment_required=True,
        ),
        Rule("validate", "Valider pour la Caf", (S.SUBMITTED,), S.VALIDATED, "doctrine.review"),
        Rule(
            "publish",
            "Publier pour toute la branche",
            (S.VALIDATED,),
            S.PUBLISHED,
            "doctrine.publish",
            branch=True,
        ),
        Rule("archive", "Archiver", (S.VALIDATED, S.PUBLISHED), S.ARCHIVED, "doctrine.publish", branch=True),
    )
}

# States in which the Caf's staff may still change the sheet (a draft: its author only).
EDITABLE = (S.DRAFT, S.CHANGES_REQUESTED)
# Audit verbs of the transitions.
AUDIT_VERBS = {
    "submit": "submitted",
    "request_changes": "changes_requested",
    "validate": "validated",
    "publish": "published",
    "archive": "archived",
}


def allowed(practice: Practice, action: str) -> bool:
    rule = TRANSITIONS.get(action)
    return rule is not None and practice.state in rule.sources
