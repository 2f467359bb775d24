"""The `date` filter with the French ordinal: « 1er décembre », never « 1 décembre ».

Installed as a template builtin (settings.TEMPLATES), so that every page, message, PDF and
calendar text gets it without each template having to remember.
"""

import re

from django import template
from django.template.defaultfilters import date as django_date

register = template.Library()

MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
_FIRST = re.compile(rf"(?<![\d])1 ({MONTHS})")


def ordinal(text: str) -> str:
    return _FIRST.sub(r"1er \1", text)


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    text = django_date(value, arg)
    return ordinal(text) if text and getattr(value, "day", None) == 1 else text
