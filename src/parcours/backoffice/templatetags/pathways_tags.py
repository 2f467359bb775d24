"""Template helpers of the pathways pages: deadlines in the department's time zone, late flags."""

from django import template
from django.utils import formats, timezone

register = template.Library()


@register.filter
def deadline(value, tzname: str = ""):
    """'3 mars 2026', or '3 mars 2026 à 14 h 05' when the deadline is an hour (72 hours)."""
    if value is None:
        return ""
    from zoneinfo import ZoneInfo

    local = timezone.localtime(value, ZoneInfo(tzname)) if tzname else timezone.localtime(value)
    text = formats.date_format(local, "j F Y")
    if (local.hour, local.minute) != (23, 59):
        text += f" à {local:%H} h {local:%M}"
    return text


@register.filter
def local_datetime(value, tzname: str = ""):
    if value is None:
        return ""
    from zoneinfo import ZoneInfo

    local = timezone.localtime(value, ZoneInfo(tzname)) if tzname else timezone.localtime(value)
    return f"{formats.date_format(local, 'j F Y')} à {local:%H} h {local:%M}"


@register.filter
def is_late(step, now=None):
    return step.is_late(now)


@register.simple_tag
def step_state(step, now=None):
    """(css class, French text) of a step's state for a badge."""
    if step.status == "open":
        return ("text-bg-danger", "En retard") if step.is_late(now) else ("text-bg-light border", "À faire")
    if step.status == "withdrawn":
        return ("text-bg-secondary", "Retirée")
    return ("text-bg-success", step.get_outcome_display())


@register.filter
def describe_conditions(conditions):
    from parcours.pathways.rules import describe_conditions as describe

    return describe(conditions or [])
