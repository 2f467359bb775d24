"""The one download view of the registered exporters (core.exports): policy, audit, formats, jobs.

Each exporter has its own URL (`backoffice:export-<slug>`, listed in the access policy by the
registry); the format comes in the query string (`?format=ods`). A background exporter shows a
page: the POST queues the job, the page follows its progress (htmx) and offers the file when ready.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from parcours.core import exports
from parcours.core.models import ExportJob


def _response(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _exporter_and_record(request, identifier: str, pk: int | None):
    try:
        exporter = exports.get(identifier)
    except KeyError:
        raise Http404 from None
    exports.check(exporter, request.user)  # the role first: 403 before any lookup
    obj = exporter.load(request.user, pk) if exporter.obj else None
    exports.check(exporter, request.user, obj)
    return exporter, obj


def download(request, identifier: str, pk: int | None = None):
    exporter, obj = _exporter_and_record(request, identifier, pk)
    params = exports.clean_params(exporter, request.GET)
    if exporter.background:
        return _background(request, exporter, obj, params)
    fmt = request.GET.get("format") or exporter.formats[0]
    if fmt not in exporter.formats:
        raise Http404
    try:
        rendered = exports.produce(actor=request.user, identifier=identifier, fmt=fmt, obj=obj, params=params)
    except (exports.ExportError, ValidationError) as error:
        # A rule of the domain refuses this file (a referral sheet without consent): say why, go back.
        text = str(error) if isinstance(error, exports.ExportError) else " ".join(error.messages)
        messages.error(request, text)
        return redirect(_back(request))
    return _response(rendered.content, rendered.content_type, rendered.filename)


def former(request, identifier: str, pk: int | None = None):
    """An export's address from before the registry: the same checks, then its exporter's URL."""
    exporter, obj = _exporter_and_record(request, identifier, pk)
    return redirect(reverse(exporter.url_name, kwargs={"pk": obj.pk} if obj is not None else {}))


def _back(request) -> str:
    referer = request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(referer, {request.get_host()}, require_https=request.is_secure()):
        return referer
    return reverse("backoffice:home")


def _background(request, exporter: exports.Exporter, obj, params: dict):
    here = request.path
    if request.method == "POST":
        fmt = request.POST.get("format") or exporter.formats[0]
        if fmt not in exporter.formats:
            raise Http404
        job = exports.start_job(
            actor=request.user, identifier=exporter.identifier, fmt=fmt, obj=obj, params=params
        )
        return redirect(f"{here}?job={job.token}")
    job = None
    token = request.GET.get("job", "")
    if token:
        job = exports.job_for(request.user, exporter.identifier, token)
        if request.GET.get("download") == "1":
            if job.status != ExportJob.Status.DONE:
                raise Http404
            return _response(exports.read_job_file(job), exports.CONTENT_TYPES[job.fmt], job.file_name)
    context = {
        "exporter": exporter,
        "obj": obj,
        "job": job,
        "formats": [(fmt, exports.FORMAT_LABELS[fmt]) for fmt in exporter.formats],
        "here": here,
        # the form posts the exporter's parameters back (a bilan's scope and year)
        "action": f"{here}?{urlencode(params)}" if params else here,
    }
    if job is not None and request.htmx:
        return render(request, "backoffice/exports/_job.html", context)
    return render(request, "backoffice/exports/job.html", context)
