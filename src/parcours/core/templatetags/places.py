from django import template

from parcours.core import places

register = template.Library()


@register.filter
def in_place(department) -> str:
    return places.in_place(department)


@register.filter
def of_place(department) -> str:
    return places.of_place(department)
