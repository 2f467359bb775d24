from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def quick_exit_url() -> str:
    """The neutral site the quick exit leads to (PARCOURS_QUICK_EXIT_URL)."""
    return settings.PARCOURS_QUICK_EXIT_URL


@register.simple_tag
def seats_left(workshop) -> str:
    """« 3 places restantes », or full: the form's kept page fills it in without a template."""
    from parcours.portal import fragments

    return fragments.seats_text(workshop)
