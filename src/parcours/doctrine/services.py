"""Writes of the doctrine: sheets (drafts saved as typed), workflow transitions, themes, attachments,
published versions and the doctrine document. Every write checks the policy and is audited."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from parcours.core import audit, policy
from parcours.core.models import Department
from parcours.doctrine import rules, search
from parcours.doctrine.models import (
    Attachment,
    Chapter,
    ChapterPractice,
    Funding,
    Practice,
    PracticePartner,
    PracticeVersion,
    ResultIndicator,
    Theme,
    Transition,
)

# The fields of a sheet a form may write (the rows of partners, funding and indicators apart).
FIELDS = (
    "title",
    "team",
    "audience",
    "summary",
    "started_year",
    "role_description",
    "pathway_steps",
    "staff_fte",
    "tools",
    "budget",
    "innovation",
    "evidence",
    "links",
)


def step_labels(codes) -> list[str]:
    from parcours.pathways.models import step_kind_label

    return [step_kind_label(code) for code in codes or []]


def search_document(practice: Practice) -> str:
    """Every text of the sheet the search reads, labels included ("Prestation de service", the Caf's name)."""
    parts = [
        practice.title,
        practice.team,
        practice.audience,
        practice.summary,
        practice.role_description,
        " ".join(step_labels(practice.pathway_steps)),
        practice.tools,
        practice.innovation,
        practice.evidence,
        practice.department.name,
    ]
    for row in practice.partners.all():  # prefetch-friendly (the bench loads 10,000 sheets at once)
        parts += [row.partner.name, row.partner.get_kind_display(), row.role]
    for funding in practice.fundings.all():
        parts += [funding.get_source_display(), funding.instrument]
    for indicator in practice.indicators.all():
        parts += [indicator.label, indicator.period]
    parts += [theme.label for theme in practice.themes.all()]
    return "\n".join(p for p in parts if p)


def _codes(values) -> str:
    """ " a b " : the distinct codes, space-delimited on both sides so that " a " finds exactly a."""
    codes = sorted(set(values))
    return f" {' '.join(codes)} " if codes else ""


def refresh(practice: Practice) -> None:
    """Keep the search text, the FTS row and the dimension flags in step with the sheet."""
    practice.search_document = search_document(practice)
    practice.has_role = bool(practice.role_description or practice.pathway_steps)
    practice.has_means = bool(practice.staff_fte or practice.tools or practice.budget)
    practice.has_partners = practice.partners.exists()
    practice.has_funding = practice.fundings.exists()
    practice.has_results = bool(practice.innovation or practice.evidence or practice.indicators.exists())
    practice.theme_codes = _codes(practice.themes.values_list("code", flat=True))
    practice.partner_kinds = _codes(practice.partners.values_list("partner__kind", flat=True))
    practice.funding_sources = _codes(practice.fundings.values_list("source", flat=True))
    Practice.objects.filter(pk=practice.pk).update(
        theme_codes=practice.theme_codes,
        partner_kinds=practice.partner_kinds,
        funding_sources=practice.funding_sources,
        search_document=practice.search_document,
        has_role=practice.has_role,
        has_means=practice.has_means,
        has_partners=practice.has_partners,
        has_funding=practice.has_funding,
        has_results=practice.has_results,
    )
    search.index_practice(practice.pk, practice.search_document)


def _check_partners(practice: Practice, partners) -> None:
    for partner, _role in partners:
        if partner.department_id != practice.department_id:
            raise ValidationError("Un partenaire de la pratique doit venir de l'annuaire de la Caf.")


def write_rows(practice: Practice, *, partners=None, fundings=None, indicators=None) -> None:
    """Replace the rows of the three structured dimensions (None: leave them as they are; the
    caller checks the policy and holds the transaction: the services here and the import)."""
    if partners is not None:
        _check_partners(practice, partners)
        practice.partners.all().delete()
        PracticePartner.objects.bulk_create(
            [PracticePartner(practice=practice, partner=p, role=role) for p, role in partners]
        )
    if fundings is not None:
        practice.fundings.all().delete()
        Funding.objects.bulk_create([Funding(practice=practice, **row) for row in fundings])
    if indicators is not None:
        practice.indicators.all().delete()
        ResultIndicator.objects.bulk_create([ResultIndicator(practice=practice, **row) for row in indicators])


def _apply(practice: Practice, data: dict) -> list[str]:
    changed = []
    for name in FIELDS:
        if name in data and getattr(practice, name) != data[name]:
            setattr(practice, name, data[name])
            changed.append(name)
    return changed


@transaction.atomic
def create_practice(
    *, actor, data: dict, partners=None, fundings=None, indicators=None, department: Department | None = None
) -> Practice:
    """A new draft of the actor's Caf (the national pilot does not write sheets)."""
    policy.require(actor, "doctrine.propose")
    department = department or actor.department
    if department is None or department.code != actor.department_code:
        raise ValidationError("Une fiche pratique appartient à la Caf de son auteur.")
    practice = Practice(department=department, created_by=actor)
    _apply(practice, data)
    if not practice.title:
        raise ValidationError("Le titre est obligatoire.")
    practice.full_clean(exclude=["search_document", "created_by"])
    practice.save()
    write_rows(practice, partners=partners, fundings=fundings, indicators=indicators)
    refresh(practice)
    audit.record(actor, "doctrine.practice.created", practice)
    return practice


STALE_AUTOSAVE = (
    "la fiche a été enregistrée depuis l'affichage de cette page (autre onglet, collègue ou "
    "enregistrement plus récent) : rechargez la page pour continuer."
)


@transaction.atomic
def update_practice(
    *,
    actor,
    practice: Practice,
    data: dict,
    partners=None,
    fundings=None,
    indicators=None,
    autosave=False,
    base_revision: int | None = None,
) -> Practice:
    """Save the sheet as it is typed (autosave) or on submit of the form; only while it is editable.

    An autosave names the revision its page was built on and is refused once the sheet has been saved
    since: requests of one page may reach the server out of order, and an older draft must never
    replace the rows of a later save. The explicit save is the user's whole form and always applies."""
    policy.require(actor, "doctrine.propose", practice)
    practice = Practice.objects.select_for_update().get(pk=practice.pk)
    if practice.state not in rules.EDITABLE:
        raise ValidationError(
            f"La fiche est « {practice.get_state_display()} » : elle ne se modifie plus "
            "(le pilote départemental peut demander des modifications)."
        )
    if autosave and base_revision != practice.revision:
        raise ValidationError(STALE_AUTOSAVE, code="stale")
    changed = _apply(practice, data)
    if not practice.title:
        raise ValidationError("Le titre est obligatoire.")
    practice.full_clean(exclude=["search_document", "created_by"])
    practice.updated_at = timezone.now()
    practice.revision += 1
    practice.save()
    write_rows(practice, partners=partners, fundings=fundings, indicators=indicators)
    refresh(practice)
    audit.record(
        actor,
        "doctrine.practice.autosaved" if autosave else "doctrine.practice.updated",
        practice,
        data={"fields": changed},
    )
    return practice


def snapshot(practice: Practice) -> dict:
    """The sheet as text fields, in reading order: what a published version keeps."""

    def money(value):
        return "" if value is None else f"{Decimal(value):,.2f} €".replace(",", " ").replace(".", ",")

    return {
        "Titre": practice.title,
        "Caf": f"{practice.department.name} ({practice.department.code})",
        "Équipe": practice.team,
        "Public concerné": practice.audience,
        "Résumé": practice.summary,
        "Année de mise en place": str(practice.started_year or ""),
        "Rôle de la Caf": practice.role_description,
        "Étapes du parcours séparation": ", ".join(step_labels(practice.pathway_steps)),
        "Effectif (ETP)": "" if practice.staff_fte is None else str(practice.staff_fte).replace(".", ","),
        "Outils": practice.tools,
        "Budget annuel": money(practice.budget),
        "Partenaires": "\n".join(
            f"{row.partner.name} ({row.partner.get_kind_display()}) : {row.role}".rstrip(" :")
            for row in practice.partners.select_related("partner")
        ),
        "Financements": "\n".join(
            f"{f.get_source_display()} {f.year} : {money(f.amount)}"
            + (f" ({f.instrument})" if f.instrument else "")
            for f in practice.fundings.all()
        ),
        "Indicateurs": "\n".join(
            f"{i.label} : {i.value}" + (f" ({i.period})" if i.period else "")
            for i in practice.indicators.all()
        ),
        "Innovation": practice.innovation,
        "Évaluation": practice.evidence,
        "Liens": practice.links,
        "Thèmes": ", ".join(t.label for t in practice.themes.all()),
    }


@transaction.atomic
def transition(*, actor, practice: Practice, action: str, comment: str = "") -> Practice:
    """Move a sheet along its workflow (rules.TRANSITIONS), with its comment, audited."""
    rule = rules.TRANSITIONS.get(action)
    if rule is None:
        raise ValidationError("Action inconnue.")
    policy.require(actor, rule.permission, practice, branch=rule.branch)
    practice = Practice.objects.select_for_update().select_related("department").get(pk=practice.pk)
    comment = (comment or "").strip()
    if practice.state not in rule.sources:
        raise ValidationError(
            f"« {rule.label} » n'est pas possible pour une fiche « {practice.get_state_display()} »."
        )
    if rule.comment_required and not comment:
        raise ValidationError("Dites ce qui est à revoir : le commentaire est obligatoire.")
    if action == "submit" and not (practice.summary and practice.role_description):
        raise ValidationError("Avant de soumettre, décrivez au moins le résumé et le rôle de la Caf.")
    previous = practice.state
    now = timezone.now()
    practice.state = rule.target
    practice.updated_at = now
    if action == "submit":
        practice.submitted_at = now
    if action == "publish":
        practice.published_at = now
    practice.save(update_fields=["state", "updated_at", "submitted_at", "published_at"])
    Transition.objects.create(
        practice=practice, from_state=previous, to_state=rule.target, comment=comment, by=actor
    )
    if action == "publish":
        number = (practice.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        PracticeVersion.objects.create(
            practice=practice, number=number, data=snapshot(practice), published_at=now, published_by=actor
        )
    audit.record(
        actor,
        f"doctrine.practice.{rules.AUDIT_VERBS[action]}",
        practice,
        reason=comment,
        data={"from": previous, "to": rule.target},
    )
    return practice


@transaction.atomic
def set_themes(*, actor, practice: Practice, themes) -> Practice:
    policy.require(actor, "doctrine.publish", practice, branch=True)
    practice.themes.set(themes)
    refresh(practice)
    if practice.state == Practice.State.PUBLISHED:
        # The current version shows the themes it is published under.
        version = practice.versions.order_by("-number").first()
        if version is not None:
            version.data = {**version.data, "Thèmes": ", ".join(t.label for t in practice.themes.all())}
            version.save(update_fields=["data"])
    audit.record(actor, "doctrine.practice.themes_set", practice, data={"themes": [t.code for t in themes]})
    return practice


@transaction.atomic
def add_attachment(*, actor, practice: Practice, upload, title: str = "") -> Attachment:
    """A document checked and cleaned by the upload checks of protection (PDF, JPEG, PNG; no metadata)."""
    from parcours.protection import uploads

    policy.require(actor, "doctrine.propose", practice)
    if practice.state not in rules.EDITABLE:
        raise ValidationError("La fiche ne se modifie plus : les pièces jointes non plus.")
    clean = uploads.clean_proof(upload)
    attachment = Attachment(
        practice=practice,
        title=(title or getattr(upload, "name", "") or "Pièce jointe")[:200],
        content_type=clean.content_type,
        size=len(clean.content),
        sha256=clean.sha256,
        uploaded_by=actor,
    )
    attachment.file.save(f"piece.{clean.extension}", ContentFile(clean.content), save=False)
    attachment.save()
    audit.record(actor, "doctrine.attachment.uploaded", attachment, data={"type": clean.content_type})
    return attachment


@transaction.atomic
def save_document(*, actor, chapters: list[dict]) -> list[Chapter]:
    """Replace the doctrine document's chapters: [{"title", "introduction", "practices": [ids in order]}]."""
    policy.require(actor, "doctrine.publish")
    published = set(Practice.objects.filter(state=Practice.State.PUBLISHED).values_list("pk", flat=True))
    for chapter in chapters:
        if not chapter.get("title", "").strip():
            raise ValidationError("Chaque chapitre a un titre.")
        unknown = [pk for pk in chapter.get("practices", []) if pk not in published]
        if unknown:
            raise ValidationError(f"Seules des pratiques publiées entrent dans la doctrine (n° {unknown}).")
    Chapter.objects.all().delete()
    made = []
    for position, data in enumerate(chapters, start=1):
        chapter = Chapter.objects.create(
            position=position, title=data["title"].strip(), introduction=data.get("introduction", "").strip()
        )
        ChapterPractice.objects.bulk_create(
            [
                ChapterPractice(chapter=chapter, practice_id=pk, position=index)
                for index, pk in enumerate(dict.fromkeys(data.get("practices", [])), start=1)
            ]
        )
        made.append(chapter)
    audit.record(actor, "doctrine.document.composed", None, data={"chapters": len(made)})
    return made


def ensure_themes() -> None:
    """The doctrine's themes (idempotent): what the national pilot tags sheets with."""
    for position, (code, label) in enumerate(THEMES, start=1):
        Theme.objects.update_or_create(code=code, defaults={"label": label, "position": position})


THEMES = (
    ("aller-vers", "Aller vers les familles"),
    ("mise-en-securite", "Mise en sécurité et droits"),
    ("partenariats", "Partenariats locaux"),
    ("parentalite", "Parentalité après la séparation"),
    ("acces-aux-droits", "Accès aux droits et aides financières"),
    ("formation", "Formation des équipes"),
)
