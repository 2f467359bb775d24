"""Staff pages of « Parents après la séparation »: sessions, registrations, attendance, exports,
invitations, webinar rooms and the comparison of formats. Thin: selectors read, services write."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from parcours.core import policy
from parcours.core.forms import apply_errors
from parcours.households import selectors as household_selectors
from parcours.pathways import selectors as pathway_selectors
from parcours.pathways.models import StepKind
from parcours.workshops import charts, integrations, selectors, services
from parcours.workshops.forms import (
    AttendanceForm,
    CancelForm,
    CancelWorkshopForm,
    ComparisonForm,
    FacilitatorsForm,
    MoveForm,
    PersonRegistrationForm,
    RegistrantForm,
    SeriesForm,
    VenueForm,
    WebinarServerForm,
    WorkshopForm,
)
from parcours.workshops.models import Format, Registration, RoomKind, Workshop
from parcours.workshops.services.invitations import upcoming_open


def _fail(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _back(workshop: Workshop) -> HttpResponseRedirect:
    return redirect("backoffice:workshop-detail", pk=workshop.pk)


# --- sessions ---------------------------------------------------------------------------------------


def workshop_list(request):
    period = "past" if request.GET.get("periode") == "passees" else "upcoming"
    format_ = request.GET.get("format", "")
    format_ = format_ if format_ in Format.values else ""
    qs = selectors.workshop_list(request.user, period=period, format=format_)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/workshops/list.html",
        {
            "page": page,
            "period": period,
            "format": format_,
            "formats": Format.choices,
            "can_manage": policy.has_perm(request.user, "workshops.manage"),
        },
    )


def _holiday_warning(request, form, title: str, warning, **context):
    """The form again, with the public-holiday warning and its confirmation (nothing written yet)."""
    data = form.data.copy()
    data["holiday_confirmed"] = "on"
    confirming = form.__class__(data, instance=getattr(form, "instance", None), department=form.department)
    confirming.is_valid()
    return render(
        request,
        "backoffice/workshops/form.html",
        {"form": confirming, "title": title, "holiday_warning": warning.message, **context},
    )


def workshop_create(request):
    department = request.user.department
    form = WorkshopForm(request.POST or None, department=department)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            workshop = services.create_workshop(
                actor=request.user,
                publish=data["publish"],
                holiday_confirmed=data["holiday_confirmed"],
                **{
                    f: data[f]
                    for f in (
                        "title",
                        "format",
                        "venue",
                        "duration_minutes",
                        "capacity",
                        "languages",
                        "public_notes",
                        "room_url",
                        "starts_at",
                        "registration_deadline",
                    )
                },
            )
        except services.HolidayToConfirm as warning:
            return _holiday_warning(request, form, "Nouvelle séance", warning)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Séance créée.")
            return _back(workshop)
    return render(request, "backoffice/workshops/form.html", {"form": form, "title": "Nouvelle séance"})


def workshop_detail(request, pk: int):
    workshop = selectors.workshop_for(request.user, pk)
    user = request.user
    roster = selectors.roster(request.user, workshop)
    context = {
        "workshop": workshop,
        "roster": roster,
        "counts": selectors.workshop_counts(request.user, workshop),
        "facilitations": selectors.facilitations(request.user, workshop),
        "can_manage": policy.can(user, "workshops.manage", workshop, restricted="reference"),
        "can_attendance": policy.can(user, "workshops.attendance", workshop, restricted="reference"),
        "can_register": policy.can(user, "workshops.register", workshop, restricted="reference"),
        "can_export": policy.can(user, "workshops.export", workshop, restricted="reference"),
        "visible_registrations": set(
            selectors.registrations_visible_to(user).filter(workshop=workshop).values_list("pk", flat=True)
        )
        if policy.has_perm(user, "workshops.register")
        else set(),
        "now": timezone.now(),
        "room_kinds": RoomKind,
    }
    return render(request, "backoffice/workshops/detail.html", context)


def workshop_edit(request, pk: int):
    workshop = selectors.workshop_for(request.user, pk, "workshops.manage")
    form = WorkshopForm(request.POST or None, instance=workshop, department=workshop.department)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_workshop(
                actor=request.user,
                workshop=Workshop.objects.get(pk=workshop.pk),
                holiday_confirmed=data["holiday_confirmed"],
                **{
                    f: data[f]
                    for f in (
                        "title",
                        "format",
                        "venue",
                        "duration_minutes",
                        "capacity",
                        "languages",
                        "public_notes",
                        "room_url",
                        "starts_at",
                        "registration_deadline",
                    )
                },
            )
        except services.HolidayToConfirm as warning:
            return _holiday_warning(request, form, "Modifier la séance", warning, workshop=workshop)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                "Séance modifiée. Les personnes inscrites sont prévenues si la date, l'heure ou le lieu a changé.",
            )
            return _back(workshop)
    return render(
        request,
        "backoffice/workshops/form.html",
        {"form": form, "title": "Modifier la séance", "workshop": workshop},
    )


@require_POST
def workshop_publish(request, pk: int):
    workshop = selectors.workshop_for(request.user, pk, "workshops.manage")
    try:
        services.publish_workshop(actor=request.user, workshop=workshop)
    except ValidationError as error:
        _fail(request, error)
    else:
        messages.success(request, "La séance est publiée sur la page publique.")
    return _back(workshop)


def workshop_cancel(request, pk: int):
    workshop = selectors.workshop_for(request.user, pk, "workshops.manage")
    form = CancelWorkshopForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel_workshop(
                actor=request.user, workshop=workshop, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Séance annulée ; chaque personne inscrite est prévenue.")
            return _back(workshop)
    return render(request, "backoffice/workshops/cancel.html", {"form": form, "workshop": workshop})


def workshop_facilitators(request, pk: int):
    workshop = selectors.workshop_for(request.user, pk, "workshops.manage")
    current = {f.user_id: f.role for f in selectors.facilitations(request.user, workshop)}
    form = FacilitatorsForm(
        request.POST or None, candidates=selectors.facilitator_candidates(workshop), current=current
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_facilitators(actor=request.user, workshop=workshop, facilitators=form.chosen())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Animateurs enregistrés.")
            return _back(workshop)
    return render(
        request,
        "backoffice/workshops/simple_form.html",
        {"form": form, "workshop": workshop, "title": "Animateurs de la séance", "submit": "Enregistrer"},
    )


@require_POST
def workshop_room(request, pk: int):
    workshop = selectors.workshop_for(request.user, pk, "workshops.manage")
    try:
        services.create_room(actor=request.user, workshop=workshop)
    except ValidationError as error:
        _fail(request, error)
    else:
        messages.success(
            request, "Salle BigBlueButton créée : le lien ne sera donné qu'aux personnes inscrites."
        )
    return _back(workshop)


@require_POST
def workshop_room_join(request, pk: int):
    workshop = selectors.workshop_for(request.user, pk, "workshops.attendance")
    try:
        url = services.join_room(actor=request.user, workshop=workshop)
    except ValidationError as error:
        _fail(request, error)
        return _back(workshop)
    return HttpResponseRedirect(url)


@require_POST
def workshop_room_attendance(request, pk: int):
    workshop = selectors.workshop_for(request.user, pk, "workshops.attendance")
    try:
        marked = services.fill_attendance_from_room(actor=request.user, workshop=workshop)
    except ValidationError as error:
        _fail(request, error)
    else:
        messages.success(request, f"{marked} participant(s) marqué(s) présent(s) d'après la visioconférence.")
    return redirect("backoffice:workshop-attendance", pk=workshop.pk)


def workshop_attendance(request, pk: int):
    workshop = selectors.workshop_for(request.user, pk, "workshops.attendance")
    registrations = [
        r for r in selectors.roster(request.user, workshop) if r.status == Registration.Status.CONFIRMED
    ]
    form = AttendanceForm(request.POST or None, registrations=registrations)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_attendance(actor=request.user, workshop=workshop, marks=form.marks())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Présences enregistrées.")
            return redirect("backoffice:workshop-attendance", pk=workshop.pk)
    return render(
        request,
        "backoffice/workshops/attendance.html",
        {"form": form, "workshop": workshop, "registrations": registrations, "room_kinds": RoomKind},
    )


@require_POST
def workshop_close(request, pk: int):
    workshop = selectors.workshop_for(request.user, pk, "workshops.attendance")
    try:
        services.close_workshop(actor=request.user, workshop=workshop)
    except ValidationError as error:
        _fail(request, error)
        return redirect("backoffice:workshop-attendance", pk=workshop.pk)
    messages.success(
        request, "Séance clôturée ; l'enquête de satisfaction est envoyée aux personnes présentes."
    )
    return _back(workshop)


def workshop_register(request, pk: int):
    """A walk-in or a phone call: staff register someone with their own contact (no household)."""
    workshop = selectors.workshop_for(request.user, pk, "workshops.register")
    form = RegistrantForm(request.POST or None, workshop=workshop)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = services.register(
                actor=request.user,
                workshop=workshop,
                first_name=data["first_name"],
                party_size=data["party_size"],
                accessibility_needs=data["accessibility_needs"],
                contact_kind=data["contact_kind"],
                contact_value=data["contact_value"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if not outcome.created:
                messages.info(
                    request,
                    "Cette personne était déjà inscrite : un rappel de son inscription lui est envoyé.",
                )
            elif outcome.registration.status == Registration.Status.CONFIRMED:
                messages.success(request, "Inscription confirmée ; la confirmation est envoyée.")
            else:
                messages.warning(
                    request, "La séance est complète : la personne est inscrite sur la liste d'attente."
                )
            return _back(workshop)
    return render(
        request,
        "backoffice/workshops/simple_form.html",
        {"form": form, "workshop": workshop, "title": "Inscrire une personne", "submit": "Inscrire"},
    )


# --- registrations ----------------------------------------------------------------------------------


def registration_detail(request, pk: int):
    registration = selectors.registration_for(request.user, pk)
    return render(
        request,
        "backoffice/workshops/registration.html",
        {"registration": registration, "workshop": registration.workshop, "cancel_form": CancelForm()},
    )


@require_POST
def registration_cancel(request, pk: int):
    registration = selectors.registration_for(request.user, pk)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.cancel_registration(
            actor=request.user, registration=registration, reason=reason or "Annulée par la Caf"
        )
    except ValidationError as error:
        _fail(request, error)
    else:
        messages.success(
            request, "Inscription annulée ; si une place se libère, elle est proposée à la personne suivante."
        )
    return redirect("backoffice:registration-detail", pk=registration.pk)


@require_POST
def registration_review(request, pk: int):
    """A registration held because it would put both parents of a protected family in one session."""
    registration = selectors.registration_for(request.user, pk)
    confirm = request.POST.get("decision") == "confirmer"
    try:
        services.review_held_registration(
            actor=request.user,
            registration=registration,
            confirm=confirm,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as error:
        _fail(request, error)
    else:
        messages.success(request, "Inscription confirmée." if confirm else "Inscription annulée.")
    return redirect("backoffice:registration-detail", pk=registration.pk)


def registration_move(request, pk: int):
    registration = selectors.registration_for(request.user, pk)
    choices = selectors.open_workshops(registration.workshop.department, exclude_pk=registration.workshop_id)
    # Never offer the other parent's session (the one selector, one query for every choice).
    conflicts = selectors.other_parent_sessions(
        [w.pk for w in choices], **registration.identity(), exclude_pk=registration.pk
    )
    choices = choices.exclude(pk__in=conflicts)
    form = MoveForm(request.POST or None, workshops=choices)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.move_registration(
                actor=request.user, registration=registration, target=form.cleaned_data["workshop"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Inscription déplacée vers la nouvelle séance.")
            return redirect("backoffice:registration-detail", pk=outcome.registration.pk)
    return render(
        request,
        "backoffice/workshops/simple_form.html",
        {"form": form, "workshop": registration.workshop, "title": "Changer de séance", "submit": "Déplacer"},
    )


def person_register(request, pk: int):
    """Register a parent of a household (messages then use that person's safe channel)."""
    person = selectors.person_registrable(request.user, pk)
    household = person.household
    choices = upcoming_open(household.department)
    form = PersonRegistrationForm(request.POST or None, workshops=list(choices))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = services.register(
                actor=request.user,
                workshop=data["workshop"],
                person=person,
                party_size=data["party_size"],
                accessibility_needs=data["accessibility_needs"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            status = outcome.registration.get_status_display().lower()
            messages.success(request, f"{person.full_name} : {status}.")
            return redirect("backoffice:household-detail", pk=household.pk)
    return render(
        request,
        "backoffice/workshops/simple_form.html",
        {
            "form": form,
            "household": household,
            "title": f"Inscrire {person.full_name} à une séance",
            "submit": "Inscrire",
            "violence": integrations.violence_reported(household),
        },
    )


# --- invitations ------------------------------------------------------------------------------------


@require_POST
def household_invite(request, pk: int):
    household = household_selectors.household_for(
        request.user, pk, permission="workshops.invite", audited=False
    )
    try:
        result = services.invite_household(actor=request.user, household=household)
    except ValidationError as error:
        _fail(request, error)
    else:
        _report_invitations(request, result)
    return redirect("backoffice:household-detail", pk=household.pk)


def _report_invitations(request, result) -> None:
    if result.invitations:
        messages.success(request, f"{len(result.invitations)} invitation(s) envoyée(s).")
    for person, reason in result.skipped:
        messages.warning(request, f"{person.full_name} n'est pas invité(e) : {reason}.")


STEPS_PER_PAGE = 50


class InvitationStepFilter(forms.Form):
    due_by = forms.DateField(
        label="Échéance au plus tard le", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(label="Numéro de dossier", required=False, max_length=20)
    postal_code = forms.CharField(
        label="Code postal de la famille",
        required=False,
        max_length=5,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 6}),
    )

    def clean_postal_code(self):
        value = self.cleaned_data["postal_code"].strip()
        if value and not (len(value) == 5 and value.isdigit()):
            raise forms.ValidationError("Le code postal compte 5 chiffres.")
        return value


def invitation_list(request):
    if request.method == "POST":
        outcome = services.invite_households(actor=request.user, step_ids=request.POST.getlist("step"))
        for person, reason in outcome.skipped:
            messages.warning(request, f"{person.full_name} n'est pas invité(e) : {reason}.")
        if outcome.error is not None:
            _fail(request, outcome.error)
        messages.success(request, f"{outcome.sent} invitation(s) envoyée(s).")
        return redirect("backoffice:invitation-list")
    # Both lists are bounded and filtered in the database: a department has tens of thousands of
    # pathways (one page of 40,000 rows took 191 s).
    filters = InvitationStepFilter(request.GET or None)
    valid = filters.is_valid()
    due_by = filters.cleaned_data.get("due_by") if valid else None
    postal_code = filters.cleaned_data.get("postal_code", "") if valid else ""
    steps = pathway_selectors.due_steps(
        request.user, StepKind.WORKSHOP_INVITATION, due_by=due_by, postal_code=postal_code
    )
    if filters.is_valid() and filters.cleaned_data.get("reference"):
        steps = steps.filter(
            household__file_number__icontains=filters.cleaned_data["reference"].split("-")[-1]
        )
    steps_page = Paginator(steps, STEPS_PER_PAGE).get_page(request.GET.get("etapes"))
    invitations = selectors.invitations_visible_to(request.user).order_by("-sent_at")
    page = Paginator(invitations, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/workshops/invitations.html",
        {"steps_page": steps_page, "filters": filters, "page": page, "now": timezone.now()},
    )


@require_POST
def invitation_cancel(request, pk: int):
    invitation = selectors.invitation_for(request.user, pk)
    try:
        services.cancel_invitation(actor=request.user, invitation=invitation, reason="Retirée par la Caf")
    except ValidationError as error:
        _fail(request, error)
    else:
        messages.success(request, "Invitation retirée : son lien ne fonctionne plus.")
    return redirect("backoffice:household-detail", pk=invitation.household_id)


# --- series, places, video server -------------------------------------------------------------------


def series_create(request):
    form = SeriesForm(request.POST or None, department=request.user.department)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        publish = data.pop("publish")
        try:
            series, workshops = services.create_series(actor=request.user, publish=publish, **data)
        except services.HolidayToConfirm as warning:
            return _holiday_warning(request, form, "Nouvelle série de séances", warning)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Série créée : {len(workshops)} séance(s).")
            return redirect("backoffice:series-detail", pk=series.pk)
    return render(
        request, "backoffice/workshops/form.html", {"form": form, "title": "Nouvelle série de séances"}
    )


def series_detail(request, pk: int):
    series = selectors.series_for(request.user, pk)
    workshops = selectors.workshops_visible_to(request.user).filter(series=series).order_by("starts_at")
    return render(
        request,
        "backoffice/workshops/series.html",
        {
            "series": series,
            "workshops": workshops,
            "can_manage": policy.has_perm(request.user, "workshops.manage"),
        },
    )


@require_POST
def series_publish(request, pk: int):
    series = selectors.series_for(request.user, pk)
    outcome = services.publish_series(actor=request.user, series=series)
    for _workshop, error in outcome.refused:
        _fail(request, error)
    published = len(outcome.published)
    messages.success(request, f"{published} séance(s) publiée(s).")
    return redirect("backoffice:series-detail", pk=series.pk)


def venue_list(request):
    venues = selectors.venues_for(request.user).order_by("-is_active", "city", "name")
    return render(request, "backoffice/workshops/venues.html", {"venues": venues})


def venue_create(request):
    form = VenueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_venue(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Lieu enregistré.")
            return redirect("backoffice:venue-list")
    return render(request, "backoffice/workshops/form.html", {"form": form, "title": "Nouveau lieu"})


def venue_edit(request, pk: int):
    venue = selectors.venue_for(request.user, pk)
    form = VenueForm(request.POST or None, instance=venue)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_venue(actor=request.user, venue=venue, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Lieu modifié.")
            return redirect("backoffice:venue-list")
    return render(
        request, "backoffice/workshops/form.html", {"form": form, "title": f"Modifier le lieu {venue.name}"}
    )


def webinar_server(request):
    server = selectors.webinar_server_for(request.user)
    form = WebinarServerForm(request.POST or None, instance=server)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.configure_webinar_server(
                actor=request.user,
                api_url=data["api_url"],
                algorithm=data["algorithm"],
                enabled=data["enabled"],
                secret=data["secret"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Serveur de visioconférence enregistré.")
            return redirect("backoffice:webinar-server")
    return render(
        request,
        "backoffice/workshops/simple_form.html",
        {
            "form": form,
            "title": "Serveur de visioconférence (BigBlueButton)",
            "submit": "Enregistrer",
            "intro": "Les webinaires du département utilisent ce serveur : Parcours y crée les salles et "
            "donne aux seules personnes inscrites un lien de connexion signé.",
        },
    )


# --- comparison -------------------------------------------------------------------------------------


def comparison(request):
    departments = selectors.comparison_departments(request.user)
    today = timezone.localdate()
    initial = {
        "department": departments.first(),
        "start": date(today.year - 1, today.month, 1),
        "end": today,
    }
    # Missing parameters take their defaults: the page shows the last twelve months at once.
    data = {
        "department": request.GET.get("department")
        or (initial["department"].pk if initial["department"] else ""),
        "start": request.GET.get("start") or initial["start"].isoformat(),
        "end": request.GET.get("end") or initial["end"].isoformat(),
    }
    form = ComparisonForm(data, departments=departments)
    result = None
    if form.is_valid():
        params = form.cleaned_data
        result = selectors.comparison(
            request.user, department=params["department"], start=params["start"], end=params["end"]
        )
    return render(
        request,
        "backoffice/workshops/comparison.html",
        {"form": form, "result": result, "charts": charts.comparison_charts(result) if result else None},
    )
