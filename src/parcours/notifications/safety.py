"""The safe-contact rules the chokepoint applies before anything reaches a person.

1. **Channel**: only a channel the person marked safe (`ContactChannel.is_safe`) is ever used; a
   forced channel that is not safe is refused. A member of the public who typed her own e-mail or
   number on a public page (`DirectAddress`) chose that channel herself.
2. **Safe hours**: e-mail and SMS wait for the channel's window (`safe_from`–`safe_until`, in the
   household department's time zone); the message is held and rescheduled, with the reason.
3. **Structural rule (what the context carries about whom)**: a message is about its recipient. A
   context key naming a person — `person_id`, `parent_id`, `…_person_id(s)`, `…_parent_id(s)` — must
   name the recipient or one of the household's children; naming the other parent is refused.
   Modules follow this naming for every person id they put in a context.
4. **Content check of the rendered text** (subject, body, SMS, letter, text attachments such as ICS):
   - the other parents' private fragments (address lines, elected address, and whatever modules
     register: MAP handover places and times, appointments…) must not appear;
   - when the household is sensitive (for now: restricted, which a violence report makes it), no
     violence vocabulary, whoever the recipient;
   - on the protected track (neutral wording), no separation vocabulary and not the other parent's name.

Modules refine the protected track and add private fragments through the `register_*` functions
(`register_restricted_household_decider` narrows "restricted household" to the person at risk).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from parcours.core.phones import normalize_french_phone
from parcours.households.models import ContactChannel, Household, Person, fold
from parcours.notifications.context import walk
from parcours.notifications.memo import remembered

# --- extension points -------------------------------------------------------------------------

PROTECTED_TRACK_RULES: list[Callable[[Person], bool]] = []
SENSITIVE_HOUSEHOLD_RULES: list[Callable[[Household], bool]] = []
PRIVATE_FRAGMENT_SOURCES: list[Callable[[Person], Iterable[str]]] = []
RESTRICTED_HOUSEHOLD_DECIDERS: list[Callable[[Person], bool | None]] = []


def register_protected_track_rule(func: Callable[[Person], bool]) -> Callable:
    """`func(person) -> bool`: True puts the person's messages on the neutral wording."""
    PROTECTED_TRACK_RULES.append(func)
    return func


def register_sensitive_household_rule(func: Callable[[Household], bool]) -> Callable:
    """`func(household) -> bool`: True forbids violence vocabulary in any message about the household."""
    SENSITIVE_HOUSEHOLD_RULES.append(func)
    return func


def register_restricted_household_decider(func: Callable[[Person], bool | None]) -> Callable:
    """`func(person) -> True | False | None`: in a restricted household, whether this person is the one
    at risk. A module that knows (protection: the person named in a violence report) answers True or
    False; None leaves the decision to the restriction alone (everyone on the neutral wording)."""
    RESTRICTED_HOUSEHOLD_DECIDERS.append(func)
    return func


def register_private_fragments(func: Callable[[Person], Iterable[str]]) -> Callable:
    """`func(person) -> texts` private to that person (a place, "12 mars à 14h30"…) that no message
    to another member of the household may contain."""
    PRIVATE_FRAGMENT_SOURCES.append(func)
    return func


@register_protected_track_rule
def _restricted_household(person: Person) -> bool:
    if not person.household.restricted:
        return False
    # Switching the other parent to the neutral wording would itself tell him that something happened:
    # where a module knows who is at risk, only that person gets it.
    for decider in RESTRICTED_HOUSEHOLD_DECIDERS:
        verdict = decider(person)
        if verdict is not None:
            return verdict
    return True


@register_protected_track_rule
def _protected_address(person: Person) -> bool:
    return person.is_address_protected


@register_sensitive_household_rule
def _restricted(household: Household) -> bool:
    return household.restricted


@register_private_fragments
def _addresses(person: Person) -> list[str]:
    fragments = []
    address = getattr(person, "address", None)
    if address is not None:
        fragments += [address.line, address.complement]
    protected = getattr(person, "protected_address", None)
    if protected is not None:
        # The elected address is the victim's own correspondent: the other parent has no business with it.
        fragments += [protected.elected_name, protected.elected_line]
    return fragments


def on_protected_track(person: Person | None, household: Household | None = None) -> bool:
    if person is not None:
        return remembered(
            ("protected_track", person.pk), lambda: any(rule(person) for rule in PROTECTED_TRACK_RULES)
        )
    return household is not None and household_is_sensitive(household)


def household_is_sensitive(household: Household | None) -> bool:
    if household is None:
        return False
    return remembered(
        ("sensitive", household.pk), lambda: any(rule(household) for rule in SENSITIVE_HOUSEHOLD_RULES)
    )


# --- vocabulary ---------------------------------------------------------------------------------

# Folded (lower case, no accents). Word-bounded, so "protection" does not match "protections" by accident
# of a longer word and "auu" is not found inside another word.
VIOLENCE_TERMS = (
    r"violences?", r"violente?s?", r"conjugal(?:e|es)?", r"conjugaux", r"agressions?", r"agresseurs?",
    r"agresse(?:e|es|s)?", r"victimes?", r"plaintes?", r"main courante", r"protection", r"protege(?:e|es|s)?",
    r"emprise", r"harcelement", r"menaces?", r"procureur", r"commissariat", r"gendarmerie", r"police",
    r"3919", r"39 19", r"cidff", r"france victimes", r"mise a l.abri", r"hebergement d.urgence",
    r"aide universelle d.urgence", r"auu", r"telephone grave danger", r"bracelet anti.rapprochement",
)  # fmt: skip
SEPARATION_TERMS = (
    r"separation", r"separe(?:e|es|s)?", r"divorces?", r"divorce(?:e|es|s)?", r"ex.conjointe?s?",
    r"conjointe?s?", r"ex.compagne?s?", r"ex.epoux", r"ex.epouse", r"autre parent", r"pensions? alimentaires?",
    r"aripa", r"intermediation", r"residence alternee", r"droit de garde", r"droit de visite",
    r"juge aux affaires familiales", r"jaf", r"mediation familiale", r"mediation",
)  # fmt: skip
_VIOLENCE = re.compile(r"\b(?:" + "|".join(VIOLENCE_TERMS) + r")\b")
_SEPARATION = re.compile(r"\b(?:" + "|".join(SEPARATION_TERMS) + r")\b")


def _folded(text: str) -> str:
    return " ".join(fold(text).split())


def violence_term(text: str) -> str | None:
    found = _VIOLENCE.search(_folded(text))
    return found.group(0) if found else None


def separation_term(text: str) -> str | None:
    found = _SEPARATION.search(_folded(text))
    return found.group(0) if found else None


# --- structural rule --------------------------------------------------------------------------

_PERSON_KEY = re.compile(r"(?:^|_)(?:person|parent)_ids?$")


def check_context(context: dict, *, person: Person | None, household: Household | None) -> str | None:
    """A refusal reason when the context names someone other than the recipient (or a child)."""
    allowed: set[int] = set()
    if person is not None:
        allowed.add(person.pk)
    if household is not None:
        # `.all()`, filtered here: a batch of the worker has read the members once (chokepoint.preload).
        allowed.update(m.pk for m in household.members.all() if m.role == Person.Role.CHILD)
    for path, key, value in walk(context):
        if value is None or not _PERSON_KEY.search(str(key)):
            continue
        try:
            named = int(value)
        except (TypeError, ValueError):
            return f"Le contexte du message désigne une personne de façon illisible ({path})."
        if named not in allowed:
            return (
                f"Le contexte du message concerne une autre personne que le destinataire ({path}) : "
                "un message ne parle jamais de l'autre parent."
            )
    return None


# --- content check ------------------------------------------------------------------------------


def other_parents(person: Person | None, household: Household | None, direct_value: str = "") -> list[Person]:
    if household is None:
        return []
    # `.all()`, filtered here: a batch of the worker has read the members once (chokepoint.preload).
    parents = [m for m in household.members.all() if m.role == Person.Role.PARENT]
    others = [p for p in parents if person is None or p.pk != person.pk]
    if person is None and direct_value:
        # A member of the public writing with her own channel: she is not "the other parent" of herself.
        mine = set(
            ContactChannel.objects.filter(person__in=others, value__iexact=direct_value).values_list(
                "person_id", flat=True
            )
        )
        others = [p for p in others if p.pk not in mine]
    return others


def private_fragments(person: Person) -> set[str]:
    return set(remembered(("fragments", person.pk), lambda: frozenset(_private_fragments(person))))


def _private_fragments(person: Person) -> set[str]:
    fragments = set()
    for source in PRIVATE_FRAGMENT_SOURCES:
        for text in source(person) or ():
            folded = _folded(text or "")
            if len(folded) >= 5:  # "12", "Bât A" would match anything
                fragments.add(folded)
    return fragments


def check_content(
    text: str,
    *,
    person: Person | None,
    household: Household | None,
    protected: bool,
    direct_value: str = "",
) -> str | None:
    """A refusal reason when the rendered message says what it must not, else None."""
    folded = _folded(text)
    others = other_parents(person, household, direct_value)
    own = private_fragments(person) if person is not None else set()
    for other in others:
        for fragment in private_fragments(other) - own:
            if fragment in folded:
                return "Le message contient une donnée privée de l'autre parent (adresse, lieu ou horaire)."
    if household_is_sensitive(household):
        term = violence_term(text)
        if term:
            return f"Le message mentionne des violences ou une protection (« {term} ») : dossier protégé."
    if protected:
        term = separation_term(text)
        if term:
            return f"Message non neutre pour le parcours protégé (« {term} »)."
        for other in others:
            first, last = _folded(other.first_name), _folded(other.last_name)
            if f"{first} {last}" in folded or f"{last} {first}" in folded:
                return "Message non neutre pour le parcours protégé : il nomme l'autre parent."
    return None


# --- channels and safe hours ------------------------------------------------------------------


def usable_value(kind: str, value: str) -> str | None:
    """The normalised address for a channel kind, or None when it cannot be used."""
    value = (value or "").strip()
    if kind == "email":
        try:
            validate_email(value)
        except ValidationError:
            return None
        return value
    if kind == "sms":
        return normalize_french_phone(value)
    return None


def choose_channel(
    available: tuple[str, ...], person: Person, requested: str = "", *, sms_enabled: bool = True
) -> tuple[str, ContactChannel | None, str]:
    """(channel, contact, "") for the first safe, usable channel; ("", None, reason) when there is none."""
    labels = dict(ContactChannel.Kind.choices)
    if requested and requested not in available:
        return "", None, f"Ce message n'existe pas sur le canal demandé ({labels.get(requested, requested)})."
    kinds = (requested,) if requested else available
    contacts = list(person.contacts.all())
    problems = []
    for kind in kinds:
        of_kind = [c for c in contacts if c.kind == kind]
        safe = [c for c in of_kind if c.is_safe]
        if not safe:
            problems.append(f"{labels[kind]} : {'non confirmé sûr par la personne' if of_kind else 'aucun'}")
            continue
        if kind == "sms" and not sms_enabled:
            problems.append("SMS : aucun fournisseur configuré")
            continue
        for contact in safe:
            if kind == "postal":
                display = person.display_address()
                if display is not None and not display.is_partial:
                    return kind, contact, ""
                problems.append(
                    "Courrier : adresse partielle (sans rue)"
                    if display is not None
                    else "Courrier : aucune adresse postale utilisable"
                )
            elif usable_value(kind, contact.value):
                return kind, contact, ""
            else:
                problems.append(f"{labels[kind]} : coordonnée invalide")
    if requested:
        return "", None, f"Canal demandé refusé — {'; '.join(problems)}."
    return "", None, f"Aucun canal sûr pour cette personne — {'; '.join(problems)}."


def next_safe_time(contact: ContactChannel | None, now: datetime, tz) -> datetime | None:
    """None when `now` lies in the channel's safe hours; else the start of the next safe window."""
    if contact is None or (contact.safe_from is None and contact.safe_until is None):
        return None
    start = contact.safe_from or time(0, 0)
    end = contact.safe_until
    if end is not None and start == end:
        return None  # no usable window was given: an empty window would hold the message for ever
    local = now.astimezone(tz)
    moment = local.time().replace(tzinfo=None)
    if end is None:
        inside = moment >= start
    elif start < end:
        inside = start <= moment < end
    else:  # the window spans midnight, e.g. 20:00–08:00
        inside = moment >= start or moment < end
    if inside:
        return None
    candidate = datetime.combine(local.date(), start, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), start, tzinfo=tz)
    return candidate
