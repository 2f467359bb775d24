"""Every write of the protection module (violence reports, checklist, partners, referrals, AUU).

Keyword-only arguments, the actor first; each function checks the policy, keeps the invariants,
writes its audit entries (references and reasons, never the free texts) and queues its messages in
one transaction.
"""

from parcours.protection.services.aid import (
    IntakeWarnings,
    add_proof,
    claim_repayment,
    correct_decision,
    create_ceiling_scale,
    decide_aid,
    message_outcome,
    record_payment,
    record_proceedings,
    refuse_aid,
    register_aid_request,
)
from parcours.protection.services.referrals import partner_follow_up, refer, save_partner, update_referral
from parcours.protection.services.track import (
    confirm_report,
    decide_cross_claim,
    record_declared_violence,
    record_violence_report,
    update_safety_step,
)

__all__ = [
    "IntakeWarnings",
    "correct_decision",
    "decide_cross_claim",
    "message_outcome",
    "add_proof",
    "claim_repayment",
    "confirm_report",
    "create_ceiling_scale",
    "decide_aid",
    "record_payment",
    "record_declared_violence",
    "record_proceedings",
    "record_violence_report",
    "refer",
    "refuse_aid",
    "register_aid_request",
    "save_partner",
    "update_referral",
    "partner_follow_up",
    "update_safety_step",
]
