"""Staff pages of the doctrine: search, sheets (autosaved drafts), workflow, versions, synthesis, the
doctrine document and the import. Thin: selectors read through the policy, services write and audit."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from parcours.backoffice.forms_doctrine import (
    AttachmentForm,
    CommentForm,
    ImportForm,
    SheetForms,
    ThemesForm,
)
from parcours.core import exports, policy
from parcours.doctrine import charts, imports, rules, selectors, services
from parcours.doctrine.models import Chapter, Dimension, Practice
from parcours.protection.models import Partner

FACET_LABELS = {
    "dimension": "Dimension",
    "caf": "Caf",
    "theme": "Thème",
    "partenaire": "Type de partenaire",
    "financement": "Source de financement",
    "annee": "Année de mise en place",
    "etat": "État",
}


def _fail(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- search -----------------------------------------------------------------------------------


def search(request):
    query = selectors.SearchQuery.from_params(request.GET)
    result = selectors.search_practices(request.user, query)
    facets = []
    for name, rows in result.facets.items():
        current = getattr(query, name)
        facets.append(
            {
                "name": name,
                "label": FACET_LABELS[name],
                "current": current,
                "clear": query.params(**{name: "", "page": ""}),
                "values": [
                    {
                        "value": v,
                        "label": label,
                        "count": n,
                        "active": v == current,
                        "params": query.params(**{name: v, "page": ""}),
                    }
                    for v, label, n in rows
                ],
            }
        )
    return render(
        request,
        "backoffice/doctrine/search.html",
        {
            "query": query,
            "result": result,
            "facets": facets,
            "previous": query.params(page=query.page - 1) if query.page > 1 else None,
            "next": query.params(page=query.page + 1) if query.page < result.pages else None,
            "can_propose": policy.has_perm(request.user, "doctrine.propose"),
            "can_inventory": policy.has_perm(request.user, "doctrine.inventory"),
            "can_import": policy.has_perm(request.user, "doctrine.import"),
        },
    )


# --- sheets -------------------------------------------------------------------------------------


def _sheet_page(request, forms: SheetForms, practice: Practice | None):
    return render(
        request,
        "backoffice/doctrine/edit.html",
        {
            "forms": forms,
            "practice": practice,
            "attachment_form": AttachmentForm(),
            "dimensions": Dimension,
        },
    )


def create(request):
    policy.require(request.user, "doctrine.propose")
    department = request.user.department
    if department is None:
        raise Http404
    partners = Partner.objects.filter(department=department, is_active=True).order_by("kind", "name")
    forms = SheetForms(request.POST or None, practice=None, department=department, partners=partners)
    if request.method == "POST" and forms.is_valid():
        try:
            practice = services.create_practice(
                actor=request.user, data=forms.sheet.service_data(), **forms.rows()
            )
        except ValidationError as error:
            _fail(request, error)
        else:
            messages.success(request, "Brouillon créé : il s'enregistre au fil de la saisie.")
            return redirect("backoffice:doctrine-edit", pk=practice.pk)
    return _sheet_page(request, forms, None)


def _editable(request, pk: int) -> Practice:
    return selectors.practice_for(request.user, pk, permission="doctrine.propose", branch=False)


def edit(request, pk: int):
    practice = _editable(request, pk)
    forms = SheetForms(
        request.POST or None,
        practice=practice,
        department=practice.department,
        partners=selectors.partners_for_practice(request.user, practice),
    )
    if practice.state not in rules.EDITABLE:
        messages.info(request, "Cette fiche ne se modifie plus dans son état actuel.")
        return redirect("backoffice:doctrine-detail", pk=practice.pk)
    if request.method == "POST" and forms.is_valid():
        try:
            services.update_practice(
                actor=request.user, practice=practice, data=forms.sheet.service_data(), **forms.rows()
            )
        except ValidationError as error:
            _fail(request, error)
        else:
            messages.success(request, "Fiche enregistrée.")
            return redirect("backoffice:doctrine-detail", pk=practice.pk)
    return _sheet_page(request, forms, practice)


@require_POST
def autosave(request, pk: int):
    """The draft saved as it is typed (htmx): answers with the status line only."""
    practice = _editable(request, pk)
    forms = SheetForms(
        request.POST,
        practice=practice,
        department=practice.department,
        partners=selectors.partners_for_practice(request.user, practice),
    )
    if practice.state not in rules.EDITABLE:
        text, ok = "Fiche non modifiable dans son état actuel.", False
    elif not forms.is_valid():
        text, ok = "Non enregistré : " + " ; ".join(forms.errors()), False
    else:
        try:
            practice = services.update_practice(
                actor=request.user,
                practice=practice,
                data=forms.sheet.service_data(),
                autosave=True,
                base_revision=_revision(request.POST.get("revision")),
                **forms.rows(),
            )
        except ValidationError as error:
            text, ok = "Non enregistré : " + " ; ".join(error.messages), False
        else:
            text, ok = f"Brouillon enregistré à {timezone.localtime().strftime('%H:%M:%S')}.", True
    # The page's next autosave names the revision this one wrote (out-of-band swap of its field).
    return render(
        request,
        "backoffice/doctrine/_autosave.html",
        {"text": text, "ok": ok, "revision": practice.revision if ok else None},
    )


def _revision(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def detail(request, pk: int):
    practice = selectors.practice_page_for(request.user, pk)
    user = request.user
    actions = []
    for action, rule in rules.TRANSITIONS.items():
        if practice.state in rule.sources and policy.can(user, rule.permission, practice, branch=rule.branch):
            actions.append(
                {"action": action, "rule": rule, "url": f"backoffice:doctrine-{action.replace('_', '-')}"}
            )
    versions = list(practice.versions.all())
    return render(
        request,
        "backoffice/doctrine/detail.html",
        {
            "practice": practice,
            "steps": services.step_labels(practice.pathway_steps),
            "partners": practice.partners.select_related("partner"),
            "fundings": practice.fundings.all(),
            "indicators": practice.indicators.all(),
            "attachments": practice.attachments.all(),
            "transitions": practice.transitions.select_related("by"),
            "versions": versions,
            "actions": actions,
            "comment_form": CommentForm(),
            "can_edit": practice.state in rules.EDITABLE and policy.can(user, "doctrine.propose", practice),
            "can_tag": policy.can(user, "doctrine.publish", practice, branch=True)
            and practice.state in (Practice.State.VALIDATED, Practice.State.PUBLISHED),
            "themes_form": ThemesForm(initial={"themes": practice.themes.all()}),
        },
    )


def compare(request, pk: int):
    """Two published versions side by side (default: the two latest)."""
    practice = selectors.practice_for(request.user, pk)
    versions = {v.number: v for v in practice.versions.all()}
    numbers = sorted(versions)

    def pick(name, default):
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() and int(value) in versions else default

    if not numbers:
        left = right = None
        rows = []
    else:
        right = versions[pick("b", numbers[-1])]
        left = versions[pick("a", numbers[-2] if len(numbers) > 1 else numbers[-1])]
        keys = list(dict.fromkeys([*left.data.keys(), *right.data.keys()]))
        rows = [
            (k, left.data.get(k, ""), right.data.get(k, ""), left.data.get(k, "") != right.data.get(k, ""))
            for k in keys
        ]
    return render(
        request,
        "backoffice/doctrine/compare.html",
        {"practice": practice, "left": left, "right": right, "rows": rows, "numbers": numbers},
    )


@require_POST
def attach(request, pk: int):
    practice = _editable(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_attachment(
                actor=request.user,
                practice=practice,
                upload=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
            )
        except ValidationError as error:
            _fail(request, error)
        else:
            messages.success(request, "Pièce jointe ajoutée (métadonnées supprimées).")
    else:
        messages.error(request, "Choisissez un fichier PDF, JPEG ou PNG.")
    return redirect("backoffice:doctrine-edit", pk=practice.pk)


def attachment(request, pk: int):
    item = selectors.attachment_for(request.user, pk)
    with item.file.open("rb") as handle:
        content = handle.read()
    response = HttpResponse(content, content_type=item.content_type)
    response["Content-Disposition"] = f'attachment; filename="piece-jointe-{item.pk}.{item.extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _transition(action: str):
    rule = rules.TRANSITIONS[action]

    @require_POST
    def view(request, pk: int):
        practice = selectors.practice_for(request.user, pk, permission=rule.permission, branch=rule.branch)
        form = CommentForm(request.POST)
        comment = form.cleaned_data["comment"] if form.is_valid() else ""
        try:
            services.transition(actor=request.user, practice=practice, action=action, comment=comment)
        except ValidationError as error:
            _fail(request, error)
        else:
            messages.success(request, f"« {rule.label} » : fait.")
        return redirect("backoffice:doctrine-detail", pk=practice.pk)

    view.__name__ = action
    return view


submit = _transition("submit")
request_changes = _transition("request_changes")
validate = _transition("validate")
publish = _transition("publish")
archive = _transition("archive")


@require_POST
def themes(request, pk: int):
    practice = selectors.practice_for(request.user, pk, permission="doctrine.publish")
    form = ThemesForm(request.POST)
    if form.is_valid():
        services.set_themes(actor=request.user, practice=practice, themes=list(form.cleaned_data["themes"]))
        messages.success(request, "Thèmes enregistrés.")
    return redirect("backoffice:doctrine-detail", pk=practice.pk)


# --- inventory, synthesis, document, import ------------------------------------------------------


def inventory(request):
    rows = selectors.inventory(request.user)
    return render(
        request,
        "backoffice/doctrine/inventory.html",
        {"practices": rows, "exporter": exports.get("doctrine.inventory")},
    )


def synthesis(request):
    data = selectors.synthesis(request.user)
    return render(
        request,
        "backoffice/doctrine/synthesis.html",
        {
            "data": data,
            "chart": charts.funding_chart(data),
            "map": charts.departments_map(data),
            "tables": [(FACET_LABELS[name], rows) for name, rows in data["counts"].items() if name != "etat"],
        },
    )


def document(request):
    chapters = selectors.document_chapters(request.user)
    return render(
        request,
        "backoffice/doctrine/document.html",
        {
            "chapters": chapters,
            "exporter": exports.get("doctrine.document"),
            "can_compose": policy.has_perm(request.user, "doctrine.publish"),
        },
    )


def document_edit(request):
    policy.require(request.user, "doctrine.publish")
    published = list(
        Practice.objects.filter(state=Practice.State.PUBLISHED)
        .select_related("department")
        .order_by("department__code", "title")
    )
    chapters = list(Chapter.objects.prefetch_related("entries"))
    if request.method == "POST":
        data = []
        for index in range(int(request.POST.get("chapters", "0") or 0) + 1):
            title = request.POST.get(f"titre-{index}", "").strip()
            if not title:
                continue
            raw = request.POST.get(f"pratiques-{index}", "")
            ids = [int(t) for t in raw.replace(",", " ").split() if t.isdigit()]
            data.append(
                {"title": title, "introduction": request.POST.get(f"intro-{index}", ""), "practices": ids}
            )
        try:
            services.save_document(actor=request.user, chapters=data)
        except ValidationError as error:
            _fail(request, error)
        else:
            messages.success(request, "Document de doctrine enregistré.")
            return redirect("backoffice:doctrine-document")
    rows = [
        {
            "index": i,
            "title": c.title,
            "intro": c.introduction,
            "practices": " ".join(str(e.practice_id) for e in c.entries.all()),
        }
        for i, c in enumerate(chapters)
    ]
    rows.append({"index": len(rows), "title": "", "intro": "", "practices": ""})
    return render(
        request,
        "backoffice/doctrine/document_edit.html",
        {"rows": rows, "count": len(rows) - 1, "published": published},
    )


def import_view(request):
    policy.require(request.user, "doctrine.import")
    form = ImportForm(request.POST or None, request.FILES or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            form.add_error("file", "Fichier trop volumineux (5 Mo au plus).")
        else:
            outcome = imports.import_file(
                actor=request.user,
                data=upload.read(),
                filename=upload.name,
                dry_run=form.cleaned_data["dry_run"],
            )
    return render(
        request,
        "backoffice/doctrine/import.html",
        {"form": form, "outcome": outcome, "columns": imports.COLUMNS},
    )
