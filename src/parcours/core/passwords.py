"""Password rules (ASVS 5.0): length, no composition rules, no common or context words."""

import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError

from parcours.core.roles import Role

CONTEXT_WORDS = {
    "caf",
    "cnaf",
    "parcours",
    "allocation",
    "allocations",
    "allocataire",
    "famille",
    "familles",
    "separation",
    "motdepasse",
    "password",
    "azerty",
}


def _fold(text: str) -> str:
    normalized = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in normalized if c.isalnum() and not unicodedata.combining(c))


def _is_admin(user) -> bool:
    if user is None:
        return False
    roles = getattr(user, "_pending_roles", None)
    if roles is None and getattr(user, "pk", None):
        roles = user.roles
    return Role.ADMIN in (roles or ())


class LengthValidator:
    """At least 14 characters, 16 for administrators; nothing else is required of the shape."""

    def validate(self, password, user=None):
        minimum = settings.PASSWORD_MIN_LENGTH_ADMIN if _is_admin(user) else settings.PASSWORD_MIN_LENGTH
        if len(password) < minimum:
            raise ValidationError(
                f"Le mot de passe doit compter au moins {minimum} caractères.",
                code="password_too_short",
                params={"min_length": minimum},
            )

    def get_help_text(self):
        return (
            f"Au moins {settings.PASSWORD_MIN_LENGTH} caractères ({settings.PASSWORD_MIN_LENGTH_ADMIN} pour un "
            "administrateur). Une phrase de plusieurs mots est idéale ; aucune règle de composition."
        )


class ContextWordsValidator:
    """Refuses passwords built on words an attacker would try first here: the Caf, the app, the department."""

    def _words(self, user) -> set[str]:
        from parcours.core.models import Department

        words = set(CONTEXT_WORDS)
        words.update(_fold(name) for name in Department.objects.values_list("name", flat=True))
        if user is not None and getattr(user, "organisation_id", None):
            dep = user.organisation.department
            if dep is not None:
                words.add(_fold(dep.name))
        return {w for w in words if len(w) >= 3}

    def validate(self, password, user=None):
        folded = _fold(password)
        if getattr(settings, "DEMO_MODE", False) and password == settings.DEMO_PASSWORD:
            return
        found = sorted(w for w in self._words(user) if w in folded)
        if found:
            raise ValidationError(
                "Le mot de passe ne doit pas contenir de mot lié au contexte (%(words)s).",
                code="password_context_word",
                params={"words": ", ".join(f"« {w} »" for w in found)},
            )

    def get_help_text(self):
        return (
            "Il ne doit pas contenir « caf », « parcours », le nom d'un département ou un mot aussi évident."
        )
