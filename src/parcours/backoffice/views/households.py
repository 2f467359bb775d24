"""Staff pages for households: search, household page, forms. Thin: selectors read, services write."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse

from parcours.backoffice.forms import (
    AddressForm,
    AssignForm,
    ConsentForm,
    ContactForm,
    EraseForm,
    HouseholdForm,
    HouseholdSearchForm,
    LegalHoldForm,
    LiftRestrictionForm,
    LimitationForm,
    PersonEraseForm,
    PersonForm,
    ProtectAddressForm,
    RevealForm,
)
from parcours.backoffice.views.auth import reauthenticated_at
from parcours.core import page_memo, policy
from parcours.core.forms import apply_errors
from parcours.households import selectors, services
from parcours.households.models import Address, ProtectedAddress


def search(request):
    form = HouseholdSearchForm(request.GET or None)
    page = None
    if form.is_valid() and form.cleaned_data["q"]:
        page = selectors.search_page(request.user, form.cleaned_data["q"], request.GET.get("page"))
    return render(request, "backoffice/households/search.html", {"form": form, "page": page})


def create(request):
    form = HouseholdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            household = services.create_household(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Dossier {household.reference} créé.")
            return redirect("backoffice:household-detail", pk=household.pk)
    return render(request, "backoffice/households/form.html", {"form": form, "title": "Nouveau dossier"})


def detail(request, pk: int):
    household = selectors.household_for(request.user, pk)
    page_memo.start(household)  # the panels and the timeline excerpt share their reads
    context = {
        "household": household,
        "members": list(household.members.all()),
        "can_edit": policy.can(request.user, "households.edit", household),
        "can_protect": policy.has_perm(request.user, "households.protect_address"),
        "can_reveal": policy.has_perm(request.user, "households.reveal_address"),
        # RGPD art. 15: the access file of one member (registered exporter households.subject_access)
        "can_subject_access": policy.can(request.user, "households.subject_access", household),
        "sections": household_sections(request, household),
    }
    return render(request, "backoffice/households/detail.html", context)


def household_sections(request, household) -> list[dict]:
    """Panels that other modules add to the household page (pathway, protection, workshops…)."""
    from parcours.backoffice import household_panels

    return household_panels.render_all(request, household)


def edit(request, pk: int):
    household = selectors.household_for(request.user, pk, permission="households.edit", audited=False)
    form = HouseholdForm(request.POST or None, instance=household)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_household(
                actor=request.user, household=household, **{f: form.cleaned_data[f] for f in form.Meta.fields}
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Dossier modifié.")
            return redirect("backoffice:household-detail", pk=household.pk)
    household.refresh_from_db()
    return render(
        request,
        "backoffice/households/form.html",
        {"form": form, "title": f"Modifier le dossier {household.reference}", "household": household},
    )


def person_create(request, pk: int):
    household = selectors.household_for(request.user, pk, permission="households.edit", audited=False)
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_person(actor=request.user, household=household, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Personne ajoutée au foyer.")
            return redirect("backoffice:household-detail", pk=household.pk)
    return render(
        request,
        "backoffice/households/form.html",
        {"form": form, "title": "Ajouter une personne", "household": household},
    )


def person_edit(request, pk: int):
    person = selectors.person_for(request.user, pk, permission="households.edit")
    form = PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_person(actor=request.user, person=person, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Personne modifiée.")
            return redirect("backoffice:household-detail", pk=person.household_id)
    return render(
        request,
        "backoffice/households/form.html",
        {"form": form, "title": "Modifier une personne", "household": person.household},
    )


def person_history(request, pk: int):
    """Rectification history (RGPD art. 16): who changed what, when — never a value."""
    person, rows = selectors.person_history(request.user, pk)
    return render(
        request,
        "backoffice/households/person_history.html",
        {"person": person, "household": person.household, "rows": rows},
    )


def address_edit(request, pk: int):
    person = selectors.person_for(request.user, pk, permission="households.edit")
    try:
        services.check_address_editable(request.user, person, protected=person.is_address_protected)
    except services.AddressProtected as refusal:
        messages.error(request, str(refusal))
        return redirect("backoffice:household-detail", pk=person.household_id)
    instance = Address.objects.filter(person=person).first() if not person.is_address_protected else None
    form = AddressForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.set_address(actor=request.user, person=person, **form.cleaned_data)
        messages.success(request, "Adresse enregistrée.")
        return redirect("backoffice:household-detail", pk=person.household_id)
    title = "Nouvelle adresse protégée (elle restera masquée)" if person.is_address_protected else "Adresse"
    return render(
        request,
        "backoffice/households/form.html",
        {"form": form, "title": title, "household": person.household},
    )


def address_protect(request, pk: int):
    person = selectors.person_for(request.user, pk, permission="households.protect_address")
    form = ProtectAddressForm(request.POST or None)
    address_form = (
        AddressForm(request.POST or None, prefix="real") if not hasattr(person, "address") else None
    )
    if request.method == "POST" and form.is_valid() and (address_form is None or address_form.is_valid()):
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            result = services.protect_address(
                actor=request.user,
                person=person,
                reason=reason,
                address=address_form.cleaned_data if address_form else None,
                **data,
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if isinstance(result, ProtectedAddress):
                messages.success(request, "L'adresse est protégée : l'adresse élue la remplace partout.")
            else:  # held by a domain rule (« signalement croisé »): staff may know why
                messages.warning(
                    request,
                    "Signalement croisé : cette personne est l'autre parent d'une personne exposée déjà "
                    "suivie. Rien n'est protégé pour l'instant : la demande attend la décision motivée "
                    "du travailleur social référent (volet protection du dossier).",
                )
            return redirect("backoffice:household-detail", pk=person.household_id)
    return render(
        request,
        "backoffice/households/protect.html",
        {"form": form, "address_form": address_form, "person": person, "household": person.household},
    )


def address_reveal(request, pk: int):
    """The audited reveal: a reason and a re-authentication of less than 5 minutes."""
    person = selectors.person_for(request.user, pk, permission="households.reveal_address")
    if not person.is_address_protected:
        messages.info(request, "Cette personne n'a pas d'adresse protégée.")
        return redirect("backoffice:household-detail", pk=person.household_id)
    if not services.is_recently_reauthenticated(reauthenticated_at(request)):
        return redirect(f"{reverse('backoffice:reauth')}?next={request.path}")
    form = RevealForm(request.POST or None)
    revealed = None
    if request.method == "POST" and form.is_valid():
        revealed = services.reveal_protected_address(
            actor=request.user,
            person=person,
            reason=form.cleaned_data["reason"],
            reauthenticated_at=reauthenticated_at(request),
        )
    return render(
        request,
        "backoffice/households/reveal.html",
        {"form": form, "person": person, "household": person.household, "revealed": revealed},
    )


def contact_create(request, pk: int):
    person = selectors.person_for(request.user, pk, permission="households.edit")
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.add_contact(actor=request.user, person=person, **form.cleaned_data)
        messages.success(request, "Canal de contact ajouté.")
        return redirect("backoffice:household-detail", pk=person.household_id)
    return render(
        request,
        "backoffice/households/form.html",
        {"form": form, "title": f"Canal de contact — {person.full_name}", "household": person.household},
    )


def contact_edit(request, pk: int):
    contact = selectors.contact_for(request.user, pk)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        services.update_contact(actor=request.user, contact=contact, **form.cleaned_data)
        messages.success(request, "Canal de contact modifié.")
        return redirect("backoffice:household-detail", pk=contact.person.household_id)
    return render(
        request,
        "backoffice/households/form.html",
        {"form": form, "title": "Modifier le canal de contact", "household": contact.person.household},
    )


def consent_create(request, pk: int):
    person = selectors.person_for(request.user, pk, permission="households.edit")
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.record_consent(actor=request.user, person=person, **form.cleaned_data)
        messages.success(request, "Consentement enregistré.")
        return redirect("backoffice:household-detail", pk=person.household_id)
    return render(
        request,
        "backoffice/households/form.html",
        {"form": form, "title": f"Consentement — {person.full_name}", "household": person.household},
    )


def reference_list(request):
    query = request.GET.get("q", "")
    restricted_only = request.GET.get("restreints") == "1"
    qs = selectors.household_references(request.user, query=query, restricted_only=restricted_only)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/households/reference_list.html",
        {"page": page, "q": query, "restricted_only": restricted_only},
    )


def reference(request, pk: int):
    household = selectors.household_reference_for(request.user, pk)
    context = {
        "household": household,
        # number, role and flags only (the reference view never shows a name)
        "members": household.members.select_related("processing_limited_by").order_by("pk"),
        "can_limit": policy.can(
            request.user, "households.limit_processing", household, restricted="reference"
        ),
        "can_erase": policy.can(request.user, "households.erase", household, restricted="reference"),
    }
    return render(request, "backoffice/households/reference.html", context)


def assign(request, pk: int):
    household = selectors.household_reference_for(request.user, pk)
    form = AssignForm(
        request.POST or None, staff_queryset=selectors.assignable_staff(request.user, household)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.assign_staff(actor=request.user, household=household, user=form.cleaned_data["user"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Agent affecté au dossier.")
            return redirect("backoffice:household-reference", pk=household.pk)
    return render(request, "backoffice/households/assign.html", {"form": form, "household": household})


def lift_restriction(request, pk: int):
    household = selectors.household_reference_for(request.user, pk)
    form = LiftRestrictionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.lift_restriction(
                actor=request.user, household=household, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, "Restriction levée : le dossier est de nouveau ouvert aux agents du département."
            )
            return redirect("backoffice:household-reference", pk=household.pk)
    return render(
        request, "backoffice/households/lift_restriction.html", {"form": form, "household": household}
    )


def unassign(request, pk: int):
    assignment = selectors.assignment_for(request.user, pk)
    household_pk = assignment.household_id
    services.unassign_staff(actor=request.user, assignment=assignment)
    messages.success(request, "Affectation retirée.")
    return redirect("backoffice:household-reference", pk=household_pk)


def legal_hold(request, pk: int):
    """Set or lift the legal hold (the file is kept from the retention job): a reason, audited."""
    household = selectors.household_reference_for(request.user, pk)
    form = LegalHoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_legal_hold(
                actor=request.user,
                household=household,
                hold=not household.legal_hold,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                "Gel légal posé : le dossier ne sera pas anonymisé tant qu'il est gelé."
                if household.legal_hold
                else "Gel légal levé : le dossier suit de nouveau les durées de conservation.",
            )
            return redirect("backoffice:household-reference", pk=household.pk)
    return render(request, "backoffice/households/legal_hold.html", {"form": form, "household": household})


def erase(request, pk: int):
    """Erase a file at the person's request (RGPD art. 17): refused, with why, while it is still needed."""
    household = selectors.household_reference_for(request.user, pk)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.erase_on_request(
                actor=request.user, household=household, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Dossier effacé : il ne garde plus que ses données statistiques.")
            return redirect("backoffice:household-reference", pk=household.pk)
    return render(
        request,
        "backoffice/households/erase.html",
        {
            "form": form,
            "household": household,
            "keepers": selectors.erasure_blockers(request.user, household),
        },
    )


def person_limitation(request, pk: int):
    """Set or lift one member's processing limitation (RGPD art. 18): a reason, a confirmation, audited."""
    person = selectors.person_reference_for(request.user, pk, "households.limit_processing")
    was_limited = person.processing_limited
    form = LimitationForm(request.POST or None, limited=was_limited)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_processing_limitation(
                actor=request.user, person=person, limited=not was_limited, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                "Limitation levée : les messages, les déclarations et les étapes de cette personne reprennent."
                if was_limited
                else "Traitement limité : aucun message ne partira pour cette personne, ses étapes sont en pause.",
            )
            return redirect("backoffice:household-reference", pk=person.household_id)
    return render(
        request,
        "backoffice/households/person_limitation.html",
        {"form": form, "person": person, "household": person.household, "limited": was_limited},
    )


def person_erase(request, pk: int):
    """Erase one member at her request (RGPD art. 17): refused, with why, while she is still needed."""
    person = selectors.person_reference_for(request.user, pk, "households.erase")
    form = PersonEraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.erase_person_on_request(
                actor=request.user, person=person, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, "Données de la personne effacées : seules ses données statistiques restent."
            )
            return redirect("backoffice:household-reference", pk=person.household_id)
    return render(
        request,
        "backoffice/households/person_erase.html",
        {
            "form": form,
            "person": person,
            "household": person.household,
            "keepers": selectors.person_erasure_blockers(request.user, person),
        },
    )


def contact_proposal_review(request, pk: int):
    """POST: the assigned social worker confirms (for the person she names) or rejects, with a reason."""
    proposal = selectors.contact_proposal_for(request.user, pk)
    confirm = request.POST.get("decision") == "confirmer"
    person = None
    if confirm and request.POST.get("person"):
        person = proposal.household.members.filter(pk=request.POST.get("person")).first()
        if person is None:
            messages.error(request, "Choisissez une personne de ce foyer.")
            return redirect("backoffice:household-detail", pk=proposal.household_id)
    try:
        services.review_contact_proposal(
            actor=request.user, proposal=proposal, confirm=confirm, reason=request.POST.get("reason", ""),
            person=person,
        )  # fmt: skip
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            ("Adresse enregistrée sur la fiche." if proposal.is_address else "Coordonnée ajoutée à la fiche.")
            if confirm
            else "Coordonnée écartée : elle ne sera pas utilisée.",
        )
    return redirect("backoffice:household-detail", pk=proposal.household_id)
