"""The access file of one person (RGPD art. 15): a PDF and a JSON, in French, through the exporter registry.

The sections come from every module (core/subject_access.py); this module gathers them for one
person, adds its own (identity, address, contacts, consents), checks the finished file against the
guards (no other member's private text) and registers the exporter `households.subject_access`:
the registry applies the policy (the social worker, the one role that reads every part of the file:
household, protection, MAP, messages) and audits each file produced.

Never in it: another member's data, a protected address in clear (hers is reached through the
audited reveal), a staff member's free-text note, a violence report or a « signalement croisé »
that names someone else.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation

from parcours.core import exports, subject_access
from parcours.core.subject_access import Entry, Section, Subject
from parcours.households import selectors
from parcours.households.models import Person, fold

IDENTIFIER = "households.subject_access"
TITLE = "Droit d'accès aux données personnelles (RGPD, article 15)"


def _value(value):
    """The value as the file shows it: French dates, « oui »/« non », text."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "j F Y à H\\hi")
    if isinstance(value, date):
        return formats.date_format(value, "j F Y")
    if isinstance(value, Decimal):
        return formats.number_format(value, 2)
    return str(value)


def _entry_data(entry: Entry) -> dict:
    data = {"titre": entry.title, "champs": {label: _value(v) for label, v in entry.fields}}
    if entry.items:
        data["elements"] = [_entry_data(item) for item in entry.items]
    return data


def build(person: Person, actor) -> dict:
    """The file's content, as the JSON gives it (the PDF renders the same dictionary)."""
    department = person.household.department
    with translation.override("fr"), timezone.override(department.tzinfo):
        subject = Subject(person=person, actor=actor, withheld=subject_access.is_withheld(person))
        sections = []
        for section in subject_access.all_sections():
            entries = section.collect(subject)
            sections.append(
                {
                    "rubrique": section.title,
                    "elements": [_entry_data(e) for e in entries],
                    "vide": section.empty if not entries else "",
                }
            )
        data = {
            "document": TITLE,
            "responsable_du_traitement": f"Caf — {department.name}",
            "personne": person.full_name,
            "dossier": person.household.reference,
            "produit_le": _value(timezone.now()),
            "rubriques": sections,
            "a_savoir": NOTICE,
        }
    _guard(person, data)
    return data


NOTICE = [
    "Ce document rassemble les données que Parcours détient sur vous, à la date où il est produit.",
    "Il ne contient pas les données des autres membres du foyer, ni les notes de travail des agents.",
    "Si votre adresse est protégée, elle n'y figure pas : un travailleur social peut vous la relire.",
    "Pour faire corriger une donnée (rectification), limiter ou effacer vos données, adressez-vous à "
    "votre Caf ou à son délégué à la protection des données.",
]


def _guard(person: Person, data: dict) -> None:
    """Refuse the file if a text private to another member of the household appears in it."""
    text = fold(json.dumps(data, ensure_ascii=False))
    own = {fold(t) for t in subject_access.private_texts(person)}
    others = Person.objects.filter(household_id=person.household_id).exclude(pk=person.pk)
    for other in others.select_related("address", "protected_address"):
        for fragment in subject_access.private_texts(other):
            folded = fold(fragment)
            if folded not in own and folded in text:
                raise ValidationError(
                    "Le fichier contiendrait une donnée d'un autre membre du foyer : il n'est pas "
                    "produit. Prévenez l'assistance."
                )


def as_json(ctx: exports.ExportContext) -> bytes:
    return json.dumps(build(ctx.obj, ctx.actor), ensure_ascii=False, indent=2).encode("utf-8")


def as_pdf(ctx: exports.ExportContext) -> bytes:
    from weasyprint import HTML

    html = render_to_string("households/subject_access.html", {"file": build(ctx.obj, ctx.actor)})
    return HTML(string=html).write_pdf()


def _load(actor, pk: int) -> Person:
    return selectors.person_for(actor, pk, "households.subject_access", audited=False)


EXPORTER = exports.Exporter(
    identifier=IDENTIFIER,
    label="Droit d'accès (RGPD art. 15)",
    permission="households.subject_access",
    formats=("pdf", "json"),
    document=lambda ctx: as_json(ctx) if ctx.fmt == "json" else as_pdf(ctx),
    obj="person",
    load=_load,
    filename=lambda ctx: f"droit-acces-personne-{ctx.obj.pk}",
    description="Tout ce que Parcours détient sur une personne, pour elle seule.",
)


# --- what the households module holds about the person ------------------------------------------


def _identity(subject: Subject) -> list[Entry]:
    person = subject.person
    fields = [
        ("Nom", person.last_name),
        ("Prénom", person.first_name),
        ("Date de naissance", person.birth_date),
        ("Rôle dans le foyer", person.get_role_display()),
        ("Déclarant(e) de la séparation", person.is_declarant),
        ("Numéro d'allocataire", person.household.file_number),
        ("Département", person.household.department.name),
        ("Enregistrée le", person.created_at),
    ]
    if person.processing_limited:
        fields.append(("Traitement limité (art. 18) depuis le", person.processing_limited_at))
    return [Entry("Identité", fields)]


def _address(subject: Subject) -> list[Entry]:
    person = subject.person
    protected = getattr(person, "protected_address", None)
    if protected is not None:
        # Never decrypted here: only the audited reveal reads it.
        return [
            Entry(
                "Adresse protégée",
                [
                    ("Adresse réelle", "protégée : non reproduite dans ce document"),
                    ("Adresse de correspondance (élue)", ", ".join(protected.elected_lines())),
                    ("Protégée le", protected.protected_at),
                ],
            )
        ]
    address = getattr(person, "address", None)
    if address is None:
        return []
    return [
        Entry("Adresse", [("Adresse", ", ".join(address.lines())), ("Mise à jour le", address.updated_at)])
    ]


def _contacts(subject: Subject) -> list[Entry]:
    entries = []
    for contact in subject.person.contacts.all():  # the staff's remark (`note`) stays out
        fields = [("Coordonnée", contact.value), ("Canal sûr", contact.is_safe)]
        if contact.safe_from:
            fields.append(("Joignable", f"de {contact.safe_from:%H:%M} à {contact.safe_until:%H:%M}"))
        entries.append(Entry(contact.get_kind_display(), fields))
    return entries


def _consents(subject: Subject) -> list[Entry]:
    return [
        Entry(
            consent.get_purpose_display(),
            [
                ("Réponse", consent.given),
                ("Recueilli le", consent.recorded_at),
                ("Retiré le", consent.withdrawn_at),
            ],
        )
        for consent in subject.person.consents.all()
    ]


def _own_private_texts(person: Person) -> list[str]:
    texts = []
    address = getattr(person, "address", None)
    if address is not None:
        texts += [address.line, address.complement]
    protected = getattr(person, "protected_address", None)
    if protected is not None:
        texts += [protected.elected_name, protected.elected_line]
    texts += [c.value for c in person.contacts.all() if c.value]
    return texts


def register() -> None:
    exports.register(EXPORTER)
    for key, title, order, collect, empty in (
        ("households.identity", "Identité", 10, _identity, ""),
        ("households.address", "Adresse", 11, _address, "Aucune adresse enregistrée."),
        ("households.contacts", "Canaux de contact", 12, _contacts, "Aucun canal enregistré."),
        ("households.consents", "Consentements", 13, _consents, "Aucun consentement recueilli."),
    ):
        subject_access.register(Section(key=key, title=title, order=order, collect=collect, empty=empty))
    subject_access.register_guard(_own_private_texts)
