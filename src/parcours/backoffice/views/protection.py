"""Staff pages of the protected track, the partner directory, referrals and the AUU.

Thin: selectors read (and scope: restricted households open to their assigned staff only), services
write. The household page gets a "Protection" panel; benefits officers get the AUU worklist (with a
count in the menu) and a home card; casework staff get a card of safety steps still to do.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from parcours.backoffice.forms_protection import (
    AidCorrectionForm,
    AidDecisionForm,
    AidPaymentForm,
    AidRefusalForm,
    AidRequestForm,
    CeilingScaleForm,
    PartnerForm,
    ProceedingsForm,
    ProofUploadForm,
    ReferralFollowUpForm,
    ReferralForm,
    RepaymentForm,
    SafetyStepForm,
    ViolenceReportForm,
)
from parcours.core import calendar, policy
from parcours.core.forms import apply_errors
from parcours.core.roles import Role
from parcours.protection import rules, selectors, services
from parcours.protection.models import CrossClaim, EmergencyAid, Partner


def _form_page(
    request,
    form,
    *,
    title,
    household=None,
    intro="",
    aside="",
    submit="Enregistrer",
    cancel=None,
    multipart=False,
):
    return render(
        request,
        "backoffice/protection/form.html",
        {
            "form": form,
            "title": title,
            "household": household,
            "intro": intro,
            "aside": aside,
            "submit": submit,
            "cancel": cancel
            or (
                reverse("backoffice:protection-track", args=[household.pk])
                if household
                else reverse("backoffice:home")
            ),
            "multipart": multipart,
        },
    )


def with_time_left(household, aids) -> None:
    """Attach `left` (working days to the deadline, or None once paid or refused) to each aid."""
    today = calendar.local_date(household.department)
    for aid in aids:
        aid.left = rules.time_left(household.department, aid.due_on, today) if aid.is_open else None


# --- the protected track ----------------------------------------------------------------------------


def report(request, pk: int):
    household = selectors.household_for(request.user, pk, "protection.report_violence")
    form = ViolenceReportForm(request.POST or None, parents=selectors.parents_of(request.user, household))
    if request.method == "POST" and form.is_valid():
        try:
            recorded = services.record_violence_report(
                actor=request.user, household=household, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if isinstance(recorded, CrossClaim):
                messages.warning(
                    request,
                    "Signalement croisé : cette personne est l'autre parent d'une personne exposée déjà suivie. "
                    "Rien n'est enregistré pour elle avant la décision motivée d'un travailleur social affecté "
                    "(page « Suivi protégé ») ; la protection de la première personne ne change pas.",
                )
                return redirect("backoffice:protection-track", pk=household.pk)
            messages.success(
                request,
                "Violences enregistrées : le dossier est restreint aux agents affectés, le parcours passe en "
                "parcours protégé (délais raccourcis) et la liste de mise en sécurité est ouverte.",
            )
            return redirect(reverse("backoffice:household-detail", args=[household.pk]) + "#titre-protection")
    return render(request, "backoffice/protection/report.html", {"form": form, "household": household})


def track(request, pk: int):
    household = selectors.household_for(request.user, pk, "protection.view")
    data = selectors.track_for(request.user, household, audited=True)
    with_time_left(household, data.aids)
    user = request.user
    return render(
        request,
        "backoffice/protection/track.html",
        {
            "household": household,
            "track": data,
            "can_report": policy.can(user, "protection.report_violence", household),
            "can_check": policy.can(user, "protection.manage_checklist", household),
            "can_refer": policy.can(user, "protection.refer", household),
            "can_register_aid": policy.can(user, "protection.register_aid", household),
            "can_protect": policy.can(user, "households.protect_address", household),
            "can_edit": policy.can(user, "households.edit", household),
            "cross_claims": list(
                household.cross_claims.select_related("person", "aid", "decided_by").order_by("-created_at")
            ),
            "can_decide_cross_claims": policy.can(user, "protection.decide_cross_claim", household),
        },
    )


def cross_claim_decide(request, pk: int):
    claim = selectors.cross_claim_for(request.user, pk)
    if request.method == "POST":
        try:
            services.decide_cross_claim(
                actor=request.user, claim=claim, confirm=request.POST.get("decision") == "retenir",
                reason=request.POST.get("reason", ""),
            )  # fmt: skip
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Décision enregistrée.")
    return redirect("backoffice:protection-track", pk=claim.household_id)


def safety_step_edit(request, pk: int):
    step = selectors.safety_step_for(request.user, pk)
    household = step.person.household
    form = SafetyStepForm(
        request.POST or None,
        step=step,
        initial={
            "status": step.status,
            "done_on": step.done_on or calendar.local_date(household.department),
            "note": step.note,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_safety_step(actor=request.user, step=step, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Étape de mise en sécurité enregistrée.")
            return redirect("backoffice:protection-track", pk=household.pk)
    return render(
        request,
        "backoffice/protection/step.html",
        {"form": form, "step": step, "household": household, "person": step.person},
    )


# --- referrals -------------------------------------------------------------------------------------


def referral_create(request, pk: int):
    household = selectors.household_for(request.user, pk, "protection.refer")
    persons = selectors.persons_at_risk(request.user, household)
    if not persons.exists():
        messages.info(request, "Aucune personne de ce foyer n'est suivie au titre de la protection.")
        return redirect("backoffice:protection-track", pk=household.pk)
    form = ReferralForm(
        request.POST or None,
        persons=persons,
        partners=selectors.partners_for_referral(request.user, household),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.refer(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Orientation enregistrée.")
            return redirect("backoffice:protection-track", pk=household.pk)
    return _form_page(
        request,
        form,
        title="Orienter vers un partenaire",
        household=household,
        intro=(
            "Transmettre les coordonnées de la personne demande son accord explicite, recueilli sans "
            "la présence d'un tiers. Sans accord, remettez-lui les coordonnées du partenaire."
        ),
    )


def referral_edit(request, pk: int):
    referral = selectors.referral_for(request.user, pk)
    household = referral.person.household
    form = ReferralFollowUpForm(
        request.POST or None,
        initial={
            "status": referral.status,
            "status_note": referral.status_note,
            "follow_up_on": referral.follow_up_on,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_referral(actor=request.user, referral=referral, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Suivi de l'orientation enregistré.")
            return redirect("backoffice:protection-track", pk=household.pk)
    return render(
        request,
        "backoffice/protection/referral.html",
        {"form": form, "referral": referral, "household": household},
    )


# --- partner directory -----------------------------------------------------------------------------


def partner_list(request):
    partners = selectors.partners_visible_to(request.user)
    if not policy.has_perm(request.user, "protection.manage_partners"):
        partners = partners.filter(is_active=True)
    return render(
        request,
        "backoffice/protection/partner_list.html",
        {
            "partners": list(partners),
            "can_manage": policy.has_perm(request.user, "protection.manage_partners"),
            "kinds": Partner.Kind,
        },
    )


def partner_create(request):
    form = PartnerForm(request.POST or None, department=request.user.department)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_partner(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Partenaire ajouté à l'annuaire.")
            return redirect("backoffice:partner-list")
    return _form_page(request, form, title="Nouveau partenaire", cancel=reverse("backoffice:partner-list"))


def partner_edit(request, pk: int):
    partner = selectors.partner_for(request.user, pk)
    form = PartnerForm(request.POST or None, instance=partner, department=partner.department)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_partner(actor=request.user, partner=partner, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Partenaire modifié.")
            return redirect("backoffice:partner-list")
    partner.refresh_from_db()
    return _form_page(
        request,
        form,
        title=f"Modifier le partenaire {partner.name}",
        cancel=reverse("backoffice:partner-list"),
    )


# --- emergency aid (AUU) ---------------------------------------------------------------------------


def aid_create(request, pk: int):
    household = selectors.household_for(request.user, pk, "protection.register_aid")
    officers = selectors.benefits_officers(request.user, household)
    today = calendar.local_date(household.department)
    initial = {
        "received_on": today,
        "is_allocataire": household.is_allocataire,
        "officer": request.user.pk if Role.BENEFITS_OFFICER in request.user.roles else None,
    }
    at_risk = list(selectors.persons_at_risk(request.user, household))
    if at_risk:
        initial["person"] = at_risk[0].pk

    def build(warnings=()):
        return AidRequestForm(
            request.POST or None,
            request.FILES or None,
            persons=selectors.parents_of(request.user, household),
            officers=officers,
            initial=initial,
            warnings=warnings,
        )

    form = build()
    warnings: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            aid = services.register_aid_request(actor=request.user, household=household, **form.cleaned_data)
        except services.IntakeWarnings as found:
            # Shown before anything is written: the agent sends the request on knowingly, or not.
            warnings = found.warnings
            form = build(warnings)
            form.is_valid()
        except ValidationError as error:
            apply_errors(form, error)
        else:
            text = f"Demande {aid.reference} enregistrée : à payer au plus tard le {rules.french_date(aid.due_on)}."
            if aid.intake_warnings:
                text += " Les points d'attention sont transmis au gestionnaire-conseil, qui décide."
            messages.success(request, text)
            return redirect("backoffice:aid-detail", pk=aid.pk)
    intro = (
        "Justificatifs recevables : ordonnance de protection, dépôt de plainte, signalement au procureur de "
        "la République, datant de moins de 12 mois. Une main courante n'est pas un justificatif."
    )
    if not at_risk:
        intro += (
            " Aucune violence n'est encore enregistrée pour ce foyer : la demande l'enregistrera "
            "(déclarée par la personne), ce qui restreint le dossier et passe le parcours en parcours protégé."
        )
    return _form_page(
        request,
        form,
        title="Nouvelle demande d'aide universelle d'urgence",
        household=household,
        intro=intro,
        multipart=True,
        aside=render_to_string(
            "backoffice/protection/_aid_warnings.html", {"warnings": warnings}, request=request
        )
        if warnings
        else "",
    )


def aid_worklist(request):
    mine = request.GET.get("les-miennes") == "1"
    rows = selectors.aid_worklist(request.user, mine_only=mine)
    return render(
        request,
        "backoffice/protection/aid_worklist.html",
        {"rows": rows, "mine": mine, "late": sum(1 for r in rows if r.time_left.late)},
    )


class AidHistoryForm(forms.Form):
    q = forms.CharField(label="Nom ou numéro de dossier", required=False, max_length=80)
    statut = forms.ChoiceField(
        label="Aides", required=False,
        choices=[("", "Toutes"), *((k, label) for k, (label, _) in selectors.HISTORY_FILTERS.items())],
    )  # fmt: skip
    du = forms.DateField(label="Reçues du", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    au = forms.DateField(label="au", required=False, widget=forms.DateInput(attrs={"type": "date"}))


def aid_history(request):
    """Paid, refused, in progress, loans to recover: the officer's search over every file."""
    form = AidHistoryForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    aids = selectors.aid_history(
        request.user,
        query=data.get("q", ""),
        state=data.get("statut", ""),
        start=data.get("du"),
        end=data.get("au"),
    )
    page = Paginator(aids, 50).get_page(request.GET.get("page"))
    return render(request, "backoffice/protection/aid_history.html", {"form": form, "page": page})


def aid_detail(request, pk: int):
    aid = selectors.aid_for(request.user, pk)
    user = request.user
    today = calendar.local_date(aid.household.department)
    return render(
        request,
        "backoffice/protection/aid_detail.html",
        {
            "aid": aid,
            "household": aid.household,
            "proofs": list(aid.proofs.all()),
            "time_left": rules.time_left(aid.household.department, aid.due_on, today)
            if aid.is_open
            else None,
            "paid_late": bool(aid.paid_on and aid.paid_on > aid.due_on),
            "can_process": policy.can(user, "protection.process_aid", aid),
            # The file's state machine says which actions exist now; the policy who may take them.
            "actions": aid.allowed_actions(today),
            "can_upload": policy.can(user, "protection.register_aid", aid)
            and EmergencyAid.Action.ADD_PROOF in aid.allowed_actions(today),
            "correction_deadline": rules.correction_deadline(aid.decided_on or aid.decided_at.date())
            if aid.decided_at
            else None,
            "can_download": policy.can(user, "protection.download_proof", aid),
            "proof_expiry": rules.proof_expiry(aid.proof_date),
        },
    )


def _aid_action(
    request,
    pk: int,
    *,
    name: str,
    form_class,
    initial,
    action,
    title,
    intro="",
    submit="Enregistrer",
    success="",
):
    aid = selectors.aid_for(request.user, pk, "protection.process_aid", audited=False)
    why = aid.why_not(name)
    if why is not None:
        messages.info(request, f"Cette action n'est pas possible : {why}.")
        return redirect("backoffice:aid-detail", pk=aid.pk)
    form = form_class(request.POST or None, initial=initial(aid))
    if request.method == "POST" and form.is_valid():
        try:
            action(aid, form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            aid.refresh_from_db()
            messages.success(request, success(aid) if callable(success) else success)
            return redirect("backoffice:aid-detail", pk=aid.pk)
    return _form_page(
        request,
        form,
        title=f"{title} — {aid.reference}",
        household=aid.household,
        intro=intro,
        submit=submit,
        cancel=reverse("backoffice:aid-detail", args=[aid.pk]),
        aside=render_to_string(
            "backoffice/protection/_aid_summary.html",
            {"aid": aid, "ceilings": selectors.ceilings_in_force(aid.received_on)},
            request=request,
        ),
    )


def aid_decide(request, pk: int):
    def initial(aid):
        return {
            "children_count": aid.household.members.filter(role="child").count(),
            "decided_on": calendar.local_date(aid.household.department),
        }

    return _aid_action(
        request,
        pk,
        name=EmergencyAid.Action.DECIDE,
        form_class=AidDecisionForm,
        initial=initial,
        action=lambda aid, data: services.decide_aid(actor=request.user, aid=aid, **data),
        title="Décision d'attribution",
        intro=(
            "La forme de l'aide découle des ressources : jusqu'au plafond inclus, aide non remboursable ; "
            "au-delà, prêt sans intérêt. Le barème appliqué est celui en vigueur à la date de la demande."
        ),
        submit="Attribuer l'aide",
        # What really happened to the message: never "she is informed" when she is not.
        success=lambda aid: f"Aide attribuée. {services.message_outcome(aid, 'decision')}",
    )


def aid_refuse(request, pk: int):
    return _aid_action(
        request,
        pk,
        name=EmergencyAid.Action.REFUSE,
        form_class=AidRefusalForm,
        initial=lambda aid: {"reason": " ".join(aid.intake_warnings)},
        action=lambda aid, data: services.refuse_aid(actor=request.user, aid=aid, **data),
        title="Refuser la demande",
        submit="Refuser la demande",
        success=lambda aid: f"Demande refusée. {services.message_outcome(aid, 'refusal')}",
    )


def aid_correct(request, pk: int):
    return _aid_action(
        request,
        pk,
        name=EmergencyAid.Action.CORRECT,
        form_class=AidCorrectionForm,
        initial=lambda aid: {},
        action=lambda aid, data: services.correct_decision(actor=request.user, aid=aid, **data),
        title="Corriger la décision",
        intro=(
            "Une décision se corrige dans le délai de recours (2 mois), avec un motif journalisé. La demande "
            "redevient « à décider » ; la nouvelle décision est de nouveau notifiée à la personne."
        ),
        submit="Corriger la décision",
        success="Décision rouverte : prenez la nouvelle décision.",
    )


def aid_pay(request, pk: int):
    return _aid_action(
        request,
        pk,
        name=EmergencyAid.Action.PAY,
        form_class=AidPaymentForm,
        initial=lambda aid: {"paid_on": calendar.local_date(aid.household.department)},
        action=lambda aid, data: services.record_payment(actor=request.user, aid=aid, **data),
        title="Enregistrer le paiement",
        submit="Enregistrer le paiement",
        success=lambda aid: f"Paiement enregistré. {services.message_outcome(aid, 'payment')}",
    )


def aid_proceedings(request, pk: int):
    return _aid_action(
        request,
        pk,
        name=EmergencyAid.Action.PROCEEDINGS,
        form_class=ProceedingsForm,
        initial=lambda aid: {
            "proceedings": aid.proceedings,
            "on": calendar.local_date(aid.household.department),
        },
        action=lambda aid, data: services.record_proceedings(actor=request.user, aid=aid, **data),
        title="Procédure pénale (prêt)",
        intro=(
            "Tant qu'une procédure pénale est en cours, le remboursement du prêt ne peut pas être demandé à la "
            "victime. En cas de condamnation de l'auteur, le remboursement est demandé à l'auteur (CASF L.214-12)."
        ),
        success="Procédure mise à jour.",
    )


def aid_repayment(request, pk: int):
    return _aid_action(
        request,
        pk,
        name=EmergencyAid.Action.REPAYMENT,
        form_class=RepaymentForm,
        initial=lambda aid: {"claimed_on": calendar.local_date(aid.household.department)},
        action=lambda aid, data: services.claim_repayment(actor=request.user, aid=aid, **data),
        title="Demander le remboursement du prêt",
        intro="Impossible tant qu'une procédure pénale est en cours, ou si l'auteur a été condamné.",
        success="Demande de remboursement enregistrée.",
    )


def aid_proof_upload(request, pk: int):
    aid = selectors.aid_for(request.user, pk, "protection.register_aid", audited=False)
    form = ProofUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_proof(actor=request.user, aid=aid, upload=form.cleaned_data["proof_file"])
        except ValidationError as error:
            form.add_error("proof_file", error)
        else:
            messages.success(request, "Justificatif enregistré (métadonnées supprimées).")
            return redirect("backoffice:aid-detail", pk=aid.pk)
    return _form_page(
        request,
        form,
        title=f"Ajouter un justificatif — {aid.reference}",
        household=aid.household,
        cancel=reverse("backoffice:aid-detail", args=[aid.pk]),
        multipart=True,
    )


def aid_proof(request, pk: int):
    proof, content = selectors.proof_for_download(request.user, pk)
    response = HttpResponse(content, content_type=proof.content_type)
    response["Content-Disposition"] = f'attachment; filename="justificatif-{proof.pk}.{proof.extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def aid_ceilings(request):
    return render(
        request,
        "backoffice/protection/ceilings.html",
        {
            "scales": selectors.ceiling_scales(request.user),
            "can_manage": policy.has_perm(request.user, "protection.manage_ceilings"),
        },
    )


def aid_ceiling_create(request):
    form = CeilingScaleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.create_ceiling_scale(
                actor=request.user,
                valid_from=data["valid_from"],
                amounts={n: data[f"amount_{n}"] for n in range(4)},
                source=data["source"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Nouveau barème enregistré.")
            return redirect("backoffice:aid-ceilings")
    return _form_page(
        request,
        form,
        title="Nouveau barème de plafonds",
        intro="Le barème s'applique aux demandes reçues à partir de sa date d'entrée en vigueur ; les anciens restent en vigueur pour les demandes antérieures.",
        cancel=reverse("backoffice:aid-ceilings"),
    )


# --- the partner's inbox ------------------------------------------------------------------------


class PartnerFollowUpForm(forms.Form):
    status = forms.ChoiceField(
        label="Où en est l'accompagnement ?",
        choices=[(s.value, s.label) for s in services.referrals.PARTNER_STATUSES],
        widget=forms.RadioSelect,
    )
    status_note = forms.CharField(
        label="Précision (obligatoire si l'orientation est sans suite)", required=False, max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


def partner_inbox(request):
    page = Paginator(selectors.inbox_referrals(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "backoffice/protection/partner_inbox.html", {"page": page})


def partner_referral(request, pk: int):
    referral = selectors.inbox_referral_for(request.user, pk)
    form = PartnerFollowUpForm(request.POST or None, initial={"status": referral.status})
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_follow_up(actor=request.user, referral=referral, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Suivi enregistré : la Caf le voit sur le dossier.")
            return redirect("backoffice:partner-inbox")
    contacts = selectors.inbox_referral_contacts(request.user, referral)
    return render(
        request,
        "backoffice/protection/partner_referral.html",
        {"referral": referral, "form": form, "contacts": contacts},
    )
