"""The access policy: the one place that says who may see or do what.

Three questions, always in this order:
1. the URL: every named URL is listed in `URLS` (deny by default; the authorization-matrix
   test fails on any URL missing here) with the permission it needs;
2. the role: `RULES` maps each permission to the roles that hold it;
3. the record: personal data belongs to a department (staff of another department get 404,
   never the data) and a restricted household is visible only to the staff assigned to it.

Views, selectors, services and the API call `require`, `can` and `scope`; nothing else decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from parcours.core.roles import Role

SW, SA, BO = Role.SOCIAL_WORKER, Role.SERVICE_ADVISOR, Role.BENEFITS_OFFICER
LOCAL_PILOT, NATIONAL_PILOT, PARTNER, ADMIN = Role.LOCAL_PILOT, Role.NATIONAL_PILOT, Role.PARTNER, Role.ADMIN
ACCOMPANIST = Role.ACCOMPANIST
CASEWORK = frozenset({SW, SA, BO})

# Pseudo-permissions for URLs.
PUBLIC = "public"  # anyone, signed in or not (public pages, health check)
SIGN_IN = "sign_in"  # the sign-in steps themselves: reachable before the second factor
SIGNED_IN = "signed_in"  # any staff member who passed both factors
API_TOKEN = "api_token"  # an organisation's API token, checked by the API's authentication
# The role an API token acts with (pathways): it is no staff role, so no account ever holds it.
API_CLIENT = "api_client"

RULES: dict[str, frozenset[str]] = {
    # --- households (foundation) ---
    "households.view": CASEWORK,
    "households.create": CASEWORK,
    "households.edit": CASEWORK,
    "households.protect_address": frozenset({SW}),
    "households.reveal_address": frozenset({SW}),
    # a phone or e-mail that came with a declaration for a family with violence on record (assigned SW)
    "households.review_contact_proposal": frozenset({SW}),
    # reference and assignments only (file number, restriction, who is assigned), never the content
    "households.view_reference": frozenset({LOCAL_PILOT}),
    "households.assign": frozenset({LOCAL_PILOT}),
    "households.lift_restriction": frozenset({LOCAL_PILOT}),  # with a reason, audited
    # Keeps a file from the retention job (a court case, a claim): the local pilot, with a reason.
    "households.legal_hold": frozenset({LOCAL_PILOT}),
    # RGPD art. 18 limitation of one person's processing: the local pilot, with a reason.
    "households.limit_processing": frozenset({LOCAL_PILOT}),
    # RGPD art. 17 erasure on request (the nightly anonymisation, now): the local pilot, with a reason.
    "households.erase": frozenset({LOCAL_PILOT}),
    # RGPD art. 15 access file of one person (PDF, JSON): the social worker, the one role that reads
    # every part of it (household, protection, MAP, messages), so it never widens what its producer sees.
    "households.subject_access": frozenset({SW}),
    # --- audit ---
    "audit.view_department": frozenset({LOCAL_PILOT}),
    "audit.view_denied": frozenset({LOCAL_PILOT}),  # the department's top deniers (core.denials)
    # --- accounts ---
    "accounts.manage": frozenset({ADMIN}),
    # --- evaluation ---
    "evaluation.view_national": frozenset({NATIONAL_PILOT}),
    # the bilan: aggregates only (own department + the others for comparison, or the nation)
    "evaluation.view": frozenset({LOCAL_PILOT, NATIONAL_PILOT}),
    "evaluation.export": frozenset({LOCAL_PILOT, NATIONAL_PILOT}),
    "evaluation.refresh": frozenset({NATIONAL_PILOT}),
    "evaluation.manage_context": frozenset({NATIONAL_PILOT}),
    #
    # --- pathways: separation events, templates, steps, worklists -----------------------------
    "pathways.record_separation": CASEWORK,  # the staff form
    "pathways.view": CASEWORK,  # worklists, steps, household timeline
    "pathways.work_steps": CASEWORK,  # contact attempts, outcomes, (re)assignment
    "pathways.update_situation": CASEWORK,  # violence reported, children count corrected
    "pathways.import": frozenset({SA, BO, LOCAL_PILOT}),  # files of events, own department
    "pathways.manage_templates": frozenset({LOCAL_PILOT}),
    "pathways.pilot_dashboard": frozenset(
        {LOCAL_PILOT}
    ),  # department counts and its late list (references)  # the department's variant
    "pathways.manage_national_template": frozenset({NATIONAL_PILOT}),
    "pathways.api_submit": frozenset({API_CLIENT}),  # an organisation's API token
    #
    # --- notifications: outbox, message status ------------------------------------------------
    "notifications.view": CASEWORK,  # a household's messages (restricted ones: assigned staff)
    "notifications.manage": CASEWORK,  # send a failed/refused message again, cancel a pending one
    "notifications.download_letter": CASEWORK,  # the PDF of a letter, for printing (audited)
    "notifications.view_outbox": frozenset({LOCAL_PILOT}),  # the department's outbox: statuses, no content
    #
    # --- protection: violence reports, safety checklist, referrals, emergency aid (AUU) ----------
    "protection.view": CASEWORK,  # the protected track of a household (restricted: assigned staff)
    "protection.report_violence": CASEWORK,  # any casework role, at any step
    "protection.manage_checklist": CASEWORK,  # tick the safety checklist
    "protection.partner_inbox": frozenset({PARTNER}),  # referrals sent, with consent, to one's organisation
    "protection.refer": CASEWORK,  # refer to a partner (consent recorded), follow-up, referral sheet
    "protection.view_partners": CASEWORK | {LOCAL_PILOT},  # the department's partner directory
    "protection.manage_partners": frozenset({LOCAL_PILOT}),  # edit the directory
    "protection.register_aid": CASEWORK,  # record an AUU request and its proof
    "protection.view_aid": CASEWORK,  # an AUU file of a household the user may open
    "protection.decide_cross_claim": frozenset({SW}),  # a « signalement croisé », with a reason
    "protection.process_aid": frozenset({BO}),  # worklist, decision, payment, refusal, loan follow-up
    "protection.download_proof": frozenset({SW, BO}),  # the proof document itself (audited)
    "protection.view_ceilings": frozenset({BO, LOCAL_PILOT, NATIONAL_PILOT}),  # the dated scale
    "protection.manage_ceilings": frozenset({NATIONAL_PILOT}),  # a new dated scale (national)
    # --- workshops: Parents après la séparation --------------------------------------------------
    # Sessions are organised by the local pilot and social workers, who also facilitate them with
    # partners (juriste, médiateur); front-desk staff register parents; pilots compare formats.
    "workshops.view": frozenset({SW, SA, BO, LOCAL_PILOT, PARTNER}),
    "workshops.manage": frozenset({SW, LOCAL_PILOT}),
    "workshops.register": CASEWORK,
    "workshops.invite": frozenset({SW, SA}),
    "workshops.attendance": frozenset({SW, LOCAL_PILOT, PARTNER}),
    "workshops.export": frozenset({SW, LOCAL_PILOT}),
    "workshops.configure": frozenset({LOCAL_PILOT}),
    "workshops.compare": frozenset({LOCAL_PILOT, NATIONAL_PILOT}),
    #
    # --- accompaniment: mesures d'accompagnement protégé (MAP) ------------------------------------
    # The referent social worker records the order and refers it; the MAP organisation's coordinators
    # (role partner) run it; accompanists see their own handovers only; the local pilot sees figures.
    # Records are further scoped by RECORD_RULES below (organisation, referent, accompanist).
    "accompaniment.record_order": frozenset({SW}),
    "accompaniment.view": frozenset({SW, PARTNER}),  # measures, measure page, calendar, incidents
    "accompaniment.manage": frozenset({PARTNER}),  # accept, accompanists, calendar, report sign-off
    "accompaniment.record_outcome": frozenset({PARTNER, ACCOMPANIST}),
    "accompaniment.my_handovers": frozenset({ACCOMPANIST}),  # own handovers and calendar feed
    "accompaniment.report": frozenset({SW, PARTNER}),  # the report to the judge (PDF)
    "accompaniment.overview": frozenset({LOCAL_PILOT}),  # figures, load, conventions: no narrative
    "accompaniment.manage_funding": frozenset({LOCAL_PILOT}),  # conventions, school holidays
    # --- doctrine: practice sheets against domestic violence ------------------------------------
    # The one cross-department read of the policy: a PUBLISHED practice holds no personal data and
    # is read by the staff of every department (URLs with `branch=True`, `Practice.policy_shared`);
    # the national pilot reaches every Caf's sheets; a draft stays with its author.
    "doctrine.view": frozenset({SW, SA, BO, LOCAL_PILOT, NATIONAL_PILOT}),  # search, sheets, document
    "doctrine.propose": frozenset({SW, SA, BO, LOCAL_PILOT}),  # any Caf staff: write, submit own Caf's
    "doctrine.review": frozenset({LOCAL_PILOT}),  # ask for changes, validate (own Caf)
    "doctrine.publish": frozenset({NATIONAL_PILOT}),  # publish, archive, tag themes, compose the document
    "doctrine.inventory": frozenset({LOCAL_PILOT, NATIONAL_PILOT}),  # synthesis, inventory export
    "doctrine.import": frozenset({LOCAL_PILOT, NATIONAL_PILOT}),  # spreadsheet of practices
    #
}


@dataclass(frozen=True)
class Access:
    """What a named URL needs.

    `obj` names the kind of record the URL's arguments point to (the matrix test builds one of
    each kind in the user's department, in another department, and restricted-not-assigned).
    `restricted` says how a restricted record is treated: "assigned" (only the assigned staff)
    or "reference" (the page shows the reference and assignments only, open to its permission).
    """

    permission: str
    obj: str | None = None
    restricted: str = "assigned"
    methods: tuple[str, ...] = ("GET",)
    # Cross-department read (doctrine only): a record the whole branch shares (`policy_shared()`) is
    # open to every department's holders of the permission, and national roles reach every department.
    branch: bool = False


URLS: dict[str, Access] = {
    # --- technical ---
    "healthz": Access(PUBLIC),
    # --- public pages (portal) ---
    "portal:home": Access(PUBLIC),
    "portal:accessibility": Access(PUBLIC),
    "portal:legal": Access(PUBLIC),
    "portal:privacy": Access(PUBLIC),
    "portal:quick-exit-help": Access(PUBLIC),
    # --- sign-in and own account ---
    "backoffice:login": Access(SIGN_IN, methods=("GET", "POST")),
    "backoffice:login-otp": Access(SIGN_IN, methods=("GET", "POST")),
    "backoffice:login-enrol": Access(SIGN_IN, methods=("GET", "POST")),
    "backoffice:logout": Access(SIGN_IN, methods=("POST",)),
    "backoffice:password-reset": Access(SIGN_IN, methods=("GET", "POST")),
    "backoffice:password-reset-done": Access(SIGN_IN),
    "backoffice:password-reset-confirm": Access(SIGN_IN, methods=("GET", "POST")),
    "backoffice:password-reset-complete": Access(SIGN_IN),
    "backoffice:home": Access(SIGNED_IN),
    "backoffice:reauth": Access(SIGNED_IN, methods=("GET", "POST")),
    "backoffice:password-change": Access(SIGNED_IN, methods=("GET", "POST")),
    # --- households ---
    "backoffice:household-search": Access("households.view"),
    "backoffice:household-create": Access("households.create", methods=("GET", "POST")),
    "backoffice:household-detail": Access("households.view", obj="household"),
    "backoffice:household-edit": Access("households.edit", obj="household", methods=("GET", "POST")),
    "backoffice:person-create": Access("households.edit", obj="household", methods=("GET", "POST")),
    "backoffice:person-edit": Access("households.edit", obj="person", methods=("GET", "POST")),
    "backoffice:person-history": Access("households.view", obj="person"),
    "backoffice:contact-create": Access("households.edit", obj="person", methods=("GET", "POST")),
    "backoffice:contact-edit": Access("households.edit", obj="contact", methods=("GET", "POST")),
    "backoffice:consent-create": Access("households.edit", obj="person", methods=("GET", "POST")),
    "backoffice:address-edit": Access("households.edit", obj="person", methods=("GET", "POST")),
    "backoffice:address-protect": Access("households.protect_address", obj="person", methods=("GET", "POST")),
    "backoffice:address-reveal": Access("households.reveal_address", obj="person", methods=("GET", "POST")),
    "backoffice:contact-proposal-review": Access(
        "households.review_contact_proposal", obj="contact_proposal", methods=("POST",)
    ),
    "backoffice:household-reference-list": Access("households.view_reference"),
    "backoffice:household-reference": Access(
        "households.view_reference", obj="household", restricted="reference"
    ),
    "backoffice:household-assign": Access(
        "households.assign", obj="household", restricted="reference", methods=("GET", "POST")
    ),
    "backoffice:household-lift-restriction": Access(
        "households.lift_restriction", obj="household", restricted="reference", methods=("GET", "POST")
    ),
    "backoffice:household-legal-hold": Access(
        "households.legal_hold", obj="household", restricted="reference", methods=("GET", "POST")
    ),
    "backoffice:household-erase": Access(
        "households.erase", obj="household", restricted="reference", methods=("GET", "POST")
    ),
    # One member's limitation (art. 18) and erasure (art. 17): the reference view, no content.
    "backoffice:person-limitation": Access(
        "households.limit_processing", obj="person", restricted="reference", methods=("GET", "POST")
    ),
    "backoffice:person-erase": Access(
        "households.erase", obj="person", restricted="reference", methods=("GET", "POST")
    ),
    "backoffice:household-unassign": Access(
        "households.assign", obj="assignment", restricted="reference", methods=("POST",)
    ),
    # --- audit ---
    "backoffice:audit-household": Access("audit.view_department", obj="household", restricted="reference"),
    "backoffice:audit-department": Access("audit.view_department"),
    "backoffice:denied-accesses": Access("audit.view_denied"),
    "backoffice:pilot-dashboard": Access("pathways.pilot_dashboard"),
    # --- accounts administration ---
    "backoffice:user-list": Access("accounts.manage"),
    "backoffice:user-create": Access("accounts.manage", methods=("GET", "POST")),
    "backoffice:user-edit": Access("accounts.manage", obj="user", methods=("GET", "POST")),
    "backoffice:user-deactivate": Access("accounts.manage", obj="user", methods=("POST",)),
    "backoffice:user-reset-otp": Access("accounts.manage", obj="user", methods=("POST",)),
    # --- evaluation (the bilan: aggregates only) ---
    "backoffice:evaluation-dashboard": Access("evaluation.view"),
    "backoffice:evaluation-definitions": Access("evaluation.view"),
    "backoffice:evaluation-context": Access("evaluation.view"),
    "backoffice:evaluation-context-edit": Access("evaluation.manage_context", methods=("GET", "POST")),
    "backoffice:evaluation-refresh": Access("evaluation.refresh", methods=("POST",)),
    # --- API ---
    "api:openapi": Access(PUBLIC),
    #
    # --- pathways -------------------------------------------------------------------------------
    "backoffice:pathway-record": Access("pathways.record_separation", methods=("GET", "POST")),
    "backoffice:worklist-mine": Access("pathways.view"),
    "backoffice:worklist-team": Access("pathways.view"),
    "backoffice:worklist-late": Access("pathways.view"),
    "backoffice:worklist-week": Access("pathways.view"),
    "backoffice:step-detail": Access("pathways.view", obj="step"),
    "backoffice:step-attempt": Access("pathways.work_steps", obj="step", methods=("POST",)),
    "backoffice:step-complete": Access("pathways.work_steps", obj="step", methods=("POST",)),
    "backoffice:step-assign": Access("pathways.work_steps", obj="step", methods=("POST",)),
    "backoffice:pathway-situation": Access(
        "pathways.update_situation", obj="pathway", methods=("GET", "POST")
    ),
    "backoffice:household-timeline": Access("pathways.view", obj="household"),
    "backoffice:import-list": Access("pathways.import", methods=("GET", "POST")),
    "backoffice:import-sample": Access("pathways.import"),
    "backoffice:import-detail": Access("pathways.import", obj="import_job"),
    "backoffice:import-progress": Access("pathways.import", obj="import_job"),
    # the report of a refused file: a registered exporter (pathways/exports.py)
    "backoffice:import-restart": Access("pathways.import", obj="import_job", methods=("POST",)),
    "backoffice:template-list": Access("pathways.manage_templates"),
    "backoffice:template-detail": Access("pathways.manage_templates", obj="template"),
    "backoffice:template-edit": Access("pathways.manage_templates", methods=("GET", "POST")),
    "backoffice:template-use-national": Access("pathways.manage_templates", methods=("POST",)),
    "backoffice:template-national": Access("pathways.manage_national_template", methods=("GET", "POST")),
    "api:separation-events": Access(API_TOKEN, methods=("POST",)),
    #
    # --- notifications --------------------------------------------------------------------------
    "backoffice:outbox": Access("notifications.view_outbox"),
    "backoffice:message-detail": Access("notifications.view", obj="message"),
    "backoffice:message-retry": Access("notifications.manage", obj="message", methods=("POST",)),
    "backoffice:message-cancel": Access("notifications.manage", obj="message", methods=("GET", "POST")),
    # the PDF of a letter: a registered exporter (notifications/exports.py)
    #
    # --- protection -----------------------------------------------------------------------------
    "backoffice:protection-report": Access(
        "protection.report_violence", obj="household", methods=("GET", "POST")
    ),
    "backoffice:protection-track": Access("protection.view", obj="household"),
    "backoffice:safety-step-edit": Access(
        "protection.manage_checklist", obj="safety_step", methods=("GET", "POST")
    ),
    "backoffice:referral-create": Access("protection.refer", obj="household", methods=("GET", "POST")),
    "backoffice:referral-edit": Access("protection.refer", obj="referral", methods=("GET", "POST")),
    # The partner's inbox: scoped by the receiving organisation (a consented transmission), not by the
    # household's restriction — protection.selectors.inbox_referrals is the only door.
    "backoffice:partner-inbox": Access("protection.partner_inbox"),
    "backoffice:partner-referral": Access(
        "protection.partner_inbox", obj="partner_referral", methods=("GET", "POST")
    ),
    # the referral sheet: a registered exporter (protection/exports.py)
    "backoffice:partner-list": Access("protection.view_partners"),
    "backoffice:partner-create": Access("protection.manage_partners", methods=("GET", "POST")),
    "backoffice:partner-edit": Access("protection.manage_partners", obj="partner", methods=("GET", "POST")),
    "backoffice:aid-create": Access("protection.register_aid", obj="household", methods=("GET", "POST")),
    "backoffice:aid-worklist": Access("protection.process_aid"),
    "backoffice:aid-history": Access("protection.process_aid"),
    "backoffice:aid-detail": Access("protection.view_aid", obj="aid"),
    "backoffice:aid-decide": Access("protection.process_aid", obj="aid", methods=("GET", "POST")),
    "backoffice:aid-refuse": Access("protection.process_aid", obj="aid", methods=("GET", "POST")),
    "backoffice:aid-correct": Access("protection.process_aid", obj="aid", methods=("GET", "POST")),
    "backoffice:cross-claim-decide": Access(
        "protection.decide_cross_claim", obj="cross_claim", methods=("POST",)
    ),
    "backoffice:aid-pay": Access("protection.process_aid", obj="aid", methods=("GET", "POST")),
    "backoffice:aid-proceedings": Access("protection.process_aid", obj="aid", methods=("GET", "POST")),
    "backoffice:aid-repayment": Access("protection.process_aid", obj="aid", methods=("GET", "POST")),
    "backoffice:aid-proof-upload": Access("protection.register_aid", obj="aid", methods=("GET", "POST")),
    "backoffice:aid-proof": Access("protection.download_proof", obj="proof"),
    "backoffice:aid-ceilings": Access("protection.view_ceilings"),
    "backoffice:aid-ceiling-create": Access("protection.manage_ceilings", methods=("GET", "POST")),
    # --- workshops (staff pages, public pages, signed links) -------------------------------------
    "backoffice:workshop-list": Access("workshops.view"),
    "backoffice:workshop-create": Access("workshops.manage", methods=("GET", "POST")),
    "backoffice:workshop-detail": Access("workshops.view", obj="workshop", restricted="reference"),
    "backoffice:workshop-edit": Access(
        "workshops.manage", obj="workshop", restricted="reference", methods=("GET", "POST")
    ),
    "backoffice:workshop-publish": Access(
        "workshops.manage", obj="workshop", restricted="reference", methods=("POST",)
    ),
    "backoffice:workshop-cancel": Access(
        "workshops.manage", obj="workshop", restricted="reference", methods=("GET", "POST")
    ),
    "backoffice:workshop-facilitators": Access(
        "workshops.manage", obj="workshop", restricted="reference", methods=("GET", "POST")
    ),
    "backoffice:workshop-room": Access(
        "workshops.manage", obj="workshop", restricted="reference", methods=("POST",)
    ),
    "backoffice:workshop-room-join": Access(
        "workshops.attendance", obj="workshop", restricted="reference", methods=("POST",)
    ),
    "backoffice:workshop-room-attendance": Access(
        "workshops.attendance", obj="workshop", restricted="reference", methods=("POST",)
    ),
    "backoffice:workshop-attendance": Access(
        "workshops.attendance", obj="workshop", restricted="reference", methods=("GET", "POST")
    ),
    "backoffice:workshop-close": Access(
        "workshops.attendance", obj="workshop", restricted="reference", methods=("POST",)
    ),
    # the sign-in sheet and the registrations: registered exporters (workshops/exports.py)
    "backoffice:workshop-register": Access(
        "workshops.register", obj="workshop", restricted="reference", methods=("GET", "POST")
    ),
    "backoffice:registration-detail": Access("workshops.register", obj="registration"),
    "backoffice:registration-cancel": Access("workshops.register", obj="registration", methods=("POST",)),
    "backoffice:registration-review": Access("workshops.register", obj="registration", methods=("POST",)),
    "backoffice:registration-move": Access("workshops.register", obj="registration", methods=("GET", "POST")),
    "backoffice:person-workshop-register": Access(
        "workshops.register", obj="person", methods=("GET", "POST")
    ),
    "backoffice:household-invite": Access("workshops.invite", obj="household", methods=("POST",)),
    "backoffice:invitation-list": Access("workshops.invite", methods=("GET", "POST")),
    "backoffice:invitation-cancel": Access("workshops.invite", obj="invitation", methods=("POST",)),
    "backoffice:series-create": Access("workshops.manage", methods=("GET", "POST")),
    "backoffice:series-detail": Access("workshops.view", obj="series", restricted="reference"),
    "backoffice:series-publish": Access(
        "workshops.manage", obj="series", restricted="reference", methods=("POST",)
    ),
    "backoffice:venue-list": Access("workshops.manage"),
    "backoffice:venue-create": Access("workshops.manage", methods=("GET", "POST")),
    "backoffice:venue-edit": Access(
        "workshops.manage", obj="venue", restricted="reference", methods=("GET", "POST")
    ),
    "backoffice:webinar-server": Access("workshops.configure", methods=("GET", "POST")),
    "backoffice:workshop-comparison": Access("workshops.compare"),
    # --- doctrine (branch=True: published sheets are read across departments, see RULES) ---------
    "backoffice:doctrine-search": Access("doctrine.view"),
    "backoffice:doctrine-create": Access("doctrine.propose", methods=("GET", "POST")),
    "backoffice:doctrine-detail": Access("doctrine.view", obj="practice", branch=True),
    "backoffice:doctrine-compare": Access("doctrine.view", obj="practice", branch=True),
    "backoffice:doctrine-edit": Access("doctrine.propose", obj="practice", methods=("GET", "POST")),
    "backoffice:doctrine-autosave": Access("doctrine.propose", obj="practice", methods=("POST",)),
    "backoffice:doctrine-attach": Access("doctrine.propose", obj="practice", methods=("POST",)),
    "backoffice:doctrine-attachment": Access("doctrine.view", obj="attachment", branch=True),
    "backoffice:doctrine-submit": Access("doctrine.propose", obj="practice", methods=("POST",)),
    "backoffice:doctrine-request-changes": Access("doctrine.review", obj="practice", methods=("POST",)),
    "backoffice:doctrine-validate": Access("doctrine.review", obj="practice", methods=("POST",)),
    "backoffice:doctrine-publish": Access("doctrine.publish", obj="practice", branch=True, methods=("POST",)),
    "backoffice:doctrine-archive": Access("doctrine.publish", obj="practice", branch=True, methods=("POST",)),
    "backoffice:doctrine-themes": Access("doctrine.publish", obj="practice", branch=True, methods=("POST",)),
    "backoffice:doctrine-inventory": Access("doctrine.inventory"),
    "backoffice:doctrine-synthesis": Access("doctrine.inventory"),
    "backoffice:doctrine-document": Access("doctrine.view"),
    "backoffice:doctrine-document-edit": Access("doctrine.publish", methods=("GET", "POST")),
    "backoffice:doctrine-import": Access("doctrine.import", methods=("GET", "POST")),
    # public pages: anyone; the private links are authorised by their signed token
    "portal:workshop-index": Access(PUBLIC),
    "portal:workshop-department": Access(PUBLIC, methods=("GET", "POST")),  # POST: sort by a postal code
    "portal:workshop-detail": Access(PUBLIC),
    "portal:workshop-register": Access(PUBLIC, methods=("GET", "POST")),
    "portal:workshop-registered": Access(PUBLIC),
    "portal:registration-manage": Access(PUBLIC, methods=("GET", "POST")),
    "portal:registration-cancel": Access(PUBLIC, methods=("GET", "POST")),
    "portal:registration-move": Access(PUBLIC, methods=("GET", "POST")),
    "portal:registration-offer": Access(PUBLIC, methods=("GET", "POST")),
    "portal:registration-calendar": Access(PUBLIC),
    "portal:registration-join": Access(PUBLIC),
    "portal:invitation": Access(PUBLIC, methods=("GET", "POST")),
    "portal:invitation-decline": Access(PUBLIC, methods=("GET", "POST")),
    "portal:survey": Access(PUBLIC, methods=("GET", "POST")),
    #
    # --- accompaniment (MAP) -----------------------------------------------------------------------
    "backoffice:map-list": Access("accompaniment.view"),
    "backoffice:map-record": Access("accompaniment.record_order", obj="household", methods=("GET", "POST")),
    "backoffice:map-measure": Access("accompaniment.view", obj="measure"),
    "backoffice:map-order-file": Access("accompaniment.view", obj="measure"),
    "backoffice:map-refer": Access("accompaniment.record_order", obj="measure", methods=("POST",)),
    "backoffice:map-answer": Access("accompaniment.manage", obj="measure", methods=("POST",)),
    "backoffice:map-places": Access("accompaniment.manage", obj="measure", methods=("POST",)),
    "backoffice:map-calendar": Access("accompaniment.view", obj="measure"),
    "backoffice:map-generate": Access("accompaniment.manage", obj="measure", methods=("POST",)),
    "backoffice:map-prison-slots": Access("accompaniment.manage", obj="measure", methods=("GET", "POST")),
    "backoffice:map-assign": Access("accompaniment.manage", obj="measure", methods=("POST",)),
    "backoffice:map-report": Access("accompaniment.manage", obj="measure", methods=("POST",)),
    "backoffice:map-end": Access("accompaniment.view", obj="measure", methods=("GET", "POST")),
    "backoffice:map-renew": Access("accompaniment.record_order", obj="measure", methods=("GET", "POST")),
    "backoffice:map-report-sign": Access("accompaniment.manage", obj="judge_report", methods=("POST",)),
    "backoffice:map-handover": Access(
        "accompaniment.record_outcome", obj="handover", methods=("GET", "POST")
    ),
    "backoffice:map-handover-move": Access("accompaniment.manage", obj="handover", methods=("GET", "POST")),
    "backoffice:map-mine": Access("accompaniment.my_handovers"),
    "backoffice:map-mine-feed": Access("accompaniment.my_handovers", methods=("POST",)),
    # the accompanist's calendar feed: authorised by its signed, revocable token
    "backoffice:map-agenda": Access(PUBLIC),
    "backoffice:map-overview": Access("accompaniment.overview"),
    "backoffice:map-conventions": Access("accompaniment.manage_funding", methods=("GET", "POST")),
    "backoffice:map-holidays": Access("accompaniment.manage_funding", methods=("GET", "POST")),
}


def url_name(resolver_match) -> str:
    return resolver_match.view_name if resolver_match else ""


def access_for(name: str) -> Access | None:
    return URLS.get(name)


def is_staff_verified(user) -> bool:
    """Signed in with both factors (django-otp marks the session as verified)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def role_allows(user, permission: str) -> bool:
    """Whether the user's roles hold the permission (the table alone, session aside)."""
    if permission in (PUBLIC, SIGNED_IN):
        return True
    roles = RULES.get(permission)
    if roles is None:
        raise KeyError(f"Permission inconnue de la politique d'accès : {permission}")
    return bool(user.roles & roles)


def has_perm(user, permission: str) -> bool:
    if permission == PUBLIC:
        return True
    if not is_staff_verified(user):
        return False
    return role_allows(user, permission)


# --- Principals without an account ---------------------------------------------------------------
# The public pages and the private links (workshops) act without an account. They hold no permission:
# the public reaches published sessions only, and a link opens its own registration or invitation.


class PublicActor:
    """A member of the public on the public pages (no account)."""

    pk = None
    is_authenticated = False
    is_active = False
    department_code = None

    def __str__(self) -> str:
        return "Public (pages publiques)"


class LinkHolder:
    """Whoever holds a registration's (or invitation's) private link: may act on that one only."""

    pk = None
    is_authenticated = False
    is_active = False
    department_code = None

    def __init__(self, *, registration=None, invitation=None):
        self.registration = registration
        self.invitation = invitation

    def __str__(self) -> str:
        if self.invitation is not None:
            return f"Lien privé de l'invitation n° {self.invitation.pk}"
        return f"Lien privé de l'inscription n° {self.registration.pk}"

    def holds(self, obj) -> bool:
        """True for the one record the link opens (its registration, or its invitation)."""
        held = {"workshops.registration": self.registration, "workshops.invitation": self.invitation}.get(
            _label(obj)
        )
        return held is not None and held.pk == obj.pk


THE_PUBLIC = PublicActor()


def is_staff(actor) -> bool:
    """A signed-in account (not the public, not a private link)."""
    return bool(getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None))


# --- Record rules: who may open a record beyond its department -----------------------------------
# Most records follow the household's rule (department; restricted → assigned staff). A few say more;
# they are stated here, keyed by model label (core never imports the apps; CoreConfig.ready() checks
# every label exists, so a renamed model stops the start instead of silently opening its records).


def partner_only(user) -> bool:
    """A partner organisation's member holding no Caf role (a juriste, a médiateur)."""
    roles = getattr(user, "roles", frozenset())
    return PARTNER in roles and not (roles - {PARTNER})


def _facilitates(user, workshop) -> bool:
    return workshop.facilitations.filter(user=user).exists()


def _workshop_allows(user, workshop) -> bool:
    # A partner only reaches the sessions they facilitate.
    return not partner_only(user) or _facilitates(user, workshop)


def _workshops_filter(user) -> Q:
    return Q(facilitations__user=user) if partner_only(user) else Q()


def _measure_allows(user, measure) -> bool:
    """MAP: the organisation's coordinators (partner) for the measures referred to it; a social worker
    for the measures they are the referent of, or of a household assigned to them; nobody else (other
    Caf staff see the household, not the measure)."""
    roles = user.roles
    if (
        PARTNER in roles
        and measure.map_organisation_id
        and measure.map_organisation.organisation_id == user.organisation_id
    ):
        return True
    return SW in roles and (measure.referent_id == user.pk or measure.household.is_assigned(user))


def _measures_filter(user) -> Q:
    """`_measure_allows` as a filter on measures."""
    roles = user.roles
    q = Q(pk__in=[])
    if PARTNER in roles:
        q |= Q(map_organisation__organisation_id=user.organisation_id)
    if SW in roles:
        assigned = apps.get_model("households", "HouseholdAssignment").objects.filter(user=user)
        q |= Q(referent_id=user.pk) | Q(household_id__in=assigned.values("household_id"))
    return q


def _handover_allows(user, handover) -> bool:
    # An accompanist: the handovers assigned to them, nothing else of the household.
    if ACCOMPANIST in user.roles and handover.accompanist_id and handover.accompanist.user_id == user.pk:
        return True
    return _measure_allows(user, handover.measure)


@dataclass(frozen=True)
class RecordRule:
    """What a record says beyond its department.

    `allows(user, obj)`: the check on one record; `filter(user)`: the same rule as a queryset filter
    (used by `scope`), when lists of that record are scoped; `replaces_restriction`: the rule itself
    says who may open a restricted family's record (MAP), instead of "assigned staff only".
    """

    allows: Callable[[Any, Any], bool]
    filter: Callable[[Any], Q] | None = None
    replaces_restriction: bool = False


RECORD_RULES: dict[str, RecordRule] = {
    "workshops.workshop": RecordRule(_workshop_allows, filter=_workshops_filter),
    "workshops.registration": RecordRule(lambda user, r: _workshop_allows(user, r.workshop)),
    "accompaniment.measure": RecordRule(_measure_allows, filter=_measures_filter, replaces_restriction=True),
    "accompaniment.handover": RecordRule(_handover_allows, replaces_restriction=True),
    # The narrative of an incident and the report: the organisation and the referent only (never the
    # accompanist's own view).
    "accompaniment.incident": RecordRule(
        lambda user, i: _measure_allows(user, i.handover.measure), replaces_restriction=True
    ),
    "accompaniment.judgereport": RecordRule(
        lambda user, r: _measure_allows(user, r.measure), replaces_restriction=True
    ),
}


def check_record_rules() -> None:
    """Called by CoreConfig.ready(): every label of RECORD_RULES names an installed model."""
    for label in RECORD_RULES:
        app_label = label.split(".")[0]
        if app_label in apps.app_configs:
            apps.get_model(label)  # LookupError: the model was renamed, update RECORD_RULES


def _label(obj) -> str | None:
    meta = getattr(obj, "_meta", None)
    return meta.label_lower if meta is not None else None


def _record_household(obj):
    """The household a record belongs to (the record itself when it is one)."""
    if obj is None:
        return None
    if hasattr(obj, "policy_household"):
        return obj.policy_household()
    return None


def _record_department(obj) -> str | None:
    if hasattr(obj, "policy_department"):
        return obj.policy_department()
    household = _record_household(obj)
    return household.department.code if household is not None else None


def in_scope(user, obj, *, restricted: str = "assigned", branch: bool = False) -> bool:
    """True when the record lies in what the user may see: own department, and assigned if restricted.

    `branch` (doctrine): a record the whole branch shares is open to every department, and national
    roles reach every department; a record hidden from the user (another author's draft) never is.
    """
    if hasattr(obj, "policy_hidden_from") and obj.policy_hidden_from(user):
        return False
    if branch:
        if hasattr(obj, "policy_shared") and obj.policy_shared():
            return True
        if user.department_code is None and getattr(user, "is_national", False):
            return True
    department = _record_department(obj)
    if department is None or department != user.department_code:
        return False
    rule = RECORD_RULES.get(_label(obj))
    # Records shared with an outside organisation (MAP) say themselves who may open them.
    if rule is not None and rule.replaces_restriction:
        return rule.allows(user, obj)
    household = _record_household(obj)
    restricted_out = household is not None and household.restricted and restricted == "assigned"
    if restricted_out and not household.is_assigned(user):
        return False
    return rule is None or rule.allows(user, obj)


def _holds(user, permission: str) -> bool:
    # Sessions are checked (both factors) by the middleware; services, tasks and commands check roles.
    return bool(
        user is not None and user.is_authenticated and user.is_active and role_allows(user, permission)
    )


def can(user, permission: str, obj=None, *, restricted: str = "assigned", branch: bool = False) -> bool:
    if not _holds(user, permission):
        return False
    return obj is None or in_scope(user, obj, restricted=restricted, branch=branch)


def require(user, permission: str, obj=None, *, restricted: str = "assigned", branch: bool = False) -> None:
    """Raise PermissionDenied (no such right: 403) or Http404 (record outside the user's scope)."""
    if not _holds(user, permission):
        raise PermissionDenied
    if obj is not None and not in_scope(user, obj, restricted=restricted, branch=branch):
        raise Http404


def require_holder_or_staff(actor, permission: str, obj, *, restricted: str = "assigned") -> None:
    """A private link opens its own registration or invitation (and nothing else, whatever the
    permission); staff go through `require`."""
    if isinstance(actor, LinkHolder):
        if not actor.holds(obj):
            raise PermissionDenied
        return
    require(actor, permission, obj, restricted=restricted)


def hidden_households(user, permission: str) -> QuerySet:
    """The households of the user's own department that `scope` leaves out under `permission`.

    For lists of the user's department's records that carry their household's department
    (worklists): they set aside this small set — restricted files only — rather than checking every
    row's household through `scope`. Computed by `scope` itself, on the department's restricted
    households, since the others are all in its scope (it keeps them when the department matches).
    """
    Household = apps.get_model("households", "Household")
    organisation = getattr(user, "organisation", None)
    department_id = organisation.department_id if organisation is not None else None
    restricted = Household.objects.filter(department_id=department_id, restricted=True)
    opened = scope(user, restricted, permission, household_path="").values("pk")
    return restricted.exclude(pk__in=opened).values("pk")


def scope(
    user,
    queryset: QuerySet,
    permission: str,
    *,
    household_path: str | None = None,
    restricted: str = "assigned",
):
    """Filter `queryset` to the records the user may see under `permission`.

    `household_path` is the lookup from the model to its household ("" for Household itself);
    models declare it as `POLICY_HOUSEHOLD_PATH`.
    """
    if not _holds(user, permission):
        return queryset.none()
    if household_path is None:
        household_path = queryset.model.POLICY_HOUSEHOLD_PATH
    prefix = f"{household_path}__" if household_path else ""
    department = user.department_code
    if department is None:
        return queryset.none()
    qs = queryset.filter(**{f"{prefix}department__code": department})
    rule = RECORD_RULES.get(queryset.model._meta.label_lower)
    if rule is not None and rule.filter is not None:
        qs = qs.filter(rule.filter(user))
        if rule.replaces_restriction:
            return qs
    if restricted == "assigned":
        assigned = apps.get_model("households", "HouseholdAssignment").objects.filter(user=user)
        qs = qs.filter(
            Q(**{f"{prefix}restricted": False}) | Q(**{f"{prefix}pk__in": assigned.values("household_id")})
        )
    return qs
