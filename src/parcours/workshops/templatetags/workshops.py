from django import template

register = template.Library()


@register.filter
def pct(value) -> str:
    """0.4271 → « 43 % » (French: a space before the sign)."""
    if value is None or value == "":
        return "—"
    return f"{round(float(value) * 100):d}\u00a0%"


@register.filter
def score(value) -> str:
    """4.236 → « 4,2 »."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.1f}".replace(".", ",")


@register.filter
def local(value, where):
    """An aware datetime as the wall-clock time of a department (a Department, or anything with one)."""
    from django.utils import timezone

    if not value:
        return value
    department = getattr(where, "department", where)
    return timezone.make_naive(value, department.tzinfo)
