"""The workshops section of the public home page."""

from django.template.loader import render_to_string

from parcours.portal import home_sections
from parcours.workshops import selectors


@home_sections.register("workshops", order=10)
def workshops_section(request):
    return render_to_string(
        "portal/workshops/home_section.html", {"departments": selectors.public_departments()}, request=request
    )
