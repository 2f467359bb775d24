"""Sections of the public home page, registered by modules (e.g. the workshops list).

`@home_sections.register("workshops", order=10)` on a function (request) -> HTML string or None.
"""

from parcours.core.registry import OrderedRegistry

_sections = OrderedRegistry()
register = _sections.register


def render_all(request) -> list[str]:
    return [html for _, html in _sections.render_all(request)]
