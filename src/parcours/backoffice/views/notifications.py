"""Staff pages of the outbox: a message's page (status, history, content, retry, cancel, letter PDF),
the department's outbox for the local pilot, and the "Messages" panel of the household page."""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from parcours.core import policy
from parcours.core.forms import StyledForm
from parcours.notifications import selectors, services
from parcours.notifications.models import Message


class OutboxFilterForm(StyledForm):
    status = forms.ChoiceField(
        label="Statut", required=False, choices=[("", "Tous")] + list(Message.Status.choices)
    )
    channel = forms.ChoiceField(
        label="Canal", required=False, choices=[("", "Tous")] + list(Message.Channel.choices)
    )


class CancelForm(StyledForm):
    reason = forms.CharField(label="Motif de l'annulation", max_length=300)


def outbox(request):
    form = OutboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.department_outbox(
        request.user, status=filters.get("status", ""), channel=filters.get("channel", "")
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "backoffice/notifications/outbox.html", {"form": form, "page": page})


def message_detail(request, pk: int):
    message = selectors.message_for(request.user, pk)
    context = {
        "message": message,
        "events": list(message.events.all()),
        "attachments": list(message.attachments.all()),
        "can_manage": policy.can(request.user, "notifications.manage", message),
        "can_download": bool(message.letter_path)
        and policy.can(request.user, "notifications.download_letter", message),
        "retryable": message.status in services.RETRYABLE,
    }
    return render(request, "backoffice/notifications/message.html", context)


def message_retry(request, pk: int):
    message = selectors.message_for(request.user, pk, permission="notifications.manage", audited=False)
    try:
        services.retry_message(actor=request.user, message=message)
    except ValidationError as error:
        flash.error(request, " ".join(error.messages))
    else:
        flash.success(
            request, "Le message est remis en file : les règles de sécurité seront vérifiées à nouveau."
        )
    return redirect("backoffice:message-detail", pk=message.pk)


def message_cancel(request, pk: int):
    message = selectors.message_for(request.user, pk, permission="notifications.manage", audited=False)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel_message(actor=request.user, message=message, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            flash.success(request, "Message annulé.")
            return redirect("backoffice:message-detail", pk=message.pk)
    return render(request, "backoffice/notifications/cancel.html", {"form": form, "message": message})
