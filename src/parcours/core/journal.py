"""The department's access journal: every audited read and write of a department, for its local pilot.

Filtered by member of staff, action and period, in the database, and exported through the one
exporter registry (CSV, ODS, XLSX). Entries hold references, never sensitive values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.db.models import QuerySet

from parcours.core import audit, audit_labels, exports, policy
from parcours.core.models import AuditEntry, User


@dataclass(frozen=True)
class JournalFilter:
    staff: int | None = None
    action: str = ""
    start: date | None = None
    end: date | None = None


class JournalFilterForm(forms.Form):
    staff = forms.TypedChoiceField(label="Agent", required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(label="Action", required=False)
    start = forms.DateField(label="Du", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="Au", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(organisation__department__code=actor.department_code).order_by(
            "last_name", "first_name"
        )
        self.fields["staff"].choices = [("", "Tous les agents")] + [(u.pk, u.get_full_name()) for u in staff]
        self.fields["action"].choices = [("", "Toutes les actions"), *_action_choices()]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("La date de début doit précéder la date de fin.")
        return data

    def to_filter(self) -> JournalFilter:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return JournalFilter(
            staff=data.get("staff"),
            action=data.get("action") or "",
            start=data.get("start"),
            end=data.get("end"),
        )


def _action_choices() -> list[tuple[str, str]]:
    """Grouped by object: every action with a French label (the journal's own vocabulary)."""
    choices = [
        (f"*.{obj}.", f"{name[:1].upper()}{name[1:]} (toutes actions)")
        for obj, name in sorted(audit_labels.OBJECTS.items(), key=lambda kv: kv[1])
    ]
    return choices


def consult(actor, flt: JournalFilter) -> QuerySet[AuditEntry]:
    """The journal's page: `entries_for`, and the consultation (with its filter) is audited."""
    policy.require(actor, "audit.view_department")
    audit.record(
        actor,
        "audit.department_log.viewed",
        data={k: str(v) for k, v in vars(flt).items() if v},
        department=actor.department_code,
    )
    return entries_for(actor, flt)


def entries_for(actor, flt: JournalFilter) -> QuerySet[AuditEntry]:
    """The actor's department's entries, newest first (only a local pilot reads them)."""
    policy.require(actor, "audit.view_department")
    qs = AuditEntry.objects.filter(department=actor.department_code).select_related("actor")
    if flt.staff:
        qs = qs.filter(actor_id=flt.staff)
    if flt.action.startswith("*."):
        qs = qs.filter(action__contains=flt.action[1:])
    elif flt.action:
        qs = qs.filter(action=flt.action)
    tz = actor.department.tzinfo if actor.department else None
    if flt.start:
        qs = qs.filter(created_at__gte=datetime.combine(flt.start, time.min, tzinfo=tz))
    if flt.end:
        qs = qs.filter(created_at__lt=datetime.combine(flt.end + timedelta(days=1), time.min, tzinfo=tz))
    return qs.order_by("-id")


def _table(ctx: exports.ExportContext) -> exports.Table:
    form = JournalFilterForm(ctx.params or None, actor=ctx.actor)
    entries = entries_for(ctx.actor, form.to_filter())
    tz = ctx.actor.department.tzinfo if ctx.actor.department else None

    def rows():
        for e in entries.iterator(chunk_size=2000):
            yield (
                e.created_at.astimezone(tz) if tz else e.created_at,
                e.actor_label,
                audit_labels.label(e.action),
                e.object_ref,
                e.reason,
            )

    return exports.Table(
        headers=("Date", "Agent", "Action", "Objet", "Motif"), rows=rows(), title="Journal d'accès"
    )


DEPARTMENT_JOURNAL = exports.Exporter(
    identifier="audit.department_journal",
    label="Journal d'accès du département",
    permission="audit.view_department",
    formats=("csv", "ods", "xlsx"),
    table=_table,
    params=("staff", "action", "start", "end"),
    filename=lambda ctx: f"journal-acces-{ctx.actor.department_code}",
)


def register() -> None:
    exports.register(DEPARTMENT_JOURNAL)
