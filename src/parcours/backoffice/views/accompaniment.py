"""Staff pages of the MAP module under /gestion/accompagnement/.

Thin: selectors read and scope (organisation: its measures; accompanist: their handovers and the places
they need, nothing else; social worker: the measures they refer; pilot: figures), services write.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from parcours.accompaniment import ics, selectors, services
from parcours.accompaniment.models import Accompanist, Handover, JudgeReport, Measure
from parcours.backoffice.forms_accompaniment import (
    AnswerForm,
    AssignForm,
    ConventionForm,
    EndForm,
    GenerateForm,
    HolidaysForm,
    MoveForm,
    OrderForm,
    OutcomeForm,
    PlaceForm,
    PrisonSlotsForm,
    ReferForm,
    ReportForm,
)
from parcours.core import exports, policy
from parcours.core.forms import apply_errors
from parcours.households import selectors as household_selectors


def _page(request, template: str, context: dict):
    return render(request, f"backoffice/accompaniment/{template}", context)


# --- measures -----------------------------------------------------------------------------------


def measure_list(request):
    measures = selectors.measures_for(request.user)
    status = request.GET.get("etat", "")
    if status in Measure.Status.values:
        measures = measures.filter(status=status)
    return _page(
        request,
        "list.html",
        {"measures": measures[:200], "status": status, "statuses": Measure.Status.choices},
    )


def record(request, pk: int):
    household = household_selectors.household_for(
        request.user, pk, permission="accompaniment.record_order", audited=False
    )
    form = OrderForm(request.POST or None, request.FILES or None, household=household)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            measure = services.record_order(
                actor=request.user,
                household=household,
                residential_parent=data["residential_parent"],
                visiting_parent=data["visiting_parent"],
                children=list(data["children"]),
                values={f: data[f] for f in OrderForm.Meta.fields},
                order_file=data.get("order_upload"),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, "Ordonnance enregistrée. Orientez maintenant la mesure vers une organisation."
            )
            return redirect("backoffice:map-measure", pk=measure.pk)
    return _page(request, "order_form.html", {"form": form, "household": household})


def measure_detail(request, pk: int):
    measure = selectors.measure_for(request.user, pk)
    user = request.user
    handovers = selectors.handovers_of_measure(request.user, measure)
    is_org = policy.can(user, "accompaniment.manage", measure)
    context = {
        "measure": measure,
        "children": list(measure.children.all()),
        "handovers": handovers.order_by("from_at")[:400],
        "incidents": selectors.incidents_of(user, measure),
        "missed": selectors.missed_by_parent(request.user, measure),
        "reports": measure.reports.all(),
        "exclusions": measure.exclusions.all(),
        "places": measure.places.all() if is_org else [],
        "is_org": is_org,
        "is_referent": policy.can(user, "accompaniment.record_order", measure),
        "refer_form": ReferForm(organisations=selectors.map_organisations(user)),
        "answer_form": AnswerForm(),
        "place_form": PlaceForm(),
        "generate_form": GenerateForm(places=measure.places.all()),
        "assign_form": AssignForm(
            accompanists=selectors.accompanists_of(request.user, measure),
            handovers=handovers.filter(outcome="planned"),
        ),
        "report_form": ReportForm(
            initial={
                "period_start": measure.starts_on,
                "period_end": measure.household.department.local_today(),
            }
        ),
        "report_export": exports.get("accompaniment.judge_report"),
    }
    return _page(request, "measure.html", context)


def _measure(request, pk, permission):
    return selectors.measure_for(request.user, pk, permission=permission)


def _done(request, measure, text=""):
    if text:
        messages.success(request, text)
    return redirect("backoffice:map-measure", pk=measure.pk)


def _errors(request, error: ValidationError | None = None, form=None):
    texts = []
    if error is not None:
        texts = [str(m) for m in error.messages]
    elif form is not None:
        texts = [
            f"{form.fields[f].label if f in form.fields else ''} : {' '.join(e)}".strip(" :")
            for f, e in form.errors.items()
        ]
    for text in texts or ["Formulaire incomplet."]:
        messages.error(request, text)


def refer(request, pk: int):
    measure = _measure(request, pk, "accompaniment.record_order")
    form = ReferForm(request.POST, organisations=selectors.map_organisations(request.user))
    if form.is_valid():
        try:
            services.refer(
                actor=request.user, measure=measure, map_organisation=form.cleaned_data["map_organisation"]
            )
            return _done(request, measure, "Mesure orientée ; l'organisation va répondre.")
        except ValidationError as error:
            _errors(request, error)
    else:
        _errors(request, form=form)
    return _done(request, measure)


def answer(request, pk: int):
    measure = _measure(request, pk, "accompaniment.manage")
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.answer_referral(
                actor=request.user,
                measure=measure,
                accept=form.cleaned_data["accept"],
                reason=form.cleaned_data["reason"],
            )
            return _done(request, measure, "Réponse enregistrée.")
        except ValidationError as error:
            _errors(request, error)
    else:
        _errors(request, form=form)
    return _done(request, measure)


def places(request, pk: int):
    measure = _measure(request, pk, "accompaniment.manage")
    form = PlaceForm(request.POST)
    if form.is_valid():
        try:
            services.add_place(actor=request.user, measure=measure, **form.cleaned_data)
            return _done(request, measure, "Lieu ajouté.")
        except ValidationError as error:
            _errors(request, error)
    else:
        _errors(request, form=form)
    return _done(request, measure)


def generate(request, pk: int):
    measure = _measure(request, pk, "accompaniment.manage")
    form = GenerateForm(request.POST, places=measure.places.all())
    if form.is_valid():
        try:
            created = services.generate_calendar(
                actor=request.user,
                measure=measure,
                residential_place=form.cleaned_data["residential_place"],
                visiting_place=form.cleaned_data["visiting_place"],
                from_day=form.cleaned_data["from_day"],
            )
            from parcours.accompaniment import messaging

            messaging.send_schedule(actor=request.user, measure=measure)
            return redirect(
                f"{reverse('backoffice:map-calendar', args=[measure.pk])}?semaine={_first_week(created)}"
            )
        except ValidationError as error:
            _errors(request, error)
    else:
        _errors(request, form=form)
    return _done(request, measure)


def _first_week(handovers) -> str:
    if not handovers:
        return ""
    first = min(handovers, key=lambda h: h.from_at)
    return timezone.localtime(first.from_at, first.measure.tzinfo).date().isoformat()


def prison_slots(request, pk: int):
    measure = _measure(request, pk, "accompaniment.manage")
    form = PrisonSlotsForm(request.POST or None, places=measure.places.all())
    if request.method == "POST" and form.is_valid():
        try:
            slots = _parse_slots(form.cleaned_data["slots"], measure.tzinfo)
            services.add_prison_slots(
                actor=request.user,
                measure=measure,
                slots=slots,
                residential_place=form.cleaned_data["residential_place"],
                prison_place=form.cleaned_data["prison_place"],
            )
            return _done(request, measure, f"{len(slots)} créneau(x) de visite ajouté(s).")
        except ValidationError as error:
            apply_errors(form, error)
    return _page(
        request,
        "form.html",
        {"form": form, "measure": measure, "title": "Créneaux de visite accordés par l'établissement"},
    )


def _parse_slots(text: str, tz) -> list:
    slots = []
    for number, line in enumerate(text.strip().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            day, start, end, *rest = [part.strip() for part in line.split(";")]
            on = datetime.strptime(day, "%d/%m/%Y").date()
            begins = datetime.combine(on, datetime.strptime(start, "%H:%M").time(), tzinfo=tz)
            ends = datetime.combine(on, datetime.strptime(end, "%H:%M").time(), tzinfo=tz)
        except ValueError as error:
            raise ValidationError(
                {"slots": f"Ligne {number} : JJ/MM/AAAA;HH:MM;HH:MM;référence attendu."}
            ) from error
        slots.append(services.PrisonSlot(begins, ends, (rest[0] if rest else "")[:60]))
    if not slots:
        raise ValidationError({"slots": "Aucun créneau."})
    return slots


def assign(request, pk: int):
    measure = _measure(request, pk, "accompaniment.manage")
    form = AssignForm(
        request.POST,
        accompanists=selectors.accompanists_of(request.user, measure),
        handovers=measure.handovers.filter(outcome=Handover.Outcome.PLANNED),
    )
    if form.is_valid():
        try:
            services.assign(
                actor=request.user,
                handovers=list(form.cleaned_data["handovers"]),
                accompanist=form.cleaned_data["accompanist"],
            )
            return _done(request, measure, "Accompagnant affecté.")
        except ValidationError as error:
            _errors(request, error)
    else:
        _errors(request, form=form)
    return _done(request, measure)


def calendar_week(request, pk: int):
    measure = selectors.measure_for(request.user, pk)
    tz = measure.tzinfo
    try:
        day = date.fromisoformat(request.GET.get("semaine", ""))
    except ValueError:
        day = measure.household.department.local_today()
    start, end, monday = selectors.week_bounds(tz, day)
    handovers = (
        selectors.handovers_of_measure(request.user, measure)
        .filter(from_at__gte=start, from_at__lt=end)
        .order_by("from_at")
    )
    days = []
    for offset in range(7):
        current = monday + timedelta(days=offset)
        days.append(
            {
                "day": current,
                "handovers": [h for h in handovers if timezone.localtime(h.from_at, tz).date() == current],
            }
        )
    return _page(
        request,
        "calendar.html",
        {
            "measure": measure,
            "days": days,
            "previous": (monday - timedelta(days=7)).isoformat(),
            "next": (monday + timedelta(days=7)).isoformat(),
            "monday": monday,
            "tz": tz,
            "is_org": policy.can(request.user, "accompaniment.manage", measure),
        },
    )


class RenewForm(OrderForm):
    """A new order for the same family: the terms again, the parties are the measure's."""

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, household=household, **kwargs)
        for name in ("residential_parent", "visiting_parent", "children"):
            del self.fields[name]


def renew(request, pk: int):
    measure = _measure(request, pk, "accompaniment.record_order")
    initial = {f: getattr(measure, f) for f in OrderForm.Meta.fields}
    initial.update(
        order_date=None, case_number="", starts_on=measure.ends_on + timedelta(days=1), ends_on=None
    )
    form = RenewForm(
        request.POST or None, request.FILES or None, household=measure.household, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new = services.renew(
                actor=request.user,
                measure=measure,
                values={f: data[f] for f in OrderForm.Meta.fields},
                order_file=data.get("order_upload"),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Nouvelle décision enregistrée : la mesure est renouvelée.")
            return redirect("backoffice:map-measure", pk=new.pk)
    return _page(
        request, "order_form.html", {"form": form, "household": measure.household, "renewal": measure}
    )


def order_file(request, pk: int):
    measure = selectors.order_file_for(request.user, pk)
    extension = measure.order_file.name.rsplit(".", 1)[-1]
    response = FileResponse(measure.order_file.open("rb"), content_type=measure.order_file_type)
    response["Content-Disposition"] = f'attachment; filename="ordonnance-{measure.reference}.{extension}"'
    return response


def end(request, pk: int):
    measure = selectors.measure_for(request.user, pk)
    form = EndForm(request.POST or None, initial={"on": measure.household.department.local_today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.end_measure(actor=request.user, measure=measure, **form.cleaned_data)
            return _done(request, measure, "Fin de la mesure enregistrée.")
        except ValidationError as error:
            apply_errors(form, error)
    return _page(
        request, "form.html", {"form": form, "measure": measure, "title": "Fin anticipée de la mesure"}
    )


# --- handovers ------------------------------------------------------------------------------------


def _parents(handover: Handover):
    measure = handover.measure
    return [
        (measure.residential_parent, "Parent chez qui l'enfant réside"),
        (measure.visiting_parent, "Parent bénéficiaire du droit de visite"),
    ]


def handover_form(request, pk: int):
    handover = selectors.handover_for(request.user, pk)
    parents = _parents(handover)
    form = OutcomeForm(request.POST or None, parents=parents)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        by_pk = {str(p.pk): p for p, _ in parents}
        incidents = []
        if data["incident_category"]:
            incidents.append(
                services.IncidentInput(
                    data["incident_category"], data["incident_narrative"], by_pk.get(data["incident_parent"])
                )
            )
        try:
            services.record_outcome(
                actor=request.user,
                handover=handover,
                outcome=data["outcome"],
                cancelled_by=data["cancelled_by"],
                notice_hours=data["notice_hours"],
                absent_parent=by_pk.get(data["absent_parent"]),
                incidents=incidents,
                child_words=data["child_words"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Issue de la remise enregistrée.")
            if policy.can(request.user, "accompaniment.view", handover.measure):
                return redirect("backoffice:map-measure", pk=handover.measure_id)
            return redirect("backoffice:map-mine")
    # An accompanist sees the times and the places they need, and the roles, never the family's file.
    return _page(
        request,
        "handover.html",
        {"handover": handover, "form": form, "tz": handover.measure.tzinfo, "parents": parents},
    )


def handover_move(request, pk: int):
    handover = selectors.handover_for(request.user, pk, permission="accompaniment.manage")
    tz = handover.measure.tzinfo
    initial = {
        "from_at": timezone.localtime(handover.from_at, tz),
        "to_at": timezone.localtime(handover.to_at, tz),
    }
    form = MoveForm(request.POST or None, initial={k: v.replace(tzinfo=None) for k, v in initial.items()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.edit_handover(
                actor=request.user,
                handover=handover,
                from_at=data["from_at"].replace(tzinfo=None).replace(tzinfo=tz),
                to_at=data["to_at"].replace(tzinfo=None).replace(tzinfo=tz),
                series=data["series"],
                reason=data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, "Remise déplacée ; les parents concernés reçoivent leur nouvel horaire."
            )
            return redirect("backoffice:map-measure", pk=handover.measure_id)
    return _page(
        request, "form.html", {"form": form, "measure": handover.measure, "title": "Déplacer une remise"}
    )


def mine(request):
    handovers = selectors.my_handovers(request.user, since=timezone.now() - timedelta(days=7))
    accompanist = Accompanist.objects.filter(user=request.user).first()
    feed_url = ""
    if accompanist and accompanist.feed_enabled:
        feed_url = request.build_absolute_uri(
            reverse("backoffice:map-agenda", kwargs={"token": ics.token_for(accompanist)})
        )
    return _page(
        request, "mine.html", {"handovers": handovers, "accompanist": accompanist, "feed_url": feed_url}
    )


def mine_feed(request):
    policy.require(request.user, "accompaniment.my_handovers")
    if request.method == "POST":
        if not Accompanist.objects.filter(user=request.user).exists():
            messages.error(request, "Votre compte n'est rattaché à aucune organisation d'accompagnement.")
        else:
            services.set_feed(actor=request.user, enabled=request.POST.get("enabled") == "1")
            messages.success(request, "Lien d'agenda mis à jour : l'ancien lien ne fonctionne plus.")
    return redirect("backoffice:map-mine")


def agenda(request, token: str):
    """The accompanist's private calendar feed: times and a link, never a name or an address."""
    try:
        accompanist = ics.accompanist_for(token)
    except signing.BadSignature:
        raise Http404 from None
    response = HttpResponse(ics.feed(accompanist), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


# --- report to the judge --------------------------------------------------------------------------


def report(request, pk: int):
    measure = _measure(request, pk, "accompaniment.manage")
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            services.draft_report(actor=request.user, measure=measure, **form.cleaned_data)
            return _done(request, measure, "Rapport préparé : relisez-le et validez-le.")
        except ValidationError as error:
            _errors(request, error)
    else:
        _errors(request, form=form)
    return _done(request, measure)


def report_sign(request, pk: int):
    policy.require(request.user, "accompaniment.manage")
    item = get_object_or_404(JudgeReport.objects.select_related("measure__household__department"), pk=pk)
    policy.require(request.user, "accompaniment.manage", item)
    try:
        services.sign_report(actor=request.user, report=item)
        messages.success(request, "Rapport validé : vous pouvez produire le PDF.")
    except ValidationError as error:
        _errors(request, error)
    return redirect("backoffice:map-measure", pk=item.measure_id)


# --- local pilot --------------------------------------------------------------------------------------


def overview(request):
    data = selectors.overview(request.user)
    labels = {"status": dict(Measure.Status.choices), "context": dict(Measure.Context.choices)}
    return _page(request, "overview.html", {**data, "labels": labels})


def conventions(request):
    policy.require(request.user, "accompaniment.manage_funding")
    organisations = selectors.map_organisations(request.user)
    form = ConventionForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.save_convention(
            actor=request.user,
            map_organisation=data["map_organisation"],
            year=data["year"],
            amount=data["amount"],
            measures_planned=data["measures_planned"] or 0,
            reference=data["reference"],
        )
        messages.success(request, "Convention enregistrée.")
        return redirect("backoffice:map-overview")
    return _page(request, "form.html", {"form": form, "title": "Convention de financement"})


def holidays(request):
    from parcours.accompaniment.models import SchoolHolidayPeriod
    from parcours.accompaniment.school_holidays import zone_for

    policy.require(request.user, "accompaniment.manage_funding")
    form = HolidaysForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            count = services.load_school_holidays(
                actor=request.user, content=form.cleaned_data["file"].read()
            )
            messages.success(request, f"{count} période(s) de vacances chargée(s).")
            return redirect("backoffice:map-holidays")
        except ValidationError as error:
            apply_errors(form, error)
    zone = zone_for(request.user.department_code)
    periods = SchoolHolidayPeriod.objects.filter(zone=zone)
    return _page(request, "holidays.html", {"form": form, "zone": zone, "periods": periods})
