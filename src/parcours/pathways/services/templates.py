"""Pathway templates are data: a change is a new version; pathways keep the version they opened with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from parcours.core import audit, policy
from parcours.pathways import rules
from parcours.pathways.models import STEP_ROLE_VALUES, DeadlineUnit, PathwayTemplate, TemplateStep

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]{2,39}$")


@dataclass
class StepSpec:
    kind: str
    label: str
    responsible_role: str
    deadline_value: int
    deadline_unit: str
    protected_deadline_value: int | None = None
    protected_deadline_unit: str = ""
    conditions: list | None = None

    @classmethod
    def of(cls, step: TemplateStep) -> StepSpec:
        return cls(
            step.kind, step.label, step.responsible_role, step.deadline_value, step.deadline_unit,
            step.protected_deadline_value, step.protected_deadline_unit, list(step.conditions),
        )  # fmt: skip


def _check(specs: list[StepSpec]) -> None:
    if not specs:
        raise ValidationError("Un modèle de parcours compte au moins une étape.")
    kinds = [s.kind for s in specs]
    duplicates = sorted({k for k in kinds if kinds.count(k) > 1})
    if duplicates:
        raise ValidationError(
            f"Chaque code d'étape n'apparaît qu'une fois (en double : {', '.join(duplicates)})."
        )
    for position, spec in enumerate(specs, start=1):
        where = f"Étape {position}"
        if not KIND_PATTERN.match(spec.kind or ""):
            raise ValidationError(
                f"{where} : le code « {spec.kind} » s'écrit en minuscules, chiffres et _ (3 à 40)."
            )
        if not (spec.label or "").strip():
            raise ValidationError(f"{where} : l'intitulé est obligatoire.")
        if spec.responsible_role not in STEP_ROLE_VALUES:
            raise ValidationError(f"{where} : rôle responsable inconnu.")
        if (
            spec.deadline_unit not in DeadlineUnit.values
            or spec.deadline_value is None
            or spec.deadline_value < 0
        ):
            raise ValidationError(f"{where} : délai invalide.")
        if (spec.protected_deadline_value is None) != (not spec.protected_deadline_unit):
            raise ValidationError(f"{where} : indiquez le délai protégé et son unité, ou aucun des deux.")
        if spec.protected_deadline_unit and spec.protected_deadline_unit not in DeadlineUnit.values:
            raise ValidationError(f"{where} : unité du délai protégé invalide.")
        rules.validate_conditions(spec.conditions or [])
        problem = rules.violence_case_problem(spec.kind, spec.conditions or [])
        if problem:
            raise ValidationError(f"{where} ({spec.label.strip()}) : {problem}.")


# A fixed instant to compare two deadlines in any units (a Monday morning, no public holiday near).
_REFERENCE_DAY = date(2026, 1, 12)


def _violence_due(calculator, department, value, unit, protected_value, protected_unit):
    deadline = (
        rules.Deadline(protected_value, protected_unit) if protected_unit else rules.Deadline(value, unit)
    )
    return calculator.due(department, deadline, base_on=_REFERENCE_DAY)


def _check_protected_deadlines(specs: list[StepSpec], department) -> None:
    """A department's variant never gives a step more time in a violence case than the national
    template does (its protected deadline, or its ordinary one when it has none)."""
    national = PathwayTemplate.objects.filter(department__isnull=True, is_current=True).first()
    if national is None or department is None:
        return
    calculator = rules.DeadlineCalculator()
    reference = {s.kind: s for s in national.steps.all() if s.protected_deadline_unit}
    for position, spec in enumerate(specs, start=1):
        base = reference.get(spec.kind)
        if base is None:
            continue
        limit = _violence_due(calculator, department, base.deadline_value, base.deadline_unit,
                              base.protected_deadline_value, base.protected_deadline_unit)  # fmt: skip
        mine = _violence_due(calculator, department, spec.deadline_value, spec.deadline_unit,
                             spec.protected_deadline_value, spec.protected_deadline_unit)  # fmt: skip
        if mine > limit:
            national_text = rules.Deadline(
                base.protected_deadline_value, base.protected_deadline_unit
            ).describe()
            raise ValidationError(
                f"Étape {position} ({spec.label.strip()}) : le délai quand des violences sont signalées ne "
                f"peut pas dépasser celui du modèle national ({national_text})."
            )


def _create_version(
    *, actor, department, name: str, change_note: str, specs: list[StepSpec]
) -> PathwayTemplate:
    _check(specs)
    _check_protected_deadlines(specs, department)
    family = PathwayTemplate.objects.select_for_update().filter(department=department)
    if department is None:
        family = family.filter(department__isnull=True)
    last = family.aggregate(v=Max("version"))["v"] or 0
    family.filter(is_current=True).update(is_current=False)
    template = PathwayTemplate.objects.create(
        department=department, name=name.strip()[:120], version=last + 1, is_current=True,
        change_note=change_note.strip()[:300], created_by=actor if getattr(actor, "pk", None) else None,
    )  # fmt: skip
    TemplateStep.objects.bulk_create(
        [
            TemplateStep(
                template=template,
                position=position,
                kind=spec.kind,
                label=spec.label.strip()[:160],
                responsible_role=spec.responsible_role,
                deadline_value=spec.deadline_value,
                deadline_unit=spec.deadline_unit,
                protected_deadline_value=spec.protected_deadline_value,
                protected_deadline_unit=spec.protected_deadline_unit or "",
                conditions=spec.conditions or [],
            )  # fmt: skip
            for position, spec in enumerate(specs, start=1)
        ]
    )
    return template


@transaction.atomic
def save_department_template(*, actor, name: str, change_note: str, steps: list[StepSpec]) -> PathwayTemplate:
    """A new version of the actor's department variant (the first one starts the variant)."""
    policy.require(actor, "pathways.manage_templates")
    if not change_note.strip():
        raise ValidationError(
            {"change_note": "Indiquez l'objet de la modification (il reste dans l'historique)."}
        )
    template = _create_version(
        actor=actor, department=actor.department, name=name, change_note=change_note, specs=steps
    )
    audit.record(actor, "pathways.template.versioned", template, data={"steps": len(steps)})
    return template


@transaction.atomic
def save_national_template(*, actor, name: str, change_note: str, steps: list[StepSpec]) -> PathwayTemplate:
    policy.require(actor, "pathways.manage_national_template")
    if not change_note.strip():
        raise ValidationError(
            {"change_note": "Indiquez l'objet de la modification (il reste dans l'historique)."}
        )
    template = _create_version(actor=actor, department=None, name=name, change_note=change_note, specs=steps)
    audit.record(actor, "pathways.template.versioned", template, department="", data={"steps": len(steps)})
    return template


@transaction.atomic
def use_national_template(*, actor) -> None:
    """The department stops using its variant: new pathways open on the national default again."""
    policy.require(actor, "pathways.manage_templates")
    current = (
        PathwayTemplate.objects.select_for_update()
        .filter(department=actor.department, is_current=True)
        .first()
    )
    if current is None:
        raise ValidationError("Votre département applique déjà le modèle national.")
    current.is_current = False
    current.save(update_fields=["is_current"])
    audit.record(actor, "pathways.template.retired", current)
