"""Public pages of « Parents après la séparation »: find a session, register without an account,
and manage the registration through the private link received by e-mail or SMS.

The pages never say who is registered: a repeated registration looks like a new one (the owner
of the e-mail or phone number is told instead), and private links carry no personal data.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from parcours.core import policy
from parcours.core.forms import apply_errors
from parcours.portal import fragments
from parcours.workshops import ics, links, ratelimit, selectors, services
from parcours.workshops.forms import (
    InvitationAnswerForm,
    ManageRegistrationForm,
    MoveForm,
    PublicRegistrationForm,
    SurveyForm,
)
from parcours.workshops.models import Format, Registration, Workshop
from parcours.workshops.services.invitations import sessions_for
from parcours.workshops.services.survey import ticket_for
from parcours.workshops.services.workshops import join_opens_at

logger = logging.getLogger("parcours.workshops")

OUTCOMES = {
    "confirmee": Registration.Status.CONFIRMED,
    "liste-attente": Registration.Status.WAITING,
    # Held for the Caf's review: the page never says why (it would tell who else is registered).
    "en-attente": Registration.Status.PENDING_REVIEW,
}
OUTCOME_KEYS = {status: key for key, status in OUTCOMES.items()}
HOUR, DAY = 3600, 86400


def _link_problem(request, error: links.LinkError):
    status = 410 if error.expired else 404
    return render(request, "portal/workshops/link_problem.html", {"expired": error.expired}, status=status)


def _too_many(request):
    return render(request, "portal/workshops/too_many.html", status=429)


def _within_ip_rate(request, scope: str) -> bool:
    return ratelimit.hit(
        scope, ratelimit.client_ip(request), limit=settings.PARCOURS_WORKSHOP_RATE_PER_IP_HOUR, period=HOUR
    )


# --- finding a session -------------------------------------------------------------------------------


def index(request):
    return render(request, "portal/workshops/index.html", {"departments": selectors.public_departments()})


@csrf_exempt
def department(request, code: str):
    """Upcoming sessions; sorted by distance from a postal code when one is typed.

    The postal code comes by POST, never in the address: on a shared device, the browser's history
    must not tell where the parent lives. That POST only reads (nothing to forge), so it needs no
    CSRF token, and the list page keeps setting no cookie at all.
    """
    dep = selectors.public_department(code)
    params = request.POST if request.method == "POST" else request.GET
    format_ = params.get("format", "")
    format_ = format_ if format_ in Format.values else ""
    workshops = list(selectors.public_workshops(dep, format=format_))
    now = timezone.now()
    for workshop in workshops:  # each row's cached part, and what the clock says of it now
        workshop.fragment_key = fragments.workshop_key(workshop)
        workshop.open_now = workshop.registration_open(now)
    context = {"department": dep, "format": format_, "formats": Format.choices, "workshops": workshops}
    postal_code = (request.POST.get("code_postal") or "").strip() if request.method == "POST" else ""
    if postal_code:
        context["postal_code"] = postal_code
        if len(postal_code) != 5 or not postal_code.isdigit():
            context["postal_code_error"] = "Le code postal compte 5 chiffres, par exemple 92000."
        else:
            nearby = selectors.workshops_by_distance(workshops, postal_code)
            if nearby is None:
                context["postal_code_error"] = (
                    f"Nous ne savons pas situer le code postal {postal_code} : "
                    "les séances restent classées par date."
                )
            else:
                context["nearby"] = nearby
    return render(request, "portal/workshops/department.html", context)


def detail(request, code: str, pk: int):
    workshop = selectors.public_workshop(code, pk)
    return render(request, "portal/workshops/detail.html", {"workshop": workshop})


# --- registering -------------------------------------------------------------------------------------


def register(request, code: str, pk: int):
    workshop = selectors.public_workshop(code, pk)
    if not workshop.registration_open():
        return render(request, "portal/workshops/detail.html", {"workshop": workshop, "closed": True})
    if request.method != "POST" and not len(messages.get_messages(request)):
        return HttpResponse(_empty_form_page(request, workshop))
    form = PublicRegistrationForm(request.POST or None, workshop=workshop)
    if request.method == "POST":
        valid = form.is_valid()
        data = form.cleaned_data if valid else {}
        # Every POST counts against the address; a complete one (not a robot's) against its contact
        # too, in the same statement.
        checks = [
            (
                "workshop-register",
                ratelimit.client_ip(request),
                settings.PARCOURS_WORKSHOP_RATE_PER_IP_HOUR,
                HOUR,
            )
        ]
        if valid and not data.get("site_web"):
            checks.append(
                (
                    "workshop-contact",
                    data["contact_value"],
                    settings.PARCOURS_WORKSHOP_RATE_PER_CONTACT_DAY,
                    DAY,
                )
            )
        if not ratelimit.hit_all(checks):
            return _too_many(request)
        if valid:
            outcome_key = "confirmee" if workshop.seats_left >= data["party_size"] else "liste-attente"
            if data.get("site_web"):
                # A robot filled in the hidden field: it gets the usual answer and nothing is recorded.
                logger.info("Inscription refusée (champ piège rempli) pour la séance %s", workshop.pk)
                return redirect("portal:workshop-registered", code=code, pk=pk, outcome=outcome_key)
            try:
                outcome = services.register(
                    actor=policy.THE_PUBLIC,
                    workshop=workshop,
                    first_name=data["first_name"],
                    party_size=data["party_size"],
                    accessibility_needs=data["accessibility_needs"],
                    contact_kind=data["contact_kind"],
                    contact_value=data["contact_value"],
                    last_name=data.get("last_name", ""),
                    birth_date=data.get("birth_date"),
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                key = OUTCOME_KEYS.get(outcome.shown_status, "liste-attente")
                return redirect("portal:workshop-registered", code=code, pk=pk, outcome=key)
    return render(request, "portal/workshops/register.html", _register_context(workshop, form))


def _register_context(workshop, form) -> dict:
    return {
        "workshop": workshop,
        "form": form,
        "form_key": fragments.form_key(workshop),
        "summary_key": fragments.workshop_key(workshop),
    }


def _empty_form_page(request, workshop) -> str:
    """The form's page as every visitor of the session sees it, rendered once per process and
    session version (portal.fragments.page); this visitor's CSRF token and the seats left now
    are filled into its holes. A visitor with a message waiting gets the page rendered for her."""

    def render_once() -> str:
        context = _register_context(workshop, PublicRegistrationForm(workshop=workshop))
        context.update(csrf_token=fragments.CSRF_HOLE, seats_hole=fragments.SEATS_HOLE, messages=())
        return render_to_string("portal/workshops/register.html", context, request)

    html = fragments.page(fragments.page_key("register", workshop), render_once)
    seats = fragments.seats_text(workshop)
    return html.replace(fragments.CSRF_HOLE, get_token(request)).replace(fragments.SEATS_HOLE, seats)


def registered(request, code: str, pk: int, outcome: str):
    """Where every registration lands. The page shows nothing of the visitor (the outcome is in the
    address): like the form's, it is rendered once per process, session version and outcome
    (portal.fragments.page), but for a visitor with a message waiting, who gets hers."""
    if outcome not in OUTCOMES:
        raise Http404
    workshop = selectors.public_workshop(code, pk)
    context = {
        "workshop": workshop,
        "confirmed": OUTCOMES[outcome] == Registration.Status.CONFIRMED,
        "pending_review": OUTCOMES[outcome] == Registration.Status.PENDING_REVIEW,
        "offer_hours": settings.PARCOURS_WORKSHOP_OFFER_HOURS,
    }
    if len(messages.get_messages(request)):
        return render(request, "portal/workshops/registered.html", context)

    def render_once() -> str:
        return render_to_string("portal/workshops/registered.html", {**context, "messages": ()}, request)

    key = fragments.page_key(f"registered:{outcome}:{settings.PARCOURS_WORKSHOP_OFFER_HOURS}", workshop)
    return HttpResponse(fragments.page(key, render_once))


# --- the private link --------------------------------------------------------------------------------


def _registration(token: str) -> Registration:
    return links.read_registration_token(token)


def manage(request, token: str):
    try:
        registration = _registration(token)
    except links.LinkError as error:
        return _link_problem(request, error)
    workshop = registration.workshop
    form = None
    if (
        registration.is_active
        and registration.status != Registration.Status.OFFERED
        and not workshop.is_past()
    ):
        form = ManageRegistrationForm(
            request.POST or None,
            workshop=workshop,
            initial={
                "party_size": registration.party_size,
                "accessibility_needs": registration.accessibility_needs,
            },
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.update_registration(
                    actor=policy.LinkHolder(registration=registration),
                    registration=registration,
                    party_size=form.cleaned_data["party_size"],
                    accessibility_needs=form.cleaned_data["accessibility_needs"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                return render(
                    request,
                    "portal/workshops/manage.html",
                    _manage_context(registration, token, form=None, saved=True),
                )
    elif request.method == "POST":
        return HttpResponseRedirect(request.path)
    return render(request, "portal/workshops/manage.html", _manage_context(registration, token, form=form))


def _manage_context(registration: Registration, token: str, *, form, saved: bool = False) -> dict:
    registration.refresh_from_db()
    workshop = Workshop.objects.select_related("department", "venue").get(pk=registration.workshop_id)
    registration.workshop = workshop
    from django.utils import timezone

    now = timezone.now()
    return {
        "registration": registration,
        "workshop": workshop,
        "token": token,
        "form": form,
        "saved": saved,
        "can_join": registration.status == Registration.Status.CONFIRMED
        and workshop.is_online
        and workshop.status == Workshop.Status.PUBLISHED
        and join_opens_at(workshop) <= now < workshop.ends_at,
        "join_opens_at": join_opens_at(workshop),
    }


def cancel(request, token: str):
    try:
        registration = _registration(token)
    except links.LinkError as error:
        return _link_problem(request, error)
    error_message = ""
    if request.method == "POST":
        try:
            services.cancel_registration(
                actor=policy.LinkHolder(registration=registration),
                registration=registration,
                reason="Annulée par la personne",
            )
        except ValidationError as error:
            error_message = " ".join(error.messages)
        else:
            return redirect("portal:registration-manage", token=token)
    return render(
        request,
        "portal/workshops/cancel.html",
        {
            "registration": registration,
            "workshop": registration.workshop,
            "token": token,
            "error": error_message,
        },
    )


def move(request, token: str):
    try:
        registration = _registration(token)
    except links.LinkError as error:
        return _link_problem(request, error)
    if not registration.is_active:
        return redirect("portal:registration-manage", token=token)
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
                actor=policy.LinkHolder(registration=registration),
                registration=registration,
                target=form.cleaned_data["workshop"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect(
                "portal:registration-manage", token=links.registration_token(outcome.registration)
            )
    return render(
        request,
        "portal/workshops/move.html",
        {"registration": registration, "workshop": registration.workshop, "token": token, "form": form},
    )


def offer(request, token: str):
    try:
        registration = _registration(token)
    except links.LinkError as error:
        return _link_problem(request, error)
    error_message = ""
    if request.method == "POST":
        holder = policy.LinkHolder(registration=registration)
        try:
            if request.POST.get("reponse") == "accepter":
                services.accept_offer(actor=holder, registration=registration)
            elif request.POST.get("reponse") == "refuser":
                services.decline_offer(actor=holder, registration=registration)
            else:
                raise ValidationError("Choisissez d'accepter ou de refuser la place.")
        except ValidationError as error:
            error_message = " ".join(error.messages)
        else:
            return redirect("portal:registration-manage", token=token)
    return render(
        request,
        "portal/workshops/offer.html",
        {
            "registration": registration,
            "workshop": registration.workshop,
            "token": token,
            "error": error_message,
        },
    )


def calendar(request, token: str):
    try:
        registration = _registration(token)
    except links.LinkError as error:
        return _link_problem(request, error)
    content = ics.registration_calendar(
        registration,
        manage_url=links.absolute(reverse("portal:registration-manage", kwargs={"token": token})),
        neutral=ics.needs_neutral_wording(registration),
    )
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="seance-caf.ics"'
    return response


def join(request, token: str):
    try:
        registration = _registration(token)
    except links.LinkError as error:
        return _link_problem(request, error)
    try:
        url = services.join_room(
            actor=policy.LinkHolder(registration=registration), registration=registration
        )
    except ValidationError as error:
        return render(
            request,
            "portal/workshops/join_closed.html",
            {
                "registration": registration,
                "workshop": registration.workshop,
                "token": token,
                "message": " ".join(error.messages),
            },
            status=403,
        )
    return HttpResponseRedirect(url)


# --- invitations and survey --------------------------------------------------------------------------


def invitation(request, token: str):
    try:
        invitation = links.read_invitation_token(token)
    except links.LinkError as error:
        return _link_problem(request, error)
    if not invitation.is_open():
        if invitation.registration_id:
            return redirect(
                "portal:registration-manage", token=links.registration_token(invitation.registration)
            )
        return render(
            request, "portal/workshops/invitation_closed.html", {"invitation": invitation}, status=410
        )
    sessions = sessions_for(invitation)
    form = InvitationAnswerForm(request.POST or None, workshops=sessions)
    if request.method == "POST":
        if not _within_ip_rate(request, "invitation-answer"):
            return _too_many(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                outcome = services.answer_invitation(
                    actor=policy.LinkHolder(invitation=invitation),
                    invitation=invitation,
                    workshop=data["workshop"],
                    party_size=data["party_size"],
                    accessibility_needs=data["accessibility_needs"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                return redirect(
                    "portal:registration-manage", token=links.registration_token(outcome.registration)
                )
    return render(
        request,
        "portal/workshops/invitation.html",
        {"invitation": invitation, "sessions": sessions, "form": form, "token": token},
    )


def invitation_decline(request, token: str):
    try:
        invitation = links.read_invitation_token(token)
    except links.LinkError as error:
        return _link_problem(request, error)
    done = False
    error_message = ""
    if request.method == "POST":
        try:
            services.decline_invitation(actor=policy.LinkHolder(invitation=invitation), invitation=invitation)
        except ValidationError as error:
            error_message = " ".join(error.messages)
        else:
            done = True
    return render(
        request,
        "portal/workshops/invitation_decline.html",
        {"invitation": invitation, "token": token, "done": done, "error": error_message},
    )


def survey(request, token: str):
    ticket = ticket_for(token)
    if ticket is None:
        return _link_problem(request, links.LinkError())
    form = SurveyForm(request.POST or None)
    done = False
    if request.method == "POST":
        if not _within_ip_rate(request, "survey"):
            return _too_many(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.submit_survey(
                    token=token,
                    answers={k: data[k] for k in form.fields if k != "comment"},
                    comment=data["comment"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                done = True
    return render(
        request,
        "portal/workshops/survey.html",
        {"form": form, "ticket": ticket, "workshop": ticket.workshop, "done": done},
    )
