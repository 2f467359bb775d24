"""`fold` (search, and the chokepoint's reading of every message) gives exactly what the
character-by-character definition gives: lower case, NFKD, combining characters removed, stripped."""

import random
import unicodedata

import pytest

from parcours.households.models import fold


def by_definition(text: str) -> str:
    normalized = unicodedata.normalize("NFKD", (text or "").lower())
    return "".join(c for c in normalized if not unicodedata.combining(c)).strip()


ACCENTED = "àâäéèêëîïôöùûüÿçœæÀÂÄÉÈÊËÎÏÔÖÙÛÜŸÇŒÆﬁÅǅᾮİẞßñÑ\u0301\u0327 한국어 Ω ½ ²"


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "  Élodie  ",
        "MÉDIATION familiale",
        "Saint-Benoît",
        "ŒUVRE",
        "ﬁn",
        "İstanbul",
        "e\u0301",
        "Ǆ",
    ],
)
def test_fold_of_french_words_is_the_definition(text):
    assert fold(text) == by_definition(text)


def test_fold_matches_the_definition_on_every_character_and_accented_mixes():
    rng = random.Random(24)
    for codepoint in range(0x110000):
        if not 0xD800 <= codepoint <= 0xDFFF:
            assert fold(chr(codepoint)) == by_definition(chr(codepoint)), hex(codepoint)
    for _ in range(3000):
        text = "".join(rng.choice(ACCENTED + "abc XYZ-'") for _ in range(rng.randint(0, 60)))
        assert fold(text) == by_definition(text), repr(text)
