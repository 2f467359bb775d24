"""Template helpers of the pathways pages: deadlines in the department's time zone, late flags."""

from functools import lru_cache
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import get_language

register = template.Library()


@lru_cache(maxsize=8)
def _month_names(language: str | None) -> dict[int, str]:
    # Keyed by the active language, in which str() translates Django's lazy month names.
    return {number: str(name) for number, name in MONTHS.items()}


def day_month_year(value) -> str:
    """What `date_format(value, "j F Y")` gives ("3 mars 2026"), without its format parser: the
    worklists print 25 of these per page, and the parser took a tenth of the page's time."""
    return f"{value.day} {_month_names(get_language())[value.month]} {value.year}"


@register.filter
def deadline(value, tzname: str = ""):
    """'3 mars 2026', or '3 mars 2026 à 14 h 05' when the deadline is an hour (72 hours)."""
    if value is None:
        return ""
    local = timezone.localtime(value, ZoneInfo(tzname)) if tzname else timezone.localtime(value)
    text = day_month_year(local)
    if (local.hour, local.minute) != (23, 59):
        text += f" à {local:%H} h {local:%M}"
    return text


@register.filter
def local_datetime(value, tzname: str = ""):
    if value is None:
        return ""
    local = timezone.localtime(value, ZoneInfo(tzname)) if tzname else timezone.localtime(value)
    return f"{day_month_year(local)} à {local:%H} h {local:%M}"


@register.filter
def is_late(step, now=None):
    return step.is_late(now)


OUTCOME_BADGES = {
    "done": "text-bg-success",
    "unreachable": "text-bg-warning",
    "declined": "text-bg-info",
    "not_applicable": "text-bg-light border",
}


@register.simple_tag
def step_state(step, now=None):
    """(css class, French text) of a step's state for a badge."""
    if step.status == "open":
        return ("text-bg-danger", "En retard") if step.is_late(now) else ("text-bg-light border", "À faire")
    if step.status == "withdrawn":
        return ("text-bg-secondary", "Retirée")
    if step.status == "paused":  # RGPD art. 18: the person's processing is limited
        return ("text-bg-warning", "En pause (traitement limité)")
    # Only a step really done is green: an unreachable family is a warning, not a success.
    return (OUTCOME_BADGES.get(step.outcome, "text-bg-light border"), step.get_outcome_display())


@register.filter
def describe_conditions(conditions):
    from parcours.pathways.rules import describe_conditions as describe

    return describe(conditions or [])
