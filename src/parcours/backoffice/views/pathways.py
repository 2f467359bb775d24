"""Staff pages of the parcours séparation: declare, import, worklists, steps, situation, templates.

Thin views: selectors read (with the acting user), services write. This module also plugs the
module into the back office: menu entries with their counts, the household-page panel and the
home-page card (see docs/extending.md).
"""

from __future__ import annotations

from functools import lru_cache

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from parcours.backoffice.forms_pathways import (
    CONDITIONS_HELP,
    STEP_CODES_HELP,
    AssignStepForm,
    CompleteStepForm,
    ContactAttemptForm,
    ImportForm,
    SeparationForm,
    SituationForm,
    TemplateMetaForm,
    TemplateStepFormSet,
    WorklistFilterForm,
    conditions_initial,
)
from parcours.core import policy
from parcours.core.forms import apply_errors
from parcours.core.models import Site
from parcours.households import selectors as household_selectors
from parcours.pathways import imports, selectors, services
from parcours.pathways.models import StepKind
from parcours.pathways.selectors import WORKLIST_TITLES, Worklist
from parcours.pathways.services import jobs
from parcours.pathways.services.steps import assignable_users, unreachable_after

PAGE_SIZE = 25


# --- declaring a separation ------------------------------------------------------------------


def record(request):
    user = request.user
    form = SeparationForm(
        request.POST or None, department_code=user.department_code, known_departments=jobs.caf_departments(),
        initial={"declared_on": user.department.local_today()},
    )  # fmt: skip
    open_pathway = None
    if request.method == "POST" and form.is_valid():
        open_pathway = selectors.open_pathway_of_file(user, form.event.department, form.event.file_number)
        same = open_pathway is not None and open_pathway.event.external_id == form.event.external_id
        if open_pathway is not None and not same and not form.cleaned_data.get("replace_confirmed"):
            # Say what will happen to the pathway in progress before anything is written.
            data = form.data.copy()
            data["replace_confirmed"] = "on"
            return render(
                request,
                "backoffice/pathways/record.html",
                {
                    "form": form.__class__(
                        data, department_code=user.department_code, known_departments=jobs.caf_departments()
                    ),
                    "open_pathway": open_pathway,
                    "replaces": form.event.declared_on >= open_pathway.declared_on,
                },
            )
        try:
            event, created = services.record_separation(actor=user, event=form.event)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if created:
                steps = event.pathway.steps.count()
                messages.success(
                    request, f"Parcours ouvert pour le dossier {event.household.reference} : {steps} étapes."
                )
            else:
                messages.info(
                    request,
                    f"Cette déclaration était déjà enregistrée (dossier {event.household.reference}).",
                )
            return redirect("backoffice:household-detail", pk=event.household_id)
    return render(request, "backoffice/pathways/record.html", {"form": form})


# --- worklists -------------------------------------------------------------------------------


def _kinds_choices():
    return list(StepKind.choices)


def _filters_html(form: WorklistFilterForm, sites, show_mine_only: bool) -> str:
    if form.is_bound:
        return render_to_string("backoffice/pathways/_worklist_filters.html", {"form": form})
    key = (tuple((site.pk, site.name) for site in sites), tuple(_kinds_choices()), show_mine_only)
    return _empty_filters_html(key)


@lru_cache(maxsize=512)
def _empty_filters_html(key) -> str:
    """The unbound filter form, rendered once per choice set: Django renders a field through its
    templates in about 2 ms, and this form shows on every worklist page, unfilled most of the time."""
    sites, kinds, show_mine_only = key
    form = WorklistFilterForm(
        sites=[Site(pk=pk, name=name) for pk, name in sites], kinds=list(kinds), show_mine_only=show_mine_only
    )
    return render_to_string("backoffice/pathways/_worklist_filters.html", {"form": form})


def worklist(request, worklist: str):
    user = request.user
    current = Worklist(worklist)
    sites = selectors.worklist_sites(user)
    show_mine_only = current in (Worklist.LATE, Worklist.WEEK)
    form = WorklistFilterForm(
        request.GET or None, sites=sites, kinds=_kinds_choices(), show_mine_only=show_mine_only
    )
    filters = selectors.WorklistFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = selectors.WorklistFilters(
            kind=data.get("kind") or "", due_from=data.get("due_from"), due_to=data.get("due_to"),
            site=data.get("site"), mine_only=bool(data.get("mine_only")),
        )  # fmt: skip
    steps = selectors.worklist(user, current, filters)
    paginator = Paginator(steps, PAGE_SIZE)
    if filters == selectors.WorklistFilters():
        # Unfiltered, the list's size is the menu's count (at most 30 s old): no second count of a big list.
        paginator.count = selectors.worklist_counts(user)[current]
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    selectors.record_worklist_view(user, current, rows)
    return render(
        request,
        "backoffice/pathways/worklist.html",
        {
            "title": WORKLIST_TITLES[current],
            "worklist": current.value,
            "form": form,
            "filters_html": _filters_html(form, sites, show_mine_only),
            "page": page,
            "rows": rows,
            "tabs": _tabs(user, current),
            "now": timezone.now(),
            "department_tz": user.department.timezone,
            "department_code": user.department_code,  # every row is of the user's department
        },
    )


WORKLIST_URLS = {
    Worklist.MINE: "backoffice:worklist-mine",
    Worklist.TEAM: "backoffice:worklist-team",
    Worklist.LATE: "backoffice:worklist-late",
    Worklist.WEEK: "backoffice:worklist-week",
}


def _tabs(user, current):
    counts = selectors.worklist_counts(user)
    return [
        {
            "title": WORKLIST_TITLES[w],
            "url": reverse(WORKLIST_URLS[w]),
            "count": counts[w],
            "current": w == current,
        }
        for w in Worklist
    ]


# --- a step ----------------------------------------------------------------------------------


def _step_context(request, step, **forms):
    user = request.user
    tz = step.household.department.tzinfo
    can_work = policy.can(user, "pathways.work_steps", step)
    context = {
        "step": step,
        "pathway": step.pathway,
        "household": step.household,
        "declarant": step.pathway.declarant,
        "attempts": list(selectors.attempts_of(user, step)),
        "can_work": can_work and step.is_open,
        "unreachable_after": unreachable_after(),
        "department_tz": step.household.department.timezone,
        "is_late": step.is_late(),
        "message": _information_message(user, step),
        "safe_contacts": household_selectors.safe_contacts_for(user, step.pathway.declarant),
    }
    if context["can_work"]:
        users = assignable_users(step)
        context.update(
            attempt_form=forms.get("attempt_form") or ContactAttemptForm(tzinfo=tz),
            complete_form=forms.get("complete_form") or CompleteStepForm(),
            assign_form=forms.get("assign_form") or AssignStepForm(users=users),
            can_take=users.filter(pk=user.pk).exists() and step.assignee_id != user.pk,
        )
    return context


def _information_message(user, step):
    """The outbox message of step 1, as the notifications module lets this user see it."""
    if step.kind != StepKind.INFORMATION_OFFER or not policy.has_perm(user, "notifications.view"):
        return None
    from parcours.notifications import selectors as notification_selectors
    from parcours.pathways.services.information import information_key

    return (
        notification_selectors.messages_for_household(user, step.household)
        .filter(key=information_key(step.pathway_id))
        .first()
    )


def step_detail(request, pk: int):
    step = selectors.step_for(request.user, pk)
    return render(request, "backoffice/pathways/step.html", _step_context(request, step))


def step_attempt(request, pk: int):
    step = selectors.step_for(request.user, pk, permission="pathways.work_steps", audited=False)
    form = ContactAttemptForm(request.POST, tzinfo=step.household.department.tzinfo)
    if form.is_valid():
        try:
            services.record_contact_attempt(actor=request.user, step=step, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Tentative de contact enregistrée.")
            return redirect("backoffice:step-detail", pk=step.pk)
    return render(request, "backoffice/pathways/step.html", _step_context(request, step, attempt_form=form))


def step_complete(request, pk: int):
    step = selectors.step_for(request.user, pk, permission="pathways.work_steps", audited=False)
    form = CompleteStepForm(request.POST)
    if form.is_valid():
        try:
            done = services.complete_step(actor=request.user, step=step, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, f"Étape « {done.label} » terminée : {done.get_outcome_display().lower()}."
            )
            return redirect("backoffice:worklist-mine")
    return render(request, "backoffice/pathways/step.html", _step_context(request, step, complete_form=form))


def step_assign(request, pk: int):
    user = request.user
    step = selectors.step_for(user, pk, permission="pathways.work_steps", audited=False)
    users = assignable_users(step)
    data = {"assignee": str(user.pk)} if request.POST.get("take") else request.POST
    form = AssignStepForm(data, users=users)
    if form.is_valid():
        try:
            services.assign_step(actor=user, step=step, assignee=form.cleaned_data["assignee"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            assignee = form.cleaned_data["assignee"]
            who = "vous" if assignee.pk == user.pk else assignee.get_full_name()
            messages.success(request, f"Étape attribuée à {who}.")
            return redirect("backoffice:step-detail", pk=step.pk)
    return render(request, "backoffice/pathways/step.html", _step_context(request, step, assign_form=form))


# --- the situation of a pathway --------------------------------------------------------------


def situation(request, pk: int):
    pathway = selectors.pathway_for(request.user, pk, permission="pathways.update_situation")
    household = pathway.household
    if not pathway.is_open:
        messages.info(request, "Ce parcours est clôturé : sa situation ne change plus.")
        return redirect("backoffice:household-detail", pk=household.pk)
    form = SituationForm(
        request.POST or None,
        initial={
            "children_count": pathway.children_count,
            "shared_home": pathway.shared_home,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_situation(
                actor=request.user, household=household, reason=data["reason"],
                children_count=data["children_count"],
                shared_home=data["shared_home"],
            )  # fmt: skip
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Situation mise à jour : les étapes à faire ont été réévaluées.")
            return redirect("backoffice:household-detail", pk=household.pk)
    return render(
        request,
        "backoffice/pathways/situation.html",
        {"form": form, "pathway": pathway, "household": household},
    )


# --- the household timeline ------------------------------------------------------------------


def household_timeline(request, pk: int):
    user = request.user
    household, entries = selectors.timeline_for(user, pk)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/pathways/timeline.html",
        {"household": household, "page": page, "department_tz": household.department.timezone},
    )


# --- imports ---------------------------------------------------------------------------------


def import_list(request):
    user = request.user
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.start_import(
                actor=user, uploaded_file=form.cleaned_data["file"], dry_run=form.cleaned_data["dry_run"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect("backoffice:import-detail", pk=job.pk)
    page = Paginator(selectors.import_jobs_for(user), 20).get_page(request.GET.get("page"))
    return render(
        request, "backoffice/pathways/imports.html",
        {"form": form, "page": page, "columns": imports.COLUMNS, "required": imports.REQUIRED},
    )  # fmt: skip


def _job_context(request, job):
    errors_page = Paginator(job.errors or [], 100).get_page(request.GET.get("page"))
    return {"job": job, "errors_page": errors_page, "can_restart": jobs.can_restart(job)}


def import_detail(request, pk: int):
    job = selectors.import_job_for(request.user, pk)
    return render(request, "backoffice/pathways/import_detail.html", _job_context(request, job))


def import_progress(request, pk: int):
    """The part of the import page that htmx refreshes every two seconds while the job runs."""
    job = selectors.import_job_for(request.user, pk)
    response = render(request, "backoffice/pathways/_import_progress.html", _job_context(request, job))
    if job.is_finished and request.htmx:
        response["HX-Refresh"] = "true"  # the whole page then shows the report
    return response


def import_sample(request):
    response = HttpResponse("\ufeff" + imports.sample_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="exemple-declarations.csv"'
    return response


def import_restart(request, pk: int):
    job = selectors.import_job_for(request.user, pk)
    try:
        services.restart_import(actor=request.user, job=job)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Import relancé.")
    return redirect("backoffice:import-detail", pk=job.pk)


# --- templates -------------------------------------------------------------------------------


def _step_initial(template):
    return [
        {
            "kind": s.kind,
            "label": s.label,
            "responsible_role": s.responsible_role,
            "deadline_value": s.deadline_value,
            "deadline_unit": s.deadline_unit,
            "protected_deadline_value": s.protected_deadline_value,
            "protected_deadline_unit": s.protected_deadline_unit,
            **conditions_initial(s.conditions),
            "ORDER": s.position,
        }  # fmt: skip
        for s in template.steps.all()
    ]


def _specs(formset) -> list[services.StepSpec]:
    specs = []
    for form in formset.ordered_forms:  # by the "Ordre" column, deleted and blank extra forms left out
        data = form.cleaned_data
        specs.append(
            services.StepSpec(
                kind=data["kind"],
                label=data["label"],
                responsible_role=data["responsible_role"],
                deadline_value=data["deadline_value"],
                deadline_unit=data["deadline_unit"],
                protected_deadline_value=data.get("protected_deadline_value"),
                protected_deadline_unit=data.get("protected_deadline_unit") or "",
                conditions=data.get("conditions") or [],
            )  # fmt: skip
        )
    return specs


def template_list(request):
    user = request.user
    versions = list(selectors.department_templates(user))
    usage = selectors.template_usage([t.pk for t in versions])
    return render(
        request,
        "backoffice/pathways/templates.html",
        {
            "national": selectors.national_template(),
            "in_force": selectors.template_in_force(user),
            "versions": [(t, usage.get(t.pk, 0)) for t in versions],
        },
    )


def template_detail(request, pk: int):
    template = selectors.template_for(request.user, pk)
    return render(request, "backoffice/pathways/template_detail.html", {"template": template})


def _edit_template(request, *, base, save, title: str, back: str):
    meta = TemplateMetaForm(request.POST or None, initial={"name": base.name})
    # The base's own step types are offered by their label next to the national ones.
    custom = {s.kind: s.label for s in base.steps.all() if s.kind not in StepKind.values}
    formset = TemplateStepFormSet(
        request.POST or None,
        initial=_step_initial(base),
        prefix="etapes",
        form_kwargs={"custom_kinds": custom},
    )
    if request.method == "POST" and meta.is_valid() and formset.is_valid():
        try:
            template = save(actor=request.user, name=meta.cleaned_data["name"],
                            change_note=meta.cleaned_data["change_note"], steps=_specs(formset))  # fmt: skip
        except ValidationError as error:
            apply_errors(meta, error)
        else:
            messages.success(
                request, f"Version {template.version} enregistrée : elle s'applique aux nouveaux parcours."
            )
            return redirect(back)
    return render(
        request,
        "backoffice/pathways/template_edit.html",
        {
            "meta": meta,
            "formset": formset,
            "title": title,
            "base": base,
            "back": back,
            "codes_help": STEP_CODES_HELP,
            "conditions_help": CONDITIONS_HELP,
        },  # fmt: skip
    )


def template_edit(request):
    base = selectors.template_in_force(request.user)
    return _edit_template(
        request, base=base, save=services.save_department_template, back=reverse("backoffice:template-list"),
        title=f"Modèle de parcours du département {request.user.department_code}",
    )  # fmt: skip


def template_use_national(request):
    try:
        services.use_national_template(actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Les nouveaux parcours suivront de nouveau le modèle national.")
    return redirect("backoffice:template-list")


def template_national(request):
    return _edit_template(
        request, base=selectors.national_template(), save=services.save_national_template,
        back=reverse("backoffice:template-national"), title="Modèle national du parcours séparation",
    )  # fmt: skip


def pilot_dashboard(request):
    """The local pilot's view of the department: who and where is late, deadlines met, aids to pay."""
    from parcours.protection import selectors as protection_selectors

    late = Paginator(selectors.department_late_steps(request.user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/pathways/pilot_dashboard.html",
        {
            "load": selectors.department_load(request.user),
            "aids": protection_selectors.aid_deadlines(request.user),
            "late": late,
            "department_tz": request.user.department.timezone,
        },
    )
