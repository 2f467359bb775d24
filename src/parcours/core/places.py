"""French grammar of place names: « à La Réunion », « dans les Hauts-de-Seine », « de l'Eure »…

One table, used by every page, message and document that names a department, because the article
(and, for islands, the preposition) cannot be derived from the name.
"""

from __future__ import annotations

# code → (in, of): the phrase after « séances … » and after « Caf … / heure … ».
PHRASES: dict[str, tuple[str, str]] = {
    "92": ("dans les Hauts-de-Seine", "des Hauts-de-Seine"),
    "974": ("à La Réunion", "de La Réunion"),
    "27": ("dans l'Eure", "de l'Eure"),
    "86": ("dans la Vienne", "de la Vienne"),
    "47": ("dans le Lot-et-Garonne", "du Lot-et-Garonne"),
    "75": ("à Paris", "de Paris"),
    "93": ("en Seine-Saint-Denis", "de la Seine-Saint-Denis"),
    "94": ("dans le Val-de-Marne", "du Val-de-Marne"),
    "971": ("en Guadeloupe", "de la Guadeloupe"),
    "972": ("en Martinique", "de la Martinique"),
    "973": ("en Guyane", "de la Guyane"),
    "976": ("à Mayotte", "de Mayotte"),
    "57": ("en Moselle", "de la Moselle"),
    "67": ("dans le Bas-Rhin", "du Bas-Rhin"),
    "68": ("dans le Haut-Rhin", "du Haut-Rhin"),
}


def _code_and_name(department) -> tuple[str, str]:
    if isinstance(department, str):
        return department, department
    return department.code, department.name


def in_place(department) -> str:
    """« dans les Hauts-de-Seine », « à La Réunion »; a department missing from the table stays correct."""
    code, name = _code_and_name(department)
    return PHRASES[code][0] if code in PHRASES else f"dans le département {name}"


def of_place(department) -> str:
    """« des Hauts-de-Seine », « de l'Eure »."""
    code, name = _code_and_name(department)
    return PHRASES[code][1] if code in PHRASES else f"du département {name}"
